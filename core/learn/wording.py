"""How training is told to a person, the same on the Model page and on ``shoplens train``."""

from __future__ import annotations

import math


def duration(seconds: float | None) -> str:
    """307.5954 -> '5 min 8 s'; 4.23 -> '4.2 s'; 3725 -> '1 h 2 min'; None or NaN -> '-'."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(round(seconds / 60), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def epoch_line(p: dict) -> str:
    """One epoch's progress for the page: 'Epoch 3 of at most 20: loss 2.345, ...'."""
    return (f"Epoch {p['epoch']} of at most {p['epochs']}: loss {p['loss']:.3f}, validation "
            f"NDCG@10 {p['valid_ndcg10']:.3f}, {duration(p['seconds'])} so far, about "
            f"{duration(p['eta_seconds'])} left at most")


def epoch_log_line(p: dict) -> str:
    """One epoch's progress for the command line (stderr)."""
    return (f"epoch {p['epoch']}/{p['epochs']}  loss {p['loss']:.4f}  valid NDCG@10 "
            f"{p['valid_ndcg10']:.4f}  {duration(p['seconds'])} elapsed, about "
            f"{duration(p['eta_seconds'])} left at most")
