"""Content rules for the citations, policy-term, theme and compliance tables.

Table Schema checks types, enums, keys and patterns; these rules check what it cannot: that every
span is grounded in its body between the right brackets or quotes, that a nested title lies inside
its parent, that shares add up, that attributed counts equal the coded units, and that the
compliance row agrees with the sections and reports tables. Each message names the rows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .citations import CLOSER_OF
from .policy_terms import QUOTE_PAIRS

SHARE_COLUMNS = ("keyword_hit_share", "unit_share", "char_share")
TOLERANCE = 1e-9


def _listed(ids: list, why: str, limit: int = 10) -> list[str]:
    if not ids:
        return []
    more = f" (and {len(ids) - limit} more)" if len(ids) > limit else ""
    return [f"{why}: {', '.join(map(str, ids[:limit]))}{more}"]


def _bracketed(df: pd.DataFrame, bodies: dict[str, str], id_col: str, text_col: str, pairs: dict[str, str]) -> list:
    """IDs of rows whose text is not the body between an opener of ``pairs`` and its closer."""
    bad = []
    for rid, key, s, e, text in zip(df.report_id, df[id_col], df.char_start, df.char_end, df[text_col]):
        body = bodies.get(rid)
        if body is None:
            continue
        s, e = int(s), int(e)
        opener = body[s - 1] if s >= 1 else ""
        closer = body[e] if e < len(body) else ""
        if body[s:e] != text or opener not in pairs or pairs[opener] != closer:
            bad.append(key)
    return bad


def check_citations(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    df = tables.get("citations")
    if df is None or df.empty:
        return []
    errors = _listed(_bracketed(df, bodies, "citation_id", "cited_title", CLOSER_OF),
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
    n = df.groupby("term_normalized")["report_id"].transform("nunique")
    errors += _listed(df.loc[(df.n_reports_with_term != n).fillna(True), "term_id"].tolist(),
                      "policy_terms: n_reports_with_term differs from the reports quoting the normalised term")
    flag = df.is_in_other_reports.astype("boolean")
    errors += _listed(df.loc[(flag != (df.n_reports_with_term >= 2)).fillna(True), "term_id"].tolist(),
                      "policy_terms: is_in_other_reports disagrees with n_reports_with_term >= 2")
    return errors


def check_themes(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    units, attention = tables.get("paragraph_themes"), tables.get("theme_attention")
    errors: list[str] = []
    if units is not None and not units.empty and "paragraphs" in tables:
        paragraphs = tables["paragraphs"].set_index("paragraph_id")
        bounds = dict(zip(paragraphs.index, zip(paragraphs.char_start, paragraphs.char_end)))
        spans: dict[str, list[tuple[int, int]]] = {}
        for pid, start, end in zip(units.paragraph_id, units.char_start, units.char_end):
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
    for rid, group in attention.groupby("report_id"):
        shared = group[group.is_in_shares.fillna(False).astype(bool)]
        for col in SHARE_COLUMNS:
            values = shared[col].dropna()
            if len(values) and abs(float(values.sum()) - 1) > 1e-6:
                bad_sum.append(f"{rid} {col}")
            if len(values) not in (0, len(shared)):
                bad_sum.append(f"{rid} {col} (partly empty)")
        if group.loc[~group.is_in_shares.fillna(False).astype(bool), list(SHARE_COLUMNS)].notna().any().any():
            bad_sum.append(f"{rid} (a theme outside the shares has a share)")
    errors += _listed(bad_sum, "theme_attention: shares of the themes in the shares do not sum to 1")
    if units is not None:
        coded = units.dropna(subset=["theme_code"])
        want_units = coded.groupby("report_id").size()
        want_chars = (coded.char_end - coded.char_start).groupby(coded.report_id).sum()
        want_hits = units.groupby("report_id").n_theme_hits.sum()
        got = attention.groupby("report_id")[["n_units_attributed", "n_chars_attributed", "n_keyword_hits"]].sum()
        bad = [rid for rid in got.index
               if int(got.loc[rid, "n_units_attributed"]) != int(want_units.get(rid, 0))
               or int(got.loc[rid, "n_chars_attributed"]) != int(want_chars.get(rid, 0))
               or int(got.loc[rid, "n_keyword_hits"]) != int(want_hits.get(rid, 0))]
        errors += _listed(bad, "theme_attention: attributed units, characters or hits differ from paragraph_themes")
    if "themes" in tables:
        codes = set(tables["themes"].theme_code)
        incomplete = [rid for rid, g in attention.groupby("report_id") if set(g.theme_code) != codes]
        errors += _listed(incomplete, "theme_attention: a report lacks a row for some theme of the codebook")
    return errors


def check_compliance(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    df, reports = tables.get("compliance"), tables.get("reports")
    if df is None or reports is None:
        return []
    errors = _listed(sorted(set(reports.report_id) - set(df.report_id)), "compliance: reports without a row")
    rep = reports.set_index("report_id")
    sections = tables.get("sections")
    parts = sections[sections.level == 1].set_index("section_id") if sections is not None else None
    bad_parts, bad_time, bad_causes = [], [], []
    for row in df.itertuples(index=False):
        for name in ("achievements", "problems", "responsibility", "plans", "other_matters"):
            sid, ordinal = getattr(row, f"{name}_section_id"), getattr(row, f"{name}_part_ordinal")
            has = bool(getattr(row, f"has_{name}_part"))
            if has != (not pd.isna(sid)) or (parts is not None and has and
                                                 (sid not in parts.index or int(parts.loc[sid, "ordinal"]) != int(ordinal))):
                bad_parts.append(f"{row.report_id} {name}")
        if row.report_id in rep.index:
            r = rep.loc[row.report_id]
            same = (pd.isna(row.published_on_time) and pd.isna(r.published_on_time)) or \
                (not pd.isna(row.published_on_time) and not pd.isna(r.published_on_time)
                 and bool(row.published_on_time) == bool(r.published_on_time))
            days = None if pd.isna(r.publish_date) else \
                (dt.date.fromisoformat(r.publish_date) - dt.date(int(r.report_year), 12, 31)).days
            got = None if pd.isna(row.days_after_year_end) else int(row.days_after_year_end)
            if not same or days != got:
                bad_time.append(row.report_id)
        if pd.isna(row.has_causes) != (not bool(row.has_problems_part)):
            bad_causes.append(row.report_id)
    errors += _listed(bad_parts, "compliance: element part does not match a level-1 section with that ordinal")
    errors += _listed(bad_time, "compliance: published_on_time or days_after_year_end disagree with reports")
    errors += _listed(bad_causes, "compliance: has_causes must be empty exactly when there is no problems part")
    return errors


def check(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    return (check_citations(tables, bodies) + check_policy_terms(tables, bodies)
            + check_themes(tables, bodies) + check_compliance(tables, bodies))


def register() -> None:
    """Add ``check`` to the content checks that validation runs (idempotent)."""
    from . import stages

    if check not in stages.CONTENT_CHECKS:
        stages.CONTENT_CHECKS.append(check)
