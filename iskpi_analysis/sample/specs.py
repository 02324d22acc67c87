"""Scenario knobs: :class:`TeamSpec` (one generated team) and the default sample's three teams."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .params import EMAIL

__all__ = ["TeamSpec", "DEFAULT_TEAMS", "months_before"]


@dataclass(frozen=True)
class TeamSpec:
    """Knobs of one generated team.

    Attributes
    ----------
    team_id, team_name : str
        Ids/labels written to ``teams``.
    launched_on : str
        The team's start date (phase age is counted from it).
    n_sdr, n_bdr : int
        Reps ever in the team (including new hires).
    data_start : str or None
        First day with data (default = launched_on); e.g. end − 6 weeks.
    calls_per_day : float
        Steady-state mean calls per rep per business day (launch target 100).
    activity_cv : float
        Day-to-day variability of a rep's calls (SD of log-volume shock).
    calls_ramp_months, calls_start_share : float
        Team-level activity ramp from launch (0 = none), starting at ``calls_start_share`` of
        calls_per_day and reaching 1 after that many months.
    skill : float
        Team logit offset on connect, conversation and appointment.
    conversion_trend : float
        Logit change per 365 days since launch on conversation, appointment and the SQL
        qualification of an appointment.
    deal_quality : float
        Offset of the latent deal quality (see the package docstring, effect 5).
    new_hire_share : float
        Share of reps who join after data_start (they ramp up over 90 days).
    n_leavers : int
        Reps who leave (left_on set) in the second half of the data.
    ramp_founders : bool
        Founders ramp up like new hires from their joined_on (= launched_on).
    emails_per_day : float
        Mean e-mails per rep per business day.
    rep_skill_sd : float or None
        SD of the reps' individual skill offsets (logit; None = REP_SKILL_SD 0.30).
    amount_scale : float
        The team's deal sizes relative to the segment medians (< 1: smaller accounts).
    skill_convergence : float
        Share of each rep's individual skill offset that disappears per 365 days since launch
        (linear, floored at 0; 1.0 = reps equal after a year): a narrowing skill gap. Acts on
        connect/conversation/appointment, not on the deal-quality latent.
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
    amount_scale: float = 1.0

    @property
    def start(self) -> pd.Timestamp:
        """The first day with data (``data_start``, else ``launched_on``), midnight."""
        return pd.Timestamp(self.data_start or self.launched_on).normalize()


def months_before(end: str, months: int) -> str:
    """First day of the month ``months`` before the month of ``end`` (``launched_on`` helper).

    Parameters
    ----------
    end : str
        A date; its month is the reference.
    months : int
        How many calendar months back.

    Returns
    -------
    str
        ISO date of that month's first day.
    """
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
        # a growth team (issue 14: 東京 is diagnosed 成長期 — skill gap large, efficiency not yet
        # stable): a modest edge in conversion and many small SMB deals of mixed quality, so its
        # SQLs stay near the seed's growth target (20 a rep-month) and its deal amount created
        # about twice the team target (3,000万円 a team-month, with 16 reps), not 6-7 times it
        skill=0.1,
        conversion_trend=0.15,
        deal_quality=-0.2,
        amount_scale=0.45,
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
        amount_scale=0.85,
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
