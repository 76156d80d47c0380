"""Rows → typed DataFrames in schema column order, and DataFrames → deterministic CSV."""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from lbgr.schema_registry import table_schema

_DTYPES = {"integer": "Int64", "number": "Float64", "boolean": "boolean", "string": "string",
           "date": "string", "datetime": "string", "year": "Int64"}


def frame(resource: str, rows: list[dict]) -> pd.DataFrame:
    fields = table_schema(resource)["fields"]
    names = [f["name"] for f in fields]
    df = pd.DataFrame(rows, columns=names)
    for f in fields:
        col = df[f["name"]].astype(_DTYPES[f["type"]])
        if _DTYPES[f["type"]] == "string":
            # An empty string is written as an empty cell, which reads back as null.
            col = col.mask(col == "")
        df[f["name"]] = col
    return df


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))  # 742, not 742.0
    return str(value)


def _string_cell(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, str) else str(v)


def _integer_cell(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, (float, np.floating)) and not float(v).is_integer():
        raise ValueError(f"{v!r} is not an integer")
    return str(int(v))


def _number_cell(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return _cell(float(v))


def _boolean_cell(v) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return "true" if v else "false"


_CELL_OF_TYPE = {"integer": _integer_cell, "year": _integer_cell, "number": _number_cell,
                 "boolean": _boolean_cell, "string": _string_cell, "date": _string_cell,
                 "datetime": _string_cell}


@cache
def _cells(resource: str) -> list[tuple[str, object]]:
    """(field name, its cell writer) of every field of ``resource``, worked out once."""
    return [(f["name"], _CELL_OF_TYPE[f["type"]]) for f in table_schema(resource)["fields"]]


def csv_header(resource: str) -> str:
    return ",".join(f["name"] for f in table_schema(resource)["fields"]) + "\n"


def csv_rows(resource: str, rows: list[dict]) -> str:
    """Rows as the CSV lines ``write_csv(frame(resource, rows))`` writes below its header.

    The build formats each report's rows this way in the worker that made them, so the whole
    table is never held in memory: its file is the concatenation of the reports' lines.
    """
    cells = _cells(resource)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([cell(row.get(name)) for name, cell in cells] for row in rows)
    return out.getvalue()


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as UTF-8 CSV with ``\\n`` line ends, booleans as true/false, nulls empty."""

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(df.columns)
        for row in df.itertuples(index=False, name=None):
            writer.writerow([_cell(v) for v in row])


def read_table(path: Path, resource: str) -> pd.DataFrame:
    """Read a package CSV with the column types of its schema (dates stay ISO strings)."""
    return typed(pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), resource)


def typed(df: pd.DataFrame, resource: str) -> pd.DataFrame:
    """Cast the string columns of ``df`` to the types of the resource's schema."""
    fields = table_schema(resource)["fields"]
    for f in fields:
        name = f["name"]
        if name not in df:
            continue
        if f["type"] == "boolean":
            df[name] = df[name].map({"true": True, "false": False}).astype("boolean")
        elif f["type"] in ("integer", "year"):
            df[name] = pd.to_numeric(df[name]).astype("Int64")
        elif f["type"] == "number":
            df[name] = pd.to_numeric(df[name]).astype("Float64")
        else:
            df[name] = df[name].astype("string")
    return df
