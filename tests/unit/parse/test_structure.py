"""The heading grammar on short snippets (tricky ones included)."""

from conftest import doc_from_text


def headings(result, level=None):
    return [(s.level, s.marker, s.heading) for s in result.doc.sections[1:] if level is None or s.level == level]


TITLE = "某县2023年度法治政府建设情况报告"
OPENING = "2023年,县政府坚持以习近平法治思想为指导,推进法治政府建设取得新成效。现将有关情况报告如下:"


def test_standalone_and_run_in_headings_with_both_parenthesis_widths(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "（一）强化组织领导", "全年召开会议5次。",
                      "(二)深化改革。一是优化服务。事项办理提速。二是规范执法,执法更规范。",
                      "二、存在的问题", "仍有不足:一是认识不到位;二是力量不足。", "三、下一步打算", "继续努力。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [
        (1, "一、", "主要工作"), (2, "(一)", "强化组织领导"), (2, "(二)", "深化改革"),
        (3, "一是", "优化服务"), (3, "二是", "规范执法,执法更规范"),
        (1, "二、", "存在的问题"), (2, "一是", "认识不到位"), (2, "二是", "力量不足"),
        (1, "三、", "下一步打算"),
    ]
    by_heading = {s.heading: s for s in r.doc.sections}
    assert by_heading["强化组织领导"].is_run_in is False
    assert by_heading["深化改革"].is_run_in is True
    assert [s.part_type for s in r.doc.sections if s.level == 1] == ["achievements", "problems", "plans"]


def test_paragraph_leading_shi_items_directly_under_a_part_are_level_2_and_nest(ctx):
    text = "\n".join([TITLE, OPENING, "一、工作情况", "一是深化改革。压缩时限。", "补充说明。",
                      "二是创新实践。一是打造品牌。二是创新模式。", "三是加强普法。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [
        (1, "一、", "工作情况"), (2, "一是", "深化改革"), (2, "二是", "创新实践"),
        (3, "一是", "打造品牌"), (3, "二是", "创新模式"), (2, "三是", "加强普法"),
    ]
    first = next(s for s in r.doc.sections if s.heading == "深化改革")
    # A paragraph-leading item runs on over the unmarked paragraph after it.
    assert r.doc.body[first.char_start:first.char_end] == "一是深化改革。压缩时限。\n补充说明。"


def test_a_second_inline_list_under_the_same_part_restarts(ctx):
    text = "\n".join([TITLE, OPENING, "一、存在问题及下一步工作重点", "存在不足:一是甲不足;二是乙不足。",
                      "针对不足,将:一是加强甲。二是加强乙。"])
    r = doc_from_text(text, ctx)
    assert [(lvl, m) for lvl, m, _ in headings(r)] == [(1, "一、"), (2, "一是"), (2, "二是"), (2, "一是"), (2, "二是")]
    part = r.doc.sections[1]
    assert part.part_type == "mixed" and part.elements == "E2 E4"


def test_words_that_look_like_markers_are_not_headings(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "推进标准统一是关键,三是一个数字。", "二是没有一是在前。",
                      "三、跳过了二", "1.25亿元资金到位。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "一、", "主要工作")]


def test_arabic_and_circled_markers_nest_below_chinese_ones(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "(一)依法决策", "1.完善程序", "(1)公众参与", "①听证", "2、合法性审查"])
    r = doc_from_text(text, ctx)
    assert [(lvl, m) for lvl, m, _ in headings(r)] == [(1, "一、"), (2, "(一)"), (3, "1."), (4, "(1)"), (5, "①"), (3, "2、")]


def test_sections_nest_and_paragraphs_cover_the_body(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "(一)甲", "内容。一是子项。二是子项。", "二、存在的问题", "问题。"])
    r = doc_from_text(text, ctx)
    doc = r.doc
    assert "\n".join(p.text for p in doc.paragraphs) == doc.body
    by_id = doc.sections_by_id()
    for s in doc.sections[1:]:
        parent = by_id[s.parent_id]
        assert parent.char_start <= s.char_start <= s.char_end <= parent.char_end
        assert s.level == parent.level + 1
        assert doc.body[s.heading_char_start:s.heading_char_end] == s.heading
    para = next(p for p in doc.paragraphs if p.text.startswith("内容"))
    assert by_id[para.section_id].heading == "甲"  # the deepest section holding the whole paragraph


def test_signature_block_is_outside_the_last_part(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "内容。", "某县人民政府", "2024年2月16日"])
    r = doc_from_text(text, ctx)
    part = r.doc.sections[1]
    assert not r.doc.body[part.char_start:part.char_end].endswith("2024年2月16日")
    assert r.tables["reports"][0]["signed_by"] == "某县人民政府"
    assert r.tables["reports"][0]["signed_date"] == "2024-02-16"


def test_no_headings_gives_a_warning_and_a_single_document_section(ctx):
    r = doc_from_text("\n".join([TITLE, OPENING, "全年工作平稳有序。"]), ctx)
    assert len(r.doc.sections) == 1 and r.doc.sections[0].heading == TITLE
    assert any("no headings" in w for w in r.warnings)


# The tree builder tries only the line markers a line's first character admits, and finds 一是
# items by looking back from each 是: both must agree with the patterns they stand for.
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lbgr.parse.structure import LINE_MARKERS, SHI_MARKER, _shi_markers, line_marker_candidates  # noqa: E402

_MARKERISH = st.lists(st.sampled_from(list("一二三四五六七八九十百是、.．()（）①⑩⑳1209０٣ 。；;：:，,！？!?\n法") + ["一是", "(一)"]),
                      max_size=14).map("".join)


# A line is built as an opener, one to three numerals and a closer, each perhaps left out or
# replaced, then anything: so that every marker's shape, and near misses of it, come up often.
_LINE = st.tuples(st.sampled_from(["", "(", "（", ")", "一", "是", "1", "法"]),
                  st.lists(st.sampled_from(list("一二十百1209０٣①⑩⑳")), min_size=0, max_size=3).map("".join),
                  st.sampled_from(["", ")", "）", "、", ".", "．", ".5", "是", "。"]),
                  _MARKERISH).map("".join)


@settings(max_examples=2000, deadline=None)
@given(line=_LINE)
def test_line_markers_tried_are_all_that_can_match(line):
    every = [name for name, pattern in LINE_MARKERS if pattern.match(line)]
    tried = [name for name, pattern in line_marker_candidates(line[:1]) if pattern.match(line)]
    assert tried == every


@settings(max_examples=2000, deadline=None)
@given(body=_MARKERISH)
def test_shi_markers_are_the_matches_of_the_pattern(body):
    expected = [(m.start(), m.end(), m.group()) for m in SHI_MARKER.finditer(body)]
    assert [(start, end, marker) for start, end, _, marker in _shi_markers(body)] == expected


# --- real pages (issue 18): lost line breaks, lost characters, part types by task and content ---

def test_headings_glued_to_the_text_before_and_after_them(ctx):
    # A page that lost its line breaks: a part and its first subsection on the line of the opening.
    text = "\n".join([TITLE, OPENING + " 一、2023年度推进法治政府建设主要举措和成效 (一)健全工作机制,压实责任。"
                      "召开会议3次。(二)规范行政执法。全年办理案件12件。", "二、存在的问题", "基层力量不足。"])
    r = doc_from_text(text, ctx)
    assert headings(r, 1) == [(1, "一、", "2023年度推进法治政府建设主要举措和成效"), (1, "二、", "存在的问题")]
    assert headings(r, 2) == [(2, "(一)", "健全工作机制,压实责任"), (2, "(二)", "规范行政执法")]
    first = next(s for s in r.doc.sections if s.level == 1)
    assert r.doc.body[first.char_start:first.char_start + 2] == "一、"


def test_a_marker_inside_a_sentence_is_still_not_a_heading(ctx):
    text = "\n".join([TITLE, OPENING, "一、主要工作", "工作分为:(一)立法;(二)执法。全年办理案件12件。"])
    assert headings(doc_from_text(text, ctx)) == [(1, "一、", "主要工作")]


def test_lost_characters_before_a_marker_and_a_lost_numeral(ctx):
    text = "\n".join([TITLE, OPENING, "??一、夯实法治基础", "??(一)完善制度建设", "制定办法两部。",
                      "、健全监督体系", "接受监督。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "一、", "夯实法治基础"), (2, "(一)", "完善制度建设"), (1, "、", "健全监督体系")]
    assert [s.ordinal for s in r.doc.sections if s.level == 1] == [1, 2]


def test_part_markers_in_words(ctx):
    text = "\n".join([TITLE, OPENING, "第一部分 工作开展情况", "一、加强组织领导", "召开会议。",
                      "第二部分 下一步工作安排", "继续推进。"])
    r = doc_from_text(text, ctx)
    assert headings(r, 1) == [(1, "第一部分", "工作开展情况"), (1, "第二部分", "下一步工作安排")]
    assert headings(r, 2) == [(2, "一、", "加强组织领导")]
    assert [s.marker_type for s in r.doc.sections if s.level == 1] == ["cn_part", "cn_part"]


def test_part_types_by_an_outline_task_heading_and_by_content(ctx):
    text = "\n".join([TITLE, OPENING,
                      "一、深化放管服改革,全面履行政府职能", "清理事项20项。",
                      "二、坚持守正创新", "全年累计审查文件35件,办理案件120件,先后获评示范单位。",
                      "三、聚焦短板弱项", "基层执法力量不足,队伍素质有待提高,信息化水平仍然存在差距。",
                      "四、展望来年", "明年将继续深化改革,力争取得突破。",
                      "五、其他需要报告的情况", "无。"])
    r = doc_from_text(text, ctx)
    assert [(s.part_type, s.elements) for s in r.doc.sections if s.level == 1] == [
        ("achievements", "E1"), ("achievements", "E1"), ("problems", "E2"), ("plans", "E4"), ("other", "E5")]


def test_content_decides_only_with_clear_evidence(ctx):
    text = "\n".join([TITLE, OPENING, "一、坚持守正创新", "全年办理案件120件。明年将继续深化改革。"])
    r = doc_from_text(text, ctx)
    assert [s.part_type for s in r.doc.sections if s.level == 1] == ["other"]


def test_a_part_on_the_governments_duty_for_rule_of_law_building_is_responsibility(ctx):
    text = "\n".join([TITLE, OPENING,
                      "一、深入学习法治思想,认真履行推进法治政府建设工作职责", "召开专题会议。",
                      "二、压紧压实法治建设责任", "层层签订责任书。",
                      "三、加强统筹,落实部门主体责任", "督促部门落实。",
                      "四、强化保障,靠实工作责任", "明确分工。"])
    r = doc_from_text(text, ctx)
    # A 主体责任 or a bare 工作责任 is not the duty for rule-of-law building: those parts report work.
    assert [s.part_type for s in r.doc.sections if s.level == 1] == [
        "responsibility", "responsibility", "achievements", "achievements"]


def test_an_action_phrase_heading_reports_work_unless_its_text_leans_elsewhere(ctx):
    text = "\n".join([TITLE, OPENING,
                      "一、强化使命担当", "领导干部带头学法。",
                      "二、优化服务体系,推动作用发挥", "精简审批环节,全年办理事项30件。",
                      "三、持续深化改革", "明年将继续推进改革。"])
    r = doc_from_text(text, ctx)
    assert [s.part_type for s in r.doc.sections if s.level == 1] == ["achievements", "achievements", "other"]


def test_a_short_line_above_a_new_numbered_sequence_is_an_unnumbered_part(ctx):
    text = "\n".join([TITLE, OPENING, "2022年度工作回顾", "一、加强组织领导", "(一)完善机制", "召开会议3次。",
                      "二、规范行政执法", "开展执法检查。",
                      "下一步工作打算", "一、深化改革", "继续推进。"])
    r = doc_from_text(text, ctx)
    assert headings(r, 1) == [(1, "", "2022年度工作回顾"), (1, "", "下一步工作打算")]
    assert headings(r, 2) == [(2, "一、", "加强组织领导"), (2, "二、", "规范行政执法"), (2, "一、", "深化改革")]
    parts = [s for s in r.doc.sections if s.level == 1]
    assert [(s.marker_type, s.ordinal, s.part_type) for s in parts] == [
        ("unnumbered", 1, "achievements"), ("unnumbered", 2, "plans")]


def test_a_heading_line_above_parenthesised_items_heads_them(ctx):
    text = "\n".join([TITLE, OPENING, "以制度建设为抓手,推动依法行政", "(一)健全制度体系。出台文件5件。",
                      "(二)规范决策程序。落实合法性审查。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "", "以制度建设为抓手,推动依法行政"), (2, "(一)", "健全制度体系"),
                           (2, "(二)", "规范决策程序")]


def test_a_short_opening_sentence_before_a_shi_list_is_a_run_in_part(ctx):
    text = "\n".join([TITLE, OPENING, "行政决策更加规范。一是完善决策程序。制定规则。二是加强合法性审查。审查文件。",
                      "执法监督不断加强。一是开展案卷评查。二是推行执法公示。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "", "行政决策更加规范"), (2, "一是", "完善决策程序"), (2, "二是", "加强合法性审查"),
                           (1, "", "执法监督不断加强"), (2, "一是", "开展案卷评查"), (2, "二是", "推行执法公示")]
    assert all(s.is_run_in for s in r.doc.sections if s.level == 1)


def test_unnumbered_parts_need_strong_evidence(ctx):
    # A line with sentence punctuation, a date, a signature-like line or a line not above a new
    # sequence is no part heading; neither is one once numbered parts have begun, nor a long or
    # comma-split opening sentence before 一是.
    text = "\n".join([TITLE, "2023年3月1日", "现将有关情况报告如下:", "一、主要工作", "全年成效明显。",
                      "重点工作", "(一)强化领导", "召开会议。", "典型经验", "(二)创新机制", "建立制度。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "一、", "主要工作"), (2, "(一)", "强化领导"), (2, "(二)", "创新机制")]
    text = "\n".join([TITLE, OPENING, "某县人民政府", "一、主要工作", "推进改革。"])
    assert headings(doc_from_text(text, ctx), 1) == [(1, "一、", "主要工作")]
    text = "\n".join([TITLE, OPENING, "全年工作扎实推进,取得明显成效。一是完善制度。二是强化监督。"])
    assert [m for _, m, _ in headings(doc_from_text(text, ctx))] == ["一是", "二是"]
    text = "\n".join([TITLE, OPENING, "过去一年里全县各部门按照统一部署扎实开展各项工作。一是完善制度。二是强化监督。"])
    assert [m for _, m, _ in headings(doc_from_text(text, ctx))] == ["一是", "二是"]


def test_a_date_or_a_title_right_above_the_first_part_is_no_part_heading(ctx):
    for line in ["2023年3月1日", "某县2023年法治政府建设年度报告", "关于法治政府建设情况的说明:"]:
        text = "\n".join([TITLE, OPENING, line, "一、主要工作", "推进改革。"])
        assert headings(doc_from_text(text, ctx), 1) == [(1, "一、", "主要工作")], line


def test_an_introduction_heading_is_a_part_of_type_other_that_the_first_part_closes(ctx):
    text = "\n".join([TITLE, "前 言", "本报告依据有关规定编制,数据截至年底。", OPENING, "一、主要举措和成效",
                      "(一)加强领导", "召开会议。", "二、存在的不足", "仍有差距。"])
    r = doc_from_text(text, ctx)
    assert headings(r) == [(1, "", "前 言"), (1, "一、", "主要举措和成效"), (2, "(一)", "加强领导"),
                           (1, "二、", "存在的不足")]
    assert [s.part_type for s in r.doc.sections if s.level == 1] == ["other", "achievements", "problems"]
    # Only before everything else: a 前言 line inside a part is text.
    text = "\n".join([TITLE, OPENING, "一、主要工作", "前言", "推进改革。"])
    assert headings(doc_from_text(text, ctx)) == [(1, "一、", "主要工作")]
