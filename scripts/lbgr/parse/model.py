"""The per-report document that every extraction stage reads.

A stage is a pure function of a ``ReportDoc``: it returns rows whose ``char_start``/``char_end``
index ``doc.body`` (0-based code points, end exclusive).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Section:
    section_id: str
    report_id: str
    parent_id: str | None
    level: int
    ordinal: int
    marker: str
    marker_type: str
    is_run_in: bool
    heading: str
    heading_char_start: int
    heading_char_end: int
    part_type: str | None
    elements: str | None
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Paragraph:
    paragraph_id: str
    report_id: str
    section_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int


def deepest_section(sections: list[Section], start: int, end: int) -> Section:
    """The deepest section whose span holds ``[start, end)`` (the first section, the level-0
    document, when none does; the last of the deepest on a tie)."""
    best = sections[0]
    for s in sections:
        if s.char_start <= start and end <= s.char_end and s.level >= best.level:
            best = s
    return best


@dataclass
class ReportDoc:
    report_id: str
    body: str
    sections: list[Section]
    paragraphs: list[Paragraph]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._para_starts = [p.char_start for p in self.paragraphs]

    def paragraph_at(self, offset: int) -> Paragraph | None:
        """The paragraph containing ``offset`` (None if it falls on a line break)."""
        i = bisect.bisect_right(self._para_starts, offset) - 1
        if i >= 0 and self.paragraphs[i].char_start <= offset < self.paragraphs[i].char_end:
            return self.paragraphs[i]
        return None

    def section_at(self, start: int, end: int | None = None) -> Section:
        """The deepest section whose span contains ``[start, end)``."""
        return deepest_section(self.sections, start, start + 1 if end is None else end)

    def sections_by_id(self) -> dict[str, Section]:
        return {s.section_id: s for s in self.sections}

    def part_of(self, section: Section) -> Section | None:
        """The level-1 ancestor of ``section`` (itself if level 1); None at level 0."""
        by_id = self.sections_by_id()
        while section.level > 1 and section.parent_id:
            section = by_id[section.parent_id]
        return section if section.level == 1 else None
