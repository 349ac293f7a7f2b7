"""Generated regulations and cases for the analyzer's property tests.

A regulation is generated as rule text over a fixed set of typed inputs, with random typed
expressions in its definitions, requirements (with exemptions), amounts, documents and a bracket
(whose rows may leave gaps or overlap, so that the engine's errors are exercised too). Every
choice is drawn from hypothesis, so a failing regulation shrinks to a small one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from eenvoud.engine.values import Value

INPUTS = """\
input b1 : bool "b1"
input b2 : bool "b2"
input i1 : int 0..100 "i1"
input i2 : int -50..50 "i2"
input m1 : money €0..€100_000 "m1"
input m2 : money "m2"
input d1 : decimal 0..10 "d1"
input e1 : one of {red, green, blue} "e1"
input t1 : date "t1"
"""

PARAMETERS = """\
parameter par_m : money "par_m"
  2024-01-01: €1_500.50
  2025-01-01: €1_750.25
parameter par_r : percent "par_r"
  2024-01-01: 4.5%
  2025-01-01: 5.25%
"""

DATES = (date(2024, 1, 1), date(2025, 1, 1), date(2025, 6, 30))

Draw = Callable[[st.SearchStrategy[object]], object]


class Gen:
    """Typed random expressions, as rule text."""

    def __init__(self, draw: Draw, definitions: dict[str, str]):
        self.draw = draw
        self.defs = definitions  # name -> type of the definitions declared so far

    def pick(self, options: list[str]) -> str:
        return options[self.draw(st.integers(0, len(options) - 1))]  # type: ignore[index]

    def small(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))  # type: ignore[return-value]

    def of(self, typ: str) -> list[str]:
        return [n for n, t in self.defs.items() if t == typ]

    def expr(self, typ: str, depth: int) -> str:
        return getattr(self, typ)(depth)

    def bool(self, depth: int) -> str:
        leaves = ["b1", "b2", "true", "false", *self.of("bool")]
        if depth <= 0:
            return self.pick(leaves)
        kind = self.small(0, 9)
        if kind == 0:
            return self.pick(leaves)
        if kind == 1:
            a, b = self.expr("int", depth - 1), self.expr("int", depth - 1)
            return f"({a} {self.pick(['<', '<=', '==', '!=', '>', '>='])} {b})"
        if kind == 2:
            a, b = self.expr("money", depth - 1), self.expr("money", depth - 1)
            return f"({a} {self.pick(['<', '<=', '==', '!=', '>', '>='])} {b})"
        if kind == 3:
            op = self.pick(["and", "or", "implies"])
            return f"({self.expr('bool', depth - 1)} {op} {self.expr('bool', depth - 1)})"
        if kind == 4:
            return f"not {self.expr('bool', depth - 1)}"
        if kind == 5:
            opts = ", ".join(sorted({self.pick(["red", "green", "blue"]) for _ in range(self.small(1, 2))}))
            return f"(e1 in {{{opts}}})"
        if kind == 6:
            return f"(if {self.expr('bool', depth - 1)} then {self.expr('bool', depth - 1)} " \
                   f"else {self.expr('bool', depth - 1)})"
        if kind == 7:
            a, b = self.expr("date", depth - 1), self.expr("date", depth - 1)
            return f"({a} {self.pick(['<', '<=', '==', '>'])} {b})"
        if kind == 8:
            a, b = self.expr("decimal", depth - 1), self.expr("decimal", depth - 1)
            return f"({a} {self.pick(['<', '<=', '==', '>'])} {b})"
        return f"(e1 {self.pick(['==', '!='])} {self.pick(['red', 'green', 'blue'])})"

    def int(self, depth: int) -> str:
        leaves = ["i1", "i2", str(self.small(-5, 120)), *self.of("int")]
        if depth <= 0:
            return self.pick(leaves)
        kind = self.small(0, 9)
        if kind == 0:
            return self.pick(leaves)
        if kind == 1:
            return f"({self.expr('int', depth - 1)} {self.pick(['+', '-'])} {self.expr('int', depth - 1)})"
        if kind == 2:
            return f"({self.expr('int', depth - 1)} * {self.small(-3, 3)})"
        if kind == 3:
            return f"{self.pick(['min', 'max'])}({self.expr('int', depth - 1)}, {self.expr('int', depth - 1)})"
        if kind == 4:
            return f"abs({self.expr('int', depth - 1)})"
        if kind == 5:
            return f"(if {self.expr('bool', depth - 1)} then {self.expr('int', depth - 1)} " \
                   f"else {self.expr('int', depth - 1)})"
        if kind == 6:
            return f"{self.pick(['years_between', 'months_between'])}({self.expr('date', depth - 1)}, " \
                   f"{self.expr('date', depth - 1)})"
        if kind == 7:
            return f"days_between({self.expr('date', depth - 1)}, reference_date)"
        if kind == 8:
            return "band"
        return f"-{self.expr('int', depth - 1)}"

    def money(self, depth: int) -> str:
        leaves = ["m1", "m2", "par_m", f"€{self.small(0, 50_000)}.{self.small(0, 99):02d}", *self.of("money")]
        if depth <= 0:
            return self.pick(leaves)
        kind = self.small(0, 9)
        if kind == 0:
            return self.pick(leaves)
        if kind == 1:
            return f"({self.expr('money', depth - 1)} {self.pick(['+', '-'])} {self.expr('money', depth - 1)})"
        if kind == 2:
            return f"({self.expr('money', depth - 1)} * {self.expr('decimal', depth - 1)})"
        if kind == 3:
            fn = self.pick(["round", "floor", "ceil"])
            return f"{fn}({self.expr('money', depth - 1)} / {self.pick(['12', '3', '7', '100'])}, {self.small(0, 2)})"
        if kind == 4:
            fn = self.pick(["round", "floor", "ceil"])
            return f"{fn}({self.expr('money', depth - 1)} / {self.expr('int', depth - 1)}, 2)"
        if kind == 5:
            return f"{self.pick(['min', 'max'])}({self.expr('money', depth - 1)}, {self.expr('money', depth - 1)})"
        if kind == 6:
            return f"(if {self.expr('bool', depth - 1)} then {self.expr('money', depth - 1)} " \
                   f"else {self.expr('money', depth - 1)})"
        if kind == 7:
            return f"round({self.expr('money', depth - 1)} * par_r, {self.small(0, 2)})"
        if kind == 8:
            return f"abs({self.expr('money', depth - 1)})"
        return f"({self.expr('money', depth - 1)} * {self.expr('int', depth - 1)})"

    def decimal(self, depth: int) -> str:
        leaves = ["d1", "par_r", f"{self.small(0, 300)}%", f"{self.small(0, 9)}.{self.small(0, 99)}",
                  *self.of("decimal")]
        if depth <= 0:
            return self.pick(leaves)
        kind = self.small(0, 5)
        if kind == 0:
            return self.pick(leaves)
        if kind == 1:
            return f"({self.expr('decimal', depth - 1)} {self.pick(['+', '-'])} {self.expr('decimal', depth - 1)})"
        if kind == 2:
            return f"round({self.expr('money', depth - 1)} / {self.expr('money', depth - 1)}, {self.small(0, 4)})"
        if kind == 3:
            return f"(if {self.expr('bool', depth - 1)} then {self.expr('decimal', depth - 1)} " \
                   f"else {self.expr('decimal', depth - 1)})"
        if kind == 4:
            return f"round({self.expr('decimal', depth - 1)} * {self.expr('decimal', depth - 1)}, 3)"
        return f"({self.expr('decimal', depth - 1)} * {self.expr('int', depth - 1)})"

    def date(self, depth: int) -> str:
        leaves = ["t1", "reference_date", self.pick(["2000-02-29", "1990-12-31", "2024-03-01", "2025-01-01"])]
        if depth <= 0:
            return self.pick(leaves)
        kind = self.small(0, 4)
        if kind == 0:
            return self.pick(leaves)
        if kind == 1:
            return f"add_days({self.expr('date', depth - 1)}, {self.small(-400, 400)})"
        if kind == 2:
            return f"add_months({self.expr('date', depth - 1)}, {self.small(-30, 30)})"
        if kind == 3:
            return f"add_years({self.expr('date', depth - 1)}, {self.small(-20, 20)})"
        return f"(if {self.expr('bool', depth - 1)} then {self.expr('date', depth - 1)} " \
               f"else {self.expr('date', depth - 1)})"


@st.composite
def regulations(draw: Draw, depth: int = 2, planted: bool = False) -> str:
    """The text of a generated regulation. `planted`: add requirements that are weaker copies of
    others (redundant), so that `simplify` has something to remove."""
    defs: dict[str, str] = {}
    g = Gen(draw, defs)
    lines = ["regulation generated \"generated\"", INPUTS, PARAMETERS]
    # a bracket on an int input: its rows may leave a gap or overlap
    cuts = sorted({g.small(0, 100) for _ in range(g.small(1, 3))})
    rows = []
    lo: int | None = None if draw(st.booleans()) else 0
    for c in cuts:
        rows.append((lo, c))
        lo = c + (g.small(0, 10) if draw(st.booleans()) else 0)
    rows.append((lo, None))
    text_rows = "\n".join(
        f"    | {'' if a is None else a}..{'' if b is None else b} => {g.small(0, 9)}" for a, b in rows)
    lines.append(f"bracket band : int \"band\" on i1\n  2024-01-01:\n{text_rows}")
    if draw(st.booleans()):  # read the bracket everywhere, so that its gaps make the engine raise
        lines.append("requirement req_band \"band\": band != 3")
    for k in range(g.small(0, 3)):
        typ = g.pick(["bool", "int", "money", "decimal"])
        lines.append(f"define def{k} = {g.expr(typ, depth)}")
        defs[f"def{k}"] = typ
    conditions: list[str] = []
    for k in range(g.small(0, 3)):
        cond = g.expr('bool', depth)
        conditions.append(cond)
        req = f"requirement req{k} \"req {k}\": {cond}"
        for _ in range(g.small(0, 2)):
            req += f"\n  unless {g.expr('bool', depth)}"
        lines.append(req)
    if planted:
        for k, cond in enumerate(conditions):
            if draw(st.booleans()):
                lines.append(f"requirement weaker{k} \"weaker {k}\": {cond} or {g.expr('bool', depth)}")
    for k in range(g.small(0, 2)):
        typ = g.pick(["money", "int"])
        lines.append(f"amount amt{k} = {g.expr(typ, depth)}")
    for k in range(g.small(0, 1)):
        lines.append(f"document doc{k} \"doc\"\n  provides m2\n  required when {g.expr('bool', depth)}")
    return "\n\n".join(lines) + "\n"


@st.composite
def cases(draw: Draw) -> dict[str, Value]:
    """A complete case over the generated regulation's inputs."""
    return {
        "b1": draw(st.booleans()),
        "b2": draw(st.booleans()),
        "i1": draw(st.integers(0, 100)),
        "i2": draw(st.integers(-50, 50)),
        "m1": Decimal(draw(st.integers(0, 10_000_000))).scaleb(-2),
        "m2": Decimal(draw(st.integers(-10_000_000, 10_000_000))).scaleb(-2),
        "d1": Decimal(draw(st.integers(0, 10_000))).scaleb(-3),
        "e1": draw(st.sampled_from(["red", "green", "blue"])),
        "t1": draw(st.dates(date(1930, 1, 1), date(2030, 12, 31))),
    }
