"""A decision in plain language: one sentence per requirement, then the conclusion (the error
when there is one) and the amounts. Reads the Decision; decides nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from eenvoud.engine import values as v
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.printer import percent_text

if TYPE_CHECKING:
    from eenvoud.engine.decision import Decision


# Common Dutch words (none of them also English): labels and a title that use them make the rules
# Dutch (docs/language.md, "Explanations"), and their explanations are then in Dutch too
_DUTCH = frozenset(
    "de het een van en op voor met niet zijn aan bij naar dat als jaar jaren inkomen "
    "vermogen aanvrager partner huishouden woont kind kinderen ouder wet regeling toeslag bedrag "
    "gemeente recht heeft hoger lager dan meer minder per maand".split()
)
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")


def language(reg: CheckedRegulation) -> str:
    """`nl` when the regulation's title and labels are Dutch, else `en`."""
    texts = [reg.title or ""] + [i.label or "" for i in reg.inputs] + [r.label or "" for r in reg.requirements]
    words = [w.strip(".,:;()'\"").lower() for text in texts for w in text.split()]
    dutch = sum(w in _DUTCH for w in words)
    return "nl" if words and dutch * 8 >= len(words) else "en"


def money_nl(text: str) -> str:
    """`141896.00` as a Dutch reader writes it: `€ 141.896,00`."""
    whole, _, frac = text.partition(".")
    return "€ " + _thousands(whole).replace(",", ".") + ("," + frac if frac else "")


def _day_nl(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _show(name: str, value: object, reg: CheckedRegulation, lang: str = "en") -> str:
    sym = reg.symbols.get(name)
    nl = lang == "nl"
    if value is None:
        return f"{name} {'onbekend' if nl else 'unknown'}"
    if sym is not None and isinstance(sym.type, t.MoneyType):
        return f"{name} = {money_nl(str(value))}" if nl else f"{name} = €{_thousands(str(value))}"
    if sym is not None and isinstance(sym.type, t.DecimalType) and sym.type.percent:
        shown = percent_text(Decimal(str(value)))
        return f"{name} = {shown.replace('.', ',') if nl else shown}"
    if isinstance(value, bool):
        return f"{name} = {('ja' if value else 'nee') if nl else ('yes' if value else 'no')}"
    if nl and isinstance(value, Decimal):
        return f"{name} = {str(value).replace('.', ',')}"
    if isinstance(value, date):
        return f"{name} = {_day_nl(value) if nl else value.isoformat()}"
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


def explain(d: Decision, reg: CheckedRegulation, lang: str | None = None) -> list[str]:
    """One sentence per requirement, then the conclusion and the amounts, in plain language: in
    Dutch for Dutch rules (money as `€ 141.896,00`), else in English; `lang` (`nl`, `en`) chooses."""
    if (lang or language(reg)) == "nl":
        return _explain_nl(d, reg)
    return _explain_en(d, reg)


def _explain_nl(d: Decision, reg: CheckedRegulation) -> list[str]:
    lines: list[str] = []
    for r in d.reasons:
        what = r.label or r.requirement
        art = f" ({r.article})" if r.article else ""
        values = ", ".join(_show(k, x, reg, "nl") for k, x in r.values.items())
        if r.status == "holds":
            why = f" door de uitzondering: {r.exemption}" if r.exemption else ""
            lines.append(f"Voldaan: {what}{art}{why}" + (f" — {values}." if values and not r.exemption else "."))
        elif r.status == "fails":
            lines.append(f"Niet voldaan: {what}{art} — {values}." if values else f"Niet voldaan: {what}{art}.")
        elif r.status == "error":
            lines.append(f"Niet te beoordelen: {what}{art}.")
        else:
            needed = ", ".join(r.missing) if r.missing else "een gegeven"
            lines.append(f"Nog niet bekend: {what}{art} — nodig: {needed}.")
    if d.error is not None:
        where = f" ({d.error.article})" if d.error.article else ""
        lines.append(f"Conclusie: de regels zijn voor dit geval niet uit te voeren: {d.error.message}, "
                     f"in {d.error.subject}{where}. Dit is een gebrek in de regels, niet in de gegevens; "
                     "de instantie beslist zelf.")
    elif d.eligible is True:
        lines.append(f"Conclusie: recht op {reg.title or reg.name} op {_day_nl(d.date)}.")
    elif d.eligible is False:
        failed = [r.label or r.requirement for r in d.reasons if r.status == "fails"]
        lines.append(f"Conclusie: geen recht op {_day_nl(d.date)}, omdat niet is voldaan aan: "
                     + "; ".join(failed) + ".")
    else:
        held = sum(1 for q in d.questions if not q.ask_citizen)
        note = ""
        if held == len(d.questions):
            note = " Een registratie heeft elk van deze gegevens: de burger hoeft niets te worden gevraagd."
        elif held:
            note = f" Een registratie heeft er {held} van; alleen de andere hoeven te worden gevraagd."
        lines.append("Conclusie: nog niet te bepalen tot deze gegevens bekend zijn: "
                     + ", ".join(q.input for q in d.questions) + "." + note)
    for a in reg.amounts:
        value = d.amounts[a.name]
        if value is None:
            continue
        shown = money_nl(v.money(value)) if a.name in d.money_amounts else str(value).replace(".", ",")  # type: ignore[arg-type]
        art = f" ({a.article})" if a.article else ""
        lines.append(f"Bedrag: {a.label or a.name}{art} = {shown}.")
    return lines


def _explain_en(d: Decision, reg: CheckedRegulation) -> list[str]:
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
        held = sum(1 for q in d.questions if not q.ask_citizen)
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


CONCLUSION = ("Conclusion:", "Conclusie:")
AMOUNT = ("Amount:", "Bedrag:")


def is_dutch(lines: tuple[str, ...] | list[str]) -> bool:
    """Whether an explanation was written in Dutch."""
    return any(x.startswith(("Voldaan:", "Niet voldaan:", "Nog niet bekend:", "Niet te beoordelen:", "Conclusie:"))
               for x in lines)


def whatever_line(asked: str, outcome: str, dutch: bool) -> str:
    """The conclusion of a case the solver settled: every answer to the open facts decides alike."""
    if dutch:
        what = {"eligible": "recht", "not eligible": "geen recht", "error": "een fout in de regels"}.get(outcome, outcome)
        return f"Conclusie: welke antwoorden er ook komen op {asked}: {what}."
    what = {"eligible": "eligible", "not eligible": "not eligible", "error": "an error"}.get(outcome, outcome)
    return f"Whatever the answers to {asked}: {what}."
