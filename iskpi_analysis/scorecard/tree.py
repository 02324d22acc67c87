"""The KPI tree: monthly measures per rep, each KPI vs the phase target, attainment and alert level.

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

import numpy as np
import pandas as pd

from .. import aggregate, dataset, kpis, pacing, quality
from .. import stats as kst
from .. import workdays as jcal
from .views import response_times

__all__ = [
    "ALERT_LEVELS",
    "TREE_KPIS",
    "BDR_KPIS",
    "previous_month",
    "measures",
    "kpi_tree",
    "alerts",
    "team_card",
    "rep_table",
]

ALERT_LEVELS = ("ok", "watch", "alert", "small", "none")


# KPIs the tree computes (dictionary ids); economics (CAC, LTV, ROI) come from :mod:`economics`.
TREE_KPIS = (
    "calls",
    "connects",
    "valid_conversations",
    "emails_sent",
    "appointments",
    "target_account_contacts",
    "first_response_minutes",
    "connect_rate",
    "conversation_rate",
    "appointment_rate",
    "deals_created",
    "deal_conversion",
    "email_open_rate",
    "email_click_rate",
    "email_reply_rate",
    "sql_count",
    "mql_to_sql_rate",
    "decision_maker_rate",
    "deal_quality_score",
    "handoff_win_rate",
    "deal_amount_jpy",
    "won_amount_jpy",
    "pipeline_jpy",
)


#: KPIs that only mean something for BDRs (team rows count BDRs only).
BDR_KPIS = ("decision_maker_rate", "target_account_contacts")


_check_lang = kpis._check_lang


def previous_month(month: str) -> str:
    return str(pd.Period(month, freq="M") - 1)


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
    start, end = dataset.month_bounds(month)
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


def measures(
    data, *, month: str, rep_period: pd.DataFrame, response_times_: pd.DataFrame | None = None, response: bool = True
) -> pd.DataFrame:
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
    start, end = dataset.month_bounds(month)
    rp = rep_period[pd.to_datetime(rep_period["period"]) == start]
    num_cols = [c for c in ("n_days", *aggregate.COUNT_COLUMNS) if c in rp.columns]
    m = rp.groupby("rep_id")[num_cols].sum()
    # A rep with no row this month (left earlier) can still own the month's SQLs or close its
    # deals: give them a zero row so their events reach the team totals instead of vanishing.
    m = m.reindex(m.index.union(pd.Index(_month_event_reps(data, month), dtype=m.index.dtype)), fill_value=0)
    reps = data.reps.set_index("rep_id")
    m = m.join(reps[["team_id", "role"]], how="left")
    for c in ("emails_sent", "emails_opened", "emails_clicked", "emails_replied", "deals_created", "deal_amount_jpy"):
        if c not in m:
            m[c] = np.nan
    m_ = month.replace("'", "")
    tac = data.query(f"""SELECT rep_id, count(DISTINCT lead_id) AS n FROM {data.sql("calls")}
        WHERE month = '{m_}' AND connected AND role = 'BDR' AND lead_id IS NOT NULL GROUP BY rep_id""")
    m["target_account_contacts"] = tac.set_index("rep_id")["n"].astype(float)
    m.loc[m["role"] == "BDR", "target_account_contacts"] = m.loc[m["role"] == "BDR", "target_account_contacts"].fillna(
        0
    )
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
        open_end = d[(d["created_at"] < end_ts) & (d["closed_at"].isna() | (d["closed_at"] >= end_ts))]
        m["pipeline_jpy"] = open_end.groupby("rep_id")["amount_jpy"].sum()
        for c in ("deals_won", "deals_closed", "won_amount_jpy", "pipeline_jpy"):
            m[c] = m[c].fillna(0)
        created = d[d["month"] == month]
        if len(created):
            q = quality.quality_score(created)
            g = q.groupby("rep_id")["score"]
            m["quality_sum"], m["quality_n"] = g.sum(), g.size()
    for c in (
        "deals_won",
        "deals_closed",
        "won_amount_jpy",
        "pipeline_jpy",
        "quality_sum",
        "quality_n",
        "response_median",
        "response_n",
    ):
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
_TOTAL_COL = {
    "calls": "calls",
    "connects": "connects",
    "valid_conversations": "valid_conversations",
    "emails_sent": "emails_sent",
    "appointments": "appointments",
    "target_account_contacts": "target_account_contacts",
    "deals_created": "deals_created",
    "sql_count": "sqls_created",
    "deal_amount_jpy": "deal_amount_jpy",
    "won_amount_jpy": "won_amount_jpy",
    "pipeline_jpy": "pipeline_jpy",
}


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
        return {
            "actual": kst.safe_ratio(g["quality_sum"].sum(), n) if n == n else np.nan,
            "total": np.nan,
            "k": np.nan,
            "n": n,
        }
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


def _phase_table(data, *, month, phase, targets_file, phases) -> pd.DataFrame:
    """The teams' one phase (``phase.team_phase``) indexed by team_id, every team of ``data`` in it."""
    if phase not in (None, "", *kpis.PHASES):
        raise ValueError(f"phase must be one of {('', *kpis.PHASES)}, got {phase!r}")
    if phases is None:
        from ..phase import team_phase  # phase imports the scorecard's neighbours; import late

        phases = team_phase(data, month=month, override=phase or None, targets_file=targets_file or None)
    teams = [data.team] if data.team != "all" else data.team_ids()
    missing = sorted(set(teams) - set(phases["team_id"]))
    if missing:
        raise ValueError(f"phases has no row for team(s) {missing}: pass phase.team_phase(data, month=...)")
    return phases.set_index("team_id")[["phase"]]


def kpi_tree(
    data,
    *,
    month: str,
    rep_period: pd.DataFrame,
    phase: str | None = None,
    targets_file: str | None = None,
    min_trials: int = 30,
    alert_below: float = 0.8,
    as_of=None,
    goals: dict | None = None,
    phases: pd.DataFrame | None = None,
) -> pd.DataFrame:
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
    goals : ``{team_id: {kpi_id: monthly goal}}`` from the run's settings
        (:meth:`settings.TeamSettings.goal_targets`): a team's own monthly goal replaces the phase
        template's target of that KPI (a team total per month, so reps get no target of their
        own for it), ``target_source = "goal"``.
    phases : the teams' one phase, :func:`iskpi_analysis.phase.team_phase`'s table (columns
        team_id, phase; every team of ``data``). None = computed here by ``team_phase`` with
        ``phase`` as its override and ``targets_file`` (pass the table the notebook records, so
        the tree and every page use the same phase).

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
        previous), alert (ok/watch/alert/small/none), alert_label, value_text, target_text,
        target_source ("phase", "goal"; None without a target).
    """
    if not 0 < alert_below <= 1:
        raise ValueError(f"alert_below must be in (0, 1], got {alert_below}")
    phases = _phase_table(data, month=month, phase=phase, targets_file=targets_file, phases=phases)
    targets_all = kpis.phase_targets(None, targets_file=targets_file or None)
    specs = _kpi_specs(targets_all)
    prev_month = previous_month(month)
    has_prev = (pd.to_datetime(rep_period["period"]) == pd.Period(prev_month, freq="M").start_time).any()
    rt = response_times(data, month=month)
    rt_prev = response_times(data, month=prev_month) if has_prev else None
    cur = measures(data, month=month, rep_period=rep_period, response_times_=rt)
    prev = measures(data, month=prev_month, rep_period=rep_period, response_times_=rt_prev) if has_prev else None
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
            entities.append(
                (
                    "rep",
                    rep_id,
                    team_cur.loc[[rep_id]],
                    team_prev.loc[[rep_id]] if team_prev is not None and rep_id in team_prev.index else None,
                )
            )
        for level, rep_id, g, gp in entities:
            for kpi_id in avail:
                # response time: the pooled median of the leads, not a median of rep medians
                actuals = (
                    (_rt_median(rt, team_id, rep_id), _rt_median(rt_prev, team_id, rep_id))
                    if kpi_id == "first_response_minutes"
                    else None
                )
                spec, source = _spec(specs.get((ph["phase"], kpi_id)), (goals or {}).get(team_id, {}).get(kpi_id))
                row = _tree_row(
                    kpi_id,
                    spec,
                    g,
                    gp,
                    level=level,
                    frac=frac,
                    min_trials=min_trials,
                    alert_below=alert_below,
                    actuals=actuals,
                )
                rows.append(
                    {
                        "level": level,
                        "team_id": team_id,
                        "rep_id": rep_id,
                        "rep_name": (rep_names.get(rep_id) if rep_names is not None and rep_id else None),
                        "role": g["role"].iloc[0] if level == "rep" else None,
                        "phase": ph["phase"],
                        **row,
                        "target_source": source if row["in_phase"] else None,
                    }
                )
    out = pd.DataFrame(rows)
    if len(out):
        out["rep_id"] = out["rep_id"].astype("string")
    return out


def _spec(template, goal):
    """The target spec of one KPI for one team: its own monthly goal (a team total per month,
    at least ★★ so it is among the KPIs shown) when the settings give one, else the template's."""
    if goal is None:
        return template, "phase"
    importance = 0 if template is None or not np.isfinite(template["target"]) else int(template["importance"])
    return {"target": float(goal), "per": "team_month", "importance": max(importance, 2)}, "goal"


def _tree_row(
    kpi_id: str,
    spec,
    g: pd.DataFrame,
    gp,
    *,
    level: str,
    frac: float,
    min_trials: int,
    alert_below: float,
    actuals=None,
) -> dict:
    """One KPI of one team or rep: actual, target (pro-rated when the month is not over),
    month target, interval, attainment, change and alert level (language-neutral)."""
    k = kpis.get(kpi_id)
    per = None if spec is None else spec["per"]
    per = None if per is None or (isinstance(per, float) and np.isnan(per)) else per
    in_phase = spec is not None and bool(np.isfinite(spec["target"]))
    v = _value(kpi_id, g, per, level)
    pv = _value(kpi_id, gp, per, level) if gp is not None and len(gp) else {"actual": np.nan}
    if actuals is not None:
        v["actual"], pv["actual"] = actuals
    target, basis = (float(spec["target"]), "phase") if in_phase else (np.nan, "none")
    month_target = np.nan
    if in_phase and per is not None:
        mult = {
            "rep_day": float(g["full_month_days"].sum()),
            "rep_month": float((g["n_days"] > 0).sum()),
            "team_month": 1.0 if level == "team" else np.nan,
        }[per]
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
    return {
        "tier": k.tier,
        "tier_order": kpis.TIERS.index(k.tier),
        "kpi_id": kpi_id,
        "unit": k.unit,
        "direction": k.direction,
        "per": per,
        "importance": int(spec["importance"]) if in_phase else 0,
        "in_phase": in_phase,
        "actual": v["actual"],
        "total": v["total"],
        "k": v["k"],
        "n": v["n"],
        "ci_low": lo,
        "ci_high": hi,
        "too_small": too_small,
        "target": target,
        "target_basis": basis,
        "month_target": month_target,
        "attainment": att,
        "previous": pv["actual"],
        "change": v["actual"] - pv["actual"],
        "alert": _alert(att, lo, hi, target, k.direction, too_small, alert_below),
    }


def _rt_median(rt, team_id, rep_id):
    if rt is None or not len(rt):
        return np.nan
    sel = rt[rt["touched"]]
    sel = sel[sel["owner_rep_id"] == rep_id] if rep_id is not None else sel[sel["team_id"] == team_id]
    return float(sel["business_minutes"].median()) if len(sel) else np.nan


def _measurable(kpi_id: str, data) -> bool:
    need = {
        "emails_sent": "emails",
        "email_open_rate": "emails",
        "email_click_rate": "emails",
        "email_reply_rate": "emails",
        "sql_count": "leads",
        "mql_to_sql_rate": "leads",
        "first_response_minutes": "leads",
        "deals_created": "deals",
        "deal_conversion": "deals",
        "deal_quality_score": "deals",
        "handoff_win_rate": "deals",
        "deal_amount_jpy": "deals",
        "won_amount_jpy": "deals",
        "pipeline_jpy": "deals",
    }
    if kpi_id == "target_account_contacts" or kpi_id == "decision_maker_rate":
        return bool((data.reps["role"] == "BDR").any()) if kpi_id == "target_account_contacts" else True
    return kpi_id not in need or data.has(need[kpi_id])


def alerts(tree: pd.DataFrame, *, levels=("alert", "watch")) -> pd.DataFrame:
    """Rows of the tree off target, worst first (alert before watch, then lowest attainment)."""
    bad = [lv for lv in levels if lv not in ALERT_LEVELS]
    if bad:
        raise ValueError(f"levels must be among {ALERT_LEVELS}, got {bad}")
    a = tree[tree["alert"].isin(levels)].copy()
    a["_o"] = a["alert"].map({lv: i for i, lv in enumerate(levels)})
    return a.sort_values(["_o", "level", "importance", "attainment"], ascending=[True, False, False, True]).drop(
        columns="_o"
    )


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
