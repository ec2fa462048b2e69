"""GRU4Rec-style recurrent next-basket model (``arch: "gru" | "lstm"``).

The event vectors of a row (``models.encoders``), oldest first and ending with the query token
that carries the target basket's context, run through a multi-layer GRU or LSTM; the output at
the query token is the customer's state. ``models.repeat`` turns that state into log
probabilities over the catalog (repeat/explore mixture) and the loss.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from models.batches import Batch
from models.encoders import EventEmbedding, ModelConfig
from models.repeat import RepeatExplore


def left_align(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Right-aligned (padding first) -> left-aligned (padding last) along dim 1."""
    t = x.shape[1]
    shift = (t - lengths)[:, None]  # (B, 1)
    idx = (torch.arange(t, device=x.device)[None, :] + shift) % t  # (B, T)
    return x.gather(1, idx[..., None].expand(-1, -1, x.shape[2]))  # (B, T, d)


class RecurrentRec(nn.Module):
    """Embeddings -> GRU/LSTM -> LayerNorm -> repeat/explore head."""

    def __init__(self, config: ModelConfig, side: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        if config.arch not in ("gru", "lstm"):
            raise ValueError(f"RecurrentRec needs arch 'gru' or 'lstm', not {config.arch!r}")
        self.config = config
        self.embed = EventEmbedding(config, side)
        rnn = nn.GRU if config.arch == "gru" else nn.LSTM
        self.rnn = rnn(config.d_model, config.d_model, num_layers=config.n_layers, batch_first=True,
                       dropout=config.dropout if config.n_layers > 1 else 0.0)
        self.norm = nn.LayerNorm(config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.head = RepeatExplore(config)

    def encode(self, batch: Batch) -> torch.Tensor:
        """The state at the query token: (B, d)."""
        x = self.embed(batch.items, batch.etypes, batch.context)  # (B, T, d)
        x = left_align(x, batch.lengths)  # (B, T, d): events, query, padding
        out, _ = self.rnn(x)  # (B, T, d); outputs before the padding do not see it
        last = (batch.lengths - 1)[:, None, None].expand(-1, 1, out.shape[2])  # (B, 1, d)
        h = self.norm(self.drop(out.gather(1, last).squeeze(1)))  # (B, d)
        return self.head.with_profile(h, batch, self.embed)  # (B, d)

    def forward(self, batch: Batch, targets: torch.Tensor | None = None
                ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(log P over the catalog (B, n_items + 1), mean basket NLL when ``targets`` (B, K))."""
        return self.head(self.encode(batch), batch, self.embed, targets)
