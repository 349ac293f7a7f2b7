"""The regulation library's policy, as diagnostics: `eenvoud check --library rules/`.

A rule file can be valid and still not be fit for the shipped library (docs/library.md, "The
library's policy"). There, every file names the law it encodes, every value and every test cites
its source, every requirement and amount names its article, and every regulation names its agency,
reads a registry, lists the documents its application asks for and has at least six tests. The
library's own tests (tests/library) hold the shipped files to this same function.

That the tests pass is `eenvoud test`'s to say: this module sits below the engine (it never runs
one), and only reads the checked files.
"""

from __future__ import annotations

from collections.abc import Iterable

from eenvoud.diagnostics import Diagnostic
from eenvoud.ir import nodes as n
from eenvoud.ir.checked import CheckedRegulation

MIN_TESTS = 6

# code: what it says (docs/library.md lists them)
CODES = {
    "P0001": "a regulation with fewer than six tests",
    "P0002": "a test without `source`",
    "P0003": "a parameter value without `source`",
    "P0004": "a bracket version without `source`",
    "P0005": "a requirement without `article`",
    "P0006": "an amount without `article`",
    "P0007": "a regulation that reads no registry (no input `from` one)",
    "P0008": "a regulation that lists no document",
    "P0009": "a regulation without `agency`",
    "P0010": "a regulation or module without `source` in its header",
}


def library_policy(files: Iterable[CheckedRegulation]) -> list[Diagnostic]:
    """Every way the files break the library's policy, in file order. Events are not held to it
    (they only list regulations)."""
    found: list[Diagnostic] = []
    for reg in files:
        if reg.is_event():
            continue
        found.extend(_file(reg))
    return sorted(found, key=lambda d: (d.span.file.name, d.span.start) if d.span else ("", 0))


def _file(reg: CheckedRegulation) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    header = reg.regulation.span
    kind = reg.kind
    if not reg.source_url:
        out.append(Diagnostic(
            "P0010", f"the {kind} `{reg.name}` names no source: the library's files cite the law they encode",
            header, f'add `source "https://wetten.overheid.nl/BWBR..."` after the {kind}\'s title'))
    for test in reg.tests:
        if not test.source:
            out.append(Diagnostic(
                "P0002", f"the test {_quoted(test.name)} cites no source", test.span,
                'add `source "..."` after its date: the agency\'s worked example, the table it comes from, '
                'or "Computed from ..." with the articles and figures it follows from'))
    for decl in reg.regulation.declarations:
        if isinstance(decl, n.Parameter):
            for value in decl.values:
                if not value.source:
                    out.append(Diagnostic(
                        "P0003", f"the value of the parameter `{decl.name}` from {value.valid_from} cites no source",
                        value.span or decl.span,
                        'add `source "..."` after the value: the article, Staatscourant or page that sets it'))
        elif isinstance(decl, n.Bracket):
            for version in decl.versions:
                if not version.source:
                    out.append(Diagnostic(
                        "P0004", f"the table of the bracket `{decl.name}` from {version.valid_from} cites no source",
                        version.span or decl.span,
                        'add `source "..."` after its date: the regulation that sets the table'))
    if not reg.is_regulation():
        return out
    for req in reg.requirements:
        if not req.article:
            out.append(Diagnostic(
                "P0005", f"the requirement `{req.name}` names no article", req.span,
                'add `article "Art. N lid M ..."` after its label: the article that sets the condition'))
    for amount in reg.amounts:
        if not amount.article:
            out.append(Diagnostic(
                "P0006", f"the amount `{amount.name}` names no article", amount.span,
                'add `article "Art. N ..."` after its label: the article that sets the amount'))
    if not reg.agency:
        out.append(Diagnostic(
            "P0009", f"the regulation `{reg.name}` names no agency", header,
            'add `agency "..."` after its title: who decides the applications'))
    if not any(i.registry for i in reg.inputs):
        out.append(Diagnostic(
            "P0007", f"the regulation `{reg.name}` reads no registry: every fact is asked of the citizen", header,
            "bind the inputs a government registry holds with `from REGISTRY` (docs/library.md, Registries)"))
    if not reg.documents:
        out.append(Diagnostic(
            "P0008", f"the regulation `{reg.name}` lists no document", header,
            "add the `document`s its application form asks for today, with the inputs each provides"))
    if len(reg.tests) < MIN_TESTS:
        count = len(reg.tests)
        out.append(Diagnostic(
            "P0001",
            f"the regulation `{reg.name}` has {count} test{'s' if count != 1 else ''}; the library asks for at "
            f"least {MIN_TESTS}",
            header,
            "add tests from the agency's worked examples, or computed at the boundaries (at a limit, a cent "
            "above it, the day of a birthday), each citing its source"))
    return out


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
