"""The layering of lbgr (issue 16): the import-linter contracts of pyproject.toml hold, they fail
when a stage imports one above it, and no module of lbgr takes part in an import cycle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from testroot import ROOT


def _lint(scripts: Path) -> subprocess.CompletedProcess:
    code = ("import sys; from importlinter.cli import lint_imports; "
            f"sys.exit(lint_imports(config_filename={str(ROOT / 'pyproject.toml')!r}))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(scripts), "PATH": "/usr/bin:/bin"})


def test_the_layer_contracts_hold():
    proc = _lint(ROOT / "scripts")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "BROKEN" not in proc.stdout


def test_the_contracts_fail_when_validation_imports_extraction(tmp_path):
    copy = tmp_path / "scripts"
    shutil.copytree(ROOT / "scripts" / "lbgr", copy / "lbgr", ignore=shutil.ignore_patterns("__pycache__"))
    rules = copy / "lbgr" / "validate" / "core_rules.py"
    rules.write_text(rules.read_text(encoding="utf-8") + "\nfrom lbgr.extract import themes  # noqa\n", encoding="utf-8")
    proc = _lint(copy)
    assert proc.returncode != 0
    assert "lbgr.validate.core_rules -> lbgr.extract.themes" in proc.stdout


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.find_modules_directly_imported_by(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return out


def test_lbgr_has_no_import_cycle():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    graph = grimp.build_graph("lbgr")
    assert _cycles(graph) == []
