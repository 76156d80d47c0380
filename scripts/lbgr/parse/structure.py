"""The heading grammar: sections (a tree of headings) and paragraphs of a normalised body.

Markers, from the outermost kind to the innermost:

- ``cn_part``     第一部分 at the start of a line (a part);
- ``cn_dun``      一、 at the start of a line (a part, level 1); a line that begins with a bare 、
                  (a page that lost the numeral) and holds no 。 is the next part;
- ``cn_paren``    (一) at the start of a line;
- ``arabic_dot``  1. or 1、 at the start of a line;
- ``arabic_paren``(1) at the start of a line;
- ``circled``     ① at the start of a line;
- ``cn_shi``      一是 … 二是 …, leading a paragraph or inside one after a clause break.

An unnumbered part (``unnumbered``, level 1, empty marker) is read only on strong evidence,
before any numbered part has begun (or as the sibling of an earlier unnumbered part): a short
line with no sentence punctuation, not a title (报告), date or signature, right above a line
that starts a new sequence (一、, (一), 第一部分), which is then its subdivision
(2023年度工作回顾 above 一、…); or a paragraph's short opening sentence (no comma, at most 20
characters) right before its 一是 list, which is then its subdivision. An introduction's
heading line (引 言, 前言) before everything else is an unnumbered part of type ``other`` that the
first numbered part closes.

A marker opens a section under the nearest open section of an outer kind, so levels are depths
in the tree: a report that puts 一是 paragraphs directly under its parts gets them at level 2,
one that has (一) headings in between gets them at level 3. A marker is accepted only when its
number continues the sequence of its siblings (一 first, then 二 …), which keeps words such as
统一是 or a stray 三、 from becoming headings. An 一是 list that starts inside a paragraph ends with
that paragraph; one that leads a paragraph runs on until the next sibling or outer heading.

A heading stands on its own line, or runs into its paragraph and ends at the first 。 (；/; for
一是 items).

Pages that lost their line breaks glue a heading to the text before and after it: a 一、, (一) or
第一部分 marker inside a line, right after a 。 or a space, is read as if it began a line (it
still has to continue its siblings' sequence), and a heading ends at a space that comes before
such a glued marker. Characters a page lost before a marker (``??一、``) are passed over.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache

from lbgr.ingest.numerals import cn_small_int

# Markers are read from one to three of ten numerals, so at most 1,110 strings are ever looked up.
_small_int = cache(cn_small_int)

RANK = {"document": 0, "unnumbered": 1, "cn_part": 2, "cn_dun": 3, "cn_paren": 4, "arabic_dot": 5, "arabic_paren": 6,
        "circled": 7, "cn_shi": 8}
_CN = "[一二三四五六七八九十]{1,3}"
LINE_MARKERS = [
    ("cn_dun", re.compile(rf"^({_CN}|(?=、[^。]*$))、")),
    ("cn_paren", re.compile(rf"^[(（]({_CN})[)）]")),
    ("arabic_dot", re.compile(r"^(\d{1,2})(?:[.．](?!\d)|、)")),
    ("arabic_paren", re.compile(r"^[(（](\d{1,2})[)）]")),
    ("circled", re.compile(r"^([①-⑳])")),
    ("cn_part", re.compile(rf"^第({_CN})部分(?:[、:：,，.]|\s)?")),
]
# A marker glued inside a line (a page that lost its line breaks): after a 。 or a space.
_GLUED_MARKER = re.compile(rf"(?<=[。 ])(?:{_CN}、|[(（]{_CN}[)）]|第{_CN}部分)")
# Characters a page lost (shown as ?), before a marker at the start of a line.
_LOST_LEAD = re.compile(r"[?？\ufffd]+(?=[一二三四五六七八九十(（第])")
SHI_MARKER = re.compile(rf"(?:^|(?<=[。；;：:，,！？!?]))({_CN})是", re.M)
_CN_DIGITS = frozenset("一二三四五六七八九十")
_SHI_AFTER = frozenset("。；;：:，,！？!?\n")
# The line markers that can match a line starting with a given character, in LINE_MARKERS
# order; a line starting with a digit (\d: str.isdecimal) can only be arabic_dot, any other
# line none. Most lines are prose, and 一是 lines would otherwise try every pattern.
_MARKERS_BY_FIRST = {
    **dict.fromkeys("一二三四五六七八九十", [LINE_MARKERS[0]]),
    "、": [LINE_MARKERS[0]],
    "第": [LINE_MARKERS[5]],
    **dict.fromkeys("(（", [LINE_MARKERS[1], LINE_MARKERS[3]]),
    **dict.fromkeys(map(chr, range(ord("①"), ord("⑳") + 1)), [LINE_MARKERS[4]]),
}
_DIGIT_MARKERS = [LINE_MARKERS[2]]


def line_marker_candidates(first: str) -> list[tuple[str, re.Pattern]]:
    """The LINE_MARKERS (in their order) that can match a line whose first character is ``first``."""
    return _MARKERS_BY_FIRST.get(first) or (_DIGIT_MARKERS if first.isdecimal() else [])
_SHI_HEADING_END = "。；;"  # an 一是 item's heading ends at the first of these
# An unnumbered part heading (see ``_TreeBuilder.unnumbered``): a short line, or a paragraph's
# short opening sentence, with no sentence punctuation, that is not the title, a date or a signature.
_UNNUMBERED_MAX = 40
_UNNUMBERED_RUN_IN_MAX = 20
_NOT_IN_UNNUMBERED = frozenset("。；;：:！!？?《》“”\"")
_NOT_AN_UNNUMBERED = re.compile(
    r"报告|[0-9０-９]{4}[-/.年][0-9０-９]{1,2}|(?:人民政府|政府|委员会|办公室|局|厅|委|部|院)$|^[\W\d_]*$")
# An introduction's heading line (引 言, 前言): an unnumbered part of type ``other`` before the first
# numbered part, which closes it.
_INTRO = frozenset({"引言", "前言", "导言", "序言"})
# The line markers that open a new sequence under an unnumbered part (一、, (一), 第一部分).
_FIRST_OF_SEQUENCE = re.compile(r"(?:[?？\ufffd]*)(?:一、|[(（]一[)）]|第一部分)")
_TRIM = "。；;：:，, "


class _Node:
    """A section while the tree is built (a plain class with slots: a report opens dozens)."""

    __slots__ = ("marker_type", "ordinal", "marker", "start", "heading_start", "heading_end", "is_run_in",
                 "parent", "inline", "end", "last_ordinal", "section_id", "level")

    def __init__(self, marker_type: str, ordinal: int, marker: str, start: int, heading_start: int,
                 heading_end: int, is_run_in: bool, parent: _Node | None, inline: bool = False,
                 end: int | None = None):
        self.marker_type = marker_type
        self.ordinal = ordinal
        self.marker = marker
        self.start = start
        self.heading_start = heading_start
        self.heading_end = heading_end
        self.is_run_in = is_run_in
        self.parent = parent
        self.inline = inline  # an 一是 item that began inside a paragraph
        self.end = end
        # The ordinal of the last child of each marker type: what the next sibling must continue.
        self.last_ordinal: dict[str, int] = {}
        self.section_id = ""  # set when the sections are numbered
        self.level = 0 if parent is None else parent.level + 1


def _ordinal(marker_type: str, num: str) -> int | None:
    if marker_type in ("arabic_dot", "arabic_paren"):
        return int(num)
    if marker_type == "circled":
        return ord(num) - ord("①") + 1
    if num == "":
        return 0  # a bare 、: the numeral was lost, the part continues its siblings (see _accepts)
    return _small_int(num)


def _heading_span(body: str, start: int, stop: int, line_end: int, stops: str) -> tuple[int, int, bool]:
    """(heading_start, heading_end, run_in) for a heading whose text starts at ``start``.

    The heading ends at the first of ``stops`` before ``stop``; it runs in when text follows
    on the same line.
    """
    cut = stop
    for c in stops:  # the first of them: each search ends where an earlier one found its character
        i = body.find(c, start, cut)
        if i >= 0:
            cut = i
    if cut < stop:
        # Text follows when the line's last character is not a space (lines are stripped, so
        # it never is), else when anything but spaces is left after the cut.
        run_in = cut + 1 < line_end and (not body[line_end - 1].isspace() or body[cut + 1:line_end].strip() != "")
    else:
        run_in = stop < line_end
    end = cut
    while end > start and body[end - 1] in _TRIM:
        end -= 1
    return start, end, run_in


class _TreeBuilder:
    def __init__(self, body: str, end_of_sections: int):
        self.body = body
        self.limit = end_of_sections
        self.root = _Node("document", 0, "", 0, 0, 0, False, None, end=len(body))
        self.stack: list[_Node] = [self.root]
        self.nodes: list[_Node] = [self.root]  # in the order opened
        # Every 一是 marker of the body, found in one scan: where a line's scan would start
        # changes nothing, since a marker never begins inside another (see _shi_markers).
        self.shi = _shi_markers(body)
        self.shi_starts = [m[0] for m in self.shi]
        self.intro: _Node | None = None  # an open introduction part, closed by the first line marker

    def _close_until(self, rank: int, at: int) -> None:
        while len(self.stack) > 1 and RANK[self.stack[-1].marker_type] >= rank:
            self.stack.pop().end = at

    def _accepts(self, parent: _Node, marker_type: str, ordinal: int) -> bool:
        return ordinal == parent.last_ordinal.get(marker_type, 0) + 1 or ordinal == 0

    def _open(self, node: _Node) -> None:
        if node.ordinal == 0:  # a lost numeral: the next in the sequence
            node.ordinal = node.parent.last_ordinal.get(node.marker_type, 0) + 1
        node.parent.last_ordinal[node.marker_type] = node.ordinal
        self.stack.append(node)
        self.nodes.append(node)

    def line(self, start: int, end: int) -> None:
        if start >= self.limit:
            self._close_until(1, self.limit - 1 if self.limit > 0 else 0)
            return
        opened_line_marker = False
        first = self.body[start] if start < end else ""
        if first in "?？\ufffd" and (lost := _LOST_LEAD.match(self.body, start, end)):
            start = lost.end()
            first = self.body[start]
        candidates = line_marker_candidates(first)
        text = self.body[start:end] if candidates else ""
        for marker_type, pattern in candidates:
            m = pattern.match(text)
            if not m:
                continue
            ordinal = _ordinal(marker_type, m.group(1))
            rank = RANK[marker_type]
            # The parent is the innermost open section of an outer kind.
            depth = len(self.stack) - 1
            while depth > 0 and RANK[self.stack[depth].marker_type] >= rank:
                depth -= 1
            parent = self.stack[depth]
            if ordinal is None or not self._accepts(parent, marker_type, ordinal):
                continue
            if self.intro is not None:  # the first numbered part ends the introduction
                if parent is self.intro:
                    parent = self.root
                    if not self._accepts(parent, marker_type, ordinal):
                        continue
                self._close_until(RANK["unnumbered"], start - 1)
                self.intro = None
            self._close_until(rank, start - 1)
            hs, he, run_in = _heading_span(self.body, start + m.end(), end, end, "。")
            self._open(_Node(marker_type, ordinal, m.group(0).rstrip(), start, hs, he, run_in, parent))
            opened_line_marker = True
            break
        self._shi_items(start, end, self.stack[-1].heading_end if opened_line_marker else start)

    def _may_open_unnumbered(self) -> bool:
        """Whether an unnumbered part may open here: nothing numbered is open and none of the
        line-marker kinds has begun a sequence at the top, or the open part is unnumbered too
        (the next one is its sibling)."""
        if len(self.stack) > 1:
            return self.stack[1].marker_type == "unnumbered"
        return not any(kind in self.root.last_ordinal for kind in RANK if kind not in ("unnumbered", "cn_shi"))

    def unnumbered(self, start: int, heading_end: int, run_in: bool, intro: bool = False) -> bool:
        """Open an unnumbered level-1 part whose heading is ``body[start:heading_end]``, when
        ``_may_open_unnumbered`` (an introduction only before anything else); True when it opened."""
        if start >= self.limit or not self._may_open_unnumbered() or (intro and len(self.stack) > 1):
            return False
        self._close_until(RANK["unnumbered"], start - 1)
        node = _Node("unnumbered", self.root.last_ordinal.get("unnumbered", 0) + 1, "", start, start,
                     heading_end, run_in, self.root)
        self._open(node)
        if intro:
            self.intro = node
        return True

    def _shi_items(self, start: int, end: int, skip_to: int) -> None:
        shi, starts = self.shi, self.shi_starts
        i = bisect_left(starts, skip_to)
        n = bisect_left(starts, end, i)
        if i == n:
            return  # no marker, and no 一是 list began in this paragraph to end with it
        stack, body = self.stack, self.body
        if skip_to == start and shi[i][2] == 1 and shi[i][0] > start and _run_in_unnumbered(body, start, shi[i][0]):
            # A paragraph that opens with a short sentence and then lists 一是 … : the sentence
            # heads a part and the list is its subdivision (running on like a leading list).
            if self.unnumbered(start, shi[i][0] - 1, True):
                start = shi[i][0]
        for k in range(i, n):
            at, after, ordinal, marker = shi[k]
            if ordinal is None:
                continue
            top = stack[-1]
            if top.marker_type == "cn_shi" and ordinal == top.ordinal + 1:
                stack.pop().end = at
                parent = stack[-1]
            elif ordinal == 1:
                parent = top
            else:
                continue
            # A second 一是 list may follow a finished one under the same heading.
            if ordinal != 1 and not self._accepts(parent, "cn_shi", ordinal):
                continue
            # The item runs to the next marker of the line (markers never overlap).
            item_end = starts[k + 1] if k + 1 < n else end
            hs, he, run_in = _heading_span(body, after, item_end, end, _SHI_HEADING_END)
            self._open(_Node("cn_shi", ordinal, marker, at, hs, he, run_in, parent, at != start))
        # 一是 lists that began inside this paragraph end with it.
        while len(stack) > 1 and stack[-1].marker_type == "cn_shi" and stack[-1].inline:
            stack.pop().end = end

    def finish(self) -> _Node:
        self._close_until(1, min(self.limit, len(self.body)))
        return self.root


def unnumbered_heading_text(text: str, limit: int = _UNNUMBERED_MAX) -> bool:
    """Whether ``text`` can be an unnumbered part heading: short, no sentence punctuation or
    quotes, not a title (报告), a date, an issuer's signature or a line of no words."""
    text = text.strip()
    return (2 <= len(text) <= limit and not any(c in _NOT_IN_UNNUMBERED for c in text)
            and _NOT_AN_UNNUMBERED.search(text) is None)


def _run_in_unnumbered(body: str, start: int, at: int) -> bool:
    """Whether ``body[start:at]``, the text of a paragraph before its first 一是, is one short
    sentence ending in 。 with no comma: a run-in part heading."""
    return (at - start >= 3 and body[at - 1] == "。"
            and not any(c in "，,、" for c in body[start:at - 1])
            and unnumbered_heading_text(body[start:at - 1], _UNNUMBERED_RUN_IN_MAX))


def _shi_markers(body: str) -> list[tuple[int, int, int | None, str]]:
    """(start, end, ordinal, marker) of each match of ``SHI_MARKER`` in ``body``, in order.

    Found from each 是 by looking back, far faster than any regex scan of the whole body: a
    match is the whole run of numerals before a 是, one to three of them, after a clause break
    or at the start (a longer run, or one after other text, holds no match: the character
    before any of its numerals would not be a clause break).
    """
    out = []
    find = body.find
    i = find("是")
    while i >= 0:
        j = i
        while j > 0 and body[j - 1] in _CN_DIGITS:
            j -= 1
        if 0 < i - j <= 3 and (j == 0 or body[j - 1] in _SHI_AFTER):
            out.append((j, i + 1, _small_int(body[j:i]), body[j:i + 1]))
        i = find("是", i + 1)
    return out


def _tree_nodes(body: str, line_spans: list[tuple[int, int]], first_line: int, end_of_sections: int) -> list[_Node]:
    """Parse the headings of ``body`` (lines before ``first_line``, the title, carry none):
    every node of its tree, the root first, in pre-order, which is the order they were opened
    in, since each opens under the innermost open one, after all its earlier siblings."""
    builder = _TreeBuilder(body, end_of_sections)
    for i, (start, end) in enumerate(line_spans):
        if i >= first_line:
            if _heads_a_sequence(body, line_spans, i) and builder.unnumbered(start, end, False):
                continue
            if end - start <= 5 and body[start:end].replace(" ", "") in _INTRO and builder.unnumbered(
                    start, end, False, intro=True):
                continue
            for seg_start, seg_end in _segments(body, start, end):
                builder.line(seg_start, seg_end)
    builder.finish()
    # Trailing line breaks are not part of a section.
    for node in builder.nodes:
        while node.end > node.start and body[node.end - 1] == "\n":
            node.end -= 1
    return builder.nodes


def _heads_a_sequence(body: str, spans: list[tuple[int, int]], i: int) -> bool:
    """Whether line ``i`` is a standalone unnumbered part heading: a short line with no
    sentence punctuation (``unnumbered_heading_text``) and no marker, right above a line that
    opens a numbered sequence (一、, (一), 第一部分)."""
    start, end = spans[i]
    if end - start < 2 or end - start > _UNNUMBERED_MAX or body[start] in _CN_DIGITS or body[start] in "(（第":
        return False
    j = i + 1
    while j < len(spans) and spans[j][0] == spans[j][1]:
        j += 1
    if j == len(spans) or not _FIRST_OF_SEQUENCE.match(body, spans[j][0], spans[j][1]):
        return False
    return unnumbered_heading_text(body[start:end])


def _segments(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """The line ``body[start:end]`` cut before every marker glued inside it (``_GLUED_MARKER``);
    a space before such a marker ends the segment before it. Most lines hold none."""
    if end - start < 4 or not any(c in body[start + 1:end] for c in "、)）分"):
        return [(start, end)]
    cuts = [m.start() for m in _GLUED_MARKER.finditer(body, start + 1, end)]
    if not cuts:
        return [(start, end)]
    out, pos = [], start
    for cut in cuts:
        stop = cut - 1 if body[cut - 1] == " " else cut
        if stop > pos:
            out.append((pos, stop))
        pos = cut
    out.append((pos, end))
    return out


def line_spans(body: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for line in body.split("\n"):
        spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    return spans


def classify_part(heading: str, part_rows: list[dict[str, str]], content: str = "") -> tuple[str, str]:
    """(part_type, elements) of a level-1 part from the rules of the codebook (see ``PartRules``)."""
    return PartRules(part_rows).classify(heading, content)


class PartRules:
    """The part type of a level-1 part, from the codebook's rules in three steps:

    1. ``heading`` rules: the heading announces an element (主要举措和成效, 存在的问题, 下一步打算);
       several types announced make the part ``mixed``;
    2. else ``heading_task`` rules: the heading names a task of the national outline or the
       year's work without an element word (深入推进依法行政，全面履行政府职能; 法治政府建设情况);
    3. else ``content`` rules: the part's text is counted for each rule's pattern, and the type
       with the most hits wins when it has at least ``_MIN_CONTENT_HITS`` and at least twice as
       many as the next (what was done, what falls short, what will be done);
    4. else ``heading_action`` rules: the heading is an action phrase describing the year's work
       (强化政治担当; 优化职能体系，推动…), which an excerpt's thin content may not settle; taken
       only when no other type has as many content hits.

    Otherwise ``other``.
    """

    _MIN_CONTENT_HITS = 3

    def __init__(self, part_rows: list[dict[str, str]]):
        def rules(kind: str) -> list[tuple[re.Pattern, str, str]]:
            return [(re.compile(row["pattern"]), row["element_code"], row["part_type"])
                    for row in part_rows if row["evidence"] == kind]

        self.heading = rules("heading")
        self.heading_task = rules("heading_task")
        self.content = rules("content")
        self.heading_action = rules("heading_action")

    def classify(self, heading: str, content: str = "") -> tuple[str, str]:
        for rules in (self.heading, self.heading_task):
            found = _classify_part(heading, rules)
            if found[0] != "other" or found[1]:
                return found
        counts = []
        if content and self.content:
            counts = sorted(((len(pattern.findall(content)), code, part_type)
                             for pattern, code, part_type in self.content), reverse=True)
            best = counts[0]
            runner_up = counts[1][0] if len(counts) > 1 else 0
            if best[0] >= self._MIN_CONTENT_HITS and best[0] >= 2 * runner_up:
                return best[2], best[1]
        found = _classify_part(heading, self.heading_action)
        if found[0] != "other":
            # Only when the text does not lean elsewhere: every other type's content hits stay
            # below the action type's (and are none when it has none).
            own = sum(n for n, _, t in counts if t == found[0])
            if any(n >= max(own, 1) for n, _, t in counts if t != found[0]):
                return "other", ""
        return found


def _classify_part(heading: str, rules: list[tuple[re.Pattern, str, str]]) -> tuple[str, str]:
    hits = [(code, part_type) for pattern, code, part_type in rules if pattern.search(heading)]
    if not hits:
        return "other", ""
    elements = " ".join(sorted({code for code, _ in hits}))
    types = {t for _, t in hits}
    return (types.pop() if len(types) == 1 else "mixed"), elements


def sections_and_paragraphs_with_rows(report_id: str, body: str, first_line: int, end_of_sections: int,
                                      part_rows: list[dict[str, str]], title: str):
    """(sections, paragraphs, section rows, paragraph rows) of one body: the rows (dicts for the
    tables) hold the objects' fields but are not the objects' own, so either may change alone.
    Each object is made from its row: copying it once here saves copying the objects back."""
    from lbgr.parse.model import Paragraph, Section, deepest_section

    spans = line_spans(body)
    # Pre-order is already the order of (start, level): each node starts after every node
    # opened before it, the root (level 0, at 0) aside.
    nodes = _tree_nodes(body, spans, first_line, end_of_sections)
    part_rules = PartRules(part_rows)
    section_rows = []
    for i, n in enumerate(nodes):
        n.section_id = section_id = f"{report_id}-s{i:03d}"
        if n.parent is None:
            hs = body.find(title) if title else -1
            heading, hs, he = (title, hs, hs + len(title)) if hs >= 0 else ("", 0, 0)
            part_type = elements = None
        else:
            hs, he = n.heading_start, n.heading_end
            heading = body[hs:he]
            if n.level != 1:
                part_type, elements = None, None
            elif n.marker_type == "unnumbered" and heading.replace(" ", "") in _INTRO:
                part_type, elements = "other", ""  # an introduction reports no element
            else:
                part_type, elements = part_rules.classify(heading, body[he:n.end])
        section_rows.append({
            "section_id": section_id, "report_id": report_id,
            "parent_id": n.parent.section_id if n.parent else None, "level": n.level, "ordinal": n.ordinal,
            "marker": n.marker, "marker_type": n.marker_type, "is_run_in": n.is_run_in, "heading": heading,
            "heading_char_start": hs, "heading_char_end": he, "part_type": part_type,
            "elements": elements or None, "char_start": n.start, "char_end": n.end})
    sections = [Section(**row) for row in section_rows]
    in_section = [deepest_section(sections, start, end) for start, end in spans]
    paragraph_rows = [{
        "paragraph_id": f"{report_id}-p{i:04d}", "report_id": report_id,
        "section_id": section.section_id, "ordinal": i, "text": body[start:end],
        "char_start": start, "char_end": end} for i, ((start, end), section) in enumerate(zip(spans, in_section), 1)]
    paragraphs = [Paragraph(**row) for row in paragraph_rows]
    return sections, paragraphs, section_rows, paragraph_rows
