"""Every accuracy figure of the package, in one command: ``python -m lbgr.accuracy [DEVSET_FOLDER]``.

1. The figures of ``measures`` against the gold of the package reports (``lbgr.eval.accuracy``).
2. The theme coding against hand coding, and the agreement between the people who hand-coded:
   Krippendorff's alpha, per-theme agreement and confusion (``lbgr.eval.theme_agreement``); the
   development excerpts are read from DEVSET_FOLDER (default ``../shared/devset``, outside the
   repository) when it is there. ``--record`` writes the theme figures for the book.

The verdicts and metadata of the development set, and its headings, titles and figures, are
scored by ``nox -s evaluate`` (``lbgr.eval.evaluate``, ``lbgr.eval.gold_devset``).
"""

from __future__ import annotations

import sys

from lbgr.eval import accuracy, theme_agreement


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    print("== figures (measures) ==")
    status = accuracy.main([])
    print()
    print("== theme coding (paragraph_themes) ==")
    return theme_agreement.main(argv) or status


if __name__ == "__main__":
    sys.exit(main())
