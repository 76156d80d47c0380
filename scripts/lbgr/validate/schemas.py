"""pandera schemas generated from the Table Schemas (our own converter, see schemas/README.md).

pandera's ``from_frictionless_schema`` turns dates into plain strings and integers into
non-nullable ints and ignores keys; this converter keeps nullable integers and booleans,
checks ISO dates, enums, patterns, ranges, uniqueness and composite primary keys.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import pandera.pandas as pa

from lbgr.schema_registry import table_schema

_DTYPES = {"integer": "Int64", "year": "Int64", "number": "Float64", "boolean": "boolean",
           "string": "string", "date": "string", "datetime": "string"}


def _is_iso_date(value: str) -> bool:
    try:
        return dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def column(field: dict) -> pa.Column:
    c = field.get("constraints", {})
    checks = []
    if "enum" in c:
        checks.append(pa.Check.isin(c["enum"], name=f"enum {c['enum']}"))
    if "pattern" in c:
        checks.append(pa.Check.str_matches(c["pattern"], name=f"pattern {c['pattern']}"))
    if "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"]))
    if "maximum" in c:
        checks.append(pa.Check.le(c["maximum"]))
    if field["type"] == "date":
        checks.append(pa.Check(lambda s: s.map(_is_iso_date), element_wise=False, name="ISO date YYYY-MM-DD"))
    return pa.Column(_DTYPES[field["type"]], checks=checks, nullable=not c.get("required", False),
                     unique=bool(c.get("unique", False)), required=True, title=field["title"],
                     description=field["description"])


@cache
def dataframe_schema(resource: str) -> pa.DataFrameSchema:
    schema = table_schema(resource)
    pk = schema.get("primaryKey") or []
    return pa.DataFrameSchema(
        {f["name"]: column(f) for f in schema["fields"]},
        name=resource, strict=True, ordered=True,
        unique=pk if len(pk) > 1 else None,
    )
