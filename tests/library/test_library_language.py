"""The `event` file kind: parsed, printed back, checked (an event lists regulations and nothing else),
and its names resolved against the library."""

from __future__ import annotations

from pathlib import Path

from eenvoud.dsl.parser import parse_text
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.library import Library

REG = '''regulation toy "Toy"
input age : int 0..130 "Leeftijd"
requirement adult "18 jaar of ouder" : age >= 18
'''
MODULE = '''module shared "Gedeeld"
input income : money "Inkomen"
'''


def _lib(tmp_path: Path, **files: str) -> Library:
    for name, text in files.items():
        (tmp_path / f"{name}.rules").write_text(text, encoding="utf-8")
    return Library.load([tmp_path])


def test_an_event_parses_and_prints_back() -> None:
    text = '# bundel\nevent turning_18 "18 jaar worden"\n  source "https://example.org"\n\nincludes toy, other\n'
    parsed = parse_text(text)
    reg = parsed.regulation
    assert reg.kind == "event"
    assert reg.includes == (n.Includes(("toy", "other")),)
    assert reg.declarations == ()
    printed = printer.regulation(reg, parsed.comments)
    assert printed == text
    assert parse_text(printed).regulation == reg


def test_an_event_resolves_its_regulations(tmp_path: Path) -> None:
    lib = _lib(tmp_path, toy=REG, ev='event e "E"\nincludes toy\n')
    assert lib.diagnostics == []
    assert list(lib.events) == ["e"]
    assert [r.name for r in lib.event_regulations(lib.events["e"])] == ["toy"]
    assert "e" not in lib.regulations and "e" not in lib.modules
    assert all(not r.is_event() for r in lib.files.values())


def test_a_misspelt_regulation_gets_the_likely_name(tmp_path: Path) -> None:
    lib = _lib(tmp_path, toy=REG, ev='event e "E"\nincludes tyo\n')
    [d] = lib.diagnostics
    assert d.code == "E0114"
    assert "`tyo`" in d.message and "not a regulation" in d.message
    assert d.help == "did you mean `toy`?"
    assert d.span is not None and d.span.line == 2


def test_a_module_cannot_be_included(tmp_path: Path) -> None:
    lib = _lib(tmp_path, toy=REG, shared=MODULE, ev='event e "E"\nincludes toy, shared\n')
    [d] = lib.diagnostics
    assert d.code == "E0114" and "is a module" in d.message


def test_an_event_only_lists_regulations(tmp_path: Path) -> None:
    lib = _lib(tmp_path, toy=REG, ev='event e "E"\ninput x : bool\nincludes toy, toy\n')
    codes = sorted(d.code for d in lib.diagnostics)
    assert codes == ["E0112", "E0113"]


def test_an_empty_event_is_an_error(tmp_path: Path) -> None:
    lib = _lib(tmp_path, ev='event e "E"\n')
    [d] = lib.diagnostics
    assert d.code == "E0113" and "includes no regulation" in d.message


def test_only_an_event_includes(tmp_path: Path) -> None:
    lib = _lib(tmp_path, toy=REG + "includes toy\n")
    [d] = lib.diagnostics
    assert d.code == "E0112" and "only an `event`" in d.message


def test_event_and_includes_stay_usable_as_names() -> None:
    reg = parse_text('regulation r "R"\ninput event : bool\ninput includes : bool\n'
                     'requirement a : event and includes\n').regulation
    assert [d.name for d in reg.declarations] == ["event", "includes", "a"]
