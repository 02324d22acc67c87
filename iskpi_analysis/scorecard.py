"""The monthly KPI scorecard: KPI tree vs phase targets, alerts, SDR/BDR and nurturing views,
the SMART check of the targets file, and the Japanese summary.

KPI tree
    Every KPI of the dictionary that the data can measure, per team and per rep, grouped
    behavioural → tactical → strategic, with the month's actual, the target of the team's phase
    template (phase from months since the team's launch unless a parameter overrides it;
    ``targets_file`` = a user-edited template), attainment, change from last month and an alert
    level.

Units. A KPI is shown in the unit its target is set in (``per`` in the template; if the team's
phase has no target for it, the unit another phase uses): ``rep_day`` = month total / rep
business days worked (e.g. calls per rep per day), ``rep_month`` = total per rep (team rows: the
average per active rep), ``team_month`` = the team total (rep rows carry no target). Rates are
ratios of sums with count and Wilson interval; points are the mean deal quality score.
When the month is not complete, ``rep_month``/``team_month`` targets are pro-rated by business
days elapsed (``target_basis = "prorated"``); the month-end view is in :mod:`pacing`.

Alert levels (``alert``): ``ok`` attainment ≥ 1; ``watch`` attainment in [``alert_below``, 1) or
a rate whose Wilson interval still reaches the target; ``alert`` attainment < ``alert_below``
(default 0.8) and, for rates, the whole interval below target; ``small`` too few trials to judge;
``none`` no target. For "lower is better" KPIs attainment = target / actual.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import calendar as jcal
from . import config, fmt, funnel, io, kpis, pacing, plan, quality
from . import stats as kst
from .catalog import has, t

ALERT_LEVELS = ("ok", "watch", "alert", "small", "none")


def alert_label(alert: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of an alert level (``ok`` → 達成 / On target)."""
    return t(f"scorecard.alert.{alert}", lang=lang)


def per_label(per: str | None, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing unit of a target (``rep_day`` → 1人1日あたり / per rep per day); "" for None."""
    return t(f"scorecard.per.{per}", lang=lang) if per else ""


def level_label(level: str, *, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of a tree level (``team`` / ``rep``)."""
    return t(f"scorecard.level.{level}", lang=lang)


#: {per: {lang: unit label}} for callers written against the old table (phase); from the catalog.
PER_LABELS = {p: {lg: per_label(p, lang=lg) for lg in config.LANGS}
              for p in ("rep_day", "rep_month", "team_month", None)}
# KPIs the tree computes (dictionary ids); economics (CAC, LTV, ROI) come from :mod:`economics`.
TREE_KPIS = ("calls", "connects", "valid_conversations", "emails_sent", "appointments",
             "target_account_contacts", "first_response_minutes",
             "connect_rate", "conversation_rate", "appointment_rate", "deals_created",
             "deal_conversion", "email_open_rate", "email_click_rate", "email_reply_rate",
             "sql_count", "mql_to_sql_rate", "decision_maker_rate", "deal_quality_score",
             "handoff_win_rate", "deal_amount_jpy", "won_amount_jpy", "pipeline_jpy")


#: KPIs that only mean something for BDRs (team rows count BDRs only).
BDR_KPIS = ("decision_maker_rate", "target_account_contacts")


_check_lang = kpis._check_lang


def previous_month(month: str) -> str:
    return str(pd.Period(month, freq="M") - 1)


# ---------------------------------------------------------------------------------------------
# phase
def months_since_launch(launched_on, month: str) -> int:
    """Whole months from the launch date to the first day of ``month`` (0 in the launch month)."""
    start = pd.Period(month, freq="M").start_time
    lo = pd.Timestamp(launched_on)
    m = (start.year - lo.year) * 12 + (start.month - lo.month)
    return int(m - (1 if start.day < lo.day else 0)) if m > 0 else max(m, 0)


def phase_of(months: int) -> str:
    """The seed's phase for months since launch (launch 0–6, growth 6–12, mature 12+)."""
    for ph in kpis.PHASES:
        lo, hi = kpis.phase_months(ph)
        if lo <= months < hi:
            return ph
    return kpis.PHASES[-1]


def team_phases(data, *, month: str, phase: str | None = None,
                lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """Phase of every team for the month.

    Parameters
    ----------
    phase : None/"" = by months since launch; a phase name overrides it for every team.

    Returns
    -------
    DataFrame, one row per team: team_id, team_name, launched_on, months_since_launch, phase,
    phase_label, phase_basis ("months_since_launch", "parameter" or "no_launch_date").
    """
    if phase not in (None, "", *kpis.PHASES):
        raise ValueError(f"phase must be one of {('', *kpis.PHASES)}, got {phase!r}")
    if data.has("teams"):
        t = data.teams[["team_id", "team_name", "launched_on"]].copy()
    else:
        t = pd.DataFrame({"team_id": sorted(data.reps["team_id"].unique())})
        t["team_name"], t["launched_on"] = t["team_id"], pd.NaT
    rows = []
    for r in t.itertuples(index=False):
        m = months_since_launch(r.launched_on, month) if pd.notna(r.launched_on) else np.nan
        if phase:
            ph, basis = phase, "parameter"
        elif pd.notna(r.launched_on):
            ph, basis = phase_of(int(m)), "months_since_launch"
        else:
            ph, basis = "launch", "no_launch_date"
        rows.append({"team_id": r.team_id, "team_name": r.team_name, "launched_on": r.launched_on,
                     "months_since_launch": m, "phase": ph, "phase_label": kpis.phase_label(ph, lang),
                     "phase_basis": basis})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# response time
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
        FROM (SELECT lead_id, created_at FROM {data.sql('leads')} WHERE month = '{m}') l
        JOIN ({' UNION ALL '.join(parts)}) x ON x.lead_id = l.lead_id AND x.t >= l.created_at
        GROUP BY l.lead_id""")
    leads = data.leads[data.leads["month"] == month]
    first["first_touch_at"] = pd.to_datetime(first["first_touch_at"], utc=True).dt.tz_convert(data.tz)
    out = leads[["lead_id", "source", "owner_rep_id", "team_id", "created_at"]].merge(
        first, on="lead_id", how="left")
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
        row.update({"n_leads": n, "n_touched": int(g["touched"].sum()),
                    "median_minutes": float(bm.median()) if len(bm) else np.nan,
                    "p25_minutes": float(bm.quantile(0.25)) if len(bm) else np.nan,
                    "p75_minutes": float(bm.quantile(0.75)) if len(bm) else np.nan,
                    "p90_minutes": float(bm.quantile(0.9)) if len(bm) else np.nan,
                    "k": k, "n": n, "rate": kst.safe_ratio(k, n), "ci_low": lo, "ci_high": hi})
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# per-month measurements
def _rep_month_business_days(reps: pd.DataFrame, month: str) -> pd.Series:
    """Business days of the whole month each rep is employed (for month targets)."""
    bd = jcal.month_business_days(month)
    out = {}
    for r in reps.itertuples(index=False):
        left = r.left_on if pd.notna(r.left_on) else pd.Timestamp.max
        out[r.rep_id] = int(((bd >= pd.Timestamp(r.joined_on)) & (bd <= left)).sum())
    return pd.Series(out, dtype="int64")


def _month_event_reps(data, month: str) -> list:
    """Reps who own a lead that became MQL/SQL in ``month`` or have a deal created, closed or
    open in it (the events :func:`measures` counts beside rep_period)."""
    start, end = io.month_bounds(month)
    ids: set = set()
    if data.has("leads"):
        s_ts, e_ts = pd.Timestamp(start).tz_localize(data.tz), pd.Timestamp(end).tz_localize(data.tz)
        lv = data.leads
        inm = ((lv["sql_at"] >= s_ts) & (lv["sql_at"] < e_ts)) | ((lv["mql_at"] >= s_ts) & (lv["mql_at"] < e_ts))
        ids |= set(lv.loc[inm, "owner_rep_id"].dropna())
    if data.has("deals"):
        d = data.deals
        end_ts = pd.Timestamp(end).tz_localize(data.tz)
        open_end = (d["created_at"] < end_ts) & (d["closed_at"].isna() | (d["closed_at"] >= end_ts))
        ids |= set(d.loc[(d["month"] == month) | (d["closed_month"] == month) | open_end, "rep_id"])
    known = set(data.reps["rep_id"])
    return sorted(i for i in ids if i in known)


def measures(data, *, month: str, rep_period: pd.DataFrame, response_times_: pd.DataFrame | None = None,
             response: bool = True) -> pd.DataFrame:
    """Raw monthly measurements per rep: counts, rate parts and amounts (one row per rep).

    Returns
    -------
    DataFrame indexed by rep_id with team_id, role, n_days (rep business days in the data this
    month), the count columns of rep_period plus target_account_contacts, sqls_created
    (sql_at in month, owner), mqls / sqls (MQL cohort of the month and how many reached SQL),
    deals_won, deals_closed, won_amount_jpy, pipeline_jpy (open at month end), quality_sum,
    quality_n, response_minutes_sum / response_n (median needs rows: see response_times),
    response_median (business minutes).
    """
    start, end = io.month_bounds(month)
    rp = rep_period[pd.to_datetime(rep_period["period"]) == start]
    num_cols = [c for c in ("n_days", "calls", "connects", "valid_conversations", "appointments",
                            "decision_maker_connects", "emails_sent", "emails_opened",
                            "emails_clicked", "emails_replied", "leads_handled", "deals_created",
                            "deal_amount_jpy") if c in rp.columns]
    m = rp.groupby("rep_id")[num_cols].sum()
    # A rep with no row this month (left earlier) can still own the month's SQLs or close its
    # deals: give them a zero row so their events reach the team totals instead of vanishing.
    m = m.reindex(m.index.union(pd.Index(_month_event_reps(data, month), dtype=m.index.dtype)),
                  fill_value=0)
    reps = data.reps.set_index("rep_id")
    m = m.join(reps[["team_id", "role"]], how="left")
    for c in ("emails_sent", "emails_opened", "emails_clicked", "emails_replied", "deals_created",
              "deal_amount_jpy"):
        if c not in m:
            m[c] = np.nan
    m_ = month.replace("'", "")
    tac = data.query(f"""SELECT rep_id, count(DISTINCT lead_id) AS n FROM {data.sql('calls')}
        WHERE month = '{m_}' AND connected AND role = 'BDR' AND lead_id IS NOT NULL GROUP BY rep_id""")
    m["target_account_contacts"] = tac.set_index("rep_id")["n"].astype(float)
    m.loc[m["role"] == "BDR", "target_account_contacts"] = (
        m.loc[m["role"] == "BDR", "target_account_contacts"].fillna(0))
    if data.has("leads"):
        leads = data.leads
        s_ts, e_ts = pd.Timestamp(start).tz_localize(data.tz), pd.Timestamp(end).tz_localize(data.tz)
        sql_in = leads[(leads["sql_at"] >= s_ts) & (leads["sql_at"] < e_ts)]
        m["sqls_created"] = sql_in.groupby("owner_rep_id").size()
        mq = leads[(leads["mql_at"] >= s_ts) & (leads["mql_at"] < e_ts)]
        m["mqls"] = mq.groupby("owner_rep_id").size()
        m["sqls"] = mq[mq["sql_at"].notna()].groupby("owner_rep_id").size()
        for c in ("sqls_created", "mqls", "sqls"):
            m[c] = m[c].fillna(0)
        rt = None
        if response:
            rt = response_times_ if response_times_ is not None else response_times(data, month=month)
        if rt is not None and len(rt):
            g = rt[rt["touched"]].groupby("owner_rep_id")["business_minutes"]
            m["response_median"] = g.median()
            m["response_n"] = g.size()
    else:
        for c in ("sqls_created", "mqls", "sqls"):
            m[c] = np.nan
    if data.has("deals"):
        d = data.deals
        closed = d[(d["closed_month"] == month) & d["status"].isin(["won", "lost"])]
        m["deals_won"] = closed[closed["status"] == "won"].groupby("rep_id").size()
        m["deals_closed"] = closed.groupby("rep_id").size()
        m["won_amount_jpy"] = closed[closed["status"] == "won"].groupby("rep_id")["amount_jpy"].sum()
        end_ts = pd.Timestamp(end).tz_localize(data.tz)
        open_end = d[(d["created_at"] < end_ts)
                     & (d["closed_at"].isna() | (d["closed_at"] >= end_ts))]
        m["pipeline_jpy"] = open_end.groupby("rep_id")["amount_jpy"].sum()
        for c in ("deals_won", "deals_closed", "won_amount_jpy", "pipeline_jpy"):
            m[c] = m[c].fillna(0)
        created = d[d["month"] == month]
        if len(created):
            q = quality.quality_score(created)
            g = q.groupby("rep_id")["score"]
            m["quality_sum"], m["quality_n"] = g.sum(), g.size()
    for c in ("deals_won", "deals_closed", "won_amount_jpy", "pipeline_jpy", "quality_sum",
              "quality_n", "response_median", "response_n"):
        if c not in m:
            m[c] = np.nan
    m["full_month_days"] = _rep_month_business_days(data.reps, month).reindex(m.index)
    return m


# rate KPI → (numerator column, denominator column) in :func:`measures`
_RATE_PARTS = {
    "connect_rate": ("connects", "calls"),
    "conversation_rate": ("valid_conversations", "connects"),
    "appointment_rate": ("appointments", "valid_conversations"),
    "deal_conversion": ("deals_created", "leads_handled"),
    "email_open_rate": ("emails_opened", "emails_sent"),
    "email_click_rate": ("emails_clicked", "emails_sent"),
    "email_reply_rate": ("emails_replied", "emails_sent"),
    "mql_to_sql_rate": ("sqls", "mqls"),
    "decision_maker_rate": ("decision_maker_connects", "connects"),
    "handoff_win_rate": ("deals_won", "deals_closed"),
}
# count / amount KPI → column in :func:`measures`
_TOTAL_COL = {"calls": "calls", "connects": "connects", "valid_conversations": "valid_conversations",
              "emails_sent": "emails_sent", "appointments": "appointments",
              "target_account_contacts": "target_account_contacts", "deals_created": "deals_created",
              "sql_count": "sqls_created", "deal_amount_jpy": "deal_amount_jpy",
              "won_amount_jpy": "won_amount_jpy", "pipeline_jpy": "pipeline_jpy"}


def _kpi_specs(targets_all: pd.DataFrame) -> dict:
    """{(phase, kpi_id): spec dict}; a KPI not in a phase gets another phase's unit (``per``)
    with target NaN."""
    out = {}
    recs = targets_all.to_dict("records")
    for ph in kpis.PHASES:
        for r in recs:
            if r["phase"] == ph:
                out[(ph, r["kpi_id"])] = r
        for r in recs:
            if (ph, r["kpi_id"]) not in out:
                out[(ph, r["kpi_id"])] = {**r, "target": np.nan}
    return out


def _value(kpi_id: str, g: pd.DataFrame, per, level: str) -> dict:
    """Actual of one KPI for a group of reps (rows of :func:`measures`)."""
    if kpi_id in BDR_KPIS and level == "team":
        g = g[g["role"] == "BDR"]  # BDR KPIs of a team: its BDRs only
        if not len(g):
            return {"actual": np.nan, "total": np.nan, "k": np.nan, "n": np.nan}
    if kpi_id in _RATE_PARTS:
        num, den = _RATE_PARTS[kpi_id]
        k, n = float(g[num].sum(min_count=1)), float(g[den].sum(min_count=1))
        if not np.isfinite(n) or not np.isfinite(k):
            return {"actual": np.nan, "total": np.nan, "k": np.nan, "n": np.nan}
        return {"actual": kst.safe_ratio(k, n), "total": np.nan, "k": k, "n": n}
    if kpi_id == "deal_quality_score":
        n = float(g["quality_n"].sum(min_count=1))
        return {"actual": kst.safe_ratio(g["quality_sum"].sum(), n) if n == n else np.nan,
                "total": np.nan, "k": np.nan, "n": n}
    if kpi_id == "first_response_minutes":
        # the median of rep medians would be wrong for a team: team rows use the pooled median
        return {"actual": np.nan, "total": np.nan, "k": np.nan, "n": float(g["response_n"].sum())}
    col = _TOTAL_COL[kpi_id]
    if col not in g or g[col].isna().all():
        return {"actual": np.nan, "total": np.nan, "k": np.nan, "n": np.nan}
    total = float(g[col].sum())
    if per == "rep_day":
        days = float(g["n_days"].sum())
        return {"actual": kst.safe_ratio(total, days), "total": total, "k": np.nan, "n": days}
    if per == "rep_month" and level == "team":
        nrep = float((g["n_days"] > 0).sum())
        return {"actual": kst.safe_ratio(total, nrep), "total": total, "k": np.nan, "n": nrep}
    return {"actual": total, "total": total, "k": np.nan, "n": np.nan}


def _attain(actual, target, direction):
    if not (np.isfinite(actual) and np.isfinite(target)) or target <= 0:
        return np.nan
    if direction == "lower":
        return target / actual if actual > 0 else np.inf
    return actual / target


def _alert(att, ci_low, ci_high, target, direction, too_small, alert_below):
    if not np.isfinite(target):
        return "none"
    if too_small:
        return "small"
    if not np.isfinite(att):
        return "none"
    if att >= 1:
        return "ok"
    if np.isfinite(ci_low) and np.isfinite(ci_high):
        reaches = ci_high >= target if direction == "higher" else ci_low <= target
        if reaches:
            return "watch"
    return "alert" if att < alert_below else "watch"


def kpi_tree(data, *, month: str, rep_period: pd.DataFrame, phase: str | None = None,
             targets_file: str | None = None, lang: str = config.DEFAULT_LANG,
             min_trials: int = 30, alert_below: float = 0.8, as_of=None) -> pd.DataFrame:
    """The month's KPI tree per team and per rep.

    Parameters
    ----------
    data : Dataset (teams, reps, calls; emails, leads, deals used when present).
    rep_period : ``aggregate.rep_period(data, grain="month")`` (must contain the month and,
        for the change column, the month before).
    phase : override the phase of every team (None/"" = by months since launch).
    targets_file : an edited phase target file (None/"" = the shipped defaults).
    min_trials : rates with fewer trials (and counts/day with fewer rep-days) are ``small``.
    alert_below : attainment below this is an ``alert`` (between it and 1: ``watch``).
    as_of : last day with data (default: the data's last date); for pro-rating month targets.

    Returns
    -------
    DataFrame, one row per level × entity × KPI, columns
        level ("team"/"rep"), level_label, team_id, rep_id (NA on team rows), rep_name, role,
        phase, phase_label, tier, tier_order (0 behavioural … 2 strategic), tier_label, kpi_id,
        label, unit, direction, per, per_label, importance (stars; 0 = not in the phase),
        in_phase (the team's phase template has this KPI), actual, total (month total for
        counts/amounts), k, n (rate parts; rep-days or reps for per-rep averages; deals scored),
        ci_low, ci_high (Wilson, rates), too_small, target, target_basis ("phase",
        "prorated", "none"), month_target (the whole month's total target for counts and
        amounts: per-rep-day target × rep business days of the month, × active reps, or the team
        target; NaN for levels), attainment, previous (last month's actual), change (actual −
        previous), alert (ok/watch/alert/small/none), alert_label, value_text, target_text.
    """
    _check_lang(lang)
    if not 0 < alert_below <= 1:
        raise ValueError(f"alert_below must be in (0, 1], got {alert_below}")
    phases = team_phases(data, month=month, phase=phase, lang=lang).set_index("team_id")
    targets_all = kpis.phase_targets(None, targets_file=targets_file or None, lang=lang)
    specs = _kpi_specs(targets_all)
    prev_month = previous_month(month)
    has_prev = (pd.to_datetime(rep_period["period"]) == pd.Period(prev_month, freq="M").start_time).any()
    rt = response_times(data, month=month)
    rt_prev = response_times(data, month=prev_month) if has_prev else None
    cur = measures(data, month=month, rep_period=rep_period, response_times_=rt)
    prev = (measures(data, month=prev_month, rep_period=rep_period, response_times_=rt_prev)
            if has_prev else None)
    d = pacing.month_days(month, as_of if as_of is not None else data.last_date)
    frac = d["elapsed"] / d["business_days"] if d["business_days"] else 1.0
    rep_names = data.reps.set_index("rep_id")["rep_name"] if "rep_name" in data.reps else None
    avail = [k for k in TREE_KPIS if _measurable(k, data)]
    rows = []
    for team_id, ph in phases.iterrows():
        team_cur = cur[cur["team_id"] == team_id]
        if not len(team_cur):
            continue
        team_prev = prev[prev["team_id"] == team_id] if prev is not None else None
        entities = [("team", None, team_cur, team_prev)]
        for rep_id in team_cur.index[team_cur["n_days"] > 0]:
            entities.append(("rep", rep_id, team_cur.loc[[rep_id]],
                             team_prev.loc[[rep_id]] if team_prev is not None and rep_id in team_prev.index else None))
        for level, rep_id, g, gp in entities:
            for kpi_id in avail:
                k = kpis.get(kpi_id)
                spec = specs.get((ph["phase"], kpi_id))
                per = None if spec is None else spec["per"]
                per = None if per is None or (isinstance(per, float) and np.isnan(per)) else per
                in_phase = spec is not None and bool(np.isfinite(spec["target"]))
                v = _value(kpi_id, g, per, level)
                pv = _value(kpi_id, gp, per, level) if gp is not None and len(gp) else {"actual": np.nan}
                if kpi_id == "first_response_minutes":
                    v["actual"], pv["actual"] = _rt_median(rt, team_id, rep_id), _rt_median(rt_prev, team_id, rep_id)
                target, basis = (float(spec["target"]), "phase") if in_phase else (np.nan, "none")
                month_target = np.nan
                if in_phase and per is not None:
                    mult = {"rep_day": float(g["full_month_days"].sum()),
                            "rep_month": float((g["n_days"] > 0).sum()),
                            "team_month": 1.0 if level == "team" else np.nan}[per]
                    month_target = target * mult
                if in_phase and per == "team_month" and level == "rep":
                    target, basis = np.nan, "none"
                if in_phase and per in ("rep_month", "team_month") and frac < 1 and np.isfinite(target):
                    target, basis = target * frac, "prorated"
                if k.is_rate and np.isfinite(v["n"]) and np.isfinite(v["k"]) and v["k"] <= v["n"]:
                    lo, hi = kst.wilson_ci(v["k"], v["n"])
                else:
                    lo, hi = np.nan, np.nan
                too_small = bool(k.is_rate and (not np.isfinite(v["n"]) or v["n"] < min_trials))
                att = _attain(v["actual"], target, k.direction)
                alert = _alert(att, lo, hi, target, k.direction, too_small, alert_below)
                rows.append({
                    "level": level, "level_label": level_label(level, lang=lang), "team_id": team_id,
                    "rep_id": rep_id, "rep_name": (rep_names.get(rep_id) if rep_names is not None and rep_id else None),
                    "role": g["role"].iloc[0] if level == "rep" else None,
                    "phase": ph["phase"], "phase_label": ph["phase_label"], "tier": k.tier,
                    "tier_order": kpis.TIERS.index(k.tier), "tier_label": kpis.tier_label(k.tier, lang),
                    "kpi_id": kpi_id, "label": k.label(lang), "unit": k.unit, "direction": k.direction,
                    "per": per, "per_label": per_label(per, lang=lang),
                    "importance": int(spec["importance"]) if in_phase else 0, "in_phase": in_phase,
                    "actual": v["actual"], "total": v["total"], "k": v["k"], "n": v["n"],
                    "ci_low": lo, "ci_high": hi, "too_small": too_small, "target": target,
                    "target_basis": basis, "month_target": month_target, "attainment": att, "previous": pv["actual"],
                    "change": v["actual"] - pv["actual"], "alert": alert,
                    "alert_label": alert_label(alert, lang=lang),
                    "value_text": _fmt_value(kpi_id, v["actual"], per, lang),
                    "target_text": _fmt_value(kpi_id, target, per, lang) if np.isfinite(target) else "–",
                })
    out = pd.DataFrame(rows)
    if len(out):
        out["rep_id"] = out["rep_id"].astype("string")
    return out


def _rt_median(rt, team_id, rep_id):
    if rt is None or not len(rt):
        return np.nan
    sel = rt[rt["touched"]]
    sel = sel[sel["owner_rep_id"] == rep_id] if rep_id is not None else sel[sel["team_id"] == team_id]
    return float(sel["business_minutes"].median()) if len(sel) else np.nan


def _measurable(kpi_id: str, data) -> bool:
    need = {"emails_sent": "emails", "email_open_rate": "emails", "email_click_rate": "emails",
            "email_reply_rate": "emails", "sql_count": "leads", "mql_to_sql_rate": "leads",
            "first_response_minutes": "leads", "deals_created": "deals", "deal_conversion": "deals",
            "deal_quality_score": "deals", "handoff_win_rate": "deals", "deal_amount_jpy": "deals",
            "won_amount_jpy": "deals", "pipeline_jpy": "deals"}
    if kpi_id == "target_account_contacts" or kpi_id == "decision_maker_rate":
        return bool((data.reps["role"] == "BDR").any()) if kpi_id == "target_account_contacts" else True
    return kpi_id not in need or data.has(need[kpi_id])


def format_value(kpi_id: str, x, per=None, lang: str = config.DEFAULT_LANG) -> str:
    """A KPI value in its unit (per-rep-day counts with one decimal); missing → '–'."""
    return _fmt_value(kpi_id, x, per, lang)


def _fmt_value(kpi_id, x, per, lang):
    if x is None or not np.isfinite(x):
        return "–"
    unit = kpis.get(kpi_id).unit
    if unit == "count" and (per == "rep_day" or (per == "rep_month" and not float(x).is_integer())):
        return fmt.num(x, 1)
    return fmt.kpi_value(kpi_id, x, lang)


def change_text(kpi_id: str, x, per=None, lang: str = config.DEFAULT_LANG) -> str:
    """Signed change from last month: rates in percentage points, others in the KPI's unit."""
    if x is None or not np.isfinite(x):
        return "–"
    if kpis.get(kpi_id).unit == "rate":
        return f"{x * 100:+.1f}pt"
    return ("+" if x > 0 else "") + _fmt_value(kpi_id, x, per, lang)


def alerts(tree: pd.DataFrame, *, levels=("alert", "watch")) -> pd.DataFrame:
    """Rows of the tree off target, worst first (alert before watch, then lowest attainment)."""
    bad = [lv for lv in levels if lv not in ALERT_LEVELS]
    if bad:
        raise ValueError(f"levels must be among {ALERT_LEVELS}, got {bad}")
    a = tree[tree["alert"].isin(levels)].copy()
    a["_o"] = a["alert"].map({lv: i for i, lv in enumerate(levels)})
    return a.sort_values(["_o", "level", "importance", "attainment"],
                         ascending=[True, False, False, True]).drop(columns="_o")


def team_card(tree: pd.DataFrame, team_id: str | None = None) -> pd.DataFrame:
    """The team rows of the phase's KPIs (the KPI cards), behavioural → strategic."""
    t = tree[(tree["level"] == "team") & tree["in_phase"]]
    if team_id is not None:
        t = t[t["team_id"] == team_id]
    return t.sort_values(["team_id", "tier_order", "importance"], ascending=[True, True, False])


def rep_table(tree: pd.DataFrame, *, kpi_ids=None, value: str = "actual") -> pd.DataFrame:
    """Per-rep wide table: one row per rep, one column per KPI (``value``: actual/attainment/alert).

    Default KPIs: the phase's KPIs. Returns team_id, rep_id, rep_name, role + the KPI columns
    (named by kpi_id).
    """
    if value not in ("actual", "attainment", "alert", "value_text"):
        raise ValueError(f"value must be one of ('actual', 'attainment', 'alert', 'value_text'), got {value!r}")
    r = tree[tree["level"] == "rep"]
    if kpi_ids is None:
        kpi_ids = list(dict.fromkeys(r.loc[r["in_phase"], "kpi_id"]))
    r = r[r["kpi_id"].isin(kpi_ids)].copy()
    r["rep_name"] = r["rep_name"].where(r["rep_name"].notna(), r["rep_id"]).astype(str)
    r["role"] = r["role"].astype(str)
    w = r.set_index(["team_id", "rep_id", "rep_name", "role", "kpi_id"])[value].unstack("kpi_id")
    w = w.reindex(columns=[k for k in kpi_ids if k in w.columns])
    w.columns.name = None
    return w.reset_index()


# ---------------------------------------------------------------------------------------------
# BDR / nurturing
def bdr_view(tree: pd.DataFrame) -> pd.DataFrame:
    """BDR reps: decision-maker contact rate (with interval) and target-account contacts."""
    r = tree[(tree["level"] == "rep") & (tree["role"] == "BDR")
             & tree["kpi_id"].isin(["decision_maker_rate", "target_account_contacts"])]
    return r[["team_id", "rep_id", "rep_name", "kpi_id", "label", "actual", "k", "n", "ci_low",
              "ci_high", "too_small", "previous", "change"]].reset_index(drop=True)


def email_rates(data, *, month: str, rep_period: pd.DataFrame, by: str = "team_id",
                min_trials: int = 30) -> pd.DataFrame | None:
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
    for kid, num in (("email_open_rate", "emails_opened"), ("email_click_rate", "emails_clicked"),
                     ("email_reply_rate", "emails_replied")):
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


def conversion_by_source(data, *, month: str, window_months: int = 3,
                         min_trials: int = 20) -> pd.DataFrame | None:
    """Deal conversion by lead source: share of leads created in the window (the month and the
    ``window_months`` − 1 before it) that have a deal, Wilson interval, BH-adjusted p-values of
    each source against all others (two-proportion z-test).

    Returns
    -------
    DataFrame, one row per source, best first: source, n (leads), k (with a deal), rate,
    ci_low, ci_high, too_small, p_value, p_adj. None without leads or deals.
    """
    if not (data.has("leads") and data.has("deals")):
        return None
    if window_months < 1:
        raise ValueError(f"window_months must be >= 1, got {window_months}")
    last = pd.Period(month, freq="M")
    months = {str(last - i) for i in range(window_months)}
    leads = data.leads[data.leads["month"].isin(months)]
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
    t["p_value"] = p
    t["p_adj"] = kst.bh_adjust(t["p_value"])
    return t.reset_index().sort_values("rate", ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# SMART check
def history_measures(data, *, rep_period: pd.DataFrame, month: str, history_months: int = 6,
                     response: bool = False) -> dict:
    """:func:`measures` of the ``history_months`` months before ``month`` that are in rep_period
    ({"YYYY-MM": DataFrame}); pass to :func:`smart_check` to reuse across phases."""
    last = pd.Period(month, freq="M")
    present = set(pd.to_datetime(rep_period["period"]))
    out = {}
    for i in range(history_months, 0, -1):
        p = last - i
        if p.start_time in present:
            out[str(p)] = measures(data, month=str(p), rep_period=rep_period, response=response)
    return out


def smart_check(data, *, phase: str, rep_period: pd.DataFrame, month: str,
                targets_file: str | None = None, history_months: int = 6,
                history: dict | None = None, team_ids=None,
                lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """SMART check of the phase's targets in the targets file.

    Specific: the KPI is in the dictionary with a formula. Measurable: the data can compute it
    (its tables are present). Time-bound: a count/amount has a period (``per``); rates, points
    and ratios are judged per month. Achievable: the target lies within what the team's own
    rep-months (per-rep targets, rates and points; team-months for team targets and ratios)
    reached in the ``history_months`` before ``month`` — at least
    10 % of them reached it (``share_reaching``); ``too_easy`` when 90 % already do.
    Relevant needs people's judgement and is not scored. ``history`` (from
    :func:`history_measures`) avoids recomputing the months; ``team_ids`` restricts the history
    to the teams that use these targets.

    Returns
    -------
    DataFrame, one row per target: kpi_id, label, target, per, specific, measurable,
    time_bound, n_history (periods in the history), share_reaching, achievable (bool or NA
    without history), too_easy, ok (all judged items pass), note (sentence in ``lang``).
    """
    _check_lang(lang)
    t = kpis.phase_targets(phase, targets_file=targets_file or None, lang=lang)
    hist = history if history is not None else history_measures(
        data, rep_period=rep_period, month=month, history_months=history_months,
        response="first_response_minutes" in set(t["kpi_id"]))
    if team_ids is not None:
        keep = set([team_ids] if isinstance(team_ids, str) else team_ids)
        hist = {k: v[v["team_id"].isin(keep)] for k, v in hist.items()}
    rows = []
    for r in t.itertuples(index=False):
        k = kpis.get(r.kpi_id)
        specific = bool(k.formula)
        measurable = r.kpi_id in TREE_KPIS and _measurable(r.kpi_id, data)
        time_bound = k.unit not in ("count", "jpy") or r.per is not None
        vals = []
        for mstr, mm in hist.items():
            if not measurable or not len(mm):
                continue
            if r.per in ("rep_day", "rep_month") or k.unit in ("rate", "points"):
                for rep_id in mm.index[mm["n_days"] > 0]:
                    vals.append(_value(r.kpi_id, mm.loc[[rep_id]], r.per, "rep")["actual"])
            else:
                for team_id, g in mm.groupby("team_id"):
                    vals.append(_value(r.kpi_id, g, r.per, "team")["actual"])
        vals = np.array([v for v in vals if v is not None and np.isfinite(v)])
        if len(vals):
            reach = vals <= r.target if k.direction == "lower" else vals >= r.target
            share = float(reach.mean())
            achievable, too_easy = share >= 0.1, share >= 0.9
        else:
            share, achievable, too_easy = np.nan, pd.NA, pd.NA
        judged = [specific, measurable, time_bound] + ([bool(achievable)] if achievable is not pd.NA else [])
        ok = all(judged) and not (too_easy is True)
        rows.append({"kpi_id": r.kpi_id, "label": r.label, "target": r.target, "per": r.per,
                     "specific": specific, "measurable": measurable, "time_bound": time_bound,
                     "n_history": int(len(vals)), "share_reaching": share,
                     "achievable": achievable, "too_easy": too_easy, "ok": ok,
                     "note": _smart_note(r, k, measurable, time_bound, share, len(vals), lang)})
    return pd.DataFrame(rows)


def _smart_note(r, k, measurable, time_bound, share, n, lang):
    """The SMART verdict of one target as a sentence (the verdict is decided in smart_check)."""
    if not measurable:
        return t("scorecard.smart.not_measurable", lang=lang, label=r.label)
    if not time_bound:
        return t("scorecard.smart.no_period", lang=lang, label=r.label)
    if n == 0:
        return t("scorecard.smart.no_history", lang=lang, label=r.label)
    key = "unrealistic" if share < 0.1 else "too_easy" if share >= 0.9 else "fair"
    return t(f"scorecard.smart.{key}", lang=lang, label=r.label, n=n, share=fmt.pct(share, 0),
             target=_fmt_value(r.kpi_id, r.target, r.per, lang))


# ---------------------------------------------------------------------------------------------
# summary
def findings_summary(tree: pd.DataFrame, *, team_id: str | None = None, bottleneck: dict | None = None,
                     pacing_rows: pd.DataFrame | None = None, plan: dict | None = None,
                     month: str = "", lang: str = config.DEFAULT_LANG) -> list[str]:
    """3–5 sentences for leadership, generated from the numbers.

    Parameters
    ----------
    tree : :func:`kpi_tree` output.
    team_id : which team (default: the first team in the tree).
    bottleneck : :func:`funnel.bottleneck` output for that team.
    pacing_rows : :func:`pacing.pacing_table` rows (with targets) for that team.
    plan : dict with goal, goal_label, calls_plain, p_plain, calls_prob, probability,
        calls_projected (optional; month-end projected calls).

    Returns
    -------
    list of sentences in ``lang``: on-track count, what is furthest off, the bottleneck with
    the seed's reading and how sure, the landing forecast, what to do.
    """
    _check_lang(lang)
    if team_id is None and len(tree):
        team_id = tree["team_id"].iloc[0]
    out = _targets_sentences(team_card(tree, team_id), month=month, lang=lang)
    if bottleneck and bottleneck.get("stage"):
        out.append(_bottleneck_sentence(bottleneck, lang=lang))
    if pacing_rows is not None and len(pacing_rows):
        s = _landing_sentence(pacing_rows, lang=lang)
        if s:
            out.append(s)
    if plan and plan.get("calls_prob"):
        out.append(_plan_sentence(plan, lang=lang))
    if len(out) < 3:  # little to judge (few targets / missing tables): add the activity level
        s = _activity_sentence(tree, team_id, lang=lang)
        if s:
            out.insert(1, s)
    return out[:5]


def _targets_sentences(card: pd.DataFrame, *, month: str, lang: str) -> list[str]:
    """How many phase targets are on track, and the two furthest off (with how sure)."""
    judged = card[card["alert"].isin(["ok", "watch", "alert"])]
    if not len(judged):
        return [t("scorecard.summary.nothing_judged", lang=lang, month=month)]
    ok = judged[judged["alert"] == "ok"]
    detail = (t("scorecard.summary.detail", lang=lang,
                items=t("scorecard.summary.list_sep", lang=lang).join(ok["label"])) if len(ok) else "")
    out = [t("scorecard.summary.on_track", lang=lang, month=month, phase=card["phase_label"].iloc[0],
             judged=len(judged), ok=len(ok), detail=detail)]
    bad = judged[judged["alert"] != "ok"]
    if len(bad):
        worst = bad.sort_values("attainment").head(2)
        items = [t("scorecard.summary.off_item", lang=lang, label=r.label, value=r.value_text,
                   per=t("scorecard.summary.per", lang=lang, per=r.per_label) if r.per_label else "",
                   target=r.target_text, attainment=fmt.pct(r.attainment, 0))
                 for r in worst.itertuples()]
        sure = any(r.alert == "alert" for r in worst.itertuples())
        out.append(t("scorecard.summary.off_sure" if sure else "scorecard.summary.off_noise", lang=lang,
                     items=t("scorecard.summary.item_sep", lang=lang).join(items)))
    return out


def _bottleneck_sentence(b: dict, *, lang: str) -> str:
    """The funnel bottleneck with its certainty and the seeds' reading."""
    if b["stage"] == "calls":
        return b["reading"]
    cert = t("scorecard.summary.certainty_sure" if b["certainty"] == "sure"
             else "scorecard.summary.certainty_likely", lang=lang)
    return t("scorecard.summary.bottleneck", lang=lang, label=b["label"], rate=fmt.pct(b["rate"]),
             target=fmt.pct(b["target"]), certainty=cert, reading=b["reading"])


def _kpi_text(kpi_id: str, x, lang: str) -> str:
    """A count or amount of the pacing table in its unit."""
    return fmt.yen(x, lang) if kpis.get(kpi_id).unit == "jpy" else fmt.num(x)


def _landing_sentence(pacing_rows: pd.DataFrame, *, lang: str) -> str | None:
    """The month-end landing of the most-behind paced KPI (or how it landed, month over)."""
    pr = pacing_rows[pacing_rows["target"].notna() & (pacing_rows["remaining"] > 0)]
    if len(pr):
        r = pr.sort_values("projected_attainment").iloc[0]
        k = r["kpi_id"]
        return t("scorecard.summary.landing", lang=lang, kpi=kpis.label(k, lang),
                 projected=_kpi_text(k, r["projected"], lang), low=_kpi_text(k, r["projected_low"], lang),
                 high=_kpi_text(k, r["projected_high"], lang), target=_kpi_text(k, r["target"], lang),
                 chance=fmt.pct(r["p_reach"], 0))
    done = pacing_rows[pacing_rows["target"].notna()]
    if not len(done):
        return None
    r = done.sort_values("projected_attainment").iloc[0]
    k = r["kpi_id"]
    return t("scorecard.summary.landed", lang=lang, kpi=kpis.label(k, lang),
             actual=_kpi_text(k, r["actual"], lang), target=_kpi_text(k, r["target"], lang),
             attainment=fmt.pct(r["projected_attainment"], 0))


def _plan_sentence(plan: dict, *, lang: str) -> str:
    """The activity that makes the goal likely, against the plain reverse plan."""
    cur = plan.get("calls_actual")
    return t("scorecard.summary.plan", lang=lang, goal_label=plan["goal_label"], goal=f"{plan['goal']:g}",
             calls_plain=fmt.num(plan["calls_plain"]), p_plain=fmt.pct(plan["p_plain"], 0),
             calls_prob=fmt.num(plan["calls_prob"]), probability=fmt.pct(plan["probability"], 0),
             current="" if cur is None else t("scorecard.summary.plan_current", lang=lang, calls=fmt.num(cur)))


def _activity_sentence(tree: pd.DataFrame, team_id, *, lang: str) -> str | None:
    """This month's calls and connect rate (when little else can be judged)."""
    tt = tree[(tree["team_id"] == team_id) & (tree["level"] == "team")].set_index("kpi_id")
    if not ("calls" in tt.index and "connect_rate" in tt.index):
        return None
    c, r = tt.loc["calls"], tt.loc["connect_rate"]
    return t("scorecard.summary.activity", lang=lang, calls_label=c["label"], per=c["per_label"],
             calls=c["value_text"], rate_label=r["label"], rate=r["value_text"],
             ci=fmt.ci(r["ci_low"], r["ci_high"]))


# ---------------------------------------------------------------------------------------------
# everything one team's scorecard shows
def paced_kpi(card: pd.DataFrame) -> str | None:
    """The KPI the pacing chart follows: the phase's most important paced KPI with a target."""
    c = card[card["kpi_id"].isin(pacing.PACED_KPIS) & card["month_target"].notna()]
    if not len(c):
        return None
    order = {k: i for i, k in enumerate(pacing.PACED_KPIS)}
    c = c.assign(_o=c["kpi_id"].map(order)).sort_values(["importance", "_o"], ascending=[False, True])
    return str(c["kpi_id"].iloc[0])


def default_goal(team_rows: pd.DataFrame, counts: pd.Series, goal_won: int = 0) -> tuple[int, str]:
    """The KGI (deals won per month) the reverse plan works back from.

    ``goal_won`` > 0 is used as given ("parameter"). Otherwise: the phase's won-amount target
    divided by this month's average won amount, rounded up ("won_amount_target"), or else this
    month's wins + 10 %, rounded up ("actual_plus_10pct").
    """
    if goal_won and goal_won > 0:
        return int(goal_won), "parameter"
    won = float(counts.get("deals_won", 0))
    w = team_rows[(team_rows["kpi_id"] == "won_amount_jpy") & team_rows["in_phase"]]
    if len(w) and won > 0 and np.isfinite(w["month_target"].iloc[0]):
        avg = float(w["total"].iloc[0]) / won
        if avg > 0:
            return int(math.ceil(float(w["month_target"].iloc[0]) / avg)), "won_amount_target"
    return int(math.ceil(max(won, 1) * 1.1)), "actual_plus_10pct"


def team_scorecards(data, *, month: str, tree: pd.DataFrame, rep_period: pd.DataFrame,
                    rep_period_day: pd.DataFrame, targets_file: str | None = None, as_of=None,
                    goal_won: int = 10, probability: float = 0.9, min_trials: int = 30,
                    lang: str = config.DEFAULT_LANG) -> dict:
    """Funnel, bottleneck, plan, pacing and summary of every team in ``tree``.

    Returns
    -------
    dict team_id → dict with team_name, phase, phase_label, card (:func:`team_card`),
    counts (:func:`funnel.funnel_counts` row), stages (:func:`funnel.funnel`), bottleneck,
    chain (:func:`funnel.observed_chain`), reverse (:func:`plan.reverse_plan` or None),
    prob_plan (:func:`plan.probability_plan` or None), plan_summary (dict for the summary),
    daily (:func:`pacing.daily_totals`), pacing (:func:`pacing.pacing_table` of the paced KPIs
    with month targets), paced_kpi, path (:func:`pacing.cumulative_path` of it), summary
    (list of sentences).
    """
    _check_lang(lang)
    as_of = data.last_date if as_of is None else pd.Timestamp(as_of)
    names = (data.teams.set_index("team_id")["team_name"] if data.has("teams") else pd.Series(dtype=str))
    out = {}
    counts_all = funnel.funnel_counts(data, month=month, rep_period=rep_period, by="team_id")
    for team_id in dict.fromkeys(tree["team_id"]):
        card = team_card(tree, team_id)
        t_rows = tree[(tree["team_id"] == team_id) & (tree["level"] == "team")]
        phase = t_rows["phase"].iloc[0]
        crow = counts_all[counts_all["team_id"] == team_id]
        if not len(crow):
            continue
        stages = funnel.funnel(crow, targets=funnel.stage_targets(phase, targets_file=targets_file),
                               lang=lang, min_trials=min_trials)
        calls_row = t_rows[(t_rows["kpi_id"] == "calls") & t_rows["in_phase"]]
        calls_att = float(calls_row["attainment"].iloc[0]) if len(calls_row) else None
        bn = funnel.bottleneck(stages, calls_attainment=calls_att, lang=lang)
        chain = funnel.observed_chain(stages)
        reverse = prob_plan = plan_summary = None
        goal, goal_basis = default_goal(t_rows, crow.iloc[0], goal_won)
        if chain["usable"] and goal > 0 and chain["stages"][-1] == "deals_won":
            reverse = plan.reverse_plan(goal, stages=chain["stages"], rates=chain["rates"])
            prob_plan = plan.probability_plan(goal, stages=chain["stages"], rates=chain["rates"],
                                              successes=chain["successes"], trials=chain["trials"],
                                              probabilities=(0.5, 0.8, probability))
            pr = prob_plan[prob_plan["basis"] == "probability"].iloc[-1]
            plan_summary = {"goal": goal, "goal_basis": goal_basis,
                            "calls_actual": int(crow["calls"].iloc[0]),
                            "goal_label": funnel.stage_label("deals_won", lang),
                            "calls_plain": int(prob_plan["calls"].iloc[0]),
                            "p_plain": float(prob_plan["probability"].iloc[0]),
                            "calls_prob": None if pd.isna(pr["calls"]) else int(pr["calls"]),
                            "probability": probability}
        tdata = data.filter(team=team_id) if data.team == "all" else data
        rpd = rep_period_day[rep_period_day["team_id"] == team_id]
        daily = pacing.daily_totals(tdata, rep_period=rpd)
        mt = t_rows.set_index("kpi_id")["month_target"]
        paced_cols = [c for c in daily.columns if c in mt.index and np.isfinite(mt[c])]
        ptab = pacing.pacing_table(daily[paced_cols], month=month, as_of=as_of,
                                   targets={c: float(mt[c]) for c in paced_cols}) if paced_cols else None
        pk = paced_kpi(t_rows[t_rows["in_phase"]])
        path = pacing.cumulative_path(daily[pk], month=month, as_of=as_of) if pk else None
        summary = findings_summary(tree, team_id=team_id, bottleneck=bn, pacing_rows=ptab,
                                   plan=plan_summary, month=month, lang=lang)
        out[team_id] = {"team_name": names.get(team_id, team_id), "phase": phase,
                        "phase_label": t_rows["phase_label"].iloc[0], "card": card,
                        "counts": crow.iloc[0], "stages": stages, "bottleneck": bn, "chain": chain,
                        "reverse": reverse, "prob_plan": prob_plan, "plan_summary": plan_summary,
                        "daily": daily, "pacing": ptab, "paced_kpi": pk, "path": path,
                        "summary": summary}
    return out


# ---------------------------------------------------------------------------------------------
# reader-facing column names of the scorecard tables
def column_labels(df: pd.DataFrame, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """``df`` with its known columns renamed to reader-facing labels in ``lang``."""
    return df.rename(columns={c: t(f"scorecard.column.{c}", lang=lang) for c in df.columns
                              if has(f"scorecard.column.{c}", lang=lang)})


#: kept for notebooks written against the scorecard module; the rule lives in fmt
missing_note = fmt.missing_note
