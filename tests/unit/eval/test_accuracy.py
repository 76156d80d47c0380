"""Accuracy of the measures extraction against the hand-made gold standard in tests/gold/."""

from __future__ import annotations

import pytest

from lbgr.eval.accuracy import evaluate, gold_files

pytestmark = pytest.mark.skipif(not gold_files(), reason="no gold standard files in tests/gold/ yet")


@pytest.fixture(scope="module")
def accuracy(ctx):
    return evaluate(ctx=ctx)


def test_every_gold_row_is_located_in_its_body(accuracy):
    assert accuracy.problems == []
    assert accuracy.n_gold > 0


def test_precision(accuracy):
    assert accuracy.precision >= 0.97, accuracy.false_positives


def test_recall(accuracy):
    assert accuracy.recall >= 0.97, accuracy.false_negatives


def test_indicator_agreement(accuracy):
    assert accuracy.n_coded > 0
    assert accuracy.indicator_agreement >= 0.90, accuracy.code_disagreements


def test_held_out_reports_meet_the_span_thresholds(ctx):
    """Reports whose gold the extractor's author never saw (tests/gold/splits.csv)."""
    held_out = evaluate(ctx=ctx, split="held_out")
    assert held_out.n_gold > 100
    assert held_out.precision >= 0.97, held_out.false_positives
    assert held_out.recall >= 0.97, held_out.false_negatives
    # Indicator agreement on held-out reports is reported (methods chapter), not tuned: 0.887 when measured.
    assert held_out.indicator_agreement >= 0.80, held_out.code_disagreements
