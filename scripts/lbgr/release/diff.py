"""What changed between two built packages: ``python -m lbgr diff OLD NEW``.

For every resource of either package: whether it was added or removed, its columns added and
removed, and its rows added, removed and changed. Rows are matched on the resource's primary key
(the new package's; the old one's for a removed resource); a row is *changed* when the two rows
with one key differ in any column that both packages have, and each such column's count of
changed rows is given too. Cells are compared as the CSV writes them (so 1 and 1.0 differ only
if the CSV text does). Resources whose files have the same SHA-256 are not read. The figures go
into CHANGELOG.md (``--markdown`` prints them as its tables).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from lbgr.package.sqlite import PackageError, read_descriptor


class DiffError(Exception):
    """A package that cannot be compared: names the file and the reason."""


@dataclass
class TableDiff:
    name: str
    status: str  # "same", "changed", "added", "removed"
    rows_old: int = 0
    rows_new: int = 0
    rows_added: int = 0
    rows_removed: int = 0
    rows_changed: int = 0
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    changed_by_column: dict[str, int] = field(default_factory=dict)


@dataclass
class PackageDiff:
    old: str
    new: str
    version_old: str
    version_new: str
    reports_added: list[str]
    reports_removed: list[str]
    tables: list[TableDiff]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n"

    def table(self, name: str) -> TableDiff:
        return next(t for t in self.tables if t.name == name)


def _descriptor(package: Path) -> dict:
    try:
        return read_descriptor(package)
    except PackageError as exc:
        raise DiffError(str(exc)) from None


def _schema(package: Path, res: dict) -> dict:
    schema = res.get("schema") or {}
    if isinstance(schema, str):
        path = package / schema
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise DiffError(f"{path}: the Table Schema of '{res['name']}' cannot be read: {exc}") from None
    return schema


def _read(package: Path, res: dict) -> pd.DataFrame:
    path = package / res["path"]
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DiffError(f"{path}: resource '{res['name']}' is described but its file is missing") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DiffError(f"{path}: not a readable CSV file: {exc}") from None


def _keyed(df: pd.DataFrame, key: list[str], path: Path) -> pd.DataFrame:
    missing = [k for k in key if k not in df.columns]
    if missing:
        raise DiffError(f"{path}: the primary key column(s) {missing} are missing")
    out = df.set_index(key, drop=False)
    if not out.index.is_unique:
        dup = out.index[out.index.duplicated()][0]
        raise DiffError(f"{path}: the primary key {key} is not unique (e.g. {dup!r}); cannot match rows")
    return out


def diff_table(name: str, old: Path, old_res: dict | None, new: Path, new_res: dict | None) -> TableDiff:
    if new_res is None:
        return TableDiff(name, "removed", rows_old=len(_read(old, old_res)))
    if old_res is None:
        return TableDiff(name, "added", rows_new=len(_read(new, new_res)))
    a, b = _read(old, old_res), _read(new, new_res)
    out = TableDiff(name, "same", rows_old=len(a), rows_new=len(b),
                    columns_added=[c for c in b.columns if c not in a.columns],
                    columns_removed=[c for c in a.columns if c not in b.columns])
    if old_res.get("hash") and old_res.get("hash") == new_res.get("hash") and list(a.columns) == list(b.columns):
        return out
    key = _schema(new, new_res).get("primaryKey") or _schema(old, old_res).get("primaryKey")
    key = [key] if isinstance(key, str) else list(key or [])
    if not key or any(k not in a.columns for k in key):
        key = [c for c in b.columns if c in a.columns]  # no shared key: a row is its whole content
    a, b = _keyed(a, key, old / old_res["path"]), _keyed(b, key, new / new_res["path"])
    common = a.index.intersection(b.index)
    out.rows_added = int(len(b.index.difference(a.index)))
    out.rows_removed = int(len(a.index.difference(b.index)))
    shared = [c for c in b.columns if c in a.columns and c not in key]
    if shared and len(common):
        unequal = a.loc[common, shared].ne(b.loc[common, shared])
        out.rows_changed = int(unequal.any(axis=1).sum())
        out.changed_by_column = {c: int(n) for c, n in unequal.sum().items() if n}
    if out.rows_added or out.rows_removed or out.rows_changed or out.columns_added or out.columns_removed:
        out.status = "changed"
    return out


def diff_packages(old: Path, new: Path) -> PackageDiff:
    old, new = Path(old), Path(new)
    da, db = _descriptor(old), _descriptor(new)
    ra = {r["name"]: r for r in da["resources"]}
    rb = {r["name"]: r for r in db["resources"]}
    tables = [diff_table(n, old, ra.get(n), new, rb.get(n)) for n in sorted(set(ra) | set(rb))]

    def report_ids(package: Path, res: dict | None) -> set[str]:
        if res is None:
            return set()
        df = _read(package, res)
        return set(df["report_id"]) if "report_id" in df else set()

    ia, ib = report_ids(old, ra.get("reports")), report_ids(new, rb.get("reports"))
    return PackageDiff(str(old), str(new), da.get("version", ""), db.get("version", ""),
                       sorted(ib - ia), sorted(ia - ib), tables)


def format_text(d: PackageDiff, markdown: bool = False) -> str:
    """The diff as a table: every resource that differs, then the counts of changed rows by column."""
    lines = [f"{'## ' if markdown else ''}Data changes from {d.version_old} ({d.old}) to {d.version_new} ({d.new})", ""]
    lines.append(f"- reports added: {len(d.reports_added)}" + (f" ({', '.join(d.reports_added)})" if d.reports_added else ""))
    lines.append(f"- reports removed: {len(d.reports_removed)}"
                 + (f" ({', '.join(d.reports_removed)})" if d.reports_removed else ""))
    lines.append("")
    changed = [t for t in d.tables if t.status != "same"]
    if not changed:
        lines.append("No table differs.")
        return "\n".join(lines) + "\n"
    lines.append("| table | status | rows old | rows new | added | removed | changed | columns added | columns removed |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---|---|")
    for t in changed:
        lines.append(f"| {t.name} | {t.status} | {t.rows_old} | {t.rows_new} | {t.rows_added} | {t.rows_removed} | "
                     f"{t.rows_changed} | {', '.join(t.columns_added)} | {', '.join(t.columns_removed)} |")
    by_col = [(t.name, c, n) for t in changed for c, n in t.changed_by_column.items()]
    if by_col:
        lines += ["", "| table | column | rows whose value changed |", "|---|---|---:|"]
        lines += [f"| {t} | {c} | {n} |" for t, c, n in by_col]
    return "\n".join(lines) + "\n"
