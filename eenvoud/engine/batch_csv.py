"""Reading a CSV input strictly: its header, and the physical line of each row, so that a row with
the wrong number of fields is a bad row named by its line, never a reason to misread the file."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from eenvoud.engine.batch_model import BatchError

# -- reading a CSV ---------------------------------------------------------------------------------

_GAP_CASES = 200  # up to this many gaps in the row numbers, a CASE; beyond, a join


def read_header(source: Path) -> list[str]:
    """The CSV's column names, checked before any work: none empty, none twice."""
    try:
        with source.open(encoding="utf-8-sig", newline="") as f:
            header = next(csv.reader(f), None)
    except UnicodeDecodeError:
        raise BatchError(f"cannot read {source}: it is not UTF-8 text") from None
    except csv.Error as exc:
        raise BatchError(f"cannot read {source}: its header: {exc}") from None
    if not header:
        raise BatchError(f"cannot read {source}: it has no header line (the first line names the columns)")
    names = [h.strip() for h in header]
    for k, name in enumerate(names, 1):
        if not name:
            raise BatchError(f"the header of {source} has no name for column {k}: every column needs one")
    seen: dict[str, int] = {}
    for k, name in enumerate(names, 1):
        if name in seen:
            raise BatchError(f"the header of {source} names `{name}` twice (columns {seen[name]} and {k}): "
                             "which one is meant cannot be told")
        seen[name] = k
    return names


def _field(line: str, index: int) -> str | None:
    """The field at `index` of one CSV line (the id of a row with the wrong number of fields)."""
    try:
        fields = next(csv.reader([line.strip("\r\n")]), [])
    except csv.Error:
        return None
    return fields[index].strip() if index < len(fields) else None


def _malformed_message(kind: str, message: str, width: int) -> str:
    import re

    m = re.search(r"Found: (\d+)", message)
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS") and m:
        return f"the row has {m.group(1)} fields, the header {width}"
    if kind == "MISSING COLUMNS":
        return f"the row has fewer fields than the header's {width}"
    if kind == "TOO MANY COLUMNS":
        return f"the row has more fields than the header's {width}"
    return f"the row cannot be read: {message.splitlines()[0] if message else kind.lower()}"


def _gap_steps(gaps: Sequence[int]) -> list[tuple[int, int]]:
    """For the sorted physical lines that are no row of their own (lines from 2), the pairs
    (k, j): j of them lie before the row that is the (k + 1)-th good one, or any later."""
    steps: dict[int, int] = {}
    for j, line in enumerate(gaps, 1):
        steps[line - 1 - j] = j  # the good rows before this gap: lines 2 .. line - 1 less the gaps before it
    return sorted(steps.items())


def _row_of_ordinal(ordinal: str, gaps: Sequence[int]) -> str:
    """The row (physical line less one) of the good row numbered `ordinal` from 1."""
    if not gaps:
        return ordinal
    if len(gaps) > _GAP_CASES:
        return ordinal  # unused: a join instead
    cases = " ".join(f"WHEN {ordinal} > {k} THEN {j}" for k, j in reversed(_gap_steps(gaps)))
    return f"{ordinal} + CASE {cases} ELSE 0 END"

