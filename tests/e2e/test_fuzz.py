"""Fuzzing the whole per-file pipeline with generated and mutated inputs.

Invariants: never an unhandled exception (a bad file is a rejection with a reason); every span
is grounded in the body; every output row is valid against the generated pandera schemas.
CI runs a bounded number of examples; set LBGR_FUZZ_EXAMPLES for a longer run.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbgr.build.run import process_file
from lbgr.package.tables import frame
from lbgr.parse.context import Context
from lbgr.schema_registry import load_resources
from lbgr.validate.schemas import dataframe_schema
from testroot import ROOT, TESTS

CTX = Context()
EXAMPLES = int(os.environ.get("LBGR_FUZZ_EXAMPLES", "40"))
RAW = ROOT / "data" / "raw"
WILD = TESTS / "fixtures" / "wild"
REPORTS = [p.read_text(encoding="utf-8") for p in sorted(RAW.glob("*.txt"))]
SEEDS = [p.read_bytes() for p in sorted(WILD.iterdir()) if p.suffix in {".html", ".htm", ".docx", ".pdf", ".txt"}]
FURNITURE = ["网站地图 无障碍", "您当前位置:首页>政务公开", "发布时间:2024-01-01 来源:某局", "【字体:大 中 小】",
             "- 3 -", "本文档由某文库用户上传,仅供参考", "相关附件:", "责任编辑:李四"]
TABLE_RESOURCES = [n for n, spec in load_resources().items() if spec["path"].startswith("data/tables/")]


def run(data: bytes, suffix: str = ".txt"):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        outcome = process_file(path, None, CTX)
    verdict = outcome.verdict
    assert verdict.verdict in {"accepted", "accepted_with_warnings", "rejected"}
    assert not any("internal error" in r for r in verdict.reasons), verdict.reasons
    if verdict.verdict == "rejected":
        assert verdict.reasons and verdict.reasons[0]
        return
    result = outcome.result
    body = result.doc.body
    rows = {**result.tables, **outcome.stage_rows}
    for name in TABLE_RESOURCES:
        if name not in rows:
            continue
        dataframe_schema(name).validate(frame(name, rows[name]), lazy=True)
        for row in rows[name]:
            for text_col, start, end in (("heading", "heading_char_start", "heading_char_end"),
                                         ("text", "char_start", "char_end"), ("surface", "char_start", "char_end"),
                                         ("cited_title", "char_start", "char_end"), ("term", "char_start", "char_end")):
                if text_col in row and start in row and row.get(text_col) is not None:
                    assert body[row[start]:row[end]] == row[text_col], (name, row)


def mutate(text: str, rnd: random.Random) -> str:
    lines = text.splitlines()
    op = rnd.randrange(5)
    if op == 0:
        rnd.shuffle(lines)
    elif op == 1:
        for _ in range(rnd.randrange(1, 6)):
            lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(FURNITURE))
    elif op == 2:
        text = "\n".join(lines)
        return text[: rnd.randrange(len(text) + 1)]
    elif op == 3:
        del lines[rnd.randrange(len(lines)): rnd.randrange(len(lines) + 1)]
    else:
        i = rnd.randrange(len(lines))
        lines[i] = lines[i][: rnd.randrange(len(lines[i]) + 1)] + "".join(rnd.choice("一是(二)、。;1.①“”《》0123456789万亿%余") for _ in range(8))
    return "\n".join(lines)


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(0, len(REPORTS) - 1), st.randoms(use_true_random=False), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_mutated_reports(i, rnd, encoding):
    text = mutate(REPORTS[i], rnd)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    run(data)


@SETTINGS
@given(st.text(max_size=400))
def test_random_unicode(text):
    run(text.encode("utf-8"))


@SETTINGS
@given(st.binary(max_size=600), st.sampled_from([".txt", ".html", ".docx", ".pdf", ".doc", ""]))
def test_random_bytes_in_any_format(data, suffix):
    run(data, suffix)


@SETTINGS
@given(st.integers(0, len(SEEDS) - 1), st.randoms(use_true_random=False))
def test_corrupted_files(i, rnd):
    data = bytearray(SEEDS[i])
    for _ in range(rnd.randrange(1, 20)):
        if data:
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    cut = rnd.randrange(len(data) + 1) if rnd.random() < 0.3 else len(data)
    run(bytes(data[:cut]), rnd.choice([".txt", ".html", ".docx", ".pdf"]))
