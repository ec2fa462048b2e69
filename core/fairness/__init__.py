"""Fairness and exposure: whom a model's lists serve well, and which products they show.

    fairness.py   the measures: NDCG and price level per group, disparities with bootstrap
                  intervals, exposure against best-sellers
    audit.py      the audit of one model on the shop's real lists, with what-ifs
    wording.py    the audit in words: at most five plain sentences, and every measure in Details
    charts.py     the Fairness page's figures

Public face: ``audit.run``.
"""
