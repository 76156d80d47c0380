"""The locked environment: locks/*.txt agree with pyproject.toml and are closed under dependencies,
and the package records the versions that made it.

The tests environment is installed from ``locks/tests.txt``, which holds every extra, so the
metadata of its installed distributions tells what every pinned package requires.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lbgr import environment
from testroot import ROOT

LOCKS = ROOT / "locks"
#: What each lock file holds, as the noxfile's ``lock`` session makes it.
LOCK_EXTRAS = {"build": [], "book": ["book"], "explore": ["explore"], "tests": ["test", "book", "lint", "explore"]}
LOCK_ENV = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.0",
            "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
            "implementation_name": "cpython", "platform_python_implementation": "CPython"}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def read_lock(path: Path) -> dict[str, str]:
    """``{canonical name: version}`` of a lock file; every pin must carry at least one hash."""
    pins, text = {}, path.read_text(encoding="utf-8")
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = _PIN.match(block)
        if m:
            assert "--hash=sha256:" in block, f"{path.name}: {m.group(1)} is pinned without a hash"
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def direct_requirements(extras: list[str]) -> list[Requirement]:
    proj = project()
    reqs = [Requirement(r) for r in proj["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in proj["optional-dependencies"][extra]]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(LOCK_ENV)]


def requirements_of(name: str, extras: set[str]) -> list[Requirement]:
    """What the installed distribution ``name`` requires (with ``extras``) on Python 3.11 / Linux."""
    reqs = []
    for line in distribution(name).requires or []:
        req = Requirement(line)
        if req.marker is None:
            reqs.append(req)
        elif any(req.marker.evaluate({**LOCK_ENV, "extra": e}) for e in (extras or {""})):
            reqs.append(req)
    return reqs


def closure_gaps(pins: dict[str, str], roots: list[Requirement]) -> list[str]:
    """Requirements reachable from ``roots`` that ``pins`` lacks or pins at a version they exclude."""
    gaps, seen = [], set()
    todo = [(r, "pyproject.toml") for r in roots]
    while todo:
        req, via = todo.pop()
        name = canonicalize_name(req.name)
        if name not in pins:
            gaps.append(f"{req} (required by {via}) is not pinned")
            continue
        if pins[name] not in req.specifier:
            gaps.append(f"{name}=={pins[name]} does not satisfy {req} (required by {via})")
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            todo += [(r, name) for r in requirements_of(name, set(req.extras))]
        except PackageNotFoundError:
            gaps.append(f"{name} is pinned but not installed in the tests environment (re-run `nox -s tests`)")
    return gaps


def test_every_environment_has_a_lock_file():
    assert sorted(p.stem for p in LOCKS.glob("*.txt")) == ["book", "build", "explore", "lint", "tests"]


@pytest.mark.parametrize("name", sorted(LOCK_EXTRAS))
def test_lock_holds_what_pyproject_requires_and_all_they_require(name):
    """Fails when pyproject.toml gains or tightens a dependency without `nox -s lock`, or a pin is deleted."""
    pins = read_lock(LOCKS / f"{name}.txt")
    gaps = closure_gaps(pins, direct_requirements(LOCK_EXTRAS[name]))
    assert not gaps, f"locks/{name}.txt disagrees with pyproject.toml; run `nox -s lock`:\n" + "\n".join(gaps)


def test_lint_lock_holds_the_lint_extra():
    pins = read_lock(LOCKS / "lint.txt")
    roots = [Requirement(r) for r in project()["optional-dependencies"]["lint"]]
    assert not closure_gaps(pins, roots)


def test_lock_files_agree_with_each_other():
    """A package has one version in every lock (the smaller locks are constrained by tests.txt)."""
    tests = read_lock(LOCKS / "tests.txt")
    for name in ("build", "book", "explore", "lint"):
        pins = read_lock(LOCKS / f"{name}.txt")
        assert set(pins) <= set(tests), f"{name}.txt pins what tests.txt does not: {set(pins) - set(tests)}"
        assert {k: tests[k] for k in pins} == pins, f"{name}.txt and tests.txt pin different versions"


def test_the_tests_run_with_the_locked_versions():
    """What `nox -s tests` installed is what locks/tests.txt says (not so under `nox -s tests_latest`)."""
    if os.environ.get("LBGR_LOCKED_ENVIRONMENT") != "tests":
        pytest.skip("not run by `nox -s tests` (which installs locks/tests.txt and says so)")
    pins = read_lock(LOCKS / "tests.txt")
    wrong = {n: (v, distribution(n).version) for n, v in pins.items() if distribution(n).version != v}
    assert not wrong, f"installed versions differ from locks/tests.txt: {wrong}"


# ------------------------------------------------------------------ the checks themselves
def test_closure_check_finds_a_deleted_pin_and_an_unlocked_dependency():
    pins = read_lock(LOCKS / "build.txt")
    roots = direct_requirements([])
    assert closure_gaps(pins, roots) == []
    # A transitive pin deleted: pandas needs numpy.
    without_numpy = {k: v for k, v in pins.items() if k != "numpy"}
    assert any(g.startswith("numpy") for g in closure_gaps(without_numpy, roots))
    # A dependency added to pyproject.toml without re-locking.
    assert closure_gaps(pins, [*roots, Requirement("scikit-learn>=1.4")]) == [
        "scikit-learn>=1.4 (required by pyproject.toml) is not pinned"]
    # A bound tightened without re-locking.
    assert closure_gaps(pins, [Requirement(f"pandas>{pins['pandas']}")])


def test_a_pin_without_hash_is_refused(tmp_path):
    lock = tmp_path / "x.txt"
    lock.write_text("pandas==2.2.3\n    # via x\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="without a hash"):
        read_lock(lock)


# ------------------------------------------------------------------ versions in the package
def test_build_report_records_the_versions_that_shape_the_output():
    report = json.loads((ROOT / "build_report.json").read_text(encoding="utf-8"))
    recorded = report["environment"]
    assert recorded["python"].startswith("3.11.")
    assert set(recorded["packages"]) >= {"pandas", "frictionless", "pandera", "opencc", "trafilatura",
                                         "pdfminer.six", "pyarrow"}
    # The committed package was made with the locked versions.
    pins = read_lock(LOCKS / "build.txt")
    assert recorded["packages"] == {n: pins[canonicalize_name(n)] for n in recorded["packages"]}


def test_versions_are_those_installed():
    current = environment.versions()
    assert current["packages"]["pandas"] == distribution("pandas").version
    assert all(v != "absent" for v in current["packages"].values())
