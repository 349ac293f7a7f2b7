"""Diagnostics as you type, and the quick fixes the checker suggests, over real JSON-RPC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.lsp.client import apply_edits, position

TYPE_ERROR = """regulation example "Voorbeeld"

input income : money "Inkomen"
input has_partner : bool "Heeft een partner"

define total = income + has_partner

requirement low : total <= €40_000
"""


def test_initialize_says_what_the_server_offers_and_shutdown_exits_cleanly() -> None:
    from tests.lsp.client import Client

    client = Client()
    try:
        result = client.initialize(capabilities={"textDocument": {"rename": {"prepareSupport": True}}})
        caps = result["capabilities"]
        assert caps["textDocumentSync"]["change"] == 2  # incremental
        assert caps["textDocumentSync"]["save"] is not None
        for feature in ("hoverProvider", "definitionProvider", "referencesProvider", "documentSymbolProvider",
                        "documentFormattingProvider", "codeActionProvider", "renameProvider", "codeLensProvider"):
            assert caps.get(feature), feature
        assert caps["renameProvider"] == {"prepareProvider": True}  # the client said it can prepare
        assert caps["positionEncoding"] == "utf-16"
        assert result["serverInfo"]["name"] == "eenvoud"
        assert client.close() == 0
    finally:
        if client.process.poll() is None:
            client.process.kill()
            client.process.wait()


def test_a_type_error_is_reported_with_its_code_and_range_and_fixing_it_clears_it(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    path = tmp_path / "example.rules"
    path.write_text(TYPE_ERROR, encoding="utf-8")
    uri = client.open(path)
    [d] = client.diagnostics(uri)
    assert d["code"] == "E0216"
    assert d["severity"] == 1
    assert d["message"].startswith("cannot add `money` and `bool`")
    assert "help: true and false are not numbers" in d["message"]
    assert d["range"] == {"start": position(TYPE_ERROR, "income + has_partner"),
                          "end": position(TYPE_ERROR, "income + has_partner", delta=len("income + has_partner"))}
    fixed = TYPE_ERROR.replace("income + has_partner", "income + (if has_partner then €100 else €0)")
    client.change(uri, fixed)
    assert client.diagnostics(uri) == []


def test_every_error_of_a_file_at_once_and_an_unread_input_as_a_warning(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    text = """regulation example

input income : money "Inkomen"
input unread : bool "Niemand leest dit"

requirement one : incom <= €1
requirement two : income + true <= €1
"""
    uri = client.open(tmp_path / "example.rules", text)
    found = client.diagnostics(uri)
    assert sorted(d["code"] for d in found) == ["E0100", "E0216"]
    text_ok = text.replace("incom <=", "income <=").replace("income + true", "income")
    client.change(uri, text_ok)
    [warning] = client.diagnostics(uri)
    assert warning["code"] == "W0001"
    assert warning["severity"] == 2
    assert warning["range"]["start"] == position(text_ok, "unread")


def test_positions_count_utf16_units_after_an_accent_and_an_emoji(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    text = 'regulation example\n\ninput income : money "Inkomen"\n\ndefine café_total "Totaal é 😀" = income + true\n'
    text = text.replace("café_total", "cafe_total")  # names are ASCII; the label is not
    uri = client.open(tmp_path / "example.rules", text)
    [d] = client.diagnostics(uri)
    at = text.index("income + true")
    line_start = text.rfind("\n", 0, at) + 1
    assert d["range"]["start"]["character"] == at - line_start + 1  # 😀 counts twice in UTF-16
    assert d["range"]["start"] == position(text, "income + true")
    # and the other way: a hover after the emoji finds the name under the cursor
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": position(text, "income + true", delta=2)})
    assert "**input `income`** — Inkomen" in hover["contents"]["value"]


def _fix(client: Any, uri: str, diagnostic: dict[str, Any]) -> dict[str, Any]:
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": diagnostic["range"], "context": {"diagnostics": [diagnostic]}})
    [action] = actions
    assert action["kind"] == "quickfix"
    return dict(action)


def test_the_dutch_of_is_fixed_into_or(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    text = """regulation example

input adult : bool "Meerderjarig"
input student : bool "Student"

requirement applies "Volwassen of student": adult of student
"""
    uri = client.open(tmp_path / "example.rules", text)
    [d] = client.diagnostics(uri)
    assert d["code"] == "E0002"
    action = _fix(client, uri, d)
    assert action["title"] == "Replace `of` with `or`"
    fixed = apply_edits(text, action["edit"]["changes"][uri])
    assert fixed == text.replace("adult of student", "adult or student")
    client.change(uri, fixed)
    assert client.diagnostics(uri) == []


def test_dutch_money_is_fixed_into_the_languages_notation(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    text = """regulation example

input assets : money "Vermogen"

requirement limited "Vermogen niet te hoog": assets <= €7.575
"""
    uri = client.open(tmp_path / "example.rules", text)
    [d] = client.diagnostics(uri)
    assert d["code"] == "E0009"
    action = _fix(client, uri, d)
    assert apply_edits(text, action["edit"]["changes"][uri]) == text.replace("€7.575", "€7_575.00")


def test_a_diagnostic_without_a_suggestion_has_no_quick_fix(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    uri = client.open(tmp_path / "example.rules", TYPE_ERROR)
    [d] = client.diagnostics(uri)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}})
    assert not actions


def test_an_error_in_an_imported_module_is_shown_at_the_import(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    (tmp_path / "shared.rules").write_text('module shared\n\ninput income : money "Inkomen"\n\ndefine x = income + true\n',
                                           encoding="utf-8")
    text = 'regulation example\n\nimport "shared.rules"\n\nrequirement low : income <= €1\n'
    uri = client.open(tmp_path / "example.rules", text)
    [d] = client.diagnostics(uri)
    assert d["code"] == "E0216"
    assert "shared.rules:5:" in d["message"]
    assert d["range"]["start"] == position(text, 'import "shared.rules"')


def test_an_error_further_down_the_import_chain_is_shown_at_the_import_that_leads_there(
        start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    (tmp_path / "fine.rules").write_text('module fine\n\ninput age : int "Leeftijd"\n', encoding="utf-8")
    (tmp_path / "middle.rules").write_text('module middle\n\nimport "deep.rules"\n', encoding="utf-8")
    (tmp_path / "deep.rules").write_text('module deep\n\ninput income : money "Inkomen"\n\ndefine x = income + true\n',
                                         encoding="utf-8")
    text = ('regulation example\n\nimport "fine.rules"\nimport "middle.rules"\n\n'
            'requirement low : income <= €1 and age >= 18\n')
    uri = client.open(tmp_path / "example.rules", text)
    [d] = client.diagnostics(uri)
    assert d["code"] == "E0216"
    assert "deep.rules:5:" in d["message"]
    assert d["range"]["start"] == position(text, 'import "middle.rules"')


def test_windows_line_breaks_put_a_diagnostic_where_the_editor_shows_it(start: Any, tmp_path: Path) -> None:
    client = start(tmp_path)
    uri = client.open(tmp_path / "example.rules", TYPE_ERROR.replace("\n", "\r\n"))
    [d] = client.diagnostics(uri)
    assert d["range"]["start"] == position(TYPE_ERROR, "income + has_partner")
