"""The package as one SQLite database, with Datasette metadata: both derived from the Table Schemas.

Every resource of ``datapackage.json`` becomes a table whose columns, types, NOT NULL, UNIQUE,
enum and boolean CHECKs, primary key and foreign keys are read from its Table Schema
(``schemas/<name>.schema.json``, itself generated from ``schemas/fields`` and
``schemas/resources``), with an index on every foreign-key column. There is no second
definition: a field added to the registry appears here at the next build.

The database is a release artefact (``nox -s release``, ``nox -s explore``), not part of
``data/``: its bytes depend on the SQLite library Python links (its version is written into the
file's header), which the locks cannot pin, and a binary file rewritten at every rebuild would
grow the repository. On one machine, two writes of one package are byte-identical (rows are
inserted in the CSV's order, indexes created after, then VACUUM).

The Datasette metadata holds the package's title, licence and source, each table's description
and each column's description (from the same schemas), and the canned queries of
``schemas/queries.yaml``.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path

from lbgr.schema_registry import load_yaml

#: Table Schema type → SQLite column type (dates stay ISO 8601 text, booleans 0/1).
SQL_TYPES = {"string": "TEXT", "integer": "INTEGER", "year": "INTEGER", "number": "REAL", "boolean": "INTEGER",
             "date": "TEXT", "datetime": "TEXT"}
DATABASE = "package"  # Datasette names a database after its file: package.sqlite


class PackageError(Exception):
    """A package that cannot be turned into SQLite (or Stata): names the file and the reason."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def read_descriptor(package_dir: Path) -> dict:
    path = Path(package_dir) / "datapackage.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"{path}: no such file (is {package_dir} a built package?)") from None
    except json.JSONDecodeError as exc:
        raise PackageError(f"{path}: not valid JSON: {exc}") from None


def resource_schemas(package_dir: Path, desc: dict | None = None) -> dict[str, tuple[dict, dict]]:
    """``{name: (resource, table schema)}`` of every resource, in the descriptor's order."""
    package_dir = Path(package_dir)
    desc = desc or read_descriptor(package_dir)
    out = {}
    for res in desc["resources"]:
        schema = res.get("schema")
        if isinstance(schema, str):
            path = package_dir / schema
            try:
                schema = json.loads(path.read_text(encoding="utf-8"))
            except (FileNotFoundError, json.JSONDecodeError) as exc:
                raise PackageError(f"{path}: the Table Schema of resource '{res['name']}' cannot be read: {exc}") from None
        out[res["name"]] = (res, schema)
    return out


def create_table_sql(name: str, schema: dict) -> str:
    """``CREATE TABLE`` for one resource, from its Table Schema."""
    lines = []
    for f in schema["fields"]:
        col = f"{_q(f['name'])} {SQL_TYPES[f['type']]}"
        cons = f.get("constraints") or {}
        if cons.get("required"):
            col += " NOT NULL"
        if cons.get("unique") and [f["name"]] != schema.get("primaryKey"):
            col += " UNIQUE"
        if f["type"] == "boolean":
            col += f" CHECK ({_q(f['name'])} IN (0, 1))"
        if cons.get("enum"):
            col += f" CHECK ({_q(f['name'])} IN ({', '.join(_literal(v) for v in cons['enum'])}))"
        lines.append(col)
    if schema.get("primaryKey"):
        pk = schema["primaryKey"]
        pk = [pk] if isinstance(pk, str) else pk
        lines.append(f"PRIMARY KEY ({', '.join(map(_q, pk))})")
    for fk in schema.get("foreignKeys") or []:
        cols = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref = fk["reference"]
        ref_cols = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        target = ref.get("resource") or name  # "" is the table itself
        lines.append(f"FOREIGN KEY ({', '.join(map(_q, cols))}) REFERENCES {_q(target)} ({', '.join(map(_q, ref_cols))})")
    return f"CREATE TABLE {_q(name)} (\n  " + ",\n  ".join(lines) + "\n)"


def index_sql(name: str, schema: dict) -> list[str]:
    """An index on each foreign key's columns (the primary key has its own)."""
    pk = schema.get("primaryKey") or []
    pk = [pk] if isinstance(pk, str) else pk
    out, seen = [], set()
    for fk in schema.get("foreignKeys") or []:
        cols = tuple(fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]])
        if cols in seen or list(cols) == pk[: len(cols)]:
            continue
        seen.add(cols)
        out.append(f"CREATE INDEX {_q('idx_' + name + '_' + '_'.join(cols))} ON {_q(name)} ({', '.join(map(_q, cols))})")
    return out


def _converter(field: dict, where: str):
    kind = field["type"]

    def convert(cell: str, line: int):
        if cell == "":
            return None
        try:
            if kind in ("integer", "year"):
                return int(cell)
            if kind == "number":
                return float(cell)
            if kind == "boolean":
                return {"true": 1, "false": 0}[cell]
        except (ValueError, KeyError):
            raise PackageError(f"{where}, line {line}, column {field['name']}: {cell!r} is not a valid {kind}") from None
        return cell

    return convert


def read_rows(package_dir: Path, res: dict, schema: dict):
    """The typed rows of a resource's CSV, checked against its schema's header."""
    path = Path(package_dir) / res["path"]
    names = [f["name"] for f in schema["fields"]]
    try:
        fh = open(path, encoding="utf-8", newline="")
    except FileNotFoundError:
        raise PackageError(f"{path}: resource '{res['name']}' is described but its file is missing") from None
    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header != names:
            raise PackageError(f"{path}: the header {header} differs from the schema's fields {names}")
        converters = [_converter(f, str(path)) for f in schema["fields"]]
        for line, row in enumerate(reader, start=2):
            if len(row) != len(names):
                raise PackageError(f"{path}, line {line}: {len(row)} cells, the schema has {len(names)} fields")
            yield tuple(c(v, line) for c, v in zip(converters, row))


def write_sqlite(package_dir: Path, target: Path) -> Path:
    """Write the package under ``package_dir`` as one SQLite database at ``target``.

    The file appears whole or not at all (written under a temporary name, checked, then renamed)."""
    package_dir, target = Path(package_dir), Path(target)
    resources = resource_schemas(package_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode = OFF")
            con.execute("BEGIN")
            for name, (res, schema) in resources.items():
                con.execute(create_table_sql(name, schema))
                marks = ", ".join("?" * len(schema["fields"]))
                con.executemany(f"INSERT INTO {_q(name)} VALUES ({marks})", read_rows(package_dir, res, schema))
            for name, (_, schema) in resources.items():
                for sql in index_sql(name, schema):
                    con.execute(sql)
            con.execute("COMMIT")
            broken = con.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                table, rowid, parent, _ = broken[0]
                raise PackageError(f"{package_dir}: {len(broken)} rows break a foreign key, e.g. row {rowid} of "
                                   f"{table} names a missing row of {parent}")
            con.execute("VACUUM")
        finally:
            con.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise PackageError(f"{target}: SQLite refused the package: {exc}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


# --------------------------------------------------------------------------- Datasette
def datasette_metadata(package_dir: Path, queries_path: Path | None = None) -> dict:
    """Datasette's metadata for the database written by :func:`write_sqlite`."""
    package_dir = Path(package_dir)
    desc = read_descriptor(package_dir)
    licence = next((lic for lic in desc.get("licenses") or [] if lic.get("name") == "CC-BY-4.0"),
                   (desc.get("licenses") or [{}])[0])
    tables = {}
    for name, (res, schema) in resource_schemas(package_dir, desc).items():
        tables[name] = {
            "title": res.get("title", name),
            "description": res.get("description", ""),
            "columns": {f["name"]: f"{f['title']}: {f['description']}" for f in schema["fields"]},
        }
    queries = load_yaml(queries_path.name, queries_path.parent) if queries_path else load_yaml("queries.yaml")
    canned = {}
    for qname, spec in sorted(queries.items()):
        canned[qname] = {"title": spec["title"], "description": " ".join(spec["description"].split()),
                         "sql": spec["sql"].strip()}
    source = (desc.get("sources") or [{}])[0]
    return {
        "title": desc.get("title", desc["name"]),
        "description": f"Version {desc.get('version', '?')}. " + desc.get("description", ""),
        "license": licence.get("name", ""),
        "license_url": licence.get("path", ""),
        "source": source.get("title", ""),
        "source_url": desc.get("homepage", ""),
        "databases": {DATABASE: {"tables": tables, "queries": canned}},
    }


def write_metadata(package_dir: Path, target: Path) -> Path:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(datasette_metadata(package_dir), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                   encoding="utf-8")
    os.replace(tmp, target)
    return target


