"""A copy of the repository's built package, for tests that damage or validate it."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def copy_package(target: Path) -> Path:
    """``target``: the descriptor, build report, data and schemas of the repository's package."""
    target.mkdir()
    for rel in ("datapackage.json", "build_report.json"):
        shutil.copy2(ROOT / rel, target / rel)
    for rel in ("data", "schemas"):
        shutil.copytree(ROOT / rel, target / rel)
    return target
