"""Score the pipeline against hand labels of report files it was not written from.

``python -m lbgr.eval.evaluate FOLDER LABELS.csv [--record]`` builds a package from the files of
FOLDER that LABELS.csv lists (with the package's own ``build``, into a temporary folder), and
compares it with the labels, one row per file (the format of the development set's
``labels.csv``: ``file, url, is_report (Y/N), issuer, jurisdiction, admin_level, province,
report_year, publish_date, division_code, is_department`` …). It prints the figures and asserts
nothing. The build is given each file's ``url`` as the address it was retrieved from (the
manifest's ``source_url``, which a user's own collection records too); nothing else of the labels
reaches it.

- **Verdicts**: a file labelled ``is_report`` Y should be accepted, one labelled N rejected.
- **Metadata fields** of the genuine reports (``METADATA_FIELDS``), each right or wrong; a
  genuine report that was rejected counts every field as wrong. The overall figure is the share
  of these fields right over all genuine reports.
  - ``jurisdiction`` is right when the name is the labelled one, or names the labelled division
    (a full or a short form the division data generate, e.g. 某某州 for 某某族自治州);
  - ``admin_level``: the labels give ``department`` for a department's report; the package gives
    the level of the place and says that the issuer is a department in ``issuer_type``, so a
    labelled ``department`` is right when ``issuer_type`` is department;
  - empty labels must come out empty (e.g. no publication date on the page).
- **Further fields** (``EXTRA_FIELDS``: issuer, is_department) are scored the same way but kept
  out of the overall figure.

``--record`` writes the figures to ``RECORD_PATH`` (numbers, field names and file names only:
never text of the files or of the labels), with the date and the git commit, for the book.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lbgr import paths

METADATA_FIELDS = ("jurisdiction", "province", "report_year", "publish_date", "division_code", "admin_level")
EXTRA_FIELDS = ("issuer", "is_department")
RECORD_PATH = paths.ROOT / "book" / "_static" / "devset_accuracy.json"


@dataclass
class Score:
    n_files: int = 0
    n_reports: int = 0  # labelled Y
    n_lookalikes: int = 0  # labelled N
    reports_rejected: list[str] = field(default_factory=list)
    lookalikes_accepted: list[str] = field(default_factory=list)
    right: Counter = field(default_factory=Counter)  # field -> right among genuine reports
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, field)
    details: list[tuple[str, str, str, str]] = field(default_factory=list)  # (file, field, expected, got)
    reasons: dict[str, str] = field(default_factory=dict)  # rejected genuine report -> reason

    @property
    def overall(self) -> float:
        total = self.n_reports * len(METADATA_FIELDS)
        return sum(self.right[f] for f in METADATA_FIELDS) / total if total else float("nan")

    def accuracy(self, name: str) -> float:
        return self.right[name] / self.n_reports if self.n_reports else float("nan")

    def as_record(self) -> dict:
        return {
            "n_files": self.n_files,
            "n_reports": self.n_reports,
            "n_lookalikes": self.n_lookalikes,
            "overall": round(self.overall, 4),
            "overall_fields": list(METADATA_FIELDS),
            "fields": {f: {"right": self.right[f], "of": self.n_reports, "accuracy": round(self.accuracy(f), 4)}
                       for f in METADATA_FIELDS + EXTRA_FIELDS},
            "verdicts": {
                "reports_accepted": self.n_reports - len(self.reports_rejected),
                "reports_rejected": len(self.reports_rejected),
                "lookalikes_accepted": len(self.lookalikes_accepted),
                "lookalikes_rejected": self.n_lookalikes - len(self.lookalikes_accepted),
            },
            "reports_rejected": sorted(self.reports_rejected),
            "lookalikes_accepted": sorted(self.lookalikes_accepted),
            "errors": [{"file": f, "field": name} for f, name in sorted(self.errors)],
        }


def _norm(value) -> str:
    text = "" if value is None else str(value).strip()
    if text.lower() in ("nan", "none", "<na>"):
        return ""
    return text


def _simplified(text: str) -> str:
    from lbgr.ingest.repair import to_simplified

    return to_simplified(text, threshold=0)[0] if text else text


def _same_place(got: str, label: str, label_code: str, ctx) -> bool:
    got, label = _simplified(got), _simplified(label)
    if got == label:
        return True
    if not got or not label_code:
        return False
    index = ctx.divisions
    codes = {d.division_code for d in index.lookup(got)} if hasattr(index, "lookup") else \
        {d.division_code for d in index.by_name.get(got, [])}
    return label_code in codes


def _same_issuer(got: str, label: str, ctx) -> bool:
    """The same body: equal, or equal once the places in both are written by their division codes
    and the leading names of wider units (北京市 before 朝阳区人民政府) are dropped."""
    got, label = _simplified(got).replace(" ", ""), _simplified(label).replace(" ", "")
    if got == label:
        return True
    if not got or not label:
        return False

    def canonical(text: str) -> str:
        index = ctx.divisions
        names = index.names_in(text, short_forms=True)
        codes = []
        for name in names:
            found = index.lookup(name)
            code = found[0].division_code if len(found) == 1 else name
            text = text.replace(name, f"<{code}>", 1)
            codes.append(code)
        # Drop a leading wider unit when a narrower one follows: <110000><110105>人民政府 → <110105>人民政府
        while len(codes) >= 2 and text.startswith(f"<{codes[0]}><{codes[1]}>"):
            text = text[len(codes[0]) + 2:]
            codes.pop(0)
        return text

    return canonical(got) == canonical(label)


def score(labels: list[dict[str, str]], verdicts: dict[str, dict], rows: dict[str, dict], ctx) -> Score:
    """Compare the build's verdicts (by file) and report rows (by report ID) with the labels."""
    s = Score(n_files=len(labels))
    for label in labels:
        name = label["file"]
        verdict = verdicts.get(name, {"verdict": "rejected", "reasons": ["not in the build report"]})
        accepted = verdict["verdict"] != "rejected"
        if label["is_report"].strip().upper() != "Y":
            s.n_lookalikes += 1
            if accepted:
                s.lookalikes_accepted.append(name)
            continue
        s.n_reports += 1
        if not accepted:
            s.reports_rejected.append(name)
            s.reasons[name] = "; ".join(verdict.get("reasons", []))
            for f in METADATA_FIELDS + EXTRA_FIELDS:
                s.errors.append((name, f))
                s.details.append((name, f, _norm(label.get(f)), "(rejected)"))
            continue
        row = rows.get(verdict.get("report_id") or "", {})
        got_department = _norm(row.get("issuer_type")) == "department"
        for f in METADATA_FIELDS + EXTRA_FIELDS:
            expected = _norm(label.get(f))
            if f == "admin_level" and expected == "department":
                got, ok = ("department" if got_department else _norm(row.get(f))), got_department
            elif f == "is_department":
                got = "true" if got_department else "false"
                ok = got == (expected.lower() or "false")
            elif f == "jurisdiction":
                got = _norm(row.get(f))
                ok = _same_place(got, expected, _norm(label.get("division_code")), ctx)
            elif f == "report_year":
                got = _norm(row.get(f)).removesuffix(".0")
                ok = got == expected
            elif f == "issuer":
                got = _norm(row.get(f))
                ok = _same_issuer(got, expected, ctx)
            else:
                got = _norm(row.get(f))
                ok = _simplified(got) == _simplified(expected)
            if ok:
                s.right[f] += 1
            else:
                s.errors.append((name, f))
                s.details.append((name, f, expected, got))
    return s


def read_labels(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def build_and_score(folder: Path, labels_path: Path, echo=None) -> Score:
    """Build a package from the labelled files of ``folder`` in a temporary folder and score it."""
    from lbgr.build.run import build
    from lbgr.ingest.manifest import sha256_file, write_manifest
    from lbgr.parse.context import Context

    labels = read_labels(labels_path)
    log: list[str] = []
    with tempfile.TemporaryDirectory(prefix="lbgr-evaluate-") as tmp:
        raw = Path(tmp) / "raw"
        raw.mkdir()
        manifest = {}
        for label in labels:
            src = Path(folder) / label["file"]
            if src.is_file():
                shutil.copyfile(src, raw / label["file"])
                # The address a file was retrieved from is what a user's manifest records (the
                # collector writes it); the labels give it beside the file.
                manifest[label["file"]] = {"source_file": label["file"], "source_sha256": sha256_file(src),
                                           "source_bytes": str(src.stat().st_size),
                                           "source_url": label.get("url", ""),
                                           "notes": "from the labels file: its address only"}
        write_manifest(raw / "sources.csv", manifest)
        out = Path(tmp) / "package"
        build(raw, out, jobs=1, echo=echo or log.append, cache_dir=False)
        report_path = out / "build_report.json"
        if report_path.exists():
            report = json.loads(report_path.read_text(encoding="utf-8"))
            verdicts = {f["source_file"]: f for f in report["files"]}
            rows = {r["report_id"]: r for r in _read_csv(out / "data" / "tables" / "reports.csv")}
        else:  # nothing accepted: the build writes no package
            verdicts, rows = {}, {}
            for line in log:
                parts = line.split(None, 2)
                if len(parts) >= 2 and parts[0] in ("accepted", "accepted_with_warnings", "rejected"):
                    verdicts[parts[1].rstrip(":")] = {"verdict": parts[0], "reasons": [line]}
    return score(labels, verdicts, rows, Context())


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def git_commit(short: bool = False) -> str:
    """The repository's commit (abbreviated with ``short``), or "" outside a git checkout."""
    try:
        return subprocess.run(["git", "rev-parse", *(["--short"] if short else []), "HEAD"], cwd=paths.ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def print_score(s: Score, out=print, show_values: bool = True) -> None:
    out(f"files: {s.n_files} ({s.n_reports} labelled reports, {s.n_lookalikes} look-alikes)")
    out(f"metadata fields right: {s.overall:.3f} (of {s.n_reports} reports x {len(METADATA_FIELDS)} fields)")
    for f in METADATA_FIELDS + EXTRA_FIELDS:
        extra = "" if f in METADATA_FIELDS else "   (not in the overall figure)"
        out(f"  {f:<14} {s.right[f]:>4} / {s.n_reports}  {s.accuracy(f):.3f}{extra}")
    out("verdicts:            accepted  rejected")
    out(f"  report (Y)         {s.n_reports - len(s.reports_rejected):>8}  {len(s.reports_rejected):>8}")
    out(f"  look-alike (N)     {len(s.lookalikes_accepted):>8}  {s.n_lookalikes - len(s.lookalikes_accepted):>8}")
    if s.reports_rejected:
        out("genuine reports rejected:")
        for name in sorted(s.reports_rejected):
            out(f"  {name}: {s.reasons.get(name, '')[:160]}")
    if s.lookalikes_accepted:
        out("look-alikes accepted: " + ", ".join(sorted(s.lookalikes_accepted)))
    out(f"errors ({len(s.errors)}):")
    for name, f, expected, got in s.details:
        if got == "(rejected)":
            continue
        out(f"  {name} {f}: expected {expected!r}, got {got!r}" if show_values else f"  {name} {f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lbgr.eval.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder of report files")
    parser.add_argument("labels", type=Path, help="labels CSV (file, is_report, jurisdiction, …)")
    parser.add_argument("--record", action="store_true", help=f"write the figures to {RECORD_PATH.relative_to(paths.ROOT)}")
    parser.add_argument("--quiet", action="store_true", help="list errors by file and field only, without values")
    args = parser.parse_args(argv)
    if not args.folder.is_dir() or not args.labels.is_file():
        print(f"error: need a folder and a labels file (got {args.folder}, {args.labels})")
        return 2
    s = build_and_score(args.folder, args.labels)
    print_score(s, show_values=not args.quiet)
    if args.record:
        record = {"measured_on": dt.date.today().isoformat(), "commit": git_commit(),
                  "labels_file": args.labels.name, **s.as_record()}
        RECORD_PATH.parent.mkdir(parents=True, exist_ok=True)
        RECORD_PATH.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"recorded in {RECORD_PATH.relative_to(paths.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
