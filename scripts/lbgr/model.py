"""The per-report document that every extraction stage reads.

A stage is a pure function of a ``ReportDoc``: it returns rows whose ``char_start``/``char_end``
index ``doc.body`` (0-based code points, end exclusive).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any


def frozen_instance(cls, **fields):
    """An instance of the frozen dataclass ``cls`` with every field given, equal to
    ``cls(**fields)``: the generated ``__init__`` sets each field through ``object.__setattr__``,
    which costs microseconds on every figure or keyword hit of every report."""
    return frozen_from(cls, fields)


def frozen_from(cls, fields: dict):
    """``frozen_instance(cls, **fields)`` from a dict: about twice as fast for a dozen fields or
    more, since a call with keyword arguments into ``**fields`` compares each keyword with the
    function's parameter names before collecting it."""
    obj = object.__new__(cls)
    obj.__dict__.update(fields)
    return obj


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


class SectionLookup:
    """The deepest section containing a span, answered from a cache.

    Whether a section contains ``[start, end)`` depends only on where ``start`` falls among the
    sections' starts and ``end`` among their ends, so one scan per such pair of places serves
    every span that shares it.
    """

    def __init__(self, sections: list[Section]):
        self.sections = sections
        self._starts: list[int] | None = None  # made on the first ``deepest``: a sweep needs none
        self._ends: list[int] = []
        self._in_start_order = False
        self._found: dict[tuple[int, int], Section] = {}
        # The last answer, with the interval of starts and of ends that share it: stages ask about
        # the spans of one stretch of text one after the other, which then cost two comparisons.
        self._last = (0, 0, 0, 0, None)  # an empty interval: nothing kept yet

    def deepest(self, start: int, end: int) -> Section:
        """The deepest section holding ``[start, end)``; it depends only on where ``start`` falls
        among the sections' starts and ``end`` among their ends."""
        start_lo, start_hi, end_lo, end_hi, last = self._last
        if start_lo <= start < start_hi and end_lo < end <= end_hi:
            return last
        if self._starts is None:
            self._starts = sorted({s.char_start for s in self.sections})
            self._ends = sorted({s.char_end for s in self.sections})
            self._in_start_order = _ascending([s.char_start for s in self.sections])
        starts, ends = self._starts, self._ends
        i, j = bisect.bisect_right(starts, start), bisect.bisect_left(ends, end)
        key = (i, j)
        best = self._found.get(key)
        if best is None:
            best = self.sections[0]
            for s in self.sections:
                if s.char_start > start:
                    if self._in_start_order:
                        break  # so does every later section: none of them holds the span
                    continue
                if end <= s.char_end and s.level >= best.level:
                    best = s
            self._found[key] = best
        self._last = (starts[i - 1] if i else -_FAR, starts[i] if i < len(starts) else _FAR,
                      ends[j - 1] if j else -_FAR, ends[j] if j < len(ends) else _FAR, best)
        return best

    def deepest_each(self, spans: list[tuple[int, int]]) -> list[Section]:
        """``[self.deepest(start, end) for start, end in spans]``, by one sweep when the sections
        are in order of their starts (as in tree order) and the spans in order of both starts
        and ends (as paragraphs are): a section that ends before one span ends before every
        later one, so only the few sections open at a span are looked at."""
        sections = self.sections
        in_start_order = self._in_start_order if self._starts is not None else _ascending(
            [s.char_start for s in sections])
        if not (in_start_order and _ascending([a for a, _ in spans])
                and _ascending([b for _, b in spans])):
            return [self.deepest(start, end) for start, end in spans]
        out = []
        open_sections: list[Section] = []  # started, in list order, and not ended before the span
        k = 0
        for start, end in spans:
            while k < len(sections) and sections[k].char_start <= start:
                open_sections.append(sections[k])
                k += 1
            open_sections = [s for s in open_sections if end <= s.char_end]
            # What ``deepest`` finds: its scan skips exactly the sections not open here.
            best = sections[0]
            for s in open_sections:
                if s.level >= best.level:
                    best = s
            out.append(best)
        return out


_FAR = float("inf")


def _ascending(values: list[int]) -> bool:
    return values == sorted(values)  # sorting a sorted list is one C-level pass


@dataclass
class ReportDoc:
    report_id: str
    body: str
    sections: list[Section]
    paragraphs: list[Paragraph]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._para_starts = [p.char_start for p in self.paragraphs]
        self._lookup: SectionLookup | None = None

    def paragraph_at(self, offset: int) -> Paragraph | None:
        """The paragraph containing ``offset`` (None if it falls on a line break)."""
        i = bisect.bisect_right(self._para_starts, offset) - 1
        if i >= 0 and self.paragraphs[i].char_start <= offset < self.paragraphs[i].char_end:
            return self.paragraphs[i]
        return None

    def section_at(self, start: int, end: int | None = None) -> Section:
        """The deepest section whose span contains ``[start, end)``."""
        return self.section_lookup().deepest(start, start + 1 if end is None else end)

    def section_lookup(self) -> SectionLookup:
        """The lookup behind ``section_at``, for a stage that asks it about many spans."""
        lookup = self._lookup
        if lookup is None or lookup.sections is not self.sections:  # built once, again if sections are replaced
            lookup = self._lookup = SectionLookup(self.sections)
        return lookup

    def sections_by_id(self) -> dict[str, Section]:
        return {s.section_id: s for s in self.sections}

    def part_of(self, section: Section) -> Section | None:
        """The level-1 ancestor of ``section`` (itself if level 1); None at level 0."""
        by_id = self.sections_by_id()
        while section.level > 1 and section.parent_id:
            section = by_id[section.parent_id]
        return section if section.level == 1 else None
