"""Content rules that Table Schema cannot state: cross-column, cross-table and grounding.

Each check returns human-readable messages naming the rows that break it. Errors fail the
build; warnings are printed and written to the build report.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd


def _rows(df: pd.DataFrame, mask, id_col: str, why: str, limit: int = 10) -> list[str]:
    bad = df.loc[mask.fillna(False).astype(bool), id_col].tolist()
    if not bad:
        return []
    more = f" (and {len(bad) - limit} more)" if len(bad) > limit else ""
    return [f"{why}: {', '.join(map(str, bad[:limit]))}{more}"]


def core(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for reports, sections and paragraphs."""
    errors: list[str] = []
    warnings: list[str] = []
    reports, sections, paragraphs = tables["reports"], tables["sections"], tables["paragraphs"]

    # Bodies: present and matching their checksum; paragraphs rebuild them exactly.
    texts_by_report: dict[str, list[tuple[int, str]]] = {}
    for rid, ordinal, text in zip(paragraphs.report_id.tolist(), paragraphs.ordinal.tolist(), paragraphs.text.tolist()):
        texts_by_report.setdefault(rid, []).append((int(ordinal), text if isinstance(text, str) else ""))
    for r in reports.itertuples():
        body = bodies.get(r.report_id)
        if body is None:
            errors.append(f"reports {r.report_id}: body text {r.body_path} is missing")
            continue
        if hashlib.sha256(body.encode("utf-8")).hexdigest() != r.body_sha256:
            errors.append(f"reports {r.report_id}: body text does not match body_sha256")
        if len(body) != r.char_count:
            errors.append(f"reports {r.report_id}: char_count {r.char_count} != body length {len(body)}")
        paras = sorted(texts_by_report.get(r.report_id, []))
        if "\n".join(text for _, text in paras) != body:
            errors.append(f"reports {r.report_id}: paragraphs joined by line breaks do not equal the body")

    # Dates: not before the reported year begins; a warning when before it ends.
    for col in ("publish_date", "signed_date"):
        for r in reports.dropna(subset=[col]).itertuples():
            d = dt.date.fromisoformat(getattr(r, col))
            if d < dt.date(r.report_year, 1, 1):
                errors.append(f"reports {r.report_id}: {col} {d} is before the reported year {r.report_year} begins")
            elif d <= dt.date(r.report_year, 12, 31):
                warnings.append(f"reports {r.report_id}: {col} {d} falls within the reported year {r.report_year}")

    # Spans: well formed, grounded, children inside parents, paragraphs inside their section.
    for name, df, id_col, text_col, start, end in (
        ("sections", sections, "section_id", "heading", "heading_char_start", "heading_char_end"),
        ("paragraphs", paragraphs, "paragraph_id", "text", "char_start", "char_end"),
    ):
        errors += _rows(df, df.char_start > df.char_end, id_col, f"{name}: char_start after char_end")
        grounded = [
            bodies.get(rid, "")[s:e] == (t if isinstance(t, str) else "")
            for rid, s, e, t in zip(df.report_id.tolist(), df[start].tolist(), df[end].tolist(), df[text_col].tolist())
        ]
        # The level-0 heading of a report without a title is empty at 0:0, which is grounded too.
        errors += _rows(df, ~pd.Series(grounded, index=df.index), id_col,
                        f"{name}: {text_col} differs from the body text at [{start}, {end})")
    by_id = sections.set_index("section_id")

    def of_section(ids: pd.Series, col: str) -> pd.Series:
        # Float64 even when nothing matches, so that comparisons stay numeric.
        return ids.map(by_id[col]).astype("Float64")

    parent = sections.dropna(subset=["parent_id"])
    pstart, pend = of_section(parent.parent_id, "char_start"), of_section(parent.parent_id, "char_end")
    errors += _rows(parent, (parent.char_start < pstart) | (parent.char_end > pend), "section_id",
                    "sections: child section outside its parent's span")
    errors += _rows(parent, parent.level != of_section(parent.parent_id, "level") + 1, "section_id",
                    "sections: level is not the parent's level + 1")
    sstart, send = of_section(paragraphs.section_id, "char_start"), of_section(paragraphs.section_id, "char_end")
    errors += _rows(paragraphs, (paragraphs.char_start < sstart) | (paragraphs.char_end > send),
                    "paragraph_id", "paragraphs: paragraph outside its section's span")
    roots = sections[sections.level == 0]
    errors += _rows(reports, ~reports.report_id.isin(roots.report_id), "report_id",
                    "reports: no level-0 section")
    return errors, warnings
