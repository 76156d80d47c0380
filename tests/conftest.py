from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lbgr.parse.context import Context
from lbgr.parse.report import process_text

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"


@pytest.fixture(scope="session")
def ctx() -> Context:
    return Context()


@pytest.fixture(scope="session")
def corpus(ctx):
    """Processed reports of data/raw, keyed by the raw file's number (000 … 004)."""
    out = {}
    for path in sorted(RAW.glob("*.txt")):
        data = path.read_bytes()
        out[path.name[:3]] = process_text(data.decode("utf-8"), path.name, hashlib.sha256(data).hexdigest(), ctx)
    return out


def doc_from_text(text: str, ctx: Context, name: str = "snippet.txt"):
    return process_text(text, name, hashlib.sha256(text.encode()).hexdigest(), ctx)
