"""Individuals and moving-range (XmR) control charts.

An XmR chart asks whether a series of single values (here: a team's daily activity) behaves
like a predictable process. Its natural process limits are

    centre = mean(x),  mR̄ = mean(|x_i − x_{i−1}|),  limits = centre ± 2.66 × mR̄

(2.66 = 3 / d2 with d2 = 1.128 for moving ranges of two), and the moving-range chart's upper
limit is 3.268 × mR̄. Signals of an unpredictable process (Wheeler; Nelson rule 2):

- rule 1: a point outside the natural process limits;
- rule 2: a run of ``run_length`` (default 9) successive points on the same side of the centre.

A process is called *stable* here when rule 2 never fires and at most ``max_out_share`` of the
points (default 2 %, i.e. one in 50) fall outside the limits: with 60 daily points a single
stray value is expected now and then from a predictable process and should not flip a verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["E2", "D4", "xmr_limits", "xmr", "xmr_summary"]

#: scaling constant for the individuals chart limits (3 / d2, d2 = 1.128)
E2 = 2.66
#: upper limit of the moving-range chart (D4 for n = 2)
D4 = 3.268


def _values(data, x):
    if isinstance(data, pd.DataFrame):
        if x is None or x not in data:
            raise ValueError(f"x must name a column of data; columns are {list(data.columns)}")
        return data[x].to_numpy(dtype=float)
    if x is not None:
        raise ValueError("x is only used when data is a DataFrame")
    return np.asarray(data, dtype=float).ravel()


def xmr_limits(data, *, x: str | None = None) -> dict:
    """Centre line and natural process limits of an individuals (XmR) chart.

    Parameters
    ----------
    data : array-like of values in time order, or a DataFrame with column ``x``.
        Missing values are dropped before the moving ranges are taken.

    Returns
    -------
    dict with n (points), mean (centre line), mr_bar (mean moving range), lcl, ucl
    (mean ∓ 2.66 × mr_bar), mr_ucl (3.268 × mr_bar), sigma_hat (mr_bar / 1.128). NaN limits when
    fewer than two values.
    """
    v = _values(data, x)
    v = v[~np.isnan(v)]
    n = int(v.size)
    mean = float(v.mean()) if n else np.nan
    mr_bar = float(np.abs(np.diff(v)).mean()) if n >= 2 else np.nan
    return {
        "n": n,
        "mean": mean,
        "mr_bar": mr_bar,
        "lcl": mean - E2 * mr_bar,
        "ucl": mean + E2 * mr_bar,
        "mr_ucl": D4 * mr_bar,
        "sigma_hat": mr_bar / 1.128,
    }


def _longest_runs(side: np.ndarray) -> np.ndarray:
    """For each point, the length of the same-side run it belongs to (0 for points on centre)."""
    n = side.size
    run = np.zeros(n, dtype=int)
    start = 0
    for i in range(1, n + 1):
        if i == n or side[i] != side[start] or side[i] == 0:
            length = i - start
            if side[start] != 0:
                run[start:i] = length
            start = i
    return run


def xmr(data, *, x: str | None = None, time: str | None = None, run_length: int = 9) -> pd.DataFrame:
    """XmR chart table: every point with its moving range, the limits and its signals.

    Parameters
    ----------
    data : array-like of values in time order, or a DataFrame with columns ``x`` (and ``time``).
    x : value column (DataFrame input).
    time : optional time column copied to the output (DataFrame input); else 0..n-1.
    run_length : points in a row on one side of the centre that count as a signal (rule 2).

    Returns
    -------
    DataFrame, one row per non-missing value, with columns
        time, value, moving_range (NaN for the first point), center, lcl, ucl, mr_ucl,
        beyond_limits (rule 1), in_run (part of a same-side run of ≥ run_length; rule 2),
        signal (either).
    """
    if run_length < 2:
        raise ValueError(f"run_length must be >= 2, got {run_length}")
    v = _values(data, x)
    if isinstance(data, pd.DataFrame) and time is not None:
        if time not in data:
            raise ValueError(f"time must name a column of data; columns are {list(data.columns)}")
        t = data[time].to_numpy()
    else:
        t = np.arange(v.size)
    keep = ~np.isnan(v)
    v, t = v[keep], t[keep]
    lim = xmr_limits(v)
    mr = np.concatenate([[np.nan], np.abs(np.diff(v))]) if v.size else np.zeros(0)
    beyond = (v < lim["lcl"]) | (v > lim["ucl"])
    side = np.sign(v - lim["mean"]).astype(int) if v.size else np.zeros(0, dtype=int)
    in_run = _longest_runs(side) >= run_length
    return pd.DataFrame(
        {
            "time": t,
            "value": v,
            "moving_range": mr,
            "center": lim["mean"],
            "lcl": lim["lcl"],
            "ucl": lim["ucl"],
            "mr_ucl": lim["mr_ucl"],
            "beyond_limits": beyond,
            "in_run": in_run,
            "signal": beyond | in_run,
        }
    )


def xmr_summary(chart: pd.DataFrame, *, target: float | None = None, max_out_share: float = 0.02) -> dict:
    """Is the charted process stable, and does it clear a target?

    Parameters
    ----------
    chart : the table returned by :func:`xmr`.
    target : optional level the process should clear (higher is better).
    max_out_share : share of points allowed outside the limits before the process is called
        unstable (rule 1 tolerance; 0 = Wheeler's strict reading).

    Returns
    -------
    dict with n, mean, mr_bar, lcl, ucl, n_beyond (points outside the limits), n_beyond_low
    (below the lower limit), longest_run (longest same-side run), run_signal (bool), stable (bool),
    target, mean_at_target (mean ≥ target), lcl_clears_target (lcl ≥ target: virtually every day
    at target). Stability is None when fewer than 2 points.
    """
    n = int(len(chart))
    if n < 2:
        return {
            "n": n,
            "mean": float(chart["value"].mean()) if n else np.nan,
            "mr_bar": np.nan,
            "lcl": np.nan,
            "ucl": np.nan,
            "n_beyond": 0,
            "n_beyond_low": 0,
            "longest_run": 0,
            "run_signal": False,
            "stable": None,
            "target": target,
            "mean_at_target": None,
            "lcl_clears_target": None,
        }
    v = chart["value"].to_numpy(dtype=float)
    side = np.sign(v - chart["center"].iloc[0]).astype(int)
    n_beyond = int(chart["beyond_limits"].sum())
    run_signal = bool(chart["in_run"].any())
    stable = (n_beyond <= np.floor(max_out_share * n)) and not run_signal
    mean = float(chart["center"].iloc[0])
    lcl = float(chart["lcl"].iloc[0])
    return {
        "n": n,
        "mean": mean,
        "mr_bar": float(np.nanmean(chart["moving_range"])),
        "lcl": lcl,
        "ucl": float(chart["ucl"].iloc[0]),
        "n_beyond": n_beyond,
        "n_beyond_low": int((v < lcl).sum()),
        "longest_run": int(_longest_runs(side).max()),
        "run_signal": run_signal,
        "stable": bool(stable),
        "target": target,
        "mean_at_target": None if target is None else bool(mean >= target),
        "lcl_clears_target": None if target is None else bool(lcl >= target),
    }
