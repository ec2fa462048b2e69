"""The shared input side of the sequence models: one vector per event, one per catalog item.

An event is the sum of its item's embedding, the item's side features (category, brand, price
band: rare items share strength with their neighbours), the event type and the event's context
(hour, weekday, month, device, channel, gap since the previous event), normalised to ``d_model``.
The last token of every sequence is a *query*: no item, the context of the basket to predict
("next-item scores for a given context"). Items are scored against ``ItemEmbedding.table()``,
the same item vectors (tied) or a separate output table.

``ModelConfig`` is the one typed config of every model here (nanoGPT style): passed whole,
saved with ``asdict`` and rebuilt with ``ModelConfig(**model_args)``. ``Batch`` is what every
model reads: a batch of token windows plus the repeat features (built by ``models.batches``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch
import torch.nn as nn

from models.data import CONTEXT

SIDE = ("category", "brand", "price_band")
QUERY = 5  # event-type code of the query token (after the data's 0..4 codes)


@dataclass
class Batch:
    """Model inputs for B rows; T = max_len + 1 tokens, the last one the query."""

    items: torch.Tensor  # (B, T) long, 0 = padding / query
    etypes: torch.Tensor  # (B, T) long, QUERY for the last token
    context: dict[str, torch.Tensor]  # CONTEXT name -> (B, T) long
    lengths: torch.Tensor  # (B,) real tokens including the query (>= 1)
    rep_row: torch.Tensor  # (R,) row of each (row, history item) pair
    rep_item: torch.Tensor  # (R,) item of each pair
    rep_pair: torch.Tensor  # (R, N_PAIR_FEATURES) float
    user_feats: torch.Tensor  # (B, N_USER_FEATURES) float
    # calendar-time repurchase inputs (``models.repurchase.kernel_inputs``); empty when off
    k_pair: torch.Tensor = field(default_factory=lambda: torch.zeros(0, dtype=torch.long))  # (P,)
    k_age: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # (P,) days
    k_gap: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # (R,) log days
    k_ngap: torch.Tensor = field(default_factory=lambda: torch.zeros(0))  # (R,)

    def to(self, device: torch.device | str) -> Batch:
        moved = {f.name: getattr(self, f.name) for f in fields(self)}
        moved = {k: ({c: t.to(device) for c, t in v.items()} if isinstance(v, dict) else v.to(device))
                 for k, v in moved.items()}
        return Batch(**moved)


@dataclass
class ModelConfig:
    """Architecture of a next-basket model; the data-sized fields are filled in by ``fit``."""

    arch: str = "sasrec"  # "sasrec" | "gru" | "lstm"
    n_items: int = 0  # catalog size; ids 1..n_items, 0 = padding
    context_sizes: dict[str, int] = field(default_factory=dict)  # CONTEXT name -> vocab size
    side_sizes: dict[str, int] = field(default_factory=dict)  # SIDE name -> vocab size
    d_model: int = 64
    n_layers: int = 2  # transformer blocks or recurrent layers
    n_heads: int = 2
    dropout: float = 0.2
    max_len: int = 30  # events fed to the sequence encoder (plus the query token)
    tie_weights: bool = True  # score items with the input item vectors
    repeat: bool = True  # repeat/explore mixture over the customer's own history
    explore_new: bool = True  # explore only items outside the history (RepeatNet)
    profile: bool = True  # add an attention-pooled whole-history profile to the state
    repeat_len: int = 2000  # most recent events the repeat features and the profile look at
    repeat_hidden: int = 32
    repurchase: bool = False  # add the calendar-time repurchase kernel to the repeat logits
    repurchase_weight: float = 0.5  # initial decay and bump weights of that kernel (0: starts as off)
    # 0: full softmax; >0: sampled softmax with that many shared negatives when training;
    # -1: full below models.train.LARGE_CATALOG products, SAMPLED_NEGATIVES above (sized_for)
    n_negatives: int = -1


class ItemEmbedding(nn.Module):
    """Item id + side features -> d_model. The side-feature codes are buffers (saved with the
    weights), so the model needs no data at scoring time."""

    def __init__(self, config: ModelConfig, side: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        n = config.n_items + 1
        self.item = nn.Embedding(n, config.d_model, padding_idx=0)
        self.side_names = [s for s in SIDE if config.side_sizes.get(s, 0) > 1]
        self.side = nn.ModuleDict({s: nn.Embedding(config.side_sizes[s], config.d_model, padding_idx=0)
                                   for s in self.side_names})
        for s in self.side_names:
            codes = side[s] if side is not None and s in side else torch.zeros(n, dtype=torch.long)
            self.register_buffer(f"codes_{s}", codes.long().clone(), persistent=True)

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        x = self.item(items)  # (..., d)
        for s in self.side_names:
            x = x + self.side[s](getattr(self, f"codes_{s}")[items])  # (..., d)
        return x

    def table(self) -> torch.Tensor:
        """Vectors of the whole catalog, row = item id (row 0 = padding)."""
        return self.forward(torch.arange(self.item.num_embeddings, device=self.item.weight.device))


class EventEmbedding(nn.Module):
    """(item, event type, context) per token -> normalised d_model vectors."""

    def __init__(self, config: ModelConfig, side: dict[str, torch.Tensor] | None = None) -> None:
        super().__init__()
        d = config.d_model
        self.items = ItemEmbedding(config, side)
        self.etype = nn.Embedding(QUERY + 1, d, padding_idx=0)
        self.context_names = [c for c in CONTEXT if config.context_sizes.get(c, 0) > 1]
        self.context = nn.ModuleDict({c: nn.Embedding(config.context_sizes[c], d, padding_idx=0)
                                      for c in self.context_names})
        self.norm = nn.LayerNorm(d)
        self.drop = nn.Dropout(config.dropout)
        self.out = None if config.tie_weights else nn.Embedding(config.n_items + 1, d, padding_idx=0)
        self.out_bias = nn.Parameter(torch.zeros(config.n_items + 1))
        for emb in (self.items.item, self.etype, *self.context.values(), *self.items.side.values()):
            nn.init.normal_(emb.weight, std=0.02)
            with torch.no_grad():
                emb.weight[0].zero_()
        if self.out is not None:
            nn.init.normal_(self.out.weight, std=0.02)

    def forward(self, items: torch.Tensor, etypes: torch.Tensor, context: dict[str, torch.Tensor],
                extra: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) codes -> (B, T, d); ``extra`` (e.g. positions) is added before the norm."""
        x = self.items(items) + self.etype(etypes)  # (B, T, d)
        if extra is not None:
            x = x + extra  # (B, T, d)
        for c in self.context_names:
            x = x + self.context[c](context[c].clamp(0, self.context[c].num_embeddings - 1))  # (B, T, d)
        return self.drop(self.norm(x))  # (B, T, d)

    def output_table(self) -> torch.Tensor:
        """Item vectors that hidden states are scored against: (n_items + 1, d)."""
        return self.items.table() if self.out is None else self.out.weight

    def output_rows(self, items: torch.Tensor) -> torch.Tensor:
        """``output_table()[items]`` without building the whole table (training on a large
        catalog needs only the sampled and the history items)."""
        return self.items(items) if self.out is None else self.out(items)

    def explore_logits(self, h: torch.Tensor, items: torch.Tensor | None = None) -> torch.Tensor:
        """Scores of every catalog item (or of ``items`` only) for hidden states ``h`` (B, d)."""
        table = self.output_table()  # (N+1, d)
        if items is None:
            return h @ table.t() + self.out_bias  # (B, N+1)
        return h @ table[items].t() + self.out_bias[items]  # (B, K)


def side_tensors(item_side: dict[str, object]) -> dict[str, torch.Tensor]:
    """The data's item side-feature arrays as long tensors (only the names the models use)."""
    return {s: torch.as_tensor(item_side[s]).long() for s in SIDE if s in item_side}


def n_params(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
