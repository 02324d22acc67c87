"""``generate``: the seven contract tables from one random stream, step by step.

The steps draw from one ``numpy.random.default_rng(seed)`` in a fixed order (reps, rep-days,
calls, leads, appointments, null controls, funnel dates, e-mails, deals): the committed
``data/sample/`` is byte-reproducible only while that order stays as it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calls import calls_frame, draw_calls, draw_null_controls
from .costs import costs_frame, lead_spend
from .deals import deals_frame, draw_deals
from .emails import draw_emails, emails_frame
from .leads import draw_appointments, draw_leads, funnel_dates, lead_order, leads_frame, link_calls_to_leads
from .params import DEFAULT_END, DEFAULT_HOUR_CONFOUNDING, DEFAULT_SEED, DEFAULT_TRADEOFF, WEEKEND_WORK_PROB
from .roster import draw_rep_days, draw_reps, reps_frame, teams_frame
from .specs import DEFAULT_TEAMS, TeamSpec
from .timebase import make_calendar
from .truth import make_truth, rep_truth

__all__ = ["generate", "data_end"]


def data_end(end_sec: int, call_secs: np.ndarray, email_secs: np.ndarray) -> int:
    """The data's own "today": nothing may happen after the last day with a call or e-mail."""
    last_day = max(call_secs.max() if len(call_secs) else 0, email_secs.max() if len(email_secs) else 0) // 86400
    return min(end_sec, int(last_day) * 86400 + 86399)


def generate(
    seed: int = DEFAULT_SEED,
    *,
    teams: list[TeamSpec] | None = None,
    end: str = DEFAULT_END,
    hour_effect: bool = True,
    tradeoff: float = DEFAULT_TRADEOFF,
    hour_confounding: float = DEFAULT_HOUR_CONFOUNDING,
    weekend_work_prob: float = WEEKEND_WORK_PROB,
    truth: dict | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate the seven contract tables (``teams, reps, calls, emails, leads, deals, costs``).

    Parameters
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed and arguments give the same frames.
    teams : list of TeamSpec, optional
        Defaults to ``DEFAULT_TEAMS`` (the committed sample).
    end : str
        Last day of data (``YYYY-MM-DD``).
    hour_effect : bool
        False removes the hour × weekday connect pattern.
    tradeoff : float
        Within-rep logit change of connect and conversation per SD of daily calls.
    hour_confounding : float
        How strongly skilled reps prefer the good hours. ``hour_effect=False``, ``tradeoff=0``
        and ``hour_confounding=0`` give a null dataset.
    weekend_work_prob : float
        Probability that a rep works on a non-business day.
    truth : dict, optional
        Pass an empty dict to receive this generation's planted parameters (``make_truth(...)``)
        plus ``truth["reps"]``, a DataFrame of the realised per-rep latent values (rep_id,
        team_id, role, new_hire, skill = rep + team logit offset, rep_skill,
        activity_multiplier, hour_weight_8 … hour_weight_19).

    Returns
    -------
    dict of str to pandas.DataFrame
        The tables, each with a fresh RangeIndex.
    """
    rng = np.random.default_rng(seed)
    teams = list(DEFAULT_TEAMS if teams is None else teams)
    cal = make_calendar(teams, end)
    reps = draw_reps(rng, teams, cal.end_d, hour_confounding)
    rd = draw_rep_days(rng, reps, cal, weekend_work_prob)
    converge = any(t.skill_convergence for t in teams)
    calls = draw_calls(rng, reps, rd, cal, hour_effect=hour_effect, tradeoff=tradeoff, converge=converge)
    links = link_calls_to_leads(rng, reps, calls)
    leads = draw_leads(rng, reps, calls, links)
    appointment = draw_appointments(rng, calls, links, leads)
    dm_draw, script = draw_null_controls(rng, len(calls.secs))
    sql, mql = funnel_dates(rng, reps, calls, links, leads, appointment)
    emails = draw_emails(rng, rd, cal, len(reps), links)
    end_sec = data_end(cal.end_sec, calls.secs, emails.sec)
    deals = draw_deals(rng, reps, calls, links, leads, appointment, sql, end_sec)

    order = lead_order(leads.created)
    rep_ids = np.array([rp.rep_id for rp in reps], dtype=object)
    out = {
        "teams": teams_frame(teams),
        "reps": reps_frame(reps),
        "calls": calls_frame(calls, rep_ids, order.id_of(links.call_lead), appointment, dm_draw, script),
        "emails": emails_frame(emails, rep_ids, order, end_sec),
        "leads": leads_frame(leads, links, order, rep_ids, sql, np.minimum(mql, end_sec)),
        "deals": deals_frame(deals, rep_ids, order),
        "costs": costs_frame(teams, reps, cal.end_d, lead_spend=lead_spend(reps, links, leads)),
    }
    if truth is not None:
        truth.update(
            make_truth(
                teams=teams, hour_effect=hour_effect, tradeoff=tradeoff, hour_confounding=hour_confounding, end=end
            )
        )
        truth["seed"] = seed
        truth["reps"] = rep_truth(reps)
    return {k: v.reset_index(drop=True) for k, v in out.items()}
