"""The measures stage, the indicator codebook, report_indicators and the measure checks."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_helpers import Part, derive_report_indicators, make_doc
from lbgr import pipeline
from lbgr.extract.indicators import Codebook
from lbgr.extract.measures import extract_measures
from lbgr.package.tables import frame
from lbgr.paths import CODEBOOKS, RAW
from lbgr.schema_registry import load_resources
from lbgr.validate import RULES, measure_rules

CORE = ["recon_received", "recon_closed", "recon_correction_rate", "litig_cases", "litig_loss_rate",
        "head_appearance_rate", "mediation_cases", "mediation_success_rate", "legal_aid_cases", "normdoc_reviewed",
        "normdoc_filed", "major_decisions", "enforcement_certs", "lenient_enforcement", "npc_cppcc_proposals"]


def rows_of(text: str, ctx, parts=None) -> list[dict]:
    return extract_measures(make_doc(text, parts), ctx)["measures"]


def by_surface(rows: list[dict]) -> dict[str, dict]:
    return {r["surface"]: r for r in rows}


# --- the stage on snippets ------------------------------------------------------------------

def test_rows_carry_ids_offsets_and_the_sentence(ctx):
    text = "(五)加强复议应诉\n全年共办理行政复议案件244件,综合纠错率28.42%。办理市政府行政应诉案件32件,败诉率仅4.55%。"
    doc = make_doc(text)
    rows = extract_measures(doc, ctx)["measures"]
    assert [r["surface"] for r in rows] == ["244件", "28.42%", "32件", "4.55%"]
    assert [r["measure_id"] for r in rows] == [f"{doc.report_id}-m{n:04d}" for n in range(1, 5)]
    first = rows[0]
    assert doc.body[first["char_start"]:first["char_end"]] == "244件"
    assert first["paragraph_id"] == doc.paragraphs[1].paragraph_id
    assert first["section_id"] == doc.sections[0].section_id
    assert first["sentence"] == "全年共办理行政复议案件244件,综合纠错率28.42%。"
    assert first["subject"] == "办理行政复议案件"
    assert set(first) == set(load_resources()["measures"]["fields"])


@pytest.mark.parametrize("text, expected", [
    ("全年共办理行政复议案件244件,综合纠错率28.42%。",
     {"244件": "recon_closed", "28.42%": "recon_correction_rate"}),
    ("全年共新增行政复议案件199件,其中受理157件,审结131件,直接纠错21件,经复议后87.94%的案件未进入诉讼程序。",
     {"199件": "recon_received", "157件": "recon_accepted", "131件": "recon_closed", "21件": "recon_corrected",
      "87.94%": "recon_no_further_litigation"}),
    ("办理市政府行政应诉案件32件,败诉率仅4.55%。全年出庭232件、出庭率100%。",
     {"32件": "litig_cases", "4.55%": "litig_loss_rate", "232件": "head_appearance_count",
      "100%": "head_appearance_rate"}),
    ("全市共排查纠纷14016起,调解成功13668起,调解成功率97.52%。",
     {"14016起": "disputes_screened", "13668起": "mediation_success", "97.52%": "mediation_success_rate"}),
    ("三级调解组织共受理矛盾纠纷14374起。受理调解3878件。",
     {"14374起": "mediation_cases", "3878件": "mediation_cases"}),
    ("共接待群众法律咨询1.2万余人次,办理法律援助案件5900件。",
     {"1.2万余人次": "legal_consultations", "5900件": "legal_aid_cases"}),
    ("全年认真办理人大代表建议212件、政协委员提案278件,办复率、满意率均达100%。",
     {"212件": "npc_cppcc_proposals", "278件": "npc_cppcc_proposals", "100%": "npc_cppcc_reply_rate"}),
    ("一年来办结行政处罚案件828件,实施柔性执法682件,占比82.4%。",
     {"828件": "penalty_cases", "682件": "lenient_enforcement", "82.4%": "lenient_enforcement_share"}),
    ("共办理“免罚轻罚”案件1824件,涉及金额约8567万元。",
     {"1824件": "lenient_enforcement", "约8567万元": "lenient_enforcement_amount"}),
    ("对市本级25件规范性文件进行合法性审查。备案审查县市区政府规范性文件81件。",
     {"25件": "normdoc_reviewed", "81件": "normdoc_filed"}),
    ("70件政府合同和其他政府投资事项,90件市政府文件均严格通过合法性审查程序。",
     {"70件": "legality_review_total", "90件": "legality_review_total"}),
    ("共清理文件78件,其中继续有效48件、需修改2件、废止28件。",
     {"78件": "normdoc_cleanup", "48件": "normdoc_retained", "2件": "normdoc_amended", "28件": "normdoc_repealed"}),
    ("将调整收费标准等8件涉及群众切身利益的决策事项纳入目录清单。",
     {"8件": "major_decisions"}),
    ("发放了行政执法证共计14415本。组织34个行政执法部门204名新增行政执法人员参加考试。",
     {"14415本": "enforcement_certs", "34个": None, "204名": "enforcement_staff"}),
    ("全区累计排查发现问题隐患7915条,已整改7895条。",
     {"7915条": "hazards_rectified", "7895条": "hazards_rectified"}),
    ("全年以告知承诺方式办理案件累计近32770件,同比增长23.7%。",
     {"近32770件": "permit_lists", "23.7%": None}),
    ("全市822个嘎查村(社区)有“法律明白人”4100余名。",
     {"822个": None, "4100余名": "pls_persons"}),
    ("进驻中介机构99家,委托人458家,发布项目2051个。",
     {"99家": None, "458家": None, "2051个": None}),
    ("审查重大行政决策3项,规范性文件11件,重大事项71次。",
     {"3项": "major_decisions", "11件": "normdoc_reviewed", "71次": "legality_review_total"}),
    ("经清理保留规范性文件21件,拟修改3件,废止11件。开展专项清理7次。",
     {"21件": "normdoc_retained", "3件": "normdoc_amended", "11件": "normdoc_repealed", "7次": "normdoc_cleanup_campaigns"}),
    ("组织执法人员法律知识考试2次,整体通过率60%。",
     {"2次": "enforcement_exams", "60%": "enforcement_exam_rate"}),
    ("区委、区政府研究法治建设有关会议12次,开展会前学法9次,主要领导批示法治政府建设工作5次。",
     {"12次": "leader_meetings", "9次": "leader_study", "5次": "leader_instructions"}),
    # The outline's own wording: leaders' law lectures (两期法治专题讲座) are leaders' study.
    ("县政府常务会议会前学法6次,举办领导干部法治专题讲座2期。", {"6次": "leader_study", "2期": "leader_study"}),
    # Law popularisation: campaigns, exams of cadres and their takers, rounds of case-file review.
    ("围绕宪法宣传周开展宣传活动40场,发放宣传册5000份。",
     {"40场": "pufa_activities", "5000份": "pufa_materials"}),
    ("开展“法律进校园”活动25场次,受教育学生6000人次。", {"25场次": "pufa_activities", "6000人次": "pufa_audience"}),
    ("组织领导干部考法3200人次,学法考试参考率、合格率均达100%。",
     {"3200人次": "pufa_audience", "100%": "pufa_exam_rate"}),
    ("开展安全生产宣传活动30场。", {"30场": None}),
    ("开展行政执法案卷评查2轮次。", {"2轮次": "case_file_review_rounds"}),
    ("完成年度立法计划项目4件,公示执法信息3000余条。", {"4件": "local_legislation", "3000余条": "three_systems_outputs"}),
])
def test_indicator_mapping_on_typical_phrasings(ctx, text, expected):
    got = by_surface(rows_of(text, ctx))
    assert {s: got[s]["indicator_code"] for s in expected} == expected


@pytest.mark.parametrize("text, expected", [
    # Cadres' exams are law exams in these reports even when the sentence does not repeat 法:
    # exams held, takers and rates (issue 19, item 3, second round).
    ("全区各级干部参加专题考试3场次,参考人数2100人,参考率达95%。",
     {"3场次": "pufa_activities", "2100人": "pufa_participants", "95%": "pufa_exam_rate"}),
    ("组织各单位开展模拟法律测试2次。", {"2次": "pufa_activities"}),
    ("组织公务员招录考试2场,参加考试干部300人。", {"2场": None, "300人": None}),
    # Leading cadres attending law lectures: an attendance beside the sessions (one meaning per code).
    ("举办领导干部法治专题讲座4期,领导干部参加800人次。", {"4期": "leader_study", "800人次": "leader_study_attendance"}),
    # Staff study is not the leaders' study.
    ("组织干部职工开展宪法学习30场次。", {"30场次": None}),
    # A title in 《》 counts as one word between 学习 and 法律法规.
    ("常务会议学习了《某某省物业管理条例实施细则》《某某市河道管理办法》等法律法规6部。", {"6部": "leader_laws_studied"}),
    # Problems found by an inspection in 个, and their categories in 方面.
    ("开展法治督察,反馈问题15个,整改率100%。", {"15个": "duchas_issues", "100%": "duchas_rectification_rate"}),
    ("整改法治督察反馈问题,涉及3大方面12个问题。", {"3大方面": "duchas_issues", "12个": "duchas_issues"}),
    # Cases examined in a case-file review; cases examined elsewhere are not case files.
    ("开展行政执法案卷评查1次,审查案件120起。", {"1次": "case_file_review_rounds", "120起": "case_file_review"}),
    ("审查案件50件。", {"50件": None}),
    # Permit lists: the older 审批事项, a from–to pair of levels, and no change or platform count.
    ("行政审批事项从300项减少至200项。", {"300项": "permit_lists", "200项": "permit_lists"}),
    ("梳理录入行政许可和公共服务类事项800项。", {"800项": "permit_lists"}),
    ("对20项行政权力事项作出调整,清理审批事项12项。", {"20项": None, "12项": None}),
    ("将500项政务服务事项纳入“一网通办”平台。", {"500项": None}),
    ("“一网通办”网办率达90%。", {"90%": "permit_service_rate"}),
    # A lead that names only the generic 事项 continues the figure-less clause before, which names the list.
    ("更新权责清单,梳理事项500项。", {"500项": "permit_lists"}),
    ("更新权责清单2份,梳理事项500项。", {"500项": None}),
    ("召开部门协调会议,梳理事项20项。", {"20项": None}),
    # A topic in an earlier list item that holds its own figure is that figure's; the verb that
    # heads the list (修改) is shared by all items.
    ("共修改、废止地方政府规章12件、规范性文件300件。", {"12件": "local_legislation", "300件": "normdoc_amended"}),
    ("办理人大代表建议40件、督办事项15件。", {"40件": "npc_cppcc_proposals", "15件": None}),
    # A topic in a clause before is weighed as borrowed, not dropped.
    ("推进告知承诺制改革,实现80项涉企事项、12项证明和30项申请材料简化。", {"30项": "permit_lists"}),
])
def test_indicator_mapping_second_round_phrasings(ctx, text, expected):
    got = by_surface(rows_of(text, ctx))
    assert {s: got[s]["indicator_code"] for s in expected} == expected



@pytest.mark.parametrize("text, expected", [
    # A topic phrase after the figure that leads a later figure is that figure's (issue 19, item 3).
    ("梳理中介服务事项50项、权责清单1200项。", {"50项": None, "1200项": "permit_lists"}),
    ("印发8项改革任务分解表,梳理行政许可事项300项。", {"8项": None, "300项": "permit_lists"}),
    ("办理人大代表建议40件、政协委员提案52件。", {"40件": "npc_cppcc_proposals", "52件": "npc_cppcc_proposals"}),
    # A light verb and a figure continue the figure-less clause before, which sets the topic.
    ("深化告知承诺制改革,实现120项经营许可事项、9项证明材料“一次办”。",
     {"120项": "permit_lists", "9项": "permit_lists"}),
    # A content verb does not: the model's name in the clause before is not what is counted.
    ("探索“律师+法律顾问”服务模式,聘请4名律师助理派驻乡镇。", {"4名": None}),
    # Study sessions of the leading group whose sentence names law are leader_study.
    ("深入学习习近平法治思想,全年组织专题学习3次。", {"3次": "leader_study"}),
    ("召开12次党组会、理论中心组学习会,深入学习宪法和法律。", {"12次": "leader_study"}),
    ("组织专题学习3次,研讨经济工作。", {"3次": None}),
    # Training of lay legal workers is law popularisation; their chat groups are not platforms.
    ("开展“法律明白人”培训30场次,建立“法律明白人”工作群25个。", {"30场次": "pufa_activities", "25个": None}),
    ("电视台《法治在线》栏目播出52期。", {"52期": "pufa_materials"}),
    # A rate's name is no topic for a count: the cases handled are not a list's items.
    ("政务服务事项网上可办率98%,办理3.2万件。", {"98%": "permit_service_rate", "3.2万件": None}),
    # Inspection teams and places beside the problems rectified (one meaning per code).
    ("组织3个督察组对8个乡镇开展法治督察,整改问题26项。",
     {"3个": "duchas_inspections", "8个": "duchas_inspections", "26项": "duchas_issues"}),
    ("出台法治督察、案卷评查等配套措施12项。", {"12项": None}),
    ("组织40名干部参加法治理论考试,平均分达88分。", {"40名": "pufa_participants", "88分": "pufa_exam_score"}),
    # Items of a 、 list own their words: the next item's verb is not this figure's topic.
    ("经评估保留规范性文件20件、废止规范性文件5件、完成3件规范性文件备案。",
     {"20件": "normdoc_retained", "5件": "normdoc_repealed", "3件": "normdoc_filed"}),
    # A verb saying what the meetings did, in the next clause, names their topic.
    ("召开县委常委会会议9次,研究法治建设有关事项。", {"9次": "leader_meetings"}),
    ("召开县政府常务会议20次,推动经济发展。", {"20次": None}),
    # An item that opens with the reviewed object takes the review named for the list.
    ("审查政府合同40份、重大行政决策6项、规范性文件9件。",
     {"40份": "legality_review_total", "6项": "major_decisions", "9件": "normdoc_reviewed"}),
    ("开展合法性审查120件,其中规范性文件20件、行政协议35件。",
     {"120件": "legality_review_total", "20件": "normdoc_reviewed", "35件": "legality_review_total"}),
    ("全年共审查规范性文件、重大行政决策、行政协议等90件。", {"90件": "legality_review_total"}),
    ("制定《某某办法》等3项制度并依法向县政府备案。", {"3项": "normdoc_filed"}),
])
def test_indicator_mapping_reads_lists_and_clauses(ctx, text, expected):
    got = by_surface(rows_of(text, ctx))
    assert {s: got[s]["indicator_code"] for s in expected} == expected


def test_changes_never_carry_a_code(ctx):
    rows = rows_of("报备数量同比增长42%,行政复议纠错率同比下降3个百分点。", ctx)
    assert [r["value_kind"] for r in rows] == ["change", "change"]
    assert all(r["indicator_code"] is None for r in rows)


def test_subject_names_the_counted_noun(ctx):
    got = by_surface(rows_of("组织2个督察小组,对5个县市区开展了实地督察。选聘了9名律师作为兼职法律顾问。", ctx))
    assert (got["2个"]["subject"], got["5个"]["subject"], got["9名"]["subject"]) == ("督察小组", "县市区", "律师")


def test_figures_in_quotes_and_titles_are_not_rows(ctx):
    rows = rows_of("出台《关于优化营商环境的十二条措施》,提供“7*24”服务,纳入“八五”普法规划,开展活动3次。", ctx)
    assert [r["surface"] for r in rows] == ["3次"]


# --- the five corpus reports --------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus_measures(corpus, ctx):
    return {k: (res.doc, extract_measures(res.doc, ctx)["measures"]) for k, res in corpus.items()}


def test_every_span_is_verbatim_in_its_body(corpus_measures):
    for key, (doc, rows) in corpus_measures.items():
        assert rows, key
        for r in rows:
            assert doc.body[r["char_start"]:r["char_end"]] == r["surface"], (key, r["measure_id"])
            para = next(p for p in doc.paragraphs if p.paragraph_id == r["paragraph_id"])
            assert para.char_start <= r["char_start"] < r["char_end"] <= para.char_end
            assert r["surface"] in r["sentence"] and r["sentence"] in para.text


def test_ids_follow_document_order_and_codes_exist(corpus_measures, ctx):
    codes = {row["indicator_code"] for row in ctx.codebook("indicators")}
    for _doc, rows in corpus_measures.values():
        starts = [r["char_start"] for r in rows]
        assert starts == sorted(starts)
        assert len({r["measure_id"] for r in rows}) == len(rows)
        assert {r["indicator_code"] for r in rows} - {None} <= codes


def test_no_year_date_or_document_number_is_a_measure(corpus_measures):
    for doc, rows in corpus_measures.values():
        for r in rows:
            assert not re.fullmatch(r"(19|20)\d\d", r["value"]) or r["unit"] not in ("年", "")
            after = doc.body[r["char_end"]:r["char_end"] + 1]
            assert after not in ("年", "号", "月", "日") or r["unit"] != ""


CORPUS_SENTENCES = sorted({s.strip() + "。" for p in RAW.glob("*.txt") for s in p.read_text(encoding="utf-8").split("。")
                           if s.strip() and "\n" not in s.strip()})
NOISE = st.text(alphabet="0123456789.%,、万亿余多近约件项人次元个“”《》()?+*第年一二两三十百", max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(CORPUS_SENTENCES), NOISE), min_size=1, max_size=5))
def test_stage_on_generated_paragraphs(ctx, pieces):
    text = "".join(sentence[: len(sentence) // 2] + noise + sentence[len(sentence) // 2:] for sentence, noise in pieces)
    doc = make_doc(text.strip() or "空")
    codes = {row["indicator_code"] for row in ctx.codebook("indicators")}
    for r in extract_measures(doc, ctx)["measures"]:
        assert doc.body[r["char_start"]:r["char_end"]] == r["surface"]
        assert r["surface"] in r["sentence"]
        assert r["indicator_code"] is None or r["indicator_code"] in codes


# --- codebook ---------------------------------------------------------------------------------

def test_codebook_covers_domain_section_5(ctx):
    rows = ctx.codebook("indicators")
    codes = [r["indicator_code"] for r in rows]
    assert len(codes) == len(set(codes))
    first_release = [r["indicator_code"] for r in rows if not r["sibling_of"]]
    assert len(first_release) == 54  # the draft codebook of DOMAIN.md §5
    assert set(CORE) <= set(first_release)
    assert {r["indicator_code"] for r in rows if r["is_core_indicator"] == "true"} == set(CORE)
    for r in rows:
        for col in ("pattern", "sentence_pattern", "exclude_pattern", "noun_exclude_pattern", "narrower_scope_pattern",
                    "preferred_pattern"):
            re.compile(r[col])
        assert r["theme_code"] in {row["theme_code"] for row in ctx.codebook("themes")}
        # Levels only (never change); other is a score in points (pufa_exam_score), its own family.
        assert r["value_kind"] in {"count", "percent", "money", "other"}, r["indicator_code"]
        assert r["value_kind"] != "other" or r["units_allowed"] == "分", r["indicator_code"]
        assert r["units_allowed"].split() and r["indicator_definition"]
        assert not r["sibling_of"] or r["sibling_of"] in first_release, r["indicator_code"]


def test_each_code_has_one_kind_one_unit_family_and_one_scope(ctx):
    family = {r["unit_normalized"]: r["unit_family"] for r in ctx.codebook("unit_families")}
    for r in ctx.codebook("indicators"):
        assert len(r["value_kind"].split()) == 1 and r["scope"] in {"jurisdiction", "government"}
        assert {family[u] for u in r["units_allowed"].split()} == {r["unit_family"]}, r["indicator_code"]
        assert (r["value_kind"] == "percent") == (r["unit_family"] == "percent"), r["indicator_code"]
        assert (r["value_kind"] == "money") == (r["unit_family"] == "money"), r["indicator_code"]


def test_a_codebook_row_of_two_kinds_or_mixed_families_is_refused(ctx):
    rows = [dict(r) for r in ctx.codebook("indicators")]
    two_kinds = [dict(r, value_kind="count percent") if r["indicator_code"] == "audit_projects" else r for r in rows]
    with pytest.raises(ValueError, match="audit_projects: value_kind must be one kind"):
        Codebook(two_kinds, ctx.codebook("unit_families"))
    mixed = [dict(r, units_allowed="个 名") if r["indicator_code"] == "audit_projects" else r for r in rows]
    with pytest.raises(ValueError, match="audit_projects: units_allowed 个 名 are not all of its unit_family items"):
        Codebook(mixed, ctx.codebook("unit_families"))


@pytest.mark.parametrize("text, surface, note", [
    ("为中小微企业化解纠纷920起。", "920起", "mediation_cases: narrower scope (为中小微企业); the indicator counts the jurisdiction"),
    ("法律援助案件办结率98%。", "98%", "legal_aid_cases: value kind percent; the indicator holds count"),
    ("接待法律援助咨询群众350人。", "350人", "legal_consultation_events: unit 人 (persons); the indicator counts items"),
    ("办理行政复议案件同比增长12%。", "12%", "recon_closed: a change, not a level"),
])
def test_a_figure_kept_out_of_an_indicator_says_why(ctx, text, surface, note):
    row = by_surface(rows_of(text, ctx))[surface]
    assert row["indicator_code"] is None
    assert row["indicator_note"] == note


def test_a_coded_figure_and_a_figure_near_no_indicator_have_no_note(ctx):
    got = by_surface(rows_of("办理法律援助案件120件。种植树木300棵,耗时3个工作日。", ctx))
    assert got["120件"]["indicator_code"] == "legal_aid_cases" and got["120件"]["indicator_note"] is None
    assert got["3个工作日"]["indicator_note"] is None


def test_codebook_columns_are_the_resource_fields():
    with open(CODEBOOKS / "indicators.csv", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == load_resources()["indicators"]["fields"]


def test_mapping_rules_are_data(ctx):
    """Changing a pattern in the codebook changes the mapping; no code names a phrase."""
    rows = [dict(r) for r in ctx.codebook("indicators")]
    text = "完成审计项目259个。"
    doc = make_doc(text)
    from lbgr.extract.measures import measure_rows

    assert measure_rows(doc, Codebook(rows))[0]["indicator_code"] == "audit_projects"
    for r in rows:
        if r["indicator_code"] == "audit_projects":
            r["pattern"] = "审计署"
    assert measure_rows(doc, Codebook(rows))[0]["indicator_code"] is None


# --- report_indicators ------------------------------------------------------------------------

def _tables(doc, ctx) -> dict[str, pd.DataFrame]:
    from dataclasses import asdict

    return {"measures": frame("measures", extract_measures(doc, ctx)["measures"]),
            "sections": frame("sections", [asdict(s) for s in doc.sections])}


def test_report_indicators_one_row_per_code_pointing_to_a_measure(corpus_measures, ctx):
    for _doc, rows in corpus_measures.values():
        tables = {"measures": frame("measures", rows)}
        ri = derive_report_indicators(tables, ctx)["report_indicators"]
        coded = [r for r in rows if r["indicator_code"]]
        assert len(ri) == len({r["indicator_code"] for r in coded})
        assert not ri.duplicated(["report_id", "indicator_code"]).any()
        by_id = {r["measure_id"]: r for r in rows}
        for r in ri.itertuples():
            m = by_id[r.measure_id]
            assert m["indicator_code"] == r.indicator_code
            assert m["value_normalized"] == r.value_normalized and m["unit_normalized"] == r.unit_normalized
            assert r.n_candidates == sum(x["indicator_code"] == r.indicator_code for x in coded)
        assert list(ri.columns) == load_resources()["report_indicators"]["fields"]


def test_choice_rules_prefer_results_part_and_totals_and_say_which_chose(ctx):
    text = ("一、主要工作\n"
            "共清理文件78件,其中继续有效48件、废止30件。\n"
            "全市行政复议纠错率10%,全年共办理行政复议案件300件,其中市本级审结120件。\n"
            "二、下一步打算\n"
            "力争办理行政复议案件500件。")
    parts = [Part("一、主要工作", "二、", part_type="achievements", elements="E1", marker="一、"),
             Part("二、下一步打算", part_type="plans", elements="E4", marker="二、")]
    doc = make_doc(text, parts)
    ri = derive_report_indicators(_tables(doc, ctx), ctx)["report_indicators"].set_index("indicator_code")
    assert ri.loc["normdoc_cleanup", "value_normalized"] == 78  # the total; its parts have sibling codes
    assert (ri.loc["normdoc_cleanup", "n_candidates"], ri.loc["normdoc_cleanup", "choice_rule"]) == (1, "only_candidate")
    assert ri.loc["normdoc_retained", "value_normalized"] == 48
    assert ri.loc["recon_closed", "value_normalized"] == 300  # results part before plans; total before part
    assert ri.loc["recon_closed", "n_candidates"] == 3
    assert ri.loc["recon_closed", "n_candidates_disagreeing"] == 2
    assert ri.loc["recon_closed", "choice_rule"] == "not_a_part"
    assert ri.loc["recon_correction_rate", "value_normalized"] == 10  # the rate as stated


def test_the_sentence_that_names_the_indicator_wins_over_one_that_mentions_it(ctx):
    text = "开展集中宣讲和普法讲座120余场次。以送法下乡等方式开展普法活动160余场次。"
    ri = derive_report_indicators(_tables(make_doc(text), ctx), ctx)["report_indicators"].set_index("indicator_code")
    assert ri.loc["pufa_activities", "value_normalized"] == 160
    assert (ri.loc["pufa_activities", "choice_rule"], ri.loc["pufa_activities", "n_candidates_disagreeing"]) == \
        ("names_indicator", 1)


def test_a_part_larger_than_its_whole_is_flagged_not_dropped(ctx):
    text = "全区调解矛盾纠纷900起。全区成功调解矛盾纠纷2500件。"
    ri = derive_report_indicators(_tables(make_doc(text), ctx), ctx)["report_indicators"].set_index("indicator_code")
    assert ri.loc["mediation_cases", "value_normalized"] == 900
    assert ri.loc["mediation_success", "value_normalized"] == 2500
    assert ri.loc["mediation_success", "plausibility_flags"] == "mediation_success_le_cases"
    assert ri.loc["mediation_cases", "plausibility_flags"] == "mediation_success_le_cases"


def test_report_indicators_of_no_measures_is_an_empty_table(ctx):
    empty = {"measures": frame("measures", [])}
    ri = derive_report_indicators(empty, ctx)["report_indicators"]
    assert ri.empty and list(ri.columns) == load_resources()["report_indicators"]["fields"]


# --- content checks ---------------------------------------------------------------------------

def _check_inputs(ctx):
    doc = make_doc("全年共办理行政复议案件244件,综合纠错率28.42%。\n报备数量同比增长236%。")
    tables = _tables(doc, ctx)
    tables["report_indicators"] = derive_report_indicators(tables, ctx)["report_indicators"]
    tables["indicators"] = pd.DataFrame(ctx.codebook("indicators"))
    return tables, {doc.report_id: doc.body}


def test_checks_pass_on_extracted_tables(ctx):
    tables, bodies = _check_inputs(ctx)
    assert measure_rules.check(tables, bodies) == []


@pytest.mark.parametrize("corrupt, message", [
    (lambda t: t["measures"].loc.__setitem__((0, "surface"), "245件"), "surface differs"),
    (lambda t: t["measures"].loc.__setitem__((1, "value_normalized"), 128.4), "outside [0, 100]"),
    (lambda t: t["measures"].loc.__setitem__((0, "value_normalized"), 2440), "value × scale"),
    (lambda t: t["measures"].loc.__setitem__((0, "indicator_code"), "no_such_code"), "not in the codebook"),
    (lambda t: t["measures"].loc.__setitem__((2, "indicator_code"), "recon_correction_rate"), "change carries"),
    (lambda t: t["report_indicators"].loc.__setitem__((0, "measure_id"), "110101-2023-m0099"), "point to no measure"),
    (lambda t: t["report_indicators"].loc.__setitem__((0, "n_candidates"), 5), "n_candidates"),
    (lambda t: t["indicators"].loc.__setitem__((0, "pattern"), "(unclosed"), "not valid regular expressions"),
])
def test_checks_report_broken_rows(ctx, corrupt, message):
    tables, bodies = _check_inputs(ctx)
    corrupt(tables)
    errors = measure_rules.check(tables, bodies)
    assert any(message in e for e in errors), errors


def test_a_percentage_above_100_is_allowed_where_the_text_states_a_ratio(ctx):
    doc = make_doc("受理案件数为上年的150%。")
    tables = _tables(doc, ctx)
    assert tables["measures"].value_normalized.iloc[0] == 150
    assert measure_rules.check(tables, {doc.report_id: doc.body}) == []


# --- the pipeline lists the stages once ------------------------------------------------------

def test_the_pipeline_lists_both_stages_once_and_validation_runs_the_check():
    assert [n for n, _ in pipeline.PER_REPORT_STAGES].count("measures") == 1
    assert [n for n, _ in pipeline.DERIVED_STAGES].count("report_indicators") == 1
    assert [r.check for r in RULES].count(measure_rules.check) == 1


def test_a_figure_that_ends_a_cut_off_text_is_not_a_row(ctx):
    # The text stops right after the figure: its measure word may be cut (压减至3个 | 工作日).
    doc = make_doc("审批时限由20个工作日压减至3个")
    assert [r["surface"] for r in extract_measures(doc, ctx)["measures"]] == ["20个工作日"]
    doc = make_doc("审批时限由20个工作日压减至3个工作日。")
    assert [r["surface"] for r in extract_measures(doc, ctx)["measures"]] == ["20个工作日", "3个工作日"]


def test_a_figure_whose_unit_is_complete_at_the_cut_is_kept(ctx):
    # 类 and 件 begin no measure word of another kind: only the counted noun is cut off.
    doc = make_doc("办理审查、备案等4类")
    assert [r["surface"] for r in extract_measures(doc, ctx)["measures"]] == ["4类"]
    doc = make_doc("受理群众诉求3.1万余件")
    assert [r["surface"] for r in extract_measures(doc, ctx)["measures"]] == ["3.1万余件"]
    # A number with no measure word at the cut is no figure at all; 6分 may be 6分钟.
    doc = make_doc("办理时间平均6分")
    assert extract_measures(doc, ctx)["measures"] == []
