"""Diverging definitions across regulations (issue 13, part 3): two definitions that describe the
same concept, declared in different files, and whether they agree.

Pairs. A definition declared in one file and one declared in another are a pair when they have the
same type and either the same name or similar labels (at least half of the words of the shorter
label, of four letters or more, occur in the other), read at least one input in common, and read
only inputs declared in shared modules: a definition that reads an input of its own regulation
(the municipality's own tax assessment) is about that regulation's own subject, not a shared concept.

Agreement. Pairs are first chosen from the rules alone; only the files and definitions of a pair are
then encoded, once each. With both files encoded on the date (`encode`; the encodings share their inputs by
name), `domain ∧ defined ∧ defined' ∧ value ≠ value'` is unsat iff they agree on every case. When
it is sat, the regions where they differ are described as `eenvoud diff` describes them (all-SAT
over the atoms of both definitions, each cube generalised), with a witness whose two values the
engine computes again: a witness the engine does not confirm is reported as unknown, never as a
finding.

Readable. The witness is the simplest differing case the solver finds under the rlimit (each money
input €0 or whole hundreds of euros, as few of them as can be, dates from 1900, counts up to 10;
then each input as small as can be, in the order of the names, a birth year near 1980: the same case
whatever the solver met before: each objective found by bisection with plain queries, not by
z3.Optimize, whose search on rounded amounts hung on the solver's history); otherwise any. The atoms are the definitions' conditions, their Boolean inputs and, for each money input that cannot be
negative, whether it is there (`wages > €0.00`): two definitions of an income differ in what they
count. When the witness's cube differs in every case, literals are dropped while that stays true
(an exact region); otherwise the region is generalised as `eenvoud diff` does and marked "(in some
cases)".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import z3

from eenvoud.analysis.context import span_text
from eenvoud.analysis.diff import Atom, _leaves, _negated_text, drop_implied, lit_term
from eenvoud.analysis.encode import Encoding, NoValue, encode
from eenvoud.analysis.findings import Finding, Undecided, Witness, facts_json
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.terms import conjunction, negate, same_sort
from eenvoud.engine import values as v
from eenvoud.engine.decision import default_engine
from eenvoud.engine.evaluate import Env
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

KIND = "diverging_definition"
REGIONS = 4


@dataclass
class _Decl:
    reg: CheckedRegulation  # the file that declares it
    defn: n.Definition
    enc: Encoding
    inputs: frozenset[str]

    @property
    def where(self) -> str:
        return f"{self.reg.name}.{self.defn.name}"


_STOP = {"heeft", "onder", "voor", "zonder", "incl", "maand", "jaar", "wordt", "naar", "deze", "niet", "zijn",
         "worden", "bedrag"}


def _words(label: str | None) -> set[str]:
    text = re.sub(r"\([^)]*\)", " ", (label or "").lower())  # article references say where, not what
    return {w for w in re.findall(r"[a-zà-ÿ0-9]+", text) if len(w) >= 4 and w not in _STOP}


def _similar(a: n.Definition, b: n.Definition) -> bool:
    if a.name == b.name:
        return True
    wa, wb = _words(a.label), _words(b.label)
    shared = len(wa & wb)
    return shared >= 2 and shared * 2 >= min(len(wa), len(wb))


def _reads(reg: CheckedRegulation, e: n.Expr, name: str) -> bool:
    """Whether `e` reads the definition `name`, directly or through other definitions."""
    defs = {d.name: d.expr for d in reg.definitions}
    todo, seen = [e], set()
    while todo:
        x = todo.pop()
        match x:
            case n.Name():
                if x.name == name:
                    return True
                if x.name in defs and x.name not in seen:
                    seen.add(x.name)
                    todo.append(defs[x.name])
            case n.Unary():
                todo.append(x.operand)
            case n.Binary():
                todo += [x.left, x.right]
            case n.InSet():
                todo += [x.operand, *x.options]
            case n.If():
                todo += [x.cond, x.then, x.else_]
            case n.Call():
                todo += list(x.args)
            case _:
                pass
    return False


def _declared_here(reg: CheckedRegulation, name: str) -> bool:
    origin = reg.symbols[name].origin
    return Path(origin).resolve() == Path(reg.file.name).resolve()


def _inputs_of(enc: Encoding, term: z3.ExprRef) -> frozenset[str]:
    """The inputs whose constants occur in `term`: a walk over the term's shared nodes through Z3's
    C API by node ids (wrapping each node in Python, or printing each constant to compare names,
    cost more than the rest of the divergence)."""
    names = {c.get_id(): name for name, var in enc.inputs.items() for c in var.consts}
    ctx = term.ctx.ref()
    out: set[str] = set()
    todo, seen = [term.as_ast()], set()
    while todo:
        x = todo.pop()
        key = z3.Z3_get_ast_id(ctx, x)
        if key in seen:
            continue
        seen.add(key)
        name = names.get(key)
        if name is not None:
            out.add(name)
        elif z3.Z3_get_ast_kind(ctx, x) == z3.Z3_APP_AST:
            app = z3.Z3_to_app(ctx, x)
            todo.extend(z3.Z3_get_app_arg(ctx, app, k) for k in range(z3.Z3_get_app_num_args(ctx, app)))
    return frozenset(out)


def _declarations(files: Sequence[CheckedRegulation]) -> list[tuple[CheckedRegulation, n.Definition]]:
    """The definitions that may describe a shared concept, from the rules alone (nothing encoded):
    each file once, its own definitions that are not dates."""
    out: list[tuple[CheckedRegulation, n.Definition]] = []
    seen: set[str] = set()
    for reg in files:
        if reg.is_event():
            continue
        key = str(Path(reg.file.name).resolve())
        if key in seen:
            continue
        seen.add(key)
        for d in reg.definitions:
            if _declared_here(reg, d.name) and not isinstance(t.strip_domain(reg.symbols[d.name].type), t.DateType):
                out.append((reg, d))
    return out


class _Encoded:
    """The files and definitions of the candidate pairs encoded on the date, each once and only when
    a pair needs it: encoding the whole library cost more than comparing its few pairs."""

    def __init__(self, day: date) -> None:
        self.day = day
        self.encs: dict[int, Encoding | None] = {}
        self.decls: dict[tuple[int, str], _Decl | None] = {}

    def decl(self, reg: CheckedRegulation, d: n.Definition) -> _Decl | None:
        key = (id(reg), d.name)
        if key not in self.decls:
            if id(reg) not in self.encs:
                try:
                    self.encs[id(reg)] = encode(reg, self.day)
                except NoValue:
                    self.encs[id(reg)] = None
            enc = self.encs[id(reg)]
            got: _Decl | None = None
            if enc is not None:
                try:
                    got = _Decl(reg, d, enc, _inputs_of(enc, enc.term(d.expr)))
                except NoValue:
                    pass
            self.decls[key] = got
        return self.decls[key]


def _module_inputs(files: Sequence[CheckedRegulation]) -> set[str]:
    return {i.name for reg in files if not reg.is_regulation() and not reg.is_event()
            for i in reg.regulation.items if isinstance(i, n.Input)}


def diverging_definitions(files: Sequence[CheckedRegulation], day: date, budget: Budget | None = None
                          ) -> tuple[list[Finding], list[Undecided]]:
    budget = budget or Budget()
    decls = _declarations(files)
    encoded = _Encoded(day)
    shared_inputs = _module_inputs(files)
    findings: list[Finding] = []
    unknown: list[Undecided] = []
    for i, (ra, da) in enumerate(decls):
        for rb, db in decls[i + 1:]:
            # what the rules say first (same file, names and labels, types); the encoding only then
            if ra is rb or not _similar(da, db):
                continue
            if t.kind(t.strip_domain(ra.symbols[da.name].type)) != t.kind(t.strip_domain(rb.symbols[db.name].type)):
                continue
            a, b = encoded.decl(ra, da), encoded.decl(rb, db)
            if a is None or b is None:
                continue
            if not (a.inputs & b.inputs) or not (a.inputs | b.inputs) <= shared_inputs:
                continue
            # one built from the other (a total from its part) is not a second definition of it
            if _reads(b.reg, b.defn.expr, a.defn.name) or _reads(a.reg, a.defn.expr, b.defn.name):
                continue
            got = _compare(a, b, day, budget)
            if isinstance(got, Finding):
                findings.append(got)
            elif isinstance(got, Undecided):
                unknown.append(got)
    # the differences that touch most of the shared inputs first
    findings.sort(key=lambda f: (-len(f.because), f.subject))
    return findings, unknown


def _value(decl: _Decl, facts: dict[str, Value], day: date) -> object:
    prog = default_engine().program(decl.reg, day)
    own = {k: x for k, x in facts.items() if k in decl.reg.input_map}
    with v.localcontext_exact():
        return prog.name(decl.defn.name)(Env(own))


def _compare(a: _Decl, b: _Decl, day: date, budget: Budget) -> Finding | Undecided | None:
    ta, tb = same_sort(a.enc.term(a.defn.expr), b.enc.term(b.defn.expr))
    defined = [negate(a.enc.failure(a.defn.expr)), negate(b.enc.failure(b.defn.expr))]
    differ = conjunction([*defined, ta != tb])
    domain = [ax.formula for enc in (a.enc, b.enc) for ax in enc.axioms.values()
              if ax.input in a.inputs | b.inputs]
    subject = f"{a.where} / {b.where}"
    s = z3.Solver()
    s.set("rlimit", budget.rlimit)
    s.set("timeout", budget.timeout_ms)
    s.add(*domain)
    same = z3.Solver()
    same.set("rlimit", budget.rlimit)
    same.set("timeout", budget.timeout_ms)
    same.add(*domain, negate(differ))
    agree = z3.Solver()  # cases both define and give the same value
    agree.set("rlimit", budget.rlimit)
    agree.set("timeout", budget.timeout_ms)
    agree.add(*domain, *defined, ta == tb)
    atoms = _atoms(a, b)
    money = [x for x in _money_atoms(a, b) if all(not z3.eq(x.term, y.term) for y in atoms)]
    is_money = {id(x) for x in money}
    readable = _readable(a, b)
    order = _order(a, b)
    bounded = _bounded(a, b)
    regions: list[str] = []
    witness: dict[str, Value] | None = None
    values: tuple[object, object] | None = None
    blocked: list[z3.BoolRef] = []

    for _ in range(REGIONS):
        model = _simple_case(s, differ, blocked, readable, [x.term for x in money], order, bounded, budget)
        if model is None and readable and s.check(differ, *blocked, *readable) == z3.sat:
            model = s.model()
        if model is None:
            got = s.check(differ, *blocked)
            if got == z3.unsat:
                break
            if got != z3.sat:
                if not regions:
                    return Undecided(KIND, a.reg.name, subject, span_text(a.defn),
                                     f"the solver ran out of its time limit ({budget.seconds:g} s)", day=day)
                break
            model = s.model()
        lits = [(x, z3.is_true(model.eval(x.term, model_completion=True))) for x in [*money, *atoms]]
        if money and agree.check(*[lit_term(x) for x in lits]) == z3.unsat:
            # the case's cube, amounts there or not, differs throughout: keep it so, dropping
            # what it does not need (the absent amounts first)
            kept = list(lits)
            for lit in sorted(lits, key=lambda x: (id(x[0]) not in is_money or x[1], x[0].text)):
                trial = [lit_term(x) for x in kept if x is not lit]
                if agree.check(*trial) == z3.unsat:
                    kept = [x for x in kept if x is not lit]
            every = True
        else:  # where the differing cases lie: the rules' own conditions
            lits = [x for x in lits if id(x[0]) not in is_money]
            kept = drop_implied(lits, same.check)
            every = agree.check(*[lit_term(x) for x in kept]) == z3.unsat
        # the next region in another combination of the rules' conditions where there is one, so that
        # the few regions shown tell different differences apart (the partner, then gross against net)
        block = [x for x in kept if id(x[0]) not in is_money] if every else kept
        blocked.append(negate(conjunction([lit_term(x) for x in block or kept])))
        text = " and ".join(x.text if pos else x.negated for x, pos in kept) or "every case"
        # exact: they differ in every case of the region; otherwise it is where such cases lie
        regions.append(text if every else f"{text} (in some cases)")
        if witness is None:
            facts = {**{k: var.decode(model) for k, var in a.enc.inputs.items() if k in a.inputs | b.inputs},
                     **{k: var.decode(model) for k, var in b.enc.inputs.items() if k in a.inputs | b.inputs}}
            try:
                va, vb = _value(a, facts, day), _value(b, facts, day)
            except EvaluationError as exc:
                return Undecided(KIND, a.reg.name, subject, span_text(a.defn),
                                 f"the engine cannot evaluate the witness: {exc}", day=day)
            if va == vb:
                return Undecided(KIND, a.reg.name, subject, span_text(a.defn),
                                 "the encoding and the engine disagree on the witness", day=day)
            witness, values = facts, (va, vb)
    if witness is None or values is None:
        return None  # they agree on every case: nothing to report
    show = {**facts_json({k: x for k, x in witness.items() if k in a.reg.input_map}, a.reg),
            **facts_json({k: x for k, x in witness.items() if k in b.reg.input_map}, b.reg)}
    case = ", ".join(f"{k} = {x}" for k, x in show.items())
    ma = a.reg.symbols[a.defn.name].type
    mb = b.reg.symbols[b.defn.name].type

    def shown(x: object, typ: t.Type) -> object:
        return v.to_json(x, isinstance(t.strip_domain(typ), t.MoneyType))  # type: ignore[arg-type]

    message = (f"`{a.defn.name}` of {a.reg.name} (\"{a.defn.label}\") and `{b.defn.name}` of {b.reg.name} "
               f"(\"{b.defn.label}\") describe the same concept but differ: for {case} the first is "
               f"{shown(values[0], ma)} and the second {shown(values[1], mb)}. They differ where "
               + "; or where ".join(regions))
    decision: dict[str, object] = {"values": {a.where: shown(values[0], ma), b.where: shown(values[1], mb)},
                                   "regions": regions}
    return Finding(KIND, a.reg.name, subject, span_text(a.defn), None,
                   tuple(sorted(a.inputs | b.inputs)), Witness(day, witness, decision), message, day=day,
                   proposal=f"align `{b.defn.name}` with `{a.defn.name}` (or declare why they differ)")


def _simple_case(s: z3.Solver, differ: z3.BoolRef, blocked: list[z3.BoolRef], readable: list[z3.BoolRef],
                 present: list[z3.BoolRef], order: list[z3.ArithRef], bounded: set[int], budget: Budget
                 ) -> z3.ModelRef | None:
    """A differing case a reader follows: readable amounts, and as few of them as can be (an
    amount that is there only where it makes the difference); then each input as small as can be,
    in the order of their names, so that the case is one and the same whatever the solver met
    before (a witness must not depend on what else was analysed in the run). None when there is
    none such or the solver cannot say within its limit (the caller then takes any case)."""
    if not readable:
        return None
    # Each objective in turn, smallest first, by plain queries on one solver (bisection between a
    # bound and the value of the last model), then held there (an assumption): the same lexicographic least case as
    # z3.Optimize with "lex" priority, but a few cheap queries each where Optimize's search on the
    # rounded amounts of the kwijtschelding ran seconds and, depending on what the solver had met,
    # past its limit. The objectives are whole numbers not below 0 on the readable cases.
    lex = z3.Solver()
    lex.set("rlimit", budget.rlimit * 4)  # the first case the hardest: as much as Optimize had
    lex.set("timeout", budget.timeout_ms * 4)  # a backstop only
    lex.add(*s.assertions())
    # as assumptions, as the caller asks for any case: asserted, the first query ran past 4 rlimits
    # after some histories (the tests' libraries first) where this one took a fraction of one
    held: list[z3.BoolRef] = [differ, *blocked, *readable]
    if lex.check(*held) != z3.sat:
        return None
    model = lex.model()
    lex.set("rlimit", budget.rlimit)  # then each bound
    lex.set("timeout", budget.timeout_ms)
    # all the queries together within what Optimize had (4 rlimits; deterministic): past it the
    # case found so far, differing and readable, only not the least
    start = _spent(lex)
    objectives = [z3.Sum([z3.If(p, 1, 0) for p in present]) if present else z3.IntVal(0), *order]
    for x in objectives:
        if x.sort() != z3.IntSort():
            return None
        if z3.is_int_value(x):
            continue
        best = model.eval(x, model_completion=True).as_long()
        # 0 bounds the sums and distances built here and the amounts and counts of a readable case;
        # any other input's own value is checked
        if best < 0 or (z3.is_const(x) and x.get_id() not in bounded and lex.check(*held, x < 0) != z3.unsat):
            return None
        lo, mid = 0, 0  # the bound itself first: mostly the least value is 0
        while lo < best:
            if _spent(lex) - start > 4 * budget.rlimit:
                return model
            got = lex.check(*held, x <= mid)
            if got == z3.sat:
                model = lex.model()
                best = model.eval(x, model_completion=True).as_long()
            elif got == z3.unsat:
                lo = mid + 1
            else:
                return None
            mid = (lo + best - 1) // 2
        held.append(x == best)
    return model


def _spent(s: z3.Solver) -> int:
    """The resource units the solver has used (its rlimit counts them)."""
    stats = s.statistics()
    return int(stats.get_key_value("rlimit count")) if "rlimit count" in stats.keys() else 0


def _order(a: _Decl, b: _Decl) -> list[z3.ArithRef]:
    """Each input as a number to make small, in the order of the names: false before true, amounts
    and counts from 0, a date's year from 1980 (an adult's birth year), then its month and day."""
    out: list[z3.ArithRef] = []
    for name in sorted(a.inputs | b.inputs):
        var = a.enc.inputs.get(name) or b.enc.inputs.get(name)
        if var is None:
            continue
        if isinstance(t.strip_domain(var.type), t.DateType):
            year = var.consts[0]
            out.append(z3.If(year >= 1980, year - 1980, 1980 - year))
            out.extend(var.consts[1:])
            continue
        for c in var.consts:
            out.append(z3.If(c, 1, 0) if z3.is_bool(c) else c)
    return out


def _bounded(a: _Decl, b: _Decl) -> set[int]:
    """The constants (by id) that `_readable` keeps at 0 or more: money inputs and counts."""
    out: set[int] = set()
    for name in a.inputs | b.inputs:
        var = a.enc.inputs.get(name) or b.enc.inputs.get(name)
        if var is not None and isinstance(t.strip_domain(var.type), (t.MoneyType, t.IntType)):
            out.add(var.const.get_id())
    return out


def _money_atoms(a: _Decl, b: _Decl) -> list[Atom]:
    """`x > €0.00` for each money input of either definition that cannot be negative: whether an
    amount is there at all is often what separates two definitions of an income (one counts the
    tax withheld, the other does not), and says so in the rules' words."""
    out: list[Atom] = []
    for name in sorted(a.inputs | b.inputs):
        var = a.enc.inputs.get(name) or b.enc.inputs.get(name)
        if var is not None and isinstance(t.strip_domain(var.type), t.BoolType):  # a fact read deeper down
            out.append(Atom(var.const, name, f"not {name}", None, {a.reg.name, b.reg.name}))
            continue
        if var is None or not isinstance(t.strip_domain(var.type), t.MoneyType):
            continue
        low = _lower_bound(a.reg if name in a.reg.input_map else b.reg, name)
        if low is None or low < 0:
            continue
        out.append(Atom(var.const > 0, f"{name} > €0.00", f"{name} = €0.00", None,
                        {a.reg.name, b.reg.name}))
    return out


def _lower_bound(reg: CheckedRegulation, name: str) -> Decimal | None:
    lo = getattr(reg.input_map[name].type, "lo", None)
    return lo if isinstance(lo, Decimal) else None


def _readable(a: _Decl, b: _Decl) -> list[z3.BoolRef]:
    """Hints for a witness a reader believes: each money input €0 or whole hundreds of euros from
    €1,000 up to €1,000,000 (a money input is an Int of cents), dates from 1900, counts up to 10."""
    out: list[z3.BoolRef] = []
    for name in sorted(a.inputs | b.inputs):
        var = a.enc.inputs.get(name) or b.enc.inputs.get(name)
        if var is not None and isinstance(t.strip_domain(var.type), t.DateType):  # born after 1900
            out.append(z3.And(var.consts[0] >= 1900, var.consts[0] <= max(a.enc.day.year, 1901)))
            continue
        if var is not None and isinstance(t.strip_domain(var.type), t.IntType):  # an adult's age, small counts
            out.append(z3.And(var.const >= 18, var.const <= 90) if name == "age"
                       else z3.And(var.const >= 0, var.const <= 10))
            continue
        if var is None or not isinstance(t.strip_domain(var.type), t.MoneyType):
            continue
        c = var.const
        out.append(z3.Or(c == 0, z3.And(c >= 100_000, c <= 100_000_000, c % 10_000 == 0)))
    return out


def _atoms(a: _Decl, b: _Decl) -> list[Atom]:
    by_term: dict[int, Atom] = {}
    for d in (a, b):
        leaves: list[n.Expr] = []
        _leaves(d.reg, d.defn.expr, leaves)
        for leaf in leaves:
            try:
                term = d.enc.term(leaf)
            except NoValue:
                continue
            if z3.is_true(term) or z3.is_false(term) or term.get_id() in by_term:
                continue
            by_term[term.get_id()] = Atom(term, printer.expr(leaf), _negated_text(leaf), None, {d.reg.name})
    return sorted(by_term.values(), key=lambda x: (-len(x.text), x.text))
