"""Copy the TextMate grammar to where the package reads it.

editors/vscode/syntaxes/eenvoud.tmLanguage.json is the one grammar you edit. It is shipped twice more:
byte for byte as eenvoud/dsl/eenvoud.tmLanguage.json (read by eenvoud/dsl/highlight.py), and embedded in
eenvoud/api/static/highlight.js (the browser's highlighter, between its GRAMMAR markers).

    python editors/vscode/sync_grammar.py           # write both copies
    python editors/vscode/sync_grammar.py --check   # exit 1 when a copy differs (tests/editors checks too)
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "editors" / "vscode" / "syntaxes" / "eenvoud.tmLanguage.json"
PACKAGE_COPY = ROOT / "eenvoud" / "dsl" / "eenvoud.tmLanguage.json"
BROWSER = ROOT / "eenvoud" / "api" / "static" / "highlight.js"
EMBEDDED = re.compile(r"(  // BEGIN GRAMMAR[^\n]*\n)(.*?)(\n  // END GRAMMAR\n)", re.S)


def embedded_js(grammar_text: str, js: str) -> str:
    """highlight.js with the grammar between its markers."""
    grammar = json.dumps(json.loads(grammar_text), ensure_ascii=False, separators=(",", ":"))
    if not EMBEDDED.search(js):
        raise SystemExit(f"{BROWSER}: no `// BEGIN GRAMMAR` ... `// END GRAMMAR` markers")
    return EMBEDDED.sub(lambda m: f"{m.group(1)}  var GRAMMAR = {grammar};{m.group(3)}", js, count=1)


def main(argv: list[str]) -> int:
    text = SOURCE.read_text(encoding="utf-8")
    js = BROWSER.read_text(encoding="utf-8")
    wanted = {PACKAGE_COPY: text, BROWSER: embedded_js(text, js)}
    stale = [p for p, content in wanted.items() if not p.exists() or p.read_text(encoding="utf-8") != content]
    if "--check" in argv:
        for p in stale:
            print(f"{p.relative_to(ROOT)} differs from {SOURCE.relative_to(ROOT)}: run python {Path(__file__).relative_to(ROOT)}")
        return 1 if stale else 0
    for p in stale:
        p.write_text(wanted[p], encoding="utf-8")
        print(f"wrote {p.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
