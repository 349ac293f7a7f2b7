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

import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import cast

from sqlglot import exp

from eenvoud.diagnostics import did_you_mean
from eenvoud.engine.batch_model import (
    FORMATS,
    BatchError,
    BatchResult,
    EngineName,
    Progress,
    RowError,
    errors_path_for,
    meta_path_for,
)
from eenvoud.engine.batch_runners import (
    _DuckRunner,
    _Runner,
    _SparkRunner,
    decide_row,
    spark_session,
)
from eenvoud.engine.evaluate import Program
from eenvoud.engine.sql import ROW, SqlProgram, alias, col, compile_sql
from eenvoud.engine.values import EvaluationError, Maybe
from eenvoud.ir.checked import CheckedRegulation

# -- the engine, one person at a time ----------------------------------------------------------


# -- the batch ---------------------------------------------------------------------------------


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




__all__ = ["BatchError", "BatchResult", "RowError", "decide_row", "run_batch", "spark_session", "Maybe"]
