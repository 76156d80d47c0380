"""Quoted policy terms: quote matching, normalisation, and the package-wide flag."""

from __future__ import annotations

import re
import time

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from content_helpers import make_doc
from lbgr.extract.policy_terms import (
    QUOTE_PAIRS,
    extract_policy_terms,
    find_quoted,
    flag_shared_terms,
    normalize_term,
)


def quoted(text: str) -> list[str]:
    return [text[s:e] for s, e in find_quoted(text)]


@pytest.mark.parametrize("text, terms", [
    ("深化“放管服”改革,推行“三项制度”", ["放管服", "三项制度"]),
    ("开通“12348”热线“", ["12348"]),  # the last opener is never closed
    ("”放管服”改革", []),  # a closer without an opener, then an opener-less closer again
    ("“谁执法\n谁普法”", []),  # a term does not run across lines
    ("“”和“ ”", [" "]),  # an empty pair is not a term; a blank one is kept as written
    ("“甲“乙”丙”", ["乙"]),  # a second opener before the closer restarts the term
    ("「放管服」和\"一网通办\"", ["放管服", "一网通办"]),
    ("按“‘两法’衔接”要求", ["‘两法’衔接"]),
])
def test_quoted_terms_including_tricky_quotes(text, terms):
    assert quoted(text) == terms


@pytest.mark.parametrize("raw, normalized", [
    ("放管服", "放管服"), (" 放管服、", "放管服"), ("ＡＢＣ办", "abc办"), ("互联网＋监管", "互联网+监管"),
    ("1+4+N", "1+4+n"),
])
def test_terms_are_normalised_for_comparison(raw, normalized):
    assert normalize_term(raw) == normalized


@given(st.text(alphabet="“”「」\"甲乙,\n《》", max_size=60))
@settings(max_examples=400, deadline=None)
def test_every_term_is_grounded_between_matching_quotes(text):
    for s, e in find_quoted(text):
        assert s < e and "\n" not in text[s:e]
        assert QUOTE_PAIRS[text[s - 1]] == text[e]


@given(st.lists(st.text(alphabet="甲乙丙+、 ", min_size=1, max_size=6), max_size=8))
def test_balanced_terms_are_all_recovered(terms):
    text = "".join(f"推行“{t}”制度," for t in terms)
    assert quoted(text) == terms


def test_rows_carry_sections_paragraphs_and_the_citation_flag(ctx):
    doc = make_doc("一、主要工作\n印发《“两述两考”学法用法工作方案》,深化“放管服”改革。")
    rows = extract_policy_terms(doc, ctx)["policy_terms"]
    assert [(r["term"], r["is_in_citation"]) for r in rows] == [("两述两考", True), ("放管服", False)]
    assert [r["term_id"] for r in rows] == ["110101-2023-t0001", "110101-2023-t0002"]
    for r in rows:
        assert doc.body[r["char_start"]:r["char_end"]] == r["term"]
        assert r["paragraph_id"] == "110101-2023-p0002"


def test_the_package_stage_counts_the_reports_quoting_a_term():
    df = pd.DataFrame({
        "term_id": ["a-t1", "a-t2", "b-t1", "b-t2", "c-t1"],
        "report_id": ["a", "a", "b", "b", "c"],
        "term_normalized": ["放管服", "放管服", "放管服", "三集", "三项制度"],
    })
    out = flag_shared_terms({"policy_terms": df})["policy_terms"]
    assert out.n_reports_with_term.tolist() == [2, 2, 2, 1, 1]
    assert out.is_in_other_reports.tolist() == [True, True, True, False, False]


def test_the_package_stage_is_linear_in_the_number_of_terms():
    """200,000 terms in 50,000 reports: a pairwise comparison of reports would not finish."""
    n = 200_000
    df = pd.DataFrame({"term_id": [f"t{i}" for i in range(n)],
                       "report_id": [f"r{i % 50_000}" for i in range(n)],
                       "term_normalized": [f"term{i % 70_000}" for i in range(n)]})
    t0 = time.perf_counter()
    out = flag_shared_terms({"policy_terms": df})["policy_terms"]
    assert time.perf_counter() - t0 < 20
    # term k occurs at rows k, k+70000, k+140000 (when < n): reports k%50000, (k+20000)%50000, (k+40000)%50000.
    expected = [len({(k + j * 70_000) % 50_000 for j in range(3) if k + j * 70_000 < n}) for k in range(70_000)]
    assert out.n_reports_with_term.iloc[:70_000].tolist() == expected


TERM_COUNTS = {"000": 46, "001": 30, "002": 52, "003": 30, "004": 76}  # “ counted in the raw texts


@pytest.mark.parametrize("key", sorted(TERM_COUNTS))
def test_every_quoted_term_of_the_corpus_is_a_row_with_its_offsets(ctx, corpus, key):
    doc = corpus[key].doc
    rows = extract_policy_terms(doc, ctx)["policy_terms"]
    expected = {(m.start(1), m.end(1)) for m in re.finditer(r"“([^“”\n]+)”", doc.body)}
    assert {(r["char_start"], r["char_end"]) for r in rows} == expected
    assert len(rows) == TERM_COUNTS[key]
    for r in rows:
        assert doc.body[r["char_start"]:r["char_end"]] == r["term"]


def test_terms_shared_across_the_corpus(ctx, corpus):
    rows = [r for key in sorted(corpus) for r in extract_policy_terms(corpus[key].doc, ctx)["policy_terms"]]
    out = flag_shared_terms({"policy_terms": pd.DataFrame(rows)})["policy_terms"]
    shared = dict(zip(out.term_normalized, out.n_reports_with_term))
    # Read in the reports: “谁执法谁普法” is quoted by 000, 002 (three times) and 003; “放管服” by 001–004.
    assert shared["谁执法谁普法"] == 3 and shared["放管服"] == 4
    assert shared["两件大事"] == 1


@given(st.text(alphabet="“”「」\"甲,\n", max_size=40))
@settings(max_examples=400, deadline=None)
def test_terms_are_those_of_the_pattern_for_every_kind_of_quotes(text):
    # find_quoted drops the pairs whose opener is absent from the pattern; that must change nothing.
    everything = re.compile("|".join(f"{re.escape(o)}[^“「\"{re.escape(c)}\\n]*{re.escape(c)}" for o, c in QUOTE_PAIRS.items()))
    assert find_quoted(text) == [(m.start() + 1, m.end() - 1) for m in everything.finditer(text) if m.end() - m.start() > 2]
