#!/usr/bin/env python3
"""Calibration (issue 11): how often do the time-of-day (04) and phase (02) pages claim an hour or
weekday effect on data that has none, and do they still find the planted ones?

Null data: ``sample.generate(seed, teams=SMALL_TEAMS, hour_effect=False, tradeoff=0,
hour_confounding=0)`` — no hour, no weekday, no volume effect. Every report run is repeated the
way ``iskpi report`` runs it (the organisation and each team): 04 analyses the connect rate
(with per-rep windows), the valid-conversation rate and appointments per call; 02 diagnoses each
team (its hour claims: :func:`phase.success_patterns`, as :func:`phase.diagnose` calls it). The
claims are :func:`timing.claims` and :func:`phase.pattern_claims` (headline tile, effects and
windows verdicts including per rep, 02's success-pattern hours). A data set counts as *claimed*
when any run claims anything. Bar: ≤ 2.5 % (the report's 5 % budget is shared with 03).

Planted data: the default generator (``sample.generate(seed)``: the sample's three teams) and its
hour pattern (good hours 10, 11, 16, 17; dip 12–13). A data
set counts as *recovered* when every run (organisation and each team) recommends 10, 11, 16, 17
and avoids 12, 13 for the connect rate, and 02 names 10, 11, 16, 17 for every team.

    python benchmarks/bench_null_timing.py [--null 100] [--planted 10] [--seed 0]

Prints the two rates with their Wilson 95 % intervals.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iskpi_analysis import dataset, phase, sample, stats, timing  # noqa: E402

MONTH = "2026-10"
#: two small teams (5 reps each, 4 months of data): fast, and as many report runs as a real one
SMALL_TEAMS = [
    sample.TeamSpec("ta", "A", "2026-01-05", n_sdr=3, n_bdr=2, data_start="2026-07-01"),
    sample.TeamSpec("tb", "B", "2026-01-05", n_sdr=3, n_bdr=2, data_start="2026-07-01"),
]
PLANTED_GOOD = set(sample.GOOD_HOURS)
PLANTED_DIP = {12, 13}


def report_claims(tables: dict, *, month: str = MONTH, months: int = 3) -> dict:
    """Run 04 (organisation and each team, three metrics) and 02 (each team) the way the report
    does and return {"claims": DataFrame of every claim with a ``run`` column, "windows": {run:
    connect-rate windows}, "patterns": {team: recommended hours of 02}}."""
    data = dataset.Dataset.from_frames(tables)
    start, end = dataset.month_bounds(month, months)
    out, windows = [], {}
    for team in ["all", *data.team_ids()]:
        d = data.filter(team=team).filter(start=start, end=end)
        counts = timing.call_counts(d)
        for metric in timing.METRICS:
            # as notebook 04: per-rep windows for the main metric only
            r = timing.analyze(d, metric=metric, counts=counts, per_rep=metric == "connect_rate")
            c = timing.claims(r)
            c.insert(0, "run", f"04/{team}")
            out.append(c)
            if metric == "connect_rate":
                windows[team] = r.windows
    patterns = {}
    month_end = pd.Period(month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    for team in data.team_ids():
        # 02's hour claims come from phase.success_patterns, called by phase.diagnose exactly so
        # (the team's data up to the report month's end, notebook defaults); the rest of the
        # diagnosis makes no hour claim, so it is not rerun here
        sp = phase.success_patterns(data.filter(team=team).filter(end=month_end), month=month, months=months)
        c = phase.pattern_claims(sp, team=team)
        c.insert(0, "run", f"02/{team}")
        out.append(c)
        patterns[team] = sp["recommended_hours"]
    return {"claims": pd.concat(out, ignore_index=True), "windows": windows, "patterns": patterns}


def recovered(res: dict) -> bool:
    """Every planted hour effect found in every run (04 organisation and teams, 02 teams)."""
    for w in res["windows"].values():
        a = w[w["scope"] == "all"]
        if not (
            PLANTED_GOOD <= set(a.loc[a["verdict"] == "recommend", "hour"])
            and PLANTED_DIP <= set(a.loc[a["verdict"] == "avoid", "hour"])
        ):
            return False
    return all(PLANTED_GOOD <= set(h) for h in res["patterns"].values())


def null_tables(seed: int) -> dict:
    return sample.generate(seed, teams=SMALL_TEAMS, hour_effect=False, tradeoff=0, hour_confounding=0)


def planted_tables(seed: int) -> dict:
    """The default generator (the three sample teams, planted hour pattern)."""
    return sample.generate(seed)


def _rate(k: int, n: int) -> str:
    if not n:
        return "not run"
    lo, hi = stats.wilson_ci(k, n)
    return f"{k}/{n} = {k / n:.1%} (95% CI {lo:.1%}–{hi:.1%})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--null", type=int, default=100, help="null data sets")
    ap.add_argument("--planted", type=int, default=10, help="planted data sets (default generator)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    claimed, where = 0, []
    for s in range(a.seed, a.seed + a.null):
        c = report_claims(null_tables(s))["claims"]
        if len(c):
            claimed += 1
            where.append((s, c.drop_duplicates(["run", "where"])[["run", "where", "metric"]].to_dict("records")))
    got = sum(recovered(report_claims(planted_tables(s))) for s in range(a.seed, a.seed + a.planted))
    print(f"null data sets with any hour/weekday claim (04 + 02): {_rate(claimed, a.null)}  [bar ≤ 2.5 %]")
    for s, w in where:
        print(f"  seed {s}: {w}")
    print(f"planted data sets with every planted hour effect recovered: {_rate(got, a.planted)}")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
