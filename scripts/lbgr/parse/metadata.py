"""Report metadata read from the title, the opening of the body and the signature block.

Nothing is invented: a field the text does not support stays empty, and every inference that
goes beyond what is printed (an issuer taken to be the jurisdiction's government, a place read
from the body) is marked as such in the output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lbgr.ingest.dates import ARABIC_DATE, CN_DATE, find_date, full_date_line, parse_date_match

_YEAR = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*年")
_TITLE_HINT = re.compile(r"报告|总结")
# A title that names the report itself (法治政府建设情况报告, 法治政府部门建设工作情况 …): preferred
# over any other short line that says 报告, such as a column name in a metadata block.
_REPORT_TITLE = re.compile(r"(?:法治|依法行政).{0,40}?(?:报告|情况|总结)")
_TITLE_LEAD = re.compile(r"^[•·\-*#|>\s]+")
_TITLE_BRACKET = re.compile(r"^[【\[]([^】\]]{1,12})[】\]]\s*")  # 【2022年】 before the title
_TITLE_DATE = re.compile(r"\s*[(（]\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)\s*[)）]\s*$")
_TITLE_END = re.compile(r"(?:报告|情况|总结)$")
_ORGAN_LINE = re.compile(r"^[\u4e00-\u9fff ]{2,40}$")  # a line of organ names only
# A document number or a site name before the title: 某政发〔2019〕35号《…》, 某某网站-…
_TITLE_PREFIX = re.compile(r"^[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+号\s*|^.{2,30}?(?:网站|网|门户)\s*[-_|]\s*")
_PUNCT = re.compile(r"[。,，;；:：!！?？]")
_ORGAN = re.compile(r"(人民政府|政府|党委|[省市区县州旗盟]委|委员会|局|厅|办公室|办|中心|署|院|部)$")
_ORGAN_ANYWHERE = re.compile(r"人民政府|政府|党委|中共|[省市区县州旗盟]委|委员会|局|厅|办公室")
_PARTY = re.compile(r"中共|党委|[省市区县州旗盟]委(?!员)")
_GOVERNMENT = re.compile(r"人民政府|政府")
_DEPARTMENT_END = re.compile(r"(局|厅|部|委员会|办公室|办|中心|署|处)$")
# A national body: named so, or a ministry (…部) that names no place and no level (省/市/县 …).
_NATIONAL = re.compile(r"^(国务院|中华人民共和国|国家)|^[^省市区县州旗盟乡镇]{2,10}部$")
# How a report speaks of itself in its opening: 市政府, 我区, 本县 …
_SELF_FIRST_PERSON = re.compile(r"(?:我|本)([省市区县州旗盟])")
_SELF_AS_GOVERNMENT = re.compile(r"(?:^|[,，。;；、])\s*(?:\d{4}年度?[,，]?\s*)?([省市区县州旗盟])(?:人民)?政府")
_PUBLISHING_VERB = re.compile(r"(?<=[府委局厅办部])(?:公布|发布|印发|公开)$")
_UNDER_LEADERSHIP = re.compile(r"在[^,，。;；]{0,80}?下\s*[,，]")
# Superiors whose directives a clause carries out (贯彻落实…省委、省政府工作要求): not the report's voice.
_SUPERIOR_DIRECTIVES = re.compile(
    r"(?<=贯彻|落实|按照|根据|遵照|执行|对照)[^,，。;；]{0,60}?[省市区县州旗盟]委[、和及与]?\s*[省市区县州旗盟](?:人民)?政府")
_OPENING_YEAR = [
    re.compile(r"现将.{0,40}?(?<!\d)(20\d{2}|19\d{2})\s*年度?.{0,40}?(?:报告|汇报|公开)如下"),
    re.compile(r"^(20\d{2}|19\d{2})\s*年度?(?:以来)?\s*[,，、]"),
    re.compile(r"^(20\d{2}|19\d{2})\s*年度?(?:以来)?"),
]


OPENING_LINES = 6  # lines after the title read for the reported year (an addressee may come first)


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
    title_date: str | None = None  # a date printed after the title, in brackets
    warnings: list[str] = field(default_factory=list)


def _title_zone(lines: list[str]) -> int:
    """Index of the first prose line: the title stands before it."""
    for i, line in enumerate(lines):
        if len(line) >= 60 or line.endswith(("。", ":", "：")) or re.match(r"^[一二三四五六七八九十]+、", line):
            return i
    return len(lines)


def clean_title(line: str) -> str:
    """A title line without bullets, a bracketed tag before it (【2022年】) or a date after it."""
    line = _TITLE_LEAD.sub("", line)
    line = _TITLE_DATE.sub("", line)
    line = _TITLE_PREFIX.sub("", line)
    if line.startswith("《") and "》" in line and _REPORT_TITLE.search(line[1:line.index("》")]):
        line = line[1:line.index("》")]
    m = _TITLE_BRACKET.match(line)
    if m and _REPORT_TITLE.search(line[m.end():]):
        line = line[m.end():]
    return line.strip()


def _title_date(line: str) -> str | None:
    m = _TITLE_DATE.search(line)
    return find_date(m.group(1)) if m else None


def _is_title_part(line: str) -> bool:
    return 2 <= len(line) <= 40 and not _PUNCT.search(line)


def find_title(lines: list[str]) -> tuple[str, int | None]:
    """The title: a short line before the first prose line that names a report, preferring one
    that names the report itself (法治政府建设…报告 / 情况). A title printed over two lines (the
    issuer on the first; or broken inside the phrase) is joined, and its index is the last line."""
    zone = [(i, line) for i, line in enumerate(lines[:_title_zone(lines)]) if len(line) <= 100]
    found = next(((i, line) for i, line in zone if _REPORT_TITLE.search(line)), None)
    split = next((i for i, line in zone[:-1] if not _TITLE_HINT.search(line) and _is_title_part(line)
                  and _is_title_part(lines[i + 1]) and _TITLE_END.search(lines[i + 1])
                  and not _REPORT_TITLE.search(lines[i + 1])
                  and _REPORT_TITLE.search(line + lines[i + 1])), None)
    if split is not None and (found is None or split < found[0]):
        return clean_title(lines[split]) + lines[split + 1], split + 1  # 关于某县2025年度法治政府 / 建设情况的报告
    if found is None:
        found = next(((i, line) for i, line in zone if _TITLE_HINT.search(line)), None)
    if found is None:
        return "", None
    i, title = found[0], clean_title(found[1])
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if not _TITLE_END.search(title) and _is_title_part(nxt) and _TITLE_END.search(nxt):
        return title + nxt, i + 1  # 关于某县2025年度法治政府 / 建设情况的报告
    prev = clean_title(lines[i - 1]) if i > 0 else ""
    if (prev and _ORGAN_LINE.match(prev) and _ORGAN.search(prev) and not _YEAR.search(prev)
            and not _TITLE_HINT.search(prev) and not any(split_title(title))):
        return f"{prev}{title}", i  # 某某县人民政府 / 关于2023年度法治政府建设情况的报告
    return title, i


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
    opening = lines[start:start + OPENING_LINES]
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
    if not prefix and m and m.start() == 0:
        # 2024年某市司法局法治政府建设情况报告: the issuer or place follows the year.
        after = re.match(r"\s*度?\s*(.{2,40}?)(?:关于|法治|依法行政|推进|全面)", head[m.end():])
        prefix = after.group(1).strip() if after else ""
    # 某省人民政府公布2017年度…: the verb of publishing is not part of the issuer's name.
    prefix = _PUBLISHING_VERB.sub("", prefix)
    if prefix and (_ORGAN_ANYWHERE.search(prefix) or _ORGAN.search(prefix)):
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
        # The superiors named in 在市委、市政府的领导下, are not the report's own voice.
        m = _SELF_AS_GOVERNMENT.search(_SUPERIOR_DIRECTIVES.sub("", _UNDER_LEADERSHIP.sub("，", line)))
        if m:
            return m.group(1)
    return None


def read_metadata(lines: list[str], page_title: str = "") -> Metadata:
    """Metadata of a body; ``page_title`` is the title a page's metadata block gives (标题), read
    when the body prints no title line."""
    meta = Metadata()
    meta.title, meta.title_line = find_title(lines)
    if meta.title_line is not None:
        meta.title_date = _title_date(lines[meta.title_line])
    elif page_title and _TITLE_HINT.search(page_title) or _REPORT_TITLE.search(page_title or ""):
        meta.title = clean_title(page_title)
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
    elif meta.title_line is None:
        meta.warnings.append("no title line in the body: the title of the page's metadata block is used")
    if meta.report_year is None:
        meta.warnings.append("no reported year in the title or the opening sentences")
    meta.issuer_type = issuer_type_of(meta.issuer) if meta.issuer else "government"
    if meta.issuer and _NATIONAL.search(meta.issuer):
        meta.place_source = "national"
    return meta
