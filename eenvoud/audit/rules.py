"""The rule text a decision was made with, kept so that it can be decided again years later, by
rules that may since have changed: the regulation and every file it imports, each as written (so
that a place in the rules, `path:line:col`, comes out the same) and in canonical form (what the
content hash covers). Replaying parses the stored text with the language front end and checks that
it hashes to the decision's content hash."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

from eenvoud.audit.store import RuleSet
from eenvoud.diagnostics import RuleError
from eenvoud.dsl.load import Loader
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import SourceFile


class RulesError(Exception):
    """Stored rule text that does not load, or does not hash to the decision's content hash."""


_cache: dict[int, tuple[CheckedRegulation, RuleSet]] = {}
_lock = threading.Lock()


def rule_set(reg: CheckedRegulation) -> RuleSet:
    """The stored form of `reg` and its imports; computed once per loaded regulation."""
    hit = _cache.get(id(reg))
    if hit is not None and hit[0] is reg:
        return hit[1]
    files = []
    for r in (*reg.imports, reg):  # each import before the files importing it, the regulation last
        files.append({"name": r.file.name, "path": os.path.abspath(r.file.name), "hash": r.hash,
                      "canonical": r.canonical_text, "source": r.file.text})
    bundle = json.dumps({"regulation": reg.name, "hash": reg.hash, "files": files}, ensure_ascii=False,
                        separators=(",", ":"))
    rs = RuleSet("sha256:" + hashlib.sha256(bundle.encode()).hexdigest(), reg.hash, bundle)
    with _lock:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[id(reg)] = (reg, rs)
    return rs


def files(bundle: str) -> list[dict[str, str]]:
    data = json.loads(bundle)
    return list(data["files"])


def load(bundle: str, expected_hash: str) -> CheckedRegulation:
    """The regulation of a stored rule set, parsed and checked anew. The files are laid out in a
    temporary folder as they were beside each other (imports are found relative to the file that
    imports them), and each keeps the name it had, so that places in the rules read the same."""
    entries = files(bundle)
    if not entries:
        raise RulesError("the stored rule set has no files")
    paths = [Path(e["path"]) for e in entries]
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    loader = Loader()
    with tempfile.TemporaryDirectory(prefix="eenvoud-replay-") as tmp:
        base = Path(tmp).resolve()
        targets = []
        for e, p in zip(entries, paths, strict=True):
            target = base / p.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(e["source"], encoding="utf-8")
            targets.append(target)
        reg = None
        for e, target in zip(entries, targets, strict=True):
            try:
                reg = loader.load_source(SourceFile.from_text(e["name"], e["source"]), target)
            except RuleError as exc:
                first = exc.diagnostics[0].message if exc.diagnostics else "an error"
                raise RulesError(f"the stored text of {e['name']} does not load: {first}") from None
            if reg.hash != e["hash"]:
                raise RulesError(f"the stored text of {e['name']} hashes to {reg.hash}, not to {e['hash']}")
    assert reg is not None
    if reg.hash != expected_hash:
        raise RulesError(f"the stored rule text hashes to {reg.hash}, not to the decision's {expected_hash}")
    return reg
