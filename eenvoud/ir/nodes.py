"""IR nodes: frozen dataclasses. A node's span takes no part in equality or hashing, so two
regulations that say the same thing are equal wherever their text stood (Cedar does the same).

Expressions come first, then declarations, then the regulation that holds them. Every pass over
these nodes is a plain function that matches on them and ends in `assert_never`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from eenvoud.ir.types import Type
from eenvoud.source import Span


@dataclass(frozen=True)
class Node:
    span: Span | None = field(default=None, compare=False, hash=False, repr=False, kw_only=True)


# --- expressions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True)
class IntLit(Node):
    value: int


@dataclass(frozen=True)
class DecimalLit(Node):
    value: Decimal  # 13.67% is stored as 0.1367 with percent=True
    percent: bool = False


@dataclass(frozen=True)
class MoneyLit(Node):
    value: Decimal


@dataclass(frozen=True)
class DateLit(Node):
    value: date


@dataclass(frozen=True)
class EnumLit(Node):
    member: str


@dataclass(frozen=True)
class Name(Node):
    """A reference to an input, parameter, bracket, definition, amount or built-in value."""

    name: str


@dataclass(frozen=True)
class Unary(Node):
    op: str  # "-" | "not"
    operand: Expr


@dataclass(frozen=True)
class Binary(Node):
    op: str  # + - * / == != < <= > >= and or implies
    left: Expr
    right: Expr


@dataclass(frozen=True)
class InSet(Node):
    """`x in {a, b}`: true when `x` equals one of the options."""

    operand: Expr
    options: tuple[Expr, ...]


@dataclass(frozen=True)
class If(Node):
    cond: Expr
    then: Expr
    else_: Expr


@dataclass(frozen=True)
class Call(Node):
    """A built-in function: min, max, round, floor, ceil, abs, years_between, ..."""

    func: str
    args: tuple[Expr, ...]


MONTH_SUM = "sum_over_months"


@dataclass(frozen=True)
class MonthSum(Call):
    """`sum for each month m in the year of Y: body`: the sum of `body` over the twelve months of
    the calendar year of the date `Y`, with `m` the first day of each month ("de aanspraak wordt
    voor iedere kalendermaand afzonderlijk bepaald").

    It is a `Call` of `sum_over_months`, so that every pass that walks calls walks it. As written
    (the parser's IR), `args` is `(year, body)`, with `var` free in `body`. The checker makes `args`
    `(year, body for January, ..., body for December)`: closed copies in which `var` is replaced by
    the first day of that month (`month_start(year, k)`), so that a pass over the checked IR never
    meets a free `var`. The lowering (eenvoud/core/lower.py) gives those month dates as constants
    when the year is fixed by the decision date, and adds the twelve copies up.
    `var`, `year` and `body` keep the construct as written, for the printer and the reasons."""

    var: str
    year: Expr
    body: Expr
    # once checked: the twelve month dates the copies read (the lowering gives them as constants)
    starts: tuple[Expr, ...] = field(default=(), compare=False, repr=False)

    @property
    def months(self) -> tuple[Expr, ...]:
        """The twelve copies of the body, once checked (empty as written)."""
        return self.args[1:] if len(self.args) == 13 else ()


def month_sum(var: str, year: Expr, body: Expr, months: tuple[Expr, ...] = (),
              starts: tuple[Expr, ...] = (), span: Span | None = None) -> MonthSum:
    """The node as written (no `months`) or as checked (the twelve copies and their month dates)."""
    return MonthSum(MONTH_SUM, (year, *(months or (body,))), var, year, body, starts, span=span)


# The first day of the calendar year of a date `d`, in the built-in functions alone:
# add_years(2000-01-01, years_between(2000-01-01, d)): from a 1 January, years_between counts
# d.year - 2000 exactly (negative before 2000), so the result is 1 January of d's year. Month k (1..12)
# of that year starts k - 1 months later. (Any 1 January would do; one far from the ends of the
# calendar keeps every date shift of a pass over the rules inside it.)
YEAR_ORIGIN = date(2000, 1, 1)


Literal = BoolLit | IntLit | DecimalLit | MoneyLit | DateLit | EnumLit
Expr = BoolLit | IntLit | DecimalLit | MoneyLit | DateLit | EnumLit | Name | Unary | Binary | InSet | If | Call

ARITHMETIC = ("+", "-", "*", "/")
COMPARISON = ("==", "!=", "<", "<=", ">", ">=")
LOGICAL = ("and", "or", "implies")


# --- declarations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Import(Node):
    path: str  # as written, relative to the importing file


@dataclass(frozen=True)
class Includes(Node):
    """`includes a, b`: the regulations a life event bundles, by their names (ids)."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class RegistryPeriod(Node):
    """The period, relative to the decision date, of the fact an input's registry binding reads.

    `on decision date` (the state on that day), `until decision date` (the history up to it),
    `for year` / `for year - N` (the calendar year of the decision date, or the N-th year before
    it), `for past N months` (the N months before it), `for next N months` (an expectation of the
    N months from it)."""

    kind: str  # one of PERIOD_KINDS
    count: int = 0  # years back for "year"; the number of months for "past_months"/"next_months"

    def text(self) -> str:
        match self.kind:
            case "on_date":
                return "on decision date"
            case "until_date":
                return "until decision date"
            case "year":
                return "for year" if self.count == 0 else f"for year - {self.count}"
            case "past_months":
                return f"for past {self.count} months"
            case "next_months":
                return f"for next {self.count} months"
        raise ValueError(f"unknown period kind {self.kind!r}")


PERIOD_KINDS = ("on_date", "until_date", "year", "past_months", "next_months")


@dataclass(frozen=True)
class Input(Node):
    name: str
    type: Type
    label: str | None = None
    registry: str | None = None  # `from BRP`: data the government already holds
    # `from BRI for year - 2`: the period of the registry's fact the rule reads (None: as the rule
    # reads it, unchecked); `judged`: the registry holds evidence, the fact itself is a judgement
    # (an estimate, an assessment) that needs the citizen or the agency
    period: RegistryPeriod | None = None
    judged: bool = False

    def binding_text(self) -> str | None:
        """The binding as written after the label: `from BRI for year - 2 judged`."""
        if self.registry is None:
            return None
        text = f"from {self.registry}"
        if self.period is not None:
            text += f" {self.period.text()}"
        if self.judged:
            text += " judged"
        return text


@dataclass(frozen=True)
class ParamValue(Node):
    valid_from: date
    value: Literal
    source: str | None = None


@dataclass(frozen=True)
class Parameter(Node):
    name: str
    type: Type
    label: str | None
    values: tuple[ParamValue, ...]


@dataclass(frozen=True)
class BracketRow(Node):
    """Applies when lo <= key < hi; a missing bound is open."""

    lo: Literal | None
    hi: Literal | None
    value: Literal


@dataclass(frozen=True)
class BracketVersion(Node):
    valid_from: date
    rows: tuple[BracketRow, ...]
    source: str | None = None


@dataclass(frozen=True)
class Bracket(Node):
    """A table of values by a key: the first row whose interval holds the key gives the value."""

    name: str
    type: Type
    label: str | None
    key: Expr
    versions: tuple[BracketVersion, ...]


@dataclass(frozen=True)
class Definition(Node):
    name: str
    type: Type | None
    label: str | None
    expr: Expr


@dataclass(frozen=True)
class Exemption(Node):
    """`unless cond`: when cond holds, the requirement is met whatever its own condition says."""

    condition: Expr
    label: str | None = None


@dataclass(frozen=True)
class Requirement(Node):
    name: str
    label: str | None
    article: str | None
    condition: Expr
    exemptions: tuple[Exemption, ...] = ()


@dataclass(frozen=True)
class Amount(Node):
    """Paid only when every requirement holds; 0 when one fails."""

    name: str
    type: Type | None
    label: str | None
    article: str | None
    expr: Expr


@dataclass(frozen=True)
class Document(Node):
    name: str
    label: str | None
    provides: tuple[str, ...]
    required_when: Expr | None = None  # None: always required


@dataclass(frozen=True)
class Given(Node):
    name: str
    value: Literal


@dataclass(frozen=True)
class ExpectEligible(Node):
    value: bool | None  # None: expect undetermined


@dataclass(frozen=True)
class ExpectValue(Node):
    name: str
    value: Literal


@dataclass(frozen=True)
class ExpectMissing(Node):
    names: tuple[str, ...]


Expectation = ExpectEligible | ExpectValue | ExpectMissing


@dataclass(frozen=True)
class Test(Node):
    name: str
    on: date
    given: tuple[Given, ...]
    expects: tuple[Expectation, ...]
    source: str | None = None


@dataclass(frozen=True)
class Property(Node):
    """Holds for every case: proved by the solver, or refuted with a counterexample."""

    name: str
    on: date | None
    expr: Expr


Declaration = Input | Parameter | Bracket | Definition | Requirement | Amount | Document
Item = Import | Declaration | Test | Property | Includes


@dataclass(frozen=True)
class Regulation(Node):
    """One rule file as written: a `regulation` (decides eligibility), a `module` (shared
    definitions that regulations import) or an `event` (a life event: the regulations it includes)."""

    kind: str  # "regulation" | "module" | "event"
    name: str
    title: str | None
    agency: str | None = None
    source: str | None = None
    items: tuple[Item, ...] = ()

    @property
    def imports(self) -> tuple[Import, ...]:
        return tuple(i for i in self.items if isinstance(i, Import))

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(i for i in self.items if not isinstance(i, Import | Test | Property | Includes))

    @property
    def includes(self) -> tuple[Includes, ...]:
        return tuple(i for i in self.items if isinstance(i, Includes))

    @property
    def tests(self) -> tuple[Test, ...]:
        return tuple(i for i in self.items if isinstance(i, Test))

    @property
    def properties(self) -> tuple[Property, ...]:
        return tuple(i for i in self.items if isinstance(i, Property))
