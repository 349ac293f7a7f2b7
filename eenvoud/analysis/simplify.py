"""`eenvoud simplify`: a regulation without its redundant requirements, irrelevant inputs and
unnecessary documents, written only after Z3 proves that it decides every case as the original.

What is removed is what the analyses prove removable at every analysis date (a requirement
redundant in 2025 but needed in 2024 stays). An irrelevant input that some remaining rule still
reads stays too: removing it would leave a name without a declaration. Definitions that only the
removed parts read go with them, and so do the facts of removed inputs in documents and tests.

The proof: with both versions encoded over the same inputs (the encodings share their variables
by name), `domain ∧ outcome ≠ outcome'` with errors as outcomes (`encode.outcomes_differ`)
is unsat on every analysis date iff the simplified text decides every complete case exactly as the
original (and fails on exactly the same cases). The drafter's own tests must still pass as well,
since they may also speak of cases with facts missing. Otherwise simplify refuses and says why.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import z3

from eenvoud.analysis import documents as documents_
from eenvoud.analysis import inputs as inputs_
from eenvoud.analysis import requirements as requirements_
from eenvoud.analysis.context import Context, Disagreement
from eenvoud.analysis.encode import NoValue, encode, negate, outcomes_differ
from eenvoud.analysis.on_date import analysis_dates, context_at
from eenvoud.analysis.prover import Budget, Proved, Prover, Refuted, Stats
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import Loader
from eenvoud.dsl.parser import Comment, parse
from eenvoud.engine.runner import run_tests
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in
from eenvoud.source import SourceFile


@dataclass
class Simplified:
    text: str | None  # the simplified rule text; None when simplify refuses
    removed: list[str] = field(default_factory=list)  # what went, in words
    kept: list[str] = field(default_factory=list)  # what was found removable but had to stay, and why
    note: str = ""
    proved: bool = False
    regulation: CheckedRegulation | None = None  # the simplified regulation, checked


def simplify(reg: CheckedRegulation, budget: Budget | None = None, day: date | None = None,
             stats: Stats | None = None, analysed: list[Context] | None = None) -> Simplified:
    """`analysed`: contexts on which every analysis already ran (as `eenvoud analyze` has them),
    so that nothing is proved twice."""
    budget = budget or Budget()
    stats = stats or Stats()
    contexts: list[Context] = list(analysed or [])
    if analysed is None:
        for d in analysis_dates(reg, day):
            ctx = context_at(reg, d, budget, stats)
            if isinstance(ctx, Context):
                try:
                    requirements_.contradictions(ctx)
                    if not ctx.contradiction:
                        requirements_.redundant(ctx)
                        inputs_.irrelevant(ctx)
                        documents_.documents(ctx)
                except Disagreement as exc:
                    return Simplified(None, note=f"the encoding and the engine disagree on {d.isoformat()}, so "
                                      f"nothing is proved: {exc}")
                contexts.append(ctx)
    if not contexts:
        return Simplified(None, note="there is no date on which the regulation can be analyzed")
    redundant: set[str] | None = None
    irrelevant: set[str] | None = None
    unneeded: set[str] | None = None
    for ctx in contexts:
        if ctx.consistency_unknown:
            return Simplified(None, note=f"Z3 could not tell within its time limit whether anyone qualifies on "
                              f"{ctx.day.isoformat()}")
        if ctx.contradiction:
            return Simplified(None, note="its requirements contradict each other: nobody qualifies, so there is "
                              "nothing to simplify until that is fixed")
        here_irrelevant = {f.subject for f in ctx.findings if f.kind == "irrelevant_input"}
        here_docs = {f.subject for f in ctx.findings if f.kind == "unnecessary_document"}
        redundant = set(ctx.redundant) if redundant is None else redundant & set(ctx.redundant)
        irrelevant = here_irrelevant if irrelevant is None else irrelevant & here_irrelevant
        unneeded = here_docs if unneeded is None else unneeded & here_docs
    assert redundant is not None and irrelevant is not None and unneeded is not None
    own_inputs = {i.name for i in reg.regulation.declarations if isinstance(i, n.Input)}
    units = ([("requirement", r) for r in sorted(redundant)] + [("document", d) for d in sorted(unneeded)]
             + [("input", x) for x in sorted(irrelevant & own_inputs)])
    if not units:
        return Simplified(reg.file.text, note="nothing to simplify: no requirement, input or document can go",
                          proved=True, regulation=reg)
    attempt = _attempt(reg, units, contexts, budget, stats)
    if attempt.proved or len(units) == 1:
        return attempt
    # Removing everything at once changed some decision (a redundant requirement that read a
    # bracket with a gap makes the engine fail where the simplified text would decide): keep the
    # requirements and documents that can go together, one at a time, then the inputs at once.
    chosen: list[tuple[str, str]] = []
    kept: list[str] = []
    for unit in (u for u in units if u[0] != "input"):
        trial = _attempt(reg, [*chosen, unit], contexts, budget, stats)
        if trial.proved:
            chosen.append(unit)
        else:
            kept.append(f"{unit[0]} `{unit[1]}`: {trial.note}")
    inputs = [u for u in units if u[0] == "input"]
    final = _attempt(reg, chosen + inputs, contexts, budget, stats) if inputs else None
    if final is None or not final.proved:
        kept += [f"input `{x}`: removing it changed a decision" for _, x in inputs] if final else []
        if not chosen:
            attempt.note = "nothing can be removed without changing a decision: " + attempt.note
            return attempt
        final = _attempt(reg, chosen, contexts, budget, stats)
    final.kept += kept
    return final


def _attempt(reg: CheckedRegulation, units: list[tuple[str, str]], contexts: list[Context], budget: Budget,
             stats: Stats) -> Simplified:
    result = Simplified(None)
    new = _rewrite(reg, {u for k, u in units if k == "requirement"}, {u for k, u in units if k == "input"},
                   {u for k, u in units if k == "document"}, result)
    if not result.removed:
        return Simplified(reg.file.text, note="nothing to simplify", proved=True, regulation=reg)
    text = printer.regulation(new, _kept_comments(reg, new))
    try:
        path = Path(reg.file.name)
        simplified = Loader().load_source(SourceFile.from_text(reg.file.name, text), path.resolve())
    except RuleError as exc:
        result.note = "the simplified text does not check: " + "; ".join(d.message for d in exc.diagnostics)
        return result
    for ctx in contexts:
        why = _equivalent(reg, simplified, ctx.day, budget, stats)
        if why is not None:
            result.note = why
            return result
    before = {t.test.name for t in run_tests(reg) if t.passed}
    broken = [t for t in run_tests(simplified) if t.test.name in before and not t.passed]
    if broken:
        result.note = "the drafter's tests would no longer pass: " + "; ".join(
            f"\"{t.test.name}\": {t.failures[0]}" for t in broken)
        return result
    result.text = text
    result.proved = True
    result.regulation = simplified
    result.note = (f"proved by Z3 on {', '.join(c.day.isoformat() for c in contexts)}: the same eligibility and "
                   "the same amounts for every case")
    return result


def _rewrite(reg: CheckedRegulation, redundant: set[str], irrelevant: set[str], unneeded: set[str],
             result: Simplified) -> n.Regulation:
    items = list(reg.regulation.items)
    items = [i for i in items if not (isinstance(i, n.Requirement) and i.name in redundant)]
    items = [i for i in items if not (isinstance(i, n.Document) and i.name in unneeded)]
    result.removed += [f"requirement `{r}` (redundant)" for r in sorted(redundant)]
    result.removed += [f"document `{d}` (unnecessary)" for d in sorted(unneeded)]
    # definitions that only the removed parts read go with them
    while True:
        read = _read(items)
        before = {i.name for i in items if isinstance(i, n.Definition)}
        items = [i for i in items if not (isinstance(i, n.Definition) and i.name not in read
                                          and _was_read(reg, i.name))]
        gone = before - {i.name for i in items if isinstance(i, n.Definition)}
        result.removed += [f"definition `{d}` (read only by what was removed)" for d in sorted(gone)]
        if not gone:
            break
    read = _read(items)
    removable = {x for x in irrelevant if x not in read}
    for x in sorted(irrelevant - removable):
        result.kept.append(f"input `{x}` is irrelevant but a remaining rule still reads it")
    result.removed += [f"input `{x}` (irrelevant)" for x in sorted(removable)]
    out: list[n.Item] = []
    for item in items:
        match item:
            case n.Input() if item.name in removable:
                continue
            case n.Document():
                provides = tuple(p for p in item.provides if p not in removable)
                if not provides:
                    result.removed.append(f"document `{item.name}` (it only provided removed inputs)")
                    continue
                out.append(n.Document(item.name, item.label, provides, item.required_when, span=item.span))
            case n.Test():
                given = tuple(g for g in item.given if g.name not in removable)
                expects: list[n.Expectation] = []
                for e in item.expects:
                    if isinstance(e, n.ExpectMissing):
                        names = tuple(x for x in e.names if x not in removable)
                        if names:
                            expects.append(n.ExpectMissing(names, span=e.span))
                    else:
                        expects.append(e)
                if expects:
                    out.append(n.Test(item.name, item.on, given, tuple(expects), item.source, span=item.span))
            case _:
                out.append(item)
    r = reg.regulation
    return n.Regulation(r.kind, r.name, r.title, r.agency, r.source, tuple(out), span=r.span)


def _was_read(reg: CheckedRegulation, name: str) -> bool:
    return name in _read(list(reg.regulation.items))


def _read(items: list[n.Item]) -> set[str]:
    """Every name the items read (definitions read through each other)."""
    exprs: list[n.Expr] = []
    defs: dict[str, n.Expr] = {}
    for i in items:
        match i:
            case n.Requirement():
                exprs += [i.condition, *(x.condition for x in i.exemptions)]
            case n.Amount():
                exprs.append(i.expr)
            case n.Document():
                if i.required_when is not None:
                    exprs.append(i.required_when)
            case n.Property():
                exprs.append(i.expr)
            case n.Bracket():
                exprs.append(i.key)
            case n.Definition():
                defs[i.name] = i.expr
            case n.Test():
                exprs += [n.Name(e.name) for e in i.expects if isinstance(e, n.ExpectValue)]
            case _:
                pass
    seen: set[str] = set()
    todo = [name for e in exprs for name in names_in(e)]
    while todo:
        x = todo.pop()
        if x in seen:
            continue
        seen.add(x)
        if x in defs:
            todo += names_in(defs[x])
    return seen


def _kept_comments(reg: CheckedRegulation, new: n.Regulation) -> list[Comment]:
    """The file's comments, but not those inside or right above an item that was removed."""
    parsed = parse(reg.file)
    kept_ids = {id(i) for i in new.items}
    dropped: set[int] = set()
    for item in reg.regulation.items:
        if id(item) in kept_ids or item.span is None:
            continue
        if any(_same_item(item, k) for k in new.items):
            continue
        dropped.update(range(item.span.line, item.span.end_line + 1))
        line = item.span.line - 1
        while line >= 1 and reg.file.line(line).strip().startswith("#"):
            dropped.add(line)
            line -= 1
    return [c for c in parsed.comments if c.line not in dropped]


def _same_item(a: n.Item, b: n.Item) -> bool:
    return type(a) is type(b) and getattr(a, "name", None) == getattr(b, "name", None)


def _equivalent(a: CheckedRegulation, b: CheckedRegulation, day: date, budget: Budget, stats: Stats) -> str | None:
    """None when `b` decides every case as `a` on `day`; otherwise why not."""
    try:
        ea, eb = encode(a, day), encode(b, day)
    except NoValue as exc:
        return str(exc)
    for name, var in eb.inputs.items():
        if name not in ea.inputs or not all(z3.eq(a, b) for a, b in zip(var.consts, ea.inputs[name].consts, strict=True)):
            return f"the input `{name}` changed its type"
    missing = [x for x in ea.paid if x not in eb.paid]
    if missing:
        return "the amount `" + missing[0] + "` would disappear"
    # errors are outcomes: the simplified text must fail to evaluate exactly where the original
    # does (a removed requirement that kept cases away from a bracket gap changes that)
    amounts = list(ea.amounts)
    diff = outcomes_differ(ea.outcome(amounts=amounts), eb.outcome(amounts=amounts), documents=False)
    prover = Prover(ea.inputs, [], budget, stats)
    for ax in ea.axioms.values():
        prover.name(ax.name, ax.formula)
    answer = prover.check(list(ea.axioms), [diff])
    match answer:
        case Proved():
            return None
        case Refuted():
            return f"on {day.isoformat()} the simplified text would decide this case differently: {answer.case}"
        case _:
            return f"Z3 could not prove on {day.isoformat()} that both decide every case alike ({answer.reason})"


__all__ = ["Simplified", "simplify", "negate"]


def relocate_imports(text: str, source: Path, target: Path) -> str:
    """`text`, written beside `source`, with its relative imports rewritten to be read from beside
    `target` (`simplify -o elsewhere/x.rules`), so that the new file finds what the original
    imported. Absolute imports, and a text in the same folder, stay as they are."""
    here, there = source.resolve().parent, target.resolve().parent
    if here == there:
        return text
    parsed = parse(SourceFile.from_text(str(target), text))
    items: list[n.Item] = []
    for item in parsed.regulation.items:
        if isinstance(item, n.Import) and not Path(item.path).is_absolute():
            moved = Path(os.path.relpath(here / item.path, there)).as_posix()
            item = dataclasses.replace(item, path=moved)
        items.append(item)
    return printer.regulation(dataclasses.replace(parsed.regulation, items=tuple(items)), parsed.comments)
