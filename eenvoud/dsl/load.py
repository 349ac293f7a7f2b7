"""Loading rule files with their imports: parse, resolve imports relative to the importing file,
check, and hash. A regulation's hash covers its own canonical text and that of every file it
imports, so that a change in a shared definition changes the hash of every regulation using it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from eenvoud.diagnostics import Diagnostic, RuleError
from eenvoud.dsl.check import Checker
from eenvoud.dsl.limits import MAX_IMPORTS
from eenvoud.dsl.parser import ParsedFile, parse
from eenvoud.ir import printer
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import SourceError, SourceFile


@dataclass
class Loader:
    """Loads rule files once each; shared between the files of a library."""

    cache: dict[Path, CheckedRegulation] = field(default_factory=dict)
    _loading: list[Path] = field(default_factory=list)

    def load(self, path: str | Path) -> CheckedRegulation:
        """Parse and check `path` and its imports. Raises RuleError with every diagnostic found."""
        p = Path(path).resolve()
        if p in self.cache:
            return self.cache[p]
        try:
            source = SourceFile.read(path)
        except SourceError as exc:
            if exc.span is not None:  # at the first byte that is not UTF-8
                raise RuleError([Diagnostic("E0010", "the file is not valid UTF-8", exc.span, exc.help)]) from None
            raise RuleError([Diagnostic("E0010", _os_message(path, exc), None)]) from None
        except OSError as exc:
            raise RuleError([Diagnostic("E0010", _os_message(path, exc), None)]) from None
        return self.load_source(source, p)

    def load_source(self, source: SourceFile, resolved: Path | None = None) -> CheckedRegulation:
        try:
            return self._load_source(source, resolved)
        except RecursionError:
            # parser, checker and printer recurse over expressions and chains of definitions; rule
            # text hundreds of levels deep is a drafter's mistake to report, not a crash
            first = source.text.find("\n")
            raise RuleError([Diagnostic(
                "E0005", "the file nests too deeply to check", source.span(0, first if first > 0 else 1),
                "an expression or a chain of definitions is hundreds of levels deep; split it into "
                "definitions of a few levels each",
            )]) from None

    def _load_source(self, source: SourceFile, resolved: Path | None) -> CheckedRegulation:
        parsed = parse(source)
        key = resolved or Path(source.name).resolve()
        self._loading.append(key)
        try:
            imports, diagnostics = self._imports(parsed, key)
        finally:
            self._loading.pop()
        if diagnostics:
            raise RuleError(diagnostics)
        canonical = printer.regulation(parsed.regulation)
        digest = hashlib.sha256(canonical.encode())
        for imp in imports:
            digest.update(b"\0" + imp.hash.encode())
        checker = Checker(parsed, imports, "sha256:" + digest.hexdigest(), canonical)
        checked = checker.run()
        if checked is None:
            raise RuleError(checker.diagnostics)
        self.cache[key] = checked
        return checked

    def _imports(self, parsed: ParsedFile, key: Path) -> tuple[tuple[CheckedRegulation, ...], list[Diagnostic]]:
        out: list[CheckedRegulation] = []
        diagnostics: list[Diagnostic] = []
        for imp in parsed.regulation.imports:
            if "\0" in imp.path:
                # no file system has such a name (and Path.resolve refuses it): the file cannot exist
                diagnostics.append(Diagnostic("E0110", "cannot find the imported file: its path holds a NUL "
                                              "character", imp.span, "write the path of a `.rules` file"))
                continue
            target = (key.parent / imp.path).resolve()
            if target in self._loading:
                chain = " -> ".join(f"`{p.name}`" for p in self._loading[self._loading.index(target):] + [target])
                diagnostics.append(Diagnostic("E0111", f"import cycle: {chain}", imp.span,
                                              "move what both files need into a third, shared module"))
                continue
            if len(self._loading) >= MAX_IMPORTS and target not in self.cache:
                diagnostics.append(Diagnostic(
                    "E0115", f"importing `{imp.path}` makes a chain of more than {MAX_IMPORTS} files, each "
                    "importing the next", imp.span,
                    "import the shared modules from the regulation itself, or merge small modules",
                ))
                continue
            if not target.is_file():
                diagnostics.append(Diagnostic("E0110", f"cannot find the imported file `{imp.path}`", imp.span,
                                              f"looked for {target}"))
                continue
            try:
                loaded = self.load(target)
            except RuleError as exc:
                diagnostics.extend(exc.diagnostics)
                continue
            # what an import imports comes along: one shared definition reaches every user
            for sub in (*_closure(loaded), loaded):
                if sub not in out:
                    out.append(sub)
        return tuple(out), diagnostics


def _closure(reg: CheckedRegulation) -> list[CheckedRegulation]:
    """Every file `reg` imports, directly or not, each before the files that import it. A loaded
    file's imports already hold that closure (see _imports); following them again would take time
    exponential in the length of a chain of imports."""
    return list(reg.imports)


def _os_message(path: str | Path, exc: Exception) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"cannot read `{path}`: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"cannot read `{path}`: it is a folder"
    if isinstance(exc, SourceError):
        return str(exc)
    return f"cannot read `{path}`: {exc}"


def load(path: str | Path) -> CheckedRegulation:
    return Loader().load(path)


def load_text(text: str, name: str = "<text>") -> CheckedRegulation:
    return Loader().load_source(SourceFile.from_text(name, text))
