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
"""

from __future__ import annotations

from dataclasses import replace

from eenvoud.analysis.context import Context
from eenvoud.analysis.findings import Finding

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
