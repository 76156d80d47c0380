"""Where things live in the repository (and, for a build into another folder, in the package)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
CODEBOOKS = ROOT / "data" / "codebooks"
REFERENCE = ROOT / "data" / "reference"
RAW = ROOT / "data" / "raw"

# Inside any built package (the repository itself or an --out folder):
TABLES_DIR = "data/tables"
BODIES_DIR = "data/bodies"
RAW_DIR = "data/raw"
MANIFEST_NAME = "sources.csv"
