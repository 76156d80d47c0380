"""Citations: bracket matching, normalisation, document type, scope and action."""

from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_helpers import make_doc
from lbgr.extract.citations import (
    SPLIT_TITLE_MAX_CHARS,
    CitationRules,
    closes,
    extract_citations,
    find_titles,
    normalize_title,
)
from testroot import ROOT, TESTS

EXPECTED = TESTS / "data" / "citations_expected.csv"


@pytest.fixture(scope="module")
def rules(ctx):
    return CitationRules.from_context(ctx)


def cite(ctx, text: str, **meta) -> list[dict]:
    return extract_citations(make_doc(text, meta=meta), ctx)["citations"]


def titles(text: str) -> list[str]:
    return [text[t.start:t.end] for t in find_titles(text)]


# --- finding titles ---------------------------------------------------------------------------

def test_titles_in_a_list_are_each_found():
    assert titles("印发《甲办法》《乙方案》和《丙意见》等文件") == ["甲办法", "乙方案", "丙意见"]


def test_nested_titles_with_cjk_angle_brackets_link_to_their_parent():
    text = "印发《关于贯彻落实〈四川省社会信用管理暂行办法〉的通知》"
    spans = find_titles(text)
    assert [text[s.start:s.end] for s in spans] == ["关于贯彻落实〈四川省社会信用管理暂行办法〉的通知", "四川省社会信用管理暂行办法"]
    assert spans[0].parent is None and spans[1].parent == 0
    assert spans[1].opener == "〈"


def test_nested_titles_with_half_width_angle_brackets():
    text = "编制《某区落实<关于强化知识产权保护的实施意见>的若干措施》"
    assert titles(text) == ["某区落实<关于强化知识产权保护的实施意见>的若干措施", "关于强化知识产权保护的实施意见"]


def test_an_inner_title_opened_and_closed_with_different_angle_brackets():
    text = "制定《某县落实〈某省实施 <某条例> 的办法>的方案》"
    spans = find_titles(text)
    assert [text[s.start:s.end] for s in spans] == ["某县落实〈某省实施 <某条例> 的办法>的方案", "某省实施 <某条例> 的办法", "某条例"]
    assert [s.parent for s in spans] == [None, 0, 1]


def test_a_defined_short_form_stands_for_its_document(ctx):
    rows = cite(ctx, "贯彻《某省法治建设规划(2021-2025年)》(以下简称《规划》),对照《规划》查找差距。"
                     "另有《规划》字样见于(简称《规划》)之前的文件不受影响。")
    assert [r["cited_title"] for r in rows] == ["某省法治建设规划(2021-2025年)", "规划", "规划", "规划", "规划"]
    assert {r["cited_title_normalized"] for r in rows} == {"某省法治建设规划(2021-2025年)"}
    assert len({r["doc_type"] for r in rows}) == 1


def test_a_short_form_used_before_any_definition_stays_itself(ctx):
    rows = cite(ctx, "对照《纲要》要求。印发《某市实施纲要》(以下简称《纲要》)。")
    assert [r["cited_title_normalized"] for r in rows] == ["纲要", "某市实施纲要", "某市实施纲要"]


def test_a_doubly_nested_title_keeps_the_chain_of_parents():
    text = "《甲〈乙<丙>乙〉甲》"
    spans = find_titles(text)
    assert [text[s.start:s.end] for s in spans] == ["甲〈乙<丙>乙〉甲", "乙<丙>乙", "丙"]
    assert [s.parent for s in spans] == [None, 0, 1]


def test_angle_brackets_outside_a_title_are_not_titles():
    assert titles("比例<5%且>1%的项目,〈说明〉") == []


# A line break inside a title breaks it where the line before ended a sentence (issue 18 accepts
# a title the page broke over two lines: test_a_title_split_by_one_line_break).
@pytest.mark.parametrize("text", ["印发《某某办法", "某某办法》已印发", "《》", "《某某。\n办法》", "《 》"])
def test_unbalanced_empty_or_broken_titles_give_nothing(text):
    assert titles(text) == []


def test_a_title_closed_inside_an_unclosed_one_is_kept():
    assert titles("《总体《某某办法》后文") == ["某某办法"]
    assert find_titles("《总体《某某办法》后文")[0].parent is None


def test_an_unclosed_nested_opener_does_not_swallow_the_title():
    assert titles("《关于〈某某条例的通知》") == ["关于〈某某条例的通知"]


@given(st.text(alphabet="《》〈〉<>“”甲乙,。\n", max_size=60))
@settings(max_examples=400, deadline=None)
def test_every_found_title_is_grounded_between_matching_brackets(text):
    spans = find_titles(text)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    for s in spans:
        inner = text[s.start:s.end]
        assert inner.strip() and inner.count("\n") <= 1
        if "\n" in inner:  # one line break, inside a short title, not after the end of a sentence
            assert len(inner) <= SPLIT_TITLE_MAX_CHARS and inner.split("\n")[0][-1:] not in "。；;！!？?:："
        assert text[s.start - 1] == s.opener and closes(s.opener, text[s.end])
        if s.parent is None:
            assert s.opener == "《"
        else:
            p = spans[s.parent]
            assert p.start < s.start and s.end < p.end


@given(st.lists(st.tuples(st.text(alphabet="甲乙丙丁办法条例", min_size=1, max_size=8),
                          st.sampled_from(["", "、", "和", ",", "。\n", "印发"])), max_size=8))
def test_balanced_titles_are_all_recovered_with_offsets(parts):
    text, expected = "", []
    for title, filler in parts:
        expected.append((len(text) + 1, title))
        text += f"《{title}》{filler}"
    assert [(s.start, text[s.start:s.end]) for s in find_titles(text)] == expected


# --- normalising and typing titles ------------------------------------------------------------

@pytest.mark.parametrize("raw, normalized", [
    ("怀化市文明行为促进条例（草案）", "怀化市文明行为促进条例(草案)"),
    ("法治政府建设实施纲要（２０２１—２０２５年）", "法治政府建设实施纲要(2021-2025年)"),
    ("法治政府建设实施纲要(2021-2025年)", "法治政府建设实施纲要(2021-2025年)"),
    ("某区落实<关于强化保护的意见>的措施", "某区落实〈关于强化保护的意见〉的措施"),
    ("某区落实＜关于强化保护的意见＞的措施", "某区落实〈关于强化保护的意见〉的措施"),
    ("某区落实《关于强化保护的意见》的措施", "某区落实〈关于强化保护的意见〉的措施"),
    ("新华社 高管信息", "新华社高管信息"),
])
def test_width_bracket_and_dash_variants_are_unified(raw, normalized):
    assert normalize_title(raw) == normalized


@pytest.mark.parametrize("title, base, status, edition, is_draft", [
    ("某市快递业促进条例(草案)", "某市快递业促进条例", "草案", "", True),
    ("某市突发事件整体应急预案(试行)", "某市突发事件整体应急预案", "试行", "", False),
    ("某市行政许可事项清单(2023年版)", "某市行政许可事项清单", "", "2023年版", False),
    ("某市部门权力清单(2020年本)", "某市部门权力清单", "", "2020年本", False),
    ("某市办法(试行)(2020年版)", "某市办法", "试行", "2020年版", False),
    ("某某条例(修订草案)(征求意见稿)", "某某条例", "修订草案 征求意见稿", "", True),
    ("法治政府建设实施纲要(2021-2025年)", "法治政府建设实施纲要(2021-2025年)", "", "", False),
    ("某市部门(单位)权力清单", "某市部门(单位)权力清单", "", "", False),
])
def test_status_and_edition_suffixes_are_split_off(rules, title, base, status, edition, is_draft):
    s = rules.split_suffixes(normalize_title(title))
    assert (s.base, s.status, s.edition, s.is_draft) == (base, status, edition, is_draft)


@pytest.mark.parametrize("base, doc_type", [
    ("中华人民共和国行政处罚法", "law"), ("民法典", "law"), ("立法法", "law"),
    ("某市再生水管理办法", "measures"), ("某某茶山号子来普法", "other"), ("谁执法谁普法", "other"),
    ("森林防火条例", "regulation"), ("重大行政决策程序规定", "rules"), ("某区灾害天气叫应制度", "rules"),
    ("某市十二条措施", "measures"), ("法治政府建设实施纲要(2021-2025年)", "outline_plan"),
    ("某市突发事件整体应急预案", "outline_plan"), ("某区数字政府建设实施方案", "programme_scheme"),
    ("关于进一步加强法律援助工作的意见", "opinion"), ("关于建立协调机制的通知", "notice"),
    ("全区行政执法工作情况专项通报", "notice"), ("某市行政许可事项清单", "list_catalogue"),
    ("重大行政决策事项目录", "list_catalogue"), ("政府工作报告", "report"), ("南通日报", "other"),
])
def test_document_type_comes_from_the_title_ending(rules, base, doc_type):
    assert rules.doc_type(base)[0] == doc_type


# --- what the report does with the title, and the issuer's level --------------------------------

@pytest.mark.parametrize("text, actions", [
    ("市政府出台《某市十二条措施》,帮助企业。", ["issued_or_drafted"]),
    ("认真落实《江苏省行政执法监督办法》《某区工作计划》。", ["implemented", "implemented"]),
    ("深入贯彻新颁布的《行政处罚法》。", ["implemented"]),
    ("落实新修订的《江苏省行政执法证件管理办法》。", ["implemented"]),
    ("完成《某市快递业促进条例(草案)》的调研。", ["issued_or_drafted"]),
    ("完成《某市快递业促进条例》实施情况评估。", ["cited"]),
    ("废止《某市湿地保护条例》等5部地方性法规。", ["repealed"]),
    ("出台《甲规划》,编制《乙纲要》《丙措施》。", ["issued_or_drafted"] * 3),
    ("印发《甲通知》,《乙通知》等文件。", ["issued_or_drafted"] * 2),
    ("在《政府工作报告》中提出要求。", ["cited"]),
    ("落实责任制,将《防疫法》纳入清单。", ["cited"]),
    ("深入开展研究,《某某论述研究》获奖。", ["cited"]),
    ("印发《关于贯彻落实〈某省社会信用管理暂行办法〉的通知》。", ["issued_or_drafted", "implemented"]),
])
def test_action_comes_from_the_governing_verb(ctx, text, actions):
    assert [r["citation_action"] for r in cite(ctx, text)] == actions


@pytest.mark.parametrize("text, scope, evidence", [
    ("贯彻《中华人民共和国森林法》。", "national", "national_marker"),
    ("落实《中国共产党政法工作条例》。", "national", "national_marker"),
    ("印发《东城区数字政府建设实施方案》。", "local", "own_place"),
    ("印发《东城数字政府建设实施方案》。", "local", "own_place"),
    ("落实《湖南省林业条例》。", "provincial", "province_name"),
    ("落实《山东重大行政决策程序规定》。", "provincial", "province_name"),
    ("落实《市政府常务会议议事决策规则》。", "local", "self_reference"),
    ("落实《省政府关于加强执法的意见》。", "provincial", "self_reference"),
    ("落实《南通市行政执法监督办法》。", "local", "other_place"),
    ("全面落实《法治政府建设实施纲要(2021—2025年)》。", "national", "national_title"),
    ("贯彻《行政处罚法》。", "national", "doc_type_default"),
    ("落实《森林防火条例》。", "national", "doc_type_default"),
    ("制定《关于进一步加强法律援助工作的意见》。", "local", "issued_by_reporter"),
    ("举办《阳光政务》13期。", "unknown", "none"),
])
def test_scope_comes_from_evidence_in_the_title(ctx, text, scope, evidence):
    row = cite(ctx, text)[0]
    assert (row["doc_scope"], row["scope_evidence"]) == (scope, evidence)


def test_a_province_reports_its_own_documents_as_provincial(ctx):
    row = cite(ctx, "印发《湖北省法治政府建设工作要点》。", jurisdiction="湖北省", admin_level="province")[0]
    assert (row["doc_scope"], row["scope_evidence"]) == ("provincial", "own_place")


def test_rows_carry_ids_offsets_and_links(ctx):
    doc = make_doc("一、主要工作\n印发《关于贯彻落实〈某省暂行办法〉的通知》。")
    rows = extract_citations(doc, ctx)["citations"]
    assert [r["citation_id"] for r in rows] == ["110101-2023-c0001", "110101-2023-c0002"]
    assert rows[1]["parent_citation_id"] == "110101-2023-c0001"
    assert rows[0]["paragraph_id"] == "110101-2023-p0002"
    for r in rows:
        assert doc.body[r["char_start"]:r["char_end"]] == r["cited_title"]


# --- the corpus -------------------------------------------------------------------------------

TITLE_COUNTS = {"000": 13, "001": 9, "002": 20, "003": 16, "004": 27}  # 《 and nested 〈 / < counted in the raw texts


@pytest.mark.parametrize("key", sorted(TITLE_COUNTS))
def test_every_title_of_the_corpus_is_a_row_with_its_offsets(ctx, corpus, key):
    doc = corpus[key].doc
    rows = extract_citations(doc, ctx)["citations"]
    # Independent of find_titles: innermost 《…》 and nested 〈…〉 / <…> by regular expression.
    expected = {(m.start(1), m.end(1)) for m in re.finditer(r"《([^《》\n]+)》", doc.body)}
    for s, e in list(expected):
        expected |= {(s + m.start(1), s + m.end(1)) for m in re.finditer(r"[〈<]([^〈〉<>]+)[〉>]", doc.body[s:e])}
    got = {(r["char_start"], r["char_end"]) for r in rows}
    assert got == expected
    assert len(rows) == TITLE_COUNTS[key]
    for r in rows:
        assert doc.body[r["char_start"]:r["char_end"]] == r["cited_title"]


def _expected_rows(key: str) -> list[dict]:
    with open(EXPECTED, encoding="utf-8", newline="") as fh:
        return [r for r in csv.DictReader(fh) if r["report"] == key]


@pytest.mark.parametrize("key", ["001", "003", "004"])
def test_doc_type_scope_and_action_match_the_hand_made_expectation(ctx, corpus, key):
    rows = extract_citations(corpus[key].doc, ctx)["citations"]
    by_id = {r["citation_id"]: r for r in rows}
    expected = _expected_rows(key)
    assert [r["cited_title"] for r in rows] == [e["cited_title"] for e in expected]
    for got, want in zip(rows, expected):
        parent = by_id[got["parent_citation_id"]]["cited_title"] if got["parent_citation_id"] else ""
        assert (parent, got["doc_type"], got["doc_scope"], got["citation_action"], got["status_suffix"] or "",
                got["edition_suffix"] or "") == (want["parent_title"], want["doc_type"], want["doc_scope"],
                                                 want["citation_action"], want["status_suffix"],
                                                 want["edition_suffix"]), want["cited_title"]


def test_a_plan_period_and_a_normalised_title_meet_across_reports(ctx, corpus):
    a = extract_citations(corpus["001"].doc, ctx)["citations"]
    b = extract_citations(corpus["004"].doc, ctx)["citations"]
    outline = "法治政府建设实施纲要(2021-2025年)"
    assert outline in {r["cited_title_normalized"] for r in a} & {r["cited_title_normalized"] for r in b}


def test_a_mixed_bracket_nested_title_passes_validation(tmp_path):
    """The content rule accepts what the extractor accepts: 〈…> is one nested title."""
    from lbgr.build.run import EXIT_OK, build
    from lbgr.validate import validate_package

    raw = tmp_path / "raw"
    raw.mkdir()
    text = (ROOT / "data" / "raw" / "000_b42d8d81e0a81924.txt").read_text(encoding="utf-8")
    cut = text.index("。") + 1
    (raw / "report.txt").write_text(text[:cut] + "制定《某县落实〈某省实施纲要(2021—2025年)>工作方案》和《某县行政\n"
                                    "执法规定》。" + text[cut:], encoding="utf-8")
    out = tmp_path / "package"
    assert build(raw, out, echo=lambda *_: None, cache_dir=False) == EXIT_OK
    assert validate_package(out).ok
    titles = (out / "data" / "tables" / "citations.csv").read_text(encoding="utf-8")
    assert "某省实施纲要(2021—2025年)" in titles
    assert "某县行政执法规定" in titles  # the split title, normalised without its line break


@pytest.mark.parametrize("text, titles", [
    ("印发《某市法治政府建设\n实施方案》，要求各部门", ["某市法治政府建设\n实施方案"]),  # a page broke the title
    ("《某县条例》。\n另一行》", ["某县条例"]),  # a stray closer on the next line opens nothing
    ("见《某办法。\n下一段落内容》", []),  # the line before the break ended a sentence
    ("《" + "长" * 90 + "\n尾》", []),  # too long to be one title
    ("《甲\n乙\n丙》", []),  # two breaks
])
def test_a_title_split_by_one_line_break(text, titles):
    assert [text[s.start:s.end] for s in find_titles(text)] == titles


def test_a_split_title_is_normalised_without_its_line_break():
    assert normalize_title("某市法治政府建设\n实施方案") == "某市法治政府建设实施方案"
