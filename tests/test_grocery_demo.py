"""The generated grocery shop (`shoplens demo --kind grocery`): an export in a till's layout
(line totals, dd/mm/yyyy dates, quoted commas) that imports with the totals its own file sums
to, households that re-buy their staples, and the same file for the same seed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from core.cli.main import main
from core.demo.kinds import grocery
from core.store.store import Store
from tests.conftest import use_home

SMALL = grocery.GroceryConfig(households=60, products=800, days=365, seed=3)


def test_same_seed_same_file_and_households_rebuy_staples(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    grocery.write(a, SMALL)
    grocery.write(b, SMALL)
    assert a.read_bytes() == b.read_bytes()
    _, lines = grocery.history(SMALL)
    key = lines["who"] * (SMALL.products + 1) + lines["product"]
    first = np.unique(key, return_index=True)[1]
    assert 1 - len(first) / len(key) > 0.5  # most lines re-buy something the household bought
    per_order = lines["order"] * (SMALL.products + 1) + lines["product"]
    assert len(np.unique(per_order)) == len(per_order)  # one line per product and order


def test_imports_with_the_files_own_totals(tmp_path: Path) -> None:
    with use_home(tmp_path):
        assert main(["demo", "--kind", "grocery", "--shop", "groc", "--customers", "60", "--products",
                     "800", "--days", "365", "--seed", "3"]) == 0
        path = next((tmp_path / "sources" / "groc").glob("orders.csv"))
        with open(path, encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        revenue = round(sum(float(r["Line Total"]) for r in rows), 2)
        with Store.open("groc", read_only=True) as store:
            got = store.rows("SELECT count(DISTINCT order_id), count(DISTINCT customer_key), "
                             "round(sum(quantity * unit_price), 2), count(*) FROM events "
                             "WHERE event_type = 'purchase'")[0]
    assert got[0] == len({r["Order ID"] for r in rows})
    assert got[1] == len({r["Customer ID"] for r in rows})
    assert abs(got[2] - revenue) < 0.05  # unit prices derived from the line totals
    assert got[3] == len(rows)
