import pytest

from conftest import doc_from_text
from lbgr.ingest.dates import find_date, full_date_line
from lbgr.parse.metadata import find_signature, issuer_type_of, split_title
from lbgr.parse.report import ReportRejected

OPENING = "坚持以习近平法治思想为指导,推进法治政府建设取得新成效。"


@pytest.mark.parametrize("title, issuer, place", [
    ("关于某某市2023年度法治政府建设情况的报告", "", "某某市"),
    ("中共某某县委 某某县人民政府关于2020年度法治政府建设情况的报告", "中共某某县委 某某县人民政府", ""),
    ("某某区人民政府2023年法治政府建设情况报告", "某某区人民政府", ""),
    ("某某市2021年度法治政府建设情况报告", "", "某某市"),
    ("某某市司法局关于2022年度法治政府建设工作情况的报告", "某某市司法局", ""),
])
def test_title_names_an_issuer_or_a_place(title, issuer, place):
    assert split_title(title) == (issuer, place)


@pytest.mark.parametrize("issuer, kind", [
    ("中共某某县委 某某县人民政府", "party_and_government"),
    ("某某市人民政府", "government"),
    ("某某市司法局", "department"),
    ("某某省人民政府办公厅", "department"),
])
def test_issuer_type(issuer, kind):
    assert issuer_type_of(issuer) == kind


@pytest.mark.parametrize("text, iso", [
    ("2024-02-22 15:24", "2024-02-22"), ("2022年2月16日", "2022-02-16"), ("2022/2/6", "2022-02-06"),
    ("二〇二二年二月十六日", "2022-02-16"), ("二○二四年十二月三十一日", "2024-12-31"), ("2023年2月30日", None),
])
def test_dates(text, iso):
    assert find_date(text) == iso


def test_signature_block_variants():
    assert find_signature(["正文。", "某县人民政府", "2022年2月16日"]) == ("某县人民政府", "2022-02-16", 1)
    assert find_signature(["正文。", "中共某县委", "某县人民政府", "二〇二二年三月一日"])[:2] == ("中共某县委 某县人民政府", "2022-03-01")
    assert find_signature(["正文。", "某县人民政府 2022年2月16日"])[:2] == ("某县人民政府", "2022-02-16")
    assert find_signature(["正文。", "全年办结案件30件。"]) == ("", None, None)
    assert full_date_line("2022年2月16日召开会议") is None


def test_year_from_title_else_from_the_opening(ctx):
    r = doc_from_text("现将2024年法治政府建设情况报告如下。\n一、工作情况\n市政府推进工作,包头市成效明显。", ctx)
    assert r.tables["reports"][0]["report_year"] == 2024
    r = doc_from_text("2022年,县政府" + OPENING + "\n一、工作情况\n内容。", ctx)
    assert r.tables["reports"][0]["report_year"] == 2022


def test_no_year_is_a_rejection_with_a_reason(ctx):
    with pytest.raises(ReportRejected, match="no reported year"):
        doc_from_text("市政府" + OPENING + "\n一、工作情况\n内容。", ctx)


def test_ambiguous_place_is_resolved_from_evidence_or_left_empty(ctx):
    with_evidence = doc_from_text("通州区人民政府2023年法治政府建设情况报告\n2023年,在南通市委市政府领导下" + OPENING, ctx)
    row = with_evidence.tables["reports"][0]
    assert (row["division_code"], row["prefecture"], row["jurisdiction_full"]) == ("320612", "南通市", "江苏省南通市通州区")
    beijing = doc_from_text("通州区人民政府2023年法治政府建设情况报告\n2023年,在北京市委市政府领导下" + OPENING, ctx)
    assert beijing.tables["reports"][0]["division_code"] == "110112"
    no_evidence = doc_from_text("通州区人民政府2023年法治政府建设情况报告\n2023年,区政府" + OPENING, ctx)
    row = no_evidence.tables["reports"][0]
    assert row["division_code"] == "" and row["jurisdiction"] == "通州区" and row["admin_level"] is None
    assert row["report_id"].startswith("000000-2023-")
    assert any("ambiguous" in w for w in no_evidence.warnings)


def test_place_of_an_untitled_report_comes_from_the_body(ctx):
    text = "2024年,市政府" + OPENING + "\n一、工作情况\n出台《包头市优化营商环境措施》,包头市成效明显,呼和浩特市来学习。"
    row = doc_from_text(text, ctx).tables["reports"][0]
    assert (row["jurisdiction"], row["division_code"], row["title"]) == ("包头市", "150200", "")
    assert (row["issuer"], row["issuer_source"], row["admin_level"]) == ("包头市人民政府", "jurisdiction", "prefecture")


def test_published_on_time_rule(ctx):
    def on_time(date):
        text = f"某县2023年度法治政府建设情况报告\n发布时间:{date}\n2023年,县政府" + OPENING
        return doc_from_text(text, ctx).tables["reports"][0]["published_on_time"]

    assert on_time("2024-03-31") is True
    assert on_time("2024-04-01") is False
    assert doc_from_text("某县2023年度法治政府建设情况报告\n2023年,县政府" + OPENING, ctx).tables["reports"][0]["published_on_time"] is None
