"""Validate a built package in two layers: frictionless (the contract) and pandera + content rules.

Both layers read the tables in pieces, so that validating a national corpus needs neither the
whole package in memory nor more time than its size calls for:

- frictionless validates the descriptor, then every table in row-aligned byte ranges of a few
  MB, in worker processes (``FrictionlessPass``). Each range is a CSV of its own with the
  table's header and Table Schema, so every row and cell is checked by frictionless itself.
  What a range cannot see, it leaves to the parent: the bytes and hash of each file, primary
  keys unique across ranges, and foreign keys.
- pandera and the content rules (``lbgr.checks``, ``lbgr.stages.CONTENT_CHECKS``) run on groups
  of whole reports: every report-scoped table is sorted by report_id, so one sequential read of
  each table yields the rows of the next few hundred reports (``ReportChunks``), together with
  their bodies and the slice of each Parquet copy. Rules that span reports (unique keys,
  foreign keys, ``stages.GLOBAL_CHECKS``) keep compact state between groups.

The parent runs the second layer while the workers run the first.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors

from . import checks, stages
from .memory import release_memory
from .pandera_schemas import dataframe_schema
from .schema_registry import load_resources, table_schema
from .tables import typed


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---------------------------------------------------------------------------------------------
# Layer 1: frictionless, in row-aligned byte ranges
# ---------------------------------------------------------------------------------------------

RANGE_BYTES = 4_000_000


def row_ranges(data: bytes, start: int, target: int) -> list[tuple[int, int]]:
    """Split ``data[start:]`` into ranges of about ``target`` bytes that end at a row end.

    A line end is a row end when the quotes before it are balanced (RFC 4180 doubles a quote
    inside a quoted cell, so the parity of the count is exact)."""
    out = []
    begin = start
    while begin < len(data):
        cut = data.find(b"\n", min(begin + target, len(data) - 1))
        while cut != -1 and data.count(b'"', begin, cut) % 2:
            cut = data.find(b"\n", cut + 1)
        end = len(data) if cut == -1 else cut + 1
        out.append((begin, end))
        begin = end
    return out


def _validate_range(arg) -> tuple[str, int, int, list[tuple[int | None, str]]]:
    """One byte range of one table, validated by frictionless as a CSV of its own."""
    from frictionless import Resource, Schema

    name, path, header_end, begin, end, schema, fmt = arg
    if fmt != "csv":  # only CSV is split; another format is validated whole
        report = Resource(path=path, format=fmt, schema=Schema.from_descriptor(schema)).validate()
    else:
        with open(path, "rb") as fh:
            header = fh.read(header_end)
            fh.seek(begin)
            body = fh.read(end - begin)
        report = Resource(header + body, format="csv", encoding="utf-8",
                          schema=Schema.from_descriptor(schema)).validate()
    errors = [(getattr(err, "row_number", None), err.message) for task in report.tasks for err in task.errors[:20]]
    errors += [(None, err.message) for err in report.errors]
    rows = report.tasks[0].stats.get("rows") or 0 if report.tasks else 0
    del report
    return name, begin, rows, errors


def _without_keys(schema: dict) -> dict:
    out = {k: v for k, v in schema.items() if k not in ("foreignKeys", "primaryKey")}
    out["fields"] = [{**f, "constraints": {k: v for k, v in f["constraints"].items() if k != "unique"}}
                     if "constraints" in f else f for f in schema.get("fields", [])]
    return out


class FrictionlessPass:
    """Layer 1, started in worker processes; ``errors()`` waits for it."""

    def __init__(self, package_dir: Path, jobs: int, pool=None):
        from concurrent.futures import ProcessPoolExecutor

        from frictionless import FrictionlessException, Package

        self.errors_now: list[str] = []
        self.futures = []
        self.pool = None
        self.own_pool = pool is None
        descriptor_path = package_dir / "datapackage.json"
        try:
            descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
            problems = [e.message for e in Package.metadata_validate(descriptor)]
            if problems:
                self.errors_now += [f"frictionless: datapackage.json: {m}" for m in problems]
                return
            Package(descriptor, basepath=str(package_dir))
        except (FrictionlessException, OSError, ValueError) as exc:
            self.errors_now.append(f"frictionless: datapackage.json: {exc}")
            return
        units = []
        for res in descriptor.get("resources", []):
            path = package_dir / res["path"]
            try:
                data = path.read_bytes()
            except OSError as exc:
                self.errors_now.append(f"frictionless: {res['name']}: cannot read {res['path']}: {exc}")
                continue
            if "bytes" in res and res["bytes"] != len(data):
                self.errors_now.append(f"frictionless: {res['name']}: {res['path']} has {len(data)} bytes, "
                                       f"datapackage.json says {res['bytes']}")
            if "hash" in res and res["hash"] != "sha256:" + hashlib.sha256(data).hexdigest():
                self.errors_now.append(f"frictionless: {res['name']}: {res['path']} does not match its hash")
            schema = res["schema"]
            if isinstance(schema, str):
                schema = json.loads((package_dir / schema).read_text(encoding="utf-8"))
            # Keys span ranges, so the parent checks them over the whole table (UniqueKeys,
            # ForeignKeys); frictionless keeping its own memo of every key would only repeat that.
            schema = _without_keys(schema)
            fmt = res.get("format", "csv")
            header_end = data.find(b"\n") + 1 or len(data)
            ranges = row_ranges(data, header_end, RANGE_BYTES) if fmt == "csv" else []
            for begin, end in ranges or [(header_end, header_end)]:
                units.append((res["name"], str(path), header_end, begin, end, schema, fmt))
        self.units = units
        if jobs > 1 and len(units) > 1:
            self.pool = pool or ProcessPoolExecutor(max_workers=jobs)
            self.futures = [self.pool.submit(_validate_range, u) for u in units]

    def errors(self) -> list[str]:
        out = list(self.errors_now)
        if not hasattr(self, "units"):
            return out
        results = [f.result() for f in self.futures] if self.pool else [_validate_range(u) for u in self.units]
        if self.pool and self.own_pool:
            self.pool.shutdown()
        rows_before: dict[str, int] = defaultdict(int)
        for name, _begin, rows, errs in results:  # in file order within each table
            for row_number, message in errs:
                where = f" row {row_number + rows_before[name]}" if row_number else ""
                out.append(f"frictionless: {name}{where}: {message}")
            rows_before[name] += rows
        return list(dict.fromkeys(out))  # a header error is found in every range of its table


# ---------------------------------------------------------------------------------------------
# Layer 2: pandera and the content rules, report group by report group
# ---------------------------------------------------------------------------------------------

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


class UniqueKeys:
    """Primary keys and unique fields unique across the whole table, kept as 64-bit hashes
    between report groups (pandera checks them within each group)."""

    def __init__(self):
        self.hashes: dict[tuple[str, tuple], list[np.ndarray]] = defaultdict(list)

    @staticmethod
    def keys_of(name: str) -> list[tuple[str, ...]]:
        schema = table_schema(name)
        keys = [tuple(schema["primaryKey"])] if schema.get("primaryKey") else []
        keys += [(f["name"],) for f in schema["fields"] if f.get("constraints", {}).get("unique")]
        return list(dict.fromkeys(keys))

    def observe(self, name: str, df: pd.DataFrame) -> None:
        for key in self.keys_of(name):
            if len(df) and all(k in df for k in key):
                present = df[list(key)].dropna()
                self.hashes[(name, key)].append(pd.util.hash_pandas_object(present.astype(str), index=False).to_numpy())

    def merge(self, other: UniqueKeys) -> None:
        for key, parts in other.hashes.items():
            self.hashes[key] += parts

    def errors(self, package_dir: Path, specs: dict) -> list[str]:
        out = []
        for (name, key), parts in self.hashes.items():
            h = np.concatenate(parts)
            if len(np.unique(h)) == len(h):
                continue
            # Rare: find the duplicated values exactly.
            df = pd.read_csv(package_dir / specs[name]["path"], dtype=str, keep_default_na=False,
                             na_values=[""], usecols=list(key)).dropna()
            dup = df[df.duplicated(list(key), keep=False)].drop_duplicates()
            if len(dup):
                out.append(f"{name}: {list(key)} is not unique: {dup.head(5).to_dict('records')}")
        return out


class ForeignKeys:
    """Foreign keys: checked within the report group first, the rest against every group's keys."""

    def __init__(self, specs: dict):
        self.fks = {n: table_schema(n).get("foreignKeys", []) for n in specs}
        targets = {(fk["reference"]["resource"] or n, tuple(fk["reference"]["fields"]))
                   for n, fks in self.fks.items() for fk in fks}
        self.targets = targets
        self.known: dict[tuple, list[np.ndarray]] = defaultdict(list)
        self._whole_hashes: dict[tuple, np.ndarray] = {}
        self.pending: list[tuple[str, list[str], str, tuple, pd.DataFrame]] = []

    @staticmethod
    def _hash(df: pd.DataFrame, cols) -> np.ndarray:
        cols = list(cols)
        # Key columns are strings already; only a composite key needs a frame.
        keys = df[cols[0]] if len(cols) == 1 else df[cols].astype(str)
        return pd.util.hash_pandas_object(keys, index=False).to_numpy()

    def observe(self, tables: dict[str, pd.DataFrame], group_scoped: set[str]) -> None:
        hashed: dict[tuple, np.ndarray] = {}

        def hashes(target: str, cols: tuple) -> np.ndarray:
            if (target, cols) not in hashed:
                ref = tables.get(target)
                if target not in group_scoped and (target, cols) in self._whole_hashes:
                    hashed[(target, cols)] = self._whole_hashes[(target, cols)]
                else:
                    hashed[(target, cols)] = (self._hash(ref, cols) if ref is not None and len(ref)
                                              else np.array([], dtype=np.uint64))
                    if target not in group_scoped:  # a codebook: the same in every group
                        self._whole_hashes[(target, cols)] = hashed[(target, cols)]
            return hashed[(target, cols)]

        for target, cols in self.targets:
            if target in group_scoped:
                self.known[(target, cols)].append(hashes(target, cols))
        for name, fks in self.fks.items():
            df = tables.get(name)
            if df is None or not len(df) or name not in group_scoped:
                continue
            for fk in fks:
                target, cols = fk["reference"]["resource"] or name, tuple(fk["reference"]["fields"])
                present = df[fk["fields"]].notna().all(axis=1)
                keys = df.loc[present, fk["fields"]]
                if not len(keys):
                    continue
                found = np.isin(self._hash(keys, fk["fields"]), hashes(target, cols))
                if not found.all():
                    self.pending.append((name, fk["fields"], target, cols, keys[~found]))

    def merge(self, other: ForeignKeys) -> None:
        for key, parts in other.known.items():
            self.known[key] += parts
        self.pending += other.pending

    def references(self, name: str) -> bool:
        return any(target == name for target, _ in self.targets)

    def errors(self, whole: dict[str, pd.DataFrame], group_scoped: set[str]) -> list[str]:
        out = []
        missing: dict[tuple, list] = defaultdict(list)
        for name, fields, target, cols, keys in self.pending:
            if target in group_scoped:
                parts = self.known.get((target, cols))
                known = np.concatenate(parts) if parts else np.array([], dtype=np.uint64)
            else:
                ref = whole.get(target)
                known = self._hash(ref, cols) if ref is not None and len(ref) else np.array([], dtype=np.uint64)
            lost = keys[~np.isin(self._hash(keys, fields), known)]
            missing[(name, tuple(fields), target, cols)] += list(lost.astype(str).itertuples(index=False, name=None))
        for (name, fields, target, cols), keys in missing.items():
            if keys:
                out.append(f"{name}: {len(keys)} rows whose {list(fields)} are not in {target}{list(cols)}, "
                           f"e.g. {keys[:3]}")
        for name, fks in self.fks.items():
            for fk in fks:
                target = fk["reference"]["resource"] or name
                if target not in whole and target not in group_scoped:
                    out.append(f"{name}: foreign key to missing resource '{target}'")
        return out


def _schema_errors(name: str, df: pd.DataFrame) -> list[str]:
    try:
        dataframe_schema(name).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return [f"pandera: {name}: column {row.column} check {row.check} failed at row {row.index} "
                f"(value {row.failure_case!r})" for row in exc.failure_cases.head(20).itertuples()]
    return []


def _read_whole(path: Path, name: str) -> pd.DataFrame:
    return typed(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), name)


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
            whole[name] = _read_whole(path, name)
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
    whole = {n: _read_whole(package_dir / specs[n]["path"], n) for n in first.whole_names if fks.references(n)}
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
            first = FrictionlessPass(package_dir, 1)
            result.errors = first.errors() + result.errors
        result.seconds.update({"validate_pandera_rules": t1 - t0, "validate_frictionless": time.perf_counter() - t1,
                               "validate_total": time.perf_counter() - t0})
        return result
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs) as pool:
        shard_futures = [pool.submit(content_shard, package_dir, k, jobs) for k in range(jobs)]
        first = FrictionlessPass(package_dir, jobs, pool=pool) if use_frictionless else None
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
