"""Reports for analysts: Markdown, JSON and a self-contained HTML page (inline style, inline SVG
charts, no scripts, nothing fetched from the network), from one template each in `templates/`.

First what to strike: the documents, questions and requirements the findings propose to remove,
each with its regulation's title and the finding's one-line reason, ranked by burden (without a
population file: documents first, as they cost the citizen most, then questions, then
requirements). Then two charts (findings per regulation by kind, documents per regulation) and
the findings per kind and regulation; then, per regulation, each finding with its article, the
evidence in plain language (what the proof rests on, or the witness case as a small table), its
caveat and the change it proposes; then the simplified text that `simplify` proved equivalent,
as a diff against the file.

Headings, summary sentences, kind titles, each finding's sentence, proposal and caveat are in Dutch
(`lang="nl"`, the default: the rules are Dutch) or English (`lang="en"`) (wording.py); the
analyses' own technical messages, shown beside them, are in English.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from eenvoud.analysis import wording
from eenvoud.analysis.findings import KINDS, TITLES, Finding, Period, Report, Witness
from eenvoud.analysis.population import Count, count, count_duckdb, domain_sample
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
    caveat: str | None = None
    technical: str | None = None  # the analysis's own message, when `message` is its translation


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


def views(report: Report, lang: str = "nl") -> list[RegulationView]:
    out: list[RegulationView] = []
    numbers = _numbers(report)
    for entry in report.regulations:
        reg = report.regs.get(entry.regulation)
        view = RegulationView(entry.regulation, entry.title or entry.regulation, entry.file,
                              ", ".join(d.isoformat() for d in entry.dates), list(entry.skipped))
        for f in report.findings:
            if f.regulation != entry.regulation:
                continue
            view.findings.append(_finding(numbers[id(f)], f, reg, lang))
        for u in report.unknown:
            if u.regulation == entry.regulation:
                when = _when(u.periods, lang)
                view.unknown.append(f"{kind_titles(lang).get(u.analysis, u.analysis)} — `{u.subject}`"
                                    f"{' (' + u.span + ')' if u.span else ''}: {u.reason} ({when})")
        if entry.simplified is not None and reg is not None and entry.simplified != reg.file.text:
            # against the file in the printer's canonical form (as the simplified text is written), so
            # that the diff shows what goes, not how the printer lays out what stays
            view.diff = "".join(difflib.unified_diff(
                _canonical(reg).splitlines(keepends=True), entry.simplified.splitlines(keepends=True),
                fromfile=entry.file, tofile=entry.file + " (simplified)")) or None
        view.simplify_note = entry.simplify_note
        out.append(view)
    for name in _modules(report):  # findings across regulations on a shared module's definitions
        reg = report.regs.get(name)
        view = RegulationView(name, (reg.title if reg is not None else None) or name,
                              reg.file.name if reg is not None else "", "", [])
        view.findings = [_finding(numbers[id(f)], f, reg, lang) for f in report.findings if f.regulation == name]
        out.append(view)
    return out


def _titles(report: Report) -> dict[str, str]:
    """The title of each regulation (and module) findings are on."""
    out = {e.regulation: e.title or e.regulation for e in report.regulations}
    for name in _modules(report):
        reg = report.regs.get(name)
        out[name] = (reg.title if reg is not None else None) or name
    return out


def _modules(report: Report) -> list[str]:
    """The names findings are on that are no analysed regulation (a module two regulations share)."""
    entries = {e.regulation for e in report.regulations}
    return list(dict.fromkeys(f.regulation for f in report.findings if f.regulation not in entries))


def _canonical(reg: CheckedRegulation) -> str:
    """The rule file as the printer writes it (its comments kept), or as it is when it cannot."""
    from eenvoud.dsl.parser import parse
    from eenvoud.ir import printer

    try:
        parsed = parse(reg.file)
        return printer.regulation(parsed.regulation, parsed.comments)
    except Exception:  # noqa: BLE001 — the file's own text then
        return reg.file.text


def _finding(number: int, f: Finding, reg: CheckedRegulation | None, lang: str = "nl") -> FindingView:
    said = wording.sentence(f, reg, lang)
    return FindingView(
        number, f.kind, kind_titles(lang).get(f.kind, f.kind), f.subject, f.span, f.article,
        _when(f.periods, lang),
        said or f.message, [_because(x, reg, lang) for x in f.because],
        _witness(f.witness, reg, lang) if f.witness else None, wording.proposal(f, reg, lang),
        wording.caveat(f, reg, lang), f.message if said else None)


def _numbers(report: Report) -> dict[int, int]:
    """The number of each finding in the details (by id): in regulation order, then as found."""
    out: dict[int, int] = {}
    for entry in report.regulations:
        for f in report.findings:
            if f.regulation == entry.regulation:
                out[id(f)] = len(out) + 1
    for f in report.findings:  # a finding on a regulation without an entry: numbered last
        out.setdefault(id(f), len(out) + 1)
    return out


def _when(periods: tuple[Period, ...], lang: str) -> str:
    if lang != "nl":
        return "; ".join(p.text() for p in periods) or "on the date analysed"
    parts = []
    for p in periods:
        if p.end is None:
            parts.append(f"vanaf {p.start.isoformat()}")
        elif p.end == p.start:
            parts.append(f"op {p.start.isoformat()}")
        else:
            parts.append(f"{p.start.isoformat()} tot en met {p.end.isoformat()}")
    return "; ".join(parts) or "op de geanalyseerde datum"


def _because(item: str, reg: CheckedRegulation | None, lang: str = "en") -> str:
    """One element of a proof's core, in plain language (Dutch in a Dutch report)."""
    if reg is None:
        return item
    nl = lang == "nl"
    req = next((r for r in reg.requirements if r.name == item), None)
    if req is not None:
        what = req.label or req.name
        return f"{'voorwaarde' if nl else 'requirement'} `{req.name}`: {what}" + (
            f" ({req.article})" if req.article else "")
    if item.startswith("domain of `") and item.endswith("`"):
        name = item[len("domain of `"):-1]
        decl = reg.input_map.get(name)
        if decl is not None:
            said = f"het gegeven `{name}` is van het type" if nl else f"the input `{name}` is declared"
            return f"{said} `{type_text(decl.type)}`" + (f" ({decl.label})" if decl.label else "")
    if nl:
        return wording.evidence_nl(item, reg) or item
    return item


def _show(value: object, typ: t.Type | None, lang: str = "en") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("ja" if value else "nee") if lang == "nl" else ("yes" if value else "no")
    if isinstance(typ, t.MoneyType):
        return _money(str(value), lang)
    return str(value)


def _money(text: str, lang: str) -> str:
    if lang == "nl":
        from eenvoud.engine.explanation import money_nl

        return ("-" if text.startswith("-") else "") + money_nl(text.lstrip("-"))
    return money(text)


OUTCOME_WORDS = {
    "nl": {"decision": "beslissing", "stops": "de rekenregels stoppen: {}", "eligible": "recht",
           "failed": "niet voldaan aan", "documents": "gevraagde bewijsstukken", "none": "geen"},
    "en": {"decision": "decision", "stops": "the engine stops: {}", "eligible": "eligible",
           "failed": "requirements not met", "documents": "documents required", "none": "none"},
}


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


def _witness(w: Witness, reg: CheckedRegulation | None, lang: str = "en") -> WitnessView:
    inputs: list[n.Input] = list(reg.inputs) if reg is not None else []
    types = {i.name: i.type for i in inputs}
    labels = {i.name: i.label or "" for i in inputs}
    facts = w.to_json(reg)["facts"]
    assert isinstance(facts, dict)
    changed = w.to_json(reg).get("changed") or {}
    assert isinstance(changed, dict)
    words = OUTCOME_WORDS["nl" if lang == "nl" else "en"]
    rows = [(name, labels.get(name, ""), _show(value, types.get(name), lang),
             _show(changed[name], types.get(name), lang) if name in changed else "")
            for name, value in facts.items()]
    outcome: list[tuple[str, str, str]] = []
    before, after = w.decision, w.decision_after or {}
    if "error" in before:
        outcome.append((words["decision"], words["stops"].format(before["error"]), ""))
    else:
        outcome.append((words["eligible"], _show(before.get("eligible"), None, lang),
                        _show(after.get("eligible"), None, lang) if after else ""))
        amounts = before.get("amounts") or {}
        amounts_after = after.get("amounts") or {} if after else {}
        assert isinstance(amounts, dict) and isinstance(amounts_after, dict)
        for name, value in amounts.items():
            is_money = reg is not None and isinstance(reg.symbols[name].type, t.MoneyType)
            outcome.append((name, _money(str(value), lang) if is_money else str(value),
                            (_money(str(amounts_after[name]), lang) if is_money else str(amounts_after[name]))
                            if name in amounts_after else ""))
        failed = before.get("failed") or []
        assert isinstance(failed, list)
        outcome.append((words["failed"], ", ".join(failed) or words["none"],
                        ", ".join(after.get("failed") or []) or words["none"] if after else ""))  # type: ignore[arg-type]
        docs = before.get("documents") or []
        assert isinstance(docs, list)
        outcome.append((words["documents"], ", ".join(docs) or words["none"],
                        ", ".join(after.get("documents") or []) or words["none"] if after else ""))  # type: ignore[arg-type]
    return WitnessView(rows, outcome, bool(changed), w.note)


LANGS = ("nl", "en")

TITLES_NL = {
    "contradiction": "Tegenstrijdigheid: niemand komt in aanmerking",
    "redundant_requirement": "Overbodige voorwaarde",
    "dead_exemption": "Uitzondering die nooit van toepassing is",
    "constant_exemption": "Uitzondering die altijd van toepassing is",
    "dead_branch": "Dode tak",
    "irrelevant_input": "Overbodige vraag",
    "unused_in_period": "In een periode nooit gebruikt",
    "registry_data_requested": "Gegevens uit een registratie opnieuw gevraagd",
    "registry_gap": "Gevraagd hoewel gekoppeld aan een registratie: wat de registratie zou moeten bevatten "
                    "(voorstel voor de wetgever)",
    "unnecessary_document": "Overbodig bewijsstuk",
    "bracket_overlap": "Overlappende rijen in een tabel",
    "bracket_gap": "Gat in een tabel",
    "property_violated": "Eigenschap geschonden",
    "diverging_definition": "Uiteenlopende definities van één begrip in verschillende regelingen",
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Analysis of the rules",
        "intro": "Every finding below is proved by the Z3 solver: it carries either the rules its proof rests on "
                 "or a concrete case, replayed through the engine. A question the solver could not settle in its "
                 "time limit is listed as unknown, never as a finding.",
        "stats": "{total} findings and {unknown} unknown over {regulations} regulations; "
                 "{queries} solver queries in {seconds} s.",
        "strike": "What to strike",
        "ranking": "Ranked by burden: the share of the domain each item touches, most first (a document: "
                   "eligible cases that must supply it; a question: cases asked it; a requirement: cases it is "
                   "evaluated for), estimated from 200 seeded cases drawn over the declared domains within a "
                   "realistic range — a rank, not a count of applicants: `--population FILE` counts applicants "
                   "exactly.",
        "col_share": "share of the domain, estimated",
        "chart_share": "Share of the domain each item to strike touches (estimated)",
        "chart_document_burden": "Every document: how many are asked for it, and which can go",
        "ranking_population": "Ranked by burden: the number of applicants in the population file each item "
                              "touches, most first (a document: eligible applicants who must supply it; a "
                              "question: applicants who are asked it; a requirement: applicants it is "
                              "evaluated for), counted exactly over every row by the batch's SQL on DuckDB (the "
                              "engine decides the rows the SQL leaves to it), on the rules of the finding's "
                              "last period.",
        "col_burden": "applicants", "chart_burden": "Applicants each item to strike touches",
        "strike_none": "The analysis proposes nothing to strike.",
        "strike_sentence": "The findings propose to strike {n} items: {documents} documents, {questions} questions "
                           "and {requirements} requirements.",
        "plural_document": "Documents", "plural_question": "Questions", "plural_requirement": "Requirements",
        "document": "document", "question": "question", "requirement": "requirement",
        "col_rank": "#", "col_category": "what", "col_regulation": "regulation", "col_item": "item", "col_reason": "reason",
        "col_finding": "finding", "col_when": "when", "col_total": "total", "col_all": "all",
        "col_documents": "documents", "col_to_strike": "can go",
        "charts": "Where the findings are",
        "chart_findings": "Findings per regulation, by kind",
        "chart_documents": "Documents per regulation: how many can go",
        "keep": "stay", "go": "can go", "no_documents": "No regulation asks for documents.",
        "per_kind": "Findings per regulation and kind",
        "details": "Details per regulation",
        "no_findings": "No findings.",
        "file": "File", "analysed_on": "analysed on", "no_date": "no date", "not_analysed": "not analysed",
        "where": "Where", "when": "When", "finding": "Finding", "evidence": "Evidence",
        "proved_from": "Proved from:", "proved_rules": "Proved by Z3 from the rules as written.",
        "caveat": "Caveat", "proposal": "Proposal", "witness": "Witness",
        "input": "input", "question_col": "question", "value": "value", "changed_to": "changed to",
        "decision": "decision", "this_case": "for this case", "after_change": "after the change",
        "unknown": "Unknown", "proposed_text": "Proposed simplified text", "simplified_text": "Simplified text",
        "messages_note": "",
        "technical": "Technical",
    },
    "nl": {
        "title": "Analyse van de regels",
        "intro": "Elke bevinding hieronder is bewezen door de Z3-solver: ze noemt de regels waarop het bewijs "
                 "rust of een concreet geval dat door de rekenregels is nagerekend. Een vraag die de solver niet "
                 "binnen zijn tijd kon beslissen staat als onbekend vermeld, nooit als bevinding.",
        "stats": "{total} bevindingen en {unknown} onbekend in {regulations} regelingen; "
                 "{queries} vragen aan de solver in {seconds} s.",
        "strike": "Wat kan vervallen",
        "ranking": "Gerangschikt naar de last: het deel van het domein dat elk onderdeel raakt, het grootste "
                   "eerst (een bewijsstuk: gevallen met recht die het moeten aanleveren; een vraag: gevallen aan "
                   "wie ze gesteld wordt; een voorwaarde: gevallen waarvoor ze getoetst wordt), geschat uit 200 "
                   "vaste steekproefgevallen over de gedeclareerde domeinen binnen een realistisch bereik — een "
                   "rangorde, geen telling van aanvragers: `--population BESTAND` telt aanvragers exact.",
        "col_share": "deel van het domein, geschat",
        "chart_share": "Deel van het domein dat elk te schrappen onderdeel raakt (geschat)",
        "chart_document_burden": "Elk bewijsstuk: aan hoeveel aanvragers het gevraagd wordt, en welke kunnen "
                                 "vervallen",
        "ranking_population": "Gerangschikt naar de last: het aantal aanvragers in het populatiebestand dat "
                              "elk onderdeel raakt, de meeste eerst (een bewijsstuk: aanvragers met recht die "
                              "het moeten aanleveren; een vraag: aanvragers aan wie ze gesteld wordt; een "
                              "voorwaarde: aanvragers voor wie ze getoetst wordt), exact geteld over elke rij "
                              "door de SQL van de batch op DuckDB (de rekenregels beslissen de rijen die de SQL "
                              "aan hen laat), volgens de regels van de laatste periode van de bevinding.",
        "col_burden": "aanvragers", "chart_burden": "Aanvragers die elk te schrappen onderdeel raakt",
        "strike_none": "De analyse stelt niets voor om te laten vervallen.",
        "strike_sentence": "De bevindingen stellen voor {n} onderdelen te laten vervallen: {documents} "
                           "bewijsstukken, {questions} vragen en {requirements} voorwaarden.",
        "plural_document": "Bewijsstukken", "plural_question": "Vragen", "plural_requirement": "Voorwaarden",
        "document": "bewijsstuk", "question": "vraag", "requirement": "voorwaarde",
        "col_rank": "#", "col_category": "soort", "col_regulation": "regeling", "col_item": "onderdeel", "col_reason": "reden",
        "col_finding": "bevinding", "col_when": "wanneer", "col_total": "totaal", "col_all": "alle",
        "col_documents": "bewijsstukken", "col_to_strike": "kan vervallen",
        "charts": "Waar de bevindingen zitten",
        "chart_findings": "Bevindingen per regeling, naar soort",
        "chart_documents": "Bewijsstukken per regeling: hoeveel kunnen vervallen",
        "keep": "blijft", "go": "kan vervallen", "no_documents": "Geen regeling vraagt om bewijsstukken.",
        "per_kind": "Bevindingen per regeling en soort",
        "details": "Details per regeling",
        "no_findings": "Geen bevindingen.",
        "file": "Bestand", "analysed_on": "geanalyseerd op", "no_date": "geen datum",
        "not_analysed": "niet geanalyseerd",
        "where": "Waar", "when": "Wanneer", "finding": "Bevinding", "evidence": "Bewijs",
        "proved_from": "Bewezen uit:", "proved_rules": "Bewezen door Z3 uit de regels zoals ze er staan.",
        "caveat": "Kanttekening", "proposal": "Voorstel", "witness": "Voorbeeldgeval",
        "input": "gegeven", "question_col": "vraag", "value": "waarde", "changed_to": "gewijzigd in",
        "decision": "beslissing", "this_case": "voor dit geval", "after_change": "na de wijziging",
        "unknown": "Onbekend", "proposed_text": "Voorgestelde vereenvoudigde tekst",
        "simplified_text": "Vereenvoudigde tekst",
        "messages_note": "Elke bevinding staat hieronder in beleidstaal; de technische toelichting (het bewijs in "
                         "de termen van de regels) is in het Engels.",
        "technical": "Technisch",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS[_lang(lang)]


def kind_titles(lang: str) -> dict[str, str]:
    """The title of each kind of finding in `lang` (an English title where no Dutch one exists yet)."""
    if lang == "nl":
        return {k: TITLES_NL.get(k, title) for k, title in TITLES.items()}
    return dict(TITLES)


CATEGORIES = ("document", "question", "requirement")  # ranked by burden: what costs the citizen most first


@dataclass
class StrikeItem:
    """Something a finding proposes to strike: a document, a question or a requirement."""

    rank: int
    category: str
    regulation: str
    regulation_title: str
    subject: str
    label: str | None
    kind: str
    title: str
    reason: str
    when: str
    number: int  # the finding's number in the details
    count: int | None = None  # applicants of the population it touches (with --population)
    population: int | None = None  # rows of the population the regulation could read
    estimated: bool = False  # counted over a sample of the domain, not over a population

    @property
    def burden(self) -> str:
        """"1,234 of 10,000 (12.3%)": the count as the report shows it, or "" without a population."""
        if self.count is None or self.population is None:
            return ""
        if self.estimated:
            return f"≈ {100 * self.count / self.population:.0f}%" if self.population else "—"
        share = f" ({100 * self.count / self.population:.1f}%)" if self.population else ""
        return f"{self.count:,} / {self.population:,}{share}"

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rank": self.rank, "category": self.category, "regulation": self.regulation,
            "regulation_title": self.regulation_title, "subject": self.subject, "label": self.label,
            "kind": self.kind, "title": self.title, "reason": self.reason, "when": self.when,
            "finding": self.number}
        if self.count is not None and not self.estimated:
            out["count"] = self.count
            out["population"] = self.population
        elif self.count is not None and self.population:
            out["domain_share"] = round(self.count / self.population, 4)  # estimated from a seeded sample
        return out


def _categories(f: Finding, reg: CheckedRegulation | None) -> list[tuple[str, str, str | None]]:
    """What the finding proposes to strike, (category, subject, label) each; empty when it proposes no
    removal. A document whose facts a registry holds only in part stays (it is still needed for the
    rest): what goes are the questions for the held facts in it."""
    docs = {d.name: d for d in reg.documents} if reg is not None else {}
    if f.kind == "registry_data_requested" and f.subject in docs:
        doc = docs[f.subject]
        held = wording.held_facts(f)
        rest = [x for x in doc.provides if x not in held]
        if rest and f.kind == "registry_data_requested" and not f.reasons:
            out: list[tuple[str, str, str | None]] = []
            for x in held:
                decl = reg.input_map.get(x) if reg is not None else None
                label = decl.label if decl is not None else None
                out.append(("question", x, f"{label + ', ' if label else ''}in `{f.subject}`"))
            return out
        return [("document", f.subject, doc.label)]
    if f.kind == "unnecessary_document":
        found = docs.get(f.subject)
        return [("document", f.subject, found.label if found is not None else None)]
    if f.kind in ("irrelevant_input", "registry_data_requested"):
        decl = reg.input_map.get(f.subject) if reg is not None else None
        return [("question", f.subject, decl.label if decl is not None else None)]
    if f.kind == "redundant_requirement":
        req = next((r for r in reg.requirements if r.name == f.subject), None) if reg is not None else None
        return [("requirement", f.subject, req.label if req is not None else None)]
    if f.kind == "unused_in_period" and reg is not None:  # the questions the rules never read then
        return [("form_question", x, reg.input_map[x].label) for x in f.consequences if x in reg.input_map]
    return []


Counts = Mapping[tuple[str, str, str, date], Count]


def finding_day(f: Finding) -> date | None:
    """The date whose rules a finding's burden is counted on: the start of its last period (the
    rules now in force), or the day it was found on."""
    return f.periods[-1].start if f.periods else f.day


def population_counts(report: Report, path: str | Path) -> dict[tuple[str, str, str, date], Count]:
    """How many applicants of the population file each struck item touches (population.py):
    exact, over every row, by the batch's SQL on DuckDB."""
    regs = {name: reg for name, reg in report.regs.items() if reg.is_regulation()}
    return count_duckdb(regs, path, _wanted(report))


def _wanted(report: Report) -> list[tuple[str, str, str, date]]:
    """What to count: every item a finding proposes to strike (on its finding's date), and every
    document of every regulation (on its last analysis date: the burden per document)."""
    wanted = []
    for f in report.findings:
        day = finding_day(f)
        for category, subject, _ in _categories(f, report.regs.get(f.regulation)):
            if day is not None:
                wanted.append((f.regulation, category, subject, day))
    for entry in report.regulations:
        reg = report.regs.get(entry.regulation)
        if reg is not None and entry.dates:
            wanted += [(entry.regulation, "document", d.name, entry.dates[-1]) for d in reg.documents]
    return list(dict.fromkeys(wanted))


@dataclass
class DocumentBurden:
    """One document of one regulation: how many it is asked of, and whether a finding strikes it."""

    regulation: str
    title: str
    document: str
    label: str | None
    count: int
    population: int
    struck: bool
    estimated: bool

    @property
    def shown(self) -> str:
        if not self.population:
            return "—"
        if self.estimated:
            return f"≈ {100 * self.count / self.population:.0f}%"
        return f"{self.count:,} / {self.population:,} ({100 * self.count / self.population:.1f}%)"


def document_burdens(report: Report, counts: Counts, strike: list[StrikeItem], estimated: bool) -> list[DocumentBurden]:
    """Every document of every regulation, most burdensome first."""
    struck = {(s.regulation, s.subject) for s in strike if s.category == "document"}
    out = []
    for entry in report.regulations:
        reg = report.regs.get(entry.regulation)
        if reg is None or not entry.dates:
            continue
        for d in reg.documents:
            got = counts.get((entry.regulation, "document", d.name, entry.dates[-1]))
            if got is None:
                continue
            out.append(DocumentBurden(entry.regulation, entry.title or entry.regulation, d.name, d.label, got.count,
                                      got.population, (entry.regulation, d.name) in struck, estimated))
    out.sort(key=lambda b: (-(b.count / b.population if b.population else 0), b.regulation, b.document))
    return out


def document_burden_chart(rows: list[DocumentBurden], lang: str) -> dict[str, object] | None:
    """Horizontal bars: per document, the share of applicants (or of the domain) asked for it;
    orange where a finding proposes to strike it."""
    if not rows:
        return None
    text = texts(lang)
    bars = []
    for r, b in enumerate(rows):
        width = BAR_WIDTH * (b.count / b.population if b.population else 0)
        bars.append({"y": r * ROW, "label": _short(f"{b.document} ({b.regulation})", 44), "name": b.label or b.document,
                     "width": round(width, 1), "end": round(LABEL_WIDTH + width, 1),
                     "colour": "#d95f02" if b.struck else "#9aa5b1", "text": b.shown})
    legend_top = len(bars) * ROW + 12
    return {"width": LABEL_WIDTH + BAR_WIDTH + 160, "height": legend_top + 2 * 20 + 4, "bars": bars,
            "label_x": LABEL_WIDTH - 8,
            "legend": [{"y": legend_top, "colour": "#d95f02", "label": text["go"]},
                       {"y": legend_top + 20, "colour": "#9aa5b1", "label": text["keep"]}]}


def domain_counts(report: Report) -> dict[tuple[str, str, str, date], Count]:
    """Without a population: each struck item counted over a seeded sample of the declared domains
    (population.domain_sample), one sample per date: its share of the domain, estimated."""
    cached = _DOMAIN_COUNTS.get(id(report))
    if cached is not None and cached[0] is report:  # the MD, HTML and JSON of one run count once
        return cached[1]
    regs = {name: reg for name, reg in report.regs.items() if reg.is_regulation()}
    wanted = _wanted(report)
    out: dict[tuple[str, str, str, date], Count] = {}
    for day in sorted({w[3] for w in wanted}):
        sample = domain_sample([regs[w[0]] for w in wanted if w[3] == day and w[0] in regs], day)
        out.update(count(regs, sample, [w for w in wanted if w[3] == day]))
    _DOMAIN_COUNTS.clear()
    _DOMAIN_COUNTS[id(report)] = (report, out)
    return out


_DOMAIN_COUNTS: dict[int, tuple[Report, dict[tuple[str, str, str, date], Count]]] = {}


def strike_items(report: Report, lang: str = "nl", counts: Counts | None = None,
                 estimated: bool = False) -> list[StrikeItem]:
    """What the findings propose to strike, ranked by the number of applicants each touches, most
    first (`counts`: over a population, or `estimated` over a sample of the domain); without
    counts: documents, then questions, then requirements."""
    numbers = _numbers(report)
    titles = _titles(report)
    found: list[tuple[int, int, StrikeItem]] = []
    for f in report.findings:
        said = wording.short(f, report.regs.get(f.regulation), lang)
        for counted_as, subject, label in _categories(f, report.regs.get(f.regulation)):
            category = "question" if counted_as == "form_question" else counted_as
            item = StrikeItem(0, category, f.regulation, titles.get(f.regulation, f.regulation), subject, label,
                              f.kind, kind_titles(lang).get(f.kind, f.kind), said.splitlines()[0] if said
                              else "", _when(f.periods, lang), numbers[id(f)])
            day = finding_day(f)
            got = counts.get((f.regulation, counted_as, subject, day)) if counts is not None and day else None
            if got is not None:
                item.count, item.population, item.estimated = got.count, got.population, estimated
            found.append((CATEGORIES.index(category), numbers[id(f)], item))
    if counts is not None:  # most applicants first; a burden that could not be counted last
        found.sort(key=lambda x: (x[2].count is None, -(x[2].count or 0), x[0], x[1]))
    else:
        found.sort(key=lambda x: (x[0], x[1]))
    out = [item for _, _, item in found]
    for rank, item in enumerate(out, 1):
        item.rank = rank
    return out


def strike_sentence(strike: list[StrikeItem], lang: str) -> str:
    text = texts(lang)
    if not strike:
        return text["strike_none"]
    count = {c: sum(s.category == c for s in strike) for c in CATEGORIES}
    return text["strike_sentence"].format(n=len(strike), documents=count["document"], questions=count["question"],
                                          requirements=count["requirement"])


@dataclass
class DocumentRow:
    regulation: str
    title: str
    documents: int  # the documents the regulation (with its imports) can ask for
    to_strike: int  # of which the findings propose to strike


def document_rows(report: Report, strike: list[StrikeItem]) -> list[DocumentRow]:
    out = []
    for entry in report.regulations:
        reg = report.regs.get(entry.regulation)
        names = {s.subject for s in strike if s.regulation == entry.regulation and s.category == "document"}
        total = len(reg.documents) if reg is not None else len(names)
        out.append(DocumentRow(entry.regulation, entry.title or entry.regulation, max(total, len(names)), len(names)))
    return out


# colours for the kinds, in KINDS order (red for what blocks everyone, orange for burdens)
COLOURS = ("#b3261e", "#154273", "#6d8fb8", "#8a5a9e", "#5b7f3a", "#c77700", "#9aa5b1", "#e0a030",
           "#7a4f1d", "#d95f02", "#2a9d8f", "#e76f51", "#8b1e3f", "#3a6ea5")
LABEL_WIDTH = 260
BAR_WIDTH = 360
ROW = 24


def findings_chart(rows: list[tuple[str, list[int], int]], titles: dict[str, str], used: list[int],
                   lang: str) -> dict[str, object] | None:
    """Stacked horizontal bars: per regulation, its findings by kind. Geometry only; the template draws."""
    if not used:
        return None
    most = max(total for _, _, total in rows) or 1
    bars = []
    for r, (name, numbers, total) in enumerate(rows):
        x = float(LABEL_WIDTH)
        segments = []
        for i in used:
            if numbers[i]:
                width = BAR_WIDTH * numbers[i] / most
                segments.append({"x": round(x, 1), "width": round(width, 1), "colour": COLOURS[i % len(COLOURS)],
                                 "tip": f"{kind_titles(lang).get(KINDS[i], KINDS[i])}: {numbers[i]}"})
                x += width
        bars.append({"y": r * ROW, "label": _short(titles.get(name, name)), "name": name, "total": total,
                     "end": round(x, 1), "segments": segments})
    legend_top = len(rows) * ROW + 12
    legend = [{"y": legend_top + j * 20, "colour": COLOURS[i % len(COLOURS)],
               "label": kind_titles(lang).get(KINDS[i], KINDS[i])} for j, i in enumerate(used)]
    return {"width": LABEL_WIDTH + BAR_WIDTH + 50, "height": legend_top + len(used) * 20 + 4,
            "bars": bars, "legend": legend, "label_x": LABEL_WIDTH - 8}


def documents_chart(rows: list[DocumentRow], lang: str) -> dict[str, object] | None:
    """Horizontal bars: per regulation, its documents, the part the findings propose to strike in orange."""
    if not any(d.documents for d in rows):
        return None
    text = texts(lang)
    most = max(d.documents for d in rows) or 1
    bars = []
    for r, d in enumerate(rows):
        go = BAR_WIDTH * d.to_strike / most
        keep = BAR_WIDTH * (d.documents - d.to_strike) / most
        bars.append({"y": r * ROW, "label": _short(d.title), "name": d.regulation, "go": round(go, 1),
                     "keep": round(keep, 1), "keep_x": round(LABEL_WIDTH + go, 1),
                     "end": round(LABEL_WIDTH + go + keep, 1), "documents": d.documents, "to_strike": d.to_strike})
    legend_top = len(rows) * ROW + 12
    return {"width": LABEL_WIDTH + BAR_WIDTH + 50, "height": legend_top + 2 * 20 + 4, "bars": bars,
            "label_x": LABEL_WIDTH - 8,
            "legend": [{"y": legend_top, "colour": "#d95f02", "label": text["go"]},
                       {"y": legend_top + 20, "colour": "#9aa5b1", "label": text["keep"]}]}


def _short(title: str, limit: int = 38) -> str:
    return title if len(title) <= limit else title[:limit - 1] + "…"


def summary_rows(report: Report) -> list[tuple[str, list[int], int]]:
    """Per regulation: the number of findings of each kind (in KINDS order) and the total."""
    counts = report.counts()
    rows = []
    for name in [e.regulation for e in report.regulations] + _modules(report):
        per = counts.get(name, {})
        numbers = [per.get(k, 0) for k in KINDS]
        rows.append((name, numbers, sum(numbers)))
    return rows


def _env() -> jinja2.Environment:
    text = {name: resources.files("eenvoud.analysis").joinpath("templates").joinpath(name).read_text(encoding="utf-8")
            for name in ("report.md.j2", "report.html.j2")}
    env = jinja2.Environment(loader=jinja2.DictLoader(text), autoescape=jinja2.select_autoescape(["html.j2"]),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["md_cell"] = lambda s: str(s).replace("|", "\\|").replace("\n", " ")
    env.filters["code"] = _code_html
    env.filters["rules_line"] = _rules_line_html
    return env


def _rules_line_html(line: str) -> Any:
    """One line of a unified diff of rule text: its `+`/`-`/space prefix, then the rule text coloured
    by the editors' TextMate grammar (issue 16: one grammar for the editor, the playground and the
    reports); every rule of that grammar matches within a line, so a line alone highlights right."""
    from markupsafe import Markup, escape

    from eenvoud.dsl.highlight import highlight

    if line[:1] in ("+", "-", " ") and not line.startswith(("+++", "---")):
        return Markup(escape(line[:1]) + Markup(highlight(line[1:])))
    return escape(line)


def _code_html(text: str) -> str:
    """`name` as <code>name</code>, on text already escaped."""
    from markupsafe import Markup, escape

    parts = str(escape(text)).split("`")
    out = []
    for i, part in enumerate(parts):
        out.append(f"<code>{part}</code>" if i % 2 == 1 else part)
    return Markup("".join(out))


def _strike(report: Report, lang: str, counts: Counts | None) -> tuple[list[StrikeItem], list[DocumentBurden]]:
    """What to strike, ranked by the population's counts, or else by the share of the domain; and
    the burden of every document, counted the same way."""
    estimated = counts is None
    used = domain_counts(report) if counts is None else counts
    strike = strike_items(report, lang, used, estimated=estimated)
    return strike, document_burdens(report, used, strike, estimated)


def burden_chart(strike: list[StrikeItem], lang: str) -> dict[str, object] | None:
    """Horizontal bars: per item to strike (each document, question, requirement), the applicants of
    the population it touches. Only with a population."""
    counted = [s for s in strike if s.count is not None]
    if not counted:
        return None
    most = max(s.count or 0 for s in counted) or 1
    colour = {"document": "#d95f02", "question": "#154273", "requirement": "#5b7f3a"}
    bars = []
    for r, s in enumerate(counted):
        width = BAR_WIDTH * (s.count or 0) / most
        bars.append({"y": r * ROW, "label": _short(f"{s.subject} ({s.regulation})", 44), "name": s.subject,
                     "width": round(width, 1), "end": round(LABEL_WIDTH + width, 1), "colour": colour[s.category],
                     "text": s.burden})
    text = texts(lang)
    legend_top = len(bars) * ROW + 12
    legend = [{"y": legend_top + j * 20, "colour": colour[c], "label": text[c]} for j, c in enumerate(CATEGORIES)]
    return {"width": LABEL_WIDTH + BAR_WIDTH + 160, "height": legend_top + len(legend) * 20 + 4, "bars": bars,
            "label_x": LABEL_WIDTH - 8, "legend": legend}


def _context(report: Report, lang: str, counts: Counts | None = None) -> dict[str, object]:
    text = texts(lang)
    rows = summary_rows(report)
    totals = [sum(row[1][i] for row in rows) for i in range(len(KINDS))]
    titles = _titles(report)
    strike, burdens = _strike(report, lang, counts)
    docs = document_rows(report, strike)
    used = [i for i, total in enumerate(totals) if total]
    return {
        "lang": lang,
        "t": text,
        "regulations": views(report, lang),
        "kinds": [(k, kind_titles(lang).get(k, k)) for k in KINDS],
        "summary": [(name, titles.get(name, name), numbers, total) for name, numbers, total in rows],
        "totals": totals,
        "total": sum(totals),
        "stats": text["stats"].format(total=sum(totals), unknown=len(report.unknown),
                                      regulations=len(report.regulations), queries=report.queries,
                                      seconds=f"{report.seconds:.1f}"),
        "used_kinds": used,
        "strike": strike,
        "strike_groups": [(c, text["plural_" + c], [s for s in strike if s.category == c]) for c in CATEGORIES
                          if any(s.category == c for s in strike)],
        "strike_sentence": strike_sentence(strike, lang),
        "documents": docs,
        "findings_chart": findings_chart(rows, titles, used, lang),
        "documents_chart": documents_chart(docs, lang),
        "counted": any(s.count is not None for s in strike),
        "burden_header": text["col_burden"] if counts is not None else text["col_share"],
        "burden_caption": text["chart_burden"] if counts is not None else text["chart_share"],
        "ranking": text["ranking_population"] if counts is not None else text["ranking"],
        "burden_chart": burden_chart(strike, lang),
        "document_burdens": burdens,
        "document_burden_chart": document_burden_chart(burdens, lang),
    }


def markdown(report: Report, lang: str = "nl", counts: Counts | None = None) -> str:
    return _env().get_template("report.md.j2").render(**_context(report, _lang(lang), counts))


def html(report: Report, lang: str = "nl", counts: Counts | None = None) -> str:
    return _env().get_template("report.html.j2").render(**_context(report, _lang(lang), counts))


def to_json(report: Report, lang: str = "nl", counts: Counts | None = None) -> dict[str, object]:
    """`Report.to_json` with the summary first: what to strike, ranked, and the charts' figures."""
    lang = _lang(lang)
    text = texts(lang)
    strike, burdens = _strike(report, lang, counts)
    titles = _titles(report)
    summary: dict[str, object] = {
        "lang": lang,
        "ranking": text["ranking_population"] if counts is not None else text["ranking"],
        "sentence": strike_sentence(strike, lang),
        "strike": [s.to_json() for s in strike],
        "findings_per_regulation": [
            {"regulation": name, "title": titles.get(name, name),
             "counts": {k: numbers[i] for i, k in enumerate(KINDS) if numbers[i]}, "total": total}
            for name, numbers, total in summary_rows(report)],
        "document_burdens": [
            {"regulation": b.regulation, "document": b.document, "label": b.label, "struck": b.struck,
             **({"domain_share": round(b.count / b.population, 4) if b.population else None} if b.estimated
                else {"count": b.count, "population": b.population})}
            for b in burdens],
        "documents_per_regulation": [
            {"regulation": d.regulation, "title": d.title, "documents": d.documents, "to_strike": d.to_strike}
            for d in document_rows(report, strike)],
    }
    body = report.to_json()
    for f, out in zip(report.findings, body["findings"], strict=True):
        # what the Markdown and the HTML say of it, in the report's language
        reg = report.regs.get(f.regulation)
        out["text"] = {"lang": lang, "sentence": wording.sentence(f, reg, lang) or f.message,
                       "proposal": wording.proposal(f, reg, lang), "caveat": wording.caveat(f, reg, lang)}
    regulations = []
    for view in views(report, lang):
        regulations.append({"regulation": view.name, "title": view.title, "file": view.file, "dates": view.dates,
                            "skipped": view.skipped, "simplified_diff": view.diff, "simplify_note": view.simplify_note})
    return {"summary": summary, **body, "regulations": regulations}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown report language {lang!r}: one of {', '.join(LANGS)}")
    return lang


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
