"""Deterministic sample-data generator for ``data/sample/`` (planted, documented effects).

``generate(seed)`` returns the seven contract tables (DESIGN §3) as pandas DataFrames;
``write_sample(out_dir, seed, fmt)`` writes one file per table (byte-identical Parquet for the
same seed and library versions); ``python -m iskpi_analysis.sample --out DIR --seed N``.
Everything is drawn from ``numpy.random.default_rng(seed)``, vectorised per rep.

Where things live
-----------------
``params``     the planted parameters (every constant below) and the logit link
``specs``      ``TeamSpec`` (a team's knobs) and ``DEFAULT_TEAMS``
``truth``      ``make_truth`` / ``TRUTH`` (what a generation planted) and the realised per-rep values
``timebase``   the calendar (business days, holidays) and local seconds → timestamps
``roster``     reps and rep-days (effects 2-4: skill, volume, ramp-up, hour preferences)
``calls``      call times and outcomes (effects 1-2), the null controls
``leads``      leads, sources, response times, appointments, MQL/SQL (effect 6)
``emails``     e-mails (effect 7)
``deals``      deals, qualification, the quality score (effects 5, 8)
``costs``      monthly team costs (effect 9)
``generator``  ``generate``: the steps above in their fixed random-draw order
``write``      ``write_sample``, ``file_hashes`` and the ``iskpi sample`` command
``names``      the surnames and given names reps are named from

Default sample (seed 20261031, data end 2026-10-31, last month 2026-10)
-----------------------------------------------------------------------
* ``tokyo_is``  東京ISチーム — launched 2025-04-01 (18 months: mature). 10 SDR + 7 BDR, 100
  calls/rep/day, stable (activity_cv 0.12), skill +0.25, efficiency trend +0.15 logit/year,
  good deal quality (+0.3), 30 % new hires, 1 leaver.
* ``osaka_is``  大阪ISチーム — launched 2026-01-05 (9 months: growth). 8 SDR + 5 BDR, 100
  calls/day, stable (cv 0.10) at target, skill −0.05, efficiency flat (trend 0), weak deal
  quality (−0.4): "量は足りているが質が課題"; smaller accounts (deal amounts × 0.85). 25 % new
  hires, 1 leaver.
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
   ``P(won | closed) = sigmoid(−4.2 + 0.05 · score)``.
6. **Leads / response time**: a call opens a new lead with P = 0.035 (SDR) / 0.06 (BDR), else
   follows up one of the rep's recent leads (geometric, mean 10 leads back; e-mails mean 15), so
   a lead gets about 29 / 17 calls over its life. SDR leads are inbound (inbound_form 50 %, webinar 25 %, event
   15 %, referral 10 %); BDR leads list 85 %, event 10 %, referral 5 %. SDR lead first touch
   (always a call by the owner) comes after a delay: 70 % Exp(mean 20 min), 20 % lognormal
   (median 2 h, σ 0.8), 10 % lognormal (median 20 h, σ 0.7). Source shifts the appointment
   logit (``TRUTH["source_appointment_logit"]``); SDR leads first touched after > 1 h get
   −0.40 on the appointment logit of every call to them. mql_at = created + 1-10 min for 80 %
   of inbound leads. The first appointment on a lead qualifies it as an SQL with
   P = sigmoid(logit(0.42) + 0.5 · team.deal_quality + the rep's skill offset + the team's
   conversion trend) (sql_at = that appointment; mql_at set to
   sql_at when it was empty): not every アポ is an SQL.
7. **Emails**: Poisson(30 × activity multipliers) per rep per business day; open 30 %, click
   given open 1/6 (5 % overall), reply given open 15 % (4.5 % overall); events after the data
   end are NaT.
8. **Deals**: an SQL's appointment becomes a deal with P = 0.75, created 1-5 days later at
   9-18 h (dropped when after the data end); amount = annual contract value, lognormal (median
   SMB 250,000, MidMarket 500,000, Enterprise 1,000,000 JPY, × ``TeamSpec.amount_scale``, σ 0.45,
   clipped 0.1-5 M, rounded to 10,000); sales cycle lognormal (median 30 days, σ 0.5, ×1.5 for
   Enterprise); closing after the data end = open.
9. **Costs**: per team and month from the launch month: FTE × (650,000 loaded salary + 80,000
   tools) + 1,200,000 team fixed (leader, lists, dialer) + the marketing cost of the leads
   created that month (per lead: inbound form 10,000, webinar 6,000, event 12,000, referral
   3,000, list 300), rounded to 1,000 JPY (FTE = employed days / days of the month). The CAC
   is therefore a full one (IS + lead acquisition).

Null controls: ``script`` (A/B, 50/50) has no effect; ``decision_maker`` is P = 0.40 for
connected BDR calls (False when not connected) and NA for SDR calls.
Connect/conversation/appointment base rates: SDR 0.25 / 0.55 / 0.26, BDR 0.17 / 0.55 / 0.26
(before skill, hour, trend and source offsets). Valid conversation = connected and talk ≥
120 s (talk: 10-119 s uniform when connected-not-valid, 120 + lognormal(median 180 s) when
valid). Non-business days: a rep works with P = 0.03, Poisson(15) calls. Business-day absence
P = 0.015 (no calls, no emails).

Calibration (2026-10, team level, each team judged in its diagnosed phase — 福岡 launch, 大阪
and 東京 growth, issue 14): 27 of the KPI tree's 31 attainments lie within 50-150 % (median
113 %); above it are 福岡's and 大阪's e-mail reply rate (~167 %, 5 % inside the 3-8 % range) and
大阪's and 東京's 商談創出金額 (~206 % and ~214 %: the growth template's 30,000,000 per team and
month is small for a 12- or 16-rep team; 東京's many small SMB deals keep it there); CAC ≈
28-56万円, LTV/CAC ≈ 1.7-2.2 (LTV = average won amount × 0.7 × 3 years), ROI ≈ −44 % to −26 %
(launch and growth teams still investing; a generated mature team reaches the seed's mature
template, CAC ≤ 50万円 and LTV/CAC ≥ 3);
``tests/unit/test_sample_realism.py`` holds these bands.
"""

from __future__ import annotations

from .deals import quality_score
from .generator import generate
from .params import (
    DEFAULT_END,
    DEFAULT_HOUR_CONFOUNDING,
    DEFAULT_SEED,
    DEFAULT_TRADEOFF,
    GOOD_HOURS,
    HOUR_LOGIT,
    HOURS,
    TZ,
    WEEKDAY_LOGIT,
)
from .specs import DEFAULT_TEAMS, TeamSpec, months_before
from .truth import TRUTH, make_truth
from .write import ROW_GROUP_SIZE, TABLE_NAMES, file_hashes, main, write_sample

__all__ = [
    "TeamSpec",
    "DEFAULT_SEED",
    "DEFAULT_END",
    "DEFAULT_TEAMS",
    "DEFAULT_TRADEOFF",
    "DEFAULT_HOUR_CONFOUNDING",
    "TRUTH",
    "make_truth",
    "months_before",
    "quality_score",
    "generate",
    "TABLE_NAMES",
    "ROW_GROUP_SIZE",
    "write_sample",
    "file_hashes",
    "main",
    "TZ",
    "HOURS",
    "HOUR_LOGIT",
    "WEEKDAY_LOGIT",
    "GOOD_HOURS",
]
