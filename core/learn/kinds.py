"""The kinds of model the shop can train or use, and their names in words (no torch: the Model
page draws its controls from these before anything heavy is imported)."""

from __future__ import annotations

NEURAL = {"gru": "gru", "lstm": "lstm", "transformer": "sasrec"}  # kind -> models' architecture
LABELS = {"gru": "GRU (recurrent)", "lstm": "LSTM (recurrent)", "transformer": "Transformer (SASRec)",
          "popularity": "Best-sellers", "recent_popularity": "Recent best-sellers",
          "repeat": "Customer's own repeats", "itemknn": "Item-kNN (bought together)",
          "ease": "EASE", "als": "Matrix factorisation (ALS)",
          "tifuknn": "TIFU-KNN (timed repeats + similar customers)",
          "upcf": "UP-CF (recent baskets of similar customers)"}
SHOWN = ("ndcg@10", "recall@10", "hitrate@10", "mrr", "ndcg@20", "recall@20", "coverage@10",
         "popularity@10")
