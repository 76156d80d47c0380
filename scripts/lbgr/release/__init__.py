"""Releases (outside the pipeline): the versioned archive (archive.py) and the diff of two packages (diff.py).

Where a release and the published book live, named once here for the archive, the README, the
book and the pages workflow.
"""

from __future__ import annotations

NAME = "china-law-based-government-reports"
REPOSITORY = f"https://github.com/{NAME}/{NAME}"
#: The book as the pages workflow (.github/workflows/pages.yml) publishes it, with the SQLite file beside it.
PAGES = f"https://{NAME}.github.io/{NAME}/"
DATASETTE_LITE = "https://lite.datasette.io/"


def archive_name(version: str) -> str:
    return f"{NAME}-{version}.zip"


def release_url(version: str) -> str:
    """Where the archive of ``version`` is attached to its release (tag ``v<version>``)."""
    return f"{REPOSITORY}/releases/download/v{version}/{archive_name(version)}"


def datasette_lite_url() -> str:
    """Datasette Lite over the published SQLite file and its metadata (served by the pages site, which allows CORS)."""
    return f"{DATASETTE_LITE}?url={PAGES}data/package.sqlite&metadata={PAGES}data/datasette.json"
