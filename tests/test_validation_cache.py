"""Validation in content-defined pieces, and the cache of their results (lbgr.validation_cache).

What must hold: adding rows changes few pieces; a piece is taken from the cache only when its
bytes are as before, so an error anywhere is still found; a damaged cache is only a miss."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest

from lbgr import frictionless_ranges
from lbgr import validate as validate_mod
from lbgr.frictionless_ranges import row_ranges
from lbgr.table_slices import row_ends
from lbgr.validate import report_groups, validate_package
from package_helpers import copy_package


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def _rows(n: int, seed: int) -> list[list[str]]:
    rnd = random.Random(seed)
    words = ["依法行政", "复议", "12,000", 'say "yes"', "a\nb", "诉讼", "", "执法"]
    return [[f"r{i:05d}", rnd.choice(words), str(rnd.randint(0, 10**6))] for i in range(n)]


def test_row_ends_are_the_record_ends_even_with_quoted_line_breaks():
    data = _csv([["id", "text", "n"]] + _rows(500, 1))
    ends, pos = [], 0
    # The records as the csv module reads them, located by re-encoding each one.
    for record in csv.reader(io.StringIO(data.decode("utf-8"))):
        pos += len(_csv([record]))
        ends.append(pos)
    assert row_ends(data).tolist() == ends
    assert row_ends(data[:-1]).tolist() == ends[:-1] + [len(data) - 1]  # no final line end


def test_inserting_rows_changes_only_the_range_they_fall_in():
    rows = _rows(20_000, 2)
    header = _csv([["id", "text", "n"]])
    before = header + _csv(rows)
    after = header + _csv(rows[:9_000] + _rows(3, 3) + rows[9_000:])
    pieces = [{data[b:e] for b, e in row_ranges(data, len(header), 20_000)} for data in (before, after)]
    assert len(pieces[0]) > 10
    assert len(pieces[1] - pieces[0]) <= 2, "more ranges changed than the one the rows went into (and its neighbour)"


def test_inserting_a_report_changes_only_its_own_group():
    rnd = random.Random(4)
    ids = sorted({f"{rnd.randint(110000, 659999)}-{rnd.randint(2015, 2025)}" for _ in range(3_000)})
    groups = [tuple(ids[a:b]) for a, b in report_groups(ids, 50)]
    assert [i for g in groups for i in g] == ids and max(map(len, groups)) <= 100
    for new in ("110000-2014", ids[1500][:-1] + "9x", "999999-2030"):
        grown = sorted(ids + [new])
        changed = {tuple(grown[a:b]) for a, b in report_groups(grown, 50)} - set(groups)
        assert len(changed) <= 2, f"adding {new} changed {len(changed)} groups"


def _rewrite(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(validate_mod, "REPORTS_PER_CHUNK", 2)
    monkeypatch.setattr(frictionless_ranges, "RANGE_BYTES", 20_000)


def test_a_cached_validation_reuses_unchanged_pieces_and_still_finds_a_new_error(tmp_path, small_pieces):
    package, cache = copy_package(tmp_path / "pkg"), tmp_path / "cache"
    first = validate_package(package, jobs=1, cache_dir=cache)
    assert first.ok, first.errors
    assert first.pieces["groups_cached"] == 0 and first.pieces["ranges_cached"] == 0
    again = validate_package(package, jobs=2, cache_dir=cache)
    assert again.ok and again.cache_keys == first.cache_keys
    assert again.pieces["groups_cached"] == again.pieces["groups"] >= 3
    assert again.pieces["ranges_cached"] == again.pieces["ranges"] > 10

    # One bad cell: its range and its group are checked again, and the error is found.
    _rewrite(package / "data/tables/measures.csv", lambda rows: rows[300].update(char_start="-5"))
    bad = validate_package(package, jobs=1, cache_dir=cache)
    assert any(e.startswith("frictionless: measures row 302:") and "char_start" in e for e in bad.errors), bad.errors
    assert any(e.startswith("pandera: measures") for e in bad.errors), bad.errors
    assert bad.pieces["ranges"] - bad.pieces["ranges_cached"] <= 3
    assert bad.pieces["groups"] - bad.pieces["groups_cached"] == 1


def test_the_cross_report_columns_are_checked_every_time(tmp_path, small_pieces):
    package, cache = copy_package(tmp_path / "pkg"), tmp_path / "cache"
    assert validate_package(package, jobs=1, cache_dir=cache).ok

    def miscount(rows):  # a term quoted by one report, claimed to be quoted by 7
        row = next(r for r in rows if r["n_reports_with_term"] == "1")
        row["n_reports_with_term"] = "7"

    _rewrite(package / "data/tables/policy_terms.csv", miscount)
    errors = validate_package(package, jobs=1, cache_dir=cache).errors
    assert any("n_reports_with_term differs" in e for e in errors), errors


def test_a_damaged_cache_is_only_a_miss(tmp_path, small_pieces):
    package, cache = copy_package(tmp_path / "pkg"), tmp_path / "cache"
    assert validate_package(package, jobs=1, cache_dir=cache).ok
    entries = sorted(cache.glob("*/*.result"))
    assert entries
    for p in entries:
        p.write_bytes(b"not a pickle")
    _rewrite(package / "data/tables/sections.csv", lambda rows: rows[5].update(level="-3"))
    result = validate_package(package, jobs=1, cache_dir=cache)
    assert result.pieces["groups_cached"] == 0 and result.pieces["ranges_cached"] == 0
    assert any("sections" in e and "level" in e for e in result.errors), result.errors


def test_the_list_of_raw_files_does_not_invalidate_the_groups_and_its_keys_are_still_checked(tmp_path, small_pieces):
    package, cache = copy_package(tmp_path / "pkg"), tmp_path / "cache"
    assert validate_package(package, jobs=1, cache_dir=cache).ok
    sources = package / "data/raw/sources.csv"
    with open(sources, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    dropped = rows[2]["source_file"]
    _rewrite(sources, lambda rows: rows.pop(2))
    result = validate_package(package, jobs=1, cache_dir=cache, use_frictionless=False)
    # Every group comes from the cache (the manifest is not part of their keys) ...
    assert result.pieces["groups_cached"] == result.pieces["groups"]
    # ... and the report whose raw file is no longer listed is still caught.
    assert any(e.startswith("reports: 1 rows whose ['source_file'] are not in sources") and dropped in e
               for e in result.errors), result.errors
