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

import re
import unicodedata

_LINE_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029\x0c\x0b]")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"), None)
_SPACES = re.compile(r"[ \t\u00a0]+")


# Enclosed alphanumerics and enclosed CJK numerals: markers, not digits.
_ENCLOSED = re.compile(r"([\u2460-\u24ff\u3251-\u325f\u32b1-\u32bf]+)")


def nfkc_preserving_markers(text: str) -> str:
    if text.isascii():
        return text
    parts = _ENCLOSED.split(text)
    # Odd positions hold the enclosed characters captured by the split.
    return "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))


def normalize_line(line: str) -> str:
    line = nfkc_preserving_markers(line.translate(_INVISIBLE))
    return _SPACES.sub(" ", line).strip()


def normalize_lines(text: str) -> list[str]:
    """Return the non-empty normalised lines of ``text``."""
    text = _LINE_BREAKS.sub("\n", text)
    out = []
    for raw in text.split("\n"):
        line = normalize_line(raw)
        if line:
            out.append(line)
    return out
