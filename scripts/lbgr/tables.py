"""Rows → typed DataFrames in schema column order, and DataFrames → deterministic CSV."""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from .schema_registry import table_schema

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


# Inline forms of the cell writers for the common value types; anything else goes to the writer.
_INLINE = {
    "string": "(x if type(x := g({name!r})) is str and x else {fn}(x))",
    "date": "(x if type(x := g({name!r})) is str and x else {fn}(x))",
    "datetime": "(x if type(x := g({name!r})) is str and x else {fn}(x))",
    "integer": "(str(x) if type(x := g({name!r})) is int else {fn}(x))",
    "year": "(str(x) if type(x := g({name!r})) is int else {fn}(x))",
    "boolean": "(\"true\" if (x := g({name!r})) is True else \"false\" if x is False else {fn}(x))",
    "number": "{fn}(g({name!r}))",
}


@cache
def _row_formatter(resource: str):
    """``row dict → list of cells`` for ``resource``, generated once: the build formats every row
    of the corpus with it, and one function call per row is much cheaper than one per cell."""
    fields = table_schema(resource)["fields"]
    env = {f"_{t}": fn for t, fn in _CELL_OF_TYPE.items()}
    cells = ", ".join(_INLINE[f["type"]].format(name=f["name"], fn=f"_{f['type']}") for f in fields)
    code = f"def fmt(r):\n    g = r.get\n    return [{cells}]\n"
    exec(compile(code, f"<row formatter of {resource}>", "exec"), env)
    return env["fmt"]


def csv_header(resource: str) -> str:
    return ",".join(f["name"] for f in table_schema(resource)["fields"]) + "\n"


def csv_rows(resource: str, rows: list[dict]) -> str:
    """Rows as the CSV lines ``write_csv(frame(resource, rows))`` writes below its header.

    The build formats each report's rows this way in the worker that made them, so the whole
    table is never held in memory: its file is the concatenation of the reports' lines.
    """
    if not rows:
        return ""
    text = _csv_rows_by_column(resource, rows)
    return text if text is not None else _csv_rows_by_row(resource, rows)


def _csv_rows_by_row(resource: str, rows: list[dict]) -> str:
    """The reference way: each row through its generated formatter, then the csv module."""
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(map(_row_formatter(resource), rows))
    return out.getvalue()


def _csv_rows_by_column(resource: str, rows: list[dict]) -> str | None:
    """``_csv_rows_by_row``'s text made a column at a time, or None where only it can say.

    Per cell, Python code is the cost, and so is the csv module, which reads long text cells
    character by character. Here each column's value types are looked at once, a column of
    plain values (str, int, bool, None) is converted by C-level maps, only text columns that
    hold a character to quote are quoted cell by cell, and lines are joined with str.join.
    Anything unusual (rows that are not plain dicts or lack a field, a value a writer refuses,
    a carriage return) returns None, so the reference way decides, errors and their order
    included.
    """
    getter, converters, width = _column_plan(resource)
    if width < 2 or set(map(type, rows)) != {dict}:
        return None  # a one-field row of one empty cell is written as "" by the csv module
    try:
        columns = [convert(column) for convert, column in zip(converters, zip(*map(getter, rows)))]
    except Exception:  # noqa: BLE001 - a missing key, a refused value, a cell left to the csv module
        return None
    # Converters may return lazy maps, but only over values that cannot fail to convert.
    lines = list(map(",".join, zip(*columns)))
    lines.append("")  # the last line's end, without copying the whole text once more
    return "\n".join(lines)


class _LeftToCsvModule(Exception):
    """A column whose quoting only the csv module should decide."""


def _quoted(cells):
    """``cells`` (exact str) as the csv module writes them in a row (QUOTE_MINIMAL, quotes
    doubled); raises _LeftToCsvModule for a carriage return, which Python versions quote
    differently, or a csv module that does not quote as ``_quote_cells`` does."""
    joined = "".join(cells)  # one scan of the column: most hold nothing to quote
    if "," not in joined and '"' not in joined and "\n" not in joined and "\r" not in joined:
        return cells
    if "\r" in joined or not _quotes_like_csv_module():
        raise _LeftToCsvModule
    return _quote_cells(cells)


def _quote_cells(cells):
    # QUOTE_MINIMAL quotes a cell holding the delimiter, the quote or the line terminator.
    return ['"' + c.replace('"', '""') + '"' if "," in c or '"' in c or "\n" in c else c for c in cells]


@cache
def _quotes_like_csv_module() -> bool:
    """Whether ``_quote_cells`` writes cells as this Python's csv module does (checked once)."""
    import csv
    import io

    probe = ["a,b", 'say "x"', "two\nlines", '"', ",", "", " lead", "tab\tin", "中文，标点", "plain"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(probe)
    return out.getvalue() == ",".join(_quote_cells(probe)) + "\n"


@cache
def _column_plan(resource: str):
    """(row → tuple of its fields' values, one column converter per field, number of fields)."""
    from operator import itemgetter

    fields = table_schema(resource)["fields"]
    # Interned like the rows' keys (literals in the code), so a lookup matches on identity
    # instead of comparing the strings.
    names = [sys.intern(f["name"]) for f in fields]
    getter = itemgetter(*names) if len(names) > 1 else None
    return getter, [_COLUMN_OF_TYPE[f["type"]] for f in fields], len(names)


def _string_column(values: tuple):
    # The common column: str only, nothing to quote. Joining it is the check of both, at C
    # speed: join refuses anything but a str, and the joined text is scanned once. (A str
    # subclass is joined, and written by the csv module, as its own characters.)
    try:
        joined = "".join(values)
    except TypeError:
        return _typed_string_column(values)
    if "," in joined or '"' in joined or "\n" in joined or "\r" in joined:
        return _typed_string_column(values)
    return values


def _typed_string_column(values: tuple):
    kinds = set(map(type, values))
    if kinds == {str}:
        return _quoted(values)
    if kinds <= {str, type(None)}:
        return _quoted([v or "" for v in values])  # None is empty; a str stays as it is
    cells = list(map(_string_cell, values))
    if set(map(type, cells)) != {str}:
        raise _LeftToCsvModule  # a str subclass could answer "in" and replace its own way
    return _quoted(cells)


def _integer_column(values: tuple):
    kinds = set(map(type, values))
    if kinds == {int}:  # bool is its own type, so True does not pass for 1 here
        return map(repr, values)  # = str for an exact int, and a cheaper call
    if kinds <= {int, type(None)}:
        return ["" if v is None else str(v) for v in values]
    return list(map(_integer_cell, values))


_BOOLEAN_TEXT = {True: "true", False: "false", None: ""}


def _boolean_column(values: tuple):
    if set(map(type, values)) <= {bool, type(None)}:
        return map(_BOOLEAN_TEXT.__getitem__, values)
    return list(map(_boolean_cell, values))


def _number_column(values: tuple):
    kinds = set(map(type, values))
    if kinds == {type(None)}:
        return [""] * len(values)
    return list(map(_plain_number_cell, values))


_INTEGRAL_WITHOUT_EXPONENT = 10**15  # _cell writes integral floats below this without ".0"


def _plain_number_cell(v) -> str:
    """``_number_cell(v)``, with the common types first: an int below 10**15 is exact as a
    float, so its text is its own; a float is what ``float(v)`` returns for it."""
    kind = type(v)
    if kind is int and -_INTEGRAL_WITHOUT_EXPONENT < v < _INTEGRAL_WITHOUT_EXPONENT:
        return str(v)
    if kind is float:
        if v != v:
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < _INTEGRAL_WITHOUT_EXPONENT else str(v)
    if v is None:
        return ""
    return _number_cell(v)


_COLUMN_OF_TYPE = {"integer": _integer_column, "year": _integer_column, "number": _number_column,
                   "boolean": _boolean_column, "string": _string_column, "date": _string_column,
                   "datetime": _string_column}


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as UTF-8 CSV with ``\\n`` line ends, booleans as true/false, nulls empty."""
    import csv

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
