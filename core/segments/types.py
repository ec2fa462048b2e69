"""What a segment run is: the merchant's settings, one run's result, and the plug-in contracts
of the map reducer (UMAP) and the clusterer (HDBSCAN)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

Progress = Callable[[float, str], None]
UNASSIGNED = -1
FEATURE_PARTS = ("embedding", "rfm", "context")


class MapReducer(Protocol):
    map_: np.ndarray
    space_: np.ndarray

    def fit(self, X: np.ndarray) -> MapReducer: ...


class Clusterer(Protocol):
    labels_: np.ndarray
    probabilities_: np.ndarray

    def fit(self, X: np.ndarray) -> Clusterer: ...


@dataclass(frozen=True)
class SegmentConfig:
    """What the merchant chooses: the inputs, the smallest segment, the seed."""

    parts: tuple[str, ...] = ("embedding",)
    min_cluster_size: int | None = None  # None: scaled to the shop's size
    min_samples: int | None = None
    n_neighbors: int = 15
    seed: int = 0

    def __post_init__(self) -> None:
        bad = [p for p in self.parts if p not in FEATURE_PARTS]
        if bad or not self.parts:
            raise ValueError(f"Unknown segment inputs {bad}; choose from {', '.join(FEATURE_PARTS)}.")
        if self.min_cluster_size is not None and self.min_cluster_size < 2:
            raise ValueError("The smallest segment must have at least 2 customers.")

    def key(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:10]


@dataclass
class SegmentRun:
    """One pipeline run: who, where on the map, which segment, how sure, and the hierarchy."""

    keys: np.ndarray  # customer keys (object)
    map: np.ndarray  # (n, 2)
    space: np.ndarray  # (n, k) clustering space
    labels: np.ndarray  # segment per customer, UNASSIGNED for outliers
    probabilities: np.ndarray  # membership strength 0..1
    nearest: np.ndarray  # segment per customer with outliers given their nearest segment
    tree: pd.DataFrame  # HDBSCAN condensed tree: parent, child, lambda_val, child_size
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_segments(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    @property
    def unassigned_share(self) -> float:
        return float((self.labels == UNASSIGNED).mean()) if len(self.labels) else 0.0
