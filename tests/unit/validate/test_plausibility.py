"""Plausibility checks over report_indicators (lbgr.plausibility, lbgr.validate.plausibility_rules)."""

from __future__ import annotations

import pandas as pd
import pytest

from lbgr.plausibility import Checks
from lbgr.validate import plausibility_rules


def _row(code, value, unit, kind, flags=None, rid="110101-2023"):
    return {"report_id": rid, "indicator_code": code, "value_normalized": value, "unit_normalized": unit,
            "value_kind": kind, "plausibility_flags": flags}


@pytest.fixture(scope="module")
def checks(ctx):
    return Checks.from_rows(ctx.codebook("plausibility_checks"), ctx.codebook("indicators"), ctx.codebook("unit_families"))


def test_a_part_above_its_whole_flags_both_rows(checks):
    rows = [_row("mediation_cases", 920, "起", "count"), _row("mediation_success", 2576, "件", "count")]
    assert checks.flags(rows) == {"mediation_success": ["mediation_success_le_cases"],
                                  "mediation_cases": ["mediation_success_le_cases"]}
    assert checks.flags([rows[1]]) == {}  # the whole is not stated: nothing to compare


def test_rates_outside_0_100_and_a_second_meaning_are_flagged(checks):
    rows = [_row("mediation_success_rate", 130, "%", "percent"), _row("npc_cppcc_proposals", 100, "%", "percent"),
            _row("recon_closed", 28, "件", "count")]
    assert checks.flags(rows) == {"mediation_success_rate": ["rate_in_0_100"], "npc_cppcc_proposals": ["one_meaning"]}
    message = next(f.message for f in checks.failures(rows) if f.check_id == "one_meaning")
    assert message == "npc_cppcc_proposals holds a percent in % (percent); the indicator is a count in items"


def test_every_check_has_a_dated_history_and_an_existing_code(ctx):
    codes = {r["indicator_code"] for r in ctx.codebook("indicators")}
    for r in ctx.codebook("plausibility_checks"):
        assert r["bound_history"][:4].isdigit() and r["bound_history"][10:12] == ": ", r["check_id"]
        assert {r["indicator_code"], r["whole_indicator_code"]} - {""} <= codes, r["check_id"]


@pytest.mark.parametrize("row, message", [
    ({"check_id": "x", "check_type": "ratio"}, "unknown check_type 'ratio'"),
    ({"check_id": "x", "check_type": "part_of_whole", "indicator_code": "recon_closed"}, "needs indicator_code and whole"),
    ({"check_id": "x", "check_type": "range"}, "range needs indicator_code or value_kind"),
])
def test_a_malformed_check_is_refused_by_name(ctx, row, message):
    with pytest.raises(ValueError, match=message):
        Checks.from_rows([row], ctx.codebook("indicators"), ctx.codebook("unit_families"))


def _tables(ctx, rows):
    return {"report_indicators": pd.DataFrame(rows), "plausibility_checks": pd.DataFrame(ctx.codebook("plausibility_checks")),
            "indicators": pd.DataFrame(ctx.codebook("indicators")),
            "unit_families": pd.DataFrame(ctx.codebook("unit_families"))}


def test_validation_warns_of_each_failure_and_errs_only_on_stale_flags(ctx):
    rows = [_row("mediation_cases", 920, "起", "count", "mediation_success_le_cases"),
            _row("mediation_success", 2576, "件", "count", "mediation_success_le_cases"),
            _row("recon_closed", 28, "件", "count")]
    errors, warnings = plausibility_rules.check(_tables(ctx, rows), {})
    assert errors == []
    assert warnings == ["plausibility: report_indicators 110101-2023/mediation_success fails mediation_success_le_cases: "
                        "mediation_success 2576 exceeds its whole mediation_cases 920",
                        "plausibility: report_indicators 110101-2023/mediation_cases fails mediation_success_le_cases: "
                        "mediation_success 2576 exceeds its whole mediation_cases 920"]
    rows[0]["plausibility_flags"] = None
    errors, _ = plausibility_rules.check(_tables(ctx, rows), {})
    assert errors == ["report_indicators: plausibility_flags differ from the checks of plausibility_checks.csv: "
                      "110101-2023/mediation_cases"]
