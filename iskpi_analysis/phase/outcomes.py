"""Outcome evidence: deal conversion and its trend (items 6, sign 5), the growth template's
efficiency KPIs month by month (item 9), and whether revenue can be traced (item 10).
Language-neutral."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import dataset, kpis
from .. import stats as kst

__all__ = ["growth_target", "conversion_trend", "efficiency_kpis", "efficiency_stability", "revenue_traceability"]


def growth_target(kpi_id: str, targets_file=None) -> float | None:
    t = kpis.phase_targets("growth", targets_file=targets_file or None)
    row = t[t["kpi_id"] == kpi_id]
    return float(row["target"].iloc[0]) if len(row) else None


def _logit_trend(k, n, alpha: float) -> dict:
    """Quasi-binomial logistic regression of k successes in n trials on the month index: slope,
    its t interval, p_val, dispersion and rising (see :func:`conversion_trend`)."""
    import statsmodels.api as sm

    x = sm.add_constant(np.arange(len(k), dtype=float))
    res = sm.GLM(np.column_stack([k, n - k]), x, family=sm.families.Binomial()).fit()
    # quasi-binomial: scale the binomial SE by the Pearson dispersion (never below 1) and use
    # t with the residual df (statsmodels' scale="X2" is wrong for two-column endog)
    df = int(res.df_resid)
    phi = max(float(res.pearson_chi2) / df, 1.0) if df > 0 else 1.0
    slope, se = float(res.params[1]), float(res.bse[1]) * np.sqrt(phi)
    tq = _st.t.ppf(0.975, df) if df > 0 else np.inf
    p = float(2 * _st.t.sf(abs(slope / se), df)) if df > 0 and se > 0 else 1.0
    return {
        "slope": slope,
        "slope_ci_low": slope - tq * se,
        "slope_ci_high": slope + tq * se,
        "p_val": p,
        "dispersion": phi,
        "rising": bool(slope > 0 and p < alpha),
    }


def conversion_trend(
    rep_month: pd.DataFrame,
    *,
    month: str,
    target: float | None,
    months: int = 3,
    trend_months: int = 6,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, dict]:
    """Deal conversion (deals created / leads handled, ratio of sums) by month, and its trend.

    The trend is the slope of a logistic regression of the monthly counts on the month index,
    quasi-binomial: the SE is scaled by √(Pearson χ²/df) (floored at 1) and tested with t on
    the residual df, so month-to-month variation beyond the binomial widens the interval;
    needs ≥ 3 months with leads.

    Returns
    -------
    (monthly, summary). ``monthly``: period, month, deals_created, leads_handled, rate, ci_low,
    ci_high. ``summary``: dict with target, rate / k / n / ci_low / ci_high over the window,
    below_target (rate < target), n_months, slope (logit per month), slope_ci_low,
    slope_ci_high (t interval), p_val, dispersion (Pearson χ²/df, floored at 1), rising
    (slope > 0 and p < alpha; None with < 3 months).
    """
    cols = ["period", "month", "deals_created", "leads_handled", "rate", "ci_low", "ci_high"]
    empty = {
        "target": target,
        "rate": np.nan,
        "k": 0,
        "n": 0,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "below_target": None,
        "n_months": 0,
        "slope": np.nan,
        "slope_ci_low": np.nan,
        "slope_ci_high": np.nan,
        "p_val": np.nan,
        "dispersion": np.nan,
        "rising": None,
    }
    if "deals_created" not in rep_month.columns:
        return pd.DataFrame(columns=cols), empty
    start, end = dataset.month_bounds(month, trend_months)
    w = rep_month[(rep_month["period"] >= start) & (rep_month["period"] < end)]
    m = w.groupby("period", as_index=False)[["deals_created", "leads_handled"]].sum()
    m = m[m["leads_handled"] > 0].reset_index(drop=True)
    m.insert(1, "month", m["period"].dt.strftime("%Y-%m"))
    m["rate"] = m["deals_created"] / m["leads_handled"]
    m["ci_low"], m["ci_high"] = (
        kst.wilson_ci(m["deals_created"].to_numpy(), m["leads_handled"].to_numpy()) if len(m) else ([], [])
    )
    out = dict(empty)
    ws, _ = dataset.month_bounds(month, months)
    win = m[m["period"] >= ws]
    k, n = int(win["deals_created"].sum()), int(win["leads_handled"].sum())
    if n:
        lo, hi = kst.wilson_ci(k, n)
        out.update(
            rate=k / n, k=k, n=n, ci_low=lo, ci_high=hi, below_target=None if target is None else bool(k / n < target)
        )
    out["n_months"] = int(len(m))
    if len(m) >= 3:
        out.update(_logit_trend(m["deals_created"].to_numpy(float), m["leads_handled"].to_numpy(float), alpha))
    return m[cols], out


def efficiency_kpis(targets_file=None) -> pd.DataFrame:
    """The efficiency KPIs item 9 checks: the growth template's rate KPIs of importance ≥ 2."""
    t = kpis.phase_targets("growth", targets_file=targets_file or None)
    return t[(t["unit"] == "rate") & (t["importance"] >= 2)].reset_index(drop=True)


def efficiency_stability(
    rep_month: pd.DataFrame,
    deals: pd.DataFrame | None,
    *,
    month: str,
    targets_file=None,
    months: int = 3,
    min_trials: int = 30,
) -> tuple[pd.DataFrame, dict]:
    """Are the efficiency KPIs at target in every month of the window?

    deal_conversion comes from the rep-month table (deals created / leads handled);
    handoff_win_rate from ``deals`` (won / (won + lost), by the month deals closed). Other rate
    KPIs of the template are taken from the rep-month table when their parts are there.

    Returns
    -------
    (monthly, summary). ``monthly``: kpi_id, month, k, n, rate, target, at_target (None when n <
    ``min_trials``). ``summary``: dict with kpis (list), months (list), n_months_at_target
    {kpi: count}, met (True when every KPI is at target in every month, False when any month
    with enough trials is below, else None), missing (KPIs without data).
    """
    eff = efficiency_kpis(targets_file)
    window = [str(pd.Period(month, freq="M") - i) for i in range(months - 1, -1, -1)]
    rows, missing = [], []
    rm = rep_month.assign(month=rep_month["period"].dt.strftime("%Y-%m"))
    for r in eff.itertuples(index=False):
        k_ = kpis.get(r.kpi_id)
        if r.kpi_id == "handoff_win_rate":
            if deals is None or "closed_month" not in deals.columns:
                missing.append(r.kpi_id)
                continue
            closed = deals[deals["status"].isin(["won", "lost"])]
            kn = {m: (int((g["status"] == "won").sum()), int(len(g))) for m, g in closed.groupby("closed_month")}
        elif k_.numerator in rm.columns and k_.denominator in rm.columns:
            s = rm.groupby("month")[[k_.numerator, k_.denominator]].sum()
            kn = {m: (int(v[k_.numerator]), int(v[k_.denominator])) for m, v in s.iterrows()}
            if r.kpi_id == "deal_conversion" and deals is None:
                missing.append(r.kpi_id)
                continue
        else:
            missing.append(r.kpi_id)
            continue
        for m in window:
            k, n = kn.get(m, (0, 0))
            rate = k / n if n else np.nan
            rows.append(
                {
                    "kpi_id": r.kpi_id,
                    "month": m,
                    "k": k,
                    "n": n,
                    "rate": rate,
                    "target": r.target,
                    "at_target": None if n < min_trials else bool(rate >= r.target),
                }
            )
    monthly = pd.DataFrame(rows, columns=["kpi_id", "month", "k", "n", "rate", "target", "at_target"])
    ats = monthly["at_target"].tolist()
    if any(a is False for a in ats):
        met = False
    elif ats and all(a is True for a in ats) and not missing:
        met = True
    else:
        met = None
    counts = {k: int(sum(a is True for a in g["at_target"])) for k, g in monthly.groupby("kpi_id", sort=False)}
    return monthly, {
        "kpis": list(eff["kpi_id"]),
        "months": window,
        "n_months_at_target": counts,
        "met": met,
        "missing": missing,
    }


def revenue_traceability(
    deals: pd.DataFrame | None,
    *,
    month: str,
    months: int = 3,
    lookback_months: int = 12,
    min_share: float = 0.95,
) -> dict:
    """Can the team's revenue contribution be traced (deals with amounts and outcomes linked)?

    Deals created in the last ``lookback_months`` months up to the report month.

    Returns
    -------
    dict with n_deals, amount_share (with amount_jpy), closed (won + lost), close_date_share
    (closed deals with closed_at), lead_share (with lead_id), won_window (won deals closed in the
    window with an amount), won_amount_window (their sum), traceable (True / False; None without
    a deals table).
    """
    if deals is None:
        return {
            "n_deals": 0,
            "amount_share": np.nan,
            "closed": 0,
            "close_date_share": np.nan,
            "lead_share": np.nan,
            "won_window": 0,
            "won_amount_window": 0.0,
            "traceable": None,
        }
    start, end = dataset.month_bounds(month, lookback_months)
    ws, _ = dataset.month_bounds(month, months)
    created = deals["created_at"].dt.tz_localize(None) if deals["created_at"].dt.tz is not None else deals["created_at"]
    d = deals[(created >= start) & (created < end)]
    n = int(len(d))
    closed = d[d["status"].isin(["won", "lost"])]
    mw = [str(pd.Period(month, freq="M") - i) for i in range(months)]
    won = deals[(deals["status"] == "won") & deals["closed_month"].isin(mw) & deals["amount_jpy"].notna()]
    out = {
        "n_deals": n,
        "amount_share": float(d["amount_jpy"].notna().mean()) if n else np.nan,
        "closed": int(len(closed)),
        "close_date_share": float(closed["closed_at"].notna().mean()) if len(closed) else np.nan,
        "lead_share": float(d["lead_id"].notna().mean()) if n and "lead_id" in d else np.nan,
        "won_window": int(len(won)),
        "won_amount_window": float(won["amount_jpy"].sum()),
    }
    out["traceable"] = bool(
        n > 0
        and out["amount_share"] >= min_share
        and len(closed) > 0
        and out["close_date_share"] >= min_share
        and len(won) > 0
    )
    return out
