"""Command line: python -m lbgr {build,validate,schemas,add,collect,diff,release,sqlite,explore} (nox sessions call these)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from lbgr import paths
from lbgr.build.run import EXIT_FAILED, EXIT_OK, EXIT_USAGE, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lbgr", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="raw report files -> validated data package")
    b.add_argument("--raw", type=Path, default=paths.RAW, help="folder of raw report files (default data/raw)")
    b.add_argument("--out", type=Path, default=paths.ROOT, help="package folder to write (default: this repository)")
    b.add_argument("--jobs", type=int, default=0, help="worker processes (default: one per core for large corpora)")
    b.add_argument("--no-cache", action="store_true", help="reprocess every file (ignore and do not write the cache)")
    v = sub.add_parser("validate", help="validate a built package (frictionless, pandera, content rules)")
    v.add_argument("package", type=Path, nargs="?", default=paths.ROOT)
    sub.add_parser("schemas", help="regenerate schemas/*.schema.json from schemas/fields and schemas/resources")
    a = sub.add_parser("add", help="copy a report file into the raw folder, record it in sources.csv, rebuild")
    a.add_argument("file", type=Path)
    a.add_argument("--url", default="", help="address the file was retrieved from")
    a.add_argument("--retrieved-date", default="", help="date of retrieval, YYYY-MM-DD")
    a.add_argument("--notes", default="")
    a.add_argument("--raw", type=Path, default=paths.RAW)
    a.add_argument("--out", type=Path, default=None, help="package to rebuild (default: this repository when --raw is data/raw)")
    a.add_argument("--no-build", action="store_true", help="only copy and record; do not rebuild")
    c = sub.add_parser("collect", help="fetch report pages from their addresses into a raw folder, archived in WARC")
    c.add_argument("urls", type=Path, help="text file (one address a line, optional note) or CSV with url[,note]")
    c.add_argument("--raw", type=Path, required=True, help="raw folder to collect into (made if missing)")
    c.add_argument("--listing", action="store_true", help="the addresses are disclosure column pages: collect the reports they link")
    c.add_argument("--max-pages", type=int, default=10, help="listing pages to follow by «下一页» (default 10)")
    c.add_argument("--refresh", action="store_true", help="fetch addresses collected before again; changed content is kept beside the old")
    c.add_argument("--delay", type=float, default=3.0, help="seconds between two requests to one host (default 3)")
    c.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a response (default 30)")
    c.add_argument("--retries", type=int, default=3, help="tries after the first on timeouts and 5xx answers (default 3)")
    d = sub.add_parser("diff", help="what changed between two built packages: tables, columns, rows added, removed, changed")
    d.add_argument("old", type=Path, help="folder of the older package (holds datapackage.json)")
    d.add_argument("new", type=Path, help="folder of the newer package")
    d.add_argument("--json", action="store_true", help="print the figures as JSON")
    d.add_argument("--markdown", action="store_true", help="print them as a CHANGELOG.md section")
    r = sub.add_parser("release", help="check versions and CHANGELOG, then write dist/<name>-<version>.zip with SHA256SUMS")
    r.add_argument("--book", type=Path, default=None, help="the built book's HTML folder to include (book/_build/html)")
    r.add_argument("--dist", type=Path, default=paths.ROOT / "dist", help="folder for the archive (default dist/)")
    s = sub.add_parser("sqlite", help="write a package as SQLite (package.sqlite) with Datasette metadata (datasette.json)")
    s.add_argument("package", type=Path, nargs="?", default=paths.ROOT)
    s.add_argument("--out", type=Path, required=True, help="folder to write package.sqlite and datasette.json into")
    e = sub.add_parser("explore", help="serve the package's SQLite database with Datasette on 127.0.0.1 (Ctrl-C stops)")
    e.add_argument("package", type=Path, nargs="?", default=paths.ROOT)
    e.add_argument("--port", type=int, default=8001)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK

    if args.command == "build":
        n_files = len(list(args.raw.iterdir())) if args.raw.is_dir() else 0
        jobs = args.jobs or (os.cpu_count() or 1 if n_files > 50 else 1)
        return build(args.raw, args.out, jobs=jobs, cache_dir=not args.no_cache)
    if args.command == "validate":
        from lbgr.validate import validate_package

        result = validate_package(args.package)
        for w in result.warnings:
            print(f"warning: {w}")
        for e in result.errors:
            print(f"invalid: {e}")
        print("valid" if result.ok else f"INVALID: {len(result.errors)} errors")
        return EXIT_OK if result.ok else EXIT_FAILED
    if args.command == "add":
        from lbgr.build.add import AddError, add_report

        try:
            row = add_report(args.file, args.raw, args.url, args.retrieved_date, args.notes)
        except AddError as exc:
            print(f"error: {exc}")
            return EXIT_USAGE
        print(f"added {row['source_file']} (SHA-256 {row['source_sha256'][:12]}…) to {args.raw}/sources.csv")
        out = args.out or (paths.ROOT if args.raw.resolve() == paths.RAW else None)
        if args.no_build or out is None:
            if out is None:
                print("not rebuilt: pass --out PACKAGE to rebuild a package from this raw folder")
            return EXIT_OK
        return build(args.raw, out)
    if args.command == "collect":
        from lbgr.ingest.collect import run

        return run(args.urls, args.raw, listing=args.listing, refresh=args.refresh, delay=args.delay,
                   timeout=args.timeout, retries=args.retries, max_pages=args.max_pages)
    if args.command == "diff":
        from lbgr.release.diff import DiffError, diff_packages, format_text

        try:
            result = diff_packages(args.old, args.new)
        except DiffError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(result.to_json() if args.json else format_text(result, markdown=args.markdown), end="")
        return EXIT_OK
    if args.command == "release":
        from lbgr.release.archive import ReleaseError, make_release

        try:
            make_release(paths.ROOT, args.dist, args.book)
        except ReleaseError as exc:
            print(f"release refused: {exc}", file=sys.stderr)
            return EXIT_FAILED
        return EXIT_OK
    if args.command in ("sqlite", "explore"):
        from lbgr.release.explore import ExploreError, prepare, serve

        try:
            if args.command == "sqlite":
                for p in prepare(args.package, args.out, force=True):
                    print(p)
                return EXIT_OK
            return serve(args.package, args.port)
        except ExploreError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    if args.command == "schemas":
        from lbgr.schema_registry import write_table_schemas

        for p in write_table_schemas(paths.SCHEMAS):
            print(p.relative_to(paths.ROOT))
        return EXIT_OK
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
