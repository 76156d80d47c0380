"""Small ReportDocs built by hand, for testing the content stages on snippets.

``make_doc`` makes one paragraph per line and a level-0 section over the whole text; level-1
parts and deeper items are given as ``Part`` specs located by the text they start with, so that
a test states its structure the way a reader sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lbgr.parse.model import Paragraph, ReportDoc, Section

REPORT_ID = "110101-2023"


@dataclass
class Part:
    starts_with: str  # the section begins where this text first occurs
    ends_before: str | None = None  # and ends where this text first occurs after it (else at the end)
    level: int = 1
    ordinal: int = 1
    heading: str | None = None  # defaults to the rest of the first line after the marker
    part_type: str | None = None
    elements: str | None = None
    marker: str = ""


def make_doc(text: str, parts: list[Part] | None = None, meta: dict | None = None,
             report_id: str = REPORT_ID) -> ReportDoc:
    lines = [line for line in text.split("\n") if line]
    body = "\n".join(lines)
    sections = [Section(f"{report_id}-s000", report_id, None, 0, 0, "", "document", False, "", 0, 0,
                        None, None, 0, len(body))]
    for k, spec in enumerate(parts or [], start=1):
        start = body.index(spec.starts_with)
        end = body.index(spec.ends_before, start + 1) if spec.ends_before else len(body)
        while end > start and body[end - 1] == "\n":
            end -= 1
        heading = spec.heading
        if heading is None:
            first_line = body[start:].split("\n", 1)[0]
            heading = first_line[len(spec.marker):]
        h_start = body.index(heading, start)
        parent = next(s for s in reversed(sections) if s.level < spec.level and s.char_start <= start
                      and end <= s.char_end)
        sections.append(Section(f"{report_id}-s{k:03d}", report_id, parent.section_id, spec.level, spec.ordinal,
                                spec.marker, "cn_dun" if spec.level == 1 else "cn_shi", spec.level > 1, heading,
                                h_start, h_start + len(heading), spec.part_type, spec.elements, start, end))
    paragraphs = []
    offset = 0
    for n, line in enumerate(lines, start=1):
        containing = [s for s in sections if s.char_start <= offset and offset + len(line) <= s.char_end]
        deepest = max(containing, key=lambda s: s.level)
        paragraphs.append(Paragraph(f"{report_id}-p{n:04d}", report_id, deepest.section_id, n, line,
                                    offset, offset + len(line)))
        offset += len(line) + 1
    base_meta = {"report_id": report_id, "jurisdiction": "东城区", "admin_level": "county", "report_year": 2023,
                 "publish_date": None, "published_on_time": None}
    return ReportDoc(report_id=report_id, body=body, sections=sections, paragraphs=paragraphs,
                     meta={**base_meta, **(meta or {})})


def derive_report_indicators(tables: dict[str, pd.DataFrame], ctx) -> dict[str, pd.DataFrame]:
    """``report_indicators`` of whole tables (many reports), as the build derives it report by report."""
    from lbgr.extract.indicators import report_indicator_rows
    from lbgr.package.tables import frame

    def records(df: pd.DataFrame | None) -> list[dict]:
        if df is None or df.empty:
            return []
        return [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in df.to_dict("records")]

    by_report: dict[str, dict[str, list[dict]]] = {}
    for name in ("measures", "sections"):
        for r in records(tables.get(name)):
            by_report.setdefault(r["report_id"], {}).setdefault(name, []).append(r)
    out: list[dict] = []
    for report_id in sorted(by_report):
        out += report_indicator_rows(by_report[report_id], ctx)["report_indicators"]
    return {"report_indicators": frame("report_indicators", out)}
