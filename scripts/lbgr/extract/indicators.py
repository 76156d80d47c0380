"""The indicator codebook (data/codebooks/indicators.csv): mapping mentions to codes, and the
``report_indicators`` derived stage.

Every rule lives in the codebook; this module only applies it. See
``data/codebooks/indicators.md`` for the columns and for the tie-breaking rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lbgr import plausibility

# Words that mark a figure as a total for the whole reporting period or jurisdiction; a
# candidate stated with one of them ranks before one without (tie-break rule 4).
TOTAL_MARKERS = re.compile(r"共|累计|合计|总计|全年|全市|全区|全县|全旗|全州|全省")
# Parts of a report whose figures are not the year's results (plans E4, problems E2).
NOT_RESULTS = {"plans", "problems"}
PART_MARKERS = re.compile(r"其中|包括|含")
# Added to the distance of a pattern match outside the figure's own clause.
BORROWED_PENALTY = 1000
# A pattern match after the figure that another figure follows within this many characters, with
# no enumeration or clause mark between (权责清单2268项 after 中介服务事项101项、), names that
# figure's topic, not this one's.
LEADS_NEXT_FIGURE = 6
_ITEM_MARKS = frozenset("、,，;；:：和及与")
# The mark between the items of a list inside one clause (保留文件13件、废止4件、…).
LIST_MARK = "、"
# Characters a figure's list item needs before the figure to be complete (a verb or noun of its own).
MIN_ITEM_LEAD = 2


def in_later_item(context: str, number_start: int, number_end: int, hit_pos: int, own_start: int) -> bool:
    """Whether a match after the figure (``hit_pos``: its start) or over it (its end) reaches into
    a later item of a list (a ``LIST_MARK`` between the figure and ``hit_pos``) while the figure's
    own item names its topic before the figure (保留规范性文件13件、废止4件: 废止 is the next item's
    verb, not this figure's). A figure that opens its item (70件政府合同、90件文件均通过审查) has
    no words of its own and keeps the match."""
    if LIST_MARK not in context[number_end:hit_pos]:
        return False
    item_start = max(own_start, context.rfind(LIST_MARK, own_start, number_start) + 1)
    return len(context[item_start:number_start].strip()) >= MIN_ITEM_LEAD


def in_earlier_figure_item(context: str, number_start: int, hit_end: int, own_start: int,
                           earlier_figures: tuple[int, ...]) -> bool:
    """Whether a match before the figure (ending at ``hit_end``) lies in an earlier item of a list
    in the figure's clause that holds a figure of its own, while the figure's own item names its
    topic (修改、废止法规规章103件、规范性文件4818件: 规章 and 废止 are the 103件's words, not the
    4818件's). The mirror of ``leads_figure``: such a match names that item's figure. A match in
    an item without a figure (the verb 修改 that heads the list) is shared by the list and kept."""
    item_start = context.rfind(LIST_MARK, own_start, number_start) + 1
    if item_start <= own_start or hit_end >= item_start or hit_end <= own_start:
        return False  # no list before the figure in its clause, the match reaches the own item, or
        # it lies in a clause before (borrowed, and weighed as such)
    if len(context[item_start:number_start].strip()) < MIN_ITEM_LEAD:
        return False  # the figure opens its item (、90件文件…): the list's words are its words
    lo = max(own_start, context.rfind(LIST_MARK, own_start, max(own_start, hit_end - 1)) + 1)
    hi = context.find(LIST_MARK, hit_end - 1 if hit_end > lo else lo, item_start)
    hi = item_start - 1 if hi < 0 else hi
    return any(lo <= f < hi for f in earlier_figures)


def leads_figure(context: str, hit_end: int, figure_starts: tuple[int, ...]) -> bool:
    """Whether the words ending at ``hit_end`` lead one of the figures starting at ``figure_starts``:
    the figure comes within ``LEADS_NEXT_FIGURE`` characters, with no enumeration or clause mark
    between."""
    for f in figure_starts:
        if hit_end <= f <= hit_end + LEADS_NEXT_FIGURE and not _ITEM_MARKS.intersection(context[hit_end:f]):
            return True
    return False


@dataclass(frozen=True)
class IndicatorRule:
    code: str
    value_kind: str
    unit_family: str
    scope: str
    sibling_of: str
    units: frozenset[str]
    unit_order: tuple[str, ...]
    pattern: re.Pattern
    sentence_pattern: re.Pattern | None
    exclude_pattern: re.Pattern | None
    noun_exclude_pattern: re.Pattern | None
    narrower_scope_pattern: re.Pattern | None
    preferred_pattern: re.Pattern | None
    priority: int

    @classmethod
    def from_row(cls, row: dict[str, str]) -> IndicatorRule:
        def rx(key: str) -> re.Pattern | None:
            text = (row.get(key) or "").strip()
            return re.compile(text) if text else None

        kind = (row.get("value_kind") or "").strip()
        if not kind or " " in kind:
            raise ValueError(f"indicators.csv: {row.get('indicator_code')}: value_kind must be one kind, not {kind!r}")
        return cls(
            code=row["indicator_code"],
            value_kind=kind,
            unit_family=row["unit_family"].strip(),
            scope=row["scope"].strip(),
            sibling_of=(row.get("sibling_of") or "").strip(),
            units=frozenset(row["units_allowed"].split()),
            unit_order=tuple(row["units_allowed"].split()),
            pattern=re.compile(row["pattern"]),
            sentence_pattern=rx("sentence_pattern"),
            exclude_pattern=rx("exclude_pattern"),
            noun_exclude_pattern=rx("noun_exclude_pattern"),
            narrower_scope_pattern=rx("narrower_scope_pattern"),
            preferred_pattern=rx("preferred_pattern"),
            priority=int(row["mapping_priority"]),
        )

    def distance(self, context: str, number_start: int, number_end: int, own_start: int, own_end: int,
                 later_figures: tuple[int, ...] = (), earlier_figures: tuple[int, ...] = ()) -> int | None:
        """How far the nearest match of ``pattern`` lies from the figure (None when there is none);
        a match outside the figure's own clause adds ``BORROWED_PENALTY``, and so does a match that
        reaches into a later item of a list in the clause when the figure's own item names its
        topic (``in_later_item``). A match after the figure that leads a later figure
        (``later_figures``: their starts in ``context``) is that figure's topic and is not
        counted (``leads_figure``); nor is a match in an earlier list item of the clause that
        holds a figure of its own (``earlier_figures``: their starts; ``in_earlier_figure_item``)."""
        dist = None
        for hit in self.pattern.finditer(context):
            h_start, h_end = hit.span()
            later_item = False
            if h_end <= number_start:
                if earlier_figures and in_earlier_figure_item(context, number_start, h_end, own_start,
                                                              earlier_figures):
                    continue
                d = number_start - h_end
            elif h_start >= number_end:
                if later_figures and leads_figure(context, h_end, later_figures):
                    continue
                d = h_start - number_end
                later_item = in_later_item(context, number_start, number_end, h_start, own_start)
            else:  # over the figure
                d = 0
                later_item = in_later_item(context, number_start, number_end, h_end, own_start)
            if later_item or h_end <= own_start or h_start >= own_end:
                d += BORROWED_PENALTY
            if dist is None or d < dist:
                dist = d
        return dist

    def phrased_in(self, context: str, sentence: str, noun: str) -> bool:
        """Whether the phrasing conditions hold: ``pattern`` in the context, ``sentence_pattern``
        in the sentence, neither exclusion."""
        if not self.pattern.search(context):
            return False
        if self.sentence_pattern and not self.sentence_pattern.search(sentence):
            return False
        if self.exclude_pattern and self.exclude_pattern.search(context):
            return False
        return not (self.noun_exclude_pattern and noun and self.noun_exclude_pattern.search(noun))


@dataclass(frozen=True)
class Coding:
    """The code of a figure, or why a figure that an indicator's phrasing names carries none."""
    code: str | None
    note: str | None = None


class Codebook:
    def __init__(self, rows: list[dict[str, str]], unit_families: list[dict[str, str]] | None = None):
        self.rows = rows
        self.rules = [IndicatorRule.from_row(r) for r in rows]
        self.by_code = {r.code: r for r in self.rules}
        self.kinds = frozenset(r.value_kind for r in self.rules) | {"change"}
        # Units of the indicators of kind other (a score in 分): another figure of kind other (3倍,
        # 500平方米) is near no indicator it could be kept out of.
        self.other_units = frozenset(u for r in self.rules if r.value_kind == "other" for u in r.units)
        self.unit_family = {r["unit_normalized"]: r["unit_family"] for r in unit_families or []}
        for rule in self.rules:
            families = {self.unit_family.get(u) for u in rule.units}
            if unit_families is not None and families != {rule.unit_family}:
                raise ValueError(f"indicators.csv: {rule.code}: units_allowed {' '.join(rule.unit_order)} are not "
                                 f"all of its unit_family {rule.unit_family} (unit_families.csv)")

    def code_at(self, context: str, number_start: int, number_end: int, sentence: str, noun: str,
                unit_normalized: str, value_kind: str, own_start: int, own_end: int,
                later_figures: tuple[int, ...] = (), earlier_figures: tuple[int, ...] = ()) -> Coding:
        """The indicator code of a figure, or none with the reason (``Coding``).

        ``context`` is the figure's clause, extended to neighbouring clauses when its own lead is
        too weak; ``[number_start, number_end)`` is the figure in it and ``[own_start, own_end)``
        its own clause (the rest is borrowed); ``noun`` is the noun written right after the
        measure word (2个督察小组 → 督察小组), or ""; ``later_figures`` are the starts of the
        figures after it in the context (a match that leads one of them is not this figure's),
        ``earlier_figures`` the starts of those before it (a match in an earlier list item that
        holds one of them is not this figure's).

        A rule applies when the figure's kind is the indicator's ``value_kind`` and its unit is
        one of ``units_allowed`` (all of one unit family), its ``pattern`` occurs in the context,
        its ``sentence_pattern`` (if any) in the sentence, neither its ``exclude_pattern``
        (context) nor its ``noun_exclude_pattern`` (the counted noun) matches, and its
        ``narrower_scope_pattern`` does not occur in the words of the figure's own clause before
        it. Of the rules that apply, the one whose pattern occurs nearest to the figure wins, a
        match in the figure's own clause always before one in a borrowed clause; equal distances
        go to the lower ``priority``.

        When no rule applies, the note names the nearest indicator whose phrasing matched and
        why the figure is not its: another kind of value, a unit of another family, or a
        narrower scope (``indicator_note`` of ``measures``).
        """
        best: tuple[int, int, str] | None = None
        lead = context[own_start:number_start] if own_start <= number_start else ""
        narrower: tuple[int, int, str, str] | None = None
        for rule in self.rules:
            if value_kind != rule.value_kind or (rule.units and unit_normalized not in rule.units):
                continue
            # The conditions are independent; the pattern is tested first as it rules out most.
            if not rule.phrased_in(context, sentence, noun):
                continue
            dist = rule.distance(context, number_start, number_end, own_start, own_end, later_figures,
                                 earlier_figures)
            if dist is None:
                continue
            key = (dist, rule.priority, rule.code)
            scoped = rule.narrower_scope_pattern.search(lead) if rule.narrower_scope_pattern else None
            if scoped:
                if narrower is None or key < narrower[:3]:
                    narrower = (*key, scoped.group(0))
                continue
            if best is None or key < best:
                best = key
        if best is not None:
            return Coding(best[2])
        if narrower is not None:
            rule = self.by_code[narrower[2]]
            return Coding(None, f"{rule.code}: narrower scope ({narrower[3]}); the indicator counts the {rule.scope}")
        return Coding(None, self._why_not(context, number_start, number_end, sentence, noun, unit_normalized,
                                          value_kind, own_start, own_end, later_figures, earlier_figures))

    def _why_not(self, context, number_start, number_end, sentence, noun, unit_normalized, value_kind,
                 own_start, own_end, later_figures=(), earlier_figures=()) -> str | None:
        """The note for a figure no rule took: the nearest indicator phrased in its own clause,
        and the kind or unit that keeps it out (None when no indicator is phrased there)."""
        if value_kind not in self.kinds or (value_kind == "other" and unit_normalized not in self.other_units):
            return None  # durations, slogans, weights and areas: no indicator is of these kinds
        best: tuple[int, bool, int, str] | None = None
        for rule in self.rules:
            if not rule.phrased_in(context, sentence, noun):
                continue
            dist = rule.distance(context, number_start, number_end, own_start, own_end, later_figures,
                                 earlier_figures)
            if dist is None or dist >= BORROWED_PENALTY:
                continue
            # Nearest first; of equally near siblings, one of the figure's kind, so the note names
            # the unit that keeps it out rather than a kind it never had.
            key = (dist, rule.value_kind != value_kind, rule.priority, rule.code)
            if best is None or key < best:
                best = key
        if best is None:
            return None
        rule = self.by_code[best[-1]]
        if value_kind == "change":
            return f"{rule.code}: a change, not a level"
        if value_kind != rule.value_kind:
            return f"{rule.code}: value kind {value_kind}; the indicator holds {rule.value_kind}"
        family = self.unit_family.get(unit_normalized, "unknown")
        if family != rule.unit_family:
            return f"{rule.code}: unit {unit_normalized or '(none)'} ({family}); the indicator counts {rule.unit_family}"
        return f"{rule.code}: unit {unit_normalized or '(none)'} not among its units"


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


# The choice rules of ``report_indicators``, in the order they are applied (indicators.md).
CHOICE_RULES = ("results_part", "not_a_part", "stated_total", "names_indicator", "unit_order", "document_order")
ONLY_CANDIDATE = "only_candidate"


def choose_row(candidates: list[dict], rule: IndicatorRule | None, part_of: dict[str, str]) -> tuple[dict, str]:
    """The row that stands for an indicator in a report, and the choice rule that picked it.

    Candidates are ranked by, in order (``CHOICE_RULES``): (1) ``results_part``: not in a plans
    or problems part; (2) ``not_a_part``: not stated as a part of a total (其中, 包括, 含 before it
    in its clause); (3) ``stated_total``: stated as a total for the period or the whole
    jurisdiction (共, 累计, 全年, 全市 … before it in its clause); (4) ``names_indicator``: its
    sentence names the indicator (the codebook's ``preferred_pattern``) rather than only
    mentioning it; (5) ``unit_order``: the earlier its unit in ``units_allowed``, the better;
    (6) ``document_order``: the first mention. The rule that chose is the first on which the
    chosen row ranks before the runner-up (``only_candidate`` when there is one candidate).
    Values are taken as stated: nothing is summed or recomputed.
    """
    if len(candidates) == 1:  # nothing to rank
        return candidates[0], ONLY_CANDIDATE
    ranked = sorted((_rank(rule, part_of, row["section_id"], row["sentence"], row["surface"],
                           row["unit_normalized"], row["char_start"]), i) for i, row in enumerate(candidates))
    (first, i), (second, _) = ranked[0], ranked[1]
    decided = next(n for n, (a, b) in enumerate(zip(first, second)) if a != b)
    return candidates[i], CHOICE_RULES[decided]


def _rank(rule: IndicatorRule | None, part_of: dict[str, str], section_id, sentence, surface,
          unit_normalized, char_start) -> tuple:
    """The sort key of ``choose_row`` for a row with these fields (one entry per ``CHOICE_RULES``)."""
    in_results = part_of.get(section_id, "") not in NOT_RESULTS
    preferred = bool(rule and rule.preferred_pattern and rule.preferred_pattern.search(str(sentence)))
    lead = _lead_of(str(sentence), str(surface))
    is_part = PART_MARKERS.search(lead) is not None
    total = TOTAL_MARKERS.search(lead) is not None
    units = rule.unit_order if rule is not None else ()
    unit_rank = units.index(unit_normalized) if unit_normalized in units else len(units)
    return (not in_results, is_part, not total, not preferred, unit_rank, int(char_start))


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
        cached = (rows, Codebook(rows, ctx.codebook("unit_families")))
        _CODEBOOKS[id(rows)] = cached
    return cached[1]


@lru_cache(maxsize=8)
def _checks(ctx) -> plausibility.Checks:
    """The plausibility checks of ``ctx``'s codebooks, compiled once."""
    return plausibility.Checks.from_rows(ctx.codebook("plausibility_checks"), ctx.codebook("indicators"),
                                         ctx.codebook("unit_families"))


def _same_value(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    except (TypeError, ValueError):
        return a == b


def report_indicator_rows(rows: dict[str, list[dict]], ctx) -> dict[str, list[dict]]:
    """Derived stage: one row per indicator code mentioned in one report's ``measures``, with the
    rule that chose it, how many candidates state another value, and the plausibility checks
    it fails (``lbgr.plausibility``, checks of ``data/codebooks/plausibility_checks.csv``)."""
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
        best, chosen_by = choose_row(group, codebook.by_code.get(code), part_of)
        out.append({
            "report_id": best["report_id"], "indicator_code": code, "measure_id": best["measure_id"],
            "value": best["value"], "value_normalized": best["value_normalized"],
            "unit_normalized": best["unit_normalized"], "qualifier": best["qualifier"],
            "value_kind": best["value_kind"], "n_candidates": len(group),
            "n_candidates_disagreeing": sum(not _same_value(m["value_normalized"], best["value_normalized"])
                                            for m in group),
            "choice_rule": chosen_by,
        })
    flags = _checks(ctx).flags(out)
    for row in out:
        row["plausibility_flags"] = " ".join(flags.get(row["indicator_code"], [])) or None
    return {"report_indicators": out}
