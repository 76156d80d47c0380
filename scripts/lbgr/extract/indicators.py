"""The indicator codebook (data/codebooks/indicators.csv): mapping mentions to codes, and the
``report_indicators`` derived stage.

Every rule lives in the codebook; this module only applies it. See
``data/codebooks/indicators.md`` for the columns and for the tie-breaking rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Words that mark a figure as a total for the whole reporting period or jurisdiction; a
# candidate stated with one of them ranks before one without (tie-break rule 4).
TOTAL_MARKERS = re.compile(r"共|累计|合计|总计|全年|全市|全区|全县|全旗|全州|全省")
# Parts of a report whose figures are not the year's results (plans E4, problems E2).
NOT_RESULTS = {"plans", "problems"}
PART_MARKERS = re.compile(r"其中|包括|含")
# Added to the distance of a pattern match outside the figure's own clause.
BORROWED_PENALTY = 1000


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    value_kinds: tuple[str, ...]
    units: frozenset[str]
    unit_order: tuple[str, ...]
    pattern: re.Pattern
    sentence_pattern: re.Pattern | None
    exclude_pattern: re.Pattern | None
    noun_exclude_pattern: re.Pattern | None
    preferred_pattern: re.Pattern | None
    priority: int

    @classmethod
    def from_row(cls, row: dict[str, str]) -> IndicatorRule:
        def rx(key: str) -> re.Pattern | None:
            text = (row.get(key) or "").strip()
            return re.compile(text) if text else None

        return cls(
            code=row["indicator_code"],
            value_kinds=tuple(row["value_kinds"].split()),
            units=frozenset(row["units_allowed"].split()),
            unit_order=tuple(row["units_allowed"].split()),
            pattern=re.compile(row["pattern"]),
            sentence_pattern=rx("sentence_pattern"),
            exclude_pattern=rx("exclude_pattern"),
            noun_exclude_pattern=rx("noun_exclude_pattern"),
            preferred_pattern=rx("preferred_pattern"),
            priority=int(row["mapping_priority"]),
        )

    @property
    def preferred_kind(self) -> str:
        return self.value_kinds[0]


class Codebook:
    def __init__(self, rows: list[dict[str, str]]):
        self.rows = rows
        self.rules = [IndicatorRule.from_row(r) for r in rows]
        self.by_code = {r.code: r for r in self.rules}

    def code_at(self, context: str, number_start: int, number_end: int, sentence: str, noun: str,
                unit_normalized: str, value_kind: str, own_start: int, own_end: int) -> str | None:
        """The indicator code of a figure, or None.

        ``context`` is the figure's clause, extended to neighbouring clauses when its own lead is
        too weak; ``[number_start, number_end)`` is the figure in it and ``[own_start, own_end)``
        its own clause (the rest is borrowed); ``noun`` is the noun written right after the
        measure word (2个督察小组 → 督察小组), or "".

        A rule applies when the figure's kind and unit are allowed, its ``pattern`` occurs in
        the context, its ``sentence_pattern`` (if any) in the sentence, and neither its
        ``exclude_pattern`` (context) nor its ``noun_exclude_pattern`` (the counted noun) matches.
        Of the rules that apply, the one whose pattern occurs nearest to the figure wins, a
        match in the figure's own clause always before one in a borrowed clause; equal
        distances go to the lower ``priority``.
        """
        best: tuple[int, int, str] | None = None
        for rule in self.rules:
            if value_kind not in rule.value_kinds or (rule.units and unit_normalized not in rule.units):
                continue
            # The conditions are independent; the pattern is tested first as it rules out most.
            if not rule.pattern.search(context):
                continue
            if rule.sentence_pattern and not rule.sentence_pattern.search(sentence):
                continue
            if rule.exclude_pattern and rule.exclude_pattern.search(context):
                continue
            if rule.noun_exclude_pattern and noun and rule.noun_exclude_pattern.search(noun):
                continue
            dist = None
            for hit in rule.pattern.finditer(context):
                h_start, h_end = hit.span()
                if h_end <= number_start:
                    d = number_start - h_end
                elif h_start >= number_end:
                    d = h_start - number_end
                else:
                    d = 0
                if h_end <= own_start or h_start >= own_end:
                    d += BORROWED_PENALTY
                if dist is None or d < dist:
                    dist = d
            if dist is None:
                continue
            key = (dist, rule.priority, rule.code)
            if best is None or key < best:
                best = key
        return None if best is None else best[2]


def _part_types(sections: list[dict]) -> dict[str, str]:
    """section_id → part_type of its level-1 ancestor (empty when unknown)."""
    by_id = {r["section_id"]: r for r in sections}
    out: dict[str, str] = {}
    for sid, s in by_id.items():
        while s["level"] > 1 and isinstance(s.get("parent_id"), str) and s["parent_id"] in by_id:
            s = by_id[s["parent_id"]]
        part = s.get("part_type")
        out[sid] = part if s["level"] == 1 and isinstance(part, str) else ""
    return out


def choose_row(candidates: list[dict], rule: IndicatorRule | None, part_of: dict[str, str]) -> dict:
    """The row that stands for an indicator in a report (the tie-breaking rule).

    Candidates are ranked by, in order: (1) ``value_kind`` equal to the indicator's preferred
    kind (the first of its ``value_kinds``); (2) not in a plans or problems part; (3) the
    sentence matches the indicator's ``preferred_pattern``; (4) the earlier its unit comes in
    the indicator's ``units_allowed``, the better; (5) not stated as a part of a total (其中
    before it in its clause); (6) stated as a total (共, 累计, 全年, 全市 … before it in its
    clause); (7) document order. Values are taken as stated: nothing is summed or recomputed.
    """
    if len(candidates) == 1:  # nothing to rank
        return candidates[0]
    return min(candidates, key=lambda row: _rank(rule, part_of, row["value_kind"], row["section_id"], row["sentence"],
                                                 row["surface"], row["unit_normalized"], row["char_start"]))


def _rank(rule: IndicatorRule | None, part_of: dict[str, str], value_kind, section_id, sentence, surface,
          unit_normalized, char_start) -> tuple:
    """The sort key of ``choose_row`` for a row with these fields."""
    kind_ok = rule is not None and value_kind == rule.preferred_kind
    in_results = part_of.get(section_id, "") not in NOT_RESULTS
    preferred = bool(rule and rule.preferred_pattern and rule.preferred_pattern.search(str(sentence)))
    lead = _lead_of(str(sentence), str(surface))
    is_part = PART_MARKERS.search(lead) is not None
    total = TOTAL_MARKERS.search(lead) is not None
    units = rule.unit_order if rule is not None else ()
    unit_rank = units.index(unit_normalized) if unit_normalized in units else len(units)
    return (not kind_ok, not in_results, not preferred, unit_rank, is_part, not total, int(char_start))


_CLAUSE_MARKS = ",，;；:：。"


def _lead_of(sentence: str, surface: str) -> str:
    """The words of the figure's clause before it (up to 30 characters)."""
    i = sentence.find(surface)
    if i < 0:
        return ""
    lo = max(0, i - 30)
    cut = max(sentence.rfind(mark, lo, i) for mark in _CLAUSE_MARKS)
    return sentence[cut + 1 if cut >= 0 else lo:i]


_CODEBOOKS: dict[int, tuple[list, Codebook]] = {}


def codebook_of(ctx) -> Codebook:
    """The compiled indicator codebook of ``ctx`` (compiled once per loaded codebook)."""
    rows = ctx.codebook("indicators")
    cached = _CODEBOOKS.get(id(rows))
    if cached is None or cached[0] is not rows:
        cached = (rows, Codebook(rows))
        _CODEBOOKS[id(rows)] = cached
    return cached[1]


def report_indicator_rows(rows: dict[str, list[dict]], ctx) -> dict[str, list[dict]]:
    """Derived stage: one row per indicator code mentioned in one report's ``measures``."""
    codebook = codebook_of(ctx)
    part_of = _part_types(rows.get("sections", []))
    groups: dict[str, list[dict]] = {}
    for m in rows.get("measures", []):
        code = m.get("indicator_code")
        if code:
            groups.setdefault(str(code), []).append(m)
    out = []
    for code in sorted(groups):
        group = groups[code]
        best = choose_row(group, codebook.by_code.get(code), part_of)
        out.append({
            "report_id": best["report_id"], "indicator_code": code, "measure_id": best["measure_id"],
            "value": best["value"], "value_normalized": best["value_normalized"],
            "unit_normalized": best["unit_normalized"], "qualifier": best["qualifier"],
            "value_kind": best["value_kind"], "n_candidates": len(group),
        })
    return {"report_indicators": out}
