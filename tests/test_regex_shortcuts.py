"""The shortcuts read off a pattern's structure must never lose a match (``lbgr.extract.regex_shortcuts``):
checked on the codebooks' own patterns and on patterns of the shapes the shortcuts rewrite."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbgr.extract.regex_shortcuts import first_chars, match_spans, min_width, pattern_prefixes
from lbgr.parse.context import Context

SHAPES = [r"\d+", r"\d+(?:[.,]\d+)*", r"(?<=第)\d+", r"(?<=[(（])\d{1,2}(?=[)）])", r"[一二三]是", r"共?\d+件",
          r"(?:行政)?复议", r"\d{4}年", r"第[一二三四五六七八九十]+条", r"a|ab|abc", r"(?:x)*y", r"^\d+、",
          r"(?=\d)\d\d?", r"[^，]+，", r"法治|法制", r"\b\d+\b"]


def _codebook_patterns() -> list[re.Pattern]:
    ctx = Context()
    out = [re.compile(r["pattern"], re.M) for r in ctx.codebook("compliance_rules")]
    out += [re.compile(r["pattern"]) for r in ctx.codebook("indicators") if r.get("pattern")]
    return out


PATTERNS = [re.compile(p, re.M) for p in SHAPES] + [re.compile("a b | x y", re.X)] + _codebook_patterns()
_TEXT = st.lists(st.sampled_from(list("0123456789一二三是第条件年共行政复议法治制(（)）,.，、。\nabxy ") +
                                 ["2023年", "第12条", "行政复议", "（3）", "14,415", "三是", "abc", "xxy"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_match_spans_are_the_spans_finditer_gives(text):
    for p in PATTERNS:
        assert match_spans(p, text) == [m.span() for m in p.finditer(text)], p.pattern


@settings(max_examples=300, deadline=None)
@given(text=_TEXT)
def test_every_match_begins_where_the_shortcuts_say_it_can(text):
    for p in PATTERNS:
        chars, prefixes, width = first_chars(p), pattern_prefixes(p), min_width(p)
        for m in p.finditer(text):
            if m.end() == m.start():
                continue
            assert m.end() - m.start() >= width, p.pattern
            if chars is not None:
                assert text[m.start()] in chars, p.pattern
            if prefixes is not None:
                assert any(text.startswith(q, m.start()) for q in prefixes), p.pattern


@pytest.mark.parametrize(("pattern", "chars"), [(r"共?\d件", None), (r"[一二三]是", set("一二三")),
                                                (r"(?:行政)?复议", set("行复")), (r"x*", None)])
def test_first_chars_of_simple_patterns(pattern, chars):
    got = first_chars(re.compile(pattern))
    assert (None if got is None else set(got)) == chars


def test_pattern_prefixes_read_the_pattern_with_its_flags():
    # In verbose mode the space is not part of the pattern: the matches start with "ab".
    assert pattern_prefixes(re.compile("a b", re.X)) == ["ab"]
    assert pattern_prefixes(re.compile("a b")) == ["a b"]
