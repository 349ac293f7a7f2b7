"""A library of rule files: every `.rules` file below some folders, loaded with their imports,
checked, and indexed by regulation id. The CLI and the API both start from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eenvoud.diagnostics import Diagnostic, RuleError, did_you_mean
from eenvoud.dsl.load import Loader
from eenvoud.ir import nodes as n
from eenvoud.ir import printer
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation
from eenvoud.source import Span

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
        lib._check_shared_facts()
        return lib

    def _check_shared_facts(self) -> None:
        """One fact, one meaning: the facts of one case are one flat object across the library, so
        two files that declare an input of the same name must declare the same fact (same type and
        domain, same registry, same label); the fix is to declare it once, in a module, and import it
        (E0116). An input that another file defines (`define age = years_between(birth_date, ...)`)
        is a derived fact: the one-government answer derives it and checks a given value against it;
        the two must be of one kind."""
        inputs: dict[str, list[n.Input]] = {}
        defined: dict[str, tuple[n.Definition, CheckedRegulation]] = {}
        for reg in self.files.values():
            for decl in reg.regulation.declarations:
                if isinstance(decl, n.Input):
                    inputs.setdefault(decl.name, []).append(decl)
                elif isinstance(decl, n.Definition) and decl.name not in defined:
                    defined[decl.name] = (decl, reg)
        for name, decls in inputs.items():
            first = decls[0]
            for other in decls[1:]:
                differences = fact_differences(first, other)
                if differences:
                    self.diagnostics.append(Diagnostic(
                        "E0116",
                        f"the input `{name}` is declared here as {describe_input(other)} and at "
                        f"{_where(first.span)} as {describe_input(first)}: {', '.join(differences)} differ",
                        other.span,
                        f"one case has one `{name}`: declare it once in a module under rules/nl/common/ "
                        f"and import it in both (or give one of them another name if they are different facts)",
                    ))
            if name in defined:
                definition, holder = defined[name]
                derived = holder.symbols[name].type if name in holder.symbols else None
                if derived is not None and t.kind(derived) != t.kind(first.type):
                    self.diagnostics.append(Diagnostic(
                        "E0116",
                        f"the input `{name}` ({t.kind(first.type)}) is defined at {_where(definition.span)} as a "
                        f"`{t.kind(derived)}`: a derived fact must be of the input's kind",
                        first.span,
                        f"make the definition a `{t.kind(first.type)}`, or give the input another name",
                    ))

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


def _where(span: Span | None) -> str:
    """path:line:col, the path relative to the current folder when it is below it."""
    if span is None:
        return "<input>"
    try:
        name = str(Path(span.file.name).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        name = span.file.name
    return f"{name}:{span.line}:{span.column}"


def _same_label(a: str | None, b: str | None) -> bool:
    def norm(x: str | None) -> str:
        return " ".join((x or "").casefold().split()).rstrip(".:;")
    return norm(a) == norm(b)


def fact_differences(a: n.Input, b: n.Input) -> list[str]:
    """What two declarations of an input disagree on: its type (with domain), registry, label."""
    out = []
    if t.kind(a.type) != t.kind(b.type):
        out.append("the types")
    elif a.type != b.type:
        out.append("the domains")
    if (a.registry or None) != (b.registry or None):
        out.append("the registries")
    elif _binding(a) != _binding(b):
        out.append("the registry periods")
    if not _same_label(a.label, b.label):
        out.append("the labels (what is asked)")
    return out


def _binding(i: n.Input) -> str | None:
    """The registry binding as written (`from BRI for year - 2`), where the IR carries one."""
    text = getattr(i, "binding_text", None)
    return text() if callable(text) else (f"from {i.registry}" if i.registry else None)


def describe_input(i: n.Input) -> str:
    text = f"`{printer.type_text(i.type)}`"
    if i.label:
        text += f' "{i.label}"'
    binding = _binding(i)
    return text + (f" {binding}" if binding else " (asked)")
