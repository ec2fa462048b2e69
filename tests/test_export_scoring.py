"""bench/export_scoring.py: exported lists are scored by models.metrics' rules (binary relevance
over the basket's distinct products) and a customer without a list scores 0."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import export_scoring  # noqa: E402


def test_one_list_by_hand() -> None:
    got = export_scoring.list_metrics(["a", "b", "c"], {"b", "z"})
    ideal = 1 + 1 / np.log2(3)
    assert got["ndcg@10"] == pytest.approx((1 / np.log2(3)) / ideal)
    assert got["recall@10"] == pytest.approx(0.5)  # z, new after the cutoff, counts in the size
    assert got["hitrate@10"] == 1.0
    assert export_scoring.list_metrics([], {"a"}) == {"ndcg@10": 0.0, "recall@10": 0.0, "hitrate@10": 0.0}


def test_a_csv_against_targets(tmp_path: Path) -> None:
    picks = [f"p{i}" for i in range(10)]
    frame = pd.DataFrame({"customer_key": ["c_1"] * 10 + ["c_2"] * 10,
                          "mode": "personalized", "rank": list(range(10, 0, -1)) + list(range(1, 11)),
                          "product_id": picks[::-1] + ["'-5", *picks[1:]]})
    csv = tmp_path / "lists.csv"
    frame.to_csv(csv, index=False)
    lists = export_scoring.read_lists(csv)
    assert lists["c_1"] == picks  # by rank, not by row order
    assert lists["c_2"][0] == "-5"  # the CSV's formula guard is undone
    targets = [("c_1", {"p0"}), ("c_2", {"-5", "p9"}), ("c_3", {"p0"}), (None, {"p1"})]
    got = export_scoring.score_csv(csv, targets)  # also checks itself against models.metrics
    assert got["customers_with_list"] == 2
    two = (1 + 1 / np.log2(11)) / (1 + 1 / np.log2(3))
    assert got["ndcg@10"] == pytest.approx((1.0 + two) / 4)  # c_3 and the unknown customer: 0
    assert got["hitrate@10"] == pytest.approx(0.5)
