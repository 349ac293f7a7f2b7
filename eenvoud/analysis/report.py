"""Reports for analysts: Markdown and a self-contained HTML page (inline style, no scripts, nothing
fetched from the network), from one template each in `templates/`.

A summary of findings per kind and regulation comes first; then, per regulation, each finding
with its article, the evidence in plain language (what the proof rests on, or the witness case
as a small table) and the change it proposes; then the simplified text that `simplify` proved
equivalent, as a diff against the file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources

import jinja2

from eenvoud.analysis.findings import KINDS, TITLES, Finding, Report, Witness
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.printer import type_text


@dataclass
class WitnessView:
    rows: list[tuple[str, str, str, str]]  # input, question, value, value after (or "")
    outcome: list[tuple[str, str, str]]  # what, decided, decided after (or "")
    changed: bool
    note: str | None


@dataclass
class FindingView:
    number: int
    kind: str
    title: str
    subject: str
    span: str | None
    article: str | None
    periods: str
    message: str
    evidence: list[str]
    witness: WitnessView | None
    proposal: str | None


@dataclass
class RegulationView:
    name: str
    title: str
    file: str
    dates: str
    skipped: list[str]
    findings: list[FindingView] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    diff: str | None = None
    simplify_note: str | None = None


def views(report: Report) -> list[RegulationView]:
    out: list[RegulationView] = []
    number = 0
    for entry in report.regulations:
        reg = report.regs.get(entry.regulation)
        view = RegulationView(entry.regulation, entry.title or entry.regulation, entry.file,
                              ", ".join(d.isoformat() for d in entry.dates), list(entry.skipped))
        for f in report.findings:
            if f.regulation != entry.regulation:
                continue
            number += 1
            view.findings.append(_finding(number, f, reg))
        for u in report.unknown:
            if u.regulation == entry.regulation:
                when = "; ".join(p.text() for p in u.periods)
                view.unknown.append(f"{TITLES.get(u.analysis, u.analysis)} — `{u.subject}`"
                                    f"{' (' + u.span + ')' if u.span else ''}: {u.reason} ({when})")
        if entry.simplified is not None and reg is not None and entry.simplified != reg.file.text:
            view.diff = "".join(difflib.unified_diff(
                reg.file.text.splitlines(keepends=True), entry.simplified.splitlines(keepends=True),
                fromfile=entry.file, tofile=entry.file + " (simplified)"))
        view.simplify_note = entry.simplify_note
        out.append(view)
    return out


def _finding(number: int, f: Finding, reg: CheckedRegulation | None) -> FindingView:
    return FindingView(
        number, f.kind, TITLES[f.kind], f.subject, f.span, f.article,
        "; ".join(p.text() for p in f.periods) or "on the date analysed",
        f.message, [_because(x, reg) for x in f.because],
        _witness(f.witness, reg) if f.witness else None, f.proposal)


def _because(item: str, reg: CheckedRegulation | None) -> str:
    """One element of a proof's core, in plain language."""
    if reg is None:
        return item
    req = next((r for r in reg.requirements if r.name == item), None)
    if req is not None:
        what = req.label or req.name
        return f"requirement `{req.name}`: {what}" + (f" ({req.article})" if req.article else "")
    if item.startswith("domain of `") and item.endswith("`"):
        name = item[len("domain of `"):-1]
        decl = reg.input_map.get(name)
        if decl is not None:
            return f"the input `{name}` is declared `{type_text(decl.type)}`" + (
                f" ({decl.label})" if decl.label else "")
    return item


def _show(value: object, typ: t.Type | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(typ, t.MoneyType):
        return money(str(value))
    return str(value)


def money(text: str) -> str:
    """€ 10,000.00: money as the engine's explanations show it."""
    sign = "-" if text.startswith("-") else ""
    whole, _, cents = text.lstrip("-").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return f"{sign}€ {','.join(groups)}" + (f".{cents}" if cents else "")


def _witness(w: Witness, reg: CheckedRegulation | None) -> WitnessView:
    inputs: list[n.Input] = list(reg.inputs) if reg is not None else []
    types = {i.name: i.type for i in inputs}
    labels = {i.name: i.label or "" for i in inputs}
    facts = w.to_json(reg)["facts"]
    assert isinstance(facts, dict)
    changed = w.to_json(reg).get("changed") or {}
    assert isinstance(changed, dict)
    rows = [(name, labels.get(name, ""), _show(value, types.get(name)),
             _show(changed[name], types.get(name)) if name in changed else "")
            for name, value in facts.items()]
    outcome: list[tuple[str, str, str]] = []
    before, after = w.decision, w.decision_after or {}
    if "error" in before:
        outcome.append(("decision", f"the engine stops: {before['error']}", ""))
    else:
        outcome.append(("eligible", _show(before.get("eligible"), None), _show(after.get("eligible"), None)
                        if after else ""))
        amounts = before.get("amounts") or {}
        amounts_after = after.get("amounts") or {} if after else {}
        assert isinstance(amounts, dict) and isinstance(amounts_after, dict)
        for name, value in amounts.items():
            is_money = reg is not None and isinstance(reg.symbols[name].type, t.MoneyType)
            outcome.append((name, money(str(value)) if is_money else str(value),
                            (money(str(amounts_after[name])) if is_money else str(amounts_after[name]))
                            if name in amounts_after else ""))
        failed = before.get("failed") or []
        assert isinstance(failed, list)
        outcome.append(("requirements not met", ", ".join(failed) or "none",
                        ", ".join(after.get("failed") or []) or "none" if after else ""))  # type: ignore[arg-type]
        docs = before.get("documents") or []
        assert isinstance(docs, list)
        outcome.append(("documents required", ", ".join(docs) or "none",
                        ", ".join(after.get("documents") or []) or "none" if after else ""))  # type: ignore[arg-type]
    return WitnessView(rows, outcome, bool(changed), w.note)


def summary_rows(report: Report) -> list[tuple[str, list[int], int]]:
    """Per regulation: the number of findings of each kind (in KINDS order) and the total."""
    counts = report.counts()
    rows = []
    for entry in report.regulations:
        per = counts.get(entry.regulation, {})
        numbers = [per.get(k, 0) for k in KINDS]
        rows.append((entry.regulation, numbers, sum(numbers)))
    return rows


def _env() -> jinja2.Environment:
    text = {name: resources.files("eenvoud.analysis").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
            for name in ("report.md.j2", "report.html.j2")}
    env = jinja2.Environment(loader=jinja2.DictLoader(text), autoescape=jinja2.select_autoescape(["html.j2"]),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["code"] = _code_html
    return env


def _code_html(text: str) -> str:
    """`name` as <code>name</code>, on text already escaped."""
    from markupsafe import Markup, escape

    parts = str(escape(text)).split("`")
    out = []
    for i, part in enumerate(parts):
        out.append(f"<code>{part}</code>" if i % 2 == 1 else part)
    return Markup("".join(out))


def _context(report: Report) -> dict[str, object]:
    totals = [sum(row[1][i] for row in summary_rows(report)) for i in range(len(KINDS))]
    return {
        "regulations": views(report),
        "kinds": [(k, TITLES[k]) for k in KINDS],
        "summary": summary_rows(report),
        "totals": totals,
        "total": sum(totals),
        "unknown": len(report.unknown),
        "queries": report.queries,
        "seconds": f"{report.seconds:.1f}",
        "used_kinds": [i for i, total in enumerate(totals) if total],
    }


def markdown(report: Report) -> str:
    return _env().get_template("report.md.j2").render(**_context(report))


def html(report: Report) -> str:
    return _env().get_template("report.html.j2").render(**_context(report))


def terminal_summary(report: Report) -> list[str]:
    """Findings per kind and regulation, as lines for a terminal."""
    lines = []
    for name, numbers, total in summary_rows(report):
        parts = [f"{TITLES[k].lower()}: {numbers[i]}" for i, k in enumerate(KINDS) if numbers[i]]
        lines.append(f"{name}: {total} finding{'s' if total != 1 else ''}" + (" (" + "; ".join(parts) + ")"
                                                                           if parts else ""))
    lines.append(f"{len(report.findings)} findings, {len(report.unknown)} unknown, "
                 f"{report.queries} solver queries in {report.seconds:.1f} s")
    return lines
