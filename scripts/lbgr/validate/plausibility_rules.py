"""Layer 3 of validation: the plausibility checks of ``data/codebooks/plausibility_checks.csv``
over ``report_indicators`` (``lbgr.plausibility``), in the manner of PUDL's data checks.

A failed check is not an error: the row stays, its ``plausibility_flags`` column names the check,
and the failure is a warning of the build report. It is an error only when the flags written in
the table differ from what the checks say now (the table was built with other checks, or edited).
"""

from __future__ import annotations

import pandas as pd

from lbgr.plausibility import Checks

_LIMIT = 10


def _records(df: pd.DataFrame) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def check(tables: dict[str, pd.DataFrame], bodies: dict[str, str]) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the report_indicators rows of a group of reports."""
    rows, checks = tables.get("report_indicators"), tables.get("plausibility_checks")
    indicators, families = tables.get("indicators"), tables.get("unit_families")
    if rows is None or rows.empty or checks is None or indicators is None or families is None:
        return [], []
    compiled = Checks.from_rows(_records(checks), _records(indicators), _records(families))
    errors: list[str] = []
    warnings: list[str] = []
    differ: list[str] = []
    # The group's rows converted once and split by report in Python: a DataFrame conversion per
    # report costs more than the checks themselves.
    by_report: dict[str, list[dict]] = {}
    for r in _records(rows):
        by_report.setdefault(r["report_id"], []).append(r)
    for rid, records in by_report.items():
        failures = compiled.failures(records)
        for f in failures:
            warnings.append(f"plausibility: report_indicators {f.report_id}/{f.indicator_code} fails {f.check_id}: "
                            f"{f.message}")
        expected = compiled.flags(records)
        for r in records:
            written = (r.get("plausibility_flags") or "").split()
            if written != expected.get(r["indicator_code"], []):
                differ.append(f"{rid}/{r['indicator_code']}")
    if differ:
        more = f" (and {len(differ) - _LIMIT} more)" if len(differ) > _LIMIT else ""
        errors.append("report_indicators: plausibility_flags differ from the checks of plausibility_checks.csv: "
                      f"{', '.join(differ[:_LIMIT])}{more}")
    return errors, list(dict.fromkeys(warnings))
