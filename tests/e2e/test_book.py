"""The book: built from the package (warnings are errors), then read in headless Chromium.

The build is ``python -m lbgr.book build`` (what ``nox -s book`` runs) on this repository; its
execution cache is keyed by the data, so a second run is quick. The browser tests serve the HTML
on 127.0.0.1 and open every page with Debian's ``chromium`` and ``chromium-driver``. They are
skipped only when Chromium is not installed *and* ``CI`` is unset; in CI they must run.
Screenshots of the landing page and an analysis page are kept in ``book/_build/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from browser_helpers import IN_CI, chromium_driver, open_page, require_chromium
from testroot import ROOT

HTML = ROOT / "book" / "_build" / "html"
SHOTS = ROOT / "book" / "_build" / "screenshots"

#: Analysis pages and the tables without which they show a note instead of figures and tables.
ANALYSES = {
    "compliance": [],
    "problems_plans": [],
    "indicators": ["report_indicators"],
    "themes": ["theme_attention"],
    "citations_terms": ["citations", "policy_terms"],
}
#: Chinese terms the search page must find (jieba splits the pages' Chinese text into words).
SEARCH_TERMS = ["复议", "法治政府"]


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _require_book_tools() -> None:
    if not _have("jupyter_book") or not _have("selenium"):
        if IN_CI:
            pytest.fail("CI: the book extra is not installed (nox -s tests installs '.[test,book]')")
        pytest.skip("the book extra is not installed (pip install -e '.[book]')")


def _require_chromium() -> None:
    require_chromium()


def _rows(path: Path) -> int:
    with open(path, encoding="utf-8") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def _ready(name: str) -> bool:
    """Whether the package has table ``name`` with rows (as lbgr.book.kit.table_ready decides)."""
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    res = {r["name"]: r for r in desc["resources"]}
    return name in res and (ROOT / res[name]["path"]).exists() and _rows(ROOT / res[name]["path"]) > 0


# --------------------------------------------------------------------------- the build
def _why(log: str) -> str:
    """The lines of a failed build's log that say why (the warning, the notebook error), not the tracebacks."""
    lines = log.splitlines()
    keep = [i for i, line in enumerate(lines)
            if any(k in line for k in ("treated as error", "SphinxWarning", "Error:", "Executing notebook failed"))]
    picked = sorted({j for i in keep for j in range(i, min(i + 3, len(lines)))})
    return "\n".join(lines[j] for j in picked[:60]) or "\n".join(lines[-40:])


@pytest.fixture(scope="session")
def built_book() -> Path:
    _require_book_tools()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lbgr.book", "build"], cwd=ROOT, capture_output=True, text=True)
    took = time.perf_counter() - t0
    assert proc.returncode == 0, f"the book did not build (warnings are errors):\n{_why(proc.stdout + proc.stderr)}"
    print(f"book built in {took:.0f} s")
    assert (HTML / "index.html").exists()
    return HTML


def test_book_builds_without_warnings(built_book):
    pages = sorted(p.relative_to(built_book).as_posix() for p in built_book.rglob("*.html"))
    for page in ["index.html", "reports.html", "package.html", "methods.html", "reproduce.html",
                 "dictionary/index.html", "analyses/index.html", "search.html"]:
        assert page in pages, f"{page} missing from the build"
    for name in ANALYSES:
        assert f"analyses/{name}.html" in pages


def test_figures_use_a_cjk_font_and_no_text_is_lost(built_book):
    """Noto Sans CJK SC (from mplfonts) is registered; a missing glyph would have failed the build (stderr = warning)."""
    from lbgr.book import kit as bookkit

    path = bookkit.cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf" and path.stat().st_size > 1_000_000


# --------------------------------------------------------------------------- the browser
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def driver(server, tmp_path_factory):
    _require_chromium()
    from lbgr.book.kit import cjk_font_path

    # Chromium finds Chinese glyphs in the same OFL font the figures use.
    with chromium_driver(tmp_path_factory.mktemp("chromium"), font=cjk_font_path()) as drv:
        yield drv


def _open(driver, url: str) -> list[dict]:
    """Load ``url``, wait for it, and return the console messages of level SEVERE."""
    return open_page(driver, url)


def test_every_page_loads_without_console_errors(built_book, server, driver):
    pages = sorted(p.relative_to(built_book).as_posix() for p in built_book.rglob("*.html")
                   if not p.relative_to(built_book).as_posix().startswith("_"))
    assert len(pages) > 10
    failures = {}
    for page in pages:
        errors = _open(driver, f"{server}/{page}")
        if errors:
            failures[page] = [e["message"] for e in errors]
        assert driver.find_elements("css selector", "main h1"), f"{page}: no title"
    assert not failures, f"console errors: {json.dumps(failures, ensure_ascii=False, indent=1)}"


@pytest.mark.parametrize("name", sorted(ANALYSES))
def test_analysis_pages_show_figures_and_tables(server, driver, name):
    errors = _open(driver, f"{server}/analyses/{name}.html")
    assert not errors, errors
    images = driver.execute_script(
        "return [...document.querySelectorAll('main div.cell_output img')]"
        ".map(i => [i.complete && i.naturalWidth > 0, i.naturalWidth]);")
    tables = driver.find_elements("css selector", "main div.cell_output table")
    text = driver.find_element("css selector", "main").text
    needs = ANALYSES[name]
    if all(_ready(t) for t in needs):
        assert images, f"{name}: no figure"
        assert all(ok for ok, _ in images), f"{name}: an image did not load"
        assert tables, f"{name}: no table"
        assert "does not contain yet" not in text, f"{name}: shows the missing-table note although the tables exist"
    else:
        missing = [t for t in needs if not _ready(t)]
        assert "does not contain yet" in text, f"{name}: tables {missing} are missing but the page does not say so"


def test_data_dictionary_lists_every_field_of_every_resource(server, driver):
    from lbgr.book.build import field_anchor

    specs = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ROOT / "schemas" / "resources").glob("*.yaml")}
    assert specs
    _open(driver, f"{server}/dictionary/index.html")
    index_text = driver.find_element("css selector", "main").text
    missing = {}
    for name, spec in sorted(specs.items()):
        assert name in index_text, f"the dictionary index does not list {name}"
        errors = _open(driver, f"{server}/dictionary/resources/{name}.html")
        assert not errors, errors
        ids = set(driver.execute_script("return [...document.querySelectorAll('main [id]')].map(e => e.id);"))
        headings = driver.execute_script("return [...document.querySelectorAll('main h3 code')].map(e => e.textContent);")
        lost = [f for f in spec["fields"] if field_anchor(name, f) not in ids or f not in headings]
        if lost:
            missing[name] = lost
    assert not missing, f"fields not listed in the data dictionary: {missing}"


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_search_finds_a_chinese_term(server, driver, term):
    from urllib.parse import quote

    errors = _open(driver, f"{server}/search.html?q={quote(term)}")
    deadline = time.time() + 30
    results = []
    while time.time() < deadline:
        results = driver.find_elements("css selector", "#search-results ul.search li")
        if results:
            break
        time.sleep(0.2)
    assert results, f"search for {term} found nothing"
    assert not [e for e in errors + [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]]


def test_screenshots(server, driver):
    """Keep screenshots of the landing page and of an analysis page as build artefacts."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for page, name, height in [("index.html", "landing.png", 1100), ("analyses/compliance.html", "compliance.png", 3200)]:
        driver.set_window_size(1280, height)
        _open(driver, f"{server}/{page}")
        assert driver.save_screenshot(str(SHOTS / name))
        assert (SHOTS / name).stat().st_size > 20_000
    driver.set_window_size(1280, 1000)
    if IN_CI and (ROOT / "_ci_artifacts").is_dir():
        shutil.copytree(SHOTS, ROOT / "_ci_artifacts" / "book-screenshots", dirs_exist_ok=True)


# --------------------------------------------------------------------------- generated dictionary
def test_changing_a_field_description_changes_the_dictionary_page(tmp_path):
    """Edit a description in schemas/fields on a copy, regenerate: the page changes, nothing else is edited."""
    _require_book_tools()
    from lbgr.book.build import generate_dictionary

    copy = tmp_path / "repo"
    for rel in ["schemas", "data", "datapackage.json", "book"]:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, copy / rel, ignore=shutil.ignore_patterns("_build", "_generated", "dictionary"))
        else:
            shutil.copy2(src, copy / rel)
    generate_dictionary(copy)
    page = copy / "book" / "dictionary" / "resources" / "reports.md"
    before = page.read_text(encoding="utf-8")
    marker = "MARKER-描述已修改-42"
    core = copy / "schemas" / "fields" / "core.yaml"
    text = core.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    old = " ".join(spec["report_year"]["description"].split())
    assert "The year the report is about" in old
    core.write_text(text.replace("The year the report is about", f"{marker} The year the report is about", 1),
                    encoding="utf-8")
    generate_dictionary(copy)
    after = page.read_text(encoding="utf-8")
    assert marker not in before and marker in after
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines()) if a != b]
    assert len(changed) == 1 and "The year the report is about" in changed[0][1]
    # Every page that lists report_year changed; the others are byte-identical.
    for other in (copy / "book" / "dictionary" / "resources").glob("*.md"):
        spec_r = yaml.safe_load((copy / "schemas" / "resources" / other.name.replace(".md", ".yaml")).read_text(encoding="utf-8"))
        assert (marker in other.read_text(encoding="utf-8")) == ("report_year" in spec_r["fields"])
    # And the HTML page built from it shows the new text.
    out = tmp_path / "html"
    proc = subprocess.run([str(Path(sys.executable).parent / "jupyter-book"), "build", str(page), "--path-output", str(out)],
                          capture_output=True, text=True, cwd=copy)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    html = next(out.rglob("reports.html")).read_text(encoding="utf-8")
    assert marker in html


# --------------------------------------------------------------------------- execution cache
def test_execution_cache_is_cleared_when_the_data_change(tmp_path):
    """MyST-NB caches by code only; lbgr.book clears the cache when any input of the notebooks changes."""
    from lbgr.book.build import CACHE_STAMP, inputs_digest, sync_cache

    copy = tmp_path / "repo"
    for rel in ["schemas", "data", "datapackage.json", "CITATION.cff", "pyproject.toml", "tests/gold", "scripts/lbgr"]:
        src = ROOT / rel
        if src.is_dir():
            shutil.copytree(src, copy / rel, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            (copy / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, copy / rel)
    cache = tmp_path / "_build" / ".jupyter_cache"
    digest = inputs_digest(copy)
    assert digest == inputs_digest(copy), "the digest must be deterministic"
    sync_cache(cache, digest)
    (cache / "executed-notebook").write_text("outputs of the old data")
    assert not sync_cache(cache, inputs_digest(copy)), "unchanged inputs must keep the cache"
    assert (cache / "executed-notebook").exists()

    # A data change (one cell of one table) changes the digest and clears the cache.
    table = copy / "data" / "tables" / "reports.csv"
    table.write_text(table.read_text(encoding="utf-8").replace("怀化市", "怀化巿", 1), encoding="utf-8")
    changed = inputs_digest(copy)
    assert changed != digest
    assert sync_cache(cache, changed)
    assert not (cache / "executed-notebook").exists()
    assert (cache / CACHE_STAMP).read_text().strip() == changed

    # So do a codebook and a field definition.
    for rel in ["data/codebooks/part_types.csv", "schemas/fields/core.yaml"]:
        before = inputs_digest(copy)
        with open(copy / rel, "a", encoding="utf-8") as fh:
            fh.write("\n")
        assert inputs_digest(copy) != before, rel
