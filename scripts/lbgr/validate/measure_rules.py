"""Content checks of measures, report_indicators and the indicator codebook that Table Schema
cannot state. ``check(tables, bodies)`` returns human-readable failure messages (empty when
all pass); ``lbgr.pipeline`` lists it among the content rules.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import pandas as pd

_SCALE = {"": 1, "万": 10**4, "亿": 10**8, "千万": 10**7, "百万": 10**6, "万亿": 10**12, "千": 10**3}
# A percentage above 100 is a level only where the text states a ratio (为上年的150%, 相当于…).
_RATIO_WORDS = re.compile(r"相当于|[为是][^,;。]{0,15}的\s*\d|倍")
_LIMIT = 10


def _s(x) -> str:
    if type(x) is str:  # the common case, first: this runs for every cell of large tables
        return x
    return "" if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else str(x)


def _report(bad: list[str], why: str) -> list[str]:
    if not bad:
        return []
    more = f" (and {len(bad) - _LIMIT} more)" if len(bad) > _LIMIT else ""
    return [f"{why}: {', '.join(bad[:_LIMIT])}{more}"]


def _num(x) -> float | None:
    s = _s(x)
    try:
        return float(s) if s else None
    except ValueError:
        return None


def check(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> list[str]:
    errors: list[str] = []
    measures = tables.get("measures")
    indicators = tables.get("indicators")
    report_indicators = tables.get("report_indicators")
    codes = set(indicators.indicator_code.dropna().astype(str)) if indicators is not None else None
    kind_of: dict[str, str] = {}
    units_of: dict[str, set[str]] = {}
    if indicators is not None and "value_kind" in indicators:
        kind_of = dict(zip(indicators.indicator_code.astype(str), indicators.value_kind.map(_s)))
        units_of = {c: set(_s(u).split()) for c, u in zip(indicators.indicator_code.astype(str), indicators.units_allowed)}

    if indicators is not None:
        bad = []
        for r in indicators.itertuples():
            for col in ("pattern", "sentence_pattern", "exclude_pattern", "noun_exclude_pattern", "preferred_pattern"):
                text = _s(getattr(r, col))
                if text:
                    try:
                        re.compile(text)
                    except re.error as exc:
                        bad.append(f"{r.indicator_code}.{col} ({exc})")
        errors += _report(bad, "indicators: patterns that are not valid regular expressions")

    if measures is not None and not measures.empty:
        grounded, spans, pct, consistent, unknown, coded_change, off_meaning, noted = [], [], [], [], [], [], [], []
        cols = {c: measures[c].tolist() for c in ("measure_id", "report_id", "char_start", "char_end", "surface",
                                                   "value_normalized", "value_kind", "sentence", "value", "unit",
                                                   "scale", "indicator_code", "unit_normalized",
                                                   "indicator_note")}
        for i, mid in enumerate(cols["measure_id"]):
            body = bodies.get(_s(cols["report_id"][i]))
            start, end = int(cols["char_start"][i]), int(cols["char_end"][i])
            surface = _s(cols["surface"][i])
            if start >= end:
                spans.append(mid)
            if body is not None and body[start:end] != surface:
                grounded.append(mid)
            v = _num(cols["value_normalized"][i])
            kind = _s(cols["value_kind"][i])
            if kind == "percent" and v is not None and not (0 <= v <= 100):
                if not _RATIO_WORDS.search(_s(cols["sentence"][i])):
                    pct.append(f"{mid} ({surface})")
            value = _s(cols["value"][i])
            if "-" not in value and v is not None:
                scale = _s(cols["scale"][i])
                try:
                    factor = Decimal(10) if _s(cols["unit"][i]) == "成" else Decimal(_SCALE.get(scale, 0))
                    expected = float(Decimal(value) * factor)
                    if not math.isclose(expected, v, rel_tol=1e-9, abs_tol=1e-9):
                        consistent.append(f"{mid} ({value} {scale} → {v})")
                except InvalidOperation:
                    consistent.append(f"{mid} (value {value!r} is not a number)")
            code = _s(cols["indicator_code"][i])
            if code and codes is not None and code not in codes:
                unknown.append(f"{mid} ({code})")
            if code and kind == "change":
                coded_change.append(mid)
            if code in kind_of and (kind != kind_of[code] or _s(cols["unit_normalized"][i]) not in units_of[code]):
                off_meaning.append(f"{mid} ({code}: {kind} {_s(cols['unit_normalized'][i])})")
            if code and _s(cols["indicator_note"][i]):
                noted.append(mid)
        errors += _report(spans, "measures: char_start is not before char_end")
        errors += _report(grounded, "measures: surface differs from the body text at [char_start, char_end)")
        errors += _report(pct, "measures: percentage level outside [0, 100] with no ratio stated in the sentence")
        errors += _report(consistent, "measures: value_normalized is not value × scale")
        errors += _report(unknown, "measures: indicator_code not in the codebook")
        errors += _report(coded_change, "measures: a change carries an indicator code (indicators are levels)")
        errors += _report(off_meaning, "measures: a coded figure is not of its indicator's value_kind and units_allowed")
        errors += _report(noted, "measures: a coded figure has an indicator_note (the note is for uncoded figures)")

        paragraphs = tables.get("paragraphs")
        if paragraphs is not None and not paragraphs.empty:
            p = paragraphs.set_index("paragraph_id")
            pstart = measures.paragraph_id.map(p.char_start)
            pend = measures.paragraph_id.map(p.char_end)
            outside = measures.loc[((measures.char_start < pstart) | (measures.char_end > pend)).fillna(True).astype(bool),
                                   "measure_id"].tolist()
            errors += _report(outside, "measures: span outside its paragraph")

    if report_indicators is not None and not report_indicators.empty:
        fields = ("report_id", "indicator_code", "unit_normalized", "value", "qualifier", "value_kind", "value_normalized")
        by_id: dict[str, tuple] = {}
        n_coded: dict[tuple[str, str], int] = {}
        if measures is not None and not measures.empty:
            by_id = dict(zip(measures.measure_id.tolist(), zip(*(measures[f].tolist() for f in fields))))
            n_coded = measures.groupby(["report_id", "indicator_code"]).size().to_dict()
        missing, mismatch, unknown, counts, choice = [], [], [], [], []
        ri = {f: report_indicators[f].tolist() for f in (*fields, "measure_id", "n_candidates",
                                                          "n_candidates_disagreeing", "choice_rule")}
        for i in range(len(report_indicators)):
            rid, code, mid = ri["report_id"][i], ri["indicator_code"][i], _s(ri["measure_id"][i])
            key = f"{rid}/{code}"
            if codes is not None and _s(code) not in codes:
                unknown.append(key)
            m = by_id.get(mid)
            if m is None:
                missing.append(f"{key} → {mid}")
                continue
            same = (all(_s(a) == _s(ri[f][i]) for f, a in zip(fields[:-1], m[:-1]))
                    and math.isclose(_num(m[-1]) or 0, _num(ri["value_normalized"][i]) or 0, rel_tol=1e-9))
            if not same:
                mismatch.append(f"{key} → {mid}")
            n = int(ri["n_candidates"][i])
            if n_coded.get((rid, code)) != n:
                counts.append(key)
            if (n == 1) != (_s(ri["choice_rule"][i]) == "only_candidate") or not 0 <= int(ri["n_candidates_disagreeing"][i]) < n:
                choice.append(key)
        errors += _report(unknown, "report_indicators: indicator_code not in the codebook")
        errors += _report(missing, "report_indicators: rows that point to no measure")
        errors += _report(mismatch, "report_indicators: rows that differ from the measure they point to")
        errors += _report(counts, "report_indicators: n_candidates differs from the coded measures of the report")
        errors += _report(choice, "report_indicators: choice_rule or n_candidates_disagreeing disagrees with n_candidates")
    return errors
