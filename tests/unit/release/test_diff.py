"""lbgr.release.diff on small hand-made packages: rows added, removed and changed, columns added and removed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lbgr.cli import main
from lbgr.release.diff import DiffError, diff_packages, format_text


def _package(root: Path, tables: dict[str, tuple[list[str], list[str], list[list[str]]]], version="1.0") -> Path:
    """A minimal package: ``{name: (primary key, header, rows)}``, one CSV and inline schema each."""
    root.mkdir(parents=True)
    resources = []
    for name, (key, header, rows) in tables.items():
        path = root / f"{name}.csv"
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
        resources.append({"name": name, "path": path.name,
                          "schema": {"fields": [{"name": h, "type": "string"} for h in header], "primaryKey": key}})
    (root / "datapackage.json").write_text(json.dumps({"name": "t", "version": version, "resources": resources}),
                                           encoding="utf-8")
    return root


def test_counts_added_removed_and_changed_rows_by_key(tmp_path):
    old = _package(tmp_path / "old", {
        "reports": (["report_id"], ["report_id", "year"], [["a", "2020"], ["b", "2021"], ["c", "2022"]]),
        "themes": (["report_id", "theme"], ["report_id", "theme", "hits"],
                   [["a", "P02", "1"], ["a", "P03", "2"], ["b", "P02", "3"]]),
    })
    new = _package(tmp_path / "new", {
        "reports": (["report_id"], ["report_id", "year"], [["a", "2020"], ["b", "2021"], ["d", "2023"]]),
        "themes": (["report_id", "theme"], ["report_id", "theme", "hits"],
                   [["a", "P02", "5"], ["a", "P03", "2"], ["b", "P02", "4"], ["d", "P02", "1"]]),
    }, version="1.1")
    d = diff_packages(old, new)
    assert (d.version_old, d.version_new) == ("1.0", "1.1")
    assert d.reports_added == ["d"] and d.reports_removed == ["c"]
    reports = d.table("reports")
    assert (reports.rows_added, reports.rows_removed, reports.rows_changed) == (1, 1, 0)
    themes = d.table("themes")
    assert (themes.rows_old, themes.rows_new, themes.rows_added, themes.rows_removed, themes.rows_changed) == (3, 4, 1, 0, 2)
    assert themes.changed_by_column == {"hits": 2}
    text = format_text(d)
    assert "| themes | changed | 3 | 4 | 1 | 0 | 2 |" in text and "| themes | hits | 2 |" in text


def test_columns_added_and_removed_and_tables_added(tmp_path):
    old = _package(tmp_path / "old", {"t": (["k"], ["k", "a", "gone"], [["1", "x", "y"]])})
    new = _package(tmp_path / "new", {"t": (["k"], ["k", "a", "b"], [["1", "x", "z"]]),
                                      "u": (["k"], ["k"], [["1"], ["2"]])})
    d = diff_packages(old, new)
    t = d.table("t")
    assert (t.columns_added, t.columns_removed, t.rows_changed) == (["b"], ["gone"], 0)
    assert (d.table("u").status, d.table("u").rows_new) == ("added", 2)


def test_identical_packages_differ_in_nothing(tmp_path):
    spec = {"t": (["k"], ["k", "a"], [["1", "x"], ["2", "y"]])}
    d = diff_packages(_package(tmp_path / "a", spec), _package(tmp_path / "b", spec))
    assert [t.status for t in d.tables] == ["same"]
    assert "No table differs." in format_text(d)


def test_a_duplicate_key_is_an_error_naming_the_file(tmp_path):
    old = _package(tmp_path / "old", {"t": (["k"], ["k", "a"], [["1", "x"]])})
    new = _package(tmp_path / "new", {"t": (["k"], ["k", "a"], [["1", "x"], ["1", "y"]])})
    with pytest.raises(DiffError, match=r"new/t\.csv: the primary key \['k'\] is not unique"):
        diff_packages(old, new)


def test_the_command_line_reports_a_missing_package_with_status_2(tmp_path, capsys):
    spec = {"t": (["k"], ["k", "a"], [["1", "x"]])}
    assert main(["diff", str(_package(tmp_path / "a", spec)), str(tmp_path / "nothing")]) == 2
    assert "nothing/datapackage.json: no such file" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "a"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"][0]["status"] == "same"
