"""Validate a built package in three layers (STYLE.md, "two layers of checks", and PUDL's data checks).

1. The contract, by frictionless (``contract``): the descriptor, and every file's bytes and hash.
   ``full=True`` adds stock frictionless over every row (``nox -s validate`` does it).
2. Content, by pandas: the generated pandera schemas (``schemas``) and the content rules
   (``RULES``), over groups of reports read in lockstep from the tables, which the build writes
   sorted by report_id (``reader``), so memory is bounded by a group, not by the package; then
   what spans groups over whole columns: unique and foreign keys (``keys``) and the shared-term
   counts of policy_terms.
3. Plausibility (``plausibility_rules``): the checks of ``data/codebooks/plausibility_checks.csv``
   over ``report_indicators`` (a part not above its whole, rates in [0, 100], one kind of value
   and unit family per code). Failures are warnings, never errors, and the rows carry them in
   ``plausibility_flags``.
"""

from __future__ import annotations

import json
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors

from lbgr import paths
from lbgr.package.descriptor import parquet_path
from lbgr.package.tables import read_table
from lbgr.schema_registry import load_resources, table_schema
from lbgr.validate import content_rules, core_rules, measure_rules, plausibility_rules
from lbgr.validate.contract import check_contract
from lbgr.validate.keys import check_keys
from lbgr.validate.reader import NotSorted, SortedRows, csv_rows, parquet_rows
from lbgr.validate.schemas import dataframe_schema

# Content rules on the tables of a group of reports: ``rule(tables, bodies) -> [error]`` or ``(errors, warnings)``.
RULES = [content_rules.check, measure_rules.check, plausibility_rules.check]
REPORTS_PER_GROUP = 125


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def _schema_errors(name: str, df: pd.DataFrame) -> list[str]:
    try:
        dataframe_schema(name).validate(df, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return [f"pandera: {name}: column {row.column} check {row.check} failed at row {row.index} "
                f"(value {row.failure_case!r})" for row in exc.failure_cases.head(20).itertuples()]
    return []


def _guarded(rule, *args) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a rule; a rule that cannot run on malformed tables is an error."""
    try:
        out = rule(*args)
    except Exception as exc:  # noqa: BLE001 - any failure of a rule means the package is not valid
        name = getattr(rule, "__qualname__", repr(rule))
        return [f"{name}: the rule could not be checked on these tables ({type(exc).__name__}: {exc})"], []
    return out if isinstance(out, tuple) else (out, [])


def _bodies(package_dir: Path, reports: pd.DataFrame) -> dict[str, str]:
    bodies = {}
    for rid, path in zip(reports.report_id, reports.body_path):
        p = package_dir / str(path)
        if isinstance(path, str) and p.exists():
            bodies[rid] = p.read_text(encoding="utf-8")
    return bodies


def check_group(tables: dict[str, pd.DataFrame], bodies: dict[str, str], own: list[str]) -> tuple[list[str], list[str]]:
    """Pandera on the tables ``own`` (a group's rows), then the core and content rules, which
    also see the reference tables in ``tables``."""
    errors: list[str] = []
    for name in own:
        errors += _schema_errors(name, tables[name])
    errors_core, warnings = _guarded(core_rules.core, tables, bodies)
    errors += errors_core
    for rule in RULES:
        rule_errors, rule_warnings = _guarded(rule, tables, bodies)
        errors += rule_errors
        warnings += rule_warnings
    return errors, warnings


def check_content(package_dir: Path, result: Validation, jobs: int = 1) -> None:
    """Layer 2 (see the module docstring); with ``jobs`` > 1, the groups are checked in that many
    worker processes while this one reads the next groups."""
    specs = load_resources()
    whole: dict[str, pd.DataFrame] = {}
    scoped: list[str] = []
    for name, spec in specs.items():
        path = package_dir / spec["path"]
        if not path.exists():
            result.errors.append(f"{name}: {spec['path']} is missing")
            continue
        fields = [f["name"] for f in table_schema(name)["fields"]]
        if name != "reports" and "report_id" in fields and spec["path"].startswith(paths.TABLES_DIR):
            scoped.append(name)
            continue
        try:
            whole[name] = read_table(path, name)
        except (ValueError, TypeError) as exc:
            result.errors.append(f"{name}: {spec['path']} cannot be read as the schema's columns: {exc}")
            continue
        if name != "reports":
            result.errors += _schema_errors(name, whole[name])
    if "reports" not in whole:
        return
    reports = whole.pop("reports")
    ids = reports.report_id.fillna("")
    if not ids.is_monotonic_increasing:
        result.errors.append(str(NotSorted("reports")))
        return
    tables = {n: csv_rows(package_dir / specs[n]["path"], n) for n in scoped}
    copies: dict[str, SortedRows] = {}
    for n in scoped:
        if specs[n].get("parquet"):
            if (package_dir / parquet_path(n)).exists():
                copies[n] = parquet_rows(package_dir / parquet_path(n), n)
            else:
                result.errors.append(f"{n}: its Parquet copy {parquet_path(n)} is missing")
    errors: list[str] = []
    warnings: list[str] = []
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    pending: deque = deque()  # checks of groups running in the pool, in group order

    def collect(future) -> None:
        e, w = future.result() if pool is not None else future
        errors.extend(e)
        warnings.extend(w)

    try:
        for start in range(0, max(len(reports), 1), REPORTS_PER_GROUP):
            group = reports.iloc[start:start + REPORTS_PER_GROUP]
            last = None if start + REPORTS_PER_GROUP >= len(reports) else str(ids.iloc[start + REPORTS_PER_GROUP - 1])
            rows = {n: t.take(last) for n, t in tables.items()}
            for n, copy in copies.items():
                if not copy.take(last).equals(rows[n]):
                    errors.append(f"{n}: the Parquet copy differs from the CSV table")
            args = ({**whole, "reports": group, **rows}, _bodies(package_dir, group), ["reports", *scoped])
            if pool is None:
                collect(check_group(*args))
                continue
            # The next groups are read here while the pool checks the ones before (a few at a time).
            pending.append(pool.submit(check_group, *args))
            while len(pending) > jobs:
                collect(pending.popleft())
        while pending:
            collect(pending.popleft())
    except NotSorted as exc:
        result.errors.append(str(exc))
        return
    except (ValueError, TypeError) as exc:
        result.errors.append(f"the tables cannot be read as the schema's columns: {exc}")
        return
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    errors += check_keys(package_dir, specs)
    if "policy_terms" in scoped:
        terms = pd.read_csv(package_dir / specs["policy_terms"]["path"], dtype={"n_reports_with_term": "Int64"},
                            usecols=["report_id", "term_normalized", "n_reports_with_term"],
                            keep_default_na=False, na_values=[""])
        errors += _guarded(content_rules.check_shared_terms, terms)[0]
    result.errors += list(dict.fromkeys(errors))
    result.warnings += list(dict.fromkeys(warnings))


def validate_package(package_dir: Path, use_frictionless: bool = True, full: bool = False,
                     jobs: int = 1) -> Validation:
    """Both layers. ``use_frictionless=False`` skips layer 1; ``full`` runs stock frictionless
    over every row in it; ``jobs``: worker processes that check the groups of reports."""
    package_dir = Path(package_dir)
    result = Validation()
    t0 = time.perf_counter()
    if use_frictionless:
        result.errors += check_contract(package_dir, full=full)
    t1 = time.perf_counter()
    check_content(package_dir, result, jobs)
    t2 = time.perf_counter()
    result.seconds.update({"validate_frictionless": t1 - t0, "validate_pandera_rules": t2 - t1,
                           "validate_total": t2 - t0})
    return result


def write_validation_report(result: Validation, path: Path) -> None:
    path.write_text(json.dumps({"valid": result.ok, "errors": result.errors, "warnings": result.warnings},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
