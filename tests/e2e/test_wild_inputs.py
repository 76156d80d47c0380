"""Hand-made awkward inputs (tests/fixtures/wild/, made by make_wild.py from the corpus reports):
each gets the right verdict, and each accepted one the right `reports` row."""

from __future__ import annotations

import json
import shutil

import pytest
from test_corpus_reports import EXPECTED

from lbgr.build.run import EXIT_REJECTED, build, process_file
from lbgr.validate import validate_package
from testroot import ROOT, TESTS

WILD = TESTS / "fixtures" / "wild"
RAW = ROOT / "data" / "raw"
BODIES = ROOT / "data" / "bodies"

# fixture: (original report, verdict, expected overrides of the original's row, words in the reasons)
ACCEPTED = {
    "utf8_bom_crlf.txt": ("000", "accepted", {"source_encoding": "utf-8-sig"}, []),
    "gb2312.txt": ("000", "accepted", {"source_encoding": "gb18030"}, []),
    "gb18030.txt": ("002", "accepted", {"source_encoding": "gb18030"}, []),
    "utf16_bom.txt": ("002", "accepted", {"source_encoding": "utf-16"}, []),
    "gbk.txt": ("003", "accepted_with_warnings", {"source_encoding": "gb18030"}, ["E3"]),
    "gbk_untitled.txt": ("001", "accepted_with_warnings", {"source_encoding": "gb18030"}, ["no title"]),
    "big5_traditional.txt": ("003", "accepted_with_warnings", {"source_encoding": "big5", "is_traditional_source": True},
                             ["traditional"]),
    "traditional_utf8.txt": ("004", "accepted_with_warnings", {"is_traditional_source": True}, ["traditional"]),
    "portal_gbk.html": ("000", "accepted", {"source_format": "html", "source_encoding": "gb2312"}, []),
    "portal_utf8.htm": ("002", "accepted", {"source_format": "html", "source_encoding": "utf-8"}, []),
    "word.docx": ("003", "accepted_with_warnings", {"source_format": "docx", "source_encoding": ""}, ["E3"]),
    "text_layer.pdf": ("004", "accepted_with_warnings", {"source_format": "pdf", "source_encoding": ""}, ["ambiguous"]),
    "watermarked.txt": ("001", "accepted_with_warnings", {}, ["watermark"]),
    "excerpt_opening.txt": ("000", "accepted_with_warnings", {"has_problems": False, "has_plans": False}, ["E2", "E4"]),
    "truncated.txt": ("004", "accepted_with_warnings", {"has_plans": False, "has_responsibility": False,
                                                             "responsibility_evidence": "none"}, ["truncated"]),
    "no_title_no_header.txt": ("002", "accepted_with_warnings",
                               {"title": "", "publish_date": None, "publisher": "峄城区司法局", "published_on_time": None,
                                "issuer": "峄城区人民政府", "issuer_source": "jurisdiction", "issuer_type": "government"},
                               ["no title", "峄城区"]),
}
# Bodies that must equal the original report's normalised body exactly.
SAME_BODY = {"utf8_bom_crlf.txt", "gb2312.txt", "gb18030.txt", "utf16_bom.txt", "gbk.txt", "gbk_untitled.txt",
             "word.docx", "text_layer.pdf", "watermarked.txt", "portal_gbk.html", "portal_utf8.htm"}
REJECTED = {
    "empty.txt": "empty",
    "whitespace_only.txt": "empty",
    "binary.txt": "binary",
    "undecodable.txt": "not text",
    "old_word.doc": "old binary Word",
    "gov_info_disclosure.txt": "not an annual rule-of-law report",
    "news_item.txt": "",
}


def test_fixture_list_is_complete():
    files = {p.name for p in WILD.iterdir() if p.suffix != ".py"}
    assert files == set(ACCEPTED) | set(REJECTED)
    assert len(files) >= 20


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_inputs_give_the_original_reports_row(ctx, name):
    key, verdict, overrides, words = ACCEPTED[name]
    outcome = process_file(WILD / name, None, ctx)
    assert outcome.verdict.verdict == verdict, outcome.verdict.reasons
    reasons = " ".join(outcome.verdict.reasons)
    for word in words:
        assert word in reasons, (word, reasons)
    row = outcome.result.tables["reports"][0]
    expected = {**EXPECTED[key], "source_format": "txt", "is_traditional_source": False, **overrides}
    for field, value in expected.items():
        if field == "report_id" and "issuer_source" in overrides:
            continue
        assert row[field] == value, f"{name}.{field}: {row[field]!r} != {value!r}"
    if name in SAME_BODY:
        original = (BODIES / f"{EXPECTED[key]['report_id']}.txt").read_text(encoding="utf-8")
        assert outcome.result.doc.body == original, f"{name}: body differs from the original's"


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_inputs_name_a_reason(ctx, name):
    outcome = process_file(WILD / name, None, ctx)
    assert outcome.verdict.verdict == "rejected"
    assert outcome.result is None
    assert REJECTED[name] in outcome.verdict.reasons[0]


def test_a_folder_of_awkward_inputs_builds_a_valid_package_and_reports_every_verdict(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(RAW / "003_d68dadcd5706f4a5.txt", raw / "longchang.txt")
    for name in ("word.docx", "gov_info_disclosure.txt", "empty.txt", "portal_gbk.html", "binary.txt"):
        shutil.copy(WILD / name, raw / name)
    messages: list[str] = []
    out = tmp_path / "out"
    assert build(raw, out, echo=messages.append) == EXIT_REJECTED
    report = json.loads((out / "build_report.json").read_text(encoding="utf-8"))
    verdicts = {f["source_file"]: f for f in report["files"]}
    assert verdicts["word.docx"]["verdict"] == "rejected"
    assert "duplicate of longchang.txt" in verdicts["word.docx"]["reasons"][0]
    # No manifest row: accepted, with a warning that its provenance is unknown.
    assert verdicts["portal_gbk.html"]["verdict"] == "accepted_with_warnings"
    assert {verdicts[n]["verdict"] for n in ("gov_info_disclosure.txt", "empty.txt", "binary.txt")} == {"rejected"}
    assert (report["accepted"], report["rejected"]) == (2, 4)
    for name, f in verdicts.items():
        assert any(m.startswith(f["verdict"]) and name in m for m in messages), name
    assert validate_package(out).ok
    rows = (out / "data/tables/reports.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3  # header + 两 reports: 隆昌市 once, 怀化市 once
