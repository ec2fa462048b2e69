"""The scoring API of the sequence models: fit, score, vectors, save and load.

    rec = SequenceRecommender(ModelConfig(arch="sasrec")).fit(split, TrainConfig(seed=0))
    scores = rec.score(split.log, split.test)          # (n_targets, n_items + 1) float32
    torch.save(rec.state(), path)                      # plain tensors, lists and numbers
    rec = SequenceRecommender.from_state(torch.load(path, weights_only=True))

Scores are log probabilities of the repeat/explore mixture for the target's context, from the
history before each target's cut-off. The estimator follows scikit-learn's rules: ``__init__``
only stores the config, ``fit`` returns ``self``, fitted attributes end in ``_``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import torch
import torch.nn as nn

from models.batches import LogIndex, predict, target_rows, user_rows
from models.data import EventLog, Split, Target
from models.encoders import ModelConfig
from models.train import FitResult, Progress, TrainConfig, checkpoint, from_checkpoint, train_model


class SequenceRecommender:
    """A fitted GRU/LSTM/SASRec next-basket model behind the evaluation's ``score`` contract."""

    def __init__(self, config: ModelConfig | None = None, batch_size: int = 512) -> None:
        self.config = config
        self.batch_size = batch_size
        self._index: tuple[weakref.ref, LogIndex] | None = None

    def fit(self, split: Split, config: TrainConfig | None = None, progress: Progress | None = None,
            stop: Callable[[], bool] | None = None) -> SequenceRecommender:
        """Train on ``split.train`` with early stopping on ``split.valid``."""
        self.train_config_ = config or TrainConfig()
        self.model_, self.result_ = train_model(split, self.config or ModelConfig(), self.train_config_,
                                                progress, stop)
        self.item_ids_ = list(split.log.item_ids)
        return self

    @property
    def model_config_(self) -> ModelConfig:
        return self.model_.config

    def _log_index(self, log: EventLog) -> LogIndex:
        """The look-ups of ``log``, kept while the same log object is scored again."""
        if self._index is None or self._index[0]() is not log:
            self._index = (weakref.ref(log), LogIndex(log))
        return self._index[1]

    def _check(self, log: EventLog) -> None:
        n = self.model_.config.n_items
        if log.n_items != n:
            raise ValueError(f"The model knows {n} items; the log has {log.n_items}.")

    def score(self, log: EventLog, targets: list[Target]) -> np.ndarray:
        """Log P of every item (n_targets, n_items + 1) from the history before each cut-off."""
        self._check(log)
        index = self._log_index(log)
        return predict(self.model_, index, target_rows(index, targets), self.batch_size)

    def user_vectors(self, log: EventLog, users: np.ndarray | list[int]) -> np.ndarray:
        """The state (n, d_model) at the end of each user's whole history (unknown context)."""
        self._check(log)
        index = self._log_index(log)
        return predict(self.model_, index, user_rows(index, np.asarray(users)), self.batch_size, hidden=True)

    def item_vectors(self) -> np.ndarray:
        """Output vectors (n_items + 1, d_model) of the catalog; row 0 is padding."""
        with torch.no_grad():
            return self.model_.embed.output_table().float().cpu().numpy()

    def state(self) -> dict:
        """Everything needed to rebuild the fitted model: tensors, numbers, strings and lists."""
        return checkpoint(self.model_, train_args=asdict(self.train_config_), item_ids=list(self.item_ids_),
                          fit=_plain(asdict(self.result_)))

    @classmethod
    def from_state(cls, state: dict) -> SequenceRecommender:
        """The inverse of ``state`` (e.g. after ``torch.load(path, weights_only=True)``)."""
        model: nn.Module = from_checkpoint(state)
        rec = cls(model.config)
        rec.model_ = model
        rec.train_config_ = TrainConfig(**state.get("train_args", {}))
        rec.item_ids_ = list(state.get("item_ids", []))
        fit = dict(state.get("fit", {}))
        rec.result_ = FitResult(**fit) if fit else FitResult()
        return rec


def _plain(value: object) -> object:
    """Floats that ``torch.load(weights_only=True)`` reads back (inf/nan are fine as floats)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
