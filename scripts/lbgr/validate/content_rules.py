"""Content rules for the citations, policy-term, theme and compliance tables.

Table Schema checks types, enums, keys and patterns; these rules check what it cannot: that every
span is grounded in its body between the right brackets or quotes, that a nested title lies inside
its parent, that shares add up, that attributed counts equal the coded units, and that the
compliance row agrees with the sections and reports tables. Each message names the rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pandas as pd

from lbgr.brackets import CLOSER_OF, QUOTE_PAIRS, closes

SHARE_COLUMNS = ("keyword_hit_share", "unit_share", "char_share")


def _listed(ids: list, why: str, limit: int = 10) -> list[str]:
    if not ids:
        return []
    more = f" (and {len(ids) - limit} more)" if len(ids) > limit else ""
    return [f"{why}: {', '.join(map(str, ids[:limit]))}{more}"]


def _bracketed(df: pd.DataFrame, bodies: dict[str, str], id_col: str, text_col: str, pairs: dict[str, str],
               closes=None) -> list:
    """IDs of rows whose text is not the body between an opener of ``pairs`` and a closer of it
    (its own, or one that ``closes(opener, closer)`` accepts)."""
    closes = closes or (lambda opener, closer: pairs[opener] == closer)
    bad = []
    for rid, key, s, e, text in zip(df.report_id.tolist(), df[id_col].tolist(), df.char_start.tolist(), df.char_end.tolist(), df[text_col].tolist()):
        body = bodies.get(rid)
        if body is None:
            continue
        s, e = int(s), int(e)
        opener = body[s - 1] if s >= 1 else ""
        closer = body[e] if e < len(body) else ""
        if body[s:e] != text or opener not in pairs or not closes(opener, closer):
            bad.append(key)
    return bad


def check_citations(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    df = tables.get("citations")
    if df is None or df.empty:
        return []
    errors = _listed(_bracketed(df, bodies, "citation_id", "cited_title", CLOSER_OF, closes),
                     "citations: cited_title is not the body text between matching title brackets at [char_start, char_end)")
    by_id = df.set_index("citation_id")
    nested = df.dropna(subset=["parent_citation_id"])
    bad = []
    for cid, parent, rid, s, e in zip(nested.citation_id, nested.parent_citation_id, nested.report_id,
                                      nested.char_start, nested.char_end):
        if parent not in by_id.index:
            bad.append(cid)
            continue
        p = by_id.loc[parent]
        if p.report_id != rid or not (p.char_start < s and e < p.char_end):
            bad.append(cid)
    errors += _listed(bad, "citations: nested title not inside its parent_citation_id")
    return errors


def check_policy_terms(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    df = tables.get("policy_terms")
    if df is None or df.empty:
        return []
    errors = _listed(_bracketed(df, bodies, "term_id", "term", QUOTE_PAIRS),
                     "policy_terms: term is not the body text between matching quotation marks at [char_start, char_end)")
    flag = df.is_in_other_reports.astype("boolean")
    errors += _listed(df.loc[(flag != (df.n_reports_with_term >= 2)).fillna(True), "term_id"].tolist(),
                      "policy_terms: is_in_other_reports disagrees with n_reports_with_term >= 2")
    return errors


def check_shared_terms(terms: pd.DataFrame) -> list[str]:
    """``n_reports_with_term`` is the number of reports quoting the normalised term, over the
    whole package (``terms``: its report_id, term_normalized and n_reports_with_term columns)."""
    if terms.empty:
        return []
    pairs = terms[["report_id", "term_normalized"]].dropna().drop_duplicates()
    quoting = Counter(pairs.term_normalized.value_counts().to_dict())
    claimed: dict[str, set[int]] = defaultdict(set)
    claims = terms[["term_normalized", "n_reports_with_term"]].fillna({"n_reports_with_term": -1}).drop_duplicates()
    for term, n in claims.itertuples(index=False, name=None):
        claimed[term].add(int(n))
    bad = [f"{term} (rows say {sorted(claims)}; {quoting[term]} reports quote it)"
           for term, claims in claimed.items() if claims != {quoting[term]}]
    return _listed(bad, "policy_terms: n_reports_with_term differs from the reports quoting the normalised term")


def check_themes(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    units, attention = tables.get("paragraph_themes"), tables.get("theme_attention")
    errors: list[str] = []
    if units is not None and not units.empty and "paragraphs" in tables:
        paragraphs = tables["paragraphs"].set_index("paragraph_id")
        bounds = dict(zip(paragraphs.index, zip(paragraphs.char_start.tolist(), paragraphs.char_end.tolist())))
        spans: dict[str, list[tuple[int, int]]] = {}
        for pid, start, end in zip(units.paragraph_id.tolist(), units.char_start.tolist(), units.char_end.tolist()):
            spans.setdefault(pid, []).append((int(start), int(end)))
        bad = []
        for pid, pieces in spans.items():
            if pid not in bounds:
                bad.append(pid)
                continue
            pieces.sort()
            starts, ends = [a for a, _ in pieces], [b for _, b in pieces]
            p_start, p_end = bounds[pid]
            if starts[0] != p_start or ends[-1] != p_end or starts[1:] != ends[:-1]:
                bad.append(pid)
        missing = sorted(set(paragraphs.index) - set(units.paragraph_id))
        errors += _listed(bad, "paragraph_themes: the units of a paragraph do not tile it exactly")
        errors += _listed(missing, "paragraph_themes: paragraphs without a coding unit")
    if attention is None or attention.empty:
        return errors
    bad_sum = []
    in_shares = attention.is_in_shares.fillna(False).astype(bool)
    shared, others = attention[in_shares], attention[~in_shares]
    n_shared = in_shares.groupby(attention.report_id).sum()
    for col in SHARE_COLUMNS:
        sums = shared[col].groupby(shared.report_id).sum(min_count=1)
        filled = shared[col].notna().groupby(shared.report_id).sum()
        for rid, total in sums.dropna().items():
            if abs(float(total) - 1) > 1e-6:
                bad_sum.append(f"{rid} {col}")
        for rid, k in filled.items():
            if k not in (0, n_shared.get(rid, 0)):
                bad_sum.append(f"{rid} {col} (partly empty)")
    outside = others[list(SHARE_COLUMNS)].notna().any(axis=1)
    bad_sum += [f"{rid} (a theme outside the shares has a share)" for rid in others.report_id[outside].unique()]
    errors += _listed(bad_sum, "theme_attention: shares of the themes in the shares do not sum to 1")
    if units is not None:
        coded = units.dropna(subset=["theme_code"])
        want_units = coded.groupby("report_id").size()
        want_chars = (coded.char_end - coded.char_start).groupby(coded.report_id).sum()
        want_hits = units.groupby("report_id").n_theme_hits.sum()
        got = attention.groupby("report_id")[["n_units_attributed", "n_chars_attributed", "n_keyword_hits"]].sum()
        want = pd.DataFrame({"n_units_attributed": want_units, "n_chars_attributed": want_chars,
                             "n_keyword_hits": want_hits}).reindex(got.index).fillna(0)
        differs = (got.astype("int64") != want.astype("int64")).any(axis=1)
        errors += _listed(got.index[differs].tolist(),
                          "theme_attention: attributed units, characters or hits differ from paragraph_themes")
    if "themes" in tables:
        codes = set(tables["themes"].theme_code)
        got_codes = attention.groupby("report_id").theme_code.agg(lambda c: set(c) == codes)
        errors += _listed(got_codes.index[~got_codes.astype(bool)].tolist(),
                          "theme_attention: a report lacks a row for some theme of the codebook")
    return errors


def check_compliance(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    df, reports = tables.get("compliance"), tables.get("reports")
    if df is None or reports is None:
        return []
    errors = _listed(sorted(set(reports.report_id) - set(df.report_id)), "compliance: reports without a row")
    rep = {r["report_id"]: r for r in reports[["report_id", "published_on_time", "publish_date", "report_year"]]
           .astype(object).to_dict("records")}
    sections = tables.get("sections")
    parts = None
    if sections is not None:
        level1 = sections[sections.level == 1]
        parts = dict(zip(level1.section_id.tolist(), level1.ordinal.tolist()))
    bad_parts, bad_time, bad_causes, bad_figures, bad_span = [], [], [], [], []
    measures = tables.get("measures")
    n_measures = measures.groupby("report_id").size().to_dict() if measures is not None else None
    spans = {}
    if sections is not None:
        spans = dict(zip(sections.section_id.tolist(), zip(sections.char_start.tolist(), sections.char_end.tolist())))
    # The elements are the compliance table's has_<name>_part columns (named by codebook elements).
    names = [c[len("has_"):-len("_part")] for c in df.columns if c.startswith("has_") and c.endswith("_part")]
    for row in df.astype(object).itertuples(index=False):
        for name in names:
            sid, ordinal = getattr(row, f"{name}_section_id"), getattr(row, f"{name}_part_ordinal")
            has = bool(getattr(row, f"has_{name}_part"))
            if has != (not pd.isna(sid)) or (parts is not None and has and
                                                 (sid not in parts or int(parts[sid]) != int(ordinal))):
                bad_parts.append(f"{row.report_id} {name}")
        r = rep.get(row.report_id)
        if r is not None:
            same = (pd.isna(row.published_on_time) and pd.isna(r["published_on_time"])) or \
                (not pd.isna(row.published_on_time) and not pd.isna(r["published_on_time"])
                 and bool(row.published_on_time) == bool(r["published_on_time"]))
            days = None if pd.isna(r["publish_date"]) else \
                (dt.date.fromisoformat(r["publish_date"]) - dt.date(int(r["report_year"]), 12, 31)).days
            got = None if pd.isna(row.days_after_year_end) else int(row.days_after_year_end)
            if not same or days != got:
                bad_time.append(row.report_id)
        if pd.isna(row.has_causes) != (not bool(row.has_problems_part)):
            bad_causes.append(row.report_id)
        if n_measures is not None and int(row.n_figures) != n_measures.get(row.report_id, 0):
            bad_figures.append(f"{row.report_id} ({row.n_figures} vs {n_measures.get(row.report_id, 0)})")
        has_span = not pd.isna(row.causes_char_start)
        is_text = not pd.isna(row.causes_evidence) and row.causes_evidence == "text"
        stated = not pd.isna(row.has_causes) and bool(row.has_causes)
        if has_span != is_text or has_span != stated:
            bad_span.append(row.report_id)
        elif has_span and not pd.isna(row.problems_section_id) and row.problems_section_id in spans:
            a, b = spans[row.problems_section_id]
            if not (a <= int(row.causes_char_start) < int(row.causes_char_end) <= b):
                bad_span.append(row.report_id)
    errors += _listed(bad_parts, "compliance: element part does not match a level-1 section with that ordinal")
    errors += _listed(bad_time, "compliance: published_on_time or days_after_year_end disagree with reports")
    errors += _listed(bad_causes, "compliance: has_causes must be empty exactly when there is no problems part")
    errors += _listed(bad_figures, "compliance: n_figures differs from the report's rows in measures")
    errors += _listed(bad_span, "compliance: the causes evidence span is missing, stray or outside the problems part")
    return errors


def check(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    return (check_citations(tables, bodies) + check_policy_terms(tables, bodies)
            + check_themes(tables, bodies) + check_compliance(tables, bodies))

