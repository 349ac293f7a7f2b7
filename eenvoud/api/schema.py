"""The JSON Schema of a regulation's facts, generated from its declared inputs.

Every value the schema allows is accepted by the engine's fact parser (a test holds it to that),
so a portal that validates its form against this schema never meets a 422 for a value.
Money and decimals are strings ("1987.00", "0.137"): exact, whatever JSON library a client uses
(the API accepts JSON numbers too, parsed exactly, but does not advertise them). Their bounds are
`x-minimum`/`x-maximum` strings, since JSON Schema's own bounds apply to numbers only; a lower
bound of zero or more drops the minus sign from the pattern.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, assert_never

from eenvoud.engine import values as v
from eenvoud.engine.facts import MAX_DECIMALS, MAX_DIGITS
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def facts_schema(reg: CheckedRegulation) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for i in reg.inputs:
        prop = value_schema(i.type)
        if i.label:
            prop["title"] = i.label
        prop["x-registry"] = i.registry
        if i.period is not None:
            prop["x-registry-period"] = i.period.text()
        if i.judged:
            prop["x-registry-judged"] = True
        prop["description"] = (f"held by the registry {i.registry}: fetch it there, do not ask the citizen"
                               if i.registry else "asked of the citizen")
        properties[i.name] = prop
    return {
        "$schema": DIALECT,
        "$id": f"urn:eenvoud:regulation:{reg.name}:facts",
        "title": f"facts for {reg.title or reg.name}",
        "description": "Every input of the regulation; a fact left out or null is unknown, and the "
                       "decision then says which facts could still decide it.",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "x-hash": reg.hash,
    }


def value_schema(typ: t.Type) -> dict[str, Any]:
    """One input's values; null always means unknown."""
    match typ:
        case t.BoolType():
            return {"type": ["boolean", "null"]}
        case t.IntType():
            # the engine takes at most MAX_DIGITS digits: the schema says so where the rules do not
            biggest = 10**MAX_DIGITS - 1
            return {"type": ["integer", "null"],
                    "minimum": -biggest if typ.lo is None else typ.lo,
                    "maximum": biggest if typ.hi is None else typ.hi}
        case t.DecimalType():
            return _numeric(typ.lo, typ.hi, MAX_DECIMALS, "percent" if typ.percent else "decimal")
        case t.MoneyType():
            return _numeric(typ.lo, typ.hi, 2, "money")
        case t.DateType():
            out = {"type": ["string", "null"], "format": "date"}
            if typ.lo is not None:
                out["x-minimum"] = typ.lo.isoformat()
            if typ.hi is not None:
                out["x-maximum"] = typ.hi.isoformat()
            return out
        case t.EnumType():
            return {"enum": [*typ.members, None]}
        case _:
            assert_never(typ)


def _numeric(lo: Decimal | None, hi: Decimal | None, places: int, kind: str) -> dict[str, Any]:
    sign = "" if lo is not None and lo >= 0 else "-?"
    pattern = f"^{sign}[0-9]{{1,{MAX_DIGITS}}}(\\.[0-9]{{1,{places}}})?$"
    out: dict[str, Any] = {"type": ["string", "null"], "pattern": pattern, "x-type": kind}
    if lo is not None:
        out["x-minimum"] = str(v.to_json(lo, kind == "money"))
    if hi is not None:
        out["x-maximum"] = str(v.to_json(hi, kind == "money"))
    return out
