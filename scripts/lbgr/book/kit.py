"""Helpers for the book's notebooks (book/**/*.md): the package, Chinese fonts, readable tables.

Every page of the book reads the data package through these functions, so that

- the package folder is one setting (``LBGR_PACKAGE``, set by ``python -m lbgr.book build``;
  default: this repository), and so is the repository (``LBGR_ROOT``);
- a table that is listed in ``schemas/resources/`` but not (yet) written by the build is
  reported as missing instead of breaking the page (``has_table``);
- figures with Chinese labels use Noto Sans CJK SC, the OFL font that the PyPI package
  ``mplfonts`` ships, registered from that package's folder (never the system's fonts);
- tables are HTML with the class ``lbgr-table``, which the book's CSS fits to the page width.

This module imports matplotlib and IPython only inside the functions that need them, so the
rest of ``lbgr`` does not depend on the book's extra packages.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from lbgr import paths
from lbgr.package.tables import read_table

#: The OFL font the figures use, a file of the PyPI package mplfonts.
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

#: Part types of level-1 sections, in the order of the 2019 规定's elements.
PART_ORDER = ["achievements", "responsibility", "problems", "plans", "mixed", "other"]


# --------------------------------------------------------------------------- the package
def package_dir() -> Path:
    """The data package the book describes (``LBGR_PACKAGE``, else this repository)."""
    return Path(os.environ.get("LBGR_PACKAGE", paths.ROOT)).resolve()


def repo_root() -> Path:
    """The repository the book is built in (``LBGR_ROOT``, else this checkout): noxfile, tests/gold."""
    return Path(os.environ.get("LBGR_ROOT", paths.ROOT)).resolve()


@lru_cache(maxsize=4)
def _descriptor(root: str) -> dict:
    return json.loads((Path(root) / "datapackage.json").read_text(encoding="utf-8"))


def descriptor() -> dict:
    """``datapackage.json`` of the package, as a dict."""
    return _descriptor(str(package_dir()))


def resources() -> dict[str, dict]:
    """The package's resources by name, in descriptor order."""
    return {r["name"]: r for r in descriptor()["resources"]}


def has_table(name: str) -> bool:
    """True when the package lists resource ``name`` and its file exists."""
    res = resources().get(name)
    return res is not None and (package_dir() / res["path"]).exists()


def table_ready(name: str) -> bool:
    """True when the package has table ``name`` with at least one row."""
    return has_table(name) and len(table(name)) > 0


@lru_cache(maxsize=64)
def _table(root: str, name: str, path: str) -> pd.DataFrame:
    return read_table(Path(root) / path, name)


def table(name: str) -> pd.DataFrame:
    """Resource ``name`` as a DataFrame with the column types of its schema (a copy)."""
    if not has_table(name):
        raise KeyError(f"the package has no table '{name}' (yet)")
    return _table(str(package_dir()), name, resources()[name]["path"]).copy()


def codebook(stem: str) -> pd.DataFrame | None:
    """``data/codebooks/<stem>.csv`` as strings (codebooks that are not resources too); None if absent."""
    path = package_dir() / "data" / "codebooks" / f"{stem}.csv"
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def elements() -> dict[str, tuple[str, str, str]]:
    """The elements the reports table flags, from the package's codebook ``elements``:
    {code: (its has_ column, short title in Chinese, in English)}."""
    rows = codebook("elements")
    rows = rows[rows.is_flagged_in_reports == "true"]
    return {r.element_code: (f"has_{r.element_name}", r.element_title_zh, r.element_title_en)
            for r in rows.itertuples(index=False)}


def body(report_id: str) -> str:
    """The normalised body text of a report, to which every char offset refers."""
    reports = table("reports").set_index("report_id")
    return (package_dir() / reports.at[report_id, "body_path"]).read_text(encoding="utf-8")


def report_labels() -> dict[str, str]:
    """Short labels for reports: ``怀化市 2023`` (the jurisdiction and the reported year)."""
    reports = table("reports")
    return {r.report_id: f"{r.jurisdiction} {r.report_year}" for r in reports.itertuples()}


# --------------------------------------------------------------------------- figures
def cjk_font_path() -> Path:
    """Path of Noto Sans CJK SC inside the installed mplfonts package (found without importing it)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the book needs the PyPI package mplfonts (pip install -e '.[book]')")
    path = Path(list(spec.submodule_search_locations)[0]) / "fonts" / CJK_FONT_FILE
    if not path.exists():
        raise RuntimeError(f"mplfonts does not ship {CJK_FONT_FILE} at {path}")
    return path


def use_cjk_font() -> str:
    """Register Noto Sans CJK SC with matplotlib and make it the default; return its family name."""
    import matplotlib as mpl
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    mpl.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [name],
        "axes.unicode_minus": False,
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "figure.figsize": (7.5, 4.0),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        # mplfonts ships the regular weight only: asking for bold makes matplotlib >= 3.11 warn
        # on stderr (findfont), which the book rightly treats as an error.
        "axes.titleweight": "normal",
        "axes.labelweight": "normal",
        "figure.titleweight": "normal",
        "font.weight": "normal",
    })
    return name


# --------------------------------------------------------------------------- tables
#: Columns whose cells never wrap (short labels and codes).
NOWRAP = ("report", "report_id", "code", "indicator_code", "theme_code", "theme", "marker", "year", "stage", "command")


def html_table(df: pd.DataFrame, *, index: bool = False, caption: str | None = None, wide: bool = False,
               formats: dict | None = None, max_chars: int | None = None, nowrap: tuple[str, ...] = NOWRAP):
    """A DataFrame as an HTML table that fits the book's width (class ``lbgr-table``).

    ``formats`` maps column names to format strings, or to callables that return HTML (for
    example ``link``); ``max_chars`` shortens long text cells (with …) so that a row stays
    readable; cells of the ``nowrap`` columns never wrap.
    """
    from IPython.display import HTML

    formats = formats or {}
    out = df.copy()
    out.columns = [str(c) for c in out.columns]  # also drops a columns name, which to_html shows as a column
    for col in out.columns:
        fmt = formats.get(col)
        cells = [_cell(v, fmt, max_chars) for v in out[col]]
        if col in nowrap:
            cells = [f'<span class="lbgr-nowrap">{c}</span>' for c in cells]
        out[col] = cells
    classes = "lbgr-table" + (" lbgr-wide" if wide else "")
    body = out.to_html(index=index, escape=False, classes=classes, border=0, na_rep="")
    body = body.replace('<tr style="text-align: right;">', "<tr>")
    if caption:
        body = body.replace(f'<table border="0" class="dataframe {classes}">',
                            f'<table border="0" class="dataframe {classes}"><caption>{html.escape(caption)}</caption>', 1)
    return HTML(f'<div class="lbgr-table-wrap">{body}</div>')


def _cell(value, fmt, max_chars):
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if callable(fmt):  # a callable returns HTML (for example a link), used as it is
        return str(fmt(value))
    if fmt:
        text = format(value, fmt)
    elif isinstance(value, (bool, np.bool_)):
        text = "✓" if value else "✗"
    else:
        text = str(value)
    if max_chars and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return html.escape(text)


def link(url: str, label: str) -> str:
    """An HTML link for a table cell (label only when the URL is empty)."""
    if not url:
        return html.escape(label)
    return f'<a href="{html.escape(url)}">{html.escape(label)}</a>'


def missing_table_note(*names: str):
    """A note (Markdown) saying which tables this page waits for (absent, or without rows)."""
    from IPython.display import Markdown

    missing = [n for n in names if not table_ready(n)]
    listed = ", ".join(f"`{n}`" for n in missing)
    return Markdown(
        f":::{{note}}\nThis analysis needs the table{'s' if len(missing) > 1 else ''} {listed}, which this "
        "build of the package does not contain yet (or contains without rows). The page reads it as soon as "
        "the build writes it; nothing on this page needs editing.\n:::"
    )


def pct(x: float, digits: int = 0) -> str:
    """0.4 → '40%'."""
    return f"{100 * x:.{digits}f}%"


def words(n: int) -> str:
    """Small counts in words, as prose wants them (0–10), else digits."""
    names = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    return names[n] if 0 <= n <= 10 else str(n)


# --------------------------------------------------------------------------- glue
class _Text:
    """A value whose plain-text form is the string itself (glue would quote a str)."""

    def __init__(self, text) -> None:
        self.text = str(text)

    def __repr__(self) -> str:
        return self.text


def glue(name: str, value, *, display: bool = False) -> None:
    """Glue ``value`` for ``{glue:text}`name``` in the page's prose (strings without quotes)."""
    from myst_nb import glue as nb_glue

    if isinstance(value, str):
        value = _Text(value)
    nb_glue(name, value, display=display)


def glue_all(**values) -> None:
    """Glue several values at once: ``glue_all(n_reports=5, first_year=2020)``."""
    for name, value in values.items():
        glue(name, value)


# --------------------------------------------------------------------------- words
_JIEBA_READY: list[bool] = []


def words_of(text: str) -> list[str]:
    """Chinese words of ``text`` (jieba, precise mode), quietly: no log lines, no warnings on stderr.

    jieba's general dictionary is extended with the domain words that ``python -m lbgr.book``
    writes for the search index (``book/_generated/search_words.txt``: codebook keywords,
    indicator names, policy terms), so that 营商环境 or 行政复议 stay one word.
    """
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba

        jieba.setLogLevel(logging.WARNING)
        if not _JIEBA_READY:
            words = repo_root() / "book" / "_generated" / "search_words.txt"
            if words.exists():
                jieba.load_userdict(str(words))
            _JIEBA_READY.append(True)
        return [w for w in jieba.lcut(text) if w.strip()]
