"""Interrupted builds, adding reports, and exit statuses."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lbgr.build.add import AddError, add_report
from lbgr.build.install import JOURNAL, install_paths, recover
from lbgr.build.run import EXIT_OK, EXIT_USAGE, build
from lbgr.cli import main
from lbgr.ingest.manifest import read_manifest
from lbgr.validate import validate_package
from testroot import ROOT

RAW = ROOT / "data" / "raw"


def quiet(*_):
    pass


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_killing_a_build_midway_leaves_the_previous_package_valid_and_unchanged(tmp_path):
    out = tmp_path / "pkg"
    assert build(RAW, out, echo=quiet) == EXIT_OK
    before = snapshot(out)
    # A large input folder keeps the build busy long enough to be killed in the middle.
    big = tmp_path / "big"
    big.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
    for i in range(400):
        (big / f"r{i:04d}.txt").write_text(texts[i % len(texts)] + f"\n附注{i}。", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "lbgr", "build", "--raw", str(big), "--out", str(out), "--jobs", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # Kill it once it is processing files (its spool folder exists), not while it starts up.
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if p.name.startswith(".spool-")] and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert snapshot(out) == before
    assert validate_package(out).ok
    # The next build cleans up what the killed one left and succeeds.
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".spool-")], "the killed build left no spool"
    assert build(RAW, out, echo=quiet) == EXIT_OK
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".build-", ".spool-"))]


def test_an_interrupted_install_is_rolled_back_by_the_next_build(tmp_path):
    out = tmp_path / "pkg"
    (out / "data").mkdir(parents=True)
    (out / "datapackage.json").write_text("old", encoding="utf-8")
    (out / "data" / "t.csv").write_text("old", encoding="utf-8")
    new = tmp_path / "new"
    (new / "data").mkdir(parents=True)
    (new / "datapackage.json").write_text("new", encoding="utf-8")
    (new / "data" / "t.csv").write_text("new", encoding="utf-8")
    backup = tmp_path / "backup"
    # Simulate a crash after the old files were moved aside and one new file was moved in.
    install_paths(new, out, ["datapackage.json"], backup / "a")
    (out / JOURNAL).write_text('{"backup": "%s", "paths": ["data/t.csv"]}' % (backup / "b"), encoding="utf-8")
    (backup / "b" / "data").mkdir(parents=True)
    (out / "data" / "t.csv").rename(backup / "b" / "data" / "t.csv")
    assert recover(out) == ["data/t.csv"]
    assert (out / "data" / "t.csv").read_text(encoding="utf-8") == "old"
    assert not (out / JOURNAL).exists()


def test_add_report_copies_records_and_refuses_duplicates(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "sources.csv", raw / "sources.csv")
    source = tmp_path / "downloads" / "新报告.txt"
    source.parent.mkdir()
    shutil.copy(RAW / "003_d68dadcd5706f4a5.txt", source)
    # The corpus manifest already lists these bytes under another name.
    with pytest.raises(AddError, match="already in raw/ as 003_d68dadcd5706f4a5.txt"):
        add_report(source, raw, url="https://example.gov.cn/a.html", retrieved_date="2024-03-01")
    (raw / "sources.csv").write_text("source_file,source_sha256,source_bytes,source_url,retrieved_date,notes\n",
                                     encoding="utf-8")
    row = add_report(source, raw, url="https://example.gov.cn/a.html", retrieved_date="2024-03-01")
    assert filecmp.cmp(source, raw / "新报告.txt", shallow=False)
    manifest = read_manifest(raw / "sources.csv")
    assert manifest["新报告.txt"]["source_url"] == "https://example.gov.cn/a.html"
    assert manifest["新报告.txt"]["retrieved_date"] == "2024-03-01"
    assert row["source_bytes"] == str(source.stat().st_size)
    with pytest.raises(AddError, match="not a date"):
        add_report(source, raw, retrieved_date="yesterday")
    out = tmp_path / "pkg"
    assert main(["add", str(RAW / "000_b42d8d81e0a81924.txt"), "--raw", str(raw), "--out", str(out)]) == EXIT_OK
    assert validate_package(out).ok
    assert len((out / "data/tables/reports.csv").read_text(encoding="utf-8").splitlines()) == 3


def test_usage_errors_have_their_own_exit_status(tmp_path):
    assert main(["build", "--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == EXIT_USAGE
    (tmp_path / "emptydir").mkdir()
    assert main(["build", "--raw", str(tmp_path / "emptydir"), "--out", str(tmp_path / "o")]) == EXIT_USAGE
    assert main(["no-such-command"]) == EXIT_USAGE


def test_a_one_job_build_starts_no_worker_process(tmp_path, monkeypatch):
    """The benchmark's one-core figures are only one core's if nothing forks a pool."""
    import concurrent.futures

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("a process pool was started")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    lines: list[str] = []
    assert build(RAW, tmp_path / "one", jobs=1, echo=lines.append, cache_dir=False) == EXIT_OK
    assert any("package written" in line for line in lines)
    assert validate_package(tmp_path / "one").ok


def test_a_stage_whose_rows_cannot_be_written_rejects_that_report_only(tmp_path, monkeypatch):
    import csv

    from lbgr import pipeline
    from lbgr.build.run import EXIT_REJECTED

    with open(ROOT / "data" / "tables" / "reports.csv", encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))
    victim, victim_id = first["source_file"], first["report_id"]

    def bad_rows(doc, ctx):
        # A cell the schema's integer column cannot hold, for one report: formatting it fails.
        return {"compliance": [{"report_id": doc.report_id, "n_figures": object()}]} if doc.report_id == victim_id else {}

    monkeypatch.setattr(pipeline, "PER_REPORT_STAGES", [*pipeline.PER_REPORT_STAGES, ("bad", bad_rows)])
    messages: list[str] = []
    assert build(RAW, tmp_path / "pkg", echo=messages.append, cache_dir=False) == EXIT_REJECTED
    line = next(m for m in messages if victim in m)
    assert line.startswith("rejected") and "internal error" in line, line
    accepted = [m for m in messages if m.startswith("accepted")]
    assert len(accepted) == len(list(RAW.glob("*.txt"))) - 1
