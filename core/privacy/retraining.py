"""Which of the shop's models were trained on data that is gone (erased, purged) and need
retraining: a notice in the models folder, cleared by a model trained since on today's data."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from core.store import artifacts
from core.store.store import Store

RETRAIN = "RETRAIN.json"  # in the shop's models folder: why its models need retraining


def mark_for_retraining(store: Store, reason: str) -> list[str]:
    """Record that the shop's current models were trained on data that is gone."""
    models = [m["model_id"] for m in artifacts.list_models(store) if "damaged" not in m]
    if not models:
        return []
    path = artifacts.models_dir(store) / RETRAIN
    notice = retrain_notice(store) or {"models": [], "reasons": []}
    notice["models"] = sorted(set(notice["models"]) | set(models))
    notice["reasons"] = [*notice["reasons"], {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                                              "why": reason}][-20:]
    tmp = path.with_name(f".{RETRAIN}.tmp")
    tmp.write_text(json.dumps(notice, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return models


def retrain_notice(store: Store, fingerprint: str | None = None) -> dict | None:
    """Models that need retraining and why, or None. A model trained since clears it - one that
    read the data as it is now (``fingerprint``, ``core.shop.sequences.fingerprint``) when given."""
    path: Path = artifacts.models_dir(store) / RETRAIN
    if not path.exists():
        return None
    notice = json.loads(path.read_text(encoding="utf-8"))
    current = {m["model_id"] for m in artifacts.list_models(store)}
    notice["models"] = [m for m in notice["models"] if m in current]
    latest = artifacts.latest_id(store)
    if latest and latest not in notice["models"]:
        manifest = next((m for m in artifacts.list_models(store) if m.get("model_id") == latest), {})
        if fingerprint is None or manifest.get("data_fingerprint") == fingerprint:
            return None  # the model in use was trained since, on today's data: the notice is done
        notice["models"] = [*notice["models"], latest]
    return notice if notice["models"] else None
