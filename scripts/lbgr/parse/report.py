"""One report, end to end: decoded text → normalised body → metadata, sections, paragraphs.

``process_text`` is a pure function of its inputs, so reports can be processed in any order
and in parallel; a report that cannot be read raises ``ReportRejected`` with a reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from lbgr.ingest.doctype import classify_document as classify
from lbgr.ingest.furniture import split_furniture
from lbgr.ingest.normalize import normalize_lines
from lbgr.ingest.repair import mirror_damage, remove_noise_lines, remove_pinyin, to_simplified
from lbgr.parse.context import Context
from lbgr.parse.metadata import read_metadata
from lbgr.parse.model import ReportDoc
from lbgr.parse.place import find_place, issuer_with_place
from lbgr.parse.structure import sections_and_paragraphs_with_rows

_END_OF_TEXT = tuple("。！？!?”」）)")


def classify_document(title: str, body: str, rules=None) -> str | None:
    """A reason to reject a text that is not an annual rule-of-law report (lbgr.ingest.doctype), or
    None; ``rules``: those of the build's codebooks folder (by default data/codebooks)."""
    kind, reason = classify(title, body, rules)
    return None if kind == "rule_of_law_report" else f"not an annual rule-of-law report ({kind}): {reason}"


class ReportRejected(Exception):
    """A file that cannot become a report row; the message says why."""


@dataclass
class ReportResult:
    doc: ReportDoc
    tables: dict[str, list[dict]]
    warnings: list[str] = field(default_factory=list)


def flagged_elements(ctx: Context) -> list[tuple[str, str]]:
    """(code, name) of the elements the reports table flags (codebook ``elements``)."""
    return [(r["element_code"], r["element_name"]) for r in ctx.codebook("elements")
            if r["is_flagged_in_reports"] == "true"]


def _element_flags(sections, body: str, part_rows: list[dict[str, str]],
                   elements: list[tuple[str, str]]) -> dict[str, object]:
    in_headings = set()
    for s in sections:
        if s.level == 1 and s.elements:
            in_headings.update(s.elements.split())
    out: dict[str, object] = {}
    for code, name in elements:
        if code in in_headings:
            evidence = "heading"
        elif any(r["element_code"] == code and r["evidence"] == "keyword" and re.search(r["pattern"], body)
                 for r in part_rows):
            evidence = "keyword"
        else:
            evidence = "none"
        out[f"has_{name}"] = evidence != "none"
        out[f"{name}_evidence"] = evidence
    return out


def make_report_id(code: str, year: int, issuer_type: str, issuer: str, body: str, with_digest: bool = False) -> str:
    base = f"{code or '000000'}-{year}"
    if code and issuer_type != "department" and not with_digest:
        return base
    digest = hashlib.sha256((issuer + "\n" + body).encode("utf-8")).hexdigest()[:6]
    return f"{base}-{digest}"


def _completeness_warnings(row: dict, body_lines: list[str], meta, elements: list[tuple[str, str]]) -> list[str]:
    out = []
    last = body_lines[-1]
    if meta.signature_line is None and not last.endswith(_END_OF_TEXT):
        out.append(f"the text may be truncated: it ends mid-sentence (…{last[-15:]})")
    if not row["publish_date"] and not row["signed_date"]:
        out.append("no date: neither a publication date in a page header nor a signature date")
    missing = [f"{code} ({name})" for code, name in elements if not row[f"has_{name}"]]
    if missing:
        out.append("missing required element(s): " + ", ".join(missing))
    return out


def process_text(text: str, source_file: str, source_sha256: str, ctx: Context,
                 with_digest: bool = False, source_format: str = "txt", source_encoding: str = "",
                 provenance: tuple[str, str] = ("", "")) -> ReportResult:
    """Process one decoded report. ``with_digest`` forces the body digest into the report ID
    (the build asks for it when two different reports would otherwise share an ID)."""
    text, n_pinyin = remove_pinyin(text)
    text, converted = to_simplified(text)
    lines = normalize_lines(text)
    if not lines:
        raise ReportRejected("the file holds no text")
    rules = ctx.furniture_rules
    lines, noise = remove_noise_lines(lines, rules.anywhere)
    if not lines:
        raise ReportRejected("the file holds only page numbers or watermark lines")
    body_lines, furniture = split_furniture(lines, rules)
    if not body_lines:
        raise ReportRejected("the file holds only page furniture, no report text")
    body = "\n".join(body_lines)
    meta = read_metadata(body_lines, furniture.meta.get("page_title", ""))
    warnings = list(meta.warnings)
    if converted:
        warnings.append("written in traditional characters: converted to simplified (OpenCC t2s) for parsing")
    if n_pinyin:
        warnings.append(f"removed {n_pinyin} pinyin syllable(s) in brackets inserted after characters (區(qū))")
    if noise:
        warnings.append(f"removed {len(noise)} watermark, page-number or repeated banner line(s), e.g. '{noise[0][:30]}'")
    damage = mirror_damage(body)
    warnings += damage
    guard = classify_document(meta.title, body, ctx.document_type_rules)
    if guard is not None:
        raise ReportRejected(guard)
    if meta.report_year is None:
        raise ReportRejected("; ".join(["no reported year: neither the title nor the opening names one", *damage]))

    page_text = " ".join(v for k, v in furniture.meta.items() if k in ("publisher", "page_title"))
    place = find_place(meta, body_lines, body, ctx.divisions, page_text, address=provenance[0])
    jurisdiction, division = place.jurisdiction, place.division
    warnings += place.warnings
    issuer, issuer_source = meta.issuer, meta.issuer_source
    issuer_type = meta.issuer_type if meta.issuer else "government"
    if not issuer and place.issuer_type == "department":
        issuer, issuer_source, issuer_type = place.issuer, "opening" if place.issuer else None, "department"
    elif not issuer and jurisdiction:
        issuer, issuer_source = jurisdiction + "人民政府", "jurisdiction"
    issuer = issuer_with_place(issuer, jurisdiction)
    code = division.division_code if division else ""
    report_id = make_report_id(code, meta.report_year, issuer_type, issuer, body, with_digest)

    first_line = 0 if meta.title_line is None else meta.title_line + 1
    if meta.signature_line is None:
        end_of_sections = len(body)
    else:  # where the signature's first line starts: the lines before it and their line breaks
        end_of_sections = sum(map(len, body_lines[:meta.signature_line])) + meta.signature_line
    part_rows = ctx.codebook("part_types")
    sections, paragraphs, section_rows, paragraph_rows = sections_and_paragraphs_with_rows(
        report_id, body, first_line, end_of_sections, part_rows, meta.title)
    if len(sections) == 1:
        warnings.append("no headings found (一、 / (一) / 一是): sections hold only the whole document")

    publish_date = furniture.meta.get("publish_date")
    if publish_date is None and meta.title_date:
        publish_date = meta.title_date
        warnings.append("publication date read from the date printed after the title")
    elif furniture.meta.get("publish_date_source") == "成文日期":
        warnings.append("no publication date on the page: the date written (成文日期) is used")
    elif furniture.meta.get("publish_date_source") == "date line under the title":
        warnings.append("publication date read from an unlabelled date line under the title")
    on_time = None
    if publish_date:
        on_time = dt.date.fromisoformat(publish_date) <= dt.date(meta.report_year + 1, 3, 31)
    if place.admin_level is not None:
        admin_level = place.admin_level
    elif meta.place_source == "national":
        admin_level = "national"
    else:
        admin_level = None

    row = {
        "report_id": report_id,
        "title": meta.title,
        "issuer": issuer,
        "issuer_source": issuer_source or None,
        "issuer_type": issuer_type,
        "jurisdiction": jurisdiction,
        "jurisdiction_full": (division.full_name + (jurisdiction if admin_level == "township" else "")) if division else "",
        "division_code": code,
        "province": division.province if division else "",
        "prefecture": division.prefecture if division else "",
        "admin_level": admin_level,
        "report_year": meta.report_year,
        "publish_date": publish_date,
        "publisher": furniture.meta.get("publisher", ""),
        "signed_by": meta.signed_by,
        "signed_date": meta.signed_date,
        "published_on_time": on_time,
        **_element_flags(sections, body, part_rows, flagged_elements(ctx)),
        "char_count": len(body),
        "n_sections": len(sections) - 1,
        "n_paragraphs": len(paragraphs),
        "body_path": f"data/bodies/{report_id}.txt",
        "body_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "source_file": source_file,
        "source_sha256": source_sha256,
        "source_format": source_format,
        "source_encoding": source_encoding,
        "is_traditional_source": converted,
        "source_url": provenance[0],
        "retrieved_date": provenance[1] or None,
    }
    warnings += _completeness_warnings(row, body_lines, meta, flagged_elements(ctx))
    doc = ReportDoc(report_id=report_id, body=body, sections=sections, paragraphs=paragraphs, meta=row)
    tables = {
        "reports": [row],
        "sections": section_rows,
        "paragraphs": paragraph_rows,
    }
    return ReportResult(doc=doc, tables=tables, warnings=warnings)
