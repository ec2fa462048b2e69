"""A/B tests of recommendation policies, simulated before anything changes on the live shop.

    abtest.py     the whole test as a saved, comparable report: plan, lists, run, repeats, verdict
    policies.py   arms: a model with the merchant's controls (``B=gru:diversity=0.3``), resolved
    world.py      the simulated shop: visits, taste, position bias, calibrated to this shop
    simulate.py   the day-by-day run, per-visitor metrics, the exact expected values
    stats.py      lifts with intervals, always-valid bands, SRM, CUPED, Holm, verdicts in words
    planning.py   sample sizes, detectable effects (t-test power) and durations
    wording.py    a saved report in words: the run line's traffic, CUPED narrower or wider, values
    ope.py        off-policy estimators (IPS, SNIPS, DM, DR) and overlap diagnostics
    crossfit.py   their reward model, its cross-fit, DM's bootstrap interval
    offpolicy.py  logged featured-slot traffic from the world, the arms judged on it
    charts.py     the A/B test page's figures

Public face: ``abtest.Plan``, ``abtest.simulate_shop``, ``abtest.save/list_runs/load_run``,
``policies.parse_arm``.
"""
