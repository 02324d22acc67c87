"""What a generation planted: ``make_truth`` (the parameters), ``TRUTH`` (the default sample's)
and the per-rep latent values a generation realised (``truth["reps"]``)."""

from __future__ import annotations

import pandas as pd

from .. import config
from .params import (
    ABSENCE_PROB,
    ACTIVITY_SKILL_COUPLING,
    BASE_RATE,
    BDR_SOURCES,
    COST,
    DEAL,
    DECISION_MAKER_P_BDR,
    DEFAULT_END,
    DEFAULT_HOUR_CONFOUNDING,
    DEFAULT_SEED,
    DEFAULT_TRADEOFF,
    EMAIL,
    FIRST_TOUCH_SHARE,
    GOOD_HOURS,
    HOUR_LOGIT,
    HOURS,
    QUALITY_POINTS,
    RAMP,
    REP_SKILL_SD,
    SDR_SOURCES,
    SLOW_RESPONSE_APPT_LOGIT,
    SOURCE_APPT_LOGIT,
    SQL,
    TZ,
    WEEKDAY_LOGIT,
    WEEKEND_WORK_PROB,
)
from .specs import DEFAULT_TEAMS

__all__ = ["make_truth", "TRUTH", "rep_truth"]


def make_truth(
    *,
    teams=None,
    hour_effect=True,
    tradeoff=DEFAULT_TRADEOFF,
    hour_confounding=DEFAULT_HOUR_CONFOUNDING,
    end=DEFAULT_END,
) -> dict:
    """The planted parameters of a generation (``TRUTH`` = the default sample's).

    Parameters
    ----------
    teams : list of TeamSpec, optional
        The generation's teams (default ``DEFAULT_TEAMS``).
    hour_effect, tradeoff, hour_confounding, end
        As in :func:`~iskpi_analysis.sample.generate`.

    Returns
    -------
    dict
        Every planted parameter by name, plus ``expected_recovery``: what standard estimators
        give on the default sample (tolerances for the tests).
    """
    teams = DEFAULT_TEAMS if teams is None else teams
    return {
        "seed": DEFAULT_SEED,
        "end": end,
        "tz": TZ,
        "hour_logit": {h: (v if hour_effect else 0.0) for h, v in HOUR_LOGIT.items()},
        "weekday_logit": {d: (v if hour_effect else 0.0) for d, v in WEEKDAY_LOGIT.items()},
        "hour_effect_applies_to": "connect",
        "good_hours": GOOD_HOURS,
        "dip_hours": (12, 13),
        "tradeoff_logit_per_sd": tradeoff,
        "tradeoff_applies_to": ("connect", "conversation"),
        "between_rep_activity_per_skill_sd": ACTIVITY_SKILL_COUPLING,
        "rep_skill_sd": REP_SKILL_SD,
        "hour_confounding": hour_confounding,
        "ramp": dict(RAMP),
        "base_rate": {k: dict(v) for k, v in BASE_RATE.items()},
        "source_appointment_logit": dict(SOURCE_APPT_LOGIT),
        "slow_response_appointment_logit": SLOW_RESPONSE_APPT_LOGIT,
        "slow_response_threshold_hours": 1.0,
        "sdr_sources": dict(SDR_SOURCES),
        "bdr_sources": dict(BDR_SOURCES),
        "response_delay": {
            "fast": (0.70, "exponential mean 20 min"),
            "medium": (0.20, "lognormal median 2 h sigma 0.8"),
            "slow": (0.10, "lognormal median 20 h sigma 0.7"),
        },
        "email": dict(EMAIL),
        "deal": {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEAL.items()},
        "quality_points": QUALITY_POINTS,
        "win_probability": f"sigmoid({DEAL['win_intercept']} + {DEAL['win_slope_per_point']} * score)",
        "sql": dict(SQL),
        "cost": {k: (dict(v) if isinstance(v, dict) else v) for k, v in COST.items()},
        "script_effect": 0.0,
        "decision_maker_p_bdr_connected": DECISION_MAKER_P_BDR,
        "valid_talk_seconds": config.VALID_TALK_SECONDS,
        "first_touch_share_of_calls": dict(FIRST_TOUCH_SHARE),
        "absence_prob": ABSENCE_PROB,
        "weekend_work_prob": WEEKEND_WORK_PROB,
        "teams": {t.team_id: {k: v for k, v in t.__dict__.items()} for t in teams},
        # what standard estimators give on the default sample (seed 20261031), for tolerances
        "expected_recovery": {
            "within_rep_logit_slope_per_sd_calls": -0.13,  # binomial GLM, rep FE, rep-day n>=30
            "hour_logit_rep_fixed_max_abs_error": 0.05,  # GLM hour+weekday+rep, vs hour 8
            "hour_logit_pooled_good_hours_excess": 0.05,  # pooled minus rep-fixed at 10/11/16/17
            "within_rep_corr_calls_connect_rate": -0.40,  # rep-day (business, n>=30), rep-standardised
            "between_rep_corr_calls_connect_rate": 0.38,  # rep means
        },
    }


TRUTH: dict = make_truth()


def rep_truth(reps) -> pd.DataFrame:
    """The realised per-rep latent values (one row per :class:`~.roster.Rep`, in rep order).

    Columns: rep_id, team_id, role, new_hire, skill (rep + team logit offset), rep_skill,
    activity_multiplier, hour_weight_8 … hour_weight_19.
    """
    rt = pd.DataFrame(
        {
            "rep_id": [rp.rep_id for rp in reps],
            "team_id": [rp.team.team_id for rp in reps],
            "role": [rp.role for rp in reps],
            "new_hire": [rp.new for rp in reps],
            "skill": [rp.skill + rp.team.skill for rp in reps],
            "rep_skill": [rp.skill for rp in reps],
            "activity_multiplier": [rp.act for rp in reps],
        }
    )
    for j, h in enumerate(HOURS):
        rt[f"hour_weight_{h}"] = [rp.hour_w[j] for rp in reps]
    return rt
