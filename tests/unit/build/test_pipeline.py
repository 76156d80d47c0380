"""The stage list (lbgr.pipeline) and the per-step cache keyed on it (lbgr.build.cache)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from lbgr import paths, pipeline
from lbgr.build.run import EXIT_OK, build
from lbgr.parse.context import Context
from lbgr.parse.report import process_text
from testroot import ROOT

RAW = ROOT / "data" / "raw"


def test_every_table_is_made_by_one_listed_step():
    from lbgr.schema_registry import load_resources

    tables = [n for n, spec in load_resources().items() if spec["path"].startswith(paths.TABLES_DIR)]
    for name in tables:
        step = pipeline.step_making(name)
        assert name in step.tables and step.module.startswith("lbgr.")


@pytest.mark.parametrize("step", [s for s in pipeline.STEPS if s.kind in ("per_report", "derived")],
                         ids=lambda s: s.name)
def test_a_step_reads_only_the_codebooks_and_reference_tables_it_declares(step):
    """The cache key of a step holds the codebooks the list declares: a step that read another
    one would keep a stale result when that one is edited."""
    text = (RAW / "000_b42d8d81e0a81924.txt").read_text(encoding="utf-8")
    result = process_text(text, "000.txt", "0" * 64, Context())
    fresh = Context()
    if step.kind == "per_report":
        step.run(result.doc, fresh)
    else:
        rows = dict(result.tables)
        for s in pipeline.STEPS:
            if s.kind == "per_report" and set(s.tables) & set(step.reads):
                rows.update(s.run(result.doc, Context()))
        step.run(rows, fresh)
    assert set(fresh._cache) <= set(step.codebooks)
    if "divisions" in fresh.__dict__:
        assert "divisions" in step.reference


def _edit(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    change(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _tables(package: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((package / "data" / "tables").iterdir())}


def test_editing_one_codebook_reruns_only_the_steps_that_read_it(tmp_path):
    codebooks = tmp_path / "codebooks"
    shutil.copytree(paths.CODEBOOKS, codebooks)
    out = tmp_path / "pkg"
    quiet = lambda *_: None  # noqa: E731
    first: dict = {}
    assert build(RAW, out, echo=quiet, stats=first, codebooks=codebooks) == EXIT_OK
    assert first["steps_run"]["themes"] == first["files"]

    before = _tables(out)
    # A keyword that the reports use and the codebook lacks: the coding changes.
    _edit(codebooks / "theme_keywords.csv",
          lambda rows: rows.append({**rows[0], "keyword": "信用", "pattern": "", "notes": "test"}))
    second: dict = {}
    assert build(RAW, out, echo=quiet, stats=second, codebooks=codebooks) == EXIT_OK
    assert second["steps_run"] == {"themes": first["files"]}
    changed = {name for name, data in _tables(out).items() if before[name] != data}
    assert changed == {"paragraph_themes.csv", "theme_attention.csv"}
    # Validation checks again only what reads the changed tables.
    assert len(first["validation_rules_run"]) > 1
    assert second["validation_rules_run"] == ["lbgr.validate.content_rules.check_themes"]

    _edit(codebooks / "indicators.csv", lambda rows: rows[0].update(indicator_name_en="edited"))
    third: dict = {}
    assert build(RAW, out, echo=quiet, stats=third, codebooks=codebooks) == EXIT_OK
    assert set(third["steps_run"]) == {"measures", "report_indicators"}
    assert set(third["validation_rules_run"]) == {"lbgr.validate.measure_rules.check", "lbgr.validate.plausibility_rules.check"}

    # What the cache gives equals a build from scratch with the edited codebooks.
    scratch = tmp_path / "scratch"
    assert build(RAW, scratch, echo=quiet, cache_dir=False, codebooks=codebooks) == EXIT_OK
    assert _tables(out) == _tables(scratch)


def test_an_edited_number_words_codebook_in_another_folder_is_used(tmp_path):
    codebooks = tmp_path / "codebooks"
    shutil.copytree(paths.CODEBOOKS, codebooks)
    out = tmp_path / "pkg"
    quiet = lambda *_: None  # noqa: E731
    assert build(RAW, out, echo=quiet, codebooks=codebooks) == EXIT_OK
    before = _tables(out)

    def without_jian(rows):  # the measure word 件, which the reports use often
        rows[:] = [r for r in rows if not (r["number_word_role"] == "unit" and r["number_word"] == "件")]

    _edit(codebooks / "number_words.csv", without_jian)
    second: dict = {}
    assert build(RAW, out, echo=quiet, stats=second, codebooks=codebooks) == EXIT_OK
    # The steps that read the number grammar rerun, with the edited copy: no figure in 件 is left.
    assert set(second["steps_run"]) == {"compliance", "measures", "report_indicators"}
    units_before = [row["unit"] for row in csv.DictReader(before["measures.csv"].decode("utf-8").splitlines())]
    with open(out / "data" / "tables" / "measures.csv", encoding="utf-8", newline="") as fh:
        units = [row["unit"] for row in csv.DictReader(fh)]
    assert "件" in units_before and units and "件" not in units
    assert _tables(out)["compliance.csv"] != before["compliance.csv"]  # n_figures counts by the same grammar
