"""Phase diagnosis and transition readiness (notebook 02; the seed's フェーズ診断).

The seed (phase-kpi-design) says a team's KPIs must follow its phase — launch (activity volume),
growth (efficiency and quality), mature (revenue) — and that *evidence*, not the calendar, decides
the phase: some teams move at 4 months, some at 8. This module judges the seed's 10-item
checklist and its five growth-transition signs from the data, applies the seed's rule, and says
whether each team is ready for the next phase, with the figures behind every statement.

The checklist (seed: 自社の現在フェーズを診断するチェックリスト)
-----------------------------------------------------------------
==  ========================  ======  ===========================================================
#   item_id                   phase   judged by
==  ========================  ======  ===========================================================
1   launch_age                launch  months since ``teams.launched_on`` < 6 (the launch template's
                                      upper bound, ``kpis.phase_months``)
2   activity_unstable         launch  the negation of item 5
3   no_success_pattern        launch  the negation of "success patterns visible": no calling hour
                                      reliably above the team average (``timing.recommended_windows``,
                                      rep- and weekday-adjusted, BH-adjusted p < alpha) and no script difference
                                      (chi-square of conversation and appointment rate by script, BH);
                                      an analyst's ``winning_script = yes`` also counts as a pattern
4   skill_gap_large           launch  between-rep coefficient of variation of ``skill_kpi`` (default
                                      deal conversion), within role, sampling noise removed, pooled
                                      over the window ≥ ``skill_gap_threshold`` (0.30)
5   activity_stable           growth  the team's daily activity per working rep (``activity_kpi``,
                                      default calls) over the window: XmR chart stable (no run of
                                      ``run_length`` points on one side, at most ``max_out_share`` of
                                      the points beyond the limits) and centre line ≥ the target
6   volume_ok_quality_issue   growth  item 5 met and deal conversion below the growth target or not
                                      rising (quasi-binomial logistic trend over ``trend_months``)
7   data_3_months             growth  span of the team's activity data ≥ ``min_months`` (3)
8   fs_rules                  growth  analyst's answer only (``fs_rules_established``)
9   efficiency_stable         mature  every growth-template efficiency KPI (rates of importance ≥ 2:
                                      deal conversion, handoff win rate) at target in every month of
                                      the window (months with < ``min_trials`` trials: unknown)
10  revenue_visible           mature  deals carry amounts (≥ 95 %), closed deals a close date (≥ 95 %)
                                      and at least one won deal with an amount in the window; the
                                      analyst's ``revenue_reporting`` answer, when given, overrides
==  ========================  ======  ===========================================================

Targets come only from :func:`kpis.phase_targets`. The activity target is the one of the phase
by months since launch (an analyst's override replaces it); a phase whose template has no
target for the activity KPI (mature) uses the nearest lower phase that has one (growth: 80).
The efficiency targets are the growth template's (reaching them stably is the mark of maturity).

Items that need a pattern in the data (2–6, 9) need at least ``min_months`` of data; with less
they are *unknown* ("3ヶ月以上のデータ … 傾向分析が可能", the seed's own condition).

The rule and its ties (:func:`classify`, :mod:`.rules`)
----------------------------------------
Seed: ≥ 3 launch items → launch; ≥ 3 growth items → growth; both mature items → mature.

- Launch rule with any other rule → **launch** (the seed's FAQ: a team straddling phases takes
  the lower phase; reps who are ahead are named and may get next-phase KPIs individually).
- Growth and mature rules together → **mature**: growth items 5, 7, 8 are capabilities a mature
  team keeps, so meeting them does not pull a team that meets both mature items back.
- No rule → the lowest phase with at least one item met (the FAQ's lower phase), basis
  ``fallback``; no item met at all → launch.
- Unknown items count neither way. Every way the unknown items could be answered is tried; when
  the answers could change the phase, or fewer than ``min_judged`` (5) items are judged, the
  verdict is **insufficient_data** — never a guess — and the unknown items that decide it are
  named.

The team's one phase (:func:`team_phase`, :mod:`.decision`)
-----------------------------------------------------------
The phase every page uses (01's targets, 02, 03's guide values, the index) is decided once, in
this order (:func:`decide_phase`): an analyst's override (notebook parameter ``phase``, else the
settings file's ``phase`` for the team) → this diagnosis → months since launch, only when the
diagnosis is insufficient (no phase from :func:`classify`: fewer than ``min_judged`` items judged,
or the unknown items could change it). The calendar never overrides the evidence: the FAQ warns
against judging by months alone.

Readiness (:func:`readiness`)
-----------------------------
The question is the move after the team's one phase (before issue 14 it was asked from the lower
of the calendar's phase and the diagnosed one; now the diagnosed phase *is* the team's phase, so a
4-month team diagnosed growth is asked "ready for mature?"). The conditions are judged on the same
evidence even when the phase is the age fallback (6 weeks of data fail "3 months of data").

- to growth: the FAQ's three conditions — sign 1 (activity stable at target), sign 3 (success
  patterns visible) and sign 4 (≥ 3 months of data) — all met → ready; any not met → not_yet;
  otherwise insufficient_data. Signs 2 and 5 are shown as supporting evidence.
- to mature: both mature items met → ready; either not met → not_yet.
- already mature → final.

Reps (:func:`rep_standing`, :mod:`.reps`) and the migration plan (:func:`migration_plan`,
:mod:`.migration`) are described in their modules.

Thresholds travel together as one :class:`Rules` (``diagnose(..., rules=Rules(months=3))``).

Where things live
-----------------
``rules``      the checklist, signs and steps (ids), :class:`Rules`, analyst answers, the seed's
               rule (:func:`classify`) and :func:`readiness`
``activity``   data span, activity target, XmR charts of the team and of each rep (items 2, 5, 7)
``skill``      the between-rep spread of a rate net of chance, and its trend (item 4, sign 2)
``patterns``   calling hours (``timing.reliable_windows``) and scripts (item 3, sign 3); claims
``outcomes``   deal conversion and its trend, efficiency KPIs, revenue traceability (6, 9, 10)
``items``      the ten checklist items and five signs as codes and figures
``reps``       each rep against the team; ``migration`` next KPIs and the dated plan
``diagnosis``  :func:`diagnose` → :class:`TeamDiagnosis` (language-neutral), key figures
``decision``   :func:`team_phase` (THE phase, cached once per run), :func:`guide_targets` (03)
``sentences``  the evidence sentences of the items and signs; ``narrative`` labels, reasons,
               findings, headline, :func:`describe` (a diagnosis with its words);
               ``tables`` the notebook's labelled display tables — every text from
               ``messages/<lang>/phase.toml``
"""

from __future__ import annotations

from . import (
    activity,
    decision,
    diagnosis,
    items,
    migration,
    narrative,
    outcomes,
    patterns,
    reps,
    rules,
    sentences,  # noqa: F401  (the evidence sentences: phase.sentences.activity_text, …)
    skill,
    tables,
)
from .activity import *  # noqa: F403
from .decision import *  # noqa: F403
from .diagnosis import *  # noqa: F403
from .items import *  # noqa: F403
from .migration import *  # noqa: F403
from .narrative import *  # noqa: F403
from .outcomes import *  # noqa: F403
from .patterns import *  # noqa: F403
from .reps import *  # noqa: F403
from .rules import *  # noqa: F403
from .skill import *  # noqa: F403
from .tables import *  # noqa: F403

__all__ = [
    *rules.__all__,
    *activity.__all__,
    *skill.__all__,
    *patterns.__all__,
    *outcomes.__all__,
    *items.__all__,
    *reps.__all__,
    *migration.__all__,
    *diagnosis.__all__,
    *decision.__all__,
    *narrative.__all__,
    *tables.__all__,
]
