"""Deterministic sample-data generator for ``data/sample/`` (planted, documented effects).

``generate(seed)`` returns the seven contract tables (DESIGN §3) as pandas DataFrames;
``write_sample(out_dir, seed, fmt)`` writes one file per table (byte-identical Parquet for the
same seed and library versions); ``python -m iskpi_analysis.sample --out DIR --seed N``.
Everything is drawn from ``numpy.random.default_rng(seed)``, vectorised per rep.

Default sample (seed 20261031, data end 2026-10-31, last month 2026-10)
-----------------------------------------------------------------------
* ``tokyo_is``  東京ISチーム — launched 2025-04-01 (18 months: mature). 10 SDR + 7 BDR, 100
  calls/rep/day, stable (activity_cv 0.12), skill +0.25, efficiency trend +0.15 logit/year,
  good deal quality (+0.5), 30 % new hires, 1 leaver.
* ``osaka_is``  大阪ISチーム — launched 2026-01-05 (9 months: growth). 8 SDR + 5 BDR, 100
  calls/day, stable (cv 0.10) at target, skill −0.05, efficiency flat (trend 0), weak deal
  quality (−0.4): "量は足りているが質が課題". 25 % new hires, 1 leaver.
* ``fukuoka_is`` 福岡ISチーム — launched 2026-07-01 (3-4 months: launch). 6 SDR + 4 BDR, 95
  calls/day reached after a 2-month team ramp from 65 %, unstable (cv 0.28), skill −0.15,
  fast learning (+0.6 logit/year), 1 new hire.

Planted effects (exact values in ``TRUTH``; "logit" = log-odds of the per-call probability)
--------------------------------------------------------------------------------------------
1. **Hour × weekday connect pattern** (``TRUTH["hour_logit"]``, ``TRUTH["weekday_logit"]``):
   additive on the connect logit, identical for every rep; good hours 10-11 and 16-17, a dip
   at 12-13, Monday −0.20. ``hour_effect=False`` sets both to 0. Hours only act on *connect*.
2. **Within-rep volume ↔ efficiency trade-off**: each rep-day has a volume shock
   ``z ~ N(0, 1)``; calls = round(expected × exp(cv·z − cv²/2)), so z is (about) the rep's
   daily calls in SD units of that rep. Connect logit and conversation logit (valid | connected)
   both get ``tradeoff × z`` (default −0.15). Between reps the relation is positive: rep skill
   ``s ~ N(0, 0.30)`` (logit) also raises the rep's usual volume by ×exp(0.10 · s/0.30)
   — a Simpson pattern (within < 0 < between).
3. **New-hire ramp-up** (reps joining after the team's data start; founders of a team too when
   ``TeamSpec.ramp_founders``): over the first ``ramp_days`` = 90 days the activity multiplier
   rises linearly 0.60 → 1 and the skill offset −0.60 → 0 (on connect, conversation and
   appointment logits).
4. **Hour choice confounded with skill**: rep hour weights ∝ base_weight[h] ×
   exp(hour_confounding · s/0.30 · good[h]) × exp(N(0, 0.15)), good = hours 10, 11, 16, 17,
   hour_confounding = 0.30. Skilled reps call more in good hours, so the pooled hour effect is
   somewhat larger than the rep-fixed one (which recovers ``hour_logit``).
5. **Deal quality → win**: latent q = team.deal_quality + 0.3·s/0.30 + N(0,1); BANT each
   confirmed with P = sigmoid(0.4 + q) (4 % NA each = not recorded); need_clarity /
   decision_process / next_action by thresholds of q + noise. Score = seed's table (BANT 4
   confirmed 30, 3 → 20, ≤2 → 10 (NA counts as not confirmed); clear 25 / overview 15 / unclear
   5; detailed 25 / overview 15 / unknown 5; scheduled 20 / timing_only 10 / none 0).
   ``P(won | closed) = sigmoid(−4.0 + 0.05 · score)``.
6. **Leads / response time**: SDR leads are inbound (inbound_form 50 %, webinar 25 %, event
   15 %, referral 10 %); BDR leads list 85 %, event 10 %, referral 5 %. SDR lead first touch
   (always a call by the owner) comes after a delay: 70 % Exp(mean 20 min), 20 % lognormal
   (median 2 h, σ 0.8), 10 % lognormal (median 20 h, σ 0.7). Source shifts the appointment
   logit (``TRUTH["source_appointment_logit"]``); SDR leads first touched after > 1 h get
   −0.40 on the appointment logit of every call to them. mql_at = created + 1-10 min for 80 %
   of inbound leads; sql_at = first appointment (mql_at set to sql_at when it was empty).
7. **Emails**: Poisson(30 × activity multipliers) per rep per business day; open 30 %, click
   given open 1/6 (5 % overall), reply given open 15 % (4.5 % overall); events after the data
   end are NaT.
8. **Deals**: the first appointment on a lead becomes a deal with P = 0.70, created 1-5 days
   later at 9-18 h (dropped when after the data end); amount lognormal (median SMB 0.9 M, MidMarket
   1.8 M, Enterprise 3.5 M JPY, σ 0.45, clipped 0.3-10 M, rounded to 10,000); sales cycle
   lognormal (median 40 days, σ 0.5, ×1.5 for Enterprise); closing after the data end = open.
9. **Costs**: per team and month from the launch month: FTE × (600,000 salary + 50,000 tools)
   + 300,000 team fixed, rounded to 1,000 JPY (FTE = employed days / days of the month).

Null controls: ``script`` (A/B, 50/50) has no effect; ``decision_maker`` is P = 0.40 for
connected BDR calls (False when not connected) and NA for SDR calls.
Connect/conversation/appointment base rates: SDR 0.25 / 0.55 / 0.20, BDR 0.17 / 0.55 / 0.20
(before skill, hour, trend and source offsets). Valid conversation = connected and talk ≥
120 s (talk: 10-119 s uniform when connected-not-valid, 120 + lognormal(median 180 s) when
valid). Non-business days: a rep works with P = 0.03, Poisson(15) calls. Business-day absence
P = 0.015 (no calls, no emails).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import jpholiday
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import config

__all__ = [
    "TeamSpec",
    "DEFAULT_SEED",
    "DEFAULT_END",
    "DEFAULT_TEAMS",
    "DEFAULT_TRADEOFF",
    "DEFAULT_HOUR_CONFOUNDING",
    "TRUTH",
    "make_truth",
    "quality_score",
    "generate",
    "TABLE_NAMES",
    "write_sample",
    "file_hashes",
    "main",
]

DEFAULT_SEED = 20261031
DEFAULT_END = "2026-10-31"
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
    "SDR": {"connect": 0.25, "conversation": 0.55, "appointment": 0.20},
    "BDR": {"connect": 0.17, "conversation": 0.55, "appointment": 0.20},
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
FIRST_TOUCH_SHARE = {"SDR": 0.08, "BDR": 0.15}  # share of calls that open a new lead
FOLLOWUP_MEAN_BACK = 25  # follow-up calls pick a lead ~geometric(mean 25) leads back
EMAIL = {"per_day": 30.0, "open": 0.30, "click_given_open": 1 / 6, "reply_given_open": 0.15}
DEAL = {
    "p_from_appointment": 0.70,
    "win_intercept": -4.0,
    "win_slope_per_point": 0.05,
    "amount_median_jpy": {"SMB": 900_000, "MidMarket": 1_800_000, "Enterprise": 3_500_000},
    "amount_sigma": 0.45,
    "amount_clip_jpy": (300_000, 10_000_000),
    "cycle_median_days": 40,
    "cycle_sigma": 0.5,
    "cycle_enterprise_factor": 1.5,
}
QUALITY_POINTS = {
    "bant": {4: 30, 3: 20, "<=2": 10},
    "need_clarity": {"clear": 25, "overview": 15, "unclear": 5},
    "decision_process": {"detailed": 25, "overview": 15, "unknown": 5},
    "next_action": {"scheduled": 20, "timing_only": 10, "none": 0},
}
COST = {"salary_per_rep_month": 600_000, "tools_per_rep_month": 50_000, "team_fixed_month": 300_000}
WEEKEND_WORK_PROB = 0.03
ABSENCE_PROB = 0.015
DECISION_MAKER_P_BDR = 0.40

SURNAMES = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
    "青木",
    "坂本",
]
GIVEN = [
    "健",
    "翔太",
    "大輔",
    "拓也",
    "直樹",
    "亮",
    "誠",
    "剛",
    "悠斗",
    "陽介",
    "美咲",
    "彩",
    "さくら",
    "愛",
    "舞",
    "優子",
    "真由美",
    "恵",
    "葵",
    "結衣",
    "花子",
    "裕子",
    "智子",
    "聡",
    "隆",
    "浩二",
    "和也",
    "健太",
    "真一",
    "結菜",
]


@dataclass(frozen=True)
class TeamSpec:
    """Knobs of one generated team.

    team_id, team_name : ids/labels written to ``teams``.
    launched_on        : the team's start date (phase age is counted from it).
    n_sdr, n_bdr       : reps ever in the team (including new hires).
    data_start         : first day with data (default = launched_on); e.g. end − 6 weeks.
    calls_per_day      : steady-state mean calls per rep per business day (launch target 100).
    activity_cv        : day-to-day variability of a rep's calls (SD of log-volume shock).
    calls_ramp_months  : team-level activity ramp from launch (0 = none), starting at
                         ``calls_start_share`` of calls_per_day and reaching 1 after that many months.
    skill              : team logit offset on connect, conversation and appointment.
    conversion_trend   : logit change per 365 days since launch on conversation + appointment.
    deal_quality       : offset of the latent deal quality (see module docstring, effect 5).
    new_hire_share     : share of reps who join after data_start (they ramp up over 90 days).
    n_leavers          : reps who leave (left_on set) in the second half of the data.
    ramp_founders      : founders ramp up like new hires from their joined_on (= launched_on).
    emails_per_day     : mean e-mails per rep per business day.
    rep_skill_sd       : SD of the reps' individual skill offsets (logit; None = REP_SKILL_SD 0.30).
    skill_convergence  : share of each rep's individual skill offset that disappears per 365 days
                         since launch (linear, floored at 0; 1.0 = reps equal after a year): a
                         narrowing skill gap. Acts on connect/conversation/appointment, not on the
                         deal-quality latent.
    """

    team_id: str
    team_name: str
    launched_on: str
    n_sdr: int = 3
    n_bdr: int = 2
    data_start: str | None = None
    calls_per_day: float = 100.0
    activity_cv: float = 0.12
    calls_ramp_months: float = 0.0
    calls_start_share: float = 0.65
    skill: float = 0.0
    conversion_trend: float = 0.0
    deal_quality: float = 0.0
    new_hire_share: float = 0.0
    n_leavers: int = 0
    ramp_founders: bool = False
    emails_per_day: float = EMAIL["per_day"]
    rep_skill_sd: float | None = None
    skill_convergence: float = 0.0

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.data_start or self.launched_on).normalize()


def months_before(end: str, months: int) -> str:
    """First day of the month ``months`` before the month of ``end`` (``launched_on`` helper)."""
    p = pd.Period(pd.Timestamp(end), freq="M") - months
    return str(p.start_time.date())


DEFAULT_TEAMS = [
    TeamSpec(
        "tokyo_is",
        "東京ISチーム",
        "2025-04-01",
        n_sdr=10,
        n_bdr=7,
        calls_per_day=100,
        activity_cv=0.12,
        skill=0.25,
        conversion_trend=0.15,
        deal_quality=0.5,
        new_hire_share=0.3,
        n_leavers=1,
    ),
    TeamSpec(
        "osaka_is",
        "大阪ISチーム",
        "2026-01-05",
        n_sdr=8,
        n_bdr=5,
        calls_per_day=100,
        activity_cv=0.10,
        skill=-0.05,
        conversion_trend=0.0,
        deal_quality=-0.4,
        new_hire_share=0.25,
        n_leavers=1,
    ),
    TeamSpec(
        "fukuoka_is",
        "福岡ISチーム",
        "2026-07-01",
        n_sdr=6,
        n_bdr=4,
        calls_per_day=95,
        activity_cv=0.28,
        calls_ramp_months=2.0,
        calls_start_share=0.65,
        skill=-0.15,
        conversion_trend=0.6,
        deal_quality=0.0,
        new_hire_share=0.1,
        n_leavers=0,
    ),
]

DEFAULT_TRADEOFF = -0.15
DEFAULT_HOUR_CONFOUNDING = 0.30


def make_truth(
    *,
    teams=None,
    hour_effect=True,
    tradeoff=DEFAULT_TRADEOFF,
    hour_confounding=DEFAULT_HOUR_CONFOUNDING,
    end=DEFAULT_END,
) -> dict:
    """The planted parameters of a generation (``TRUTH`` = the default sample's)."""
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
        "win_probability": "sigmoid(-4.0 + 0.05 * score)",
        "cost": dict(COST),
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


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p):
    return float(np.log(p / (1 - p)))


def _geometric_back(rng, n, mean):
    return rng.geometric(1.0 / mean, size=n) - 1


def _holidays(start: pd.Timestamp, end: pd.Timestamp) -> set:
    out = set()
    for y in range(start.year, end.year + 1):
        out.update(np.datetime64(d, "D") for d, _ in jpholiday.year_holidays(y))
    return out


def _quality_score(b, nc, dp, na):
    n_conf = np.nan_to_num(b.astype(float), nan=0.0).sum(axis=1)
    bant = np.where(n_conf >= 4, 30, np.where(n_conf == 3, 20, 10))
    return bant + np.array([25, 15, 5])[nc] + np.array([25, 15, 5])[dp] + np.array([20, 10, 0])[na]


def quality_score(deals: pd.DataFrame) -> pd.Series:
    """The seed's 100-point deal quality score of generated deals (for tests/checks)."""
    b = np.column_stack(
        [
            deals[c].astype("boolean").fillna(False).to_numpy(dtype=float)
            for c in ("budget_confirmed", "authority_confirmed", "need_confirmed", "timeline_confirmed")
        ]
    )
    nc = deals["need_clarity"].map({"clear": 0, "overview": 1, "unclear": 2}).to_numpy(int)
    dp = deals["decision_process"].map({"detailed": 0, "overview": 1, "unknown": 2}).to_numpy(int)
    na = deals["next_action"].map({"scheduled": 0, "timing_only": 1, "none": 2}).to_numpy(int)
    return pd.Series(_quality_score(b, nc, dp, na), index=deals.index, name="quality_score")


def _ts(sec: np.ndarray) -> pd.DatetimeIndex:
    """Local wall-clock seconds since 1970 (int64, NaN/-1 = missing) → tz-aware Tokyo ns."""
    sec = np.asarray(sec, dtype="float64")
    vals = np.where(np.isnan(sec), np.iinfo(np.int64).min, np.nan_to_num(sec).astype("int64") * 1_000_000_000)
    idx = pd.DatetimeIndex(vals.astype("datetime64[ns]"))
    return idx.tz_localize(TZ)


def _ts_series(sec) -> pd.Series:
    return pd.Series(_ts(sec))


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

    ``teams`` defaults to ``DEFAULT_TEAMS`` (the committed sample). ``hour_effect=False`` and
    ``tradeoff=0`` (plus ``hour_confounding=0``) give a null dataset.
    ``truth``: pass an empty dict to receive this generation's planted parameters
    (``make_truth(...)``) plus ``truth["reps"]``, a DataFrame of the realised per-rep latent
    values (rep_id, team_id, role, new_hire, skill = rep + team logit offset, rep_skill,
    activity_multiplier, hour_weight_8 … hour_weight_19).
    """
    rng = np.random.default_rng(seed)
    teams = list(DEFAULT_TEAMS if teams is None else teams)
    end_d = pd.Timestamp(end).normalize()
    end_sec = (end_d + pd.Timedelta(days=1)).value // 1_000_000_000 - 1  # 23:59:59 local
    start_d = min(t.start for t in teams)
    days = np.arange(np.datetime64(start_d.date(), "D"), np.datetime64(end_d.date(), "D") + 1)
    hol = _holidays(start_d, end_d)
    wd = ((days.astype("int64") + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    is_hol = np.array([d in hol for d in days])
    business = (wd < 5) & ~is_hol
    day_sec0 = days.astype("int64") * 86400

    hour_l = np.array([HOUR_LOGIT[h] if hour_effect else 0.0 for h in HOURS])
    wd_l = np.array([WEEKDAY_LOGIT[d] if hour_effect else 0.0 for d in range(7)])
    good = np.isin(HOURS, GOOD_HOURS).astype(float)
    base_w = np.array([HOUR_BASE_WEIGHT[h] for h in HOURS])

    # --- reps ---------------------------------------------------------------------------------
    names = [s + " " + g for s in SURNAMES for g in GIVEN]
    n_total = sum(t.n_sdr + t.n_bdr for t in teams)
    name_idx = rng.permutation(len(names))[:n_total] if n_total <= len(names) else rng.integers(0, len(names), n_total)
    rep_rows, k = [], 0
    for t in teams:
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
        for i in range(n):
            joined = (t.start + pd.Timedelta(days=int(offs[i]))) if new[i] else pd.Timestamp(t.launched_on)
            left = t.start + pd.Timedelta(days=int(loffs[i])) if leave[i] else pd.NaT
            w = base_w * np.exp(hour_confounding * skills[i] / REP_SKILL_SD * good + hpref[i])
            rep_rows.append(
                dict(
                    rep_id=f"R{k + 1:03d}",
                    rep_name=names[name_idx[k]],
                    team=t,
                    role=roles[i],
                    joined=joined,
                    left=left,
                    new=bool(new[i]),
                    skill=skills[i],
                    act=act[i],
                    hour_w=w / w.sum(),
                )
            )
            k += 1

    # --- rep-days ---------------------------------------------------------------------------
    rd_cols = {c: [] for c in ("rep", "day", "n", "z", "mu_act", "skill_off", "trend", "ne", "conv")}
    for r, rp in enumerate(rep_rows):
        t = rp["team"]
        first = max(rp["joined"], t.start)
        last = end_d if pd.isna(rp["left"]) else min(end_d, rp["left"] - pd.Timedelta(days=1))
        i0 = int((first - start_d).days)
        i1 = int((last - start_d).days)
        if i1 < i0:
            continue
        di = np.arange(i0, i1 + 1)
        nd = len(di)
        bd = business[di]
        tenure = (di - (rp["joined"] - start_d).days).astype(float)
        ramp_on = rp["new"] or t.ramp_founders
        rfrac = np.clip(tenure / RAMP["days"], 0, 1) if ramp_on else np.ones(nd)
        ramp_act = RAMP["activity_start"] + (1 - RAMP["activity_start"]) * rfrac
        ramp_skill = RAMP["skill_start"] * (1 - rfrac)
        since_launch = (di - (pd.Timestamp(t.launched_on) - start_d).days).astype(float)
        if t.calls_ramp_months > 0:
            tfrac = np.clip(since_launch / (30.44 * t.calls_ramp_months), 0, 1)
            team_act = t.calls_start_share + (1 - t.calls_start_share) * tfrac
        else:
            team_act = np.ones(nd)
        mu = t.calls_per_day * rp["act"] * ramp_act * team_act
        z = rng.normal(0, 1, nd)
        cv = t.activity_cv
        n_bd = np.rint(mu * np.exp(cv * z - cv * cv / 2)).astype(np.int64)
        absent = rng.random(nd) < ABSENCE_PROB
        works_off = rng.random(nd) < weekend_work_prob
        n_off = rng.poisson(15, nd)
        n = np.where(bd, np.where(absent, 0, n_bd), np.where(works_off, n_off, 0))
        n = np.clip(n, 0, 400)
        ne_mu = t.emails_per_day * rp["act"] * ramp_act * team_act
        ne = np.where(bd & ~absent, rng.poisson(ne_mu), np.where(~bd & works_off, rng.poisson(3, nd), 0))
        rd_cols["rep"].append(np.full(nd, r))
        rd_cols["day"].append(di)
        rd_cols["n"].append(n)
        rd_cols["z"].append(np.where(bd, z, 0.0))
        rd_cols["mu_act"].append(mu)
        rd_cols["skill_off"].append(ramp_skill)
        rd_cols["trend"].append(t.conversion_trend * since_launch / 365.0)
        rd_cols["ne"].append(ne)
        rd_cols["conv"].append(np.clip(1.0 - t.skill_convergence * since_launch / 365.0, 0.0, 1.0))
    rd = {c: np.concatenate(v) for c, v in rd_cols.items()}

    # --- calls --------------------------------------------------------------------------------
    cr = np.repeat(np.arange(len(rd["rep"])), rd["n"])  # rep-day row of each call
    call_rep = rd["rep"][cr]
    nc = len(cr)
    hour_i = np.empty(nc, np.int64)
    for r, rp in enumerate(rep_rows):
        m = call_rep == r
        hour_i[m] = rng.choice(len(HOURS), int(m.sum()), p=rp["hour_w"])
    secs = day_sec0[rd["day"][cr]] + HOURS[hour_i] * 3600 + rng.integers(0, 3600, nc)
    order = np.lexsort((call_rep, secs))
    cr, call_rep, hour_i, secs = cr[order], call_rep[order], hour_i[order], secs[order]
    call_wd = wd[rd["day"][cr]]
    skill_rep = np.array([rp["skill"] + rp["team"].skill for rp in rep_rows])
    role_rep = np.array([rp["role"] for rp in rep_rows])
    is_sdr = role_rep[call_rep] == "SDR"
    eff = skill_rep[call_rep] + rd["skill_off"][cr]
    if any(t.skill_convergence for t in teams):  # narrowing gap: shrink the rep's own offset
        own = np.array([rp["skill"] for rp in rep_rows])
        eff = eff - own[call_rep] * (1.0 - rd["conv"][cr])
    zc = rd["z"][cr]
    base_c = np.where(is_sdr, _logit(BASE_RATE["SDR"]["connect"]), _logit(BASE_RATE["BDR"]["connect"]))
    p_conn = _sigmoid(base_c + eff + hour_l[hour_i] + wd_l[call_wd] + tradeoff * zc)
    connected = rng.random(nc) < p_conn
    base_v = np.where(is_sdr, _logit(BASE_RATE["SDR"]["conversation"]), _logit(BASE_RATE["BDR"]["conversation"]))
    trend = rd["trend"][cr]
    p_valid = _sigmoid(base_v + eff + trend + tradeoff * zc)
    valid = connected & (rng.random(nc) < p_valid)
    talk = np.where(
        valid,
        120 + np.rint(np.exp(rng.normal(np.log(180), 0.6, nc))),
        np.where(connected, rng.integers(10, 120, nc), 0),
    ).astype(np.int64)

    # --- leads: first touches and follow-ups (per rep) ---------------------------------------
    first_touch = np.zeros(nc, bool)
    call_lead = np.full(nc, -1, np.int64)
    lead_rep, lead_first_call = [], []
    lead_counter = 0
    rep_lead_times = {}
    for r, rp in enumerate(rep_rows):
        idx = np.flatnonzero(call_rep == r)
        if len(idx) == 0:
            rep_lead_times[r] = (np.zeros(0), 0)
            continue
        ft = rng.random(len(idx)) < FIRST_TOUCH_SHARE[rp["role"]]
        ft[0] = True
        ft_pos = np.flatnonzero(ft)
        nl = len(ft_pos)
        ids = lead_counter + np.arange(nl)
        # follow-ups: a lead first touched before this call, recency-weighted
        j = np.searchsorted(ft_pos, np.arange(len(idx)), side="right") - 1  # latest lead so far
        back = _geometric_back(rng, len(idx), FOLLOWUP_MEAN_BACK)
        pick = np.clip(j - back, 0, None)
        pick[ft_pos] = np.arange(nl)
        call_lead[idx] = ids[pick]
        first_touch[idx[ft_pos]] = True
        lead_rep.append(np.full(nl, r))
        lead_first_call.append(idx[ft_pos])
        rep_lead_times[r] = (secs[idx[ft_pos]], lead_counter)
        lead_counter += nl
    lead_rep = np.concatenate(lead_rep)
    lead_first_call = np.concatenate(lead_first_call)
    nl = len(lead_rep)
    lead_is_sdr = role_rep[lead_rep] == "SDR"
    src_sdr = rng.choice(list(SDR_SOURCES), nl, p=list(SDR_SOURCES.values()))
    src_bdr = rng.choice(list(BDR_SOURCES), nl, p=list(BDR_SOURCES.values()))
    lead_source = np.where(lead_is_sdr, src_sdr, src_bdr)
    seg = np.where(lead_is_sdr, rng.choice(3, nl, p=SDR_SEGMENTS), rng.choice(3, nl, p=BDR_SEGMENTS))
    ft_sec = secs[lead_first_call].astype(float)
    comp = rng.choice(3, nl, p=[0.70, 0.20, 0.10])
    delay = np.where(
        comp == 0,
        rng.exponential(20 * 60, nl),
        np.where(
            comp == 1, np.exp(rng.normal(np.log(2 * 3600), 0.8, nl)), np.exp(rng.normal(np.log(20 * 3600), 0.7, nl))
        ),
    )
    delay = np.maximum(np.rint(delay), 30)
    bdr_created = (np.floor(ft_sec / 86400) - rng.integers(0, 15, nl)) * 86400 + 9 * 3600
    rep_start = np.array(
        [max(rp["joined"], rp["team"].start).value // 1_000_000_000 + 9 * 3600 for rp in rep_rows], dtype=float
    )
    bdr_created = np.minimum(np.maximum(bdr_created, rep_start[lead_rep]), ft_sec - 60)
    # inbound leads are not created before the owner's first day (delay shortened if needed)
    lead_created = np.where(lead_is_sdr, np.maximum(ft_sec - delay, rep_start[lead_rep] - 9 * 3600), bdr_created)
    slow = lead_is_sdr & (ft_sec - lead_created > 3600)

    # appointments: valid conversation, source & response effects, first per lead only
    cl = call_lead
    base_a = np.where(is_sdr, _logit(BASE_RATE["SDR"]["appointment"]), _logit(BASE_RATE["BDR"]["appointment"]))
    src_l = np.array([SOURCE_APPT_LOGIT[s] for s in lead_source])
    p_app = _sigmoid(base_a + eff + trend + src_l[cl] + SLOW_RESPONSE_APPT_LOGIT * slow[cl])
    appt_raw = valid & (rng.random(nc) < p_app)
    ai = np.flatnonzero(appt_raw)
    _, first_ai = np.unique(cl[ai], return_index=True)  # calls are time-sorted
    appointment = np.zeros(nc, bool)
    appointment[ai[first_ai]] = True
    dm_draw = rng.random(nc) < DECISION_MAKER_P_BDR
    script = np.where(rng.random(nc) < 0.5, "A", "B")

    lead_sql = np.full(nl, np.nan)
    appt_calls = np.flatnonzero(appointment)
    lead_sql[cl[appt_calls]] = secs[appt_calls]
    inbound = lead_source != "list"
    has_mql = inbound & (rng.random(nl) < 0.80)
    lead_mql = np.where(has_mql, lead_created + rng.integers(60, 601, nl), np.nan)
    lead_mql = np.where(np.isnan(lead_mql) & ~np.isnan(lead_sql), lead_sql, lead_mql)

    # lead ids in created order
    lorder = np.argsort(lead_created, kind="stable")
    lrank = np.empty(nl, np.int64)
    lrank[lorder] = np.arange(nl)
    lead_ids = np.array([f"L{i + 1:07d}" for i in range(nl)], dtype=object)
    rep_ids = np.array([rp["rep_id"] for rp in rep_rows], dtype=object)

    calls = pd.DataFrame(
        {
            "call_id": pd.array([f"C{i + 1:08d}" for i in range(nc)], dtype="str"),
            "rep_id": pd.array(rep_ids[call_rep], dtype="str"),
            "lead_id": pd.array(lead_ids[lrank[cl]], dtype="str"),
            "started_at": _ts(secs),
            "connected": connected,
            "talk_seconds": talk,
            "appointment": appointment,
            "decision_maker": pd.array(np.where(is_sdr, pd.NA, connected & dm_draw), dtype="boolean"),
            "script": pd.array(script, dtype="str"),
        }
    )

    # --- emails -------------------------------------------------------------------------------
    er = np.repeat(np.arange(len(rd["rep"])), rd["ne"])
    e_rep = rd["rep"][er]
    ne_ = len(er)
    eh = rng.integers(8, 20, ne_)
    esec = day_sec0[rd["day"][er]] + eh * 3600 + rng.integers(0, 3600, ne_)
    eo = np.lexsort((e_rep, esec))
    e_rep, esec = e_rep[eo], esec[eo]
    e_lead = np.full(ne_, -1, np.int64)
    for r in range(len(rep_rows)):
        m = np.flatnonzero(e_rep == r)
        times, off = rep_lead_times[r]
        if len(m) == 0 or len(times) == 0:
            continue
        j = np.searchsorted(times, esec[m], side="left") - 1  # first touched strictly before
        pick = j - _geometric_back(rng, len(m), 40)
        e_lead[m] = np.where(j >= 0, off + np.clip(pick, 0, None), -1)
    opened = rng.random(ne_) < EMAIL["open"]
    clicked = opened & (rng.random(ne_) < EMAIL["click_given_open"])
    replied = opened & (rng.random(ne_) < EMAIL["reply_given_open"])
    o_sec = esec + np.rint(np.exp(rng.normal(np.log(2 * 3600), 1.0, ne_)))
    c_sec = o_sec + rng.integers(5, 600, ne_)
    r_sec = o_sec + np.rint(np.exp(rng.normal(np.log(3 * 3600), 1.0, ne_)))

    # the data's own "today": nothing may happen after the last day with a call or e-mail
    last_day = max(secs.max() if nc else 0, esec.max() if ne_ else 0) // 86400
    end_sec = min(end_sec, int(last_day) * 86400 + 86399)
    lead_mql = np.minimum(lead_mql, end_sec)

    def _ev(mask, s):
        return np.where(mask & (s <= end_sec), s, np.nan)

    e_lead_id = np.where(e_lead >= 0, lead_ids[lrank[np.maximum(e_lead, 0)]], None)
    emails = pd.DataFrame(
        {
            "email_id": pd.array([f"E{i + 1:08d}" for i in range(ne_)], dtype="str"),
            "rep_id": pd.array(rep_ids[e_rep], dtype="str"),
            "lead_id": pd.array(e_lead_id, dtype="str"),
            "sent_at": _ts(esec),
            "opened_at": _ts(_ev(opened, o_sec)),
            "clicked_at": _ts(_ev(clicked, c_sec)),
            "replied_at": _ts(_ev(replied, r_sec)),
        }
    )

    leads = pd.DataFrame(
        {
            "lead_id": pd.array(lead_ids, dtype="str"),
            "created_at": _ts(lead_created[lorder]),
            "source": pd.array(lead_source[lorder], dtype="str"),
            "segment": pd.array(np.array(SEGMENTS)[seg[lorder]], dtype="str"),
            "owner_rep_id": pd.array(rep_ids[lead_rep[lorder]], dtype="str"),
            "mql_at": _ts(lead_mql[lorder]),
            "sql_at": _ts(lead_sql[lorder]),
        }
    )

    # --- deals --------------------------------------------------------------------------------
    ac = appt_calls[rng.random(len(appt_calls)) < DEAL["p_from_appointment"]]
    d_created = (secs[ac] // 86400 + rng.integers(1, 6, len(ac))) * 86400 + rng.integers(9 * 3600, 18 * 3600, len(ac))
    keep = d_created <= end_sec
    ac, d_created = ac[keep], d_created[keep]
    nd_ = len(ac)
    d_lead = cl[ac]
    d_rep = call_rep[ac]
    d_seg = seg[d_lead]
    team_q = np.array([rp["team"].deal_quality for rp in rep_rows])
    q = team_q[d_rep] + 0.3 * np.array([rp["skill"] for rp in rep_rows])[d_rep] / REP_SKILL_SD + rng.normal(0, 1, nd_)
    bant = (rng.random((nd_, 4)) < _sigmoid(0.4 + q)[:, None]).astype(float)
    bant[rng.random((nd_, 4)) < 0.04] = np.nan
    v1 = q + rng.normal(0, 0.7, nd_)
    need = np.where(v1 > 0.3, 0, np.where(v1 > -0.7, 1, 2))
    v2 = q + rng.normal(0, 0.7, nd_)
    proc = np.where(v2 > 0.5, 0, np.where(v2 > -0.5, 1, 2))
    v3 = q + rng.normal(0, 0.8, nd_)
    nxt = np.where(v3 > 0.0, 0, np.where(v3 > -1.0, 1, 2))
    score = _quality_score(bant, need, proc, nxt)
    p_win = _sigmoid(DEAL["win_intercept"] + DEAL["win_slope_per_point"] * score)
    med = np.array([DEAL["amount_median_jpy"][s] for s in SEGMENTS])[d_seg]
    amount = np.clip(med * np.exp(rng.normal(0, DEAL["amount_sigma"], nd_)), *DEAL["amount_clip_jpy"])
    amount = np.round(amount / 10_000) * 10_000
    cycle = DEAL["cycle_median_days"] * np.exp(rng.normal(0, DEAL["cycle_sigma"], nd_))
    cycle = np.maximum(cycle * np.where(d_seg == 2, DEAL["cycle_enterprise_factor"], 1.0), 3)
    closed = (d_created // 86400 + np.rint(cycle).astype(np.int64)) * 86400 + rng.integers(10 * 3600, 19 * 3600, nd_)
    won = rng.random(nd_) < p_win
    is_open = closed > end_sec
    status = np.where(is_open, "open", np.where(won, "won", "lost"))
    dorder = np.lexsort((d_rep, d_created))

    def _b(col):
        return pd.array(np.where(np.isnan(bant[dorder, col]), None, bant[dorder, col] == 1), dtype="boolean")

    deals = pd.DataFrame(
        {
            "deal_id": pd.array([f"D{i + 1:06d}" for i in range(nd_)], dtype="str"),
            "lead_id": pd.array(lead_ids[lrank[d_lead[dorder]]], dtype="str"),
            "rep_id": pd.array(rep_ids[d_rep[dorder]], dtype="str"),
            "created_at": _ts(d_created[dorder]),
            "amount_jpy": amount[dorder].astype(float),
            "budget_confirmed": _b(0),
            "authority_confirmed": _b(1),
            "need_confirmed": _b(2),
            "timeline_confirmed": _b(3),
            "need_clarity": pd.array(np.array(["clear", "overview", "unclear"])[need[dorder]], dtype="str"),
            "decision_process": pd.array(np.array(["detailed", "overview", "unknown"])[proc[dorder]], dtype="str"),
            "next_action": pd.array(np.array(["scheduled", "timing_only", "none"])[nxt[dorder]], dtype="str"),
            "status": pd.array(status[dorder], dtype="str"),
            "closed_at": _ts(np.where(is_open, np.nan, closed)[dorder]),
        }
    )

    # --- teams, reps, costs ------------------------------------------------------------------
    teams_df = pd.DataFrame(
        {
            "team_id": pd.array([t.team_id for t in teams], dtype="str"),
            "team_name": pd.array([t.team_name for t in teams], dtype="str"),
            "launched_on": pd.to_datetime([t.launched_on for t in teams]).astype("datetime64[ns]"),
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": pd.array([rp["rep_id"] for rp in rep_rows], dtype="str"),
            "rep_name": pd.array([rp["rep_name"] for rp in rep_rows], dtype="str"),
            "team_id": pd.array([rp["team"].team_id for rp in rep_rows], dtype="str"),
            "role": pd.array([rp["role"] for rp in rep_rows], dtype="str"),
            "joined_on": pd.to_datetime([rp["joined"] for rp in rep_rows]).astype("datetime64[ns]"),
            "left_on": pd.to_datetime([rp["left"] for rp in rep_rows]).astype("datetime64[ns]"),
        }
    )
    cost_rows = []
    for t in teams:
        months = pd.period_range(pd.Timestamp(t.launched_on), end_d, freq="M")
        members = [rp for rp in rep_rows if rp["team"] is t]
        for m in months:
            m0, m1 = m.start_time.normalize(), m.end_time.normalize()
            fte = 0.0
            for rp in members:
                a = max(m0, rp["joined"])
                b = m1 if pd.isna(rp["left"]) else min(m1, rp["left"] - pd.Timedelta(days=1))
                if b >= a:
                    fte += ((b - a).days + 1) / m.days_in_month
            cost = fte * (COST["salary_per_rep_month"] + COST["tools_per_rep_month"]) + COST["team_fixed_month"]
            cost_rows.append((str(m), t.team_id, float(round(cost / 1000) * 1000)))
    costs = pd.DataFrame(cost_rows, columns=["month", "team_id", "cost_jpy"])
    costs["month"] = costs["month"].astype("str")
    costs["team_id"] = costs["team_id"].astype("str")

    if truth is not None:
        truth.update(
            make_truth(
                teams=teams, hour_effect=hour_effect, tradeoff=tradeoff, hour_confounding=hour_confounding, end=end
            )
        )
        truth["seed"] = seed
        rt = pd.DataFrame(
            {
                "rep_id": [rp["rep_id"] for rp in rep_rows],
                "team_id": [rp["team"].team_id for rp in rep_rows],
                "role": [rp["role"] for rp in rep_rows],
                "new_hire": [rp["new"] for rp in rep_rows],
                "skill": [rp["skill"] + rp["team"].skill for rp in rep_rows],
                "rep_skill": [rp["skill"] for rp in rep_rows],
                "activity_multiplier": [rp["act"] for rp in rep_rows],
            }
        )
        for j, h in enumerate(HOURS):
            rt[f"hour_weight_{h}"] = [rp["hour_w"][j] for rp in rep_rows]
        truth["reps"] = rt

    out = {
        "teams": teams_df,
        "reps": reps,
        "calls": calls,
        "emails": emails,
        "leads": leads,
        "deals": deals,
        "costs": costs,
    }
    return {k: v.reset_index(drop=True) for k, v in out.items()}


TABLE_NAMES = ("teams", "reps", "calls", "emails", "leads", "deals", "costs")
ROW_GROUP_SIZE = 262_144


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    tbl = pa.Table.from_pandas(df, preserve_index=False)
    return tbl


def write_sample(
    out_dir=config.SAMPLE_DATA_DIR,
    seed: int = DEFAULT_SEED,
    fmt: str = "parquet",
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    **gen_kwargs,
) -> dict[str, Path]:
    """Generate (or take ``tables``) and write ``NAME.parquet`` / ``NAME.csv`` per table.

    Parquet: pyarrow, zstd, fixed row groups, no run-time metadata → byte-identical per seed.
    CSV: UTF-8, ISO 8601 timestamps with offset (``2026-10-01T09:15:00+09:00``), empty = missing.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = generate(seed, **gen_kwargs) if tables is None else tables
    paths = {}
    for name in TABLE_NAMES:
        df = tables[name]
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            pq.write_table(
                _to_arrow(df),
                path,
                compression="zstd",
                compression_level=9,
                row_group_size=ROW_GROUP_SIZE,
                use_dictionary=True,
                write_statistics=True,
            )
        else:
            d = df.copy()
            for c in d.columns:
                s = d[c]
                if isinstance(s.dtype, pd.DatetimeTZDtype):
                    d[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
                elif pd.api.types.is_datetime64_dtype(s):
                    d[c] = s.dt.strftime("%Y-%m-%d")
                elif pd.api.types.is_bool_dtype(s):
                    d[c] = s.map({True: "true", False: "false"}).astype("str")
                elif s.dtype == "float64" and c in ("amount_jpy", "cost_jpy"):
                    d[c] = s.map(lambda v: "" if pd.isna(v) else f"{v:.0f}").astype("str")
            d.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", na_rep="")
        paths[name] = path
    return paths


def file_hashes(paths) -> dict[str, str]:
    """sha256 of each written file (for determinism checks)."""
    return {k: hashlib.sha256(Path(p).read_bytes()).hexdigest() for k, p in dict(paths).items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="iskpi sample", description="Write the deterministic sample data.")
    ap.add_argument("--out", default=str(config.SAMPLE_DATA_DIR), help="output directory")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = write_sample(a.out, seed=a.seed, fmt=a.format)
    dt = time.perf_counter() - t0
    for name, p in paths.items():
        print(f"{name:7s} {p.stat().st_size / 1e6:8.2f} MB  {p}")
    print(f"done in {dt:.1f} s (seed {a.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
