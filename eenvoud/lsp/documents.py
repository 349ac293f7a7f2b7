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
from eenvoud.dsl.parser import parse
from eenvoud.dsl.reads import unused
from eenvoud.ir import nodes as n
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

    `rules` (the file as written) is None when the text is not valid syntax, `checked` when it
    does not check; `imports` holds the imported files that did check (every file they import
    too), so that names can still be followed into them while this file has errors."""

    path: Path
    source: SourceFile
    rules: n.Regulation | None
    checked: CheckedRegulation | None
    imports: tuple[CheckedRegulation, ...]
    diagnostics: list[Diagnostic]  # errors and W0001 warnings, in every file they point into


def check(path: Path, text: str, loader: OverlayLoader) -> Snapshot:
    """Parse and check `text` as the file at `path` (resolved), with every diagnostic found."""
    source = SourceFile.from_text(str(path), text)
    try:
        checked = loader.load_source(source, path)
    except RuleError as exc:
        # parsed again, on its own, for what can still be followed in a file with errors
        try:
            rules: n.Regulation | None = parse(source).regulation
        except (RuleError, RecursionError):
            rules = None
        return Snapshot(path, source, rules, None, _loaded_imports(rules, path, loader), list(exc.diagnostics))
    except Exception as exc:  # a bug of ours: said in the editor, never a crashed server
        log.exception("checking %s", path)
        return Snapshot(path, source, None, None, (), [Diagnostic(
            "E0000", f"internal error while checking: {type(exc).__name__}: {exc}", source.span(0, 0),
            "this is a bug in eenvoud")])
    # a module's declarations are judged against the files that import it (eenvoud check rules/);
    # a regulation's own unread declarations are warnings here as there
    return Snapshot(path, source, checked.regulation, checked, checked.imports, unused([checked]))


def _loaded_imports(rules: n.Regulation | None, path: Path, loader: Loader) -> tuple[CheckedRegulation, ...]:
    if rules is None:
        return ()
    out: list[CheckedRegulation] = []
    for imp in rules.imports:
        loaded = loader.cache.get((path.parent / imp.path).resolve())
        if loaded is None:
            continue
        for reg in (*loaded.imports, loaded):
            if reg not in out:
                out.append(reg)
    return tuple(out)


def as_read(text: str) -> str:
    """The text as the checker reads it (`SourceFile.from_text`): no byte order mark, `\\n` breaks."""
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


@dataclass
class Files:
    """The open documents (by resolved path), the folders of the workspace, and the files checked
    so far.

    A checked file is kept with the text of every file in its import closure: while none of them
    changes (in the editor or on disk), a file that imports it takes it as it is instead of
    parsing and checking it again, on every keystroke."""

    open: dict[Path, str] = field(default_factory=dict)
    folders: list[Path] = field(default_factory=list)
    _checked: dict[Path, tuple[dict[Path, str], CheckedRegulation]] = field(default_factory=dict)
    _disk: dict[Path, tuple[tuple[int, int], str]] = field(default_factory=dict)

    def loader(self) -> OverlayLoader:
        loader = OverlayLoader(overlay=dict(self.open))
        texts: dict[Path, str | None] = {}
        for path, (closure, reg) in list(self._checked.items()):
            for other, text in closure.items():
                if other not in texts:
                    texts[other] = self.text(other)
                if texts[other] != text:
                    del self._checked[path]
                    break
            else:
                loader.cache[path] = reg
        return loader

    def keep(self, loader: OverlayLoader) -> None:
        """Remember what `loader` checked, for the next loader."""
        for path, reg in loader.cache.items():
            if path not in self._checked or self._checked[path][1] is not reg:
                self._checked[path] = ({Path(r.file.name).resolve(): r.file.text for r in (*reg.imports, reg)}, reg)

    def text(self, path: Path) -> str | None:
        """The file's text as the editor has it, or as it is on disk (line breaks made `\\n`, as the
        checker reads it); None when unreadable. A file on disk is read again only when its size or
        time of change differs from the last read."""
        if path in self.open:
            return as_read(self.open[path])
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._disk.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        try:
            text = SourceFile.read(path).text
        except (OSError, SourceError):
            return None
        self._disk[path] = (stamp, text)
        return text

    def snapshot(self, path: Path, loader: OverlayLoader | None = None) -> Snapshot | None:
        text = self.text(path)
        if text is None:
            return None
        own = loader or self.loader()
        reg = own.cache.get(path)
        if reg is not None and reg.file.text == text:  # unchanged, and so is every file it imports
            return Snapshot(path, reg.file, reg.regulation, reg, reg.imports, unused([reg]))
        snap = check(path, text, own)
        self.keep(own)
        return snap

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
