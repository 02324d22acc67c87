"""The planted parameters of the sample model (the constants the module docstring documents).

Every number that shapes the generated data lives here, once: the hour × weekday connect
pattern, base rates, lead sources and segments, the ramp-up of new hires, e-mail, deal and cost
parameters. ``make_truth`` (in :mod:`.specs`) publishes them as ``TRUTH``; the drawing modules
read them. Also the two link functions of the logit scale the effects are planted on.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_SEED",
    "DEFAULT_END",
    "DEFAULT_TRADEOFF",
    "DEFAULT_HOUR_CONFOUNDING",
    "TZ",
    "HOURS",
    "HOUR_LOGIT",
    "WEEKDAY_LOGIT",
    "GOOD_HOURS",
    "HOUR_BASE_WEIGHT",
    "BASE_RATE",
    "SOURCE_APPT_LOGIT",
    "SDR_SOURCES",
    "BDR_SOURCES",
    "SEGMENTS",
    "SDR_SEGMENTS",
    "BDR_SEGMENTS",
    "SLOW_RESPONSE_APPT_LOGIT",
    "REP_SKILL_SD",
    "ACTIVITY_SKILL_COUPLING",
    "ACTIVITY_REP_SD",
    "HOUR_PREF_SD",
    "RAMP",
    "FIRST_TOUCH_SHARE",
    "FOLLOWUP_MEAN_BACK",
    "EMAIL",
    "SQL",
    "DEAL",
    "QUALITY_POINTS",
    "COST",
    "WEEKEND_WORK_PROB",
    "ABSENCE_PROB",
    "DECISION_MAKER_P_BDR",
    "sigmoid",
    "logit",
    "geometric_back",
]

DEFAULT_SEED = 20261031
DEFAULT_END = "2026-10-31"
DEFAULT_TRADEOFF = -0.15
DEFAULT_HOUR_CONFOUNDING = 0.30
TZ = "Asia/Tokyo"

# --- model constants -------------------------------------------------------------------------
HOURS = np.arange(8, 20)  # calling hours 8..19 local
HOUR_LOGIT = {
    8: -0.30,
    9: 0.00,
    10: 0.35,
    11: 0.30,
    12: -0.45,
    13: -0.25,
    14: 0.00,
    15: 0.05,
    16: 0.30,
    17: 0.25,
    18: -0.10,
    19: -0.30,
}
WEEKDAY_LOGIT = {0: -0.20, 1: 0.00, 2: 0.05, 3: 0.05, 4: -0.05, 5: -0.30, 6: -0.30}
GOOD_HOURS = (10, 11, 16, 17)
HOUR_BASE_WEIGHT = {
    8: 0.03,
    9: 0.09,
    10: 0.12,
    11: 0.11,
    12: 0.04,
    13: 0.09,
    14: 0.11,
    15: 0.11,
    16: 0.10,
    17: 0.09,
    18: 0.06,
    19: 0.03,
}
BASE_RATE = {
    "SDR": {"connect": 0.25, "conversation": 0.55, "appointment": 0.26},
    "BDR": {"connect": 0.17, "conversation": 0.55, "appointment": 0.26},
}
SOURCE_APPT_LOGIT = {"referral": 0.70, "inbound_form": 0.30, "webinar": 0.00, "event": -0.20, "list": -0.50}
SDR_SOURCES = {"inbound_form": 0.50, "webinar": 0.25, "event": 0.15, "referral": 0.10}
BDR_SOURCES = {"list": 0.85, "event": 0.10, "referral": 0.05}
SEGMENTS = ("SMB", "MidMarket", "Enterprise")
SDR_SEGMENTS = (0.55, 0.30, 0.15)
BDR_SEGMENTS = (0.25, 0.40, 0.35)
SLOW_RESPONSE_APPT_LOGIT = -0.40
REP_SKILL_SD = 0.30
ACTIVITY_SKILL_COUPLING = 0.10  # log-volume per +1 SD of rep skill
ACTIVITY_REP_SD = 0.06
HOUR_PREF_SD = 0.15
RAMP = {"days": 90, "activity_start": 0.60, "skill_start": -0.60}
# share of calls that open a new lead: a lead gets about 20 (SDR) / 12 (BDR) calls over its life,
# so the month's deals are 10-20 % of the leads handled (the seed's 商談化率 range)
FIRST_TOUCH_SHARE = {"SDR": 0.035, "BDR": 0.06}
FOLLOWUP_MEAN_BACK = 10  # follow-up calls pick a lead ~geometric(mean 10) leads back
EMAIL = {"per_day": 30.0, "open": 0.30, "click_given_open": 1 / 6, "reply_given_open": 0.15}
# an appointment (アポ) is an SQL when the meeting qualifies the lead: not every アポ does, and a
# team's deal quality shifts the share (the seed's launch template asks 3 appointments a day,
# growth/mature 20-25 SQLs a month: about half of the appointments)
SQL = {"p_given_appointment": 0.42, "deal_quality_logit": 0.5}
DEAL = {
    "p_from_sql": 0.75,
    "win_intercept": -4.2,
    "win_slope_per_point": 0.05,
    # annual contract value of an SMB SaaS sold through inside sales: medians 25万 / 50万 / 100万 円
    "amount_median_jpy": {"SMB": 230_000, "MidMarket": 460_000, "Enterprise": 920_000},
    "amount_sigma": 0.45,
    "amount_clip_jpy": (100_000, 5_000_000),
    "cycle_median_days": 30,
    "cycle_sigma": 0.5,
    "cycle_enterprise_factor": 1.5,
}
QUALITY_POINTS = {
    "bant": {4: 30, 3: 20, "<=2": 10},
    "need_clarity": {"clear": 25, "overview": 15, "unclear": 5},
    "decision_process": {"detailed": 25, "overview": 15, "unknown": 5},
    "next_action": {"scheduled": 20, "timing_only": 10, "none": 0},
}
# monthly cost of a team: a rep's loaded salary and tools, the team's fixed cost (leader, lists,
# dialer), and what each new lead cost marketing (cost per lead by source; a list record is cheap)
COST = {
    "salary_per_rep_month": 650_000,
    "tools_per_rep_month": 80_000,
    "team_fixed_month": 1_200_000,
    "lead_cost_jpy": {"inbound_form": 10_000, "webinar": 6_000, "event": 12_000, "referral": 3_000, "list": 300},
}
WEEKEND_WORK_PROB = 0.03
ABSENCE_PROB = 0.015
DECISION_MAKER_P_BDR = 0.40


def sigmoid(x):
    """Inverse logit, elementwise: the probability of a log-odds ``x``."""
    return 1.0 / (1.0 + np.exp(-x))


def logit(p):
    """Log-odds of a probability ``p`` (a scalar base rate) as a Python float."""
    return float(np.log(p / (1 - p)))


def geometric_back(rng, n, mean):
    """``n`` draws of how many steps back to look: 0, 1, 2, … (geometric with ``p = 1 / mean``, minus 1)."""
    return rng.geometric(1.0 / mean, size=n) - 1
