"""Policy terms: every stretch of text a report puts in quotation marks (“放管服”, “三项制度”).

Reports quote their slogans, programme names and formulas; which of them recur across places
is a measure of diffusion and of template reuse. A term is the text between an opening and its
closing quotation mark on one line: “…”, 「…」, or a pair of straight quotes "…" (what
NFKC leaves of full-width ＂). An opener without a closer on its line is not a term; a second
opener before the closer restarts the term there (the first one was never closed), and a closer
without an opener is ignored. Quotes inside a 《…》 title count too (``is_in_citation``).

``term_normalized`` folds width and case and drops spaces and punctuation at the ends, so that
“放管服” and “ 放管服、” meet. Whether a term also occurs in other reports is a property of the
package: the per-report stage fills ``n_reports_with_term`` and ``is_in_other_reports`` as if the
report stood alone (1, false), and a cross-report stage (``SharedTerms``) recounts them: each
report is summarised by its set of terms, the sets are counted once, and each report's rows are
finished as they are written, so the cost is linear in the number of terms.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections import Counter

import pandas as pd

from lbgr.brackets import QUOTE_PAIRS
from lbgr.extract.citations import find_titles
from lbgr.parse.context import Context
from lbgr.parse.model import ReportDoc

_EDGE_PUNCT = "、，,。.；;：:！!？?·…—- "
# A term as one pattern: an opener, then anything but a line break, its closer or an opener
# (which would restart the term there), then the closer. ``finditer`` goes on after the closer,
# as the reading left to right does; an empty pair is not a term.
_OPENERS = "".join(QUOTE_PAIRS)


@functools.cache
def _quoted(openers: str) -> re.Pattern[str]:
    """The term pattern for the pairs whose opener is in ``openers`` (a term still stops at any
    opener). A report rarely uses more than one kind of quotes, and a pattern that begins with
    one character is searched for much faster than one that begins with any of three."""
    return re.compile("|".join(f"{re.escape(o)}[^{re.escape(_OPENERS + c)}\n]*{re.escape(c)}"
                               for o, c in QUOTE_PAIRS.items() if o in openers))


def find_quoted(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text inside each balanced pair of quotation marks, in order."""
    openers = "".join(o for o in _OPENERS if o in text)  # pairs whose opener is absent match nothing
    if not openers:
        return []
    return [(m.start() + 1, m.end() - 1) for m in _quoted(openers).finditer(text) if m.end() - m.start() > 2]


def normalize_term(term: str) -> str:
    out = unicodedata.normalize("NFKC", term).casefold()
    out = "".join(out.split())  # every whitespace character goes (what \s matches), without a regex
    return out.strip(_EDGE_PUNCT)


def _in_title(start: int, end: int, title_starts: list[int], latest_end: list[int]) -> bool:
    i = bisect.bisect_right(title_starts, start)
    return i > 0 and latest_end[i - 1] >= end


def extract_policy_terms(doc: ReportDoc, ctx: Context | None = None) -> dict[str, list[dict]]:
    body = doc.body
    titles = sorted((t.start, t.end) for t in find_titles(body))
    # A term lies in a title when, of the titles opening at or before it, one closes after it:
    # the latest closing among them (a running maximum) tells, instead of a scan of every title.
    title_starts = [s for s, _ in titles]
    latest_end = list(itertools.accumulate((e for _, e in titles), max))
    rows = []
    report_id, section_at = doc.report_id, doc.section_at
    paragraphs = doc.paragraphs
    # The terms come in order, so the paragraph of each is found by walking the paragraphs once
    # (as ``doc.paragraph_at``: the last paragraph starting at or before the term, if it holds it).
    j, last_paragraph = -1, len(paragraphs) - 1
    for n, (start, end) in enumerate(find_quoted(body), start=1):
        while j < last_paragraph and paragraphs[j + 1].char_start <= start:
            j += 1
        paragraph = paragraphs[j] if j >= 0 and start < paragraphs[j].char_end else None
        term = body[start:end]
        rows.append({
            "term_id": f"{report_id}-t{n:04d}",
            "report_id": report_id,
            "section_id": section_at(start, end).section_id,
            "paragraph_id": paragraph.paragraph_id if paragraph else None,
            "term": term,
            "term_normalized": normalize_term(term) or term,
            "is_in_citation": _in_title(start, end, title_starts, latest_end),
            # As if the report stood alone; the cross-report stage counts across reports.
            "n_reports_with_term": 1,
            "is_in_other_reports": False,
            "char_start": start,
            "char_end": end,
        })
    return {"policy_terms": rows}


class SharedTerms:
    """Cross-report stage: for each term, the number of reports that quote it (linear in rows)."""

    resource = "policy_terms"

    def summarise(self, rows: list[dict]) -> frozenset[str]:
        return frozenset(r["term_normalized"] for r in rows)

    def combine(self, summaries) -> Counter:
        counts: Counter = Counter()
        for terms in summaries:
            counts.update(terms)
        return counts

    def finish(self, rows: list[dict], counts: Counter) -> list[dict]:
        for r in rows:
            n = counts.get(r["term_normalized"], 1)
            r["n_reports_with_term"] = n
            r["is_in_other_reports"] = n >= 2
        return rows


SHARED_TERMS = SharedTerms()


def flag_shared_terms(tables: dict[str, pd.DataFrame], ctx: Context | None = None) -> dict[str, pd.DataFrame]:
    """``SharedTerms`` applied to a whole ``policy_terms`` table of many reports."""
    df = tables["policy_terms"].copy()
    if df.empty:
        return {"policy_terms": df}
    per_report = df.groupby("report_id", sort=False)["term_normalized"]
    counts = SHARED_TERMS.combine(frozenset(terms) for _, terms in per_report)
    rows = SHARED_TERMS.finish([{"term_normalized": t} for t in df.term_normalized], counts)
    df["n_reports_with_term"] = pd.array([r["n_reports_with_term"] for r in rows], dtype="Int64")
    df["is_in_other_reports"] = pd.array([r["is_in_other_reports"] for r in rows], dtype="boolean")
    return {"policy_terms": df}
