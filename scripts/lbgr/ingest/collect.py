"""Collect reports from government websites into a raw folder, with their provenance.

``python -m lbgr collect URLS --raw DIR`` (``nox -s collect``). For each address the collector
asks robots.txt (protego), keeps a pace of one request per host every ``delay`` seconds, gives up
on a response after ``timeout`` seconds and retries timeouts and 5xx answers with back-off (never
4xx). Every request and response, headers included, goes into the run's WARC file
(``DIR/warc/``, warcio), so that what the server answered can be replayed. A report page (and a
report attached to it) is saved under a name made of its host and SHA-256, and listed in
``DIR/sources.csv`` with what the server answered.

A raw file is written under a hidden temporary name and renamed into place; the manifest is
rewritten the same way, and a journal (``DIR/.collect-journal.json``) records a save between the
two renames, so a collector killed at any moment leaves every listed file complete and no file
half-written (the next run completes or discards the interrupted save).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from lbgr import paths
from lbgr.ingest.decode import DecodeError, decode_file, decode_html_bytes, decode_text_bytes, meta_charset
from lbgr.ingest.manifest import read_manifest, write_manifest

REPOSITORY = "https://github.com/china-law-based-government-reports/china-law-based-government-reports"
USER_AGENT = f"lbgr-collector/0.1 (research data package; +{REPOSITORY})"
JOURNAL = ".collect-journal.json"
EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
_EXTENSIONS = {"text/html": ".html", "application/xhtml+xml": ".html", "text/plain": ".txt", "application/pdf": ".pdf",
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
               "application/msword": ".doc", "application/kswps": ".wps", "application/wps-office.wps": ".wps"}


def load_link_rules(codebooks: Path = paths.CODEBOOKS) -> dict[str, re.Pattern]:
    """The codebook ``collect_links.csv``: one compiled pattern per kind of link or page text."""
    with open(codebooks / "collect_links.csv", encoding="utf-8", newline="") as fh:
        return {row["link_kind"]: re.compile(row["pattern"], re.I) for row in csv.DictReader(fh)}


# --------------------------------------------------------------------------- fetching
@dataclass
class Response:
    url: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    record_id: str = ""

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name.lower()), "")


class FetchFailed(Exception):
    """An address that could not be fetched: the verdict says why."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Each hop of a redirect chain is requested, and archived, by the collector itself.
    def redirect_request(self, *args, **kwargs):
        return None


class Fetcher:
    """Polite HTTP GETs whose requests and responses are all written to one WARC file."""

    def __init__(self, warc_path: Path, delay: float = 3.0, timeout: float = 30.0, retries: int = 3,
                 backoff: float | None = None, user_agent: str = USER_AGENT, echo=print):
        from warcio.warcwriter import WARCWriter

        self.delay, self.timeout, self.retries = delay, timeout, retries
        self.backoff = delay if backoff is None else backoff
        self.user_agent, self.echo = user_agent, echo
        self.warc_path = warc_path
        warc_path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(warc_path, "ab")
        self._writer = WARCWriter(self._fh, gzip=True)
        self._last: dict[str, float] = {}
        self._robots: dict[str, object] = {}
        self._opener = urllib.request.build_opener(_NoRedirect)
        self.requests = 0

    def close(self) -> None:
        self._fh.close()

    # One GET, archived, with retries; raises FetchFailed when every try failed.
    def get(self, url: str) -> Response:
        tries = 1 + max(0, self.retries)
        last_error = ""
        for attempt in range(tries):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                response = self._get_once(url)
            except TimeoutError as exc:
                last_error = f"timed out after {self.timeout:g} s" if not str(exc) else f"timed out ({exc})"
                continue
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                    last_error = f"timed out after {self.timeout:g} s"
                    continue
                last_error = f"no connection ({exc.reason})"
                continue
            except (ConnectionError, OSError) as exc:
                last_error = f"connection failed ({type(exc).__name__}: {exc})"
                continue
            if response.status >= 500:
                last_error = f"HTTP {response.status}"
                continue
            return response
        raise FetchFailed(f"failed after {tries} tries ({last_error})")

    def _wait_for(self, host: str, delay: float) -> None:
        ready = self._last.get(host, 0.0) + delay
        now = time.monotonic()
        if ready > now:
            time.sleep(ready - now)
        self._last[host] = time.monotonic()

    def _get_once(self, url: str) -> Response:
        from warcio.statusandheaders import StatusAndHeaders

        parts = urllib.parse.urlsplit(url)
        self._wait_for(parts.netloc, max(self.delay, self._crawl_delay(parts)))
        req_headers = [("Host", parts.netloc), ("User-Agent", self.user_agent), ("Accept", "*/*"),
                       ("Accept-Encoding", "identity"), ("Connection", "close")]
        request = urllib.request.Request(url, headers=dict(req_headers[1:]), method="GET")
        self.requests += 1
        try:
            with self._opener.open(request, timeout=self.timeout) as r:
                status, reason, headers, body = r.status, r.reason, list(r.headers.items()), r.read()
        except urllib.error.HTTPError as err:  # 3xx (not followed), 4xx and 5xx answers
            status, reason, headers = err.code, err.reason, list(err.headers.items())
            body = err.read()
        # The payload is archived as received; the body was de-chunked by urllib, so the header that
        # says otherwise is dropped and the length given.
        kept = [(k, v) for k, v in headers if k.lower() not in ("transfer-encoding", "content-length")]
        kept.append(("Content-Length", str(len(body))))
        http = StatusAndHeaders(f"{status} {reason}", kept, protocol="HTTP/1.1")
        record = self._writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        path = parts.path or "/"
        request_line = StatusAndHeaders(f"GET {path}{'?' + parts.query if parts.query else ''} HTTP/1.1",
                                        req_headers, is_http_request=True)
        req_record = self._writer.create_warc_record(url, "request", payload=io.BytesIO(b""), http_headers=request_line,
                                                     warc_headers_dict={"WARC-Concurrent-To": record_id})
        self._writer.write_record(req_record)
        self._writer.write_record(record)
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return Response(url, status, reason, headers, _decoded_body(body, headers), record_id)

    # robots.txt, once per host: 4xx means no rules; an unreachable robots.txt means stay away.
    def _robots_for(self, parts: urllib.parse.SplitResult):
        from protego import Protego

        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._robots:
            self._robots[key] = None  # while fetching robots.txt itself
            try:
                r = self.get(f"{key}/robots.txt")
                text = r.body.decode("utf-8", "replace") if r.status == 200 else ""
                self._robots[key] = Protego.parse(text) if r.status < 500 else "unreachable"
            except FetchFailed:
                self._robots[key] = "unreachable"
        return self._robots[key]

    def _crawl_delay(self, parts: urllib.parse.SplitResult) -> float:
        rules = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        if rules is None or isinstance(rules, str):
            return 0.0
        return float(rules.crawl_delay(self.user_agent) or 0.0)

    def allowed(self, url: str) -> bool:
        parts = urllib.parse.urlsplit(url)
        rules = self._robots_for(parts)
        if rules == "unreachable":
            return False
        return rules is None or rules.can_fetch(url, self.user_agent)

    def follow(self, url: str, max_hops: int = 10) -> tuple[Response, list[str]]:
        """GET ``url`` and the redirects it answers with; the final response and the chain of addresses."""
        chain = [url]
        for _ in range(max_hops + 1):
            if not self.allowed(chain[-1]):
                raise NotAllowed(chain[-1])
            response = self.get(chain[-1])
            location = response.header("Location")
            if response.status in (301, 302, 303, 307, 308) and location:
                chain.append(urllib.parse.urljoin(chain[-1], location))
                continue
            return response, chain
        raise FetchFailed(f"more than {max_hops} redirects")


class NotAllowed(Exception):
    pass


def _decoded_body(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    """The document's bytes: a server that compresses although asked not to is undone here."""
    coding = next((v for k, v in headers if k.lower() == "content-encoding"), "").lower()
    if coding in ("gzip", "x-gzip"):
        import gzip

        return gzip.decompress(body)
    if coding == "deflate":
        import zlib

        return zlib.decompress(body)
    return body


# --------------------------------------------------------------------------- saving

def _extension(content_type: str, url: str) -> str:
    mime = content_type.split(";")[0].strip().lower()
    if mime in _EXTENSIONS:
        return _EXTENSIONS[mime]
    suffix = Path(urllib.parse.urlsplit(url).path).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else ".bin"


def encodings(body: bytes, content_type: str, name: str) -> tuple[str, str]:
    """(declared, detected): the charset of the header, else of a meta tag; what the bytes decode as."""
    m = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", content_type, re.I)
    declared = m.group(1).lower() if m else ""
    declared = declared or meta_charset(body)
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith("text/") or kind in ("application/xhtml+xml", ""):
        try:
            return declared, decode_text_bytes(body, name)[1]
        except DecodeError:
            return declared, ""
    return declared, ""


class RawFolder:
    """The raw folder and its manifest, written so that a kill never leaves half a save."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.folder / paths.MANIFEST_NAME
        self.recovered = self._recover()
        # Read once: only this object writes the manifest while it collects.
        self._rows = read_manifest(self.manifest_path)

    def rows(self) -> dict[str, dict[str, str]]:
        return self._rows

    def _recover(self) -> list[str]:
        notes = []
        journal = self.folder / JOURNAL
        if journal.exists():
            entry = json.loads(journal.read_text(encoding="utf-8"))
            target = self.folder / entry["row"]["source_file"]
            if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == entry["row"]["source_sha256"]:
                self._write_rows({**read_manifest(self.manifest_path), target.name: entry["row"]})
                notes.append(f"completed an interrupted save: {target.name}")
            journal.unlink()
        for part in self.folder.glob(".*.part"):
            part.unlink()
            notes.append(f"removed a half-written file: {part.name}")
        return notes

    def _write_rows(self, rows: dict[str, dict[str, str]]) -> None:
        tmp = self.folder / f".{paths.MANIFEST_NAME}.part"
        write_manifest(tmp, rows)
        os.replace(tmp, self.manifest_path)
        self._rows = rows

    def save(self, name: str, body: bytes, row: dict[str, str]) -> None:
        """Write ``body`` as ``name`` and list it, all or nothing."""
        part = self.folder / f".{name}.part"
        _write_synced(part, body)
        journal = self.folder / JOURNAL
        _write_synced(journal.with_name(JOURNAL + ".part"), json.dumps({"row": row}, ensure_ascii=False).encode())
        os.replace(journal.with_name(JOURNAL + ".part"), journal)
        os.replace(part, self.folder / name)
        self._write_rows({**self.rows(), name: row})
        journal.unlink()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


# --------------------------------------------------------------------------- collecting
@dataclass
class Outcome:
    address: str
    verdict: str
    saved: list[str] = field(default_factory=list)
    ok: bool = True


class Collector:
    def __init__(self, raw: Path, fetcher: Fetcher, refresh: bool = False, rules: dict | None = None, echo=print):
        self.raw = RawFolder(raw)
        self.fetcher, self.refresh, self.echo = fetcher, refresh, echo
        self.rules = rules or load_link_rules()
        for note in self.raw.recovered:
            echo(f"note: {note}")

    def _collected(self, url: str) -> list[dict[str, str]]:
        return [r for r in self.raw.rows().values() if r.get("source_url") == url and r.get("role", "page") != "attachment"]

    def collect(self, url: str, note: str = "") -> Outcome:
        if self._collected(url) and not self.refresh:
            return Outcome(url, "skipped: already collected")
        try:
            response, chain = self.fetcher.follow(url)
        except NotAllowed as exc:
            return Outcome(url, f"not allowed by robots.txt ({exc})", ok=False)
        except FetchFailed as exc:
            return Outcome(url, str(exc), ok=False)
        if response.status == 404 or response.status == 410:
            return Outcome(url, f"not found (HTTP {response.status})", ok=False)
        if response.status >= 400:
            return Outcome(url, f"refused (HTTP {response.status} {response.reason})", ok=False)
        content_type = response.header("Content-Type")
        is_page = _extension(content_type, response.url) in (".html", ".txt")
        text = _text(response.body, response.url) if is_page else ""
        attachments = self._attachments(response, text) if content_type.split(";")[0].strip().lower() in (
            "text/html", "application/xhtml+xml") else []
        carries_report = (not is_page) or bool(self.rules["report_page"].search(text))
        if not carries_report and not attachments:
            return Outcome(url, "not a report page", ok=False)
        names = [self._save(url, response, "page", "", note)]
        problems = []
        for link in attachments:
            try:
                att, _ = self.fetcher.follow(link)
            except NotAllowed:
                problems.append(f"attachment not allowed by robots.txt: {link}")
                continue
            except FetchFailed as exc:
                problems.append(f"attachment {link}: {exc}")
                continue
            if att.status >= 400:
                problems.append(f"attachment {link}: HTTP {att.status}")
                continue
            names.append(self._save(link, att, "attachment", url, note))
        saved = [n for n in names if n]
        verdict = f"saved {', '.join(saved)}" if saved else "unchanged: the same bytes are listed already"
        return Outcome(url, "; ".join([verdict, *problems]), saved, ok=not problems)

    def _attachments(self, response: Response, text: str) -> list[str]:
        """Addresses of report files linked from the page (附件), by the codebook's link patterns."""
        import lxml.html

        try:
            tree = lxml.html.fromstring(_html_string(response))
        except Exception:  # not parseable as HTML: no links to follow
            return []
        found = []
        page_has_report = bool(self.rules["report_page"].search(text))
        for a in tree.xpath("//a[@href]"):
            href = urllib.parse.urljoin(response.url, a.get("href"))
            label = a.text_content().strip() + " " + urllib.parse.unquote(Path(urllib.parse.urlsplit(href).path).name)
            if not self.rules["attachment"].search(href):
                continue
            if self.rules["report_link"].search(label) or (not page_has_report and self.rules["attachment_text"].search(label)):
                if href not in found:
                    found.append(href)
        return found

    def _save(self, url: str, response: Response, role: str, parent: str, note: str) -> str:
        """Save a fetched document unless the same bytes are listed already; its file name, or ''."""
        body = response.body
        digest = hashlib.sha256(body).hexdigest()
        rows = self.raw.rows()
        if any(r["source_sha256"] == digest for r in rows.values()):
            return ""
        host = urllib.parse.urlsplit(response.url).netloc.replace(":", "_")
        content_type = response.header("Content-Type")
        name = f"{host}_{digest[:16]}{_extension(content_type, response.url)}"
        declared, detected = encodings(body, content_type, name)
        when = dt.datetime.now(dt.UTC).replace(microsecond=0)
        row = {"source_file": name, "source_sha256": digest, "source_bytes": str(len(body)), "source_url": url,
               "retrieved_date": when.date().isoformat(), "notes": note,
               "final_url": response.url, "retrieved_at": when.isoformat().replace("+00:00", "Z"),
               "http_status": str(response.status), "content_type": content_type,
               "declared_encoding": declared, "detected_encoding": detected,
               "warc_file": self.fetcher.warc_path.relative_to(self.raw.folder).as_posix(),
               "warc_record_id": response.record_id, "role": role, "parent_url": parent}
        self.raw.save(name, body, row)
        return name

    def listing(self, url: str, max_pages: int = 10) -> list[tuple[str, str]]:
        """The report pages a disclosure column links to, following «下一页» up to ``max_pages`` pages."""
        import lxml.html

        found, page, seen = [], url, set()
        for _ in range(max_pages):
            if page in seen:
                break
            seen.add(page)
            try:
                response, _ = self.fetcher.follow(page)
            except (FetchFailed, NotAllowed) as exc:
                self.echo(f"listing {page}: {exc}")
                break
            if response.status >= 400:
                self.echo(f"listing {page}: HTTP {response.status}")
                break
            tree = lxml.html.fromstring(_html_string(response))
            next_page = None
            for a in tree.xpath("//a[@href]"):
                label = a.text_content().strip()
                href = urllib.parse.urljoin(response.url, a.get("href"))
                if self.rules["report_link"].search(label) and href not in [f for f, _ in found]:
                    found.append((href, f"listed on {url}: {label}"))
                elif self.rules["next_page"].search(label) and next_page is None:
                    next_page = href
            if next_page is None:
                break
            page = next_page
        return found


def _html_string(response: Response) -> str:
    """The page as text, in the charset it declares (header, then meta tag), else as detected."""
    declared, _ = encodings(response.body, response.header("Content-Type"), "page.html")
    try:
        return decode_html_bytes(response.body, "page.html", declared)[0]
    except DecodeError:
        return response.body.decode("utf-8", "replace")


def _text(body: bytes, url: str) -> str:
    try:
        return decode_file(Path(urllib.parse.urlsplit(url).path).name or "page.html", body).text
    except DecodeError:
        return ""


def read_addresses(path: Path) -> list[tuple[str, str]]:
    """(address, note) pairs from a text file (one address a line, a note after white space or a
    tab; # starts a comment) or a CSV file with a ``url`` column and an optional ``note``."""
    text = Path(path).read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        if rows and "url" not in rows[0]:
            raise ValueError(f"{path}: a CSV list of addresses needs a 'url' column")
        return [(r["url"].strip(), (r.get("note") or "").strip()) for r in rows if (r.get("url") or "").strip()]
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        address, _, note = line.partition(" ") if "\t" not in line else line.partition("\t")
        out.append((address.strip(), note.strip()))
    return out


def run(urls: Path, raw: Path, *, listing: bool = False, refresh: bool = False, delay: float = 3.0,
        timeout: float = 30.0, retries: int = 3, backoff: float | None = None, max_pages: int = 10,
        echo=print) -> int:
    try:
        addresses = read_addresses(urls)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        echo(f"error: {exc}")
        return EXIT_USAGE
    bad = [a for a, _ in addresses if urllib.parse.urlsplit(a).scheme not in ("http", "https")]
    if bad:
        echo(f"error: {urls}: not an http(s) address: {bad[0]}")
        return EXIT_USAGE
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    fetcher = Fetcher(Path(raw) / "warc" / f"lbgr-collect-{stamp}.warc.gz", delay=delay, timeout=timeout,
                      retries=retries, backoff=backoff, echo=echo)
    try:
        collector = Collector(Path(raw), fetcher, refresh=refresh, echo=echo)
        todo = []
        for address, note in addresses:
            if listing:
                pages = collector.listing(address, max_pages=max_pages)
                echo(f"listing {address}: {len(pages)} report pages")
                todo += [(u, (note + "; " if note else "") + n) for u, n in pages]
            else:
                todo.append((address, note))
        outcomes = [collector.collect(u, n) for u, n in todo]
    finally:
        fetcher.close()
    for o in outcomes:
        echo(f"{o.address}  {o.verdict}")
    failed = [o for o in outcomes if not o.ok]
    saved = sum(len(o.saved) for o in outcomes)
    echo(f"{len(outcomes)} addresses: {saved} files saved, {sum(o.verdict.startswith(('skipped', 'unchanged')) for o in outcomes)} "
         f"already collected, {len(failed)} not collected; {fetcher.requests} requests, archived in {fetcher.warc_path}")
    return EXIT_SOME_FAILED if failed or (listing and not todo) else EXIT_OK


if __name__ == "__main__":
    sys.exit(run(Path(sys.argv[1]), Path(sys.argv[2])))
