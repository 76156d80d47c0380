"""raw files → validated data package, written atomically.

Exit statuses (see README): 0 every input accepted; 1 some inputs rejected (the package of the
accepted ones is written and valid); 2 usage error; 3 the build failed and nothing was written.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

from lbgr import paths, pipeline
from lbgr.build import fragments
from lbgr.build.cache import (
    ResultCache,
    StepStore,
    build_stamp,
    environment_key,
    package_intact,
    step_keys,
    validation_key,
)
from lbgr.build.fragments import FileSummary, Fragment, Verdict
from lbgr.build.install import install_folder, install_paths, recover, recover_folder
from lbgr.environment import versions
from lbgr.ingest.decode import DecodeError, decode_file
from lbgr.ingest.manifest import raw_files, read_manifest, sha256_file, write_manifest
from lbgr.package.dedupe import find_duplicates, group_key
from lbgr.package.descriptor import parquet_path, write_descriptor
from lbgr.package.tables import csv_header, csv_rows, frame
from lbgr.parse.context import Context
from lbgr.parse.report import ReportRejected, ReportResult, process_text
from lbgr.schema_registry import load_resources, write_table_schemas
from lbgr.validate import REPORTS_PER_GROUP, validate_package

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
GENERATED = ["datapackage.json", "build_report.json", paths.TABLES_DIR, paths.BODIES_DIR, "data/parquet", "schemas"]


@dataclass
class FileOutcome:
    """A processed file with its rows (in the worker; the build keeps only its summary)."""

    verdict: Verdict
    result: ReportResult | None = None
    stage_rows: dict[str, list[dict]] = field(default_factory=dict)
    # Each table's rows as the package's CSV lines, but for the tables a cross-report step finishes.
    csv: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)  # the steps computed (not taken from the cache)


def _as_csv(tables: dict[str, list[dict]]) -> dict[str, str]:
    """A step's rows as CSV lines, formatted once where they are made and cached with them: a
    rebuild that reruns one step formats only that step's tables."""
    finished_later = {st.resource for _, st in pipeline.CROSS_REPORT_STAGES}
    return {name: csv_rows(name, rows) for name, rows in tables.items() if name not in finished_later}


def _add_csv(outcome: FileOutcome, text: dict[str, str]) -> None:
    for name, lines in text.items():
        outcome.csv[name] = outcome.csv.get(name, "") + lines


def process_file(path: Path, expected_sha256: str | None, ctx: Context, with_digest: bool = False,
                 data: bytes | None = None, digest: str | None = None,
                 provenance: tuple[str, str] = ("", ""), store: StepStore | None = None) -> FileOutcome:
    """Every step of ``lbgr.pipeline`` for one raw file; never raises, so one bad file cannot
    stop the others. ``provenance``: its manifest's (source URL, retrieval date), carried into
    its reports row. With ``store``, each step's result is taken from there when the step's code
    and codebooks are as when it was kept, and kept there when it is made."""
    verdict = Verdict(path.name)
    outcome = FileOutcome(verdict)
    try:
        t0 = time.perf_counter()
        if data is None:
            data, digest = path.read_bytes(), None
        digest = digest or hashlib.sha256(data).hexdigest()
        if expected_sha256 and digest != expected_sha256:
            raise ReportRejected(
                f"its SHA-256 ({digest[:12]}…) no longer matches its row in sources.csv "
                f"({expected_sha256[:12]}…): the raw file was changed; restore it or update the manifest")
        key = _file_key(path, digest, expected_sha256, with_digest, provenance)
        # The store keeps each step's result with its rows as CSV lines (``_as_csv``).
        cached = store.get("parse", key) if store is not None else None
        t1 = time.perf_counter()
        format_seconds = 0.0
        if cached is None:
            decoded = decode_file(path.name, data)
            t1 = time.perf_counter()
            result = process_text(decoded.text, path.name, digest, ctx, with_digest=with_digest,
                                  source_format=decoded.source_format, source_encoding=decoded.encoding,
                                  provenance=provenance)
            outcome.ran.append("parse")
            tf = time.perf_counter()
            text = _as_csv(result.tables)
            format_seconds += time.perf_counter() - tf
            if store is not None:
                store.put("parse", key, (result, text))
        else:
            result, text = cached
        _add_csv(outcome, text)
        t2 = time.perf_counter()
        outcome.seconds = {"read_decode": t1 - t0, "normalise_structure": t2 - t1 - format_seconds}
        steps = [(name, stage, lambda stage=stage: stage(result.doc, ctx)) for name, stage in pipeline.PER_REPORT_STAGES]
        steps += [(name, stage, lambda stage=stage: stage({**result.tables, **outcome.stage_rows}, ctx))
                  for name, stage in pipeline.DERIVED_STAGES]
        for name, _stage, run in steps:
            ts = time.perf_counter()
            cached = store.get(name, key) if store is not None else None
            formatting = 0.0
            if cached is None:
                made = run()
                outcome.ran.append(name)
                tf = time.perf_counter()
                text = _as_csv(made)
                formatting = time.perf_counter() - tf
                if store is not None:
                    store.put(name, key, (made, text))
            else:
                made, text = cached
            for resource, rows in made.items():
                outcome.stage_rows.setdefault(resource, []).extend(rows)
            _add_csv(outcome, text)
            format_seconds += formatting
            outcome.seconds[name] = time.perf_counter() - ts - formatting
        outcome.seconds["format_rows"] = format_seconds
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


def spool_file(path: Path, expected_sha256: str | None, ctx: Context, target: Path,
               with_digest: bool = False, data: bytes | None = None, digest: str | None = None,
               provenance: tuple[str, str] = ("", ""), store: StepStore | None = None) -> FileSummary:
    """Process one file, write its fragment to ``target`` and return only its summary."""
    outcome = process_file(path, expected_sha256, ctx, with_digest=with_digest, data=data, digest=digest,
                           provenance=provenance, store=store)
    summary = FileSummary(outcome.verdict, seconds=outcome.seconds, ran=outcome.ran)
    fragment = None
    if outcome.result is not None:
        try:
            doc = outcome.result.doc
            tables = {**outcome.result.tables, **outcome.stage_rows}
            fragment = Fragment(body=doc.body, csv=outcome.csv,
                                rows={name: rows for name, rows in tables.items() if name not in outcome.csv})
            summary.rows = {name: len(rows) for name, rows in tables.items()}
            summary.cross = {name: st.summarise(tables.get(st.resource, [])) for name, st in pipeline.CROSS_REPORT_STAGES}
            summary.source_format = doc.meta["source_format"]
            summary.is_traditional_source = bool(doc.meta["is_traditional_source"])
            summary.body_chars = len(doc.body)
            summary.fragment = target
        except Exception as exc:  # rows a cross-report step cannot summarise are this file's problem only
            fragment, summary.fragment = None, None
            summary.verdict.verdict = "rejected"
            summary.verdict.reasons = [f"internal error while assembling its rows ({type(exc).__name__}: {exc}); "
                                       "please report it"]
    fragments.write(target, replace(summary, ran=[]), fragment)  # taken from the cache, it ran nothing
    return summary


def _file_key(path: Path, digest: str, expected: str | None, with_digest: bool = False,
              provenance: tuple[str, str] = ("", "")) -> str:
    return f"{path.name}\0{digest}\0{expected}\0{with_digest}\0{provenance[0]}\0{provenance[1]}"


def _provenance(manifest: dict, name: str) -> tuple[str, str]:
    row = manifest.get(name, {})
    return row.get("source_url") or "", row.get("retrieved_date") or ""


class Spool:
    """Where the fragments of one build go: the result cache, or a throw-away folder."""

    def __init__(self, cache: ResultCache | None, scratch: Path, store: StepStore | None = None):
        self.cache, self.scratch, self.store = cache, scratch, store
        self._n = 0
        self.used: set[Path] = set()

    def prune(self) -> int:
        """Remove cached results this build did not use (older versions of files, code or
        codebooks), so that the cache stays the size of one corpus. Returns how many."""
        if self.cache is None:
            return 0
        removed = 0
        stale = [p for p in self.cache.folder.glob("*/*") if p.suffix in (".fragment", ".pickle")]
        if self.store is not None:
            stale += self.store.folder.glob("*/*/*.pickle")
        for path in stale:
            if path not in self.used:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def locate(self, path: Path, expected: str | None, with_digest: bool = False,
               provenance: tuple[str, str] = ("", "")) -> tuple[Path, FileSummary | None, bytes | None, str | None]:
        """(where its fragment goes, its cached summary or None, and its bytes and SHA-256 if
        they were read: the worker then neither reads nor hashes the file again)."""
        if self.cache is None:
            self._n += 1
            return self.scratch / f"{self._n:07d}.fragment", None, None, None
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        key = _file_key(path, digest, expected, with_digest, provenance)
        target = self.cache.path(key)
        self.used.add(target)
        if self.store is not None:
            self.used.update(self.store.paths(key))
        return target, self.cache.get(key), data, digest


def _process_all(files: list[Path], manifest: dict, ctx: Context, jobs: int, spool: Spool,
                 stats: dict) -> list[FileSummary]:
    summaries: list[FileSummary | None] = []
    todo: list[tuple[int, tuple]] = []
    for p in files:
        sha = manifest.get(p.name, {}).get("source_sha256") or None
        prov = _provenance(manifest, p.name)
        target, cached, data, digest = spool.locate(p, sha, provenance=prov)
        summaries.append(cached)
        if cached is None:
            todo.append((len(summaries) - 1, (p, sha, target, data, digest, prov)))
    if jobs <= 1 or len(todo) < 2:
        fresh = [spool_file(p, sha, ctx, target, data=data, digest=digest, provenance=prov, store=spool.store)
                 for _, (p, sha, target, data, digest, prov) in todo]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(ctx, spool.store)) as pool:
            chunk = max(1, len(todo) // (jobs * 16))
            fresh = list(pool.map(_spool_one, [arg for _, arg in todo], chunksize=chunk))
    for (i, *_), summary in zip(todo, fresh):
        summaries[i] = summary
    stats.update({"processed": len(todo), "from_cache": len(files) - len(todo)})
    return summaries


# One Context per worker process: its caches (division index, compiled codebooks) are built
# once there, not once per file as they would be if every task carried its own copy.
_WORKER_CTX: Context | None = None
_WORKER_STORE: StepStore | None = None


def _init_worker(ctx: Context, store: StepStore | None) -> None:
    global _WORKER_CTX, _WORKER_STORE
    _WORKER_CTX, _WORKER_STORE = ctx, store


def _spool_one(arg) -> FileSummary:
    path, sha, target, data, digest, prov = arg
    return spool_file(path, sha, _WORKER_CTX, target, data=data, digest=digest, provenance=prov, store=_WORKER_STORE)


def _dedupe(summaries: list[FileSummary], manifest: dict, ctx: Context, spool: Spool) -> list[FileSummary]:
    """Keep one file per report (see lbgr.package.dedupe); give colliding IDs of different reports a digest."""
    accepted = [s for s in summaries if s.accepted]
    # Only files that share a place and year can be duplicates: only their bodies are read.
    sizes = Counter(group_key(s.verdict.report_id) for s in accepted)
    items = [(s.verdict.source_file, s.verdict.report_id, s.source_format, fragments.read_fragment(s.fragment).body,
              s.is_traditional_source) for s in accepted if sizes[group_key(s.verdict.report_id)] > 1]
    duplicates = find_duplicates(items)
    del items
    for s in accepted:
        if s.verdict.source_file in duplicates:
            kept, share = duplicates[s.verdict.source_file]
            s.verdict.verdict = "rejected"
            s.verdict.reasons = [f"duplicate of {kept}: the same report ({share:.0%} of this text is in {kept}); kept once"]
            s.fragment = None
    by_id: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(summaries):
        if s.accepted:
            by_id[s.verdict.report_id].append(i)
    for rid, group in by_id.items():
        if len(group) < 2:
            continue
        for i in group:
            name = summaries[i].verdict.source_file
            sha = manifest.get(name, {}).get("source_sha256") or None
            prov = _provenance(manifest, name)
            target, cached, data, digest = spool.locate(ctx.raw_dir / name, sha, with_digest=True, provenance=prov)
            redo = cached or spool_file(ctx.raw_dir / name, sha, ctx, target, with_digest=True, data=data,
                                        digest=digest, provenance=prov, store=spool.store)
            redo.verdict.reasons = [r for r in redo.verdict.reasons if "also has the ID" not in r]
            redo.verdict.reasons.append(f"another report also has the ID {rid}; a digest was added to keep IDs unique")
            if redo.verdict.verdict != "rejected":
                redo.verdict.verdict = "accepted_with_warnings"
            summaries[i] = redo
    return summaries


def _write_tables(tmp: Path, accepted: list[FileSummary], specs: dict, previous: Path | None = None) -> dict[str, int]:
    """Each table, and each body file, written by concatenating the fragments in report-ID order.
    A body that the package in ``previous`` already holds, unchanged, is linked from there."""
    cross = [(name, st, st.combine(s.cross.get(name) for s in accepted)) for name, st in pipeline.CROSS_REPORT_STAGES]
    names = [n for n, spec in specs.items() if spec["path"].startswith(paths.TABLES_DIR)]
    counts = dict.fromkeys(names, 0)
    (tmp / paths.BODIES_DIR).mkdir(parents=True, exist_ok=True)
    (tmp / paths.TABLES_DIR).mkdir(parents=True, exist_ok=True)
    handles = {n: open(tmp / specs[n]["path"], "w", encoding="utf-8", newline="") for n in names}
    try:
        for n, fh in handles.items():
            fh.write(csv_header(n))
        for s in accepted:
            frag = fragments.read_fragment(s.fragment)
            name = f"{s.verdict.report_id}.txt"
            reused = previous is not None and _link_if_same(previous / paths.BODIES_DIR / name, frag.body,
                                                            tmp / paths.BODIES_DIR / name)
            if not reused:
                (tmp / paths.BODIES_DIR / name).write_text(frag.body, encoding="utf-8")
            for n, text in frag.csv.items():
                if n not in handles:
                    raise ValueError(f"a stage made rows of '{n}', which schemas/resources does not define")
                handles[n].write(text)
            for _name, st, state in cross:
                rows = st.finish(frag.rows.get(st.resource, []), state)
                handles[st.resource].write(csv_rows(st.resource, rows))
            for n, k in s.rows.items():
                counts[n] += k
    finally:
        for fh in handles.values():
            fh.close()
    return counts


def _write_parquet(tmp: Path, specs: dict) -> None:
    """Parquet copies of the large tables, converted from their CSV in blocks, by pyarrow's CSV
    reader (C++, in parallel threads) with the column types ``frame`` gives, so that the copy
    reads back into pandas with the same dtypes as ``read_table`` gives for the CSV."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    for name, spec in specs.items():
        if not spec.get("parquet"):
            continue
        out = tmp / parquet_path(name)
        out.parent.mkdir(parents=True, exist_ok=True)
        schema = pa.Table.from_pandas(frame(name, []), preserve_index=False).schema
        # The CSV writer leaves a null cell empty and writes booleans as true/false; nothing else
        # is null (pyarrow would otherwise also read "NA", "null" … as null).
        convert = pacsv.ConvertOptions(column_types={f.name: f.type for f in schema}, null_values=[""],
                                       strings_can_be_null=True, quoted_strings_can_be_null=True,
                                       true_values=["true"], false_values=["false"])
        reader = pacsv.open_csv(tmp / spec["path"], read_options=pacsv.ReadOptions(block_size=1 << 22),
                                convert_options=convert)
        with pq.ParquetWriter(out, schema, compression="zstd") as writer:
            pending: list = []
            rows = 0
            for batch in reader:
                pending.append(pa.Table.from_batches([batch]).select(schema.names).cast(schema))
                rows += batch.num_rows
                if rows >= PARQUET_CHUNK_ROWS:  # row groups of equal size, whatever the CSV blocks hold
                    table = pa.concat_tables(pending)
                    whole = rows - rows % PARQUET_CHUNK_ROWS
                    writer.write_table(table.slice(0, whole), row_group_size=PARQUET_CHUNK_ROWS)
                    pending, rows = [table.slice(whole)], rows - whole
            if rows:
                writer.write_table(pa.concat_tables(pending))
    # Arrow's allocator keeps freed blocks for reuse; hand them back before validation needs memory.
    pa.default_memory_pool().release_unused()


def _link_if_same(old: Path, text: str, new: Path) -> bool:
    """Hard-link ``old`` at ``new`` if it holds exactly ``text`` (as UTF-8); whether it did.
    Reading a small file costs far less than creating one, and the old package goes anyway."""
    data = text.encode("utf-8")
    try:
        if old.is_symlink() or old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
    except OSError:  # no such file, another file system, a file system without links
        return False
    return True


def _previous_manifest(previous: Path | None) -> dict:
    """The manifest rows of the package being replaced; none if it has no readable one."""
    try:
        return read_manifest(previous / paths.RAW_DIR / paths.MANIFEST_NAME) if previous is not None else {}
    except (OSError, ValueError, UnicodeDecodeError, csv.Error):
        return {}


def _link_copy(src: Path, old_copy: Path, new: Path) -> bool:
    """Hard-link the previous package's copy of the raw file ``src`` at ``new`` if it is still
    that copy (same size and modification time, which copy2 keeps; the caller has checked that
    the manifest's checksum did not change); whether it did."""
    try:
        a, b = src.stat(), old_copy.stat()
        if (a.st_size, a.st_mtime_ns) != (b.st_size, b.st_mtime_ns) or old_copy.is_symlink():
            return False
        os.link(old_copy, new)
    except OSError:
        return False
    return True


PARQUET_CHUNK_ROWS = 20_000


def _write_package(tmp: Path, raw_dir: Path, manifest_rows: dict, summaries: list[FileSummary], ctx: Context,
                   copy_inputs: bool, seconds: dict | None = None, previous: Path | None = None) -> dict:
    """The package in ``tmp``; ``previous``: the package it will replace, whose unchanged files
    (bodies, copies of raw files) are linked instead of written again."""
    seconds = {} if seconds is None else seconds
    accepted = sorted((s for s in summaries if s.accepted), key=lambda s: s.verdict.report_id)
    specs = load_resources()
    t0 = time.perf_counter()
    counts = _write_tables(tmp, accepted, specs, previous)
    t1 = time.perf_counter()
    _write_parquet(tmp, specs)
    seconds.update({"write_tables": t1 - t0, "write_parquet": time.perf_counter() - t1})

    # Inputs travel with the package so that it is complete and self-contained.
    raw_out = tmp / paths.RAW_DIR
    raw_out.mkdir(parents=True, exist_ok=True)
    if copy_inputs:
        before = _previous_manifest(previous)
        for name, row in manifest_rows.items():
            if (raw_dir / name).exists():
                old = before.get(name, {})
                same = old.get("source_sha256") and old.get("source_sha256") == row.get("source_sha256")
                if not (same and _link_copy(raw_dir / name, previous / paths.RAW_DIR / name, raw_out / name)):
                    shutil.copy2(raw_dir / name, raw_out / name)
    shutil.copytree(ctx.codebooks_dir, tmp / "data" / "codebooks")
    shutil.copytree(ctx.reference_dir, tmp / "data" / "reference")
    write_manifest(raw_out / "sources.csv", manifest_rows)
    write_table_schemas(tmp / "schemas")
    write_descriptor(tmp)
    return counts


def _install(tmp: Path, out_dir: Path, in_place: bool) -> None:
    """Move the finished package into ``out_dir`` (see lbgr.build.install)."""
    if not in_place:
        install_folder(tmp, out_dir)
        return
    # In the repository only the generated paths change; the raw files stay where they are.
    rels = [r for r in GENERATED if r != "schemas"] + [f"{paths.RAW_DIR}/sources.csv"]
    rels += [f"schemas/{f.name}" for f in sorted((tmp / "schemas").glob("*.schema.json"))]
    backup = Path(tempfile.mkdtemp(prefix=".old-", dir=out_dir))
    install_paths(tmp, out_dir, rels, backup)
    shutil.rmtree(tmp)


def _owned_tempdir(parent: Path, kind: str) -> Path:
    """A temporary folder whose name says which process on which machine made it."""
    return Path(tempfile.mkdtemp(prefix=f".{kind}-{_HOST}-{os.getpid()}-", dir=parent))


def clean_abandoned(parent: Path) -> list[str]:
    """Remove temporary folders left by builds on this machine whose process no longer exists
    (a build killed while writing); those of running builds, or of other machines, stay."""
    removed = []
    for d in parent.glob(f".*-{_HOST}-*-*"):
        kind, _, rest = d.name[1:].partition(f"-{_HOST}-")
        pid = rest.split("-", 1)[0]
        if kind not in ("spool", "build") or not d.is_dir() or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # someone else's live process
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d.name)
    return removed


_HOST = "".join(c if c.isalnum() else "_" for c in socket.gethostname()) or "host"


def _validated_record(path: Path | None, key: str) -> dict | None:
    """What the installed package passed validation with (``lbgr.validate``), if it was validated
    by the code, schemas and libraries of this build (``key``: their ``validation_key``)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path is not None else None
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("key") == key else None


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def default_cache_dir(out_dir: Path, in_place: bool) -> Path:
    return paths.ROOT / ".cache" / "lbgr" if in_place else out_dir.parent / f".{out_dir.name}.lbgr-cache"


def build(raw_dir: Path = paths.RAW, out_dir: Path = paths.ROOT, jobs: int = 1, echo=print,
          stats: dict | None = None, cache_dir: Path | None | bool = True, codebooks: Path | None = None) -> int:
    """Build the package; ``stats``, if given, receives stage timings and the steps that ran.

    ``jobs``: worker processes of the per-report stages. ``codebooks``: another folder of
    codebooks than data/codebooks (the benchmark edits a copy)."""
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
    ctx = Context(codebooks=codebooks or paths.CODEBOOKS, raw_dir=raw_dir)

    manifest = read_manifest(raw_dir / "sources.csv")
    files = raw_files(raw_dir)
    if not files:
        echo(f"error: {raw_dir} holds no report files")
        return EXIT_USAGE
    out_parent = out_dir if in_place else out_dir.parent
    out_parent.mkdir(parents=True, exist_ok=True)
    if abandoned := clean_abandoned(out_parent):
        echo(f"note: removed temporary folders of builds that were killed: {', '.join(abandoned)}")
    if cache_dir is True:
        cache_dir = default_cache_dir(out_dir, in_place)
    env_key = environment_key(ctx.codebooks_dir, ctx.reference_dir)
    stamp = build_stamp(env_key, raw_dir, files)
    stamp_file = Path(cache_dir) / "stamp" if cache_dir else None
    if stamp_file and stamp_file.exists() and stamp_file.read_text() == stamp and package_intact(out_dir):
        previous = json.loads((out_dir / "build_report.json").read_text(encoding="utf-8"))
        echo(f"up to date: nothing changed since the last build of {out_dir} ({previous['inputs']} inputs)")
        stats.update({"files": len(files), "up_to_date": True,
                      "wall_seconds": {"total": time.perf_counter() - t_start}})
        return EXIT_REJECTED if previous["rejected"] else EXIT_OK
    scratch = _owned_tempdir(out_parent, "spool")
    try:
        spool = Spool(None, scratch)
        if cache_dir:
            keys = step_keys(ctx.codebooks_dir, ctx.reference_dir)
            fragments_key = hashlib.sha256(json.dumps(keys, sort_keys=True).encode()).hexdigest()
            spool = Spool(ResultCache(cache_dir, fragments_key), scratch, StepStore(Path(cache_dir) / "steps", keys))
        return _build(raw_dir, out_dir, in_place, ctx, manifest, files, spool, jobs, echo, stats, t_start,
                      stamp_file, stamp)
    except Exception as exc:  # e.g. a full disk while spooling: the package must stay as it was
        echo(f"error: the build failed ({type(exc).__name__}: {exc}); the previous package was left unchanged")
        echo(traceback.format_exc(limit=4))
        return EXIT_FAILED
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _build(raw_dir: Path, out_dir: Path, in_place: bool, ctx: Context, manifest: dict, files: list[Path],
           spool: Spool, jobs: int, echo, stats: dict, t_start: float, stamp_file: Path | None, stamp: str) -> int:
    summaries = _process_all(files, manifest, ctx, jobs, spool, stats)
    t_processed = time.perf_counter()
    stage_seconds: dict[str, float] = defaultdict(float)
    steps_run: Counter = Counter()
    for o in summaries:
        for stage, sec in o.seconds.items():
            stage_seconds[stage] += sec
        steps_run.update(o.ran)
    stats["steps_run"] = dict(steps_run)
    stats.update({"files": len(files), "bytes_in": sum(p.stat().st_size for p in files), "jobs": jobs,
                  "stage_cpu_seconds": dict(stage_seconds), "wall_seconds": {"process": t_processed - t_start}})
    present = {p.name for p in files}
    for name in sorted(set(manifest) - present):
        v = Verdict(name, "rejected", [f"listed in sources.csv but missing from {raw_dir.name}/"])
        summaries.append(FileSummary(v))
    summaries = _dedupe(summaries, manifest, ctx, spool)

    manifest_rows = {}
    by_name = {o.verdict.source_file: o for o in summaries}
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

    verdicts = sorted((o.verdict for o in summaries), key=lambda v: v.source_file)
    for v in verdicts:
        reasons = "; ".join(v.reasons)
        echo(f"{v.verdict:<24} {v.source_file}" + (f" -> {v.report_id}" if v.report_id else "") + (f": {reasons}" if reasons else ""))
    if not any(o.accepted for o in summaries):
        echo("error: no input was accepted; nothing was written")
        return EXIT_FAILED

    out_parent = out_dir if in_place else out_dir.parent
    tmp = _owned_tempdir(out_parent, "build")
    tmp.chmod(0o755)  # mkdtemp's 0700 would make the installed package private
    try:
        t0 = time.perf_counter()
        write_seconds: dict[str, float] = {}
        counts = _write_package(tmp, raw_dir, manifest_rows, summaries, ctx, copy_inputs=not in_place,
                                seconds=write_seconds, previous=out_dir if out_dir.is_dir() else None)
        t1 = time.perf_counter()
        n_summaries = len(summaries)
        summaries = by_name = None  # written: only the verdicts are needed now, and validation needs the memory
        # Groups of reports are checked in worker processes once there are several groups. The
        # checks whose inputs are those the replaced package passed with are not run again.
        record_file = stamp_file.with_name("validated.json") if stamp_file else None
        validated_key = validation_key() if record_file else ""
        validation = validate_package(tmp, jobs=jobs if n_summaries > 2 * REPORTS_PER_GROUP else 1,
                                      previous=_validated_record(record_file, validated_key))
        stats["wall_seconds"]["dedupe"] = t0 - t_processed
        stats["wall_seconds"]["package_stages_and_write"] = t1 - t0
        stats["write_seconds"] = write_seconds
        stats["wall_seconds"].update(validation.seconds)
        stats["validation_rules_run"] = validation.rules_run
        stats["rows"] = counts
        report = {
            "inputs": len(verdicts),
            "accepted": sum(v.verdict != "rejected" for v in verdicts),
            "rejected": sum(v.verdict == "rejected" for v in verdicts),
            "rows": counts,
            "files": [v.as_dict() for v in verdicts],
            "validation_warnings": validation.warnings,
            "environment": versions(),
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
            _write_atomically(record_file, json.dumps({"key": validated_key, **validation.record}))
        stats["cache_entries_pruned"] = spool.prune()
        stats["wall_seconds"]["total"] = time.perf_counter() - t_start
    except Exception as exc:  # a bug while writing or validating must not leave half-written data
        echo(f"error: the build failed ({type(exc).__name__}: {exc}); the previous package was left unchanged")
        echo(traceback.format_exc(limit=4))
        return EXIT_FAILED
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    echo(f"package written to {out_dir}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return EXIT_REJECTED if report["rejected"] else EXIT_OK
