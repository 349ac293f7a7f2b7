"""Slicing a regulation by shared inputs.

Requirements, amounts and documents that share no input (directly or through definitions and
brackets) cannot constrain each other: whether one requirement follows from the others is decided
by the requirements of its own slice alone, once the regulation as a whole is consistent. Each
slice gets its own small solver, so that the analysis of a regulation grows with the size of its
slices rather than with the square of its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import assert_never

from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in


@dataclass
class Slice:
    inputs: set[str] = field(default_factory=set)
    requirements: list[str] = field(default_factory=list)  # in file order
    amounts: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # possible keys of Encoding.failures


class Dependencies:
    """The inputs each name and expression reads, through definitions, amounts and brackets."""

    def __init__(self, reg: CheckedRegulation):
        self.reg = reg
        self._decls: dict[str, n.Definition | n.Amount | n.Bracket] = {
            **{d.name: d for d in reg.definitions}, **{a.name: a for a in reg.amounts},
            **{b.name: b for b in reg.brackets}}
        self._memo: dict[str, frozenset[str]] = {}

    def of_name(self, name: str) -> frozenset[str]:
        got = self._memo.get(name)
        if got is not None:
            return got
        sym = self.reg.symbols.get(name)
        out: frozenset[str]
        if sym is None or sym.kind in ("parameter", "builtin"):
            out = frozenset()
        elif sym.kind == "input":
            out = frozenset([name])
        else:
            decl = self._decls[name]
            match decl:
                case n.Definition() | n.Amount():
                    out = self.of_expr(decl.expr)
                case n.Bracket():
                    out = self.of_expr(decl.key)
                case _:
                    assert_never(decl)
        self._memo[name] = out
        return out

    def of_expr(self, e: n.Expr) -> frozenset[str]:
        out: set[str] = set()
        for name in names_in(e):
            out |= self.of_name(name)
        return frozenset(out)

    def of_requirement(self, r: n.Requirement) -> frozenset[str]:
        out = set(self.of_expr(r.condition))
        for x in r.exemptions:
            out |= self.of_expr(x.condition)
        return frozenset(out)

    def of_document(self, d: n.Document) -> frozenset[str]:
        return self.of_expr(d.required_when) if d.required_when is not None else frozenset()

    def reads(self, e: n.Expr) -> set[str]:
        """The names `e` mentions and what they read, directly or not."""
        out: set[str] = set()
        for name in names_in(e):
            out.add(name)
            out |= self.uses(name)
        return out

    def uses(self, name: str) -> set[str]:
        """The names that `name` reads, directly or not (definitions, amounts, brackets)."""
        seen: set[str] = set()
        todo = [name]
        while todo:
            x = todo.pop()
            decl = self._decls.get(x)
            if decl is None:
                continue
            expr = decl.key if isinstance(decl, n.Bracket) else decl.expr
            for y in names_in(expr):
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
        return seen


class Groups:
    """Names joined into groups (union-find): `find` gives a group's representative."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self._parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(self, a: str, b: str) -> None:
        """`b`'s group joins `a`'s (whose representative stays)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[rb] = ra


def slices(reg: CheckedRegulation) -> list[Slice]:
    """The regulation's requirements, amounts and documents grouped by the inputs they share.
    The condition under which the engine raises on an item (`Encoding.failures`) goes with it."""
    deps = Dependencies(reg)
    together = Groups()
    find = together.find

    def union(xs: Iterable[str]) -> None:
        xs = list(xs)
        for x in xs[1:]:
            together.join(xs[0], x)

    items: list[tuple[str, str, frozenset[str]]] = []
    for r in reg.requirements:
        items.append(("requirement", r.name, deps.of_requirement(r)))
    for a in reg.amounts:
        items.append(("amount", a.name, deps.of_name(a.name)))
    for d in reg.documents:
        items.append(("document", d.name, deps.of_document(d)))
    for i in reg.inputs:
        find(i.name)
    for _kind, _name, inputs in items:
        union(inputs)
    groups: dict[str, Slice] = {}
    for i in reg.inputs:
        groups.setdefault(find(i.name), Slice()).inputs.add(i.name)
    constant = Slice()  # items that read no input at all
    for kind, name, inputs in items:
        s = groups[find(next(iter(inputs)))] if inputs else constant
        s.failures.append(f"{kind} {name}")
        match kind:
            case "requirement":
                s.requirements.append(name)
            case "amount":
                s.amounts.append(name)
            case _:
                s.documents.append(name)
    out = list(groups.values())
    if constant.requirements or constant.amounts or constant.documents or constant.failures:
        out.append(constant)
    return out
