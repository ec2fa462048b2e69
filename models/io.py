"""An ``EventLog`` as one ``.npz`` file, so a training run (e.g. under torchrun) needs no DuckDB.

Arrays are stored as they are; the small dictionaries and id lists go into one JSON string.
Loading never unpickles (``allow_pickle=False``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from models.data import EventLog

_ARRAYS = ("user", "item", "etype", "ts", "basket")


def save_npz(log: EventLog, path: str | Path) -> Path:
    """Write ``log`` to ``path`` (compressed); returns the path written."""
    path = Path(path)
    arrays = {name: np.asarray(getattr(log, name), dtype=np.int64) for name in _ARRAYS}
    arrays.update({f"context__{k}": np.asarray(v, dtype=np.int64) for k, v in log.context.items()})
    arrays.update({f"side__{k}": np.asarray(v, dtype=np.int64) for k, v in log.item_side.items()})
    meta = {"n_users": int(log.n_users), "n_items": int(log.n_items),
            "context_sizes": {k: int(v) for k, v in log.context_sizes.items()},
            "side_sizes": {k: int(v) for k, v in log.side_sizes.items()},
            "item_ids": [str(i) for i in log.item_ids], "user_ids": [str(u) for u in log.user_ids]}
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    with path.open("wb") as fh:
        np.savez_compressed(fh, **arrays)
    return path


def load_npz(path: str | Path) -> EventLog:
    """Read an ``EventLog`` written by ``save_npz``."""
    with np.load(Path(path), allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes().decode("utf-8"))
        context = {k.split("__", 1)[1]: z[k] for k in z.files if k.startswith("context__")}
        side = {k.split("__", 1)[1]: z[k] for k in z.files if k.startswith("side__")}
        user, item, etype, ts, basket = (z[name] for name in _ARRAYS)
    return EventLog(user, item, etype, ts, basket, context, meta["n_users"], meta["n_items"],
                    meta["context_sizes"], side, meta["side_sizes"], meta["item_ids"], meta["user_ids"])
