"""Response times (SDR), the BDR view and nurturing rates: e-mail reactions, MQL → SQL and deal
conversion by lead source. Language-neutral tables with Wilson intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config, quality
from .. import stats as kst
from .. import workdays as jcal

__all__ = [
    "business_minutes",
    "response_times",
    "response_summary",
    "bdr_view",
    "email_rates",
    "quality_view",
    "mql_sql",
    "conversion_by_source",
]


def business_minutes(start, end, *, hours=config.BUSINESS_HOURS) -> np.ndarray:
    """Minutes between ``start`` and ``end`` that fall in business hours on JP business days.

    ``start``/``end``: array-likes of local (naive or tz-aware, same zone) timestamps; NaT → NaN.
    """
    s = pd.DatetimeIndex(pd.to_datetime(pd.Series(start)))
    e = pd.DatetimeIndex(pd.to_datetime(pd.Series(end)))
    if s.tz is not None:
        s = s.tz_localize(None)
    if e.tz is not None:
        e = e.tz_localize(None)
    out = np.full(len(s), np.nan)
    ok = np.asarray(~(s.isna() | e.isna()))
    if not ok.any():
        return out
    d0 = min(s[ok].min(), e[ok].min()).normalize()
    d1 = max(s[ok].max(), e[ok].max()).normalize()
    days = pd.date_range(d0, d1, freq="D")
    bday = np.asarray(jcal.is_business_day(days))
    span = (hours[1] - hours[0]) * 60.0
    before = np.concatenate([[0.0], np.cumsum(bday * span)[:-1]])  # business minutes before day i

    def clock(t):  # business minutes from d0 to t (cumulative business-hour clock)
        t = t[ok]
        i = ((t.normalize() - d0) // pd.Timedelta(days=1)).to_numpy().astype(int)
        mins = ((t - t.normalize()) / pd.Timedelta(minutes=1)).to_numpy()
        within = np.clip(mins - hours[0] * 60.0, 0, span)
        return before[i] + np.where(bday[i], within, 0.0)

    out[ok] = np.maximum(clock(e) - clock(s), 0.0)
    return out


def response_times(data, *, month: str) -> pd.DataFrame | None:
    """Lead response time (初動スピード) of leads created in ``month``.

    First touch = the earliest call or email on the lead (by lead_id) at or after creation.

    Returns
    -------
    DataFrame, one row per lead created in the month: lead_id, source, owner_rep_id, team_id,
    created_at, first_touch_at (NaT = not touched yet), minutes (clock), business_minutes
    (business hours on JP business days), touched (bool), within_1h (business minutes ≤ 60).
    None when leads or both calls and emails are missing.
    """
    if not data.has("leads"):
        return None
    parts = [f"SELECT lead_id, started_at AS t FROM {data.sql('calls')}"] if data.has("calls") else []
    if data.has("emails"):
        parts.append(f"SELECT lead_id, sent_at AS t FROM {data.sql('emails')}")
    if not parts:
        return None
    m = month.replace("'", "")
    # first call/email at or after creation, computed in DuckDB (the calls table can be huge)
    first = data.query(f"""
        SELECT l.lead_id, min(x.t) AS first_touch_at
        FROM (SELECT lead_id, created_at FROM {data.sql("leads")} WHERE month = '{m}') l
        JOIN ({" UNION ALL ".join(parts)}) x ON x.lead_id = l.lead_id AND x.t >= l.created_at
        GROUP BY l.lead_id""")
    leads = data.leads[data.leads["month"] == month]
    first["first_touch_at"] = pd.to_datetime(first["first_touch_at"], utc=True).dt.tz_convert(data.tz)
    out = leads[["lead_id", "source", "owner_rep_id", "team_id", "created_at"]].merge(first, on="lead_id", how="left")
    out["minutes"] = (out["first_touch_at"] - out["created_at"]).dt.total_seconds() / 60
    out["business_minutes"] = business_minutes(out["created_at"], out["first_touch_at"])
    out["touched"] = out["first_touch_at"].notna()
    out["within_1h"] = out["business_minutes"] <= 60
    return out.reset_index(drop=True)


def response_summary(rt: pd.DataFrame, *, by: str | None = None) -> pd.DataFrame:
    """Median / quartiles of business-minute response time and the share within 1 hour.

    Returns
    -------
    DataFrame (one row, or one per ``by`` value): [by], n_leads, n_touched, median_minutes,
    p25_minutes, p75_minutes, p90_minutes (business minutes, touched leads), k (within 1 h),
    n (= n_leads: untouched leads count as not within 1 h), rate, ci_low, ci_high.
    """
    groups = [((None,), rt)] if by is None else rt.groupby(by, observed=True)
    rows = []
    for key, g in groups:
        bm = g.loc[g["touched"], "business_minutes"]
        k, n = int(g["within_1h"].sum()), int(len(g))
        lo, hi = kst.wilson_ci(k, n)
        row = {} if by is None else {by: key if not isinstance(key, tuple) else key[0]}
        row.update(
            {
                "n_leads": n,
                "n_touched": int(g["touched"].sum()),
                "median_minutes": float(bm.median()) if len(bm) else np.nan,
                "p25_minutes": float(bm.quantile(0.25)) if len(bm) else np.nan,
                "p75_minutes": float(bm.quantile(0.75)) if len(bm) else np.nan,
                "p90_minutes": float(bm.quantile(0.9)) if len(bm) else np.nan,
                "k": k,
                "n": n,
                "rate": kst.safe_ratio(k, n),
                "ci_low": lo,
                "ci_high": hi,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# BDR / nurturing
def bdr_view(tree: pd.DataFrame) -> pd.DataFrame:
    """BDR reps: decision-maker contact rate (with interval) and target-account contacts."""
    r = tree[
        (tree["level"] == "rep")
        & (tree["role"] == "BDR")
        & tree["kpi_id"].isin(["decision_maker_rate", "target_account_contacts"])
    ]
    return r[
        [
            "team_id",
            "rep_id",
            "rep_name",
            "kpi_id",
            "actual",
            "k",
            "n",
            "ci_low",
            "ci_high",
            "too_small",
            "previous",
            "change",
        ]
    ].reset_index(drop=True)


def email_rates(
    data, *, month: str, rep_period: pd.DataFrame, by: str = "team_id", min_trials: int = 30
) -> pd.DataFrame | None:
    """Email open / click / reply rates of the month with Wilson intervals.

    Returns
    -------
    DataFrame: [by], kpi_id, k, n, rate, ci_low, ci_high, too_small. None without emails.
    """
    if not data.has("emails"):
        return None
    start = pd.Period(month, freq="M").start_time
    rp = rep_period[pd.to_datetime(rep_period["period"]) == start]
    g = rp.groupby(by)[["emails_sent", "emails_opened", "emails_clicked", "emails_replied"]].sum()
    rows = []
    for kid, num in (
        ("email_open_rate", "emails_opened"),
        ("email_click_rate", "emails_clicked"),
        ("email_reply_rate", "emails_replied"),
    ):
        t = kst.proportion_table(g[num], g["emails_sent"], min_trials=min_trials)
        t.insert(0, "kpi_id", kid)
        rows.append(t.reset_index())
    return pd.concat(rows, ignore_index=True)


def mql_sql(data, *, month: str, min_trials: int = 20) -> pd.DataFrame | None:
    """MQL → SQL conversion of leads that became MQL in ``month`` (by team), Wilson interval.

    Returns
    -------
    DataFrame: team_id, n (MQLs), k (of them reached SQL by the data's end), rate, ci_low,
    ci_high, too_small. None without leads or without any mql_at.
    """
    if not data.has("leads"):
        return None
    leads = data.leads
    if leads["mql_at"].isna().all():
        return None
    mm = leads["mql_at"].dt.tz_convert(data.tz).dt.strftime("%Y-%m")
    c = leads[leads["mql_at"].notna() & (mm == month)]
    g = c.assign(s=c["sql_at"].notna().astype(int)).groupby("team_id")["s"]
    t = kst.proportion_table(g.sum(), g.size(), min_trials=min_trials)
    return t.reset_index()


def conversion_by_source(data, *, month: str, months: int = 3, min_trials: int = 20) -> pd.DataFrame | None:
    """Deal conversion by lead source: share of leads created in the window (the month and the
    ``months`` − 1 before it) that have a deal, Wilson interval, BH-adjusted p-values of
    each source against all others (two-proportion z-test).

    Returns
    -------
    DataFrame, one row per source, best first: source, n (leads), k (with a deal), rate,
    ci_low, ci_high, too_small, p_val, p_adj. None without leads or deals.
    """
    if not (data.has("leads") and data.has("deals")):
        return None
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    last = pd.Period(month, freq="M")
    window = {str(last - i) for i in range(months)}
    leads = data.leads[data.leads["month"].isin(window)]
    with_deal = set(data.deals["lead_id"].dropna())
    leads = leads.assign(deal=leads["lead_id"].isin(with_deal).astype(int))
    g = leads.groupby("source")["deal"]
    k, n = g.sum(), g.size()
    t = kst.proportion_table(k, n, min_trials=min_trials)
    from scipy import stats as st

    K, N = k.sum(), n.sum()
    p = []
    for src in t.index:
        k1, n1, k2, n2 = k[src], n[src], K - k[src], N - n[src]
        if n1 == 0 or n2 == 0:
            p.append(np.nan)
            continue
        pp = (k1 + k2) / (n1 + n2)
        se = np.sqrt(pp * (1 - pp) * (1 / n1 + 1 / n2))
        p.append(float(2 * st.norm.sf(abs(k1 / n1 - k2 / n2) / se)) if se > 0 else np.nan)
    t["p_val"] = p
    t["p_adj"] = kst.bh_adjust(t["p_val"])
    return t.reset_index().sort_values("rate", ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# deal quality
def quality_view(data, *, month: str, months: int = 6, min_trials: int = 30) -> dict | None:
    """The deal-quality section: scores of the month's deals, per rep, and the score–win relation
    of deals closed in the ``months`` ending with ``month``.

    Returns
    -------
    dict with scores (:func:`quality.quality_score` of deals created in the month), by_rep
    (:func:`quality.score_by_rep` with rep_name, team_id; team then best first), bands
    (:func:`quality.win_rate_by_score` of the closed deals), relation
    (:func:`quality.score_win_relation`), mean_by_team ({team_id: mean score}). None without deals.
    """
    if not data.has("deals"):
        return None
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    qs = quality.quality_score(data.deals)
    q_month = qs[qs["month"] == month]
    by_rep = quality.score_by_rep(q_month).merge(data.reps[["rep_id", "rep_name", "team_id"]], on="rep_id")
    by_rep = by_rep.sort_values(["team_id", "mean_score"], ascending=[True, False]).reset_index(drop=True)
    window = [str(pd.Period(month, "M") - i) for i in range(months)]
    closed = qs[qs["closed_month"].isin(window)]
    return {
        "scores": q_month,
        "by_rep": by_rep,
        "mean_by_team": q_month.groupby("team_id")["score"].mean().astype(float).to_dict(),
        "bands": quality.win_rate_by_score(closed, min_trials=min_trials),
        "relation": quality.score_win_relation(closed),
    }
