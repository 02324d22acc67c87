#!/usr/bin/env python3
"""Calibration of the whole report (issue 11): on data with no effect, does any page claim one?

Not a timed benchmark: a calibration figure. For each seed the kit's own generator makes one
small organisation (two teams of five reps, July–October, the report month 2026-10) with **no**
hour, weekday or volume effect (``hour_effect=False, tradeoff=0, hour_confounding=0``). Every
analysis that can claim such an effect then runs on that one data set the way the monthly report
runs it, and what a reader would see claimed is read from the verdicts the pages are written from:

* 03 (correlation, organisation): :func:`correlation.claims` — headline card, findings sentences,
  target advice, the next-week (lag) sentences;
* 04 (time of day, organisation and each team, three metrics, per-rep windows):
  :func:`timing.claims` — the headline tile, effects, windows including per rep;
* 02 (phase, each team): :func:`phase.pattern_claims` — calling hours named as a success pattern.

A data set is *quiet* when no page claims anything. Bar: at least 95 % of null data sets quiet.
On planted data (the default generator: the sample's three teams with their planted hour pattern
and within-rep trade-off) every planted effect must still be found: the planted hours in every
04/02 run (see ``bench_null_timing.recovered``) and the calls × connect-rate trade-off in 03.

    python benchmarks/bench_null_calibration.py [--null 100] [--planted 5] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench_null_correlation as bcor  # noqa: E402
import bench_null_timing as btim  # noqa: E402

from iskpi_analysis import correlation, dataset, stats  # noqa: E402

MONTH = btim.MONTH


def correlation_claims(tables: dict, *, month: str = MONTH, months: int = 3):
    """03 on the organisation, as the notebook runs it: (results, claims)."""
    with tempfile.TemporaryDirectory() as tmp:
        for t in bcor.TABLES:
            tables[t].to_parquet(Path(tmp) / f"{t}.parquet", index=False)
        data = dataset.load_data(tmp, today="2026-11-30")
        res, _, cl = bcor._analyse(
            data,
            months=months,
            min_trials=20,
            alpha=0.05,
            claim_alpha=correlation.CLAIM_ALPHA,
            grain="day",
            month=month,
        )
    return res, cl


def _rate(k: int, n: int) -> str:
    lo, hi = stats.wilson_ci(k, n)
    return f"{k}/{n} = {k / n:.1%} (95% CI {lo:.1%}–{hi:.1%})"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--null", type=int, default=100, help="null data sets")
    ap.add_argument("--planted", type=int, default=5, help="planted data sets (default generator)")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    quiet, by_page = 0, {"03": 0, "04": 0, "02": 0}
    for s in range(a.seed, a.seed + a.null):
        tables = btim.null_tables(s)
        hour = btim.report_claims(tables)["claims"]
        _, vol = correlation_claims(tables)
        pages = {
            "03": len(vol) > 0,
            "04": bool(hour["run"].str.startswith("04").any()),
            "02": bool(hour["run"].str.startswith("02").any()),
        }
        for k, v in pages.items():
            by_page[k] += int(v)
        if any(pages.values()):
            what = [f"{r['run']}:{r['where']}" for r in hour.drop_duplicates(["run", "where"]).to_dict("records")]
            what += [f"03:{p}:{x}×{y}" for p, x, y in zip(vol["part"], vol["x"], vol["y"])]
            print(f"  null seed {s}: {'; '.join(what)}", flush=True)
        else:
            quiet += 1
    print(f"null data sets where no page claims an effect: {_rate(quiet, a.null)}  [bar ≥ 95 %]")
    print("  data sets with a claim, by page: " + ", ".join(f"{k} {v}" for k, v in by_page.items()))
    hours = trade = 0
    for s in range(a.seed, a.seed + a.planted):
        tables = btim.planted_tables(s)
        hours += int(btim.recovered(btim.report_claims(tables)))
        _, vol = correlation_claims(tables)
        trade += int(((vol["x"] == "calls") & (vol["y"] == "connect_rate") & (vol["verdict"] == "falls")).any())
    if a.planted:
        print(
            f"planted data: every planted hour effect found in every 04/02 run: {_rate(hours, a.planted)}; "
            f"planted trade-off (calls × connect rate, falling) claimed by 03: {_rate(trade, a.planted)}"
        )
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
