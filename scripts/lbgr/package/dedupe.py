"""Duplicate reports: the same report in two files or formats, found from the text.

Files are compared only within groups of the same place and year (the report ID without its
digest), so the cost grows with the number of reports, not with its square. Two bodies are the
same report when most of the shorter one's character 8-grams (punctuation and spaces ignored)
occur in the longer one: this survives re-encoding, HTML or PDF extraction, watermarks and
excerpts, while two different reports of one place share far fewer.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict

_NOISE = re.compile(r"[^\w]|_", re.UNICODE)
SHINGLE = 8
THRESHOLD = 0.85
FORMAT_PREFERENCE = {"txt": 0, "html": 1, "docx": 2, "pdf": 3}


def fingerprint(body: str) -> set[int]:
    text = _NOISE.sub("", body)
    return {zlib.crc32(text[i:i + SHINGLE].encode("utf-8")) for i in range(max(1, len(text) - SHINGLE + 1))}


def containment(a: set[int], b: set[int]) -> float:
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


def group_key(report_id: str) -> str:
    return "-".join(report_id.split("-")[:2])


def find_duplicates(items: list[tuple[str, str, str, str, bool]]) -> dict[str, tuple[str, float]]:
    """items: (source_file, report_id, source_format, body, is_traditional_source).
    Returns {duplicate file: (kept file, share)}.

    Within a set of duplicates the most complete text is kept (the longest body), then one that
    needed no conversion from traditional characters, then the plainest format, then the first
    file name."""
    groups: dict[str, list[tuple[str, str, str, str, bool]]] = defaultdict(list)
    for item in items:
        groups[group_key(item[1])].append(item)
    duplicates: dict[str, tuple[str, float]] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda m: (-len(m[3]), m[4], FORMAT_PREFERENCE.get(m[2], 9), m[0]))
        prints = {m[0]: fingerprint(m[3]) for m in members}
        kept: list[str] = []
        for name, *_ in members:
            for k in kept:
                share = containment(prints[name], prints[k])
                if share >= THRESHOLD:
                    duplicates[name] = (k, share)
                    break
            else:
                kept.append(name)
    return duplicates
