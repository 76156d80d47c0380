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

from .dates import find_date

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

    @classmethod
    def from_rows(cls, rows: list[dict[str, str]]) -> FurnitureRules:
        line_patterns, label_kinds, anywhere = [], {}, []
        for row in rows:
            if row["furniture_kind"] in ("page_number", "watermark"):
                anywhere.append(re.compile(row["pattern"]))
            elif row["furniture_kind"].startswith("meta_"):
                for label in row["pattern"].split("|"):
                    label_kinds[label] = row["furniture_kind"]
            else:
                line_patterns.append((row["furniture_kind"], re.compile(row["pattern"])))
        # Longest labels first so that 信息来源 is not read as 来源 and 发布时间 not as 时间.
        labels = sorted(label_kinds, key=len, reverse=True)
        label_re = re.compile(r"[【\[]?(" + "|".join(map(re.escape, labels)) + r")\s*[:：]\s*")
        return cls(line_patterns, label_kinds, label_re, anywhere)


def parse_labelled(line: str, rules: FurnitureRules) -> list[tuple[str, str]] | None:
    """Split a metadata line into (label, value) pairs; None if the line is not one.

    A metadata line starts with a label, or has only a short lead before its first label.
    """
    # The first match starts at most 2 characters in exactly when one is found there: three
    # anchored tries spare most lines a search of their whole length.
    if not any(rules.label_re.match(line, pos) for pos in range(3)):
        return None
    matches = list(rules.label_re.finditer(line))  # the first starts where the tries found one, or before
    pairs = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
        value = line[m.end():end].strip(" 【】[]|")
        pairs.append((m.group(1), value))
    return pairs


def _is_prose(line: str) -> bool:
    return len(line) >= 60 or line.endswith(("。", ":", "：", ";", "；")) or bool(_HEADING_START.match(line))


def classify_line(line: str, rules: FurnitureRules) -> str | None:
    """The furniture kind of a line, or None if it is not furniture."""
    if len(line) > 200 or line.endswith("。"):
        return None
    if parse_labelled(line, rules) is not None:
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

    body: list[str] = []
    dates: list[tuple[str, str]] = []
    for i, line in enumerate(lines):
        in_edge = i < first_prose or i > last_prose
        kind = kinds[i] if in_edge else None
        if kind is None:
            body.append(line)
            continue
        (furn.header if i < first_prose else furn.footer).append(line)
        if kind != "metadata":
            continue
        for label, value in parse_labelled(line, rules) or []:
            key = rules.label_kinds[label]
            if key == "meta_date":
                iso = find_date(value)
                if iso:
                    dates.append((label, iso))
            elif key == "meta_source" and value:
                furn.meta.setdefault("publisher", value)
            elif value:
                furn.meta.setdefault(label, value)
    # 发布时间/发布日期 outrank a bare 时间/日期; 成文日期 is when the text was written, not published.
    ranked = [d for d in dates if d[0].startswith("发布")] + [d for d in dates if d[0] in ("时间", "日期")]
    if ranked:
        furn.meta["publish_date"] = ranked[0][1]
    written = [iso for label, iso in dates if label == "成文日期"]
    if written:
        furn.meta["written_date"] = written[0]
    return body, furn
