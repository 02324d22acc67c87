"""Everything one team's scorecard shows: funnel, bottleneck, reverse plan and pacing (language-neutral;
the words and the summary come from :func:`narrative.describe_teams`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import economics, funnel, pacing, plan, targets
from .smart import history_measures, smart_check
from .tree import kpi_tree, team_card

__all__ = [
    "paced_kpi",
    "GOAL_BASES",
    "default_goal",
    "team_scorecards",
    "forecast_summary",
    "win_rate_target",
    "smart_by_phase",
    "records",
    "page_kpi_table",
    "PHASE_PAGE_KPIS",
    "CORRELATION_PAGE_KPIS",
]

#: the KPIs whose targets the phase page (02) states: the activity KPI and the efficiency KPIs of
#: its checklist items 6 and 9
PHASE_PAGE_KPIS = ("calls", "deal_conversion", "handoff_win_rate")
#: the efficiency KPIs whose guide values the correlation page (03) states
CORRELATION_PAGE_KPIS = ("connect_rate", "conversation_rate", "appointment_rate", "deal_conversion", "email_reply_rate")


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


#: where the reverse plan's goal came from, in the order it is looked for (:func:`plan.default_goal`)
GOAL_BASES = plan.GOAL_BASES


def default_goal(
    team_rows: pd.DataFrame,
    counts: pd.Series,
    goal_won: int = 0,
    *,
    goals: dict | None = None,
    phase: str | None = None,
    headcount: int = 0,
    targets_file: str | None = None,
    month: str | None = None,
) -> tuple[int, str, str]:
    """The KGI the reverse plan works back from: ``(goal, basis, kpi_id)`` —
    :func:`plan.default_goal` with the team's KPI-tree rows (``team_rows``: phase, won amount
    and its month target) and ``counts`` (funnel counts). ``goals``: ``{kpi_id: monthly goal}``
    of the team (:meth:`settings.TeamSettings.goal_targets`); ``headcount``: reps on the team in
    the month (the default goal is the phase's per-rep deals-created target × headcount)."""
    w = team_rows[team_rows["kpi_id"] == "won_amount_jpy"]
    won_amount = float(w["total"].iloc[0]) if len(w) and np.isfinite(w["total"].iloc[0]) else None
    w_in = w[w["in_phase"]] if len(w) else w
    won_target = float(w_in["month_target"].iloc[0]) if len(w_in) else None
    if phase is None:
        phase = str(team_rows["phase"].iloc[0])
    return plan.default_goal(
        counts=counts,
        phase=phase,
        headcount=int(headcount),
        goal_won=goal_won,
        goals=goals,
        won_amount=won_amount,
        won_amount_target=won_target,
        targets_file=targets_file,
        month=month,
    )


def _headcount(rep_period: pd.DataFrame, team_id, month: str) -> int:
    """Reps on the team in ``month`` (employed on at least one of its days, or with activity): as
    the KPI tree counts them for its per-rep month targets."""
    start = pd.Period(month, freq="M").start_time
    rp = rep_period[(rep_period["team_id"] == team_id) & (rep_period["period"] == start)]
    return int((rp["n_days"] > 0).sum())


def _chain_to(chain: dict, stage: str) -> dict:
    """The observed funnel chain cut at ``stage`` (the plan's goal stage)."""
    i = chain["stages"].index(stage)
    rates = chain["rates"][:i]
    return {
        "stages": chain["stages"][: i + 1],
        "rates": rates,
        "successes": chain["successes"][:i],
        "trials": chain["trials"][:i],
        "usable": all(np.isfinite(x) and 0 < x <= 1 for x in rates),
    }


def team_scorecards(
    data,
    *,
    month: str,
    tree: pd.DataFrame,
    rep_period: pd.DataFrame,
    rep_period_day: pd.DataFrame,
    targets_file: str | None = None,
    as_of=None,
    goal_won: int = 10,
    probability: float = 0.9,
    min_trials: int = 30,
    goals: dict | None = None,
) -> dict:
    """Funnel, bottleneck, plan and pacing of every team in ``tree`` (language-neutral; the
    words and the summary are added by :func:`narrative.describe_teams`).

    ``goals``: ``{team_id: {kpi_id: monthly goal}}`` from the run's settings (the same dict
    given to :func:`tree.kpi_tree`, whose month targets the pacing follows); the reverse plan's
    goal is chosen by :func:`default_goal`.

    Returns
    -------
    dict team_id → dict with team_name, phase, card (:func:`team_card`),
    counts (:func:`funnel.funnel_counts` row), stages (:func:`funnel.funnel`), bottleneck,
    chain (:func:`funnel.observed_chain`), reverse (:func:`plan.reverse_plan` or None),
    prob_plan (:func:`plan.probability_plan` or None), plan_summary (dict for the summary),
    daily (:func:`pacing.daily_totals`), pacing (:func:`pacing.pacing_table` of the paced KPIs
    with month targets), paced_kpi, path (:func:`pacing.cumulative_path` of it).
    """
    as_of = data.last_date if as_of is None else pd.Timestamp(as_of)
    names = data.teams.set_index("team_id")["team_name"] if data.has("teams") else pd.Series(dtype=str)
    out = {}
    counts_all = funnel.funnel_counts(data, month=month, rep_period=rep_period, by="team_id")
    for team_id in dict.fromkeys(tree["team_id"]):
        card = team_card(tree, team_id)
        t_rows = tree[(tree["team_id"] == team_id) & (tree["level"] == "team")]
        phase = t_rows["phase"].iloc[0]
        crow = counts_all[counts_all["team_id"] == team_id]
        if not len(crow):
            continue
        # the funnel judges its stage rates with the tree's own target rows (one target table)
        stages = funnel.funnel(crow, targets=t_rows[t_rows["target_basis"] != "none"], min_trials=min_trials)
        calls_row = t_rows[(t_rows["kpi_id"] == "calls") & t_rows["in_phase"]]
        calls_att = float(calls_row["attainment"].iloc[0]) if len(calls_row) else None
        bn = funnel.bottleneck(stages, calls_attainment=calls_att)
        chain = funnel.observed_chain(stages)
        reverse = prob_plan = plan_summary = None
        goal, goal_basis, goal_kpi = default_goal(
            t_rows,
            crow.iloc[0],
            goal_won,
            goals=(goals or {}).get(team_id),
            phase=phase,
            headcount=_headcount(rep_period, team_id, month),
            targets_file=targets_file,
            month=month,
        )
        pchain = _chain_to(chain, goal_kpi) if goal_kpi in chain["stages"] else chain
        if pchain["usable"] and goal > 0 and pchain["stages"][-1] == goal_kpi:
            reverse = plan.reverse_plan(goal, stages=pchain["stages"], rates=pchain["rates"])
            prob_plan = plan.probability_plan(
                goal,
                stages=pchain["stages"],
                rates=pchain["rates"],
                successes=pchain["successes"],
                trials=pchain["trials"],
                probabilities=(0.5, 0.8, probability),
            )
            pr = prob_plan[prob_plan["basis"] == "probability"].iloc[-1]
            progress = plan.goal_progress(goal, float(crow[goal_kpi].iloc[0]))
            plan_summary = {
                "goal": goal,
                "goal_basis": goal_basis,
                "goal_kpi": goal_kpi,
                "goal_actual": int(progress["actual"]),
                "reached": progress["reached"],
                "calls_actual": int(crow["calls"].iloc[0]),
                "calls_plain": int(prob_plan["calls"].iloc[0]),
                "p_plain": float(prob_plan["probability"].iloc[0]),
                "calls_prob": None if pd.isna(pr["calls"]) else int(pr["calls"]),
                "probability": probability,
            }
        rpd = rep_period_day[rep_period_day["team_id"] == team_id]
        # the organisation's leads and deals, cut per team (the rows data.filter(team=…) reads)
        daily = pacing.daily_totals(data, rep_period=rpd, team=team_id if data.team == "all" else None)
        mt = t_rows.set_index("kpi_id")["month_target"]
        paced_cols = [c for c in daily.columns if c in mt.index and np.isfinite(mt[c])]
        ptab = (
            pacing.pacing_table(
                daily[paced_cols], month=month, as_of=as_of, targets={c: float(mt[c]) for c in paced_cols}
            )
            if paced_cols
            else None
        )
        pk = paced_kpi(t_rows[t_rows["in_phase"]])
        path = pacing.cumulative_path(daily[pk], month=month, as_of=as_of) if pk else None
        out[team_id] = {
            "team_name": names.get(team_id, team_id),
            "phase": phase,
            "card": card,
            "counts": crow.iloc[0],
            "stages": stages,
            "bottleneck": bn,
            "chain": chain,
            "reverse": reverse,
            "prob_plan": prob_plan,
            "plan_summary": plan_summary,
            "daily": daily,
            "pacing": ptab,
            "paced_kpi": pk,
            "path": path,
        }
    return out


def forecast_summary(
    teams: dict, *, months, at_business_day: int = 10, kpi_ids=("calls", "deals_created", "won_amount_jpy")
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Forecast accuracy of every team's pacing in past ``months`` (list of "YYYY-MM").

    Returns
    -------
    (rows, summary): rows = :func:`economics.forecast_accuracy` of every team with team_id;
    summary = one row per team × KPI: team_id, kpi_id, accuracy (mean), covered (share of
    month-ends inside the 90 % interval), n (months). None when no month can be checked.
    """
    parts = []
    for team_id, r in teams.items():
        cols = [c for c in kpi_ids if c in r["daily"].columns]
        fa = economics.forecast_accuracy(r["daily"][cols], months=months, at_business_day=at_business_day)
        if len(fa):
            parts.append(fa.assign(team_id=team_id))
    if not parts:
        return None
    rows = pd.concat(parts, ignore_index=True)
    summary = (
        rows.groupby(["team_id", "kpi_id"])
        .agg(accuracy=("accuracy", "mean"), covered=("covered", "mean"), n=("month", "size"))
        .reset_index()
    )
    return rows, summary


def win_rate_target(teams: dict, *, targets_file: str | None = None) -> float | None:
    """The handoff win-rate target of the first team (the line of the quality chart), from its
    KPI card / target table; None when its phase has none."""
    if not teams:
        return None
    card = next(iter(teams.values()))["card"]
    r = card[card["kpi_id"] == "handoff_win_rate"]
    return float(r["target"].iloc[0]) if len(r) and np.isfinite(r["target"].iloc[0]) else None


def smart_by_phase(
    data,
    teams: dict,
    *,
    rep_period: pd.DataFrame,
    month: str,
    months: int = 6,
    targets_file: str | None = None,
    industry: dict | None = None,
    gross_margin: float = 0.7,
    lifetime_years: float = 3.0,
) -> dict:
    """:func:`smart.smart_check` of every (phase, industry preset) the teams are in, each against
    the history of the teams that use those targets (``{(phase, industry): DataFrame}``, the
    history computed once). ``industry``: ``{team_id: preset or None}``."""
    hist = history_measures(data, rep_period=rep_period, month=month, months=months)
    industry = industry or {}
    groups: dict = {}
    for t, r in teams.items():
        groups.setdefault((r["phase"], industry.get(t)), []).append(t)
    return {
        key: smart_check(
            data,
            phase=key[0],
            industry=key[1],
            rep_period=rep_period,
            month=month,
            targets_file=targets_file,
            history=hist,
            team_ids=ids,
            gross_margin=gross_margin,
            lifetime_years=lifetime_years,
        )
        for key, ids in groups.items()
    }


def records(teams: dict, tree: pd.DataFrame, *, economics_rows: pd.DataFrame | None = None) -> dict:
    """The values notebook 01 records for its tests and the report (``nb.record(name, value)``).

    ``kpi_table`` (:data:`targets.KPI_TABLE_COLUMNS`): the team rows of the KPI tree and, when
    given, the economics KPIs (:func:`economics.kpi_rows`) — what every page showing a KPI's
    value, target and verdict records in the same shape."""
    kt = targets.kpi_table(tree)
    if economics_rows is not None and len(economics_rows):
        kt = pd.concat([kt, economics_rows], ignore_index=True).sort_values(["team_id", "kpi_id"], ignore_index=True)
    return {
        "phases": {t: r["phase"] for t, r in teams.items()},
        "summary": {t: r["summary"] for t, r in teams.items()},
        "bottleneck": {t: r["bottleneck"]["stage"] for t, r in teams.items()},
        "funnel": {t: {k: int(v) for k, v in r["counts"].drop("team_id").items()} for t, r in teams.items()},
        "plan": {t: r["plan_summary"] for t, r in teams.items()},
        "tree_team": tree[tree["level"] == "team"][
            ["team_id", "kpi_id", "actual", "k", "n", "target", "low", "high", "attainment", "month_target", "verdict"]
        ],
        "kpi_table": kt,
        "on_track": {
            t: [
                int(r["card"]["verdict"].isin(["ahead", "on_target"]).sum()),
                int(r["card"]["verdict"].isin(targets.JUDGED).sum()),
            ]
            for t, r in teams.items()
        },
    }


def page_kpi_table(
    data,
    *,
    month: str,
    kpi_ids,
    phases: pd.DataFrame,
    settings=None,
    targets_file: str | None = None,
    min_trials: int = 30,
    watch_from: float = 0.8,
) -> pd.DataFrame:
    """The ``kpi_table`` rows (:data:`targets.KPI_TABLE_COLUMNS`) of ``kpi_ids`` for a page other
    than the scorecard (02, 03) that states those KPIs' targets: the same KPI tree as notebook 01
    (the teams' one phase ``phases``, the settings' goals and industry preset, 01's default
    ``min_trials`` / ``watch_from`` and as-of date), so every page records the same value, target
    and verdict. ``data``: the page's teams, every role."""
    from .. import aggregate

    teams = list(phases["team_id"])
    goals = {t: settings.team(t).goal_targets() for t in teams} if settings is not None else None
    industry = {t: settings.team(t).industry for t in teams} if settings is not None else None
    as_of = min(data.last_date, pd.Period(month, "M").end_time.normalize())
    tree = kpi_tree(
        data,
        month=month,
        rep_period=aggregate.rep_period(data, grain="month"),
        phases=phases,
        targets_file=targets_file or None,
        min_trials=min_trials,
        watch_from=watch_from,
        as_of=as_of,
        goals=goals,
        industry=industry,
    )
    return targets.kpi_table(tree, kpi_ids=kpi_ids)
