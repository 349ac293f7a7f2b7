"""The ask-once matrix: for every fact of a library, which regulations and agencies need it, which
registry holds it, which documents ask it today. The facts that more than one agency asks come first:
they are where one government could ask once.

A fact is an input; after `eenvoud check` (E0116) an input name means one fact in the whole library,
with one type, label and registry. A derived fact (the zorgtoeslag's `age`, which module person_age
defines from `birth_date`) says what it is derived from.

Outputs: JSON (`to_json`), Markdown, CSV and a self-contained HTML page with an inline SVG heat map
(facts by regulations; no script, no web font, nothing fetched).
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from eenvoud.engine.government import derivations
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir.checked import CheckedRegulation


@dataclass
class Fact:
    name: str
    label: str | None
    type: str
    registry: str | None
    declared_in: str
    registry_period: str | None = None  # `for year - 2`: the period of the registry's fact the rules read
    judged: bool = False  # the registry holds evidence; the fact is a judgement
    regulations: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    documents: list[dict[str, str]] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name, "label": self.label, "type": self.type,
            "regulations": list(self.regulations), "agencies": list(self.agencies),
            "registry": self.registry, "registry_period": self.registry_period, "judged": self.judged,
            "ask_citizen": self.registry is None and not self.derived_from,
            "documents": [dict(d) for d in self.documents],
            "derived_from": list(self.derived_from), "declared_in": self.declared_in,
        }


@dataclass
class Matrix:
    facts: list[Fact]
    regulations: list[tuple[str, str | None]]  # (id, agency), in the order of the columns

    def to_json(self) -> dict[str, object]:
        return {
            "facts": [f.to_json() for f in self.facts],
            "regulations": [{"name": r, "agency": a} for r, a in self.regulations],
            "shared_by_agencies": sum(1 for f in self.facts if len(f.agencies) > 1),
        }


def _agency(reg: CheckedRegulation) -> str:
    return reg.agency or reg.name


def _relative(name: str, root: Path | None) -> str:
    """The file's path below `root`; without one (or outside it), below the nearest folder named
    `rules`, else its name alone: no absolute path of the machine it runs on."""
    path = Path(name)
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except (ValueError, OSError):
            pass
    parts = path.parts
    if "rules" in parts:
        i = len(parts) - 1 - parts[::-1].index("rules")
        return str(Path(*parts[i:]))
    return path.name


def _period(decl: n.Input) -> str | None:
    period = getattr(decl, "period", None)
    return None if period is None else str(period.text())


def build(regulations: Sequence[CheckedRegulation], root: Path | None = None) -> Matrix:
    """The matrix of `regulations` (a library's, in its order). `root`: file paths are shown
    relative to it."""
    regs = sorted(regulations, key=lambda r: (_agency(r), r.name))
    facts: dict[str, Fact] = {}
    for reg in regs:
        for decl in reg.inputs:
            fact = facts.get(decl.name)
            if fact is None:
                origin = reg.symbols[decl.name].origin if decl.name in reg.symbols else reg.file.name
                fact = facts[decl.name] = Fact(decl.name, decl.label, printer.type_text(decl.type), decl.registry,
                                               _relative(origin, root), _period(decl), bool(getattr(decl, "judged", False)))
            elif fact.registry is None and decl.registry is not None:
                fact.registry = decl.registry
            if reg.name not in fact.regulations:
                fact.regulations.append(reg.name)
            if _agency(reg) not in fact.agencies:
                fact.agencies.append(_agency(reg))
        for doc in reg.documents:
            for name in doc.provides:
                if name in facts:
                    entry = {"regulation": reg.name, "document": doc.name, "label": doc.label or doc.name}
                    if entry not in facts[name].documents:
                        facts[name].documents.append(entry)
    # the same derived facts the one-government answer computes from their sources
    for name, derived in derivations(regs).items():
        if name in facts:
            facts[name].derived_from = list(derived.reads)
    ordered = sorted(facts.values(), key=lambda f: (-len(f.agencies), -len(f.regulations), -len(f.documents), f.name))
    return Matrix(ordered, [(r.name, r.agency) for r in regs])


# -- renderings -------------------------------------------------------------------------------------


def to_csv(matrix: Matrix) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["name", "label", "type", "registry", "registry_period", "judged", "agencies", "regulations", "documents", "derived_from",
                "declared_in"])
    for f in matrix.facts:
        w.writerow([f.name, f.label or "", f.type, f.registry or "", f.registry_period or "", "yes" if f.judged else "",
                    "; ".join(f.agencies), "; ".join(f.regulations),
                    "; ".join(f"{d['regulation']}: {d['label']}" for d in f.documents), "; ".join(f.derived_from),
                    f.declared_in])
    return buf.getvalue()


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _held(f: Fact) -> str:
    if f.registry:
        return " ".join([f.registry] + ([f.registry_period] if f.registry_period else [])
                        + (["(judged: the citizen confirms)"] if f.judged else []))
    if f.derived_from:
        return "derived from " + ", ".join(f"`{x}`" for x in f.derived_from)
    return "asked of the citizen"


def to_markdown(matrix: Matrix) -> str:
    shared = [f for f in matrix.facts if len(f.agencies) > 1]
    lines = [
        "# The ask-once matrix",
        "",
        f"{len(matrix.facts)} facts in {len(matrix.regulations)} regulations; {len(shared)} of them needed by more "
        "than one agency (listed first). A fact is asked once when a registry holds it or one agency's "
        "answer serves them all.",
        "",
        "| fact | label | agencies | regulations | registry | documents that ask it |",
        "|---|---|---|---|---|---|",
    ]
    for f in matrix.facts:
        docs = "; ".join(f"{d['regulation']}: {d['label']}" for d in f.documents) or "—"
        lines.append(f"| `{f.name}` | {_md(f.label or '')} | {len(f.agencies)}: {_md(', '.join(f.agencies))} | "
                     f"{_md(', '.join(f.regulations))} | {_md(_held(f))} | {_md(docs)} |")
    return "\n".join(lines) + "\n"


_COLOURS = {"registry": "#2b6cb0", "asked": "#dd6b20", "derived": "#2f855a"}


def heat_map(matrix: Matrix) -> str:
    """An SVG of facts (rows) by regulations (columns): a cell is filled when the regulation needs
    the fact, blue when a registry holds it, orange when the citizen is asked, green when derived."""
    cell, left, top = 16, 230, 170
    cols = [r for r, _ in matrix.regulations]
    width = left + cell * len(cols) + 20
    height = top + cell * len(matrix.facts) + 50
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="facts by regulations" '
           'font-family="sans-serif" font-size="11">']
    for j, name in enumerate(cols):
        x = left + j * cell + cell // 2
        out.append(f'<text x="{x}" y="{top - 6}" transform="rotate(-60 {x} {top - 6})">{html.escape(name)}</text>')
    for i, f in enumerate(matrix.facts):
        y = top + i * cell
        weight = ' font-weight="bold"' if len(f.agencies) > 1 else ""
        out.append(f'<text x="{left - 6}" y="{y + cell - 4}" text-anchor="end"{weight}>{html.escape(f.name)}</text>')
        kind = "registry" if f.registry else "derived" if f.derived_from else "asked"
        for j, reg in enumerate(cols):
            x = left + j * cell
            fill = _COLOURS[kind] if reg in f.regulations else "#f2f2f2"
            title = f"{f.name} in {reg}: " + (_held(f) if reg in f.regulations else "not needed")
            out.append(f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                       f"<title>{html.escape(title)}</title></rect>")
    y = top + len(matrix.facts) * cell + 20
    for k, (kind, colour) in enumerate(_COLOURS.items()):
        label = {"registry": "a registry holds it", "asked": "asked of the citizen", "derived": "derived"}[kind]
        x = left + k * 150
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{y + 10}">{label}</text>')
    out.append("</svg>")
    return "\n".join(out)


def to_html(matrix: Matrix) -> str:
    rows = []
    for f in matrix.facts:
        docs = "<br>".join(html.escape(f"{d['regulation']}: {d['label']}") for d in f.documents) or "—"
        rows.append(
            "<tr>" + "".join(f"<td>{c}</td>" for c in (
                f"<code>{html.escape(f.name)}</code>", html.escape(f.label or ""),
                f"{len(f.agencies)}: " + html.escape(", ".join(f.agencies)), html.escape(", ".join(f.regulations)),
                html.escape(_held(f)), docs,
            )) + "</tr>")
    shared = sum(1 for f in matrix.facts if len(f.agencies) > 1)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>The ask-once matrix</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f4f4f4; }}
</style>
</head>
<body>
<h1>The ask-once matrix</h1>
<p>{len(matrix.facts)} facts in {len(matrix.regulations)} regulations; {shared} of them needed by more than one
agency (in bold, listed first).</p>
{heat_map(matrix)}
<table>
<thead><tr><th>fact</th><th>label</th><th>agencies</th><th>regulations</th><th>registry</th>
<th>documents that ask it</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</body>
</html>
"""


FORMATS = {"md": to_markdown, "csv": to_csv, "html": to_html}
