"""Request bodies: strict, exact JSON, checked against the inputs before the engine sees them.

- The body must be sent as `Content-Type: application/json` (else 415).
- Numbers with a fraction become a Decimal, never a float, so "income": 20000.10 reaches the
  engine as exactly 20000.10. A key twice in one object, or a string with an unpaired surrogate
  (`"\\ud800"`), is a 422 naming the field.
- Each fact is held to the API's grammar (docs/api.md, "Values"): ASCII digits only, money and
  decimals as a decimal string or a JSON number, dates as YYYY-MM-DD; a negative zero is zero.
- The work is bounded whatever the body holds: a name the rules do not declare costs one set
  lookup, a "did you mean" is computed for the first `SUGGESTIONS` such names only, and only
  against names of a length that could match; the answer lists at most `MAX_ERRORS` problems
  (errors.py) and counts the rest.
- No message quotes a value sent (facts are personal data): it says what was expected and the
  JSON type of what came.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import HTTPException, Request
from pydantic import ValidationError

from eenvoud.api.errors import ClientError, pydantic_errors, safe_text
from eenvoud.api.models import EligibilityRequest
from eenvoud.diagnostics import did_you_mean
from eenvoud.engine import values as v
from eenvoud.engine.facts import MAX_DECIMALS, MAX_DIGITS
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import Library

SUGGESTIONS = 50  # "did you mean" for the first 50 unknown names; the others are only counted
MAX_ERRORS = 50  # problems listed per answer; errors.py counts the rest in "omitted"
# A case has a few dozen facts. A body with more than MAX_ITEMS commas and colons (counted in the
# raw bytes, inside strings too: a bound on its fields and array elements) is refused before it is
# parsed, so that 60,000 names or 500,000 numbers cost a count of bytes, not a parse.
MAX_ITEMS = 2000
MAX_NUMBER = 100  # characters in one JSON number: a fact has at most 15 + 10 digits
FIELDS = ("date", "facts")

_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}")
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CENT = Decimal("0.01")

TypesOf = Mapping[str, Sequence[t.Type]]


# -- the JSON ------------------------------------------------------------------------------------


class _Duplicates(dict[str, Any]):
    """An object in which some key came more than once (the last value kept, as json does)."""

    duplicates: list[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    dup = _Duplicates(obj)
    dup.duplicates = []
    for key, _ in pairs:
        if key in seen and key not in dup.duplicates:
            dup.duplicates.append(key)
        seen.add(key)
    return dup


def _no_constants(name: str) -> Any:
    raise ValueError(f"`{name}` is not a JSON number")


def _float(text: str) -> Decimal:
    if len(text) > MAX_NUMBER:
        raise ValueError(f"a number has at most {MAX_NUMBER} characters")
    return Decimal(text)


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER:
        raise ValueError(f"a number has at most {MAX_NUMBER} characters")
    return int(text)


def is_json(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";", 1)[0].strip().lower() == "application/json"


async def exact_json(request: Request) -> Any:
    raw = await request.body()  # read first: a body over the limit is a 413 whatever its type
    return parse_json(raw, request.headers.get("content-type"))


def parse_json(raw: bytes, content_type: str | None) -> Any:
    """The body, read exactly (see the module's docstring); `content_type` as the header gave it."""
    if not is_json(content_type):
        raise HTTPException(415, 'the body must be JSON, sent with the header "Content-Type: application/json"')
    if not raw.strip():
        raise ClientError.at(["body"], 'the request needs a JSON body, like {"date": "2025-01-01", "facts": {}}',
                             "missing")
    if raw.count(b",") + raw.count(b":") > MAX_ITEMS:
        raise ClientError.at(["body"], f"the body has more than {MAX_ITEMS} JSON items (fields and array elements, "
                                       "counted by their commas and colons); a case has a few dozen facts",
                             "too_many_items")
    try:
        return json.loads(raw, parse_float=_float, parse_int=_int, parse_constant=_no_constants,
                          object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise ClientError.at(["body"], f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                             "json_invalid") from None
    except UnicodeDecodeError:
        raise ClientError.at(["body"], "the body is not UTF-8 text", "json_invalid") from None
    except ValueError as exc:
        raise ClientError.at(["body"], f"not valid JSON: {exc}", "json_invalid") from None
    except RecursionError:
        raise ClientError.at(["body"], "the JSON is nested too deeply", "json_invalid") from None


# -- the request ---------------------------------------------------------------------------------


async def eligibility_request(request: Request, scope: Callable[[], tuple[TypesOf, Callable[[str], str]]]
                              ) -> EligibilityRequest:
    """The body, checked. `scope()` gives the input types accepted and how to say that a name is
    not among them; it is asked only once the body's shape is right (it may raise a 404)."""
    return eligibility_body(await exact_json(request), scope)


def eligibility_body(data: Any, scope: Callable[[], tuple[TypesOf, Callable[[str], str]]]) -> EligibilityRequest:
    """`eligibility_request` on a body already parsed by `parse_json`."""
    if not isinstance(data, dict):
        raise ClientError.at(["body"], 'expected a JSON object like {"date": "2025-01-01", "facts": {}}',
                             "model_type")
    errors: list[dict[str, Any]] = []
    omitted = 0
    for key in getattr(data, "duplicates", ()):
        errors.append(_at(["body", key], f"the field `{_name(key)}` is given more than once", "duplicate_key"))
    for key in getattr(data.get("facts"), "duplicates", ()):
        errors.append(_at(["body", "facts", key], f"the fact `{_name(key)}` is given more than once",
                          "duplicate_key"))
    extra = [k for k in data if k not in FIELDS]
    for key in extra[:MAX_ERRORS]:
        errors.append(_at(["body", key], f"unknown field `{_name(key)}`", "extra_forbidden"))
    omitted += max(0, len(extra) - MAX_ERRORS)
    day = data.get("date")
    if isinstance(day, str) and _SURROGATE.search(day):
        errors.append(_at(["body", "date"], "the date is not valid Unicode (it has an unpaired surrogate)",
                          "unicode"))
        day = None
    try:
        body = EligibilityRequest.model_validate({"date": day, "facts": data.get("facts", {})})
    except ValidationError as exc:
        errors.extend({**e, "loc": ["body", *e["loc"]]} for e in pydantic_errors(exc.errors()))
        body = None
    if errors or body is None:
        raise ClientError(errors, omitted)
    types, unknown = scope()
    facts, errors, omitted = check_facts(body.facts, types, unknown)
    if errors:
        raise ClientError(errors, omitted)
    body.facts = facts
    return body


def regulation_scope(reg: CheckedRegulation) -> tuple[TypesOf, Callable[[str], str]]:
    types = {i.name: (i.type,) for i in reg.inputs}
    return types, lambda name: f"`{reg.name}` has no input `{name}`"


_LIBRARIES: dict[int, tuple[Library, dict[str, tuple[t.Type, ...]]]] = {}


def library_scope(library: Library) -> tuple[TypesOf, Callable[[str], str]]:
    """Every input of the library (a fact is the same fact wherever its name appears)."""
    cached = _LIBRARIES.get(id(library))
    if cached is None or cached[0] is not library:
        types: dict[str, tuple[t.Type, ...]] = {}
        for reg in library.regulations.values():
            for i in reg.inputs:
                if i.type not in types.get(i.name, ()):
                    types[i.name] = (*types.get(i.name, ()), i.type)
        cached = _LIBRARIES[id(library)] = (library, types)
    return cached[1], lambda name: f"no regulation has an input `{name}`"


def check_facts(facts: Mapping[str, Any], types: TypesOf, unknown: Callable[[str], str]
                ) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """The facts held to the API's grammar: (the facts, normalised; the first MAX_ERRORS problems;
    how many more there are). An unknown name costs a set lookup; only the first SUGGESTIONS of
    them get a "did you mean", computed against names of a length that can match."""
    errors: list[dict[str, Any]] = []
    more = 0
    unknown_seen = 0
    out: dict[str, Any] = {}
    for key, value in facts.items():
        typs = types.get(key)
        if typs is None:
            unknown_seen += 1
            if unknown_seen > SUGGESTIONS or len(errors) >= MAX_ERRORS:
                more += 1
                continue
            if _SURROGATE.search(key):
                errors.append(_at(["body", "facts", key], "a fact's name is not valid Unicode (it has an unpaired "
                                  "surrogate)", "unicode"))
                continue
            hint = suggest(key, types)
            errors.append(_at(["body", "facts", key], unknown(_name(key)) + (f"; {hint}" if hint else ""), "facts"))
            continue
        if value is None:
            continue
        problem: str | None = None
        for typ in typs:
            value, problem = check_value(typ, value)
            if problem:
                break
        if problem is None:
            out[key] = value
        elif len(errors) < MAX_ERRORS:
            errors.append(_at(["body", "facts", key], problem, "facts"))
        else:
            more += 1
    return out, errors, more


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest declared name. difflib's ratio is 2*M/(a+b) with M at most the shorter length,
    so a candidate can reach the cut-off of 0.6 only when 7 * shorter >= 3 * longer: the others
    are not compared at all (a name of 100,000 characters is compared with none)."""
    n = len(name)
    close = [c for c in candidates if 7 * min(n, len(c)) >= 3 * max(n, len(c))]
    return did_you_mean(name, close) if close else None


# -- one value ---------------------------------------------------------------------------------


def check_value(typ: t.Type, value: Any) -> tuple[Any, str | None]:
    """(the value, normalised; None) or (the value; what is wrong, without quoting it)."""
    if isinstance(value, str) and _SURROGATE.search(value):
        return value, "the value is not valid Unicode (it has an unpaired surrogate)"
    match typ:
        case t.BoolType():
            return value, None if isinstance(value, bool) else f"expected true or false, got {_kind(value)}"
        case t.IntType():
            return _integer(typ, value)
        case t.DecimalType():
            return _decimal(value, MAX_DECIMALS, typ.lo, typ.hi, False,
                            f'expected a number like "0.137" or 0.137, got {_kind(value)}')
        case t.MoneyType():
            return _decimal(value, 2, typ.lo, typ.hi, True,
                            f'expected money like "1987.00" or 1987.00, got {_kind(value)}')
        case t.DateType():
            if isinstance(value, str) and _DATE.fullmatch(value):
                try:
                    dt.date.fromisoformat(value)
                    return value, None
                except ValueError:
                    pass
            return value, f'expected a date like "2025-01-01" (YYYY-MM-DD), got {_kind(value)}'
        case t.EnumType():
            if isinstance(value, str) and value in typ.members:
                return value, None
            hint = suggest(value, typ.members) if isinstance(value, str) else None
            return value, ("expected one of " + ", ".join(f'"{m}"' for m in typ.members) + f", got {_kind(value)}"
                           + (f"; {hint}" if hint else ""))
    return value, f"expected a value of type {type(typ).__name__}"  # pragma: no cover


def _integer(typ: t.IntType, value: Any) -> tuple[Any, str | None]:
    wrong = f"expected a whole number like 30, got {_kind(value)}"
    if isinstance(value, bool):
        return value, wrong
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            return value, (f"too large: at most {MAX_DIGITS} digits" if _NUMBER.fullmatch(value)
                           and "." not in value else wrong)
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() >= MAX_DIGITS:
            return value, f"too large: at most {MAX_DIGITS} digits"
        if not value.is_finite() or value != value.to_integral_value():
            return value, wrong
        number = int(value)
    else:
        return value, wrong
    if abs(number) >= 10**MAX_DIGITS:
        return value, f"too large: at most {MAX_DIGITS} digits"
    problem = _range(number, typ.lo, typ.hi, str)
    return number, problem


def _decimal(value: Any, places: int, lo: Decimal | None, hi: Decimal | None, money: bool,
             wrong: str) -> tuple[Any, str | None]:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        return value, wrong
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            return value, wrong
        try:
            dec = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern lets only digits through
            return value, wrong
    else:
        dec = Decimal(value)
    if not dec.is_finite():
        return value, wrong
    if dec and dec.adjusted() >= MAX_DIGITS:
        return value, f"too large: at most {MAX_DIGITS} digits before the decimal point"
    if dec != dec.quantize(Decimal(1).scaleb(-places)):
        return value, ("money has at most two decimals (cents)" if money
                       else f"at most {places} decimals")
    if dec.is_zero() and dec.is_signed():
        dec = dec.copy_abs()
        value = dec if not isinstance(value, str) else value.lstrip("-")
    return value, _range(dec, lo, hi, lambda x: str(v.to_json(x, money)))


def _range(value: Any, lo: Any, hi: Any, show: Callable[[Any], str]) -> str | None:
    if lo is not None and value < lo:
        return f"below the lowest allowed value {show(lo)}"
    if hi is not None and value > hi:
        return f"above the highest allowed value {show(hi)}"
    return None


def _kind(value: object) -> str:
    """What came, without the value: `got text`, `got a number`."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int | Decimal | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else "a value of another kind"


def _name(key: str) -> str:
    """A field's name as a message quotes it: names are the client's vocabulary, not personal
    data, but a message does not repeat a megabyte of one."""
    key = safe_text(key)
    return key if len(key) <= 60 else key[:57] + "..."


def _at(loc: list[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": type_}
