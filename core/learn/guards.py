"""What a shop too small for a sequence model is told, and what it gets instead.

``models.metrics`` (``assess``) counts a shop's split and holds the floors (and why they are where they
are); this module turns a shortfall into plain words for the Model page and ``shoplens train``,
and names the simple models of the ladder that serve such a shop: item-kNN, the customer's own
repeats and best-sellers (``models.baselines``), which need no training examples.
"""

from __future__ import annotations

from models.metrics import MIN_SCORED_BASKETS, MIN_SCORED_PRODUCTS, Readiness

SIMPLE = ("itemknn", "repeat", "popularity")  # the ladder's rungs below the sequence models
SEQUENCE_MODELS = "sequence models (GRU, LSTM, transformer)"


class NotReady(ValueError):
    """Training refused: the shop's history is too small for a sequence model's scores to mean
    anything. ``readiness`` holds the counts; ``str(err)`` says it in plain words."""

    def __init__(self, readiness: Readiness, no_recommendations: str | None = None) -> None:
        self.readiness = readiness
        self.no_recommendations = no_recommendations
        super().__init__(message(readiness, no_recommendations))


_ONE = {"products": "product", "customers with a second basket": "customer with a second basket",
        "validation baskets": "validation basket", "test baskets": "test basket"}


def _count(n: int, what: str) -> str:
    return f"{n:,} {_ONE.get(what, what) if n == 1 else what}"


def _listed(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def shortfall(readiness: Readiness) -> str:
    """'This shop has 1 product and 0 customers with a second basket; sequence models ... need
    at least 50 products and 100 customers with a second basket.' (empty when none)"""
    short = readiness.shortfalls()
    if not short:
        return ""
    has = _listed([_count(h, what) for what, h, _ in short])
    needs = _listed([f"{n:,} {what}" for what, _, n in short])
    return f"This shop has {has}; {SEQUENCE_MODELS} need at least {needs}."


def instead(readiness: Readiness, no_recommendations: str | None = None) -> str:
    """What the shop uses instead of a sequence model, and whether scores are shown."""
    if no_recommendations:
        return no_recommendations
    text = ("Recommendations use the simple models instead: item-kNN (products bought together), "
            "the customer's own repeats and best-sellers.")
    if readiness.scorable:
        return text + " They are compared on this shop's last baskets."
    return (text + f" No score is shown: with fewer than {MIN_SCORED_PRODUCTS} products or "
            f"{MIN_SCORED_BASKETS} baskets to check against, any score (up to a meaningless 1.0) "
            "would say nothing about the shop.")


def message(readiness: Readiness, no_recommendations: str | None = None) -> str:
    """The whole message: the shortfall, then what is used instead."""
    return f"{shortfall(readiness)} {instead(readiness, no_recommendations)}".strip()
