"""Benchmark of the build (``nox -s bench``): the targets of issue 16, measured.

    nox -s bench                                  # year-sized corpus (600×), rebuilds, theme edit
    nox -s bench -- --scales 6 60 600 --jobs 1 2  # growth and the two-core speed-up
    nox -s bench -- --scales 6000 --jobs 2        # decade-sized corpus (about 30,000 reports)

It builds corpora of k × the raw reports out of distinct *variants* of the real reports in
data/raw (``VariantGenerator``), each in a fresh process with the result cache off, and prints
throughput (reports/s, per core for the extraction), the time of every stage, the peak memory of
all processes (summed PSS), the growth of the cost with the corpus, the two-core speed-up and the
ratio to a bare read-and-decode pass; then a no-change rebuild of the real package, and, on the
year-sized corpus built with the cache on, a rebuild after one theme keyword is added (which steps
ran, and how long it took). It asserts nothing: the targets are printed beside the figures, which
also go to .bench/results.json. Everything it writes stays under .bench/ (gitignored).
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
CODEBOOKS = ROOT / "data" / "codebooks"
BENCH = ROOT / ".bench"
YEARS = list(range(2016, 2026))
MANIFEST_FIELDS = ["source_file", "source_sha256", "source_bytes", "source_url", "retrieved_date", "notes"]

TARGETS = {  # issue 16
    "year_sized_build_s": 60.0,  # about 3,000 reports (600×), build and validation
    "decade_sized_build_s": 600.0,  # about 30,000 reports (6,000×)
    "decade_sized_peak_memory_mib": 1536.0,  # all processes
    "no_change_rebuild_s": 3.0,  # the real package, whole process
    "theme_edit_rebuild_s": 20.0,  # the year-sized corpus, one theme keyword added: themes only
}

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

    With ``wide``, every report draws its places from one pool of every level and suffix (the
    decade-sized corpus needs more distinct places and years than the same-level pools hold).

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

    def __init__(self, raw_dir: Path = RAW, reports_csv: Path = REPORTS_CSV, divisions_csv: Path = DIVISIONS_CSV,
                 wide: bool = False):
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
        if wide:
            # A corpus larger than the same-level pools allow (the decade-sized one): every report
            # takes turns in one pool of the places of every level and suffix.
            everyone = sorted((d for d in divisions if d["division_level"] in ("province", "prefecture", "county")
                               and name_count[d["name"]] == 1 and d["name"] not in taken and len(d["name"]) >= 3
                               and not any(d["name"][:-1] in s.text for s in self.sources)),
                              key=lambda d: _stable(d["division_code"]))
            self.pools = {key: everyone for key in self.pools}
            for s in self.sources:
                object.__setattr__(s, "pool_key", next(iter(self.pools)))
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


def corpus(scale: int, wide: bool = False) -> tuple[Path, dict[str, str]]:
    """The corpus folder of a scale under .bench/corpus (reused while its inputs are unchanged)
    and the expected report ID of every file."""
    gen = VariantGenerator(wide=wide)
    folder = BENCH / "corpus" / f"x{scale}"
    h = hashlib.sha256(Path(__file__).read_bytes())
    for p in sorted(gen.raw_dir.iterdir()):
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    h.update(REPORTS_CSV.read_bytes() + DIVISIONS_CSV.read_bytes())
    stamp = f"{h.hexdigest()} {scale} {wide}"
    stamp_file = folder.parent / f".x{scale}.stamp"
    expected = {v.file_name: v.expected_report_id for v in gen.variants(scale)}
    if not (stamp_file.exists() and stamp_file.read_text() == stamp and folder.is_dir()
            and len(list(folder.iterdir())) == len(expected) + 1):
        gen.write_corpus(folder, scale)
        stamp_file.write_text(stamp)
    return folder, expected


# ---------------------------------------------------------------------------------------------
# Children: one build, or the bare read-and-decode pass, in a fresh process
# ---------------------------------------------------------------------------------------------

def child_build(raw: Path, out: Path, jobs: int, result: Path, cache: bool, codebooks: str) -> None:
    t0 = time.perf_counter()
    from lbgr.build.run import build

    t_import = time.perf_counter() - t0
    stats: dict = {}
    lines: list[str] = []
    kwargs = {} if cache else {"cache_dir": False}
    if codebooks != "-":
        kwargs["codebooks"] = Path(codebooks)
    started = time.time()
    rc = build(raw, out, jobs=jobs, echo=lines.append, stats=stats, **kwargs)
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result.write_text(json.dumps({
        "rc": rc, "stats": stats, "import_seconds": t_import, "build_started_at": started,
        "cpu_seconds": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime, "last_lines": lines[-5:],
    }, ensure_ascii=False))


def child_read_decode(raw: Path, result: Path) -> None:
    from lbgr.ingest.decode import decode_file
    from lbgr.ingest.manifest import raw_files

    t0 = time.perf_counter()
    chars = sum(len(decode_file(p.name, p.read_bytes()).text) for p in raw_files(raw))
    result.write_text(json.dumps({"seconds": time.perf_counter() - t0, "chars": chars}))


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
    """Run this script as a child with ``args``; (its JSON result, wall time and peak memory)."""
    result.parent.mkdir(parents=True, exist_ok=True)
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
    return json.loads(result.read_text()), {"process_wall_seconds": wall, "peak_pss_mib": mon.peak_pss_kib / 1024,
                                            "samples": mon.samples}


PHASES = ["process", "dedupe", "package_stages_and_write", "validate_total", "install"]


def peaks_by_phase(started: float | None, wall: dict, samples: list[tuple[float, int]]) -> dict[str, float]:
    """Peak memory (MiB, all processes) within each phase of a build, from the phases' durations."""
    out, t = {}, started or 0.0
    for phase in PHASES:
        if started and phase in wall:
            inside = [kib for when, kib in samples if t <= when <= t + wall[phase]]
            if inside:
                out[phase] = max(inside) / 1024
            t += wall[phase]
    return out


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------

def fit_exponent(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x (1 = linear growth)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    if len(pts) < 2:
        return None
    mx, my = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    den = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / den if den else None


EXTRACTION = ("citations", "policy_terms", "themes", "compliance", "measures", "report_indicators")


def bench_scale(scale: int, jobs_list: list[int], log) -> dict:
    wide = scale > VariantGenerator().capacity()
    t0 = time.perf_counter()
    folder, expected = corpus(scale, wide)
    n = len(expected)
    log(f"\n== {scale}×: {n} files (corpus ready in {time.perf_counter() - t0:.0f} s{', places of every level' if wide else ''})")
    bare, _ = run_child(["--child-read-decode", str(folder)], BENCH / "work" / "bare.json")
    log(f"   bare read and decode: {bare['seconds']:.1f} s")
    runs = {}
    for jobs in jobs_list:
        out = BENCH / "out" / f"x{scale}-j{jobs}"
        shutil.rmtree(out, ignore_errors=True)
        res, mem = run_child(["--child-build", str(folder), str(out / "package"), str(jobs), "-"], BENCH / "work" / "build.json")
        st = res["stats"]
        w = st.get("wall_seconds", {})
        cpu = st.get("stage_cpu_seconds", {})
        report = json.loads((out / "package" / "build_report.json").read_text(encoding="utf-8"))
        shutil.rmtree(out, ignore_errors=True)
        extraction_cpu = sum(cpu.get(k, 0.0) for k in EXTRACTION)
        phases = peaks_by_phase(res.get("build_started_at"), w, mem.pop("samples", []))
        run = {"jobs": jobs, "rc": res["rc"], "files": n, "accepted": report["accepted"],
               "seconds": mem["process_wall_seconds"], "build_seconds": w.get("total"),
               "process_s": w.get("process"), "write_s": w.get("package_stages_and_write"),
               "validate_s": w.get("validate_total"), "peak_pss_mib": mem["peak_pss_mib"], "peak_mib_by_phase": phases,
               "cpu_seconds": res["cpu_seconds"], "stage_cpu_seconds": cpu,
               "reports_per_s": n / mem["process_wall_seconds"],
               "extraction_reports_per_s_per_core": n / extraction_cpu if extraction_cpu else None,
               "all_stages_reports_per_s_per_core": n / sum(cpu.values()) if cpu else None,
               "ratio_to_read_decode": mem["process_wall_seconds"] / bare["seconds"] if bare["seconds"] else None}
        runs[jobs] = run
        log(f"   jobs {jobs}: status {res['rc']}, {run['seconds']:.1f} s in all ({run['reports_per_s']:.0f} reports/s; "
            f"process {run['process_s']:.1f}, write {run['write_s']:.1f}, validate {run['validate_s']:.1f} s), "
            f"peak memory {run['peak_pss_mib']:.0f} MiB, accepted {report['accepted']}/{n}, "
            f"extraction {run['extraction_reports_per_s_per_core']:.0f} reports/s per core, "
            f"{run['ratio_to_read_decode']:.0f}× the bare read and decode")
        log("      peak memory by phase: " + ", ".join(f"{k} {v:.0f} MiB" for k, v in phases.items()))
        log("      stage CPU seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(cpu.items(), key=lambda kv: -kv[1])))
    return {"scale": scale, "files": n, "wide": wide, "bare_read_decode_s": bare["seconds"], "runs": runs}


def bench_rebuild(log) -> dict:
    """A no-change rebuild of the real package: data/raw built twice into a copy of the
    repository's package (cache on); the second build, as a whole process."""
    where = BENCH / "rebuild"
    shutil.rmtree(where, ignore_errors=True)
    pkg = where / "package"
    pkg.mkdir(parents=True)
    for rel in ("datapackage.json", "build_report.json"):
        shutil.copy2(ROOT / rel, pkg / rel)
    for rel in ("data", "schemas"):
        shutil.copytree(ROOT / rel, pkg / rel)
    out = {}
    for label in ("first", "no_change"):
        res, mem = run_child(["--child-build-cached", str(RAW), str(pkg), "1", "-"], BENCH / "work" / "rebuild.json")
        out[label] = {"rc": res["rc"], "seconds": mem["process_wall_seconds"], "up_to_date": bool(res["stats"].get("up_to_date"))}
        log(f"   {label:<10} {mem['process_wall_seconds']:.2f} s as a whole process (up to date: {out[label]['up_to_date']})")
    shutil.rmtree(where, ignore_errors=True)
    return out


def bench_theme_edit(scale: int, jobs: int, log) -> dict:
    """The corpus of ``scale`` built with the cache on, then built again after one theme keyword
    is added to a copy of the codebooks: which steps ran, and the time of that rebuild."""
    folder, expected = corpus(scale, scale > VariantGenerator().capacity())
    where = BENCH / "theme_edit"
    shutil.rmtree(where, ignore_errors=True)
    codebooks = where / "codebooks"
    shutil.copytree(CODEBOOKS, codebooks)
    out = {"scale": scale, "files": len(expected), "jobs": jobs}
    for label in ("first", "theme_edit"):
        if label == "theme_edit":
            path = codebooks / "theme_keywords.csv"
            with open(path, encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            # A word the reports use and the codebook lacks, so that the coding (and what
            # validation must check again) changes: an edit that changes no row would flatter it.
            rows.append({**rows[0], "keyword": "信用", "pattern": "", "notes": "benchmark: one keyword added"})
            with open(path, "w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
                writer.writeheader()
                writer.writerows(rows)
        res, mem = run_child(["--child-build-cached", str(folder), str(where / "package"), str(jobs), str(codebooks)],
                             BENCH / "work" / "theme.json")
        st = res["stats"]
        w = st.get("wall_seconds", {})
        out[label] = {"rc": res["rc"], "seconds": mem["process_wall_seconds"], "steps_run": st.get("steps_run"),
                      "process_s": w.get("process"), "write_s": w.get("package_stages_and_write"),
                      "validate_s": w.get("validate_total"), "peak_pss_mib": mem["peak_pss_mib"],
                      "validation_rules_run": st.get("validation_rules_run")}
        log(f"   {label:<10} {mem['process_wall_seconds']:.1f} s (process {w.get('process', 0):.1f}, write "
            f"{w.get('package_stages_and_write', 0):.1f}, validate {w.get('validate_total', 0):.1f}); steps run: {st.get('steps_run')}; "
            f"content rules checked: {len(st.get('validation_rules_run') or [])}")
    shutil.rmtree(where, ignore_errors=True)
    return out


def summarise(scales: list[dict], rebuild: dict | None, theme: dict | None, log) -> dict:
    summary: dict = {}
    one_job = [(s["files"], s["runs"][min(s["runs"])]["seconds"]) for s in scales]
    if len(one_job) >= 2:
        summary["growth_exponent"] = fit_exponent([n for n, _ in one_job], [t for _, t in one_job])
    summary["two_core_speedup"] = {s["scale"]: s["runs"][1]["seconds"] / s["runs"][2]["seconds"]
                                   for s in scales if 1 in s["runs"] and 2 in s["runs"]}
    for s in scales:
        best = min(s["runs"].values(), key=lambda r: r["seconds"])
        if 2500 <= s["files"] <= 3500:
            summary["year_sized_build_s"] = best["seconds"]
        if s["files"] >= 25_000:
            summary["decade_sized_build_s"] = best["seconds"]
            summary["decade_sized_peak_memory_mib"] = best["peak_pss_mib"]
        summary.setdefault("extraction_reports_per_s_per_core", {})[s["scale"]] = best["extraction_reports_per_s_per_core"]
    if rebuild:
        summary["no_change_rebuild_s"] = rebuild["no_change"]["seconds"]
    if theme:
        summary["theme_edit_rebuild_s"] = theme["theme_edit"]["seconds"]
        summary["theme_edit_steps_run"] = theme["theme_edit"]["steps_run"]
    log("\n" + "=" * 90)
    for key, target in TARGETS.items():
        got = summary.get(key)
        verdict = "not run" if got is None else ("met" if got <= target else "NOT met")
        log(f"{key:<32} target ≤ {target:>7.0f}   measured {'—' if got is None else f'{got:.1f}'}   {verdict}")
    for key in ("growth_exponent", "two_core_speedup", "extraction_reports_per_s_per_core", "theme_edit_steps_run"):
        if key in summary:
            log(f"{key:<32} {summary[key]}")
    return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("--child-build", "--child-build-cached"):
        _, raw, out, jobs, codebooks, result = argv
        child_build(Path(raw), Path(out), int(jobs), Path(result), argv[0] == "--child-build-cached", codebooks)
        return 0
    if argv and argv[0] == "--child-read-decode":
        child_read_decode(Path(argv[1]), Path(argv[2]))
        return 0
    parser = argparse.ArgumentParser(prog="bench", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=int, nargs="+", default=[600],
                        help="corpus sizes as multiples of data/raw (600: a year, 6000: a decade)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[2], help="worker processes (each scale with each)")
    parser.add_argument("--no-rebuild", action="store_true", help="skip the no-change rebuild of the real package")
    parser.add_argument("--theme-edit", type=int, default=600, metavar="SCALE",
                        help="the corpus for the theme-keyword rebuild (0: skip)")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write the figures")
    args = parser.parse_args(argv)

    def log(msg: str = "") -> None:
        print(msg, flush=True)

    BENCH.mkdir(exist_ok=True)
    log(f"benchmark: scales {args.scales}, jobs {args.jobs}, {os.cpu_count()} cores, Python {platform.python_version()}")
    t0 = time.perf_counter()
    scales = [bench_scale(k, sorted(set(args.jobs)), log) for k in sorted(set(args.scales))]
    rebuild = None
    if not args.no_rebuild:
        log("\n== no-change rebuild of the real package")
        rebuild = bench_rebuild(log)
    theme = None
    if args.theme_edit:
        log(f"\n== one theme keyword added, {args.theme_edit}× corpus rebuilt with the cache on ({max(args.jobs)} jobs)")
        theme = bench_theme_edit(args.theme_edit, max(args.jobs), log)
    summary = summarise(scales, rebuild, theme, log)
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "python": platform.python_version(), "cores": os.cpu_count(),
              "scales": scales, "rebuild": rebuild, "theme_edit": theme, "summary": summary, "targets": TARGETS,
              "bench_seconds": time.perf_counter() - t0}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    log(f"\nfigures written to {args.json} ({time.perf_counter() - t0:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
