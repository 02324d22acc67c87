"""Month-end pacing: actual so far, Japanese business days elapsed/remaining, landing forecast.

The run rate is the actual so far per business day elapsed (weekend/holiday activity counts in
the actual but the days do not). The projection is ``actual + rate × remaining``. Its interval
treats the remaining days' totals as draws from the observed day-to-day distribution: the
variance of the remaining sum is ``remaining × s² + remaining² × s² / elapsed`` (day-to-day spread
plus the uncertainty of the run rate itself), ``s²`` the sample variance of the business-day
totals (Poisson ``s² = mean`` when fewer than two days have elapsed). The lower bound never goes
below the actual already booked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from . import workdays as jcal

__all__ = ["PACED_KPIS", "month_days", "project", "pacing_table", "cumulative_path", "daily_totals"]


def _per_business_day(daily, d: dict) -> pd.Series:
    """Daily totals on the month's business days up to as_of; activity on a weekend or holiday
    is attributed to the previous business day (the first one for days before it)."""
    s = pd.Series(daily, dtype=float)
    idx = pd.DatetimeIndex(s.index)
    s.index = (idx.tz_localize(None) if idx.tz is not None else idx).normalize()
    s = s[(s.index >= d["month_start"]) & (s.index <= d["as_of"])]
    bdays = jcal.business_days(d["month_start"], d["month_end"])
    per = np.zeros(len(bdays))
    if len(bdays) and len(s):
        pos = np.searchsorted(bdays.values, s.index.values.astype(bdays.values.dtype), side="right") - 1
        pos = np.maximum(pos, 0)
        np.add.at(per, pos, s.to_numpy())
    return pd.Series(per, index=bdays)


def month_days(month: str, as_of=None) -> dict:
    """Business days of ``month`` in total, elapsed up to ``as_of`` (inclusive) and remaining.

    ``as_of`` defaults to the month's last day (month complete); dates before the month give 0
    elapsed, dates after it the whole month.

    Returns
    -------
    dict with month_start, month_end, as_of (naive Timestamps), business_days, elapsed, remaining.
    """
    p = pd.Period(month, freq="M")
    start, end = p.start_time.normalize(), p.end_time.normalize()
    as_of = end if as_of is None else pd.Timestamp(as_of)
    if as_of.tz is not None:
        as_of = as_of.tz_localize(None)
    as_of = min(max(as_of.normalize(), start - pd.Timedelta(days=1)), end)
    total = len(jcal.business_days(start, end))
    elapsed = len(jcal.business_days(start, as_of)) if as_of >= start else 0
    return {
        "month_start": start,
        "month_end": end,
        "as_of": as_of,
        "business_days": total,
        "elapsed": elapsed,
        "remaining": total - elapsed,
    }


def project(daily, *, month: str, as_of=None, target: float | None = None, confidence: float = 0.9) -> dict:
    """Projected month-end value of one cumulative KPI from its daily totals.

    Parameters
    ----------
    daily : Series indexed by date (naive) with the KPI's daily total (any days; only days in
        ``month`` up to ``as_of`` are used; business days with no row count as 0).
    month : "YYYY-MM".
    as_of : last day with data (inclusive); default: month end.
    target : the month's target total (optional) for the attainment of the projection.
    confidence : coverage of the projection interval.

    Returns
    -------
    dict with actual, business_days, elapsed, remaining, run_rate (per business day),
    projected, projected_low, projected_high, target, projected_attainment (projected / target),
    needed_per_day (to hit the target over the remaining days; NaN when none remain),
    on_track (projected >= target), p_reach (chance of reaching the target under the same
    normal model).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    d = month_days(month, as_of)
    per_day = _per_business_day(daily, d)
    observed = per_day[per_day.index <= d["as_of"]]
    actual = float(observed.sum())
    elapsed, remaining = d["elapsed"], d["remaining"]
    if elapsed:
        rate = actual / elapsed
        var = float(np.var(observed.to_numpy(), ddof=1)) if elapsed >= 2 else rate
    else:
        rate, var = np.nan, np.nan
    if remaining == 0:
        proj, lo, hi, sd = actual, actual, actual, 0.0
    elif elapsed == 0:
        proj, lo, hi, sd = np.nan, np.nan, np.nan, np.nan
    else:
        proj = actual + rate * remaining
        sd = float(np.sqrt(remaining * var + remaining**2 * var / elapsed))
        z = _st.norm.ppf(0.5 + confidence / 2)
        lo, hi = float(max(actual, proj - z * sd)), float(proj + z * sd)
    out = {
        "actual": actual,
        "business_days": d["business_days"],
        "elapsed": elapsed,
        "remaining": remaining,
        "run_rate": rate,
        "projected": proj,
        "projected_low": lo,
        "projected_high": hi,
        "target": np.nan if target is None else float(target),
    }
    t = out["target"]
    out["projected_attainment"] = proj / t if t and t > 0 else np.nan
    out["needed_per_day"] = max(t - actual, 0.0) / remaining if remaining and t == t else np.nan
    out["on_track"] = bool(proj >= t) if t == t and proj == proj else None
    if t != t or proj != proj:
        out["p_reach"] = np.nan
    elif sd == 0:
        out["p_reach"] = float(proj >= t)
    else:
        out["p_reach"] = float(_st.norm.sf(t, loc=proj, scale=sd))
    return out


def pacing_table(
    daily: pd.DataFrame, *, month: str, as_of=None, targets: dict | None = None, confidence: float = 0.9
) -> pd.DataFrame:
    """:func:`project` for several KPIs at once.

    Parameters
    ----------
    daily : DataFrame indexed by date, one column per KPI id with daily totals.
    targets : {kpi_id: month target total}; KPIs without one get NaN target.

    Returns
    -------
    DataFrame, one row per KPI, columns kpi_id + every key of :func:`project`.
    """
    targets = targets or {}
    rows = [
        {"kpi_id": c, **project(daily[c], month=month, as_of=as_of, target=targets.get(c), confidence=confidence)}
        for c in daily.columns
    ]
    return pd.DataFrame(rows)


def cumulative_path(daily, *, month: str, as_of=None) -> pd.DataFrame:
    """Cumulative actual by business day of the month, for the pacing chart.

    Returns
    -------
    DataFrame, one row per business day of the month, columns date, day_index (1-based business
    day number), cumulative (NaN after ``as_of``), observed (bool: on or before as_of).
    """
    d = month_days(month, as_of)
    per_day = _per_business_day(daily, d)
    bdays = per_day.index
    cum = np.cumsum(per_day.to_numpy())
    observed = bdays <= d["as_of"]
    return pd.DataFrame(
        {
            "date": bdays,
            "day_index": np.arange(1, len(bdays) + 1),
            "cumulative": np.where(observed, cum, np.nan),
            "observed": observed,
        }
    )


#: KPIs with a daily total that pacing can project (cumulative counts and amounts).
PACED_KPIS = (
    "calls",
    "connects",
    "valid_conversations",
    "emails_sent",
    "appointments",
    "deals_created",
    "deal_amount_jpy",
    "sql_count",
    "won_amount_jpy",
)


def daily_totals(data, *, rep_period: pd.DataFrame, team: str | None = None) -> pd.DataFrame:
    """Daily totals (all reps of ``data``) of the KPIs pacing projects.

    Parameters
    ----------
    rep_period : ``aggregate.rep_period(data, grain="day")``.
    team : str, optional
        Only this team's leads and deals (the rows of ``data.filter(team=team)``), cut out of the
        organisation's tables already loaded: an organisation's run does every team without
        opening each team's data again.

    Returns
    -------
    DataFrame indexed by local date (naive), columns among :data:`PACED_KPIS` that the data has.
    """
    cols = [c for c in PACED_KPIS if c in rep_period.columns]
    out = rep_period.groupby(pd.to_datetime(rep_period["period"]))[cols].sum().astype(float)

    def rows(table: str) -> pd.DataFrame:
        df = getattr(data, table)
        return df if team is None else df[df["team_id"] == team]

    if data.has("leads"):
        s = rows("leads")["sql_at"].dropna().dt.tz_convert(data.tz).dt.tz_localize(None).dt.normalize()
        out = out.join(s.value_counts().rename("sql_count"), how="outer")
    if data.has("deals"):
        deals = rows("deals")
        w = deals[deals["status"] == "won"].dropna(subset=["closed_at"])
        day = w["closed_at"].dt.tz_convert(data.tz).dt.tz_localize(None).dt.normalize()
        out = out.join(w.groupby(day)["amount_jpy"].sum().rename("won_amount_jpy"), how="outer")
    out.index.name = "date"
    return out.fillna(0.0).sort_index()
