"""Report metadata read from the title, the opening of the body and the signature block.

Nothing is invented: a field the text does not support stays empty, and every inference that
goes beyond what is printed (an issuer taken to be the jurisdiction's government, a place read
from the body) is marked as such in the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .dates import ARABIC_DATE, CN_DATE, full_date_line, parse_date_match

_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*年")
_TITLE_HINT = re.compile(r"报告|总结")
_ORGAN = re.compile(r"(人民政府|政府|党委|[省市区县州旗盟]委|委员会|局|厅|办公室|办|中心|署|院|部)$")
_ORGAN_ANYWHERE = re.compile(r"人民政府|政府|党委|中共|[省市区县州旗盟]委|委员会|局|厅|办公室")
_PARTY = re.compile(r"中共|党委|[省市区县州旗盟]委(?!员)")
_GOVERNMENT = re.compile(r"人民政府|政府")
_DEPARTMENT_END = re.compile(r"(局|厅|委员会|办公室|办|中心|署|处)$")
_NATIONAL = re.compile(r"^(国务院|中华人民共和国|国家)")
# How a report speaks of itself in its opening: 市政府, 我区, 本县 …
_SELF_FIRST_PERSON = re.compile(r"(?:我|本)([省市区县州旗盟])")
_SELF_AS_GOVERNMENT = re.compile(r"(?:^|[,，。;；、])\s*(?:\d{4}年度?[,，]?\s*)?([省市区县州旗盟])(?:人民)?政府")
_OPENING_YEAR = [
    re.compile(r"现将\s*(20\d{2}|19\d{2})\s*年度?.{0,30}?(?:报告|汇报)如下"),
    re.compile(r"^(20\d{2}|19\d{2})\s*年度?(?:以来)?\s*[,，、]"),
    re.compile(r"^(20\d{2}|19\d{2})\s*年度?(?:以来)?"),
]


@dataclass
class Metadata:
    title: str = ""
    title_line: int | None = None
    report_year: int | None = None
    report_year_source: str = ""
    issuer: str = ""
    issuer_source: str = ""
    issuer_type: str = "government"
    place_name: str = ""
    place_source: str = ""
    signed_by: str = ""
    signed_date: str | None = None
    signature_line: int | None = None  # index of the first line of the signature block
    warnings: list[str] = field(default_factory=list)


def find_title(lines: list[str]) -> tuple[str, int | None]:
    """The title: a short line before the first prose line that names a report."""
    for i, line in enumerate(lines):
        if len(line) >= 60 or line.endswith(("。", ":", "：")) or re.match(r"^[一二三四五六七八九十]+、", line):
            break
        if _TITLE_HINT.search(line) and len(line) <= 100:
            return line, i
    return "", None


def find_signature(lines: list[str]) -> tuple[str, str | None, int | None]:
    """(signed_by, signed_date, first line index) of a signature block at the end, if any."""
    if not lines:
        return "", None, None
    last = len(lines) - 1
    date = full_date_line(lines[last])
    if date is None:
        # Body and date on one line: 隆昌市人民政府 2022年2月16日
        for pattern in (ARABIC_DATE, CN_DATE):
            m = pattern.search(lines[last])
            if m and m.end() == len(lines[last]) and m.start() > 0:
                who = lines[last][:m.start()].strip()
                if len(who) <= 40 and _ORGAN.search(who) and parse_date_match(m):
                    return who, parse_date_match(m), last
        return "", None, None
    first = last
    signers = []
    # Up to three short lines of organ names above the date (joint reports sign twice).
    for j in range(last - 1, max(last - 4, -1), -1):
        line = lines[j]
        if len(line) <= 40 and not line.endswith(("。", ";", "；", ",")) and _ORGAN.search(line):
            signers.insert(0, line)
            first = j
        else:
            break
    return " ".join(signers), date, first


def _year_from(text: str) -> int | None:
    m = _YEAR.search(text)
    return int(m.group(1)) if m else None


def find_report_year(title: str, lines: list[str], start: int) -> tuple[int | None, str]:
    if title:
        year = _year_from(title)
        if year:
            return year, "title"
    opening = lines[start:start + 3]
    for pattern in _OPENING_YEAR:
        for line in opening:
            m = pattern.search(line)
            if m:
                return int(m.group(1)), "opening"
    return None, ""


def split_title(title: str) -> tuple[str, str]:
    """(issuer named in the title, place named in the title)."""
    head = title
    if "关于" in title:
        before, _, after = title.partition("关于")
        if before.strip():
            return before.strip(), ""
        head = after
    m = _YEAR.search(head)
    prefix = head[:m.start()].strip() if m else ""
    if prefix and _ORGAN_ANYWHERE.search(prefix):
        return prefix, ""
    return "", prefix


def issuer_type_of(issuer: str) -> str:
    if _PARTY.search(issuer) and _GOVERNMENT.search(issuer):
        return "party_and_government"
    if _DEPARTMENT_END.search(issuer) and not issuer.endswith("政府"):
        return "department"
    return "government"


def self_reference_suffix(lines: list[str], start: int) -> str | None:
    """The kind of place the report speaks as: 市 for 我市 / 本市, or for a clause that opens
    with 市政府; first-person forms anywhere in the body win over the opening's 市政府."""
    counts: dict[str, int] = {}
    for line in lines[start:]:
        for m in _SELF_FIRST_PERSON.finditer(line):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    if counts:
        return max(counts, key=counts.get)
    for line in lines[start:start + 3]:
        m = _SELF_AS_GOVERNMENT.search(line)
        if m:
            return m.group(1)
    return None


def read_metadata(lines: list[str]) -> Metadata:
    meta = Metadata()
    meta.title, meta.title_line = find_title(lines)
    meta.signed_by, meta.signed_date, meta.signature_line = find_signature(lines)
    start = 0 if meta.title_line is None else meta.title_line + 1
    meta.report_year, meta.report_year_source = find_report_year(meta.title, lines, start)
    issuer, place = split_title(meta.title)
    if issuer:
        meta.issuer, meta.issuer_source = issuer, "title"
    elif meta.signed_by:
        meta.issuer, meta.issuer_source = meta.signed_by, "signature"
    meta.place_name, meta.place_source = place, "title" if place else ""
    if not meta.title:
        meta.warnings.append("no title line: the report prints none")
    if meta.report_year is None:
        meta.warnings.append("no reported year in the title or the opening sentences")
    meta.issuer_type = issuer_type_of(meta.issuer) if meta.issuer else "government"
    if meta.issuer and _NATIONAL.search(meta.issuer):
        meta.place_source = "national"
    return meta
