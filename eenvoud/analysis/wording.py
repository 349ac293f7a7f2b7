"""The words of a finding for the analyst: what it says in policy language (Dutch for Dutch rules,
English otherwise), and its caveat — what the proof rests on that the law may not (issue 11, part 4).

The analyses write each finding's `message` in English, in the terms of the rules (that stays in
the JSON as it is, and under "technisch" in a Dutch report). `sentence` says the same in Dutch from
the finding's structured fields (kind, subject, labels, the core it rests on), so that no English
text is parsed except the registry names in a document's evidence; a kind without a Dutch sentence
keeps its English message. `caveat` is the finding's own caveat when the analysis set one, else
what every finding of its kind rests on, and the drafter's comment right above the subject's
declaration in the rule file, where there is one (the place where a file says what it simplifies).
"""

from __future__ import annotations

import re

from eenvoud.analysis.findings import Finding
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.ir.nodes import Input, RegistryPeriod
from eenvoud.ir.registries import lookup


def _rest(f: Finding, reg: CheckedRegulation | None) -> list[str]:
    """What a document provides that no registry holds (it stays for that), when the finding's only
    reason is the registry (a merged finding that also proves it unnecessary has `reasons`)."""
    doc = next((d for d in reg.documents if d.name == f.subject), None) if reg is not None else None
    if doc is None or f.reasons:
        return []
    held = held_facts(f)
    return [x for x in doc.provides if x not in held]


def _conditions(f: Finding) -> str:
    """"`two_household_types` = ja": the parameters an unused_in_period finding rests on, in Dutch."""
    out = []
    for b in f.because:
        name, sep, value = b.partition(" = ")
        if sep:
            out.append(f"`{name}` = {dict(yes='ja', no='nee').get(value, value)}")
    return _names(out) or f"`{f.subject}`"


def _unused(f: Finding, reg: CheckedRegulation | None) -> tuple[list[str], list[str]]:
    """The questions and the other rules an unused_in_period finding says are never read."""
    inputs = reg.input_map if reg is not None else {}
    return ([c for c in f.consequences if c in inputs], [c for c in f.consequences if c not in inputs])


def _label(reg: CheckedRegulation | None, name: str) -> str:
    """`name` with its label in parentheses, when the rules give one."""
    if reg is None:
        return f"`{name}`"
    decl = reg.input_map.get(name)
    label = getattr(decl, "label", None)
    if label is None:
        req = next((r for r in reg.requirements if r.name == name), None)
        label = req.label if req is not None else None
    if label is None:
        doc = next((d for d in reg.documents if d.name == name), None)
        label = doc.label if doc is not None else None
    return f"`{name}` ({label})" if label else f"`{name}`"


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


HOLDS = re.compile(r"^(\S+) holds `(\w+)`$")
TAKES = re.compile(r"^`(\w+)` takes `(\w+)` from (\S+)$")


def held_facts(f: Finding) -> list[str]:
    """The facts a registry holds, by a document's registry_data_requested evidence ("R holds `x`")."""
    return [m.group(2) for m in (HOLDS.match(b) for b in f.because) if m]


def sentence(f: Finding, reg: CheckedRegulation | None, lang: str) -> str | None:
    """The finding in the report's language, or None: show its message."""
    if lang != "nl":
        return None
    s = f.subject
    documents = {d.name for d in reg.documents} if reg is not None else set()
    requirements = {r.name for r in reg.requirements} if reg is not None else set()
    match f.kind:
        case "redundant_requirement":
            others = [_label(reg, b) for b in f.because if b in requirements]
            if not others:
                return (f"De voorwaarde {_label(reg, s)} volgt al uit de bereiken van de gegevens: wie een "
                        f"aanvraag doet, voldoet er altijd aan. Schrappen verandert geen enkele beslissing.")
            return (f"Wie voldoet aan {_names(others)}, voldoet ook aan {_label(reg, s)}. De voorwaarde "
                    f"schrappen verandert geen enkele beslissing.")
        case "registry_data_requested" if s in documents:
            held = [m.groups() for m in (HOLDS.match(b) for b in f.because) if m]
            facts = _names([f"`{fact}` ({registry})" for registry, fact in held])
            rest = _rest(f, reg)
            if rest:
                return (f"Het bewijsstuk {_label(reg, s)} vraagt onder meer {facts}, die de registratie al heeft "
                        f"voor de periode die de regel leest; voor {_names([f'`{x}`' for x in rest])} blijft het "
                        f"nodig. Wie het moet aanleveren, geeft daarin op wat de overheid al weet (zie het "
                        f"voorbeeldgeval).")
            return (f"Het bewijsstuk {_label(reg, s)} vraagt {facts or 'gegevens'}, die de registratie al heeft "
                    f"voor de periode die de regel leest. Wie het moet aanleveren, levert wat de overheid al "
                    f"weet (zie het voorbeeldgeval).")
        case "registry_data_requested":
            took = [m.groups() for m in (TAKES.match(b) for b in f.because) if m]
            where = f" (`{took[0][0]}` haalt het uit {took[0][2]})" if took else ""
            return (f"De burger wordt {_label(reg, s)} gevraagd, terwijl een registratie het al heeft{where}; "
                    f"het antwoord doet ertoe (zie de twee gevallen).")
        case "registry_gap":
            registry = getattr(reg.input_map.get(s), "registry", None) if reg is not None else None
            return (f"De burger wordt {_label(reg, s)} gevraagd. Het gegeven is gekoppeld aan "
                    f"{registry or 'een registratie'}, maar die heeft het niet voor de periode of in de "
                    f"betekenis die de regel leest, en het antwoord doet ertoe (zie de twee gevallen). Een "
                    f"voorstel voor de wetgever: wat de regel zou moeten lezen, of wat de registratie zou "
                    f"moeten bevatten, opdat de vraag vervalt.")
        case "irrelevant_input":
            return (f"Het antwoord op {_label(reg, s)} verandert nooit het recht, een bedrag of een gevraagd "
                    f"bewijsstuk: de vraag kan vervallen.")
        case "unnecessary_document":
            return (f"Het bewijsstuk {_label(reg, s)} is overbodig: het is nooit nodig, of alles wat het "
                    f"levert komt al uit een registratie of een ander bewijsstuk, of het verandert recht noch "
                    f"bedrag.")
        case "unused_in_period":
            because = _conditions(f)
            questions, rest = _unused(f, reg)
            parts = []
            if questions:
                parts.append(f"de vragen {_names([f'`{q}`' for q in questions])}")
            if rest:
                parts.append(f"de definities en parameters {_names([f'`{r}`' for r in rest])}")
            then = ("Wie alleen voor deze periode aanvraagt, hoeft die vragen niet te beantwoorden; de regels "
                    "blijven nodig voor de perioden die ze wel lezen.") if questions else (
                "Er vervalt geen vraag: een opmerking voor wie de regels onderhoudt; de regels blijven nodig "
                "voor de perioden die ze wel lezen.")
            return f"Doordat {because}, worden in deze periode nooit gebruikt: {'; en '.join(parts)}. {then}"
        case "diverging_definition":
            a, _, b = s.partition(" / ")
            follows = (" Daaruit volgen ook de verschillen tussen " + _names([f"`{c}`" for c in f.consequences])
                       + ".") if f.consequences else ""
            return (f"`{a}` en `{b}` beschrijven hetzelfde begrip (zelfde naam of omschrijving) in twee "
                    f"regelingen, maar geven niet dezelfde uitkomst (zie het voorbeeldgeval).{follows}")
        case "dead_branch":
            return f"Een tak van `{s.split('.')[0]}` is nooit van toepassing waar ze gelezen wordt."
        case "contradiction":
            return "Niemand komt in aanmerking: de voorwaarden sluiten elkaar uit."
        case _:
            return None


def short(f: Finding, reg: CheckedRegulation | None, lang: str) -> str:
    """The reason in one short line, for the table of what to strike."""
    nl = lang == "nl"
    s = f.subject
    documents = {d.name for d in reg.documents} if reg is not None else set()
    requirements = {r.name for r in reg.requirements} if reg is not None else set()
    match f.kind:
        case "redundant_requirement":
            others = [f"`{b}`" for b in f.because if b in requirements]
            if not others:
                return "Geldt altijd binnen de domeinen." if nl else "Always holds within the domains."
            return f"Volgt uit {_names(others)}." if nl else f"Follows from {', '.join(others)}."
        case "registry_data_requested" if s in documents:
            held = [m.groups() for m in (HOLDS.match(b) for b in f.because) if m]
            facts = ", ".join(f"`{fact}` ({registry})" for registry, fact in held)
            if _rest(f, reg):
                return (f"{facts}: al in de registratie; het bewijsstuk blijft voor de rest." if nl
                        else f"{facts}: already in the registry; the document stays for the rest.")
            return f"{facts}: al in de registratie." if nl else f"{facts}: already in the registry."
        case "registry_data_requested":
            took = [m.groups() for m in (TAKES.match(b) for b in f.because) if m]
            where = took[0][2] if took else ("een registratie" if nl else "a registry")
            return f"Staat al in {where}." if nl else f"Already held by {where}."
        case "irrelevant_input":
            return "Verandert geen enkele uitkomst." if nl else "Changes no outcome."
        case "unnecessary_document":
            return ("Nooit nodig, of wat het levert is al bekend." if nl
                    else "Never needed, or what it provides is already known.")
        case "unused_in_period":
            return (f"Nooit gebruikt in deze periode ({_conditions(f)})." if nl
                    else f"Never used in this period ({', '.join(f.because)}).")
        case _:
            return (sentence(f, reg, lang) or f.message).split(". ")[0]


def proposal(f: Finding, reg: CheckedRegulation | None, lang: str) -> str | None:
    """The proposed change in the report's language (None: the finding's own)."""
    if lang != "nl" or f.proposal is None:
        return f.proposal
    s = f.subject
    documents = {d.name for d in reg.documents} if reg is not None else set()
    match f.kind:
        case "redundant_requirement":
            return f"schrap de voorwaarde `{s}`"
        case "registry_data_requested" if s in documents:
            held = [m.groups() for m in (HOLDS.match(b) for b in f.because) if m]
            facts = _names([f"`{fact}`" for _, fact in held])
            if _rest(f, reg):
                return (f"vul {facts} in uit de registratie (de burger bevestigt of verbetert) en vraag het niet "
                        f"meer in `{s}`; het bewijsstuk blijft voor de rest")
            return (f"vul {facts} in uit de registratie (de burger bevestigt of verbetert) en vraag niet "
                    f"om `{s}` daarvoor")
        case "registry_data_requested":
            return f"vul `{s}` in uit de registratie en vraag het niet meer"
        case "irrelevant_input":
            return f"schrap de vraag `{s}`"
        case "unnecessary_document":
            return f"schrap het bewijsstuk `{s}`"
        case "unused_in_period":
            questions, _ = _unused(f, reg)
            if questions:
                return (f"laat de vragen {_names([f'`{q}`' for q in questions])} voor deze periode weg uit het "
                        f"formulier; houd de regels voor de perioden die ze nog lezen")
            return "houd de regels voor de perioden die ze nog lezen (er vervalt geen vraag)"
        case "diverging_definition":
            a, _, b = s.partition(" / ")
            return f"stem `{a}` en `{b}` op elkaar af (of leg vast waarom ze verschillen)"
        case "registry_gap":
            return _gap_proposal(f, reg) or f.proposal
        case _:
            return f.proposal


def period_nl(p: RegistryPeriod) -> str:
    """A registry period in Dutch: `for year - 2` is "over het jaar t-2"."""
    match p.kind:
        case "on_date":
            return "op de beslisdatum"
        case "until_date":
            return "tot de beslisdatum"
        case "year":
            return "over het lopende jaar" if p.count == 0 else f"over het jaar t-{p.count}"
        case "past_months":
            return f"over de afgelopen {p.count} maanden"
        case "next_months":
            return f"over de komende {p.count} maanden (een schatting)"
    return p.text()


def periods_nl(entry: object) -> list[str]:
    """The periods a catalogue entry holds, in Dutch (`RegistryEntry.periods`)."""
    out = []
    if getattr(entry, "on_decision_date", False):
        out.append("op de beslisdatum")
    if getattr(entry, "until_decision_date", False):
        out.append("tot de beslisdatum")
    years = getattr(entry, "years_back_from", None)
    if years is not None:
        out.append(f"over het jaar t-{years} en eerder")
    if getattr(entry, "past_months", None):
        out.append("over afgelopen maanden")
    return out


def holding_nl(decl: Input) -> str | None:
    """What a registry binding is worth (`registries.holding`'s reason), in Dutch."""
    r = decl.registry
    if r is None:
        return None
    x = f"`{decl.name}`"
    entry = lookup(r)
    period = decl.period
    read = f"{x} {period_nl(period)}" if period is not None else x
    if decl.judged:
        why = f"{read} is een oordeel (`judged`): {r} heeft er gegevens voor, niet het feit zelf"
        if entry is not None and period is not None and not entry.holds_period(period):
            why += f"; {r} heeft gegevens {', '.join(periods_nl(entry)) or 'van geen enkele periode'}"
        return why
    if period is None:
        return f"{r} heeft {x}"
    if entry is None:
        return f"{r} heeft {x} {period_nl(period)} (volgens de opsteller: {r} staat niet in de catalogus)"
    if entry.holds_period(period):
        return f"{r} heeft {read} ({entry.name}: {', '.join(periods_nl(entry))})"
    return f"{r} heeft gegevens {', '.join(periods_nl(entry)) or 'van geen enkele periode'}, niet {read}"


def evidence_nl(item: str, reg: CheckedRegulation | None) -> str | None:
    """One element of a proof's core in Dutch, where it is one the analyses write (a registry's
    holding, a yes/no parameter, an input); None: not known here."""
    from eenvoud.analysis.registries import holding

    if reg is None:
        return None
    m = re.search(r"`(\w+)`", item)
    decl = reg.input_map.get(m.group(1)) if m else None
    if decl is not None and decl.registry is not None:
        held = holding(decl)
        if held is not None and held.reason == item:
            return holding_nl(decl)
    held_by = HOLDS.match(item)  # a document's evidence: "BRP holds `x`"
    if held_by:
        return f"{held_by.group(1)} heeft `{held_by.group(2)}`"
    setting = re.fullmatch(r"(\w+) = (yes|no)", item)
    if setting:
        return f"`{setting.group(1)}` = {'ja' if setting.group(2) == 'yes' else 'nee'}"
    decl = reg.input_map.get(item)
    if decl is not None:
        return f"het gegeven `{item}`" + (f" ({decl.label})" if decl.label else "")
    if re.fullmatch(r"\w+", item):  # a name of the other regulation (a diverging definition): as code
        return f"`{item}`"
    return None


def _gap_proposal(f: Finding, reg: CheckedRegulation | None) -> str | None:
    """registry_gap's proposal in Dutch, from the binding and the catalogue (registries.holding)."""
    decl = reg.input_map.get(f.subject) if reg is not None else None
    if decl is None or decl.registry is None:
        return None
    entry = lookup(decl.registry)
    period = decl.period
    if entry is None or period is None:
        return None
    nearest = entry.nearest(period)
    if nearest is not None and entry.holds_period(nearest):
        return (f"als de wet `{f.subject}` {period_nl(nearest)} las, wat {decl.registry} heeft, in plaats van "
                f"{period_nl(period)}, hoefde niemand het te worden gevraagd (een voorstel voor de wetgever)")
    if decl.judged:
        return None  # a judgement with no nearer fact held: registries.gap makes no finding of it
    return (f"om `{f.subject}` niet meer te vragen, zou {decl.registry} het {period_nl(period)} moeten bevatten "
            f"(een voorstel voor de wetgever)")


CAVEATS = {
    "nl": {
        "redundant_requirement": "Bewezen voor de regels zoals ze gecodeerd zijn, voor volledige gevallen. Waar "
                                 "de codering de wet vereenvoudigt (de kop van het bestand zegt waar), kan de "
                                 "voorwaarde in de wet nog een rol hebben die de codering niet kent.",
        "registry_data_requested": "De catalogus van registraties (eenvoud/ir/registries.toml) zegt dat de "
                                   "registratie het gegeven heeft voor de periode die de regel leest; of ze het "
                                   "in dezelfde betekenis heeft, is het oordeel van de opsteller (`judged`).",
        "registry_gap": "Een voorstel voor de wetgever, geen fout in het formulier: de vraag blijft zolang de wet "
                        "leest wat de registratie niet heeft.",
        "irrelevant_input": "Geldt voor volledige gevallen: met gegevens die nog ontbreken kan het antwoord "
                            "eerder gevraagd worden dan nodig.",
        "unnecessary_document": "Geldt voor de regels zoals ze gecodeerd zijn; een bewijsstuk kan in de "
                                "uitvoering ook voor controle achteraf dienen, wat de codering niet kent.",
        "unused_in_period": "Volgt uit een parameter die per datum is gezet: voor aanvragen over eerdere "
                            "perioden blijven de regels nodig.",
        "diverging_definition": "De begrippen zijn gekoppeld op naam of omschrijving; of ze gelijk moeten zijn, "
                                "is een beleidsvraag: een verschil kan bedoeld zijn.",
        "dead_branch": "Bewezen voor de regels zoals ze gecodeerd zijn, op de genoemde data.",
    },
    "en": {
        "redundant_requirement": "Proved for the rules as encoded, for complete cases. Where the encoding "
                                 "simplifies the law (the file's header says where), the requirement may still "
                                 "play a role in the law that the encoding does not know.",
        "registry_data_requested": "The registry catalogue (eenvoud/ir/registries.toml) says the registry holds "
                                   "the fact for the period the rule reads; whether it holds it in the same sense "
                                   "is the drafter's judgement (`judged`).",
        "registry_gap": "A proposal for the legislator, not a fault of the form: the question stays as long as the "
                        "law reads what the registry does not hold.",
        "irrelevant_input": "Holds for complete cases: with facts still missing, the answer may be asked earlier "
                            "than needed.",
        "unnecessary_document": "Holds for the rules as encoded; a document may also serve checks afterwards, which "
                                "the encoding does not know.",
        "unused_in_period": "Follows from a parameter set by date: claims about earlier periods still need the "
                            "rules.",
        "diverging_definition": "The concepts are matched by name or label; whether they should be equal is a "
                                "policy question: a difference may be intended.",
        "dead_branch": "Proved for the rules as encoded, on the dates given.",
    },
}


def caveat(f: Finding, reg: CheckedRegulation | None, lang: str) -> str | None:
    """What the finding rests on that the law may not: its own caveat, its kind's, and the
    drafter's comment above its subject."""
    parts = [p for p in (f.caveat, CAVEATS["nl" if lang == "nl" else "en"].get(f.kind)) if p]
    note = comment_above(f, reg)
    if note:
        parts.append(("Toelichting in de regels: " if lang == "nl" else "Note in the rules: ") + note)
    return " ".join(parts) or None


def comment_above(f: Finding, reg: CheckedRegulation | None) -> str | None:
    """The comment lines right above the line of the finding's span, in its file, joined."""
    if reg is None or f.span is None:
        return None
    path, _, rest = f.span.rpartition(":")
    path, _, line_text = path.rpartition(":")
    try:
        line = int(line_text)
    except ValueError:
        return None
    text = _file_text(reg, path)
    if text is None:
        return None
    lines = text.splitlines()
    out: list[str] = []
    k = line - 2
    while 0 <= k < len(lines) and lines[k].lstrip().startswith("#"):
        out.insert(0, lines[k].lstrip()[1:].strip())
        k -= 1
    joined = " ".join(x for x in out if x)
    return joined or None


def _file_text(reg: CheckedRegulation, path: str) -> str | None:
    """The text of the rule file at `path`: the regulation's own, or one it imports."""
    seen: set[int] = set()
    todo = [reg]
    while todo:
        r = todo.pop()
        if id(r) in seen:
            continue
        seen.add(id(r))
        name = r.file.name
        if name == path or name.endswith("/" + path) or path.endswith(name):
            return r.file.text
        todo.extend(r.imports)
    return None
