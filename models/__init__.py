"""shoplens models: pure PyTorch and numpy modules, baselines, training loops and metrics.

This package knows arrays and tensors, not DuckDB or Streamlit: `core/` feeds it an
`EventLog` (models/data.py) and reads back scores and vectors.

    data.py           the EventLog / Split / Target contract, the time split, an EventLog as .npz
    metrics.py        one full-catalog evaluation for every model; whether a shop's scores mean anything
    baselines.py      the registry of every non-neural model and its tuned parameters (TUNED)
    rules/            the non-neural models: the Baseline contract, simple rules (popularity,
                      repeats, item-kNN), EASE and ALS, TIFU-KNN and UP-CF@r
    encoders.py       ModelConfig, the Batch every network reads, the item / event / context embeddings
    networks.py       the GRU4Rec-style recurrent network (GRU or LSTM) and SASRec-style self-attention
    repeat.py         repeat/explore mixture over the customer's own history
    repurchase.py     calendar-time repurchase kernel: learned per-product interval, decay + bump
    batches.py        windows, training rows and batched prediction from the flat log
    train.py          training loop: early stopping, seeds, cancellation, DistributedDataParallel
    runtime.py        seeded sections, the device, the torchrun process group, one-thread scoring
    recommender.py    fit / score / vectors / state for the app and the evaluation
"""
