"""The rows of a table sorted by report_id, read a block at a time and handed out by report.

Validation reads every report-scoped table in lockstep with ``reports``: for each group of
reports, ``take(last)`` returns the rows up to the group's last report ID. Only a block of rows
and the rest of the current block are in memory. A table that is not sorted raises ``NotSorted``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from lbgr.package.tables import typed

BLOCK_ROWS = 10_000


class NotSorted(ValueError):
    def __init__(self, name: str):
        super().__init__(f"{name}: rows are not sorted by report_id (the build writes them sorted)")


class SortedRows:
    """``blocks``: the table's rows as DataFrames, in file order; ``empty``: its columns."""

    def __init__(self, name: str, blocks: Iterator[pd.DataFrame], empty: pd.DataFrame):
        self.name = name
        self._blocks = blocks
        self._rows = empty
        self._last_read = ""  # report_id of the last row read
        self._done = False

    def _read_block(self) -> None:
        block = next(self._blocks, None)
        if block is None:
            self._done = True
            return
        if "report_id" not in block or not len(block):
            self._rows = pd.concat([self._rows, block], ignore_index=True)
            return
        ids = block.report_id.fillna("")
        if not ids.is_monotonic_increasing or ids.iloc[0] < self._last_read:
            raise NotSorted(self.name)
        self._last_read = ids.iloc[-1]
        self._rows = block if not len(self._rows) else pd.concat([self._rows, block], ignore_index=True)

    def take(self, last: str | None) -> pd.DataFrame:
        """The rows not yet taken whose report_id is at most ``last`` (all of them when None)."""
        while not self._done and (last is None or self._last_read <= last):
            self._read_block()
        if last is None or "report_id" not in self._rows:
            out, self._rows = self._rows, self._rows.iloc[:0]
        else:
            k = int(self._rows.report_id.fillna("").searchsorted(last, side="right"))
            out, self._rows = self._rows.iloc[:k], self._rows.iloc[k:]
        return out.reset_index(drop=True)


def csv_rows(path: Path, name: str) -> SortedRows:
    """A package CSV, with the column types of its schema."""
    options = {"dtype": str, "keep_default_na": False, "na_values": [""]}
    empty = typed(pd.read_csv(path, nrows=0, **options), name)
    blocks = (typed(block, name) for block in pd.read_csv(path, chunksize=BLOCK_ROWS, **options))
    return SortedRows(name, blocks, empty)


def parquet_rows(path: Path, name: str) -> SortedRows:
    """A Parquet copy, read a row group at a time (its pandas metadata restores the dtypes)."""
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    blocks = (file.read_row_group(g).to_pandas() for g in range(file.num_row_groups))
    return SortedRows(name, blocks, file.schema_arrow.empty_table().to_pandas())
