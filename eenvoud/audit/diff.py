"""What differs between two decisions: exactly, for a replay (every JSON path whose value is not the
same), and in plain language, for a decision after an objection (which fact was corrected, which
requirement now holds, which amount changed and why)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.names import names_in


@dataclass(frozen=True)
class Difference:
    path: str
    stored: Any
    replayed: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "stored": self.stored, "replayed": self.replayed}

    def text(self) -> str:
        return f"{self.path}: {_show(self.stored)} -> {_show(self.replayed)}"


_ABSENT = object()


def json_differences(a: Any, b: Any, path: str = "") -> list[Difference]:
    """Every place where two JSON values differ, by path (`amounts.zorgtoeslag`, `reasons[2].status`)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[Difference] = []
        for k in [*a, *(k for k in b if k not in a)]:
            sub = f"{path}.{k}" if path else str(k)
            if k not in b:
                out.append(Difference(sub, a[k], "(absent)"))
            elif k not in a:
                out.append(Difference(sub, "(absent)", b[k]))
            else:
                out += json_differences(a[k], b[k], sub)
        return out
    if isinstance(a, list) and isinstance(b, list):
        out = []
        for i in range(max(len(a), len(b))):
            sub = f"{path}[{i}]"
            out += json_differences(a[i] if i < len(a) else "(absent)", b[i] if i < len(b) else "(absent)", sub)
        return out
    if type(a) is type(b) and a == b:
        return []
    return [Difference(path or "(the whole decision)", a, b)]


def byte_differences(stored: bytes, replayed: bytes) -> list[Difference]:
    if stored == replayed:
        return []
    try:
        found = json_differences(json.loads(stored), json.loads(replayed))
    except ValueError:
        found = []
    if found:
        return found
    at = next((i for i, (x, y) in enumerate(zip(stored, replayed, strict=False)) if x != y),
              min(len(stored), len(replayed)))
    return [Difference(f"(bytes from offset {at}: the same JSON, written differently)",
                       stored[at:at + 40].decode(errors="replace"), replayed[at:at + 40].decode(errors="replace"))]


def _show(v: Any) -> str:
    if v is None:
        return "unknown"
    if isinstance(v, str | Decimal):
        return str(v)
    return json.dumps(v, ensure_ascii=False)


_OUTCOME = {True: "eligible", False: "not eligible", None: "undetermined"}
_STATUS = {"holds": "holds", "fails": "does not hold", "unknown": "is not yet known", "error": "cannot be evaluated"}
_WAS = {"holds": "held", "fails": "did not hold", "unknown": "was not yet known", "error": "could not be evaluated"}


def inputs_of(reg: CheckedRegulation, expr: n.Expr) -> list[str]:
    """The inputs an expression depends on, through definitions and other amounts."""
    inputs = reg.input_map
    exprs: dict[str, n.Expr] = {d.name: d.expr for d in reg.definitions}
    exprs.update({a.name: a.expr for a in reg.amounts})
    out: list[str] = []
    seen: set[str] = set()
    todo = names_in(expr)
    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        if name in inputs:
            out.append(name)
        elif name in exprs:
            todo += names_in(exprs[name])
    return out


def explain(before: Mapping[str, Any], after: Mapping[str, Any], facts_before: Mapping[str, Any] | None,
            facts_after: Mapping[str, Any], reg: CheckedRegulation | None = None) -> list[str]:
    """The change from one decision to the next, in sentences."""
    lines: list[str] = []
    changed_facts: list[str] = []
    old_facts = dict(facts_before or {})
    for name in [*old_facts, *(k for k in facts_after if k not in old_facts)]:
        was, now = old_facts.get(name), facts_after.get(name)
        if _same(was, now):
            continue
        changed_facts.append(name)
        if name not in old_facts or was is None:
            lines.append(f"Fact `{name}` added: {_show(now)}.")
        elif now is None:
            lines.append(f"Fact `{name}` is now unknown (it was {_show(was)}).")
        else:
            lines.append(f"Fact `{name}` corrected: {_show(was)} -> {_show(now)}.")
    if before.get("eligible") != after.get("eligible") or (before.get("error") is None) != (after.get("error") is None):
        lines.append(f"Outcome: {_outcome(before)} -> {_outcome(after)}.")
    else:
        lines.append(f"Outcome unchanged: {_outcome(after)}.")
    old_reasons = {r["requirement"]: r for r in before.get("reasons", [])}
    for r in after.get("reasons", []):
        old = old_reasons.get(r["requirement"])
        if old is None or old["status"] == r["status"]:
            continue
        what = f"Requirement `{r['requirement']}`" + (f" ({r['label']}" + (f", {r['article']})" if r.get("article")
                                                                            else ")") if r.get("label") else "")
        values = [f"{k} {_show(old.get('values', {}).get(k))} -> {_show(v)}"
                  for k, v in r.get("values", {}).items() if not _same(old.get("values", {}).get(k), v)]
        lines.append(f"{what} now {_STATUS.get(r['status'], r['status'])}; before, it "
                     f"{_WAS.get(old['status'], old['status'])}" + (f" ({'; '.join(values)})" if values else "") + ".")
    amount_inputs = {a.name: inputs_of(reg, a.expr) for a in reg.amounts} if reg is not None else {}
    old_amounts = before.get("amounts", {})
    for name, now in after.get("amounts", {}).items():
        was = old_amounts.get(name)
        if _same(was, now):
            continue
        why = [f for f in amount_inputs.get(name, []) if f in changed_facts]
        because = []
        if why:
            because.append("`" + "`, `".join(why) + "` changed")
        if before.get("eligible") != after.get("eligible"):
            because.append(f"the case is now {_outcome(after)}")
        lines.append(f"Amount `{name}` changed: {_show(was)} -> {_show(now)}"
                     + (f", because {' and '.join(because)}" if because else "") + ".")
    old_docs = {d.get("document"): d.get("required") for d in before.get("documents", [])}
    for d in after.get("documents", []):
        name, now = d.get("document"), d.get("required")
        if name in old_docs and old_docs[name] != now:
            state = {True: "now required", False: "no longer required", None: "not yet known to be required"}[now]
            lines.append(f"Document `{name}` is {state}.")
    settled = [m for m in before.get("missing", []) if m not in after.get("missing", [])]
    if settled:
        lines.append("No longer missing: " + ", ".join(f"`{m}`" for m in settled) + ".")
    return lines


def _outcome(d: Mapping[str, Any]) -> str:
    return "error" if d.get("error") is not None else _OUTCOME.get(d.get("eligible"), "undetermined")


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (a is None and b is None)
