"""Separate page furniture (banners, breadcrumbs, page tools, footers) from the report body.

Saved portal pages wrap a report in furniture above its title and below its last line.
Furniture is looked for only in those two zones, never between the first and last line of
prose, so a body sentence that happens to mention 来源 or 网站 is never removed. The metadata that
furniture carries (publication date, source) is parsed and kept. Patterns live in
``data/codebooks/furniture.csv``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lbgr.ingest.dates import find_date

_HEADING_START = re.compile(r"^[一二三四五六七八九十]+、")


@dataclass
class Furniture:
    header: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)  # label kind -> first value seen


@dataclass
class FurnitureRules:
    line_patterns: list[tuple[str, re.Pattern]]
    label_kinds: dict[str, str]  # label -> meta_date / meta_source / meta_other
    label_re: re.Pattern
    anywhere: list[re.Pattern]  # page numbers and watermarks, removed wherever they stand

    stale: re.Pattern | None = None  # a banner line printing today's date (今天是 …)

    @classmethod
    def from_rows(cls, rows: list[dict[str, str]]) -> FurnitureRules:
        line_patterns, label_kinds, anywhere, stale = [], {}, [], None
        for row in rows:
            if row["furniture_kind"] in ("page_number", "watermark"):
                anywhere.append(re.compile(row["pattern"]))
            elif row["furniture_kind"] == "stale_date":
                stale = re.compile(row["pattern"])
                line_patterns.append(("banner", stale))
            elif row["furniture_kind"].startswith("meta_"):
                for label in row["pattern"].split("|"):
                    label_kinds[label] = row["furniture_kind"]
            else:
                line_patterns.append((row["furniture_kind"], re.compile(row["pattern"])))
        # Longest labels first so that 信息来源 is not read as 来源 and 发布时间 not as 时间. A label
        # may be printed with spaces between its characters (发 布 日 期), and is followed by a colon,
        # or stands in brackets ([ 发布日期 ]), or (in a metadata table) is followed by a space.
        labels = sorted(label_kinds, key=len, reverse=True)
        spaced = "|".join(r"\s*".join(map(re.escape, label)) for label in labels)
        label_re = re.compile(
            rf"[【\[]?\s*(?P<colon>{spaced})\s*[】\]]?\s*[:：]\s*"
            rf"|[【\[]\s*(?P<bracket>{spaced})\s*[】\]]\s*"
            rf"|(?:^|(?<=[\s|•·]))(?P<bare>{spaced})(?:\s+|$)")
        return cls(line_patterns, label_kinds, label_re, anywhere, stale)


def _label_of(m: re.Match) -> str:
    return re.sub(r"\s+", "", m.group("colon") or m.group("bracket") or m.group("bare"))


_LEAD = re.compile(r"[•·\-*#|\s]*")


def parse_labelled(line: str, rules: FurnitureRules) -> list[tuple[str, str]] | None:
    """Split a metadata line into (label, value) pairs; None if the line is not one.

    A metadata line starts with a label (after bullets or a short lead). A label without a colon
    or brackets counts only at the start of the line or after a space, and only when the line
    starts with one.
    """
    lead = _LEAD.match(line).end()
    # The first match starts at most 2 characters in exactly when one is found there: three
    # anchored tries spare most lines a search of their whole length.
    first = None
    for pos in range(lead, lead + 3):
        first = rules.label_re.match(line, pos)
        if first:
            break
    if first is None or (first.group("bare") and first.start() != lead):
        return None
    matches = [m for m in rules.label_re.finditer(line, first.start())]
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end():end].strip(" 【】[]|")
        pairs.append((_label_of(m), value))
    return pairs


def _is_prose(line: str) -> bool:
    return len(line) >= 60 or line.endswith(("。", ":", "：", ";", "；")) or bool(_HEADING_START.match(line))


def classify_line(line: str, rules: FurnitureRules) -> str | None:
    """The furniture kind of a line, or None if it is not furniture."""
    if len(line) > 200 or line.endswith("。"):
        return None
    if parse_labelled(line, rules) is not None or parse_labelled(leading_date(line)[1], rules) is not None:
        return "metadata"
    for kind, pattern in rules.line_patterns:
        if pattern.search(line):
            return kind
    return None


def split_furniture(lines: list[str], rules: FurnitureRules) -> tuple[list[str], Furniture]:
    """Return the body lines and the furniture (with its metadata) of a page."""
    furn = Furniture()
    # Only the lines outside the first and last prose lines can be furniture, so only those
    # (and the two prose lines) are classified: from each end inwards to the first prose line.
    kinds: dict[int, str | None] = {}
    first_prose, last_prose = len(lines), -1
    for i in range(len(lines)):
        kinds[i] = classify_line(lines[i], rules)
        if kinds[i] is None and _is_prose(lines[i]):
            first_prose = i
            break
    for i in range(len(lines) - 1, first_prose - 1, -1):
        if i not in kinds:
            kinds[i] = classify_line(lines[i], rules)
        if kinds[i] is None and _is_prose(lines[i]):
            last_prose = i
            break

    # A label alone on its line whose value stands on the next line (公开日期 / 2017年03月31日).
    carried: dict[int, str] = {}
    for i in range(first_prose):
        if kinds.get(i) == "metadata" and i + 1 < first_prose and kinds.get(i + 1) is None:
            pairs = parse_labelled(lines[i], rules) or []
            if pairs and not pairs[-1][1] and len(lines[i + 1]) <= 60:
                carried[i] = lines[i + 1]
                kinds[i + 1] = "metadata_value"

    body: list[str] = []
    dates: list[tuple[str, str]] = []
    bare_dates: list[str] = []
    for i, line in enumerate(lines):
        in_edge = i < first_prose or i > last_prose
        kind = kinds[i] if in_edge else None
        if kind is None and i < first_prose and not (rules.stale and rules.stale.search(line)):
            # A date standing alone under the title (2024-04-18 16:02 某某网), the page's date.
            iso = bare_date(line)
            if iso:
                bare_dates.append(iso)
        if kind is None:
            body.append(line)
            continue
        (furn.header if i < first_prose else furn.footer).append(line)
        if kind != "metadata":
            continue
        first_date, rest = leading_date(line)
        if first_date and not (rules.stale and rules.stale.search(line)):
            bare_dates.append(first_date)
        pairs = parse_labelled(rest, rules) or []
        if i in carried:
            pairs[-1] = (pairs[-1][0], carried[i])
        for label, value in pairs:
            key = rules.label_kinds[label]
            if key in ("meta_date", "meta_written_date"):
                iso = find_date(value)
                if iso:
                    dates.append((label, iso))
            elif key == "meta_source" and value:
                furn.meta.setdefault("publisher", value)
            elif key == "meta_title" and value:
                furn.meta.setdefault("page_title", value)
            elif value:
                furn.meta.setdefault(label, value)
    # 发布时间/发布日期/公开日期 outrank 更新时间 and a bare 时间/日期; 成文日期 and 发文日期 say when the
    # text was written or issued, and stand in for the publication date only when none is printed.
    kinds_of = rules.label_kinds
    ranked = ([d for d in dates if d[0].startswith(("发布", "公开"))]
              + [d for d in dates if kinds_of[d[0]] == "meta_date" and not d[0].startswith(("发布", "公开"))])
    written = [iso for label, iso in dates if kinds_of[label] == "meta_written_date"]
    if ranked:
        furn.meta["publish_date"] = ranked[0][1]
        furn.meta["publish_date_source"] = ranked[0][0]
    elif bare_dates:
        furn.meta["publish_date"] = bare_dates[0]
        furn.meta["publish_date_source"] = "date line under the title"
    elif written:
        furn.meta["publish_date"] = written[0]
        furn.meta["publish_date_source"] = "成文日期"
    if written:
        furn.meta["written_date"] = written[0]
    return body, furn


_TIME = r"(?:\s*\d{1,2}(?::\d{1,2}){1,2}|\s*\d{1,2}时(?:\d{1,2}分)?(?:\d{1,2}秒)?)?"
_BARE_DATE = re.compile(r"^[•·\-*|\s]*(?:[\u4e00-\u9fff]{2,20}\s+)?[(（]?(?P<date>\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)" + _TIME
                        + r"[)）]?(?:\s+\S{1,20})?$")


_LEADING_DATE = re.compile(r"^[•·\-*|\s]*(?P<date>\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?)" + _TIME + r"\s+")


def leading_date(line: str) -> tuple[str | None, str]:
    """(ISO date, rest) of a header line that opens with a date before its labels
    (2023-03-27 17:05 来源: 某某网), else (None, line)."""
    m = _LEADING_DATE.match(line)
    iso = find_date(m.group("date")) if m else None
    return (iso, line[m.end():]) if iso else (None, line)


def bare_date(line: str) -> str | None:
    """The ISO date of a line that holds only a date (and a time, and at most a short source
    name after it): a page's own date printed without a label."""
    m = _BARE_DATE.match(line)
    return find_date(m.group("date")) if m else None
