#!/usr/bin/env python3
"""Calibration of 03 (correlation): how often does the report claim an effect on null data?

Not a timed benchmark: a calibration figure (issue 11 §2). For each seed the kit's own generator
makes a small organisation (``--teams`` teams × ``--reps`` reps, ``--months`` months) and the
analysis runs as notebook 03 runs it (day grain for activity × efficiency, headline and advice;
week grain with the lag for carry-over; deals dated by their appointment call). What a reader
would see claimed is :func:`iskpi_analysis.correlation.claims`.

- null data (``hour_effect=False, tradeoff=0, hour_confounding=0``): the share of data sets with
  at least one claim — the false-claim rate. Target ≤ 2 % (03's share of the whole report's 5 %).
- planted data (the generator's default effects, same organisation): the share of data sets in
  which the planted within-rep trade-off (calls × connect rate, falling) is claimed, and in which
  it heads the index card.

    python benchmarks/bench_null_correlation.py [--seeds 100] [--planted 30] [--teams 2] [--reps 9] [--months 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iskpi_analysis import aggregate, correlation, dataset, kpis, sample  # noqa: E402

END = "2026-09-30"
TABLES = ("reps", "calls", "emails", "deals")  # what notebook 03 reads
MONTH = "2026-09"


def teams(n_teams: int, n_reps: int, months: int) -> list:
    start = sample.months_before(END, months - 1)
    n_bdr = n_reps // 3
    return [sample.TeamSpec(f"t{i}", f"Team {i}", start, n_sdr=n_reps - n_bdr, n_bdr=n_bdr) for i in range(n_teams)]


def analyse(
    frames: dict,
    *,
    months: int,
    min_trials: int = 20,
    alpha: float = 0.05,
    claim_alpha: float = correlation.CLAIM_ALPHA,
    grain: str = "day",
):
    """Notebook 03's pipeline on generated frames: (results, lagged, claims).

    The tables 03 reads are written to Parquet and loaded as a user's files would be (faster
    than ``Dataset.from_frames``, whose fingerprint of in-memory frames dominates at this size).
    """
    with tempfile.TemporaryDirectory() as tmp:
        for t in TABLES:
            frames[t].to_parquet(Path(tmp) / f"{t}.parquet", index=False)
        data = dataset.load_data(tmp, today="2026-10-15")
        return _analyse(data, months=months, min_trials=min_trials, alpha=alpha, claim_alpha=claim_alpha, grain=grain)


def _analyse(data, *, months, min_trials, alpha, claim_alpha, grain, month=MONTH):
    window = correlation.select_window(
        aggregate.rep_period(data, grain=grain, deal_date="appointment"), month=month, months=months, grain=grain
    )
    results = correlation.kpi_correlations(window, grain=grain, min_trials=min_trials, alpha=alpha, lag=False, kgi=())
    weekly = correlation.select_window(
        aggregate.rep_period(data, grain="week", deal_date="appointment"), month=month, months=months, grain="week"
    )
    lagged = correlation.kpi_correlations(weekly, grain="week", min_trials=min_trials, alpha=alpha)
    cl = correlation.claims(
        results, lagged=lagged, targets=kpis.phase_targets("growth"), alpha=alpha, claim_alpha=claim_alpha, grain=grain
    )
    return results, lagged, cl


def run(seed: int, *, null: bool, n_teams: int, n_reps: int, months: int, **kw):
    knobs = dict(hour_effect=False, tradeoff=0.0, hour_confounding=0.0) if null else {}
    frames = sample.generate(seed, teams=teams(n_teams, n_reps, months), end=END, **knobs)
    return analyse(frames, months=months, **kw)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=100, help="null data sets")
    ap.add_argument("--planted", type=int, default=30, help="planted data sets")
    ap.add_argument("--teams", type=int, default=2)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--months", type=int, default=4)
    ap.add_argument("--claim-alpha", type=float, default=correlation.CLAIM_ALPHA)
    a = ap.parse_args(argv)
    shape = dict(n_teams=a.teams, n_reps=a.reps, months=a.months, claim_alpha=a.claim_alpha)
    t0 = time.time()
    false_sets, parts = 0, {}
    for seed in range(a.seeds):
        _, _, cl = run(10_000 + seed, null=True, **shape)
        if len(cl):
            false_sets += 1
            for p, x, y in zip(cl["part"], cl["x"], cl["y"]):
                parts[f"{p}:{x}×{y}"] = parts.get(f"{p}:{x}×{y}", 0) + 1
            print(f"  null seed {10_000 + seed}: {'; '.join(cl['sentence'].str.slice(0, 60))}", flush=True)
    hit = head = 0
    for seed in range(a.planted):
        res, _, cl = run(20_000 + seed, null=False, **shape)
        hit += int(
            (
                (cl["part"] == "efficiency")
                & (cl["x"] == "calls")
                & (cl["y"] == "connect_rate")
                & (cl["verdict"] == "falls")
            ).any()
        )
        card = correlation.headline(res, claim_alpha=a.claim_alpha)[0]
        head += int(card["value"] == "架電数×コネクト率")
    print(f"organisation: {a.teams} team(s) × {a.reps} reps × {a.months} months; claim_alpha = {a.claim_alpha:g}")
    print(
        f"null data:    {false_sets}/{a.seeds} data sets with a claimed effect = "
        f"false-claim rate {false_sets / max(a.seeds, 1):.1%} (target ≤ 2 %)"
    )
    if parts:
        print("              claims: " + ", ".join(f"{k} ({v})" for k, v in sorted(parts.items())))
    if a.planted:
        print(
            f"planted data: trade-off calls × connect rate claimed in {hit}/{a.planted} = {hit / a.planted:.1%}; "
            f"heads the index card in {head}/{a.planted} = {head / a.planted:.1%}"
        )
    print(f"({time.time() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
