"""Administrative divisions: find the place a report speaks for and its GB/T 2260 code.

The reference table (``data/reference/divisions.csv``) comes from a maintained source of
division codes (see ``divisions.source.json``). Nothing here names a particular place.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
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
    # For a former division (division_history.csv): the last year the statistical codes list it.
    last_year: int | None = None

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


# The 55 officially recognised minority nationalities, as they stand in the names of autonomous
# prefectures, counties and banners (恩施土家族苗族自治州): a linguistic list, not a list of places.
ETHNIC_GROUPS = (
    "蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
    "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
    "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺").split()
_ETHNIC = "|".join(sorted(ETHNIC_GROUPS, key=len, reverse=True))
_AUTONOMOUS = re.compile(rf"^(?P<stem>.+?)(?:(?:{_ETHNIC})族?)+自治(?P<kind>州|县|旗)$")
_BANNER = re.compile(r"^(?P<stem>.{3,}?)(?P<side>左|右)(?:翼)?(?P<part>前|中|后)?旗$|^(?P<stem2>.{3,}?)(?P<part2>前|中|后)旗$")
_LEAGUE = re.compile(r"^(?P<stem>.{3,})盟$")


def short_forms(d: Division) -> list[str]:
    """Short forms by which a division is commonly called, generated from its official name:

    - autonomous prefecture: stem + 州 (恩施土家族苗族自治州 → 恩施州); a stem of four characters
      or more also by its first character + 州 (博尔塔拉蒙古自治州 → 博州);
    - autonomous county or banner: stem + 自治县 / 县 (镇宁布依族苗族自治县 → 镇宁自治县, 镇宁县);
    - banner with a wing or part (科尔沁右翼前旗 → 科右前旗, 乌拉特前旗 → 乌前旗): the stem's first
      character, 左/右 without 翼, and 前/中/后;
    - league of three characters or more: its first character + 盟 (锡林郭勒盟 → 锡盟).
    """
    name, out = d.name, []
    m = _AUTONOMOUS.match(name)
    if m and len(m.group("stem")) >= 2:
        stem, kind = m.group("stem"), m.group("kind")
        if kind == "州":
            out.append(stem + "州")
            if len(stem) >= 4:
                out.append(stem[0] + "州")
        else:
            out += [stem + "自治" + kind, stem + kind]
    m = _BANNER.match(name)
    if m:
        if m.group("stem"):
            out.append(m.group("stem")[0] + m.group("side") + (m.group("part") or "") + "旗")
        else:
            out.append(m.group("stem2")[0] + m.group("part2") + "旗")
    m = _LEAGUE.match(name)
    if m and d.division_level == "prefecture":
        out.append(m.group("stem")[0] + "盟")
    return [f for f in out if f != name and len(f) >= 2]


def stem_forms(d: Division) -> set[str]:
    """Bare forms by which a province or prefecture is named in running text (江西 for 江西省,
    苏州 for 苏州市, 恩施 for 恩施土家族苗族自治州)."""
    out = set()
    if d.division_level in ("province", "prefecture"):
        short = short_name(d.name)
        if short != d.name:
            out.add(short)
        m = _AUTONOMOUS.match(d.name)
        if m and m.group("kind") == "州" and len(m.group("stem")) >= 2:
            out.add(m.group("stem"))
    return {f for f in out if len(f) >= 2}


class DivisionIndex:
    def __init__(self, divisions: list[Division], former: list[Division] = ()):
        """``former``: divisions the current codes no longer list (renamed, merged, re-coded).
        Their names are looked up only where no current division has the name, so that a report
        of the years before a change (横县, now 横州市) gets the code that was valid then."""
        self.divisions = divisions
        self.by_code = {d.division_code: d for d in divisions}
        self.by_name: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            self.by_name[d.name].append(d)
        current_names = set(self.by_name)
        for d in former:
            if d.name not in current_names:
                self.by_name[d.name].append(d)
                self.by_code.setdefault(d.division_code, d)
        # Generated short forms (恩施州, 镇宁自治县, 科右前旗) that are no official name themselves.
        self.short: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            for form in short_forms(d):
                if form not in self.by_name:
                    self.short[form].append(d)
        self._short_index = _NameFinder({**self.by_name, **self.short})
        # Bare forms of provinces and prefectures in running text (江西, 苏州, 恩施): counted as
        # evidence only, never searched for as names on their own.
        self.stems: dict[str, list[Division]] = defaultdict(list)
        for d in divisions:
            for form in stem_forms(d):
                self.stems[form].append(d)
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
    def from_csv(cls, path: Path, history: Path | None = None) -> DivisionIndex:
        """The divisions of ``path``, and the former ones of ``history`` (by default
        ``division_history.csv`` beside it, where it exists)."""
        with open(path, encoding="utf-8", newline="") as fh:
            current = [Division(**row) for row in csv.DictReader(fh)]
        history = Path(path).with_name("division_history.csv") if history is None else history
        former = []
        if history.exists():
            with open(history, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    row.pop("first_year")
                    former.append(Division(**{**row, "last_year": int(row.pop("last_year"))}))
        return cls(current, former)

    @cached_property
    def by_pinyin(self) -> dict[str, list[Division]]:
        """Provinces, prefectures and counties by the toneless pinyin of their bare name (enshi for
        恩施土家族苗族自治州 and for 恩施市, hubei for 湖北省), as government sites name their hosts."""
        from pypinyin import lazy_pinyin

        out: dict[str, list[Division]] = defaultdict(list)
        for d in self.divisions:
            if d.division_level not in ("province", "prefecture", "county"):
                continue
            m = _AUTONOMOUS.match(d.name)
            bare = m.group("stem") if m else short_name(d.name)
            out["".join(lazy_pinyin(bare))].append(d)
        return out

    def lookup(self, name: str) -> list[Division]:
        """The divisions called ``name``, by official name or else by a generated short form."""
        return self.by_name.get(name) or self.short.get(name, [])

    def names_in(self, text: str, short_forms: bool = False) -> list[str]:
        """Division names occurring in ``text``, left to right, each the longest name starting
        where it starts, and none overlapping an earlier one; with ``short_forms``, the
        generated short forms (恩施州) too."""
        if short_forms:
            return self._short_index.names_in(text)
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
        candidates = self.lookup(name)
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


class _NameFinder(DivisionIndex):
    """Finds the keys of ``names`` in a text, as ``DivisionIndex.names_in`` does."""

    def __init__(self, names: dict[str, list[Division]]):  # no super().__init__: only the name lookup is wanted
        self.by_name = names
        self._lengths: dict[str, list[int]] = defaultdict(list)
        for name in sorted({n for n in names if n}, key=len):
            if len(name) not in self._lengths[name[-2:]]:
                self._lengths[name[-2:]].append(len(name))
        self._one_character_names = any(len(key) == 1 for key in self._lengths)
        last_chars = sorted({name[-1] for name in self._lengths})
        self._last_char = re.compile("[" + re.escape("".join(last_chars)) + "]")
