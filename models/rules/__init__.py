"""The non-neural recommenders: simple rules, factorisation and the next-basket literature's
nearest-neighbour models. ``models.baselines`` is their registry and holds their tuned settings.

    estimator.py      the Baseline contract and the sparse history / training matrices
    simple.py         best-sellers, recent best-sellers, the customer's own repeats, item-kNN
    factorization.py  EASE and implicit ALS
    nextbasket.py     TIFU-KNN and UP-CF@r: the next-basket literature's strongest simple rivals
"""
