"""Reference values for TIFU-KNN's customer vectors and UP-CF's user-wise popularity and
similarity, computed by cornac's implementations (cornac.models.TIFUKNN, which follows the
authors' code, cornac.models.UPCF and similaripy.asymmetric_cosine), on random histories.

    pip install cornac==3.0.1 similaripy==0.7.0   # not a shoplens dependency
    python bench/nextbasket_reference.py          # writes tests/data/nextbasket_reference.json

tests/test_nextbasket.py checks models/rules/nextbasket.py against the file on every run, so the
comparison needs cornac only when the cases are regenerated.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "nextbasket_reference.json"
N_ITEMS = 12


def main() -> None:
    import scipy.sparse as sp
    import similaripy
    from cornac.models import TIFUKNN, UPCF

    class Tifu(TIFUKNN):
        total_items = N_ITEMS

    class Upcf(UPCF):
        total_items = N_ITEMS

    rng = np.random.default_rng(7)
    cases = []
    for _ in range(40):
        n = int(rng.integers(1, 26))
        baskets = [sorted(set(rng.integers(0, N_ITEMS, int(rng.integers(1, 5))).tolist()))
                   for _ in range(n)]
        groups, within, group = int(rng.choice([1, 2, 3, 7])), float(rng.uniform(0.3, 1)), \
            float(rng.uniform(0.3, 1))
        recency = int(rng.choice([0, 1, 3, 5]))
        tifu = Tifu(n_groups=groups, within_decay_rate=within, group_decay_rate=group)
        uwpop = Upcf(recency=recency)._get_user_wise_popularity(baskets).toarray()[0]
        cases.append({"baskets": baskets, "n_groups": groups, "within_decay": within,
                      "group_decay": group, "tifu_vector": tifu._compute_user_vector(baskets).tolist(),
                      "recency": recency,
                      "uwpop": uwpop.tolist()})
    sets = (rng.random((8, N_ITEMS)) < 0.3).astype(np.float32)
    sets[sets.sum(axis=1) == 0, 0] = 1.0
    asym = similaripy.asymmetric_cosine(sp.csr_matrix(sets), alpha=0.3, k=8, verbose=False).toarray()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"n_items": N_ITEMS, "cases": cases, "sets": sets.tolist(),
                               "asymmetry": 0.3, "similarity": asym.tolist()}, indent=1))
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
