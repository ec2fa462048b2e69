"""The fairness audit in words: at most five short sentences for a shop owner, and the details.

``plain`` says what matters in everyday words (how much of the catalog the lists show, how much
a few products take, whether a group of customers is served clearly worse, what more diversity
would do); a group is called worse only when its interval leaves out parity. ``details`` says
every measure with its interval, for the page's "Details".
"""

from __future__ import annotations

import math

from core.fairness.fairness import LEVEL, Disparity
from core.recommend.beyond import pct

MAX_PLAIN = 5


def _ok(v: object) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def _vs_baseline(key: str, baseline: dict) -> str:
    return f" (best-sellers alone: {pct(baseline[key])})" if _ok(baseline.get(key)) else ""


def _disparity_sentence(d: Disparity) -> str | None:
    if not _ok(d.ratio):
        return None
    metric = d.metric.lower()
    if "ndcg" in metric or "accura" in metric or "match" in metric:
        verb = f"get lists that match their purchases {d.ratio:.2f}x as well as"
    elif "price" in metric:
        verb = f"are shown products at {d.ratio:.2f}x the price level of"
    else:
        verb = f"score {d.ratio:.2f}x as high on {d.metric} as"
    who = f"Of {d.n_groups} {d.attribute} groups, customers" if d.n_groups > 2 else "Customers"
    text = f"{who} in {d.attribute} '{d.worst}' {verb} {d.attribute} '{d.best}'"
    if not (_ok(d.low) and _ok(d.high)):
        return f"{text}; no interval could be computed, so treat this as a rough hint only."
    interval = f"{LEVEL:.0%} interval {d.low:.2f}-{d.high:.2f}"
    if d.high < 1 or d.low > 1:
        return f"{text} ({interval}): worth a look."
    return f"{text}, but the {interval} includes parity (1.00), so the gap could be chance."


def _what_if_sentence(name: str, result: dict, current: dict) -> str | None:
    parts: list[str] = []
    if _ok(result.get("coverage")) and _ok(current.get("coverage")):
        pts = round((result["coverage"] - current["coverage"]) * 100)
        unit = "point" if abs(pts) == 1 else "points"
        parts.append(f"shows {abs(pts)} {unit} {'more' if pts > 0 else 'less'} of the catalog" if pts
                     else "shows about the same share of the catalog")
    if _ok(result.get("ndcg")) and _ok(current.get("ndcg")) and current["ndcg"] > 0:
        rel = result["ndcg"] / current["ndcg"] - 1
        if abs(rel) < 0.005:
            parts.append("leaves list accuracy about the same")
        elif rel < 0:
            parts.append(f"costs {pct(-rel)} of list accuracy")
        else:
            parts.append(f"improves list accuracy by {pct(rel)}")
    if not parts:
        return None
    head, _, value = name.strip().rpartition(" ")
    setting = f"Setting {head} to {value}" if head and value[:1] in "0123456789.-" else f"'{name}'"
    return f"{setting} {' and '.join(parts)}."


def details(exposure_policy: dict, exposure_baseline: dict, disparities: list[Disparity],
            what_if: dict[str, dict] | None = None) -> list[str]:
    """Every measure in a careful sentence, intervals included (the page's "Details");
    unknown (NaN or missing) measures are left out.

    A gap between groups is called worth a look only when its interval excludes 1. ``what_if``
    maps a setting ("diversity 0.3") to the exposure dict (plus "ndcg": mean NDCG) it gives; it is
    compared with ``exposure_policy`` (which then should carry "ndcg" too).
    """
    pol, base = exposure_policy, exposure_baseline
    out: list[str] = []
    if _ok(pol.get("coverage")):
        out.append(f"The recommendations show {pct(pol['coverage'])} of the catalog"
                   f"{_vs_baseline('coverage', base)}.")
    if _ok(pol.get("top10_share")):
        out.append(f"The 10 most-shown products fill {pct(pol['top10_share'])} of all recommendation "
                   f"slots{_vs_baseline('top10_share', base)}.")
    if _ok(pol.get("long_tail_share")):
        text = f"{pct(pol['long_tail_share'])} of slots go to products outside the top 20% best-sellers"
        out.append(text[0].upper() + text[1:] + _vs_baseline("long_tail_share", base) + ".")
    if _ok(pol.get("popularity_bias")):
        out.append(f"Recommended products are {pol['popularity_bias']:.1f}x as popular as what customers "
                   "actually buy.")
    out.extend(s for s in map(_disparity_sentence, disparities) if s)
    for name, result in (what_if or {}).items():
        sentence = _what_if_sentence(name, result, pol)
        if sentence:
            out.append(sentence)
    return out


def _real_gap(d: Disparity) -> bool:
    return _ok(d.ratio) and _ok(d.high) and d.high < 1


def _gap_sentence(d: Disparity) -> str:
    less = f"{1 - d.ratio:.0%}"
    if "price" in d.metric.lower():
        return (f"Customers in {d.attribute} '{d.worst}' are shown products {less} cheaper "
                f"than those in '{d.best}'.")
    return (f"Customers in {d.attribute} '{d.worst}' get lists that fit {less} less well than "
            f"those in '{d.best}'.")


def plain(exposure_policy: dict, exposure_baseline: dict, disparities: list[Disparity],
          what_if: dict[str, dict] | None = None) -> list[str]:
    """At most ``MAX_PLAIN`` short sentences in everyday words (same inputs as ``details``)."""
    pol, base = exposure_policy, exposure_baseline
    out: list[str] = []
    if _ok(pol.get("coverage")):
        alone = (f"; best-sellers alone would show {pct(base['coverage'])}"
                 if _ok(base.get("coverage")) else "")
        out.append(f"The lists show {pct(pol['coverage'])} of your catalog{alone}.")
    if _ok(pol.get("top10_share")):
        out.append(f"Ten products take {pct(pol['top10_share'])} of all the places on the lists.")
    known = [d for d in disparities if _ok(d.ratio)]
    gaps = sorted((d for d in known if _real_gap(d)), key=lambda d: d.ratio)
    fit = [d for d in gaps if "price" not in d.metric.lower()]
    price = [d for d in gaps if "price" in d.metric.lower()]
    if known and not gaps:
        out.append("No group of customers gets clearly worse lists than the others.")
    out.extend(_gap_sentence(d) for d in (fit[:1] + price[:1]))
    for name, result in (what_if or {}).items():
        sentence = _what_if_sentence(name, result, pol)
        if sentence:
            out.append(sentence)
            break
    return out[:MAX_PLAIN]
