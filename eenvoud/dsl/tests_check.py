"""The test blocks of a rule file: what they give must be inputs, what they expect must have a
value (or be an input, for `missing`), and every parameter and bracket must have a value on the
test's date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import assert_never

from eenvoud.diagnostics import did_you_mean
from eenvoud.dsl.declarations import Declarations
from eenvoud.dsl.reads import reachable, roots
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.source import Span


class TestsCheck(Declarations):
    """The test blocks; the last part of the Checker before its entry (eenvoud.dsl.check)."""

    __test__ = False  # not a pytest class, though its name starts with Test

    def _check_test_names(self, tests: Iterable[n.Test]) -> None:
        seen: dict[str, n.Test] = {}
        for test in tests:
            if test.name in seen:
                self.error("E0506", f"two tests are named \"{test.name}\"", test.span,
                           f"first at {seen[test.name].span}; give each test its own name")
            seen[test.name] = test

    def _check_test(self, test: n.Test, requirements: list[n.Requirement]) -> n.Test:
        inputs = self._inputs()
        given_names: set[str] = set()
        for g in test.given:
            if g.name in given_names:
                self.error("E0505", f"`{g.name}` is given twice", g.span)
            given_names.add(g.name)
            sym = self.symbols.get(g.name)
            if sym is None or sym.kind != "input":
                kind = f"a {sym.kind}, not an input" if sym is not None else "not an input"
                self.error("E0501", f"the test gives `{g.name}`, which is {kind}", g.span,
                           did_you_mean(g.name, inputs) or "a test gives values to inputs only")
                continue
            self._check_literal(g.value, sym.type, f"`{g.name}`")
        for e in test.expects:
            match e:
                case n.ExpectEligible():
                    if self.parsed.regulation.kind == "module":
                        self.error("E0502", "a module has no eligibility to expect", e.span,
                                   "expect the value of a definition: `expect name = value`")
                case n.ExpectValue():
                    sym = self.symbols.get(e.name)
                    if sym is None or sym.kind not in ("definition", "amount", "bracket", "parameter"):
                        candidates = [s.name for s in self.symbols.values()
                                      if s.kind in ("definition", "amount", "bracket", "parameter")]
                        self.error("E0503", f"the test expects `{e.name}`, which is not an amount or definition",
                                   e.span, did_you_mean(e.name, candidates))
                    else:
                        self._check_literal(e.value, t.strip_domain(sym.type), f"`{e.name}`")
                case n.ExpectMissing():
                    for name in e.names:
                        if name not in inputs:
                            self.error("E0504", f"the test expects `{name}` to be missing, but it is not an input",
                                       e.span, did_you_mean(name, inputs))
                case _:
                    assert_never(e)
        # only what the file reads: an imported parameter nothing here reads needs no value then
        reads = reachable(self.symbols, roots(self.parsed.regulation))
        self._check_dates(test.on, test.span, f"the test \"{test.name}\"", reads)
        return test

    def _check_dates(self, day: date, span: Span | None, what: str, reads: set[str] | None = None) -> None:
        for sym in self.symbols.values():
            if reads is not None and sym.name not in reads:
                continue
            if sym.kind == "parameter" and isinstance(sym.decl, n.Parameter):
                first = sym.decl.values[0].valid_from if sym.decl.values else None
                if first is None or first > day:
                    self.error(
                        "E0402", f"the parameter `{sym.name}` has no value on {day}, the date of {what}",
                        span, f"its first value is from {first}" if first else "give it a value",
                    )
            elif sym.kind == "bracket" and isinstance(sym.decl, n.Bracket):
                first = sym.decl.versions[0].valid_from if sym.decl.versions else None
                if first is None or first > day:
                    self.error(
                        "E0402", f"the bracket `{sym.name}` has no rows on {day}, the date of {what}",
                        span, f"its first rows are from {first}" if first else "give it rows",
                    )
