"""What a batch run reports: its result, its bad rows, its errors; shared by the orchestration
(batch.py), the CSV reader (batch_csv.py) and the runners (batch_runners.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

EngineName = Literal["duckdb", "spark"]
Progress = Callable[[str, float | None], None]  # stage, fraction done (None: unknown)

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
SAMPLE = 20  # errors kept in the result for display; the errors file has all of them


class BatchError(Exception):
    """A mistake in the batch's files or options: a clear message, never a traceback."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    value: str | None
    message: str
    line: int | None = None  # the physical line of a CSV (the header is line 1)
    id: str | None = None  # the row's id column (the first column, or `--id`)

    def to_json(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message,
                "line": self.line, "id": self.id}


@dataclass
class BatchResult:
    regulation: str
    hash: str
    day: date
    engine: str
    output: Path
    people: int = 0
    decided: int = 0
    eligible: int = 0
    not_eligible: int = 0
    undetermined: int = 0
    bad_rows: int = 0
    errors: list[RowError] = field(default_factory=list)  # the first SAMPLE
    errors_path: Path | None = None
    engine_rows: int = 0  # rows the SQL left to the engine
    missing_columns: tuple[str, ...] = ()
    seconds: float = 0.0
    rows_in: int = 0  # = rows_out + error_rows, checked before the files are published
    rows_out: int = 0
    error_rows: int = 0  # rows the errors file names
    id_column: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "regulation": self.regulation, "hash": self.hash, "date": self.day.isoformat(),
            "engine": self.engine, "output": str(self.output), "people": self.people,
            "decided": self.decided, "eligible": self.eligible, "not_eligible": self.not_eligible,
            "undetermined": self.undetermined, "bad_rows": self.bad_rows,
            "errors": [e.to_json() for e in self.errors],
            "errors_file": str(self.errors_path) if self.errors_path else None,
            "engine_rows": self.engine_rows, "missing_columns": list(self.missing_columns),
            "seconds": round(self.seconds, 3),
            "rows_in": self.rows_in, "rows_out": self.rows_out, "error_rows": self.error_rows,
            "id_column": self.id_column,
            "metadata_file": str(meta_path_for(self.output)) if self.output.suffix.lower() == ".csv"
            or self.engine == "spark" else None,
        }


def errors_path_for(output: Path) -> Path:
    name = output.name
    for suffix in FORMATS:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return output.with_name(name + ".errors.csv")


def meta_path_for(output: Path) -> Path:
    """The sidecar with the regulation's hash and the date, beside a CSV output (a Parquet output
    carries them in its key-value metadata)."""
    return errors_path_for(output).with_name(errors_path_for(output).name[: -len(".errors.csv")] + ".meta.json")
