"""Compliance and candour: one row per report on what the 2019 规定 asks of it.

Everything here is read off the level-1 parts that the spine has already typed (``part_type``,
``elements``) and off ``doc.meta``; the few text patterns live in the codebook
``compliance_rules``:

- which of the elements E1–E5 has a part of its own, and which part (ordinal and section);
- whether problems and plans share one part (存在问题及下一步工作重点);
- whether causes are stated: a statement of causes (究其原因, 原因在于, 根源在于 …) in the text of
  the problems part, its headings left out; a heading that only names 原因 (存在不足和原因) is
  recorded as ``heading_only`` and does not count. The matched words are kept as the evidence
  span (``causes_char_start``, ``causes_char_end``);
- how many problems are enumerated: the problems part's first run of sub-headings or
  enumerated items (一是, 二是 …), else the ``enumerated_item`` pattern counted in its text. In a
  part that merges problems with plans, problems come first, so only the first run counts and
  the problems end with the paragraph that holds its last item;
- the share of body characters spent on problems (the problems part from its marker, or the
  problems portion of a merged part);
- figures per 1,000 characters: the figures of the ``measures`` table (``lbgr.extract.measures.
  count_figures``, the same number grammar, so years, dates, hotlines, slogans and ordinals are
  left out and figures in Chinese numerals count); a measure of data-richness, 明天 2017's 数据;
- timeliness: ``published_on_time`` as the reports table has it, and the days from the end of
  the reported year (31 December) to the publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

from lbgr.extract.measures import count_figures
from lbgr.extract.numbers import NumberGrammar, grammar
from lbgr.parse.context import Context
from lbgr.parse.model import ReportDoc, Section


def _spans(regex: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in regex.finditer(text)]


@dataclass(frozen=True)
class ComplianceRules:
    causes: list[re.Pattern]
    causes_heading: list[re.Pattern]
    enumerated_item: list[re.Pattern]
    element_names: dict[str, str]  # element code -> name in column names (codebook elements)
    element_of_part: dict[str, str]  # part type -> element code (problems -> E2)

    @classmethod
    def from_context(cls, ctx: Context) -> ComplianceRules:
        return _rules(ctx)


@lru_cache(maxsize=8)
def _rules(ctx: Context) -> ComplianceRules:
    by_code: dict[str, list[re.Pattern]] = {}
    for r in ctx.codebook("compliance_rules"):
        by_code.setdefault(r["rule_code"], []).append(re.compile(r["pattern"], re.M))
    elements = ctx.codebook("elements")
    return ComplianceRules(by_code.get("causes", []), by_code.get("causes_heading", []),
                           by_code.get("enumerated_item", []),
                           {r["element_code"]: r["element_name"] for r in elements},
                           {r["part_type"]: r["element_code"] for r in elements})


def causes_span(doc: ReportDoc, start: int, end: int, rules: ComplianceRules) -> tuple[int, int] | None:
    """The first statement of causes in ``doc.body[start:end]`` outside headings of their own line
    (a run-in heading is part of its sentence), as (char_start, char_end) in the body."""
    text = list(doc.body[start:end])
    for s in doc.sections:
        if s.level >= 1 and not s.is_run_in and start <= s.heading_char_start < end:
            for i in range(s.heading_char_start - start, min(s.heading_char_end, end) - start):
                text[i] = "\n"  # a heading is masked, not removed: offsets stay those of the body
    masked = "".join(text)
    hits = [m.span() for p in rules.causes for m in p.finditer(masked)]
    if not hits:
        return None
    a, b = min(hits)
    return start + a, start + b


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


def compliance_row(doc: ReportDoc, rules: ComplianceRules, g: NumberGrammar | None = None) -> dict:
    parts = sorted((s for s in doc.sections if s.level == 1), key=lambda s: s.char_start)
    row: dict = {"report_id": doc.report_id}
    present = set()
    for code, name in rules.element_names.items():
        part = next((s for s in parts if code in (s.elements or "").split()), None)
        row[f"has_{name}_part"] = part is not None
        row[f"{name}_part_ordinal"] = part.ordinal if part else None
        row[f"{name}_section_id"] = part.section_id if part else None
        if part:
            present.add(code)
    row["n_element_parts"] = len(present)
    problems, plans = rules.element_of_part["problems"], rules.element_of_part["plans"]
    merged_parts = [s for s in parts if {problems, plans} <= set((s.elements or "").split())]
    row["is_problems_merged_with_plans"] = bool(merged_parts)

    problem_parts = [s for s in parts if problems in (s.elements or "").split()]
    body = doc.body
    if problem_parts:
        spans = [problems_span(doc, s, s in merged_parts) for s in problem_parts]
        found = [span for a, b, _ in spans if (span := causes_span(doc, a, b, rules)) is not None]
        if found:
            has_causes, evidence, where = True, "text", min(found)
        elif any(p.search(s.heading) for s in problem_parts for p in rules.causes_heading):
            has_causes, evidence, where = False, "heading_only", None
        else:
            has_causes, evidence, where = False, "none", None
        row["causes_char_start"], row["causes_char_end"] = where if where else (None, None)
        n_problems = 0
        for a, b, items in spans:
            if items:
                n_problems += len(items)
            else:
                n_problems += sum(len(_spans(p, body[a:b])) for p in rules.enumerated_item)
        row["has_causes"] = has_causes
        row["causes_evidence"] = evidence
        row["n_problems"] = n_problems
        row["problems_char_share"] = sum(b - a for a, b, _ in spans) / len(body) if body else None
    else:
        row.update({"has_causes": None, "causes_evidence": None, "causes_char_start": None, "causes_char_end": None,
                    "n_problems": None, "problems_char_share": None})

    n_figures = count_figures(doc, g)
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
    return {"compliance": [compliance_row(doc, ComplianceRules.from_context(ctx), grammar(ctx))]}
