"""Mature-phase economics: won amount, pipeline, CAC, LTV, LTV/CAC, ROI, forecast accuracy.

Assumptions (parameters, shown in the notebook):

- ``amount_jpy`` of a deal is its annual contract value; LTV = average won amount ×
  ``gross_margin`` × ``lifetime_years`` (expected customer lifetime in years).
- CAC = the month's inside-sales cost (``costs.cost_jpy``) / deals won in the month
  (the IS cost only; add marketing cost in the costs file to get a full CAC).
- ROI = (won amount × gross_margin − cost) / cost.
- LTV/CAC ≥ 3 is healthy (the seed).

Forecast accuracy: for each past month, the month-end value is projected from the first
``at_business_day`` business days with :func:`pacing.project` and compared with the actual:
accuracy = 1 − |projected − actual| / actual (the KPI dictionary's formula), and whether the
actual fell inside the projection interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import pacing
from . import stats as kst

__all__ = ["HEALTHY_LTV_CAC", "economics", "forecast_accuracy"]

HEALTHY_LTV_CAC = 3.0


def economics(data, *, month: str, gross_margin: float = 0.7, lifetime_years: float = 3.0) -> pd.DataFrame | None:
    """Unit economics of the month per team.

    Returns
    -------
    DataFrame, one row per team with costs for the month: team_id, month, cost_jpy,
    deals_won, won_amount_jpy, avg_won_amount_jpy, pipeline_jpy (open at month end),
    deal_amount_jpy (created in month), cac_jpy, ltv_jpy, ltv_cac, healthy (ltv_cac ≥ 3),
    roi, gross_margin, lifetime_years. None without deals or costs.
    """
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin must be in (0, 1], got {gross_margin}")
    if not lifetime_years > 0:
        raise ValueError(f"lifetime_years must be positive, got {lifetime_years}")
    if not (data.has("deals") and data.has("costs")):
        return None
    costs = data.costs[data.costs["month"] == month].groupby("team_id")["cost_jpy"].sum()
    if not len(costs):
        return None
    d = data.deals
    end = (pd.Period(month, freq="M") + 1).start_time.tz_localize(data.tz)
    won = d[(d["closed_month"] == month) & (d["status"] == "won")]
    openx = d[(d["created_at"] < end) & (d["closed_at"].isna() | (d["closed_at"] >= end))]
    created = d[d["month"] == month]
    rows = []
    for team_id, cost in costs.items():
        w = won[won["team_id"] == team_id]
        n_won = int(len(w))
        won_amt = float(w["amount_jpy"].sum())
        avg = float(w["amount_jpy"].mean()) if n_won else np.nan
        cac = kst.safe_ratio(cost, n_won)
        ltv = avg * gross_margin * lifetime_years if n_won else np.nan
        ratio = kst.safe_ratio(ltv, cac) if np.isfinite(cac) and np.isfinite(ltv) else np.nan
        rows.append(
            {
                "team_id": team_id,
                "month": month,
                "cost_jpy": float(cost),
                "deals_won": n_won,
                "won_amount_jpy": won_amt,
                "avg_won_amount_jpy": avg,
                "pipeline_jpy": float(openx.loc[openx["team_id"] == team_id, "amount_jpy"].sum()),
                "deal_amount_jpy": float(created.loc[created["team_id"] == team_id, "amount_jpy"].sum()),
                "cac_jpy": cac,
                "ltv_jpy": ltv,
                "ltv_cac": ratio,
                "healthy": bool(ratio >= HEALTHY_LTV_CAC) if np.isfinite(ratio) else None,
                "roi": kst.safe_ratio(won_amt * gross_margin - cost, cost),
                "gross_margin": gross_margin,
                "lifetime_years": lifetime_years,
            }
        )
    return pd.DataFrame(rows)


def forecast_accuracy(
    daily: pd.DataFrame, *, months, at_business_day: int = 10, confidence: float = 0.9
) -> pd.DataFrame:
    """How well mid-month pacing projections predicted past month-ends.

    Parameters
    ----------
    daily : DataFrame indexed by date, one column per KPI with daily totals (e.g.
        :func:`pacing.daily_totals`).
    months : complete past months ("YYYY-MM") to evaluate.
    at_business_day : the projection is made after this many business days.

    Returns
    -------
    DataFrame, one row per month × KPI: month, kpi_id, as_of, projected, projected_low,
    projected_high, actual, error (projected − actual), accuracy (1 − |error| / actual),
    covered (actual inside the interval).
    """
    if at_business_day < 1:
        raise ValueError(f"at_business_day must be >= 1, got {at_business_day}")
    rows = []
    for m in months:
        bd = pacing.month_days(m)
        days = pacing.jcal.month_business_days(m)
        if len(days) <= at_business_day:
            continue
        as_of = days[at_business_day - 1]
        for c in daily.columns:
            p = pacing.project(daily[c], month=m, as_of=as_of, confidence=confidence)
            actual = pacing.project(daily[c], month=m)["actual"]
            err = p["projected"] - actual
            rows.append(
                {
                    "month": m,
                    "kpi_id": c,
                    "as_of": as_of,
                    "projected": p["projected"],
                    "projected_low": p["projected_low"],
                    "projected_high": p["projected_high"],
                    "actual": actual,
                    "error": err,
                    "accuracy": 1 - abs(err) / actual if actual > 0 else np.nan,
                    "covered": bool(p["projected_low"] <= actual <= p["projected_high"]),
                    "business_days": bd["business_days"],
                }
            )
    return pd.DataFrame(rows)
