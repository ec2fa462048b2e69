"""Recommendations: one customer's list with reasons, under the merchant's controls.

    types.py        the shared vocabulary: Context, Controls, Candidates, Pick, Reason, Result,
                    and EngineView (what the steps below read of a loaded engine)
    recommend.py    the Engine (a model plus the shop), the cold-start ladder, one request; ``load``
    candidates.py   where candidates come from: the model with occlusion, new products, fallbacks
    ranking.py      the merchant's filters, re-buys that are due, MMR diversity
    defaults.py     the shop's default controls, chosen on validation baskets after training
    explain.py      one to three reasons per pick, drawn from data; their faithfulness check
    blocks.py       many customers' lists exactly as one request each gives them, the model
                    scoring a chunk of customers in one call (``shoplens recommend --all``)
    batch.py        every customer's list at once, in bounded batches; an exposure cap
    beyond.py       beyond-accuracy measures of lists (coverage, diversity, novelty, Gini, ...)
    lists_report.py those measures on the lists customers would really see, per model
    customer.py     the Customer page's card, timeline and its figure; finding a customer by the
                    shop's own id

Public face: ``recommend.load(store).recommend(key, Controls(), Context())``,
``blocks.results(engine, keys, controls)``, ``batch.batch_lists``, ``customer.find``,
``defaults.controls(store)`` (what every list uses when the merchant has not touched a control).
"""
