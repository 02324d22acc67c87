"""The whole diagnosis of one team: evidence → checklist and signs → the seed's rule → readiness
→ reps, next KPIs and migration plan, as one language-neutral :class:`TeamDiagnosis`
(:func:`diagnose`); :func:`iskpi_analysis.phase.describe` adds its words."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import config, kpis
from ..phase_age import team_phases
from .activity import activity_stability, activity_target, data_span
from .items import checklist_status, sign_status
from .migration import migration_plan, next_phase_kpis
from .outcomes import conversion_trend, efficiency_stability, growth_target, revenue_traceability
from .patterns import success_patterns
from .reps import rep_standing
from .rules import DEFAULT_RULES, Rules, answers_for, classify, decide_phase, readiness
from .skill import skill_gap

__all__ = ["TeamDiagnosis", "diagnose", "diagnose_teams", "key_figures"]


@dataclass(frozen=True)
class TeamDiagnosis:
    """Everything notebook 02 shows for one team (see :func:`diagnose`).

    Language-neutral as returned by :func:`diagnose` (``lang`` None, ``findings`` empty); the
    tables, the verdict and the findings carry their words after :func:`phase.describe`.
    """

    team_id: str
    team_name: str
    month: str
    months_since_launch: int | None
    time_phase: str
    time_phase_basis: str
    evidence: dict
    chart: pd.DataFrame
    skill_monthly: pd.DataFrame
    conversion_monthly: pd.DataFrame
    checklist: pd.DataFrame
    signs: pd.DataFrame
    classification: dict
    verdict: dict
    reps: pd.DataFrame
    next_kpis: pd.DataFrame
    plan: pd.DataFrame
    rules: Rules = DEFAULT_RULES
    findings: list = field(default_factory=list)
    lang: str | None = None


def _evidence(
    td, rd, rm, *, month, tp, target_phase, ans, targets_file, rules: Rules
) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The per-item results of one team: (evidence dict, XmR chart, skill by month, conversion by
    month). ``target_phase``: the phase whose activity target items 2/5 use (the override, else
    the phase by months since launch)."""
    r = rules
    month_end = pd.Period(month, freq="M").end_time.normalize()
    span = data_span(rd, month=month)
    a_target, a_phase = activity_target(target_phase, kpi=r.activity_kpi, targets_file=targets_file)
    chart, act = activity_stability(
        rd,
        month=month,
        target=a_target,
        kpi=r.activity_kpi,
        months=r.months,
        run_length=r.run_length,
        max_out_share=r.max_out_share,
        min_points=r.min_points,
        min_stable_share=r.min_stable_share,
    )
    skill_monthly, gap = skill_gap(
        rm,
        month=month,
        kpi=r.skill_kpi,
        months=r.months,
        trend_months=r.trend_months,
        threshold=r.skill_gap_threshold,
        alpha=r.alpha,
    )
    deals = td.deals if td.has("deals") else None
    if deals is not None:
        deals = deals[deals["created_at"].dt.tz_localize(None) <= month_end + pd.Timedelta(days=1)]
    conv_monthly, conv = conversion_trend(
        rm if deals is not None else rm.drop(columns=["deals_created"], errors="ignore"),
        month=month,
        target=growth_target("deal_conversion", targets_file),
        months=r.months,
        trend_months=r.trend_months,
        alpha=r.alpha,
    )
    eff_monthly, eff = efficiency_stability(
        rm, deals, month=month, targets_file=targets_file, months=r.months, min_trials=r.min_trials
    )
    ev = {
        "activity": act,
        "activity_target_phase": a_phase,
        "patterns": success_patterns(
            td.filter(end=month_end + pd.Timedelta(days=1)),
            month=month,
            months=r.months,
            alpha=r.alpha,
            winning_script=ans["winning_script"],
        ),
        "skill": gap,
        "conversion": conv,
        "efficiency": eff,
        "efficiency_monthly": eff_monthly,
        "revenue": revenue_traceability(deals, month=month, months=r.months),
        "answers": ans,
        "span": span,
        "enough_data": bool(span["span_months"] >= r.min_months),
        "months": r.months,
        "trend_months": r.trend_months,
        "min_months": r.min_months,
        "alpha": r.alpha,
        "months_since_launch": None if pd.isna(tp["months_since_launch"]) else int(tp["months_since_launch"]),
        "launched_on": tp["launched_on"],
    }
    return ev, chart, skill_monthly, conv_monthly


def _verdict(
    cls: dict, cl: pd.DataFrame, sg: pd.DataFrame, *, time_phase: str, time_phase_basis: str, override: str | None
) -> dict:
    """The verdict codes: the diagnosed phase, the team's one phase (:func:`rules.decide_phase`:
    override > diagnosis > months since launch) and the readiness for the phase after it."""
    diagnosed = cls["phase"]
    team_phase, source = decide_phase(override=override, diagnosed=diagnosed, age_phase=time_phase)
    # the readiness conditions are judged whether or not the checklist decides the phase: a team on
    # the age fallback is still asked the seed's conditions for the next phase
    rdy = readiness(
        from_phase=team_phase,
        checklist_status=dict(zip(cl["item_id"], cl["status"])),
        sign_status=dict(zip(sg["sign_id"], sg["status"])),
        determined=True,
    )
    return {
        "phase": diagnosed,
        "time_phase": time_phase,
        "time_phase_basis": time_phase_basis,
        "team_phase": team_phase,
        "source": source,
        "override": override or None,
        "from_phase": team_phase,
        "next_phase": rdy["next_phase"],
        "readiness": rdy["readiness"],
        "failed": rdy["failed"],
        "unknown": rdy["unknown"],
        "conditions": rdy["conditions"],
        "determined": cls["determined"],
    }


def diagnose(
    data,
    *,
    month: str,
    team: str,
    rep_day: pd.DataFrame,
    rep_month: pd.DataFrame,
    answers: dict | None = None,
    targets_file=None,
    phase: str | None = None,
    rules: Rules = DEFAULT_RULES,
) -> TeamDiagnosis:
    """Phase diagnosis of one team for the report month (language-neutral).

    Parameters
    ----------
    data : Dataset (the whole organisation or this team).
    team : team_id.
    rep_day, rep_month : ``aggregate.rep_period`` tables (day, month), any teams; cut to ``team``
        and to the report month's end here.
    answers : analyst answers, keys among ``ANSWER_KEYS`` (fs_rules_established,
        revenue_reporting, winning_script); values yes / no / unknown, True / False / None, or
        per team "team_id:yes, …" (see :func:`parse_answer`). Missing = unknown.
    phase : the phase an analyst sets for the team (the notebook parameter or the settings file):
        it is the team's phase (``verdict["team_phase"]``, source "override") and its activity
        target is used; None/"" = decided from the data (the diagnosis; months since launch when
        the diagnosis is insufficient).
    rules : the thresholds (:class:`Rules`).

    Returns
    -------
    TeamDiagnosis with evidence (dict of the per-item results), chart (XmR table), skill_monthly,
    conversion_monthly, checklist (:func:`checklist_status`), signs (:func:`sign_status`),
    classification (:func:`classify`), verdict (dict: phase (diagnosed; None = insufficient),
    time_phase (by months since launch), time_phase_basis, team_phase (the one phase), source
    ("override", "diagnosis", "age"), override, from_phase (= team_phase), next_phase, readiness,
    failed, unknown, conditions, determined), reps
    (:func:`rep_standing`), next_kpis (:func:`next_phase_kpis`), plan (:func:`migration_plan`).
    """
    config.check_option("phase", phase, (None, "", *kpis.PHASES))
    if not isinstance(rules, Rules):
        raise ValueError(f"rules must be a phase.Rules, got {type(rules).__name__}")
    if team not in data.team_ids():
        raise ValueError(f"unknown team {team!r}; teams in the data: {', '.join(data.team_ids())}")
    month_end = pd.Period(month, freq="M").end_time.normalize()
    td = data.filter(team=team)
    tp = team_phases(td, month=month)  # by months since launch: never the override
    tp = tp[tp["team_id"] == team].iloc[0]
    time_phase = tp["phase"]
    rd = rep_day[(rep_day["team_id"] == team) & (rep_day["period"] <= month_end)]
    rm = rep_month[(rep_month["team_id"] == team) & (rep_month["period"] <= month_end)]
    ans = answers_for(answers, team)
    ev, chart, skill_monthly, conv_monthly = _evidence(
        td,
        rd,
        rm,
        month=month,
        tp=tp,
        target_phase=phase or time_phase,
        ans=ans,
        targets_file=targets_file,
        rules=rules,
    )
    cl = checklist_status(ev)
    sg = sign_status(cl, ev)
    cls = classify(cl, min_judged=rules.min_judged)
    verdict = _verdict(cls, cl, sg, time_phase=time_phase, time_phase_basis=tp["phase_basis"], override=phase or None)
    nxt = verdict["next_phase"]
    return TeamDiagnosis(
        team_id=team,
        team_name=str(tp["team_name"]),
        month=month,
        months_since_launch=ev["months_since_launch"],
        time_phase=time_phase,
        time_phase_basis=tp["phase_basis"],
        evidence=ev,
        chart=chart,
        skill_monthly=skill_monthly,
        conversion_monthly=conv_monthly,
        checklist=cl,
        signs=sg,
        classification=cls,
        verdict=verdict,
        reps=rep_standing(
            rd,
            rm,
            td.reps,
            month=month,
            target=ev["activity"]["target"],
            next_phase=nxt,
            growth_conversion_target=ev["conversion"]["target"],
            kpi=rules.activity_kpi,
            months=rules.months,
            min_rep_days=rules.min_rep_days,
        ),
        next_kpis=next_phase_kpis(nxt, phase=verdict["from_phase"], targets_file=targets_file),
        plan=migration_plan(month, next_phase=nxt, ready=verdict["readiness"] == "ready"),
        rules=rules,
    )


def diagnose_teams(data, *, month: str, rep_day: pd.DataFrame, rep_month: pd.DataFrame, phase=None, **kwargs) -> dict:
    """:func:`diagnose` for every team in ``data`` (a team-filtered Dataset gives one team).

    ``phase``: one override for every team (str), or ``{team_id: phase or None}`` (the settings
    file's phase per team, :func:`decision.phase_overrides`); None = none.

    Returns
    -------
    dict team_id → TeamDiagnosis, in team order. Teams without reps are left out.
    """
    teams = [data.team] if data.team != "all" else data.team_ids()
    with_reps = set(data.reps["team_id"])
    per_team = phase if isinstance(phase, dict) else {}
    return {
        t: diagnose(
            data,
            month=month,
            team=t,
            rep_day=rep_day,
            rep_month=rep_month,
            phase=per_team.get(t) if isinstance(phase, dict) else phase,
            **kwargs,
        )
        for t in teams
        if t in with_reps
    }


def _f(x) -> float | None:
    return None if x is None or (isinstance(x, float) and not np.isfinite(x)) else float(x)


def key_figures(diag: TeamDiagnosis) -> dict:
    """The figures behind the verdict, JSON-ready (what the notebook records)."""
    ev = diag.evidence
    a, c, g, s = ev["activity"], ev["conversion"], ev["skill"], ev["span"]
    f = _f
    return {
        "months_since_launch": diag.months_since_launch,
        "span_months": f(s["span_months"]),
        "activity_kpi": a["kpi"],
        "activity_target": f(a["target"]),
        "activity_target_phase": ev["activity_target_phase"],
        "activity_mean": f(a["mean"]),
        "activity_lcl": f(a["lcl"]),
        "activity_ucl": f(a["ucl"]),
        "activity_stable": a["stable"],
        "activity_n_points": a["n_points"],
        "activity_k": a["k_at_target"],
        "activity_n": a["n_rep_days"],
        "activity_share": f(a["share"]),
        "window_start": str(a["window_start"].date()),
        "window_end": str(a["window_end"].date()),
        "conversion": f(c["rate"]),
        "conversion_k": c["k"],
        "conversion_n": c["n"],
        "conversion_target": f(c["target"]),
        "conversion_slope": f(c["slope"]),
        "conversion_p_val": f(c["p_val"]),
        "skill_cv": f(g["cv"]),
        "skill_threshold": g["threshold"],
        "skill_n_reps": g["n_reps"],
        "recommended_hours": ev["patterns"]["recommended_hours"],
        "activity_team_stable": a.get("team_stable"),
        "activity_reps_judged": a.get("reps_judged", 0),
        "activity_reps_stable": a.get("reps_stable", 0),
        "patterns_looked_for": ev["patterns"].get("looked_for", []),
        "efficiency_met": ev["efficiency"]["met"],
        "revenue_traceable": ev["revenue"]["traceable"],
    }
