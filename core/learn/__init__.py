"""The shop's trained models: neural sequence models and baselines, trained, saved, compared.

    embeddings.py  train a GRU, LSTM or transformer on the shop's events; load one as a
                   recommender; customer and product vectors; the comparison with baselines
    charts.py      the Model page's figures: training progress, the comparison

Public face: ``embeddings.train``, ``embeddings.load_recommender``, ``embeddings.customer_vectors``,
``embeddings.compare``.
"""
