"""Batch evaluation: a whole population decided by one regulation, on DuckDB (in-process, the
default) or on Apache Spark (a cluster, or `local[*]`).

The input is a CSV or Parquet file with one row per person and one column per input; any other
column (a BSN, a customer number) is carried to the output unchanged. The output has, per person,
`row` (the person's row number in the input, from 1), the carried columns, `eligible`
(true/false/empty when undetermined), each amount (0.00 when not eligible, empty when
undetermined) and `failed_requirement` (the first requirement that fails).

A bad row (a value of the wrong type, or outside the input's domain) is never decided, dropped or
coerced silently: it is left out of the output and reported, with its row number, column, value
and the reason, in the errors file beside the output (`RESULTS.errors.csv`), and the batch ends
with exit code 1 so that no pipeline takes a partial result for a whole one.

Three passes over the input: the first checks every row and counts the rows the SQL cannot decide
itself (where the engine would raise: see `eenvoud.engine.sql`), which the engine then decides one
by one; the second writes the decisions; the last counts the outcomes from the written file.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal, Protocol, cast

from sqlglot import exp

from eenvoud.diagnostics import did_you_mean
from eenvoud.engine.decision import judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.sql import ROW, Num, SqlProgram, alias, col, compile_sql
from eenvoud.engine.values import CENT, EvaluationError, Maybe, Value
from eenvoud.ir import types as t
from eenvoud.ir.checked import CheckedRegulation

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


# -- the engine, one person at a time ----------------------------------------------------------


def decide_row(prog: Program, facts: Mapping[str, Value]) -> dict[str, object]:
    """One person's batch row from the engine: what the SQL computes, and what the batch falls
    back on. Money in cents (half up, as the engine reports it). The outcome is the engine's
    (`decision.judge`); an error outcome raises EvaluationError."""
    verdict = judge(prog, Env(dict(facts)), full=False)
    if verdict.error is not None:
        raise EvaluationError(verdict.error.message, verdict.error.span)
    failed: str | None = None
    for (req, _c, _x), (status, *_rest) in zip(prog.requirements, verdict.statuses, strict=False):
        if status == "fails":
            failed = req.name
            break
    row: dict[str, object] = {"eligible": verdict.eligible}
    for amount, _fn in prog.amounts:
        value = verdict.amounts[amount.name]
        if value is not None and isinstance(prog.reg.symbols[amount.name].type, t.MoneyType):
            # outside the exact context, where this rounding (to report cents) is meant
            value = Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)  # type: ignore[arg-type]
        row[amount.name] = value
    row["failed_requirement"] = failed
    return row


# -- the batch ---------------------------------------------------------------------------------


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


def _temp_for(path: Path) -> Path:
    """A name in the same folder that no reader takes for a finished file: hidden, `.tmp`."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _check_paths(source: Path, target: Path, sidecars: Sequence[Path], engine: str) -> None:
    """Before any work: the input is not overwritten, and every file can be written."""
    for p in (target, *sidecars):
        if _same_file(source, p):
            raise BatchError(f"the output {p} is the input: the results would overwrite the people; "
                             "choose another output")
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"cannot create the output folder {folder}: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise BatchError(f"the output folder {folder} is not a folder")
    for p in (target, *sidecars) if engine == "duckdb" else sidecars:
        if p.is_dir():
            raise BatchError(f"cannot write {p}: it is a folder")
    probe = _temp_for(folder / "probe")
    try:
        probe.open("x").close()
        probe.unlink()
    except OSError as exc:
        raise BatchError(f"cannot write in the output folder {folder}: {exc.strerror or exc}") from None


def _publish(temp: Path, final: Path) -> None:
    """Rename a finished file (or Spark's folder) to its final name."""
    if final.is_dir() and not final.is_symlink():
        shutil.rmtree(final)
    os.replace(temp, final)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def run_batch(reg: CheckedRegulation, day: date, input_path: str | Path, output_path: str | Path, *,
              engine: EngineName = "duckdb", progress: Progress | None = None,
              spark_master: str | None = None, threads: int | None = None,
              id_column: str | None = None) -> BatchResult:
    """Decide every person in `input_path` and write the results to `output_path`.

    The output, the errors file and (for CSV, and on Spark) the sidecar with the hash and the date
    are written under temporary names in the output's folder and renamed only when all are
    complete and every row in is a row out or a row in the errors file: the output last, after
    any earlier output was removed, so that a run that fails or is killed leaves no output that
    looks complete. `id_column` (default: the input's first column) is carried to the errors file."""
    started = time.perf_counter()
    source, target = Path(input_path), Path(output_path)
    in_format = FORMATS.get(source.suffix.lower())
    out_format = FORMATS.get(target.suffix.lower())
    if in_format is None:
        raise BatchError(f"the input {source} is neither .csv nor .parquet")
    if out_format is None:
        raise BatchError(f"the output {target} is neither .csv nor .parquet")
    if not source.exists():
        raise BatchError(f"no such input file: {source}")
    if source.is_dir() and engine == "duckdb":
        raise BatchError(f"the input {source} is a folder")
    errors_file = errors_path_for(target)
    meta_file = meta_path_for(target) if out_format == "csv" or engine == "spark" else None
    sidecars = [errors_file] + ([meta_file] if meta_file else [])
    _check_paths(source, target, sidecars, engine)
    if engine == "spark":
        prog = compile_sql(reg, day, "spark")
        runner: _Runner = _SparkRunner(prog, spark_master or "local[*]")
    elif engine == "duckdb":
        prog = compile_sql(reg, day, "duckdb")
        runner = _DuckRunner(prog, threads)
    else:
        raise BatchError(f"unknown engine `{engine}`: duckdb or spark")
    report = progress or (lambda stage, fraction: None)
    result = BatchResult(reg.name, reg.hash, day, engine, target)
    temp_output, temp_errors = _temp_for(target), _temp_for(errors_file)
    temp_meta = _temp_for(meta_file) if meta_file else None
    metadata = {"eenvoud.regulation": reg.name, "eenvoud.hash": reg.hash, "eenvoud.date": day.isoformat()}
    try:
        runner.id_column = id_column
        runner.open(source, in_format)
        if id_column is not None and id_column not in runner.schema:
            raise BatchError(f"`--id {id_column}`: the input has no such column")
        ident = id_column or next((c for c in runner.schema if c != ROW), None)
        result.id_column = ident
        passthrough, result.missing_columns = _columns(prog, runner.schema)
        malformed = list(runner.malformed)
        key = (tuple(runner.schema.items()), tuple(passthrough))
        built = prog.built.get(key)
        if built is None:
            parsed = prog.parse(exp.table_("__people"), runner.schema, passthrough)
            decided = prog.decide(parsed, passthrough, internal=True, extra=("__bad",))
            built = prog.built[key] = (parsed, decided, prog.sql(decided))
        parsed, decided, rendered = cast(tuple[exp.Select, exp.Select, str], built)
        # every row decided, the bad ones too (their bad values are NULL): Spark computes this
        # once and keeps it; DuckDB computes only what each query reads
        every = runner.prepare(decided, rendered)

        # a first pass counts the rows the engine must decide; a regulation without a division by
        # a variable, a bracket or date arithmetic has none, and DuckDB then goes straight on
        flagged = 0
        good = 0
        checked = bool(prog.flags) or engine == "spark"
        if checked:
            report("checking", 0.0)
            counts = exp.select(
                alias(exp.Count(this=exp.Star()), "people"),
                alias(exp.Sum(this=_flag(col("__bad"))), "bad"),
                alias(exp.Sum(this=_flag(exp.and_(exp.not_(col("__bad")), col("__needs_engine")))), "flagged"),
            ).from_(every)
            people, bad, flagged = runner.one(counts, "checking", report)
            good = int(people or 0)

        evaluation_errors: list[RowError] = []
        engine_rows: list[dict[str, object]] = []
        if flagged:
            report("engine", None)
            program = Program(reg, day)
            ident_engine = _engine_id_expr(prog, ident, passthrough)
            pick = exp.select(col("row"), ident_engine, *(col(f"__i_{i.name}") for i in prog.inputs)).from_(every).where(
                exp.and_(exp.not_(col("__bad")), col("__needs_engine")))
            for values in runner.rows(pick):
                row, facts = int(values[0]), {i.name: x for i, x in zip(prog.inputs, values[2:], strict=True)
                                              if x is not None}
                try:
                    engine_rows.append({"row": row, "__error": False, **decide_row(program, facts)})
                except EvaluationError as exc:
                    evaluation_errors.append(RowError(row, None, None, f"the rules cannot be evaluated: {exc}",
                                                      id=None if values[1] is None else str(values[1])))
                    engine_rows.append({"row": row, "__error": True})
            result.engine_rows = len(engine_rows)

        if engine_rows:
            runner.register_engine_rows(engine_rows)
            final = _merged(prog, every, passthrough, engine == "duckdb")
        else:
            outputs = [col("row"), *(col(p) for p in passthrough), *(col(o.name) for o in prog.outputs)]
            final = exp.select(*outputs).from_(every).where(exp.not_(col("__bad")))
        report("deciding", 0.0)
        runner.write(final, temp_output, out_format, report, metadata)

        report("counting", None)
        result.decided, result.eligible, result.not_eligible, result.undetermined = \
            runner.count_outcomes(final, temp_output, out_format)
        if not checked:
            good = int(runner.one(exp.select(exp.Count(this=exp.Star())).from_("__people"), "counting", report)[0])
        result.people = good + len(malformed)  # the rows in: read, and the ones that could not be
        result.bad_rows = result.people - result.decided  # bad values, unreadable rows, rows the rules cannot decide

        error_rows = 0
        if result.bad_rows:
            report("errors", None)
            result.errors_path = errors_file
            result.errors, error_rows = runner.write_errors(_errors_query(prog, parsed, ident),
                                                            [*malformed, *evaluation_errors], temp_errors,
                                                            in_format == "csv" and engine == "duckdb")
        result.rows_in, result.rows_out, result.error_rows = result.people, result.decided, error_rows
        if result.rows_in != result.rows_out + result.error_rows:
            raise BatchError(f"the rows do not add up: {result.rows_in:,} in, {result.rows_out:,} out and "
                             f"{result.error_rows:,} in the errors file; nothing was written")
        if meta_file and temp_meta:
            temp_meta.write_text(json.dumps({
                **{k.removeprefix("eenvoud."): v for k, v in metadata.items()}, "engine": engine,
                "output": target.name, "errors_file": errors_file.name if error_rows else None,
                "rows_in": result.rows_in, "rows_out": result.rows_out, "error_rows": result.error_rows},
                indent=2) + "\n", encoding="utf-8")
        # published: an earlier output first removed, then the errors file and the sidecar, the
        # output last (its final name is the sign that the run is complete)
        _remove(target)
        if error_rows:
            _publish(temp_errors, errors_file)
        else:
            errors_file.unlink(missing_ok=True)  # a stale report from an earlier run would be read as this one's
        if meta_file and temp_meta:
            _publish(temp_meta, meta_file)
        _publish(temp_output, target)
    except OSError as exc:
        where = exc.filename or target.parent
        raise BatchError(f"cannot write {where}: {exc.strerror or exc}") from None
    finally:
        runner.close()
        for temp in (temp_output, temp_errors, temp_meta):
            if temp is not None:
                _remove(temp)
    result.seconds = time.perf_counter() - started
    return result


def _engine_id_expr(prog: SqlProgram, ident: str | None, passthrough: Sequence[str]) -> exp.Expr:
    """The id column in the decided rows (an input is there typed, as `__i_x`)."""
    if ident is None or (ident not in passthrough and ident not in {i.name for i in prog.inputs}):
        return _cast_text(exp.Null())
    return _cast_text(col(ident if ident in passthrough else f"__i_{ident}"))


def _flag(e: exp.Expr) -> exp.Expr:
    return exp.Case().when(e, exp.Literal.number(1)).else_(exp.Literal.number(0))


def _columns(prog: SqlProgram, schema: Mapping[str, str]) -> tuple[list[str], tuple[str, ...]]:
    """The columns carried to the output, and the inputs the file lacks (unknown for everyone).
    A column that looks like a misspelt input is an error: it would leave that input unknown."""
    inputs = [i.name for i in prog.inputs]
    outputs = {"row", *prog.output_names}
    passthrough: list[str] = []
    missing = tuple(i for i in inputs if i not in schema)
    for name in schema:
        if name == ROW:
            continue
        if name.startswith("__"):
            raise BatchError(f"the input column `{name}`: names starting with two underscores are reserved")
        if name in inputs:
            continue
        if name in outputs:
            raise BatchError(f"the input column `{name}` has the name of an output column; rename it")
        hint = did_you_mean(name, missing)
        if hint:
            raise BatchError(f"the input column `{name}` is not an input of `{prog.reg.name}`; {hint}")
        passthrough.append(name)
    return passthrough, missing


def _id_expr(prog: SqlProgram, id_column: str | None) -> exp.Expr:
    """The id column as text in the parsed rows (an input is there as `__t_x`)."""
    if id_column is None:
        return _cast_text(exp.Null())
    if id_column in {i.name for i in prog.inputs}:
        return col(f"__t_{id_column}")
    return _cast_text(col(id_column))


def _cast_text(e: exp.Expr) -> exp.Expr:
    return exp.Cast(this=e, to=exp.DataType.build("VARCHAR"))


def _errors_query(prog: SqlProgram, parsed: exp.Select, id_column: str | None) -> exp.Expr | None:
    parts: list[exp.Select] = []
    for i in prog.inputs:
        parts.append(exp.select(alias(col(ROW), "row"), alias(exp.Literal.string(i.name), "column"),
                                alias(col(f"__t_{i.name}"), "value"), alias(col(f"__e_{i.name}"), "message"),
                                alias(_id_expr(prog, id_column), "id"))
                     .from_(parsed.subquery("__p")).where(exp.not_(exp.Is(this=col(f"__e_{i.name}"), expression=exp.Null()))))
    if not parts:
        return None
    union: exp.Expr = parts[0]
    for part in parts[1:]:
        union = exp.union(union, part, distinct=False)
    return exp.select(exp.Star()).from_(exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("__errors"))))


def _merged(prog: SqlProgram, every: exp.Expr, passthrough: Sequence[str], ordered: bool) -> exp.Select:
    """The SQL decisions with the engine's for the rows it decided, without the bad rows and the
    rows the engine could not decide."""
    decided = exp.select(exp.Star()).from_(every).where(exp.not_(col("__bad")))
    projections: list[exp.Expr] = [exp.column("row", table="d", quoted=True)]
    projections += [exp.column(p, table="d", quoted=True) for p in passthrough]
    from_engine = exp.Not(this=exp.Is(this=exp.column("row", table="e", quoted=True), expression=exp.Null()))
    for o in prog.outputs:
        projections.append(alias(exp.Case().when(from_engine, exp.column(o.name, table="e", quoted=True))
                                 .else_(exp.column(o.name, table="d", quoted=True)), o.name))
    query = (exp.select(*projections).from_(decided.subquery("d"))
             .join(exp.table_("__engine", alias="e"), on=exp.EQ(this=exp.column("row", table="d", quoted=True),
                                                              expression=exp.column("row", table="e", quoted=True)),
                   join_type="left")
             .where(exp.Not(this=exp.Coalesce(this=exp.column("__error", table="e", quoted=True),
                                              expressions=[exp.false()]))))
    if ordered:
        query = query.order_by(exp.Ordered(this=exp.column("row", table="d", quoted=True)))
    return query


def _engine_schema(prog: SqlProgram) -> list[tuple[str, str]]:
    out = [("row", "BIGINT"), ("__error", "BOOLEAN")]
    for o in prog.outputs:
        out.append((o.name, _type_name(o.type)))
    return out


def _typed(value: object, typ: object) -> object:
    """An engine value as the Python type Spark wants for the column (Decimal for a DECIMAL)."""
    if isinstance(typ, Num) and isinstance(value, int | Decimal) and not isinstance(value, bool):
        return int(value) if typ.integer else Decimal(value)
    return value


def _type_name(typ: object) -> str:
    if isinstance(typ, Num):
        return "BIGINT" if typ.integer else f"DECIMAL({typ.p}, {typ.s})"
    return {"bool": "BOOLEAN", "date": "DATE", "text": "VARCHAR"}[typ]  # type: ignore[index]


def _write_error_rows(path: Path, rows: Iterator[Sequence[object]], extra: Sequence[RowError],
                      csv_lines: bool) -> tuple[list[RowError], int]:
    """The errors file, in row order: its first SAMPLE entries, and how many rows it names.
    Columns `row,column,value,message,line,id` (`line`, the CSV's physical line, is empty for
    Parquet)."""
    sample: list[RowError] = []
    pending = sorted(extra, key=lambda e: e.row)
    named: set[int] = set()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["row", "column", "value", "message", "line", "id"])

        def put(e: RowError) -> None:
            line = e.line if e.line is not None else (e.row + 1 if csv_lines else None)
            w.writerow([e.row, e.column or "", "" if e.value is None else e.value, e.message,
                        "" if line is None else line, "" if e.id is None else e.id])
            named.add(e.row)
            if len(sample) < SAMPLE:
                sample.append(RowError(e.row, e.column, e.value, e.message, line, e.id))

        for r in rows:
            e = RowError(int(r[0]), str(r[1]), None if r[2] is None else str(r[2]), str(r[3]),  # type: ignore[call-overload]
                         id=None if r[4] is None else str(r[4]))
            while pending and pending[0].row <= e.row:
                put(pending.pop(0))
            put(e)
        for e in pending:
            put(e)
    return sample, len(named)


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


# -- runners -----------------------------------------------------------------------------------


class _Runner(Protocol):
    schema: dict[str, str]
    id_column: str | None  # set before `open`: the column that names a row that cannot be read
    malformed: list[RowError]  # after `open`: the rows with the wrong number of fields

    def open(self, source: Path, fmt: str) -> None: ...
    def prepare(self, every: exp.Select, rendered: str) -> exp.Expr: ...
    def one(self, query: exp.Expr, stage: str, report: Progress) -> tuple[Any, ...]: ...
    def rows(self, query: exp.Expr) -> Iterator[tuple[Any, ...]]: ...
    def write_errors(self, query: exp.Expr | None, extra: Sequence[RowError], path: Path,
                     csv_lines: bool) -> tuple[list[RowError], int]: ...
    def register_engine_rows(self, rows: list[dict[str, object]]) -> None: ...
    def write(self, query: exp.Expr, target: Path, fmt: str, report: Progress,
              metadata: Mapping[str, str]) -> None: ...
    def count_outcomes(self, final: exp.Expr, target: Path, fmt: str) -> tuple[int, int, int, int]: ...
    def close(self) -> None: ...


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class _DuckRunner(_Runner):
    def __init__(self, prog: SqlProgram, threads: int | None):
        import duckdb

        self.duckdb = duckdb
        self.prog = prog
        self.id_column: str | None = None
        self.malformed: list[RowError] = []
        self.ordered = False
        self.con = duckdb.connect()
        # the output keeps the input's order; a row number means the same person in both
        self.con.execute("SET preserve_insertion_order = true")
        # progress is tracked (for `query_progress`, read by the CLI's bar) but never printed by DuckDB
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")

    def _sql(self, query: exp.Expr) -> str:
        return query.sql(dialect="duckdb")

    def open(self, source: Path, fmt: str) -> None:
        self.malformed = []
        self.ordered = False  # whether the row numbers need the output sorted
        try:
            if fmt == "parquet":
                scan = f"read_parquet({_quote(source)}, file_row_number = true)"
                select = f"SELECT file_row_number + 1 AS {ROW}, * EXCLUDE (file_row_number) FROM {scan}"
            else:
                select = self._open_csv(source)
            self.con.execute(f"CREATE TEMP VIEW __people AS {select}")
            described = self.con.execute("DESCRIBE SELECT * FROM __people").fetchall()
        except self.duckdb.Error as exc:
            raise BatchError(f"cannot read {source}: {_first_line(exc)}") from None
        self.schema = {str(r[0]): str(r[1]) for r in described}

    def _open_csv(self, source: Path) -> str:
        """The CSV read with its own header's columns, every field as text (the sniffer would
        guess types: 1.50 as a float, or the whole file as one column), a strict field count per
        row, and the row numbers of the physical lines (`row` N is on line N + 1): a row with the
        wrong number of fields is a bad row (`self.malformed`), a blank line is no row and shifts
        no other, a quoted field may span lines."""
        header = read_header(source)
        self.header = header
        columns = "{" + ", ".join(f"{_quote(name)}: 'VARCHAR'" for name in header) + "}"
        dialect = (f"header = true, columns = {columns}, auto_detect = false, delim = ',', quote = '\"', "
                   "escape = '\"', strict_mode = true, null_padding = false, max_line_size = 16777216")
        # pass 0: the rows with the wrong number of fields, by physical line (DuckDB skips them)
        self.con.execute("DROP TABLE IF EXISTS __rejects; DROP TABLE IF EXISTS __scans")
        good = int(self.con.execute(
            f"SELECT count(*) FROM read_csv({_quote(source)}, {dialect}, store_rejects = true, "
            "rejects_table = '__rejects', rejects_scan = '__scans', rejects_limit = 0)").fetchall()[0][0])
        # (fetched whole: DuckDB writes the rejects table when the query ends)
        rejected = self.con.execute(
            "SELECT line, min(error_type), min(error_message), min(csv_line) FROM __rejects "
            "GROUP BY line ORDER BY line").fetchall()
        # the physical lines: blank ones and the continuations of a quoted field are no row
        lines = (f"read_csv({_quote(source)}, header = false, columns = {{'l': 'VARCHAR'}}, auto_detect = false, "
                 "delim = E'\\x01\\x02\\x03\\x04', quote = '', escape = '', strict_mode = false, "
                 "max_line_size = 16777216)")
        numbered = f"SELECT row_number() OVER () AS n, l, length(l) - length(replace(l, '\"', '')) AS q FROM {lines}"
        total, blank, odd = self.con.execute(
            f"SELECT count(*), count(*) FILTER (n > 1 AND (l IS NULL OR trim(l, E'\\r') = '')), "
            f"count(*) FILTER (q % 2 = 1) FROM ({numbered})").fetchall()[0]
        gaps: list[int] = []
        continued: list[int] = []  # the lines inside a quoted field, after its first
        if odd:  # a quoted field spans lines: a line starts a row when the quotes before it are paired
            for n, inside in self.con.execute(
                    f"SELECT n, before % 2 = 1 FROM (SELECT n, l, coalesce(sum(q) OVER (ORDER BY n ROWS BETWEEN "
                    f"UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before FROM ({numbered})) WHERE n > 1 AND "
                    "(before % 2 = 1 OR l IS NULL OR trim(l, E'\\r') = '') ORDER BY n").fetchall():
                gaps.append(int(n))
                if inside:
                    continued.append(int(n))
        elif blank:
            gaps = [int(r[0]) for r in self.con.execute(
                f"SELECT n FROM ({numbered}) WHERE n > 1 AND (l IS NULL OR trim(l, E'\\r') = '') ORDER BY n").fetchall()]
        starts = int(total) - 1 - len(gaps)
        if starts != good + len(rejected):
            first = self.con.execute(f"SELECT min(n) FROM ({numbered}) WHERE q % 2 = 1").fetchall()[0][0]
            where = f" (an unpaired quote on line {first})" if first is not None else ""
            raise BatchError(f"cannot read {source}: its rows cannot be told apart{where}; "
                             f"{starts:,} lines start a row, the CSV reader found {good + len(rejected):,}")
        # DuckDB numbers a rejected row's line without the lines inside quoted fields before it
        id_at = header.index(self.id_column) if self.id_column in header else 0
        no_row = set(gaps)
        for counted, kind, message, text in rejected:
            line = int(counted)
            for c in continued:
                if c > line:
                    break
                line += 1
            if line in no_row or line < 2:
                raise BatchError(f"cannot read {source}: its rows cannot be told apart near line {line}")
            self.malformed.append(RowError(line - 1, None, None, _malformed_message(str(kind), str(message),
                                                                                     len(header)),
                                           line=line, id=_field(str(text or ""), id_at)))
        gaps = sorted(no_row | {e.line for e in self.malformed if e.line is not None})
        row = _row_of_ordinal("__g", gaps)
        self.ordered = len(gaps) > _GAP_CASES
        if self.ordered:  # many gaps: an ASOF join on the count of rows before each gap
            values = ", ".join(f"({k}, {j})" for k, j in _gap_steps(gaps))
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE __gaps AS SELECT * FROM (VALUES {values}) AS t(k, j)")
            return (f"SELECT __g + coalesce(__gaps.j, 0) AS {ROW}, * EXCLUDE (__g, k, j) FROM "
                    f"(SELECT row_number() OVER () AS __g, * FROM read_csv({_quote(source)}, {dialect}, "
                    f"ignore_errors = true)) AS __c ASOF LEFT JOIN __gaps ON __c.__g > __gaps.k")
        return (f"SELECT {row} AS {ROW}, * EXCLUDE (__g) FROM (SELECT row_number() OVER () AS __g, * FROM "
                f"read_csv({_quote(source)}, {dialect}, ignore_errors = true))")

    def prepare(self, every: exp.Select, rendered: str) -> exp.Expr:
        # a view: the queries that read it are short to write and to plan
        self._run(f"CREATE TEMP VIEW __every AS {rendered}")
        return exp.table_("__every")

    @contextmanager
    def _watch(self, stage: str, report: Progress) -> Iterator[None]:
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(0.25):
                try:
                    done = self.con.query_progress()
                except Exception:  # the query ended between two looks
                    return
                if done is not None and done >= 0:
                    report(stage, min(1.0, done / 100))

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join()
            report(stage, 1.0)

    def _run(self, sql: str) -> Any:
        try:
            return self.con.execute(sql)
        except self.duckdb.Error as exc:
            raise BatchError(f"the batch failed in DuckDB: {_first_line(exc)}") from None

    def one(self, query: exp.Expr, stage: str, report: Progress) -> tuple[Any, ...]:
        with self._watch(stage, report):
            row = self._run(self._sql(query)).fetchone()
        assert row is not None
        return tuple(row)

    def rows(self, query: exp.Expr) -> Iterator[tuple[Any, ...]]:
        cursor = self._run(self._sql(query))
        while batch := cursor.fetchmany(10_000):
            yield from batch

    def write_errors(self, query: exp.Expr | None, extra: Sequence[RowError], path: Path,
                     csv_lines: bool) -> tuple[list[RowError], int]:
        found: Iterator[Sequence[object]] = iter(())
        if query is not None:
            ordered = exp.select(exp.Star()).from_(query.subquery("__e")).order_by("row", "column")  # type: ignore[attr-defined]
            found = self.rows(ordered)
        return _write_error_rows(path, found, extra, csv_lines)

    def register_engine_rows(self, rows: list[dict[str, object]]) -> None:
        schema = _engine_schema(self.prog)
        names = [name for name, _ in schema]
        columns = ", ".join(f'"{name}" {typ}' for name, typ in schema)
        self._run(f"CREATE TEMP TABLE __engine ({columns})")
        marks = ", ".join("?" for _ in names)
        self.con.executemany(f"INSERT INTO __engine VALUES ({marks})", [[r.get(n) for n in names] for r in rows])

    def write(self, query: exp.Expr, target: Path, fmt: str, report: Progress,
              metadata: Mapping[str, str]) -> None:
        if fmt == "parquet":
            kv = ", ".join(f'"{k}": {_quote(v)}' for k, v in metadata.items())
            options = f"FORMAT parquet, KV_METADATA {{{kv}}}"
        else:
            options = "FORMAT csv, HEADER true"
        if self.ordered and isinstance(query, exp.Select) and not query.args.get("order"):
            query = query.order_by(exp.Ordered(this=col("row")))
        with self._watch("deciding", report):
            self._run(f"COPY ({self._sql(query)}) TO {_quote(target)} ({options})")

    def count_outcomes(self, final: exp.Expr, target: Path, fmt: str) -> tuple[int, int, int, int]:
        # from the file just written: cheaper than deciding everyone again
        scan = f"read_parquet({_quote(target)})" if fmt == "parquet" else \
            f"read_csv({_quote(target)}, header = true, all_varchar = true)"
        truth = "eligible" if fmt == "parquet" else "CAST(eligible AS BOOLEAN)"
        row = self._run(f"SELECT count(*), count(*) FILTER ({truth}), count(*) FILTER (NOT {truth}), "
                        f"count(*) FILTER ({truth} IS NULL) FROM {scan}").fetchone()
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def close(self) -> None:
        self.con.close()


class _SparkRunner(_Runner):
    """The same compiled SQL on Apache Spark. The output is a folder of part files (Spark's way);
    the errors file is one CSV written by the driver."""

    def __init__(self, prog: SqlProgram, master: str):
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise BatchError("`--engine spark` needs pyspark: pip install 'eenvoud[spark]' (and Java 17)") from None
        self.prog = prog
        try:
            self.spark = spark_session(master)
        except Exception as exc:  # no Java, or a cluster that does not answer
            raise BatchError(f"cannot start Spark at {master}: {_first_line(exc)}") from None
        self._session = SparkSession
        self.kept: list[Any] = []
        self.id_column: str | None = None
        self.malformed: list[RowError] = []

    def _sql(self, query: exp.Expr) -> str:
        return query.sql(dialect="spark")

    def _df(self, query: exp.Expr) -> Any:
        try:
            return self.spark.sql(self._sql(query))
        except Exception as exc:
            raise BatchError(f"the batch failed in Spark: {_first_line(exc)}") from None

    def open(self, source: Path, fmt: str) -> None:
        from pyspark.sql import functions as F

        try:
            if fmt == "parquet":
                df = self.spark.read.parquet(str(source))
            else:
                # every field as text (no schema inference), the header's own names, checked first;
                # a row with the wrong number of fields is a bad row (Spark gives no line numbers:
                # the row is the record's number, docs/scale.md)
                from pyspark.sql.types import StringType, StructField, StructType

                header = read_header(source) if source.is_file() else None
                if header is not None:
                    # every field parsed, whatever a query reads: with pruning, Spark counts only the
                    # fields it reads, and a short row would pass for one with unknown facts
                    self.spark.conf.set("spark.sql.csv.parser.columnPruning.enabled", "false")
                    fields = [StructField(h, StringType()) for h in header] + [StructField(_CORRUPT, StringType())]
                    df = (self.spark.read.option("header", True).option("mode", "PERMISSIVE")
                          .option("columnNameOfCorruptRecord", _CORRUPT).schema(StructType(fields)).csv(str(source)))
                else:
                    df = self.spark.read.option("header", True).option("mode", "FAILFAST").csv(str(source))
            # row numbers in file order without a single-partition window: the position within a
            # partition (monotonically_increasing_id's low 33 bits) plus the rows of the partitions before
            df = df.withColumn("__pid", F.spark_partition_id()).withColumn("__mid", F.monotonically_increasing_id())
            sizes = sorted((r[0], r[1]) for r in df.groupBy("__pid").count().collect())
        except BatchError:
            raise
        except Exception as exc:
            raise BatchError(f"cannot read {source}: {_first_line(exc)}") from None
        offsets, total = [], 0
        for pid, count in sizes:
            offsets.append((pid, total))
            total += count
        base = self.spark.createDataFrame(offsets or [(0, 0)], "__pid INT, __base BIGINT")
        df = (df.join(F.broadcast(base), "__pid")
              .withColumn(ROW, F.col("__base") + (F.col("__mid") - F.shiftleft(F.col("__pid").cast("bigint"), 33)) + 1)
              .drop("__pid", "__mid", "__base"))
        if _CORRUPT in df.columns:
            width = len(df.columns) - 2
            id_at = df.columns.index(self.id_column) if self.id_column in df.columns else 0
            try:
                # (with a column of the file too: Spark refuses a query of its corrupt-record column alone)
                broken = self._collect(df.where(F.col(_CORRUPT).isNotNull())
                                       .select(ROW, _CORRUPT, df.columns[0]).orderBy(ROW))
            except BatchError as exc:
                raise BatchError(f"cannot read {source}: {exc}") from None
            for row, text, _first in broken:
                text = str(text)
                if text.count('"') % 2:  # a quoted field over lines: Spark would read its rest as a row
                    raise BatchError(f"cannot read {source} on Spark: a quoted field spans lines (row {row}); "
                                     "read it with DuckDB, or as Parquet")
                count = len(next(csv.reader([text]), []))
                self.malformed.append(RowError(int(row), None, None, f"the row has {count} fields, the header {width}",
                                               id=_field(text, id_at)))
            df = df.where(F.col(_CORRUPT).isNull()).drop(_CORRUPT)
        df.createOrReplaceTempView("__people")
        self.schema = {name: typ for name, typ in df.dtypes}

    def prepare(self, every: exp.Select, rendered: str) -> exp.Expr:
        from pyspark import StorageLevel

        # decided once and kept (spilling to disk when large): the counts, the rows for the
        # engine and the output all read it
        df = self._df(every).persist(StorageLevel.MEMORY_AND_DISK)
        self.kept.append(df)
        df.createOrReplaceTempView("__every")
        return exp.table_("__every")

    def one(self, query: exp.Expr, stage: str, report: Progress) -> tuple[Any, ...]:
        report(stage, None)
        rows = self._collect(self._df(query))
        return tuple(rows[0])

    def _collect(self, df: Any) -> list[Any]:
        try:
            return list(df.collect())
        except Exception as exc:
            raise BatchError(f"the batch failed in Spark: {_first_line(exc)}") from None

    def rows(self, query: exp.Expr) -> Iterator[tuple[Any, ...]]:
        for r in self._collect(self._df(query)):
            yield tuple(r)

    def write_errors(self, query: exp.Expr | None, extra: Sequence[RowError], path: Path,
                     csv_lines: bool) -> tuple[list[RowError], int]:
        found: Iterator[Sequence[object]] = iter(())
        if query is not None:
            ordered = exp.select(exp.Star()).from_(query.subquery("__e")).order_by("row", "column")  # type: ignore[attr-defined]
            found = (tuple(r) for r in self._df(ordered).toLocalIterator())
        return _write_error_rows(path, found, extra, csv_lines)

    def register_engine_rows(self, rows: list[dict[str, object]]) -> None:
        schema = _engine_schema(self.prog)
        ddl = ", ".join(f"`{name}` {typ.replace('VARCHAR', 'STRING')}" for name, typ in schema)
        types = {o.name: o.type for o in self.prog.outputs}
        data = [tuple(_typed(r.get(name), types.get(name)) for name, _ in schema) for r in rows]
        self.spark.createDataFrame(data, ddl).createOrReplaceTempView("__engine")

    def write(self, query: exp.Expr, target: Path, fmt: str, report: Progress,
              metadata: Mapping[str, str]) -> None:
        report("deciding", None)
        writer = self._df(query).write.mode("overwrite")
        try:
            if fmt == "parquet":
                writer.parquet(str(target))
            else:
                writer.option("header", True).csv(str(target))
        except Exception as exc:
            raise BatchError(f"the batch failed in Spark: {_first_line(exc)}") from None
        report("deciding", 1.0)

    def count_outcomes(self, final: exp.Expr, target: Path, fmt: str) -> tuple[int, int, int, int]:
        from pyspark.sql import functions as F

        df = self._df(final)  # from the kept decisions: cheaper than reading the part files back
        e = F.col("eligible")
        row = df.agg(F.count(F.lit(1)), F.count(F.when(e, 1)), F.count(F.when(~e, 1)),
                     F.count(F.when(e.isNull(), 1))).collect()[0]
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    def close(self) -> None:
        # the session is kept for the next batch in this process; Spark stops it at exit
        for df in self.kept:
            df.unpersist()


_SPARK_LOCK = threading.Lock()
_CORRUPT = "__unreadable"  # Spark's column for a row it cannot read


def spark_session(master: str = "local[*]") -> Any:
    """A Spark session that computes decimals exactly: ANSI mode (overflow is an error, never a
    NULL) and no precision loss in decimal arithmetic (Spark would otherwise round products to
    fit 38 digits). Local sessions listen on the loopback address only."""
    from pyspark.sql import SparkSession

    with _SPARK_LOCK:
        builder = (SparkSession.builder.master(master).appName("eenvoud batch")
                   .config("spark.sql.ansi.enabled", "true")
                   .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false"))
        if master.startswith("local"):
            builder = (builder.config("spark.driver.host", "127.0.0.1")
                       .config("spark.driver.bindAddress", "127.0.0.1")
                       .config("spark.sql.shuffle.partitions", "4"))
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("FATAL")  # the batch reports its own errors
        return session


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = ["BatchError", "BatchResult", "RowError", "decide_row", "run_batch", "spark_session", "Maybe"]
