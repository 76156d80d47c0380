"""Read-only inputs shared by all stages: codebooks and reference tables, loaded once."""

from __future__ import annotations

import csv
from functools import cached_property
from pathlib import Path

from lbgr import paths


class Context:
    def __init__(self, codebooks: Path = paths.CODEBOOKS, reference: Path = paths.REFERENCE,
                 raw_dir: Path = paths.RAW):
        self.codebooks_dir = Path(codebooks)
        self.reference_dir = Path(reference)
        self.raw_dir = Path(raw_dir)
        self._cache: dict[str, list[dict[str, str]]] = {}

    def codebook(self, name: str) -> list[dict[str, str]]:
        """Rows of ``data/codebooks/<name>.csv`` as dicts of strings."""
        if name not in self._cache:
            with open(self.codebooks_dir / f"{name}.csv", encoding="utf-8", newline="") as fh:
                self._cache[name] = list(csv.DictReader(fh))
        return self._cache[name]

    @cached_property
    def divisions(self):
        from lbgr.parse.divisions import DivisionIndex

        return DivisionIndex.from_csv(self.reference_dir / "divisions.csv")

    @cached_property
    def furniture_rules(self):
        from lbgr.ingest.furniture import FurnitureRules

        return FurnitureRules.from_rows(self.codebook("furniture"))

    @cached_property
    def document_type_rules(self):
        from lbgr.ingest.doctype import load_rules

        return load_rules(self.codebooks_dir)

    def __getstate__(self):
        # Worker processes rebuild caches lazily instead of receiving them pickled.
        return {"codebooks_dir": self.codebooks_dir, "reference_dir": self.reference_dir,
                "raw_dir": self.raw_dir, "_cache": {}}
