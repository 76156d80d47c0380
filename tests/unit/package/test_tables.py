"""Rows are formatted in the workers (``csv_rows``) exactly as ``write_csv(frame(...))`` would
write them, so that a table concatenated from per-report pieces is the table of all rows."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbgr.package.tables import csv_header, csv_rows, frame, read_table, write_csv
from lbgr.schema_registry import load_resources
from testroot import ROOT

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


_TEXT = st.lists(st.sampled_from(list('ab 法治,，"“\n\r\t0-.') + ["xy", '""']), max_size=8).map("".join)
_NULLS = st.sampled_from([None, float("nan"), pd.NA])


def _value(kind: str):
    if kind in ("integer", "year"):
        return st.one_of(_NULLS, st.integers(-10**6, 10**12), st.booleans(),
                         st.integers(-1000, 1000).map(float))
    if kind == "number":
        return st.one_of(_NULLS, st.integers(-10**6, 10**16), st.floats(-1e17, 1e17, allow_nan=False),
                         st.booleans())
    if kind == "boolean":
        return st.one_of(_NULLS, st.booleans())
    return st.one_of(_NULLS, st.just(""), _TEXT)  # an empty string is a null in a text field


@st.composite
def _rows(draw, name: str):
    from lbgr.schema_registry import table_schema

    fields = table_schema(name)["fields"]
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        # Some rows leave fields out; ``frame`` and ``csv_rows`` read a missing field as null.
        rows.append({f["name"]: draw(_value(f["type"])) for f in fields if draw(st.integers(0, 9))})
    return rows


@pytest.mark.parametrize("name", ["measures", "reports", "sections", "policy_terms"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_rows_are_written_as_frame_and_write_csv_write_them(tmp_path_factory, name, data):
    """Property: for rows of any values the schema's types admit (and nulls of every kind, text
    that needs quoting, carriage returns, missing fields), the worker's formatting equals the
    table writer's."""
    rows = data.draw(_rows(name))
    path = tmp_path_factory.mktemp("t") / f"{name}.csv"
    write_csv(frame(name, rows), path)
    with open(path, encoding="utf-8", newline="") as fh:
        assert fh.read() == csv_header(name) + csv_rows(name, rows)
