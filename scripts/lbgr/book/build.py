"""The book (book/): generated data dictionary, execution-cache invalidation, and the build.

``python -m lbgr.book build`` (what ``nox -s book`` runs) does, in order:

1. **Data dictionary.** Writes ``book/dictionary/`` from ``schemas/`` (field registry and resource
   definitions), the data files and ``data/codebooks/``: an index, one page per resource listed in
   ``schemas/resources/`` (every field with type, description, constraints and example values
   from the data) and one page per codebook CSV, in full. The folder is deleted and rewritten at
   every build and never edited by hand (``book/.gitignore`` keeps it out of git).
2. **Downloads and search words.** Writes ``book/_generated/china-law-based-government-reports.zip``,
   the package as one reproducible zip file (fixed timestamps), which the book links to, and
   ``book/_generated/search_words.txt``, domain words for the Chinese search index.
3. **Execution cache keyed by the data.** MyST-NB caches a notebook's outputs by the hash of its
   *code* only, so a page would keep showing old numbers after the data changed. Before the
   build, this module hashes every input the notebooks read besides their own code: the package
   descriptor and every file under ``data/``, ``schemas/``, ``tests/gold/``, the ``lbgr``
   sources, ``CITATION.cff``, the development-set scores (``book/_static/devset_accuracy.json``, ``devset_content_accuracy.json``),
   and the name and version of every installed Python package. The
   hash is kept in ``<build>/.jupyter_cache/lbgr-inputs.sha256``; when it differs from the
   current one, the whole execution cache is deleted, so every notebook runs again against the
   new data. A change to a page's own code re-runs that page only (MyST-NB's own rule).
4. **Build.** Runs ``jupyter-book build --all -W`` (a fresh Sphinx environment, every warning an
   error, no ``--keep-going``) with ``LBGR_PACKAGE`` pointing at the package, so that the
   notebooks (MyST Markdown, ``{code-cell}``) execute against it. Notebook errors and output on
   stderr (for example a font without Chinese glyphs) are errors too (``book/_config.yml``).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import yaml

from lbgr import paths
from lbgr.schema_registry import load_fields, load_resources, table_schema

ZIP_NAME = "china-law-based-government-reports.zip"
#: Installed distributions whose versions the book reports (the cache key covers all of them).
VERSIONED = ["china-law-based-government-reports", "pandas", "numpy", "matplotlib", "frictionless", "pandera",
             "pyarrow", "jupyter-book", "myst-nb", "sphinx", "mplfonts", "pyyaml", "jieba"]
CACHE_STAMP = "lbgr-inputs.sha256"
#: Codebooks with more columns than this are listed row by row instead of as one table.
WIDE_CODEBOOK = 6


# =========================================================================== markdown helpers
def _code(value) -> str:
    """Inline code that survives backticks in the value."""
    s = str(value)
    fence = "``" if "`" in s else "`"
    pad = " " if s.startswith("`") or s.endswith("`") else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _oneline(text) -> str:
    return " ".join(str(text).split())


def _cell(text) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return _oneline(text).replace("|", "\\|")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _short(value: str, n: int = 40) -> str:
    value = _oneline(value)
    return value if len(value) <= n else value[: n - 1] + "…"


def _constraints(field: dict) -> list[str]:
    c = field.get("constraints") or {}
    out = []
    if c.get("required"):
        out.append("required")
    if c.get("unique"):
        out.append("unique")
    if "enum" in c:
        out.append("one of " + ", ".join(_code(v) for v in c["enum"]))
    if "pattern" in c:
        out.append("matches " + _code(c["pattern"]))
    if "minimum" in c:
        out.append(f"≥ {c['minimum']}")
    if "maximum" in c:
        out.append(f"≤ {c['maximum']}")
    return out


def _field_origins(schemas_dir: Path) -> dict[str, str]:
    origins = {}
    for path in sorted((schemas_dir / "fields").glob("*.yaml")):
        for name in yaml.safe_load(path.read_text(encoding="utf-8")) or {}:
            origins[name] = f"schemas/fields/{path.name}"
    return origins


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _examples(values: pd.Series, field: dict, n_rows: int) -> str:
    filled = values[values != ""]
    share = f"{len(filled)} of {n_rows} rows filled"
    if filled.empty:
        return f"no value in the data ({share})"
    c = field.get("constraints") or {}
    if field["type"] == "boolean" or "enum" in c:
        counts = filled.value_counts()
        listed = ", ".join(f"{_code(v)} ({k})" for v, k in counts.items())
        return f"{listed} ({share})"
    distinct = list(dict.fromkeys(filled.tolist()))
    shown = ", ".join(_code(_short(v)) for v in distinct[:3])
    more = f", … ({len(distinct)} distinct values; {share})" if len(distinct) > 3 else f" ({share})"
    return shown + more


# =========================================================================== dictionary
def field_anchor(resource: str, field: str) -> str:
    """HTML id of a field's entry on its resource page (``dict-part-types-element-code``)."""
    return f"dict-{resource}-{field}".replace("_", "-").lower()


def _resource_page(name: str, spec: dict, package: Path, schemas_dir: Path, page_dir: Path, fields_raw: dict,
                   origins: dict, used_in: dict, warnings: dict, codebook_stems: set) -> str:
    schema = table_schema(name, schemas_dir)
    data_path = package / spec["path"]
    df = _read_csv(data_path) if data_path.exists() else None
    lines = [f"(dict-{name})=", f"# {spec['title']} ({_code(name)})", ""]
    lines += [_oneline(spec.get("description", "")), ""]
    facts = [
        ("File", _code(spec["path"])),
        ("Rows", f"{len(df)}" if df is not None else "not written by this build of the package yet"),
        ("Primary key", ", ".join(_code(k) for k in spec.get("primary_key") or []) or "none"),
        ("Why this key", _oneline(spec.get("primary_key_reason", "")) or "—"),
        ("Source", _oneline(spec.get("source", "")) or "—"),
        ("Processing", _oneline(spec.get("processing", "")) or "—"),
    ]
    fks = []
    for fk in spec.get("foreign_keys") or []:
        target = fk["reference"]["resource"] or name
        fks.append(f"{', '.join(_code(f) for f in fk['fields'])} → [{target}]({target}.md) "
                   f"({', '.join(_code(f) for f in fk['reference']['fields'])})")
    facts.append(("Foreign keys", "; ".join(fks) or "none"))
    lines += [f"- **{k}**: {v}" for k, v in facts] + [""]
    if df is not None:
        rel = os.path.relpath(data_path, page_dir)
        lines += [f"Download: {{download}}`{Path(spec['path']).name} <{rel}>`. Table Schema: "
                  f"{_code('schemas/' + name + '.schema.json')}.", ""]
        parquet = package / "data" / "parquet" / f"{name}.parquet"
        if spec.get("parquet") and parquet.exists():
            lines += [f"The same rows in Apache Parquet, with the same schema: "
                      f"{{download}}`{parquet.name} <{os.path.relpath(parquet, page_dir)}>`.", ""]
    stem = Path(spec["path"]).stem
    if spec["path"].startswith("data/codebooks/") and stem in codebook_stems:
        lines += [f"The codebook's rows are listed in full on [its codebook page](../codebooks/{stem}.md).", ""]
    uw = spec.get("usage_warnings") or []
    if uw:
        lines += ["```{admonition} Usage warnings", ":class: warning", ""]
        lines += [f"- **{_code(k)}**: {_oneline(warnings.get(k, ''))}" for k in uw]
        lines += ["```", ""]
    lines += ["## Fields", ""]
    summary = []
    for f in schema["fields"]:
        filled = ""
        if df is not None and f["name"] in df:
            filled = f"{(df[f['name']] != '').sum()}/{len(df)}"
        summary.append([f"{{ref}}`{f['name']} <{field_anchor(name, f['name'])}>`", f["type"], f["title"], filled])
    lines += [_table(["field", "type", "title", "filled"], summary), ""]
    for f in schema["fields"]:
        fname = f["name"]
        raw = fields_raw.get(fname, {})
        lines += [f"({field_anchor(name, fname)})=", f"### {_code(fname)}", ""]
        lines += [f"**{f['title']}** · {f['type']}" + "".join(f" · {c}" for c in _constraints(f)), ""]
        lines += [_oneline(f["description"]), ""]
        if raw.get("source_term"):
            lines += [f"Source term: {_oneline(raw['source_term'])}", ""]
        if df is not None and fname in df:
            lines += [f"Examples: {_examples(df[fname], f, len(df))}.", ""]
        elif df is not None:
            lines += ["Examples: the column is missing from the data file.", ""]
        others = [r for r in used_in.get(fname, []) if r != name]
        where = f"Defined in {_code(origins.get(fname, '?'))}"
        if others:
            where += "; also in " + ", ".join(f"[{r}]({r}.md)" for r in others)
        lines += [where + ".", ""]
    return "\n".join(lines)


def _codebook_page(path: Path, package: Path, page_dir: Path, resource_of: dict[str, str]) -> str:
    df = _read_csv(path)
    stem = path.stem
    rel_data = path.relative_to(package).as_posix()
    lines = [f"(codebook-{stem.replace('_', '-')})=", f"# Codebook {_code(path.name)}", ""]
    res = resource_of.get(rel_data)
    if res:
        lines += [f"Resource [{_code(res)}](../resources/{res}.md) of the package; its fields are defined there.", ""]
    else:
        lines += ["This codebook is read by the pipeline but is not a resource of the package (it has no "
                  "Table Schema); its columns are listed as they appear in the file.", ""]
    lines += [f"{len(df)} rows, {len(df.columns)} columns: {', '.join(_code(c) for c in df.columns)}. "
              f"Download: {{download}}`{path.name} <{os.path.relpath(path, page_dir)}>`.", ""]
    def shown(col: str, value: str) -> str:
        return _code(value) if ("pattern" in col and value) else value

    if len(df.columns) <= WIDE_CODEBOOK:
        rows = [[shown(c, v) for c, v in zip(df.columns, r)] for r in df.itertuples(index=False)]
        lines += ["```{div} lbgr-codebook", "", _table(list(df.columns), rows), "", "```", ""]
        return "\n".join(lines)
    # A wide codebook: an overview of its first columns, then every row in full, one block per row.
    head = list(df.columns[:4])
    lines += ["## Overview", "", "```{div} lbgr-codebook", "",
              _table(head, [[shown(c, v) for c, v in zip(head, r)] for r in df[head].itertuples(index=False)]),
              "", "```", "", "## Every row in full", ""]
    for r in df.itertuples(index=False):
        values = dict(zip(df.columns, r))
        lines += [f"**{_code(values[df.columns[0]])}**", ""]
        lines += [f"- {c}: {shown(c, _oneline(v))}" for c, v in values.items() if c != df.columns[0] and str(v).strip()]
        lines += [""]
    return "\n".join(lines)


def generate_dictionary(root: Path = paths.ROOT, book_dir: Path | None = None, package: Path | None = None) -> list[Path]:
    """Write ``book/dictionary/`` from ``root``'s schemas and the package's data and codebooks.

    ``package`` is the built data package (default: ``root`` itself, the repository). Returns the pages.
    """
    root = Path(root).resolve()
    package = Path(package or root).resolve()
    book_dir = Path(book_dir or root / "book")
    schemas_dir = root / "schemas"
    load_fields.cache_clear()
    load_resources.cache_clear()
    specs = load_resources(schemas_dir)
    fields_raw = load_fields(schemas_dir)
    origins = _field_origins(schemas_dir)
    warnings = yaml.safe_load((schemas_dir / "usage_warnings.yaml").read_text(encoding="utf-8")) or {}
    used_in: dict[str, list[str]] = {}
    for name, spec in specs.items():
        for f in spec["fields"]:
            used_in.setdefault(f, []).append(name)
    codebooks = sorted((package / "data" / "codebooks").glob("*.csv"))
    resource_of = {spec["path"]: name for name, spec in specs.items()}

    out = book_dir / "dictionary"
    if out.exists():
        shutil.rmtree(out)
    (out / "resources").mkdir(parents=True)
    (out / "codebooks").mkdir(parents=True)
    written = []
    index_rows = []
    for name, spec in specs.items():
        page = out / "resources" / f"{name}.md"
        page.write_text(_resource_page(name, spec, package, schemas_dir, page.parent, fields_raw, origins, used_in,
                                       warnings, {p.stem for p in codebooks}), encoding="utf-8")
        written.append(page)
        data_path = package / spec["path"]
        n = str(len(_read_csv(data_path))) if data_path.exists() else "not built yet"
        index_rows.append([f"[{_code(name)}](resources/{name}.md)", spec["title"], str(len(spec["fields"])), n,
                           _code(spec["path"])])
    cb_rows = []
    for path in codebooks:
        page = out / "codebooks" / f"{path.stem}.md"
        page.write_text(_codebook_page(path, package, page.parent, resource_of), encoding="utf-8")
        written.append(page)
        rel = path.relative_to(package).as_posix()
        cb_rows.append([f"[{_code(path.name)}](codebooks/{path.stem}.md)", str(len(_read_csv(path))),
                        f"resource {_code(resource_of[rel])}" if rel in resource_of else "codebook only"])
    n_fields = len({f for spec in specs.values() for f in spec["fields"]})
    index = [
        "(dictionary)=",
        "# Data dictionary",
        "",
        "```{note}",
        "The pages of this chapter are **generated at every build** of the book by "
        "`python -m lbgr.book dictionary` (run by `nox -s book`) from the field registry "
        "(`schemas/fields/*.yaml`), the table definitions (`schemas/resources/*.yaml`), the data files and "
        "`data/codebooks/`. They are never edited by hand: to correct a definition, edit `schemas/` and rebuild.",
        "```",
        "",
        f"The package has {len(specs)} resources with {n_fields} distinct fields. Each field is defined once "
        "and keeps its name and meaning in every table that uses it.",
        "",
        "## Resources",
        "",
        _table(["resource", "title", "fields", "rows", "file"], index_rows),
        "",
        "## Codebooks",
        "",
        "Rules that the pipeline reads as data. A researcher can read and correct them without reading Python.",
        "",
        _table(["codebook", "rows", "kind"], cb_rows),
        "",
        "## Naming conventions",
        "",
        "`_id` is a key, `_code` a code from a codebook, `_type` a category, `_date` an ISO date, `_year` an "
        "integer year, `is_`/`has_` booleans, `n_` counts, `_share` a fraction in [0, 1]. `char_start`/`char_end` "
        "are 0-based offsets in Unicode code points into the report's normalised body text, end exclusive.",
        "",
    ]
    (out / "index.md").write_text("\n".join(index), encoding="utf-8")
    written.append(out / "index.md")
    return written


# =========================================================================== download
def write_zip(root: Path, target: Path) -> Path:
    """The package as one zip with fixed timestamps (two builds of the same package are identical)."""
    root = Path(root)
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    members = {"datapackage.json", "README.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff", "build_report.json"}
    for res in desc["resources"]:
        members.add(res["path"])
        if isinstance(res.get("schema"), str):
            members.add(res["schema"])
    for folder in ("data/bodies", "data/raw", "data/codebooks", "data/reference"):
        members.update(p.relative_to(root).as_posix() for p in (root / folder).rglob("*") if p.is_file())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(m for m in members if (root / m).is_file()):
            info = zipfile.ZipInfo(f"{desc['name']}/{rel}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (root / rel).read_bytes())
    tmp.replace(target)
    return target


# =========================================================================== search
#: Words of the domain that the search index must know as words, besides those of the codebooks.
SEARCH_WORDS = ["法治政府", "法治政府建设", "法治政府建设年度报告", "法治政府建设情况报告", "依法行政", "行政复议",
                "行政应诉", "行政执法", "重大行政决策", "规范性文件", "第一责任人", "存在的问题", "下一步打算",
                "主要安排", "营商环境", "公共法律服务", "法律援助", "法治督察", "实施纲要"]
_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]{2,12}$")


def write_search_words(package: Path, target: Path) -> Path:
    """A jieba user dictionary (word and frequency per line) for the Chinese search index.

    Sphinx's Chinese search splits text with jieba, whose general dictionary lacks many terms of
    this domain (法治政府, 行政复议 …). The words come from ``SEARCH_WORDS`` and the codebooks
    (theme keywords, indicator names) and the quoted policy terms of the package.
    """
    words = set(SEARCH_WORDS)
    cb = Path(package) / "data" / "codebooks"
    for stem, col in [("theme_keywords", "keyword"), ("indicators", "indicator_name_zh")]:
        path = cb / f"{stem}.csv"
        if path.exists():
            df = _read_csv(path)
            if col in df:
                for value in df[col]:
                    words.update(re.split(r"[\s/／、;；,，()（）]+", value))
    terms = Path(package) / "data" / "tables" / "policy_terms.csv"
    if terms.exists():
        df = _read_csv(terms)
        if "term_normalized" in df:
            words.update(df["term_normalized"])
    words = sorted(w for w in words if _CJK_WORD.match(w))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(f"{w} 20000\n" for w in words), encoding="utf-8")
    return target


# =========================================================================== cache
def _files_under(base: Path, rels: list[str]) -> list[Path]:
    out = []
    for rel in rels:
        p = base / rel
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
    return sorted(set(out))


def inputs_digest(root: Path = paths.ROOT, package: Path | None = None) -> str:
    """SHA-256 of everything the notebooks read besides their own code (see the module docstring)."""
    root = Path(root)
    package = Path(package or root)
    h = hashlib.sha256()
    for base, rels in ((package, ["datapackage.json", "build_report.json", "data", "schemas"]),
                       (root, ["CITATION.cff", "pyproject.toml", "schemas", "tests/gold", "scripts/lbgr",
                               "book/_static/devset_accuracy.json", "book/_static/devset_content_accuracy.json",
                               "book/_static/devset_content_heldout.json",
                               "book/_static/devset_content_heldout_first.json"])):
        h.update(str(base.resolve() == root.resolve()).encode())
        for p in _files_under(base, rels):
            h.update(p.relative_to(base).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(p.read_bytes()).digest())
    # The environment: every installed distribution and its version (a package that appears or
    # changes version, such as a Parquet reader, can change what a page computes), and Python.
    installed = sorted({f"{(d.metadata['Name'] or '').lower()}=={d.version}" for d in importlib.metadata.distributions()})
    h.update("\0".join(installed).encode())
    h.update(sys.version.encode())
    return h.hexdigest()


def sync_cache(cache_dir: Path, digest: str) -> bool:
    """Delete the execution cache when the inputs changed; return True when it was deleted."""
    stamp = cache_dir / CACHE_STAMP
    old = stamp.read_text().strip() if stamp.exists() else None
    cleared = False
    if old != digest and cache_dir.exists():
        shutil.rmtree(cache_dir)
        cleared = True
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")
    return cleared


# =========================================================================== build
def build(root: Path = paths.ROOT, output: Path | None = None, package: Path | None = None, echo=print) -> int:
    """Generate, then build the HTML book; return jupyter-book's exit status.

    ``root`` is the repository (``book/``, ``schemas/``, ``tests/gold``); ``package`` the data package
    the book describes (default: ``root``, the package committed in the repository).
    """
    root = Path(root).resolve()
    package = Path(package or root).resolve()
    book_dir = root / "book"
    output = Path(output).resolve() if output else book_dir
    build_dir = output / "_build"
    t0 = time.perf_counter()
    if not (package / "datapackage.json").exists():
        echo(f"book: no datapackage.json in {package}; run `nox -s build` first")
        return 2
    pages = generate_dictionary(root, book_dir, package)
    echo(f"book: wrote {len(pages)} data dictionary pages to {book_dir / 'dictionary'}")
    write_zip(package, book_dir / "_generated" / ZIP_NAME)
    write_search_words(package, book_dir / "_generated" / "search_words.txt")
    digest = inputs_digest(root, package)
    had_cache = (build_dir / ".jupyter_cache" / CACHE_STAMP).exists()
    if sync_cache(build_dir / ".jupyter_cache", digest):
        echo(f"book: the data or code changed (inputs {digest[:12]}…); execution cache cleared")
    elif had_cache:
        echo(f"book: inputs unchanged ({digest[:12]}…); cached notebook outputs stay valid")
    else:
        echo(f"book: no execution cache yet (inputs {digest[:12]}…); every notebook runs")
    jupyter_dir = build_dir / ".jupyter"
    env = {
        **os.environ,
        "LBGR_PACKAGE": str(package),
        "LBGR_ROOT": str(root),
        # Kernel specs and runtime files from this environment only, never the user's.
        "JUPYTER_DATA_DIR": str(jupyter_dir / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter_dir / "runtime"),
        "JUPYTER_CONFIG_DIR": str(jupyter_dir / "config"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONHASHSEED": "0",
    }
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(book_dir), "--path-output", str(output), "--builder", "html", "--all", "-W"]
    echo("book: " + " ".join(cmd))
    status = subprocess.call(cmd, env=env)
    echo(f"book: {'built' if status == 0 else 'FAILED'} in {time.perf_counter() - t0:.0f} s"
         + (f": {build_dir / 'html' / 'index.html'}" if status == 0 else ""))
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lbgr.book", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="generate the dictionary, then build the HTML book (warnings are errors)")
    b.add_argument("--root", type=Path, default=paths.ROOT, help="repository (package and book/) to build from")
    b.add_argument("--output", type=Path, default=None, help="folder that receives _build/ (default: book/)")
    b.add_argument("--package", type=Path, default=None, help="data package to describe (default: --root)")
    d = sub.add_parser("dictionary", help="only write book/dictionary/ from schemas/, data and codebooks")
    d.add_argument("--root", type=Path, default=paths.ROOT)
    d.add_argument("--package", type=Path, default=None)
    h = sub.add_parser("digest", help="print the hash of the notebooks' inputs")
    h.add_argument("--root", type=Path, default=paths.ROOT)
    h.add_argument("--package", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "build":
        return build(args.root, args.output, args.package)
    if args.command == "dictionary":
        for p in generate_dictionary(args.root, package=args.package):
            print(p)
        return 0
    print(inputs_digest(args.root, args.package))
    return 0


if __name__ == "__main__":
    sys.exit(main())
