"""raw files → validated data package, written atomically.

Exit statuses (see README): 0 every input accepted; 1 some inputs rejected (the package of the
accepted ones is written and valid); 2 usage error; 3 the build failed and nothing was written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from . import paths, stages
from .cache import ResultCache, build_stamp, environment_key, package_intact
from .context import Context
from .decode import DecodeError, decode_file
from .dedupe import find_duplicates
from .install import install_folder, install_paths, recover, recover_folder
from .manifest import raw_files, read_manifest, sha256_file, write_manifest
from .package import parquet_path, write_descriptor
from .report import ReportRejected, ReportResult, process_text
from .schema_registry import load_resources, write_table_schemas
from .tables import frame, write_csv
from .validate import validate_package

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
GENERATED = ["datapackage.json", "build_report.json", paths.TABLES_DIR, paths.BODIES_DIR, "data/parquet", "schemas"]


@dataclass
class Verdict:
    source_file: str
    verdict: str = "accepted"  # accepted / accepted_with_warnings / rejected
    reasons: list[str] = field(default_factory=list)
    report_id: str | None = None

    def as_dict(self) -> dict:
        return {"source_file": self.source_file, "verdict": self.verdict, "report_id": self.report_id,
                "reasons": self.reasons}


@dataclass
class FileOutcome:
    verdict: Verdict
    result: ReportResult | None = None
    stage_rows: dict[str, list[dict]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def process_file(path: Path, expected_sha256: str | None, ctx: Context, with_digest: bool = False) -> FileOutcome:
    """Everything for one raw file; never raises, so one bad file cannot stop the others."""
    verdict = Verdict(path.name)
    outcome = FileOutcome(verdict)
    try:
        t0 = time.perf_counter()
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if expected_sha256 and digest != expected_sha256:
            raise ReportRejected(
                f"its SHA-256 ({digest[:12]}…) no longer matches its row in sources.csv "
                f"({expected_sha256[:12]}…): the raw file was changed; restore it or update the manifest")
        decoded = decode_file(path.name, data)
        t1 = time.perf_counter()
        result = process_text(decoded.text, path.name, digest, ctx, with_digest=with_digest,
                              source_format=decoded.source_format, source_encoding=decoded.encoding)
        t2 = time.perf_counter()
        outcome.seconds = {"read_decode": t1 - t0, "normalise_structure": t2 - t1}
        for name, stage in stages.PER_REPORT_STAGES:
            ts = time.perf_counter()
            for resource, rows in stage(result.doc, ctx).items():
                outcome.stage_rows.setdefault(resource, []).extend(rows)
            outcome.seconds[name] = time.perf_counter() - ts
        outcome.result = result
        verdict.report_id = result.doc.report_id
        verdict.reasons = list(result.warnings)
        verdict.verdict = "accepted_with_warnings" if result.warnings else "accepted"
    except (ReportRejected, DecodeError) as exc:
        verdict.verdict, verdict.reasons = "rejected", [str(exc).removeprefix(f"{path.name}: ")]
    except Exception as exc:  # a bug must not cost the other reports
        verdict.verdict = "rejected"
        verdict.reasons = [f"internal error while processing ({type(exc).__name__}: {exc}); please report it"]
        verdict.reasons.append(traceback.format_exc(limit=3).strip().splitlines()[-1])
    return outcome


def _file_key(path: Path, expected: str | None, with_digest: bool = False) -> str:
    return f"{path.name}\0{sha256_file(path)}\0{expected}\0{with_digest}"


def _process_all(files: list[Path], manifest: dict, ctx: Context, jobs: int, cache: ResultCache) -> list[FileOutcome]:
    args = [(p, manifest.get(p.name, {}).get("source_sha256") or None) for p in files]
    keys = [_file_key(p, sha) for p, sha in args]
    outcomes: list[FileOutcome | None] = [cache.get(k) for k in keys]
    todo = [i for i, o in enumerate(outcomes) if o is None]
    if jobs <= 1 or len(todo) < 2:
        fresh = [process_file(args[i][0], args[i][1], ctx) for i in todo]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, initializer=stages.register_all) as pool:
            chunk = max(1, len(todo) // (jobs * 8))
            fresh = list(pool.map(_process_one, [(args[i][0], args[i][1], ctx) for i in todo], chunksize=chunk))
    for i, outcome in zip(todo, fresh):
        outcomes[i] = outcome
        cache.put(keys[i], outcome)
    return outcomes


def _process_one(arg):
    path, sha, ctx = arg
    return process_file(path, sha, ctx)


def _dedupe(outcomes: list[FileOutcome], manifest: dict, ctx: Context) -> list[FileOutcome]:
    """Keep one file per report (see lbgr.dedupe); give colliding IDs of different reports a digest."""
    accepted = [o for o in outcomes if o.result is not None]
    items = [(o.verdict.source_file, o.result.doc.report_id, o.result.doc.meta["source_format"], o.result.doc.body,
              bool(o.result.doc.meta["is_traditional_source"])) for o in accepted]
    duplicates = find_duplicates(items)
    for o in accepted:
        if o.verdict.source_file in duplicates:
            kept, share = duplicates[o.verdict.source_file]
            o.verdict.verdict = "rejected"
            o.verdict.reasons = [f"duplicate of {kept}: the same report ({share:.0%} of this text is in {kept}); kept once"]
            o.result, o.stage_rows = None, {}
    by_id: dict[str, list[FileOutcome]] = defaultdict(list)
    for o in outcomes:
        if o.result is not None:
            by_id[o.result.doc.report_id].append(o)
    for rid, group in by_id.items():
        if len(group) < 2:
            continue
        for o in group:
            name = o.verdict.source_file
            redo = process_file(ctx.raw_dir / name, manifest.get(name, {}).get("source_sha256") or None,
                                ctx, with_digest=True)
            redo.verdict.reasons.append(f"another report also has the ID {rid}; a digest was added to keep IDs unique")
            redo.verdict.verdict = "accepted_with_warnings"
            o.verdict, o.result, o.stage_rows = redo.verdict, redo.result, redo.stage_rows
    return outcomes


def _write_package(tmp: Path, raw_dir: Path, manifest_rows: dict, outcomes: list[FileOutcome], ctx: Context,
                   copy_inputs: bool) -> dict:
    accepted = sorted((o for o in outcomes if o.result is not None), key=lambda o: o.result.doc.report_id)
    rows: dict[str, list[dict]] = defaultdict(list)
    for o in accepted:
        for resource, table_rows in o.result.tables.items():
            rows[resource].extend(table_rows)
        for resource, table_rows in o.stage_rows.items():
            rows[resource].extend(table_rows)
        body_path = tmp / paths.BODIES_DIR / f"{o.result.doc.report_id}.txt"
        body_path.parent.mkdir(parents=True, exist_ok=True)
        body_path.write_text(o.result.doc.body, encoding="utf-8")
    (tmp / paths.BODIES_DIR).mkdir(parents=True, exist_ok=True)

    specs = load_resources()
    frames = {}
    for name, spec in specs.items():
        if spec["path"].startswith(paths.TABLES_DIR):
            frames[name] = frame(name, rows.get(name, []))
    for _name, stage in stages.PACKAGE_STAGES:
        frames.update(stage(frames, ctx))
    for name, df in frames.items():
        write_csv(df, tmp / specs[name]["path"])
        if specs[name].get("parquet"):
            out = tmp / parquet_path(name)
            out.parent.mkdir(parents=True, exist_ok=True)
            df.to_parquet(out, index=False, engine="pyarrow", compression="zstd")

    # Inputs travel with the package so that it is complete and self-contained.
    raw_out = tmp / paths.RAW_DIR
    raw_out.mkdir(parents=True, exist_ok=True)
    if copy_inputs:
        for name in manifest_rows:
            if (raw_dir / name).exists():
                shutil.copy2(raw_dir / name, raw_out / name)
    shutil.copytree(ctx.codebooks_dir, tmp / "data" / "codebooks")
    shutil.copytree(ctx.reference_dir, tmp / "data" / "reference")
    write_manifest(raw_out / "sources.csv", manifest_rows)
    write_table_schemas(tmp / "schemas")
    write_descriptor(tmp)
    return {name: len(df) for name, df in frames.items()}


def _install(tmp: Path, out_dir: Path, in_place: bool) -> None:
    """Move the finished package into ``out_dir`` (see lbgr.install)."""
    if not in_place:
        install_folder(tmp, out_dir)
        return
    # In the repository only the generated paths change; the raw files stay where they are.
    rels = [r for r in GENERATED if r != "schemas"] + [f"{paths.RAW_DIR}/sources.csv"]
    rels += [f"schemas/{f.name}" for f in sorted((tmp / "schemas").glob("*.schema.json"))]
    backup = Path(tempfile.mkdtemp(prefix=".old-", dir=out_dir))
    install_paths(tmp, out_dir, rels, backup)
    shutil.rmtree(tmp)


def default_cache_dir(out_dir: Path, in_place: bool) -> Path:
    return paths.ROOT / ".cache" / "lbgr" if in_place else out_dir.parent / f".{out_dir.name}.lbgr-cache"


def build(raw_dir: Path = paths.RAW, out_dir: Path = paths.ROOT, jobs: int = 1, echo=print,
          stats: dict | None = None, cache_dir: Path | None | bool = True) -> int:
    """Build the package; ``stats``, if given, receives stage timings (for the benchmark)."""
    stats = {} if stats is None else stats
    t_start = time.perf_counter()
    raw_dir, out_dir = Path(raw_dir).resolve(), Path(out_dir).resolve()
    if not raw_dir.is_dir():
        echo(f"error: --raw {raw_dir} is not a folder")
        return EXIT_USAGE
    in_place = out_dir == paths.ROOT and raw_dir == paths.RAW
    # An install that was interrupted last time is rolled back before anything else.
    restored = recover(out_dir) if in_place else ([str(out_dir)] if recover_folder(out_dir) else [])
    if restored:
        echo(f"note: rolled back an interrupted install: {', '.join(restored)}")
    ctx = Context(raw_dir=raw_dir)
    stages.register_all()

    manifest = read_manifest(raw_dir / "sources.csv")
    files = raw_files(raw_dir)
    if not files:
        echo(f"error: {raw_dir} holds no report files")
        return EXIT_USAGE
    if cache_dir is True:
        cache_dir = default_cache_dir(out_dir, in_place)
    env_key = environment_key(ctx.codebooks_dir, ctx.reference_dir)
    cache = ResultCache(cache_dir or None, env_key)
    stamp = build_stamp(env_key, raw_dir, files)
    stamp_file = Path(cache_dir) / "stamp" if cache_dir else None
    if stamp_file and stamp_file.exists() and stamp_file.read_text() == stamp and package_intact(out_dir):
        previous = json.loads((out_dir / "build_report.json").read_text(encoding="utf-8"))
        echo(f"up to date: nothing changed since the last build of {out_dir} ({previous['inputs']} inputs)")
        stats.update({"files": len(files), "up_to_date": True,
                      "wall_seconds": {"total": time.perf_counter() - t_start}})
        return EXIT_REJECTED if previous["rejected"] else EXIT_OK
    outcomes = _process_all(files, manifest, ctx, jobs, cache)
    t_processed = time.perf_counter()
    stage_seconds: dict[str, float] = defaultdict(float)
    for o in outcomes:
        for stage, sec in o.seconds.items():
            stage_seconds[stage] += sec
    stats.update({"files": len(files), "bytes_in": sum(p.stat().st_size for p in files), "jobs": jobs,
                  "stage_cpu_seconds": dict(stage_seconds), "wall_seconds": {"process": t_processed - t_start}})
    present = {p.name for p in files}
    for name in sorted(set(manifest) - present):
        v = Verdict(name, "rejected", [f"listed in sources.csv but missing from {raw_dir.name}/"])
        outcomes.append(FileOutcome(v))
    outcomes = _dedupe(outcomes, manifest, ctx)

    manifest_rows = {}
    by_name = {o.verdict.source_file: o for o in outcomes}
    for p in files:
        row = dict(manifest.get(p.name, {}))
        if not row:
            row = {"source_file": p.name, "source_sha256": sha256_file(p), "source_bytes": str(p.stat().st_size),
                   "source_url": "", "retrieved_date": "", "notes": "added by the build: no manifest row, provenance unknown"}
            outcome = by_name[p.name]
            if outcome.verdict.verdict != "rejected":
                outcome.verdict.reasons.append("not listed in sources.csv: added with empty provenance (URL, retrieval date)")
                outcome.verdict.verdict = "accepted_with_warnings"
        manifest_rows[p.name] = row

    verdicts = sorted((o.verdict for o in outcomes), key=lambda v: v.source_file)
    for v in verdicts:
        reasons = "; ".join(v.reasons)
        echo(f"{v.verdict:<24} {v.source_file}" + (f" -> {v.report_id}" if v.report_id else "") + (f": {reasons}" if reasons else ""))
    if not any(o.result is not None for o in outcomes):
        echo("error: no input was accepted; nothing was written")
        return EXIT_FAILED

    out_parent = out_dir if in_place else out_dir.parent
    out_parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=out_parent))
    tmp.chmod(0o755)  # mkdtemp's 0700 would make the installed package private
    try:
        t0 = time.perf_counter()
        counts = _write_package(tmp, raw_dir, manifest_rows, outcomes, ctx, copy_inputs=not in_place)
        # The rows are on disk now; free them before validation reads the tables back.
        for o in outcomes:
            o.result, o.stage_rows = None, {}
        t1 = time.perf_counter()
        validation = validate_package(tmp)
        stats["wall_seconds"]["dedupe"] = t0 - t_processed
        stats["wall_seconds"]["package_stages_and_write"] = t1 - t0
        stats["wall_seconds"].update(validation.seconds)
        stats["rows"] = counts
        report = {
            "inputs": len(verdicts),
            "accepted": sum(v.verdict != "rejected" for v in verdicts),
            "rejected": sum(v.verdict == "rejected" for v in verdicts),
            "rows": counts,
            "files": [v.as_dict() for v in verdicts],
            "validation_warnings": validation.warnings,
        }
        (tmp / "build_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if not validation.ok:
            for err in validation.errors:
                echo(f"invalid: {err}")
            echo("error: the new package is not valid; the previous package was left unchanged")
            return EXIT_FAILED
        for w in validation.warnings:
            echo(f"warning: {w}")
        t2 = time.perf_counter()
        _install(tmp, out_dir, in_place)
        stats["wall_seconds"]["install"] = time.perf_counter() - t2
        if stamp_file:
            stamp_file.write_text(stamp)
        stats["wall_seconds"]["total"] = time.perf_counter() - t_start
    except Exception as exc:  # a bug in a package stage must not leave half-written data
        echo(f"error: the build failed ({type(exc).__name__}: {exc}); the previous package was left unchanged")
        echo(traceback.format_exc(limit=4))
        return EXIT_FAILED
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    echo(f"package written to {out_dir}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return EXIT_REJECTED if report["rejected"] else EXIT_OK
