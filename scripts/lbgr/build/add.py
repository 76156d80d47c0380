"""Add a report file to a raw folder: copy it byte for byte and record its checksum and provenance."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from lbgr.ingest.manifest import read_manifest, sha256_file, write_manifest


class AddError(Exception):
    pass


def add_report(source: Path, raw_dir: Path, url: str = "", retrieved_date: str = "", notes: str = "") -> dict:
    source = Path(source)
    if not source.is_file():
        raise AddError(f"{source}: no such file")
    if retrieved_date:
        try:
            dt.date.fromisoformat(retrieved_date)
        except ValueError as exc:
            raise AddError(f"--retrieved-date {retrieved_date!r} is not a date like 2024-03-01") from exc
    manifest_path = raw_dir / "sources.csv"
    manifest = read_manifest(manifest_path)
    digest = sha256_file(source)
    for name, row in manifest.items():
        if row.get("source_sha256") == digest:
            raise AddError(f"{source.name}: the same bytes are already in {raw_dir.name}/ as {name}")
    target = raw_dir / source.name
    if target.exists() and sha256_file(target) != digest:
        raise AddError(f"{target} exists with other content; rename the new file")
    if target.resolve() != source.resolve():
        shutil.copyfile(source, target)
    row = {"source_file": target.name, "source_sha256": digest, "source_bytes": str(target.stat().st_size),
           "source_url": url, "retrieved_date": retrieved_date, "notes": notes}
    manifest[target.name] = row
    write_manifest(manifest_path, manifest)
    return row
