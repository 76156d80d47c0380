"""Accuracy on the development set's hand-made gold (tests/gold/devset/): headings, part types,
cited titles and figures of real report openings the extractors were not written from.

The excerpts themselves live outside the repository (``../shared/devset/`` by default) and are
never copied into it. Each excerpt runs through the build's own per-report processing
(``lbgr.build.run.process_file``: decoding, normalisation, furniture, the document-type verdict,
structure, then every registered stage). A file the build rejects is scored as all misses.

The gold's offsets point into the excerpt as stored; the pipeline's into the normalised body
(traditional characters converted, NFKC, furniture and empty lines removed). The body is aligned
to the excerpt, converted the same way character by character (OpenCC t2s, NFKC), and every
extracted offset is mapped back through that alignment. Then:

- a **heading** matches a gold heading of the same level whose marker is the same (after the
  same conversion) and that starts within ``_HEADING_SLACK`` characters of it (one to one);
  recall and precision per level (1 and 2; deeper extracted headings are not scored);
- the **part type** of each matched level-1 heading is right or wrong (accuracy over matched
  level-1 headings; the strict figure also counts unmatched gold level-1 headings as wrong);
- a **cited title** matches a gold title whose text is the same (converted, spaces and line
  breaks removed) and whose opening bracket is within ``_TITLE_SLACK`` characters of it;
- a **figure** matches a gold figure when their spans overlap and their normalised value,
  scale and normalised unit agree (one to one); extracted figures that overlap a borderline
  gold row count on neither side, as in ``lbgr.eval.accuracy``;
- **indicator codes** (where the gold folder has ``indicators.csv``: one row per gold figure, with
  the code of DOMAIN.md §5 the sentence states, or none): coverage is the share of non-borderline
  gold figures with a code whose extracted figure carries it (a figure not extracted misses its
  code too); correctness is the share of matched figures given a code whose gold row has that
  code. A sibling code counts as the code it was split from (``sibling_of``, as in
  ``lbgr.eval.accuracy``).

``python -m lbgr.eval.gold_devset [DEVSET_FOLDER] [--record PATH]`` prints the figures and every miss
and extra by file; ``--record`` also writes the figures (numbers and file names only, no excerpt
text) to a small JSON file for the book. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import difflib
import json
import math
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lbgr import paths
from lbgr.eval.evaluate import git_commit

GOLD_DIR = paths.ROOT / "tests" / "gold" / "devset"
DEFAULT_DEVSET = paths.ROOT.parent / "shared" / "devset"
_HEADING_SLACK = 3
_TITLE_SLACK = 4


# --- reading the gold -------------------------------------------------------------------------

def _rows(name: str, gold_dir: Path) -> list[dict[str, str]]:
    path = Path(gold_dir) / name
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def gold_files(gold_dir: Path = GOLD_DIR) -> list[str]:
    return [r["file"] for r in _rows("files.csv", gold_dir)]


# --- aligning the body to the excerpt ---------------------------------------------------------

def _t2s(text: str) -> str:
    from lbgr.ingest.repair import _t2s as converter

    out = converter().convert(text)
    if len(out) == len(text):
        return out
    return "".join(converter().convert(c) if len(converter().convert(c)) == 1 else c for c in text)


def comparable(text: str) -> str:
    """Text converted as the pipeline converts it (pinyin after characters removed, t2s, NFKC),
    without spaces and line breaks."""
    from lbgr.ingest.repair import remove_pinyin

    return "".join(unicodedata.normalize("NFKC", c) for c in _t2s(remove_pinyin(text)[0]) if not c.isspace())


def body_to_excerpt(excerpt: str, body: str) -> list[int]:
    """For each offset of ``body`` (and its end), the offset in ``excerpt`` it comes from."""
    converted = _t2s(excerpt)
    comp, origin = [], []
    for i, c in enumerate(converted):
        for d in unicodedata.normalize("NFKC", c):
            comp.append(d)
            origin.append(i)
    comp_text = "".join(comp)
    mapping: list[int | None] = [None] * (len(body) + 1)
    matcher = difflib.SequenceMatcher(None, comp_text, body, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            mapping[b + k] = origin[a + k]
    mapping[len(body)] = len(excerpt)
    last = 0
    for k in range(len(body) + 1):  # unaligned characters (added line breaks): the previous one's place
        if mapping[k] is None:
            mapping[k] = last
        else:
            last = mapping[k]
    return mapping  # type: ignore[return-value]


# --- running the pipeline ---------------------------------------------------------------------

@dataclass
class Extracted:
    verdict: str
    reasons: list[str]
    headings: list[dict] = field(default_factory=list)  # level, marker, start, part_type
    titles: list[dict] = field(default_factory=list)  # start, title
    measures: list[dict] = field(default_factory=list)  # start, end, surface, value_normalized, scale, unit_normalized, code


@contextlib.contextmanager
def _verdict_bypassed():
    """The report's processing without its two rejections (not a report; no reported year), so
    that the content extractors still run on a genuine report the verdict rejects."""
    from lbgr.parse import report

    classify, read_metadata = report.classify_document, report.read_metadata

    def read_metadata_with_year(*args, **kwargs):
        meta = read_metadata(*args, **kwargs)
        if meta.report_year is None:
            meta.report_year = 1900
        return meta

    report.classify_document = lambda title, body, rules=None: None
    report.read_metadata = read_metadata_with_year
    try:
        yield
    finally:
        report.classify_document, report.read_metadata = classify, read_metadata


def run_pipeline(path: Path, ctx, bypass_verdict: bool = False) -> Extracted:
    """The build's per-report processing of one excerpt, with offsets mapped into the excerpt;
    ``bypass_verdict`` runs the content extractors on a file the verdict rejects."""
    from lbgr.build.run import process_file

    data = path.read_bytes()
    outcome = process_file(path, None, ctx, data=data)
    if outcome.result is None and bypass_verdict:
        with _verdict_bypassed():
            second = process_file(path, None, ctx, data=data)
        if second.result is not None:
            second.verdict.verdict, second.verdict.reasons = outcome.verdict.verdict, outcome.verdict.reasons
            outcome = second
    verdict = outcome.verdict
    out = Extracted(verdict.verdict, list(verdict.reasons))
    if outcome.result is None:
        return out
    body = outcome.result.doc.body
    excerpt = data.decode("utf-8-sig")
    where = body_to_excerpt(excerpt, body)
    for s in outcome.result.tables["sections"]:
        if s["level"] in (1, 2):
            out.headings.append({"level": s["level"], "marker": s["marker"], "start": where[s["char_start"]],
                                 "part_type": s["part_type"], "heading": s["heading"]})
    for c in outcome.stage_rows.get("citations", []):
        out.titles.append({"start": where[c["char_start"]], "title": c["cited_title"]})
    for m in outcome.stage_rows.get("measures", []):
        out.measures.append({"start": where[m["char_start"]], "end": where[m["char_end"]], "surface": m["surface"],
                             "value_normalized": m["value_normalized"], "scale": m["scale"] or "",
                             "unit_normalized": m["unit_normalized"] or "", "indicator_code": m["indicator_code"] or ""})
    return out


# --- scoring ----------------------------------------------------------------------------------

@dataclass
class Score:
    n_gold: int = 0
    n_extracted: int = 0
    n_matched: int = 0

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_gold if self.n_gold else 1.0

    @property
    def precision(self) -> float:
        return self.n_matched / self.n_extracted if self.n_extracted else 1.0

    def figures(self) -> dict:
        return {"recall": round(self.recall, 4), "precision": round(self.precision, 4),
                "n_gold": self.n_gold, "n_extracted": self.n_extracted, "n_matched": self.n_matched}


@dataclass
class CodeScore:
    n_coded_gold: int = 0  # non-borderline gold figures with a code
    n_carried: int = 0  # of those, extracted with that code
    n_given: int = 0  # matched figures given a code
    n_given_right: int = 0

    @property
    def coverage(self) -> float:
        return self.n_carried / self.n_coded_gold if self.n_coded_gold else 1.0

    @property
    def correctness(self) -> float:
        return self.n_given_right / self.n_given if self.n_given else 1.0

    def figures(self) -> dict:
        return {"coverage": round(self.coverage, 4), "correctness": round(self.correctness, 4),
                "n_coded_gold": self.n_coded_gold, "n_carried": self.n_carried, "n_given": self.n_given,
                "n_given_right": self.n_given_right}


@dataclass
class DevsetAccuracy:
    headings: dict[int, Score] = field(default_factory=lambda: {1: Score(), 2: Score()})
    n_part_matched: int = 0
    n_part_right: int = 0
    n_part_gold: int = 0
    citations: Score = field(default_factory=Score)
    measures: Score = field(default_factory=Score)
    indicators: CodeScore | None = None  # None when the gold folder has no indicators.csv
    rejected: dict[str, str] = field(default_factory=dict)
    missing_files: list[str] = field(default_factory=list)
    # file -> list of (kind, description): descriptions hold markers, part types and offsets only
    # when recorded; printed ones add the gold's own short surfaces.
    disagreements: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def part_type_accuracy(self) -> float:
        return self.n_part_right / self.n_part_matched if self.n_part_matched else 1.0

    @property
    def part_type_accuracy_strict(self) -> float:
        return self.n_part_right / self.n_part_gold if self.n_part_gold else 1.0

    def note(self, file: str, kind: str, text: str) -> None:
        self.disagreements.setdefault(file, []).append((kind, text))

    def figures(self) -> dict:
        return {
            "headings_level_1": self.headings[1].figures(),
            "headings_level_2": self.headings[2].figures(),
            "part_types": {"accuracy": round(self.part_type_accuracy, 4),
                           "accuracy_strict": round(self.part_type_accuracy_strict, 4),
                           "n_matched": self.n_part_matched, "n_right": self.n_part_right,
                           "n_gold": self.n_part_gold},
            "citations": self.citations.figures(),
            "measures": self.measures.figures(),
            **({"indicators": self.indicators.figures()} if self.indicators is not None else {}),
        }


def _same_number(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def _nearest(items: list[dict], used: set[int], start: int, slack: int, same) -> int | None:
    """Index of the unused item that ``same`` accepts whose start is nearest ``start``, within ``slack``."""
    best = None
    for k, x in enumerate(items):
        if k in used or not same(x):
            continue
        d = abs(x["start"] - start)
        if d <= slack and (best is None or d < best[0]):
            best = (d, k)
    return None if best is None else best[1]


def _score_headings(acc: DevsetAccuracy, file: str, gold: list[dict], got: list[dict]) -> None:
    for level in (1, 2):
        g_rows = [g for g in gold if int(g["level"]) == level]
        x_rows = [x for x in got if x["level"] == level]
        score = acc.headings[level]
        score.n_gold += len(g_rows)
        score.n_extracted += len(x_rows)
        used: set[int] = set()
        for g in g_rows:
            gs, marker = int(g["char_start"]), comparable(g["marker"])
            best = _nearest(x_rows, used, gs, _HEADING_SLACK, lambda x, m=marker: comparable(x["marker"]) == m)
            if best is None:
                acc.note(file, f"level-{level} heading missed", f"{g['marker']}@{gs} {g['heading'][:30]}")
                if level == 1:
                    acc.n_part_gold += 1
                continue
            used.add(best)
            score.n_matched += 1
            if level == 1:
                acc.n_part_gold += 1
                acc.n_part_matched += 1
                x = x_rows[best]
                if x["part_type"] == g["part_type"]:
                    acc.n_part_right += 1
                else:
                    acc.note(file, "part type wrong",
                             f"{g['marker']}@{gs} gold {g['part_type']}, extracted {x['part_type']}: {g['heading'][:30]}")
        for k, x in enumerate(x_rows):
            if k not in used:
                acc.note(file, f"level-{level} heading extra", f"{x['marker']}@{x['start']} {x['heading'][:30]}")


def _score_citations(acc: DevsetAccuracy, file: str, gold: list[dict], got: list[dict]) -> None:
    acc.citations.n_gold += len(gold)
    acc.citations.n_extracted += len(got)
    used: set[int] = set()
    for g in gold:
        gs, title = int(g["char_start"]), comparable(g["title"])
        best = _nearest(got, used, gs, _TITLE_SLACK, lambda x, t=title: comparable(x["title"]) == t)
        if best is None:
            acc.note(file, "title missed", f"@{gs} 《{g['title'][:40]}》")
            continue
        used.add(best)
        acc.citations.n_matched += 1
    for k, x in enumerate(got):
        if k not in used:
            acc.note(file, "title extra", f"@{x['start']} 《{x['title'][:40]}》")


def _score_measures(acc: DevsetAccuracy, file: str, gold: list[dict], got: list[dict],
                    codes: dict[tuple[str, str], str] | None = None, as_gold: dict[str, str] | None = None) -> None:
    """Figures, and with ``codes`` ((char_start, surface) → gold code) the indicator codes;
    ``as_gold`` maps an extracted code to the code the gold uses for it."""
    spans = [(int(g["char_start"]), int(g["char_start"]) + len(g["surface"]), g) for g in gold]
    used: set[int] = set()
    carried: set[int] = set()
    score = acc.measures
    as_gold = as_gold or {}
    for x in got:
        s, e = x["start"], max(x["end"], x["start"] + 1)
        hit = None
        for k, (gs, ge, g) in enumerate(spans):
            if k in used or not (gs < e and s < ge):
                continue
            if (_same_number(g["value_normalized"], x["value_normalized"])
                    and comparable(g["unit_normalized"]) == comparable(x["unit_normalized"])
                    and comparable(g["scale"]) == comparable(x["scale"])):
                hit = k
                break
        if hit is None:
            if any(gs < e and s < ge and g["is_borderline"] == "true" for gs, ge, g in spans):
                continue
            score.n_extracted += 1
            acc.note(file, "figure extra", f"@{s} {x['surface']} ({x['value_normalized']} {x['unit_normalized']})")
            continue
        used.add(hit)
        if spans[hit][2]["is_borderline"] == "true":
            continue
        score.n_extracted += 1
        score.n_matched += 1
        if codes is not None and acc.indicators is not None:
            g = spans[hit][2]
            want = codes.get((g["char_start"], g["surface"]), "")
            code = x.get("indicator_code", "")
            given = as_gold.get(code, code)
            if given:
                acc.indicators.n_given += 1
                acc.indicators.n_given_right += given == want
            if want and given == want:
                carried.add(hit)
            elif given != want:
                acc.note(file, "code differs", f"@{g['char_start']} {g['surface']}: gold {want or '-'}, "
                                               f"extracted {code or '-'}")
    for k, (gs, _ge, g) in enumerate(spans):
        if g["is_borderline"] == "true":
            continue
        score.n_gold += 1
        if codes is not None and acc.indicators is not None and codes.get((g["char_start"], g["surface"])):
            acc.indicators.n_coded_gold += 1
            acc.indicators.n_carried += k in carried
        if k not in used:
            acc.note(file, "figure missed", f"@{gs} {g['surface']} ({g['value_normalized']} {g['unit_normalized']})")


def evaluate(devset: Path = DEFAULT_DEVSET, gold_dir: Path = GOLD_DIR, ctx=None,
             files: list[str] | None = None, bypass_verdict: bool = False) -> DevsetAccuracy:
    """Score every gold excerpt; ``bypass_verdict`` scores the content of rejected files too."""
    from lbgr.parse.context import Context

    ctx = ctx or Context()
    acc = DevsetAccuracy()
    by_file = {kind: {} for kind in ("headings", "citations", "measures")}
    for kind in by_file:
        for row in _rows(f"{kind}.csv", gold_dir):
            by_file[kind].setdefault(row["file"], []).append(row)
    codes: dict[str, dict[tuple[str, str], str]] | None = None
    coded = _rows("indicators.csv", gold_dir)
    if coded:
        acc.indicators = CodeScore()
        codes = {}
        for row in coded:
            codes.setdefault(row["file"], {})[(row["char_start"], row["surface"])] = row["indicator_code"]
    as_gold = {r["indicator_code"]: (r.get("sibling_of") or "").strip() or r["indicator_code"]
               for r in ctx.codebook("indicators")}
    for file in files or gold_files(gold_dir):
        path = Path(devset) / file
        if not path.exists():
            acc.missing_files.append(file)
            continue
        got = run_pipeline(path, ctx, bypass_verdict)
        if got.verdict == "rejected":
            acc.rejected[file] = "; ".join(got.reasons)
        _score_headings(acc, file, by_file["headings"].get(file, []), got.headings)
        _score_citations(acc, file, by_file["citations"].get(file, []), got.titles)
        _score_measures(acc, file, by_file["measures"].get(file, []), got.measures,
                        None if codes is None else codes.get(file, {}), as_gold)
    return acc


# --- output -----------------------------------------------------------------------------------

def _counts(acc: DevsetAccuracy) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for file, items in acc.disagreements.items():
        for kind, _text in items:
            counts.setdefault(file, {}).setdefault(kind, 0)
            counts[file][kind] += 1
    return {f: counts[f] for f in sorted(counts)}


def record(acc: DevsetAccuracy, content: DevsetAccuracy, files: list[str], path: Path) -> dict:
    """Write the figures (numbers and file names only) to ``path``: as built (rejected files
    scored as all misses) and of the content extractors (the verdict bypassed)."""
    out = {
        "date": dt.date.today().isoformat(),
        "git_commit": git_commit(short=True),
        "n_files": len(files) - len(acc.missing_files),
        "files": [f for f in files if f not in acc.missing_files],
        "rejected_files": sorted(acc.rejected),
        "figures": acc.figures(),
        "figures_content": content.figures(),
        "disagreements_by_file": _counts(content),
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def print_figures(acc: DevsetAccuracy) -> None:
    f = acc.figures()
    for level in (1, 2):
        s = acc.headings[level]
        print(f"  level-{level} headings  recall {s.recall:.3f} ({s.n_matched}/{s.n_gold})"
              f"  precision {s.precision:.3f} ({s.n_matched}/{s.n_extracted})")
    p = f["part_types"]
    print(f"  level-1 part types  accuracy {p['accuracy']:.3f} ({p['n_right']}/{p['n_matched']} matched headings);"
          f" strict {p['accuracy_strict']:.3f} ({p['n_right']}/{p['n_gold']} gold)")
    for name, s in (("cited titles", acc.citations), ("figures", acc.measures)):
        print(f"  {name:<12}  recall {s.recall:.3f} ({s.n_matched}/{s.n_gold})"
              f"  precision {s.precision:.3f} ({s.n_matched}/{s.n_extracted})")
    if acc.indicators is not None:
        c = acc.indicators
        print(f"  indicator codes  coverage {c.coverage:.3f} ({c.n_carried}/{c.n_coded_gold} coded gold figures)"
              f"  correct {c.correctness:.3f} ({c.n_given_right}/{c.n_given} codes given)")


def print_report(acc: DevsetAccuracy, content: DevsetAccuracy, n_files: int) -> None:
    print(f"development-set gold: {n_files} excerpt(s), {len(acc.rejected)} rejected by the build")
    print(" as built (a rejected file scores as all misses):")
    print_figures(acc)
    print(" content extractors (the verdict bypassed on rejected files):")
    print_figures(content)
    if acc.missing_files:
        print(f"  not found in the devset folder: {', '.join(acc.missing_files)}")
    for file, reason in sorted(acc.rejected.items()):
        print(f"  rejected: {file}: {reason}")
    if content.disagreements:
        print("misses and extras by file (content extractors):")
        for file in sorted(content.disagreements):
            print(f"  {file}")
            for kind, text in content.disagreements[file]:
                print(f"    {kind:<22} {text}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lbgr.eval.gold_devset", description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", default=str(DEFAULT_DEVSET), help="folder of the development excerpts")
    parser.add_argument("--gold", default=str(GOLD_DIR), help="folder of the devset gold CSVs")
    parser.add_argument("--record", metavar="PATH", help="write the figures (no excerpt text) to this JSON file")
    parser.add_argument("--file", action="append", help="score only this excerpt (repeatable)")
    args = parser.parse_args(argv)
    devset, gold_dir = Path(args.devset), Path(args.gold)
    files = args.file or gold_files(gold_dir)
    if not files:
        print(f"no gold in {gold_dir}")
        return 1
    if not devset.is_dir():
        print(f"no development set at {devset}")
        return 1
    acc = evaluate(devset, gold_dir, files=files)
    content = evaluate(devset, gold_dir, files=files, bypass_verdict=True) if acc.rejected else acc
    print_report(acc, content, len(files) - len(acc.missing_files))
    if args.record:
        record(acc, content, files, Path(args.record))
        print(f"figures written to {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
