"""Releases: the archive (byte-identical twice, SHA256SUMS that verify, what it must hold), its
refusals (versions that disagree, no changelog entry), .zenodo.json, and ``lbgr diff`` on two
packages built from different codebook versions."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml

from lbgr import paths, release
from lbgr.build.run import EXIT_OK, build
from lbgr.release.archive import ReleaseError, check_release, make_release, verify_archive, versions
from lbgr.release.diff import diff_packages
from lbgr.schema_registry import load_resources
from testroot import ROOT

RAW = ROOT / "data" / "raw"
VERSION_FILES = ["pyproject.toml", "CITATION.cff", "datapackage.json", ".zenodo.json", "CHANGELOG.md"]


def quiet(*_):
    pass


@pytest.fixture(scope="module")
def book_html(tmp_path_factory) -> Path:
    """A stand-in for the built book (the real one is built and tested by test_book.py)."""
    html = tmp_path_factory.mktemp("html")
    (html / "index.html").write_text("<html><body><h1>Book</h1></body></html>\n", encoding="utf-8")
    (html / "_static").mkdir()
    (html / "_static" / "x.css").write_text("body{}\n", encoding="utf-8")
    (html / ".buildinfo").write_text("config: 1\n", encoding="utf-8")
    return html


@pytest.fixture(scope="module")
def archives(tmp_path_factory, book_html) -> tuple[Path, Path]:
    one = make_release(ROOT, tmp_path_factory.mktemp("dist1"), book_html, echo=quiet)
    two = make_release(ROOT, tmp_path_factory.mktemp("dist2"), book_html, echo=quiet)
    return one, two


def test_two_releases_of_one_commit_are_byte_identical(archives):
    one, two = archives
    assert one.name == release.archive_name(versions(ROOT)["pyproject.toml"])
    assert one.read_bytes() == two.read_bytes()


def test_sha256sums_verify_and_cover_every_file(archives, tmp_path):
    archive = archives[0]
    assert verify_archive(archive) == []
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(tmp_path)
        infos = zf.infolist()
    assert all(i.date_time[:3] == infos[0].date_time[:3] and (i.external_attr >> 16) == 0o100644 for i in infos)
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    folder = tmp_path / archive.stem
    listed = {}
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
        assert hashlib.sha256((folder / rel).read_bytes()).hexdigest() == digest, rel
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == on_disk
    if shutil.which("sha256sum"):  # the check a researcher runs
        proc = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_archive_holds_the_package_its_formats_the_book_and_the_release_files(archives):
    with zipfile.ZipFile(archives[0]) as zf:
        names = {n.split("/", 1)[1] for n in zf.namelist()}
    for name in ["datapackage.json", "build_report.json", "CHANGELOG.md", "CITATION.cff", ".zenodo.json", "LICENSE",
                 "LICENSE-DATA.md", "README.md", "SHA256SUMS", "data/package.sqlite", "data/datasette.json",
                 "data/raw/sources.csv", "book/index.html", "book/_static/x.css", "schemas/fields/core.yaml"]:
        assert name in names, name
    assert "book/.buildinfo" not in names
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        assert res["path"] in names and res["schema"] in names
        if res.get("x_parquet"):
            assert res["x_parquet"]["path"] in names
    for name in load_resources():
        assert f"data/stata/{name}.dta" in names
    raw = {p.relative_to(ROOT).as_posix() for p in (ROOT / "data" / "raw").iterdir() if p.is_file()}
    bodies = {p.relative_to(ROOT).as_posix() for p in (ROOT / "data" / "bodies").iterdir() if p.is_file()}
    assert raw | bodies <= names


def _metadata_root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    for name in VERSION_FILES:
        shutil.copy2(ROOT / name, root / name)
    return root


def test_the_repository_is_ready_to_release():
    assert check_release(ROOT) == versions(ROOT)["pyproject.toml"]


def test_a_version_mismatch_is_refused_with_the_versions_it_found(tmp_path, book_html):
    root = _metadata_root(tmp_path)
    zen = json.loads((root / ".zenodo.json").read_text(encoding="utf-8"))
    zen["version"] = "9.9.9"
    (root / ".zenodo.json").write_text(json.dumps(zen), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"the versions disagree .*\.zenodo\.json: 9\.9\.9") as err:
        make_release(root, tmp_path / "dist", book_html, echo=quiet)
    assert "pyproject.toml: " in str(err.value) and "CITATION.cff: " in str(err.value)
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_a_missing_metadata_file_is_named(tmp_path):
    root = _metadata_root(tmp_path)
    (root / "CITATION.cff").unlink()
    with pytest.raises(ReleaseError, match=r"CITATION\.cff: \(file missing\)"):
        check_release(root)


def test_a_version_without_a_changelog_entry_is_refused(tmp_path, book_html):
    root = _metadata_root(tmp_path)
    version = versions(ROOT)["pyproject.toml"]
    text = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    (root / "CHANGELOG.md").write_text(text.replace(f"## {version}", "## 0.0.1"), encoding="utf-8")
    with pytest.raises(ReleaseError, match=rf"CHANGELOG\.md has no entry for version {version}"):
        make_release(root, tmp_path / "dist", book_html, echo=quiet)
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_zenodo_metadata_agrees_with_the_citation_file():
    zen = json.loads((ROOT / ".zenodo.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert zen["title"] == cff["title"] and zen["version"] == cff["version"]
    assert zen["publication_date"] == str(cff["date-released"])
    assert zen["license"] == cff["license"].lower()
    assert [c["name"] for c in zen["creators"]] == [a["name"] for a in cff["authors"]]
    assert zen["description"] and zen["keywords"] and zen["upload_type"] == "dataset"
    related = {r["identifier"]: r["relation"] for r in zen["related_identifiers"]}
    assert related == {release.REPOSITORY: "isSupplementTo", release.PAGES: "isDocumentedBy"}


# --------------------------------------------------------------------------- lbgr diff
def _rows(package: Path, rel: str, key: list[str]) -> dict[tuple, dict]:
    with open(package / rel, encoding="utf-8", newline="") as fh:
        return {tuple(r[k] for k in key): r for r in csv.DictReader(fh)}


def _edit_csv(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    rows = change(rows)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def test_diff_of_two_builds_with_an_edited_codebook_counts_the_rows_that_moved(tmp_path):
    """Build with the codebooks as they are and with two edits: a theme keyword removed, and an
    indicator's English name changed; the diff must count exactly the rows that differ."""
    keyword = "习近平法治思想"
    codebooks = tmp_path / "codebooks"
    shutil.copytree(paths.CODEBOOKS, codebooks)
    old, new = tmp_path / "old", tmp_path / "new"
    assert build(RAW, old, echo=quiet, codebooks=codebooks) == EXIT_OK
    _edit_csv(codebooks / "theme_keywords.csv", lambda rows: [r for r in rows if r["keyword"] != keyword])
    _edit_csv(codebooks / "indicators.csv",
              lambda rows: [{**r, "indicator_name_en": "Renamed"} if i == 0 else r for i, r in enumerate(rows)])
    assert build(RAW, new, echo=quiet, codebooks=codebooks) == EXIT_OK

    d = diff_packages(old, new)
    # The oracle: rows matched on the primary key, compared cell by cell, in plain Python.
    desc = json.loads((new / "datapackage.json").read_text(encoding="utf-8"))
    moved = {}
    for res in desc["resources"]:
        key = json.loads((new / res["schema"]).read_text(encoding="utf-8"))["primaryKey"]
        a, b = _rows(old, res["path"], key), _rows(new, res["path"], key)
        changed = sum(1 for k in a.keys() & b.keys() if a[k] != b[k])
        t = d.table(res["name"])
        assert (t.rows_added, t.rows_removed, t.rows_changed) == (len(b.keys() - a.keys()), len(a.keys() - b.keys()),
                                                                  changed), res["name"]
        if t.status != "same":
            moved[res["name"]] = (t.rows_added, t.rows_removed, t.rows_changed)

    assert moved["theme_keywords"] == (0, 1, 0)
    indicators = d.table("indicators")
    assert indicators.rows_changed == 1 and indicators.changed_by_column == {"indicator_name_en": 1}
    # Every coding unit that matched the keyword changed, and no unit that did not.
    units = _rows(old, "data/tables/paragraph_themes.csv", ["unit_id"])
    with_keyword = sum(1 for r in units.values() if keyword in r["matched_keywords"])
    assert with_keyword > 0
    themes = d.table("paragraph_themes")
    assert themes.rows_changed == with_keyword and themes.changed_by_column["matched_keywords"] == with_keyword
    assert d.table("theme_attention").rows_changed > 0
    # Tables that no edited codebook feeds did not move.
    for name in ("reports", "sections", "paragraphs", "citations", "measures", "policy_terms", "compliance"):
        assert d.table(name).status == "same", name
    assert d.reports_added == d.reports_removed == []
