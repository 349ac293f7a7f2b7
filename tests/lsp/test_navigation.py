"""Hover, go to definition, references, rename, document symbols and formatting, over real JSON-RPC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eenvoud.cli import main as eenvoud
from eenvoud.library import Library
from tests.lsp.client import LspError, apply_edits, position

ROOT = Path(__file__).resolve().parents[2]
ZORGTOESLAG = ROOT / "rules/nl/rijk/zorgtoeslag.rules"
AWIR = ROOT / "rules/nl/common/awir.rules"


def _at(client: Any, method: str, uri: str, pos: dict[str, int], **extra: Any) -> Any:
    return client.request(method, {"textDocument": {"uri": uri}, "position": pos, **extra})


def test_hover_on_an_input_shows_its_label_type_domain_and_registry(start: Any) -> None:
    client = start(ROOT / "rules")
    text = ZORGTOESLAG.read_text(encoding="utf-8")
    uri = client.open(ZORGTOESLAG)
    shown = _at(client, "textDocument/hover", uri, position(text, "age >= 19"))["contents"]["value"]
    assert "**input `age`** — Leeftijd van de aanvrager" in shown
    assert "type: `int`" in shown
    assert "domain: `0..130`" in shown
    assert "registry: `from BRP`" in shown
    assert "read by requirement `adult` (Art. 1 lid 1 onder c Wzt)" in shown  # where the law asks it
    # an input of an imported module: its binding in time, and the catalogue's word on the registry
    shown = _at(client, "textDocument/hover", uri, position(text, "has_partner then"))["contents"]["value"]
    assert "**input `has_partner`** — Heeft een toeslagpartner" in shown
    assert "registry: `from BRP on decision date judged`" in shown
    assert "declared in `../common/awir.rules`" in shown


def test_hover_on_a_parameter_shows_its_value_on_the_first_tests_date_or_the_date_set(start: Any) -> None:
    text = ZORGTOESLAG.read_text(encoding="utf-8")
    where = position(text, "standard_premium * 2")
    client = start(ROOT / "rules")
    uri = client.open(ZORGTOESLAG)
    shown = _at(client, "textDocument/hover", uri, where)["contents"]["value"]
    # the file's first test is on 2024-01-01: the 2024 standaardpremie
    assert "on 2024-01-01 (the date of the first test" in shown
    assert "**`€1_987.00`**, valid from 2024-01-01" in shown
    other = start(ROOT / "rules", options={"date": "2025-06-30"})
    uri = other.open(ZORGTOESLAG)
    shown = _at(other, "textDocument/hover", uri, where)["contents"]["value"]
    assert "on 2025-06-30 (the date set in the editor): **`€2_112.00`**, valid from 2025-01-01" in shown


def test_hover_on_a_bracket_shows_its_rows_on_the_date(start: Any) -> None:
    aow_age = ROOT / "rules/nl/common/aow_age.rules"
    text = aow_age.read_text(encoding="utf-8")
    client = start(ROOT / "rules")
    uri = client.open(aow_age)
    shown = _at(client, "textDocument/hover", uri, position(text, "bracket aow_age_months", delta=8))
    value = shown["contents"]["value"]
    assert "**bracket `aow_age_months`**" in value
    assert "type: `int`, on `birth_date`" in value
    assert "on 2024-06-15 (the date of the first test" in value
    assert "| 1957-03-01 .. 1961-01-01 => 804\n| 1961-01-01 .. => 807" in value


def test_hover_on_a_requirement_shows_its_label_and_article(start: Any) -> None:
    client = start(ROOT / "rules")
    text = ZORGTOESLAG.read_text(encoding="utf-8")
    uri = client.open(ZORGTOESLAG)
    shown = _at(client, "textDocument/hover", uri, position(text, "requirement adult", delta=len("requirement ")))
    assert "**requirement `adult`** — De aanvrager is 18 jaar of ouder" in shown["contents"]["value"]
    assert "article: Art. 1 lid 1 onder c Wzt" in shown["contents"]["value"]


def test_definition_follows_a_name_into_the_imported_module(start: Any) -> None:
    client = start(ROOT / "rules")
    text = ZORGTOESLAG.read_text(encoding="utf-8")
    uri = client.open(ZORGTOESLAG)
    found = _at(client, "textDocument/definition", uri, position(text, "has_partner then"))
    awir = AWIR.read_text(encoding="utf-8")
    assert found["uri"] == AWIR.as_uri()
    assert found["range"]["start"] == position(awir, "has_partner")
    # on an `import`, the imported file
    found = _at(client, "textDocument/definition", uri, position(text, '"../common/awir.rules"', delta=3))
    assert found["uri"] == AWIR.as_uri()


def _workspace(tmp_path: Path) -> tuple[Path, Path, Path]:
    common = tmp_path / "common"
    common.mkdir()
    module = common / "shared.rules"
    module.write_text('module shared "Gedeeld"\n\ninput income : money €0.. "Inkomen"\n\n'
                      'define low_income = income <= €20_000\n', encoding="utf-8")
    one = tmp_path / "one.rules"
    one.write_text('regulation one "Een"\n\nimport "common/shared.rules"\n\n'
                   'requirement poor "Laag inkomen": low_income and income >= €0\n\n'
                   'test "poor" on 2025-01-01\n  given income = €100\n  expect eligible\n', encoding="utf-8")
    two = tmp_path / "two.rules"
    two.write_text('regulation two "Twee"\n\nimport "common/shared.rules"\n\n'
                   'requirement some "Enig inkomen": income > €0\n\n'
                   'test "none" on 2025-01-01\n  given income = €0\n  expect not eligible\n', encoding="utf-8")
    return module, one, two


def test_references_are_found_in_every_file_of_the_workspace(start: Any, tmp_path: Path) -> None:
    module, one, two = _workspace(tmp_path)
    client = start(tmp_path)
    text = one.read_text(encoding="utf-8")
    uri = client.open(one)
    found = _at(client, "textDocument/references", uri, position(text, "income >="),
                context={"includeDeclaration": True})
    where = sorted((Path(f["uri"][len("file://"):]).name, f["range"]["start"]["line"]) for f in found)
    assert where == [("one.rules", 4), ("one.rules", 7), ("shared.rules", 2), ("shared.rules", 4),
                     ("two.rules", 4), ("two.rules", 7)]
    without = _at(client, "textDocument/references", uri, position(text, "income >="),
                  context={"includeDeclaration": False})
    assert len(without) == len(found) - 1
    assert all(not (f["uri"].endswith("shared.rules") and f["range"]["start"]["line"] == 2) for f in without)


def test_rename_changes_every_file_that_uses_the_name(start: Any, tmp_path: Path) -> None:
    module, one, two = _workspace(tmp_path)
    client = start(tmp_path)
    text = two.read_text(encoding="utf-8")
    uri = client.open(two)
    prepared = _at(client, "textDocument/prepareRename", uri, position(text, "income >"))
    assert prepared["start"] == position(text, "income >")
    edit = _at(client, "textDocument/rename", uri, position(text, "income >"), newName="household_income")
    changes = edit["changes"]
    assert set(changes) == {module.as_uri(), one.as_uri(), two.as_uri()}
    for path in (module, one, two):
        path.write_text(apply_edits(path.read_text(encoding="utf-8"), changes[path.as_uri()]), encoding="utf-8")
    lib = Library.load([tmp_path])
    assert lib.diagnostics == []
    for path in (module, one, two):
        body = path.read_text(encoding="utf-8")
        assert "household_income" in body
        assert "income" not in body.replace("household_income", "").replace('"Inkomen"', "").replace(
            "low_income", "").replace("Laag inkomen", "").replace("Enig inkomen", "")
    # the tests still pass under the new name
    assert eenvoud(["test", str(tmp_path)]) == 0


def test_rename_to_a_word_of_the_language_is_refused(start: Any, tmp_path: Path) -> None:
    _, one, _ = _workspace(tmp_path)
    client = start(tmp_path)
    text = one.read_text(encoding="utf-8")
    uri = client.open(one)
    with pytest.raises(LspError, match="word of the language"):
        _at(client, "textDocument/rename", uri, position(text, "income >="), newName="eligible")
    with pytest.raises(LspError, match="already declared"):
        _at(client, "textDocument/rename", uri, position(text, "income >="), newName="low_income")


def test_document_symbols_of_the_zorgtoeslag(start: Any) -> None:
    client = start(ROOT / "rules")
    uri = client.open(ZORGTOESLAG)
    symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    by_name = {s["name"]: s for s in symbols}
    kinds = {"age": 8, "standard_premium": 14, "norm_premium": 12, "adult": 17, "zorgtoeslag": 16}
    for name, kind in kinds.items():  # Field, Constant, Function, Boolean, Number
        assert by_name[name]["kind"] == kind, name
    assert by_name["adult"]["detail"].startswith("requirement: De aanvrager is 18 jaar of ouder")
    tests = [s for s in symbols if s["kind"] == 6]  # Method
    assert tests[0]["name"] == '"2024 alleenstaande, inkomen €19.000 (rekenvoorbeeld 1)"'
    assert len(tests) == ZORGTOESLAG.read_text(encoding="utf-8").count("\ntest ")
    text = ZORGTOESLAG.read_text(encoding="utf-8")
    age = by_name["age"]
    assert age["selectionRange"]["start"] == position(text, "input age", delta=len("input "))
    assert age["range"]["start"] == position(text, "input age")
    # the range encloses the selection and ends before the next declaration
    assert age["range"]["end"]["line"] < by_name["insured"]["range"]["start"]["line"]


def test_formatting_gives_the_text_eenvoud_fmt_writes(start: Any, tmp_path: Path) -> None:
    messy = ('regulation   example "Voorbeeld"   # kop\n'
             'input income:money €0..   "Inkomen"\n'
             '# de grens\n'
             'requirement low   "Laag" :income<=€20_000    unless income==€0 label "niets"\n'
             'test "laag" on 2025-01-01 given income=€100 expect eligible\n')
    path = tmp_path / "example.rules"
    path.write_text(messy, encoding="utf-8")
    client = start(tmp_path)
    uri = client.open(path)
    edits = client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                      "options": {"tabSize": 2, "insertSpaces": True}})
    formatted = apply_edits(messy, edits)
    assert formatted != messy
    assert eenvoud(["fmt", str(path)]) == 0
    assert formatted == path.read_text(encoding="utf-8")
    client.change(uri, formatted)
    assert client.request("textDocument/formatting", {"textDocument": {"uri": uri},
                                                      "options": {"tabSize": 2, "insertSpaces": True}}) == []


def test_an_unsaved_module_is_read_from_the_editor(start: Any, tmp_path: Path) -> None:
    module, one, _ = _workspace(tmp_path)
    client = start(tmp_path)
    uri_one = client.open(one)
    assert client.diagnostics(uri_one) == []
    uri_module = client.open(module)
    client.diagnostics(uri_module)
    # the module renames `low_income` in the editor, unsaved: the regulation that uses it breaks
    client.change(uri_module, module.read_text(encoding="utf-8").replace("low_income", "small_income"))
    found = client.diagnostics(uri_one, lambda ds: bool(ds))
    assert [d["code"] for d in found] == ["E0100"]
    assert found[0]["message"].startswith("unknown name `low_income`")
    # closed without saving: the file on disk counts again
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri_module}})
    assert client.diagnostics(uri_one) == []


def test_names_are_followed_while_the_file_has_errors(start: Any, tmp_path: Path) -> None:
    module, one, _ = _workspace(tmp_path)
    client = start(tmp_path)
    text = one.read_text(encoding="utf-8").replace("income >= €0", "income >= true")
    uri = client.open(one, text)
    assert [d["code"] for d in client.diagnostics(uri)] == ["E0212"]
    found = _at(client, "textDocument/definition", uri, position(text, "low_income"))
    assert found["uri"] == module.as_uri()
    assert found["range"]["start"] == position(module.read_text(encoding="utf-8"), "low_income")
    shown = _at(client, "textDocument/hover", uri, position(text, "low_income"))["contents"]["value"]
    assert "**define `low_income`**" in shown
    assert "low_income = income <= €20_000" in shown


def test_a_module_changed_on_disk_is_read_again(start: Any, tmp_path: Path) -> None:
    module, one, _ = _workspace(tmp_path)
    client = start(tmp_path)
    uri = client.open(one)
    assert client.diagnostics(uri) == []
    module.write_text(module.read_text(encoding="utf-8").replace("low_income", "small_income"), encoding="utf-8")
    client.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": module.as_uri(), "type": 2}]})
    found = client.diagnostics(uri)
    assert [d["code"] for d in found] == ["E0100"]
