"""The Python and library versions that shape the package's output.

They are written into ``build_report.json`` so that a user can tell which environment made a
release, and they are part of the result cache's key, so that an upgraded library never meets
results cached by the old one.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

#: Distributions whose versions can change what a build writes: decoding and conversion of the
#: inputs, the tables' formatting, the Parquet copies and validation.
OUTPUT_LIBRARIES = ("pandas", "numpy", "pyarrow", "frictionless", "pandera", "opencc", "trafilatura",
                    "lxml", "pdfminer.six", "python-docx", "pyyaml", "pypinyin")


def versions() -> dict:
    """``{"python": "3.11.7", "packages": {name: version}}``; a missing library is recorded as absent."""
    packages = {}
    for name in OUTPUT_LIBRARIES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "absent"
    return {"python": platform.python_version(), "packages": packages}
