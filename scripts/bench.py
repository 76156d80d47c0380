"""Benchmark of the build (``nox -s bench``): speed, growth, memory, two cores, no-change rebuild.

    nox -s bench                                   # scales 1 10 100 1000, jobs 1 and 2
    nox -s bench -- --scales 1 10 100 --jobs 1 2   # a quicker run
    python scripts/bench.py --help

It builds corpora of k × the raw reports (k = 1, 10, 100, 1000: 5 … 5,000 files) made of
distinct *variants* of the real reports in data/raw (see ``VariantGenerator``), builds each
corpus into a throw-away package in a fresh subprocess (result cache off), and prints
throughput, peak memory, per-stage times, the ratio to a bare read-and-decode pass and to one
compiled-regex scan, the growth of the cost with the corpus size, the speed-up of two worker
processes, and the time of a no-change rebuild of the real package. It asserts nothing: the
targets are printed next to the measured figures. The figures also go to .bench/results.json.

Everything it writes stays under .bench/ (gitignored); data/ is only read.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
REPORTS_CSV = ROOT / "data" / "tables" / "reports.csv"
DIVISIONS_CSV = ROOT / "data" / "reference" / "divisions.csv"
BENCH = ROOT / ".bench"
YEARS = list(range(2016, 2026))
MANIFEST_FIELDS = ["source_file", "source_sha256", "source_bytes", "source_url", "retrieved_date", "notes"]

TARGETS = {
    "extraction_reports_per_s_per_core": 200.0,
    "growth_exponent": 1.0,
    "two_core_speedup": 2.0,
    "peak_memory_1000x_mib": 1024.0,
    "validation_1000x_s": 60.0,
    "no_change_rebuild_s": 3.0,
}

# ---------------------------------------------------------------------------------------------
# Variants of the real reports
# ---------------------------------------------------------------------------------------------

# Integers that count things (受理案件355件, 3500余场次, 10万元): changed slightly in each variant.
# Years, dates, times, decimals, percentages and heading numbers are left alone.
_COUNT = re.compile(r"(?<![\d.．:：/-])(\d{1,7})(?=[件人个家项场次名本条万亿余户起篇期所份批类座支处宗元部位门套台辆])")


@dataclass(frozen=True)
class SourceReport:
    index: int
    source_file: str
    text: str
    report_id: str
    jurisdiction: str
    report_year: int
    division_code: str
    pool_key: tuple[str, str]  # (division level, last character of the name), e.g. ("county", "区")


@dataclass(frozen=True)
class Variant:
    source: SourceReport
    number: int  # 0 = the real report, unchanged
    file_name: str
    text: str
    place: str
    division_code: str
    year: int

    @property
    def expected_report_id(self) -> str:
        return self.source.report_id if self.number == 0 else f"{self.division_code}-{self.year}"

    @property
    def note(self) -> str:
        if self.number == 0:
            return f"benchmark: the real report {self.source.source_file}, unchanged"
        return (f"benchmark variant {self.number} of {self.source.source_file}: {self.source.jurisdiction}→{self.place}, "
                f"{self.source.report_year}→{self.year}, counts shifted")


def _stable(s: str) -> int:
    return int(hashlib.sha256(s.encode("utf-8")).hexdigest()[:12], 16)


class VariantGenerator:
    """Distinct variants of the real reports, deterministic and independent of the scale.

    Variant 0 of a report is the real file. Variant i ≥ 1 of report r:

    * replaces the report's own place name (its ``jurisdiction`` in data/tables/reports.csv, and
      its stem without the last character, e.g. 怀化市 and 怀化) everywhere in the text by the
      name of another division of the same level and suffix from data/reference/divisions.csv:
      one whose name is unique in the reference, is not one of the real reports' places, and whose
      stem occurs in none of the real texts (so the new name is the only mention of that place);
    * shifts the reported year Y and the following year Y+1 (4-digit tokens, wherever they occur:
      title, opening, headings, plans, the page header's publication date) to another year in
      2016–2025 and the year after it;
    * adds 1–9 to every integer that counts something (件, 人, 个, 万, 余 …).

    Every (division, year) pair is used by at most one file over all reports, so no two files
    share a place and year: the duplicate detector (which compares only files of one place and
    year) has nothing to collapse, and no two reports share an ID.
    """

    def __init__(self, raw_dir: Path = RAW, reports_csv: Path = REPORTS_CSV, divisions_csv: Path = DIVISIONS_CSV):
        from lbgr.ingest.decode import decode_file

        self.raw_dir = Path(raw_dir)
        with open(reports_csv, encoding="utf-8", newline="") as fh:
            reports = {row["source_file"]: row for row in csv.DictReader(fh)}
        with open(divisions_csv, encoding="utf-8", newline="") as fh:
            divisions = list(csv.DictReader(fh))
        by_code = {d["division_code"]: d for d in divisions}
        name_count: dict[str, int] = {}
        for d in divisions:
            name_count[d["name"]] = name_count.get(d["name"], 0) + 1

        self.sources: list[SourceReport] = []
        for path in sorted(p for p in self.raw_dir.iterdir() if p.is_file() and p.name in reports):
            row = reports[path.name]
            division = by_code.get(row["division_code"])
            if not row["jurisdiction"] or division is None:
                continue  # a report without a resolved place cannot be moved to another place
            text = decode_file(path.name, path.read_bytes()).text
            self.sources.append(SourceReport(
                index=len(self.sources), source_file=path.name, text=text, report_id=row["report_id"],
                jurisdiction=row["jurisdiction"], report_year=int(row["report_year"]),
                division_code=row["division_code"], pool_key=(division["division_level"], row["jurisdiction"][-1])))
        if not self.sources:
            raise SystemExit(f"no report of {self.raw_dir} has a resolved place in {reports_csv}")
        taken = {s.jurisdiction for s in self.sources}

        # Candidate places per (level, suffix), in a fixed pseudo-random order (spread over China).
        self.pools: dict[tuple[str, str], list[dict]] = {}
        for key in {s.pool_key for s in self.sources}:
            level, suffix = key
            cands = [d for d in divisions if d["division_level"] == level and d["name"].endswith(suffix)
                     and name_count[d["name"]] == 1 and d["name"] not in taken and len(d["name"]) >= 3
                     and not any(d["name"][:-1] in s.text for s in self.sources)]
            self.pools[key] = sorted(cands, key=lambda d: _stable(d["division_code"]))
        # Reports that share a pool take turns in it, so that their (division, year) pairs are disjoint.
        self.share: dict[int, tuple[int, int]] = {}
        for key in self.pools:
            members = [s.index for s in self.sources if s.pool_key == key]
            for rank, idx in enumerate(members):
                self.share[idx] = (rank, len(members))

    def capacity(self) -> int:
        """The largest number of variants per report (including the real one) that stay distinct."""
        return 1 + min(len(self.pools[s.pool_key]) * len(YEARS) // self.share[s.index][1] for s in self.sources)

    def _place_year(self, src: SourceReport, i: int) -> tuple[dict, int]:
        pool = self.pools[src.pool_key]
        rank, n_sharing = self.share[src.index]
        j = (i - 1) * n_sharing + rank  # slot j of the pool: disjoint between the reports sharing it
        if j >= len(pool) * len(YEARS):
            raise ValueError(f"only {self.capacity()} distinct variants per report are available")
        division = pool[j % len(pool)]
        # The same division comes back every len(pool) slots, each time with another year.
        year = YEARS[(j // len(pool) + _stable(division["division_code"])) % len(YEARS)]
        return division, year

    def variant(self, report: int, i: int) -> Variant:
        src = self.sources[report]
        if i == 0:
            return Variant(src, 0, src.source_file, src.text, src.jurisdiction, src.division_code, src.report_year)
        stem = Path(src.source_file).stem
        text = src.text
        division, year = self._place_year(src, i)
        new = division["name"]
        old, old_stem, new_stem = src.jurisdiction, src.jurisdiction[:-1], new[:-1]
        if len(old_stem) >= 2:
            text = re.sub(f"{re.escape(old)}|{re.escape(old_stem)}",
                          lambda m: new if m.group(0) == old else new_stem, text)
        else:
            text = text.replace(old, new)
        years = {str(src.report_year): str(year), str(src.report_year + 1): str(year + 1)}
        text = re.sub(r"(?<!\d)(\d{4})(?!\d)", lambda m: years.get(m.group(1), m.group(1)), text)
        count = iter(range(10**9))
        text = _COUNT.sub(lambda m: str(int(m.group(1)) + 1 + (i + next(count)) % 9), text)
        return Variant(src, i, f"{stem}_v{i:04d}.txt", text, new, division["division_code"], year)

    def variants(self, per_report: int):
        for i in range(per_report):
            for r in range(len(self.sources)):
                yield self.variant(r, i)

    def write_corpus(self, folder: Path, per_report: int) -> list[Variant]:
        """Write ``per_report`` variants of every report and their manifest (sources.csv) into ``folder``."""
        if per_report > self.capacity():
            raise SystemExit(f"scale {per_report} is more than the {self.capacity()} distinct variants per report available")
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        out, rows = [], []
        for v in self.variants(per_report):
            data = (self.raw_dir / v.file_name).read_bytes() if v.number == 0 else v.text.encode("utf-8")
            (folder / v.file_name).write_bytes(data)
            rows.append({"source_file": v.file_name, "source_sha256": hashlib.sha256(data).hexdigest(),
                         "source_bytes": str(len(data)), "source_url": "", "retrieved_date": "", "notes": v.note})
            out.append(v)
        with open(folder / "sources.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=MANIFEST_FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(sorted(rows, key=lambda r: r["source_file"]))
        return out


def corpus(scale: int, gen: VariantGenerator) -> tuple[Path, dict[str, str]]:
    """The corpus folder of a scale under .bench/corpus (reused while its inputs are unchanged) and
    the expected report ID of every file."""
    folder = BENCH / "corpus" / f"x{scale}"
    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in sorted(gen.raw_dir.iterdir()):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    h.update(REPORTS_CSV.read_bytes() + DIVISIONS_CSV.read_bytes())
    stamp = f"{h.hexdigest()} {scale}"
    stamp_file = folder.parent / f".x{scale}.stamp"
    expected = {v.file_name: v.expected_report_id for v in gen.variants(scale)}
    if not (stamp_file.exists() and stamp_file.read_text() == stamp and folder.is_dir()
            and len(list(folder.iterdir())) == len(expected) + 1):
        gen.write_corpus(folder, scale)
        stamp_file.write_text(stamp)
    return folder, expected


# ---------------------------------------------------------------------------------------------
# Children: one build, or the bare passes, in a fresh process
# ---------------------------------------------------------------------------------------------

def child_build(raw: Path, out: Path, jobs: int, result: Path, cache: bool) -> None:
    t0 = time.perf_counter()
    from lbgr.build.run import build

    t_import = time.perf_counter() - t0
    stats: dict = {}
    lines: list[str] = []
    kwargs = {} if cache else {"cache_dir": False}
    build_started_at = time.time()
    # Validation gets as many processes as the extraction, so that a jobs-1 build uses one core
    # throughout and the two-core speed-up compares like with like.
    rc = build(raw, out, jobs=jobs, echo=lines.append, stats=stats, validation_jobs=jobs, **kwargs)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.write_text(json.dumps({
        "rc": rc, "stats": stats, "import_seconds": t_import, "build_started_at": build_started_at,
        "build_call_seconds": time.perf_counter() - t0 - t_import,
        "maxrss_self_kib": own.ru_maxrss, "maxrss_workers_kib": kids.ru_maxrss,
        "cpu_seconds_self": own.ru_utime + own.ru_stime, "cpu_seconds_workers": kids.ru_utime + kids.ru_stime,
        "last_lines": lines[-5:],
    }, ensure_ascii=False))


def child_baseline(raw: Path, result: Path, repeat: int = 3, sample: int = 100) -> None:
    """The bare passes (read + decode; one compiled-regex scan), then the per-report pipeline on a
    sample of the files measured in CPU time (time.process_time, so other load on the machine
    does not inflate it), after the one-off set-up (stage modules, division index) is done."""
    from lbgr.ingest.decode import decode_file
    from lbgr.ingest.manifest import raw_files

    files = raw_files(raw)
    decode_times, scan_times = [], []
    texts: list[str] = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        texts = [decode_file(p.name, p.read_bytes()).text for p in files]
        decode_times.append(time.perf_counter() - t0)
    rx = re.compile(r"\d+")
    n = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        n = sum(len(rx.findall(t)) for t in texts)
        scan_times.append(time.perf_counter() - t0)

    from lbgr import stages
    from lbgr.package.tables import csv_rows
    from lbgr.parse.context import Context
    from lbgr.parse.report import process_text

    t0 = time.process_time()
    stages.register_all()
    ctx = Context(raw_dir=raw)
    _ = ctx.divisions, ctx.furniture_rules
    setup = time.process_time() - t0

    def one(name: str, text: str, cpu: dict[str, float]) -> None:
        t = time.process_time()
        res = process_text(text, name, "", ctx)
        cpu["normalise_structure"] = cpu.get("normalise_structure", 0.0) + time.process_time() - t
        rows = dict(res.tables)
        for stage_name, stage in stages.PER_REPORT_STAGES:
            t = time.process_time()
            rows.update(stage(res.doc, ctx))
            cpu[stage_name] = cpu.get(stage_name, 0.0) + time.process_time() - t
        for stage_name, stage in stages.DERIVED_STAGES:
            t = time.process_time()
            rows.update(stage(rows, ctx))
            cpu[stage_name] = cpu.get(stage_name, 0.0) + time.process_time() - t
        t = time.process_time()
        for table, table_rows in rows.items():
            csv_rows(table, table_rows)
        cpu["format_rows"] = cpu.get("format_rows", 0.0) + time.process_time() - t

    first: dict[str, float] = {}
    one(files[0].name, texts[0], first)  # the first report pays lazily built caches and regexes
    step = max(1, len(files) // sample)
    picked = list(range(0, len(files), step))[:sample]
    warm: dict[str, float] = {}
    for i in picked:
        one(files[i].name, texts[i], warm)
    result.write_text(json.dumps({
        "files": len(files), "chars": sum(map(len, texts)), "regex_matches": n,
        "read_decode_seconds": min(decode_times), "regex_scan_seconds": min(scan_times), "repeat": repeat,
        "setup_cpu_seconds": setup, "first_report_cpu_seconds": sum(first.values()),
        "warm_sample": len(picked), "warm_stage_cpu_seconds": warm,
        "warm_reports_per_cpu_second": len(picked) / sum(warm.values()) if sum(warm.values()) else None}))


# ---------------------------------------------------------------------------------------------
# Memory of a process tree, sampled from /proc
# ---------------------------------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def _rss_pss_kib(pid: int) -> tuple[int, int]:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            rss = int(fh.read().split()[1]) * _PAGE // 1024
        pss = 0
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1])
                        break
        except OSError:
            pss = rss
        return rss, pss
    except (OSError, ValueError, IndexError):
        return 0, 0


class TreeMemory(threading.Thread):
    """Peak of the summed RSS and PSS of a process and its descendants, sampled at most every ``interval`` s.

    RSS counts pages shared by forked workers once per process; PSS shares them out, so the PSS
    sum is the tree's real footprint."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kib = self.peak_pss_kib = self.max_procs = 0
        self.samples: list[tuple[float, int]] = []  # (time.time(), summed PSS in KiB)
        self.stop = threading.Event()
        self.available = os.path.isdir("/proc")

    # Reading smaps_rollup walks a process's page tables (about 10 ms for 800 MB), CPU that the
    # build's workers would otherwise have: a sample waits at least this many times as long as
    # the last one took, so that sampling costs at most ~2% of one core.
    WAIT_FACTOR = 50

    def run(self) -> None:
        while self.available and not self.stop.is_set():
            t0 = time.perf_counter()
            pids = _tree(self.pid)
            rss = pss = 0
            for pid in pids:
                r, p = _rss_pss_kib(pid)
                rss, pss = rss + r, pss + p
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.samples.append((time.time(), pss))
            self.max_procs = max(self.max_procs, len(pids))
            self.stop.wait(max(self.interval, self.WAIT_FACTOR * (time.perf_counter() - t0)))


def run_child(args: list[str], result: Path) -> tuple[dict, dict]:
    """Run this script as a child with ``args``; (its JSON result, wall time and sampled memory)."""
    if result.exists():
        result.unlink()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args, str(result)], cwd=ROOT)
    mon = TreeMemory(proc.pid)
    mon.start()
    rc = proc.wait()
    wall = time.perf_counter() - t0
    mon.stop.set()
    mon.join()
    if rc != 0 or not result.exists():
        raise SystemExit(f"benchmark child {' '.join(args)} failed with status {rc}")
    return json.loads(result.read_text()), {
        "process_wall_seconds": wall, "tree_peak_rss_kib": mon.peak_rss_kib, "tree_peak_pss_kib": mon.peak_pss_kib,
        "tree_max_processes": mon.max_procs, "sampled": mon.available, "samples": mon.samples}


# Consecutive phases of a build (validation's two layers overlap, so it is one phase here).
PHASES = ["process", "dedupe", "package_stages_and_write", "validate_total", "install"]


def memory_by_phase(started_at: float | None, wall: dict, samples: list[tuple[float, int]]) -> dict[str, float]:
    """Peak tree PSS (MiB) within each phase of the build, from the phase durations in ``stats``."""
    if not started_at or not samples:
        return {}
    out: dict[str, float] = {}
    t = started_at
    for phase in PHASES:
        if phase not in wall:
            continue
        end = t + wall[phase]
        inside = [kib for when, kib in samples if t <= when <= end]
        if inside:
            out[phase] = mib(max(inside))
        t = end
    return out


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def mib(kib: float) -> float:
    return kib / 1024


def fit_exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x (1 = linear growth)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


def check_outcome(out: Path, expected: dict[str, str]) -> dict:
    report_path = out / "build_report.json"
    if not report_path.exists():
        return {"accepted": 0, "rejected": len(expected), "id_mismatches": len(expected), "examples": ["no package"]}
    report = json.loads(report_path.read_text(encoding="utf-8"))
    rejected = [f for f in report["files"] if f["verdict"] == "rejected"]
    mismatched = [f for f in report["files"] if f["verdict"] != "rejected"
                  and f["report_id"] != expected.get(f["source_file"])]
    examples = [f"{f['source_file']}: rejected: {'; '.join(f['reasons'])[:160]}" for f in rejected[:3]]
    examples += [f"{f['source_file']}: ID {f['report_id']} instead of {expected.get(f['source_file'])}"
                 for f in mismatched[:3]]
    ids = [f["report_id"] for f in report["files"] if f["report_id"]]
    return {"accepted": report["accepted"], "rejected": report["rejected"], "id_mismatches": len(mismatched),
            "distinct_ids": len(set(ids)), "examples": examples}


def bench_scale(scale: int, jobs_list: list[int], gen: VariantGenerator, keep: bool, log) -> dict:
    t0 = time.perf_counter()
    folder, expected = corpus(scale, gen)
    log(f"\n== {scale}× : {len(expected)} files in {folder.relative_to(ROOT)} (ready in {time.perf_counter() - t0:.1f} s)")
    work = BENCH / "work"
    work.mkdir(parents=True, exist_ok=True)
    base, _ = run_child(["--child-baseline", str(folder)], work / "baseline.json")
    log(f"   bare passes (best of {base['repeat']}): read+decode {base['read_decode_seconds']:.3f} s, "
        f"re.compile(r'\\d+').findall {base['regex_scan_seconds']:.4f} s over {base['chars']:,} characters")
    log(f"   per-report pipeline in CPU time: one-off set-up {base['setup_cpu_seconds']:.2f} s, first report "
        f"{base['first_report_cpu_seconds']:.2f} s, then {fmt(base['warm_reports_per_cpu_second'], '.1f')} reports per CPU "
        f"second (warm, {base['warm_sample']} files)")
    runs = {}
    for jobs in jobs_list:
        out = BENCH / "out" / f"x{scale}-j{jobs}" / "package"
        if out.parent.exists():
            shutil.rmtree(out.parent)
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        res, mem = run_child(["--child-build", str(folder), str(out), str(jobs)], work / "build.json")
        load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        outcome = check_outcome(out, expected)
        phase_peaks = memory_by_phase(res.get("build_started_at"), res["stats"].get("wall_seconds", {}),
                                      mem.pop("samples", []))
        if not keep:
            shutil.rmtree(out.parent, ignore_errors=True)
        st = res["stats"]
        total = st["wall_seconds"].get("total") or res["build_call_seconds"]
        run = {"jobs": jobs, "rc": res["rc"], "stats": st, "memory": mem, "outcome": outcome,
               "load_average_1min": [load_before, load_after], "peak_pss_mib_by_phase": phase_peaks,
               "import_seconds": res["import_seconds"], "build_call_seconds": res["build_call_seconds"],
               "maxrss_self_mib": mib(res["maxrss_self_kib"]), "maxrss_workers_mib": mib(res["maxrss_workers_kib"]),
               "cpu_seconds": res["cpu_seconds_self"] + res["cpu_seconds_workers"],
               "total_seconds": total, "reports_per_second": len(expected) / total,
               "mb_per_second": st.get("bytes_in", 0) / 1e6 / total,
               "ratio_to_read_decode": total / base["read_decode_seconds"] if base["read_decode_seconds"] else None,
               "ratio_to_regex_scan": total / base["regex_scan_seconds"] if base["regex_scan_seconds"] else None}
        cpu = st.get("stage_cpu_seconds", {})
        per_report = sum(cpu.values())
        extraction = sum(v for k, v in cpu.items() if k not in ("read_decode", "normalise_structure"))
        run["per_report_cpu_seconds"] = per_report
        run["throughput_per_core_all_stages"] = len(expected) / per_report if per_report else None
        run["throughput_per_core_extraction_only"] = len(expected) / extraction if extraction else None
        runs[jobs] = run
        w = st["wall_seconds"]
        log(f"   jobs {jobs}: status {res['rc']}, {total:.2f} s ({run['reports_per_second']:.1f} reports/s, "
            f"{run['mb_per_second']:.3f} MB/s); process {w.get('process', 0):.2f}, write {w.get('package_stages_and_write', 0):.2f}, "
            f"validation {validation_seconds(w):.2f} (of which pandera+rules shards {w.get('validate_pandera_rules', 0):.2f}) s; "
            f"peak RSS {max(run['maxrss_self_mib'], run['maxrss_workers_mib']):.0f} MiB (largest process), "
            f"tree PSS {mib(mem['tree_peak_pss_kib']):.0f} MiB; CPU {run['cpu_seconds']:.1f} s; "
            f"load {fmt(load_before, '.1f')}→{fmt(load_after, '.1f')}; accepted {outcome['accepted']}/{len(expected)}"
            + (f", ID mismatches {outcome['id_mismatches']}" if outcome["id_mismatches"] else ""))
        if phase_peaks:
            log("      peak tree PSS by phase: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in phase_peaks.items()))
        for e in outcome["examples"]:
            log(f"      ! {e}")
    return {"scale": scale, "files": len(expected), "bytes_in": sum((folder / f).stat().st_size for f in expected),
            "baseline": base, "runs": runs}


def bench_rebuild(keep: bool, log) -> dict:
    """Build data/raw into a copy of the repository's package twice (result cache on); time the second.
    Then drop the up-to-date stamp and build again: every file comes from the result cache."""
    where = BENCH / "rebuild"
    if where.exists():
        shutil.rmtree(where)
    pkg = where / "package"
    pkg.mkdir(parents=True)
    for rel in ("datapackage.json", "build_report.json"):
        if (ROOT / rel).exists():
            shutil.copy2(ROOT / rel, pkg / rel)
    for rel in ("data", "schemas"):
        shutil.copytree(ROOT / rel, pkg / rel, ignore=shutil.ignore_patterns("__pycache__"))
    work = BENCH / "work"
    work.mkdir(parents=True, exist_ok=True)
    out = {}
    for label in ("first", "second", "cached_files"):
        if label == "cached_files":
            stamp = where / f".{pkg.name}.lbgr-cache" / "stamp"
            if stamp.exists():
                stamp.unlink()
        res, mem = run_child(["--child-build-cached", str(RAW), str(pkg), "1"], work / "rebuild.json")
        mem.pop("samples", None)
        st = res["stats"]
        out[label] = {"rc": res["rc"], "build_seconds": st["wall_seconds"].get("total"),
                      "up_to_date": bool(st.get("up_to_date")), "import_seconds": res["import_seconds"],
                      "process_wall_seconds": mem["process_wall_seconds"], "wall_seconds": st["wall_seconds"],
                      "maxrss_mib": mib(res["maxrss_self_kib"])}
        log(f"   {label:<12} build {out[label]['build_seconds']:.2f} s (fast path: {out[label]['up_to_date']}), "
            f"whole process {mem['process_wall_seconds']:.2f} s (import of lbgr.build.run {res['import_seconds']:.2f} s)")
    if not keep:
        shutil.rmtree(where, ignore_errors=True)
    return out


def bench_add_one(scale: int, jobs: int, gen: VariantGenerator, keep: bool, log) -> dict:
    """Build the corpus of ``scale`` with the result cache on, add one new report (a variant not
    in the corpus) and build again: what a researcher waits for after adding a report. Then a
    build that finds nothing changed."""
    folder, expected = corpus(scale, gen)
    where = BENCH / "add"
    if where.exists():
        shutil.rmtree(where)
    raw, pkg = where / "raw", where / "package"
    shutil.copytree(folder, raw)
    work = BENCH / "work"
    work.mkdir(parents=True, exist_ok=True)
    new = gen.variant(0, scale)  # variant numbers 0 … scale-1 make the corpus
    out = {"scale": scale, "files": len(expected), "jobs": jobs, "added": new.file_name}
    for label in ("first", "added", "unchanged"):
        if label == "added":
            (raw / new.file_name).write_text(new.text, encoding="utf-8")
        res, mem = run_child(["--child-build-cached", str(raw), str(pkg), str(jobs)], work / "add.json")
        mem.pop("samples", None)
        st = res["stats"]
        w = st["wall_seconds"]
        out[label] = {"rc": res["rc"], "build_seconds": w.get("total"), "process_wall_seconds": mem["process_wall_seconds"],
                      "processed": st.get("processed"), "from_cache": st.get("from_cache"), "wall_seconds": w,
                      "write_seconds": st.get("write_seconds"), "validation_pieces": st.get("validation_pieces"),
                      "tree_peak_pss_mib": mib(mem["tree_peak_pss_kib"])}
        pieces = st.get("validation_pieces") or {}
        log(f"   {label:<9} whole process {mem['process_wall_seconds']:.1f} s: "
            + (f"processed {st.get('processed')} files ({st.get('from_cache')} from the cache) in {w.get('process', 0):.1f} s, "
               f"write {w.get('package_stages_and_write', 0):.1f} s, validation {validation_seconds(w):.1f} s "
               f"(cached: {pieces.get('ranges_cached', 0)}/{pieces.get('ranges', 0)} frictionless ranges, "
               f"{pieces.get('groups_cached', 0)}/{pieces.get('groups', 0)} report groups)"
               if not st.get("up_to_date") else "up to date, nothing rebuilt"))
    if not keep:
        shutil.rmtree(where, ignore_errors=True)
    return out


def summarise(scales: list[dict], rebuild: dict | None, jobs_list: list[int]) -> dict:
    base_jobs = min(jobs_list)
    series = [(s["files"], s["runs"][base_jobs]) for s in scales if base_jobs in s["runs"]]
    summary: dict = {"series_jobs": base_jobs}
    if len(series) >= 2:
        ns = [n for n, _ in series]
        summary["growth_exponent_total"] = fit_exponent(ns, [r["total_seconds"] for _, r in series])
        summary["growth_exponent_last_two"] = fit_exponent(ns[-2:], [r["total_seconds"] for _, r in series[-2:]])
        per_stage = {}
        keys = set().union(*(r["stats"]["wall_seconds"] for _, r in series)) - {"total"}
        for k in sorted(keys):
            ys = [r["stats"]["wall_seconds"].get(k, 0) for _, r in series]
            per_stage[f"wall:{k}"] = fit_exponent(ns, ys)
        for k in sorted(set().union(*(r["stats"].get("stage_cpu_seconds", {}) for _, r in series))):
            ys = [r["stats"]["stage_cpu_seconds"].get(k, 0) for _, r in series]
            per_stage[f"cpu:{k}"] = fit_exponent(ns, ys)
        summary["growth_exponent_by_stage"] = per_stage
    summary["per_report_ms"] = {n: 1000 * r["total_seconds"] / n for n, r in series}
    speedups = {}
    for s in scales:
        r = s["runs"]
        if 1 in r and 2 in r:
            speedups[s["scale"]] = {
                "total": r[1]["total_seconds"] / r[2]["total_seconds"],
                "process": r[1]["stats"]["wall_seconds"]["process"] / r[2]["stats"]["wall_seconds"]["process"]}
    summary["two_core_speedup"] = speedups
    largest = series[-1][1] if series else None
    summary["throughput_per_core_all_stages"] = largest["throughput_per_core_all_stages"] if largest else None
    summary["throughput_per_core_extraction_only"] = largest["throughput_per_core_extraction_only"] if largest else None
    summary["throughput_per_cpu_second_warm"] = scales[-1]["baseline"]["warm_reports_per_cpu_second"] if scales else None
    summary["one_off_setup_cpu_seconds"] = scales[-1]["baseline"]["setup_cpu_seconds"] if scales else None
    thousand = next((s for s in scales if s["scale"] == 1000), None)
    if thousand:
        summary["peak_memory_1000x_mib"] = max(max(mib(r["memory"]["tree_peak_pss_kib"]), r["maxrss_self_mib"])
                                              for r in thousand["runs"].values())
        summary["validation_1000x_s"], summary["validation_1000x_jobs"] = min(
            (validation_seconds(r["stats"]["wall_seconds"]), r["jobs"]) for r in thousand["runs"].values())
    elif len(series) >= 2 and max(s["scale"] for s in scales if base_jobs in s["runs"]) >= 100:
        # Not run: a straight line through the two largest scales (their marginal cost per file).
        (n1, r1), (n2, r2) = series[-2], series[-1]
        target_n = 1000 * n2 // next(s["scale"] for s in scales if s["files"] == n2)

        def line(y1: float, y2: float) -> float:
            return y2 + (y2 - y1) / (n2 - n1) * (target_n - n2)

        w1, w2 = r1["stats"]["wall_seconds"], r2["stats"]["wall_seconds"]
        val = validation_seconds
        summary["extrapolated_1000x"] = {
            "files": target_n, "from_files": [n1, n2],
            "total_s": line(r1["total_seconds"], r2["total_seconds"]),
            **{f"{k}_s": line(w1.get(k, 0), w2.get(k, 0)) for k in PHASES},
            "validation_s": line(val(w1), val(w2)),
            "peak_memory_mib": line(mib(r1["memory"]["tree_peak_pss_kib"]), mib(r2["memory"]["tree_peak_pss_kib"]))}
    if rebuild:
        summary["no_change_rebuild_s"] = rebuild["second"]["build_seconds"]
        summary["no_change_rebuild_process_s"] = rebuild["second"]["process_wall_seconds"]
    return summary


def validation_seconds(wall: dict) -> float:
    """Wall time of validation: its two layers overlap (they share the worker processes), so
    the sum of their times would count the shared time twice."""
    return wall.get("validate_total", 0.0)


def fmt(x, spec=".2f", none="—") -> str:
    return none if x is None else format(x, spec)


def print_tables(scales: list[dict], rebuild: dict | None, summary: dict, log) -> None:
    log("\n" + "=" * 100)
    log("BENCHMARK RESULTS")
    log("Corpus: k variants of each real report (variant 0 = the real file; variant i ≥ 1: place name → another "
        "division of the same level and suffix, reported year and the next → another year in 2016–2025, counts + 1…9); "
        "no two files share a place and year. Each build runs in a fresh process with the result cache off.")
    log("Peak memory: 'largest process' = max ru_maxrss (getrusage) of the build process and of its workers; "
        "'tree PSS' = peak of the summed PSS of the build process and its workers, sampled every 0.1 s, or less "
        "often where a sample takes longer than 2 ms (at most ~2% of one core) "
        "(shared pages counted once).")
    head = (f"{'scale':>6} {'files':>6} {'MB':>6} {'jobs':>4} {'total s':>8} {'rep/s':>7} {'MB/s':>6} "
            f"{'maxRSS':>7} {'treePSS':>7} {'process':>8} {'dedupe':>7} {'write':>7} {'valid.':>7} {'val.pd':>7} "
            f"{'install':>7} {'×decode':>8} {'×regex':>8} {'CPU s':>7} {'load':>4} {'ok':>5}")
    log("\n" + head + "\n" + "-" * len(head))
    for s in scales:
        for jobs, r in sorted(s["runs"].items()):
            w = r["stats"]["wall_seconds"]
            log(f"{s['scale']:>5}× {s['files']:>6} {s['bytes_in'] / 1e6:>6.2f} {jobs:>4} {r['total_seconds']:>8.2f} "
                f"{r['reports_per_second']:>7.1f} {r['mb_per_second']:>6.3f} "
                f"{max(r['maxrss_self_mib'], r['maxrss_workers_mib']):>6.0f}M {mib(r['memory']['tree_peak_pss_kib']):>6.0f}M "
                f"{w.get('process', 0):>8.2f} {w.get('dedupe', 0):>7.2f} {w.get('package_stages_and_write', 0):>7.2f} "
                f"{validation_seconds(w):>7.2f} {w.get('validate_pandera_rules', 0):>7.2f} "
                f"{w.get('install', 0):>7.2f} {fmt(r['ratio_to_read_decode'], '>8.0f')} {fmt(r['ratio_to_regex_scan'], '>8.0f')} "
                f"{r['cpu_seconds']:>7.1f} {fmt(r['load_average_1min'][0], '>4.1f')} {r['outcome']['accepted']:>5}")
    stage_names: list[str] = []
    for s in scales:
        for r in s["runs"].values():
            for k in r["stats"].get("stage_cpu_seconds", {}):
                if k not in stage_names:
                    stage_names.append(k)
    log("\nPer-report stages: milliseconds per report (the build's per-report stage times summed over reports ÷ reports; "
        "the last rows: warm, in CPU time, on a sample)")
    head = f"{'scale':>6} {'jobs':>4} " + " ".join(f"{k[:13]:>13}" for k in stage_names) + f" {'sum':>8} {'rep/s/core':>10}"
    log(head + "\n" + "-" * len(head))
    for s in scales:
        for jobs, r in sorted(s["runs"].items()):
            cpu = r["stats"].get("stage_cpu_seconds", {})
            log(f"{s['scale']:>5}× {jobs:>4} " + " ".join(f"{1000 * cpu.get(k, 0) / s['files']:>13.2f}" for k in stage_names)
                + f" {1000 * r['per_report_cpu_seconds'] / s['files']:>8.2f} {fmt(r['throughput_per_core_all_stages'], '>10.1f')}")
    for s in scales:
        b = s["baseline"]
        cpu, n = b["warm_stage_cpu_seconds"], b["warm_sample"]
        log(f"{s['scale']:>5}× {'cpu':>4} " + " ".join(f"{1000 * cpu.get(k, 0) / n:>13.2f}" for k in stage_names)
            + f" {1000 * sum(cpu.values()) / n:>8.2f} {fmt(b['warm_reports_per_cpu_second'], '>10.1f')}")
    if scales:
        b = scales[-1]["baseline"]
        log(f"One-off costs per process: set-up {b['setup_cpu_seconds']:.2f} s CPU (stage modules, division index, "
            f"furniture rules), first report {b['first_report_cpu_seconds']:.2f} s CPU")
    log("\nGrowth (jobs {}): milliseconds of whole build per report: ".format(summary["series_jobs"])
        + ", ".join(f"{n} files {ms:.1f}" for n, ms in summary["per_report_ms"].items()))
    if summary.get("growth_exponent_total") is not None:
        log(f"  fitted exponent of total time vs files: {summary['growth_exponent_total']:.2f} over all scales, "
            f"{fmt(summary['growth_exponent_last_two'])} between the two largest (1 = linear; < 1 while fixed costs dominate)")
        log("  by stage: " + ", ".join(f"{k} {fmt(v)}" for k, v in summary["growth_exponent_by_stage"].items()))
    for scale, sp in summary["two_core_speedup"].items():
        log(f"Two cores at {scale}×: whole build {sp['total']:.2f}× faster, per-report processing {sp['process']:.2f}× faster")
    if rebuild:
        r2 = rebuild["second"]
        log(f"No-change rebuild of the real package: build() {r2['build_seconds']:.2f} s, whole process "
            f"{r2['process_wall_seconds']:.2f} s (fast path {r2['up_to_date']}); with the stamp removed (every file "
            f"from the result cache): build() {rebuild['cached_files']['build_seconds']:.2f} s")

    ex = summary.get("extrapolated_1000x")
    if ex:
        log(f"1000× not run; a straight line through {ex['from_files'][0]} and {ex['from_files'][1]} files gives for "
            f"{ex['files']} files: total ≈ {ex['total_s']:.0f} s (process {ex['process_s']:.0f}, write "
            f"{ex['package_stages_and_write_s']:.0f}, validation {ex['validate_total_s']:.0f}), peak tree PSS ≈ {ex['peak_memory_mib']:.0f} MiB")
    log("\nTargets (printed, not asserted)")
    rows = [
        ("extraction throughput per core (all per-report stages, largest jobs-1 scale)",
         f"≥ {TARGETS['extraction_reports_per_s_per_core']:.0f} reports/s",
         f"{fmt(summary.get('throughput_per_core_all_stages'), '.1f')} reports/s "
         f"(extraction stages only, without decode and normalise/structure: {fmt(summary.get('throughput_per_core_extraction_only'), '.1f')}; "
         f"warm, in CPU time: {fmt(summary.get('throughput_per_cpu_second_warm'), '.1f')})"),
        ("growth 1× → 1000× (exponent of time vs size)", "≈ 1 (linear)",
         f"{fmt(summary.get('growth_exponent_total'))} all scales, {fmt(summary.get('growth_exponent_last_two'))} largest two"),
        ("two cores (jobs 1 / jobs 2, largest scale with both)", "≈ 2×",
         (lambda sp: f"{sp['total']:.2f}× whole build, {sp['process']:.2f}× processing" if sp else "not run")(
             summary["two_core_speedup"][max(summary["two_core_speedup"])] if summary["two_core_speedup"] else None)),
        ("peak memory of the 1000× build", "< 1024 MiB",
         f"{fmt(summary.get('peak_memory_1000x_mib'), '.0f')} MiB" if "peak_memory_1000x_mib" in summary
         else f"not run (extrapolated ≈ {ex['peak_memory_mib']:.0f} MiB)" if ex else "not run"),
        ("validation of the 1000× package (frictionless + pandera and rules)", "≤ 60 s",
         f"{fmt(summary.get('validation_1000x_s'), '.1f')} s with {summary.get('validation_1000x_jobs')} job(s)"
         if "validation_1000x_s" in summary
         else f"not run (extrapolated ≈ {ex['validation_s']:.0f} s)" if ex else "not run"),
        ("no-change rebuild of the real package", "≤ 3 s",
         f"{fmt(summary.get('no_change_rebuild_s'))} s in build(), {fmt(summary.get('no_change_rebuild_process_s'))} s "
         "whole process" if "no_change_rebuild_s" in summary else "not run"),
    ]
    w0 = max(len(r[0]) for r in rows)
    for name, target, measured in rows:
        log(f"  {name:<{w0}}  {target:<20} {measured}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("--child-build", "--child-build-cached"):
        _, raw, out, jobs, result = argv
        child_build(Path(raw), Path(out), int(jobs), Path(result), cache=argv[0] == "--child-build-cached")
        return 0
    if argv and argv[0] == "--child-baseline":
        child_baseline(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 10, 100, 1000],
                        help="corpus sizes as multiples of data/raw (default: 1 10 100 1000)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2],
                        help="worker processes; every scale is built with each (default: 1 2)")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the no-change rebuild of the real package")
    parser.add_argument("--no-add-one", action="store_true",
                        help="skip adding one report to the largest corpus (built again with the cache on)")
    parser.add_argument("--keep", action="store_true", help="keep the built packages under .bench/out")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the figures")
    args = parser.parse_args(argv)

    def log(msg: str = "") -> None:
        print(msg, flush=True)

    BENCH.mkdir(exist_ok=True)
    gen = VariantGenerator()
    cap = gen.capacity()
    too_big = [s for s in args.scales if s > cap]
    if too_big:
        parser.error(f"scales {too_big} exceed the {cap} distinct variants per report the reference allows")
    log(f"benchmark: {len(gen.sources)} real reports, scales {args.scales}, jobs {args.jobs}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}")
    t0 = time.perf_counter()
    scales = [bench_scale(k, sorted(set(args.jobs)), gen, args.keep, log) for k in sorted(set(args.scales))]
    rebuild = None
    if not args.no_rebuild:
        log("\n== no-change rebuild of the real package (data/raw into a copy of the repository's package)")
        rebuild = bench_rebuild(args.keep, log)
    add_one = None
    if not args.no_add_one and max(args.scales) < cap:  # the added report must be one more distinct variant
        largest, jobs = max(args.scales), max(args.jobs)
        log(f"\n== adding one report to the {largest}× corpus (result cache on, {jobs} jobs)")
        add_one = bench_add_one(largest, jobs, gen, args.keep, log)
    summary = summarise(scales, rebuild, sorted(set(args.jobs)))
    print_tables(scales, rebuild, summary, log)
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(),
              "cores": os.cpu_count(), "machine": platform.machine(), "scales": scales, "rebuild": rebuild, "add_one": add_one,
              "summary": summary, "targets": TARGETS, "bench_seconds": time.perf_counter() - t0,
              "method": VariantGenerator.__doc__}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    log(f"\nfigures written to {args.json} ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
