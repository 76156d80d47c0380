"""Browse a package in Datasette: ``python -m lbgr explore`` (what ``nox -s explore`` runs).

Writes the package's SQLite database and Datasette metadata (lbgr.package.sqlite) into
``<package>/.cache/explore/`` when they are missing or older than the package's
``datapackage.json`` (whose hashes change with every file), then runs ``datasette serve`` on
127.0.0.1 only, over the file opened immutable (read-only), and prints the address. Ctrl-C stops it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import signal
import subprocess
import sys
from pathlib import Path

from lbgr.package.sqlite import DATABASE, PackageError, write_metadata, write_sqlite

HOST = "127.0.0.1"
STAMP = "datapackage.sha256"


class ExploreError(Exception):
    pass


def prepare(package: Path, out: Path | None = None, force: bool = False) -> list[Path]:
    """``[package.sqlite, datasette.json]`` for ``package``, rewritten only when the package changed."""
    package = Path(package).resolve()
    out = Path(out) if out else package / ".cache" / "explore"
    desc = package / "datapackage.json"
    if not desc.is_file():
        raise ExploreError(f"{desc}: no such file ({package} is not a built package; run nox -s build)")
    digest = hashlib.sha256(desc.read_bytes() + Path(__file__).read_bytes()).hexdigest()
    db, meta, stamp = out / f"{DATABASE}.sqlite", out / "datasette.json", out / STAMP
    fresh = db.exists() and meta.exists() and stamp.exists() and stamp.read_text() == digest
    if force or not fresh:
        try:
            write_sqlite(package, db)
            write_metadata(package, meta)
        except PackageError as exc:
            raise ExploreError(str(exc)) from None
        if not force:
            stamp.write_text(digest)
    return [db, meta]


def command(db: Path, meta: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", "--immutable", str(db), "--metadata", str(meta),
            "--host", HOST, "--port", str(port), "--setting", "sql_time_limit_ms", "5000"]


def serve(package: Path, port: int = 8001) -> int:
    if importlib.util.find_spec("datasette") is None:
        raise ExploreError("datasette is not installed: run nox -s explore (or pip install -r locks/explore.txt)")
    db, meta = prepare(package)
    print(f"Datasette serves {db} at http://{HOST}:{port}/{DATABASE} (Ctrl-C stops it)", flush=True)
    proc = subprocess.Popen(command(db, meta, port))

    def stop(signum, frame):  # SIGTERM stops it as Ctrl-C does, and takes Datasette with it
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("stopped")
        return 0
