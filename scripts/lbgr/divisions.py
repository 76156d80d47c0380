"""Administrative divisions: find the place a report speaks for and its GB/T 2260 code.

The reference table (``data/reference/divisions.csv``) comes from a maintained source of
division codes (see ``divisions.source.json``). Nothing here names a particular place.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

# Suffixes by which a province or prefecture is also called in running text (江苏省 → 江苏).
_SHORT_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|省|市|地区|盟)$")


@dataclass(frozen=True)
class Division:
    division_code: str
    name: str
    division_level: str  # province / prefecture / county
    province_code: str
    prefecture_code: str
    province: str
    prefecture: str

    @property
    def full_name(self) -> str:
        parts = [self.province, self.prefecture, self.name if self.division_level == "county" else ""]
        out: list[str] = []
        for p in parts:
            if p and p not in out:
                out.append(p)
        return "".join(out)


def short_name(name: str) -> str:
    short = _SHORT_SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


class DivisionIndex:
    def __init__(self, divisions: list[Division]):
        self.divisions = divisions
        self.by_code = {d.division_code: d for d in divisions}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            self.by_name[d.name].append(d)
        # Every name ends in one of a few characters (县, 区, 市 …): a name is looked for only
        # where one of those stands, far cheaper than one alternation of thousands of names,
        # and only in the lengths of the names that end in the same two characters there.
        self._lengths: dict[str, list[int]] = defaultdict(list)  # by the last two characters
        for name in sorted({n for n in self.by_name if n}, key=len):
            if len(name) not in self._lengths[name[-2:]]:
                self._lengths[name[-2:]].append(len(name))
        # Whether any name has one character: none has, and then only two are looked up.
        self._one_character_names = any(len(key) == 1 for key in self._lengths)
        last_chars = sorted({name[-1] for name in self._lengths})
        self._last_char = re.compile("[" + re.escape("".join(last_chars)) + "]")

    @classmethod
    def from_csv(cls, path: Path) -> DivisionIndex:
        with open(path, encoding="utf-8", newline="") as fh:
            return cls([Division(**row) for row in csv.DictReader(fh)])

    def names_in(self, text: str) -> list[str]:
        """Division names occurring in ``text``, left to right, each the longest name starting
        where it starts, and none overlapping an earlier one."""
        longest: dict[int, int] = {}
        lengths, by_name = self._lengths, self.by_name
        for m in self._last_char.finditer(text):
            end = m.end()
            # A one-character name is keyed by itself, every other by its last two characters.
            pair = text[end - 2:end] if end >= 2 else None
            for key in (m.group(), pair) if self._one_character_names else (pair,):
                for n in lengths.get(key, ()):
                    if n <= end and text[end - n:end] in by_name:
                        longest[end - n] = max(n, longest.get(end - n, 0))
        out, pos = [], 0
        for start in sorted(longest):
            if start >= pos:
                pos = start + longest[start]
                out.append(text[start:pos])
        return out

    def resolve(self, name: str, evidence_text: str) -> tuple[Division | None, str]:
        """The division called ``name``, using ``evidence_text`` to choose among namesakes.

        Returns (division or None, reason). A namesake is chosen only when the names of its
        province or prefecture occur in the text strictly more often than those of every
        other namesake; otherwise the result is None, never a guess.
        """
        candidates = self.by_name.get(name, [])
        if not candidates:
            return None, f"'{name}' is not in the division reference"
        if len(candidates) == 1:
            return candidates[0], "unique name"
        scores = []
        for cand in candidates:
            score = 0
            for parent_code in {cand.province_code, cand.prefecture_code} - {"", cand.division_code}:
                parent = self.by_code.get(parent_code)
                if parent is None:
                    continue
                for form in {parent.name, short_name(parent.name)}:
                    score += evidence_text.count(form)
            scores.append(score)
        best = max(scores)
        if best > 0 and scores.count(best) == 1:
            chosen = candidates[scores.index(best)]
            return chosen, f"'{name}' is ambiguous; chose {chosen.full_name} from {best} mentions of its parents"
        listed = ", ".join(c.full_name for c in candidates)
        return None, f"'{name}' is ambiguous ({listed}) and the text does not single one out"
