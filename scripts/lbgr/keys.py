"""Keys across a whole table that is validated in pieces: unique keys and foreign keys.

Keys are kept as 64-bit hashes between pieces (``pd.util.hash_pandas_object``); a repeated hash
is re-checked on the exact values before it is reported.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from .schema_registry import table_schema


class UniqueKeys:
    """Primary keys and unique fields unique across the whole table, kept as 64-bit hashes
    between report groups (pandera checks them within each group)."""

    def __init__(self):
        self.hashes: dict[tuple[str, tuple], list[np.ndarray]] = defaultdict(list)

    @staticmethod
    def keys_of(name: str) -> list[tuple[str, ...]]:
        schema = table_schema(name)
        keys = [tuple(schema["primaryKey"])] if schema.get("primaryKey") else []
        keys += [(f["name"],) for f in schema["fields"] if f.get("constraints", {}).get("unique")]
        return list(dict.fromkeys(keys))

    def observe(self, name: str, df: pd.DataFrame) -> None:
        for key in self.keys_of(name):
            if len(df) and all(k in df for k in key):
                present = df[list(key)].dropna()
                self.hashes[(name, key)].append(pd.util.hash_pandas_object(present.astype(str), index=False).to_numpy())

    def merge(self, other: UniqueKeys) -> None:
        for key, parts in other.hashes.items():
            self.hashes[key] += parts

    def errors(self, package_dir: Path, specs: dict) -> list[str]:
        out = []
        for (name, key), parts in self.hashes.items():
            h = np.sort(np.concatenate(parts))  # a repeat is next to its twin once sorted
            if not (h[1:] == h[:-1]).any():
                continue
            # Rare: find the duplicated values exactly.
            df = pd.read_csv(package_dir / specs[name]["path"], dtype=str, keep_default_na=False,
                             na_values=[""], usecols=list(key)).dropna()
            dup = df[df.duplicated(list(key), keep=False)].drop_duplicates()
            if len(dup):
                out.append(f"{name}: {list(key)} is not unique: {dup.head(5).to_dict('records')}")
        return out


class ForeignKeys:
    """Foreign keys: checked within the report group first, the rest against every group's keys."""

    def __init__(self, specs: dict):
        self.fks = {n: table_schema(n).get("foreignKeys", []) for n in specs}
        targets = {(fk["reference"]["resource"] or n, tuple(fk["reference"]["fields"]))
                   for n, fks in self.fks.items() for fk in fks}
        self.targets = targets
        self.known: dict[tuple, list[np.ndarray]] = defaultdict(list)
        self._whole_hashes: dict[tuple, np.ndarray] = {}
        self.pending: list[tuple[str, list[str], str, tuple, pd.DataFrame]] = []

    @staticmethod
    def _hash(df: pd.DataFrame, cols) -> np.ndarray:
        cols = list(cols)
        # Key columns are strings already; only a composite key needs a frame.
        keys = df[cols[0]] if len(cols) == 1 else df[cols].astype(str)
        return pd.util.hash_pandas_object(keys, index=False).to_numpy()

    def observe(self, tables: dict[str, pd.DataFrame], group_scoped: set[str]) -> None:
        hashed: dict[tuple, np.ndarray] = {}

        def hashes(target: str, cols: tuple) -> np.ndarray:
            if (target, cols) not in hashed:
                ref = tables.get(target)
                if target not in group_scoped and (target, cols) in self._whole_hashes:
                    hashed[(target, cols)] = self._whole_hashes[(target, cols)]
                else:
                    hashed[(target, cols)] = (self._hash(ref, cols) if ref is not None and len(ref)
                                              else np.array([], dtype=np.uint64))
                    if target not in group_scoped:  # a codebook: the same in every group
                        self._whole_hashes[(target, cols)] = hashed[(target, cols)]
            return hashed[(target, cols)]

        for target, cols in self.targets:
            if target in group_scoped:
                self.known[(target, cols)].append(hashes(target, cols))
        for name, fks in self.fks.items():
            df = tables.get(name)
            if df is None or not len(df) or name not in group_scoped:
                continue
            for fk in fks:
                target, cols = fk["reference"]["resource"] or name, tuple(fk["reference"]["fields"])
                present = df[fk["fields"]].notna().all(axis=1)
                keys = df.loc[present, fk["fields"]]
                if not len(keys):
                    continue
                found = np.isin(self._hash(keys, fk["fields"]), hashes(target, cols))
                if not found.all():
                    self.pending.append((name, fk["fields"], target, cols, keys[~found]))

    def forget_reference_tables(self) -> None:
        """Drop the hashes of the reference tables kept for the next group (a group's result
        is kept without them: they are the same in every group)."""
        self._whole_hashes.clear()

    def merge(self, other: ForeignKeys) -> None:
        for key, parts in other.known.items():
            self.known[key] += parts
        self.pending += other.pending

    def references(self, name: str) -> bool:
        return any(target == name for target, _ in self.targets)

    def errors(self, whole: dict[str, pd.DataFrame], group_scoped: set[str]) -> list[str]:
        out = []
        missing: dict[tuple, list] = defaultdict(list)
        known_of: dict[tuple, np.ndarray] = {}  # sorted, once per referenced key
        for name, fields, target, cols, keys in self.pending:
            if (target, cols) not in known_of:
                if target in group_scoped:
                    parts = self.known.get((target, cols))
                    known = np.concatenate(parts) if parts else np.array([], dtype=np.uint64)
                else:
                    ref = whole.get(target)
                    known = self._hash(ref, cols) if ref is not None and len(ref) else np.array([], dtype=np.uint64)
                known_of[(target, cols)] = np.sort(known)
            lost = keys[~_in_sorted(self._hash(keys, fields), known_of[(target, cols)])]
            missing[(name, tuple(fields), target, cols)] += list(lost.astype(str).itertuples(index=False, name=None))
        for (name, fields, target, cols), keys in missing.items():
            if keys:
                out.append(f"{name}: {len(keys)} rows whose {list(fields)} are not in {target}{list(cols)}, "
                           f"e.g. {keys[:3]}")
        for name, fks in self.fks.items():
            for fk in fks:
                target = fk["reference"]["resource"] or name
                if target not in whole and target not in group_scoped:
                    out.append(f"{name}: foreign key to missing resource '{target}'")
        return out


def _in_sorted(values: np.ndarray, sorted_known: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_known)`` for an array already sorted: one binary search each."""
    if not len(sorted_known):
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(sorted_known, values).clip(max=len(sorted_known) - 1)
    return sorted_known[at] == values
