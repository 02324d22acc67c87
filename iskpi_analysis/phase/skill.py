"""Skill-gap evidence (checklist item 4, sign 2): how far apart the reps are on a rate KPI, with
the binomial noise removed and within role, and whether the gap is narrowing. Language-neutral."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import dataset, kpis

__all__ = ["SKILL_MONTHLY_COLUMNS", "between_rep_cv", "skill_dispersion", "skill_gap"]

SKILL_MONTHLY_COLUMNS = ["period", "month", "n_reps", "rate", "cv_observed", "cv_noise", "cv"]


def _rate_parts(kpi: str) -> tuple[str, str]:
    k = kpis.get(kpi)
    if not k.is_rate:
        raise ValueError(f"skill_kpi must be a rate KPI of the dictionary, got {kpi!r}")
    return k.numerator, k.denominator


def between_rep_cv(k, n, role=None, *, min_trials: float = 50) -> dict:
    """Between-rep coefficient of variation of a rate, with the binomial noise removed.

    For rep i with k_i successes in n_i trials (n_i ≥ ``min_trials``) and its role's pooled
    rate P_r = Σk/Σn, the relative deviation d_i = k_i/n_i / P_r − 1 has expectation 0 and
    variance σ² + (1 − P_r)/(n_i P_r), where σ is the true between-rep CV. So
    σ̂² = Σ d_i² / (m − g) − mean((1 − P_r)/(n_i P_r)) (m reps, g roles; method of moments,
    floored at 0). Roles are separate because SDR and BDR rates differ by design.

    Returns
    -------
    dict with n_reps, rate (pooled over all reps), cv_observed (√(Σd²/(m−g))), cv_noise
    (√mean noise), cv (σ̂; NaN when m − g < 2).

    Examples
    --------
    Four reps with 200 trials each at 10, 15, 20 and 25 % (pooled 17.5 %): the relative
    deviations ±0.143, ±0.429 give Σd²/3 = 0.136, the binomial noise 0.825 / 35 = 0.0236, so
    σ̂ = √(0.136 − 0.0236) = 0.335.

    >>> r = between_rep_cv([20, 30, 40, 50], [200, 200, 200, 200])
    >>> round(r["cv_observed"], 3), round(r["cv_noise"], 3), round(r["cv"], 3)
    (0.369, 0.154, 0.335)
    >>> between_rep_cv([30, 30, 30, 30], [200] * 4)["cv"]  # identical reps: no spread
    0.0
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    role = np.zeros(len(k), dtype=int) if role is None else pd.factorize(np.asarray(role))[0]
    ok = n >= max(min_trials, 1)
    k, n, role = k[ok], n[ok], role[ok]
    m, g = int(len(k)), int(len(np.unique(role)))
    rate = k.sum() / n.sum() if n.sum() > 0 else np.nan
    if m - g < 2:
        return {"n_reps": m, "rate": rate, "cv_observed": np.nan, "cv_noise": np.nan, "cv": np.nan}
    d2, noise = np.empty(m), np.empty(m)
    for r in np.unique(role):
        sel = role == r
        p = k[sel].sum() / n[sel].sum()
        if p <= 0:
            d2[sel], noise[sel] = 0.0, 0.0
            continue
        d2[sel] = (k[sel] / n[sel] / p - 1) ** 2
        noise[sel] = (1 - p) / (n[sel] * p)
    obs = d2.sum() / (m - g)
    return {
        "n_reps": m,
        "rate": rate,
        "cv_observed": float(np.sqrt(obs)),
        "cv_noise": float(np.sqrt(noise.mean())),
        "cv": float(np.sqrt(max(obs - noise.mean(), 0.0))),
    }


def skill_dispersion(
    rep_month: pd.DataFrame, *, month: str, kpi: str = "deal_conversion", months: int = 6, min_trials: float = 50
) -> pd.DataFrame:
    """Month by month, how far apart the reps are on ``kpi`` (see :func:`between_rep_cv`).

    Returns
    -------
    DataFrame, one row per month of the last ``months`` up to ``month`` with data: period
    (month start), month ("YYYY-MM"), n_reps, rate, cv_observed, cv_noise, cv.
    """
    num, den = _rate_parts(kpi)
    start, end = dataset.month_bounds(month, months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    rows = []
    for p, g in w.groupby("period"):
        r = between_rep_cv(g[num], g[den], g["role"], min_trials=min_trials)
        rows.append({"period": p, "month": p.strftime("%Y-%m"), **r})
    return pd.DataFrame(rows, columns=["period", "month", "n_reps", "rate", "cv_observed", "cv_noise", "cv"])


def skill_gap(
    rep_month: pd.DataFrame,
    *,
    month: str,
    kpi: str = "deal_conversion",
    months: int = 3,
    trend_months: int = 6,
    threshold: float = 0.30,
    min_trials: float = 50,
    min_reps: int = 3,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """Is the skill gap between reps large, and is it narrowing?

    Level: :func:`between_rep_cv` of each rep's ``kpi`` pooled over the window (reps with ≥
    ``min_trials`` trials). Trend: Kendall's τ of the monthly CV against time over the last
    ``trend_months`` months (months with ≥ ``min_reps`` reps), one-sided (narrowing), exact p;
    needs ≥ 4 months.

    Returns
    -------
    (monthly, summary). ``monthly``: :func:`skill_dispersion`. ``summary``: dict with kpi,
    threshold, cv (window level), cv_observed, cv_noise, n_reps, rate, large (cv ≥ threshold;
    None when < ``min_reps`` reps), n_months (trend points), tau, p_val, narrowing (p < alpha;
    None with < 4 months), first_cv / last_cv (trend ends), missing (the rep-month table lacks
    the KPI's parts, e.g. no deals table).
    """
    num, den = _rate_parts(kpi)
    if num not in rep_month.columns or den not in rep_month.columns:
        nan = float("nan")
        return (
            pd.DataFrame(columns=["period", "month", "n_reps", "rate", "cv_observed", "cv_noise", "cv"]),
            {
                "kpi": kpi,
                "threshold": threshold,
                "n_reps": 0,
                "rate": nan,
                "cv_observed": nan,
                "cv_noise": nan,
                "cv": nan,
                "large": None,
                "n_months": 0,
                "tau": nan,
                "p_val": nan,
                "narrowing": None,
                "first_cv": nan,
                "last_cv": nan,
                "missing": True,
            },
        )
    start, end = dataset.month_bounds(month, months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    per_rep = w.groupby(["rep_id", "role"], as_index=False)[[num, den]].sum()
    lvl = between_rep_cv(per_rep[num], per_rep[den], per_rep["role"], min_trials=min_trials)
    monthly = skill_dispersion(rep_month, month=month, kpi=kpi, months=trend_months, min_trials=min_trials)
    tr = monthly[(monthly["n_reps"] >= min_reps) & monthly["cv"].notna()]
    tau = p = np.nan
    narrowing = None
    if len(tr) >= 4:
        res = _st.kendalltau(np.arange(len(tr)), tr["cv"].to_numpy(), alternative="less")
        tau, p = float(res.statistic), float(res.pvalue)
        narrowing = bool(p < alpha) if np.isfinite(p) else False
    large = None if lvl["n_reps"] < min_reps or not np.isfinite(lvl["cv"]) else bool(lvl["cv"] >= threshold)
    return monthly, {
        "kpi": kpi,
        "threshold": threshold,
        **lvl,
        "large": large,
        "n_months": int(len(tr)),
        "tau": tau,
        "p_val": p,
        "narrowing": narrowing,
        "first_cv": float(tr["cv"].iloc[0]) if len(tr) else np.nan,
        "last_cv": float(tr["cv"].iloc[-1]) if len(tr) else np.nan,
        "missing": False,
    }
