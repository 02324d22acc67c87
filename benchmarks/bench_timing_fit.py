#!/usr/bin/env python3
"""Benchmark: the hour model of 04 and 02 (issue 15) on factor codes against the dense design.

The time-of-day model is a binomial GLM on counts per rep × weekday × hour,
``logit p = intercept + hour + weekday + rep``, fitted once and then once more per hour for the
likelihood-ratio test of that hour against the median hour, and once without the hours (the
factor test). For each organisation size this script times that whole set of fits

- on the dense design matrix (``timing._design``, the previous route: one rows × columns matrix
  per fit, X'WX by matrix products) — the reference, measured in the same run; and
- on factor codes (``model._coded_design``: X'WX from bincounts, the rep block absorbed by its
  Schur complement; what ``adjusted_effects`` now uses),

checks that both give the same coefficients, covariance and deviances (relative 1e-8), and prints
the ratio. Counts are simulated (binomial, rep skill and two better hours), 5 weekdays × 10 hours.

    .venv/bin/python benchmarks/bench_timing_fit.py [--reps 30,100] [--seed 0]   # 300: the dense fits take minutes
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iskpi_analysis.timing import model  # noqa: E402


def counts(n_reps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rep, wd, hour = np.meshgrid(np.arange(n_reps), np.arange(5), np.arange(9, 19), indexing="ij")
    rep, wd, hour = rep.ravel(), wd.ravel(), hour.ravel()
    n = rng.poisson(30, len(rep)) + 1
    logit = rng.normal(-1.2, 0.4, n_reps)[rep] + np.where(np.isin(hour, (10, 16)), 0.3, 0.0)
    k = rng.binomial(n, 1 / (1 + np.exp(-logit)))
    return pd.DataFrame({"hour": hour, "weekday": wd, "rep_id": [f"r{i:04d}" for i in rep], "k": k, "n": n})


def fits(df: pd.DataFrame, coded: bool) -> tuple[float, dict]:
    """The full fit, the fit without hours and one merged fit per hour: (seconds, results)."""
    keys = ["hour", "weekday", "rep_id"]
    k, n = df["k"].to_numpy(float), df["n"].to_numpy(float)
    t0 = time.perf_counter()
    if coded:
        X, spec = model._coded_design(df, keys, n)
        reduced = [X.without(0)] + [
            X.merged(0, spec["hour"]["index"][h], spec["hour"]["index"][spec["hour"]["ref"]])
            for h in spec["hour"]["levels"]
            if h != spec["hour"]["ref"]
        ]
    else:
        X, spec = model._design(df, keys, n)
        hs = spec["hour"]
        reduced = [np.delete(X, list(hs["cols"].values()), axis=1)] + [
            model._merge_levels(X, hs, h, hs["ref"]) for h in hs["levels"] if h != hs["ref"]
        ]
    beta, cov = model.fit_binomial(k, n, X)
    devs = [model._deviance_of(k, n, R) for R in reduced]
    return time.perf_counter() - t0, {"beta": beta, "cov": cov, "devs": np.array(devs)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--reps", default="30,100", help="organisation sizes in reps")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    print(f"bench_timing_fit: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    model._DENSE_UP_TO = 0  # the codes at every size (the kit fits one rep's few cells densely)
    ok = True
    for n_reps in (int(s) for s in args.reps.split(",")):
        df = counts(n_reps, args.seed)
        t_dense, a = fits(df, coded=False)
        t_coded, b = fits(df, coded=True)
        rel = max(float(np.max(np.abs(a[x] - b[x]) / np.maximum(np.abs(a[x]), 1e-12))) for x in ("beta", "devs"))
        cov_rel = float(np.max(np.abs(a["cov"] - b["cov"])) / np.max(np.abs(a["cov"])))
        same = rel <= 1e-8 and cov_rel <= 1e-8
        ok &= same
        print(
            f"  {n_reps:>5} reps ({len(df):,} cells, {len(a['devs']) + 1} fits): dense {t_dense:7.2f} s, "
            f"codes {t_coded:6.2f} s, ratio codes / dense {t_coded / t_dense:.3f}; "
            f"max relative difference {max(rel, cov_rel):.1e} ({'same' if same else 'DIFFERENT'})",
            flush=True,
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
