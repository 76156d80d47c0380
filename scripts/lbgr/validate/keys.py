"""Unique and foreign keys over whole tables, read as their key columns only, in Arrow (a key
column of a large table takes a few bytes a row, and no Python object is made per row)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lbgr.schema_registry import table_schema

_SEP = "\x1f"  # joins the columns of a key into one string


def _unique_keys(name: str) -> list[tuple[str, ...]]:
    schema = table_schema(name)
    keys = [tuple(schema["primaryKey"])] if schema.get("primaryKey") else []
    keys += [(f["name"],) for f in schema["fields"] if f.get("constraints", {}).get("unique")]
    return list(dict.fromkeys(keys))


def _key(package_dir: Path, specs: dict, name: str, cols) -> pa.Array:
    """The key ``cols`` of every row of a table whose key cells are all filled, as one string
    (the cells joined by a separator); an empty cell is a missing value, as everywhere else."""
    cols = list(cols)
    table = pacsv.read_csv(Path(package_dir) / specs[name]["path"], convert_options=pacsv.ConvertOptions(
        include_columns=cols, column_types={c: pa.string() for c in cols}, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True))
    key = pc.binary_join_element_wise(*[table[c] for c in cols], _SEP)  # null when any cell is
    return key.combine_chunks().drop_null()


def _records(values, cols) -> list[dict]:
    return [dict(zip(cols, v.split(_SEP))) for v in values]


def check_keys(package_dir: Path, specs: dict, changed=None) -> list[str]:
    """Every primary key and unique field unique, every foreign key found, over whole tables
    (one table's key columns in memory at a time, with the columns its keys point to).
    ``changed``: the tables to check (a foreign key, when it or its target changed); all by default."""
    errors = []
    present = {n for n, spec in specs.items() if (Path(package_dir) / spec["path"]).exists()}
    changed = set(specs) if changed is None else set(changed)
    for name in specs:
        if name not in present or name not in changed:
            continue
        for cols in _unique_keys(name):
            key = _key(package_dir, specs, name, cols)
            if pc.count_distinct(key).as_py() == len(key):
                continue
            counts = pc.value_counts(key)  # in the order values first occur
            repeated = counts.filter(pc.greater(counts.field("counts"), 1)).field("values")
            errors.append(f"{name}: {list(cols)} is not unique: {_records(repeated[:5].to_pylist(), cols)}")
    for name in specs:
        for fk in table_schema(name).get("foreignKeys", []):
            target, cols = fk["reference"]["resource"] or name, fk["reference"]["fields"]
            if target not in specs or target not in present:
                errors.append(f"{name}: foreign key to missing resource '{target}'")
                continue
            if name not in present or not {name, target} & changed:
                continue
            keys = _key(package_dir, specs, name, fk["fields"])
            if not len(keys):
                continue
            lost = keys.filter(pc.invert(pc.is_in(keys, value_set=pc.unique(_key(package_dir, specs, target, cols)))))
            if len(lost):
                examples = [tuple(v.split(_SEP)) for v in lost[:3].to_pylist()]
                errors.append(f"{name}: {len(lost)} rows whose {list(fk['fields'])} are not in {target}{list(cols)}, "
                              f"e.g. {examples}")
    return errors
