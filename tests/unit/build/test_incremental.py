"""Incremental builds: an unchanged package is up to date at once, and adding a report processes
that report only, while the cross-report columns and tables are still recomputed."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from lbgr import pipeline
from lbgr.build.run import EXIT_OK, build
from lbgr.ingest.manifest import raw_files
from testroot import ROOT

RAW = ROOT / "data" / "raw"


def quiet(*_):
    pass


def _raw_subset(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy2(RAW / name, folder / name)
    return folder


def _tables(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "data" / "tables").glob("*.csv"))}


@pytest.fixture(scope="module")
def names() -> list[str]:
    return [p.name for p in raw_files(RAW)]


def test_adding_a_report_processes_only_that_report(tmp_path, names, monkeypatch):
    raw = _raw_subset(tmp_path / "raw", names[:-1])
    out = tmp_path / "pkg"
    first: dict = {}
    assert build(raw, out, echo=quiet, stats=first) == EXIT_OK
    assert first["processed"] == len(names) - 1 and first["from_cache"] == 0

    shutil.copy2(RAW / names[-1], raw / names[-1])
    second: dict = {}
    assert build(raw, out, echo=quiet, stats=second) == EXIT_OK
    assert second["processed"] == 1 and second["from_cache"] == len(names) - 1

    # The incremental result equals a build from scratch, cross-report columns included.
    scratch = tmp_path / "scratch"
    assert build(raw, scratch, echo=quiet, cache_dir=False) == EXIT_OK
    assert _tables(out) == _tables(scratch)
    # Read in the reports: “放管服” is quoted by 001, 002, 003 and 004; the added one is 004.
    with open(out / "data" / "tables" / "policy_terms.csv", encoding="utf-8", newline="") as fh:
        counts = {r["n_reports_with_term"] for r in csv.DictReader(fh) if r["term_normalized"] == "放管服"}
    assert counts == {"4"}


def test_an_unchanged_package_is_up_to_date_and_a_changed_file_is_reprocessed(tmp_path, names):
    raw = _raw_subset(tmp_path / "raw", names[:2])
    out = tmp_path / "pkg"
    assert build(raw, out, echo=quiet) == EXIT_OK
    lines: list[str] = []
    stats: dict = {}
    assert build(raw, out, echo=lines.append, stats=stats) == EXIT_OK
    assert stats.get("up_to_date") is True and lines[0].startswith("up to date")

    # A changed file is processed again; the other one comes from the cache.
    path = raw / names[1]
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    stats = {}
    assert build(raw, out, echo=quiet, stats=stats) == EXIT_OK
    assert stats["processed"] == 1 and stats["from_cache"] == 1
    # The results of the file's old version are dropped: its fragment and the result of each
    # cached step; the cache holds one fragment and one result per step for each file.
    steps = [s for s in pipeline.STEPS if s.kind != "cross_report"]
    assert stats["cache_entries_pruned"] == 1 + len(steps)
    assert len(list((tmp_path / ".pkg.lbgr-cache").rglob("*.fragment"))) == 2
    assert len(list((tmp_path / ".pkg.lbgr-cache").rglob("*.pickle"))) == 2 * len(steps)


def test_a_damaged_cache_entry_is_recomputed(tmp_path, names):
    raw = _raw_subset(tmp_path / "raw", names[:1])
    out = tmp_path / "pkg"
    assert build(raw, out, echo=quiet) == EXIT_OK
    cache = tmp_path / ".pkg.lbgr-cache"
    entries = list(cache.rglob("*.fragment"))
    assert len(entries) == 1
    entries[0].write_bytes(b"not a pickle")
    (cache / "stamp").unlink()
    stats: dict = {}
    assert build(raw, out, echo=quiet, stats=stats) == EXIT_OK
    assert stats["processed"] == 1


def test_a_failure_while_spooling_fails_the_build_and_keeps_the_package(tmp_path, names, monkeypatch):
    from lbgr.build import run as build_mod
    from lbgr.build.run import EXIT_FAILED

    raw = _raw_subset(tmp_path / "raw", names[:1])
    out = tmp_path / "pkg"
    assert build(raw, out, echo=quiet) == EXIT_OK
    before = _tables(out)

    def no_space(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(build_mod.fragments, "write", no_space)
    lines: list[str] = []
    assert build(raw, out, echo=lines.append, cache_dir=False) == EXIT_FAILED
    assert any("No space left on device" in line for line in lines)
    assert _tables(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".spool-", ".build-"))]


def _files(out: Path, sub: str) -> dict[str, Path]:
    return {p.name: p for p in sorted((out / sub).glob("*.txt"))}


def test_a_rebuild_links_unchanged_bodies_and_raw_copies_and_writes_changed_ones(tmp_path, names):
    raw = _raw_subset(tmp_path / "raw", names)
    out = tmp_path / "pkg"
    assert build(raw, out, echo=quiet) == EXIT_OK
    inode = {(sub, n): p.stat().st_ino for sub in ("data/bodies", "data/raw") for n, p in _files(out, sub).items()}
    old_bodies = {n: p.read_bytes() for n, p in _files(out, "data/bodies").items()}
    assert len(inode) == 2 * len(names)

    # One report changes (a paragraph added); the previous package's copy of another raw file
    # is overwritten in place with as many bytes, so it is no longer a copy of its raw file.
    changed, edited = names[0], names[1]
    with open(raw / changed, "a", encoding="utf-8") as fh:
        fh.write("\n另外，全年共办理行政复议案件12件，均已依法审结。\n")
    size = (out / "data" / "raw" / edited).stat().st_size
    (out / "data" / "raw" / edited).write_bytes(b"x" * size)

    stats: dict = {}
    assert build(raw, out, echo=quiet, stats=stats) == EXIT_OK
    assert stats["processed"] == 1
    raws = _files(out, "data/raw")
    for name in names:
        assert raws[name].read_bytes() == (raw / name).read_bytes()
        assert (raws[name].stat().st_ino == inode[("data/raw", name)]) == (name not in (changed, edited))
    # Bodies: the changed report's is written anew, the others are the same files as before.
    bodies = _files(out, "data/bodies")
    assert len(bodies) == len(names)
    relinked = {n for n, p in bodies.items() if p.stat().st_ino == inode.get(("data/bodies", n))}
    unchanged = {n for n, p in bodies.items() if old_bodies.get(n) == p.read_bytes()}
    assert relinked == unchanged and len(unchanged) == len(names) - 1

    # The package is the one a build from scratch makes.
    scratch = tmp_path / "scratch"
    assert build(raw, scratch, echo=quiet, cache_dir=False) == EXIT_OK
    for sub in ("data/bodies", "data/raw", "data/tables"):
        mine = {p.name: p.read_bytes() for p in sorted((out / sub).iterdir())}
        theirs = {p.name: p.read_bytes() for p in sorted((scratch / sub).iterdir())}
        assert mine == theirs
