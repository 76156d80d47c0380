"""Validate a built package in two layers: frictionless (the contract) and pandera + content rules.

Both layers read the tables in pieces, so that validating a national corpus needs neither the
whole package in memory nor more time than its size calls for:

- Layer 1, frictionless, validates the descriptor, then every table in row-aligned byte ranges
  of a few MB (``lbgr.frictionless_ranges``).
- Layer 2, pandera and the content rules (``lbgr.checks``, ``lbgr.stages.CONTENT_CHECKS``), runs
  on groups of whole reports: every report-scoped table is sorted by report_id, so one
  sequential read of each table yields the rows of the next group of reports (``_Cursor``),
  together with their bodies and the slice of each Parquet copy. Groups are dealt out to shards
  (``content_shard``) that run in worker processes.
- What spans the pieces is checked across them: keys (``lbgr.keys``) and the rules of
  ``stages.GLOBAL_CHECKS``, whose per-shard states are merged (``merge_shards``).

The shards and the frictionless ranges share one pool of worker processes.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from . import checks, stages
from .frictionless_ranges import FrictionlessPass
from .keys import ForeignKeys, UniqueKeys
from .memory import release_memory
from .pandera_schemas import dataframe_schema
from .schema_registry import load_resources, table_schema
from .tables import read_table, typed


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


REPORTS_PER_CHUNK = 250
READ_ROWS = 10_000  # rows read at a time: the buffers of all tables must stay small


class NotSorted(ValueError):
    pass


class _Cursor:
    """Sequential reader of one report-scoped table that hands out the rows of report groups."""

    def __init__(self, path: Path, name: str):
        self.name = name
        self.reader = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], chunksize=READ_ROWS)
        self.buffer: pd.DataFrame | None = None
        self.last_seen = ""
        self.done = False

    def _read(self) -> None:
        try:
            chunk = next(self.reader)
        except StopIteration:
            self.done = True
            self.reader.close()
            return
        ids = chunk["report_id"].fillna("") if "report_id" in chunk else pd.Series([""] * len(chunk))
        if not ids.is_monotonic_increasing or (len(ids) and ids.iloc[0] < self.last_seen):
            raise NotSorted(f"{self.name}: rows are not sorted by report_id (the build writes them sorted)")
        if len(ids):
            self.last_seen = ids.iloc[-1]
        self.buffer = chunk if self.buffer is None else pd.concat([self.buffer, chunk])

    def take(self, last: str | None) -> pd.DataFrame:
        """The rows of reports up to ``last`` (all remaining rows when None)."""
        while not self.done and (self.buffer is None or last is None or self.last_seen <= last):
            self._read()
        if self.buffer is None:
            return pd.DataFrame()
        if last is None:
            out, self.buffer = self.buffer, None
            return out
        ids = self.buffer["report_id"].fillna("") if "report_id" in self.buffer else pd.Series([""] * len(self.buffer))
        cut = int(np.searchsorted(ids.to_numpy(dtype=object), last, side="right"))
        out, self.buffer = self.buffer.iloc[:cut], self.buffer.iloc[cut:]
        return out


class _ParquetCursor:
    """Sequential reader of a Parquet copy, in step with the rows of its CSV table."""

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.batches = pq.ParquetFile(path).iter_batches(batch_size=READ_ROWS)
        self.buffer = None  # a pyarrow Table

    def _fill(self, n: int) -> None:
        import pyarrow as pa

        while self.buffer is None or self.buffer.num_rows < n:
            batch = next(self.batches, None)
            if batch is None:
                return
            part = pa.Table.from_batches([batch])
            self.buffer = part if self.buffer is None else pa.concat_tables([self.buffer, part])

    def skip(self, n: int) -> None:
        self._fill(n)
        if self.buffer is not None:
            self.buffer = self.buffer.slice(n)

    def take(self, n: int) -> pd.DataFrame:
        self._fill(n)
        if self.buffer is None:
            return pd.DataFrame()
        out, self.buffer = self.buffer.slice(0, n), self.buffer.slice(n)
        return out.to_pandas()

    def rows_left(self) -> bool:
        self._fill(1)
        return self.buffer is not None and self.buffer.num_rows > 0


def _schema_errors(name: str, df: pd.DataFrame) -> list[str]:
    try:
        dataframe_schema(name).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return [f"pandera: {name}: column {row.column} check {row.check} failed at row {row.index} "
                f"(value {row.failure_case!r})" for row in exc.failure_cases.head(20).itertuples()]
    return []


def _load_bodies(package_dir: Path, reports: pd.DataFrame) -> dict[str, str]:
    bodies = {}
    for rid, path in zip(reports.report_id, reports.body_path):
        p = package_dir / str(path)
        if isinstance(path, str) and p.exists():
            bodies[rid] = p.read_text(encoding="utf-8")
    return bodies


def _guarded(check, *args, default):
    """Run a rule; a rule that cannot run on malformed tables is an error, not a crash."""
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001 - any failure of a rule means the package is not valid
        name = getattr(check, "__qualname__", repr(check))
        out = [f"{name}: the rule could not be checked on these tables ({type(exc).__name__}: {exc})"]
        return (out, []) if isinstance(default, tuple) else out


def _unique(messages: list[str]) -> list[str]:
    return list(dict.fromkeys(messages))


@dataclass
class ShardResult:
    """What one shard of layer 2 found, and its state for the rules that span shards."""

    errors: list[str] = field(default_factory=list)  # found before the groups (same in every shard)
    by_group: list[tuple[int, list[str], list[str]]] = field(default_factory=list)  # (group, errors, warnings)
    unique: UniqueKeys | None = None
    fks: ForeignKeys | None = None
    global_checks: list = field(default_factory=list)
    parquet_rows_left: dict[str, bool] = field(default_factory=dict)
    whole_names: list[str] = field(default_factory=list)
    group_scoped: set[str] = field(default_factory=set)
    stopped: bool = False  # a table could not be read in order: the other results are moot


def content_shard(package_dir: Path, shard: int = 0, shards: int = 1) -> ShardResult:
    """Layer 2 for the report groups ``k`` with ``k % shards == shard``. Every shard reads every
    table in order (reading is cheap next to the rules) but types, validates and checks only the
    rows of its own groups, so that shards can run in parallel processes."""
    from .package import parquet_path

    package_dir = Path(package_dir)
    out = ShardResult()
    specs = load_resources()
    whole: dict[str, pd.DataFrame] = {}
    scoped: list[str] = []
    for name, spec in specs.items():
        path = package_dir / spec["path"]
        if not path.exists():
            out.errors.append(f"{name}: {spec['path']} is missing")
            continue
        fields = [f["name"] for f in table_schema(name)["fields"]]
        if name != "reports" and "report_id" in fields and spec["path"].startswith("data/tables"):
            scoped.append(name)
            continue
        try:
            whole[name] = read_table(path, name)
        except (ValueError, TypeError) as exc:
            out.errors.append(f"{name}: {spec['path']} cannot be read as the schema's columns: {exc}")
            continue
        if name != "reports":
            out.errors += _schema_errors(name, whole[name])
    if "reports" not in whole:
        return out
    out.group_scoped = group_scoped = set(scoped) | {"reports"}
    out.whole_names = [n for n in whole if n != "reports"]
    stages.register_all()
    out.unique, out.fks = unique, fks = UniqueKeys(), ForeignKeys(specs)
    out.global_checks = global_checks = [make() for make in stages.GLOBAL_CHECKS]
    reports = whole.pop("reports")
    if shard == 0:
        for name, df in whole.items():
            unique.observe(name, df)
    ids = reports.report_id.fillna("")
    if not ids.is_monotonic_increasing:
        out.errors.append("reports: rows are not sorted by report_id (the build writes them sorted)")
        out.stopped = True
        return out
    cursors = {n: _Cursor(package_dir / specs[n]["path"], n) for n in scoped}
    parquet = {n: _ParquetCursor(package_dir / parquet_path(n)) for n in scoped
               if specs[n].get("parquet") and (package_dir / parquet_path(n)).exists()}
    out.errors += [f"{n}: its Parquet copy {parquet_path(n)} is missing" for n in scoped
                   if specs[n].get("parquet") and n not in parquet]
    starts = list(range(0, len(reports), REPORTS_PER_CHUNK)) or [0]
    for k, start in enumerate(starts):
        mine = k % shards == shard
        group = reports.iloc[start:start + REPORTS_PER_CHUNK]
        last = None if k == len(starts) - 1 else str(ids.iloc[start + REPORTS_PER_CHUNK - 1])
        errors: list[str] = []
        warnings: list[str] = []
        tables = dict(whole)
        tables["reports"] = group
        if mine:
            errors += _schema_errors("reports", group)
        try:
            for n, cur in cursors.items():
                raw = cur.take(last)
                if not mine:
                    if n in parquet:
                        parquet[n].skip(len(raw))
                    continue
                if raw.empty and not len(raw.columns):
                    raw = pd.DataFrame(columns=[f["name"] for f in table_schema(n)["fields"]])
                df = typed(raw, n)
                errors += _schema_errors(n, df)
                if n in parquet:
                    copy = parquet[n].take(len(df))
                    if not copy.reset_index(drop=True).equals(df.reset_index(drop=True)):
                        errors.append(f"{n}: the Parquet copy differs from the CSV table")
                tables[n] = df
        except NotSorted as exc:
            out.errors.append(str(exc))
            out.stopped = True
            return out
        except (ValueError, TypeError) as exc:
            out.errors.append(f"the tables cannot be read as the schema's columns: {exc}")
            out.stopped = True
            return out
        if not mine:
            continue
        for n in group_scoped:
            if n in tables:
                unique.observe(n, tables[n])
        fks.observe(tables, group_scoped)
        bodies = _load_bodies(package_dir, group)
        e, w = _guarded(checks.core, tables, bodies, default=([], []))
        errors += e
        warnings += w
        for check in stages.CONTENT_CHECKS:
            errors += _guarded(check, tables, bodies, default=[])
        for g in global_checks:
            errors += _guarded(g.observe, tables, default=None) or []
        out.by_group.append((k, errors, warnings))
        del tables, bodies
        release_memory()
    out.parquet_rows_left = {n: cur.rows_left() for n, cur in parquet.items()}
    return out


def merge_shards(package_dir: Path, shards: list[ShardResult], result: Validation) -> None:
    """The findings of all shards, in group order, and the rules that span them."""
    first = shards[0]
    result.errors += first.errors
    stopped = [s for s in shards if s.stopped]
    if stopped:
        result.errors += [e for s in stopped for e in s.errors if e not in result.errors]
        return
    if first.unique is None:
        return
    specs = load_resources()
    errors: list[str] = []
    warnings: list[str] = []
    for _k, e, w in sorted((g for s in shards for g in s.by_group), key=lambda g: g[0]):
        errors += e
        warnings += w
    errors += [f"{n}: the Parquet copy has more rows than the CSV table" for n, left in first.parquet_rows_left.items()
               if left]
    unique, fks, global_checks = first.unique, first.fks, first.global_checks
    for s in shards[1:]:
        unique.merge(s.unique)
        fks.merge(s.fks)
        for g, other in zip(global_checks, s.global_checks):
            g.merge(other)
    errors += unique.errors(package_dir, specs)
    whole = {n: read_table(package_dir / specs[n]["path"], n) for n in first.whole_names if fks.references(n)}
    errors += fks.errors(whole, first.group_scoped)
    for g in global_checks:
        errors += g.errors()
    result.errors += _unique(errors)
    result.warnings += _unique(warnings)


def content_pass(package_dir: Path, result: Validation) -> None:
    """Layer 2 in this process (see the module docstring)."""
    merge_shards(package_dir, [content_shard(package_dir)], result)


def validate_package(package_dir: Path, use_frictionless: bool = True, jobs: int | None = None) -> Validation:
    """Both layers; with ``jobs`` > 1 the shards of layer 2 and the ranges of layer 1 share a pool
    of worker processes (shards first: they are the longest tasks)."""
    package_dir = Path(package_dir)
    result = Validation()
    jobs = jobs or min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    if jobs <= 1:
        content_pass(package_dir, result)
        t1 = time.perf_counter()
        if use_frictionless:
            first = FrictionlessPass(package_dir)
            result.errors = first.errors() + result.errors
        result.seconds.update({"validate_pandera_rules": t1 - t0, "validate_frictionless": time.perf_counter() - t1,
                               "validate_total": time.perf_counter() - t0})
        return result
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        shard_futures = [pool.submit(content_shard, package_dir, k, jobs) for k in range(jobs)]
        first = FrictionlessPass(package_dir, pool=pool) if use_frictionless else None
        shards = [f.result() for f in shard_futures]
        t1 = time.perf_counter()
        merge_shards(package_dir, shards, result)
        t2 = time.perf_counter()
        if first is not None:
            result.errors = first.errors() + result.errors
        t3 = time.perf_counter()
    result.seconds.update({"validate_pandera_rules": t2 - t0, "validate_frictionless": t3 - t0,
                           "validate_total": t3 - t0, "validate_merge": t2 - t1})
    return result


def write_validation_report(result: Validation, path: Path) -> None:
    path.write_text(json.dumps({"valid": result.ok, "errors": result.errors, "warnings": result.warnings},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
