"""Raw file → text: plain text in any common Chinese encoding, HTML pages, DOCX and PDF.

The raw file is never changed; the text returned here is what the pipeline reads. Every
failure is a ``DecodeError`` whose message says, in plain words, why the file cannot be read.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

# Very frequent characters of Chinese administrative prose, in both scripts. A decoding whose
# CJK characters are mostly outside this set is mojibake (e.g. Big5 bytes read as GB18030).
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而"
    "方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应"
    "开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命"
    "此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求"
    "老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质"
    "务治建设报告工作推进依行政规范执复议诉讼调解纠纷监督审查案件开展落实完善加强制度责任领导服务公共律援助会议"
    "們個國來時會對這說經過發實現為門間問題點進動當與關樣還種區應該從邊頭機覺長現開體關係將專業務務員業們區縣"
    "設報告規範執復議訴訟調糾紛監督審查開展實完善強導務會議員據處係歷團響質權術與辦組織範結題條際準確據"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_HTML_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_TEXT_EXT = {".txt", ".text", ".md", ""}
_HTML_EXT = {".html", ".htm", ".shtml", ".xhtml", ".mht"}


class DecodeError(Exception):
    pass


@dataclass
class Decoded:
    text: str
    source_format: str  # txt / html / docx / pdf
    encoding: str = ""
    warnings: list[str] = field(default_factory=list)


def common_share(text: str) -> float:
    cjk = _CJK.findall(text[:20000])
    if not cjk:
        return 0.0
    return sum(ch in _COMMON for ch in cjk) / len(cjk)


def decode_text_bytes(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) of plain-text bytes: BOMs, then UTF-8, then the best of GB18030 and Big5."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise DecodeError(f"{name}: it starts with a {enc} byte-order mark but is not valid {enc} ({exc.reason})") from exc
    if b"\x00" in data[:4096]:
        raise DecodeError(f"{name}: the file is binary (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    candidates = []
    for enc in ("gb18030", "big5hkscs"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        candidates.append((common_share(text), enc, text))
    if not candidates:
        raise DecodeError(f"{name}: the bytes are not text in UTF-8, GB18030/GBK/GB2312 or Big5")
    score, enc, text = max(candidates)
    if score < 0.3:
        raise DecodeError(f"{name}: no encoding (UTF-8, GB18030, Big5) turns the bytes into Chinese prose "
                          f"(best: {enc}, {score:.0%} common characters); the file is garbled or not Chinese text")
    return text, "gb18030" if enc == "gb18030" else "big5"


def meta_charset(data: bytes) -> str:
    """The charset a page declares in a meta tag (lower case), or ''."""
    m = _HTML_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace").lower() if m else ""


def decode_html_bytes(data: bytes, name: str, declared: str | None = None) -> tuple[str, str]:
    """(html, encoding) of a page: in the charset it declares (``declared``, by default its meta
    tag's), else as its bytes decode (decode_text_bytes)."""
    declared = meta_charset(data) if declared is None else declared
    if declared:
        # Pages declaring GB2312 or GBK routinely use characters only their supersets have.
        codec = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs"}.get(declared, declared)
        try:
            return data.decode(codec), declared
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_text_bytes(data, name)


def _html_text(data: bytes, name: str) -> tuple[str, str]:
    import lxml.html
    import trafilatura

    html, encoding = decode_html_bytes(data, name)
    main = trafilatura.extract(html, output_format="txt", include_comments=False, include_tables=True,
                               favor_recall=True, deduplicate=False) or ""
    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    # Page lines outside the main text carry the title and the page's own date and source.
    page_lines = [ln.strip() for ln in tree.text_content().splitlines() if ln.strip()]
    title = ""
    for xp in ("//h1", "//h2", "//title"):
        found = [e.text_content().strip() for e in tree.xpath(xp) if e.text_content().strip()]
        if found:
            title = re.split(r"\s*[_|｜]\s*|\s+-\s+", found[0])[0].strip()
            break
    head = []
    if title and title not in main[:200]:
        head.append(title)
    head += [ln for ln in page_lines[:60] if re.search(r"(发布|来源|时间|日期)\s*[:：]", ln) and len(ln) < 150
             and ln not in main]
    return "\n".join(head + [main]), encoding


def _docx_text(data: bytes, name: str) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(io.BytesIO(data))
    lines = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(child, document).text)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                lines.append(" ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)


def _pdf_text(data: bytes, name: str) -> str:
    from pdfminer.high_level import extract_text
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    try:
        text = extract_text(io.BytesIO(data))
    except PDFPasswordIncorrect as exc:
        raise DecodeError(f"{name}: the PDF is password-protected") from exc
    if len(_CJK.findall(text)) < 20:
        raise DecodeError(f"{name}: the PDF has no text layer (a scan?); run OCR on it first")
    # PDF text layers put spaces between Chinese characters and digits or Latin letters
    # ("2023 年"); Chinese prose has none there.
    text = _PDF_GAP.sub("", text)
    return "\n".join(unwrap_pdf_lines(text.replace("\x0c", "\n").splitlines()))


_PDF_GAP = re.compile(r"(?<=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》、,.:;()%]) +(?=[0-9A-Za-z%])|"
                      r"(?<=[0-9A-Za-z%]) +(?=[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’《》、,.:;()])")


_LABEL = re.compile(r"(发布|来源|时间|日期)\s*[:：]")
_SENTENCE_END = tuple("。！？!?：:；;”」』)）")
_MARKER_START = re.compile(r"^\s*([一二三四五六七八九十]+[、是]|[(（][一二三四五六七八九十\d]+[)）]|\d{1,2}(?:[.．](?!\d)|、)|[①-⑳])")


def unwrap_pdf_lines(lines: list[str]) -> list[str]:
    """Re-join lines that a PDF broke at the page width.

    A line as long as the longest ones continues on the next line of the same block; across a
    blank line (a paragraph or page break) it continues only if it also ends mid-sentence. A
    short line ends its paragraph, a header line (发布时间: …) never wraps into prose, and a line
    that starts with a heading marker always starts a new paragraph.
    """
    lines = [ln.strip() for ln in lines]
    text_lines = [ln for ln in lines if ln]
    if not text_lines:
        return []
    full = sorted(len(ln) for ln in text_lines)[int(len(text_lines) * 0.9)]
    out: list[str] = []
    last_physical = ""
    gap = False
    for line in lines:
        if not line:
            gap = True
            continue
        is_full = len(last_physical) >= 0.8 * full and not _LABEL.search(last_physical)
        wrapped = out and is_full and (not gap or not last_physical.endswith(_SENTENCE_END))
        if wrapped and not _MARKER_START.match(line):
            out[-1] += line
        else:
            out.append(line)
        last_physical, gap = line, False
    return out


def sniff_format(name: str, data: bytes) -> str:
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:65536] or ext == ".docx":
            return "docx"
        raise DecodeError(f"{name}: a ZIP archive that is not a Word .docx document")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise DecodeError(f"{name}: an old binary Word/Office file (.doc/.xls); save it as .docx or PDF first")
    if ext in _HTML_EXT or re.search(rb"<\s*(html|body|div|p)[\s>]", data[:2048], re.I):
        return "html"
    if ext in _TEXT_EXT or ext not in {".docx", ".pdf"}:
        return "txt"
    return ext.lstrip(".")


def decode_file(name: str, data: bytes) -> Decoded:
    if not data.strip():
        raise DecodeError(f"{name}: the file is empty")
    kind = sniff_format(name, data)
    try:
        if kind == "txt":
            text, enc = decode_text_bytes(data, name)
            return Decoded(text, "txt", enc)
        if kind == "html":
            text, enc = _html_text(data, name)
            return Decoded(text, "html", enc)
        if kind == "docx":
            return Decoded(_docx_text(data, name), "docx", "")
        if kind == "pdf":
            return Decoded(_pdf_text(data, name), "pdf", "")
    except DecodeError:
        raise
    except Exception as exc:  # a corrupt container is a verdict, not a crash
        raise DecodeError(f"{name}: the {kind} file cannot be read ({type(exc).__name__}: {exc})") from exc
    raise DecodeError(f"{name}: unsupported file type")


def decode_bytes(data: bytes, name: str) -> str:
    """Text of a raw file (kept for callers that only need the text)."""
    return decode_file(name, data).text
