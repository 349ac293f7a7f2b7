"""Asking Z3, with a closed set of answers: Proved (with a minimal core), Refuted (with a case the
engine accepts) or Unknown (with the reason).

Every property the analyses check is phrased as "these assertions are unsat iff it holds". A
`Prover` holds named formulas: each gets a literal, and every query is `check(assumptions)`, so
that an unsat core names the formulas the proof needs.

Which solver. Each query goes first to a solver of its own that holds only the formulas the query
assumes (each as `literal => formula`), with Z3's default settings, on a quarter of the budget:
on the shipped rules and the generated sets it settles nearly every query in milliseconds,
rounding (`to_int`) included, where one incremental solver per slice, carrying every formula and
every earlier query, ran out of its budget or took seconds. What it leaves open goes to a second
such solver without relevancy filtering (another search order: it settles in half a second the
HDSR irrelevance queries that the first leaves open), then to the slice's incremental solver (no
relevancy filtering; it keeps what it learnt between queries, and is made when first needed), on
the whole budget; what that leaves open, to a fresh solver given the whole query at once without
assumptions (Z3 then preprocesses it as one problem). Then the answer is Unknown, never a finding.
A question whose case nobody reads (is a requirement needed, can an exemption apply; `witness=False`)
and the minimisation of cores go first to the prover's assumption solver: one SMT solver kept for
the prover's life, holding each formula once under its literal, asked with assumptions only (on
the hard generated set a quarter of the cost of building a solver per query); what it leaves open
goes the way above.

Cores. The core a Proved answer cites is canonical: the one deletion keeps trying the formulas in
the order they were named, last first (`_minimize`). Z3's own core depends on the numbering of its
terms (what else was encoded before, which solver answered), the canonical one only on which sets
are unsat; Z3's cores only make it cheap to find.

Budgets. Each solver run has a resource limit (`rlimit`, deterministic: the same input gives the
same answer on any machine under any load) calibrated to about the configured seconds here, and a
far wall-clock backstop (BACKSTOP_FACTOR times the seconds) against a run that stalls without
spending its rlimit: on a busy machine the resource limit, not the clock, decides.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import z3

from eenvoud.analysis.encode import NotDecimal, Var
from eenvoud.analysis.terms import truth
from eenvoud.engine.values import Value

# rlimit units Z3 5.4 spends per second of search on this machine, measured on the encodings of the
# shipped rules (between 5 and 21 million, typically 10 to 15); see docs/analysis.md.
RLIMIT_PER_SECOND = 12_000_000
# The wall-clock backstop, in multiples of the budget's seconds: far enough that a query spending
# its whole rlimit under a load of 10 on 2 cores (some 4 s of CPU at a fifth of a core) ends by the
# resource limit, so that a busy machine gives the same answers as an idle one.
BACKSTOP_FACTOR = 20
# A decimal input in a witness is searched on this grid when the first model gave it a value with
# no finite decimal expansion (like 1/3), which no rule file or JSON fact can state.
DECIMAL_GRID = 10 ** 6
# The assumption solver's share of the budget per query: it answers the generated sets' questions
# in a fraction of a millisecond, and what it leaves open goes on to the fresh solvers, so that a
# query it cannot settle costs little more than before. (A sixteenth spent 0.2-0.4 s on each of the
# kwijtschelding Utrecht's two irrelevance queries it could not settle, which fresh solvers settle
# in 0.1 s: a sixty-fourth, 2026-12-02.)
ASSUMED_SHARE = 64


@dataclass(frozen=True)
class Budget:
    """Time for one solver query."""

    seconds: float = 2.0
    # a far wall-clock backstop (BACKSTOP_FACTOR); off where the answer must be the same bytes on any
    # machine under any load (a decision that is stored and replayed; the test suite, which sets
    # EENVOUD_BACKSTOP=off for every budget it does not state): the resource limit alone
    backstop: bool = field(default_factory=lambda: os.environ.get("EENVOUD_BACKSTOP") != "off")

    @property
    def rlimit(self) -> int:
        return max(10_000, int(self.seconds * RLIMIT_PER_SECOND))

    @property
    def timeout_ms(self) -> int:
        if not self.backstop:
            return 4_294_967_295  # Z3's "no timeout"
        return max(50, int(self.seconds * 1000 * BACKSTOP_FACTOR))


@dataclass
class Stats:
    queries: int = 0
    seconds: float = 0.0  # time spent in the solver
    retries: int = 0
    without_solver: int = 0  # questions settled by the cheap passes (duplicates, sweeps, the engine)
    # what the analyses of one regulation on one of its dates leave for its other dates (the same
    # Stats serves them all, and no other regulation): hints only, re-checked on each date
    memo: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Proved:
    """The assertions are unsat. `core` names the cited assumptions of a minimal unsat core."""

    core: tuple[str, ...]


@dataclass(frozen=True)
class Refuted:
    """The assertions are sat: `case` is a complete case (input values the engine accepts)."""

    case: dict[str, Value]
    # None for a `witness=False` answer unless asked for (`model=True`): fetching a model from the
    # assumption solver costs a fraction of its query, and most such callers read only "sat"
    model: z3.ModelRef | None = field(repr=False)
    also: dict[str, Value] = field(default_factory=dict)  # values of the query's own copies


@dataclass(frozen=True)
class Unknown:
    reason: str


Answer = Proved | Refuted | Unknown


class Prover:
    """Named formulas, asked about on a solver per query, with one incremental solver behind."""

    _serial = 0

    def __init__(self, inputs: Mapping[str, Var], background: Iterable[z3.BoolRef], budget: Budget,
                 stats: Stats):
        self.inputs = inputs
        self.background = [b for b in background if not z3.is_true(b)]
        self.budget = budget
        self.stats = stats
        self.meaning: dict[str, z3.BoolRef] = {}
        self._literal: dict[str, z3.BoolRef] = {}
        self._order: dict[str, int] = {}  # name -> when it was named: the order of canonical cores
        self._by_literal: dict[int, str] = {}
        self._extra: dict[int, z3.BoolRef] = {}
        self._extra_meaning: dict[int, z3.BoolRef] = {}  # literal id -> formula
        self._guard: dict[int, z3.BoolRef] = {}  # literal id -> `literal => formula`
        self._last_reason = ""
        Prover._serial += 1
        self._tag = Prover._serial
        # the incremental solver, made when a query first needs it (most never do): every named
        # formula and every query's own formula so far, each under its literal
        self._shared: z3.Solver | None = None
        # the assumption solver, made when first needed: Z3's SMT solver with its default settings,
        # kept for the prover's life, holding `literal => formula` for each formula a query on it
        # has assumed so far; for questions whose only answer is sat or unsat (see `check`'s
        # `witness`, and the minimisation of cores)
        self._assumed: z3.Solver | None = None
        self._assumed_holds: set[int] = set()

    @property
    def solver(self) -> z3.Solver:
        if self._shared is None:
            self._shared = self._fresh()
            for b in self.background:
                self._shared.add(b)
            for lit in self._literal.values():
                self._shared.add(lit == self.meaning[self._by_literal[lit.get_id()]])
            for lit in self._extra.values():
                self._shared.add(self._implication(lit))
        return self._shared

    def _fresh(self, incremental: bool = True, simple: bool = False) -> z3.Solver:
        # `simple`: Z3's SMT solver alone, for a query with assumptions. z3.Solver() is a combined
        # solver that builds a preprocessing tactic on its first assertion (some 0.4 ms, half the
        # cost of a query of the hard generated set) and only ever uses it for a check without
        # assumptions; with assumptions it hands the query to this same SMT solver.
        s = z3.SimpleSolver() if simple else z3.Solver()
        if incremental:
            # Measured on the shipped rules (docs/analysis.md): without relevancy filtering the
            # incremental solver spends its resource budget steadily and decides most queries in
            # milliseconds; with it, some queries ran for minutes without using up their rlimit.
            s.set("relevancy", 0)
        s.set("rlimit", self.budget.rlimit)
        s.set("timeout", self.budget.timeout_ms)
        return s

    def name(self, name: str, formula: z3.BoolRef) -> str:
        """Give `formula` a literal under `name`, so that queries can assume it and cores cite it."""
        if name not in self._literal:
            lit = z3.Bool(f"{name}#{self._tag}")
            if self._shared is not None:
                self._shared.add(lit == formula)
            self._literal[name] = lit
            self._order[name] = len(self._order)
            self._by_literal[lit.get_id()] = name
            self.meaning[name] = formula
        return name

    def has(self, name: str) -> bool:
        return name in self._literal

    def _extra_literal(self, formula: z3.BoolRef) -> z3.BoolRef:
        key = formula.get_id()  # z3 hash-conses terms: an equal formula has the same id
        lit = self._extra.get(key)
        if lit is None:
            lit = z3.Bool(f"query{len(self._extra)}#{self._tag}")
            self._extra[key] = lit
            self._extra_meaning[lit.get_id()] = formula
            if self._shared is not None:
                self._shared.add(self._implication(lit))
        return lit

    def _implication(self, lit: z3.BoolRef) -> z3.BoolRef:
        """`lit => formula`, the formula named or a query's own (made once per literal)."""
        got = self._guard.get(lit.get_id())
        if got is None:
            name = self._by_literal.get(lit.get_id())
            then = self.meaning[name] if name is not None else self._extra_meaning[lit.get_id()]
            # z3.Implies(lit, then), without its checks of the operands' sorts (some 0.3 ms a term)
            got = z3.BoolRef(z3.Z3_mk_implies(lit.ctx_ref(), lit.as_ast(), then.as_ast()), lit.ctx)
            self._guard[lit.get_id()] = got
        return got

    def check(self, assume: Sequence[str], extra: Sequence[z3.BoolRef] = (), minimize: bool = True,
              also: Sequence[Var] = (), quick: bool = False, witness: bool = True, model: bool = False) -> Answer:
        """Are `assume` (named formulas) and `extra` (this query's own formulas) satisfiable
        together with the background? `also`: copies of inputs the query made, decoded into the
        witness too. `quick`: one solver of its own on a sixteenth of the budget and nothing
        further, an unsat answer without its core: for a hint (the query narrowed to look for a
        case near a known one), where Unknown costs little and the full query follows.
        `witness=False`: the caller reads a Refuted answer as "satisfiable" only, never its case
        (which is then left empty): the question goes first to the prover's assumption solver,
        whose models differ from the fresh solvers' (what it learnt from earlier queries steers
        it), and which answers in a fraction of their time; its model only with `model=True`. The core of a Proved answer is the
        same either way (see `_minimize`)."""
        known = [truth(x) for x in extra]  # z3.is_true and z3.is_false in one call each
        extra = [x for x, k in zip(extra, known, strict=True) if k <= 0]
        if any(k < 0 for k in known):
            self.stats.queries += 1  # settled by the term constructors: the formula folded to false
            return Proved(())
        lits = [self._literal[a] for a in assume] + [self._extra_literal(x) for x in extra]
        extra_lits = lits[len(assume):]
        if not witness and not quick:
            result = self._ask(lits)
            if result == z3.sat:
                return Refuted({}, self._model() if model else None)
            if result == z3.unsat:
                core = self._named_core(self._assumed_solver().unsat_core())
                return Proved(self._minimize(list(assume), extra_lits, core) if minimize
                              else tuple(a for a in assume if a in core))
        if quick:
            solver = self._query_solver(lits, self.budget.rlimit // 16)
            result = self._run(solver, lits)
            if result == z3.sat:
                return self._refuted(solver.model(), lits, also)
            return Proved(()) if result == z3.unsat else Unknown("a hint left open")
        # First a solver of its own holding only this query (see the module's docstring), on a
        # quarter of the budget, then another without relevancy filtering; what they leave open
        # goes to the slice's incremental solver.
        solver = self._query_solver(lits, self.budget.rlimit // 4)
        result = self._run(solver, lits)
        if result == z3.unknown:
            solver = self._query_solver(lits, self.budget.rlimit // 4, relevancy=False)
            result = self._run(solver, lits)
        if result == z3.unknown:
            solver = self.solver
            result = self._run(solver, lits)
        if result == z3.sat:
            return self._refuted(solver.model(), lits, also)
        if result == z3.unsat:
            core = self._named_core(solver.unsat_core())
            return Proved(self._minimize(list(assume), extra_lits, core) if minimize
                          else tuple(a for a in assume if a in core))
        # Out of budget. Retry once on a fresh solver that is given the whole query at once, with
        # no assumptions: Z3 then preprocesses it as one problem (solving equations, lifting
        # `if`s), which often settles at once what the incremental solver could not.
        self.stats.retries += 1
        formulas = [self.meaning[a] for a in assume]
        result, found = self._plain(formulas + extra)
        if result == z3.sat:
            assert found is not None
            return self._refuted(found, lits, also)
        if result == z3.unknown:
            return Unknown(_reason(self._last_reason, self.budget))
        if not minimize:
            return Proved(tuple(assume))
        needed = self._explain([], list(assume), extra)
        return Proved(tuple(a for a in assume if a in needed))

    def _query_solver(self, lits: Sequence[z3.BoolRef], rlimit: int, relevancy: bool = True) -> z3.Solver:
        """A fresh solver (with relevancy filtering unless told) holding the background and the
        formulas of `lits` only, each under its literal, so that a core names them."""
        solver = self._fresh(incremental=not relevancy, simple=True)
        solver.set("rlimit", rlimit)
        for b in self.background:
            solver.add(b)
        for lit in lits:
            _assert(solver, self._implication(lit))
        return solver

    def _plain(self, formulas: Sequence[z3.BoolRef]) -> tuple[z3.CheckSatResult, z3.ModelRef | None]:
        solver = self._fresh(incremental=False)
        for b in self.background:
            solver.add(b)
        for f in formulas:
            solver.add(f)
        result = self._run(solver, [])
        self._last_reason = solver.reason_unknown() if result == z3.unknown else ""
        return result, (solver.model() if result == z3.sat else None)

    def _explain(self, fixed: list[str], candidates: list[str], extra: Sequence[z3.BoolRef]) -> list[str]:
        """A minimal subset of `candidates` that, with `fixed` and `extra`, is still unsat, by
        QuickXplain (one plain query per split; an undecided one keeps the part: the core stays
        a core, at worst not the smallest)."""
        def unsat(names: list[str]) -> bool:
            return self._plain([self.meaning[a] for a in names] + list(extra))[0] == z3.unsat

        if not candidates:
            return []
        if len(candidates) == 1:
            return [] if unsat(fixed) else candidates
        half = len(candidates) // 2
        a, b = candidates[:half], candidates[half:]
        if unsat(fixed + a):
            return self._explain(fixed, a, extra)
        if unsat(fixed + b):
            return self._explain(fixed, b, extra)
        core_a = self._explain(fixed + b, a, extra)
        core_b = self._explain(fixed + core_a, b, extra)
        return core_a + core_b

    def _run(self, solver: z3.Solver, lits: list[z3.BoolRef]) -> z3.CheckSatResult:
        start = time.perf_counter()
        try:
            # solver.check(*lits) without its cast of every literal to a Boolean (the literals are
            # Boolean constants of the solver's context), which cost as much as a small query
            array = (z3.Ast * len(lits))(*[lit.as_ast() for lit in lits])
            return z3.CheckSatResult(z3.Z3_solver_check_assumptions(solver.ctx.ref(), solver.solver, len(lits), array))
        finally:
            self.stats.queries += 1
            self.stats.seconds += time.perf_counter() - start

    def _named_core(self, core: Iterable[z3.BoolRef] | z3.AstVector) -> set[str]:
        if isinstance(core, z3.AstVector):
            # the ids straight from Z3's vector, without a Python wrapper per element
            ref, vec = core.ctx.ref(), core.vector
            ids = [z3.Z3_get_ast_id(ref, z3.Z3_ast_vector_get(ref, vec, i))
                   for i in range(z3.Z3_ast_vector_size(ref, vec))]
        else:
            ids = [c.get_id() for c in core]
        return {self._by_literal[i] for i in ids if i in self._by_literal}

    def _minimize(self, given: list[str], extra: list[z3.BoolRef], core: set[str]) -> tuple[str, ...]:
        """The canonical minimal core among `assume`, given that `core` (a subset) and `extra` are
        unsat: the one deletion keeps when it tries the formulas in the order they were named, last
        first (a slice's prover names the domain axioms, then the requirements in file order: a
        core is preferably of domains and early requirements). It depends on which
        subsets are unsat, not on which of several cores Z3 happens to return (that depends on the
        numbering of its terms, so on what else was encoded before: a smaller library loaded, a
        solver shared between queries). Z3's cores only make it cheaper: the last element of the
        core Z3 returned is the first one deletion cannot drop when what comes before it is
        satisfiable, so that a core Z3 returns already minimal costs one satisfiable query per
        element, as deletion from that core did. An undecided query keeps the element: the result
        is always a core, at worst not the smallest.

        Deletion last first keeps x_k, with K the elements kept so far (all after x_k), exactly
        when K with x_1 .. x_{k-1} is satisfiable; the k of the next element kept is the least k
        for which K with x_1 .. x_k is unsat, and a core of K with x_1 .. x_j bounds it by its
        last element."""
        assume = sorted(dict.fromkeys(given), key=lambda a: self._order[a])
        position = {a: i for i, a in enumerate(assume)}
        chosen: list[str] = []  # kept, last first
        known = set(core)  # a core within chosen and assume[:hi]
        while True:
            rest = [position[a] for a in known if a not in chosen]
            if not rest:
                return tuple(a for a in given if a in chosen)
            k = max(rest)
            trial = [self._literal[a] for a in (*chosen, *assume[:k])] + extra
            result = self._ask(trial)
            if result == z3.unsat:
                known = self._named_core(self._assumed_solver().unsat_core())
                continue
            if result == z3.unknown:
                # once more on a solver of its own, as the first answer to a query is sought
                solver = self._query_solver(trial, self.budget.rlimit // 4)
                if self._run(solver, trial) == z3.unsat:
                    known = self._named_core(solver.unsat_core())
                    continue
            chosen.append(assume[k])

    def _assumed_solver(self) -> z3.Solver:
        if self._assumed is None:
            self._assumed = z3.SimpleSolver()
            self._assumed.set("rlimit", self.budget.rlimit // ASSUMED_SHARE)
            self._assumed.set("timeout", self.budget.timeout_ms)
            for b in self.background:
                self._assumed.add(b)
        return self._assumed

    def _ask(self, lits: Sequence[z3.BoolRef]) -> z3.CheckSatResult:
        """`lits` on the assumption solver: each formula is added once (under its literal, which
        a query that does not assume it leaves free), then every query is a check with
        assumptions, with no solver to build."""
        solver = self._assumed_solver()
        for lit in lits:
            # by the id of the Python object: a literal is always the one `name` and
            # `_extra_literal` made and keep (asking Z3 for the term's id cost a call per literal)
            if id(lit) not in self._assumed_holds:
                self._assumed_holds.add(id(lit))
                _assert(solver, self._implication(lit))
        return self._run(solver, list(lits))

    def _model(self) -> z3.ModelRef:
        return self._assumed_solver().model()

    def _refuted(self, model: z3.ModelRef, lits: list[z3.BoolRef], also: Sequence[Var]) -> Answer:
        try:
            return Refuted(self.decode(model), model, {v.name: v.decode(model) for v in also})
        except NotDecimal:
            pass
        grid = [z3.IsInt(v.const * DECIMAL_GRID) for v in (*self.inputs.values(), *also)
                if v.const.sort() == z3.RealSort()]
        fresh = self._fresh()
        for b in self.background:
            fresh.add(b)
        for lit in lits:
            name = self._by_literal.get(lit.get_id())
            fresh.add(lit == self.meaning[name] if name is not None
                      else z3.Implies(lit, self._extra_meaning[lit.get_id()]))
        fresh.add(*grid)
        result = self._run(fresh, lits)
        if result == z3.sat:
            model = fresh.model()
            return Refuted(self.decode(model), model, {v.name: v.decode(model) for v in also})
        return Unknown("the only cases Z3 found have decimals with no finite expansion (like 1/3); "
                       "no fact can state them")

    def decode(self, model: z3.ModelRef) -> dict[str, Value]:
        return {name: var.decode(model) for name, var in self.inputs.items()}


def _assert(solver: z3.Solver, formula: z3.BoolRef) -> None:
    """solver.add(formula) without its cast to a Boolean: `formula` is one already."""
    z3.Z3_solver_assert(solver.ctx.ref(), solver.solver, formula.as_ast())


def _reason(raw: str, budget: Budget) -> str:
    if raw in ("canceled", "timeout", "max. resource limit exceeded", "resource limits reached") or "limit" in raw:
        return f"the solver ran out of its time limit ({budget.seconds:g} s) twice"
    return f"the solver could not decide: {raw}"
