"""Validate a built package in two layers: frictionless (the contract) and pandera + content rules."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandera.errors

from . import checks, stages
from .pandera_schemas import dataframe_schema
from .schema_registry import load_resources, table_schema
from .tables import read_table


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


PARALLEL_BYTES = 20_000_000


def frictionless_errors(package_dir: Path) -> list[str]:
    from frictionless import FrictionlessException, Package

    # A large package is validated one resource per core; lbgr.checks.foreign_keys still checks
    # the keys across resources (frictionless does not in parallel mode).
    size = sum(p.stat().st_size for p in (package_dir / "data" / "tables").glob("*.csv"))
    try:
        report = Package(str(package_dir / "datapackage.json")).validate(parallel=size > PARALLEL_BYTES)
    except FrictionlessException as exc:
        return [f"frictionless: datapackage.json: {exc}"]
    out = []
    for task in report.tasks:
        for err in task.errors[:20]:
            where = f" row {err.row_number}" if getattr(err, "row_number", None) else ""
            out.append(f"frictionless: {task.name}{where}: {err.message}")
    out += [f"frictionless: {err.message}" for err in report.errors]
    return out


def load_bodies(package_dir: Path, reports) -> dict[str, str]:
    bodies = {}
    for rid, path in zip(reports.report_id, reports.body_path):
        p = package_dir / path
        if p.exists():
            bodies[rid] = p.read_text(encoding="utf-8")
    return bodies


def parquet_copies_match(package_dir: Path, specs: dict, tables: dict) -> list[str]:
    import pandas as pd

    from .package import parquet_path

    errors = []
    for name, spec in specs.items():
        if not spec.get("parquet") or name not in tables:
            continue
        path = package_dir / parquet_path(name)
        if not path.exists():
            errors.append(f"{name}: its Parquet copy {parquet_path(name)} is missing")
            continue
        copy = pd.read_parquet(path)
        if not copy.reset_index(drop=True).equals(tables[name].reset_index(drop=True)):
            errors.append(f"{name}: the Parquet copy differs from the CSV table")
    return errors


def validate_package(package_dir: Path, use_frictionless: bool = True) -> Validation:
    package_dir = Path(package_dir)
    result = Validation()
    t0 = time.perf_counter()
    if use_frictionless:
        result.errors += frictionless_errors(package_dir)
    t1 = time.perf_counter()
    result.seconds["validate_frictionless"] = t1 - t0
    specs = load_resources()
    tables = {}
    for name, spec in specs.items():
        path = package_dir / spec["path"]
        if not path.exists():
            result.errors.append(f"{name}: {spec['path']} is missing")
            continue
        try:
            df = read_table(path, name)
        except (ValueError, TypeError) as exc:
            result.errors.append(f"{name}: {spec['path']} cannot be read as the schema's columns: {exc}")
            continue
        try:
            dataframe_schema(name).validate(df, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases
            for row in cases.head(20).itertuples():
                result.errors.append(
                    f"pandera: {name}: column {row.column} check {row.check} failed at row {row.index} (value {row.failure_case!r})")
        tables[name] = df
    if result.errors:
        result.seconds["validate_pandera_rules"] = time.perf_counter() - t1
        return result
    result.errors += checks.foreign_keys(tables, {n: table_schema(n) for n in tables})
    result.errors += parquet_copies_match(package_dir, specs, tables)
    bodies = load_bodies(package_dir, tables["reports"])
    errors, warnings = checks.core(tables, bodies)
    result.errors += errors
    result.warnings += warnings
    stages.register_all()
    for check in stages.CONTENT_CHECKS:
        result.errors += check(tables, bodies)
    result.seconds["validate_pandera_rules"] = time.perf_counter() - t1
    return result


def write_validation_report(result: Validation, path: Path) -> None:
    path.write_text(json.dumps({"valid": result.ok, "errors": result.errors, "warnings": result.warnings},
                               ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
