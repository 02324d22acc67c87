"""The KPI tree: monthly measures per rep, each KPI against the team's target table, its verdict.

KPI tree
    Every KPI of the dictionary that the data can measure, per team and per rep, grouped
    behavioural → tactical → strategic, with the month's actual, the team's target (the one
    target table, :func:`targets.target_table` of the team's phase with its industry preset and
    goals; ``targets_file`` = a user-edited template), attainment, change from last month and the
    verdict (:data:`targets.VERDICTS`: ahead, on_target, watch, miss, reference, small, none).

Units. A KPI is shown in the unit its target is set in (``per`` in the template; if the team's
phase has no target for it, the unit another phase uses): ``rep_day`` = month total / rep
business days worked (e.g. calls per rep per day), ``rep_month`` = total per rep (team rows: the
average per active rep), ``team_month`` = the team total (rep rows carry no target). Rates are
ratios of sums with count and Wilson interval; points are the mean deal quality score.
When the month is not complete, ``rep_month``/``team_month`` targets are pro-rated by business
days elapsed (``target_basis = "prorated"``); the month-end view is in :mod:`pacing`.

Verdicts (:func:`targets.verdict`): a range (the seed's 20–30 %) is a band — inside
``on_target``, beyond ``ahead``; short of it (or of a point target) ``watch`` when the Wilson
interval still reaches the edge or attainment ≥ ``watch_from`` (0.8), else ``miss``; 参考値 rows
(``judged`` False, e.g. efficiency KPIs at launch) are ``reference``; rates with fewer than
``min_trials`` trials ``small``; no target ``none``. For "lower is better" KPIs the range's high
edge (or the point target) is the ceiling.

Speed. Everything is computed per KPI over all teams and reps at once (issue 15: the row-by-row
tree took minutes at 300 reps; ``benchmarks/bench_kpi_tree.py``).
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from .. import aggregate, dataset, kpis, pacing, quality, targets
from .. import stats as kst
from .. import workdays as jcal
from .views import response_times

__all__ = [
    "TREE_KPIS",
    "TREE_COLUMNS",
    "BDR_KPIS",
    "previous_month",
    "measures",
    "kpi_tree",
    "team_targets",
    "off_target",
    "team_card",
    "rep_table",
]

#: query results per Dataset view (its filters are in the SQL text): an organisation's page
#: measures the same month for the tree, the summary, the history and SMART, and asks once
_QUERIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _query_once(data, sql: str) -> pd.DataFrame:
    """``data.query(sql)``, remembered for this Dataset object (a view of immutable data)."""
    try:
        seen = _QUERIES.setdefault(data, {})
    except TypeError:  # not weak-referenceable: ask every time
        return data.query(sql)
    if sql not in seen:
        seen[sql] = data.query(sql)
    return seen[sql].copy()


VERDICTS = targets.VERDICTS


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
    bd = np.sort(jcal.month_business_days(month).to_numpy("datetime64[ns]"))
    joined = pd.to_datetime(reps["joined_on"]).to_numpy("datetime64[ns]")
    left = pd.to_datetime(reps["left_on"]).to_numpy("datetime64[ns]")
    # days in [joined_on, left_on] (no left_on: to the month's end); no joined_on: none
    n = np.searchsorted(bd, left, side="right")
    n = np.where(np.isnat(left), len(bd), n) - np.searchsorted(bd, joined, side="left")
    n = np.where(np.isnat(joined), 0, np.maximum(n, 0))
    out = pd.Series(n.astype("int64"), index=reps["rep_id"].to_numpy())
    return out[~out.index.duplicated(keep="last")]


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
    tac = _query_once(
        data,
        f"""SELECT rep_id, count(DISTINCT lead_id) AS n FROM {data.sql("calls")}
        WHERE month = '{m_}' AND connected AND role = 'BDR' AND lead_id IS NOT NULL GROUP BY rep_id""",
    )
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


def _units(targets_file) -> dict:
    """``{kpi_id: per}`` of every KPI of the template, from the first phase that has it (the unit a
    KPI is shown in when the team's own target table has no row for it)."""
    t = kpis.phase_targets(None, targets_file=targets_file or None).drop_duplicates("kpi_id")
    return {k: (p if isinstance(p, str) else None) for k, p in zip(t["kpi_id"], t["per"])}


def _team_phase_table(data, *, month: str, phase, phases, targets_file=None) -> pd.DataFrame:
    """``team_id, phase`` of every team: ``phases`` when given (a DataFrame with team_id and phase,
    e.g. ``phase.team_phase``, or ``{team_id: phase}``), else the one decision
    :func:`iskpi_analysis.phase.team_phase` with ``phase`` as its override (issue 14)."""
    if phases is None:
        from ..phase import team_phase  # phase imports the scorecard's neighbours; import late

        phases = team_phase(data, month=month, override=phase or None, targets_file=targets_file or None)
    if isinstance(phases, dict):
        phases = pd.DataFrame({"team_id": list(phases), "phase": list(phases.values())})
    bad = sorted(set(phases["phase"]) - set(kpis.PHASES))
    if bad:
        raise ValueError(f"phases must be among {kpis.PHASES}, got {bad}")
    teams = [data.team] if data.team != "all" else data.team_ids()
    missing = sorted(set(teams) - set(phases["team_id"]))
    if missing:
        raise ValueError(f"phases has no row for team(s) {missing}: pass phase.team_phase(data, month=...)")
    return phases[["team_id", "phase"]].reset_index(drop=True)


def team_targets(
    team_phase: pd.DataFrame, *, targets_file=None, industry: str | dict | None = None, goals: dict | None = None
) -> pd.DataFrame:
    """The target table (:func:`targets.target_table`) of every team's phase, with ``team_id``.

    ``industry``: a preset for every team or ``{team_id: preset}``; ``goals``: ``{team_id:
    {kpi_id: monthly goal}}``."""
    parts = []
    for team_id, ph in zip(team_phase["team_id"], team_phase["phase"]):
        ind = industry.get(team_id) if isinstance(industry, dict) else industry
        tt = targets.target_table(ph, targets_file=targets_file or None, industry=ind, goals=(goals or {}).get(team_id))
        parts.append(tt.assign(team_id=team_id))
    if not parts:
        return pd.DataFrame(columns=[*targets.TABLE_COLUMNS, "team_id"])
    return pd.concat(parts, ignore_index=True)


#: columns of :func:`measures` the tree sums (rates' parts, counts, amounts, days, quality)
_SUM_COLS = sorted(
    {c for pair in _RATE_PARTS.values() for c in pair}
    | set(_TOTAL_COL.values())
    | {"n_days", "full_month_days", "quality_sum", "quality_n", "response_n"}
)
_KEYS = ["level", "team_id", "rep_id"]


def _sums(m: pd.DataFrame, *, bdr_only: bool = False, active_only: bool = True) -> pd.DataFrame:
    """Team and rep rows of the sums the KPIs are made of (one row per entity).

    Team rows add up the team's reps (a column NaN for every rep stays NaN, as when its table is
    missing); ``n_active`` counts reps with business days. ``bdr_only``: team rows of the BDRs
    only (a team without BDRs has no row). Rep rows: the reps with business days in the month
    (``active_only``, the reps the tree shows) or every rep of ``m`` (last month's values)."""
    cols = [c for c in _SUM_COLS if c in m.columns]
    src = m[m["role"] == "BDR"] if bdr_only else m
    g = src.groupby("team_id", sort=False)
    team = g[cols].sum(min_count=1)
    team["n_active"] = (src["n_days"] > 0).groupby(src["team_id"], sort=False).sum().astype(float)
    team = team.reset_index().assign(level="team", rep_id=None)
    rep = (m[m["n_days"] > 0] if active_only else m)[["team_id", *cols]].copy()
    rep["n_active"] = 1.0
    rep = rep.rename_axis("rep_id").reset_index().assign(level="rep")
    return pd.concat([team, rep], ignore_index=True)


def _values(kpi_id: str, s: pd.DataFrame, per) -> dict:
    """actual, total, k and n of one KPI for every entity row of ``s`` (:func:`_sums`) in unit ``per``."""
    nan = np.full(len(s), np.nan)
    col = lambda c: s[c].to_numpy(float) if c in s else nan  # noqa: E731
    if kpi_id in _RATE_PARTS:
        k, n = (col(c) for c in _RATE_PARTS[kpi_id])
        ok = np.isfinite(k) & np.isfinite(n)
        k, n = np.where(ok, k, np.nan), np.where(ok, n, np.nan)
        return {"actual": kst.safe_ratio(k, n), "total": nan, "k": k, "n": n}
    if kpi_id == "deal_quality_score":
        n = col("quality_n")
        return {
            "actual": np.where(np.isfinite(n), kst.safe_ratio(np.nan_to_num(col("quality_sum")), n), np.nan),
            "total": nan,
            "k": nan,
            "n": n,
        }
    if kpi_id == "first_response_minutes":
        # the actual is the pooled median of the leads (:func:`_rt_medians`), not a sum
        return {"actual": nan, "total": nan, "k": nan, "n": np.nan_to_num(col("response_n"))}
    total = col(_TOTAL_COL[kpi_id])
    has = np.isfinite(total)
    if per == "rep_day":
        days = col("n_days")
        return {"actual": kst.safe_ratio(total, days), "total": total, "k": nan, "n": np.where(has, days, np.nan)}
    team = (s["level"] == "team").to_numpy()
    if per == "rep_month":  # team rows: the average per active rep
        nrep = col("n_active")
        return {
            "actual": np.where(team, kst.safe_ratio(total, nrep), total),
            "total": total,
            "k": nan,
            "n": np.where(team & has, nrep, np.nan),
        }
    return {"actual": total, "total": total, "k": nan, "n": nan}


def _values_by_unit(kpi_id: str, s: pd.DataFrame, pers: np.ndarray) -> dict:
    """:func:`_values` where each row has its own unit (``pers``, from its team's phase)."""
    out = None
    for p in pd.unique(pers):
        v = _values(kpi_id, s, p)
        if out is None:
            out = {c: x.copy() for c, x in v.items()}
        else:
            sel = pers == p
            for c in out:
                out[c][sel] = v[c][sel]
    return out


def _rt_medians(rt, keys: pd.DataFrame) -> np.ndarray:
    """The pooled median response time of each entity's leads (team: all its leads; rep: the
    leads it owns): a median of the leads, never a median of rep medians. NaN without leads."""
    if rt is None or not len(rt):
        return np.full(len(keys), np.nan)
    sel = rt[rt["touched"]]
    by_team = sel.groupby("team_id")["business_minutes"].median()
    by_rep = sel.groupby("owner_rep_id")["business_minutes"].median()
    team = (keys["level"] == "team").to_numpy()
    return np.where(team, keys["team_id"].map(by_team).to_numpy(float), keys["rep_id"].map(by_rep).to_numpy(float))


def _aligned(keys: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """``s`` reindexed to the entity rows ``keys`` (an entity ``s`` lacks: NaN)."""
    return keys.merge(s, on=_KEYS, how="left")


def _bdr_teams(full: pd.DataFrame, bdr: pd.DataFrame) -> pd.DataFrame:
    """``full`` (:func:`_sums`) with its team rows replaced by the BDR-only sums ``bdr`` (a team
    without BDRs: NaN); rep rows stay each rep's own."""
    out = full.copy()
    team = (out["level"] == "team").to_numpy()
    cols = [c for c in out.columns if c not in _KEYS]
    b = out.loc[team, _KEYS].merge(bdr[bdr["level"] == "team"], on=_KEYS, how="left")
    out.loc[team, cols] = b[cols].to_numpy(float)
    return out


def _long(cur, prev, rt, rt_prev, avail, unit: dict) -> pd.DataFrame:
    """Entity × KPI rows: level, team_id, rep_id, kpi_id, per, actual, total, k, n, previous,
    full_month_days, n_active (the multipliers of month targets)."""
    base = _sums(cur)
    keys = base[_KEYS]
    cur_s = {False: base, True: _bdr_teams(base, _sums(cur, bdr_only=True))}
    prev_s = {False: None, True: None}
    if prev is not None:
        prev_all = keys.merge(_sums(prev, active_only=False), on=_KEYS, how="left")  # absent last month: NaN
        prev_s = {False: prev_all, True: _bdr_teams(prev_all, _sums(prev, bdr_only=True, active_only=False))}
    parts = []
    nan = np.full(len(keys), np.nan)
    for kpi_id in avail:
        b = kpi_id in BDR_KPIS  # BDR KPIs: team rows count the team's BDRs only
        pers = keys["team_id"].map(unit[kpi_id]).to_numpy(object)
        v = _values_by_unit(kpi_id, cur_s[b], pers)
        pv = _values_by_unit(kpi_id, prev_s[b], pers)["actual"] if prev is not None else nan
        if kpi_id == "first_response_minutes":
            v["actual"] = _rt_medians(rt, keys)
            pv = _rt_medians(rt_prev, keys) if prev is not None else nan
        parts.append(
            keys.assign(
                kpi_id=kpi_id,
                per=pers,
                **v,
                previous=pv,
                full_month_days=base["full_month_days"].to_numpy(float),
                n_active=base["n_active"].to_numpy(float),
            )
        )
    return pd.concat(parts, ignore_index=True)


def kpi_tree(
    data,
    *,
    month: str,
    rep_period: pd.DataFrame,
    phase: str | None = None,
    phases=None,
    targets_file: str | None = None,
    min_trials: int = 30,
    watch_from: float = 0.8,
    as_of=None,
    goals: dict | None = None,
    industry: str | dict | None = None,
) -> pd.DataFrame:
    """The month's KPI tree per team and per rep, each KPI against the team's target table.

    Parameters
    ----------
    data : Dataset (teams, reps, calls; emails, leads, deals used when present).
    rep_period : ``aggregate.rep_period(data, grain="month")`` (must contain the month and,
        for the change column, the month before).
    phase : override the phase of every team (None/"" = ``phases``, else by months since launch).
    phases : the one phase decision of every team (``phase.team_phase``: a DataFrame with
        team_id and phase, or ``{team_id: phase}``); None = ``phase`` / by age.
    targets_file : an edited phase target file (None/"" = the shipped defaults).
    min_trials : rates with fewer trials are ``small``.
    watch_from : short of the target (or the range's edge) but at least this share of it is
        ``watch``, below it ``miss`` (:func:`targets.verdict`).
    as_of : last day with data (default: the data's last date); for pro-rating month targets.
    goals : ``{team_id: {kpi_id: monthly goal}}`` from the run's settings
        (:meth:`settings.TeamSettings.goal_targets`): a team's own monthly goal replaces the phase
        template's target of that KPI (a team total per month, so reps get no target of their
        own for it), ``target_source = "goal"``.
    industry : an industry preset for every team or ``{team_id: preset}`` (settings ``industry``).

    Returns
    -------
    DataFrame, one row per level × entity × KPI, columns
        level ("team"/"rep"), team_id, rep_id (NA on team rows), rep_name, role, phase, tier,
        tier_order (0 behavioural … 2 strategic), kpi_id, unit, direction, per, importance
        (stars; 0 = not in the team's target table), in_phase (a judged target of the team's
        phase), judged (False = 参考値), actual, total (month total for counts/amounts), k, n
        (rate parts; rep-days or reps for per-rep averages; deals scored), ci_low, ci_high
        (Wilson, rates), too_small, target, low, high (the range; all three pro-rated when the
        month is not over), target_basis ("phase", "prorated", "none"), month_target (the whole
        month's total target for counts and amounts: per-rep-day target × rep business days of
        the month, × active reps, or the team target; NaN for levels), attainment
        (:func:`targets.attainment`), previous (last month's actual), change (actual − previous),
        verdict (:data:`targets.VERDICTS`), target_source ("phase", "industry", "goal"; None
        without a target). Words: :func:`narrative.label_tree`.
    """
    if not 0 < watch_from <= 1:
        raise ValueError(f"watch_from must be in (0, 1], got {watch_from}")
    team_phase = _team_phase_table(data, month=month, phase=phase or None, phases=phases, targets_file=targets_file)
    tt = team_targets(team_phase, targets_file=targets_file, industry=industry, goals=goals)
    units = _units(targets_file)
    prev_month = previous_month(month)
    has_prev = (pd.to_datetime(rep_period["period"]) == pd.Period(prev_month, freq="M").start_time).any()
    rt = response_times(data, month=month)
    rt_prev = response_times(data, month=prev_month) if has_prev else None
    cur = measures(data, month=month, rep_period=rep_period, response_times_=rt)
    prev = measures(data, month=prev_month, rep_period=rep_period, response_times_=rt_prev) if has_prev else None
    cur = cur[cur["team_id"].isin(team_phase["team_id"])]
    if not len(cur):
        return pd.DataFrame()
    d = pacing.month_days(month, as_of if as_of is not None else data.last_date)
    frac = d["elapsed"] / d["business_days"] if d["business_days"] else 1.0
    avail = [k for k in TREE_KPIS if _measurable(k, data)]
    # each team's unit of each KPI: its own target row's, else the template's
    own = {(t, k): (p if isinstance(p, str) else None) for t, k, p in zip(tt["team_id"], tt["kpi_id"], tt["per"])}
    teams = list(team_phase["team_id"])
    unit = {k: {t: own[(t, k)] if (t, k) in own else units.get(k) for t in teams} for k in avail}
    out = _long(cur, prev, rt, rt_prev, avail, unit)
    out = out.merge(team_phase, on="team_id", how="left")
    spec = tt.drop(columns=["phase", "direction", "per"]).rename(columns={"source": "target_source"})
    out = out.merge(spec, on=["team_id", "kpi_id"], how="left")
    dic = kpis.all_kpis()
    out["tier"] = out["kpi_id"].map({k: dic[k].tier for k in avail})
    out["tier_order"] = out["tier"].map({t: i for i, t in enumerate(kpis.TIERS)})
    out["unit"] = out["kpi_id"].map({k: dic[k].unit for k in avail})
    out["direction"] = out["kpi_id"].map({k: dic[k].direction for k in avail})
    is_rate = out["kpi_id"].map({k: dic[k].is_rate for k in avail}).to_numpy(bool)
    listed = out["judged"].notna().to_numpy()
    out["judged"] = out["judged"].fillna(False).astype(bool)
    out["in_phase"] = listed & out["judged"].to_numpy()
    out["importance"] = out["importance"].fillna(0).astype(int)
    out["target_source"] = out["target_source"].where(listed, None)
    level_team = (out["level"] == "team").to_numpy()
    per = out["per"].to_numpy(object)
    target, low, high = (out[c].to_numpy(float).copy() for c in ("target", "low", "high"))
    # month target: the whole month's total for counts and amounts (pacing, reverse plan)
    mult = np.select(
        [per == "rep_day", per == "rep_month", per == "team_month"],
        [out["full_month_days"].to_numpy(float), out["n_active"].to_numpy(float), np.where(level_team, 1.0, np.nan)],
        default=np.nan,
    )
    out["month_target"] = np.where(listed, target * mult, np.nan)
    # a team's month target has no per-rep share; month targets are pro-rated mid-month
    none = listed & (per == "team_month") & ~level_team
    prorate = listed & ~none & np.isin(per, ["rep_month", "team_month"]) & (frac < 1)
    for a in (target, low, high):
        a[none] = np.nan
        a[prorate] = a[prorate] * frac
    out["target"], out["low"], out["high"] = target, low, high
    has_target = np.isfinite(target) | np.isfinite(low) | np.isfinite(high)
    out["target_basis"] = np.where(~has_target, "none", np.where(prorate, "prorated", "phase"))
    k, n = out["k"].to_numpy(float), out["n"].to_numpy(float)
    ci_ok = is_rate & np.isfinite(k) & np.isfinite(n) & (k <= n)
    lo, hi = kst.wilson_ci(np.where(ci_ok, k, 0), np.where(ci_ok, n, 0))
    out["ci_low"], out["ci_high"] = np.where(ci_ok, lo, np.nan), np.where(ci_ok, hi, np.nan)
    out["too_small"] = is_rate & (~np.isfinite(n) | (np.nan_to_num(n, nan=-1) < min_trials))
    args = dict(target=target, low=low, high=high, direction=out["direction"].to_numpy(object))
    out["attainment"] = targets.attainment(out["actual"].to_numpy(float), **args)
    out["change"] = out["actual"] - out["previous"]
    out["verdict"] = targets.verdicts(
        out["actual"].to_numpy(float),
        **args,
        judged=out["judged"].to_numpy(bool),
        ci_low=out["ci_low"].to_numpy(float),
        ci_high=out["ci_high"].to_numpy(float),
        too_small=out["too_small"].to_numpy(bool),
        watch_from=watch_from,
    )
    reps = data.reps.set_index("rep_id")
    out["rep_name"] = out["rep_id"].map(reps["rep_name"]) if "rep_name" in reps else None
    out["role"] = out["rep_id"].map(reps["role"])
    out.loc[level_team, ["rep_name", "role"]] = None
    # teams in phase order, each team's row first, then its reps; KPIs in dictionary order
    order = pd.DataFrame(
        {
            "t": out["team_id"].map({t: i for i, t in enumerate(teams)}),
            "l": (~level_team).astype(int),
            "r": out["rep_id"].map({r: i for i, r in enumerate(cur.index)}).fillna(-1),
            "k": out["kpi_id"].map({k: i for i, k in enumerate(avail)}),
        }
    )
    out = out.loc[order.sort_values(["t", "l", "r", "k"], kind="stable").index]
    out["rep_id"] = out["rep_id"].astype("string")
    return out[TREE_COLUMNS].reset_index(drop=True)


#: the columns of :func:`kpi_tree`, in order
TREE_COLUMNS = [
    "level",
    "team_id",
    "rep_id",
    "rep_name",
    "role",
    "phase",
    "tier",
    "tier_order",
    "kpi_id",
    "unit",
    "direction",
    "per",
    "importance",
    "in_phase",
    "judged",
    "actual",
    "total",
    "k",
    "n",
    "ci_low",
    "ci_high",
    "too_small",
    "target",
    "low",
    "high",
    "target_basis",
    "month_target",
    "attainment",
    "previous",
    "change",
    "verdict",
    "target_source",
]


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


def off_target(tree: pd.DataFrame, *, verdicts=("miss", "watch")) -> pd.DataFrame:
    """Rows of the tree short of their target, worst first (miss before watch, then lowest attainment)."""
    bad = [v for v in verdicts if v not in VERDICTS]
    if bad:
        raise ValueError(f"verdicts must be among {VERDICTS}, got {bad}")
    a = tree[tree["verdict"].isin(verdicts)].copy()
    a["_o"] = a["verdict"].map({v: i for i, v in enumerate(verdicts)})
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
    """Per-rep wide table: one row per rep, one column per KPI (``value``: actual/attainment/verdict).

    Default KPIs: the phase's KPIs. Returns team_id, rep_id, rep_name, role + the KPI columns
    (named by kpi_id).
    """
    if value not in ("actual", "attainment", "verdict", "value_text"):
        raise ValueError(f"value must be one of ('actual', 'attainment', 'verdict', 'value_text'), got {value!r}")
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
