"""Document-type guard: rule-of-law reports in, other annual reports and news out, with reasons."""

from __future__ import annotations

import pytest

from lbgr.ingest.doctype import DOCUMENT_CLASSES, classify_document, load_rules

ROL_BODY = "2023年,我区坚持以习近平法治思想为指引,扎实推进法治政府建设。现将有关情况报告如下。\n一、主要举措和成效\n"


@pytest.mark.parametrize("title, body, expected", [
    ("关于怀化市2023年度法治政府建设情况的报告", ROL_BODY, "rule_of_law_report"),
    ("某某县2023年度法治政府建设工作总结的报告", ROL_BODY, "rule_of_law_report"),
    ("某某市人民政府2016年依法行政工作情况报告", "2016年,全市依法行政工作……", "rule_of_law_report"),
    ("某某县人民政府2023年政府信息公开工作年度报告",
     "本报告根据《中华人民共和国政府信息公开条例》编制。\n二、主动公开政府信息情况", "gov_info_disclosure_report"),
    ("某某区市场监管局2019年行政执法工作报告", "2019年,我局严格规范公正文明执法……", "enforcement_report"),
    ("某某区司法局2023年度行政执法年度报告", "现将2023年度行政执法情况报告如下", "enforcement_report"),
    ("某某县2024年行政复议工作年度报告", "2024年,县政府行政复议机构共收到……", "reconsideration_report"),
    ("某某区召开全面依法治区委员会第五次会议", "会议强调,要扎实推进法治政府建设。", "news_or_other"),
    ("《某某区2023年法治政府建设年度报告》解读", "为便于公众理解……", "news_or_other"),
    ("", "2024年,市政府坚持依法行政。现将2024年法治政府建设情况报告如下。", "rule_of_law_report"),
    ("", "本报告根据条例编制。\n三、收到和处理政府信息公开申请情况\n", "gov_info_disclosure_report"),
    ("", "1月9日,某某区召开会议,传达学习上级会议精神。", "news_or_other"),
    ("", "法治政府建设工作情况。" * 5, "rule_of_law_report"),
    ("", "法治政府建设工作情况。" * 2, "news_or_other"),
    ("", "2022年,县政府推进法治政府建设取得新成效。\n一、工作情况\n内容。", "rule_of_law_report"),
    ("", "1月9日,某区推进法治政府建设。\n会议强调,要抓好落实。", "news_or_other"),
    ("关于印发某某办法的通知", "各乡镇人民政府:现将《某某办法》印发给你们。", "news_or_other"),
])
def test_snippets_are_classified(title, body, expected):
    kind, reason = classify_document(title, body)
    assert kind == expected, reason
    assert kind in DOCUMENT_CLASSES
    assert len(reason) > 20


def test_a_rejection_reason_names_the_document_type_and_the_evidence():
    kind, reason = classify_document("某某县人民政府2023年政府信息公开工作年度报告", "")
    assert kind == "gov_info_disclosure_report"
    assert "政府信息公开工作年度报告" in reason and "title '某某县人民政府2023年政府信息公开工作年度报告'" in reason


def test_news_about_the_report_is_not_the_report():
    kind, reason = classify_document("区政府常务会议审议2023年法治政府建设年度报告", ROL_BODY)
    assert kind == "news_or_other", reason


def test_rules_are_read_from_the_codebook_in_order():
    rules = load_rules()
    assert rules[0].document_class == "gov_info_disclosure_report"
    assert {r.document_class for r in rules} <= set(DOCUMENT_CLASSES)
    assert {r.target for r in rules} <= {"title", "opening", "body"}


@pytest.mark.parametrize("key", ["000", "001", "002", "003", "004"])
def test_the_five_corpus_reports_are_accepted(corpus, key):
    doc = corpus[key].doc
    kind, reason = classify_document(doc.meta["title"], doc.body)
    assert kind == "rule_of_law_report", reason


def test_the_parse_step_reads_the_document_types_of_its_own_codebooks_folder(tmp_path):
    """A researcher's edited codebook folder (``build --codebooks``, ``Context(codebooks=…)``) is the
    one the verdict reads, not data/codebooks."""
    import csv
    import shutil

    from lbgr import paths
    from lbgr.parse.context import Context
    from lbgr.parse.report import ReportRejected, process_text

    folder = tmp_path / "codebooks"
    shutil.copytree(paths.CODEBOOKS, folder)
    with open(folder / "document_types.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows.insert(0, {**rows[0], "document_class": "news_or_other", "target": "title", "pattern": "试行稿",
                    "min_count": "1", "reason": "a draft marked 试行稿"})
    with open(folder / "document_types.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    text = "某某县人民政府2023年度法治政府建设情况报告（试行稿）\n" + ROL_BODY + "继续推进法治政府建设。"
    process_text(text, "a.txt", "0" * 64, Context())  # accepted by the package's own codebook
    with pytest.raises(ReportRejected, match="试行稿"):
        process_text(text, "a.txt", "0" * 64, Context(codebooks=folder))
