"""Reps and rep-days: who works in which team from when, how skilled, how busy on each day.

Effects planted here (package docstring): the between-rep coupling of skill and volume (2),
the new-hire ramp-up (3), the rep's hour preferences confounded with skill (4), the team's
activity ramp, daily volume shocks, absences and weekend work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .names import GIVEN, SURNAMES
from .params import (
    ABSENCE_PROB,
    ACTIVITY_REP_SD,
    ACTIVITY_SKILL_COUPLING,
    GOOD_HOURS,
    HOUR_BASE_WEIGHT,
    HOUR_PREF_SD,
    HOURS,
    RAMP,
    REP_SKILL_SD,
)
from .specs import TeamSpec
from .timebase import Calendar

__all__ = ["Rep", "RepDays", "draw_reps", "draw_rep_days", "teams_frame", "reps_frame"]


@dataclass(frozen=True)
class Rep:
    """One generated rep and their latent values.

    Attributes
    ----------
    rep_id, rep_name, role : str
        As written to ``reps``.
    team : TeamSpec
        The rep's team.
    joined, left : pandas.Timestamp
        First day employed; first day no longer employed (NaT = still employed).
    new : bool
        A new hire (joined after the team's data start): ramps up.
    skill : float
        The rep's own logit offset (the team's ``skill`` comes on top).
    act : float
        The rep's activity multiplier (usual volume relative to the team's).
    hour_w : numpy.ndarray
        Probability of each calling hour in :data:`~.params.HOURS` (sums to 1).
    """

    rep_id: str
    rep_name: str
    team: TeamSpec
    role: str
    joined: pd.Timestamp
    left: pd.Timestamp
    new: bool
    skill: float
    act: float
    hour_w: np.ndarray


def _team_reps(rng, t: TeamSpec, end_d: pd.Timestamp, hour_confounding: float, first_k: int, names) -> list[Rep]:
    """Draw one team's reps: new hires and their joining days, leavers, skill, volume, hours."""
    n = t.n_sdr + t.n_bdr
    roles = np.array(["SDR"] * t.n_sdr + ["BDR"] * t.n_bdr)
    span = (end_d - t.start).days + 1
    n_new = int(round(t.new_hire_share * n))
    new = np.zeros(n, bool)
    if n_new:
        new[rng.choice(n, n_new, replace=False)] = True
    lo, hi = 30, span - 45
    if hi <= lo:
        lo, hi = 0, max(span - 1, 1)
    offs = rng.integers(lo, hi, n)
    leave = np.zeros(n, bool)
    founders = np.flatnonzero(~new)
    if t.n_leavers and len(founders):
        leave[rng.choice(founders, min(t.n_leavers, len(founders)), replace=False)] = True
    loffs = rng.integers(int(span * 0.4), max(int(span * 0.4) + 1, span - 20), n)
    skills = rng.normal(0, REP_SKILL_SD if t.rep_skill_sd is None else t.rep_skill_sd, n)
    act = np.exp(ACTIVITY_SKILL_COUPLING * skills / REP_SKILL_SD + rng.normal(0, ACTIVITY_REP_SD, n))
    hpref = rng.normal(0, HOUR_PREF_SD, (n, len(HOURS)))
    good = np.isin(HOURS, GOOD_HOURS).astype(float)
    base_w = np.array([HOUR_BASE_WEIGHT[h] for h in HOURS])
    reps = []
    for i in range(n):
        k = first_k + i
        joined = (t.start + pd.Timedelta(days=int(offs[i]))) if new[i] else pd.Timestamp(t.launched_on)
        left = t.start + pd.Timedelta(days=int(loffs[i])) if leave[i] else pd.NaT
        # skilled reps lean towards the good hours (effect 4: hour choice confounded with skill)
        w = base_w * np.exp(hour_confounding * skills[i] / REP_SKILL_SD * good + hpref[i])
        reps.append(
            Rep(f"R{k + 1:03d}", names[k], t, roles[i], joined, left, bool(new[i]), skills[i], act[i], w / w.sum())
        )
    return reps


def draw_reps(rng, teams: list[TeamSpec], end_d: pd.Timestamp, hour_confounding: float) -> list[Rep]:
    """All reps of all teams, ids ``R001``… in team order, names drawn without repetition when possible."""
    names = [s + " " + g for s in SURNAMES for g in GIVEN]
    n_total = sum(t.n_sdr + t.n_bdr for t in teams)
    name_idx = rng.permutation(len(names))[:n_total] if n_total <= len(names) else rng.integers(0, len(names), n_total)
    picked = [names[i] for i in name_idx]
    reps: list[Rep] = []
    for t in teams:
        reps += _team_reps(rng, t, end_d, hour_confounding, len(reps), picked)
    return reps


#: the columns of :class:`RepDays`, one value per rep × employed day
REP_DAY_COLUMNS = ("rep", "day", "n", "z", "mu_act", "skill_off", "trend", "ne", "conv")


@dataclass(frozen=True)
class RepDays:
    """One row per rep × employed day (parallel arrays).

    Attributes
    ----------
    rep, day : numpy.ndarray
        Rep index (into the rep list) and day index (into ``Calendar.days``).
    n, ne : numpy.ndarray
        Calls and e-mails that day.
    z : numpy.ndarray
        The day's volume shock in the rep's SD units (0 on non-business days).
    mu_act : numpy.ndarray
        Expected calls that day.
    skill_off : numpy.ndarray
        Ramp-up skill offset (logit, ≤ 0).
    trend : numpy.ndarray
        The team's conversion trend since launch (logit).
    conv : numpy.ndarray
        Share of the rep's own skill offset still present (skill convergence).
    """

    rep: np.ndarray
    day: np.ndarray
    n: np.ndarray
    z: np.ndarray
    mu_act: np.ndarray
    skill_off: np.ndarray
    trend: np.ndarray
    ne: np.ndarray
    conv: np.ndarray


def _ramps(rp: Rep, di: np.ndarray, cal: Calendar):
    """The rep's ramp-up (activity share, skill offset) and the team's activity ramp on days ``di``."""
    t = rp.team
    nd = len(di)
    tenure = (di - (rp.joined - cal.start_d).days).astype(float)
    ramp_on = rp.new or t.ramp_founders
    rfrac = np.clip(tenure / RAMP["days"], 0, 1) if ramp_on else np.ones(nd)
    ramp_act = RAMP["activity_start"] + (1 - RAMP["activity_start"]) * rfrac
    ramp_skill = RAMP["skill_start"] * (1 - rfrac)
    since_launch = (di - (pd.Timestamp(t.launched_on) - cal.start_d).days).astype(float)
    if t.calls_ramp_months > 0:
        tfrac = np.clip(since_launch / (30.44 * t.calls_ramp_months), 0, 1)
        team_act = t.calls_start_share + (1 - t.calls_start_share) * tfrac
    else:
        team_act = np.ones(nd)
    return ramp_act, ramp_skill, team_act, since_launch


def _one_rep_days(rng, r: int, rp: Rep, cal: Calendar, weekend_work_prob: float) -> dict | None:
    """The rep-day columns of rep ``r`` (None when the rep has no employed day in the window)."""
    t = rp.team
    first = max(rp.joined, t.start)
    last = cal.end_d if pd.isna(rp.left) else min(cal.end_d, rp.left - pd.Timedelta(days=1))
    i0 = int((first - cal.start_d).days)
    i1 = int((last - cal.start_d).days)
    if i1 < i0:
        return None
    di = np.arange(i0, i1 + 1)
    nd = len(di)
    bd = cal.business[di]
    ramp_act, ramp_skill, team_act, since_launch = _ramps(rp, di, cal)
    mu = t.calls_per_day * rp.act * ramp_act * team_act
    # calls = round(expected × exp(cv·z − cv²/2)): z is the day's volume in the rep's SD units (effect 2)
    z = rng.normal(0, 1, nd)
    cv = t.activity_cv
    n_bd = np.rint(mu * np.exp(cv * z - cv * cv / 2)).astype(np.int64)
    absent = rng.random(nd) < ABSENCE_PROB
    works_off = rng.random(nd) < weekend_work_prob
    n_off = rng.poisson(15, nd)
    n = np.where(bd, np.where(absent, 0, n_bd), np.where(works_off, n_off, 0))
    n = np.clip(n, 0, 400)
    ne_mu = t.emails_per_day * rp.act * ramp_act * team_act
    ne = np.where(bd & ~absent, rng.poisson(ne_mu), np.where(~bd & works_off, rng.poisson(3, nd), 0))
    return {
        "rep": np.full(nd, r),
        "day": di,
        "n": n,
        "z": np.where(bd, z, 0.0),
        "mu_act": mu,
        "skill_off": ramp_skill,
        "trend": t.conversion_trend * since_launch / 365.0,
        "ne": ne,
        "conv": np.clip(1.0 - t.skill_convergence * since_launch / 365.0, 0.0, 1.0),
    }


def draw_rep_days(rng, reps: list[Rep], cal: Calendar, weekend_work_prob: float) -> RepDays:
    """Every rep's employed days with their call and e-mail counts (reps in order, days in order)."""
    parts = [p for r, rp in enumerate(reps) if (p := _one_rep_days(rng, r, rp, cal, weekend_work_prob)) is not None]
    return RepDays(**{c: np.concatenate([p[c] for p in parts]) for c in REP_DAY_COLUMNS})


def teams_frame(teams: list[TeamSpec]) -> pd.DataFrame:
    """The ``teams`` table."""
    return pd.DataFrame(
        {
            "team_id": pd.array([t.team_id for t in teams], dtype="str"),
            "team_name": pd.array([t.team_name for t in teams], dtype="str"),
            "launched_on": pd.to_datetime([t.launched_on for t in teams]).astype("datetime64[ns]"),
        }
    )


def reps_frame(reps: list[Rep]) -> pd.DataFrame:
    """The ``reps`` table."""
    return pd.DataFrame(
        {
            "rep_id": pd.array([rp.rep_id for rp in reps], dtype="str"),
            "rep_name": pd.array([rp.rep_name for rp in reps], dtype="str"),
            "team_id": pd.array([rp.team.team_id for rp in reps], dtype="str"),
            "role": pd.array([rp.role for rp in reps], dtype="str"),
            "joined_on": pd.to_datetime([rp.joined for rp in reps]).astype("datetime64[ns]"),
            "left_on": pd.to_datetime([rp.left for rp in reps]).astype("datetime64[ns]"),
        }
    )
