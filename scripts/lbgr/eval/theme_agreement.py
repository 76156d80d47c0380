"""Agreement of the theme coding (``lbgr.extract.themes``) with hand coding, and between people.

The hand coding (``tests/gold/themes/`` and ``tests/gold/devset/themes.csv``; the guideline is
``tests/gold/themes/README.md``) gives every coding unit of five package reports and of 30
development excerpts one code: P02–P10, X1, X0 or NONE (not report content: titles, page
furniture, signature lines). A second annotator coded two package reports and 15 excerpts again,
independently. Units are the coder's own (``coding_units``) and are matched by file and offsets.

- The coder's "no theme" (``theme_code`` empty) is scored as NONE.
- Krippendorff's alpha (nominal, the ``krippendorff`` package) is given twice: over the eleven
  codes (X0 and NONE apart) and with X0 and NONE merged into one value, "outside the shares".
  Both are outside every attention share; the merged figure is the one that matters for the
  shares, and the primary one here, because the coder does not try to tell a political formula
  (X0) from a title or a signature line (NONE) when neither has a keyword.
- Splits: the coder's rules were tuned on the development split (the package reports and the
  excerpts marked ``development`` in ``tests/gold/themes/splits.csv``); the excerpts marked
  ``held_out`` were scored only as a figure, their disagreements never read while tuning, and the
  first held-out score is kept apart (``--record`` writes it once, to ``*_heldout_first.json``).

``python -m lbgr.eval.theme_agreement [DEVSET_FOLDER] [--record PATH]`` prints alphas, per-theme
agreement and the confusion of each comparison, and the disagreements of the development split
(``--show-held-out`` adds those of the held-out split). Without the development set (it stays
outside the repository) only the package reports are scored. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from lbgr import paths
from lbgr.eval.evaluate import git_commit

GOLD_DIR = paths.ROOT / "tests" / "gold" / "themes"
DEVSET_GOLD = paths.ROOT / "tests" / "gold" / "devset" / "themes.csv"
DEFAULT_DEVSET = paths.ROOT.parent / "shared" / "devset"
DEFAULT_RECORD = paths.ROOT / "book" / "_static" / "themes_agreement.json"

CODES = ("P02", "P03", "P04", "P05", "P06", "P07", "P08", "P09", "P10", "X1", "X0", "NONE")
OUTSIDE = "X0/NONE"  # X0 and NONE merged
NO_THEME = "NONE"  # the coder's "no theme"

Unit = tuple[str, int, int]  # file, char_start, char_end


# --- reading the hand coding ------------------------------------------------------------------

def read_coding(path: Path) -> dict[Unit, str]:
    """(file, char_start, char_end) -> theme code, from a hand-coding CSV (empty when absent)."""
    path = Path(path)
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {(r["file"], int(r["char_start"]), int(r["char_end"])): r["theme_code"].strip()
                for r in csv.DictReader(fh)}


def read_splits(gold_dir: Path = GOLD_DIR) -> dict[str, str]:
    """file -> ``development`` or ``held_out``."""
    path = Path(gold_dir) / "splits.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["file"]: r["split"] for r in csv.DictReader(fh)}


@dataclass
class HandCoding:
    package: dict[Unit, str]  # the first annotator, package reports
    devset: dict[Unit, str]  # the first annotator of the development excerpts
    second: dict[Unit, str]  # the second annotator, on a sample of both
    splits: dict[str, str]

    @classmethod
    def load(cls, gold_dir: Path = GOLD_DIR, devset_gold: Path = DEVSET_GOLD) -> HandCoding:
        gold_dir = Path(gold_dir)
        return cls(read_coding(gold_dir / "package.csv"), read_coding(devset_gold),
                   read_coding(gold_dir / "second_coder.csv"), read_splits(gold_dir))

    def files(self) -> list[str]:
        return sorted({u[0] for coding in (self.package, self.devset, self.second) for u in coding})


# --- the coder's codes ------------------------------------------------------------------------

def coder_units(path: Path, ctx) -> list[dict]:
    """The ``paragraph_themes`` rows of one file, as the build codes it; a file the build's
    verdict rejects (a development excerpt cut short) is coded with the verdict bypassed."""
    from lbgr.eval.gold_devset import _verdict_bypassed
    from lbgr.extract.themes import code_themes
    from lbgr.ingest.decode import decode_file
    from lbgr.parse.report import ReportRejected, process_text

    data = path.read_bytes()
    decoded = decode_file(path.name, data)

    def process():
        return process_text(decoded.text, path.name, "", ctx, source_format=decoded.source_format,
                            source_encoding=decoded.encoding)

    try:
        result = process()
    except ReportRejected:
        with _verdict_bypassed():
            result = process()
    return code_themes(result.doc, ctx)["paragraph_themes"]


@dataclass
class Coded:
    codes: dict[Unit, str]  # the coder's code, NONE for no theme
    why: dict[Unit, str]  # unit id, assignment rule, heading theme and keywords hit (for reading disagreements)
    missing_files: list[str]


def coder_codes(files: list[str], folders: list[Path], ctx=None) -> Coded:
    """The coder's code of every unit of each of ``files`` found in one of ``folders``."""
    from lbgr.parse.context import Context

    ctx = ctx or Context()
    coded = Coded({}, {}, [])
    for file in files:
        path = next((Path(f) / file for f in folders if (Path(f) / file).exists()), None)
        if path is None:
            coded.missing_files.append(file)
            continue
        for row in coder_units(path, ctx):
            unit = (file, row["char_start"], row["char_end"])
            coded.codes[unit] = row["theme_code"] or NO_THEME
            coded.why[unit] = (f"{row['unit_id']} {row['assignment_rule']} heading={row['heading_theme_code']} "
                               f"[{row['matched_keywords'] or ''}]")
    return coded


# --- agreement --------------------------------------------------------------------------------

def merged(code: str) -> str:
    return OUTSIDE if code in ("X0", "NONE") else code


def alpha(pairs: list[tuple[str, str]]) -> float | None:
    """Krippendorff's alpha, nominal, of two coders over ``pairs`` (None when undefined: fewer
    than two units, or one value only)."""
    import krippendorff
    import numpy as np

    values = sorted({v for pair in pairs for v in pair})
    if len(pairs) < 2 or len(values) < 2:
        return None
    index = {v: k for k, v in enumerate(values)}
    data = np.array([[index[a] for a, _ in pairs], [index[b] for _, b in pairs]], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


@dataclass
class Comparison:
    """Two codings of the same units: ``first`` is the reference (hand coding, or the first annotator)."""

    name: str
    first: str
    second: str
    units: list[Unit] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)

    def add(self, unit: Unit, a: str, b: str) -> None:
        self.units.append(unit)
        self.pairs.append((a, b))

    @property
    def n_units(self) -> int:
        return len(self.pairs)

    def figures(self) -> dict:
        pairs_merged = [(merged(a), merged(b)) for a, b in self.pairs]
        n = self.n_units
        return {
            "name": self.name, "first": self.first, "second": self.second,
            "n_units": n, "n_files": len({u[0] for u in self.units}),
            "alpha_merged": _round(alpha(pairs_merged)),
            "alpha": _round(alpha(self.pairs)),
            "agreement_merged": _round(sum(a == b for a, b in pairs_merged) / n if n else None),
            "agreement": _round(sum(a == b for a, b in self.pairs) / n if n else None),
            "per_theme": per_theme(pairs_merged),
            "confusion": confusion(self.pairs),
        }

    def disagreements(self) -> list[tuple[Unit, str, str]]:
        return [(u, a, b) for u, (a, b) in zip(self.units, self.pairs) if merged(a) != merged(b)]


def _round(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, 4)


def per_theme(pairs: list[tuple[str, str]]) -> list[dict]:
    """For each code: units the reference gives it, units the other coding gives it, units both
    give it, and the shares of each side the other agrees with."""
    out = []
    for code in [c for c in CODES if c not in ("X0", "NONE")] + [OUTSIDE]:
        n_first = sum(a == code for a, _ in pairs)
        n_second = sum(b == code for _, b in pairs)
        n_both = sum(a == code == b for a, b in pairs)
        if n_first or n_second:
            out.append({"theme_code": code, "n_first": n_first, "n_second": n_second, "n_both": n_both,
                        "recall": _round(n_both / n_first if n_first else None),
                        "precision": _round(n_both / n_second if n_second else None)})
    return out


def confusion(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """first code -> second code -> units (cells with units only)."""
    counts = Counter(pairs)
    return {a: {b: counts[(a, b)] for b in CODES if counts[(a, b)]} for a in CODES if any(counts[(a, b)] for b in CODES)}


def compare(name: str, first_name: str, first: dict[Unit, str], second_name: str, second: dict[Unit, str],
            keep=lambda unit: True) -> Comparison:
    """The units both codings code (and ``keep`` accepts), in file and offset order."""
    comparison = Comparison(name, first_name, second_name)
    for unit in sorted(first.keys() & second.keys()):
        if keep(unit):
            comparison.add(unit, first[unit], second[unit])
    return comparison


@dataclass
class Agreement:
    comparisons: dict[str, Comparison]
    coded: Coded
    unmatched: dict[str, int]  # hand-coded units the coder has no unit for, per coding

    @property
    def missing_files(self) -> list[str]:
        return self.coded.missing_files

    def figures(self) -> dict:
        return {name: c.figures() for name, c in self.comparisons.items() if c.n_units}


def evaluate(devset: Path = DEFAULT_DEVSET, raw_dir: Path = paths.RAW, hand: HandCoding | None = None,
             ctx=None) -> Agreement:
    """Every comparison: between people, and between the coder and the hand coding by split."""
    hand = hand or HandCoding.load()
    coded = coder_codes(hand.files(), [raw_dir, devset], ctx)
    coder = coded.codes
    split = hand.splits

    def in_split(name):
        return lambda unit: split.get(unit[0]) == name

    comparisons = [
        compare("people_package", "first annotator", hand.package, "second annotator", hand.second),
        compare("people_devset", "first annotator", hand.devset, "second annotator", hand.second),
        compare("people", "first annotator", {**hand.package, **hand.devset}, "second annotator", hand.second),
        compare("coder_package", "hand", hand.package, "coder", coder),
        compare("coder_devset_development", "hand", hand.devset, "coder", coder, in_split("development")),
        compare("coder_development", "hand", {**hand.package, **hand.devset}, "coder", coder, in_split("development")),
        compare("coder_held_out", "hand", hand.devset, "coder", coder, in_split("held_out")),
    ]
    coded_files = {u[0] for u in coder}
    unmatched = {name: sum(1 for u in coding if u[0] in coded_files and u not in coder)
                 for name, coding in (("package", hand.package), ("devset", hand.devset), ("second", hand.second))}
    return Agreement({c.name: c for c in comparisons}, coded, unmatched)


# --- output -----------------------------------------------------------------------------------

TITLES = {
    "people_package": "between people, package reports",
    "people_devset": "between people, development excerpts",
    "people": "between people, all doubly coded units",
    "coder_package": "coder vs hand, package reports (development)",
    "coder_devset_development": "coder vs hand, development excerpts (development)",
    "coder_development": "coder vs hand, development split (package + development excerpts)",
    "coder_held_out": "coder vs hand, held-out excerpts",
}


def record(agreement: Agreement, path: Path, keep_first: bool = True) -> dict:
    """Write the figures (codes and counts only, no text) to ``path``; with ``keep_first``, the
    first time a held-out figure is written, also to ``<stem>_heldout_first.json``, which is never
    overwritten."""
    out = {"date": dt.date.today().isoformat(), "git_commit": git_commit(short=True), "figures": agreement.figures(),
           "missing_files": agreement.missing_files}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    first = path.with_name(f"{path.stem}_heldout_first.json")
    if keep_first and "coder_held_out" in out["figures"] and not first.exists():
        first.write_text(json.dumps({"date": out["date"], "git_commit": out["git_commit"],
                                     "figures": {"coder_held_out": out["figures"]["coder_held_out"]}},
                                    ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:.3f}"


def print_report(agreement: Agreement, show_held_out: bool = False) -> None:
    for name, f in agreement.figures().items():
        print(f"{TITLES[name]}: {f['n_units']} units of {f['n_files']} files")
        print(f"  alpha, X0 and NONE merged  {_fmt(f['alpha_merged'])}   (raw agreement {_fmt(f['agreement_merged'])})")
        print(f"  alpha, eleven codes apart  {_fmt(f['alpha'])}   (raw agreement {_fmt(f['agreement'])})")
        print(f"  per theme ({f['first']} / {f['second']} / both):  " + "  ".join(
            f"{t['theme_code']} {t['n_first']}/{t['n_second']}/{t['n_both']}" for t in f["per_theme"]))
    if agreement.missing_files:
        print(f"files not found (development set absent?): {len(agreement.missing_files)}")
    if any(agreement.unmatched.values()):
        print(f"hand-coded units with no coder unit at the same offsets: {agreement.unmatched}")
    shown = ["coder_development"] + (["coder_held_out"] if show_held_out else [])
    for name in shown:
        c = agreement.comparisons[name]
        if c.disagreements():
            print(f"disagreements, {TITLES[name]} (hand -> coder):")
            for unit, a, b in c.disagreements():
                print(f"  {unit[0]} [{unit[1]}:{unit[2]}]  {a} -> {b}   {agreement.coded.why.get(unit, '')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lbgr.eval.theme_agreement", description=__doc__.split("\n\n")[0])
    parser.add_argument("devset", nargs="?", default=str(DEFAULT_DEVSET), help="folder of the development excerpts")
    parser.add_argument("--record", metavar="PATH", nargs="?", const=str(DEFAULT_RECORD),
                        help=f"write the figures (no text) to this JSON file (default {DEFAULT_RECORD.relative_to(paths.ROOT)})")
    parser.add_argument("--baseline", action="store_true",
                        help="with --record: the figures of a coder before tuning (no first held-out figure is kept)")
    parser.add_argument("--show-held-out", action="store_true",
                        help="also list the held-out disagreements (never while tuning the coder)")
    args = parser.parse_args(argv)
    hand = HandCoding.load()
    if not hand.files():
        print(f"theme agreement skipped: no hand coding in {GOLD_DIR}")
        return 0
    agreement = evaluate(Path(args.devset), hand=hand)
    print_report(agreement, args.show_held_out)
    if args.record:
        record(agreement, Path(args.record), keep_first=not args.baseline)
        print(f"figures written to {args.record}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
