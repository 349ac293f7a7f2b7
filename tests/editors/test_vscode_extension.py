"""The VS Code extension as packaged by `vsce` (.ci/vscode.sh): the .vsix holds the manifest, the
grammar, the language configuration and the client, and the manifest contributes the language."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.editors.conftest import EXTENSION, ROOT, VSIX


def test_the_vsix_holds_the_manifest_the_grammar_and_the_client(vscode_extension: Path) -> None:
    with zipfile.ZipFile(VSIX) as z:
        names = set(z.namelist())
        assert {"extension.vsixmanifest", "extension/package.json", "extension/extension.js",
                "extension/language-configuration.json", "extension/syntaxes/eenvoud.tmLanguage.json"} <= names
        # the language client is a dependency, packed; the build and test tools are not
        assert "extension/node_modules/vscode-languageclient/package.json" in names
        assert not any(n.startswith(("extension/node_modules/@vscode/vsce/", "extension/node_modules/vscode-textmate/",
                                     "extension/test/")) for n in names)
        packed = z.read("extension/syntaxes/eenvoud.tmLanguage.json")
        manifest = json.loads(z.read("extension/package.json"))
    assert packed == (EXTENSION / "syntaxes" / "eenvoud.tmLanguage.json").read_bytes()
    [language] = manifest["contributes"]["languages"]
    assert language["id"] == "eenvoud" and language["extensions"] == [".rules"]
    [grammar] = manifest["contributes"]["grammars"]
    assert grammar == {"language": "eenvoud", "scopeName": "source.eenvoud",
                       "path": "./syntaxes/eenvoud.tmLanguage.json"}
    setting = manifest["contributes"]["configuration"]["properties"]["eenvoud.command"]
    assert setting["default"] == "eenvoud"
    assert "vscode-languageclient" in manifest["dependencies"]


def test_the_extension_starts_eenvoud_lsp() -> None:
    source = (EXTENSION / "extension.js").read_text(encoding="utf-8")
    assert 'require("vscode-languageclient/node")' in source
    assert 'args: ["lsp"]' in source and 'getConfiguration("eenvoud").get("command")' in source


def test_the_language_configuration_knows_comments_and_brackets() -> None:
    config = json.loads((EXTENSION / "language-configuration.json").read_text(encoding="utf-8"))
    assert config["comments"] == {"lineComment": "#"}
    assert ["(", ")"] in config["brackets"] and ["{", "}"] in config["brackets"]


def test_npm_ci_has_a_lock_file_and_the_build_outputs_are_ignored() -> None:
    lock = json.loads((EXTENSION / "package-lock.json").read_text(encoding="utf-8"))
    manifest = json.loads((EXTENSION / "package.json").read_text(encoding="utf-8"))
    assert set(manifest["devDependencies"]) == {"@vscode/vsce", "vscode-textmate", "vscode-oniguruma"}
    for name in (*manifest["dependencies"], *manifest["devDependencies"]):
        assert f"node_modules/{name}" in lock["packages"], name
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "editors/vscode/node_modules/" in ignored and "editors/vscode/dist/" in ignored
