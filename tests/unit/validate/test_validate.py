"""Validation (lbgr.validate): frictionless for the contract, pandera and the content rules over
groups of reports read in lockstep from the sorted tables. Whatever spans groups must still be
caught."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from lbgr import validate as validate_mod
from lbgr.validate import reader as reader_mod
from lbgr.validate import validate_package
from package_helpers import copy_package


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def package(tmp_path) -> Path:
    return copy_package(tmp_path / "pkg")


@pytest.fixture
def small_groups(monkeypatch):
    """Groups of two reports read in blocks of seven rows, so that the corpus spans several
    groups and a group's rows several blocks."""
    monkeypatch.setattr(validate_mod, "REPORTS_PER_GROUP", 2)
    monkeypatch.setattr(reader_mod, "BLOCK_ROWS", 7)


def test_the_committed_package_is_valid_in_small_groups(package, small_groups):
    result = validate_package(package)
    assert result.ok, result.errors


def test_stock_frictionless_names_the_row_of_a_bad_cell(package):
    path = package / "data/tables/measures.csv"
    rows = _rows(path)
    rows[300]["char_start"] = "not a number"
    _write(path, rows)
    # The build's own check: the file no longer has its hash, and the column cannot be read.
    errors = validate_package(package).errors
    assert any("measures" in e and "does not match its hash" in e for e in errors), errors
    # The full stock validation names the row; row numbers count the header as row 1.
    errors = validate_package(package, full=True).errors
    assert any(e.startswith("frictionless: measures row 302:") and "char_start" in e for e in errors), errors


def test_a_key_repeated_in_another_group_of_reports_is_found(package, small_groups):
    path = package / "data/tables/measures.csv"
    rows = _rows(path)
    first, last = rows[0], rows[-1]
    assert first["report_id"] != last["report_id"]
    last["measure_id"] = first["measure_id"]
    _write(path, rows)
    errors = validate_package(package, use_frictionless=False).errors
    assert any("measures: ['measure_id'] is not unique" in e and first["measure_id"] in e for e in errors), errors


def test_foreign_keys_hold_across_groups_and_a_missing_target_is_named(package, small_groups):
    path = package / "data/tables/measures.csv"
    rows = _rows(path)
    paragraphs = _rows(package / "data/tables/paragraphs.csv")
    # A paragraph of another report (another group) exists: the key holds, other rules may not.
    rows[0]["paragraph_id"] = paragraphs[-1]["paragraph_id"]
    rows[1]["paragraph_id"] = "999999-2099-p9999"
    _write(path, rows)
    errors = validate_package(package, use_frictionless=False).errors
    fk = [e for e in errors if "are not in paragraphs" in e]
    assert len(fk) == 1 and "1 rows" in fk[0] and "999999-2099-p9999" in fk[0], errors


@pytest.mark.parametrize("block", [7, 100_000])
def test_a_table_out_of_report_order_is_an_error(package, small_groups, monkeypatch, block):
    monkeypatch.setattr(reader_mod, "BLOCK_ROWS", block)
    path = package / "data/tables/sections.csv"
    rows = _rows(path)
    _write(path, rows[::-1])
    errors = validate_package(package, use_frictionless=False).errors
    assert any("sections: rows are not sorted by report_id" in e for e in errors), errors


def test_rows_out_of_order_across_blocks_are_an_error(package, small_groups):
    path = package / "data/tables/sections.csv"
    rows = _rows(path)
    # Each block of seven is sorted, but the second block starts before the first one ends.
    moved = rows[:7] + [r for r in rows[7:] if r["report_id"] == rows[0]["report_id"]]
    rest = [r for r in rows[7:] if r["report_id"] != rows[0]["report_id"]]
    _write(path, rest[:7] + moved + rest[7:])
    errors = validate_package(package, use_frictionless=False).errors
    assert any("sections: rows are not sorted by report_id" in e for e in errors), errors


def test_shared_term_counts_are_checked_over_the_whole_package(package, small_groups):
    path = package / "data/tables/policy_terms.csv"
    rows = _rows(path)
    # Read in the reports: “放管服” is quoted by four reports, which fall in different groups.
    for r in rows:
        if r["term_normalized"] == "放管服":
            r["n_reports_with_term"] = "3"
    _write(path, rows)
    errors = validate_package(package, use_frictionless=False).errors
    assert any("n_reports_with_term differs" in e and "放管服" in e for e in errors), errors


def test_a_parquet_copy_that_differs_from_its_table_is_an_error(package, small_groups):
    import pandas as pd

    path = package / "data/parquet/sections.parquet"
    df = pd.read_parquet(path)
    df.loc[len(df) - 1, "heading"] = "改过的标题"
    df.to_parquet(path, index=False)
    errors = validate_package(package, use_frictionless=False).errors
    assert "sections: the Parquet copy differs from the CSV table" in errors, errors


# --- a rebuild checks again only what changed ---------------------------------------------------

def _rehash(package: Path, name: str) -> None:
    """Make datapackage.json state the current bytes of resource ``name`` (as a build would)."""
    import hashlib
    import json

    dp = package / "datapackage.json"
    descriptor = json.loads(dp.read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        if res["name"] == name:
            data = (package / res["path"]).read_bytes()
            res["bytes"], res["hash"] = len(data), "sha256:" + hashlib.sha256(data).hexdigest()
    dp.write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def test_with_the_record_of_a_passed_package_nothing_unchanged_is_checked_again(package):
    first = validate_package(package)
    assert first.ok, first.errors
    assert len(first.rules_run) == len(validate_mod.RULES)
    again = validate_package(package, previous=first.record)
    assert again.ok and again.rules_run == []
    assert again.warnings == first.warnings  # the skipped rules' warnings are those they gave


def test_a_changed_table_is_checked_again_and_its_error_found(package):
    record = validate_package(package).record
    path = package / "data/tables/theme_attention.csv"
    rows = _rows(path)
    rows[0]["n_units_attributed"] = str(int(rows[0]["n_units_attributed"]) + 1)
    _write(path, rows)
    _rehash(package, "theme_attention")
    result = validate_package(package, previous=record)
    assert result.rules_run == ["lbgr.validate.content_rules.check_themes"]
    assert any("theme_attention: attributed units" in e for e in result.errors), result.errors


def test_a_record_is_not_trusted_without_the_contract(package):
    record = validate_package(package).record
    path = package / "data/tables/theme_attention.csv"
    rows = _rows(path)
    rows[0]["n_units_attributed"] = str(int(rows[0]["n_units_attributed"]) + 1)
    _write(path, rows)  # not rehashed: layer 1 fails, so every rule runs
    result = validate_package(package, previous=record)
    assert len(result.rules_run) == len(validate_mod.RULES)
    assert any("theme_attention: attributed units" in e for e in result.errors), result.errors


def test_a_rule_that_reads_a_table_it_does_not_declare_fails(package, monkeypatch):
    def peeks(tables, bodies):
        return [] if tables["measures"] is not None else ["unreachable"]

    monkeypatch.setattr(validate_mod, "RULES", [validate_mod.Rule(peeks, ("reports",))])
    errors = validate_package(package).errors
    assert any("reads 'measures', which its Rule does not declare" in e for e in errors), errors
