"""The shop's trained models: neural sequence models and baselines, trained, saved, compared.

    embeddings.py  train a GRU, LSTM or transformer on the shop's events; load one as a
                   recommender; customer and product vectors; the comparison with baselines
    loading.py     a saved model back as a recommender; refused (and the next one served) if it
                   cannot be rebuilt
    guards.py      a shop too small for a sequence model: the message, the simple models instead
    promotion.py   whether a new run replaces the model in use; putting a candidate in use
    kinds.py       the model kinds and their names (no torch: the page's controls)
    wording.py     durations and progress lines, the same on the page and the command line
    charts.py      the Model page's figures: training progress, the comparison

Public face: ``embeddings.train``, ``embeddings.load_recommender``, ``embeddings.customer_vectors``,
``embeddings.compare``, ``promotion.promote``.
"""
