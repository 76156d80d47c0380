import pytest

from lbgr.ingest.furniture import FurnitureRules, parse_labelled, split_furniture
from lbgr.ingest.normalize import normalize_lines


@pytest.fixture(scope="module")
def rules(ctx):
    return FurnitureRules.from_rows(ctx.codebook("furniture"))


PROSE = "2023年,我县坚持以习近平法治思想为指导,扎实推进法治政府建设各项工作,取得了较好成效。现将有关情况报告如下:"


@pytest.mark.parametrize("line, date, publisher", [
    ("发布时间:2024-02-22 15:24信息来源:某某市司法局", "2024-02-22", "某某市司法局"),
    ("来源: 某某区司法局时间: 2021-03-08", "2021-03-08", "某某区司法局"),
    ("发布日期：2022年2月17日　　来源：某县人民政府办公室　【字体：大 中 小】", "2022-02-17", "某县人民政府办公室"),
    ("来源: 司法局 发布时间:2024-02-22 16:49 累计次数: 字体:[ ]", "2024-02-22", "司法局"),
])
def test_header_metadata_label_variants(rules, line, date, publisher):
    lines = normalize_lines(f"某某县2023年度法治政府建设情况报告\n{line}\n{PROSE}")
    body, furn = split_furniture(lines, rules)
    assert furn.meta["publish_date"] == date
    assert furn.meta["publisher"] == publisher
    assert line not in body and len(body) == 2


def test_banner_breadcrumb_column_and_footer_are_removed_but_title_kept(rules):
    text = "\n".join([
        "某区政府网站欢迎您! 简体繁体无障碍 网站地图", "您当前位置:首页>政务公开>详细资料", "政府信息公开",
        "某区2023年度法治政府建设情况报告", PROSE, "一、主要工作", "某区人民政府", "2024年3月1日",
        "相关附件:", "供稿: 某区司法局 审核人:张三",
    ])
    body, furn = split_furniture(normalize_lines(text), rules)
    assert body == ["某区2023年度法治政府建设情况报告", PROSE, "一、主要工作", "某区人民政府", "2024年3月1日"]
    assert len(furn.header) == 3 and len(furn.footer) == 2
    assert furn.meta["publisher"] == "某区司法局"
    assert "publish_date" not in furn.meta


def test_furniture_words_inside_the_body_are_never_removed(rules):
    middle = "来源:群众来信。时间:全年。"
    lines = normalize_lines(f"{PROSE}\n{middle}\n{PROSE}")
    body, furn = split_furniture(lines, rules)
    assert body == lines and furn.header == [] and furn.footer == []


def test_bare_time_label_is_outranked_by_publication_label(rules):
    pairs = parse_labelled("时间:2020-01-01 发布时间:2021-03-08", rules)
    assert pairs == [("时间", "2020-01-01"), ("发布时间", "2021-03-08")]
    _, furn = split_furniture(["时间:2020-01-01 发布时间:2021-03-08", PROSE], rules)
    assert furn.meta["publish_date"] == "2021-03-08"


def test_a_prose_line_is_not_metadata(rules):
    assert parse_labelled("全年共办理案件30件,来源:群众", rules) is None
