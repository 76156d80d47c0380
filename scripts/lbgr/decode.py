"""Raw bytes → text. The raw file is never changed; the decoded text is what the pipeline reads."""

from __future__ import annotations


class DecodeError(Exception):
    pass


def decode_bytes(data: bytes, name: str) -> str:
    """Decode a plain-text report: UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312)."""
    if not data.strip():
        raise DecodeError(f"{name}: the file is empty")
    if b"\x00" in data[:4096]:
        raise DecodeError(f"{name}: the file is binary (it contains NUL bytes), not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DecodeError(f"{name}: the bytes are neither UTF-8 nor GB18030 text")
