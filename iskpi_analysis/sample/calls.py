"""Calls: when each call is made (the rep's hour preferences) and what it leads to.

Effects planted here (package docstring): the hour × weekday connect pattern (1), the
within-rep volume ↔ efficiency trade-off on connect and conversation (2), ramp-up, skill,
convergence and trend offsets, valid conversations by talk time; the null controls
(``decision_maker``, ``script``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .params import BASE_RATE, DECISION_MAKER_P_BDR, HOUR_LOGIT, HOURS, WEEKDAY_LOGIT, logit, sigmoid
from .roster import Rep, RepDays
from .timebase import Calendar, to_timestamps

__all__ = ["Calls", "draw_calls", "draw_null_controls", "calls_frame"]


@dataclass(frozen=True)
class Calls:
    """Every call, sorted by time then rep (parallel arrays).

    Attributes
    ----------
    row : numpy.ndarray
        The call's row in :class:`~.roster.RepDays`.
    rep : numpy.ndarray
        Rep index.
    hour_i : numpy.ndarray
        Index of the call's hour in :data:`~.params.HOURS`.
    secs : numpy.ndarray
        Local seconds of the call's start.
    is_sdr : numpy.ndarray
        The caller is an SDR.
    eff : numpy.ndarray
        The caller's skill offset that day (team + rep + ramp-up, after convergence), logit.
    trend : numpy.ndarray
        The team's conversion trend that day, logit.
    connected, valid : numpy.ndarray
        Connected; a valid conversation (connected and talk ≥ 120 s).
    talk : numpy.ndarray
        Talk seconds (0 when not connected).
    """

    row: np.ndarray
    rep: np.ndarray
    hour_i: np.ndarray
    secs: np.ndarray
    is_sdr: np.ndarray
    eff: np.ndarray
    trend: np.ndarray
    connected: np.ndarray
    valid: np.ndarray
    talk: np.ndarray


def _call_times(rng, reps: list[Rep], rd: RepDays, cal: Calendar):
    """Each call's rep-day row, rep, hour index and start (local seconds), sorted by time then rep."""
    cr = np.repeat(np.arange(len(rd.rep)), rd.n)  # rep-day row of each call
    call_rep = rd.rep[cr]
    nc = len(cr)
    hour_i = np.empty(nc, np.int64)
    for r, rp in enumerate(reps):
        m = call_rep == r
        hour_i[m] = rng.choice(len(HOURS), int(m.sum()), p=rp.hour_w)
    secs = cal.day_sec0[rd.day[cr]] + HOURS[hour_i] * 3600 + rng.integers(0, 3600, nc)
    order = np.lexsort((call_rep, secs))
    return cr[order], call_rep[order], hour_i[order], secs[order]


def _skill_offset(reps: list[Rep], rd: RepDays, cr, call_rep, converge: bool):
    """The caller's logit offset: team + rep skill + ramp-up, the rep's part shrunk by convergence."""
    skill_rep = np.array([rp.skill + rp.team.skill for rp in reps])
    eff = skill_rep[call_rep] + rd.skill_off[cr]
    if converge:  # narrowing gap: shrink the rep's own offset
        own = np.array([rp.skill for rp in reps])
        eff = eff - own[call_rep] * (1.0 - rd.conv[cr])
    return eff


def draw_calls(
    rng, reps: list[Rep], rd: RepDays, cal: Calendar, *, hour_effect: bool, tradeoff: float, converge: bool
) -> Calls:
    """Draw every call's time, connect, valid conversation and talk time.

    ``hour_effect=False`` removes the hour and weekday pattern; ``tradeoff`` is the logit change
    of connect and conversation per SD of the rep's daily volume; ``converge`` applies the teams'
    ``skill_convergence``.
    """
    cr, call_rep, hour_i, secs = _call_times(rng, reps, rd, cal)
    nc = len(cr)
    hour_l = np.array([HOUR_LOGIT[h] if hour_effect else 0.0 for h in HOURS])
    wd_l = np.array([WEEKDAY_LOGIT[d] if hour_effect else 0.0 for d in range(7)])
    call_wd = cal.wd[rd.day[cr]]
    role_rep = np.array([rp.role for rp in reps])
    is_sdr = role_rep[call_rep] == "SDR"
    eff = _skill_offset(reps, rd, cr, call_rep, converge)
    zc = rd.z[cr]
    base_c = np.where(is_sdr, logit(BASE_RATE["SDR"]["connect"]), logit(BASE_RATE["BDR"]["connect"]))
    p_conn = sigmoid(base_c + eff + hour_l[hour_i] + wd_l[call_wd] + tradeoff * zc)
    connected = rng.random(nc) < p_conn
    base_v = np.where(is_sdr, logit(BASE_RATE["SDR"]["conversation"]), logit(BASE_RATE["BDR"]["conversation"]))
    trend = rd.trend[cr]
    p_valid = sigmoid(base_v + eff + trend + tradeoff * zc)
    valid = connected & (rng.random(nc) < p_valid)
    talk = np.where(
        valid,
        120 + np.rint(np.exp(rng.normal(np.log(180), 0.6, nc))),
        np.where(connected, rng.integers(10, 120, nc), 0),
    ).astype(np.int64)
    return Calls(cr, call_rep, hour_i, secs, is_sdr, eff, trend, connected, valid, talk)


def draw_null_controls(rng, nc: int):
    """The columns with no planted effect: decision-maker draws (P = 0.40) and script A/B (50/50)."""
    dm_draw = rng.random(nc) < DECISION_MAKER_P_BDR
    script = np.where(rng.random(nc) < 0.5, "A", "B")
    return dm_draw, script


def calls_frame(calls: Calls, rep_ids, lead_id_of_call, appointment, dm_draw, script) -> pd.DataFrame:
    """The ``calls`` table (``decision_maker`` NA for SDR calls, False when not connected)."""
    nc = len(calls.secs)
    return pd.DataFrame(
        {
            "call_id": pd.array([f"C{i + 1:08d}" for i in range(nc)], dtype="str"),
            "rep_id": pd.array(rep_ids[calls.rep], dtype="str"),
            "lead_id": pd.array(lead_id_of_call, dtype="str"),
            "started_at": to_timestamps(calls.secs),
            "connected": calls.connected,
            "talk_seconds": calls.talk,
            "appointment": appointment,
            "decision_maker": pd.array(np.where(calls.is_sdr, pd.NA, calls.connected & dm_draw), dtype="boolean"),
            "script": pd.array(script, dtype="str"),
        }
    )
