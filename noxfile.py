"""Sessions that build, validate and test the data package (`nox -l` lists them)."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["build", "tests"]



def _install(session: nox.Session, *extras: str) -> None:
    spec = f".[{','.join(extras)}]" if extras else "."
    session.install("-e", spec)


@nox.session
def build(session: nox.Session) -> None:
    """Build the data package from data/raw (or: -- --raw DIR --out DIR) and validate it."""
    _install(session)
    session.run("python", "-m", "lbgr", "build", *session.posargs, success_codes=[0, 1])


@nox.session
def validate(session: nox.Session) -> None:
    """Validate the package: frictionless (the contract), then pandera and the content rules."""
    _install(session)
    package = session.posargs[0] if session.posargs else "."
    session.run("frictionless", "validate", f"{package}/datapackage.json")
    session.run("python", "-m", "lbgr", "validate", package)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, property and end-to-end tests, and the book in headless Chromium)."""
    _install(session, "test", "book")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "scripts", "tests", "noxfile.py")


@nox.session
def schemas(session: nox.Session) -> None:
    """Regenerate schemas/*.schema.json from schemas/fields and schemas/resources."""
    _install(session)
    session.run("python", "-m", "lbgr", "schemas")


@nox.session
def add_report(session: nox.Session) -> None:
    """Add a report: -- FILE [--url URL] [--retrieved-date YYYY-MM-DD]; copies it into data/raw, records it, rebuilds."""
    if not session.posargs:
        session.error("usage: nox -s add_report -- FILE [--url URL] [--retrieved-date YYYY-MM-DD] [--notes TEXT]")
    _install(session)
    session.run("python", "-m", "lbgr", "add", *session.posargs, success_codes=[0, 1])


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark the build on 1×…1000× corpora of report variants (-- --scales 1 10 --jobs 1 2); prints, asserts nothing."""
    _install(session)
    session.run("python", "scripts/bench.py", *session.posargs)


@nox.session
def book(session: nox.Session) -> None:
    """Build the book (book/ -> book/_build/html) from the data package; offline, warnings are errors."""
    _install(session, "book")
    session.run("python", "-m", "lbgr.book", "build", *session.posargs)


@nox.session
def evaluate(session: nox.Session) -> None:
    """Score the pipeline on labelled files it was not written from: -- FOLDER LABELS.csv [--record]; prints, asserts nothing."""
    if len(session.posargs) < 2:
        session.error("usage: nox -s evaluate -- FOLDER LABELS.csv [--record]")
    _install(session)
    session.run("python", "-m", "lbgr.evaluate", *session.posargs)
