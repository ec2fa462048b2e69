"""Segment runs on disk: one file per (model, settings, data), the shop's latest run, and
cutting erased or objecting customers out of every saved run."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from core.segments.types import SegmentConfig, SegmentRun
from core.shop import sequences
from core.store import config
from core.store.store import Store

log = logging.getLogger(__name__)


def cache_dir(store: Store) -> Path:
    """The shop's folder of segment runs (created on first use)."""
    shop = store.shop
    path = config.home() / "cache" / config.check_shop_name(shop) / "segments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def save(run: SegmentRun, path: Path) -> None:
    """Write a run atomically (temporary file, fsync, rename)."""
    tmp = path.with_name("." + path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, keys=run.keys.astype(str), map=run.map, space=run.space, labels=run.labels,
                 probabilities=run.probabilities, nearest=run.nearest,
                 tree=run.tree[["parent", "child", "lambda_val", "child_size"]].to_numpy(float),
                 meta=np.array(json.dumps(run.meta)))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: Path) -> SegmentRun | None:
    """A saved run, or None when the file is unreadable (logged)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            tree = pd.DataFrame(z["tree"], columns=["parent", "child", "lambda_val", "child_size"])
            return SegmentRun(z["keys"].astype(object), z["map"], z["space"], z["labels"],
                              z["probabilities"], z["nearest"], tree, json.loads(str(z["meta"])))
    except (OSError, ValueError, KeyError) as err:
        log.warning("ignoring unreadable segment cache %s: %s", path, err)
        return None


MODEL_LESS = "features"  # the file name's model part for settings that read no model


def path_for(store: Store, model_id: str | None, cfg: SegmentConfig, data: str) -> Path:
    """Where the run of this model, these settings and this data is kept (settings without the
    learned embedding read no model: one file whatever the model)."""
    model = model_id if "embedding" in cfg.parts else MODEL_LESS
    return cache_dir(store) / f"{model}-{cfg.key()}-{data}.npz"


def cached(store: Store, model_id: str | None, cfg: SegmentConfig) -> SegmentRun | None:
    """The cached run for this model, settings and data, if there is one."""
    path = path_for(store, model_id, cfg, sequences.fingerprint(store))
    return load(path) if path.exists() else None


def previous_run(store: Store) -> SegmentRun | None:
    """The shop's latest published run (what the pages show), or None."""
    latest = cache_dir(store) / "LATEST"
    if not latest.exists():
        return None
    path = cache_dir(store) / latest.read_text().strip()
    return load(path) if path.exists() else None


def publish(store: Store, path: Path) -> None:
    """Make the run at ``path`` the shop's latest (atomically)."""
    tmp = path.with_name(".LATEST.tmp")
    tmp.write_text(path.name)
    os.replace(tmp, cache_dir(store) / "LATEST")


def drop_customers(store: Store, keys: set[str]) -> int:
    """Cut the customers out of every cached segment run (rewritten atomically); files changed."""
    changed = 0
    for path in sorted(cache_dir(store).glob("*.npz")):
        run = load(path)
        if run is None:
            continue
        gone = np.isin(run.keys.astype(str), list(keys))
        if not gone.any():
            continue
        save(without_points(run, gone), path)
        changed += 1
    return changed


def without_points(run: SegmentRun, gone: np.ndarray) -> SegmentRun:
    """The run without the points in ``gone``; the cluster tree loses their leaves (cluster ids,
    which follow the points' ids, shift down)."""
    n, keep = len(gone), ~gone
    new_id = np.cumsum(keep) - 1  # old point index -> new one
    m = int(gone.sum())
    tree = run.tree.copy()
    child = tree["child"].to_numpy(np.int64)
    parent = tree["parent"].to_numpy(np.int64)
    is_point = child < n
    drop = is_point & gone[np.where(is_point, child, 0)]
    child = np.where(is_point, new_id[np.where(is_point, child, 0)], child - m)
    tree["child"], tree["parent"] = child, parent - m
    tree = tree[~drop].reset_index(drop=True)
    meta = {**run.meta, "erased_since_built": int(run.meta.get("erased_since_built", 0)) + m}
    if "leaf_nodes" in meta:  # segment -> its node in the tree: node ids follow the points' ids
        meta["leaf_nodes"] = {s: int(v) - m for s, v in meta["leaf_nodes"].items()}
    return SegmentRun(run.keys[keep], run.map[keep], run.space[keep], run.labels[keep],
                               run.probabilities[keep], run.nearest[keep] if len(run.nearest) == n
                               else run.nearest, tree, meta)
