"""Results of validating pieces of a package, kept between builds and found by what they depend on.

A rebuild after adding one report changes a few rows of every table; the other pieces of the
package are byte for byte (frictionless) or value for value (pandera, content rules) what the
last build validated. Their results are looked up here instead of being computed again.

A key hashes everything a piece's result depends on: the validating code (``lbgr``), the
schemas, the versions of the validating libraries, and the piece itself (its bytes, or its
typed values, bodies and reference tables). A changed input can therefore never meet a stale
result; a damaged entry is treated as absent and computed again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from . import paths


@cache
def environment() -> bytes:
    """What every validation result depends on besides the piece: code, schemas, libraries."""
    from importlib.metadata import version

    h = hashlib.sha256()
    for root, pattern in ((Path(__file__).parent, "*.py"), (paths.SCHEMAS, "*.yaml")):
        for p in sorted(root.rglob(pattern)):
            if "__pycache__" not in p.parts:
                h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    for lib in ("frictionless", "pandera", "pandas", "pyarrow", "numpy"):
        h.update(f"{lib}={version(lib)}\0".encode())
    return h.digest()


class Hasher:
    """A key under construction: feed it the parts a result depends on, in a fixed order."""

    def __init__(self, kind: str):
        # SHA-256: the fastest of hashlib's hashes where the CPU computes it (most x86 and ARM).
        self._h = hashlib.sha256(environment())
        self.add(kind.encode())

    def add(self, part: bytes | memoryview) -> Hasher:
        # The length first, so that different splits of the same bytes give different keys.
        self._h.update(len(part).to_bytes(8, "little"))
        self._h.update(part)
        return self

    def key(self) -> str:
        return self._h.hexdigest()


class ValidationCache:
    """Validation results in ``folder`` (one file per key); safe to share between processes."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.result"

    def get(self, key: str) -> Any | None:
        try:
            with open(self._path(key), "rb") as fh:
                return pickle.load(fh)
        except FileNotFoundError:
            return None
        except Exception:  # noqa: BLE001 - a damaged entry is only a miss
            return None

    def put(self, key: str, value: Any) -> None:
        """Store atomically: a reader never sees half an entry."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def prune(self, used: set[str]) -> int:
        """Remove the entries whose keys are not in ``used`` (results of older packages)."""
        removed = 0
        if not self.folder.is_dir():
            return 0
        for path in self.folder.glob("*/*"):
            if path.suffix == ".result" and path.stem not in used or path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
                removed += 1
        return removed
