"""R: the package loads in base R with the types of its Table Schemas, and the Stata files in haven.

The README's first way into R is the CRAN package ``frictionless``, which cannot be installed
offline and so is not tested. What is tested (``tests/e2e/test_r.R``) is the fallback the README
and the book show: jsonlite reads each Table Schema, ``read.csv`` reads the CSV with those column
classes, and ``haven::read_dta`` reads the release's ``.dta`` files with their labels. It needs
Debian's ``r-base-core``, ``r-cran-jsonlite`` and ``r-cran-haven`` (``.ci/run`` installs them); it
skips without ``Rscript`` unless ``CI`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pandas as pd
import pytest

from lbgr.package.stata import enum_codes, write_stata
from lbgr.package.tables import read_table
from lbgr.schema_registry import load_resources, table_schema
from testroot import ROOT

IN_CI = bool(os.environ.get("CI"))
R_CLASS = {"string": "character", "integer": "integer", "year": "integer", "number": "numeric",
           "boolean": "logical", "date": "Date", "datetime": "character"}


@pytest.fixture(scope="module")
def from_r(tmp_path_factory) -> dict:
    if shutil.which("Rscript") is None:
        if IN_CI:
            pytest.fail("CI: Rscript is missing (.ci/run installs r-base-core, r-cran-jsonlite and r-cran-haven)")
        pytest.skip("R is not installed (apt-get install r-base-core r-cran-jsonlite r-cran-haven)")
    stata = tmp_path_factory.mktemp("stata")
    write_stata(ROOT, stata)
    proc = subprocess.run(["Rscript", str(ROOT / "tests" / "e2e" / "test_r.R"), str(ROOT), str(stata)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("name", sorted(load_resources()))
def test_r_reads_every_table_with_the_schema_types(from_r, name):
    got = from_r["tables"][name]
    df = read_table(ROOT / load_resources()[name]["path"], name)
    fields = table_schema(name)["fields"]
    assert got["nrow"] == len(df)
    assert got["columns"] == [f["name"] for f in fields]
    assert got["classes"] == [R_CLASS[f["type"]] for f in fields]
    assert got["missing"] == {c: int(df[c].isna().sum()) for c in df.columns}
    for col, total in got["sums"].items():
        assert total == pytest.approx(float(pd.to_numeric(df[col]).sum()), rel=1e-9), f"{name}.{col}"


def test_haven_reads_the_stata_labels(from_r):
    dta = from_r["dta"]
    fields = {f["name"]: f for f in table_schema("reports")["fields"]}
    reports = read_table(ROOT / "data" / "tables" / "reports.csv", "reports")
    assert dta["nrow"] == len(reports)
    assert dta["report_id_label"] == fields["report_id"]["title"]
    assert dta["issuer_type_labels"] == enum_codes(fields["issuer_type"])
    assert dta["has_problems_labels"] == {"false": 0, "true": 1}
    assert dta["first_issuer_type"] == reports.loc[0, "issuer_type"]
