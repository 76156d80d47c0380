"""End to end: build the package from data/raw and check it against the committed one."""

from __future__ import annotations

import csv
import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lbgr.build import run as build_mod
from lbgr.build.run import EXIT_FAILED, EXIT_OK, EXIT_REJECTED, build
from lbgr.environment import versions
from lbgr.schema_registry import load_fields, load_resources, schema_json
from lbgr.validate import validate_package
from testroot import ROOT

RAW = ROOT / "data" / "raw"


def quiet(*_):
    pass


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pkg") / "package"
    assert build(RAW, out, echo=quiet) == EXIT_OK
    return out


def _files(base: Path, rel: str) -> list[str]:
    root = base / rel
    return sorted(str(p.relative_to(base)) for p in root.rglob("*") if p.is_file()) if root.is_dir() else [rel]


def test_committed_data_equals_a_fresh_build(fresh):
    """The published data/ is exactly what the scripts produce (a test fails otherwise)."""
    rels = ["datapackage.json", "build_report.json", "data/tables", "data/bodies", "data/parquet", "data/raw", "data/codebooks",
            "data/reference", "schemas"]
    for rel in rels:
        fresh_files = _files(fresh, rel)
        if rel == "schemas":
            committed = [f for f in _files(ROOT, rel) if f.endswith(".schema.json")]
        else:
            committed = _files(ROOT, rel)
        assert fresh_files == committed, f"{rel}: files differ; run `nox -s build` and commit"
        for f in fresh_files:
            if f == "build_report.json":
                continue
            assert filecmp.cmp(fresh / f, ROOT / f, shallow=False), f"{f} differs from a fresh build; run `nox -s build`"
    # The build report also records the versions that made it: those of this environment in the
    # fresh build, the locked ones in the committed package (tests/e2e/test_environment.py).
    made, committed = (json.loads((base / "build_report.json").read_text(encoding="utf-8")) for base in (fresh, ROOT))
    assert made.pop("environment") == versions()
    committed.pop("environment")
    assert made == committed, "build_report.json differs from a fresh build; run `nox -s build`"


def test_two_builds_are_byte_identical(fresh, tmp_path):
    again = tmp_path / "again"
    assert build(RAW, again, echo=quiet) == EXIT_OK
    a, b = _files(fresh, "."), _files(again, ".")
    assert a == b
    for f in a:
        assert filecmp.cmp(fresh / f, again / f, shallow=False), f


def test_frictionless_cli_reports_the_committed_package_valid():
    exe = Path(sys.executable).with_name("frictionless")
    proc = subprocess.run([str(exe), "validate", "datapackage.json"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "VALID" in proc.stdout.upper() and "INVALID" not in proc.stdout.upper()


def test_pandera_and_content_rules_pass_on_the_committed_package():
    result = validate_package(ROOT)
    assert result.ok, result.errors


def test_table_schemas_are_generated_from_the_registry():
    for name in load_resources():
        committed = (ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8")
        assert committed == schema_json(name), f"schemas/{name}.schema.json is stale; run `nox -s schemas`"


def test_every_field_is_defined_once_and_used():
    fields = load_fields()  # raises if a name is defined twice
    used = {f for spec in load_resources().values() for f in spec["fields"]}
    assert used <= set(fields)
    assert set(fields) - used == set(), f"fields defined but used by no table: {set(fields) - used}"


def test_datapackage_describes_every_resource_with_bytes_and_hash():
    dp = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    specs = load_resources()
    assert {r["name"] for r in dp["resources"]} == set(specs)
    for key in ("name", "title", "description", "version", "licenses", "sources", "contributors", "created"):
        assert dp[key], key
    import hashlib

    with_parquet = [r for r in dp["resources"] if "x_parquet" in r]
    assert {r["name"] for r in with_parquet} == {n for n, spec in specs.items() if spec.get("parquet")} != set()
    for r in dp["resources"]:
        for part in (r, r.get("x_parquet")):
            if part:
                data = (ROOT / part["path"]).read_bytes()
                assert part["bytes"] == len(data)
                assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_renamed_copy_of_one_report_builds_a_valid_package_with_the_same_row(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "003_d68dadcd5706f4a5.txt", raw / "my report.txt")
    out = tmp_path / "out"
    # No manifest: the file is added with empty provenance, so the verdict carries a warning.
    assert build(raw, out, echo=quiet) == EXIT_OK
    assert validate_package(out).ok
    with open(out / "data/tables/reports.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    with open(ROOT / "data/tables/reports.csv", encoding="utf-8") as fh:
        original = next(r for r in csv.DictReader(fh) if r["source_file"] == "003_d68dadcd5706f4a5.txt")
    assert row.pop("source_file") == "my report.txt"
    original.pop("source_file")
    # Provenance comes from the manifest, which the copy lacks: only its address differs.
    assert (row.pop("source_url"), row.pop("retrieved_date")) == ("", "")
    original.pop("source_url"), original.pop("retrieved_date")
    assert row == original
    assert (out / "data/raw/my report.txt").read_bytes() == (RAW / "003_d68dadcd5706f4a5.txt").read_bytes()


def test_a_raw_file_whose_checksum_changed_is_refused_by_name(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    with open(raw / "001_131dc5d2c8e1d5c4.txt", "a", encoding="utf-8") as fh:
        fh.write("\n篡改")
    messages: list[str] = []
    out = tmp_path / "out"
    assert build(raw, out, echo=messages.append) == EXIT_REJECTED
    refusal = [m for m in messages if m.startswith("rejected") and "001_131dc5d2c8e1d5c4.txt" in m]
    assert refusal and "SHA-256" in refusal[0] and "sources.csv" in refusal[0]
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    assert (report["accepted"], report["rejected"]) == (4, 1)
    assert validate_package(out).ok


def test_a_failed_build_leaves_the_previous_package_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert build(RAW, out, echo=quiet) == EXIT_OK
    before = {f: (out / f).read_bytes() for f in _files(out, ".")}

    class Broken:
        ok, errors, warnings = False, ["forced failure"], []

    monkeypatch.setattr(build_mod, "validate_package", lambda _dir: Broken())
    # Without the cache the unchanged inputs are processed again and the (broken) validation runs.
    assert build(RAW, out, echo=quiet, cache_dir=False) == EXIT_FAILED
    assert {f: (out / f).read_bytes() for f in _files(out, ".")} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".build-")]


def test_validation_names_the_rows_that_break_a_rule(fresh, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(fresh, broken)
    path = broken / "data/tables/sections.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    rows[3]["heading"] = rows[3]["heading"] + "篡改"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    result = validate_package(broken, use_frictionless=False)
    assert not result.ok
    assert any(rows[3]["section_id"] in e and "heading differs" in e for e in result.errors), result.errors


def test_versions_agree():
    import tomllib

    import lbgr
    from lbgr.schema_registry import load_yaml

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    citation = next(line.split(":", 1)[1].strip() for line in (ROOT / "CITATION.cff").read_text().splitlines()
                    if line.startswith("version:"))
    assert pyproject == lbgr.__version__ == load_yaml("package.yaml")["version"] == citation


def test_no_indicator_code_holds_two_kinds_or_two_unit_families_across_the_package():
    """Issue 19: a code means one thing in every report (its kind and unit family are the codebook's)."""
    def rows(rel):
        with open(ROOT / rel, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    family = {r["unit_normalized"]: r["unit_family"] for r in rows("data/codebooks/unit_families.csv")}
    codebook = {r["indicator_code"]: (r["value_kind"], r["unit_family"]) for r in rows("data/codebooks/indicators.csv")}
    seen: dict[str, set[tuple[str, str]]] = {}
    for r in rows("data/tables/report_indicators.csv"):
        seen.setdefault(r["indicator_code"], set()).add((r["value_kind"], family[r["unit_normalized"]]))
    assert seen, "report_indicators is empty"
    assert {code: kinds for code, kinds in seen.items() if kinds != {codebook[code]}} == {}


def test_a_failed_plausibility_check_is_a_warning_and_a_flag_never_a_dropped_row(fresh, tmp_path):
    changed = tmp_path / "changed"
    shutil.copytree(fresh, changed)
    path = changed / "data/tables/report_indicators.csv"
    rows = list(csv.DictReader(open(path, encoding="utf-8")))
    i = next(k for k, r in enumerate(rows) if r["indicator_code"] == "mediation_success_rate")
    rows[i]["value"] = rows[i]["value_normalized"] = "130"  # a rate above 100
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    result = validate_package(changed, use_frictionless=False)
    key = f"{rows[i]['report_id']}/mediation_success_rate"
    assert any(key in w and "rate_in_0_100" in w for w in result.warnings), result.warnings
    # The row no longer says what the checks say: the written flags are stale, which is an error.
    assert any("plausibility_flags differ" in e and key in e for e in result.errors), result.errors


def test_the_examples_of_issue_19_come_out_right_or_flagged():
    """The review of 峄城区 2020 and 通州区 2023 (issue 19): each example is right, or flagged."""
    def rows(rel):
        with open(ROOT / rel, encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh))

    ri = {(r["report_id"], r["indicator_code"]): r for r in rows("data/tables/report_indicators.csv")}
    measures = {r["measure_id"]: r for r in rows("data/tables/measures.csv")}
    yicheng, tongzhou = "370404-2020", "320612-2023"
    # Retained after a clean-up is not the clean-up total: its own code; the total keeps its own.
    assert ri[(yicheng, "normdoc_retained")]["value"] == "21" and (yicheng, "normdoc_cleanup") not in ri
    assert ri[(tongzhou, "normdoc_cleanup")]["value"] == "78"
    # A sub-count of two bodies is not the district's mediation caseload: uncoded, with the reason.
    sub = next(m for m in measures.values() if m["report_id"] == yicheng and m["surface"] == "920起")
    assert sub["indicator_code"] == "" and sub["indicator_note"].startswith("mediation_cases: narrower scope")
    cases, success = ri.get((yicheng, "mediation_cases")), ri[(yicheng, "mediation_success")]
    assert cases is None or "mediation_success_le_cases" in success["plausibility_flags"]
    # A rate and a count are two codes.
    assert ri[(yicheng, "npc_cppcc_reply_rate")]["unit_normalized"] == "%"
    assert ri[(tongzhou, "npc_cppcc_proposals")]["unit_normalized"] == "件" and (yicheng, "npc_cppcc_proposals") not in ri
    # The figure whose sentence names the indicator; study sessions apart from meetings and instructions.
    assert ri[(yicheng, "pufa_activities")]["value"] == "160"
    assert (ri[(yicheng, "leader_study")]["value"], ri[(yicheng, "leader_meetings")]["value"],
            ri[(yicheng, "leader_instructions")]["value"]) == ("26", "20", "18")
    # The core indicator the review found missing.
    assert ri[(yicheng, "normdoc_reviewed")]["value"] == "11"
    # Compliance: a heading that names causes is not causes stated; figures are the measures rows.
    compliance = {r["report_id"]: r for r in rows("data/tables/compliance.csv")}
    assert (compliance[tongzhou]["has_causes"], compliance[tongzhou]["causes_evidence"]) == ("false", "heading_only")
    for rid, row in compliance.items():
        assert int(row["n_figures"]) == sum(m["report_id"] == rid for m in measures.values())
