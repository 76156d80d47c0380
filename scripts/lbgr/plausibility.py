"""Plausibility checks over ``report_indicators``: the third layer of validation (after the
contract and the content rules), in the manner of PUDL's checks with their own history.

The checks are data (``data/codebooks/plausibility_checks.csv``, one row per check, with a
dated note whenever a bound is set or relaxed); this module only applies them to the rows of
one report. It is shared: the ``report_indicators`` stage writes the checks a row fails into its
``plausibility_flags`` column, and validation applies them again to the written package and
turns every failure into a warning of the build report (a failure never drops a row).

Kinds of check (``check_type``):

- ``part_of_whole``: when a report states both, the value of ``indicator_code`` (a part, e.g.
  disputes mediated successfully) is not larger than that of ``whole_indicator_code`` (the
  whole, e.g. disputes mediated). Both rows are flagged.
- ``range``: the value lies in ``[lower_bound, upper_bound]`` (either may be empty); the check
  applies to ``indicator_code``, or, when that is empty, to every indicator whose
  ``value_kind`` is the check's ``value_kind`` (e.g. every rate in [0, 100]).
- ``one_meaning``: the row's kind of value is the indicator's ``value_kind`` and its unit is
  of the indicator's ``unit_family`` (codebooks ``indicators`` and ``unit_families``), so that a
  code never holds a count in one report and a rate in another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

CHECK_TYPES = ("part_of_whole", "range", "one_meaning")


def _text(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    s = str(x)
    return "" if s in ("<NA>", "nan") else s.strip()


def _number(x) -> float | None:
    s = _text(x)
    try:
        return float(s) if s else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Check:
    check_id: str
    check_type: str
    indicator_code: str
    whole_indicator_code: str
    value_kind: str
    lower_bound: float | None
    upper_bound: float | None
    description: str


@dataclass(frozen=True)
class Failure:
    report_id: str
    indicator_code: str
    check_id: str
    message: str


class Checks:
    """The checks of the codebook, ready to apply to the ``report_indicators`` rows of a report."""

    def __init__(self, checks: list[Check], kind_of: dict[str, str], family_of: dict[str, str],
                 unit_family: dict[str, str]):
        self.checks = checks
        self.kind_of = kind_of  # indicator_code → value_kind
        self.family_of = family_of  # indicator_code → unit_family
        self.unit_family = unit_family  # unit_normalized → unit_family

    @classmethod
    def from_rows(cls, checks: list[dict], indicators: list[dict], unit_families: list[dict]) -> Checks:
        """From the rows (dicts of strings, or of pandas cells) of the three codebooks."""
        out = []
        for r in checks:
            kind = _text(r.get("check_type"))
            if kind not in CHECK_TYPES:
                raise ValueError(f"plausibility_checks.csv: {_text(r.get('check_id'))}: unknown check_type {kind!r} "
                                 f"(one of {', '.join(CHECK_TYPES)})")
            check = Check(_text(r.get("check_id")), kind, _text(r.get("indicator_code")),
                          _text(r.get("whole_indicator_code")), _text(r.get("value_kind")),
                          _number(r.get("lower_bound")), _number(r.get("upper_bound")),
                          _text(r.get("check_description")))
            if kind == "part_of_whole" and not (check.indicator_code and check.whole_indicator_code):
                raise ValueError(f"plausibility_checks.csv: {check.check_id}: part_of_whole needs indicator_code "
                                 "and whole_indicator_code")
            if kind == "range" and not (check.indicator_code or check.value_kind):
                raise ValueError(f"plausibility_checks.csv: {check.check_id}: range needs indicator_code or value_kind")
            out.append(check)
        kind_of = {_text(r["indicator_code"]): _text(r["value_kind"]) for r in indicators}
        family_of = {_text(r["indicator_code"]): _text(r["unit_family"]) for r in indicators}
        unit_family = {_text(r["unit_normalized"]): _text(r["unit_family"]) for r in unit_families}
        return cls(out, kind_of, family_of, unit_family)

    def failures(self, rows: list[dict]) -> list[Failure]:
        """The failures among the ``report_indicators`` rows of one report, in check order."""
        by_code = {_text(r["indicator_code"]): r for r in rows}
        out: list[Failure] = []
        for c in self.checks:
            if c.check_type == "part_of_whole":
                part, whole = by_code.get(c.indicator_code), by_code.get(c.whole_indicator_code)
                if part is None or whole is None:
                    continue
                a, b = _number(part["value_normalized"]), _number(whole["value_normalized"])
                if a is not None and b is not None and a > b:
                    rid = _text(part["report_id"])
                    msg = (f"{c.indicator_code} {_text(part['value_normalized'])} exceeds its whole "
                           f"{c.whole_indicator_code} {_text(whole['value_normalized'])}")
                    out.append(Failure(rid, c.indicator_code, c.check_id, msg))
                    out.append(Failure(rid, c.whole_indicator_code, c.check_id, msg))
            elif c.check_type == "range":
                for code, r in by_code.items():
                    if c.indicator_code and code != c.indicator_code:
                        continue
                    if not c.indicator_code and self.kind_of.get(code) != c.value_kind:
                        continue
                    v = _number(r["value_normalized"])
                    if v is None:
                        continue
                    if (c.lower_bound is not None and v < c.lower_bound) or (c.upper_bound is not None and v > c.upper_bound):
                        bounds = f"[{'' if c.lower_bound is None else f'{c.lower_bound:g}'}, " \
                                 f"{'' if c.upper_bound is None else f'{c.upper_bound:g}'}]"
                        out.append(Failure(_text(r["report_id"]), code, c.check_id, f"{code} {v:g} outside {bounds}"))
            else:  # one_meaning
                for code, r in by_code.items():
                    kind, unit = _text(r["value_kind"]), _text(r["unit_normalized"])
                    family = self.unit_family.get(unit, "unknown")
                    if code in self.kind_of and (kind != self.kind_of[code] or family != self.family_of[code]):
                        out.append(Failure(_text(r["report_id"]), code, c.check_id,
                                           f"{code} holds a {kind} in {unit or '(no unit)'} ({family}); the indicator "
                                           f"is a {self.kind_of[code]} in {self.family_of[code]}"))
        return out

    def flags(self, rows: list[dict]) -> dict[str, list[str]]:
        """indicator_code → the ids of the checks its row fails (in check order, once each)."""
        out: dict[str, list[str]] = {}
        for f in self.failures(rows):
            ids = out.setdefault(f.indicator_code, [])
            if f.check_id not in ids:
                ids.append(f.check_id)
        return out
