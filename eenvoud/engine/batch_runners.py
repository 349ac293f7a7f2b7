"""The engines a batch runs on: DuckDB in-process (the default) and Apache Spark (a cluster, or
`local[*]`), behind one small protocol (`_Runner`). A long module for a reason: each runner owns its
reading, its checked pass, its writing and its progress, and the two are read side by side."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Protocol

from sqlglot import exp

from eenvoud.engine.batch_csv import (
    _GAP_CASES,
    _field,
    _gap_steps,
    _malformed_message,
    _row_of_ordinal,
    read_header,
)
from eenvoud.engine.batch_model import SAMPLE, BatchError, Progress, RowError
from eenvoud.engine.decision import judge
from eenvoud.engine.evaluate import Env, Program
from eenvoud.engine.sql import ROW, Num, SqlProgram, col
from eenvoud.engine.values import CENT, EvaluationError, Value
from eenvoud.ir import types as t

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


# -- the engine, one person at a time, and the rows it writes -----------------------------------


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
