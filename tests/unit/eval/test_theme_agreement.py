"""The theme agreement scorer (lbgr.eval.theme_agreement): alpha, merging X0 and NONE, splits, records."""

from __future__ import annotations

import csv
import json

import pytest

from lbgr.eval import theme_agreement as ta

# An invented report: a title (no theme), an opening formula, and three numbered items.
REPORT = ("某县2023年法治政府建设情况报告\n"
          "现将有关情况报告如下。\n"
          "一、主要工作\n"
          "(一)深化放管服改革。推进告知承诺制和证照分离改革。\n"
          "(二)办理行政复议案件。新收行政复议申请12件。\n"
          "(三)加强普法。开展普法活动20场次。\n")


def test_alpha_is_one_for_perfect_agreement_and_as_computed_by_hand_otherwise():
    assert ta.alpha([("P02", "P02"), ("P05", "P05"), ("X1", "X1")]) == pytest.approx(1.0)
    # Coincidences: a–a 2, a–b 1, b–a 1, b–b 4 (n = 8): alpha = 1 - (2/8) / (2·3·5 / (8·7)) = 8/15.
    assert ta.alpha([("a", "a"), ("a", "b"), ("b", "b"), ("b", "b")]) == pytest.approx(8 / 15)


def test_alpha_is_undefined_on_one_unit_or_one_value():
    assert ta.alpha([("P02", "P05")]) is None
    assert ta.alpha([("P02", "P02"), ("P02", "P02")]) is None


def test_x0_and_none_are_one_value_in_the_merged_figures_only():
    c = ta.Comparison("t", "hand", "coder")
    for k, (a, b) in enumerate([("X0", "NONE"), ("P02", "P02"), ("P05", "P05"), ("NONE", "NONE")]):
        c.add(("f.txt", k, k + 1), a, b)
    f = c.figures()
    assert f["alpha_merged"] == 1.0 and f["agreement_merged"] == 1.0
    assert f["alpha"] < 1.0 and f["agreement"] == 0.75
    assert c.disagreements() == []
    assert f["confusion"]["X0"] == {"NONE": 1}
    outside = next(t for t in f["per_theme"] if t["theme_code"] == ta.OUTSIDE)
    assert (outside["n_first"], outside["n_second"], outside["n_both"]) == (2, 2, 2)


def test_per_theme_counts_each_side_and_the_units_both_give():
    rows = {t["theme_code"]: t for t in ta.per_theme([("P02", "P02"), ("P02", "P05"), ("P05", "P05")])}
    assert rows["P02"] == {"theme_code": "P02", "n_first": 2, "n_second": 1, "n_both": 1, "recall": 0.5, "precision": 1.0}
    assert rows["P05"]["recall"] == 1.0 and rows["P05"]["precision"] == 0.5
    assert "P03" not in rows


def _write_coding(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "unit_id", "char_start", "char_end", "theme_code", "confidence", "note"])
        w.writerows(rows)


def test_the_coder_is_scored_on_the_units_it_cuts_with_no_theme_as_none(tmp_path, ctx):
    devset = tmp_path / "devset"
    devset.mkdir()
    for name in ("d001.txt", "d002.txt"):
        (devset / name).write_text(REPORT, encoding="utf-8")
    units = ta.coder_units(devset / "d001.txt", ctx)
    assert [u["theme_code"] for u in units][0] is None  # the title
    # The hand coding: what the coder says, but the opening formula X0 and one item changed.
    hand = {u["unit_id"]: u["theme_code"] or "NONE" for u in units}
    rows = []
    for name in ("d001.txt", "d002.txt"):
        for u in units:
            code = hand[u["unit_id"]]
            if name == "d002.txt" and code == "X1":
                code = "P10"
            rows.append([name, u["unit_id"], u["char_start"], u["char_end"], code, "high", ""])
    gold = tmp_path / "gold"
    gold.mkdir()
    _write_coding(gold / "package.csv", [])
    _write_coding(gold / "second_coder.csv", rows[: len(units)])
    _write_coding(tmp_path / "devset_themes.csv", rows)
    with open(gold / "splits.csv", "w", encoding="utf-8") as fh:
        fh.write("file,split,note\nd001.txt,development,\nd002.txt,held_out,\n")
    agreement = ta.evaluate(devset, tmp_path / "no_raw", ta.HandCoding.load(gold, tmp_path / "devset_themes.csv"), ctx)
    f = agreement.figures()
    assert f["coder_devset_development"]["alpha_merged"] == 1.0
    assert f["coder_devset_development"]["n_units"] == len(units)
    held_out = agreement.comparisons["coder_held_out"]
    assert [(a, b) for _, a, b in held_out.disagreements()] == [("P10", "X1")]
    assert f["people_devset"]["n_units"] == len(units) and f["people_devset"]["alpha_merged"] == 1.0
    assert "people_package" not in f  # no doubly coded package report
    assert agreement.unmatched == {"package": 0, "devset": 0, "second": 0}


def test_record_keeps_the_first_held_out_figure(tmp_path):
    c = ta.Comparison("coder_held_out", "hand", "coder")
    c.add(("f.txt", 0, 1), "P02", "P02")
    c.add(("f.txt", 1, 2), "P05", "P05")
    agreement = ta.Agreement({"coder_held_out": c}, ta.Coded({}, {}, []), {})
    path = tmp_path / "themes_agreement.json"
    ta.record(agreement, path)
    first = tmp_path / "themes_agreement_heldout_first.json"
    assert json.loads(first.read_text())["figures"]["coder_held_out"]["alpha_merged"] == 1.0
    c.add(("f.txt", 2, 3), "P02", "P05")
    ta.record(agreement, path)
    assert json.loads(path.read_text())["figures"]["coder_held_out"]["n_units"] == 3
    assert json.loads(first.read_text())["figures"]["coder_held_out"]["n_units"] == 2


# --- the hand coding in the repository ----------------------------------------------------------

def test_the_hand_coding_uses_the_codebook_and_covers_the_package_units(ctx):
    from lbgr import paths

    hand = ta.HandCoding.load()
    for coding in (hand.package, hand.devset, hand.second):
        assert coding and set(coding.values()) <= set(ta.CODES)
    assert set(hand.splits.values()) == {"development", "held_out"}
    assert {u[0] for u in hand.devset} <= set(hand.splits)
    # Every unit the coder cuts in the package reports is hand-coded, at the same offsets.
    coded = ta.coder_codes(sorted({u[0] for u in hand.package}), [paths.RAW], ctx)
    assert not coded.missing_files
    assert set(coded.codes) == set(hand.package)


def test_the_coder_agrees_with_the_hand_coding_of_the_package_and_the_book_has_the_current_figures(ctx):
    from lbgr import paths

    hand = ta.HandCoding.load()
    coded = ta.coder_codes(sorted({u[0] for u in hand.package}), [paths.RAW], ctx)
    live = ta.compare("coder_package", "hand", hand.package, "coder", coded.codes).figures()
    people = ta.compare("people_package", "first annotator", hand.package, "second annotator", hand.second).figures()
    assert live["alpha_merged"] >= max(0.80, people["alpha_merged"])
    recorded = json.loads((paths.ROOT / "book" / "_static" / "themes_agreement.json").read_text(encoding="utf-8"))
    assert recorded["figures"]["coder_package"] == live, "re-record: python -m lbgr.eval.theme_agreement --record"
    assert recorded["figures"]["people_package"] == people
