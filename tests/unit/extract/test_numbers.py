"""The number grammar (lbgr.extract.numbers) on short report-like snippets."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbgr.extract.numbers import cn_int, find_quantities, quoted_spans

KINDS = {"count", "percent", "change", "money", "duration", "other", "slogan"}
QUALIFIERS = {"exact", "over", "under", "about", "range"}
SCALES = {"": 1, "万": 10**4, "亿": 10**8, "千万": 10**7, "百万": 10**6, "万亿": 10**12, "千": 10**3}


def one(text: str):
    found = find_quantities(text)
    assert len(found) == 1, [q.surface for q in found]
    return found[0]


@pytest.mark.parametrize("text, surface, value, scale, unit, unit_norm, norm, qualifier, kind", [
    # Arabic numbers, decimals, magnitudes and measure words
    ("全年共办理行政复议案件244件,", "244件", "244", "", "件", "件", 244, "exact", "count"),
    ("综合纠错率28.42%。", "28.42%", "28.42", "", "%", "%", 28.42, "exact", "percent"),
    ("为企业挽回经济损失1.25亿元", "1.25亿元", "1.25", "亿", "元", "元", 125000000, "exact", "money"),
    ("罚款9.72万元。", "9.72万元", "9.72", "万", "元", "元", 97200, "exact", "money"),
    ("核减投资17745.09万元", "17745.09万元", "17745.09", "万", "元", "元", 177450900, "exact", "money"),
    # qualifiers between number, magnitude and unit, before the number and after the unit
    ("共接待群众法律咨询1.2万余人次", "1.2万余人次", "1.2", "万", "人次", "人次", 12000, "over", "count"),
    ("民法典宣传月等活动2.18万余场次", "2.18万余场次", "2.18", "万", "场次", "场次", 21800, "over", "count"),
    ("挽损止损5.4亿多元", "5.4亿多元", "5.4", "亿", "元", "元", 540000000, "over", "money"),
    ("涉及金额9000多万元", "9000多万元", "9000", "万", "元", "元", 90000000, "over", "money"),
    ("帮办代办服务1.4万余件", "1.4万余件", "1.4", "万", "件", "件", 14000, "over", "count"),
    ("办理案件累计近32770件", "近32770件", "32770", "", "件", "件", 32770, "under", "count"),
    ("总投资约128亿元", "约128亿元", "128", "亿", "元", "元", 12800000000, "about", "money"),
    ("调解成功98%以上", "98%以上", "98", "", "%", "%", 98, "over", "percent"),
    ("参与人数超过1000人", "超过1000人", "1000", "", "人", "人", 1000, "over", "count"),
    ("受理申请逾500件", "逾500件", "500", "", "件", "件", 500, "over", "count"),
    ("每年接受不少于60学时的培训", "不少于60学时", "60", "", "学时", "学时", 60, "over", "duration"),
    ("差错率不足5%", "不足5%", "5", "", "%", "%", 5, "under", "percent"),
    ("覆盖率50%左右", "50%左右", "50", "", "%", "%", 50, "about", "percent"),
    # 仅 and 达 are not qualifiers and stay out of the surface
    ("败诉率仅4.55%", "4.55%", "4.55", "", "%", "%", 4.55, "exact", "percent"),
    ("办复率、满意率均达100%", "100%", "100", "", "%", "%", 100, "exact", "percent"),
    # thousands separators and full-width digits
    ("共办理12,000件", "12,000件", "12000", "", "件", "件", 12000, "exact", "count"),
    ("受理１２３件", "１２３件", "123", "", "件", "件", 123, "exact", "count"),
    ("纠错率１２．５％", "１２．５％", "12.5", "", "％", "%", 12.5, "exact", "percent"),
    # Chinese numerals, percentages written out, tenths
    ("等四部市级地方性法规", "四部", "4", "", "部", "部", 4, "exact", "count"),
    ("完成二十五个批次用地合法性前置审核", "二十五个批次", "25", "", "个批次", "批次", 25, "exact", "count"),
    ("准入、准营两个领域事项", "两个", "2", "", "个", "个", 2, "exact", "count"),
    ("全面整改三大类", "三大类", "3", "", "大类", "类", 3, "exact", "count"),
    # 大 before a measure word (四大方面, 12大项) and 轮次
    ("共梳理出四大方面问题", "四大方面", "4", "", "大方面", "方面", 4, "exact", "count"),
    ("清理证明材料12大项", "12大项", "12", "", "大项", "项", 12, "exact", "count"),
    ("组织案卷评查3轮次", "3轮次", "3", "", "轮次", "轮次", 3, "exact", "count"),
    ("举办讲座二十余场", "二十余场", "20", "", "场", "场", 20, "over", "count"),
    ("合格率百分之九十", "百分之九十", "90", "", "百分之", "%", 90, "exact", "percent"),
    ("达标率百分之九十五点五", "百分之九十五点五", "95.5", "", "百分之", "%", 95.5, "exact", "percent"),
    ("九成以上纠纷化解在基层", "九成以上", "9", "", "成", "%", 90, "over", "percent"),
    # multiples, durations, ranges
    ("为同期法院一审行政案件数量的3倍以上", "3倍以上", "3", "", "倍", "倍", 3, "over", "other"),
    ("审批时间压缩到6个工作日", "6个工作日", "6", "", "个工作日", "工作日", 6, "exact", "duration"),
    ("每个镇配备3-5名调解员", "3-5名", "3-5", "", "名", "名", 3, "range", "count"),
    ("每个镇配备三至五名调解员", "三至五名", "3-5", "", "名", "名", 3, "range", "count"),
    ("查扣3900余公斤", "3900余公斤", "3900", "", "公斤", "公斤", 3900, "over", "other"),
    # changes are not levels
    ("全年办理案件近32770件,同比增长23.7%", "23.7%", "23.7", "", "%", "%", 23.7, "exact", "change"),
    ("平均压缩审批时限70%", "70%", "70", "", "%", "%", 70, "exact", "change"),
    ("时长平均缩短56.8%以上", "56.8%以上", "56.8", "", "%", "%", 56.8, "over", "change"),
    ("区法院立案数下降11.2%", "11.2%", "11.2", "", "%", "%", 11.2, "exact", "change"),
    ("满意率提高3个百分点", "3个百分点", "3", "", "个百分点", "百分点", 3, "exact", "change"),
    ("满意率提升至98%", "98%", "98", "", "%", "%", 98, "exact", "percent"),
    ("受理案件比上年增加30件", "30件", "30", "", "件", "件", 30, "exact", "change"),
])
def test_forms(text, surface, value, scale, unit, unit_norm, norm, qualifier, kind):
    q = [q for q in find_quantities(text) if q.surface == surface]
    assert q, [x.surface for x in find_quantities(text)]
    q = q[0]
    assert text[q.start:q.end] == surface
    assert (q.value, q.scale, q.unit, q.unit_normalized, q.qualifier, q.value_kind) == (
        value, scale, unit, unit_norm, qualifier, kind)
    assert q.value_normalized == norm


def test_range_has_an_upper_bound():
    q = one("每个镇配备3-5名调解员")
    assert (q.value_normalized, q.value_normalized_high) == (3, 5)
    assert one("受理3万件").value_normalized_high is None


@pytest.mark.parametrize("text", [
    "2023年,我市坚持以习近平新时代中国特色社会主义思想为指导",  # calendar year
    "2022年2月16日",  # date
    "发布时间:2024-02-22 15:24",  # date and time
    "自2021起施行",  # time point
    "编制《通州区知识产权强区建设纲要(2023-2035年)》",  # years in a title
    "全面落实《法治政府建设实施纲要(2021—2025年)》",
    "开展2023版区级部门权力清单梳理确认工作",  # version year
    "辰溪县被命名为“全省第二批法治政府建设示范县”",  # batch name (ordinal)
    "区人大常委会第三十四次会议专题听取",  # ordinal
    "通州区代表队蝉联第一名",
    "全面贯彻落实党的二十大精神",  # congress
    "党的二十届二中、三中全会精神",
    "学习省委九届五次、六次全会精神",  # plenary sessions: ordinals, the second after a list comma
    "召开第二届3次全体会议",
    "实施三大项目建设",  # 大项目 is not 大项
    "扎实开展“八五”普法中期评估验收工作",  # plan name in quotes
    "出台《通州区“十四五”知识产权发展规划》",
    "一是强化思想引领。二是加强组织领导。",  # enumeration markers
    "(一)强化统筹协调\n(1)完善制度\n1.加强领导\n一、主要工作",
    "出台了《怀化市持续优化营商环境十二条措施》",  # numbers inside titles
    "依托“湘易办”“12348”等平台",  # hotline numbers
    "全面排查和督办12345涉及相关领域执法投诉类工单",
    "12345市长热线",
    "12348热线电话共计接听",
    "国办发〔2023〕27号",  # document number
    "以技术手段提供“7*24”不间断的办事引导工作",  # slogans and names
    "进一步完善“1+4+N”应急预案编修工作",
    "“1+10+85+822”四级公共法律服务平台",
    "全力打造“五最”营商环境",
    "全面推行行政执法三项制度",
    "做到“两个维护”,增强四个意识",
    "涉企“免罚轻罚”3.0清单落实见效",  # version label
    "梳理调整市、县两级行政许可事项",  # tier words
    "全区三级调解组织",
    "一批优秀典型",  # generic 一
    "一次性办结",
    "三番五次",  # idiom
    "数十个部门",  # 'dozens'
    "建设5G基站",  # label glued to a letter
])
def test_not_measures(text):
    assert find_quantities(text) == [], [q.surface for q in find_quantities(text)]


def test_lost_character_is_not_guessed_into_a_figure_or_a_date():
    text = "承办南通市“5?12防灾减灾日”活动暨LNG天然气运输车辆突发事故紧急处置实战演练"
    assert find_quantities(text) == []
    for variant in ("5?12日", "5？12起", "5\ufffd12件", "5?12件"):
        assert all(q.value not in ("5", "12", "5.12") for q in find_quantities(variant)), variant


def test_each_measure_is_found_once_in_a_run_of_counts():
    qs = find_quantities("实现13个县市区299家县直部门58个乡镇4个村政务公开数据互联互通")
    assert [q.surface for q in qs] == ["13个", "299家", "58个", "4个"]


def test_bracket_after_a_measure_word_stays_outside_the_surface():
    qs = find_quantities("与福建泉州、湖北仙桃等17省72市(区)达成“跨省通办”合作共识")
    assert [q.surface for q in qs] == ["17省", "72市"]


def test_slogans_are_kept_with_their_own_kind():
    assert one("打造“15分钟”政务服务圈").value_kind == "slogan"
    assert one("打造线上线下融合“30分钟公共法律服务圈”").value_kind == "slogan"
    assert one("企业开办全流程1个工作日办结").value_kind == "duration"


def test_hotline_number_is_excluded_but_the_figure_after_it_is_kept():
    assert [q.surface for q in find_quantities("12345热线受理诉求3.2万件")] == ["3.2万件"]


@pytest.mark.parametrize("s, n", [("二", 2), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("二十五", 25),
                                  ("一百零五", 105), ("一百二十", 120), ("两千", 2000), ("三千五百", 3500)])
def test_cn_int(s, n):
    assert cn_int(s) == n


@pytest.mark.parametrize("s", ["十四五", "五四", "二〇二三", "百", "千", "三百五", "", "十十"])
def test_cn_int_rejects_labels_and_sequences(s):
    assert cn_int(s) is None


def test_quoted_spans_pairs_nested_and_unclosed_marks():
    text = "《关于“八五”普法的决定》,“三统一”22件,“未闭合3件,5件"
    spans = quoted_spans(text)
    assert (0, text.index("》")) in spans
    assert (text.index("“八五") , text.index("”普法")) in spans
    unclosed = text.index("“未闭合")
    assert any(o == unclosed and c <= text.index(",5件") for o, c in spans)
    assert [q.surface for q in find_quantities(text)] == ["22件", "5件"]


# --- property tests -----------------------------------------------------------------------

FRAGMENTS = ["共", "办理", "案件", "近", "约", "超过", "逾", "不少于", "以上", "左右", "余", "多", "万", "亿", "件", "项",
             "人次", "场次", "%", "％", "元", "个", "名", "家", "第", "年", "月", "日", "《", "》", "“", "”", "(", ")",
             ",", "。", "、", "?", "+", "*", "-", "—", "至", "一", "二", "两", "十", "百", "千", "成", "倍", "同比增长",
             "压缩到", "百分之", "12345", "热线", "〔", "〕", "号", "是", ".", "０", "９", "N", "G", " "]
SNIPPETS = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.integers(0, 10**7).map(str),
                              st.decimals(0, 10000, places=2).map(str), st.text(max_size=3)),
                    max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(SNIPPETS)
def test_any_snippet_parses_without_error_and_spans_are_verbatim(text):
    for q in find_quantities(text):
        assert text[q.start:q.end] == q.surface
        assert q.start <= q.number_start < q.end
        assert q.value_kind in KINDS and q.qualifier in QUALIFIERS
        if "-" not in q.value:
            factor = Decimal(10) if q.unit == "成" else Decimal(SCALES[q.scale])
            # value_normalized is a float: equal to value × scale up to float precision
            assert math.isclose(q.value_normalized, float(Decimal(q.value) * factor), rel_tol=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["", "近", "约", "超过", "逾"]),
       st.decimals(1, 99999, places=2).map(lambda d: format(d.normalize(), "f")),
       st.sampled_from(["", "万", "亿"]),
       st.sampled_from(["", "余", "多"]),
       st.sampled_from(["件", "项", "人次", "场次", "元", "家", "名"]),
       st.sampled_from(["", "以上", "左右"]))
def test_composed_quantities_are_read_back(prefix, number, scale, infix, unit, postfix):
    text = f"全年共办理各类事项{prefix}{number}{scale}{infix}{unit}{postfix},群众满意。"
    q = one(text)
    assert q.surface == f"{prefix}{number}{scale}{infix}{unit}{postfix}"
    assert (q.value, q.scale, q.unit) == (number, scale, unit)
    assert Decimal(str(q.value_normalized)) == Decimal(number) * SCALES[scale]
    expected = {"近": "under", "约": "about", "超过": "over", "逾": "over"}.get(prefix) or (
        "over" if infix else {"以上": "over", "左右": "about"}.get(postfix, "exact"))
    assert q.qualifier == expected


# --- shortcuts agree with the plain rule they stand for -------------------------------------

MARKS = ["《", "》", "“", "”", "‘", "’", "「", "」", "〔", "〕", "【", "】", '"', ",", "。", "5", "件", "字"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(["个", "工作日", "百分点", "小时", "人", "民", "次", "要", "件", "平方", "米", "公里", "天",
                                 "然", "元", "素", "市", "场", "所", "有", "大类", "批次", "字"]), max_size=4).map("".join),
       st.sampled_from(["ar", "cn"]))
def test_measure_word_is_the_first_unit_written_and_not_excluded(text, token_kind):
    # ``_measure_word`` uses one alternation; the rule it stands for is a walk through the units.
    from lbgr.extract.numbers import _measure_word, default_grammar

    g = default_grammar()
    expected = (None, None, None)
    for word, norm, kind, not_after in g.units:
        if text.startswith(word) and text[len(word):len(word) + 1] not in set(not_after):
            if not (token_kind == "cn" and word not in g.cn_units):
                expected = (word, norm, kind)
            break
    assert _measure_word(text, 0, token_kind, g) == expected


# --- real pages (issue 18) --------------------------------------------------------------------

@pytest.mark.parametrize("text, surface, norm, scale, unit_norm, qualifier, kind", [
    # pages that put spaces around figures
    ("举办培训 6 次,", "6 次", 6, "", "次", "exact", "count"),
    ("受理申请 2.5 万件。", "2.5 万件", 25000, "万", "件", "exact", "count"),
    ("服务群众 360 余人次。", "360 余人次", 360, "", "人次", "over", "count"),
    ("挽回损失 18.6 万元。", "18.6 万元", 186000, "万", "元", "exact", "money"),
    # measure words of real reports
    ("细化为八个方面", "八个方面", 8, "", "方面", "exact", "count"),
    ("从四方面推进", "四方面", 4, "", "方面", "exact", "count"),
    ("以 17 票赞成通过", "17 票", 17, "", "票", "exact", "count"),
    ("开设法治课程6门,", "6门", 6, "", "门", "exact", "count"),
    ("覆盖全市12县", "12县", 12, "", "县", "exact", "count"),
    ("在城区、开发区两地试点", "两地", 2, "", "地", "exact", "count"),
    ("考试平均得分88分以上", "88分以上", 88, "", "分", "over", "other"),
    # counts of years only after 连续
    ("连续五年获评优秀", "五年", 5, "", "年", "exact", "duration"),
    ("已连续11年保持零败诉", "11年", 11, "", "年", "exact", "duration"),
])
def test_real_page_forms(text, surface, norm, scale, unit_norm, qualifier, kind):
    q = one(text)
    assert (q.surface, q.value_normalized, q.scale, q.unit_normalized, q.qualifier, q.value_kind) == \
        (surface, norm, scale, unit_norm, qualifier, kind)


@pytest.mark.parametrize("text", [
    "2022 年 3 月起施行",  # a date with spaces
    "第 5 次会议",  # an ordinal with spaces
    "索引号: 11000/2024-00312 分类: 综合",  # a code with leading zeros, spaces before 分类
    "发布时间: 2024年02月22日 10时35分",  # a time of day
    "这项工作十分重要",  # 十分 (very)
    "近三年来持续推进",  # 年 outside 连续: not a count of years
    "2024年度法治政府建设",
    "各地各部门",
])
def test_real_page_non_figures(text):
    assert find_quantities(text) == [], [q.surface for q in find_quantities(text)]
