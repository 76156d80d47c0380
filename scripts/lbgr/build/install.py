"""Put a finished package in place so that readers see the old package or the new one, never a mix.

A whole output folder is swapped with one atomic ``renameat2(RENAME_EXCHANGE)`` where the
kernel and file system offer it. Otherwise, and for a build into the repository itself (where
several paths change), each move is recorded in a journal first; a build that starts and finds
a journal left by an interrupted install rolls it back before doing anything else.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
from pathlib import Path

JOURNAL = ".install-journal.json"
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False if the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    return rc == 0


def recover(out_dir: Path) -> list[str]:
    """Roll back an install that was interrupted; returns the paths restored."""
    journal = out_dir / JOURNAL
    if not journal.exists():
        return []
    entries = json.loads(journal.read_text(encoding="utf-8"))
    backup = Path(entries["backup"])
    restored = []
    for rel in entries["paths"]:
        saved, live = backup / rel, out_dir / rel
        if saved.exists():
            if live.is_dir():
                shutil.rmtree(live)
            elif live.exists():
                live.unlink()
            live.parent.mkdir(parents=True, exist_ok=True)
            saved.rename(live)
            restored.append(rel)
    shutil.rmtree(backup, ignore_errors=True)
    journal.unlink()
    return restored


def install_paths(tmp: Path, out_dir: Path, rels: list[str], backup: Path) -> None:
    """Move ``rels`` from ``tmp`` into ``out_dir``, journalled so that an interruption rolls back."""
    existing = [rel for rel in rels if (out_dir / rel).exists()]
    journal = out_dir / JOURNAL
    journal.write_text(json.dumps({"backup": str(backup), "paths": existing}), encoding="utf-8")
    for rel in existing:
        (backup / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).rename(backup / rel)
    for rel in rels:
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp / rel).rename(out_dir / rel)
    journal.unlink()
    shutil.rmtree(backup, ignore_errors=True)


def install_folder(tmp: Path, out_dir: Path) -> None:
    """Replace the folder ``out_dir`` by ``tmp``."""
    if not out_dir.exists():
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(out_dir)
        return
    if _exchange(tmp, out_dir):
        shutil.rmtree(tmp)  # now holds the old package
        return
    # Fallback: the parent folder holds the journal for the two renames.
    backup = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    parent_journal = out_dir.parent / f".{out_dir.name}{JOURNAL}"
    parent_journal.write_text(json.dumps({"backup": str(backup), "out": str(out_dir)}), encoding="utf-8")
    out_dir.rename(backup)
    tmp.rename(out_dir)
    parent_journal.unlink()
    shutil.rmtree(backup)


def recover_folder(out_dir: Path) -> bool:
    """Undo an interrupted fallback ``install_folder``; True if something was restored."""
    parent_journal = out_dir.parent / f".{out_dir.name}{JOURNAL}"
    if not parent_journal.exists():
        return False
    entry = json.loads(parent_journal.read_text(encoding="utf-8"))
    backup = Path(entry["backup"])
    if backup.exists():
        if out_dir.exists():
            shutil.rmtree(out_dir)
        backup.rename(out_dir)
    parent_journal.unlink()
    return True
