"""One finding per burden, root causes first (issue 11).

The analyses answer one question each, so one burden on the citizen can come out as several
findings: a document that asks for what a registry holds is both `registry_data_requested` and an
`unnecessary_document` with the same evidence; a question that a parameter switched off by date is
an `irrelevant_input` beside the `unused_in_period` finding that says why. `fold` makes them one, on
each analysis date, before the dates are merged into periods:

- the findings on one document become one: `registry_data_requested` when a registry holds what it
  asks (the root cause of its being unnecessary), else `unnecessary_document`, carrying every reason
  (`reasons`), the registry's witness and both proposals;
- an `irrelevant_input` whose input the decision never reads on the date is folded into the date's
  `unused_in_period` finding (its `consequences` name it).

Across regulations (`fold_divergences`, after the dates are merged): a `diverging_definition` whose
two definitions each are or read one side of another diverging pair (the Utrecht and HDSR `means_allowance`
read their own `cost_of_living`, which differ: 100% against 90% of the norm) is a consequence of that
pair, folded into it — the root pair reports once, its `consequences` name the pairs that follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from eenvoud.analysis.context import Context
from eenvoud.analysis.findings import Finding
from eenvoud.analysis.slices import Dependencies
from eenvoud.ir.checked import CheckedRegulation

DOCUMENT_KINDS = ("registry_data_requested", "unnecessary_document")


def fold(ctx: Context, unused: Finding | None) -> list[Finding]:
    documents = {d.name for d in ctx.reg.documents}
    out: list[Finding] = []
    by_document: dict[str, list[Finding]] = {}
    for f in ctx.findings:
        if f.kind in DOCUMENT_KINDS and f.subject in documents:
            by_document.setdefault(f.subject, []).append(f)
            continue
        if unused is not None and f.kind == "irrelevant_input" and f.subject in unused.consequences:
            continue  # never read on this date: the unused_in_period finding says so, and why
        out.append(f)
    if unused is not None:
        out.append(unused)
    for group in by_document.values():
        out.append(merge_document(group))
    return out


def merge_document(group: list[Finding]) -> Finding:
    """The findings on one document as one, with every reason."""
    if len(group) == 1:
        return group[0]
    # the root cause first: the registry holds what the document asks (it is unnecessary because of that)
    main = next((f for f in group if f.kind == "registry_data_requested"), group[0])
    witness = next((f.witness for f in group if f.witness is not None), None)
    because: list[str] = []
    for f in group:
        because += [b for b in f.because if b not in because]
    reasons = tuple(f.message for f in group)
    proposals = [f.proposal for f in group if f.proposal]
    proposal = "; ".join(dict.fromkeys(proposals)) if proposals else None
    return replace(main, because=tuple(because), witness=witness, reasons=reasons, proposal=proposal)


Side = tuple[str, str]  # (the declaring file's regulation or module, the definition)


def _sides(f: Finding) -> tuple[Side, Side] | None:
    left, sep, right = f.subject.partition(" / ")
    a, b = left.rpartition("."), right.rpartition(".")
    if not sep or not a[1] or not b[1]:
        return None
    return (a[0], a[2]), (b[0], b[2])


def _scope(reg: CheckedRegulation) -> set[str]:
    """The names of the file and of every file it imports."""
    out: set[str] = set()
    todo = [reg]
    while todo:
        r = todo.pop()
        if r.name not in out:
            out.add(r.name)
            todo.extend(r.imports)
    return out


def fold_divergences(findings: list[Finding], regs: Mapping[str, CheckedRegulation]) -> list[Finding]:
    """Diverging definitions that follow from another diverging pair, folded into the root pair."""
    div = [f for f in findings if f.kind == "diverging_definition"]
    if len(div) < 2:
        return findings
    uses: dict[Side, set[str]] = {}

    def reads(side: Side, other: Side) -> bool:
        """`side` is `other`, or reads it."""
        if side == other:
            return True
        reg = regs.get(side[0])
        if reg is None or other[0] not in _scope(reg):
            return False
        if side not in uses:
            uses[side] = Dependencies(reg).uses(side[1])
        return other[1] in uses[side]

    sides = {id(f): _sides(f) for f in div}
    parent: dict[int, Finding] = {}
    for f in div:
        sf = sides[id(f)]
        if sf is None:
            continue
        for g in div:
            sg = sides[id(g)]
            if g is f or sg is None:
                continue
            (a, b), (c, d) = sf, sg
            if {a, b} == {c, d}:
                continue
            if (reads(a, c) and reads(b, d)) or (reads(a, d) and reads(b, c)):
                parent[id(f)] = g
                break

    def root(f: Finding) -> Finding:
        seen = {id(f)}
        while id(f) in parent and id(parent[id(f)]) not in seen:
            f = parent[id(f)]
            seen.add(id(f))
        return f

    folded: dict[int, list[str]] = {}
    for f in div:
        r = root(f)
        if r is not f:
            folded.setdefault(id(r), []).append(f.subject)
    out = []
    for f in findings:
        if f.kind == "diverging_definition" and root(f) is not f:
            continue
        if id(f) in folded:
            f = replace(f, consequences=(*f.consequences, *folded[id(f)]))
        out.append(f)
    return out
