"""A library of rule files: every `.rules` file below some folders, loaded with their imports,
checked, and indexed by regulation id. The CLI and the API both start from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eenvoud.diagnostics import Diagnostic, RuleError, did_you_mean
from eenvoud.dsl.load import Loader
from eenvoud.ir.checked import CheckedRegulation

SUFFIX = ".rules"


def rule_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The rule files named, and those below the folders named, in a stable order."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(q for q in p.rglob(f"*{SUFFIX}") if q.is_file())
        else:
            yield p


@dataclass
class Library:
    """Regulations and shared modules loaded from files; `diagnostics` holds every error found."""

    regulations: dict[str, CheckedRegulation] = field(default_factory=dict)
    modules: dict[str, CheckedRegulation] = field(default_factory=dict)
    # life events (`event` files): kept apart from `files`, which holds what has rules and tests
    events: dict[str, CheckedRegulation] = field(default_factory=dict)
    event_files: dict[Path, CheckedRegulation] = field(default_factory=dict)
    files: dict[Path, CheckedRegulation] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    failed: list[Path] = field(default_factory=list)

    @staticmethod
    def load(paths: Iterable[str | Path]) -> Library:
        lib = Library()
        loader = Loader()
        for path in rule_files(paths):
            try:
                reg = loader.load(path)
            except RuleError as exc:
                lib.diagnostics.extend(d for d in exc.diagnostics if d not in lib.diagnostics)
                lib.failed.append(path)
                continue
            if reg.is_event():
                lib._add_event(path, reg)
                continue
            lib.files[path] = reg
            target = lib.regulations if reg.is_regulation() else lib.modules
            prior = target.get(reg.name)
            if prior is not None and prior is not reg:
                lib.diagnostics.append(Diagnostic(
                    "E0109", f"two files declare the {reg.kind} `{reg.name}`", reg.regulation.span,
                    f"the other is {prior.file.name}; a regulation's name is its id in the API",
                ))
                lib.failed.append(path)
                continue
            target[reg.name] = reg
        lib._check_events()
        return lib

    def _add_event(self, path: Path, reg: CheckedRegulation) -> None:
        prior = self.events.get(reg.name)
        if prior is not None and prior is not reg:
            self.diagnostics.append(Diagnostic(
                "E0109", f"two files declare the event `{reg.name}`", reg.regulation.span,
                f"the other is {prior.file.name}",
            ))
            self.failed.append(path)
            return
        self.events[reg.name] = reg
        self.event_files[path] = reg

    def _check_events(self) -> None:
        """Every name an event includes is a regulation of this library (not a module)."""
        for event in self.events.values():
            for inc in event.regulation.includes:
                for name in inc.names:
                    if name in self.regulations:
                        continue
                    if name in self.modules:
                        message = f"the event `{event.name}` includes `{name}`, which is a module, not a regulation"
                        help_ = "an event bundles regulations: each decides eligibility on its own"
                    else:
                        message = f"the event `{event.name}` includes `{name}`, which is not a regulation of this library"
                        help_ = did_you_mean(name, self.regulations) or "load the folder that holds it as well"
                    self.diagnostics.append(Diagnostic("E0114", message, inc.span, help_))

    def event_regulations(self, event: CheckedRegulation) -> list[CheckedRegulation]:
        """The regulations a life event includes, in its order; unknown names are left out (and
        were reported by `load`)."""
        return [self.regulations[name] for name in event.included if name in self.regulations]

    def get(self, regulation_id: str) -> CheckedRegulation | None:
        return self.regulations.get(regulation_id)

    def raise_for_errors(self) -> None:
        if self.diagnostics:
            raise RuleError(self.diagnostics)
