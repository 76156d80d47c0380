"""The SQLite database and its Datasette metadata: derived from the Table Schemas, equal to the CSV files."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from lbgr.package.sqlite import PackageError, create_table_sql, datasette_metadata, write_sqlite
from lbgr.package.tables import read_table
from lbgr.schema_registry import load_fields, load_resources, load_yaml, table_schema
from package_helpers import copy_package
from testroot import ROOT


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    return write_sqlite(ROOT, tmp_path_factory.mktemp("sqlite") / "package.sqlite")


def _con(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def test_every_table_in_sqlite_equals_its_csv(db):
    con = _con(db)
    for name, spec in load_resources().items():
        table = read_table(ROOT / spec["path"], name)
        got = pd.read_sql(f'SELECT * FROM "{name}"', con)
        assert list(got.columns) == list(table.columns), name
        assert len(got) == len(table), name
        for f in table_schema(name)["fields"]:
            col = f["name"]
            expected = [None if pd.isna(v) else (int(v) if f["type"] == "boolean" else v) for v in table[col].tolist()]
            values = [None if pd.isna(v) else v for v in got[col].tolist()]
            assert values == expected, f"{name}.{col} differs from the CSV"
    con.close()


def test_columns_keys_and_indexes_come_from_the_schemas(db):
    con = _con(db)
    types = {"string": "TEXT", "integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "datetime": "TEXT", "year": "INTEGER"}
    for name in load_resources():
        schema = table_schema(name)
        info = con.execute(f'PRAGMA table_info("{name}")').fetchall()  # cid, name, type, notnull, default, pk
        assert [(r[1], r[2]) for r in info] == [(f["name"], types[f["type"]]) for f in schema["fields"]]
        required = {f["name"] for f in schema["fields"] if (f.get("constraints") or {}).get("required")}
        assert {r[1] for r in info if r[3]} == required, name
        pk = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        assert pk == schema["primaryKey"], name
        fks = {(r[3], r[2], r[4]) for r in con.execute(f'PRAGMA foreign_key_list("{name}")')}
        wanted = {(fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0])
                  for fk in schema.get("foreignKeys", [])}
        assert fks == wanted, name
        indexed = {con.execute(f'PRAGMA index_info("{ix[1]}")').fetchone()[2]
                   for ix in con.execute(f'PRAGMA index_list("{name}")')}
        for fk in schema.get("foreignKeys", []):
            assert fk["fields"][0] in indexed or fk["fields"] == schema["primaryKey"][:1], (name, fk["fields"])
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_an_enum_and_a_boolean_are_checked_by_sqlite(db, tmp_path):
    copy = tmp_path / "copy.sqlite"
    copy.write_bytes(db.read_bytes())
    con = sqlite3.connect(copy)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute("UPDATE reports SET issuer_type = 'not-a-type' WHERE rowid = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        con.execute("UPDATE reports SET has_problems = 2 WHERE rowid = 1")
    con.close()


def test_a_field_added_to_the_registry_becomes_a_column():
    """No second definition: the DDL is a function of the Table Schema."""
    schema = table_schema("themes")
    extra = {**schema, "fields": [*schema["fields"], {"name": "n_new", "type": "integer", "constraints": {"required": True}}]}
    assert '"n_new" INTEGER NOT NULL' in create_table_sql("themes", extra)
    assert '"n_new"' not in create_table_sql("themes", schema)


def test_two_writes_are_byte_identical(db, tmp_path):
    again = write_sqlite(ROOT, tmp_path / "again.sqlite")
    assert again.read_bytes() == db.read_bytes()


def test_a_bad_cell_names_the_file_line_and_column_and_leaves_no_file(tmp_path):
    package = copy_package(tmp_path / "pkg")
    path = package / "data" / "tables" / "reports.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = next(csv.reader([lines[1]]))
    cells[header.index("report_year")] = "twenty"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    lines[1] = buf.getvalue()
    path.write_text("".join(lines), encoding="utf-8")
    target = tmp_path / "out" / "package.sqlite"
    with pytest.raises(PackageError, match=r"reports\.csv, line 2, column report_year: 'twenty' is not a valid integer"):
        write_sqlite(package, target)
    assert not target.exists() and not any(target.parent.iterdir())


def test_a_missing_package_is_named(tmp_path):
    with pytest.raises(PackageError, match="datapackage.json: no such file"):
        write_sqlite(tmp_path, tmp_path / "x.sqlite")


def test_datasette_metadata_describes_every_table_and_column_from_the_registry():
    meta = datasette_metadata(ROOT)
    fields = load_fields()
    tables = meta["databases"]["package"]["tables"]
    assert set(tables) == set(load_resources())
    for name, spec in load_resources().items():
        assert tables[name]["description"] == " ".join(spec["description"].split())
        for col in spec["fields"]:
            assert " ".join(fields[col]["title"].split()) in tables[name]["columns"][col]
    assert meta["license"] == "CC-BY-4.0" and meta["license_url"].startswith("https://creativecommons.org/")
    assert set(meta["databases"]["package"]["queries"]) == set(load_yaml("queries.yaml"))
    json.dumps(meta)  # serialisable as Datasette reads it


def test_every_canned_query_runs(db):
    con = _con(db)
    params = {"indicator_code": "recon_received", "title": "法治政府建设实施纲要"}
    for name, query in datasette_metadata(ROOT)["databases"]["package"]["queries"].items():
        rows = con.execute(query["sql"], params).fetchall()
        assert rows, f"canned query {name} returned no row on the committed package"
    con.close()
