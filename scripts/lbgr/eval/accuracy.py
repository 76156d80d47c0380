"""Accuracy of the ``measures`` extraction against the hand-made gold standard (tests/gold/).

A gold row is located in the normalised body by its ``context`` (a string that occurs once in
the body) and the first occurrence of its ``surface`` inside that context. An extracted
measure matches a gold row when both belong to the same report, their ``value_normalized``
agree, their ``unit_normalized`` are equal and their spans overlap (one-to-one).

- precision = matched / extracted, recall = matched / gold, over non-borderline gold rows;
  extracted measures that overlap a borderline gold row count on neither side.
- indicator coverage = share of matched pairs with a gold ``indicator_code`` whose extracted
  code is that code (``indicator_agreement``, its older name, is the same figure);
- indicator correctness = share of matched pairs with an extracted code whose gold row has that
  code (a code given where the gold has another or none is wrong).

The gold was coded with the codes of DOMAIN.md §5; a sibling code split off one of them
(``sibling_of`` in the codebook: a rate beside a count, documents retained beside documents
cleaned up) counts as the code it was split from.

Run ``python -m lbgr.eval.accuracy`` to print the figures and the disagreements.
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lbgr import paths
from lbgr.extract.measures import extract_measures
from lbgr.parse.context import Context

GOLD_DIR = paths.ROOT / "tests" / "gold"


@dataclass
class Accuracy:
    n_gold: int = 0
    n_extracted: int = 0
    n_matched: int = 0
    n_coded: int = 0
    n_code_agree: int = 0
    n_given: int = 0  # matched pairs with an extracted code
    n_given_right: int = 0
    false_positives: list[str] = field(default_factory=list)
    false_negatives: list[str] = field(default_factory=list)
    code_disagreements: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # gold rows that cannot be located

    @property
    def precision(self) -> float:
        return self.n_matched / self.n_extracted if self.n_extracted else 1.0

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_gold if self.n_gold else 1.0

    @property
    def indicator_agreement(self) -> float:
        return self.n_code_agree / self.n_coded if self.n_coded else 1.0

    @property
    def indicator_coverage(self) -> float:
        return self.indicator_agreement

    @property
    def indicator_correctness(self) -> float:
        return self.n_given_right / self.n_given if self.n_given else 1.0

    def figures(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "indicator_agreement": self.indicator_agreement,
                "indicator_coverage": self.indicator_coverage, "indicator_correctness": self.indicator_correctness,
                "n_gold": self.n_gold, "n_extracted": self.n_extracted, "n_matched": self.n_matched,
                "n_coded": self.n_coded, "n_code_agree": self.n_code_agree, "n_given": self.n_given,
                "n_given_right": self.n_given_right}


def code_as_gold(ctx: Context) -> dict[str, str]:
    """indicator_code → the code the gold uses for it: its ``sibling_of`` when it has one, else itself."""
    return {r["indicator_code"]: (r.get("sibling_of") or "").strip() or r["indicator_code"]
            for r in ctx.codebook("indicators")}


def gold_files(gold_dir: Path = GOLD_DIR) -> list[Path]:
    return sorted(Path(gold_dir).glob("measures_*.csv"))


def _doc_for(source_file: str, raw_dir: Path, ctx: Context):
    """The processed report for a raw file name (the spine's own processing, as in the build)."""
    from lbgr.parse.report import process_text

    data = (Path(raw_dir) / source_file).read_bytes()
    try:
        from lbgr.ingest.decode import decode_bytes

        text = decode_bytes(data, source_file)
    except Exception:  # pragma: no cover - decoding is the spine's job; fall back to UTF-8
        text = data.decode("utf-8")
    return process_text(text, source_file, hashlib.sha256(data).hexdigest(), ctx).doc


def _same_value(a, b) -> bool:
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    except (TypeError, ValueError):
        return False


def splits(gold_dir: Path = GOLD_DIR) -> dict[str, str]:
    """source_file -> split (`development`: the extractor's author saw its gold; `held_out`: not)."""
    path = Path(gold_dir) / "splits.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["source_file"]: row["split"] for row in csv.DictReader(fh)}


def evaluate(gold_dir: Path = GOLD_DIR, raw_dir: Path = paths.RAW, ctx: Context | None = None,
             split: str | None = None) -> Accuracy:
    """Score the extractor against the gold; ``split`` restricts it to `development` or `held_out` files."""
    ctx = ctx or Context()
    as_gold = code_as_gold(ctx)
    acc = Accuracy()
    by_file: dict[str, list[dict]] = {}
    split_of = splits(gold_dir)
    for path in gold_files(gold_dir):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if split is None or split_of.get(row["source_file"]) == split:
                    by_file.setdefault(row["source_file"], []).append(row)
    for source_file, gold_rows in sorted(by_file.items()):
        doc = _doc_for(source_file, raw_dir, ctx)
        body = doc.body
        gold = []
        for g in gold_rows:
            i = body.find(g["context"])
            j = body.find(g["surface"], i) if i >= 0 else -1
            if i < 0 or j < 0 or j + len(g["surface"]) > i + len(g["context"]):
                acc.problems.append(f"{source_file}: gold context/surface not found: {g['context']!r} / {g['surface']!r}")
                continue
            if body.find(g["context"], i + 1) >= 0:
                acc.problems.append(f"{source_file}: gold context occurs more than once: {g['context']!r}")
            gold.append((j, j + len(g["surface"]), g))
        extracted = extract_measures(doc, ctx)["measures"]
        used: set[int] = set()
        for m in extracted:
            s, e = m["char_start"], m["char_end"]
            hit = None
            for k, (gs, ge, g) in enumerate(gold):
                if k in used or not (gs < e and s < ge):
                    continue
                if _same_value(g["value_normalized"], m["value_normalized"]) and g["unit_normalized"] == m["unit_normalized"]:
                    hit = k
                    break
            where = f"{source_file} {m['surface']!r} in …{body[max(0, s - 12):e + 4]}…"
            if hit is None:
                if any(gs < e and s < ge and g["is_borderline"] == "true" for gs, ge, g in gold):
                    continue
                acc.n_extracted += 1
                acc.false_positives.append(where)
                continue
            used.add(hit)
            g = gold[hit][2]
            if g["is_borderline"] == "true":
                continue
            acc.n_extracted += 1
            acc.n_matched += 1
            got = as_gold.get(m["indicator_code"] or "", m["indicator_code"] or "")
            if g["indicator_code"]:
                acc.n_coded += 1
                if got == g["indicator_code"]:
                    acc.n_code_agree += 1
            if got:
                acc.n_given += 1
                acc.n_given_right += got == g["indicator_code"]
            if got != g["indicator_code"]:
                note = f" ({m['indicator_note']})" if m.get("indicator_note") else ""
                acc.code_disagreements.append(f"{where}: gold {g['indicator_code'] or '-'}, extracted "
                                              f"{m['indicator_code'] or '-'}{note}")
        for k, (_gs, _ge, g) in enumerate(gold):
            if g["is_borderline"] != "true":
                acc.n_gold += 1
                if k not in used:
                    acc.false_negatives.append(f"{source_file} {g['surface']!r} in {g['context']!r}")
    return acc


def figures(gold_dir: Path = GOLD_DIR, raw_dir: Path = paths.RAW, split: str | None = None) -> dict[str, float]:
    """Precision, recall and indicator agreement (with the counts behind them)."""
    return evaluate(gold_dir, raw_dir, split=split).figures()


def main(argv: list[str] | None = None) -> int:
    if not gold_files():
        print(f"no gold files in {GOLD_DIR}")
        return 1
    ctx = Context()
    print(f"measures against the gold standard ({', '.join(p.name for p in gold_files())}):")
    for split in (None, "development", "held_out"):
        part = evaluate(ctx=ctx, split=split)
        f = part.figures()
        print(f"  {split or 'all gold reports'}:")
        print(f"    precision            {f['precision']:.3f}  ({part.n_matched} of {part.n_extracted} extracted)")
        print(f"    recall               {f['recall']:.3f}  ({part.n_matched} of {part.n_gold} gold, borderline excluded)")
        print(f"    indicator coverage   {f['indicator_coverage']:.3f}  ({part.n_code_agree} of {part.n_coded} coded gold mentions carry their code)")
        print(f"    indicator correct    {f['indicator_correctness']:.3f}  ({part.n_given_right} of {part.n_given} codes given are right)")
    acc = evaluate(ctx=ctx)
    for title, items in (("false positives", acc.false_positives), ("false negatives", acc.false_negatives),
                         ("indicator disagreements", acc.code_disagreements), ("gold problems", acc.problems)):
        if items:
            print(f"{title}:")
            for item in items:
                print(f"  {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
