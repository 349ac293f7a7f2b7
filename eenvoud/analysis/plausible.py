"""Plausible witnesses: a case shown to a drafter lies in a realistic range and fails as few
requirements as it can (issue 11, part 3).

The solver's first model is any point of the declared domains: a date of birth in the year 301,
assets of −€0.01, a test date of 0004-02-29, a case failing three requirements where one shows
the point. Declared domains stay the only hard limits — the decision of every analysis is taken on
them — and realism is only a preference, applied to the witness shown, after the decision:
`plausible(...)` moves each input of the witness, one at a time, to a typical value (a date between
1900 and the decision date, money from €0 to €1,000,000, counts and other numbers from 0 to 120,
inside the declared domain), and then towards the base case (a case meeting every requirement),
keeping a move only when the engine still shows exactly what the witness was for: the same
eligibility, amounts and required documents (for a pair of cases, both outcomes, still different),
the requirements it fails a non-empty subset of those it failed, and the inputs a `property` reads
untouched. What the engine shows is what the finding claims, so a finding never depends on it;
when no move keeps the claim, the witness stays as the solver found it.

One person, one age: where a case has both `age` and `birth_date` (the library derives the one
from the other, `variables.PERSON_DERIVATIONS`), `age` never moves by itself — it follows every
move of the birth date — and a witness whose two disagree is first made to agree (the age from the
birth date, or a birth date for the age), when the engine still shows the same.

Counts are small: an int input whose value is more than `COUNT_TYPICAL` is moved down towards 0,
1 or 2 when the engine shows the same (children, co-residents, months), before the base case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from eenvoud.analysis.variables import PERSON_DERIVATIONS
from eenvoud.engine import values as v
from eenvoud.engine.values import EvaluationError, Value
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t

MONEY_MAX = Decimal("1000000.00")
NUMBER_MAX = 120
COUNT_TYPICAL = 4  # an int above this (not an age) is moved down when the claim allows
EARLIEST = date(1900, 1, 1)
TYPICAL_AGE = 40
TYPICAL_CHILD_AGE = 8

Signature = Callable[[Mapping[str, Value]], object]


def realistic(value: Value, typ: t.Type, day: date) -> bool:
    """Whether a value lies in the realistic range of its type (on the decision date `day`)."""
    match typ:
        case t.DateType():
            return isinstance(value, date) and EARLIEST <= value <= day
        case t.MoneyType():
            return isinstance(value, Decimal) and Decimal(0) <= value <= MONEY_MAX
        case t.IntType() if not isinstance(value, bool):
            return isinstance(value, int) and 0 <= value <= NUMBER_MAX
        case t.DecimalType():
            return isinstance(value, Decimal) and Decimal(0) <= value <= MONEY_MAX
        case _:
            return True


def inside(value: Value, typ: t.Type) -> bool:
    """Whether a value lies inside the declared domain of its type (its bounds, where it has any)."""
    lo = getattr(typ, "lo", None)
    hi = getattr(typ, "hi", None)
    try:
        return (lo is None or value >= lo) and (hi is None or value <= hi)
    except TypeError:
        return False


def candidates(value: Value, typ: t.Type, day: date) -> list[Value]:
    """Typical values for an input, nearest first, inside its declared domain."""
    out: list[Value] = []
    match typ:
        case t.DateType():
            assert isinstance(value, date)
            year = min(max(value.year, 1900), day.year)
            try:
                out.append(value.replace(year=year))
            except ValueError:  # 29 February
                out.append(date(year, value.month, 28))
            out.insert(0, date(max(1900, day.year - 70), 1, 1))
            out.insert(0, date(max(1900, day.year - 40), 1, 1))
            out += [date(1950, 1, 1), date(day.year, 1, 1), EARLIEST, day]
        case t.MoneyType():
            assert isinstance(value, Decimal)
            out += [min(abs(value), MONEY_MAX), Decimal("0.00"), Decimal("1000.00"), Decimal("25000.00"), MONEY_MAX]
        case t.DecimalType():
            assert isinstance(value, Decimal)
            out += [min(abs(value), MONEY_MAX), Decimal(0), Decimal(1)]
        case t.IntType():
            assert isinstance(value, int)
            out += [min(abs(value), NUMBER_MAX), 0, 1, 2, NUMBER_MAX]
        case _:
            pass
    return [c for c in out if c != value and inside(c, typ) and realistic(c, typ, day)]


def claim_of(outcome: tuple[object, ...]) -> tuple[object, ...]:
    """What a single witness shows of the engine's outcome (`Context.fast_outcome`): an error and
    its message, or eligibility, with the documents required — not the amounts, which no single
    witness claims (a property that reads an amount is kept by its own value)."""
    return (outcome[0], outcome[1], outcome[-1]) if outcome[0] == "error" else (outcome[0], outcome[-1])


def pair_claim(first: tuple[object, ...], second: tuple[object, ...]) -> tuple[object, ...]:
    """What a pair of cases shows (a question that matters): the two outcomes differ; each case
    keeps its kind (eligible, not eligible, error), the amounts may move."""
    return first[0], second[0], first != second


def _links(inputs: tuple[n.Input, ...]) -> list[tuple[str, str]]:
    """The (derived, source) pairs of inputs that are one fact about one person in this case."""
    types = {i.name: i.type for i in inputs}
    return [(a, b) for a, b in PERSON_DERIVATIONS
            if isinstance(types.get(a), t.IntType) and isinstance(types.get(b), t.DateType)]


def linked(facts: Mapping[str, Value], links: list[tuple[str, str]], day: date) -> dict[str, Value]:
    """The case with every derived input recomputed from its source (`age` from `birth_date`)."""
    out = dict(facts)
    for derived, source in links:
        born = out.get(source)
        if isinstance(born, date) and derived in out:
            out[derived] = v.years_between(born, day)
    return out


def agrees(facts: Mapping[str, Value], inputs: tuple[n.Input, ...], day: date) -> bool:
    """Whether the derived inputs of a case agree with their sources (its age with its birth date)."""
    links = _links(inputs)
    return linked(facts, links, day) == dict(facts)


def born_for(age: int, like: date, day: date) -> date:
    """A birth date that makes someone `age` on `day` (the day and month of `like` where they fit)."""
    for born in (_replace_year(like, day.year - age), _replace_year(like, day.year - age - 1), date(day.year - age, 1, 1)):
        if born is not None and v.years_between(born, day) == age:
            return born
    return date(day.year - age, 1, 1)


def _replace_year(d: date, year: int) -> date | None:
    try:
        return d.replace(year=year)
    except ValueError:
        return None


def plausible(facts: Mapping[str, Value], inputs: tuple[n.Input, ...], day: date, signature: Signature,
              base: Mapping[str, Value], frozen: frozenset[str] = frozenset(),
              failed: Callable[[Mapping[str, Value]], frozenset[str]] | None = None) -> dict[str, Value]:
    """The witness `facts` moved towards a typical case while `signature` (what the engine shows
    for it) stays the same and, with `failed`, the requirements it fails shrink but never vanish.
    Inputs in `frozen` do not move."""
    current = dict(facts)
    try:
        want = signature(current)
        fails = failed(current) if failed is not None else frozenset()
    except EvaluationError:
        return current
    types = declared = {i.name: i.type for i in inputs}
    links = _links(inputs)
    frozen = frozen | {a for a, _ in links}  # a derived input follows its source, never moves by itself

    def keeps(trial: dict[str, Value]) -> frozenset[str] | None:
        trial.update(linked(trial, links, day))
        try:
            if signature(trial) != want:
                return None
            now = failed(trial) if failed is not None else frozenset()
        except (EvaluationError, ArithmeticError):
            return None
        if fails and not (now and now <= fails):
            return None
        return now

    def adopt_first(x: str, trials: Iterable[Value]) -> None:
        """`x` takes the first trial value that keeps the witness what it is (with what follows from it)."""
        nonlocal current, fails
        for c in trials:
            got = keeps({**current, x: c})
            if got is not None:
                current[x], fails = c, got
                current = linked(current, links, day)
                return

    # 0. one person: the age agrees with the birth date (the age from it, or a birth date for the age)
    for derived, source in links:
        age, born = current.get(derived), current.get(source)
        if not isinstance(age, int) or not isinstance(born, date) or v.years_between(born, day) == age:
            continue
        for trial in ({**current}, {**current, source: born_for(age, born, day)} if 0 <= age < day.year else None):
            if trial is None:
                continue
            got = keeps(trial)
            if got is not None:
                current, fails = trial, got
                break
    # 1. realistic values, one input at a time
    for i in inputs:
        x = i.name
        if x in frozen or x not in current or realistic(current[x], types[x], day):
            continue
        adopt_first(x, candidates(current[x], declared[x], day))
    # 2. towards the base case (every requirement met): fewer requirements failed, fewer odd values
    for i in inputs:
        x = i.name
        if x in frozen or x not in current or x not in base or current[x] == base[x]:
            continue
        if not realistic(base[x], types[x], day):
            continue
        if isinstance(i.type, t.IntType) and isinstance(base[x], int) and not _age_like(x) \
                and base[x] > COUNT_TYPICAL >= current[x]:  # type: ignore[operator]
            continue  # a small count stays small
        got = keeps({**current, x: base[x]})
        if got is not None and (len(got) < len(fails) or not realistic(current[x], types[x], day)
                                or not fails):
            current[x], fails = base[x], got
            current = linked(current, links, day)
    # 3. a typical person and small counts: a birth date for an age near TYPICAL_AGE, counts near 0
    for i in inputs:
        x = i.name
        if x in frozen or x not in current:
            continue
        value = current[x]
        trials: list[Value] = []
        if isinstance(value, date) and (x in {b for _, b in links} or _birth_like(x)):
            age = v.years_between(value, day)
            if _child_like(x):  # a child's birth date: a child's age
                if not 0 <= age <= 17:
                    trials = [born_for(k, value, day) for k in (TYPICAL_CHILD_AGE, 3, 12, 16, 0)]
            elif abs(age - TYPICAL_AGE) > 15:
                trials = [born_for(TYPICAL_AGE, value, day), born_for(67, value, day), born_for(18, value, day)]
        elif isinstance(i.type, t.IntType) and isinstance(value, int) and not isinstance(value, bool) \
                and value > COUNT_TYPICAL and not _age_like(x):
            trials = [0, 1, 2, COUNT_TYPICAL]
        adopt_first(x, (c for c in trials if c != value and inside(c, declared[x])))
    # 4. round money: whole euros (hundreds where they fit) rather than €0.01 or €317.02
    for i in inputs:
        x = i.name
        amount = current.get(x)
        if x in frozen or not isinstance(i.type, t.MoneyType) or not isinstance(amount, Decimal):
            continue
        if amount % 1 == 0 and not Decimal(0) < amount < 10:
            continue
        trials_m = [amount.quantize(Decimal("1E2")).quantize(Decimal("0.01")) if amount >= 50 else None,
                    amount.quantize(Decimal("1")).quantize(Decimal("0.01")),
                    Decimal("100.00"), Decimal("500.00"), Decimal("1000.00")]
        for m in trials_m:
            if m is None or m == amount or not inside(m, declared[x]) or not realistic(m, declared[x], day):
                continue
            got = keeps({**current, x: m})
            if got is not None:
                current[x], fails = m, got
                break
    return current


def _child_like(name: str) -> bool:
    return "child" in name or "kind" in name


def _birth_like(name: str) -> bool:
    return name == "birth_date" or name.endswith("_birth_date")


def _age_like(name: str) -> bool:
    return name == "age" or name.endswith("_age") or name.startswith("age_")


# -- a pair of cases: the first case and the answer that changes its outcome ------------------------

# round amounts a changed answer is tried at, besides its own value rounded (whole euros)
ROUND_AMOUNTS = tuple(Decimal(k).quantize(Decimal("0.01")) for k in (
    0, 50, 100, 200, 250, 300, 400, 500, 600, 750, 800, 900, 1000, 1200, 1250, 1500, 1750, 2000, 2500, 3000,
    4000, 5000, 7500, 10000, 12500, 15000, 20000, 25000, 30000, 40000, 50000, 75000, 100000))


def rounder(amount: Decimal) -> list[Decimal]:
    """Rounder amounts near `amount`, roundest first: hundreds, tens, whole euros (never itself)."""
    out = []
    for step in (Decimal(100), Decimal(10), Decimal(1)):
        if abs(amount) >= step:
            out.append(((amount / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step).quantize(Decimal("0.01")))
    return [r for r in dict.fromkeys(out) if r != amount]


def plausible_pair(facts: Mapping[str, Value], changed: Mapping[str, Value], inputs: tuple[n.Input, ...], day: date,
                   outcome: Callable[[Mapping[str, Value]], tuple[object, ...]], base: Mapping[str, Value],
                   frozen: frozenset[str] = frozenset()) -> tuple[dict[str, Value], dict[str, Value]]:
    """A pair witness (`facts`, and `changed`: the answers that change the outcome) moved towards a
    typical case while the engine shows the same pair (`pair_claim`: each case keeps its kind, the
    outcomes differ). The first case moves as a single witness does (`plausible`), the changed
    answers held; the changed answers then move to realistic and round values (whole euros where a
    whole-euro amount keeps the pair, cents only when needed); last, a typical person (an adult
    near `TYPICAL_AGE`, small counts), re-choosing the changed answer among round amounts where the
    held one no longer shows the pair: the answer that matters for a 40-year-old is another amount
    than for an 18-year-old; and money of a few cents (an assessment of €0.01) to typical amounts
    the same way (`typical_money`)."""
    other = dict(changed)

    def pair(f: Mapping[str, Value], o: Mapping[str, Value]) -> object:
        return pair_claim(outcome(f), outcome({**f, **o}))

    try:
        want = pair(facts, other)
    except (EvaluationError, ArithmeticError):
        return dict(facts), other

    def same(f: Mapping[str, Value], o: Mapping[str, Value]) -> bool:
        try:
            return pair(f, o) == want
        except (EvaluationError, ArithmeticError):
            return False

    types = {i.name: i.type for i in inputs}
    links = _links(inputs)
    held = frozen | frozenset(other)
    got = plausible(facts, inputs, day, lambda f: pair(f, other), base, held)

    def options(x: str, value: Value) -> list[Value]:
        """Values for a changed answer, realistic and round first, the nearest first."""
        typ = types[x]
        trials: list[Value] = [] if realistic(value, typ, day) else candidates(value, typ, day)
        if isinstance(typ, t.MoneyType) and isinstance(value, Decimal):
            amount: Decimal = value
            trials += rounder(amount)
            by_distance: list[Decimal] = sorted(ROUND_AMOUNTS, key=lambda m: abs(m - amount))
            trials += by_distance
        elif isinstance(typ, t.IntType) and isinstance(value, int) and not isinstance(value, bool):
            count: int = value
            near: list[int] = sorted(range(0, 11), key=lambda k: abs(k - count))
            trials += near
        return [c for c in dict.fromkeys(trials) if c != value and inside(c, typ) and realistic(c, typ, day)]

    def shown(moved: dict[str, Value], x: str) -> tuple[dict[str, Value], dict[str, Value]] | None:
        """`moved` (the first case with `x` moved) and the changed answers, where the pair still
        shows: with the answers as they are, or (one changed answer, not `x`) that answer re-chosen."""
        if same(moved, other):
            return moved, other
        if len(other) != 1 or x in other:
            return None
        [(y, answer)] = other.items()
        again = next((o for o in options(y, answer) if same(moved, {y: o})), None)
        return None if again is None else (moved, {y: again})

    # 1. the changed answers, and their value in the first case: realistic and round
    for x in list(other):
        answer = other[x]
        if (isinstance(answer, Decimal) and answer % 1 == 0 or isinstance(answer, int)) \
                and realistic(answer, types[x], day):
            continue
        if not isinstance(answer, Decimal | int) and realistic(answer, types[x], day):
            continue
        for c in options(x, answer):
            if same(got, {**other, x: c}):
                other[x] = c
                break
    for x in other:
        first = got.get(x)
        if x in frozen or not isinstance(first, Decimal) or first % 1 == 0:
            continue
        for c in rounder(first):
            if inside(c, types[x]) and same({**got, x: c}, other):
                got[x] = c
                break
    # 2. a typical person and small counts, the changed answer re-chosen where it must be
    for i in inputs:
        x = i.name
        if x in held or x not in got or x in {a for a, _ in links}:
            continue
        value = got[x]
        trials: list[Value] = []
        if isinstance(value, date) and (x in {b for _, b in links} or _birth_like(x)):
            age = v.years_between(value, day)
            if _child_like(x):
                if not 0 <= age <= 17:
                    trials = [born_for(k, value, day) for k in (TYPICAL_CHILD_AGE, 3, 12, 16)]
            elif abs(age - TYPICAL_AGE) > 15:
                trials = [born_for(k, value, day) for k in (TYPICAL_AGE, 35, 45, 30, 50, 67)]
        elif isinstance(i.type, t.IntType) and isinstance(value, int) and not isinstance(value, bool) \
                and value > COUNT_TYPICAL and not _age_like(x):
            trials = [0, 1, 2, COUNT_TYPICAL]
        for c in (c for c in trials if c != value and inside(c, types[x])):
            step = shown(linked({**got, x: c}, links, day), x)
            if step is not None:
                got, other = step
                break
    # 3. typical money: an amount in the first case that is not whole euros or is a few cents
    # (an assessment of €0.01 remitted against €0.00) moves to whole euros or a typical amount,
    # held or free: where the pair no longer shows with the changed answer held, that answer is
    # re-chosen among round amounts (declared domains, and the inputs `frozen`, stay as they are)
    for i in inputs:
        x = i.name
        amount = got.get(x)
        if x in frozen or not isinstance(i.type, t.MoneyType) or not isinstance(amount, Decimal):
            continue
        for c in typical_money(amount):
            if not inside(c, types[x]) or not realistic(c, types[x], day):
                continue
            step = shown({**got, x: c}, x)
            if step is not None:
                got, other = step
                break
    return got, other


TYPICAL_MONEY = Decimal("250.00")  # what a few cents move towards: an assessment, a monthly cost


def typical_money(amount: Decimal) -> list[Decimal]:
    """Typical amounts for a money value that is not one (cents, or a few euros above €0): whole
    euros first, then round amounts nearest a typical few hundred euros; [] for a typical one."""
    if amount % 1 == 0 and not Decimal(0) < amount < 10:
        return []
    whole = amount.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
    out = [*rounder(amount), whole]
    if abs(amount) < 10:
        out += sorted(ROUND_AMOUNTS, key=lambda m: (abs(m - TYPICAL_MONEY), m))
    return [m for m in dict.fromkeys(out) if m != amount]
