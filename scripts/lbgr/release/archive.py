"""The release archive: ``python -m lbgr release`` (what ``nox -s release`` runs after building the book).

``dist/china-law-based-government-reports-<version>.zip`` holds, under one folder of that name:

- the data package as committed: ``datapackage.json``, ``build_report.json``, ``schemas/``, and
  under ``data/`` the CSV tables, Parquet copies, bodies, raw files and their manifest, codebooks
  and reference tables;
- ``data/package.sqlite`` and ``data/datasette.json`` (lbgr.package.sqlite) and ``data/stata/<table>.dta``
  (lbgr.package.stata), made from those files;
- the built book's HTML in ``book/`` (when given);
- ``CHANGELOG.md``, ``CITATION.cff``, ``.zenodo.json``, ``README.md``, ``LICENSE``, ``LICENSE-DATA.md``;
- ``SHA256SUMS``: the SHA-256 of every other file in the archive (``sha256sum -c SHA256SUMS`` in the folder).

It refuses (``ReleaseError``, nothing written) when the versions of ``pyproject.toml``,
``CITATION.cff``, ``datapackage.json`` and ``.zenodo.json`` disagree, when ``CHANGELOG.md`` has no
entry for the version, or when the package does not validate. The archive is byte-identical when
made twice from the same files: members sorted, every time stamp the release date of
``CITATION.cff``, permissions 0644, one compression level. It is written under a temporary name
and renamed, so a failed release leaves no half-written archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import tomllib
import zipfile
from pathlib import Path

import yaml

from lbgr import paths
from lbgr.package.sqlite import PackageError, write_metadata, write_sqlite
from lbgr.package.stata import write_stata
from lbgr.release import NAME, archive_name

#: Files at the top of the repository that the archive carries.
TOP_FILES = ["datapackage.json", "build_report.json", "README.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff",
             "CHANGELOG.md", ".zenodo.json"]
DATA_FOLDERS = ["data/tables", "data/parquet", "data/bodies", "data/raw", "data/codebooks", "data/reference"]
SKIP_IN_BOOK = {".buildinfo"}


class ReleaseError(Exception):
    pass


# --------------------------------------------------------------------------- checks
def versions(root: Path) -> dict[str, str]:
    """The version each metadata file states (missing files and fields are reported, not skipped)."""
    root = Path(root)
    found: dict[str, str] = {}

    def read(name: str, get):
        path = root / name
        try:
            found[name] = str(get(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            found[name] = "(file missing)"
        except (KeyError, TypeError, ValueError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
            found[name] = f"(unreadable: {type(exc).__name__}: {exc})"

    read("pyproject.toml", lambda t: tomllib.loads(t)["project"]["version"])
    read("CITATION.cff", lambda t: yaml.safe_load(t)["version"])
    read("datapackage.json", lambda t: json.loads(t)["version"])
    read(".zenodo.json", lambda t: json.loads(t)["version"])
    return found


def changelog_has(root: Path, version: str) -> bool:
    """Whether CHANGELOG.md has a heading for ``version`` (``## 0.1.0`` or ``## [0.1.0]``, any text after)."""
    path = Path(root) / "CHANGELOG.md"
    if not path.exists():
        return False
    pattern = re.compile(rf"^##\s+\[?v?{re.escape(version)}\]?(\s|$)", re.MULTILINE)
    return bool(pattern.search(path.read_text(encoding="utf-8")))


def check_release(root: Path) -> str:
    """The version to release; raises ReleaseError saying what disagrees or is missing."""
    found = versions(root)
    if len(set(found.values())) != 1:
        listed = "; ".join(f"{name}: {v}" for name, v in found.items())
        raise ReleaseError(f"the versions disagree ({listed}); make them equal (datapackage.json is generated "
                           f"from schemas/package.yaml: edit it and rebuild)")
    version = next(iter(found.values()))
    if not changelog_has(root, version):
        raise ReleaseError(f"{Path(root) / 'CHANGELOG.md'} has no entry for version {version}: add a "
                           f"'## {version}' section with its data changes (python -m lbgr diff OLD NEW)")
    return version


def release_date(root: Path) -> tuple[int, int, int]:
    text = (Path(root) / "CITATION.cff").read_text(encoding="utf-8")
    value = str(yaml.safe_load(text).get("date-released", "1980-01-01"))
    y, m, d = (int(x) for x in value.split("-"))
    return max(y, 1980), m, d


# --------------------------------------------------------------------------- assembly
def _members(root: Path, book_html: Path | None, generated: Path) -> dict[str, Path]:
    """``{path in the archive: file on disk}``."""
    out: dict[str, Path] = {}
    for name in TOP_FILES:
        if not (root / name).is_file():
            raise ReleaseError(f"{root / name}: missing; the release must carry it")
        out[name] = root / name
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        for rel in [res["path"], res.get("schema") if isinstance(res.get("schema"), str) else None,
                    (res.get("x_parquet") or {}).get("path")]:
            if rel:
                if not (root / rel).is_file():
                    raise ReleaseError(f"{root / rel}: described in datapackage.json but missing")
                out[rel] = root / rel
    for folder in [*DATA_FOLDERS, "schemas"]:
        for p in sorted((root / folder).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[p.relative_to(root).as_posix()] = p
    for p in sorted(generated.rglob("*")):
        if p.is_file():
            out[p.relative_to(generated).as_posix()] = p
    if book_html is not None:
        if not (book_html / "index.html").is_file():
            raise ReleaseError(f"{book_html}: no index.html; build the book first (nox -s book)")
        for p in sorted(book_html.rglob("*")):
            if p.is_file() and p.name not in SKIP_IN_BOOK:
                out["book/" + p.relative_to(book_html).as_posix()] = p
    return out


def sha256sums(members: dict[str, Path]) -> str:
    lines = []
    for rel in sorted(members):
        digest = hashlib.sha256(members[rel].read_bytes()).hexdigest()
        lines.append(f"{digest}  {rel}")
    return "\n".join(lines) + "\n"


def write_zip(members: dict[str, bytes | Path], target: Path, folder: str, date: tuple[int, int, int]) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for rel in sorted(members):
                info = zipfile.ZipInfo(f"{folder}/{rel}", date_time=(*date, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # Unix, so that the permissions below are read everywhere
                info.external_attr = (0o100644 << 16)
                data = members[rel]
                zf.writestr(info, data if isinstance(data, bytes) else data.read_bytes(), compresslevel=9)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def make_release(root: Path = paths.ROOT, dist: Path | None = None, book_html: Path | None = None,
                 validate: bool = True, echo=print) -> Path:
    """Check the versions and the changelog, make the SQLite and Stata files, and write the archive."""
    root = Path(root).resolve()
    dist = Path(dist) if dist else root / "dist"
    version = check_release(root)
    if validate:
        from lbgr.validate import validate_package

        result = validate_package(root)
        if not result.ok:
            raise ReleaseError(f"{root}: the package does not validate ({len(result.errors)} errors, first: "
                               f"{result.errors[0]}); rebuild it (nox -s build)")
    folder = f"{NAME}-{version}"
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dist, prefix=".release-") as tmp:
        generated = Path(tmp) / "generated"
        try:
            write_sqlite(root, generated / "data" / "package.sqlite")
            write_metadata(root, generated / "data" / "datasette.json")
            write_stata(root, generated / "data" / "stata")
        except PackageError as exc:
            raise ReleaseError(str(exc)) from None
        members: dict[str, bytes | Path] = dict(_members(root, book_html, generated))
        members["SHA256SUMS"] = sha256sums(members).encode("utf-8")
        target = dist / archive_name(version)
        write_zip(members, target, folder, release_date(root))
        # The SQLite file and its metadata also go beside the archive, for the pages site (Datasette Lite).
        for rel in ("data/package.sqlite", "data/datasette.json"):
            shutil.copyfile(generated / rel, Path(tmp) / Path(rel).name)
            os.replace(Path(tmp) / Path(rel).name, dist / Path(rel).name)
    echo(f"{target} ({target.stat().st_size:,} bytes, {len(members)} files, SHA256SUMS inside)")
    return target


def verify_archive(archive: Path) -> list[str]:
    """Files of ``archive`` whose SHA-256 differs from its SHA256SUMS, or that it lists but lacks (or carries unlisted)."""
    problems = []
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        sums_name = next((n for n in names if n.endswith("/SHA256SUMS")), None)
        if sums_name is None:
            return [f"{archive}: no SHA256SUMS"]
        folder = sums_name.rsplit("/", 1)[0]
        listed = {}
        for line in zf.read(sums_name).decode("utf-8").splitlines():
            digest, rel = line.split("  ", 1)
            listed[f"{folder}/{rel}"] = digest
        for name in names:
            if name == sums_name:
                continue
            if name not in listed:
                problems.append(f"{name}: not listed in SHA256SUMS")
            elif hashlib.sha256(zf.read(name)).hexdigest() != listed[name]:
                problems.append(f"{name}: SHA-256 differs from SHA256SUMS")
        problems += [f"{name}: listed in SHA256SUMS but not in the archive" for name in listed if name not in names]
    return problems
