"""The benchmark's corpus generator (scripts/bench.py) makes distinct, valid reports (nothing is timed)."""

from __future__ import annotations

import hashlib
import importlib.util
import sys

import pytest

from lbgr.package.dedupe import find_duplicates
from lbgr.parse.report import process_text
from testroot import ROOT


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("lbgr_bench", ROOT / "scripts" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_two_variants_of_each_report_are_distinct_valid_reports(bench, ctx, tmp_path):
    gen = bench.VariantGenerator()
    assert len(gen.sources) == 5
    written = gen.write_corpus(tmp_path / "corpus", per_report=3)  # the real file and variants 1 and 2
    assert len(list((tmp_path / "corpus").glob("*.txt"))) == 15
    variants = [v for v in written if v.number > 0]
    assert len(variants) == 10

    items, ids = [], set()
    for v in variants:
        real = gen.sources[v.source.index]
        assert v.text != real.text
        assert real.jurisdiction not in v.text and v.place in v.text
        data = (tmp_path / "corpus" / v.file_name).read_bytes()
        result = process_text(data.decode("utf-8"), v.file_name, hashlib.sha256(data).hexdigest(), ctx)
        row = result.doc.meta
        assert result.doc.report_id == v.expected_report_id == f"{v.division_code}-{v.year}"
        assert (row["jurisdiction"], row["division_code"], row["report_year"]) == (v.place, v.division_code, v.year)
        assert 2016 <= v.year <= 2025
        assert result.doc.report_id != real.report_id
        ids.add(result.doc.report_id)
        items.append((v.file_name, result.doc.report_id, "txt", result.doc.body, False))
    assert len(ids) == len(variants)  # no two variants share a place and year
    assert find_duplicates(items) == {}
    # Variants 1 and 2 of one report differ from each other, and the generator is deterministic.
    one, two = gen.variant(0, 1), gen.variant(0, 2)
    assert one.text != two.text and one.expected_report_id != two.expected_report_id
    assert bench.VariantGenerator().variant(0, 1).text == one.text
