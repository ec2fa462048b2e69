"""shoplens models: pure PyTorch modules, baselines, training loops and metrics.

This package knows arrays and tensors, not DuckDB or Streamlit: `core/` feeds it an
`EventLog` (models/data.py) and reads back scores and vectors.

    data.py         the EventLog / Split / Target contract and the time split
    metrics.py      one full-catalog evaluation for every model
    baselines.py    popularity, recent popularity, repeat frequency, item-kNN, EASE, ALS
    encoders.py     ModelConfig and the shared item / event / context embeddings
    seqrec.py       GRU4Rec-style recurrent model (GRU or LSTM)
    sasrec.py       SASRec-style causal self-attention
    repeat.py       repeat/explore mixture over the customer's own history
    batches.py      windows, training rows and batched prediction from the flat log
    train.py        training loop: early stopping, seeds, cancellation, DistributedDataParallel
    recommender.py  fit / score / vectors / state for the app and the evaluation
    io.py           an EventLog as .npz (torchrun runs without the store)
"""
