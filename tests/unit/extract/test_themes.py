"""Theme coding: the codebook as data, the assignment rule, attention sums, keyword discrimination."""

from __future__ import annotations

import csv
import re
from collections import Counter

import pytest

from content_helpers import Part, make_doc
from lbgr.extract.themes import (
    DISCRIMINATION_THRESHOLD,
    ThemeBook,
    assign,
    code_themes,
    coding_units,
    keyword_discrimination,
    lead_phrase,
)
from lbgr.parse.context import Context
from testroot import ROOT

CODEBOOKS = ROOT / "data" / "codebooks"


def read(name: str) -> list[dict[str, str]]:
    with open(CODEBOOKS / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# --- the codebook as data ---------------------------------------------------------------------

def test_the_themes_are_the_nine_outline_parts_and_two_buckets():
    themes = {t["theme_code"]: t for t in read("themes")}
    assert set(themes) == {f"P{n:02d}" for n in range(2, 11)} | {"X0", "X1"}
    assert [t["outline_part"] for t in read("themes") if t["theme_code"].startswith("P")] == list("二三四五六七八九十")
    assert themes["X0"]["is_in_shares"] == "false" and not themes["X0"]["heading_pattern"]
    assert all(t["is_in_shares"] == "true" for code, t in themes.items() if code != "X0")
    assert all(t["theme_name_en"] and t["theme_name_zh"] for t in themes.values())


def test_keywords_point_to_known_themes_and_compile():
    codes = {t["theme_code"] for t in read("themes")}
    for row in read("theme_keywords"):
        assert row["theme_code"] in codes, row
        assert row["keyword_type"] in {"discriminative", "ambiguous"}
        pattern = re.compile(row["pattern"] or re.escape(row["keyword"]))
        assert pattern.search(row["keyword"]) or row["pattern"], row  # a literal keyword finds itself


def test_a_keyword_is_discriminative_for_one_theme_at_most_and_then_never_ambiguous():
    by_pattern: dict[str, list[dict]] = {}
    for row in read("theme_keywords"):
        by_pattern.setdefault(row["pattern"] or re.escape(row["keyword"]), []).append(row)
    for pattern, rows in by_pattern.items():
        kinds = [r["keyword_type"] for r in rows]
        assert kinds.count("discriminative") <= 1, pattern
        assert kinds == ["discriminative"] or "discriminative" not in kinds, pattern
        assert len({r["theme_code"] for r in rows}) == len(rows), pattern


def test_the_2015_crosswalk_maps_every_old_task_area_and_has_no_emergency_or_digital_part():
    codes = {t["theme_code"] for t in read("themes")}
    rows = read("theme_crosswalk_2015")
    assert len(rows) == 8 and {r["theme_code"] for r in rows} <= codes
    assert {"P06", "P09"}.isdisjoint(r["theme_code"] for r in rows)
    assert {r["theme_code"] for r in rows} == {"P02", "P03", "P04", "P05", "P07", "P08", "P10"}


# --- the rule, on a codebook of its own -------------------------------------------------------

TOY_THEMES = [
    {"theme_code": "A", "theme_name_en": "a", "theme_name_zh": "甲", "outline_part": "", "outline_part_title": "",
     "is_in_shares": "true", "heading_pattern": "甲", "notes": ""},
    {"theme_code": "B", "theme_name_en": "b", "theme_name_zh": "乙", "outline_part": "", "outline_part_title": "",
     "is_in_shares": "true", "heading_pattern": "乙", "notes": ""},
    {"theme_code": "Z", "theme_name_en": "z", "theme_name_zh": "套话", "outline_part": "", "outline_part_title": "",
     "is_in_shares": "false", "heading_pattern": "", "notes": ""},
]
TOY_KEYWORDS = [
    ("A", "苹果", "discriminative", ""), ("A", "政府顾问", "discriminative", ""), ("B", "香蕉", "discriminative", ""),
    ("A", "水果", "ambiguous", ""), ("B", "水果", "ambiguous", ""), ("B", "顾问", "ambiguous", ""),
    ("Z", "口号", "discriminative", ""),
]


@pytest.fixture()
def toy_ctx(tmp_path) -> Context:
    with open(tmp_path / "themes.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(TOY_THEMES[0]))
        w.writeheader()
        w.writerows(TOY_THEMES)
    with open(tmp_path / "theme_keywords.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["theme_code", "keyword", "keyword_type", "pattern", "discrimination_exception", "notes"])
        w.writerows([(t, k, kind, p, "", "") for t, k, kind, p in TOY_KEYWORDS])
    return Context(codebooks=tmp_path)


@pytest.fixture()
def toy(toy_ctx) -> ThemeBook:
    return ThemeBook.from_context(toy_ctx)


def test_overlapping_keywords_count_once_leftmost_and_longest(toy):
    hits = toy.hits("政府顾问和顾问")
    assert [(h.start, h.end) for h in hits] == [(0, 4), (5, 7)]
    assert [toy.discriminative_theme(h) for h in hits] == ["A", None]


@pytest.mark.parametrize("text, heading, theme, rule", [
    ("苹果苹果香蕉", None, "A", "most_discriminative_hits"),
    ("苹果苹果苹果香蕉", "B", "A", "most_discriminative_hits"),  # the text outweighs the heading
    ("苹果香蕉", "B", "B", "heading_weight"),  # the heading outweighs one stray hit
    ("苹果", "B", "B", "tie_heading"),  # a single keyword against the heading: the heading
    ("苹果苹果香蕉", "B", "B", "tie_heading"),
    ("苹果香蕉", None, "A", "tie_first_hit"),
    ("香蕉苹果", "Z", "B", "tie_first_hit"),  # a heading of a theme outside the shares has no weight
    ("水果", "A", "A", "heading_only"),
    ("没有关键词", "A", "A", "heading_only"),
    ("口号水果", "B", "B", "heading_only"),
    ("水果", None, None, "ambiguous_unresolved"),
    ("口号口号口号苹果", None, "Z", "boilerplate_majority"),
    ("口号苹果", None, "Z", "boilerplate_majority"),
    ("口号苹果苹果", None, "A", "most_discriminative_hits"),
    ("口号口号口号苹果", "A", "A", "most_discriminative_hits"),  # under a theme's heading, boilerplate is framing
    ("口号", None, "Z", "boilerplate_only"),
    ("口号水果", None, "Z", "boilerplate_only"),
    ("没有关键词", None, None, "no_keyword"),
])
def test_the_assignment_rule(toy, text, heading, theme, rule):
    result = assign(toy, toy.hits(text), heading)
    assert (result.theme_code, result.rule) == (theme, rule)


def test_a_heading_matching_two_themes_announces_none(toy):
    assert toy.heading_theme("甲的工作") == "A"
    assert toy.heading_theme("甲乙并举") is None
    assert toy.heading_theme("其他") is None


@pytest.mark.parametrize("text, lead", [
    ("提升备案审查工作质效。围绕规范性文件……", "提升备案审查工作质效"),
    ("一段很长的第一句话,它远远超过了二十五个字符的上限,所以不算小标题。后文", ""),
    ("只有一句。", ""),
    ("没有句号", ""),
])
def test_a_short_first_sentence_is_the_paragraphs_lead_phrase(text, lead):
    assert lead_phrase(text) == lead


def _toy_doc():
    text = ("一、主要工作\n"
            "(一)甲类工作。一是苹果项目,苹果丰收。二是香蕉项目,香蕉丰收,香蕉满仓,苹果一次。\n"
            "??\n"
            "乙方面的小结。苹果苹果。\n"
            "二、其他\n"
            "口号口号。")
    parts = [Part("一、主要工作", "二、其他", ordinal=1, marker="一、", part_type="achievements", elements="E1"),
             Part("(一)甲类工作", "乙方面", level=2, ordinal=1, marker="(一)", heading="甲类工作"),
             Part("一是苹果项目", "二是", level=3, ordinal=1, marker="一是", heading="苹果项目"),
             Part("二是香蕉项目", "\n", level=3, ordinal=2, marker="二是", heading="香蕉项目"),
             Part("二、其他", None, ordinal=2, marker="二、", part_type="other")]
    return make_doc(text, parts)


def test_units_cut_paragraphs_at_inline_items_and_tile_them():
    doc = _toy_doc()
    units = coding_units(doc)
    texts = [doc.body[s:e] for _, _, s, e in units]
    assert texts[1:4] == ["(一)甲类工作。", "一是苹果项目,苹果丰收。", "二是香蕉项目,香蕉丰收,香蕉满仓,苹果一次。"]
    for p in doc.paragraphs:
        mine = [(s, e) for _, pid, s, e in units if pid == p.paragraph_id]
        assert mine[0][0] == p.char_start and mine[-1][1] == p.char_end
        assert all(a[1] == b[0] for a, b in zip(mine, mine[1:]))


def test_coding_a_document_and_its_attention_sums(toy_ctx):
    doc = _toy_doc()
    out = code_themes(doc, toy_ctx)
    units = {doc.body[r["char_start"]:r["char_end"]]: r for r in out["paragraph_themes"]}
    assert units["一是苹果项目,苹果丰收。"]["theme_code"] == "A"
    # 香蕉 three times against 苹果 once and the enclosing heading (甲类工作, A) worth one hit: B.
    assert units["二是香蕉项目,香蕉丰收,香蕉满仓,苹果一次。"]["theme_code"] == "B"
    # No keyword: the heading's theme.
    assert (units["(一)甲类工作。"]["theme_code"], units["(一)甲类工作。"]["assignment_rule"]) == ("A", "heading_only")
    # Page debris under the same heading takes no theme.
    assert units["??"]["theme_code"] is None and units["??"]["heading_theme_code"] is None
    # The lead phrase 乙方面的小结 announces B, but 苹果苹果 decides: A.
    assert units["乙方面的小结。苹果苹果。"]["theme_code"] == "A"
    assert units["口号口号。"]["theme_code"] == "Z"
    att = {r["theme_code"]: r for r in out["theme_attention"]}
    assert (att["A"]["n_units_attributed"], att["B"]["n_units_attributed"], att["Z"]["n_units_attributed"]) == (3, 1, 1)
    assert att["A"]["unit_share"] == pytest.approx(3 / 4) and att["B"]["unit_share"] == pytest.approx(1 / 4)
    assert att["Z"]["unit_share"] is None and att["Z"]["n_keyword_hits"] == 2
    assert att["A"]["n_keyword_hits"] == 5 and att["B"]["n_keyword_hits"] == 3
    assert att["A"]["keyword_hit_share"] == pytest.approx(5 / 8)
    assert att["A"]["n_chars_attributed"] == sum(len(t) for t in ("(一)甲类工作。", "一是苹果项目,苹果丰收。", "乙方面的小结。苹果苹果。"))


# --- the corpus -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def coded(ctx, corpus):
    return {key: code_themes(result.doc, ctx) for key, result in corpus.items()}


def test_attention_sums_are_consistent_in_every_report(corpus, coded):
    for key, out in coded.items():
        units, att = out["paragraph_themes"], out["theme_attention"]
        doc = corpus[key].doc
        assert {r["theme_code"] for r in att} == {t["theme_code"] for t in read("themes")}
        shared = [r for r in att if r["is_in_shares"]]
        for col in ("keyword_hit_share", "unit_share", "char_share"):
            assert sum(r[col] for r in shared) == pytest.approx(1), (key, col)
        coded_units = [u for u in units if u["theme_code"]]
        assert sum(r["n_units_attributed"] for r in att) == len(coded_units)
        assert sum(r["n_chars_attributed"] for r in att) == sum(u["char_end"] - u["char_start"] for u in coded_units)
        assert sum(r["n_keyword_hits"] for r in att) == sum(u["n_theme_hits"] for u in units)
        # Units tile the body's paragraphs: their lengths add up to the body without line breaks.
        assert sum(u["char_end"] - u["char_start"] for u in units) == len(doc.body) - doc.body.count("\n")


# Read in the reports: the theme each of these enumerated items is about.
HAND_CODED = [
    ("000", "四是持续提升突发事件应对能力", "P06"),
    ("000", "四是加强行政复议应诉工作", "P07"),
    ("000", "二是深入推进普法依法治理", "X1"),
    ("000", "一是深化行政审批制度改革", "P02"),
    ("001", "二是深化综合行政执法体制改革", "P05"),
    ("003", "二是强化审计监督", "P08"),
    ("003", "一是规范决策程序", "P04"),
    ("004", "深化行政复议体制改革。", "P07"),
    ("004", "数字赋能提质效。", "P09"),
    ("004", "完善科学规范的应急管理预案体系。", "P06"),
    # The audit's cases (shared/reviews/audit-002-004.md): 行政执法 alone counts for P05; oversight
    # of enforcement under an oversight heading is P08; one 法治宣传 under a P10 heading is not X1.
    ("002", "三是规范文明执法水平有待提升", "P05"),
    ("004", "执法监督有力度", "P08"),
    ("004", "三是夯实法治根基", "P10"),
]


@pytest.mark.parametrize("key, start, theme", HAND_CODED)
def test_units_read_by_hand_get_their_theme(corpus, coded, key, start, theme):
    body = corpus[key].doc.body
    unit = next(u for u in coded[key]["paragraph_themes"] if body[u["char_start"]:].startswith(start))
    assert unit["theme_code"] == theme, unit["matched_keywords"]


def test_every_discriminative_keyword_is_discriminative_on_the_corpus_or_an_excused_exception(ctx, corpus, capsys):
    rows = keyword_discrimination([r.doc for r in corpus.values()], ThemeBook.from_context(ctx))
    failing = [r for r in rows if r["keyword_type"] == "discriminative" and r["status"] == "fail"]
    with capsys.disabled():
        print(f"\nKeywords below {DISCRIMINATION_THRESHOLD:.0%} of placed hits under their own theme's headings:")
        for r in failing:
            note = r["discrimination_exception"] or "NO EXCEPTION LISTED"
            print(f"  {r['theme_code']} {r['keyword']}: {r['n_agree']}/{r['n_placed']} — {note}")
        untested = Counter(r["theme_code"] for r in rows if r["status"] == "untested")
        print(f"  (untested: no hit under a theme-announcing heading, or theme X0 without headings: {dict(untested)})")
    assert [f"{r['theme_code']} {r['keyword']}" for r in failing if not r["discrimination_exception"]] == []
    # An exception is for a keyword that fails; one that passes again should lose its note.
    stale = [f"{r['theme_code']} {r['keyword']}" for r in rows if r["discrimination_exception"] and r["status"] != "fail"]
    assert stale == []
    passing = [r for r in rows if r["keyword_type"] == "discriminative" and r["status"] == "pass"]
    assert len(passing) > 3 * len(failing)


# --- keyword hits: leftmost, longest, first pattern, within each stretch ----------------------

_REAL_BOOK = ThemeBook(read("themes"), read("theme_keywords"))


def test_hits_in_a_stretch_are_its_own_hits_offset():
    text = "依法行政。复议体制改革，行政复议。"
    whole = _REAL_BOOK.hits(text[5:])
    assert _REAL_BOOK.hits_in(text, [(5, len(text))])[0] == [(a + 5, b + 5, k) for a, b, k in whole]
