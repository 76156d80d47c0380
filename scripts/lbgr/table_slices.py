"""Where the rows of each group of reports are in a package's tables, found without parsing them.

Every report-scoped table is sorted by report_id, so the rows of a group of reports are one
contiguous run of bytes. ``TableSlices`` finds the row ends of a CSV file (a line end with
balanced quotes before it: RFC 4180 doubles a quote inside a quoted cell, so the parity of the
count is exact) with NumPy, then each group's first row by binary search on the report_id of a
few rows. Validation then reads, hashes and checks one group's bytes at a time, and a group
whose bytes were validated before is not even parsed.

Nothing here trusts the order: a table whose rows are not sorted puts rows of another group in a
slice, which the reader of the slice (``check_order``) reports.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pandas as pd

_SCAN_BYTES = 1 << 24  # bytes scanned at a time, so that the scan's arrays stay small


def row_ends(data) -> np.ndarray:
    """Offsets just past the end of every record of a CSV held in ``data`` (header included)."""
    return _row_ends((off, data[off:off + _SCAN_BYTES]) for off in range(0, len(data), _SCAN_BYTES))


def _row_ends(chunks) -> np.ndarray:
    """``row_ends`` over consecutive ``(offset, bytes)`` pieces of a file."""
    ends, quotes, size = [], 0, 0
    for off, chunk in chunks:
        raw = np.frombuffer(chunk, dtype=np.uint8)
        nl = np.flatnonzero(raw == 10)
        q = np.flatnonzero(raw == 34)
        balanced = (quotes + np.searchsorted(q, nl)) % 2 == 0
        ends.append(nl[balanced].astype(np.int64) + off + 1)
        quotes += len(q)
        size = off + len(chunk)
    out = np.concatenate(ends) if ends else np.array([], dtype=np.int64)
    if size and (not len(out) or out[-1] != size):
        out = np.append(out, size)  # a last record without a line end
    return out


class TableSlices:
    """One CSV table, cut into the runs of rows of consecutive report groups.

    The file is read in pieces (``os.pread``), not held or mapped: only the offsets of its rows
    stay in memory."""

    def __init__(self, path: Path, name: str):
        self.name = name
        self.fh = open(path, "rb")
        fd = self.fh.fileno()
        size = os.fstat(fd).st_size
        ends = _row_ends((off, os.pread(fd, _SCAN_BYTES, off)) for off in range(0, size, _SCAN_BYTES))
        self.header = os.pread(fd, int(ends[0]), 0) if len(ends) else b""
        self.starts = ends[:-1] if len(ends) else ends  # row i is the file's bytes starts[i]:ends[i]
        self.ends = ends[1:] if len(ends) else ends
        columns = next(csv.reader(io.StringIO(self.header.decode("utf-8", "replace"))), [])
        self.id_column = columns.index("report_id") if "report_id" in columns else None
        self.next_row = 0

    @property
    def rows(self) -> int:
        return len(self.starts)

    def _bytes(self, begin: int, end: int) -> bytes:
        return os.pread(self.fh.fileno(), end - begin, begin)

    def report_id(self, i: int) -> str:
        """The report_id of row ``i`` (parsed from that row alone)."""
        line = self._bytes(int(self.starts[i]), int(self.ends[i])).decode("utf-8", "replace")
        cells = next(csv.reader(io.StringIO(line)), [])
        return cells[self.id_column] if self.id_column is not None and self.id_column < len(cells) else ""

    def take(self, last: str | None) -> tuple[int, int]:
        """The rows from where the last call stopped up to report ``last`` (to the end when
        None), as (first row, end row); binary search, assuming the rows are sorted."""
        lo, hi = self.next_row, self.rows
        if last is not None and self.id_column is not None:
            while lo < hi:
                mid = (lo + hi) // 2
                if self.report_id(mid) <= last:
                    lo = mid + 1
                else:
                    hi = mid
        else:
            lo = hi
        first, self.next_row = self.next_row, lo
        return first, lo

    def raw(self, first: int, end: int) -> bytes:
        """Rows ``first`` to ``end`` (exclusive), as bytes without the header."""
        if first >= end:
            return b""
        return self._bytes(int(self.starts[first]), int(self.ends[end - 1]))

    def frame(self, body: bytes) -> pd.DataFrame:
        """The rows of ``body`` (from ``raw``), every cell a string or missing."""
        return pd.read_csv(io.BytesIO(self.header + body), dtype=str, keep_default_na=False, na_values=[""])

    def close(self) -> None:
        self.fh.close()


def not_sorted(name: str) -> str:
    return f"{name}: rows are not sorted by report_id (the build writes them sorted)"


def check_order(name: str, ids: pd.Series, last: str | None) -> str | None:
    """An error when the rows of a group's slice are not sorted or run past the group's last
    report (that they start after the previous group is checked on the first row alone)."""
    ids = ids.fillna("")
    if not ids.is_monotonic_increasing or (len(ids) and last is not None and ids.iloc[-1] > last):
        return not_sorted(name)
    return None


class ParquetRows:
    """Rows of a Parquet copy by position, reading only the row groups that hold them."""

    def __init__(self, path: Path):
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        meta = self.file.metadata
        self.rows = meta.num_rows
        self.offsets = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
        self._held: dict[int, object] = {}

    def _group(self, g: int):
        if g not in self._held:
            self._held = {g: self.file.read_row_group(g)}  # groups are asked for in order: keep one
        return self._held[g]

    def take(self, first: int, end: int):
        """A pyarrow Table of rows ``first`` to ``end`` (fewer if the copy is shorter)."""
        import pyarrow as pa

        end = min(end, self.rows)
        parts = []
        g = max(0, int(np.searchsorted(self.offsets, first, side="right")) - 1)
        while first < end and g < len(self.offsets) - 1:
            lo, hi = self.offsets[g], self.offsets[g + 1]
            if hi > first:
                part = self._group(g)
                parts.append(part.slice(first - lo, min(end, hi) - first))
                first = min(end, hi)
            g += 1
        if not parts:
            return self.file.schema_arrow.empty_table()
        return pa.concat_tables(parts)
