"""Every `reports` field and the level-1/level-2 headings of the five corpus reports.

The expectations were written by reading the raw texts in data/raw/, not copied from output.
"""

import pytest

EXPECTED = {
    "000": dict(
        report_id="431200-2023", title="关于怀化市2023年度法治政府建设情况的报告", issuer="怀化市人民政府",
        issuer_source="jurisdiction", issuer_type="government", jurisdiction="怀化市", jurisdiction_full="湖南省怀化市",
        division_code="431200", province="湖南省", prefecture="怀化市", admin_level="prefecture", report_year=2023,
        publish_date="2024-02-22", publisher="怀化市司法局", signed_by="", signed_date=None, published_on_time=True,
        has_achievements=True, has_problems=True, has_responsibility=True, has_plans=True,
        responsibility_evidence="keyword"),
    "001": dict(
        report_id="150200-2024", title="", issuer="包头市人民政府", issuer_source="jurisdiction", issuer_type="government",
        jurisdiction="包头市", jurisdiction_full="内蒙古自治区包头市", division_code="150200", province="内蒙古自治区",
        prefecture="包头市", admin_level="prefecture", report_year=2024, publish_date=None, publisher="",
        signed_by="", signed_date=None, published_on_time=None,
        has_achievements=True, has_problems=True, has_responsibility=True, has_plans=True,
        responsibility_evidence="keyword", problems_evidence="heading", plans_evidence="heading"),
    "002": dict(
        report_id="370404-2020", title="中共峄城区委 峄城区人民政府关于2020年度法治政府建设情况的报告",
        issuer="中共峄城区委 峄城区人民政府", issuer_source="title", issuer_type="party_and_government",
        jurisdiction="峄城区", jurisdiction_full="山东省枣庄市峄城区", division_code="370404", province="山东省",
        prefecture="枣庄市", admin_level="county", report_year=2020, publish_date="2021-03-08", publisher="峄城区司法局",
        signed_by="", signed_date=None, published_on_time=True,
        has_achievements=True, has_problems=True, has_responsibility=True, has_plans=True,
        responsibility_evidence="heading"),
    "003": dict(
        report_id="511083-2021", title="隆昌市2021年度法治政府建设情况报告", issuer="隆昌市人民政府",
        issuer_source="signature", issuer_type="government", jurisdiction="隆昌市", jurisdiction_full="四川省内江市隆昌市",
        division_code="511083", province="四川省", prefecture="内江市", admin_level="county", report_year=2021,
        publish_date="2022-02-17", publisher="隆昌市司法局", signed_by="隆昌市人民政府", signed_date="2022-02-16",
        published_on_time=True, has_achievements=True, has_problems=True, has_responsibility=False, has_plans=True,
        responsibility_evidence="none"),
    "004": dict(
        report_id="320612-2023", title="通州区人民政府2023年法治政府建设情况报告", issuer="通州区人民政府",
        issuer_source="title", issuer_type="government", jurisdiction="通州区", jurisdiction_full="江苏省南通市通州区",
        division_code="320612", province="江苏省", prefecture="南通市", admin_level="county", report_year=2023,
        publish_date="2024-02-22", publisher="司法局", signed_by="", signed_date=None, published_on_time=True,
        has_achievements=True, has_problems=True, has_responsibility=True, has_plans=True,
        responsibility_evidence="heading"),
}

LEVEL1 = {
    "000": [("2023年主要工作", "achievements"), ("存在的问题", "problems"), ("下一步打算", "plans")],
    "001": [("工作开展情况", "achievements"), ("存在问题及下一步工作重点", "mixed")],
    "002": [("2020年度推进法治政府建设的工作情况", "achievements"), ("推进法治政府建设存在的不足", "problems"),
            ("2020年度党政主要负责人履行推进法治建设第一责任人职责情况", "responsibility"),
            ("2021年度推进法治政府建设的主要安排", "plans")],
    "003": [("工作开展情况", "achievements"), ("存在的问题", "problems"), ("2022年工作打算", "plans")],
    "004": [("主要举措和成效", "achievements"), ("主要负责人履行推进法治建设第一责任人职责情况", "responsibility"),
            ("存在不足和原因", "problems"), ("2024年度主要安排", "plans")],
}

# Level-2 headings per part (by the part's ordinal), as printed.
LEVEL2 = {
    "000": {
        1: ["强化统筹协调,切实履行主体责任", "聚焦职能转变,倾力打造高效便民服务型政府", "坚持公平公正,着力提升依法行政水平",
            "规范行政执法,不断提升行政执法质效", "强化制约监督,全面促进行政权力规范化运行", "加强普治并举,进一步提升社会治理现代化水平"],
        2: ["行政决策程序有待进一步规范", "行政执法规范化建设还需进一步加强", "政务服务效能还需进一步提高"],
        3: ["坚持以习近平法治思想为引领,进一步增强推进法治政府建设的责任感、使命感、紧迫感",
            "坚持以法治建设先行者为目标,进一步推动严格规范公正文明执法再上新台阶", "坚持以改革发展为动力,着力打造智慧的现代法治政府"],
    },
    "001": {
        1: ["以习近平法治思想为引领,加强法治政府建设统筹推进力度", "持续深化“放管服”改革,着力提升“包你放心”法治化营商环境水平",
            "健全完善依法行政制度,着力夯实法治政府建设根基", "依法公正行使政府职权,推动严格规范公正文明执法",
            "聚焦优质法律服务供给,增强人民群众法治获得感"],
        2: ["党政主要负责人履行推进法治建设第一责任人的职责还需进一步压实", "政府权力运行的规范化水平有待进一步提高",
            "重点领域执法需进一步强化,基层执法力量需进一步加强", "进一步强化各级政府主体责任", "以更高标准严格规范行政决策行为",
            "健全行政执法体系", "提高矛盾纠纷调处化解能力,加强对重点领域矛盾纠纷的法律服务供给,扎实推进信访工作法治化",
            "持续优化法治化营商环境"],
    },
    "002": {
        1: ["持续深化行政审批制度改革", "严格规范公正文明执法", "全面落实重大行政决策制度", "强化对行政权力的制约监督",
            "积极开展矛盾纠纷多元化解", "全面提升政府工作人员法治思维和依法行政能力", "倾力打造日臻完善的法治环境",
            "积极创新法治政府建设实践", "进一步提升全民普法实效性", "筑牢法治政府建设坚强后盾"],
        2: ["对法治政府建设的重要性、紧迫性认识有差距", "运用法治思维和法治方式解决问题的能力有待加强", "规范文明执法水平有待提升",
            "政务服务水平有待提高"],
        3: [],
        4: ["着力抓好“一个统筹”", "着力推进法治政府建设", "着力优化法治营商环境", "着力强化行政执法", "着力加强基层社会治理",
            "着力优化公共法律服务", "着力提升全民普法实效"],
    },
    "003": {
        1: ["坚持高位推动,压紧压实法治政府建设主体责任", "严格依法履职,持续优化法治化营商环境", "坚持依法行政,持续提升依法决策法治化水平",
            "强化效能升级,深入推进公正文明执法", "坚持为民导向,健全纠纷争议法治化解决机制", "自觉接受监督,确保行政权力运行公开透明"],
        2: ["个别单位对法治政府建设重视程度不够、推进力度不够,少数干部法治思维和法治能力跟不上法治政府建设的需要",
            "法治政府建设民主参与机制不够健全,重大行政决策风险评估有待进一步提高",
            "行政执法“三项制度”落实不到位,需要进一步加大推动严格规范公正文明执法力度"],
        3: ["强化法治政府建设规划引领,加快制定《隆昌市法治政府建设实施方案(2021—2025年)》《隆昌市人民政府2022年法治政府建设重点工作任务》",
            "进一步完善重大行政决策、行政规范性文件合法性审查机制,将社会参与、专家论证和政府决策落到实处",
            "加快推动政府职能转变,推进行政执法标准化建设和镇(街道)综合行政执法改革,持续规范行政权力运行",
            "深入贯彻实施“八五”普法,全面推进“谁执法谁普法”制度,不断提高广大干部群众法治意识",
            "全面总结法治政府建设经验做法,对标法治政府建设示范指标体系,积极推进法治政府建设示范创建工作"],
    },
    "004": {
        1: ["加快政府职能转变,护航经济运行稳定向好", "强化制度决策保障,政府运转更加规范有序", "践行执法为民理念,严格规范公正文明执法",
            "夯实安全发展基础筑牢应急联合响应防线", "维护社会公平正义,社会治理能力稳步提升", "健全制约监督体系,权力运行更加公正透明",
            "全面深化法治实践,助推法治政府率先突破"],
        2: ["坚持头雁领航,统筹推进法治建设", "树牢法治思维,建强法治人才队伍", "夯实法治根基,激发法治创新活力"],
        3: ["依法行政意识能力有待提高,部分领导干部、公职人员运用法治思维和法治方式解决问题的能力还不强",
            "重大行政决策事项和行政规范性文件全链条制度体系有待强化,起草单位对合法性审查的认识标准不统一,资料提交不完整,影响合法性审核工作质效",
            "执法人员、法治工作人员队伍力量与当前法治工作需要还不够匹配"],
        4: ["加强党对法治政府建设的领导", "厚植法治营商环境沃土", "推进依法科学民主决策", "全面提升行政执法质量", "多维提升联动解纷效能"],
    },
}


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_reports_row(corpus, key):
    row = corpus[key].tables["reports"][0]
    for field, value in EXPECTED[key].items():
        assert row[field] == value, f"{key}.{field}: {row[field]!r} != {value!r}"


@pytest.mark.parametrize("key", sorted(LEVEL1))
def test_level1_headings_and_part_types(corpus, key):
    parts = [(s.heading, s.part_type) for s in corpus[key].doc.sections if s.level == 1]
    assert parts == LEVEL1[key]


@pytest.mark.parametrize("key", sorted(LEVEL2))
def test_level2_headings(corpus, key):
    doc = corpus[key].doc
    for part in (s for s in doc.sections if s.level == 1):
        children = [s.heading for s in doc.sections if s.parent_id == part.section_id]
        assert children == LEVEL2[key][part.ordinal], f"{key} part {part.ordinal}"


def test_report_ids_are_unique_and_content_derived(corpus):
    ids = [r.doc.report_id for r in corpus.values()]
    assert len(set(ids)) == len(ids)
    for r in corpus.values():
        row = r.tables["reports"][0]
        assert row["report_id"] == f"{row['division_code']}-{row['report_year']}"
