"""Theme coding: which part of the 2021–2025 纲要 each stretch of a report speaks to, and attention shares.

The codebook is data: ``themes`` lists the parts P02–P10 of the 纲要 plus X1 (普法 and public
legal services) and X0 (boilerplate), each with a pattern for the section headings that announce
it; ``theme_keywords`` lists each theme's keywords as *discriminative* (pointing mainly to that
theme) or *ambiguous* (shared with other themes: never decisive alone); and
``theme_crosswalk_2015`` maps the 2015–2020 纲要's task areas onto the themes.

Keyword hits. All keyword patterns are matched on a unit together; where matches overlap,
the leftmost wins and, at the same start, the longest (政府法律顾问 rather than 法律顾问), so
every character counts for at most one keyword.

Headings. The heading that announces a theme for a stretch of text is found from the inside out:
first the sections that begin inside the text's paragraph (inline 一是 items), then the
paragraph's *lead phrase*, then the enclosing sections up to the part. A lead phrase is a short
first sentence (at most ``LEAD_PHRASE_MAX`` characters, ending in 。) with which a paragraph
opens: many reports head their paragraphs with one instead of a marker (提升备案审查工作质效。).
A heading announces a theme when exactly one theme's ``heading_pattern`` matches it.

Coding units. The unit is the paragraph, cut where an enumerated item (一是 …) begins inside it
(see ``coding_units``); the assignments are kept in ``paragraph_themes``, one row per unit.

Assignment rule (one theme per unit, or none). Each theme in the shares scores its
discriminative hits in the unit; the theme the unit's heading announces (the nearest heading, as
above, that announces exactly one theme) scores ``HEADING_WEIGHT`` more, so that the heading
outweighs a single stray keyword and decides a tie (hand coding: headings are context, the text
decides when it clearly speaks of something else). A unit with no Chinese character (page debris
such as ??) has no heading theme. Then, in this order:

1. no theme scores: ``boilerplate_only`` when a boilerplate (X0) keyword is hit, else
   ``ambiguous_unresolved`` (only ambiguous keywords) or ``no_keyword``: no theme;
2. ``boilerplate_majority``: no heading announces a theme and the unit has at least as many
   boilerplate (X0) hits as the top theme's score (an opening paragraph that names a theme in
   passing): X0;
3. the top theme: ``heading_only`` when it is the heading's theme and no keyword of a theme in
   the shares is hit; ``heading_weight`` when it is the heading's theme and another theme had as
   many hits; else ``most_discriminative_hits``;
4. ``tie_heading``: among tied themes, the heading's; ``tie_first_hit``: failing that, the tied
   theme hit first in the unit.

The rule was tuned against hand coding (``tests/gold/themes/``; ``lbgr.eval.theme_agreement``).

Attention (per report and theme) publishes counts and shares, after the Manifesto Project:
discriminative keyword hits, units and characters attributed, each also as a share of the
report's total over the themes in the shares (X0 excluded), so each share column sums to 1 per
report. ``paragraph_themes`` keeps every unit's assignment so that any share can be audited.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from lbgr.parse.context import Context
from lbgr.parse.model import Paragraph, ReportDoc, Section

DISCRIMINATIVE, AMBIGUOUS = "discriminative", "ambiguous"
ASSIGNMENT_RULES = ("most_discriminative_hits", "heading_weight", "tie_heading", "tie_first_hit", "heading_only",
                    "boilerplate_majority", "boilerplate_only", "ambiguous_unresolved", "no_keyword")
#: What the heading's announcement of a theme weighs, in keyword hits (see the module docstring).
HEADING_WEIGHT = 1


@dataclass(frozen=True)
class KeywordRow:
    theme_code: str
    keyword: str
    keyword_type: str
    exception: str


class Hit(NamedTuple):
    start: int
    end: int
    pattern: int  # index into ThemeBook.patterns


class ThemeBook:
    def __init__(self, theme_rows: list[dict[str, str]], keyword_rows: list[dict[str, str]]):
        self.themes = theme_rows
        self.codes = [t["theme_code"] for t in theme_rows]
        self.in_shares = {t["theme_code"] for t in theme_rows if t["is_in_shares"].strip().lower() == "true"}
        self.heading = {t["theme_code"]: re.compile(t["heading_pattern"])
                        for t in theme_rows if t.get("heading_pattern")}
        by_pattern: dict[str, list[KeywordRow]] = {}
        for r in keyword_rows:
            pattern = r.get("pattern") or re.escape(r["keyword"])
            by_pattern.setdefault(pattern, []).append(
                KeywordRow(r["theme_code"], r["keyword"], r["keyword_type"], r.get("discrimination_exception") or ""))
        self.patterns = [(re.compile(p), rows) for p, rows in by_pattern.items()]
        # The text of a pattern that is a plain keyword (None for a regular expression).
        self.literals = [rows[0].keyword if p == re.escape(rows[0].keyword) and rows[0].keyword else None
                         for p, rows in by_pattern.items()]
        self.keywords = [row for _, rows in self.patterns for row in rows]
        self._discriminative = [next((r.theme_code for r in rows if r.keyword_type == DISCRIMINATIVE), None)
                                for _, rows in self.patterns]
        self._ambiguous = [[r.theme_code for r in rows if r.keyword_type == AMBIGUOUS] for _, rows in self.patterns]
        # How a hit of each pattern is listed in ``matched_keywords``.
        self._label = [f"{theme} {next(r.keyword for r in rows if r.theme_code == theme)}" if theme
                       else f"{'/'.join(ambiguous)} {rows[0].keyword}"
                       for theme, ambiguous, (_, rows) in zip(self._discriminative, self._ambiguous, self.patterns)]
        self._heading_theme = lru_cache(maxsize=4096)(self._heading_theme_of)

    @classmethod
    def from_context(cls, ctx: Context) -> ThemeBook:
        return _book(ctx)

    def hits(self, text: str) -> list[Hit]:
        """Keyword hits in ``text``."""
        return self.hits_in(text, [(0, len(text))])[0]

    def hits_in(self, text: str, spans: list[tuple[int, int]]) -> list[list[Hit]]:
        """For each of the ``spans`` of ``text``, the keyword hits in ``text[start:end]`` (offsets
        in ``text``), as if that stretch were the whole text: every pattern's ``finditer`` in
        the stretch, then, left to right, the longest hit at each place (the first pattern on a
        tie), skipping hits that overlap the one before."""
        out = []
        for start, end in spans:
            stretch = text[start:end]
            # A plain keyword can only match a stretch that holds it.
            found = sorted((m.start(), m.start() - m.end(), k) for k, (regex, _) in enumerate(self.patterns)
                           if self.literals[k] is None or self.literals[k] in stretch
                           for m in regex.finditer(stretch) if m.end() > m.start())
            hits, last_end = [], -1
            for at, neg_len, k in found:
                if at >= last_end:
                    last_end = at - neg_len
                    hits.append(Hit(start + at, start + last_end, k))
            out.append(hits)
        return out

    def discriminative_theme(self, hit: Hit) -> str | None:
        return self._discriminative[hit.pattern]

    def heading_theme(self, heading: str) -> str | None:
        """The theme a heading announces: the only theme whose heading pattern matches it."""
        return self._heading_theme(heading or "")

    def _heading_theme_of(self, heading: str) -> str | None:
        matched = [code for code, regex in self.heading.items() if regex.search(heading)]
        return matched[0] if len(matched) == 1 else None

    def theme_at(self, doc: ReportDoc, start: int, end: int, by_id: dict[str, Section],
                 section: Section | None = None) -> str | None:
        """The theme announced for the text at ``[start, end)``: the nearest heading, from the inside
        out, that announces exactly one theme (see the module docstring). ``section``, when given,
        is ``doc.section_at(start, end)``."""
        paragraph = doc.paragraph_at(start)
        lead = lead_phrase(paragraph.text) if paragraph else ""
        chain = self.heading_chain(doc.section_at(start, end) if section is None else section, by_id)
        return _announced(chain, lead, self.heading_theme(lead) if lead else None,
                          paragraph.char_start if paragraph else 0)

    def heading_chain(self, section: Section, by_id: dict[str, Section]) -> list[tuple[int, str | None]]:
        """(where its heading starts, the theme it announces) of ``section`` and of each section
        that encloses it, from the inside out (the top level, which has no heading, announces none)."""
        chain = []
        node: Section | None = section
        while node is not None:
            chain.append((node.heading_char_start, self.heading_theme(node.heading) if node.level > 0 else None))
            node = by_id.get(node.parent_id) if node.parent_id else None
        return chain


LEAD_PHRASE_MAX = 25


def lead_phrase(text: str) -> str:
    """The short first sentence that heads a paragraph (``""`` if it has none)."""
    cut = text.find("。")
    return text[:cut] if 0 < cut <= LEAD_PHRASE_MAX and cut < len(text) - 1 else ""


@lru_cache(maxsize=8)
def _book(ctx: Context) -> ThemeBook:
    return ThemeBook(ctx.codebook("themes"), ctx.codebook("theme_keywords"))


@dataclass(frozen=True)
class Assignment:
    theme_code: str | None
    rule: str


def assign(book: ThemeBook, hits: list[Hit], heading_theme: str | None) -> Assignment:
    """The assignment rule of the module docstring, for the hits of one coding unit."""
    tally = _Tally(book)
    tally.add(hits)
    return tally.decide(heading_theme)


class _Tally:
    """What the assignment rule and a unit's row need to know of its hits, in one pass over them:
    the hits per discriminative theme (in the order of each theme's first hit) and where each
    theme is first hit, the themes of the ambiguous keywords hit, and the labels of the hits."""

    __slots__ = ("book", "counts", "first_hit", "ambiguous", "n_ambiguous", "labels")

    def __init__(self, book: ThemeBook):
        self.book = book

    def add(self, hits: list[Hit], ambiguous_by_theme: dict[str, int] | None = None) -> None:
        """Tally ``hits``; ``ambiguous_by_theme``, when given, also counts each hit without a
        discriminative theme once for every theme it is an ambiguous keyword of."""
        book = self.book
        discriminative, ambiguous_of, label_of = book._discriminative, book._ambiguous, book._label
        counts: dict[str, int] = {}
        first_hit: dict[str, int] = {}
        ambiguous: set[str] = set()
        labels: list[str] = []
        n_ambiguous = 0
        for start, _, k in hits:
            theme = discriminative[k]
            if theme is not None:
                if theme in counts:
                    counts[theme] += 1
                else:
                    counts[theme], first_hit[theme] = 1, start
            if not theme:
                n_ambiguous += 1
                if ambiguous_by_theme is not None:
                    for other in ambiguous_of[k]:
                        ambiguous_by_theme[other] = ambiguous_by_theme.get(other, 0) + 1
            if ambiguous_of[k]:
                ambiguous.update(ambiguous_of[k])
            labels.append(label_of[k])
        self.counts, self.first_hit, self.ambiguous = counts, first_hit, ambiguous
        self.n_ambiguous, self.labels = n_ambiguous, labels

    def decide(self, heading_theme: str | None) -> Assignment:
        in_shares = self.book.in_shares
        heading = heading_theme if heading_theme in in_shares else None
        scores = {t: n for t, n in self.counts.items() if t in in_shares}
        if heading:
            scores[heading] = scores.get(heading, 0) + HEADING_WEIGHT
        boilerplate = {t: n for t, n in self.counts.items() if t not in in_shares}
        if not scores:
            if boilerplate:  # only themes outside the shares (boilerplate): the first one hit
                return _assignment(next(iter(boilerplate)), "boilerplate_only")
            return _assignment(None, "ambiguous_unresolved" if self.ambiguous else "no_keyword")
        top = max(scores.values())
        if heading is None and sum(boilerplate.values()) >= top:
            return _assignment(next(iter(boilerplate)), "boilerplate_majority")
        tied = [t for t, n in scores.items() if n == top]
        if len(tied) == 1:
            theme = tied[0]
            if theme != heading:
                return _assignment(theme, "most_discriminative_hits")
            if not self.counts.get(theme) and len(scores) == 1:
                return _assignment(theme, "heading_only")
            without = [t for t, n in scores.items() if t != theme and n >= top - HEADING_WEIGHT]
            return _assignment(theme, "heading_weight" if without else "most_discriminative_hits")
        if heading in tied:
            return _assignment(heading, "tie_heading")
        return _assignment(min(tied, key=self.first_hit.__getitem__), "tie_first_hit")


# Assignments are immutable and few distinct ones exist: each is built once.
_assignment = lru_cache(maxsize=1024)(Assignment)


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def coding_units(doc: ReportDoc) -> list[tuple[str, str, int, int]]:
    """(unit_id, paragraph_id, char_start, char_end) of every coding unit, in document order.

    A unit is a paragraph, cut where an enumerated item (一是, 二是 …) begins inside it: reports
    often run a whole section's items into one line, and coding such a line as one unit would
    give all its items to one theme. Joined, a paragraph's units are the paragraph.
    """
    return [(unit_id, p.paragraph_id, start, end) for unit_id, p, start, end in _units(doc)]


def _units(doc: ReportDoc) -> list[tuple[str, Paragraph, int, int]]:
    """``coding_units`` with each unit's paragraph itself."""
    inline_starts = sorted(s.char_start for s in doc.sections if s.level > 0)
    units = []
    for p in doc.paragraphs:
        cuts = inline_starts[bisect.bisect_right(inline_starts, p.char_start):bisect.bisect_left(inline_starts, p.char_end)]
        if not cuts:
            units.append((f"{p.paragraph_id}-u1", p, p.char_start, p.char_end))
            continue
        bounds = [p.char_start, *cuts, p.char_end]
        for k in range(len(bounds) - 1):
            units.append((f"{p.paragraph_id}-u{k + 1}", p, bounds[k], bounds[k + 1]))
    return units


def _announced(chain: Sequence[tuple[int, str | None]], lead: str, lead_theme: str | None,
               paragraph_start: int) -> str | None:
    """The first theme announced from the inside out: the headings of ``chain`` (see
    ``ThemeBook.heading_chain``), with the paragraph's lead phrase read just before the first
    heading that begins before the paragraph."""
    for heading_start, theme in chain:
        if lead and heading_start < paragraph_start:
            if lead_theme:
                return lead_theme
            lead = ""
        if theme:
            return theme
    return lead_theme if lead else None


_HAN = re.compile(r"[\u4e00-\u9fff]")


def code_themes(doc: ReportDoc, ctx: Context) -> dict[str, list[dict]]:
    book = ThemeBook.from_context(ctx)
    by_id = doc.sections_by_id()
    tally = _Tally(book)
    report_id = doc.report_id
    unit_rows = []
    # Plain dicts rather than Counters: they are updated for every hit and every unit.
    hits_by_theme: dict[str, int] = {}
    ambiguous_by_theme: dict[str, int] = {}
    units_by_theme: dict[str, int] = {}
    chars_by_theme: dict[str, int] = {}
    units = _units(doc)
    unit_hits = book.hits_in(doc.body, [(start, end) for _, _, start, end in units])
    for (unit_id, paragraph, start, end), hits in zip(units, unit_hits):
        section = doc.section_at(start, end)
        heading_theme = book.theme_at(doc, start, end, by_id, section)
        if not _HAN.search(doc.body, start, end):  # page debris (??, a lone number): no heading's theme
            heading_theme = None
        tally.add(hits, ambiguous_by_theme)
        result = tally.decide(heading_theme)
        per_theme = tally.counts
        for theme, n in per_theme.items():
            hits_by_theme[theme] = hits_by_theme.get(theme, 0) + n
        n_ambiguous = tally.n_ambiguous
        theme_hits = (" ".join(f"{t}:{n}" for t, n in sorted(per_theme.items(), key=lambda kv: (-kv[1], kv[0])))
                      if per_theme else None)
        matched = "; ".join(tally.labels)
        if result.theme_code:
            units_by_theme[result.theme_code] = units_by_theme.get(result.theme_code, 0) + 1
            chars_by_theme[result.theme_code] = chars_by_theme.get(result.theme_code, 0) + end - start
        unit_rows.append({
            "unit_id": unit_id,
            "paragraph_id": paragraph.paragraph_id,
            "report_id": report_id,
            "section_id": section.section_id,
            "theme_code": result.theme_code,
            "assignment_rule": result.rule,
            "heading_theme_code": heading_theme,
            "n_theme_hits": len(hits) - n_ambiguous,
            "n_ambiguous_hits": n_ambiguous,
            "theme_hits": theme_hits,
            "matched_keywords": matched or None,
            "char_start": start,
            "char_end": end,
        })

    def total(counts: dict[str, int]) -> int:
        return sum(n for t, n in counts.items() if t in book.in_shares)

    totals = (total(hits_by_theme), total(units_by_theme), total(chars_by_theme))
    attention_rows = []
    for code in book.codes:
        in_shares = code in book.in_shares
        n_hits, n_units, n_chars = hits_by_theme.get(code, 0), units_by_theme.get(code, 0), chars_by_theme.get(code, 0)
        attention_rows.append({
            "report_id": doc.report_id,
            "theme_code": code,
            "is_in_shares": in_shares,
            "n_keyword_hits": n_hits,
            "n_ambiguous_keyword_hits": ambiguous_by_theme.get(code, 0),
            "n_units_attributed": n_units,
            "n_chars_attributed": n_chars,
            "keyword_hit_share": _share(n_hits, totals[0]) if in_shares else None,
            "unit_share": _share(n_units, totals[1]) if in_shares else None,
            "char_share": _share(n_chars, totals[2]) if in_shares else None,
        })
    return {"paragraph_themes": unit_rows, "theme_attention": attention_rows}


# --- validating the codebook on a corpus -------------------------------------------------------

DISCRIMINATION_THRESHOLD = 0.7  # DOMAIN.md §2.1: keep a keyword if ≥ ~70% of its hits sit under its part


def keyword_discrimination(docs: list[ReportDoc], book: ThemeBook) -> list[dict]:
    """Per keyword row: hits, hits under a heading that announces a theme ("placed"), and the share
    of placed hits whose heading announces the keyword's own theme."""
    stats: dict[tuple[str, str], Counter[str]] = {(r.theme_code, r.keyword): Counter() for r in book.keywords}
    for doc in docs:
        by_id = doc.sections_by_id()
        for hit in book.hits(doc.body):
            heading_theme = book.theme_at(doc, hit.start, hit.end, by_id)
            for row in book.patterns[hit.pattern][1]:
                c = stats[(row.theme_code, row.keyword)]
                c["n_hits"] += 1
                if heading_theme:
                    c["n_placed"] += 1
                    c["n_agree"] += heading_theme == row.theme_code
    out = []
    for row in book.keywords:
        c = stats[(row.theme_code, row.keyword)]
        share = c["n_agree"] / c["n_placed"] if c["n_placed"] else None
        if row.theme_code not in book.heading or share is None:
            status = "untested"  # no heading can announce the theme (X0), or no hit sits under one
        else:
            status = "pass" if share >= DISCRIMINATION_THRESHOLD else "fail"
        out.append({
            "theme_code": row.theme_code, "keyword": row.keyword, "keyword_type": row.keyword_type,
            "n_hits": c["n_hits"], "n_placed": c["n_placed"], "n_agree": c["n_agree"], "agree_share": share,
            "status": status, "discrimination_exception": row.exception,
        })
    return out
