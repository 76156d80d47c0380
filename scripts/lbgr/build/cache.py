"""Incremental builds: per-file results cached by what they depend on.

A file's result depends on its bytes, on the code in lbgr/, and on the codebooks and reference
tables; the cache key hashes all three, so a change to any of them invalidates exactly the
results it could change. A build whose inputs all hash as before, and whose published files
still match datapackage.json, is up to date and finishes without reprocessing anything.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

from lbgr import paths
from lbgr.environment import versions
from lbgr.build.fragments import read_summary


def _hash_tree(root: Path, pattern: str) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob(pattern)):
        if "__pycache__" in p.parts:
            continue
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def environment_key(codebooks: Path, reference: Path) -> str:
    """Hash of the code, schemas, codebooks, reference data and library versions a build depends on."""
    parts = [json.dumps(versions(), sort_keys=True), _hash_tree(Path(__file__).resolve().parents[1], "*.py"), _hash_tree(paths.SCHEMAS, "*.yaml"),
             _hash_tree(codebooks, "*"), _hash_tree(reference, "*")]
    return hashlib.sha256("".join(parts).encode()).hexdigest()


class ResultCache:
    """Per-file results (``lbgr.build.fragments``) in ``folder``, named by a hash of their key and of
    the environment, so that a changed file, code or codebook never meets a stale result."""

    def __init__(self, folder: Path, env_key: str):
        self.folder = Path(folder)
        self.env_key = env_key
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.env_key}:{key}".encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.fragment"

    def get(self, key: str):
        """The ``FileSummary`` cached for ``key``, or None."""
        path = self.path(key)
        return read_summary(path) if path.exists() else None


def build_stamp(env_key: str, raw_dir: Path, files: list[Path]) -> str:
    """Hash of everything a build reads: environment, raw file names, sizes and times, manifest."""
    h = hashlib.sha256(env_key.encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    manifest = raw_dir / "sources.csv"
    if manifest.exists():
        h.update(manifest.read_bytes())
    return h.hexdigest()


def package_intact(out_dir: Path) -> bool:
    """True when every resource and body file of a built package is as its descriptors say."""
    dp_path = out_dir / "datapackage.json"
    if not dp_path.exists() or not (out_dir / "build_report.json").exists():
        return False
    try:
        descriptor = json.loads(dp_path.read_text(encoding="utf-8"))
        for res in descriptor["resources"]:
            for part in (res, res.get("x_parquet")):
                if not part:
                    continue
                data = (out_dir / part["path"]).read_bytes()
                if len(data) != part["bytes"] or "sha256:" + hashlib.sha256(data).hexdigest() != part["hash"]:
                    return False
        with open(out_dir / paths.TABLES_DIR / "reports.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                body = (out_dir / row["body_path"]).read_bytes()
                if hashlib.sha256(body).hexdigest() != row["body_sha256"]:
                    return False
    except (OSError, KeyError, ValueError):
        return False
    return True
