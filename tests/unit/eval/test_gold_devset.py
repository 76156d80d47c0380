"""The development-set scorer (lbgr.eval.gold_devset) on a small invented excerpt and its gold."""

from __future__ import annotations

import csv
import json

from lbgr.eval import gold_devset

# An invented report opening in traditional characters, with a page line before it and a figure
# cut off at the end.
EXCERPT = ("首頁 > 政務公開\n某縣2023年法治政府建設情況報告\n"
           "2023年,縣政府深入貫徹《法治政府建設實施綱要(2021-2025年)》。\n"
           "一、深入推進依法行政 (一)健全制度。全年審查文件12件,舉辦培訓 3 次。\n"
           "(二)規範執法。辦理案件45件,壓減至2個")


def _write(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def _gold(tmp_path):
    gold = tmp_path / "gold"
    gold.mkdir()
    at = EXCERPT.find
    _write(gold / "files.csv", ["file", "annotator", "n_headings", "n_citations", "n_measures", "note"],
           [["e001.txt", "T", 3, 1, 4, ""]])
    _write(gold / "headings.csv", ["file", "level", "marker", "char_start", "heading", "part_type", "note"],
           [["e001.txt", 1, "一、", at("一、"), "深入推進依法行政", "achievements", ""],
            ["e001.txt", 2, "(一)", at("(一)"), "健全制度", "", ""],
            ["e001.txt", 2, "(二)", at("(二)"), "規範執法", "", ""]])
    _write(gold / "citations.csv", ["file", "char_start", "title", "parent_char_start", "note"],
           [["e001.txt", at("《"), "法治政府建設實施綱要(2021-2025年)", "", ""]])
    cols = ["file", "char_start", "surface", "value", "scale", "value_normalized", "unit", "unit_normalized",
            "qualifier", "value_kind", "is_borderline", "note"]
    _write(gold / "measures.csv", cols,
           [["e001.txt", at("12件"), "12件", 12, "", 12, "件", "件", "exact", "count", "false", ""],
            ["e001.txt", at("3 次"), "3 次", 3, "", 3, "次", "次", "exact", "count", "false", ""],
            ["e001.txt", at("45件"), "45件", 45, "", 45, "件", "件", "exact", "count", "false", ""],
            ["e001.txt", at("全年"), "全年", 1, "", 1, "年", "年", "exact", "duration", "true", "borderline"]])
    devset = tmp_path / "devset"
    devset.mkdir()
    (devset / "e001.txt").write_text(EXCERPT, encoding="utf-8")
    return devset, gold


def test_offsets_of_the_body_map_back_to_the_excerpt():
    excerpt = "甲\n\n  乙　丙《綱要》"
    body = "甲\n乙 丙《纲要》"
    where = gold_devset.body_to_excerpt(excerpt, body)
    assert [excerpt[where[i]] for i in range(len(body)) if not body[i].isspace()] == list("甲乙丙《綱要》")
    assert where[len(body)] == len(excerpt)


def test_the_scorer_matches_headings_titles_and_figures(tmp_path, ctx):
    devset, gold = _gold(tmp_path)
    acc = gold_devset.evaluate(devset, gold, ctx=ctx, bypass_verdict=True)
    f = acc.figures()
    assert f["headings_level_1"]["recall"] == f["headings_level_1"]["precision"] == 1.0
    assert f["headings_level_2"]["recall"] == f["headings_level_2"]["precision"] == 1.0
    assert f["part_types"]["accuracy"] == 1.0
    assert f["citations"]["recall"] == f["citations"]["precision"] == 1.0
    assert (f["measures"]["n_gold"], f["measures"]["n_matched"], f["measures"]["n_extracted"]) == (3, 3, 3)


def test_the_record_holds_figures_and_file_names_only(tmp_path, ctx):
    devset, gold = _gold(tmp_path)
    acc = gold_devset.evaluate(devset, gold, ctx=ctx, bypass_verdict=True)
    out = tmp_path / "figures.json"
    gold_devset.record(acc, acc, ["e001.txt"], out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["files"] == ["e001.txt"] and "figures" in data and "git_commit" in data
    text = out.read_text(encoding="utf-8")
    assert "依法行政" not in text and "綱要" not in text


def test_a_missing_devset_is_reported_not_raised(tmp_path, capsys):
    assert gold_devset.main([str(tmp_path / "absent")]) == 1
    assert "no development set" in capsys.readouterr().out


def test_the_bypass_scores_the_content_of_a_report_that_names_no_year(tmp_path, ctx):
    # A mirror that lost every digit: the build rejects it (no reported year), the bypass reads it.
    excerpt = "年,县政府全面推进法治政府建设。\n一、深入推进依法行政\n全年审查文件十二件。\n二、存在的问题\n仍有不足。"
    devset = tmp_path / "devset"
    devset.mkdir()
    (devset / "e002.txt").write_text(excerpt, encoding="utf-8")
    got = gold_devset.run_pipeline(devset / "e002.txt", ctx, bypass_verdict=True)
    assert got.verdict == "rejected"
    assert [(h["level"], h["marker"]) for h in got.headings] == [(1, "一、"), (1, "二、")]
