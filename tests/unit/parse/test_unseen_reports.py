"""Patterns of real reports from any government (issue 17), each on a snippet written for the test.

No snippet is taken from the development set: places, years and sentences are invented or
recombined, and the places are chosen only for the kind of name they have.
"""

import pytest

from conftest import doc_from_text
from lbgr.eval.evaluate import METADATA_FIELDS, score
from lbgr.ingest.doctype import classify_document
from lbgr.ingest.furniture import FurnitureRules, split_furniture
from lbgr.ingest.normalize import normalize_lines
from lbgr.ingest.repair import remove_pinyin
from lbgr.parse.divisions import short_forms
from lbgr.parse.metadata import find_title, read_metadata, self_reference_suffix
from lbgr.parse.place import division_from_address, issuer_with_place
from lbgr.parse.report import ReportRejected

BODY = ("一、主要举措和成效\n（一）加强组织领导。全年召开常务会议专题研究法治政府建设工作三次，推进法治政府建设。\n"
        "二、存在的不足\n法治政府建设工作还存在薄弱环节。\n三、下一步工作安排\n继续推进法治政府建设。")


def meta_of(text, ctx):
    return doc_from_text(text, ctx).doc.meta


@pytest.fixture(scope="module")
def rules(ctx):
    return FurnitureRules.from_rows(ctx.codebook("furniture"))


# ---------------------------------------------------------------------------------- the year
@pytest.mark.parametrize("text, year", [
    ("某某省2019年度法治政府建设工作情况\n2019年，全省各级政府扎实推进依法行政。\n" + BODY, 2019),
    ("省人民政府：\n现将省政府2018年度法治政府建设情况报告如下：\n" + BODY, 2018),
    ("根据有关要求，现将2017年某某市法治政府建设情况公开如下：\n2017年，本市推进依法行政。\n" + BODY, 2017),
    ("县人大常委会：\n受县政府委托，作报告。\n2021年，我县深入推进法治政府建设。\n" + BODY, 2021),
])
def test_reported_year_from_title_or_opening(ctx, text, year):
    assert meta_of(text, ctx)["report_year"] == year


def test_reported_year_from_the_metadata_blocks_title(ctx):
    text = ("索 引 号: 000000/2020-00001 分 类: 政府文件\n标 题: 某某县2019年度法治政府建设情况报告\n"
            "发 布 日 期: 2020-03-20\n全县坚持以习近平法治思想为指导，深入推进依法行政，法治政府建设取得新的成效。\n" + BODY)
    row = meta_of(text, ctx)
    assert row["report_year"] == 2019 and row["publish_date"] == "2020-03-20"


def test_a_text_naming_no_year_is_still_rejected(ctx):
    with pytest.raises(ReportRejected, match="no reported year"):
        doc_from_text("年，全市深入推进法治政府建设，取得新成效。\n" + BODY, ctx)


# ---------------------------------------------------------------------------------- titles
@pytest.mark.parametrize("lines, title", [
    (["中共某某县委 某某县人民政府", "关于2023年度法治政府建设情况的报告", "2023年，全县推进依法行政。"],
     "中共某某县委 某某县人民政府关于2023年度法治政府建设情况的报告"),
    (["关于某某区2022年度法治政府", "建设情况的报告", "2022年，全区推进依法行政。"], "关于某某区2022年度法治政府建设情况的报告"),
    (["• 某某市司法局关于2021年法治政府建设情况的报告"], "某某市司法局关于2021年法治政府建设情况的报告"),
    (["【2020年】某某县司法局2020年度法治政府建设报告"], "某某县司法局2020年度法治政府建设报告"),
    (["某某网站-某某市2021年法治政府建设情况报告"], "某某市2021年法治政府建设情况报告"),
    (["其他报告", "某某市2021年法治政府建设年度报告"], "某某市2021年法治政府建设年度报告"),
])
def test_title_forms(lines, title):
    assert find_title(lines)[0] == title


def test_a_date_after_the_title_is_its_publication_date(ctx):
    row = meta_of("2023年某某县司法局法治政府建设情况报告 (2024-03-15)\n2023年，县司法局推进依法行政。\n" + BODY, ctx)
    assert row["publish_date"] == "2024-03-15" and row["report_year"] == 2023


# ---------------------------------------------------------------------------------- dates and publishers
HEAD = "某某县2023年度法治政府建设情况报告"
PROSE = "2023年，我县坚持以习近平法治思想为指导，扎实推进法治政府建设各项工作，取得了较好成效。"


@pytest.mark.parametrize("header, date, publisher", [
    (["发 布 日 期：2024-03-11  信 息 来 源：某某县司法局"], "2024-03-11", "某某县司法局"),
    (["[ 发布机构 ] 某某县人民政府 [ 发布日期 ] 2024-03-12"], "2024-03-12", "某某县人民政府"),
    (["发布机构 某某县政府办 发布时间 2024-03-13 10:00"], "2024-03-13", "某某县政府办"),
    (["公开日期", "2024年03月14日"], "2024-03-14", ""),
    (["2024-03-15 16:02 某某县人民政府网"], "2024-03-15", ""),
    (["2024年03月16日 10时05分"], "2024-03-16", ""),
    (["2024/3/17"], "2024-03-17", ""),
    (["2024.03.18"], "2024-03-18", ""),
    (["2024-03-19 17:05 来源: 某某县人民政府网 【字体: 打印"], "2024-03-19", "某某县人民政府网"),
    (["成文日期：2024-03-01", "发布日期：2024-03-20"], "2024-03-20", ""),
    (["成文日期：2024-03-21 发文机关：某某县人民政府"], "2024-03-21", "某某县人民政府"),
])
def test_publication_date_forms(rules, header, date, publisher):
    _, furn = split_furniture(normalize_lines("\n".join(header + [HEAD, PROSE])), rules)
    assert furn.meta["publish_date"] == date
    assert furn.meta.get("publisher", "") == publisher


def test_a_banners_date_of_today_is_never_the_publication_date(rules):
    _, furn = split_furniture(["今天是：2021年7月8日 星期四", HEAD, PROSE], rules)
    assert "publish_date" not in furn.meta


def test_the_written_date_stands_in_only_without_a_publication_date(rules):
    _, furn = split_furniture(["成文日期：2024-03-01", HEAD, PROSE], rules)
    assert furn.meta["publish_date"] == "2024-03-01" and furn.meta["publish_date_source"] == "成文日期"


# ---------------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("title, body, kind", [
    ("某某市2024年法治政府建设工作要点", "一、总体要求", "plan"),
    ("某某县法治政府建设实施方案(2021-2025年)", "为深入推进", "plan"),
    ("2023年某某县政府工作报告", "各位代表", "government_work_report"),
    ("某某区五年法治政府建设工作情况报告", "五年来，某某区推进法治政府建设。", "multi_year_summary"),
    ("某某县2023年上半年法治政府建设工作总结", "上半年", "half_year_summary"),
    ("某某县县长2023年度述法报告", "一年来的情况如下", "personal_report"),
    ("", "2022年，**县坚持依法行政，推进法治政府建设。\n一、工作情况\n内容。", "template"),
    ("", "2022年，XX县坚持依法行政，推进法治政府建设。\n一、工作情况\n内容。", "template"),
    ("", "各乡镇人民政府，县直各单位：\n2021年，全县推进法治政府建设。\n一、工作情况", "news_or_other"),
    ("关于《某某县2022年度法治政府建设情况报告》的政策解读", "现解读如下", "news_or_other"),
    ("", "一年来，我认真履行第一责任人职责，下面将本人履行述法职责的情况汇报如下：", "personal_report"),
])
def test_look_alikes_are_rejected_with_their_kind(title, body, kind):
    got, reason = classify_document(title, body)
    assert got == kind, reason


@pytest.mark.parametrize("title, body", [
    ("某某省交通运输厅2022年度法治政府部门建设工作情况", "2022年，省交通运输厅推进法治政府部门建设。\n" + BODY),
    ("", "2021年，在市委、市政府的坚强领导下，区司法局推进法治政府建设。现将有关情况报告如下：\n" + BODY),
    ("某某县2020年法治政府建设工作总结和2021年工作计划", BODY),
    ("", "2019年，某某部坚持依法行政，以*高标准推进法治政府建设。\n" + BODY),
])
def test_genuine_reports_are_accepted(title, body):
    assert classify_document(title, body)[0] == "rule_of_law_report"


# ---------------------------------------------------------------------------------- issuers and places
def test_short_forms_come_from_the_division_data(ctx):
    idx = ctx.divisions
    forms = {f for d in idx.divisions for f in short_forms(d)}
    # Autonomous prefectures, autonomous counties, banners and leagues, by kind of name.
    assert any(f.endswith("州") and not f.endswith("自治州") for f in forms)
    assert any(f.endswith("自治县") for f in forms)
    for d in idx.divisions:
        if d.name.endswith("右翼前旗") and len(d.name) > 5:
            assert d.name[0] + "右前旗" in short_forms(d)
        if d.name.endswith("族自治州"):
            assert all(len(f) < len(d.name) for f in short_forms(d))
    for form, divisions in idx.short.items():
        assert form not in idx.by_name and divisions


def test_an_abbreviated_autonomous_prefecture_is_found(ctx):
    prefecture = next(d for d in ctx.divisions.divisions
                      if d.division_level == "prefecture" and d.name.endswith("族自治州") and len(d.name) > 8)
    short = short_forms(prefecture)[0]
    row = meta_of(f"{short}2021年度法治政府建设情况报告\n2021年，全州推进依法行政。\n" + BODY, ctx)
    assert row["division_code"] == prefecture.division_code and row["jurisdiction"] == short
    assert row["admin_level"] == "prefecture"


def test_an_abbreviated_autonomous_county_is_found(ctx):
    county = next(d for d in ctx.divisions.divisions if d.name.endswith("族自治县")
                  and short_forms(d) and d.name[:2] + "自治县" in short_forms(d))
    short = county.name[:2] + "自治县"
    row = meta_of(f"2022年，{short}人民政府坚持依法行政，推进法治政府建设。现将有关情况报告如下：\n" + BODY, ctx)
    assert row["division_code"] == county.division_code


def test_a_banner_by_its_short_form(ctx):
    banner = next(d for d in ctx.divisions.divisions if d.name.endswith("左翼中旗"))
    short = short_forms(banner)[0]
    row = meta_of(f"{short}2020年法治政府建设情况报告\n2020年，全旗推进依法行政。\n" + BODY, ctx)
    assert row["division_code"] == banner.division_code


def test_a_department_without_a_title_is_the_departments(ctx):
    county = next(d for d in ctx.divisions.divisions if d.division_level == "county" and d.name.endswith("县")
                  and len(ctx.divisions.by_name[d.name]) == 1)
    row = meta_of("2022年，县司法局紧紧围绕县委、县政府中心工作，推进法治政府建设。现将有关情况报告如下：\n"
                  f"局党组高度重视。全县深入推进依法行政，{county.name}各部门扎实工作，{county.name}法治建设取得成效。\n" + BODY, ctx)
    # Printed without its place, the department is named with the county the report is found to be.
    assert row["issuer_type"] == "department" and row["issuer"] == county.name + "司法局"
    assert row["admin_level"] == "county" and row["division_code"] == county.division_code


def test_a_provincial_department_speaking_as_we(ctx):
    row = meta_of("2018年，在省委、省政府坚强领导下，我厅认真贯彻落实法治政府建设要求，现将相关情况报告如下：\n"
                  "一、工作情况\n厅党组推进依法行政，服务青海交通发展，青海省交通运输体系不断完善。\n" + BODY, ctx)
    assert row["issuer_type"] == "department" and row["jurisdiction"] == "青海省"


def test_a_department_named_in_a_title_after_the_year(ctx):
    row = meta_of("2023年某某市司法局法治政府建设情况报告\n2023年，市司法局推进依法行政。\n" + BODY, ctx)
    assert row["issuer"] == "某某市司法局" and row["issuer_type"] == "department"


def test_a_national_ministry(ctx):
    row = meta_of("某某部关于2018年法治政府建设情况的报告\n2018年，某某部推进依法行政。\n" + BODY, ctx)
    assert row["admin_level"] == "national" and row["division_code"] == "" and row["issuer_type"] == "department"


def test_a_province_without_a_title_from_its_short_name(ctx):
    row = meta_of("2020年，江西坚持以习近平法治思想为指导，全省各级政府推进依法行政。现将有关情况报告如下。\n"
                  "一、主要成效\n省政府推动江西法治建设，我省取得新进展。\n" + BODY, ctx)
    assert row["jurisdiction"] == "江西省" and row["admin_level"] == "province"


def test_a_province_title_without_a_place(ctx):
    row = meta_of("省人民政府关于2022年度法治政府建设情况的报告\n2022年，面对复杂形势，省政府坚持依法行政，为甘肃发展提供法治保障。\n"
                  "我省推进法治甘肃建设。\n" + BODY, ctx)
    assert row["jurisdiction"] == "甘肃省" and row["division_code"] == "620000"
    assert row["issuer"] == "甘肃省人民政府"


def test_a_verb_of_publishing_after_the_issuer_is_not_its_name(ctx):
    row = meta_of("某某省人民政府公布2019年度法治政府建设情况\n2019年，我省推进依法行政。\n" + BODY, ctx)
    assert row["issuer"] == "某某省人民政府"


@pytest.mark.parametrize("issuer, jurisdiction, expected", [
    ("县司法局", "某某县", "某某县司法局"),
    ("州生态环境局", "某某州", "某某州生态环境局"),
    ("省人民政府", "某某省", "某某省人民政府"),
    ("区政府办", "", "区政府办"),  # no place found: as printed
    ("县司法局", "某某市", "县司法局"),  # a county's department is not the city's
    ("市场监督管理局", "某某市", "市场监督管理局"),  # 市场 is a market, not the city
    ("某某市司法局", "某某市", "某某市司法局"),
])
def test_an_issuer_printed_without_its_place_takes_the_jurisdiction(issuer, jurisdiction, expected):
    assert issuer_with_place(issuer, jurisdiction) == expected


def test_superiors_whose_directives_are_carried_out_are_not_the_reports_voice():
    opening = "2023年，本单位认真贯彻落实党中央决策部署及省委、省政府工作要求，推进依法行政。"
    assert self_reference_suffix([opening], 0) is None
    assert self_reference_suffix(["2023年，省委、省政府认真贯彻落实党中央决策部署，推进依法行政。"], 0) == "省"


def test_the_subject_of_the_opening_over_the_superiors_in_the_leadership_clause(ctx):
    county = next(d for d in ctx.divisions.divisions if d.division_level == "county" and d.name.endswith("区")
                  and len(ctx.divisions.by_name[d.name]) == 1)
    row = meta_of(f"2021年，在市委、市政府的坚强领导下，{county.name}政府深入推进依法行政。现将有关情况报告如下。\n"
                  "市里要求全市推进。\n" + BODY, ctx)
    assert row["division_code"] == county.division_code


def test_a_township_report(ctx):
    county = next(d for d in ctx.divisions.divisions if d.division_level == "county" and d.name.endswith("县")
                  and len(ctx.divisions.by_name[d.name]) == 1)
    row = meta_of(f"[ 发布机构 ] {county.name}某某乡\n某某乡人民政府关于2025年法治政府建设情况的报告\n"
                  f"按照《{county.name}人民政府办公室关于做好法治政府建设工作的通知》要求，现将2025年度情况报告如下：\n" + BODY, ctx)
    assert row["admin_level"] == "township" and row["jurisdiction"] == "某某乡"
    assert row["division_code"] == county.division_code


# ---------------------------------------------------------------------------------- pinyin
@pytest.mark.parametrize("text, expected", [
    ("某某區(qū)設(shè)立", "某某區設立"),
    ("建（jiàn）設", "建設"),
    ("方案(a)和附件(B)及(2021)", "方案(a)和附件(B)及(2021)"),
    ("英文(ok)不动", "英文(ok)不动"),
])
def test_pinyin_after_characters_is_removed_and_nothing_else(text, expected):
    assert remove_pinyin(text)[0] == expected


def test_a_traditional_text_with_pinyin_is_read(ctx):
    text = ("某某縣2016年法(fǎ)治政府建設(shè)情況報(bào)告\n2016年，本縣各級(jí)行政機(jī)關(guān)推進依法行政。\n"
            "一、主要舉措\n法治政府建設(shè)取得成效。\n二、存在的不足\n法治政府建設仍有差距。\n三、下一步安排\n推進法治政府建設。")
    row = meta_of(text, ctx)
    assert row["report_year"] == 2016 and "(" not in row["title"]


# ---------------------------------------------------------------------------------- the scorer
def test_the_scorer_counts_a_rejected_report_as_all_fields_wrong(ctx):
    labels = [{"file": "a.txt", "is_report": "Y", "jurisdiction": "某某市", "division_code": "", "report_year": "2020",
               "province": "", "publish_date": "", "admin_level": "", "issuer": "", "is_department": "false"},
              {"file": "b.txt", "is_report": "N"}]
    s = score(labels, {"a.txt": {"verdict": "rejected", "reasons": ["x"]}, "b.txt": {"verdict": "accepted", "report_id": "r"}},
              {}, ctx)
    assert s.reports_rejected == ["a.txt"] and s.lookalikes_accepted == ["b.txt"]
    assert s.overall == 0 and len([e for e in s.errors if e[1] in METADATA_FIELDS]) == len(METADATA_FIELDS)
    record = s.as_record()
    assert record["verdicts"] == {"reports_accepted": 0, "reports_rejected": 1, "lookalikes_accepted": 1,
                                  "lookalikes_rejected": 0}


def test_the_scorer_takes_a_short_form_for_the_labelled_division(ctx):
    prefecture = next(d for d in ctx.divisions.divisions if d.division_level == "prefecture" and d.name.endswith("族自治州"))
    short = short_forms(prefecture)[0]
    label = {"file": "a.txt", "is_report": "Y", "jurisdiction": short, "division_code": prefecture.division_code,
             "report_year": "2020", "province": prefecture.province, "publish_date": "", "admin_level": "prefecture",
             "issuer": "", "is_department": "false"}
    row = {"report_id": "r", "jurisdiction": prefecture.name, "division_code": prefecture.division_code,
           "report_year": "2020", "province": prefecture.province, "publish_date": "", "admin_level": "prefecture",
           "issuer": "", "issuer_type": "government"}
    s = score([label], {"a.txt": {"verdict": "accepted", "report_id": "r"}}, {"r": row}, ctx)
    assert s.overall == 1


def test_read_metadata_uses_the_page_title_when_the_body_has_none():
    meta = read_metadata(["2019年，全省推进依法行政，法治政府建设取得新的成效，人民群众满意度不断提升。"],
                         page_title="某某省2019年度法治政府建设情况报告")
    assert meta.report_year == 2019 and meta.title_line is None


def test_a_former_name_gets_the_code_valid_in_its_years(tmp_path):
    """Names the current codes no longer have resolve from the history of the codes; a current
    name is never shadowed by a former one."""
    from lbgr.parse.divisions import DivisionIndex

    ref = tmp_path / "divisions.csv"
    ref.write_text("division_code,name,division_level,province_code,prefecture_code,province,prefecture\n"
                   "990000,甲省,province,990000,,甲省,\n990100,乙市,prefecture,990000,990100,甲省,乙市\n"
                   "990181,丙州市,county,990000,990100,甲省,乙市\n990102,丁区,county,990000,990100,甲省,乙市\n",
                   encoding="utf-8")
    ref.with_name("division_history.csv").write_text(
        "division_code,name,division_level,province_code,prefecture_code,province,prefecture,first_year,last_year\n"
        "990127,丙县,county,990000,990100,甲省,乙市,2016,2020\n"
        "990199,丁区,county,990000,990100,甲省,乙市,2016,2018\n", encoding="utf-8")
    idx = DivisionIndex.from_csv(ref)
    (former,) = idx.lookup("丙县")
    assert (former.division_code, former.last_year, former.prefecture) == ("990127", 2020, "乙市")
    assert [d.division_code for d in idx.lookup("丁区")] == ["990102"]
    assert idx.names_in("丙县人民政府关于2020年度法治政府建设情况的报告") == ["丙县"]
    assert DivisionIndex.from_csv(ref, history=tmp_path / "none.csv").lookup("丙县") == []


@pytest.mark.parametrize("text, words", [
    ("2023年，(略)认真贯彻落实《(略)实施方案》，全区共办理案件120件。", ["2 passage(s) masked as (略)"]),
    ("年，某县深入贯彻《法治政府建设实施纲要(—年)》，办理案件件。", ["digits seem stripped"]),
    ("2023年，某县深入贯彻《法治政府建设实施纲要(2021—2025年)》，办理案件12件。", []),
])
def test_mirror_damage_is_named_and_nothing_is_filled_in(text, words):
    from lbgr.ingest.repair import mirror_damage

    found = mirror_damage(text)
    assert len(found) == len(words) and all(w in f for w, f in zip(words, found))


# ------------------------------------------------------------------ place from the address
def _unique_pinyin_prefecture(ctx, suffix):
    from pypinyin import lazy_pinyin

    from lbgr.parse.divisions import short_name
    for d in ctx.divisions.divisions:
        if d.division_level == "prefecture" and d.name.endswith(suffix) and len(short_name(d.name)) == 2:
            key = "".join(lazy_pinyin(short_name(d.name)))
            if [x.division_code for x in ctx.divisions.by_pinyin[key]] == [d.division_code] and len(key) >= 4:
                return d, key
    raise AssertionError("no prefecture with a pinyin of its own")


def test_a_government_sites_host_names_the_place_when_the_text_does_not(ctx):
    d, key = _unique_pinyin_prefecture(ctx, "市")
    assert division_from_address(f"http://sfj.{key}.gov.cn/a/2023/1.html", ctx.divisions, "市") == d
    assert division_from_address(f"https://www.{key}.gov.cn/", ctx.divisions, "市") == d


@pytest.mark.parametrize("template, kind", [
    ("http://www.{key}-mirror.com/gov/1.html", "市"),  # not a government site
    ("http://www.{key}.com/1.html", "市"),
    ("http://www.{key}.gov.cn/1.html", None),  # a portal also hosts the reports below it
    ("http://www.{key}.gov.cn/1.html", "县"),  # the host's place is not of the level the report speaks as
    ("", "市"),
])
def test_no_place_from_an_address_that_cannot_say(ctx, template, kind):
    _, key = _unique_pinyin_prefecture(ctx, "市")
    assert division_from_address(template.format(key=key), ctx.divisions, kind) is None


def test_initials_in_a_host_are_not_a_place(ctx):
    # Three letters or fewer name a department (sfj, jtt), even where they spell a place's pinyin.
    short = next(k for k in ctx.divisions.by_pinyin if len(k) <= 3)
    assert division_from_address(f"http://{short}.gov.cn/1.html", ctx.divisions, None) is None
    assert all(division_from_address(f"http://{short}.gov.cn/1.html", ctx.divisions, k) is None for k in "省市区县州")


def test_a_report_naming_no_place_takes_it_from_its_manifest_address(ctx):
    from lbgr.parse.report import process_text

    d, key = _unique_pinyin_prefecture(ctx, "市")
    text = "市司法局2022年度法治政府建设情况报告\n2022年，我局推进依法行政，市司法局取得成效。\n" + BODY
    without = process_text(text, "x.txt", "0" * 64, ctx).tables["reports"][0]
    assert without["division_code"] == ""
    row = process_text(text, "x.txt", "0" * 64, ctx, provenance=(f"http://sfj.{key}.gov.cn/2023/1.html", "")).tables["reports"][0]
    assert row["division_code"] == d.division_code and row["issuer"] == d.name + "司法局"
