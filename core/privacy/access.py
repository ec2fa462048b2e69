"""Access and portability (GDPR Art. 15 and 20): everything the shop holds about one customer.

``export_customer`` gathers the customer's record (region, consent, ...), every event and
review, their segment, and the recommendations with reasons they would be shown now (an
objector's list is the non-personalised one, labelled so). ``to_json`` and ``to_zip`` write it
as one JSON document or as CSV files in a zip; cells that a spreadsheet would run as a formula
are neutralised. The export is logged in the audit log (without the customer's key).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.segments import cache
from core.store.store import Store

if TYPE_CHECKING:
    from core.recommend.recommend import Engine

EVENT_COLUMNS = ("ts", "event_type", "product_id", "quantity", "unit_price", "order_id", "session_id",
                 "device", "channel", "region", "country")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None)
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            out[col] = frame[col].dt.strftime("%Y-%m-%dT%H:%M:%S").where(frame[col].notna(), None)
    return out.to_dict("records")


def export_customer(store: Store, key: str, engine: Engine | None = None) -> dict[str, Any]:
    """Everything held about the customer with key ``key`` (ValueError when there is none)."""
    customer = store.df("SELECT * EXCLUDE (import_id) FROM customers WHERE customer_key = ?", [key])
    events = store.df(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE customer_key = ? ORDER BY ts",
                      [key])
    reviews = store.df("SELECT ts, product_id, rating, text FROM reviews WHERE customer_key = ? ORDER BY ts",
                       [key])
    if customer.empty and events.empty and reviews.empty:
        raise ValueError(f"The shop holds nothing about customer {key}.")
    out: dict[str, Any] = {
        "customer_key": key, "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "shop": store.shop, "customer": _records(customer)[0] if len(customer) else None,
        "consent_to_profiling": bool(customer["consent_profiling"].iloc[0]) if len(customer) else None,
        "events": _records(events), "reviews": _records(reviews),
        "counts": {"events": len(events), "reviews": len(reviews)},
        "segment": _segment(store, key), "recommendations": None,
    }
    if engine is not None:
        res = engine.recommend(key)
        out["recommendations"] = {"model": res.model, "mode": res.mode, "label": res.label,
                                  "context": res.context.words(), "picks": _records(res.frame())}
    from core.privacy.audit import audit

    audit(store, "export", 1, len(events) + len(reviews),
          {"events": len(events), "reviews": len(reviews)})
    return out


def _segment(store: Store, key: str) -> dict[str, Any] | None:
    """The customer's segment in the latest segment run (objectors are never in one)."""
    from core.segments import segments
    run = cache.previous_run(store)
    if run is None:
        return None
    where = [i for i, k in enumerate(run.keys) if k == key]
    if not where:
        return None
    labels = segments.view(run, assign_outliers=True)
    number = int(labels[where[0]])
    name = None
    try:
        from core.recommend.recommend import segment_names

        name = segment_names(store).get(number)
    except (ValueError, KeyError) as err:  # names need the customers' behaviour: best effort
        name = f"(no name: {err})"
    return {"number": number, "name": name, "model": run.meta.get("model_id")}


def to_json(export: dict[str, Any]) -> str:
    return json.dumps(export, indent=1, ensure_ascii=False, default=str)


def to_zip(export: dict[str, Any]) -> bytes:
    """The export as CSV files (customer, events, reviews, recommendations) plus the JSON, zipped."""
    from core.segments.audience import safe_cells

    tables = {"customer.csv": pd.DataFrame([export["customer"]] if export["customer"] else []),
              "events.csv": pd.DataFrame(export["events"], columns=list(EVENT_COLUMNS)),
              "reviews.csv": pd.DataFrame(export["reviews"], columns=["ts", "product_id", "rating", "text"])}
    recs = export.get("recommendations")
    if recs:
        tables["recommendations.csv"] = pd.DataFrame(recs["picks"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, frame in tables.items():
            zf.writestr(name, safe_cells(frame).to_csv(index=False))
        zf.writestr("export.json", to_json(export))
    return buffer.getvalue()


__all__ = ["export_customer", "to_json", "to_zip"]
