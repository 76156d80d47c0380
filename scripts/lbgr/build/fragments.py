"""One report's share of the package, spooled to disk by the worker that made it.

A fragment holds a report's body and its rows of every table, already formatted as the CSV
lines of the package (``lbgr.package.tables.csv_rows``), except the rows of tables that a cross-report
stage still has to finish, which stay row dicts. The worker writes the fragment and sends back
only its small ``FileSummary``, so neither the parent process nor the pipe between them ever
carries the corpus; the build then writes each table by concatenating the fragments in
report-ID order. Fragments double as the result cache of incremental builds (``lbgr.build.cache``).

File layout: two pickles, the summary first, so that a summary is read without the rows.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Verdict:
    source_file: str
    verdict: str = "accepted"  # accepted / accepted_with_warnings / rejected
    reasons: list[str] = field(default_factory=list)
    report_id: str | None = None

    def as_dict(self) -> dict:
        return {"source_file": self.source_file, "verdict": self.verdict, "report_id": self.report_id,
                "reasons": self.reasons}


@dataclass
class FileSummary:
    """What the build needs to know of a processed file, without its rows."""

    verdict: Verdict
    fragment: Path | None = None  # None when the file was rejected
    source_format: str = ""
    is_traditional_source: bool = False
    body_chars: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    cross: dict[str, object] = field(default_factory=dict)  # cross-report stage name → summary
    seconds: dict[str, float] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)  # steps computed for it (not taken from the cache)

    @property
    def accepted(self) -> bool:
        return self.fragment is not None and self.verdict.verdict != "rejected"


@dataclass
class Fragment:
    body: str
    csv: dict[str, str]  # resource → CSV lines (no header)
    rows: dict[str, list[dict]]  # resource → rows a cross-report stage finishes at write time


def write(path: Path, summary: FileSummary, fragment: Fragment | None) -> None:
    """Write atomically: a killed worker leaves no half-written fragment behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(summary, fh, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(fragment, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_summary(path: Path) -> FileSummary | None:
    """The summary stored at ``path``, or None when there is none (or it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            summary = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
        return None
    if not isinstance(summary, FileSummary):
        return None
    if summary.fragment is not None:
        summary.fragment = path  # the cache folder may have moved since it was written
    return summary


def read_fragment(path: Path) -> Fragment:
    with open(path, "rb") as fh:
        pickle.load(fh)
        return pickle.load(fh)
