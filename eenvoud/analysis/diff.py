"""`eenvoud diff`: who gains and who loses between two versions of a regulation (two files, or
one file on two dates), described as readable regions and proved by Z3.

(A little over 500 lines: the region search, its replay through the engine and the population
count are one algorithm, read top to bottom.)

Both versions are encoded (`encode`) over the same inputs: the encodings share their variables by
name, and the cases considered are those inside the domains of both. For eligibility and for every
amount the two versions share, a *change* is a formula over the two outcomes (errors are outcomes:
a case that fails in either version is never counted as a gain or a loss, and where only one of
the two fails it is reported apart, under `errors`):

- `gains`: not eligible in the old version, eligible in the new one;
- `loses`: eligible in the old version, not eligible in the new one;
- `more` / `less`: eligible in both, the amount is higher / lower in the new one.

Each change is described by *regions* (docs/analysis.md, "diff"; /work/shared/analysis-design.md,
"Readable regions"): the atoms are the comparisons and Boolean facts that appear in either
version (`income <= threshold_income`, `has_partner`), each encoded in its own version, so that
an atom that reads a parameter whose value differs between the versions is two atoms, printed
with the version's name. All-SAT over the atom literals: take a case with the change, its cube
(every atom true or false as in the case), drop each literal `l` for which `(cube - l) ∧ ¬l`
has no case without the change, block the remaining cube, repeat up to a bound. When the cube
with every literal forces the change the region is *exact* (every case in it changes that way);
otherwise the change depends on more than the atoms (an amount a few cents higher) and the region
is a necessary condition: every changed case found there lies in it (`exact: false`).

Every region's witness is replayed through the engine in both versions: a region whose witness
the engine does not confirm is reported under `unknown`, never as a region. The largest gain and
loss of every amount within the domains come from `z3.Optimize`, with witnesses replayed too.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from eenvoud.analysis.encode import Encoding, NoValue, encode
from eenvoud.analysis.findings import facts_json
from eenvoud.analysis.prover import Budget
from eenvoud.analysis.terms import conjunction, negate, same_sort
from eenvoud.analysis.variables import derivation_axioms
from eenvoud.engine import values as v
from eenvoud.engine.decision import Decision, default_engine
from eenvoud.engine.values import Value
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

REGIONS_PER_CHANGE = 8  # the bound of the enumeration, per outcome and change
_FLIP = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_COMPARISONS = set(_FLIP)
_CONNECTIVES = {"and", "or", "implies"}


class DiffError(Exception):
    """The versions cannot be compared (a parameter without a value on the date)."""


@dataclass(frozen=True)
class Version:
    reg: CheckedRegulation
    day: date
    name: str  # how a version-specific atom is tagged: the date, or "old" / "new"

    def to_json(self) -> dict[str, object]:
        return {"regulation": self.reg.name, "file": self.reg.file.name, "date": self.day.isoformat(),
                "hash": self.reg.hash}


@dataclass
class Atom:
    term: z3.BoolRef
    text: str
    negated: str
    label: str | None
    versions: set[str] = field(default_factory=set)


def lit_term(lit: tuple[Atom, bool]) -> z3.BoolRef:
    """An atom as it holds in a case: its term, or its negation."""
    return lit[0].term if lit[1] else negate(lit[0].term)


def drop_implied(lits: list[tuple[Atom, bool]],
                 check: Callable[..., z3.CheckSatResult]) -> list[tuple[Atom, bool]]:
    """A case's literals without those the rest imply under what `check` asserts (each in turn,
    dropped when the rest with its negation is unsat): the readable part of a region's condition."""
    kept = list(lits)
    for lit in lits:
        trial = [lit_term(x) for x in kept if x is not lit]
        if check(*trial, negate(lit_term(lit))) == z3.unsat:
            kept = [x for x in kept if x is not lit]
    return kept


@dataclass
class Region:
    outcome: str  # "eligible" or an amount's name
    change: str  # gains | loses | more | less (or, under `errors`: fails | recovers)
    literals: list[tuple[Atom, bool]]
    exact: bool
    witness: dict[str, Value]
    old: Decision
    new: Decision
    old_value: object
    new_value: object

    @property
    def condition(self) -> str:
        if not self.literals:
            return "every case"
        return " and ".join(a.text if pos else a.negated for a, pos in self.literals)

    def to_json(self, regs: Iterable[CheckedRegulation]) -> dict[str, object]:
        return {
            "outcome": self.outcome, "change": self.change, "condition": self.condition, "exact": self.exact,
            "literals": [{"text": a.text if pos else a.negated, "label": a.label} for a, pos in self.literals],
            "witness": _facts_json(self.witness, regs),
            "old_value": self.old_value, "new_value": self.new_value,
        }


@dataclass
class Extreme:
    amount: str
    kind: str  # largest_gain | largest_loss
    value: Decimal  # new paid minus old paid (negative for a loss)
    witness: dict[str, Value]
    old_value: object
    new_value: object

    def to_json(self, regs: Iterable[CheckedRegulation]) -> dict[str, object]:
        return {"amount": self.amount, "kind": self.kind, "change": v.money(self.value),
                "witness": _facts_json(self.witness, regs), "old_value": self.old_value,
                "new_value": self.new_value}


@dataclass
class Diff:
    old: Version
    new: Version
    regions: list[Region] = field(default_factory=list)
    errors: list[Region] = field(default_factory=list)
    extremes: list[Extreme] = field(default_factory=list)
    unknown: list[dict[str, object]] = field(default_factory=list)
    complete: dict[str, bool] = field(default_factory=dict)  # "outcome/change": every region found
    amounts: list[str] = field(default_factory=list)
    only_old: list[str] = field(default_factory=list)  # amounts the new version no longer has
    only_new: list[str] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0
    population: dict[str, Any] | None = None

    def to_json(self) -> dict[str, object]:
        regs = (self.old.reg, self.new.reg)
        out: dict[str, object] = {
            "old": self.old.to_json(), "new": self.new.to_json(),
            "regions": [r.to_json(regs) for r in self.regions],
            "unknown": self.unknown,
            "errors": [r.to_json(regs) for r in self.errors],
            "extremes": [x.to_json(regs) for x in self.extremes],
            "complete": self.complete,
            "amounts": self.amounts, "only_old": self.only_old, "only_new": self.only_new,
            "stats": {"queries": self.queries, "seconds": round(self.seconds, 3)},
        }
        if self.population is not None:
            out["population"] = self.population
        return out


def _facts_json(facts: dict[str, Value], regs: Iterable[CheckedRegulation]) -> dict[str, object]:
    out: dict[str, object] = {}
    for reg in regs:
        out.update(facts_json({k: x for k, x in facts.items() if k in reg.input_map}, reg))
    return out


# -- atoms -----------------------------------------------------------------------------------------


def _expressions(reg: CheckedRegulation) -> Iterable[tuple[n.Expr, str | None]]:
    """Every expression of the rules, with the label a whole condition carries."""
    for r in reg.requirements:
        yield r.condition, r.label
        for x in r.exemptions:
            yield x.condition, x.label
    for d in reg.definitions:
        yield d.expr, d.label if d.type is not None and isinstance(d.type, t.BoolType) else None
    for a in reg.amounts:
        yield a.expr, None
    for doc in reg.documents:
        if doc.required_when is not None:
            yield doc.required_when, None


def _leaves(reg: CheckedRegulation, e: n.Expr, out: list[n.Expr]) -> None:
    """The Boolean leaves of `e`: comparisons, Boolean names and set tests, below and, or, not
    and implies; and those of every `if` condition inside a value."""
    match e:
        case n.Binary() if e.op in _CONNECTIVES:
            _leaves(reg, e.left, out)
            _leaves(reg, e.right, out)
        case n.Unary() if e.op == "not":
            _leaves(reg, e.operand, out)
        case n.Binary() if e.op in _COMPARISONS:
            out.append(e)
            _walk(reg, e.left, out)
            _walk(reg, e.right, out)
        case n.Name() if isinstance(t.strip_domain(reg.type_of(e)), t.BoolType):
            if e.name != "eligible":
                out.append(e)
        case n.InSet():
            out.append(e)
        case _:
            _walk(reg, e, out)


def _walk(reg: CheckedRegulation, e: n.Expr, out: list[n.Expr]) -> None:
    match e:
        case n.If():
            _leaves(reg, e.cond, out)
            _walk(reg, e.then, out)
            _walk(reg, e.else_, out)
        case n.Binary():
            if e.op in _CONNECTIVES or e.op in _COMPARISONS:
                _leaves(reg, e, out)
            else:
                _walk(reg, e.left, out)
                _walk(reg, e.right, out)
        case n.Unary():
            if e.op == "not":
                _leaves(reg, e, out)
            else:
                _walk(reg, e.operand, out)
        case n.Call():
            for a in e.args:
                _walk(reg, a, out)
        case n.InSet():
            _walk(reg, e.operand, out)
        case _:
            pass


def _label_of(reg: CheckedRegulation, e: n.Expr) -> str | None:
    if isinstance(e, n.Name) and e.name in reg.symbols:
        decl = reg.symbols[e.name].decl
        return getattr(decl, "label", None)
    return None


def _negated_text(e: n.Expr) -> str:
    if isinstance(e, n.Binary) and e.op in _FLIP:
        return printer.expr(n.Binary(_FLIP[e.op], e.left, e.right))
    if isinstance(e, n.Name):
        return f"not {e.name}"
    return f"not ({printer.expr(e)})"


def atoms(versions: list[tuple[Version, Encoding]]) -> list[Atom]:
    """The atoms of both versions, one per distinct Z3 term (z3 hash-conses terms, so an atom
    that means the same in both versions is one atom)."""
    by_term: dict[int, Atom] = {}
    for version, enc in versions:
        for top, label in _expressions(version.reg):
            leaves: list[n.Expr] = []
            _leaves(version.reg, top, leaves)
            for leaf in leaves:
                try:
                    term = enc.term(leaf)
                except NoValue:
                    continue
                if z3.is_true(term) or z3.is_false(term):
                    continue
                key = term.get_id()
                atom = by_term.get(key)
                if atom is None:
                    whole = leaf is top
                    atom = Atom(term, printer.expr(leaf), _negated_text(leaf),
                                (label if whole else None) or _label_of(version.reg, leaf))
                    by_term[key] = atom
                atom.versions.add(version.name)
    found = list(by_term.values())
    # the same text meaning different things in the two versions: say which version's
    texts: dict[str, int] = {}
    for a in found:
        texts[a.text] = texts.get(a.text, 0) + 1
    for a in found:
        if texts[a.text] > 1 and len(a.versions) == 1:
            tag = next(iter(a.versions))
            a.text, a.negated = f"{a.text} ({tag})", f"{a.negated} ({tag})"
    return found


# -- the comparison --------------------------------------------------------------------------------


class _Solver:
    def __init__(self, budget: Budget, background: list[z3.BoolRef], stats: Diff):
        self.budget = budget
        self.stats = stats
        self.s = z3.Solver()
        self.s.set("rlimit", budget.rlimit)
        self.s.set("timeout", budget.timeout_ms)
        for b in background:
            self.s.add(b)

    def check(self, *extra: z3.BoolRef) -> z3.CheckSatResult:
        start = time.perf_counter()
        self.s.push()
        try:
            for x in extra:
                self.s.add(x)
            got = self.s.check()
            self.model = self.s.model() if got == z3.sat else None
            return got
        finally:
            self.s.pop()
            self.stats.queries += 1
            self.stats.seconds += time.perf_counter() - start


def _decide(version: Version, facts: dict[str, Value]) -> Decision:
    own = {k: x for k, x in facts.items() if k in version.reg.input_map}
    return default_engine().decide(version.reg, own, version.day)


def _amount_json(d: Decision, name: str) -> object:
    if d.error is not None:
        return None
    return v.to_json(d.amounts.get(name), name in d.money_amounts)


def _confirmed(change: str, outcome: str, old: Decision, new: Decision) -> bool:
    if change == "fails":
        return (old.error is None) != (new.error is None)
    if old.error is not None or new.error is not None:
        return False
    if outcome == "eligible":
        return (old.eligible, new.eligible) == ((False, True) if change == "gains" else (True, False))
    if old.eligible is not True or new.eligible is not True:
        return False
    a, b = old.amounts.get(outcome), new.amounts.get(outcome)
    if not isinstance(a, Decimal | int) or not isinstance(b, Decimal | int):
        return False
    return b > a if change == "more" else b < a


def _kind(d: Decision) -> object:
    return "error" if d.error is not None else d.eligible


def _values(outcome: str, change: str, old: Decision, new: Decision) -> tuple[object, object]:
    if outcome == "eligible" or change == "fails":
        return _kind(old), _kind(new)
    return _amount_json(old, outcome), _amount_json(new, outcome)


def compare(old_reg: CheckedRegulation, old_day: date, new_reg: CheckedRegulation, new_day: date,
            budget: Budget | None = None, bound: int = REGIONS_PER_CHANGE, extremes: bool = True,
            names: tuple[str, str] | None = None) -> Diff:
    """Compare two versions. `names`: how version-specific atoms are tagged (default: the dates
    when they differ, "old" and "new" otherwise)."""
    budget = budget or Budget()
    started = time.perf_counter()
    if names is None:
        names = (old_day.isoformat(), new_day.isoformat()) if old_day != new_day else ("old", "new")
    old, new = Version(old_reg, old_day, names[0]), Version(new_reg, new_day, names[1])
    result = Diff(old, new)
    try:
        eo = encode(old_reg, old_day)
    except NoValue as exc:
        raise DiffError(f"the old version has no value on {old_day.isoformat()}: {exc}") from None
    try:
        en = encode(new_reg, new_day)
    except NoValue as exc:
        raise DiffError(f"the new version has no value on {new_day.isoformat()}: {exc}") from None
    shared = [a for a in eo.amounts if a in en.amounts]
    result.amounts = shared
    result.only_old = [a for a in eo.amounts if a not in en.amounts]
    result.only_new = [a for a in en.amounts if a not in eo.amounts]
    oo, on = eo.outcome(amounts=shared), en.outcome(amounts=shared)
    # one person on two dates: a derived input (`age` from `birth_date`) agrees with its source on
    # the new date; on the old date the same facts are decided as given (as the engine replays a
    # witness and the batch decides a row), so the old version's derivation is not a constraint
    derived_old = set() if old_day == new_day else {ax.name for ax in derivation_axioms(eo.inputs, old_day)}
    domain = [*(ax.formula for name, ax in eo.axioms.items() if name not in derived_old), *en.domain()]
    found = atoms([(old, eo), (new, en)])
    # readable first: the enumeration drops the literals it tries first, so try the long ones first
    found.sort(key=lambda a: (-len(a.text), a.text))

    changes: list[tuple[str, str, z3.BoolRef]] = [
        ("eligible", "gains", conjunction([oo.ne, on.ok])),
        ("eligible", "loses", conjunction([oo.ok, on.ne])),
    ]
    for i, name in enumerate(shared):
        a, b = same_sort(oo.amounts[i], on.amounts[i])
        both = conjunction([oo.ok, on.ok])
        changes.append((name, "more", conjunction([both, b > a])))
        changes.append((name, "less", conjunction([both, b < a])))
    fails = z3.Xor(oo.err, on.err)

    for outcome, change, formula in [*changes, ("error", "fails", fails)]:
        regions, complete = _regions(old, new, eo, en, domain, found, outcome, change, formula, budget,
                                     bound if change != "fails" else min(bound, 3), result)
        result.complete[f"{outcome}/{change}"] = complete
        (result.errors if change == "fails" else result.regions).extend(regions)
    if extremes:
        for name in shared:
            _extremes(old, new, eo, en, domain, name, budget, result)
    result.seconds = time.perf_counter() - started
    return result


def _regions(old: Version, new: Version, eo: Encoding, en: Encoding, domain: list[z3.BoolRef],
             found: list[Atom], outcome: str, change: str, formula: z3.BoolRef, budget: Budget, bound: int,
             result: Diff) -> tuple[list[Region], bool]:
    if z3.is_false(formula):
        return [], True
    cases = _Solver(budget, [*domain, formula], result)  # cases with the change, minus the regions found
    others = _Solver(budget, [*domain, negate(formula)], result)  # cases without it
    out: list[Region] = []
    blocked: list[z3.BoolRef] = []
    for _ in range(bound):
        got = cases.check(*blocked)
        if got == z3.unsat:
            return out, True
        if got != z3.sat:
            result.unknown.append({"outcome": outcome, "change": change,
                                   "reason": f"the solver ran out of its limit ({budget.seconds:g} s) looking for "
                                             "a case"})
            return out, False
        model = cases.model
        assert model is not None
        lits = [(a, z3.is_true(model.eval(a.term, model_completion=True))) for a in found]

        kept = drop_implied(lits, others.check)
        exact = others.check(*[lit_term(x) for x in kept]) == z3.unsat
        region_terms = [lit_term(x) for x in kept]
        # a witness a reader believes: dates of birth after 1900, no fortunes, when the region has one
        if cases.check(*blocked, *region_terms, *_plausible(eo, en)) == z3.sat and cases.model is not None:
            model = cases.model
        blocked.append(negate(conjunction(region_terms)))
        facts = {**{k: var.decode(model) for k, var in eo.inputs.items()},
                 **{k: var.decode(model) for k, var in en.inputs.items()}}
        d_old, d_new = _decide(old, facts), _decide(new, facts)
        old_value, new_value = _values(outcome, change, d_old, d_new)
        readable = sorted(kept, key=lambda x: found.index(x[0]), reverse=True)
        region = Region(outcome, change, readable, exact, facts, d_old, d_new, old_value, new_value)
        if not _confirmed(change, outcome, d_old, d_new):
            result.unknown.append({"outcome": outcome, "change": change, "condition": region.condition,
                                   "witness": _facts_json(facts, (old.reg, new.reg)),
                                   "reason": "the encoding and the engine disagree on the witness"})
            continue
        moved = _typical(old, new, eo, en, facts, kept, outcome, change)
        if moved != facts:  # replayed again: the moved witness shows the change in the region
            d_old, d_new = _decide(old, moved), _decide(new, moved)
            if _confirmed(change, outcome, d_old, d_new):
                old_value, new_value = _values(outcome, change, d_old, d_new)
                region = Region(outcome, change, readable, exact, moved, d_old, d_new, old_value, new_value)
        out.append(region)
    return out, cases.check(*blocked) == z3.unsat


def _typical(old: Version, new: Version, eo: Encoding, en: Encoding, facts: dict[str, Value],
             kept: list[tuple[Atom, bool]], outcome: str, change: str) -> dict[str, Value]:
    """A region's witness moved towards a typical case (analysis/plausible.py: realistic dates, an
    adult near 40, small counts, whole euros), keeping a move only when the moved case is inside
    both versions' domains, in the region (each literal of its condition, evaluated on the case's
    values) and the engine still shows the change."""
    from eenvoud.analysis.plausible import inside, plausible

    variables = {**eo.inputs, **en.inputs}  # shared by name: the same Z3 constants
    terms = [lit_term(x) for x in kept]
    decls = [*new.reg.inputs, *(i for i in old.reg.inputs if i.name not in new.reg.input_map)]
    domains = [(i.name, i.type) for reg in (old.reg, new.reg) for i in reg.inputs]

    def in_region(f: dict[str, Value]) -> bool:
        pairs = [p for k, var in variables.items() if k in f for p in var.bind(f[k])]
        return all(z3.is_true(z3.simplify(z3.substitute(term, *pairs))) for term in terms)

    def shows(f: dict[str, Value]) -> object:
        if not all(x not in f or inside(f[x], typ) for x, typ in domains):
            return False
        try:
            return in_region(f) and _confirmed(change, outcome, _decide(old, f), _decide(new, f))
        except (z3.Z3Exception, ValueError, TypeError):
            return False

    if shows(facts) is not True:
        return facts
    return plausible(facts, tuple(decls), new.day, lambda f: shows(dict(f)), {})


def _plausible(*encs: Encoding) -> list[z3.BoolRef]:
    out: list[z3.BoolRef] = []
    for enc in encs:
        for var in enc.inputs.values():
            if isinstance(var.type, t.DateType):
                out.append(z3.And(var.consts[0] >= 1900, var.consts[0] <= max(enc.day.year, 1901)))
            elif isinstance(var.type, t.MoneyType):
                out.append(z3.And(var.const >= 0, var.const <= 100_000_000))  # cents: up to a million euros
            elif isinstance(var.type, t.IntType):
                out.append(var.const <= 1000)
    return out


def _extremes(old: Version, new: Version, eo: Encoding, en: Encoding, domain: list[z3.BoolRef], name: str,
              budget: Budget, result: Diff) -> None:
    """The largest gain and loss of an amount as paid (0 when not eligible), over the cases both
    versions decide without an error."""
    a, b = same_sort(eo.paid[name], en.paid[name])
    delta = b - a
    for kind, sense in (("largest_gain", 1), ("largest_loss", -1)):
        opt = z3.Optimize()
        opt.set("rlimit", budget.rlimit * 4)
        opt.set("timeout", budget.timeout_ms * 4 if budget.backstop else budget.timeout_ms)
        for x in domain:
            opt.add(x)
        opt.add(negate(eo.outcome().err), negate(en.outcome().err))
        opt.add(delta > 0 if sense > 0 else delta < 0)
        for x in _plausible(eo, en):
            opt.add_soft(x)
        if sense > 0:
            opt.maximize(delta)
        else:
            opt.minimize(delta)
        start = time.perf_counter()
        got = opt.check()
        result.queries += 1
        result.seconds += time.perf_counter() - start
        if got == z3.unsat:
            continue
        if got != z3.sat:
            result.unknown.append({"outcome": name, "change": kind,
                                   "reason": "the optimizer ran out of its limit"})
            continue
        model = opt.model()
        facts = {**{k: var.decode(model) for k, var in eo.inputs.items()},
                 **{k: var.decode(model) for k, var in en.inputs.items()}}
        d_old, d_new = _decide(old, facts), _decide(new, facts)
        value = model.eval(delta, model_completion=True)
        exact = Fraction(value.as_fraction()) if z3.is_rational_value(value) else None
        paid_old = _paid(d_old, name)
        paid_new = _paid(d_new, name)
        if exact is None or paid_old is None or paid_new is None or Fraction(paid_new - paid_old) != exact:
            result.unknown.append({"outcome": name, "change": kind, "witness": _facts_json(facts, (old.reg, new.reg)),
                                   "reason": "the encoding and the engine disagree on the witness"})
            continue
        result.extremes.append(Extreme(name, kind, paid_new - paid_old, facts, _amount_json(d_old, name),
                                       _amount_json(d_new, name)))


def _paid(d: Decision, name: str) -> Decimal | None:
    if d.error is not None or d.eligible is None:
        return None
    got = d.amounts.get(name)
    if isinstance(got, bool) or not isinstance(got, Decimal | int):
        return None
    return Decimal(got)


# -- a population: both versions decided by the batch, joined on the row ---------------------------------


def count_population(result: Diff, population: str, workdir: str,
                     progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Decide every person of `population` with both versions (`run_batch`, DuckDB) and count,
    person by person, who gains, who loses, who gets more or less of each amount, with the euros
    summed exactly (DECIMAL). The counts come from the two decisions joined on the row, not from
    the regions' conditions, so they are exact even where a region is not."""
    from pathlib import Path

    import duckdb

    from eenvoud.engine.batch import run_batch

    started = time.perf_counter()
    # Parquet: the batch writes money as DECIMAL(18, 2), read back exactly (a CSV of a million rows
    # written and parsed again took most of the time)
    out_old = Path(workdir) / "old.parquet"
    out_new = Path(workdir) / "new.parquet"
    if progress:
        progress("deciding with the old version")
    r_old = run_batch(result.old.reg, result.old.day, population, out_old)
    if progress:
        progress("deciding with the new version")
    r_new = run_batch(result.new.reg, result.new.day, population, out_new)
    con = duckdb.connect()
    try:
        def one(sql: str) -> tuple[Any, ...]:
            row = con.execute(sql).fetchone()
            assert row is not None
            return tuple(row)

        def side(path: Path) -> str:
            cols = ", ".join(f'CAST("{a}" AS DECIMAL(18, 2)) AS "{a}"' for a in result.amounts)
            return (f"(SELECT CAST(\"row\" AS BIGINT) AS \"row\", CAST(eligible AS BOOLEAN) AS eligible"
                    f"{', ' + cols if cols else ''} FROM read_parquet('{_sql_path(path)}'))")

        # read each side once; every count below joins the two tables in memory
        con.execute(f"CREATE TEMP TABLE old_side AS {side(out_old)[1:-1]}")
        con.execute(f"CREATE TEMP TABLE new_side AS {side(out_new)[1:-1]}")
        joined = "old_side o JOIN new_side n USING (\"row\")"
        people = one(f"SELECT count(*) FROM {joined}")[0]
        out: dict[str, Any] = {"people": people, "bad_rows": {"old": r_old.bad_rows, "new": r_new.bad_rows},
                               "changes": []}
        first = result.amounts[0] if result.amounts else None
        for change, cond in (("gains", "o.eligible = false AND n.eligible = true"),
                             ("loses", "o.eligible = true AND n.eligible = false")):
            if first is not None:
                q = (f'SELECT count(*), sum(n."{first}") , sum(o."{first}") FROM {joined} WHERE {cond}')
                c, s_new, s_old = one(q)
                euros = _euros((s_new or 0) - (s_old or 0))
            else:
                c, euros = one(f"SELECT count(*) FROM {joined} WHERE {cond}")[0], None
            out["changes"].append({"outcome": "eligible", "change": change, "people": c,
                                   "euros": euros, "amount": first})
        for name in result.amounts:
            for change, op in (("more", ">"), ("less", "<")):
                c, s = one(f'SELECT count(*), sum(n."{name}" - o."{name}") FROM {joined} '
                           f'WHERE o.eligible AND n.eligible AND n."{name}" {op} o."{name}"')
                out["changes"].append({"outcome": name, "change": change, "people": c, "euros": _euros(s or 0),
                                       "amount": name})
        for name in result.amounts:
            s_old, s_new = one(f'SELECT sum(o."{name}"), sum(n."{name}") FROM {joined}')
            out.setdefault("totals", {})[name] = {"old": _euros(s_old or 0), "new": _euros(s_new or 0),
                                                  "change": _euros((s_new or 0) - (s_old or 0))}
        out["undetermined"] = one(f"SELECT count(*) FROM {joined} WHERE o.eligible IS NULL OR n.eligible IS NULL")[0]
    finally:
        con.close()
    out["seconds"] = round(time.perf_counter() - started, 3)
    result.population = out
    return out


def _sql_path(p: object) -> str:
    return str(p).replace("'", "''")


def _euros(x: object) -> str:
    return v.money(Decimal(str(x)))
