"""The collector against a real HTTP server on 127.0.0.1, started by these tests.

The server's pages are made here from the package's own reports (data/raw/): a GBK page whose
charset only a meta tag declares, a UTF-8 page whose header names the wrong charset, a redirect
chain, a 404, a 500 that succeeds on the second try, a response slower than the timeout, a path
robots.txt forbids, a page whose report is a .docx attachment, a listing of two pages and a page
that is not a report.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lbgr.build.run import EXIT_OK, build
from lbgr.ingest import collect
from lbgr.ingest.manifest import REQUIRED, read_manifest
from lbgr.validate import validate_package
from testroot import ROOT

RAW = ROOT / "data" / "raw"


def report_text(name: str) -> str:
    return (RAW / name).read_text(encoding="utf-8")


def html_page(text: str, charset_meta: str | None = None, extra: str = "") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset_meta}">' if charset_meta else ""
    paras = "\n".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    return f"<html><head>{meta}<title>page</title></head><body><div class='content'>{paras}</div>{extra}</body></html>"


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    for line in text.splitlines():
        if line.strip():
            document.add_paragraph(line.strip())
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


class Site:
    """What the test server serves, and what it was asked for."""

    def __init__(self):
        self.hits: dict[str, int] = {}
        self.agents: list[str] = []
        self.times: list[float] = []
        self.changing = "first"
        self.pages = {
            "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n"),
            "/gbk-meta.html": (200, "text/html", html_page(report_text("000_b42d8d81e0a81924.txt"), "gbk").encode("gbk")),
            "/utf8-wrong.html": (200, "text/html; charset=gbk", html_page(report_text("003_d68dadcd5706f4a5.txt")).encode()),
            "/final.html": (200, "text/html; charset=utf-8", html_page(report_text("002_866c5af172076bf5.txt")).encode()),
            "/flaky.html": (200, "text/html; charset=utf-8", html_page(report_text("004_e7f22e860264b322.txt")).encode()),
            "/slow.html": (200, "text/html; charset=utf-8", b"<html><body>too late</body></html>"),
            "/private/report.html": (200, "text/html; charset=utf-8", html_page(report_text("001_131dc5d2c8e1d5c4.txt")).encode()),
            "/attach.html": (200, "text/html; charset=utf-8", (
                "<html><body><h1>县人民政府办公室关于公开年度报告的说明</h1><p>现公开如下，详见附件。</p>"
                "<a href='/files/%E6%8A%A5%E5%91%8A.docx'>附件：某县2024年度法治政府建设情况报告.docx</a>"
                "<a href='/files/other.pdf'>附件2：办事指南.pdf</a></body></html>").encode()),
            "/files/报告.docx": (200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                docx_bytes(report_text("001_131dc5d2c8e1d5c4.txt"))),
            "/list1.html": (200, "text/html; charset=utf-8", (
                "<html><body><ul><li><a href='/gbk-meta.html'>怀化市2023年度法治政府建设情况的报告</a></li>"
                "<li><a href='/news.html'>关于召开春季运动会的通知</a></li></ul>"
                "<a href='list2.html'>下一页</a></body></html>").encode()),
            "/list2.html": (200, "text/html; charset=utf-8", (
                "<html><body><ul><li><a href='/utf8-wrong.html'>隆昌市2021年法治政府建设情况报告</a></li></ul>"
                "<a href='list1.html'>上一页</a></body></html>").encode()),
            "/news.html": (200, "text/html; charset=utf-8",
                           "<html><body><h1>关于召开春季运动会的通知</h1><p>各单位：定于四月举行运动会。</p></body></html>".encode()),
        }

    def answer(self, path: str, agent: str) -> tuple[int, list[tuple[str, str]], bytes, float]:
        from urllib.parse import unquote

        path = unquote(path)
        self.hits[path] = self.hits.get(path, 0) + 1
        self.agents.append(agent)
        self.times.append(time.monotonic())
        if path == "/r1":
            return 302, [("Location", "/r2")], b"", 0
        if path == "/r2":
            return 301, [("Location", f"{self.base}/final.html")], b"", 0
        if path == "/flaky.html" and self.hits[path] == 1:
            return 500, [("Content-Type", "text/plain")], b"busy", 0
        if path == "/slow.html":
            return 200, [("Content-Type", "text/html")], self.pages[path][2], 2.0
        if path == "/changing.html":
            name = "000_b42d8d81e0a81924.txt" if self.changing == "first" else "002_866c5af172076bf5.txt"
            return 200, [("Content-Type", "text/html; charset=utf-8")], html_page(report_text(name)).encode(), 0
        if path == "/slow-report.html":
            return 200, [("Content-Type", "text/html; charset=utf-8")], \
                html_page(report_text("002_866c5af172076bf5.txt")).encode(), 30.0
        if path in self.pages:
            status, ctype, body = self.pages[path]
            return status, [("Content-Type", ctype)], body, 0
        return 404, [("Content-Type", "text/plain")], b"not found", 0


@pytest.fixture
def site(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    state = Site()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, headers, body, wait = state.answer(self.path, self.headers.get("User-Agent", ""))
            if wait:
                time.sleep(wait)
            try:
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    state.base = f"http://127.0.0.1:{state.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def run(site, raw: Path, paths_: list[str], **kw) -> tuple[int, list[str]]:
    urls = raw.parent / "urls.txt"
    urls.write_text("".join(f"{site.base}{p}\n" for p in paths_), encoding="utf-8")
    lines: list[str] = []
    opts = {"delay": 0.0, "timeout": 0.5, "retries": 1, "backoff": 0.0, **kw}
    status = collect.run(urls, raw, echo=lines.append, **opts)
    return status, lines


def verdict(lines: list[str], site, path: str) -> str:
    found = [ln for ln in lines if ln.startswith(f"{site.base}{path}  ")]
    assert len(found) == 1, f"no verdict for {path} in {lines}"
    return found[0]


def rows_by_url(raw: Path) -> dict[str, dict]:
    return {r["source_url"]: r for r in read_manifest(raw / "sources.csv").values()}


# ------------------------------------------------------------------------------ scenarios
def test_each_address_gets_its_verdict_and_manifest_row(site, tmp_path):
    raw = tmp_path / "raw"
    paths_ = ["/gbk-meta.html", "/utf8-wrong.html", "/r1", "/missing", "/flaky.html", "/slow.html",
              "/private/report.html", "/attach.html", "/news.html"]
    status, lines = run(site, raw, paths_)
    assert status == 1, lines  # some addresses could not be collected
    b = site.base
    assert "saved" in verdict(lines, site, "/gbk-meta.html")
    assert "not found (HTTP 404)" in verdict(lines, site, "/missing")
    assert "failed after 2 tries (timed out" in verdict(lines, site, "/slow.html")
    assert "not allowed by robots.txt" in verdict(lines, site, "/private/report.html")
    assert "not a report page" in verdict(lines, site, "/news.html")
    assert site.hits.get("/private/report.html", 0) == 0
    assert site.hits["/flaky.html"] == 2 and site.hits["/missing"] == 1  # 5xx retried, 4xx not
    rows = rows_by_url(raw)
    assert set(rows) == {f"{b}/gbk-meta.html", f"{b}/utf8-wrong.html", f"{b}/r1", f"{b}/flaky.html",
                         f"{b}/attach.html", f"{b}/files/%E6%8A%A5%E5%91%8A.docx"}
    gbk = rows[f"{b}/gbk-meta.html"]
    assert (gbk["content_type"], gbk["declared_encoding"], gbk["detected_encoding"]) == ("text/html", "gbk", "gb18030")
    wrong = rows[f"{b}/utf8-wrong.html"]
    assert (wrong["declared_encoding"], wrong["detected_encoding"]) == ("gbk", "utf-8")
    assert rows[f"{b}/r1"]["final_url"] == f"{b}/final.html"
    assert rows[f"{b}/flaky.html"]["http_status"] == "200"
    att = rows[f"{b}/files/%E6%8A%A5%E5%91%8A.docx"]
    assert (att["role"], att["parent_url"]) == ("attachment", f"{b}/attach.html")
    assert att["source_file"].endswith(".docx")
    assert site.hits.get("/files/other.pdf", 0) == 0  # an attachment that names no report is left
    for row in rows.values():
        data = (raw / row["source_file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["source_sha256"] and int(row["source_bytes"]) == len(data)
        assert row["retrieved_at"].endswith("Z") and row["retrieved_date"] == row["retrieved_at"][:10]
    assert all(a.startswith("lbgr-collector/") and "github.com" in a for a in site.agents)
    assert not [p for p in raw.iterdir() if p.name.startswith(".") and p.name != ".collect-journal.json"]


def test_warc_holds_every_exchange_and_the_saved_bytes(site, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    raw = tmp_path / "raw"
    run(site, raw, ["/gbk-meta.html", "/r1", "/attach.html", "/missing"])
    rows = read_manifest(raw / "sources.csv")
    warcs = {r["warc_file"] for r in rows.values()}
    assert len(warcs) == 1
    responses, requests = {}, 0
    with open(raw / warcs.pop(), "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response":
                responses[record.rec_headers.get_header("WARC-Record-ID")] = (
                    record.rec_headers.get_header("WARC-Target-URI"), record.http_headers.get_statuscode(),
                    record.content_stream().read())
            elif record.rec_type == "request":
                requests += 1
                assert record.http_headers.get_header("User-Agent").startswith("lbgr-collector/")
    assert requests == len(responses)
    statuses = sorted(s for _, s, _ in responses.values())
    assert statuses.count("302") == 1 and statuses.count("301") == 1 and "404" in statuses
    for row in rows.values():
        uri, status, payload = responses[row["warc_record_id"]]
        assert status == "200" and uri == row["final_url"]
        assert payload == (raw / row["source_file"]).read_bytes()


def test_a_second_run_fetches_nothing(site, tmp_path):
    raw = tmp_path / "raw"
    run(site, raw, ["/gbk-meta.html", "/attach.html"])
    before = dict(site.hits)
    status, lines = run(site, raw, ["/gbk-meta.html", "/attach.html"])
    assert status == 0
    assert site.hits == before
    assert all("skipped: already collected" in verdict(lines, site, p) for p in ["/gbk-meta.html", "/attach.html"])
    assert "0 requests" in lines[-1]


def test_refresh_keeps_both_versions_of_a_changed_page(site, tmp_path):
    raw = tmp_path / "raw"
    run(site, raw, ["/changing.html"])
    first = read_manifest(raw / "sources.csv")
    (name, row), = first.items()
    old_bytes = (raw / name).read_bytes()
    status, lines = run(site, raw, ["/changing.html"], refresh=True)
    assert status == 0 and "unchanged" in verdict(lines, site, "/changing.html")
    site.changing = "second"
    status, lines = run(site, raw, ["/changing.html"], refresh=True)
    assert status == 0 and "saved" in verdict(lines, site, "/changing.html")
    rows = read_manifest(raw / "sources.csv")
    assert len(rows) == 2 and rows[name] == row
    assert (raw / name).read_bytes() == old_bytes
    assert len({r["warc_file"] for r in rows.values()}) == 2  # one archive per run


def test_listing_pages_are_followed_by_their_next_link(site, tmp_path):
    raw = tmp_path / "raw"
    status, lines = run(site, raw, ["/list1.html"], listing=True)
    assert status == 0, lines
    assert site.hits["/list2.html"] == 1 and site.hits["/list1.html"] == 1  # 上一页 is not followed
    assert site.hits.get("/news.html", 0) == 0  # its link text names no report
    rows = rows_by_url(raw)
    assert set(rows) == {f"{site.base}/gbk-meta.html", f"{site.base}/utf8-wrong.html"}
    assert all(f"listed on {site.base}/list1.html" in r["notes"] for r in rows.values())


def test_one_request_per_host_every_delay(site, tmp_path):
    raw = tmp_path / "raw"
    run(site, raw, ["/gbk-meta.html", "/final.html"], delay=0.4)
    gaps = [b - a for a, b in zip(site.times, site.times[1:])]
    assert len(site.times) == 3 and min(gaps) >= 0.35  # robots.txt and two pages


def test_a_list_with_a_bad_address_is_a_usage_error(tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text("ftp://example.org/x\n", encoding="utf-8")
    assert collect.run(urls, tmp_path / "raw", echo=lambda *_: None) == collect.EXIT_USAGE


def test_addresses_from_text_and_csv(tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("# comment\nhttp://a.example/1  first note\n\nhttp://a.example/2\n", encoding="utf-8")
    assert collect.read_addresses(txt) == [("http://a.example/1", "first note"), ("http://a.example/2", "")]
    table = tmp_path / "a.csv"
    table.write_text("url,note\nhttp://a.example/3,三\n", encoding="utf-8")
    assert collect.read_addresses(table) == [("http://a.example/3", "三")]


# ------------------------------------------------------------------------------ interruptions
@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_save_interrupted_at_any_step_leaves_a_consistent_folder(tmp_path, monkeypatch, fail_at):
    """A failure at the n-th rename or write of a save: every listed file is complete, no other file
    is visible, and the next run finishes or discards the save."""
    raw = tmp_path / "raw"
    folder = collect.RawFolder(raw)
    folder.save("a.html", b"first", {**dict.fromkeys(REQUIRED, ""), "source_file": "a.html",
                                     "source_sha256": hashlib.sha256(b"first").hexdigest(), "source_bytes": "5"})
    calls = {"n": 0}
    real_replace = os.replace

    def flaky_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise KeyboardInterrupt("killed")
        return real_replace(src, dst)

    monkeypatch.setattr(collect.os, "replace", flaky_replace)
    row = {**dict.fromkeys(REQUIRED, ""), "source_file": "b.html", "source_sha256": hashlib.sha256(b"second").hexdigest(),
           "source_bytes": "6"}
    with pytest.raises(KeyboardInterrupt):
        folder.save("b.html", b"second", row)
        raise KeyboardInterrupt("no failure injected this time")  # fail_at beyond the save's renames
    monkeypatch.setattr(collect.os, "replace", real_replace)
    recovered = collect.RawFolder(raw)
    listed = read_manifest(raw / "sources.csv")
    visible = {p.name for p in raw.iterdir() if not p.name.startswith(".")} - {"sources.csv"}
    assert visible == set(listed), (visible, set(listed), recovered.recovered)
    for name, r in listed.items():
        assert hashlib.sha256((raw / name).read_bytes()).hexdigest() == r["source_sha256"]
    assert not list(raw.glob(".*"))


def test_killing_the_collector_midway_leaves_only_complete_listed_files(site, tmp_path):
    raw = tmp_path / "raw"
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{site.base}/gbk-meta.html\n{site.base}/slow-report.html\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    proc = subprocess.Popen([sys.executable, "-m", "lbgr", "collect", str(urls), "--raw", str(raw), "--delay", "0",
                             "--timeout", "60"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while site.hits.get("/slow-report.html", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert site.hits.get("/slow-report.html") == 1
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    listed = read_manifest(raw / "sources.csv")
    assert [r["source_url"] for r in listed.values()] == [f"{site.base}/gbk-meta.html"]
    visible = {p.name for p in raw.iterdir() if not p.name.startswith(".")} - {"sources.csv", "warc"}
    assert visible == set(listed)
    status, _ = run(site, raw, ["/gbk-meta.html"])
    assert status == 0 and not list(raw.glob(".*"))


# ------------------------------------------------------------------------------ then build
def test_a_collected_folder_builds_into_a_valid_package_with_its_addresses(site, tmp_path):
    raw = tmp_path / "raw"
    run(site, raw, ["/gbk-meta.html", "/utf8-wrong.html", "/attach.html"])
    out = tmp_path / "package"
    status = build(raw, out, echo=lambda *_: None)
    assert status in (EXIT_OK, 1)
    assert validate_package(out).ok
    manifest = rows_by_url(raw)
    with open(out / "data" / "tables" / "reports.csv", encoding="utf-8", newline="") as fh:
        reports = list(csv.DictReader(fh))
    by_file = {r["source_file"]: r for r in reports}
    for url in (f"{site.base}/gbk-meta.html", f"{site.base}/utf8-wrong.html"):
        row = by_file[manifest[url]["source_file"]]
        assert row["source_url"] == url and row["retrieved_date"] == manifest[url]["retrieved_date"]
    assert (out / "data" / "raw" / "sources.csv").read_text(encoding="utf-8").splitlines()[0].endswith("role,parent_url")
