"""A decision in plain language: one sentence per requirement, then the conclusion (the error
when there is one) and the amounts. Reads the Decision; decides nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
    # read once per text (its hash): it was half the cost of explaining a decision in the API
    known = _LANGUAGES.get(reg.hash)
    if known is None:
        if len(_LANGUAGES) >= 4096:  # the playground decides ever new texts: keep the memory bounded
            _LANGUAGES.clear()
        known = _LANGUAGES[reg.hash] = _language_of(reg)
    return known


_LANGUAGES: dict[str, str] = {}


def _language_of(reg: CheckedRegulation) -> str:
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
    """`141896.00` as `141,896.00` (Decimal's own grouping: the digits and the sign as they are)."""
    return format(Decimal(text), ",f")


@dataclass(frozen=True)
class _Words:
    """One language's words and number formats: the explanation is written once, in `explain`."""

    lang: str
    met: str
    by_exemption: str
    not_met: str
    cannot: str
    not_known: str
    needs: str
    a_fact: str
    error: str  # {message} {subject} {where}
    eligible: str  # {title} {day}
    not_eligible: Callable[[str, list[str]], str]  # day, the failed requirements
    all_held: str
    some_held: str  # {held}
    undetermined: str
    amount: str
    day: Callable[[date], str]
    money: Callable[[str], str]
    number: Callable[[object], str]


_WORDS = {
    "nl": _Words(
        "nl", "Voldaan", " door de uitzondering: ", "Niet voldaan", "Niet te beoordelen", "Nog niet bekend",
        "nodig: ", "een gegeven",
        "Conclusie: de regels zijn voor dit geval niet uit te voeren: {message}, in {subject}{where}. Dit is een "
        "gebrek in de regels, niet in de gegevens; de instantie beslist zelf.",
        "Conclusie: recht op {title} op {day}.",
        lambda day, failed: f"Conclusie: geen recht op {day}, omdat niet is voldaan aan: " + "; ".join(failed) + ".",
        " Een registratie heeft elk van deze gegevens: de burger hoeft niets te worden gevraagd.",
        " Een registratie heeft er {held} van; alleen de andere hoeven te worden gevraagd.",
        "Conclusie: nog niet te bepalen tot deze gegevens bekend zijn: ",
        "Bedrag", _day_nl, money_nl, lambda x: str(x).replace(".", ","),
    ),
    "en": _Words(
        "en", "Met", " by the exemption: ", "Not met", "Cannot be evaluated", "Not yet known", "needs ", "a fact",
        "Conclusion: the rules cannot be evaluated for this case: {message}, in {subject}{where}. This is a "
        "defect of the rules, not of the facts; the agency decides by hand.",
        "Conclusion: eligible for {title} on {day}.",
        lambda day, failed: f"Conclusion: not eligible on {day}, because " + "; ".join(failed)
        + (" is not met." if len(failed) == 1 else " are not met."),
        " A registry holds each of them: nothing needs to be asked of the citizen.",
        " A registry holds {held} of them; only the others need to be asked.",
        "Conclusion: undetermined until these facts are known: ",
        "Amount", date.isoformat, lambda text: f"€{_thousands(text)}", str,
    ),
}


def explain(d: Decision, reg: CheckedRegulation, lang: str | None = None) -> list[str]:
    """One sentence per requirement, then the conclusion and the amounts, in plain language: in
    Dutch for Dutch rules (money as `€ 141.896,00`), else in English; `lang` (`nl`, `en`) chooses."""
    w = _WORDS.get(lang or language(reg), _WORDS["en"])
    lines: list[str] = []
    for r in d.reasons:
        what = r.label or r.requirement
        art = f" ({r.article})" if r.article else ""
        values = ", ".join(_show(k, x, reg, w.lang) for k, x in r.values.items())
        if r.status == "holds":
            why = f"{w.by_exemption}{r.exemption}" if r.exemption else ""
            lines.append(f"{w.met}: {what}{art}{why}" + (f" — {values}." if values and not r.exemption else "."))
        elif r.status == "fails":
            lines.append(f"{w.not_met}: {what}{art} — {values}." if values else f"{w.not_met}: {what}{art}.")
        elif r.status == "error":
            lines.append(f"{w.cannot}: {what}{art}.")
        else:
            needed = ", ".join(r.missing) if r.missing else w.a_fact
            lines.append(f"{w.not_known}: {what}{art} — {w.needs}{needed}.")
    if d.error is not None:
        where = f" ({d.error.article})" if d.error.article else ""
        lines.append(w.error.format(message=d.error.message, subject=d.error.subject, where=where))
    elif d.eligible is True:
        lines.append(w.eligible.format(title=reg.title or reg.name, day=w.day(d.date)))
    elif d.eligible is False:
        lines.append(w.not_eligible(w.day(d.date), [r.label or r.requirement for r in d.reasons if r.status == "fails"]))
    else:
        held = sum(1 for q in d.questions if not q.ask_citizen)
        note = w.all_held if held == len(d.questions) else w.some_held.format(held=held) if held else ""
        lines.append(w.undetermined + ", ".join(q.input for q in d.questions) + "." + note)
    for a in reg.amounts:
        value = d.amounts[a.name]
        if value is None:
            continue
        shown = w.money(v.money(value)) if a.name in d.money_amounts else w.number(value)  # type: ignore[arg-type]
        art = f" ({a.article})" if a.article else ""
        lines.append(f"{w.amount}: {a.label or a.name}{art} = {shown}.")
    return lines


CONCLUSION = ("Conclusion:", "Conclusie:")
AMOUNT = ("Amount:", "Bedrag:")


def is_dutch(lines: tuple[str, ...] | list[str]) -> bool:
    """Whether an explanation was written in Dutch."""
    return any(x.startswith(("Voldaan:", "Niet voldaan:", "Nog niet bekend:", "Niet te beoordelen:", "Conclusie:"))
               for x in lines)


def may_fail_line(missing: list[str], lines: list[str] | tuple[str, ...]) -> str:
    """The conclusion of a case the requirements would decide, but where an answer still open can
    make the rules fail (an error is an outcome of its own): undetermined."""
    names = ", ".join(f"`{x}`" for x in missing)
    if is_dutch(lines):
        return f"Conclusie: nog niet te bepalen: een antwoord op {names} kan de regels nog laten falen."
    return f"Conclusion: undetermined: an answer to {names} can still make the rules fail."


def whatever_line(asked: str, outcome: str, dutch: bool) -> str:
    """The conclusion of a case the solver settled: every answer to the open facts decides alike."""
    if dutch:
        what = {"eligible": "recht", "not eligible": "geen recht", "error": "een fout in de regels"}.get(outcome, outcome)
        return f"Conclusie: welke antwoorden er ook komen op {asked}: {what}."
    what = {"eligible": "eligible", "not eligible": "not eligible", "error": "an error"}.get(outcome, outcome)
    return f"Whatever the answers to {asked}: {what}."
