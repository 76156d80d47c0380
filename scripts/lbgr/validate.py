"""Validate a built package in two layers: frictionless (the contract) and pandera + content rules.

Both layers read the tables in pieces, so that validating a national corpus needs neither the
whole package in memory nor more time than its size calls for:

- Layer 1, frictionless, validates the descriptor, then every table in row-aligned byte ranges
  of a few MB (``lbgr.frictionless_ranges``).
- Layer 2, pandera and the content rules (``lbgr.checks``, ``lbgr.stages.CONTENT_CHECKS``), runs
  on groups of whole reports (``report_groups``): every report-scoped table is sorted by
  report_id, so the rows of a group are one run of bytes in each table (``lbgr.table_slices``),
  read together with the group's bodies and its rows of each Parquet copy. Groups are dealt out
  to shards (``content_shard``) that run in worker processes.
- Ranges and groups end where their content says (content-defined chunking), so a rebuild that
  adds a report changes few of them; with a cache (``lbgr.validation_cache``), the others keep
  the results of the last validation.
- What spans the pieces is checked across them: keys (``lbgr.keys``) and the rules of
  ``stages.GLOBAL_CHECKS``, whose per-shard states are merged (``merge_shards``).

The shards and the frictionless ranges share one pool of worker processes.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors

from . import checks, paths, stages
from .frictionless_ranges import FrictionlessPass
from .keys import ForeignKeys, UniqueKeys
from .memory import map_large_blocks, release_memory, shared_with_forks
from .pandera_schemas import dataframe_schema
from .schema_registry import load_resources, table_schema
from .table_slices import ParquetRows, TableSlices, check_order, not_sorted
from .tables import read_table, typed
from .validation_cache import Hasher, ValidationCache


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cache_keys: set[str] = field(default_factory=set)  # the cached results this validation used
    pieces: dict[str, int] = field(default_factory=dict)  # pieces checked, and found in the cache

    @property
    def ok(self) -> bool:
        return not self.errors


REPORTS_PER_CHUNK = 250


class NotSorted(ValueError):
    pass


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
    parquet_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # rows of the copy, of the CSV
    whole_names: list[str] = field(default_factory=list)
    group_scoped: set[str] = field(default_factory=set)
    stopped: bool = False  # a table could not be read in order: the other results are moot
    cache_keys: list[str] = field(default_factory=list)  # the cached results this shard used
    cache_hits: int = 0


@dataclass
class GroupResult:
    """What the checks of one group of reports found, and its part of the rules that span groups."""

    errors: list[str]
    warnings: list[str]
    unique: UniqueKeys
    fks: ForeignKeys
    global_checks: list


def _check_group(tables: dict[str, pd.DataFrame], own: set[str], copies: dict[str, pd.DataFrame],
                 bodies: dict[str, str], specs: dict, core: bool = True) -> GroupResult:
    """Pandera, the Parquet copies, keys and the content rules on the rows of the tables ``own``
    of one group; ``tables`` holds them and what the rules may look up (reference tables, the
    group's reports). The core rules need reports, sections and paragraphs; ``core=False`` skips
    them. A function of those values, the bodies and the reference tables only, so that its
    result can be cached by them."""
    errors: list[str] = []
    warnings: list[str] = []
    for n in ["reports"] + sorted(own - {"reports"}):
        if n in own and n in tables:
            errors += _schema_errors(n, tables[n])
    for n, copy in copies.items():
        if not copy.reset_index(drop=True).equals(tables[n].reset_index(drop=True)):
            errors.append(f"{n}: the Parquet copy differs from the CSV table")
    part = GroupResult(errors, warnings, UniqueKeys(), ForeignKeys(specs), [make() for make in stages.GLOBAL_CHECKS])
    for n in own:
        if n in tables:
            part.unique.observe(n, tables[n])
    part.fks.observe(tables, own)  # keys of tables not given are resolved at the merge
    part.fks.forget_reference_tables()  # the same in every group: not worth caching with it
    if core:
        e, w = _guarded(checks.core, tables, bodies, default=([], []))
        errors += e
        warnings += w
    for check in stages.CONTENT_CHECKS:
        errors += _guarded(check, tables, bodies, default=[])
    for g in part.global_checks:
        errors += _guarded(g.observe, tables, default=None) or []
    return part


def report_groups(ids: list[str], size: int) -> list[tuple[int, int]]:
    """(start, stop) of the groups of ``ids`` (sorted report IDs), about ``size`` reports each.

    A group ends at a report chosen by its ID (content-defined, as in ``row_ranges``), once the
    group has half of ``size`` reports, and never grows past twice ``size``. Adding a report
    changes its own group only; the others hold the same reports as before, and their results
    can come from the cache.
    """
    out, start, low, high = [], 0, max(1, size // 2), max(1, 2 * size)
    draw = max(1, size - low)
    for i, rid in enumerate(ids):
        n = i + 1 - start
        if n >= high or (n >= low and zlib.crc32(rid.encode()) % draw == 0):
            out.append((start, i + 1))
            start = i + 1
    if start < len(ids) or not out:
        out.append((start, len(ids)))
    return out


def content_shard(package_dir: Path, shard: int = 0, shards: int = 1,
                  cache_dir: Path | None = None) -> ShardResult:
    """Layer 2 for the report groups ``k`` with ``k % shards == shard``. Every shard finds where
    each group's rows are (``TableSlices``: a scan for row ends and a binary search, no parsing)
    but reads and checks only its own groups, so that shards can run in parallel processes. With
    ``cache_dir``, a group whose bytes were checked before (``GroupResult``) is not checked again."""
    from .package import parquet_path

    package_dir = Path(package_dir)
    out = ShardResult()
    cache = ValidationCache(cache_dir) if cache_dir is not None else None
    specs = load_resources()
    whole: dict[str, pd.DataFrame] = {}
    whole_digest = Hasher("reference tables")
    scoped: list[str] = []
    # The list of raw files gains a row with every report added; see ``for_groups`` below.
    raw_lists = {n for n, spec in specs.items() if spec["path"].startswith(paths.RAW_DIR + "/")}
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
        if name != "reports" and name not in raw_lists:
            whole_digest.add(name.encode()).add(path.read_bytes())  # each group hashes its own reports
        if name != "reports":
            out.errors += _schema_errors(name, whole[name])
    if "reports" not in whole:
        return out
    out.group_scoped = set(scoped) | {"reports"}
    out.whole_names = [n for n in whole if n != "reports"]
    stages.register_all()
    out.unique = unique = UniqueKeys()
    out.fks = ForeignKeys(specs)
    out.global_checks = global_checks = [make() for make in stages.GLOBAL_CHECKS]
    reports = whole.pop("reports")
    if shard == 0:
        for name, df in whole.items():
            unique.observe(name, df)
    ids = reports.report_id.fillna("")
    if not ids.is_monotonic_increasing:
        out.errors.append(not_sorted("reports"))
        out.stopped = True
        return out
    slices = {n: TableSlices(package_dir / specs[n]["path"], n) for n in scoped}
    parquet = {n: ParquetRows(package_dir / parquet_path(n)) for n in scoped
               if specs[n].get("parquet") and (package_dir / parquet_path(n)).exists()}
    out.errors += [f"{n}: its Parquet copy {parquet_path(n)} is missing" for n in scoped
                   if specs[n].get("parquet") and n not in parquet]
    out.parquet_rows = {n: (copy.rows, slices[n].rows) for n, copy in parquet.items()}
    reference = whole_digest.key().encode()
    # The groups see the codebooks and reference tables, not the list of raw files: it gains a
    # row with every report added, which would change every group's key. Only foreign keys use
    # it, and those missing from a group are checked against it once, in ``merge_shards``.
    for_groups = {n: df for n, df in whole.items() if n not in raw_lists}
    bounds = report_groups(ids.tolist(), REPORTS_PER_CHUNK)
    after: str | None = None
    try:
        for k, (start, stop) in enumerate(bounds):
            last = None if k == len(bounds) - 1 else str(ids.iloc[stop - 1])
            runs = {n: s.take(last) for n, s in slices.items()}
            if k % shards == shard:
                hits = out.cache_hits
                for part in _group(package_dir, k, reports.iloc[start:stop], after, last, runs, slices, parquet,
                                   for_groups, reference, specs, cache, out):
                    out.unique.merge(part.unique)
                    out.fks.merge(part.fks)
                    for g, other in zip(global_checks, part.global_checks):
                        g.merge(other)
                if out.cache_hits == hits:  # a group checked here leaves its frames behind
                    release_memory()
            after = last
    except NotSorted as exc:
        out.errors.append(str(exc))
        out.stopped = True
    except (ValueError, TypeError) as exc:
        out.errors.append(f"the tables cannot be read as the schema's columns: {exc}")
        out.stopped = True
    finally:
        for s in slices.values():
            s.close()
    return out


def _group(package_dir: Path, k: int, group: pd.DataFrame, after: str | None, last: str | None,
           runs: dict[str, tuple[int, int]], slices: dict[str, TableSlices], parquet: dict[str, ParquetRows],
           whole: dict[str, pd.DataFrame], reference: bytes, specs: dict,
           cache: ValidationCache | None, out: ShardResult) -> list[GroupResult]:
    """Group ``k``: its result from the cache when its bytes are as before, else checked.

    The tables that a cross-report stage finishes (``stages.CROSS_REPORT_STAGES``) are checked
    every time, apart from the rest: a report added anywhere changes their rows in every group."""
    volatile = {st.resource for _, st in stages.CROSS_REPORT_STAGES} & set(slices) if cache is not None else set()
    for n, (first, end) in runs.items():
        # The rest of the order check depends on the slice alone (``read``), so the key need not
        # hold the previous group's last report, which an added report may change.
        if after is not None and first < end and slices[n].report_id(first) <= after:
            raise NotSorted(not_sorted(n))
    raw = {n: slices[n].raw(*runs[n]) for n in slices}
    copies = {n: parquet[n].take(*runs[n]) for n in parquet}
    bodies = _load_bodies(package_dir, group)

    def read(names) -> dict[str, pd.DataFrame]:
        tables = {}
        for n in names:
            df = slices[n].frame(raw[n])
            if not len(df.columns):
                df = pd.DataFrame(columns=[f["name"] for f in table_schema(n)["fields"]])
            problem = check_order(n, df["report_id"], last) if "report_id" in df else None
            if problem:
                raise NotSorted(problem)
            tables[n] = typed(df, n)
        return tables

    stable = [n for n in raw if n not in volatile]
    key, part = None, None
    if cache is not None:
        hasher = Hasher("report group").add(reference).add(f"{last}".encode())
        hasher.add(group.to_csv(index=False).encode())
        for n in sorted(stable):
            hasher.add(n.encode()).add(slices[n].header).add(raw[n])
        for n in sorted(set(copies) - volatile):
            hasher.add(n.encode()).add(_arrow_bytes(copies[n]))
        for rid in sorted(bodies):
            hasher.add(rid.encode()).add(bodies[rid].encode())
        key = hasher.key()
        out.cache_keys.append(key)
        part = cache.get(key)
        out.cache_hits += part is not None
    if part is None:
        part = _check_group({**whole, "reports": group, **read(stable)}, {"reports", *stable},
                            {n: c.to_pandas() for n, c in copies.items() if n not in volatile}, bodies, specs)
        if key:
            cache.put(key, part)
    parts = [part]
    if volatile:
        parts.append(_check_group({**whole, "reports": group, **read(sorted(volatile))}, volatile,
                                  {n: c.to_pandas() for n, c in copies.items() if n in volatile}, bodies, specs,
                                  core=False))
    out.by_group.append((k, [e for p in parts for e in p.errors], [w for p in parts for w in p.warnings]))
    return parts


def _arrow_bytes(table) -> bytes:
    """A pyarrow Table as IPC stream bytes (its exact values and types), for hashing.

    The rows are copied first: a slice keeps the offsets of the row group it was cut from, so
    the same values read from another position would otherwise give other bytes."""
    import numpy as np
    import pyarrow as pa

    table = table.take(pa.array(np.arange(table.num_rows)))
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


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
    errors += [f"{n}: the Parquet copy has {copy} rows, the CSV table {rows}" for n, (copy, rows) in first.parquet_rows.items()
               if copy != rows]
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


def _count_pieces(result: Validation, shards: list[ShardResult]) -> None:
    result.pieces.update(groups=sum(len(s.by_group) for s in shards), groups_cached=sum(s.cache_hits for s in shards))


def content_pass(package_dir: Path, result: Validation, cache_dir: Path | None = None) -> None:
    """Layer 2 in this process (see the module docstring)."""
    shard = content_shard(package_dir, cache_dir=cache_dir)
    result.cache_keys.update(shard.cache_keys)
    _count_pieces(result, [shard])
    merge_shards(package_dir, [shard], result)


def validate_package(package_dir: Path, use_frictionless: bool = True, jobs: int | None = None,
                     cache_dir: Path | None = None) -> Validation:
    """Both layers; with ``jobs`` > 1 the shards of layer 2 and the ranges of layer 1 share a pool
    of worker processes (shards first: they are the longest tasks).

    With ``cache_dir`` (``lbgr.validation_cache``), the pieces that an earlier validation saw
    unchanged take their results from there; ``result.cache_keys`` names the results used."""
    package_dir = Path(package_dir)
    map_large_blocks()
    result = Validation()
    jobs = jobs or min(2, os.cpu_count() or 1)
    cache = ValidationCache(cache_dir) if cache_dir is not None else None
    t0 = time.perf_counter()
    if jobs <= 1:
        content_pass(package_dir, result, cache_dir)
        t1 = time.perf_counter()
        if use_frictionless:
            first = FrictionlessPass(package_dir, cache=cache)
            result.errors = first.errors() + result.errors
            result.cache_keys.update(first.keys)
            result.pieces.update(ranges=len(first.units), ranges_cached=len(first.cached))
        result.seconds.update({"validate_pandera_rules": t1 - t0, "validate_frictionless": time.perf_counter() - t1,
                               "validate_total": time.perf_counter() - t0})
        return result
    from concurrent.futures import ProcessPoolExecutor

    with shared_with_forks(), ProcessPoolExecutor(max_workers=jobs) as pool:
        shard_futures = [pool.submit(content_shard, package_dir, k, jobs, cache_dir) for k in range(jobs)]
        first = FrictionlessPass(package_dir, pool=pool, cache=cache) if use_frictionless else None
        shards = [f.result() for f in shard_futures]
        for s in shards:
            result.cache_keys.update(s.cache_keys)
        _count_pieces(result, shards)
        t1 = time.perf_counter()
        merge_shards(package_dir, shards, result)
        t2 = time.perf_counter()
        if first is not None:
            result.errors = first.errors() + result.errors
            result.cache_keys.update(first.keys)
            result.pieces.update(ranges=len(first.units), ranges_cached=len(first.cached))
        t3 = time.perf_counter()
    result.seconds.update({"validate_pandera_rules": t2 - t0, "validate_frictionless": t3 - t0,
                           "validate_total": t3 - t0, "validate_merge": t2 - t1})
    return result


def write_validation_report(result: Validation, path: Path) -> None:
    path.write_text(json.dumps({"valid": result.ok, "errors": result.errors, "warnings": result.warnings},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
