"""``nox -s explore``: Datasette over the package's SQLite file, on 127.0.0.1 only.

The test runs what the session runs (``python -m lbgr explore``) on a copy of the package and a
free port, queries the JSON API (canned queries return the rows the CSV files give), opens the
reports table in headless Chromium (no console error; a Chinese value shows), then stops the
server with Ctrl-C (SIGINT) and checks that the port is closed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest

from browser_helpers import IN_CI, chromium_driver, open_page, require_chromium
from package_helpers import copy_package
from testroot import ROOT

#: A screenshot of the reports table, kept as a build artefact beside the book's.
SHOT = ROOT / "book" / "_build" / "screenshots" / "datasette_reports.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict | list:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read().decode("utf-8"))


@pytest.fixture(scope="module")
def explore(tmp_path_factory):
    import importlib.util

    if importlib.util.find_spec("datasette") is None:
        if IN_CI:
            pytest.fail("CI: datasette is not installed (locks/tests.txt holds the explore extra)")
        pytest.skip("datasette is not installed (pip install -r locks/explore.txt)")
    package = copy_package(tmp_path_factory.mktemp("explore") / "package")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lbgr", "explore", str(package), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            _get(f"{base}/-/versions.json")
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail(f"Datasette did not start:\n{proc.stdout.read()}")
            time.sleep(0.3)
    yield base, package, proc, port
    if proc.poll() is None:  # the last test stops it; this only cleans up after a failure
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_it_listens_on_127_0_0_1_only_and_prints_the_address(explore):
    base, package, proc, port = explore
    info = _get(f"{base}/-/settings.json")
    assert info  # Datasette answers
    listening = [line for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"]
    assert listening and all(line.split()[1].startswith("0100007F:") for line in listening), listening
    assert (package / ".cache" / "explore" / "package.sqlite").exists()


def test_a_canned_query_returns_the_rows_the_csv_gives(explore):
    base, package, *_ = explore
    rows = _get(f"{base}/package/reports_by_province_year.json?_shape=array")
    reports = pd.read_csv(package / "data" / "tables" / "reports.csv", dtype=str, keep_default_na=False)
    expected = reports.groupby(["province", "report_year"]).size()
    assert {(r["province"], str(r["report_year"])): r["n_reports"] for r in rows} == expected.to_dict()

    code = "recon_received"
    rows = _get(f"{base}/package/core_indicator_across_reports.json?" + urlencode({"_shape": "array", "indicator_code": code}))
    ri = pd.read_csv(package / "data" / "tables" / "report_indicators.csv", dtype=str, keep_default_na=False)
    wanted = ri[ri.indicator_code == code]
    assert len(wanted) > 0
    assert sorted((r["report_id"], r["value"]) for r in rows) == sorted(zip(wanted.report_id, wanted.value))


def test_table_metadata_comes_from_the_schemas(explore):
    base, package, *_ = explore
    meta = _get(f"{base}/-/metadata.json")
    schema = json.loads((package / "schemas" / "reports.schema.json").read_text(encoding="utf-8"))
    columns = meta["databases"]["package"]["tables"]["reports"]["columns"]
    assert set(columns) == {f["name"] for f in schema["fields"]}
    table = _get(f"{base}/package/reports.json?_shape=objects&_size=1")
    assert table["rows"][0]["report_id"]


def test_the_table_page_renders_in_chromium_with_a_chinese_value(explore, tmp_path):
    require_chromium()
    base, package, *_ = explore
    reports = pd.read_csv(package / "data" / "tables" / "reports.csv", dtype=str, keep_default_na=False)
    value = reports.loc[0, "issuer"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in value)
    from lbgr.book.kit import cjk_font_path  # the book's OFL font, so that the glyphs render, not boxes

    with chromium_driver(tmp_path, font=cjk_font_path()) as driver:
        errors = open_page(driver, f"{base}/package/reports")
        assert not errors, errors
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(SHOT))
        text = driver.find_element("css selector", "body").text
        assert value in text
        assert "reports" in driver.title
        errors = open_page(driver, f"{base}/package/citations_of_a_document?" + urlencode({"title": "法治政府"}))
        assert not errors, errors
        assert driver.find_elements("css selector", "table.rows-and-columns tbody tr")


def test_ctrl_c_stops_the_server(explore):
    base, package, proc, port = explore
    os.kill(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert "Datasette serves" in proc.stdout.read()
    with pytest.raises(OSError):
        _get(f"{base}/-/versions.json")
