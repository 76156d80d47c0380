"""Incremental builds: results cached per file and per step of ``lbgr.pipeline``.

Each step's result for a file is kept under a key made of the file (bytes, name, manifest row)
and the step's *static key* (``step_keys``): a hash of the step's code (the source of its
function's module and of every lbgr module that module imports, transitively), of the
codebooks and reference tables the pipeline says it reads, of the schemas and library
versions, and of the static keys of the steps whose output it takes (every step takes the
parsed report; a derived step also the tables it reads). Editing ``theme_keywords.csv`` thus
changes the key of ``themes`` only: a rebuild takes the parsed reports and every other step's
rows from the cache and reruns themes alone. The assembled result of a file (its fragment) is
cached as well, under the file and all static keys, so a rebuild that changed nothing
reprocesses nothing. A build whose inputs all hash as before, and whose published files still
match datapackage.json, is up to date and stops at once (the stamp).
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path

from lbgr import paths
from lbgr.build.fragments import read_summary
from lbgr.environment import versions


def _hash_tree(root: Path, pattern: str) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob(pattern)):
        if "__pycache__" in p.parts or not p.is_file():
            continue
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


LBGR = Path(__file__).resolve().parents[1]
# Code every step's result passes through: the per-file processing and the row formatting.
SHARED_CODE = ("lbgr.build.run", "lbgr.build.fragments", "lbgr.package.tables", "lbgr.schema_registry")


def _module_file(name: str) -> Path | None:
    path = LBGR.joinpath(*name.split(".")[1:])
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return None


def code_closure(modules) -> list[Path]:
    """The source files of ``modules`` and of every lbgr module they import, transitively (the
    packages that hold them included: importing a module runs its package's ``__init__``)."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        path = _module_file(name)
        if name in seen or path is None:
            continue
        seen[name] = path
        if "." in name:
            todo.append(name.rsplit(".", 1)[0])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.split(".")[0] == "lbgr"]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "lbgr":
                todo.append(node.module)
                todo += [f"{node.module}.{a.name}" for a in node.names]  # a submodule imported by name
    return sorted(set(seen.values()))


def step_keys(codebooks: Path, reference: Path) -> dict[str, str]:
    """The static key of every cached step of ``lbgr.pipeline`` (see the module docstring)."""
    from lbgr import pipeline

    common = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode())
    common.update(_hash_tree(paths.SCHEMAS, "*.yaml").encode())
    for name in SHARED_CODE:
        common.update(name.encode() + _module_file(name).read_bytes())
    keys: dict[str, str] = {}
    for step in pipeline.STEPS:
        if step.kind == "cross_report":
            continue  # computed as the tables are written, never cached
        h = common.copy()
        h.update(step.name.encode())
        for path in code_closure([step.module, *step.code]):
            h.update(str(path.relative_to(LBGR)).encode() + b"\0" + path.read_bytes())
        for name in step.codebooks:
            h.update(f"codebook {name}".encode() + (Path(codebooks) / f"{name}.csv").read_bytes())
        for name in step.reference:
            file = Path(reference) / f"{name}.csv"
            h.update(f"reference {name}".encode() + (file.read_bytes() if file.exists() else b""))
        inputs = ["parse"] if step.kind != "parse" else []
        inputs += [pipeline.step_making(t).name for t in step.reads]
        for name in dict.fromkeys(inputs):
            h.update(keys[name].encode())
        keys[step.name] = h.hexdigest()
    return keys


def validation_key() -> str:
    """Hash of what decides whether a package passes validation, besides the package itself: the
    code of ``lbgr.validate`` (with what it imports), the schemas and the library versions."""
    h = hashlib.sha256(json.dumps(versions(), sort_keys=True).encode())
    h.update(_hash_tree(paths.SCHEMAS, "*").encode())
    for path in code_closure(["lbgr.validate"]):
        h.update(str(path.relative_to(LBGR)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


class StepStore:
    """One step's result for one file, under the file's key and the step's static key."""

    def __init__(self, folder: Path, keys: dict[str, str]):
        self.folder = Path(folder)
        self.keys = keys

    def path(self, step: str, file_key: str) -> Path:
        digest = hashlib.sha256(f"{self.keys[step]}:{file_key}".encode()).hexdigest()
        return self.folder / step / digest[:2] / f"{digest}.pickle"

    def paths(self, file_key: str) -> list[Path]:
        return [self.path(step, file_key) for step in self.keys]

    def get(self, step: str, file_key: str):
        try:
            with open(self.path(step, file_key), "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def put(self, step: str, file_key: str, value) -> None:
        path = self.path(step, file_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def environment_key(codebooks: Path, reference: Path) -> str:
    """Hash of the code, schemas, codebooks, reference data and library versions a build depends on."""
    parts = [json.dumps(versions(), sort_keys=True), _hash_tree(Path(__file__).resolve().parents[1], "*.py"), _hash_tree(paths.SCHEMAS, "*.yaml"),
             _hash_tree(codebooks, "*"), _hash_tree(reference, "*")]
    return hashlib.sha256("".join(parts).encode()).hexdigest()


class ResultCache:
    """Per-file results (``lbgr.build.fragments``) in ``folder``, named by a hash of their key and of
    the environment, so that a changed file, code or codebook never meets a stale result."""

    def __init__(self, folder: Path, env_key: str):
        self.folder = Path(folder)
        self.env_key = env_key
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        digest = hashlib.sha256(f"{self.env_key}:{key}".encode()).hexdigest()
        return self.folder / digest[:2] / f"{digest}.fragment"

    def get(self, key: str):
        """The ``FileSummary`` cached for ``key``, or None."""
        path = self.path(key)
        return read_summary(path) if path.exists() else None


def build_stamp(env_key: str, raw_dir: Path, files: list[Path]) -> str:
    """Hash of everything a build reads: environment, raw file names, sizes and times, manifest."""
    h = hashlib.sha256(env_key.encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    manifest = raw_dir / "sources.csv"
    if manifest.exists():
        h.update(manifest.read_bytes())
    return h.hexdigest()


def package_intact(out_dir: Path) -> bool:
    """True when every resource and body file of a built package is as its descriptors say."""
    dp_path = out_dir / "datapackage.json"
    if not dp_path.exists() or not (out_dir / "build_report.json").exists():
        return False
    try:
        descriptor = json.loads(dp_path.read_text(encoding="utf-8"))
        for res in descriptor["resources"]:
            for part in (res, res.get("x_parquet")):
                if not part:
                    continue
                data = (out_dir / part["path"]).read_bytes()
                if len(data) != part["bytes"] or "sha256:" + hashlib.sha256(data).hexdigest() != part["hash"]:
                    return False
        with open(out_dir / paths.TABLES_DIR / "reports.csv", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                body = (out_dir / row["body_path"]).read_bytes()
                if hashlib.sha256(body).hexdigest() != row["body_sha256"]:
                    return False
    except (OSError, KeyError, ValueError):
        return False
    return True
