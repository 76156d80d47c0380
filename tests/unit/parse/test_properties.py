"""Property tests: the per-report pipeline on generated and mutated inputs.

Invariants: no unhandled exception (a rejection is a ReportRejected with a reason); paragraphs
rebuild the body; every heading is grounded; child sections sit inside their parents.
"""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbgr.parse.context import Context
from lbgr.parse.report import ReportRejected, process_text
from testroot import ROOT

CTX = Context()
RAW = ROOT / "data" / "raw"
LINES = [line for p in sorted(RAW.glob("*.txt")) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
PIECES = ["一、", "二、", "(一)", "（二）", "一是", "二是", "三是", "1.", "(1)", "①", "。", ";", ":", "\n", "2023年",
          "发布时间:2024-02-22", "来源:某局", "网站地图", "某县人民政府", "二〇二四年一月五日", "报告", "法治政府建设"]


def check_invariants(text: str) -> None:
    try:
        result = process_text(text, "x.txt", hashlib.sha256(text.encode()).hexdigest(), CTX)
    except ReportRejected as exc:
        assert str(exc)
        return
    doc = result.doc
    assert "\n".join(p.text for p in doc.paragraphs) == doc.body
    by_id = doc.sections_by_id()
    for s in doc.sections:
        assert 0 <= s.char_start <= s.char_end <= len(doc.body)
        assert doc.body[s.heading_char_start:s.heading_char_end] == s.heading
        if s.parent_id:
            parent = by_id[s.parent_id]
            assert parent.char_start <= s.char_start and s.char_end <= parent.char_end
            assert s.level == parent.level + 1
    for p in doc.paragraphs:
        section = by_id[p.section_id]
        assert section.char_start <= p.char_start and p.char_end <= section.char_end


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), max_size=40))
def test_generated_fragments(parts):
    check_invariants("".join(parts))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(LINES), min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_shuffled_real_lines_and_truncations(lines, rnd):
    text = "\n".join(lines)
    check_invariants(text)
    check_invariants(text[: rnd.randint(0, len(text))])
