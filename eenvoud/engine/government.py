"""One government: one case decided against several regulations at once (every regulation of a
library, or those a life event bundles), and the facts still missing across all of them, each
asked once. The API's `/eligibility` and `eenvoud eval EVENT` both decide here.

A fact is the same fact wherever an input of that name appears: that is what shared modules are
for. So the facts are one flat object; each regulation takes the inputs it declares. A field no
regulation in scope declares is an error (with the likely name), and so is a value that any
regulation holding that input rejects; each such error is reported once, all of them together.

A regulation with no parameter values yet on the reference date is not in force: the others still
decide, and the caller says what that means for it.

A fact can also be derived: an input of one regulation (the zorgtoeslag's `age`) that a file in
scope defines from other facts (module person: `age = years_between(birth_date, reference_date)`).
Given the facts it is derived from, it is derived for every regulation that asks it; given as well,
it must agree, or the case is refused naming both fields: one case is one person, never two.

The open questions are ordered by how much an answer settles across the regulations it can still
change, when the caller says so (`gains`: per regulation and question, the facts an answer settles
there on average, as one regulation's ranking has it, `eenvoud.analysis.questions.gains`): a
question that can change eligibility or an amount somewhere before one that can only change a
document, one that can change eligibility somewhere before one that can only change amounts, then
the most settled in all, then a question a registry can answer before one the
citizen must, then the order of the rules. Without `gains`, the one bearing on the most
regulations comes first; among equals, the one that decides the most regulations outright (it is
the last fact they need), then the one the most rules (requirements and amounts) wait for, then a
registry before the citizen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from eenvoud.diagnostics import RuleError, did_you_mean
from eenvoud.engine.decision import Decision, decide
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.facts import FactError, FactsError, parse_facts, parse_value
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in

# a regulation compiled for a date: the engine's cache, or the API's bounded one
Compile = Callable[[CheckedRegulation, date], Program]

NOT_AN_OBJECT = FactError("facts", "must be a JSON object of input names and values")


@dataclass(frozen=True)
class Outcome:
    """One regulation's part: its decision, or why it is not in force on the date."""

    regulation: CheckedRegulation
    decision: Decision | None
    not_in_force: RuleError | None = None
    facts: Mapping[str, Value] = field(default_factory=dict)  # the facts it was decided on


@dataclass
class Government:
    """The decisions, in the order of the regulations asked about; or, when the facts are not
    valid, no decision and every error in the facts (one per field and message)."""

    day: date
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[FactError] = field(default_factory=list)

    @property
    def decided(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.decision is not None]

    @property
    def not_in_force(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.not_in_force is not None]

    def raise_for_errors(self) -> None:
        if self.errors:
            raise FactsError(self.errors)


@dataclass(frozen=True)
class Derived:
    """An input that a file in scope defines from other facts: `name` = `definition.expr`, declared
    in `holder` (a module or regulation), read from the inputs `reads`."""

    name: str
    definition: n.Definition
    holder: CheckedRegulation
    reads: tuple[str, ...]

    @property
    def formula(self) -> str:
        return f"{self.name} = {printer.expr(self.definition.expr)}"

    @property
    def where(self) -> str:
        span = self.definition.span
        return f"{Path(self.holder.file.name).name}:{span.line}" if span else self.holder.name

    def disagreement(self) -> str:
        """What is wrong, quoting no value: for answers that must not repeat what was sent."""
        reads = ", ".join(f"`{r}`" for r in self.reads)
        return (f"`{self.name}` does not agree with {reads} on the reference date (`{self.formula}`, {self.where}): "
                f"one case is one person; send {reads} alone, or both from the same record")


@dataclass(frozen=True)
class Disagreement(FactError):
    """A derived fact given with a value its sources do not give; `safe`: the message without any
    value sent (for answers that must not repeat them)."""

    safe: str = ""


def derivations(regs: Sequence[CheckedRegulation]) -> dict[str, Derived]:
    """The derived facts of `regs`: every input of one of them that one of them (or a file it
    imports) defines, with the inputs that definition reads."""
    inputs = {i.name for reg in regs for i in reg.inputs}
    out: dict[str, Derived] = {}
    seen: set[int] = set()

    def visit(reg: CheckedRegulation) -> None:
        if id(reg) in seen:
            return
        seen.add(id(reg))
        for decl in reg.regulation.declarations:
            if isinstance(decl, n.Definition) and decl.name in inputs and decl.name not in out:
                out[decl.name] = Derived(decl.name, decl, reg, _reads(reg, decl.expr))
        for imported in reg.imports:
            visit(imported)

    for reg in regs:
        visit(reg)
    return out


def _reads(reg: CheckedRegulation, expr: n.Expr) -> tuple[str, ...]:
    """The inputs an expression reads, through the definitions it uses."""
    out: list[str] = []
    stack, seen = [expr], set()
    while stack:
        for name in names_in(stack.pop()):
            sym = reg.symbols.get(name)
            if sym is None or name in seen:
                continue
            seen.add(name)
            if sym.kind == "input":
                out.append(name)
            elif sym.kind == "definition" and isinstance(sym.decl, n.Definition):
                stack.append(sym.decl.expr)
            elif sym.kind == "bracket" and isinstance(sym.decl, n.Bracket):
                stack.append(sym.decl.key)
    return tuple(out)


def derive(facts: dict[str, dict[str, Value]], regs: Sequence[CheckedRegulation], raw: Mapping[str, object],
           day: date, program: Compile, derived: Mapping[str, Derived]) -> list[FactError]:
    """Each derived fact filled in for the regulations that ask it, when the facts it is derived
    from are given; a given value that disagrees is an error naming it and those facts."""
    errors: list[FactError] = []
    for name, d in derived.items():
        targets = [reg for reg in regs if name in reg.input_map]
        if not targets or not all(r in raw and raw[r] is not None for r in d.reads):
            continue
        try:
            source = parse_facts(d.holder, raw, allow_unknown=True)
            value = program(d.holder, day).name(name)(Env(source))
        except (FactsError, RuleError, EvaluationError):
            continue  # a fact it reads is not valid (reported elsewhere) or the rules cannot say
        if value is None:
            continue
        reads = ", ".join(f"`{r}`" for r in d.reads)
        given = [facts[reg.name][name] for reg in targets if name in facts.get(reg.name, {})]
        if given and any(g != value for g in given):
            message = (f"`{name}` does not agree with {reads}: on {day.isoformat()} {reads} gives `{name}` "
                       f"{_show(value)}, not {_show(given[0])} (`{d.formula}`, {d.where}); "
                       f"one case is one person: send {reads} alone, or both from the same record")
            safe = d.disagreement()
            errors.append(Disagreement(name, message, safe))
            errors.extend(Disagreement(r, message, safe) for r in d.reads)
            continue
        for reg in targets:
            if name in facts.get(reg.name, {}):
                continue
            try:
                facts.setdefault(reg.name, {})[name] = parse_value(reg.input_map[name].type, value)
            except ValueError as exc:
                errors.append(FactError(d.reads[0] if d.reads else name,
                                        f"gives `{name}` {_show(value)}, which `{reg.name}` does not accept: {exc}"))
    return errors


def contradictions(reg: CheckedRegulation, facts: Mapping[str, Value], raw: Mapping[str, object], day: date,
                   program: Compile, derived: Mapping[str, Derived]) -> list[Disagreement]:
    """One regulation decided alone (`POST /regulations/{id}/eligibility`, `eenvoud eval FILE`):
    the derived facts it is given that disagree with the facts they are derived from (`age` against
    `birth_date`), each naming both, as `derive` refuses them for one government. Nothing is filled
    in: the facts decided are the facts sent. `derived`: the library's (`derivations` over every
    file), since a regulation need not import the file that defines its derived fact."""
    errors = derive({reg.name: dict(facts)}, [reg], raw, day, program, derived)
    return [e for e in errors if isinstance(e, Disagreement)]


def _show(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def parse_for_all(raw: object, regs: Sequence[CheckedRegulation], known: Collection[str],
                  scope: str = "") -> tuple[dict[str, dict[str, Value]], list[FactError]]:
    """Each of `regs`' facts from one JSON object, and every error in it. `known`: the input names
    accepted (a field outside it is an error, said as "no regulation{scope} has an input")."""
    if not isinstance(raw, Mapping):
        return {}, [NOT_AN_OBJECT]
    errors: list[FactError] = []
    for key in raw:
        if key not in known:
            hint = did_you_mean(str(key), known)
            errors.append(FactError(str(key), f"no regulation{scope} has an input `{key}`"
                                    + (f"; {hint}" if hint else "")))
    out: dict[str, dict[str, Value]] = {}
    for reg in regs:
        try:
            out[reg.name] = parse_facts(reg, raw, allow_unknown=True)
        except FactsError as exc:
            errors.extend(e for e in exc.errors if e not in errors)
    return out, errors


def decide_all(regs: Sequence[CheckedRegulation], raw: object, day: date, program: Compile,
               known: Collection[str] | None = None, scope: str = "",
               settle: Callable[[CheckedRegulation, dict[str, Value], date], Decision] | None = None,
               derived: Mapping[str, Derived] | None = None) -> Government:
    """`raw` decided against each of `regs` on `day`, each compiled by `program`. `known`: the input
    names accepted in `raw` (default: those of `regs`); see `parse_for_all`. `settle`: how a layer
    above decides one regulation (the solver's decision for every open answer); by default the
    engine's three-valued decision. `derived`: the derived facts (default: those `regs` define)."""
    if known is None:
        known = {i.name for reg in regs for i in reg.inputs}
    facts, errors = parse_for_all(raw, regs, known, scope)
    if not errors and isinstance(raw, Mapping):
        errors = derive(facts, regs, raw, day, program, derivations(regs) if derived is None else derived)
    result = Government(day, errors=errors)
    if errors:
        return result
    for reg in regs:
        try:
            prog = program(reg, day)
        except RuleError as exc:
            result.outcomes.append(Outcome(reg, None, exc))
            continue
        decided = decide(prog, facts[reg.name]) if settle is None else settle(reg, facts[reg.name], day)
        result.outcomes.append(Outcome(reg, decided, facts=facts[reg.name]))
    return result


@dataclass
class OpenQuestion:
    """A fact still missing, asked once for every regulation that needs it."""

    input: str
    label: str | None
    registry: str | None
    order: int
    needed_by: list[dict[str, object]] = field(default_factory=list)
    rules: int = 0
    settles: int = 0
    judged: bool = False  # every regulation that reads it takes the registry's figure as evidence only
    gain: float = 0.0  # the facts an answer settles, summed over the regulations (with `gains`)
    decides: bool = False  # it can change eligibility or an amount of one of them (not only a document)
    eligibility: bool = False  # it can change whether one of them is eligible

    @property
    def ask_citizen(self) -> bool:
        return self.registry is None or self.judged

    def rank(self) -> tuple[int, int, int, bool, int]:
        return (-len(self.needed_by), -self.settles, -self.rules, self.ask_citizen, self.order)

    def settled_rank(self) -> tuple[bool, bool, float, bool, int]:
        return (not self.decides, not self.eligibility, -self.gain, self.ask_citizen, self.order)

    def to_json(self) -> dict[str, object]:
        return {"input": self.input, "label": self.label, "registry": self.registry,
                "ask_citizen": self.ask_citizen, "settles": self.settles, "needed_by": self.needed_by}


def open_questions(decisions: Sequence[Decision], derived: Mapping[str, Derived] | None = None,
                   gains: Mapping[tuple[str, str], float] | None = None) -> list[OpenQuestion]:
    """The questions of all `decisions` merged by input, the most useful first (see the module's
    docstring; `gains` by (regulation, input)). A question for a derived fact that follows from one
    other fact is asked as that fact (the zorgtoeslag's `age` as the BRP's `birth_date`): one
    answer serves every regulation. Each regulation it bears on is listed with what an answer can
    still change there (`can_change`, when the solver has shown it)."""
    merged: dict[str, OpenQuestion] = {}
    for d in decisions:
        asked: set[str] = set()
        for q in d.questions:
            name, label, registry = q.input, q.label, q.registry
            via = derived.get(q.input) if derived else None
            source = via.holder.input_map.get(via.reads[0]) if via is not None and len(via.reads) == 1 else None
            if source is not None:
                name, label, registry = source.name, source.label, source.registry
            asked.add(name)
            judged = q.judged if source is None else source.judged
            entry = merged.get(name)
            if entry is None:
                entry = merged[name] = OpenQuestion(name, label, registry, len(merged), judged=judged)
            elif registry is not None and (entry.registry is None or (entry.judged and not judged)):
                entry.registry, entry.judged = registry, judged  # one registry holding it is enough
            last = entry.needed_by[-1] if entry.needed_by else None
            changes = None if q.can_change is None else list(q.can_change)
            if last is not None and last["regulation"] == d.regulation:
                rules = last["rules"]
                assert isinstance(rules, list)
                rules.extend(r for r in q.needed_by if r not in rules)
                before = last["can_change"]
                if changes is None or before is None:
                    last["can_change"] = None
                else:
                    assert isinstance(before, list)
                    before.extend(c for c in changes if c not in before)
            else:
                entry.needed_by.append({"regulation": d.regulation, "rules": list(q.needed_by),
                                        "can_change": changes})
            entry.rules += len(q.needed_by)
            entry.decides |= changes is None or any(not c.startswith("document:") for c in changes)
            entry.eligibility |= changes is None or "eligible" in changes
            if gains is not None:
                entry.gain += gains.get((d.regulation, q.input), 0.0)
        if d.eligible is None and len(asked) == 1:
            merged[next(iter(asked))].settles += 1
    return sorted(merged.values(), key=OpenQuestion.rank if gains is None else OpenQuestion.settled_rank)
