"""The two sequence networks: a customer's event vectors in, their state at the query token out.

- ``RecurrentRec``, GRU4Rec-style (``arch: "gru" | "lstm"``): the event vectors of a row
  (``models.encoders``), oldest first and ending with the query token that carries the target
  basket's context, run through a multi-layer GRU or LSTM.
- ``SASRec``-style causal self-attention: learned position embeddings counted back from the
  query token (position 0 = the query, 1 = the most recent event, ...), pre-LayerNorm
  transformer blocks with dropout, causal attention that never looks at padding.

Both hand the state to the shared repeat/explore head (``models.repeat``), which turns it into
log probabilities over the catalog and the loss.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from models.encoders import Batch, EventEmbedding, ModelConfig
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


class SelfAttention(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        if config.d_model % config.n_heads:
            raise ValueError("d_model must be a multiple of n_heads")
        self.n_heads = config.n_heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.dropout = config.dropout
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)  # 3 x (B, T, d)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed,
                                           dropout_p=self.dropout if self.training else 0.0)  # (B, H, T, hd)
        y = y.transpose(1, 2).contiguous().view(b, t, d)  # (B, T, d)
        return self.resid_drop(self.proj(y))


class Block(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        d = config.d_model
        self.ln1 = nn.LayerNorm(d)
        self.attn = SelfAttention(config)
        self.ln2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d),
                                 nn.Dropout(config.dropout))

    def forward(self, x: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x), allowed)  # (B, T, d)
        return x + self.mlp(self.ln2(x))  # (B, T, d)


class SASRec(nn.Module):
    """Embeddings + positions -> causal pre-LN transformer -> repeat/explore head."""

    def __init__(self, config: ModelConfig, side: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        if config.arch != "sasrec":
            raise ValueError(f"SASRec needs arch 'sasrec', not {config.arch!r}")
        self.config = config
        self.embed = EventEmbedding(config, side)
        self.pos = nn.Embedding(config.max_len + 1, config.d_model)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = RepeatExplore(config)

    @staticmethod
    def attention_mask(lengths: torch.Tensor, t: int) -> torch.Tensor:
        """(B, 1, T, T) bool: i may look at j <= i when j is a real token (padding sees itself)."""
        ar = torch.arange(t, device=lengths.device)
        real = ar[None, :] >= (t - lengths)[:, None]  # (B, T)
        causal = ar[None, :] <= ar[:, None]  # (T, T)
        return ((causal[None] & real[:, None, :]) | torch.eye(t, dtype=torch.bool, device=ar.device))[:, None]

    def encode(self, batch: Batch) -> torch.Tensor:
        """The state at the query token: (B, d)."""
        t = batch.items.shape[1]
        pos = self.pos(torch.arange(t - 1, -1, -1, device=batch.items.device))[None]  # (1, T, d)
        x = self.embed(batch.items, batch.etypes, batch.context, extra=pos)  # (B, T, d)
        allowed = self.attention_mask(batch.lengths, t)
        for block in self.blocks:
            x = block(x, allowed)  # (B, T, d)
        h = self.ln_f(x[:, -1])  # (B, d)
        return self.head.with_profile(h, batch, self.embed)  # (B, d)

    def forward(self, batch: Batch, targets: torch.Tensor | None = None
                ) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """(log P over the catalog (B, n_items + 1), mean basket NLL when ``targets`` (B, K))."""
        return self.head(self.encode(batch), batch, self.embed, targets)
