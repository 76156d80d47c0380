"""The package's tables as Stata files (``.dta``, format 118: Unicode), one per resource.

Written with pandas from the CSV files and their Table Schemas (generated from ``schemas/``):

- variable labels are the fields' titles (Stata allows 80 characters; a longer title is cut and
  ends in "…"), the data label is the resource's title;
- a string field with an enum becomes a labelled integer (value labels: the enum's values, codes
  1, 2, … in the schema's order); a boolean becomes a byte 0/1 labelled false/true;
- integers are Stata integers (long or double when a value needs it), numbers doubles, dates Stata
  dates (``%td``), datetimes Stata clock times (``%tc``); an empty cell is Stata's missing value
  ("" for strings); strings longer than 2,045 bytes are strL.

A release artefact like the SQLite database (``nox -s release``). Every file is written under a
temporary name and renamed; the time stamp inside is fixed, so two writes are byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lbgr.package.sqlite import PackageError, read_descriptor, resource_schemas

STATA_VERSION = 118
MAX_LABEL = 80
MAX_NAME = 32
MAX_STR = 2045
#: Written into every file's header instead of the time of writing.
TIME_STAMP = dt.datetime(2000, 1, 1)
BOOLEAN_LABELS = {0: "false", 1: "true"}


def _label(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def enum_codes(field: dict) -> dict[str, int]:
    """An enum's values and their Stata codes (1, 2, … in the schema's order)."""
    return {str(v): i for i, v in enumerate(field["constraints"]["enum"], start=1)}


def stata_frame(package_dir: Path, res: dict, schema: dict) -> tuple[pd.DataFrame, dict, dict, list[str]]:
    """(frame, convert_dates, value_labels, strL columns) of one resource, ready for ``to_stata``."""
    path = Path(package_dir) / res["path"]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise PackageError(f"{path}: resource '{res['name']}' is described but its file is missing") from None
    names = [f["name"] for f in schema["fields"]]
    if list(raw.columns) != names:
        raise PackageError(f"{path}: the header {list(raw.columns)} differs from the schema's fields {names}")
    out, dates, labels, strl = pd.DataFrame(index=raw.index), {}, {}, []
    for f in schema["fields"]:
        name, col = f["name"], raw[f["name"]]
        if len(name) > MAX_NAME:
            raise PackageError(f"{path}: column {name} has more than {MAX_NAME} characters, too long for Stata")
        empty = col == ""
        kind, enum = f["type"], (f.get("constraints") or {}).get("enum")
        try:
            if kind in ("integer", "year"):
                values = pd.to_numeric(col.mask(empty))
                big = values.abs().max() if values.notna().any() else 0
                values = values.astype("float64")
                # Stata's long holds ±2,147,483,620; a missing value needs a numeric type with missing too.
                out[name] = values if empty.any() or big > 2_147_483_620 else values.astype("int32")
            elif kind == "number":
                out[name] = pd.to_numeric(col.mask(empty)).astype("float64")
            elif kind == "boolean":
                values = col.map({"true": 1.0, "false": 0.0, "": np.nan})
                if values.isna().ne(empty).any():
                    bad = col[values.isna() & ~empty].iloc[0]
                    raise ValueError(f"{bad!r} is not a boolean")
                out[name] = values if empty.any() else values.astype("int8")
                labels[name] = BOOLEAN_LABELS
            elif kind in ("date", "datetime"):
                out[name] = pd.to_datetime(col.mask(empty), format="ISO8601", utc=kind == "datetime")
                if kind == "datetime":
                    out[name] = out[name].dt.tz_localize(None)
                dates[name] = "td" if kind == "date" else "tc"
            elif enum:
                codes = enum_codes(f)
                unknown = set(col[~empty]) - set(codes)
                if unknown:
                    raise ValueError(f"{sorted(unknown)[0]!r} is not one of the enum's values")
                values = col.map(codes).astype("float64")
                out[name] = values if empty.any() else values.astype("int8" if len(codes) < 100 else "int16")
                labels[name] = {code: value for value, code in codes.items()}
            else:
                out[name] = col.astype(object)
                if col.str.encode("utf-8").str.len().max() > MAX_STR if len(col) else False:
                    strl.append(name)
        except (ValueError, TypeError) as exc:
            raise PackageError(f"{path}, column {name}: {exc}") from None
    return out, dates, labels, strl


def write_stata(package_dir: Path, target_dir: Path) -> list[Path]:
    """One ``<resource>.dta`` per resource of the package, in ``target_dir``."""
    package_dir, target_dir = Path(package_dir), Path(target_dir)
    desc = read_descriptor(package_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (res, schema) in resource_schemas(package_dir, desc).items():
        df, dates, value_labels, strl = stata_frame(package_dir, res, schema)
        target = target_dir / f"{name}.dta"
        tmp = target_dir / f".{name}.dta.tmp"
        try:
            df.to_stata(tmp, write_index=False, version=STATA_VERSION, convert_dates=dates,
                        time_stamp=TIME_STAMP, data_label=_label(res.get("title", name)),
                        variable_labels={f["name"]: _label(f["title"]) for f in schema["fields"]},
                        value_labels=value_labels or None, convert_strl=strl)
            os.replace(tmp, target)
        except Exception as exc:
            raise PackageError(f"{target}: Stata file not written: {exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        written.append(target)
    return written
