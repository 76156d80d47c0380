"""datapackage.json: generated from schemas/ and the files written, never edited by hand."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from lbgr.schema_registry import load_resources, load_yaml


def file_facts(path: Path) -> tuple[int, str]:
    data = path.read_bytes()
    return len(data), hashlib.sha256(data).hexdigest()


def descriptor(package_dir: Path) -> dict:
    """The package descriptor for the files under ``package_dir``."""
    meta = load_yaml("package.yaml")
    warnings = load_yaml("usage_warnings.yaml")
    resources = []
    for name, spec in load_resources().items():
        path = package_dir / spec["path"]
        if not path.exists():
            raise FileNotFoundError(f"resource '{name}': {spec['path']} was not written")
        size, digest = file_facts(path)
        resource = {
            "name": name,
            "path": spec["path"],
            "title": spec["title"],
            "description": " ".join(spec["description"].split()),
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "bytes": size,
            "hash": f"sha256:{digest}",
            "schema": f"schemas/{name}.schema.json",
            "sources": [{"title": " ".join(str(spec.get("source", "")).split())}],
        }
        notes = {
            "processing": " ".join(str(spec.get("processing", "")).split()),
            "primary_key_reason": spec.get("primary_key_reason", ""),
            "usage_warnings": {k: warnings[k] for k in spec.get("usage_warnings") or []},
        }
        resource["x_notes"] = notes
        resources.append(resource)
        if spec.get("parquet"):
            resource["x_parquet"] = parquet_copy(package_dir, name)
    return {
        "name": meta["name"],
        "title": meta["title"],
        "description": " ".join(meta["description"].split()),
        "version": meta["version"],
        "created": meta["created"],
        "homepage": meta["homepage"],
        "keywords": meta["keywords"],
        "licenses": meta["licenses"],
        "x_raw_texts_licence": " ".join(meta["raw_texts_licence"].split()),
        "sources": meta["sources"],
        "contributors": meta["contributors"],
        "resources": resources,
    }


def parquet_path(name: str) -> str:
    return f"data/parquet/{name}.parquet"


def parquet_copy(package_dir: Path, name: str) -> dict:
    """Description of the Parquet copy of a large table (same rows and schema as the CSV).

    It is described on the CSV resource rather than as a resource of its own: frictionless reads
    Parquet one row at a time, which would make validating a national corpus take an hour, and
    the build checks instead that the copy equals the validated CSV (lbgr.validate).
    """
    path = parquet_path(name)
    size, digest = file_facts(package_dir / path)
    return {"path": path, "format": "parquet", "mediatype": "application/vnd.apache.parquet",
            "compression": "zstd", "bytes": size, "hash": f"sha256:{digest}"}


def write_descriptor(package_dir: Path) -> Path:
    path = package_dir / "datapackage.json"
    path.write_text(json.dumps(descriptor(package_dir), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
