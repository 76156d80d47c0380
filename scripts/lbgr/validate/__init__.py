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

A rebuild checks again only what changed. Every rule names the tables it reads (``Rule.reads``;
reading another is an error), and a build may pass the record of the package it replaces
(``Validation.record``: the hash of every input it passed with, and each rule's warnings), kept
only while the validation code, schemas and libraries are as they were (``lbgr.build.run``). A
rule, schema or key whose inputs all have the hashes they passed with is not run again, and its
warnings are those it gave then: after a theme keyword is edited, only the theme tables are read
and checked.
"""

from __future__ import annotations

import gc
import hashlib
import json
import time
from collections import deque
from collections.abc import Callable
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

BODIES = "bodies"  # the body texts, as an input of a rule


@dataclass(frozen=True)
class Rule:
    """A content rule on the tables of a group of reports, ``check(tables, bodies) -> [error]`` or
    ``(errors, warnings)``, and the tables it reads (``BODIES`` for the body texts)."""

    check: Callable
    reads: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.check.__module__}.{self.check.__qualname__}"


RULES = [
    Rule(core_rules.core, ("reports", "sections", "paragraphs", BODIES)),
    Rule(content_rules.check_citations, ("citations", BODIES)),
    Rule(content_rules.check_policy_terms, ("policy_terms", BODIES)),
    Rule(content_rules.check_themes, ("paragraph_themes", "theme_attention", "paragraphs", "themes")),
    Rule(content_rules.check_compliance, ("compliance", "reports", "sections", "measures")),
    Rule(measure_rules.check, ("measures", "indicators", "report_indicators", "paragraphs", BODIES)),
    Rule(plausibility_rules.check, ("report_indicators", "plausibility_checks", "indicators", "unit_families")),
]
REPORTS_PER_GROUP = 125


class Declared(dict):
    """The tables (or bodies) a rule declared; reading anything else is an error in its ``Rule``,
    which would otherwise let a rebuild skip it while an input it reads changed."""

    def __init__(self, items: dict, allowed, rule: str):
        super().__init__({k: v for k, v in items.items() if k in allowed} if allowed is not None else items)
        self._allowed, self._rule = allowed, rule

    def _check(self, key) -> None:
        if self._allowed is not None and key not in self._allowed:
            raise KeyError(f"{self._rule} reads {key!r}, which its Rule does not declare")

    def __getitem__(self, key):
        self._check(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._check(key)
        return super().get(key, default)

    def __contains__(self, key) -> bool:
        self._check(key)
        return super().__contains__(key)


@dataclass
class Validation:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    # What a later rebuild needs to skip checks whose inputs did not change: {"inputs": {name:
    # hash}, "warnings": {rule: [warning]}}; empty unless layer 2 ran.
    record: dict = field(default_factory=dict)
    rules_run: list[str] = field(default_factory=list)  # the content rules that ran (the others were known to pass)

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


def check_group(tables: dict[str, pd.DataFrame], bodies: dict[str, str], own: list[str],
                rules: list[Rule]) -> tuple[list[str], dict[str, list[str]]]:
    """Pandera on the tables ``own`` (a group's rows), then ``rules``, each given the tables it
    reads (the group's, and the reference tables); (errors, {rule: warnings})."""
    errors: list[str] = []
    for name in own:
        errors += _schema_errors(name, tables[name])
    warnings: dict[str, list[str]] = {}
    for rule in rules:
        allowed = set(rule.reads)
        rule_errors, warnings[rule.name] = _guarded(rule.check, Declared(tables, allowed, rule.name),
                                                    Declared(bodies, None if BODIES in allowed else set(), rule.name))
        errors += rule_errors
    return errors, warnings


def package_inputs(package_dir: Path) -> dict[str, str]:
    """The hash of every input of layer 2: each resource (and its Parquet copy, as
    ``<name>.parquet``) as datapackage.json states it (layer 1 checks that it holds), and the
    body texts."""
    try:
        descriptor = json.loads((package_dir / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    inputs = {}
    for res in descriptor.get("resources", []):
        inputs[res.get("name", "")] = str(res.get("hash", ""))
        if isinstance(res.get("x_parquet"), dict):
            inputs[f"{res['name']}.parquet"] = str(res["x_parquet"].get("hash", ""))
    h = hashlib.sha256()
    for path in sorted((package_dir / paths.BODIES_DIR).glob("*.txt")):
        h.update(path.name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    inputs[BODIES] = h.hexdigest()
    return inputs


def check_content(package_dir: Path, result: Validation, jobs: int = 1, previous: dict | None = None) -> None:
    """Layer 2 (see the module docstring); with ``jobs`` > 1, the groups are checked in that many
    worker processes while this one reads the next groups. ``previous``: the ``record`` of a
    package that passed, under the same validation code and schemas."""
    specs = load_resources()
    inputs = package_inputs(package_dir)
    passed = (previous or {}).get("inputs", {})
    changed = {n for n in [*specs, *(f"{n}.parquet" for n in specs), BODIES] if n not in inputs or passed.get(n) != inputs[n]}
    rules = [r for r in RULES if changed.intersection(r.reads)]
    result.rules_run = [r.name for r in rules]
    warnings_of = {r.name: list((previous or {}).get("warnings", {}).get(r.name, [])) for r in RULES if r not in rules}
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
        if name != "reports" and name in changed:
            result.errors += _schema_errors(name, whole[name])
    if "reports" not in whole:
        return
    reports = whole.pop("reports")
    ids = reports.report_id.fillna("")
    if not ids.is_monotonic_increasing:
        result.errors.append(str(NotSorted("reports")))
        return
    # A table is read when it changed, when its Parquet copy changed, or when a rule that runs reads it.
    needed = {n for r in rules for n in r.reads} | changed | {n.removesuffix(".parquet") for n in changed}
    read = [n for n in scoped if n in needed]
    own = [n for n in ["reports", *scoped] if n in changed]
    tables = {n: csv_rows(package_dir / specs[n]["path"], n) for n in read}
    copies: dict[str, SortedRows] = {}
    for n in read:
        if specs[n].get("parquet") and {n, f"{n}.parquet"} & changed:
            if (package_dir / parquet_path(n)).exists():
                copies[n] = parquet_rows(package_dir / parquet_path(n), n)
            else:
                result.errors.append(f"{n}: its Parquet copy {parquet_path(n)} is missing")
    errors: list[str] = []
    by_group: list[dict[str, list[str]]] = []
    pool = None
    if jobs > 1 and (own or rules):
        # The workers are forked: without this, their garbage collector would walk every object
        # the build holds, and so copy the memory pages that hold them into each worker.
        gc.freeze()
        pool = ProcessPoolExecutor(max_workers=jobs)
    pending: deque = deque()  # checks of groups running in the pool, in group order

    def collect(future) -> None:
        e, w = future.result() if pool is not None else future
        errors.extend(e)
        by_group.append(w)

    try:
        for start in range(0, max(len(reports), 1) if (own or rules or copies) else 0, REPORTS_PER_GROUP):
            group = reports.iloc[start:start + REPORTS_PER_GROUP]
            last = None if start + REPORTS_PER_GROUP >= len(reports) else str(ids.iloc[start + REPORTS_PER_GROUP - 1])
            rows = {n: t.take(last) for n, t in tables.items()}
            for n, copy in copies.items():
                if not copy.take(last).equals(rows[n]):
                    errors.append(f"{n}: the Parquet copy differs from the CSV table")
            if not (own or rules):
                continue
            bodies = _bodies(package_dir, group) if any(BODIES in r.reads for r in rules) else {}
            args = ({**whole, "reports": group, **rows}, bodies, own, rules)
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
            gc.unfreeze()
    for rule in rules:
        warnings_of[rule.name] = [w for group in by_group for w in group.get(rule.name, [])]
    errors += _guarded(check_keys, package_dir, specs, changed)[0]
    if "policy_terms" in scoped and "policy_terms" in changed:
        terms = pd.read_csv(package_dir / specs["policy_terms"]["path"], dtype={"n_reports_with_term": "Int64"},
                            usecols=["report_id", "term_normalized", "n_reports_with_term"],
                            keep_default_na=False, na_values=[""])
        errors += _guarded(content_rules.check_shared_terms, terms)[0]
    result.errors += list(dict.fromkeys(errors))
    # Warnings by rule (in the order of RULES), then by group.
    result.warnings += list(dict.fromkeys(w for r in RULES for w in warnings_of.get(r.name, [])))
    result.record = {"inputs": inputs, "warnings": {name: list(dict.fromkeys(w)) for name, w in warnings_of.items()}}


def validate_package(package_dir: Path, use_frictionless: bool = True, full: bool = False,
                     jobs: int = 1, previous: dict | None = None) -> Validation:
    """Every layer. ``use_frictionless=False`` skips layer 1; ``full`` runs stock frictionless
    over every row in it; ``jobs``: worker processes that check the groups of reports;
    ``previous``: the ``record`` of a package that passed under the same validation code,
    schemas and libraries (the checks whose inputs are as they were then are not run again;
    only with layer 1, which vouches for the hashes)."""
    package_dir = Path(package_dir)
    result = Validation()
    t0 = time.perf_counter()
    if use_frictionless:
        result.errors += check_contract(package_dir, full=full)
    t1 = time.perf_counter()
    check_content(package_dir, result, jobs, previous if use_frictionless and not result.errors else None)
    t2 = time.perf_counter()
    result.seconds.update({"validate_frictionless": t1 - t0, "validate_pandera_rules": t2 - t1,
                           "validate_total": t2 - t0})
    return result
