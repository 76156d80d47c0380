"""The noxfile's build session, run as a user runs it, passes the build's outcome on in its exit status.

nox runs in this environment (``--no-venv --no-install``), so the test checks the session's own
logic, not an installation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testroot import ROOT

RAW = ROOT / "data" / "raw"


def nox_build(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nox", "-f", str(ROOT / "noxfile.py"), "--no-venv", "--no-install",
                           "-s", "build", "--", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture
def raw(tmp_path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    shutil.copy2(RAW / "000_b42d8d81e0a81924.txt", folder)
    return folder


def test_all_accepted_exits_zero(raw, tmp_path):
    proc = nox_build("--raw", str(raw), "--out", str(tmp_path / "pkg"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "pkg" / "datapackage.json").exists()


def test_some_rejected_exits_non_zero_and_says_the_package_was_written(raw, tmp_path):
    (raw / "empty.txt").write_text("", encoding="utf-8")
    proc = nox_build("--raw", str(raw), "--out", str(tmp_path / "pkg"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "exited with status 1: some inputs were rejected" in out
    assert "empty.txt" in out
    assert (tmp_path / "pkg" / "datapackage.json").exists()


def test_usage_error_is_named(tmp_path):
    proc = nox_build("--raw", str(tmp_path / "missing"), "--out", str(tmp_path / "pkg"))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "exited with status 2: usage error" in out
    assert not (tmp_path / "pkg").exists()
