"""Rule files as the editor has them: the open documents over the files on disk, each checked
with its imports by the same Loader `eenvoud check` uses.

An open document's text is what counts, saved or not: a module being edited is read from the
editor by every file that imports it (`OverlayLoader`), so that go-to-definition and the
diagnostics agree with what the drafter sees.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.dsl.load import Loader
from eenvoud.dsl.parser import ParsedFile, parse
from eenvoud.dsl.reads import unused
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.library import rule_files
from eenvoud.source import SourceError, SourceFile

log = logging.getLogger(__name__)


@dataclass
class OverlayLoader(Loader):
    """A Loader that reads an open document's text from the editor instead of from disk."""

    overlay: Mapping[Path, str] = field(default_factory=dict)

    def load(self, path: str | Path) -> CheckedRegulation:
        resolved = Path(path).resolve()
        if resolved in self.cache or resolved not in self.overlay:
            return super().load(path)
        return self.load_source(SourceFile.from_text(str(resolved), self.overlay[resolved]), resolved)


@dataclass
class Snapshot:
    """One rule file, parsed and checked against its imports.

    `parsed` is None when the text is not valid syntax, `checked` when it does not check;
    `imports` holds the imported files that did check (every file they import too), so that names
    can still be followed into them while this file has errors."""

    path: Path
    source: SourceFile
    parsed: ParsedFile | None
    checked: CheckedRegulation | None
    imports: tuple[CheckedRegulation, ...]
    diagnostics: list[Diagnostic]  # errors and W0001 warnings, in every file they point into


def check(path: Path, text: str, loader: OverlayLoader) -> Snapshot:
    """Parse and check `text` as the file at `path` (resolved), with every diagnostic found."""
    source = SourceFile.from_text(str(path), text)
    try:
        parsed = parse(source)
    except RuleError as exc:
        return Snapshot(path, source, None, None, (), list(exc.diagnostics))
    except RecursionError:
        parsed = None  # the loader reports it (E0005)
    try:
        checked = loader.load_source(source, path)
    except RuleError as exc:
        return Snapshot(path, source, parsed, None, _loaded_imports(parsed, path, loader), list(exc.diagnostics))
    except Exception as exc:  # a bug of ours: said in the editor, never a crashed server
        log.exception("checking %s", path)
        return Snapshot(path, source, parsed, None, (), [Diagnostic(
            "E0000", f"internal error while checking: {type(exc).__name__}: {exc}", source.span(0, 0),
            "this is a bug in eenvoud")])
    # a module's declarations are judged against the files that import it (eenvoud check rules/);
    # a regulation's own unread declarations are warnings here as there
    return Snapshot(path, source, parsed, checked, checked.imports, unused([checked]))


def _loaded_imports(parsed: ParsedFile | None, path: Path, loader: Loader) -> tuple[CheckedRegulation, ...]:
    if parsed is None:
        return ()
    out: list[CheckedRegulation] = []
    for imp in parsed.regulation.imports:
        loaded = loader.cache.get((path.parent / imp.path).resolve())
        if loaded is None:
            continue
        for reg in (*loaded.imports, loaded):
            if reg not in out:
                out.append(reg)
    return tuple(out)


@dataclass
class Files:
    """The open documents (by resolved path) and the folders of the workspace."""

    open: dict[Path, str] = field(default_factory=dict)
    folders: list[Path] = field(default_factory=list)

    def loader(self) -> OverlayLoader:
        return OverlayLoader(overlay=dict(self.open))

    def text(self, path: Path) -> str | None:
        """The file's text as the editor has it, or as it is on disk; None when unreadable."""
        if path in self.open:
            return self.open[path]
        try:
            return SourceFile.read(path).text
        except (OSError, SourceError):
            return None

    def snapshot(self, path: Path, loader: OverlayLoader | None = None) -> Snapshot | None:
        text = self.text(path)
        if text is None:
            return None
        return check(path, text, loader or self.loader())

    def workspace(self, near: Path | None = None) -> list[Path]:
        """Every rule file that may use a name: those below the workspace folders (or, without one,
        below the folder of `near`), and the open documents."""
        roots: Iterable[Path] = self.folders or ([near.parent] if near is not None else [])
        out: list[Path] = []
        for root in roots:
            if root.is_dir():
                out += [p.resolve() for p in rule_files([root])]
        out += [p for p in self.open if p not in out]
        return list(dict.fromkeys(out))
