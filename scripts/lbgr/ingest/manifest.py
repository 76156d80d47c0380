"""The raw-file manifest (data/raw/sources.csv): checksums and provenance of every raw file."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

#: Columns every manifest has (a hand-made one may have only these).
REQUIRED = ["source_file", "source_sha256", "source_bytes", "source_url", "retrieved_date", "notes"]
#: What the collector (lbgr.ingest.collect) adds: what the server answered and where the WARC keeps it.
COLLECTED = ["final_url", "retrieved_at", "http_status", "content_type", "declared_encoding",
             "detected_encoding", "warc_file", "warc_record_id", "role", "parent_url"]
FIELDS = REQUIRED + COLLECTED


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    missing = [f for f in REQUIRED if rows and f not in rows[0]]
    if missing:
        raise ValueError(f"{path}: the manifest lacks the columns {missing}")
    return {row["source_file"]: {f: row.get(f) or "" for f in FIELDS} for row in rows}


def write_manifest(path: Path, rows: dict[str, dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for name in sorted(rows):
            writer.writerow({f: rows[name].get(f, "") for f in FIELDS})


def raw_files(raw_dir: Path, manifest_name: str = "sources.csv") -> list[Path]:
    """Report files in ``raw_dir`` (not hidden files, not the manifest), sorted by name."""
    return sorted(p for p in raw_dir.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.name != manifest_name)
