"""Fairness and exposure: whom a model's lists serve well, and which products they show.

    fairness.py   the measures: NDCG and price level per group, disparities with bootstrap
                  intervals, exposure against best-sellers, plain-words summaries
    audit.py      the audit of one model on the shop's real lists, with what-ifs
    charts.py     the Fairness page's figures

Public face: ``audit.run``.
"""
