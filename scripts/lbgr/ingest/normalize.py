"""Text normalisation: one deterministic transformation from decoded text to normalised lines.

Every character offset in the package refers to the body built from these lines, so the rules
here are conservative and documented:

1. Line ends: CRLF, CR, NEL, LINE/PARAGRAPH SEPARATOR and form feed become ``\n``.
2. Invisible characters (zero-width spaces and joiners, BOM, soft hyphen) are removed.
3. Unicode NFKC, except for enclosed numerals (①, ⑴, ⒈ …), which NFKC
   would turn into bare digits or "(1)" and so into false figures or markers. NFKC is what makes
   full-width ASCII half-width (１２３ → 123, （一） → (一), ： → :), and the ideographic space
   a space. Chinese punctuation without a half-width form (。、《》“”) is unchanged.
4. Spaces: tabs and runs of spaces become one space; spaces at the start and end of a line go.
5. Lines that are empty after this are dropped: a paragraph is one non-empty line.
"""

from __future__ import annotations

import array
import re
import unicodedata
from functools import cache, lru_cache

# Line breaks other than \n, left once every CRLF is replaced: a single character class, which
# the engine scans for much faster than an alternation with \r\n.
_BREAK_CHARS = "\r\x85\u2028\u2029\x0c\x0b"
_LONE_BREAK = re.compile(f"[{_BREAK_CHARS}]")
_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
# x x* rather than x+: the engine skips fast to a pattern's first character only when the
# pattern starts with a plain character class, not with a repeat.
_SPACES = re.compile(r"[ \t\u00a0][ \t\u00a0]*")


# Enclosed alphanumerics and enclosed CJK numerals: markers, not digits.
_ENCLOSED = re.compile(r"([\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf]+)")

# Full NFKC of a whole report is slow, yet in Chinese text NFKC changes only a few kinds of
# characters (full-width forms, the ideographic space), each on its own. When every character it
# would change is such a one (see ``_kind``), replacing the few distinct ones gives exactly NFKC.
# Characters taken to be inert without a look (``_inert_ranges_hold`` makes sure they are):
# ASCII, the CJK ideographs, and the common Chinese punctuation that NFKC keeps (、。〈〉《》「」
# 『』【】 ‘’ “” — ·), which would otherwise be most of what is looked at.
_INERT_RANGES = ((0x00, 0x7F), (0x4E00, 0x9FFF), (0x3001, 0x3002), (0x3008, 0x3011), (0x2018, 0x2019),
                   (0x201C, 0x201D), (0x2014, 0x2014), (0xB7, 0xB7))
# Runs of those characters: deleting them leaves the characters to look at, and the engine
# deletes long runs about twice as fast as it finds the few characters between them.
_INERT_RUN = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _INERT_RANGES) + "]+")
_CONTEXTUAL = object()


@lru_cache(maxsize=1)
def _composes_backward() -> frozenset[int]:
    """Code points that can combine with the character before them (second of a canonical pair)."""
    out = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul vowel and final jamo
    every = array.array("I", range(0x110000)).tobytes().decode("utf-32-le", "surrogatepass")
    for block in range(0, len(every), 256):
        chunk = every[block:block + 256]
        if unicodedata.is_normalized("NFD", chunk):
            continue  # nothing in the block decomposes (the usual case): skip it whole
        for c in chunk:
            parts = unicodedata.decomposition(c).split()
            if len(parts) == 2 and not parts[0].startswith("<"):
                out.add(int(parts[1], 16))
    return frozenset(out)


def _inert(c: str) -> bool:
    """NFKC leaves ``c`` as it is whatever stands around it."""
    return (unicodedata.combining(c) == 0 and unicodedata.normalize("NFKC", c) == c
            and ord(c) not in _composes_backward())


@cache
def _kind(c: str) -> str | object | None:
    """None (kept), _CONTEXTUAL (NFKC may depend on the neighbours), or what NFKC makes of ``c``."""
    if _ENCLOSED.match(c) or _inert(c):
        return None
    out = unicodedata.normalize("NFKC", c)
    if unicodedata.combining(c) or ord(c) in _composes_backward() or not all(map(_inert, out)):
        return _CONTEXTUAL
    return out


@lru_cache(maxsize=1)
def _inert_ranges_hold() -> bool:
    return all(_inert(chr(cp)) for a, b in _INERT_RANGES for cp in range(a, b + 1))


def nfkc_preserving_markers(text: str) -> str:
    if text.isascii():
        return text
    if _inert_ranges_hold():
        kinds = {c: _kind(c) for c in set(_INERT_RUN.sub("", text))}
        if not any(kind is _CONTEXTUAL for kind in kinds.values()):
            for c, kind in kinds.items():
                if kind is not None:
                    text = text.replace(c, kind)
            return text
    parts = _ENCLOSED.split(text)
    # Odd positions hold the enclosed characters captured by the split.
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def normalize_line(line: str) -> str:
    line = nfkc_preserving_markers(_INVISIBLE.sub("", line))
    return _SPACES.sub(" ", line).strip()


def _contains_any(text: str, chars: str) -> bool:
    return any(c in text for c in chars)


def normalize_lines(text: str) -> list[str]:
    """Return the non-empty normalised lines of ``text``."""
    # All at once rather than line by line: no rule reaches across a line break (NFKC neither
    # combines nor produces one), so the result is the same and the per-line overhead goes.
    # A substitution scans the whole text even when it finds nothing, as it mostly does here; a
    # test for each character it would change is many times faster, so it runs only when needed.
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _contains_any(text, _BREAK_CHARS):
        text = _LONE_BREAK.sub("\n", text)
    if _contains_any(text, _INVISIBLE_CHARS):
        text = _INVISIBLE.sub("", text)
    text = nfkc_preserving_markers(text)
    if "  " in text or "\t" in text or "\xa0" in text:  # else every run of _SPACES is one space
        text = _SPACES.sub(" ", text)
    return [line for line in map(str.strip, text.split("\n")) if line]
