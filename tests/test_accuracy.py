"""Accuracy of the measures extraction against the hand-made gold standard in tests/gold/."""

from __future__ import annotations

import pytest

from lbgr.accuracy import evaluate, gold_files

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
