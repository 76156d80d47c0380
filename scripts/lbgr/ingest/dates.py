"""Dates as printed in Chinese reports: 2024-02-22, 2024/2/22, 2024年2月22日, 二〇二二年二月十六日."""

from __future__ import annotations

import datetime as dt
import re

_CN_DIGIT = {"〇": 0, "○": 0, "零": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}

ARABIC_DATE = re.compile(r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?")
CN_DATE = re.compile(r"([〇○零O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")


def _cn_small(s: str) -> int:
    """一 … 三十一 (a month or day written in Chinese numerals)."""
    if "十" not in s:
        return _CN_DIGIT[s]
    tens, _, units = s.partition("十")
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def parse_date_match(m: re.Match) -> str | None:
    if m.re is CN_DATE:
        y = int("".join(str(_CN_DIGIT[c]) for c in m.group(1)))
        return _iso(y, _cn_small(m.group(2)), _cn_small(m.group(3)))
    return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def find_date(text: str) -> str | None:
    """The first valid date in ``text`` as an ISO string, or None."""
    for pattern in (ARABIC_DATE, CN_DATE):
        for m in pattern.finditer(text):
            iso = parse_date_match(m)
            if iso:
                return iso
    return None


def full_date_line(line: str) -> str | None:
    """The ISO date if ``line`` is nothing but a date (a signature-block date line)."""
    for pattern in (ARABIC_DATE, CN_DATE):
        m = pattern.fullmatch(line.strip())
        if m:
            return parse_date_match(m)
    return None
