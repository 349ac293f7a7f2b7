"""What a regulation asks and holds, as the API shows it: read straight from the checked IR."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import assert_never

from eenvoud.engine import values as v
from eenvoud.engine.evaluate import parameter_value
from eenvoud.engine.facts import literal_value
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation


def versions(reg: CheckedRegulation) -> list[dict[str, object]]:
    """The periods in which the regulation's parameters and brackets keep one value each."""
    days = reg.change_dates()
    if not days:
        return [{"valid_from": None, "valid_until": None}]
    out: list[dict[str, object]] = []
    for i, day in enumerate(days):
        until = days[i + 1] - timedelta(days=1) if i + 1 < len(days) else None
        out.append({"valid_from": day, "valid_until": until})
    return out


def summary(reg: CheckedRegulation) -> dict[str, object]:
    return {
        "id": reg.name, "title": reg.title, "agency": reg.agency, "source": reg.source_url,
        "hash": reg.hash, "versions": versions(reg),
    }


def type_name(typ: t.Type) -> str:
    match typ:
        case t.BoolType():
            return "bool"
        case t.IntType():
            return "int"
        case t.DecimalType():
            return "percent" if typ.percent else "decimal"
        case t.MoneyType():
            return "money"
        case t.DateType():
            return "date"
        case t.EnumType():
            return "enum"
        case _:
            assert_never(typ)


def domain(typ: t.Type) -> dict[str, object]:
    match typ:
        case t.BoolType():
            return {}
        case t.IntType():
            return {"minimum": typ.lo, "maximum": typ.hi}
        case t.DecimalType():
            return {"minimum": _number(typ.lo), "maximum": _number(typ.hi)}
        case t.MoneyType():
            return {"minimum": _money(typ.lo), "maximum": _money(typ.hi)}
        case t.DateType():
            return {"minimum": _iso(typ.lo), "maximum": _iso(typ.hi)}
        case t.EnumType():
            return {"members": list(typ.members)}
        case _:
            assert_never(typ)


def _number(x: Decimal | None) -> str | None:
    return None if x is None else str(v.to_json(x))


def _money(x: Decimal | None) -> str | None:
    return None if x is None else v.money(x)


def _iso(x: date | None) -> str | None:
    return None if x is None else x.isoformat()


def input_info(i: n.Input) -> dict[str, object]:
    return {
        "name": i.name, "type": type_name(i.type), "domain": domain(i.type), "label": i.label,
        "registry": i.registry, "ask_citizen": i.registry is None or i.judged,
        "registry_period": i.period.text() if i.period is not None else None, "judged": i.judged,
    }


def detail(reg: CheckedRegulation, day: date) -> dict[str, object]:
    parameters = []
    for p in reg.parameters:
        pv = parameter_value(p, day)
        value = None if pv is None else v.to_json(literal_value(pv.value), isinstance(p.type, t.MoneyType))
        parameters.append({
            "name": p.name, "label": p.label, "type": type_name(p.type), "value": value,
            "valid_from": None if pv is None else pv.valid_from,
        })
    return {
        **summary(reg),
        "date": day,
        "inputs": [input_info(i) for i in reg.inputs],
        "parameters": parameters,
        "requirements": [
            {"name": r.name, "label": r.label, "article": r.article, "condition": printer.expr(r.condition),
             "exemptions": [printer.expr(e.condition) for e in r.exemptions]}
            for r in reg.requirements
        ],
        "amounts": [
            {"name": a.name, "label": a.label, "article": a.article,
             "type": type_name(reg.symbols[a.name].type), "formula": printer.expr(a.expr)}
            for a in reg.amounts
        ],
        "documents": [
            {"name": d.name, "label": d.label, "provides": list(d.provides),
             "required_when": None if d.required_when is None else printer.expr(d.required_when)}
            for d in reg.documents
        ],
    }


def example_facts(reg: CheckedRegulation) -> dict[str, object]:
    """Facts for the OpenAPI examples: the drafter's first test case, else a plausible value per input."""
    for test in reg.tests:
        if test.given:
            inputs = reg.input_map
            return {
                g.name: v.to_json(literal_value(g.value), isinstance(inputs[g.name].type, t.MoneyType))
                for g in test.given if g.name in inputs
            }
    return {i.name: _plausible(i.type) for i in reg.inputs}


def _plausible(typ: t.Type) -> object:
    match typ:
        case t.BoolType():
            return True
        case t.IntType():
            return typ.lo if typ.lo is not None else 0
        case t.DecimalType():
            return _number(typ.lo) or "0"
        case t.MoneyType():
            return _money(typ.lo) or "0.00"
        case t.DateType():
            return _iso(typ.lo) or "2000-01-01"
        case t.EnumType():
            return typ.members[0]
        case _:
            assert_never(typ)
