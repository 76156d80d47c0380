"""Content checks of measures, report_indicators and the indicator codebook that Table Schema
cannot state. ``check(tables, bodies)`` returns human-readable failure messages (empty when
all pass); it is registered in ``lbgr.stages.CONTENT_CHECKS`` by ``lbgr.measures.register``.
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
        grounded, spans, pct, consistent, unknown, coded_change = [], [], [], [], [], []
        for r in measures.itertuples():
            body = bodies.get(_s(r.report_id))
            start, end = int(r.char_start), int(r.char_end)
            if start >= end:
                spans.append(r.measure_id)
            if body is not None and body[start:end] != _s(r.surface):
                grounded.append(r.measure_id)
            v = _num(r.value_normalized)
            if _s(r.value_kind) == "percent" and v is not None and not (0 <= v <= 100):
                if not _RATIO_WORDS.search(_s(r.sentence)):
                    pct.append(f"{r.measure_id} ({_s(r.surface)})")
            value = _s(r.value)
            if "-" not in value and v is not None:
                try:
                    factor = Decimal(10) if _s(r.unit) == "成" else Decimal(_SCALE.get(_s(r.scale), 0))
                    expected = float(Decimal(value) * factor)
                    if not math.isclose(expected, v, rel_tol=1e-9, abs_tol=1e-9):
                        consistent.append(f"{r.measure_id} ({value} {_s(r.scale)} → {v})")
                except InvalidOperation:
                    consistent.append(f"{r.measure_id} (value {value!r} is not a number)")
            code = _s(r.indicator_code)
            if code and codes is not None and code not in codes:
                unknown.append(f"{r.measure_id} ({code})")
            if code and _s(r.value_kind) == "change":
                coded_change.append(r.measure_id)
        errors += _report(spans, "measures: char_start is not before char_end")
        errors += _report(grounded, "measures: surface differs from the body text at [char_start, char_end)")
        errors += _report(pct, "measures: percentage level outside [0, 100] with no ratio stated in the sentence")
        errors += _report(consistent, "measures: value_normalized is not value × scale")
        errors += _report(unknown, "measures: indicator_code not in the codebook")
        errors += _report(coded_change, "measures: a change carries an indicator code (indicators are levels)")

        paragraphs = tables.get("paragraphs")
        if paragraphs is not None and not paragraphs.empty:
            p = paragraphs.set_index("paragraph_id")
            pstart = measures.paragraph_id.map(p.char_start)
            pend = measures.paragraph_id.map(p.char_end)
            outside = measures.loc[((measures.char_start < pstart) | (measures.char_end > pend)).fillna(True).astype(bool),
                                   "measure_id"].tolist()
            errors += _report(outside, "measures: span outside its paragraph")

    if report_indicators is not None and not report_indicators.empty:
        by_id = measures.set_index("measure_id") if measures is not None and not measures.empty else None
        missing, mismatch, unknown, counts = [], [], [], []
        n_coded = (measures.groupby(["report_id", "indicator_code"]).size().to_dict()
                   if by_id is not None else {})
        for r in report_indicators.itertuples():
            key = f"{r.report_id}/{r.indicator_code}"
            if codes is not None and _s(r.indicator_code) not in codes:
                unknown.append(key)
            if by_id is None or _s(r.measure_id) not in by_id.index:
                missing.append(f"{key} → {r.measure_id}")
                continue
            m = by_id.loc[_s(r.measure_id)]
            same = (_s(m.report_id) == _s(r.report_id) and _s(m.indicator_code) == _s(r.indicator_code)
                    and _s(m.unit_normalized) == _s(r.unit_normalized) and _s(m.value) == _s(r.value)
                    and _s(m.qualifier) == _s(r.qualifier) and _s(m.value_kind) == _s(r.value_kind)
                    and math.isclose(_num(m.value_normalized) or 0, _num(r.value_normalized) or 0, rel_tol=1e-9))
            if not same:
                mismatch.append(f"{key} → {r.measure_id}")
            if n_coded.get((r.report_id, r.indicator_code)) != int(r.n_candidates):
                counts.append(key)
        errors += _report(unknown, "report_indicators: indicator_code not in the codebook")
        errors += _report(missing, "report_indicators: rows that point to no measure")
        errors += _report(mismatch, "report_indicators: rows that differ from the measure they point to")
        errors += _report(counts, "report_indicators: n_candidates differs from the coded measures of the report")
    return errors
