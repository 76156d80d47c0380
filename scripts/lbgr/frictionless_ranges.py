"""Layer 1 of validation: frictionless on row-aligned byte ranges of each table, in worker processes.

Each range is a CSV of its own with the table's header and Table Schema, so every row and cell
is checked by frictionless itself. What a range cannot see is left to the caller: the bytes and
hash of each file are checked here on the whole file; keys that must be unique or must exist
across ranges are checked by ``lbgr.keys`` over the whole table.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict
from pathlib import Path

from .validation_cache import Hasher, ValidationCache

RANGE_BYTES = 4_000_000


def row_ranges(data, start: int, target: int) -> list[tuple[int, int]]:
    """Split ``data[start:]`` into ranges of about ``target`` bytes that end at a row end.

    A line end is a row end when the quotes before it are balanced (RFC 4180 doubles a quote
    inside a quoted cell, so the parity of the count is exact).

    Where a range ends is decided by the content of the line before the cut, not by its offset
    (content-defined chunking): past half of ``target``, a line ends the range with a chance
    proportional to its length, drawn from its CRC. Rows inserted into a table then change only
    the range they fall in, the ranges before and after keep their bytes, and their validation
    can be reused from the cache (``ValidationCache``). A range never grows past twice ``target``.
    """
    out = []
    begin, size = start, len(data)
    low, high = max(1, target // 2), max(2, 2 * target)
    spread = max(1, target - low)  # expected bytes between the minimum and a content-defined cut
    while begin < size:
        # Lines that end before the minimum size cannot end the range: skip them unread.
        cut, pos = -1, data.rfind(b"\n", begin, begin + low) + 1 or begin
        quotes, counted = 0, begin  # quotes in data[begin:counted], counted once each
        while True:
            nl = data.find(b"\n", pos)
            if nl == -1:
                break
            line_start, pos = pos, nl + 1
            if pos - begin < low:
                continue
            if pos - begin >= high or zlib.crc32(data[line_start:pos]) % _DRAW < (pos - line_start) * _DRAW // spread:
                quotes += data[counted:nl].count(b'"')
                counted = nl
                if quotes % 2 == 0:
                    cut = nl
                    break
        end = size if cut == -1 else cut + 1
        out.append((begin, end))
        begin = end
    return out


_DRAW = 1 << 30


def _validate_range(arg) -> tuple[str, int, int, list[tuple[int | None, str]]]:
    """One byte range of one table, validated by frictionless as a CSV of its own."""
    from frictionless import Resource, Schema

    name, path, header_end, begin, end, schema, fmt = arg
    if fmt != "csv":  # only CSV is split; another format is validated whole
        report = Resource(path=path, format=fmt, schema=Schema.from_descriptor(schema)).validate()
    else:
        with open(path, "rb") as fh:
            header = fh.read(header_end)
            fh.seek(begin)
            body = fh.read(end - begin)
        report = Resource(header + body, format="csv", encoding="utf-8",
                          schema=Schema.from_descriptor(schema)).validate()
    errors = [(getattr(err, "row_number", None), err.message) for task in report.tasks for err in task.errors[:20]]
    errors += [(None, err.message) for err in report.errors]
    rows = report.tasks[0].stats.get("rows") or 0 if report.tasks else 0
    del report
    return name, begin, rows, errors


def _without_keys(schema: dict) -> dict:
    out = {k: v for k, v in schema.items() if k not in ("foreignKeys", "primaryKey")}
    out["fields"] = [{**f, "constraints": {k: v for k, v in f["constraints"].items() if k != "unique"}}
                     if "constraints" in f else f for f in schema.get("fields", [])]
    return out


def _mapped(path: Path):
    """The file's bytes, memory-mapped: a large table is hashed and split without being read
    into memory (an empty file cannot be mapped; it is read instead)."""
    import mmap

    with open(path, "rb") as fh:
        if fh.seek(0, 2) == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class FrictionlessPass:
    """Layer 1, started in worker processes; ``errors()`` waits for it."""

    def __init__(self, package_dir: Path, pool=None, cache: ValidationCache | None = None):
        """With ``pool`` (a concurrent.futures executor) the ranges are submitted to it at once;
        without, they are validated in this process when ``errors()`` is called. With ``cache``,
        a range whose bytes and schema were validated before is not validated again."""
        from frictionless import FrictionlessException, Package

        self.errors_now: list[str] = []
        self.units: list[tuple] = []
        self.futures: dict[int, object] = {}
        self.pool = pool
        self.cache = cache
        self.keys: list[str] = []  # with ``cache``: one per unit
        self.cached: dict[int, tuple] = {}
        descriptor_path = package_dir / "datapackage.json"
        try:
            descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
            problems = [e.message for e in Package.metadata_validate(descriptor)]
            if problems:
                self.errors_now += [f"frictionless: datapackage.json: {m}" for m in problems]
                return
            Package(descriptor, basepath=str(package_dir))
        except (FrictionlessException, OSError, ValueError) as exc:
            self.errors_now.append(f"frictionless: datapackage.json: {exc}")
            return
        units = []
        for res in descriptor.get("resources", []):
            path = package_dir / res["path"]
            try:
                data = _mapped(path)
            except OSError as exc:
                self.errors_now.append(f"frictionless: {res['name']}: cannot read {res['path']}: {exc}")
                continue
            if "bytes" in res and res["bytes"] != len(data):
                self.errors_now.append(f"frictionless: {res['name']}: {res['path']} has {len(data)} bytes, "
                                       f"datapackage.json says {res['bytes']}")
            if "hash" in res and res["hash"] != "sha256:" + hashlib.sha256(data).hexdigest():
                self.errors_now.append(f"frictionless: {res['name']}: {res['path']} does not match its hash")
            schema = res["schema"]
            if isinstance(schema, str):
                schema = json.loads((package_dir / schema).read_text(encoding="utf-8"))
            # Keys span ranges, so the parent checks them over the whole table (UniqueKeys,
            # ForeignKeys); frictionless keeping its own memo of every key would only repeat that.
            schema = _without_keys(schema)
            fmt = res.get("format", "csv")
            header_end = data.find(b"\n") + 1 or len(data)
            ranges = row_ranges(data, header_end, RANGE_BYTES) if fmt == "csv" else []
            schema_bytes = json.dumps(schema, sort_keys=True).encode()
            for begin, end in ranges or [(header_end, header_end)]:
                units.append((res["name"], str(path), header_end, begin, end, schema, fmt))
                if cache is not None:
                    piece = data[begin:end] if fmt == "csv" else data[:]
                    self.keys.append(Hasher("frictionless range").add(fmt.encode()).add(schema_bytes)
                                     .add(data[:header_end]).add(piece).key())
            if hasattr(data, "close"):
                data.close()
        self.units = units
        for i, key in enumerate(self.keys):
            if (hit := cache.get(key)) is not None:
                self.cached[i] = (units[i][0], units[i][3], *hit)
        if self.pool is not None:
            self.futures = {i: self.pool.submit(_validate_range, u) for i, u in enumerate(units) if i not in self.cached}

    def errors(self) -> list[str]:
        out = list(self.errors_now)
        results = []
        for i, unit in enumerate(self.units):
            if i in self.cached:
                results.append(self.cached[i])
                continue
            result = self.futures[i].result() if self.pool else _validate_range(unit)
            if self.cache is not None:
                self.cache.put(self.keys[i], result[2:])
            results.append(result)
        rows_before: dict[str, int] = defaultdict(int)
        for name, _begin, rows, errs in results:  # in file order within each table
            for row_number, message in errs:
                where = f" row {row_number + rows_before[name]}" if row_number else ""
                out.append(f"frictionless: {name}{where}: {message}")
            rows_before[name] += rows
        return list(dict.fromkeys(out))  # a header error is found in every range of its table
