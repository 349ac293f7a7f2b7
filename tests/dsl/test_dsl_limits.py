"""The limits of the language (docs/language.md, "Limits"), through the real command.

`eenvoud check` refuses a file beyond a limit with a diagnostic, and a file within them goes
through every later pass (`fmt`, `test` with its properties proved by Z3, `eval`, `analyze`)
without a RecursionError, an InvalidOperation or an "internal error". Generated extremes, files at
each limit, and shipped rule files mutated token by token (hypothesis) all end with exit code 0 or
1, never 2 and never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eenvoud.cli import main
from eenvoud.dsl import limits
from eenvoud.library import Library

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
HEADER = 'regulation r "R"\n\ninput a : int 0..100 "A"\ninput b : bool "B"\ninput m : money "M"\n\n'


def cli(*argv: str | Path) -> tuple[int, str, str]:
    """`eenvoud ARGV` in this process: exit code, standard output, standard error."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return code, out.getvalue(), err.getvalue()


def assert_handled(code: int, out: str, err: str, what: str) -> None:
    assert code in (0, 1), f"{what}: exit {code}\n{out}\n{err}"
    for text in (out, err):
        assert "Traceback" not in text and "internal error" not in text, f"{what}:\n{out}\n{err}"


def every_command(path: Path, facts: Path) -> dict[str, tuple[int, str, str]]:
    """check, fmt --check, test and eval (empty facts) on one file; each handled."""
    runs = {
        "check": cli("check", path),
        "fmt": cli("fmt", "--check", path),
        "test": cli("test", "--timeout", "0.5", path),
        "eval": cli("eval", path, "--facts", facts, "--date", "2025-01-01"),
    }
    for name, (code, out, err) in runs.items():
        assert_handled(code, out, err, f"{name} {path.name}")
    return runs


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    path = tmp_path / "facts.json"
    path.write_text("{}", encoding="utf-8")
    return path


def nested_if(depth: int) -> str:
    e = "a"
    for _ in range(depth):
        e = f"if b then {e} else 0"
    return e


def balanced(leaves: int) -> str:
    """A sum of `leaves` names as a balanced tree: shallow however large."""
    if leaves == 1:
        return "a"
    half = leaves // 2
    return f"({balanced(half)} + {balanced(leaves - half)})"


def chain(length: int, step: str = "d{p} + 1") -> str:
    lines = ["define d0 = a"] + [f"define d{i} = " + step.format(p=i - 1) for i in range(1, length + 1)]
    return "\n".join(lines) + f"\n\nrequirement q : d{length} > 0\n"


# -- the extremes of issue 9: each refused by check, with its code, and handled everywhere ------------

EXTREMES: dict[str, tuple[str, str, str]] = {
    # name: (body after the header, the code check gives, what the caret points at)
    "if_500_deep": (f"define x = {nested_if(500)}\n", "E0005", "7:12"),
    "sum_of_5000": ("define x = " + " + ".join(["a"] * 5000) + "\n", "E0005", "7:12"),
    "balanced_sum_of_1100": (f"define x = {balanced(1100)}\n", "E0007", "7:13"),  # inside its `(`
    "chain_168": (chain(168), "E0006", "71:8"),
    "chain_200": (chain(200), "E0006", "71:8"),
    "int_4400_digits": ("define x = a + " + "9" * 4400 + "\n", "E0008", "7:16"),
    "money_10000_digits": ("define x = m + €" + "9" * 10_000 + "\n", "E0008", "7:16"),
    "max_of_3000": ("define x = max(" + ", ".join(["a"] * 3000) + ")\n", "E0005", "7:12"),
    "in_3000_options": ("define x = a in {" + ", ".join(str(i) for i in range(3000)) + "}\n", "E0005", "7:12"),
}


@pytest.mark.parametrize("name", EXTREMES)
def test_an_extreme_is_refused_by_check_and_handled_by_every_command(name: str, tmp_path: Path,
                                                                      facts: Path) -> None:
    body, code, where = EXTREMES[name]
    path = tmp_path / f"{name}.rules"
    path.write_text(HEADER + body, encoding="utf-8")
    runs = every_command(path, facts)
    status, _, err = runs["check"]
    assert status == 1
    assert re.search(rf"{name}\.rules:{where}: error\[{code}\]: ", err), err
    assert err.count("error[") == 1, "one diagnostic, where the limit is crossed"
    for command in ("test", "eval"):
        assert runs[command][0] == 1 and f"error[{code}]" in runs[command][2]
    if code in ("E0005", "E0007", "E0008"):  # a file's own text: fmt refuses it too
        assert runs["fmt"][0] == 1 and f"error[{code}]" in runs["fmt"][2]


def test_a_large_expression_within_the_depth_is_too_large(tmp_path: Path) -> None:
    # 1,100 names added in a balanced tree: 11 levels deep, 2,199 parts
    path = tmp_path / "wide.rules"
    path.write_text(HEADER + f"define x = {balanced(1100)}\n", encoding="utf-8")
    code, _, err = cli("check", path)
    assert code == 1 and "error[E0007]: this expression has 2,199 parts, more than the 2,000 allowed" in err
    path.write_text(HEADER + f"define x = {balanced(1000)}\n\nrequirement q : x > 0\n", encoding="utf-8")
    assert cli("check", path)[0] == 0


def test_a_chain_across_imports_is_counted_through_them(tmp_path: Path) -> None:
    (tmp_path / "base.rules").write_text(
        'module base\n\ninput a : int "A"\n\n' + "\n".join(
            ["define d0 = a"] + [f"define d{i} = d{i - 1}" for i in range(1, 40)]) + "\n", encoding="utf-8")
    (tmp_path / "top.rules").write_text(
        'regulation top\n\nimport "base.rules"\n\n' + "\n".join(
            f"define e{i} = {'d39' if i == 0 else f'e{i - 1}'}" for i in range(40)) + "\n\nrequirement q : e39 > 0\n",
        encoding="utf-8")
    code, _, err = cli("check", tmp_path / "top.rules")
    assert code == 1
    # d0..d39 (40) and e0..e23 (24) make 64; e24 is the 65th
    assert "top.rules:29:8: error[E0006]: the definition `e24` ends a chain of 65 definitions" in err, err


def test_a_chain_of_imports_is_limited(tmp_path: Path) -> None:
    n = limits.MAX_IMPORTS + 5
    for i in range(n):
        imp = f'import "m{i + 1}.rules"\n' if i + 1 < n else ""
        (tmp_path / f"m{i}.rules").write_text(f'module m{i}\n{imp}input x{i} : int "X"\n', encoding="utf-8")
    code, _, err = cli("check", tmp_path / "m0.rules")
    assert code == 1 and "error[E0115]" in err and "Traceback" not in err


# -- at each limit: accepted, and every pass goes through --------------------------------------------

def at_the_limits() -> str:
    """A regulation at every limit at once: the deepest expression, the longest chain, the
    deepest nesting through definitions (of function calls), the widest `in` and `max`, and the
    longest numbers."""
    depth = limits.MAX_DEPTH
    deep = "a"
    for _ in range(depth):
        deep = f"abs({deep})"
    # e1 is 63 calls over the input, e2 62 calls over e1: 62 + 1 + 63 = 126 levels, and the
    # requirement `e2 > 0` two more: 128, the most through definitions
    e1 = "a"
    for _ in range(63):
        e1 = f"abs({e1})"
    e2 = "e1"
    for _ in range(62):
        e2 = f"abs({e2})"
    digits = "9" * limits.MAX_DIGITS
    lines = [
        f"define deep = {deep}",
        f"define e1 = {e1}",
        f"define e2 = {e2}",
        "define wide = if a in {" + ", ".join(str(i) for i in range(depth - 1)) + "} then 1 else 0",
        "define widest = max(" + ", ".join(["a"] * depth) + ")",
        f"define big = m + €{digits[:-2]}.{digits[-2:]}",
        "define c0 = b",
        *[f"define c{i} = c{i - 1}" for i in range(1, limits.MAX_CHAIN)],
        "requirement q1 : e2 > 0",
        "requirement q2 : deep >= 0 and wide >= 0 and widest >= 0",
        f"requirement q3 : c{limits.MAX_CHAIN - 1}",
        f"requirement q4 : big > €{digits[:-2]}",
        "amount pay : money = round(big / 3, 2)",
        'property "paid when eligible" on 2025-01-01: eligible implies pay >= €0',
        'test "at the limits" on 2025-01-01',
        "  given a = 5, b = true, m = €1",
        "  expect eligible",
    ]
    assert limits.MAX_COMBINED == 128
    return HEADER + "\n".join(lines) + "\n"


def test_a_file_at_every_limit_goes_through_every_command(tmp_path: Path, facts: Path) -> None:
    path = tmp_path / "limits.rules"
    path.write_text(at_the_limits(), encoding="utf-8")
    runs = every_command(path, facts)
    assert runs["check"][0] == 0, runs["check"][2]
    assert runs["test"][0] == 0 and "1 passed, 0 failed" in runs["test"][1], runs["test"]
    assert runs["eval"][0] == 0
    full = tmp_path / "full.json"
    full.write_text('{"a": 5, "b": true, "m": "1.00"}', encoding="utf-8")
    code, out, err = cli("eval", path, "--facts", full, "--date", "2025-01-01", "--json")
    assert_handled(code, out, err, "eval with facts")
    assert code == 0 and '"eligible": true' in out
    code, out, err = cli("analyze", "--timeout", "1", "--date", "2025-01-01", path)
    assert_handled(code, out, err, "analyze")
    assert code == 0


@pytest.mark.parametrize(("body", "code"), [
    (f"define x = {nested_if(limits.MAX_DEPTH + 1)}\n", "E0005"),
    (chain(limits.MAX_CHAIN, "d{p}"), "E0006"),  # d0 .. d64: 65 definitions
    ("define x = a + " + "1" * (limits.MAX_DIGITS + 1) + "\n", "E0008"),
    ("define x = m + €" + "1" * (limits.MAX_DIGITS - 1) + ".01\n", "E0008"),
    ("define x = 0." + "1" * limits.MAX_DIGITS + "\n", "E0008"),
])
def test_one_beyond_a_limit_is_refused(body: str, code: str, tmp_path: Path) -> None:
    path = tmp_path / "beyond.rules"
    path.write_text(HEADER + body, encoding="utf-8")
    status, _, err = cli("check", path)
    assert status == 1 and f"error[{code}]" in err, err


def test_the_shipped_rules_are_far_inside_the_limits() -> None:
    """The deepest values in rules/ (docs/language.md quotes them): each a third of its limit or
    less, so that the limits never bind real law."""
    lib = Library.load([RULES])
    lib.raise_for_errors()
    deepest = {"depth": 0, "size": 0, "chain": 0, "combined": 0}
    for reg in lib.files.values():
        known = limits.reaches([*reg.definitions, *reg.amounts, *reg.brackets], [])
        roots = [d.expr for d in reg.definitions] + [a.expr for a in reg.amounts] + [b.key for b in reg.brackets]
        roots += [r.condition for r in reg.requirements] + [x.condition for r in reg.requirements for x in r.exemptions]
        roots += [d.required_when for d in reg.documents if d.required_when is not None]
        roots += [p.expr for p in reg.properties]
        for e in roots:
            reach = limits.reach(e, known)
            deepest["depth"] = max(deepest["depth"], limits.reach(e, {}).depth)
            deepest["size"] = max(deepest["size"], size(e))
            deepest["chain"] = max(deepest["chain"], reach.chain)
            deepest["combined"] = max(deepest["combined"], reach.depth)
    digits = max(sum(c.isdigit() for c in m.group())
                 for p in RULES.rglob("*.rules")
                 for m in re.finditer(r"(?<![0-9-])€?[0-9][0-9_]*(\.[0-9][0-9_]*)?%?(?![0-9-])",
                                      re.sub(r'"[^"\n]*"|#[^\n]*', "", p.read_text(encoding="utf-8"))))
    assert deepest == {"depth": 18, "size": 245, "chain": 13, "combined": 39}, deepest  # as docs/language.md says
    assert digits == 13
    assert deepest["depth"] * 3 <= limits.MAX_DEPTH and deepest["size"] * 3 <= limits.MAX_NODES
    assert deepest["chain"] * 3 <= limits.MAX_CHAIN and deepest["combined"] * 3 <= limits.MAX_COMBINED
    assert digits < limits.MAX_DIGITS


def size(e: limits.n.Expr) -> int:
    return 1 + sum(size(c) for c in limits.children(e))


# -- how a file is read: byte order mark and line ends ------------------------------------------------

@pytest.mark.parametrize(("name", "encode"), [
    ("bom", lambda text: "\ufeff" + text),
    ("crlf", lambda text: text.replace("\n", "\r\n")),
    ("cr", lambda text: text.replace("\n", "\r")),
    ("bom_cr", lambda text: "\ufeff" + text.replace("\n", "\r")),
])
def test_a_byte_order_mark_and_any_line_end_are_read(name: str, encode: Callable[[str], str],
                                                     tmp_path: Path, facts: Path) -> None:
    text = HEADER + "# a comment: the next line is not part of it\nrequirement adult : a >= 18\n"
    path = tmp_path / f"{name}.rules"
    path.write_bytes(encode(text).encode("utf-8"))
    runs = every_command(path, facts)
    assert runs["check"][0] == 0, runs["check"][2]
    code, out, _ = cli("eval", path, "--facts", facts, "--date", "2025-01-01", "--json")
    assert code == 0 and '"requirement": "adult"' in out, "the requirement after the comment is read"
    # an error is shown on its own line and column
    path.write_bytes(encode(text + "define x = a + true\n").encode("utf-8"))
    code, _, err = cli("check", path)
    assert code == 1 and f"{name}.rules:9:12: error[E0216]" in err, err
    assert "9 | define x = a + true\n" in err and "\ufeff" not in err and "\r" not in err


# -- shipped rule files mutated token by token ---------------------------------------------------------

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|€?[0-9][0-9_.]*%?|[A-Za-z_][A-Za-z0-9_]*|==|!=|<=|>=|=>|\.\.|\s+|.')
INSERTS = [
    "if", "then", "else", "and", "or", "not", "implies", "in", "(", ")", "{", "}", ",", ":", "=", "+", "-", "*",
    "/", "<", "==", "..", "|", "=>", "define", "input", "requirement", "amount", "test", "given", "expect",
    "import", '"x"', "€1", "1", "0", "13.5%", "2025-02-30", "true", "a", "eligible", "\n", " ", "\r", "\ufeff",
    "9" * 40, "€" + "9" * 30, "#", '"', "'", "max(", "round(", "reference_date", "missing", "undetermined",
]
FILES = sorted(p.relative_to(RULES).as_posix() for p in RULES.rglob("*.rules"))


@pytest.fixture(scope="module")
def library_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of rules/, for mutated files to sit beside the files they import."""
    target = tmp_path_factory.mktemp("fuzz") / "rules"
    shutil.copytree(RULES, target)
    (target.parent / "facts.json").write_text("{}", encoding="utf-8")
    return target


mutation = st.tuples(st.sampled_from(["delete", "duplicate", "insert", "swap"]),
                     st.floats(min_value=0, max_value=1, exclude_max=True), st.sampled_from(INSERTS))


@settings(max_examples=150, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(name=st.sampled_from(FILES), mutations=st.lists(mutation, min_size=1, max_size=4))
def test_a_mutated_rule_file_is_handled_by_every_command(library_copy: Path, name: str,
                                                          mutations: list[tuple[str, float, str]]) -> None:
    original = library_copy / name
    tokens = TOKEN.findall(original.read_text(encoding="utf-8"))
    for kind, where, insert in mutations:
        i = int(where * len(tokens))
        match kind:
            case "delete":
                del tokens[i]
            case "duplicate":
                tokens.insert(i, tokens[i])
            case "insert":
                tokens.insert(i, insert)
            case "swap":
                j = min(len(tokens) - 1, i + 2)
                tokens[i], tokens[j] = tokens[j], tokens[i]
    path = original.with_name("fuzzed.rules")
    path.write_text("".join(tokens), encoding="utf-8")
    try:
        runs = every_command(path, library_copy.parent / "facts.json")
    finally:
        path.unlink()
    code, _, err = runs["check"]
    if code == 1:
        assert re.search(r"error\[E\d{4}\]: ", err), err
