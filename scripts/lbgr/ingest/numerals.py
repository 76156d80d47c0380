"""Small Chinese numerals as used in heading markers (一 … 九十九)."""

from __future__ import annotations

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
           "八": 8, "九": 9}


def cn_small_int(s: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 九十九 → 99; None if ``s`` is not such a numeral."""
    if not s:
        return None
    if "十" not in s:
        return _DIGITS[s] if len(s) == 1 and s in _DIGITS else None
    tens, _, units = s.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    t = 1 if not tens else _DIGITS.get(tens)
    u = 0 if not units else _DIGITS.get(units)
    if t is None or u is None:
        return None
    return t * 10 + u
