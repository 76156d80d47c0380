"""Sessions that build, validate and test the data package (`nox -l` lists them).

Every session installs exactly the versions in its lock file under `locks/` (hash-checked), then
the project itself without dependencies, so a fresh clone gets what the tests passed with.
`nox -s lock` regenerates the locks from `pyproject.toml`; `nox -s tests_latest` runs the tests
with the newest versions `pyproject.toml` allows instead.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "tests"]

LOCKS = Path(__file__).parent / "locks"
#: The lock tool, pinned like everything else: a newer uv may resolve differently.
UV = "uv==0.13.8"
#: The environments the project creates and the extras of pyproject.toml each one holds. `tests`
#: holds every extra, so that the tests can check all the other locks against its metadata.
LOCKED_ENVIRONMENTS = {
    "build": [],
    "book": ["book"],
    "lint": ["lint"],
    "explore": ["explore"],
    "tests": ["test", "book", "lint", "explore"],
}
LOCK_PYTHON = "3.11"
LOCK_PLATFORM = "x86_64-unknown-linux-gnu"


def _install(session: nox.Session, environment: str) -> None:
    """The locked versions of ``environment``, then the project itself (editable, no dependencies)."""
    session.install("-r", str(LOCKS / f"{environment}.txt"))
    session.install("--no-deps", "-e", ".")


@nox.session
def lock(session: nox.Session) -> None:
    """Regenerate locks/*.txt from pyproject.toml (exact versions and hashes, Python 3.11 on Linux)."""
    session.install(UV)
    LOCKS.mkdir(exist_ok=True)
    common = ["uv", "pip", "compile", "--quiet", "--generate-hashes",
              "--python-version", LOCK_PYTHON, "--python-platform", LOCK_PLATFORM,
              "--custom-compile-command", "nox -s lock", *session.posargs]
    # The largest environment is resolved first and constrains the others, so that a package has
    # the same version in every lock file.
    superset = LOCKS / "tests.txt"
    session.run(*common, "pyproject.toml", *[f"--extra={e}" for e in LOCKED_ENVIRONMENTS["tests"]],
                "-o", str(superset))
    for name, extras in LOCKED_ENVIRONMENTS.items():
        if name == "tests":
            continue
        if name == "lint":
            # The lint tools alone: compiling pyproject.toml with --extra would add the project's
            # own dependencies, which ruff does not need.
            source = Path(session.create_tmp()).resolve().relative_to(Path.cwd().resolve()) / "lint.in"
            source.write_text(_requirements_of_extra("lint"), encoding="utf-8")
            sources = [str(source)]
        else:
            sources = ["pyproject.toml", *[f"--extra={e}" for e in extras]]
        session.run(*common, *sources, "-c", str(superset), "-o", str(LOCKS / f"{name}.txt"))


def _requirements_of_extra(extra: str) -> str:
    import tomllib

    project = tomllib.loads((Path(__file__).parent / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return "\n".join(project["optional-dependencies"][extra]) + "\n"


@nox.session
def build(session: nox.Session) -> None:
    """Build the data package from data/raw (or: -- --raw DIR --out DIR) and validate it.

    Exits 0 only when every input was accepted. `python -m lbgr build` exits 1 when some inputs
    were rejected (the package of the others was written), 2 on a usage error and 3 when the build
    failed; nox turns every non-zero status into its own 1, so this session says which it was."""
    _install(session, "build")
    _run_build(session, "build", *session.posargs)


def _run_build(session: nox.Session, command: str, *args: str) -> None:
    meaning = {1: "some inputs were rejected; the package of the accepted ones was written and is valid",
               2: "usage error; nothing was written",
               3: "the build failed; nothing was written, the previous package is unchanged"}
    try:
        session.run("python", "-m", "lbgr", command, *args)
    except nox.command.CommandFailed as failed:
        status = getattr(failed, "return_code", None)
        session.error(f"lbgr {command} exited with status {status}: {meaning.get(status, 'unexpected status')}")


@nox.session
def validate(session: nox.Session) -> None:
    """Validate the package: frictionless (the contract), then pandera and the content rules."""
    _install(session, "build")
    package = session.posargs[0] if session.posargs else "."
    session.run("frictionless", "validate", f"{package}/datapackage.json")
    session.run("python", "-m", "lbgr", "validate", package)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, property and end-to-end tests, and the book in headless Chromium)."""
    _install(session, "tests")
    session.run("pytest", *session.posargs, env={"LBGR_LOCKED_ENVIRONMENT": "tests"})


@nox.session(venv_backend="venv", reuse_venv=False)
def tests_latest(session: nox.Session) -> None:
    """The test suite with the newest versions pyproject.toml allows (not the locks): does an upgrade break anything?"""
    session.install("--upgrade", "-e", ".[test,book,lint]")
    session.run("pip", "freeze", "--exclude-editable")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff."""
    session.install("-r", str(LOCKS / "lint.txt"))
    session.run("ruff", "check", "scripts", "tests", "noxfile.py")


@nox.session
def schemas(session: nox.Session) -> None:
    """Regenerate schemas/*.schema.json from schemas/fields and schemas/resources."""
    _install(session, "build")
    session.run("python", "-m", "lbgr", "schemas")


@nox.session
def add_report(session: nox.Session) -> None:
    """Add a report: -- FILE [--url URL] [--retrieved-date YYYY-MM-DD]; copies it into data/raw, records it, rebuilds."""
    if not session.posargs:
        session.error("usage: nox -s add_report -- FILE [--url URL] [--retrieved-date YYYY-MM-DD] [--notes TEXT]")
    _install(session, "build")
    _run_build(session, "add", *session.posargs)


@nox.session
def collect(session: nox.Session) -> None:
    """Collect reports from their addresses: -- URLS --raw DIR [--listing] [--refresh]; pages and a WARC archive into DIR."""
    if not session.posargs:
        session.error("usage: nox -s collect -- URLS --raw DIR [--listing] [--refresh] [--delay S]")
    _install(session, "build")
    session.run("python", "-m", "lbgr", "collect", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark the build on 1×…1000× corpora of report variants (-- --scales 1 10 --jobs 1 2); prints, asserts nothing."""
    _install(session, "build")
    session.run("python", "scripts/bench.py", *session.posargs)


@nox.session
def book(session: nox.Session) -> None:
    """Build the book (book/ -> book/_build/html) from the data package; offline, warnings are errors."""
    _install(session, "book")
    session.run("python", "-m", "lbgr.book", "build", *session.posargs)


@nox.session
def release(session: nox.Session) -> None:
    """Build the book, then write dist/china-law-based-government-reports-<version>.zip (SQLite, .dta, book, SHA256SUMS).

    Refuses when the versions of pyproject.toml, CITATION.cff, datapackage.json and .zenodo.json
    disagree or CHANGELOG.md has no entry for the version (lbgr.release.archive)."""
    _install(session, "book")
    # A fresh HTML folder (the execution cache is kept): Sphinx stamps an asset's checksum into the
    # pages only when the asset was already there, so a rebuild over an old folder differs in bytes.
    shutil.rmtree(Path(__file__).parent / "book" / "_build" / "html", ignore_errors=True)
    session.run("python", "-m", "lbgr.book", "build")
    session.run("python", "-m", "lbgr", "release", "--book", "book/_build/html", *session.posargs)


@nox.session
def explore(session: nox.Session) -> None:
    """Browse the package in Datasette at http://127.0.0.1:8001/package (-- [PACKAGE] [--port N]); Ctrl-C stops it."""
    _install(session, "explore")
    session.run("python", "-m", "lbgr", "explore", *session.posargs)


@nox.session
def evaluate(session: nox.Session) -> None:
    """Score the pipeline on labelled files it was not written from: -- FOLDER LABELS.csv [--record]; prints, asserts nothing.

    First verdicts and metadata against LABELS.csv (lbgr.eval.evaluate); then, where FOLDER holds the
    excerpts of the hand-made gold in tests/gold/devset/, headings, part types, cited titles and
    figures against that gold (lbgr.eval.gold_devset); last the theme coding against hand coding
    (lbgr.eval.theme_agreement). --record writes every set of figures for the book."""
    if len(session.posargs) < 2:
        session.error("usage: nox -s evaluate -- FOLDER LABELS.csv [--record]")
    _install(session, "build")
    folder, record = session.posargs[0], "--record" in session.posargs
    session.run("python", "-m", "lbgr.eval.evaluate", *session.posargs)
    gold = Path(__file__).parent / "tests" / "gold" / "devset"
    # The gold the extractors were tuned on, then the held-out gold annotated afterwards.
    for gold_dir, recorded in ((gold, "devset_content_accuracy.json"), (gold / "heldout", "devset_content_heldout.json")):
        files = (gold_dir / "files.csv").read_text(encoding="utf-8").splitlines()[1:] if gold_dir.exists() else []
        if not files or not all((Path(folder) / line.split(",")[0]).exists() for line in files if line):
            session.log(f"content scores skipped: FOLDER does not hold the excerpts of {gold_dir}")
            continue
        extra = ["--record", f"book/_static/{recorded}"] if record else []
        session.run("python", "-m", "lbgr.eval.gold_devset", folder, "--gold", str(gold_dir), *extra)
    # The theme coding against the hand coding of the package reports and of the excerpts, and the
    # agreement between the people who coded by hand (the excerpts are skipped when FOLDER lacks them).
    session.run("python", "-m", "lbgr.eval.theme_agreement", folder, *(["--record"] if record else []))
