"""What a segment (or any selection of customers) is like, in figures and in plain words.

``load`` gathers every customer's behaviour once (``core.shop.features``, RFM groups, predicted value
and churn risk); ``describe`` profiles one group against the whole shop: size and revenue
shares, medians, and the traits that set it apart, each as a *lift* over the shop average (a
segment buying gifts 3x as often as the average customer says more than raw counts, which best
sellers dominate). ``head_for`` turns the most distinctive habits and categories into the head
of a name and ``core.segments.naming`` adds where the group stands on orders, spend, recency,
basket, tenure and churn risk: "Weekend evening mobile gift buyers, high value";
``segment_profiles`` makes the names of one run distinct.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.segments import naming
from core.shop import features
from core.shop.money import format_money
from core.store.currency import currency as shop_currency
from core.store.store import Store

log = logging.getLogger(__name__)
MIN_LIFT = 1.3  # a trait is distinctive from 30% above the shop average
Z_BEYOND = 3.0  # ... and when chance would give so large a difference less than once in ~400
CONTEXTS = ("daypart", "weekday", "device", "channel", "region")


@dataclass
class CustomerData:
    """Every customer's behaviour, loaded once per shop and data version."""

    numeric: pd.DataFrame  # features.numeric, plus value_12m / churn_risk / rfm_group when known
    context: dict[str, pd.DataFrame]  # kind -> shares per customer
    categories: pd.DataFrame  # long: customer_key, category, items, spend
    products: pd.DataFrame  # long: customer_key, product_id, title, category
    notes: list[str] = field(default_factory=list)  # what could not be computed, and why
    currency: str | None = None  # the shop's currency: descriptions state amounts in it


def load(store: Store, with_value: bool = True) -> CustomerData:
    """Read everything the profiles need (a few grouped queries)."""
    num = features.numeric(store)
    money = shop_currency(store)
    notes: list[str] = []
    try:
        from core.shop import rfm
        groups = rfm.rfm_table(store)
        num = num.join(groups[["r_score", "f_score", "m_score", "rfm_group"]], how="left")
        num.loc[num["frequency"] == 0, "rfm_group"] = rfm.PROSPECTS
    except (ImportError, ValueError) as err:
        notes.append(f"RFM groups unavailable: {err}")
    if with_value:
        try:
            from core.shop import value
            model = value.fit_value_model(store)
            num = num.join(value.predict_value(store, model)[["value_12m", "churn_risk"]], how="left")
            num.attrs["value_metrics"] = dict(model.metrics)
            num.attrs["value_report"] = model.describe(money)
        except (ImportError, ValueError) as err:
            notes.append(f"Predicted value and churn risk unavailable: {err}")
        else:
            try:
                from core.shop import backtest
                num.attrs["value_backtest"] = backtest.forward(store).describe()
            except ValueError as err:
                num.attrs["value_backtest"] = [f"No forward check of the value model: {err}"]
    context = {k: features.context_shares(store, k) for k in CONTEXTS}
    return CustomerData(num, context, features.category_spend(store), features.product_buyers(store), notes,
                        money)


@dataclass
class GroupProfile:
    """One group's figures and distinctive traits."""

    customers: int
    share_customers: float
    revenue: float
    share_revenue: float
    medians: dict[str, float]
    traits: pd.DataFrame  # kind, value, share (in group), shop (share in shop), lift
    categories: pd.DataFrame  # category, share, shop, lift
    products: pd.DataFrame  # product_id, title, category, buyers, share, lift
    rfm_groups: pd.Series  # share of the group per classic RFM group
    name: str = ""
    description: str = ""
    head: str = ""  # the name's habits and categories ("Weekend mobile gifts buyers")
    levels: list[naming.Level] = field(default_factory=list)  # where it stands, per measure


def _lift_table(group: pd.Series, shop: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame({"share": group, "shop": shop}).fillna(0.0)
    out["lift"] = np.where(out["shop"] > 0, out["share"] / out["shop"].where(out["shop"] > 0, 1), 0.0)
    return out.sort_values("lift", ascending=False)


def describe(data: CustomerData, members: pd.Index | list[str], min_buyers: int = 3) -> GroupProfile:
    """Profile of the customers in ``members`` against every customer of the shop."""
    num = data.numeric
    idx = num.index.intersection(pd.Index(members))
    grp = num.loc[idx]
    total_rev = float(num["monetary"].clip(lower=0).sum())
    revenue = float(grp["monetary"].clip(lower=0).sum())
    med_cols = [c for c in ("recency_days", "frequency", "monetary", "basket_items", "basket_value",
                            "tenure_days", "value_12m") if c in grp]
    medians = {c: float(grp[c].median()) if grp[c].notna().any() else float("nan") for c in med_cols}
    if "churn_risk" in grp:
        medians["churn_risk"] = float(grp["churn_risk"].mean()) if grp["churn_risk"].notna().any() \
            else float("nan")
    rows = []
    for kind, shares in data.context.items():
        if shares.empty:
            continue
        t = _lift_table(shares.reindex(idx).dropna(how="all").mean(), shares.mean())
        rows.append(t.assign(kind=kind).rename_axis("value").reset_index())
    traits = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["value", "share", "shop", "lift", "kind"])
    cats = data.categories
    in_grp = cats[cats["customer_key"].isin(idx)]
    cat = _lift_table(in_grp.groupby("category")["items"].sum() / max(in_grp["items"].sum(), 1e-9),
                      cats.groupby("category")["items"].sum() / max(cats["items"].sum(), 1e-9))
    prods = data.products
    n_all = max(prods["customer_key"].nunique(), 1)
    buyers_grp = prods[prods["customer_key"].isin(idx)].groupby("product_id")["customer_key"].nunique()
    buyers_all = prods.groupby("product_id")["customer_key"].nunique()
    n_grp = max(prods.loc[prods["customer_key"].isin(idx), "customer_key"].nunique(), 1)
    top = pd.DataFrame({"buyers": buyers_grp}).join(buyers_all.rename("all"))
    top = top[top["buyers"] >= max(min_buyers, int(0.05 * n_grp))]
    top["share"] = top["buyers"] / n_grp
    top["lift"] = top["share"] / (top["all"] / n_all)
    titles = prods.drop_duplicates("product_id").set_index("product_id")[["title", "category"]]
    # lift alone favours products only this group buys a few of; weigh by how many here buy it
    top["score"] = top["share"] * np.log(top["lift"].clip(lower=1e-9))
    top = top[top["lift"] >= MIN_LIFT].join(titles).sort_values("score", ascending=False).head(10)
    rfm_groups = (grp["rfm_group"].value_counts(normalize=True) if "rfm_group" in grp
                  else pd.Series(dtype=float))
    prof = GroupProfile(len(idx), len(idx) / max(len(num), 1), revenue,
                        revenue / total_rev if total_rev > 0 else 0.0, medians, traits,
                        cat.rename_axis("category").reset_index(),
                        top.rename_axis("product_id").reset_index(), rfm_groups)
    buyers = num[num["frequency"] > 0] if "frequency" in num else num
    prof.head = head_for(prof)
    prof.levels = naming.levels(grp, buyers)
    prof.name = naming.render(prof.head, naming.first_choice(prof.head, prof.levels))
    prof.description = describe_in_words(prof, data.currency)
    return prof


def beyond_chance(share: float, shop: float, n: int) -> bool:
    """Whether a group of ``n`` customers whose mean share of a habit is ``share`` differs from
    the shop's ``shop`` by more than chance would make it (Z_BEYOND standard errors; a customer's
    own share varies at most as a coin of probability ``shop``). Without it, a segment of thirty
    customers built on spend alone was called "Weekday shoppers" one run in a few, by luck."""
    if n <= 0 or not 0.0 < shop < 1.0:
        return False
    return abs(share - shop) >= Z_BEYOND * math.sqrt(shop * (1.0 - shop) / n)


def _best(traits: pd.DataFrame, kind: str, min_share: float, n: int) -> pd.Series | None:
    t = traits[(traits["kind"] == kind) & (traits["share"] >= min_share) & (traits["lift"] >= MIN_LIFT)]
    t = t[[beyond_chance(float(r.share), float(r.shop), n) for r in t.itertuples()]]
    return None if t.empty else t.sort_values("lift", ascending=False).iloc[0]


def _weekend(traits: pd.DataFrame) -> tuple[float, float] | None:
    """(group's, shop's) share of Saturday and Sunday orders; None without weekdays."""
    days = traits[traits["kind"] == "weekday"].set_index("value")
    if days.empty:
        return None
    both = days.reindex(["Saturday", "Sunday"]).fillna(0.0)
    return float(both["share"].sum()), float(both["shop"].sum())


def head_for(p: GroupProfile) -> str:
    """The name's head from the most distinctive habits and purchases: when, on what device,
    what ("Weekend evening mobile gifts buyers"); "Shoppers" when nothing stands out.
    A habit counts only when it is well above (or, for weekdays, below) the shop's own and
    beyond what chance gives a group of this size."""
    words: list[str] = []
    n = p.customers
    weekend = _weekend(p.traits)
    day = _best(p.traits, "weekday", 0.3, n)
    if day is not None and day["share"] >= 0.45 and day["lift"] >= 2.0:
        words.append(str(day["value"]))
    elif weekend is not None and weekend[0] >= 0.55 and weekend[0] >= MIN_LIFT * weekend[1] \
            and beyond_chance(*weekend, n):
        words.append("Weekend")
    elif weekend is not None and weekend[0] <= 0.15 and weekend[0] <= 0.5 * weekend[1] \
            and beyond_chance(*weekend, n):
        words.append("Weekday")
    part = _best(p.traits, "daypart", 0.3, n)
    if part is not None:
        words.append(str(part["value"]).replace("late evening", "late-night"))
    device = _best(p.traits, "device", 0.55, n)
    if device is not None:
        words.append(str(device["value"]).lower())
    cats = p.categories[(p.categories["lift"] >= MIN_LIFT) & (p.categories["share"] >= 0.15)].head(2)
    what = " & ".join(str(c).lower() for c in cats["category"]) if len(cats) else ""
    if not what:  # no category stands out (or the shop has none): say where they are from
        place = _best(p.traits, "region", 0.5, n)
        what = str(place["value"]) if place is not None else ""
    if not words and not what:
        return naming.PLAIN_HEAD
    name = " ".join([*words, f"{what} buyers" if what else "shoppers"])
    return name[0].upper() + name[1:]


_AT = {"night": "at night", "early morning": "in the early morning", "morning": "in the morning",
       "lunchtime": "at lunchtime", "afternoon": "in the afternoon", "evening": "in the evening",
       "late evening": "late in the evening"}


def describe_in_words(p: GroupProfile, currency: str | None = None) -> str:
    """Two or three plain sentences a shop owner can act on (amounts in ``currency``)."""
    parts = [f"{p.customers:,} customers ({p.share_customers:.0%} of profiled customers) bringing "
             f"{p.share_revenue:.0%} of their revenue."]
    habits = []
    for kind, label in (("weekday", "on {}"), ("daypart", "{}"), ("device", "on {}"),
                        ("channel", "via {}"), ("region", "in {}")):
        best = _best(p.traits, kind, 0.25, p.customers)
        if best is not None:
            value = _AT.get(str(best["value"]), str(best["value"])) if kind == "daypart" else best["value"]
            habits.append(label.format(value)
                          + f" ({best['share']:.0%}, {best['lift']:.1f}x the shop)")
    if habits:
        parts.append("They shop mostly " + "; ".join(habits[:3]) + ".")
    cats = p.categories[p.categories["lift"] >= MIN_LIFT].head(2)
    if len(cats):
        parts.append("They buy " + " and ".join(
            f"{c.category} {c.lift:.1f}x as often as the average customer" for c in cats.itertuples()) + ".")
    m = p.medians
    if np.isfinite(m.get("basket_value", np.nan)):
        items = m.get("basket_items", 0)
        plural = "s" if items >= 1.5 else ""
        order = format_money(m["basket_value"], currency)
        parts.append(f"Median order {order} with {items:.0f} item{plural}; "
                     f"median {m.get('frequency', 0):.0f} orders, last one {m.get('recency_days', 0):.0f} "
                     "days ago.")
    if np.isfinite(m.get("value_12m", np.nan)):
        worth = format_money(m["value_12m"], currency)
        parts.append(f"Predicted 12-month value {worth} per customer (median); "
                     f"average churn risk {m.get('churn_risk', float('nan')):.0%}.")
    return " ".join(parts)


def segment_profiles(data: CustomerData, keys: np.ndarray, labels: np.ndarray) -> dict[int, GroupProfile]:
    """A profile per segment (outliers left out), no two names alike (``naming.distinct``)."""
    series = pd.Series(labels, index=pd.Index(keys))
    out = {int(k): describe(data, series.index[series.values == k])
           for k in sorted(set(labels.tolist()) - {-1})}
    names = naming.distinct({k: p.head for k, p in out.items()}, {k: p.levels for k, p in out.items()})
    for k, prof in out.items():
        prof.name = names[k]
    return out


def table(profiles: dict[int, GroupProfile]) -> pd.DataFrame:
    """One row per segment for the segment table."""
    rows = []
    for k, p in profiles.items():
        top = p.categories[p.categories["lift"] >= MIN_LIFT].head(2)["category"].tolist()
        rows.append({"segment": k, "name": p.name, "customers": p.customers,
                     "share of customers": p.share_customers, "share of revenue": p.share_revenue,
                     **{f"median {c.replace('_', ' ')}": v for c, v in p.medians.items()},
                     "distinctive categories": ", ".join(top),
                     "main RFM group": p.rfm_groups.index[0] if len(p.rfm_groups) else ""})
    return pd.DataFrame(rows)
