"""Go to definition, find references and rename, across the files that import each other.

A use and its declaration may be in different files (`import` is a relative path between rule
files); references and renames look through every rule file of the workspace, since any of them may
import the file that declares the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp

from eenvoud.dsl.names import KEYWORDS, RESERVED
from eenvoud.dsl.parser import KEYWORDS as GRAMMAR_WORDS
from eenvoud.ir import nodes as n
from eenvoud.ir import types as t
from eenvoud.lsp import occurrences as occ
from eenvoud.lsp.documents import Files, Snapshot
from eenvoud.lsp.positions import span_range
from eenvoud.source import Span

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class RenameRefused(Exception):
    """A rename that would break the rules: the message says why, for the editor to show."""


def uri_of(path: str | Path) -> str:
    return Path(path).resolve().as_uri()


def location(span: Span, encoding: str) -> lsp.Location:
    return lsp.Location(uri=uri_of(span.file.name), range=span_range(span, encoding))


def definition(snap: Snapshot, offset: int, encoding: str) -> lsp.Location | None:
    """Where the name under the cursor is declared; on an `import`, the imported file."""
    if snap.rules is not None:
        for imp in snap.rules.imports:
            if imp.span is not None and imp.span.start <= offset <= imp.span.end:
                target = (snap.path.parent / imp.path).resolve()
                if target.is_file():
                    start = lsp.Position(line=0, character=0)
                    return lsp.Location(uri=target.as_uri(), range=lsp.Range(start=start, end=start))
                return None
    found = occ.at(snap, offset)
    if found is None or found.target is None:
        return None
    decl = occ.declaration(snap, found.target)
    if decl is None or decl.span is None:
        return None
    return location(decl.span, encoding)


@dataclass(frozen=True)
class Use:
    path: Path
    occurrence: occ.Occurrence


def uses(files: Files, snap: Snapshot, target: occ.Target) -> list[Use]:
    """Every occurrence of `target`, its declaration included, in the workspace's rule files."""
    loader = files.loader()
    out: list[Use] = []
    paths = files.workspace(snap.path)
    declaring = Path(target.origin)
    for extra in (snap.path, declaring):
        if extra not in paths:
            paths.append(extra)
    for path in paths:
        other = snap if path == snap.path else files.snapshot(path, loader)
        if other is None:
            continue
        out += [Use(path, o) for o in occ.occurrences(other) if o.target == target]
    return out


def references(files: Files, snap: Snapshot, offset: int, include_declaration: bool,
               encoding: str) -> list[lsp.Location]:
    found = occ.at(snap, offset)
    if found is None or found.target is None:
        return []
    return [location(u.occurrence.span, encoding) for u in uses(files, snap, found.target)
            if include_declaration or not u.occurrence.declaration]


def rename_range(snap: Snapshot, offset: int, encoding: str) -> lsp.Range | None:
    """The name a rename would change (textDocument/prepareRename)."""
    found = occ.at(snap, offset)
    if found is None or found.target is None:
        return None
    return span_range(found.span, encoding)


def rename(files: Files, snap: Snapshot, offset: int, new_name: str, encoding: str) -> lsp.WorkspaceEdit | None:
    """Every occurrence of the name under the cursor, in every file, renamed to `new_name`."""
    found = occ.at(snap, offset)
    if found is None or found.target is None:
        return None
    if not NAME.fullmatch(new_name):
        raise RenameRefused(f"`{new_name}` is not a name: letters, digits and `_`, starting with a letter or `_`")
    if new_name in RESERVED or new_name in KEYWORDS or new_name in GRAMMAR_WORDS:
        raise RenameRefused(f"`{new_name}` is a word of the language")
    if new_name == found.name:
        return lsp.WorkspaceEdit(changes={})
    all_uses = uses(files, snap, found.target)
    loader = files.loader()
    for path in dict.fromkeys(u.path for u in all_uses):
        other = snap if path == snap.path else files.snapshot(path, loader)
        if other is not None and _declares(other, new_name):
            raise RenameRefused(f"`{new_name}` is already declared where `{found.name}` is used ({path.name})")
    changes: dict[str, list[lsp.TextEdit]] = {}
    for u in all_uses:
        changes.setdefault(uri_of(u.path), []).append(
            lsp.TextEdit(range=span_range(u.occurrence.span, encoding), new_text=new_name))
    return lsp.WorkspaceEdit(changes=changes)


def _declares(snap: Snapshot, name: str) -> bool:
    """Whether `name` is taken in the file: declared in it or in one of its imports."""
    if occ.own_declaration(snap, name) is not None:
        return True
    sym = occ.symbol(snap, name)
    if sym is not None:
        return True
    if snap.rules is not None:
        for item in snap.rules.items:
            if isinstance(item, n.Input) and isinstance(item.type, t.EnumType) and name in item.type.members:
                return True  # an option of an enumeration (E0205)
    return False
