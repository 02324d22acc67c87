"""Mature-phase economics: won amount, pipeline, CAC, LTV, LTV/CAC, ROI, forecast accuracy.

Assumptions (parameters, shown in the notebook):

- ``amount_jpy`` of a deal is its annual contract value; LTV = average won amount ×
  ``gross_margin`` × ``lifetime_years`` (expected customer lifetime in years).
- CAC = the month's inside-sales cost (``costs.cost_jpy``) / deals won in the month
  (the IS cost only; add marketing cost in the costs file to get a full CAC).
- ROI = (won amount × gross_margin − cost) / cost.
- Judgement: CAC and LTV/CAC against the team's target table (:func:`kpi_rows`; the mature
  template's CAC ≤ 50万円 and LTV/CAC ≥ 3.0, the seed's 「LTV/CAC比率が3以上であれば健全」).

Forecast accuracy: for each past month, the month-end value is projected from the first
``at_business_day`` business days with :func:`pacing.project` and compared with the actual:
accuracy = 1 − |projected − actual| / actual (the KPI dictionary's formula), and whether the
actual fell inside the projection interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import kpis, pacing, targets
from . import stats as kst

__all__ = ["JUDGED_KPIS", "economics", "kpi_rows", "forecast_accuracy"]

#: the economics KPIs a page records in its ``kpi_table`` (judged where the team's target table
#: has them: CAC and LTV/CAC in the mature template)
JUDGED_KPIS = ("cac_jpy", "ltv_cac", "roi")


def economics(data, *, month: str, gross_margin: float = 0.7, lifetime_years: float = 3.0) -> pd.DataFrame | None:
    """Unit economics of the month per team.

    Returns
    -------
    DataFrame, one row per team with costs for the month: team_id, month, cost_jpy,
    deals_won, won_amount_jpy, avg_won_amount_jpy, pipeline_jpy (open at month end),
    deal_amount_jpy (created in month), cac_jpy, ltv_jpy, ltv_cac, roi, gross_margin,
    lifetime_years. None without deals or costs. Verdicts: :func:`kpi_rows`.
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
                "roi": kst.safe_ratio(won_amt * gross_margin - cost, cost),
                "gross_margin": gross_margin,
                "lifetime_years": lifetime_years,
            }
        )
    return pd.DataFrame(rows)


def kpi_rows(ec: pd.DataFrame | None, *, tables: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """CAC, LTV/CAC and ROI of every team judged against its target table, in the ``kpi_table``
    shape (:data:`targets.KPI_TABLE_COLUMNS`).

    Parameters
    ----------
    ec : :func:`economics` of the month (None: no rows).
    tables : the teams' target tables with team_id (:func:`scorecard.team_targets`).
    previous : :func:`economics` of the month before (for previous / change), or None.
    """
    if ec is None or not len(ec):
        return pd.DataFrame(columns=targets.KPI_TABLE_COLUMNS)
    long = ec.melt(id_vars="team_id", value_vars=list(JUDGED_KPIS), var_name="kpi_id", value_name="actual")
    spec = tables[["team_id", "kpi_id", "target", "low", "high", "direction", "judged", "per"]]
    long = long.merge(spec, on=["team_id", "kpi_id"], how="left")
    if previous is not None and len(previous):
        prev = previous.melt(id_vars="team_id", value_vars=list(JUDGED_KPIS), var_name="kpi_id", value_name="previous")
        long = long.merge(prev, on=["team_id", "kpi_id"], how="left")
    else:
        long["previous"] = np.nan
    direction = long["kpi_id"].map(lambda k: kpis.get(k).direction).to_numpy(object)
    long["verdict"] = targets.verdicts(
        long["actual"].to_numpy(float),
        target=long["target"].to_numpy(float),
        low=long["low"].to_numpy(float),
        high=long["high"].to_numpy(float),
        direction=direction,
        judged=long["judged"].fillna(True).to_numpy(bool),
    )
    long["change"] = long["actual"] - long["previous"]
    out = long.rename(columns={"low": "target_low", "high": "target_high"})[targets.KPI_TABLE_COLUMNS]
    return out.sort_values(["team_id", "kpi_id"]).reset_index(drop=True)


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
