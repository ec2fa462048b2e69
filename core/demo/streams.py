"""Seeded random streams and vectorised categorical draws for :mod:`core.demo.synth`.

Every table and every customer chunk gets its own child ``SeedSequence``
(``spawn_key=(stream, chunk)``); the samplers draw one item per query row
without Python loops.
"""

from __future__ import annotations

import numpy as np

_STREAM_CATALOG, _STREAM_LATENT, _STREAM_CUSTOMERS, _STREAM_EVENTS = 1, 2, 3, 4
_STREAM_STOCK = 5  # added later: its own stream, so every other table stays byte-identical


def _rng(seed: int, stream: int, index: int = 0) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(stream, index))))


def _norm(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / x.sum(axis=-1, keepdims=True)


class _RowSampler:
    """Draw one item per query from per-row weighted item lists (flattened CDF trick)."""

    def __init__(self, items: list[np.ndarray], weights: list[np.ndarray]) -> None:
        cums, its, starts, ends, pos = [], [], [], [], 0
        for r, (it, w) in enumerate(zip(items, weights, strict=True)):
            starts.append(pos)
            if len(it):
                c = np.cumsum(np.asarray(w, dtype=np.float64))
                cums.append(c / c[-1] + r)
                its.append(np.asarray(it, dtype=np.int64))
                pos += len(it)
            ends.append(pos)
        self.cum = np.concatenate(cums) if cums else np.zeros(0)
        self.items = np.concatenate(its) if its else np.zeros(0, dtype=np.int64)
        self.start, self.end = np.array(starts), np.array(ends)

    def sample(self, rng: np.random.Generator, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        q = rows + rng.random(len(rows))
        idx = np.searchsorted(self.cum, q, side="right")
        idx = np.clip(idx, self.start[rows], np.maximum(self.end[rows] - 1, self.start[rows]))
        return self.items[idx]


def _choice_rows(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One categorical draw per element, row ``rows[i]`` of ``probs`` giving its distribution."""
    k, m = probs.shape
    cum = np.cumsum(probs, axis=1)
    flat = (cum / cum[:, -1:] + np.arange(k)[:, None]).ravel()
    rows = np.asarray(rows, dtype=np.int64)
    idx = np.searchsorted(flat, rows + rng.random(len(rows)), side="right") - rows * m
    return np.clip(idx, 0, m - 1)
