"""Dutch habits of a drafter, recognised and explained by the checker.

The language is written with English words and the English decimal point (docs/language.md,
"Dutch notation and Dutch words"); a drafter used to Dutch law writes `€7.575` for seven thousand
five hundred and seventy-five euros, `€7.575,00` with a decimal comma, and `of` for `or`. Read
literally, `€7.575` would be seven euros and a fraction of a cent, so money has at most two
decimals and these spellings are errors that show the intended value in the language's notation.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# Dutch words a drafter may write where the language has an English word, with that word
WORDS = {
    "of": "or", "en": "and", "niet": "not", "als": "if", "indien": "if", "dan": "then", "anders": "else",
    "impliceert": "implies", "tenzij": "unless", "behalve": "unless", "waar": "true", "onwaar": "false",
    "wanneer": "when", "vereiste": "requirement", "voorwaarde": "requirement", "bedrag": "amount",
    "invoer": "input", "gegeven": "given", "verwacht": "expect", "bron": "source", "artikel": "article",
    "regeling": "regulation", "definieer": "define", "definitie": "define", "vereist": "required",
    "levert": "provides", "ontbreekt": "missing", "ontbrekend": "missing", "onbepaald": "undetermined",
    "rechthebbend": "eligible", "eigenschap": "property", "op": "on", "tot": "until", "uit": "from",
    "jaar": "year", "maanden": "months", "geldbedrag": "money", "datum": "date", "geheel": "int",
    "percentage": "percent", "importeer": "import", "instantie": "agency", "gebeurtenis": "event",
    "omvat": "includes", "ja": "true", "nee": "false",
}

# a run of digits with `.`, `,` or `_` as Dutch numbers are written, after an optional euro sign
_RUN = re.compile(r"(€?)([0-9][0-9_.,]*[0-9]|[0-9])(%?)")


def keyword_for(word: str) -> str | None:
    """The language's word for a Dutch one (`of` -> `or`), else None."""
    return WORDS.get(word.lower())


def word_help(word: str) -> str | None:
    english = keyword_for(word)
    if english is None:
        return None
    return f"did you mean `{english}`? The words of the language are English: `{word}` is `{english}`"


def run_at(text: str, pos: int) -> tuple[int, int] | None:
    """The number run (`€7.575,00`, `13,67%`) that `pos` lies in or directly follows, as (start, end)."""
    start = pos
    while start > 0 and text[start - 1] in "0123456789_.,":
        start -= 1
    if start > 0 and text[start - 1] == "€":
        start -= 1
    m = _RUN.match(text, start)
    if m is None or not (m.start() <= pos <= m.end()):
        return None
    return m.start(), m.end()


def reading(written: str) -> tuple[str, str] | None:
    """For a number written in Dutch notation, (message, help) with its value in the language's
    notation; None when `written` is not Dutch (and not money with more than two decimals)."""
    m = _RUN.fullmatch(written)
    if m is None:
        return None
    euro, digits, percent = m.groups()
    money = euro == "€"
    plain = digits.replace("_", "")
    if "_" in digits and "," not in digits:
        plain = plain.replace(".", "", plain.count(".") - 1)  # `_` groups: the last `.` is a decimal point
        if plain.count(".") == 1 and money and len(plain.split(".")[1]) > 2:
            whole, _, cents = plain.partition(".")
            return (f"money has at most two decimals: `{written}` has {len(cents)}",
                    f"money is in whole cents: write it rounded, like `€{_grouped(Decimal(whole))}.{cents[:2]}`")
        return None
    if "," in plain:
        # a decimal comma, with dots (if any) grouping thousands: `7.575,00`
        whole, _, cents = plain.rpartition(",")
        if "," in whole or not _groups(whole) or not cents.isdigit():
            return None
        value = whole.replace(".", "") + "." + cents
        what = "`,` as the decimal point" + (" and `.` grouping thousands" if "." in whole else "")
    elif _groups(plain) and (plain.count(".") > 1 or money and plain.count(".") == 1):
        # dots grouping thousands: `7.575`, `1.000.000`
        value = plain.replace(".", "")
        what = "`.` grouping thousands"
    elif money and "." in plain and len(plain.split(".")[1]) > 2:
        whole, _, cents = plain.partition(".")
        return (
            f"money has at most two decimals: `{written}` has {len(cents)}",
            f"money is in whole cents: write it rounded, like `€{whole}.{cents[:2]}`",
        )
    else:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    notation = "The language writes `.` for the decimal point and `_` to group digits"
    if money:
        if amount != amount.quantize(Decimal("0.01")):
            return None
        shown = "€" + _grouped(amount.quantize(Decimal("0.01")))
        if "," not in plain and plain.count(".") == 1:
            message = f"money has at most two decimals: `{written}` has 3"
        else:
            message = f"`{written}` is written in Dutch notation ({what})"
        return message, f"did you mean `{shown}`? {notation}"
    shown = _grouped(amount) + percent
    return (f"`{written}` is written in Dutch notation ({what})",
            f"did you mean `{shown}`? {notation}")


def _groups(whole: str) -> bool:
    """`7.575` or `1.000.000`: digits, then groups of three after each dot."""
    parts = whole.split(".")
    if len(parts) > 1 and (not parts[0] or parts[0].startswith("0") or len(parts[0]) > 3):
        return False  # `€0.125`, `€1800.125`: too many decimals, not thousands
    return parts[0].isdigit() and all(len(p) == 3 and p.isdigit() for p in parts[1:])


def _grouped(amount: Decimal) -> str:
    """`7575.00` as `7_575.00` (Decimal groups with `,` only)."""
    return format(amount, ",f").replace(",", "_")
