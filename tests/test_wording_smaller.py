"""Smaller things a user reads: a new product never 'similar to' itself, one traffic figure on the
A/B page, CUPED's interval called wider when it is wider."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from core.abtest import wording
from core.recommend.candidates import _with_new_products
from core.recommend.types import Candidates, Controls


def _engine(titles: list[str], content: np.ndarray, model_items: np.ndarray, history: list[int]):
    catalog = SimpleNamespace(titles=np.array(titles, dtype=object), content=sp.csr_matrix(content),
                              title_codes=np.unique(np.array(titles, dtype=object), return_inverse=True)[1],
                              similarity_to_all=lambda rows: None)
    catalog.content_rows = lambda rows: catalog.content[rows]
    log = SimpleNamespace(item=np.arange(len(titles) + 1))  # log item i -> model item i
    return SimpleNamespace(catalog=catalog, model_items=model_items, cat_row=np.arange(len(titles)),
                           log=log), np.array(history)


def test_a_new_product_is_never_similar_to_itself_or_its_namesake() -> None:
    # rows 0..3: 'Mug' (new, also bought: the model never learnt it), 'Mug' (bought), 'Mug XL'
    # (new), 'Tea' (bought). All titles share words, so every pair is similar.
    content = np.array([[1.0, 0.0], [1.0, 0.0], [0.9, 0.1], [0.6, 0.8]])
    content /= np.linalg.norm(content, axis=1, keepdims=True)
    engine, hist = _engine(["Mug", "Mug", "Mug XL", "Tea"], content,
                           model_items=np.array([0, 1, 0, 1]), history=[1, 2, 4])
    cands = Candidates(np.array([3]), np.array([0.5]), np.array([0.1]), np.array(["model"], dtype=object))
    out = _with_new_products(engine, cands, hist, np.ones(4, dtype=bool), Controls())
    pairs = {int(r): int(s) for r, s, src in zip(out.rows, out.similar, out.source, strict=True)
             if src == "new product"}
    assert pairs, "the new products were not offered at all"
    for row, like in pairs.items():
        assert row != like and engine.catalog.titles[row] != engine.catalog.titles[like]
    assert pairs[2] in (0, 1)  # 'Mug XL' is like a 'Mug'


REPORT = {"days": 30, "repeats_n": 5, "run_id": "r1",
          "world": {"start": "2024-05-01", "customers": 5000, "conversion": 0.03,
                    "conversion_measured": True, "rec_share": 0.2, "visits_per_day": 210.0},
          "baseline": {"daily_visitors": 73.4, "mean": 1.2},
          "arms": [{"visitors": 1100}, {"visitors": 1102}]}


def test_one_traffic_figure_on_the_run_line_and_the_planner() -> None:
    line = wording.run_line(REPORT)
    assert "73 visitors a day" in line and "210" not in line
    assert wording.visitors_a_day(REPORT) == 73.4
    no_base = {**REPORT, "baseline": {}}
    assert wording.visitors_a_day(no_base) == (1100 + 1102) / 30


def test_cuped_says_wider_when_the_interval_got_wider() -> None:
    lift = {"rel_low": -0.05, "rel_high": 0.05, "cuped_low": -0.06, "cuped_high": 0.06}
    wider = wording.cuped_sentence(lift, "revenue per visitor", 30)
    assert "20% wider" in wider and "narrower" not in wider
    narrower = wording.cuped_sentence({**lift, "cuped_low": -0.04, "cuped_high": 0.04}, "x", 30)
    assert "20% narrower" in narrower
    same = wording.cuped_sentence({**lift, "cuped_low": -0.0501, "cuped_high": 0.0501}, "x", 30)
    assert "about as wide" in same
    assert wording.cuped_sentence({"rel_low": 0, "rel_high": 1}, "x", 30) is None
    assert wording.metric_value("aov", 12.5, "EUR") == "€12.50"
    assert wording.metric_value("conversion", 0.0312) == "3.12%"


def test_model_picker_labels_the_model_in_use_and_the_newest() -> None:
    import ui
    ids = ["m3", "m2", "m1"]  # newest first, as artifacts.list_models gives them
    assert ui.model_label("m3", "m2", ids) == "m3 (newest)"
    assert ui.model_label("m2", "m2", ids) == "m2 (in use)"
    assert ui.model_label("m1", "m2", ids) == "m1"
    assert ui.model_label("m3", "m3", ids) == "m3 (in use, newest)"
