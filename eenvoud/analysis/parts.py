"""A large regulation analysed in parts.

The requirements, amounts and documents of a regulation fall apart into groups that share nothing:
no input, parameter, bracket or definition (`slices` groups by inputs alone; a part keeps whole
what a parameter or definition ties, so that "never used" stays a question one part answers). Each
part is analysed as a regulation of its own, in its own worker process, and the reports are joined:

- A part's findings are the whole regulation's. Every analysis asks its question of a slice, with
  the other slices at the base case, where each of their requirements holds and nothing fails
  (`Context.slice_outcome`): the same question whether the other slices are in the same part or
  not. Only whether anyone qualifies at all is a question of the whole: a part that finds a
  contradiction, or cannot tell, sends the regulation back to be analysed whole.
- The parts hold every input, requirement, amount and document exactly once (`partition`), so
  that their base cases together are a base case of the whole. A part's witness is completed with
  the other parts' base cases and decided again by the engine on the whole regulation (the joined
  base case too, eligible); it must show what it showed on the part (eligibility, the failed
  requirements, the part's amounts and documents), or the regulation is analysed whole.
- The partition depends on the regulation alone, never on the number of workers, and each part
  starts from the same solver state (a fresh fork): the report, witnesses included, is the same
  whatever the number of cores.

A part is worth a worker from about `PART_STEPS` analysis steps on: below that the fork and the
second encoding cost more than they save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date

from eenvoud.analysis.context import decision_json
from eenvoud.analysis.findings import Finding, Witness
from eenvoud.analysis.slices import Groups
from eenvoud.analysis.variables import PERSON_DERIVATIONS
from eenvoud.engine.decision import decide, judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation, restricted
from eenvoud.ir.names import names_in

PART_STEPS = 600  # analysis steps (see analyze._steps) a part has at least


def split(reg: CheckedRegulation, steps: int) -> list[CheckedRegulation]:
    """`reg` in parts of at least `PART_STEPS` steps that share nothing, in file order; `[reg]`
    when it does not fall apart or is too small to be worth it. A regulation with properties is
    never split: a property may read every part."""
    count = steps // PART_STEPS
    if count < 2 or reg.properties:
        return [reg]
    groups = _groups(reg)
    if len(groups) < 2:
        return [reg]
    count = min(count, len(groups))
    total = sum(weight for _, weight in groups)
    parts: list[set[str]] = [set()]
    done = 0
    for names, weight in groups:
        # close a part once it holds its share; the last takes the rest
        if parts[-1] and len(parts) < count and done >= total * len(parts) / count:
            parts.append(set())
        parts[-1] |= names
        done += weight
    if len(parts) < 2:
        return [reg]
    return [restricted(reg, frozenset(names), f"part {k + 1} of {len(parts)}") for k, names in enumerate(parts)]


def _groups(reg: CheckedRegulation) -> list[tuple[set[str], int]]:
    """The declarations that read each other, directly or not, as groups (names) with their weight
    (their requirements count twice, as in the analyses), in the order of their first requirement
    (those without one last, in file order)."""
    together = Groups()
    find = together.find

    def join(x: str, names: Sequence[str]) -> None:
        for name in names:
            sym = reg.symbols.get(name)
            if sym is None or sym.kind == "builtin":
                continue  # `reference_date` is read by many and ties nothing
            together.join(x, name)

    def reads(*exprs: n.Expr | None) -> list[str]:
        return [name for e in exprs if e is not None for name in names_in(e)]

    order: list[tuple[str, int]] = []  # every declaration with its weight, in file order by kind
    for i in reg.inputs:
        order.append((i.name, 1))
    for p in reg.parameters:
        order.append((p.name, 0))
    for b in reg.brackets:
        order.append((b.name, 1))
        join(b.name, reads(b.key))
    for d in reg.definitions:
        order.append((d.name, 1))
        join(d.name, reads(d.expr))
    for r in reg.requirements:
        order.append((r.name, 2 + len(r.exemptions)))
        join(r.name, reads(r.condition, *(x.condition for x in r.exemptions)))
    for a in reg.amounts:
        order.append((a.name, 1))
        join(a.name, reads(a.expr))
    for doc in reg.documents:
        order.append((doc.name, 1))
        join(doc.name, reads(doc.required_when) + list(doc.provides))
    names = {name for name, _ in order}
    for derived, source in PERSON_DERIVATIONS:  # `age` follows from `birth_date`: one question
        if derived in names and source in names:
            join(derived, [source])
    first = {r.name: k for k, r in enumerate(reg.requirements)}
    groups: dict[str, tuple[set[str], int, tuple[int, int]]] = {}
    for k, (name, weight) in enumerate(order):
        root = find(name)
        got, total, key = groups.get(root, (set(), 0, (1, k)))
        got.add(name)
        if name in first:
            key = min(key, (0, first[name]))
        groups[root] = (got, total + weight, key)
    return [(got, weight) for got, weight, _ in sorted(groups.values(), key=lambda g: g[2])]


def partition(reg: CheckedRegulation, parts: Sequence[CheckedRegulation]) -> bool:
    """The parts hold every input, requirement, amount and document of `reg` exactly once (what
    makes the parts' base cases together a base case of the whole: each requirement is met on its
    part's inputs, which no other part reads)."""
    def names(kind: str, of: CheckedRegulation) -> list[str]:
        return [x.name for x in getattr(of, kind)]

    return all(sorted(x for p in parts for x in names(kind, p)) == sorted(names(kind, reg))
               for kind in ("inputs", "requirements", "amounts", "documents"))


def complete_witness(finding: Finding, reg: CheckedRegulation, part: CheckedRegulation,
                     bases: Mapping[date, Mapping[str, Value]], programs: dict[date, Program]) -> Finding | None:
    """A part's finding with its witness made a case of the whole regulation (the other parts'
    inputs as in their base cases) and decided again by the engine on the whole: None when the
    whole does not show what the part showed."""
    w = finding.witness
    if w is None:
        return finding
    if w.date not in bases or any(i.name not in w.facts for i in part.inputs):
        return None  # not a complete case of the part on a date analysed: not one to complete here
    facts = {**bases[w.date], **w.facts}
    facts = {i.name: facts[i.name] for i in reg.inputs}  # in the order the inputs are declared
    prog = _program(reg, w.date, programs)
    decision = decision_json(decide(prog, dict(facts)))
    if not _shows(w.decision, decision, part):
        return None
    after = None
    if w.changed is not None:
        after = decision_json(decide(prog, {**facts, **w.changed}))
        if w.decision_after is None or not _shows(w.decision_after, after, part):
            return None
    return replace(finding, witness=Witness(w.date, dict(facts), decision, w.changed, after, w.note))


def base_holds(reg: CheckedRegulation, day: date, base: Mapping[str, Value], programs: dict[date, Program]) -> bool:
    """The parts' base cases together (a complete case): eligible for the whole regulation,
    nothing failing."""
    got = judge(_program(reg, day, programs), Env(dict(base)), full=False)
    return got.error is None and got.eligible is True


def _program(reg: CheckedRegulation, day: date, programs: dict[date, Program]) -> Program:
    """The whole regulation's engine program on `day`, compiled once per join (some 50 ms at
    1,000 requirements), and only when a witness needs it."""
    got = programs.get(day)
    if got is None:
        got = programs[day] = Program(reg, day)
    return got


def _shows(part: Mapping[str, object], whole: Mapping[str, object], reg: CheckedRegulation) -> bool:
    """The whole regulation's decision shows what the part's did: the same eligibility and error,
    the same failed requirements, and the part's amounts and documents alike."""
    amounts, whole_amounts = part.get("amounts"), whole.get("amounts")
    documents = {d.name for d in reg.documents}
    whole_docs = whole.get("documents")
    assert isinstance(amounts, dict) and isinstance(whole_amounts, dict) and isinstance(whole_docs, list)
    return (part.get("eligible") == whole.get("eligible") and part.get("error") == whole.get("error")
            and part.get("failed") == whole.get("failed")
            and all(whole_amounts.get(k) == x for k, x in amounts.items())
            and part.get("documents") == [d for d in whole_docs if d in documents])
