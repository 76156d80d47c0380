"""Text repairs before parsing: traditional characters, watermarks, page numbers, repeated banners.

Repairs never guess lost content: a character the source lost ("5?12") stays as it is.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

_NOT_CJK = re.compile(r"[^\u4e00-\u9fff]+")
_MARKER_LINE = re.compile(r"^([一二三四五六七八九十]+[、是]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}[.、])")


# Pinyin that some mirrors insert after a character, in brackets: 區(qū), 設(shè). Only a
# bracketed run of Latin letters with at least one tone mark, right after a CJK character, is
# removed: a bracket holding plain letters (A), digits or Chinese stays.
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿ"
_PINYIN = re.compile(rf"(?<=[\u4e00-\u9fff])[(（](?=[a-zü{_TONED}]*[{_TONED}])[a-zü{_TONED}]{{1,6}}[)）]")


def remove_pinyin(text: str) -> tuple[str, int]:
    """``text`` without the pinyin a mirror inserted after characters, and how many were removed."""
    if not any(c in _TONED for c in text):
        return text, 0
    return _PINYIN.subn("", text)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str, threshold: float = 0.03) -> tuple[str, bool]:
    """Convert traditional characters to simplified (OpenCC t2s) when the text is written in
    them: when at least ``threshold`` of its CJK characters change. Simplified text is returned
    unchanged, so that a stray variant character is not rewritten."""
    # Decide on a sample first: converting a whole simplified text only to discard it is costly.
    sample = text[:3000]
    converted_sample = _t2s().convert(sample)
    if converted_sample == sample and threshold > 0:
        return text, False  # simplified text comes back unchanged: nothing to count
    n_cjk = len(_NOT_CJK.sub("", sample))
    if not n_cjk:
        return text, False
    changed = sum(map(str.__ne__, sample, converted_sample))
    if len(converted_sample) != len(sample) or changed / n_cjk < threshold:
        return text, False
    converted = _t2s().convert(text)
    if len(converted) != len(text):
        return text, False
    return converted, True


def remove_noise_lines(lines: list[str], patterns: list[re.Pattern], min_repeats: int = 3) -> tuple[list[str], list[str]]:
    """Drop page numbers and watermark lines anywhere, and short lines repeated ``min_repeats``
    times or more (a site banner or watermark repeated on every page). Returns (kept, removed)."""
    counts = Counter(lines)
    kept, removed = [], []
    for line in lines:
        short = len(line) <= 60 and not line.endswith("。")
        repeated = short and counts[line] >= min_repeats and not _MARKER_LINE.match(line)
        if short and (repeated or any(p.fullmatch(line) for p in patterns)):
            removed.append(line)
        else:
            kept.append(line)
    return kept, removed


# What a document-sharing mirror does to a report: masks names as 「(略)」, strips every digit.
# Nothing lost is filled in; the build only says so.
_MASK = re.compile(r"[(（]\s*略\s*[)）]")
# Where digits were stripped, a year range is left as (—年) and a sentence opens on 年,.
_STRIPPED_DIGITS = re.compile(r"[(（]\s*[—–\-－~～]+\s*年?\s*[)）]|(?:^|[。\n])\s*年度?[,，、]")


def mirror_damage(text: str) -> list[str]:
    """Warnings for the damage a mirror did to ``text`` (masked passages, stripped digits)."""
    out = []
    if n := len(_MASK.findall(text)):
        out.append(f"{n} passage(s) masked as (略), as document-sharing mirrors do: the names or figures there "
                   "are lost and left out")
    if n := len(_STRIPPED_DIGITS.findall(text)):
        out.append(f"{n} place(s) where digits seem stripped (a year range printed as (—年), a sentence opening "
                   "on 年,): a mirror may have removed the digits of years and figures; none is filled in")
    return out
