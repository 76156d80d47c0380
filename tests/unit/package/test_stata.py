"""Stata files: each .dta read back equals its CSV, with variable labels from the field titles and value labels for enums."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lbgr.package.sqlite import PackageError
from lbgr.package.stata import BOOLEAN_LABELS, MAX_LABEL, enum_codes, write_stata
from lbgr.package.tables import read_table
from lbgr.schema_registry import load_resources, table_schema
from package_helpers import copy_package
from testroot import ROOT


@pytest.fixture(scope="module")
def stata_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stata")
    write_stata(ROOT, out)
    return out


def _read(path: Path):
    with pd.io.stata.StataReader(path) as reader:
        df = reader.read(convert_categoricals=False)
        return df, reader.variable_labels(), reader.value_labels(), reader.data_label


def test_one_file_per_resource(stata_dir):
    assert sorted(p.stem for p in stata_dir.glob("*.dta")) == sorted(load_resources())
    assert not list(stata_dir.glob(".*"))  # no temporary file left


@pytest.mark.parametrize("name", sorted(load_resources()))
def test_each_dta_equals_its_csv_with_types_and_labels(stata_dir, name):
    spec = load_resources()[name]
    csv = read_table(ROOT / spec["path"], name)
    df, var_labels, value_labels, data_label = _read(stata_dir / f"{name}.dta")
    assert list(df.columns) == list(csv.columns)
    assert len(df) == len(csv)
    assert data_label == spec["title"][:MAX_LABEL]
    for f in table_schema(name)["fields"]:
        col, kind = f["name"], f["type"]
        title = " ".join(f["title"].split())
        assert var_labels[col] == (title if len(title) <= MAX_LABEL else title[: MAX_LABEL - 1] + "…")
        want, got = csv[col], df[col]
        enum = (f.get("constraints") or {}).get("enum")
        if kind == "boolean":
            assert value_labels[col] == BOOLEAN_LABELS
            expected = [None if pd.isna(v) else int(v) for v in want]
            actual = [None if pd.isna(v) else int(v) for v in got]
        elif kind in ("integer", "year", "number"):
            assert pd.api.types.is_numeric_dtype(got), f"{name}.{col} is not numeric in Stata"
            expected = [None if pd.isna(v) else float(v) for v in want]
            actual = [None if pd.isna(v) else float(v) for v in got]
        elif kind == "date":
            assert pd.api.types.is_datetime64_any_dtype(got), f"{name}.{col} is not a Stata date"
            expected = [None if pd.isna(v) else v for v in want]
            actual = [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in got]
        elif kind == "datetime":
            assert pd.api.types.is_datetime64_any_dtype(got), f"{name}.{col} is not a Stata clock time"
            stamps = pd.to_datetime(want, format="ISO8601", utc=True).dt.tz_localize(None)
            expected = [None if pd.isna(v) else v.floor("ms") for v in stamps]
            actual = [None if pd.isna(v) else pd.Timestamp(v).floor("ms") for v in got]
        elif enum:
            codes = enum_codes(f)
            assert value_labels[col] == {c: v for v, c in codes.items()}
            expected = [None if pd.isna(v) else codes[v] for v in want]
            actual = [None if pd.isna(v) else int(v) for v in got]
        else:
            assert got.map(lambda v: isinstance(v, str)).all(), f"{name}.{col} is not a string variable"
            expected = ["" if pd.isna(v) else v for v in want]  # Stata's missing string is ""
            actual = list(got)
        assert actual == expected, f"{name}.{col} differs from the CSV"


def test_labels_read_back_as_categories(stata_dir):
    reports = pd.read_stata(stata_dir / "reports.dta")
    issuer_type = table_schema("reports")["fields"][[f["name"] for f in table_schema("reports")["fields"]].index("issuer_type")]
    assert isinstance(reports["issuer_type"].dtype, pd.CategoricalDtype)
    assert set(reports["issuer_type"].dropna()) <= set(issuer_type["constraints"]["enum"])
    assert set(reports["has_problems"].dropna()) <= {"true", "false"}


def test_two_writes_are_byte_identical(stata_dir, tmp_path):
    write_stata(ROOT, tmp_path)
    for path in sorted(stata_dir.glob("*.dta")):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_value_outside_the_enum_names_the_file_and_column(tmp_path):
    package = copy_package(tmp_path / "pkg")
    path = package / "data" / "tables" / "reports.csv"
    text = path.read_text(encoding="utf-8")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    bad = text.replace(f",{df.loc[0, 'issuer_type']},", ",no_such_type,", 1)
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(PackageError, match=r"reports\.csv, column issuer_type: 'no_such_type' is not one of the enum"):
        write_stata(package, tmp_path / "out")
    assert not (tmp_path / "out" / "reports.dta").exists()
