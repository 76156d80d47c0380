"""Compliance and candour: one row per report on what the 2019 规定 asks of it.

Everything here is read off the level-1 parts that the spine has already typed (``part_type``,
``elements``) and off ``doc.meta``; the few text patterns live in the codebook
``compliance_rules``:

- which of the elements E1–E5 has a part of its own, and which part (ordinal and section);
- whether problems and plans share one part (存在问题及下一步工作重点);
- whether causes are stated: 原因 in the heading of the problems part, else in its text;
- how many problems are enumerated: the problems part's first run of sub-headings or
  enumerated items (一是, 二是 …), else the ``enumerated_item`` pattern counted in its text. In a
  part that merges problems with plans, problems come first, so only the first run counts and
  the problems end with the paragraph that holds its last item;
- the share of body characters spent on problems (the problems part from its marker, or the
  problems portion of a merged part);
- figures per 1,000 characters (``count_figures``: digit runs, dates and document numbers left
  out; a deliberately simple measure of data-richness, 明天 2017's 数据);
- timeliness: ``published_on_time`` as the reports table has it, and the days from the end of
  the reported year (31 December) to the publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

# The parser behind ``re``, to read which characters a rule's matches can start with.
from re import _compiler as _sre_compiler
from re import _constants as _sre
from re import _parser as _sre_parse

from .context import Context
from .model import ReportDoc, Section

# The element codes of the 2019 规定 and the names the package gives them (as in the reports table).
ELEMENT_NAMES = {"E1": "achievements", "E2": "problems", "E3": "responsibility", "E4": "plans",
                 "E5": "other_matters"}


@dataclass(frozen=True)
class ComplianceRules:
    causes: list[re.Pattern]
    enumerated_item: list[re.Pattern]
    figure_token: re.Pattern
    figure_exclusions: list[re.Pattern]

    @classmethod
    def from_context(cls, ctx: Context) -> ComplianceRules:
        return _rules(ctx)


@lru_cache(maxsize=8)
def _rules(ctx: Context) -> ComplianceRules:
    by_code: dict[str, list[re.Pattern]] = {}
    for r in ctx.codebook("compliance_rules"):
        by_code.setdefault(r["rule_code"], []).append(re.compile(r["pattern"], re.M))
    return ComplianceRules(by_code.get("causes", []), by_code.get("enumerated_item", []),
                           by_code["figure_token"][0], by_code.get("figure_exclusion", []))


# --- finding a rule's matches fast ------------------------------------------------------------

_CATEGORY_CLASS = {_sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_NOT_DIGIT: r"\D", _sre.CATEGORY_SPACE: r"\s",
                   _sre.CATEGORY_NOT_SPACE: r"\S", _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_NOT_WORD: r"\W"}


def _first_items(items) -> tuple[list, bool] | None:
    """(class items one of which every match of the parsed sequence ``items`` starts with, whether
    the sequence can match the empty string), or None when that cannot be told."""
    first: list = []
    for op, av in items:
        if op is _sre.LITERAL:
            return first + [(op, av)], False
        if op is _sre.IN:
            if any(o is _sre.NEGATE for o, _ in av):
                return None  # a negated class could not be merged with another
            return first + list(av), False
        if op in (_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT):
            continue  # consumes nothing: the match starts with what follows
        if op is _sre.SUBPATTERN:
            if av[1] or av[2]:
                return None  # local flags (say, ignore case) would change the characters
            inner = _first_items(av[3].data)
        elif op is _sre.ATOMIC_GROUP:
            inner = _first_items(av.data)
        elif op is _sre.BRANCH:
            alts = [_first_items(alt.data) for alt in av[1]]
            inner = None if None in alts else ([i for a, _ in alts for i in a], any(n for _, n in alts))
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            inner = _first_items(av[2].data)
            inner = inner and (inner[0], inner[1] or av[0] == 0)
        else:
            return None
        if inner is None:
            return None
        first += inner[0]
        if not inner[1]:
            return first, False
    return first, True


def _class(items: list) -> str | None:
    """The items of ``_first_items`` written as a character class, or None if one is unfamiliar."""
    parts = []
    for op, av in items:
        if op is _sre.LITERAL:
            parts.append(re.escape(chr(av)))
        elif op is _sre.RANGE:
            parts.append(re.escape(chr(av[0])) + "-" + re.escape(chr(av[1])))
        elif op is _sre.CATEGORY and av in _CATEGORY_CLASS:
            parts.append(_CATEGORY_CLASS[av])
        else:
            return None
    return "[" + "".join(parts) + "]"


@lru_cache(maxsize=256)
def _skipper(regex: re.Pattern) -> re.Pattern | None:
    """A regex that finds the next place where ``regex`` matches, in far fewer steps, or None.

    The engine looks for a pattern that opens with a look-behind or a repeat (``\\d+``) by trying
    it at every character. Led by a class of the characters its matches can start with, the
    search skips every other character at once; the look-behind, from one character back, then
    tries ``regex`` itself there (in a look-ahead, so it consumes nothing and numbers no group).
    Only a pattern that cannot match the empty string qualifies: every match then begins with one
    of those characters, and ``finditer`` resumes where the last match ended.
    """
    if regex.flags & re.VERBOSE:
        return None  # a comment in the pattern would swallow what follows it
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
        if parsed.getwidth()[0] == 0:
            return None  # empty matches follow rules of their own in ``finditer``
        found = _first_items(parsed.data)
        if found is None or found[1] or not found[0]:
            return None
        first = _class(found[0])
        return re.compile(f"{first}(?<=(?={regex.pattern})(?s:.))", regex.flags) if first else None
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def match_spans(regex: re.Pattern, text: str) -> list[tuple[int, int]]:
    """The spans of ``regex.finditer(text)``, found the fastest way ``_finder`` knows of."""
    how, finder, skip = _finder(regex)
    if how == "finditer":
        return [m.span() for m in finder.finditer(text)]
    # ``finder`` lands ``skip`` characters before where a match begins, and the next search resumes
    # where that match ends (less ``skip``: what the finder reads first may belong to the match
    # before), as in ``finditer``.
    search, match = finder.search, regex.match
    spans = []
    pos = 0
    while (hop := search(text, pos)) is not None:
        at = hop.start() + skip
        end = match(text, at).end()
        spans.append((at, end))
        pos = max(end - skip, 0)
    return spans


@lru_cache(maxsize=256)
def _finder(regex: re.Pattern) -> tuple[str, re.Pattern, int]:
    """How ``match_spans`` finds the matches of ``regex``, from the fastest way that applies:

    - ("finditer", an equivalent regex that opens with a character class, 0): a pattern that
      opens with a repeat of one character (``\\d+``) is tried by the engine at every character,
      but written with one copy of that character first (``\\d\\d*``, ``_class_led``) it is tried
      only where that character is, found by the engine's fast scan for a class;
    - ("search", a regex that finds the text of a look-behind the pattern opens with, its length):
      ``(?<=第)\\d+`` can match only right after a 第, and a fixed text is what the engine finds
      fastest of all;
    - ("search", ``_skipper(regex)``, 0);
    - ("finditer", ``regex`` itself, 0).
    """
    led = _class_led(regex)
    if led is not None:
        return "finditer", led, 0
    behind = _literal_behind(regex)
    if behind:
        try:
            return "search", re.compile(re.escape(behind) + f"(?={regex.pattern})", regex.flags), len(behind)
        except re.error:  # say, inline flags that must stay at the start
            pass
    skipper = _skipper(regex)
    if skipper is not None:
        return "search", skipper, 0
    return "finditer", regex, 0


def _parsed(regex: re.Pattern):
    """The parse of ``regex`` if it is one ``match_spans`` may rewrite or skip through, else None:
    no verbose comments, and no empty matches (they follow rules of their own in ``finditer``)."""
    if regex.flags & re.VERBOSE:
        return None
    try:
        parsed = _sre_parse.parse(regex.pattern, regex.flags)
        return parsed if parsed.getwidth()[0] > 0 else None
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _class_led(regex: re.Pattern) -> re.Pattern | None:
    """``regex`` with a leading repeat of one character, X{m,n} (m ≥ 1), written X X{m-1,n-1}: the
    same matches, found faster (see ``_finder``); None if it does not open so."""
    parsed = _parsed(regex)
    if parsed is None or not parsed.data or regex.flags & re.IGNORECASE:
        return None
    op, av = parsed.data[0]
    if op not in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) or av[0] < 1 or len(av[2].data) != 1:
        return None
    item = av[2].data[0]
    if item[0] not in (_sre.IN, _sre.LITERAL) or av[2].getwidth() != (1, 1):
        return None
    low, high = av[0] - 1, av[1] if av[1] == _sre.MAXREPEAT else av[1] - 1
    parsed.data[0:1] = [item, (op, (low, high, av[2]))]
    try:
        return _sre_compiler.compile(parsed, regex.flags)
    except Exception:  # an unfamiliar compiler: go without the shortcut
        return None


def _literal_behind(regex: re.Pattern) -> str:
    """The fixed text of a look-behind that ``regex`` opens with (``(?<=第)`` gives 第), or ""."""
    parsed = _parsed(regex)
    if parsed is None or not parsed.data or regex.flags & re.IGNORECASE:
        return ""
    op, av = parsed.data[0]
    if op is not _sre.ASSERT or av[0] != -1 or not av[1].data:
        return ""
    if not all(o is _sre.LITERAL for o, _ in av[1].data):
        return ""
    return "".join(chr(c) for _, c in av[1].data)


def count_figures(text: str, rules: ComplianceRules) -> int:
    """Digit runs (``\\d+`` with inner ``.``/``,``: 1.25, 14,415) that are not excluded.

    An exclusion pattern that matches exactly a token's span removes it: years, months and days
    (2023年, 2月), document numbers (〔2023〕), numbered headings ((1), 1.). Chinese numerals are
    not counted.
    """
    excluded = {span for p in rules.figure_exclusions for span in match_spans(p, text)}
    return sum(1 for span in match_spans(rules.figure_token, text) if span not in excluded)


def _children(doc: ReportDoc, part: Section) -> list[Section]:
    return [s for s in doc.sections if s.parent_id == part.section_id]


def _first_run(children: list[Section]) -> list[Section]:
    """The leading run of siblings numbered 1, 2, 3 …; a restart at 1 begins the next list."""
    run: list[Section] = []
    for s in children:
        if run and s.ordinal <= run[-1].ordinal:
            break
        run.append(s)
    return run


def problems_span(doc: ReportDoc, part: Section, merged: bool) -> tuple[int, int, list[Section]]:
    """(start, end, enumerated items) of the problems in ``part``."""
    items = _first_run(_children(doc, part))
    end = part.char_end
    if merged and items:
        last = doc.paragraph_at(items[-1].char_start)
        if last is not None:
            end = min(end, last.char_end)
    return part.char_start, end, items


def compliance_row(doc: ReportDoc, rules: ComplianceRules) -> dict:
    parts = sorted((s for s in doc.sections if s.level == 1), key=lambda s: s.char_start)
    row: dict = {"report_id": doc.report_id}
    present = set()
    for code, name in ELEMENT_NAMES.items():
        part = next((s for s in parts if code in (s.elements or "").split()), None)
        row[f"has_{name}_part"] = part is not None
        row[f"{name}_part_ordinal"] = part.ordinal if part else None
        row[f"{name}_section_id"] = part.section_id if part else None
        if part:
            present.add(code)
    row["n_element_parts"] = len(present)
    merged_parts = [s for s in parts if {"E2", "E4"} <= set((s.elements or "").split())]
    row["is_problems_merged_with_plans"] = bool(merged_parts)

    problem_parts = [s for s in parts if "E2" in (s.elements or "").split()]
    body = doc.body
    if problem_parts:
        spans = [problems_span(doc, s, s in merged_parts) for s in problem_parts]
        if any(p.search(s.heading) for s in problem_parts for p in rules.causes):
            has_causes, evidence = True, "heading"
        elif any(p.search(body[a:b]) for a, b, _ in spans for p in rules.causes):
            has_causes, evidence = True, "text"
        else:
            has_causes, evidence = False, "none"
        n_problems = 0
        for a, b, items in spans:
            if items:
                n_problems += len(items)
            else:
                n_problems += sum(len(match_spans(p, body[a:b])) for p in rules.enumerated_item)
        row["has_causes"] = has_causes
        row["causes_evidence"] = evidence
        row["n_problems"] = n_problems
        row["problems_char_share"] = sum(b - a for a, b, _ in spans) / len(body) if body else None
    else:
        row.update({"has_causes": None, "causes_evidence": None, "n_problems": None, "problems_char_share": None})

    n_figures = count_figures(body, rules)
    row["n_figures"] = n_figures
    row["figures_per_1000_chars"] = round(n_figures * 1000 / len(body), 3) if body else None

    meta = doc.meta or {}
    publish_date = meta.get("publish_date")
    year = meta.get("report_year")
    row["published_on_time"] = meta.get("published_on_time")
    row["days_after_year_end"] = (
        (dt.date.fromisoformat(publish_date) - dt.date(int(year), 12, 31)).days if publish_date and year else None)
    return row


def extract_compliance(doc: ReportDoc, ctx: Context) -> dict[str, list[dict]]:
    return {"compliance": [compliance_row(doc, ComplianceRules.from_context(ctx))]}


def register() -> None:
    """Add the compliance stage to the registry (idempotent)."""
    from . import stages

    if not any(fn is extract_compliance for _, fn in stages.PER_REPORT_STAGES):
        stages.PER_REPORT_STAGES.append(("compliance", extract_compliance))
