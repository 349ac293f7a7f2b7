"""A decision in plain language: one sentence per requirement, then the conclusion (the error
when there is one) and the amounts. Reads the Decision; decides nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from eenvoud.engine import values as v
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.printer import percent_text

if TYPE_CHECKING:
    from eenvoud.engine.decision import Decision


def _show(name: str, value: object, reg: CheckedRegulation) -> str:
    sym = reg.symbols.get(name)
    if value is None:
        return f"{name} unknown"
    if sym is not None and isinstance(sym.type, t.MoneyType):
        return f"{name} = €{_thousands(str(value))}"
    if sym is not None and isinstance(sym.type, t.DecimalType) and sym.type.percent:
        return f"{name} = {percent_text(Decimal(str(value)))}"
    if isinstance(value, bool):
        return f"{name} = {'yes' if value else 'no'}"
    return f"{name} = {value}"


def _thousands(text: str) -> str:
    whole, _, frac = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return sign + ",".join(groups) + ("." + frac if frac else "")


def explain(d: Decision, reg: CheckedRegulation) -> list[str]:
    """One sentence per requirement, then the conclusion and the amounts, in plain language."""
    lines: list[str] = []
    for r in d.reasons:
        what = r.label or r.requirement
        art = f" ({r.article})" if r.article else ""
        values = ", ".join(_show(k, x, reg) for k, x in r.values.items())
        if r.status == "holds":
            why = f" by the exemption: {r.exemption}" if r.exemption else ""
            lines.append(f"Met: {what}{art}{why}" + (f" — {values}." if values and not r.exemption else "."))
        elif r.status == "fails":
            lines.append(f"Not met: {what}{art} — {values}." if values else f"Not met: {what}{art}.")
        elif r.status == "error":
            lines.append(f"Cannot be evaluated: {what}{art}.")
        else:
            needed = ", ".join(r.missing) if r.missing else "a fact"
            lines.append(f"Not yet known: {what}{art} — needs {needed}.")
    if d.error is not None:
        where = f" ({d.error.article})" if d.error.article else ""
        lines.append(f"Conclusion: the rules cannot be evaluated for this case: {d.error.message}, "
                     f"in {d.error.subject}{where}. This is a defect of the rules, not of the facts; "
                     "the agency decides by hand.")
    elif d.eligible is True:
        lines.append(f"Conclusion: eligible for {reg.title or reg.name} on {d.date.isoformat()}.")
    elif d.eligible is False:
        failed = [r.label or r.requirement for r in d.reasons if r.status == "fails"]
        lines.append(f"Conclusion: not eligible on {d.date.isoformat()}, because "
                     + "; ".join(failed) + (" is not met." if len(failed) == 1 else " are not met."))
    else:
        held = sum(1 for q in d.questions if q.registry)
        note = ""
        if held == len(d.questions):
            note = " A registry holds each of them: nothing needs to be asked of the citizen."
        elif held:
            note = f" A registry holds {held} of them; only the others need to be asked."
        lines.append("Conclusion: undetermined until these facts are known: "
                     + ", ".join(q.input for q in d.questions) + "." + note)
    for a in reg.amounts:
        value = d.amounts[a.name]
        if value is None:
            continue
        shown = f"€{_thousands(v.money(value))}" if a.name in d.money_amounts else str(value)  # type: ignore[arg-type]
        art = f" ({a.article})" if a.article else ""
        lines.append(f"Amount: {a.label or a.name}{art} = {shown}.")
    return lines
