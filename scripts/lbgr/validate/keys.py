"""Unique and foreign keys over whole tables, read as their key columns only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lbgr.schema_registry import table_schema


def _unique_keys(name: str) -> list[tuple[str, ...]]:
    schema = table_schema(name)
    keys = [tuple(schema["primaryKey"])] if schema.get("primaryKey") else []
    keys += [(f["name"],) for f in schema["fields"] if f.get("constraints", {}).get("unique")]
    return list(dict.fromkeys(keys))


def _columns(package_dir: Path, specs: dict, name: str, cols) -> pd.DataFrame:
    """The columns ``cols`` of a table, as Arrow strings (compact: a key column of a large table
    takes a few bytes a row)."""
    return pd.read_csv(package_dir / specs[name]["path"], usecols=list(cols), dtype="string[pyarrow]",
                       keep_default_na=False, na_values=[""])


def _joined(df: pd.DataFrame, cols) -> pa.ChunkedArray:
    """The key of each row as one Arrow string (the columns joined by a separator)."""
    cols = list(cols)
    key = df[cols[0]]
    for col in cols[1:]:
        key = key.str.cat(df[col].astype("string[pyarrow]"), sep="\x1f")
    return pa.chunked_array(key.array._pa_array.chunks if hasattr(key.array, "_pa_array") else [pa.array(key.array)])


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
        for key in _unique_keys(name):
            df = _columns(package_dir, specs, name, key).dropna()
            dup = df[df.duplicated(list(key), keep=False)].drop_duplicates()
            if len(dup):
                records = [{k: str(v) for k, v in r.items()} for r in dup.head(5).to_dict("records")]
                errors.append(f"{name}: {list(key)} is not unique: {records}")
    for name in specs:
        fks = table_schema(name).get("foreignKeys", [])
        for fk in fks:
            target, cols = fk["reference"]["resource"] or name, fk["reference"]["fields"]
            if target not in specs or target not in present:
                errors.append(f"{name}: foreign key to missing resource '{target}'")
                continue
            if name not in present or not {name, target} & changed:
                continue
            keys = _columns(package_dir, specs, name, fk["fields"]).dropna()
            if not len(keys):
                continue
            known = _joined(_columns(package_dir, specs, target, cols), cols)
            found = pc.is_in(_joined(keys, fk["fields"]), value_set=pc.unique(known))
            lost = keys[~found.to_numpy(zero_copy_only=False)]
            if len(lost):
                examples = list(lost.astype(str).head(3).itertuples(index=False, name=None))
                errors.append(f"{name}: {len(lost)} rows whose {list(fk['fields'])} are not in {target}{list(cols)}, "
                              f"e.g. {examples}")
    return errors
