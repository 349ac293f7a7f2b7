"""The limits of the language: how deep, how long and how large rules may be.

They are checked once, when a file is read, so that every later pass (the checker, the engine,
the Z3 encoding, the SQL compiler, the printer) can recurse over a checked regulation without a
guard. Each limit is far above what real law needs (the deepest values in `rules/` are measured in
tests/dsl/test_dsl_limits.py) and far below what exhausts Python's recursion, even combined: the
longest path through expressions *and* the definitions they use is bounded, not each on its own.

- one expression: at most MAX_DEPTH levels deep (E0005) and MAX_NODES parts (E0007), checked on the
  parse tree before anything recurses over it;
- a chain of definitions, each using the next: at most MAX_CHAIN long, and at most MAX_COMBINED
  levels deep when the definitions are followed through their names (E0006), checked on the IR
  before the type checker follows the same names;
- a number: at most MAX_DIGITS digits (E0008);
- a chain of imports, each file importing the next: at most MAX_IMPORTS files (E0115, in load.py).

The walks here are iterative: they must not fail on the very input they are meant to refuse.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass

from lark import Token, Tree

from eenvoud.diagnostics import Diagnostic
from eenvoud.ir import nodes as n
from eenvoud.source import SourceFile, Span

MAX_DEPTH = 64
MAX_NODES = 2_000
MAX_CHAIN = 64
MAX_COMBINED = 128
MAX_IMPORTS = 32  # files in a chain of imports, each importing the next
# a `sum for each month` adds twelve copies of its body pairwise (eenvoud/core/lower.py): 12 -> 6 -> 3
# -> 2 -> 1 terms, four levels of `+`, which the sum itself (one level) and three more count
MONTH_SUM_WIDTH = 3
MAX_DIGITS = 24  # Python's decimals keep 28 digits outside the engine: room for cents and a carry

# the parse-tree rules that are parts of an expression (grammar.lark, "expressions")
_EXPRESSION_RULES = frozenset({
    "if_expr", "month_sum", "implies", "or_op", "and_op", "not_op", "compare", "in_set", "arith", "neg", "name", "call",
    "money", "percent", "decimal", "int", "date", "true", "false",
})
_LEAVES = frozenset({"name", "money", "percent", "decimal", "int", "date", "true", "false"})
# functions whose arguments the backends fold one after another
_CHAINED = frozenset({"min", "max"})
_NUMBER_TOKENS = frozenset({"MONEY", "PERCENT", "DECIMAL_NUMBER", "INT"})


# -- one file's text: depth, size and literals, on the parse tree ---------------------------------

def check_tree(source: SourceFile, tree: Tree[Token]) -> list[Diagnostic]:
    """Every expression of the parse tree too deep or too large, and every number too long.

    The tree comes from lark's LALR parser, which does not recurse; lark's Transformer does, so
    this runs before it."""
    diagnostics: list[Diagnostic] = []
    # post-order without recursion: (node, children done); heights and sizes of expression nodes
    height: dict[int, int] = {}
    size: dict[int, int] = {}
    roots: list[Tree[Token]] = []
    stack: list[tuple[Tree[Token], bool, bool]] = [(tree, False, False)]
    while stack:
        node, done, in_expr = stack.pop()
        is_expr = node.data in _EXPRESSION_RULES
        if not done:
            if is_expr and not in_expr:
                roots.append(node)
            stack.append((node, True, in_expr))
            for child in node.children:
                if isinstance(child, Tree):
                    stack.append((child, False, is_expr))
                elif isinstance(child, Token) and child.type in _NUMBER_TOKENS:
                    diagnostic = _number_diagnostic(source, child)
                    if diagnostic is not None:
                        diagnostics.append(diagnostic)
            continue
        if is_expr:
            kids = [c for c in node.children if isinstance(c, Tree) and c.data in _EXPRESSION_RULES]
            # a name or a number alone is no level; each operator, `if` and call is one
            height[id(node)] = 0 if node.data in _LEAVES else \
                1 + max((height[id(c)] for c in kids), default=0) + _tree_width(node, kids)
            size[id(node)] = 1 + sum(size[id(c)] for c in kids)
    for root in roots:
        span = _tree_span(source, root)
        if height[id(root)] > MAX_DEPTH:
            diagnostics.append(Diagnostic(
                "E0005", f"this expression is nested {height[id(root)]:,} levels deep, more than the "
                f"{MAX_DEPTH} allowed",
                span, "every operator, `if` and function call is a level, and so is every option of `in` and "
                "argument of `min` and `max` after the first (`a + b + c` is two); name parts of it in "
                "definitions of their own",
            ))
        elif size[id(root)] > MAX_NODES:
            diagnostics.append(Diagnostic(
                "E0007", f"this expression has {size[id(root)]:,} parts, more than the {MAX_NODES:,} allowed",
                span, "name parts of it in definitions of their own: `define part = ...`",
            ))
    return diagnostics


def _tree_width(node: Tree[Token], kids: list[Tree[Token]]) -> int:
    """The levels a list adds: `x in {a, b, c}` and `max(a, b, c)` are compared one option or
    argument after another (an `or` of comparisons, an `if` per argument), in the engine, in Z3
    and in SQL, so each one after the first is a level, as in `x == a or x == b or x == c`."""
    if node.data == "in_set":
        return max(0, len(kids) - 2)  # the operand, then the options
    if node.data == "call" and str(node.children[0]) in _CHAINED:
        return max(0, len(kids) - 1)
    if node.data == "month_sum":
        return MONTH_SUM_WIDTH  # the twelve months are added pairwise: four levels
    return 0


def _number_diagnostic(source: SourceFile, token: Token) -> Diagnostic | None:
    text = str(token)
    digits = sum(ch.isdigit() for ch in text)
    if digits <= MAX_DIGITS:
        return None
    start = token.start_pos or 0
    end = token.end_pos if token.end_pos is not None else start + len(text)
    return Diagnostic(
        "E0008", f"this number has {digits:,} digits, more than the {MAX_DIGITS} allowed",
        source.span(start, end), "no amount, rate or count in law needs more; check the number",
    )


def _tree_span(source: SourceFile, node: Tree[Token]) -> Span | None:
    meta = node.meta
    if getattr(meta, "empty", True):
        return None
    return source.span(meta.start_pos, meta.end_pos)


# -- a file with its imports: chains of definitions, on the IR -------------------------------------

@dataclass(frozen=True)
class Reach:
    """How far an expression reaches through the definitions it uses."""

    depth: int  # levels: operators, `if`s and calls, and each definition used, plus its own levels
    chain: int  # definitions on the longest path of uses
    path: tuple[str, ...] = ()  # the definitions along that longest chain
    deepest: tuple[str, ...] = ()  # the definitions along the deepest path


_NONE = Reach(0, 0)


def children(e: n.Expr) -> Sequence[n.Expr]:
    match e:
        case n.Unary():
            return (e.operand,)
        case n.Binary():
            return (e.left, e.right)
        case n.InSet():
            return (e.operand, *e.options)
        case n.If():
            return (e.cond, e.then, e.else_)
        case n.MonthSum():
            return (e.year, e.body)  # as written: the body once, not its twelve copies
        case n.Call():
            return e.args
        case _:
            return ()


def reach(e: n.Expr, known: dict[str, Reach]) -> Reach:
    """The reach of `e` when every definition it uses has its reach in `known` (a definition
    missing there, in a cycle the checker reports, counts as a plain name). Recursion over one
    expression is safe: check_tree bounded its depth."""
    if isinstance(e, n.Name):
        used = known.get(e.name)
        return _NONE if used is None else Reach(used.depth + 1, used.chain, used.path, used.deepest)
    parts = children(e)
    if not parts and not isinstance(e, n.Call):
        return _NONE  # a literal
    longest = deepest = _NONE
    for child in parts:
        r = reach(child, known)
        if r.depth > deepest.depth:
            deepest = r
        if r.chain > longest.chain:
            longest = r
    return Reach(deepest.depth + 1 + width(e), longest.chain, longest.path, deepest.deepest)


def width(e: n.Expr) -> int:
    """The levels a list adds, as _tree_width counts them on the parse tree."""
    if isinstance(e, n.InSet):
        return max(0, len(e.options) - 1)
    if isinstance(e, n.Call) and e.func in _CHAINED:
        return max(0, len(e.args) - 1)
    if isinstance(e, n.MonthSum):
        return MONTH_SUM_WIDTH
    return 0


def _declared(decls: Sequence[n.Node]) -> Iterator[tuple[str, n.Expr]]:
    for d in decls:
        match d:
            case n.Definition() | n.Amount():
                yield d.name, d.expr
            case n.Bracket():
                yield d.name, d.key


def _uses(e: n.Expr, names: Container[str]) -> list[str]:
    out: list[str] = []
    stack = [e]
    while stack:
        x = stack.pop()
        if isinstance(x, n.Name):
            if x.name in names and x.name not in out:
                out.append(x.name)
        else:
            stack.extend(children(x))
    return out


def _beyond(r: Reach) -> bool:
    return r.depth > MAX_COMBINED or r.chain > MAX_CHAIN


def reaches(own: Sequence[n.Node], imported: Sequence[n.Node]) -> dict[str, Reach]:
    """The reach of every definition, amount and bracket, own or imported, by name: its chain
    counts itself. A name declared twice is the checker's to report; the first one counts here."""
    exprs: dict[str, n.Expr] = {}
    for name, e in (*_declared(imported), *_declared(own)):
        exprs.setdefault(name, e)
    uses = {name: _uses(e, exprs) for name, e in exprs.items()}
    known: dict[str, Reach] = {}
    state: dict[str, bool] = {}  # False: on the path being followed, True: done
    for start in exprs:
        if start in state:
            continue
        # depth-first without recursion: a chain of definitions may be thousands long
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = False
        while stack:
            name, i = stack[-1]
            if i < len(uses[name]):
                stack[-1] = (name, i + 1)
                nxt = uses[name][i]
                if nxt not in state:
                    state[nxt] = False
                    stack.append((nxt, 0))
                continue
            stack.pop()
            state[name] = True
            if any(u in known and _beyond(known[u]) for u in uses[name]):
                # beyond a limit already, and reported where it crossed it: its users are over too
                known[name] = Reach(MAX_COMBINED + 1, MAX_CHAIN + 1)
                continue
            r = reach(exprs[name], known)
            known[name] = Reach(r.depth, r.chain + 1, (name, *r.path), (name, *r.deepest))
    return known


def check_references(own: Sequence[n.Node], imported: Sequence[n.Node],
                     roots: Sequence[tuple[str, n.Expr, Span | None]]) -> list[Diagnostic]:
    """A diagnostic for each own definition, amount or bracket (and each requirement, exemption,
    document condition and property given in `roots`, as what, expression, span) that reaches
    beyond a limit through definitions that do not: where a chain becomes too long, not at every
    declaration after that."""
    known = reaches(own, imported)
    items: list[tuple[str, Reach, Span | None]] = []
    seen: set[str] = set()
    for d in own:
        if isinstance(d, n.Definition | n.Amount | n.Bracket) and d.name not in seen:
            seen.add(d.name)
            e = d.expr if isinstance(d, n.Definition | n.Amount) else d.key
            if any(_beyond(known[u]) for u in _uses(e, known)):
                continue
            items.append((f"the {type(d).__name__.lower()} `{d.name}`", known[d.name], d.span))
    for what, e, span in roots:
        if not any(_beyond(known[u]) for u in _uses(e, known)):
            items.append((what, reach(e, known), span))
    diagnostics: list[Diagnostic] = []
    for what, r, span in items:
        if r.chain > MAX_CHAIN:
            diagnostics.append(Diagnostic(
                "E0006", f"{what} ends a chain of {r.chain} definitions, each using the next, more than the "
                f"{MAX_CHAIN} allowed: {_path_text(r.path)}",
                span, "compute the value in fewer steps, with more in each definition",
            ))
        elif r.depth > MAX_COMBINED:
            diagnostics.append(Diagnostic(
                "E0006", f"{what} is nested {r.depth} levels deep through the definitions it uses, more than "
                f"the {MAX_COMBINED} allowed: {_path_text(r.deepest)}",
                span, "each definition used counts as a level, with the levels of its own expression; "
                "compute the value in fewer, flatter steps",
            ))
    return diagnostics


def _path_text(path: tuple[str, ...]) -> str:
    names = [f"`{p}`" for p in path]
    if len(names) > 5:
        names = [*names[:3], "...", names[-1]]
    return " -> ".join(names)
