"""``shoplens simulate``: an A/B test of recommendation policies in the shop's simulated world.

    shoplens simulate --shop demo --arm A=popularity --arm B=gru:diversity=0.3 --days 30
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from core.store.store import Store


def add_parser(sub: argparse._SubParsersAction) -> None:
    from core.abtest import simulate
    p = sub.add_parser("simulate", help="simulate an A/B test of recommendation policies")
    p.add_argument("--shop", required=True)
    p.add_argument("--arm", action="append", required=True, metavar="NAME=SPEC",
                   help="NAME=MODEL[:key=value,...], e.g. A=popularity, B=gru:diversity=0.3,share=0.5, "
                        "C=none; the first arm is the control; 2 to 4 arms")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--metric", choices=list(simulate.METRICS), default="revenue_per_visitor",
                   help="the metric the verdict is about")
    p.add_argument("--repeats", type=int, default=20, help="re-runs for the spread of the lift")
    p.add_argument("--population", type=int, help="simulate N customers drawn like the shop's")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--rec-share", type=float, default=0.10,
                   help="world assumption: share of orders the recommendation slots bring today")
    p.add_argument("--buy-after-click", type=float, default=0.10, help="world assumption")
    p.add_argument("--conversion", type=float,
                   help="world assumption: orders per visit (measured from sessions when omitted)")
    p.add_argument("--save", action="store_true", help="save the run (the A/B page lists it)")
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_simulate)


def cmd_simulate(args: argparse.Namespace) -> int:
    from core.abtest import abtest, policies
    from core.abtest.world import WorldConfig

    arms = [policies.parse_arm(spec) for spec in args.arm]
    plan = abtest.Plan(arms, days=args.days, repeats=args.repeats, seed=args.seed, population=args.population,
                       metric=args.metric, alpha=args.alpha,
                       world=WorldConfig(rec_share=args.rec_share, buy_after_click=args.buy_after_click,
                                         conversion=args.conversion))

    def progress(fraction: float, message: str) -> None:
        if not (args.quiet or args.json):
            sys.stderr.write(f"\r[{fraction:6.1%}] {message[:70]:<70}")
            sys.stderr.flush()

    with Store.open(args.shop, read_only=True) as store:
        report = abtest.simulate_shop(store, plan, progress)
        if not (args.quiet or args.json):
            sys.stderr.write("\n")
        if args.save:
            report["run_id"] = abtest.save(store, report)
    if args.json:
        print(json.dumps(_finite(report)))
        return 0
    print(text(report))
    return 0


def _finite(value: Any) -> Any:
    """NaN and infinities as null: strict JSON for other tools."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


SHORT = {"revenue_per_visitor": "rev./visitor", "conversion": "conversion", "ctr": "click-through",
         "aov": "order value", "items_per_order": "items/order"}


def _pct(v: float | None, sign: bool = True) -> str:
    if v is None or not math.isfinite(v):
        return "n/a"
    return f"{v * 100:+.1f}%" if sign else f"{v * 100:.1f}%"


def text(report: dict[str, Any]) -> str:
    """The report as plain text for the terminal."""
    from core.abtest.simulate import METRICS

    w = report["world"]
    conv = f"{w['conversion'] * 100:.1f}% ({'measured' if w['conversion_measured'] else 'assumed'})"
    lines = [f"Simulated A/B test: {report['days']} days, {w['customers']:,} customers, "
             f"{w['visits_per_day']:,.0f} visits a day from {w['start']}; conversion per visit {conv}.",
             f"World: recommendations bring {w['rec_share']:.0%} of orders with best-sellers in the slots; "
             f"{w['buy_after_click']:.0%} of clicks are bought. It is none of the arms' models.", ""]
    head = f"{'arm':<10} {'visitors':>9} " + " ".join(f"{SHORT[m]:>14}" for m in METRICS)
    lines += [head, "-" * len(head)]
    for arm in report["arms"]:
        vals = " ".join(f"{_fmt(m, arm['values'][m]):>14}" for m in METRICS)
        lines.append(f"{arm['name'][:10]:<10} {arm['visitors']:>9,} {vals}")
        lines.append(f"{'':<10} {'policy:':>9} {arm['policy']}; diversity {arm['diversity']:.2f}; "
                     f"objectors served non-personalised {arm['objectors_non_personalised']:.0%}")
    lines.append("")
    alpha = report["alpha"]
    for lift in report["lifts"]:
        lines.append(f"{lift['arm']:<10} {METRICS[lift['metric']]:<20} lift {_pct(lift['rel_lift'])} "
                     f"[{_pct(lift['rel_low'])}, {_pct(lift['rel_high'])}]  p={lift['p_adjusted']:.3g}  "
                     f"always-valid [{_pct(lift['seq_low'])}, {_pct(lift['seq_high'])}]  "
                     f"true in the world {_pct(lift['true_rel_lift'])}")
    lines += ["", f"Intervals: {100 * (1 - alpha):g}% (Bonferroni-wide with more than two arms); "
              "p-values Holm-adjusted.", "", "Verdict (" + METRICS[report["metric"]] + "):"]
    lines += [f"  {v}" for v in report["verdicts"]]
    lines.append(f"  {report['srm']['message']}")
    if report["repeats_n"]:
        for name, lifts in report["repeats"].items():
            finite = sorted(x for x in lifts if x is not None and math.isfinite(x))
            if finite:
                lo, hi = finite[int(0.05 * (len(finite) - 1))], finite[int(0.95 * (len(finite) - 1))]
                lines.append(f"  Across {len(lifts)} repeats, {name}'s lift ranged {_pct(lo)} to {_pct(hi)} "
                             f"(90% of repeats); significant wins in {report['repeat_wins'][name]:.0%}.")
    for lift in report["lifts"]:
        if lift["metric"] == report["metric"] and lift.get("cuped_low") is not None:
            lines.append(f"  With CUPED (the {report['days']} days before as covariate) {lift['arm']}'s "
                         f"interval is {_pct(lift['cuped_low'])} to {_pct(lift['cuped_high'])}.")
    lines += [f"  {s}" for s in report["power"]]
    if report.get("run_id"):
        lines.append(f"Saved as run {report['run_id']}.")
    return "\n".join(lines)


def _fmt(metric: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if metric in ("conversion", "ctr"):
        return f"{value * 100:.2f}%"
    return f"{value:,.2f}"
