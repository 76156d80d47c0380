"""Rows are formatted in the workers (``csv_rows``) exactly as ``write_csv(frame(...))`` would
write them, so that a table concatenated from per-report pieces is the table of all rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lbgr.schema_registry import load_resources
from lbgr.tables import csv_header, csv_rows, frame, read_table, write_csv

ROOT = Path(__file__).resolve().parents[1]
TABLES = [n for n, spec in load_resources().items() if spec["path"].startswith("data/tables")]


@pytest.mark.parametrize("name", TABLES)
def test_the_committed_tables_are_their_rows_formatted(name):
    path = ROOT / load_resources()[name]["path"]
    df = read_table(path, name)
    rows = [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in df.to_dict("records")]
    assert csv_header(name) + csv_rows(name, rows) == path.read_text(encoding="utf-8")


def test_odd_values_are_written_as_frame_and_write_csv_write_them(tmp_path):
    rows = [
        # an integral float in an integer field, a bool in an integer field, an int in a number field
        {"measure_id": "a", "report_id": "", "char_start": 3.0, "char_end": True, "value_normalized": 5,
         "surface": "7", "value_normalized_high": 1e16},
        # nulls of every kind; a non-integral number; an empty string is a null
        {"measure_id": None, "char_start": None, "value_normalized": 2.5, "surface": float("nan"),
         "indicator_code": "", "qualifier": pd.NA},
        # text that needs quoting
        {"measure_id": "b", "sentence": 'a "quoted", two-line\ncell', "value_normalized": 0.1},
    ]
    path = tmp_path / "measures.csv"
    write_csv(frame("measures", rows), path)
    assert path.read_text(encoding="utf-8") == csv_header("measures") + csv_rows("measures", rows)


def test_a_non_integral_value_in_an_integer_field_is_refused():
    with pytest.raises(ValueError):
        csv_rows("measures", [{"measure_id": "a", "char_start": 2.5}])
