"""The seed's checklist, growth-transition signs and migration steps (ids only: their words are in
``messages/<lang>/phase.toml``), the thresholds of a diagnosis (:class:`Rules`), the analyst's
answers, and the rules that turn checklist answers into a phase (:func:`classify`) and into the
readiness for the next phase (:func:`readiness`). Language-neutral."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import config, kpis

__all__ = [
    "STATUSES",
    "READINESS",
    "STANDINGS",
    "ANSWER_KEYS",
    "ITEMS",
    "ITEM_IDS",
    "ITEM_PHASE",
    "RULE",
    "SIGN_IDS",
    "GROWTH_CONDITIONS",
    "MATURE_CONDITIONS",
    "PLAN_STEPS",
    "PLAN_ACTIONS",
    "Rules",
    "DEFAULT_RULES",
    "parse_answer",
    "answers_for",
    "next_phase_of",
    "status_of",
    "as_status",
    "classify",
    "readiness",
    "SOURCES",
    "decide_phase",
]

STATUSES = ("met", "not_met", "unknown")
#: where a team's one phase comes from (:func:`decide_phase`), in the order they are tried
SOURCES = ("override", "diagnosis", "age")
READINESS = ("ready", "not_yet", "insufficient_data", "final")
STANDINGS = ("ahead", "in_line", "behind", "insufficient")
ANSWER_KEYS = ("fs_rules_established", "revenue_reporting", "winning_script")

#: the seed's checklist, in its order: (item_id, phase); wording: ``phase.item.<item_id>``
ITEMS = (
    ("launch_age", "launch"),
    ("activity_unstable", "launch"),
    ("no_success_pattern", "launch"),
    ("skill_gap_large", "launch"),
    ("activity_stable", "growth"),
    ("volume_ok_quality_issue", "growth"),
    ("data_3_months", "growth"),
    ("fs_rules", "growth"),
    ("efficiency_stable", "mature"),
    ("revenue_visible", "mature"),
)
ITEM_IDS = tuple(i[0] for i in ITEMS)
ITEM_PHASE = dict(ITEMS)
#: the seed's rule: items needed per phase
RULE = {"launch": 3, "growth": 3, "mature": 2}

#: the seed's five growth-transition signs; wording: ``phase.sign.<sign_id>``
SIGN_IDS = ("sign_activity", "sign_skill", "sign_patterns", "sign_data", "sign_conversion")
#: the seed FAQ's three conditions for moving to growth
GROWTH_CONDITIONS = ("sign_activity", "sign_patterns", "sign_data")
MATURE_CONDITIONS = ("efficiency_stable", "revenue_visible")

#: the seed's migration steps and their actions; wording: ``phase.step.<step>`` and
#: ``phase.action.<step>.<action>``
PLAN_STEPS = ("preparation", "parallel", "full")
PLAN_ACTIONS = {
    "preparation": ("review", "measure", "share"),
    "parallel": ("both", "realistic", "weekly"),
    "full": ("main", "downgrade", "incentives"),
}


@dataclass(frozen=True)
class Rules:
    """The thresholds of a phase diagnosis (they travel together, so they are one object).

    Attributes
    ----------
    activity_kpi : the activity KPI of items 2/5 (a per-rep-day count of the phase template).
    skill_kpi : the rate KPI of the skill gap (item 4, sign 2).
    months : evaluation window in calendar months ending with the report month.
    trend_months : months for the trend tests (deal conversion, skill gap).
    min_months : months of data needed for the pattern items and for item 7.
    skill_gap_threshold : between-rep CV at or above which the skill gap is "large".
    run_length, max_out_share : XmR stability rules (see :mod:`iskpi_analysis.control_chart`).
    min_points : fewer business days (team) or working days (rep) → the chart is not judged.
    min_stable_share : share of the reps judged whose own chart must be stable.
    alpha : significance level (hour windows, script and trend tests).
    min_trials : months with fewer trials leave an efficiency KPI unknown.
    min_judged : fewer judged items → insufficient data.
    min_rep_days : reps with fewer working days in the window are not placed.
    """

    activity_kpi: str = "calls"
    skill_kpi: str = "deal_conversion"
    months: int = 3
    trend_months: int = 6
    min_months: float = 3
    skill_gap_threshold: float = 0.30
    run_length: int = 9
    max_out_share: float = 0.02
    min_points: int = 20
    min_stable_share: float = 0.8
    alpha: float = 0.05
    min_trials: int = 30
    min_judged: int = 5
    min_rep_days: int = 10

    def __post_init__(self):
        for name in ("months", "trend_months", "run_length", "min_points"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        for name in ("max_out_share", "min_stable_share"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0 <= self.min_judged <= len(ITEM_IDS):
            raise ValueError(f"min_judged must be in [0, {len(ITEM_IDS)}], got {self.min_judged}")


#: the seed's thresholds as shipped (the default of :func:`diagnose`)
DEFAULT_RULES = Rules()

_YES = ("yes", "y", "true", "1", "はい", "済", "あり")
_NO = ("no", "n", "false", "0", "いいえ", "なし")
_UNKNOWN = ("", "unknown", "不明", "?", "none", "na")


def parse_answer(value, team_id: str | None = None) -> bool | None:
    """An analyst's answer → True / False / None (unknown).

    ``value``: True/False/None, or text "yes" / "no" / "unknown" (also はい / いいえ / 不明), or
    per team "tokyo_is:yes, osaka_is:no" (teams not listed: unknown).
    """
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if not isinstance(value, str):
        raise ValueError(f"an answer must be yes / no / unknown (or team:answer, …), got {value!r}")
    v = value.strip()
    if ":" in v:
        out = None
        for part in v.split(","):
            if not part.strip():
                continue
            if ":" not in part:
                raise ValueError(f"per-team answers look like 'team_id:yes, team_id:no', got {value!r}")
            team, a = (s.strip() for s in part.split(":", 1))
            ans = parse_answer(a)
            if team == team_id:
                out = ans
        return out
    low = v.lower()
    if low in _YES:
        return True
    if low in _NO:
        return False
    if low in _UNKNOWN:
        return None
    raise ValueError(f"an answer must be one of yes / no / unknown (はい / いいえ / 不明), got {value!r}")


def answers_for(answers: dict | None, team_id: str) -> dict:
    """The analyst's answers for one team: ``{answer key: True / False / None}``."""
    answers = dict(answers or {})
    bad = [k for k in answers if k not in ANSWER_KEYS]
    if bad:
        raise ValueError(f"answers keys must be among {ANSWER_KEYS}, got {bad}")
    return {k: parse_answer(answers.get(k), team_id) for k in ANSWER_KEYS}


def next_phase_of(phase: str | None) -> str | None:
    """launch → growth → mature → None."""
    if phase is None:
        return None
    config.check_option("phase", phase, kpis.PHASES)
    i = kpis.PHASES.index(phase)
    return kpis.PHASES[i + 1] if i + 1 < len(kpis.PHASES) else None


def status_of(b) -> str:
    """True / False / None → met / not_met / unknown."""
    return "unknown" if b is None else ("met" if b else "not_met")


def as_status(v) -> str:
    """A status code from a code, a bool or None; ValueError on anything else."""
    if v in STATUSES:
        return v
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "unknown"
    if isinstance(v, (bool, np.bool_)):
        return "met" if v else "not_met"
    raise ValueError(f"a status must be one of {STATUSES} or True/False/None, got {v!r}")


def _decide(met: dict) -> tuple[str, str]:
    cnt = {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph and met.get(i)) for ph in kpis.PHASES}
    if cnt["launch"] >= RULE["launch"]:
        return "launch", "rule"
    if cnt["mature"] >= RULE["mature"]:
        return "mature", "rule"
    if cnt["growth"] >= RULE["growth"]:
        return "growth", "rule"
    for ph in kpis.PHASES:
        if cnt[ph] >= 1:
            return ph, "fallback"
    return "launch", "fallback"


def _deciding(unknown: list, outcomes: dict) -> list:
    """The unknown items whose answer alone can change the phase."""
    out = []
    for j, u in enumerate(unknown):
        for fill, o in outcomes.items():
            if not fill[j] and outcomes[fill[:j] + (True,) + fill[j + 1 :]][0] != o[0]:
                out.append(u)
                break
    return out


def classify(statuses, *, min_judged: int = 5) -> dict:
    """The seed's rule on a set of checklist answers, with the package's tie/overlap rules.

    Parameters
    ----------
    statuses : mapping item_id → "met" / "not_met" / "unknown" (or True / False / None), or a
        checklist DataFrame with columns item_id, status. Items not given are unknown.
    min_judged : fewer judged (met or not met) items → insufficient data.

    Returns
    -------
    dict with phase (launch / growth / mature, or None = insufficient data), determined (bool),
    basis ("rule", "fallback" or "insufficient"), rules_met (phases whose rule holds on the
    judged items), counts {phase: items met}, unknown {phase: unknown items}, totals {phase:
    items}, judged (items judged), possible (phases some answer to the unknown items would give),
    deciding (unknown item ids whose answer can change the phase).

    Examples
    --------
    >>> c = classify({"launch_age": "met", "activity_unstable": "met", "no_success_pattern": "met"})
    >>> c["phase"], c["possible"], c["judged"]  # launch whatever the rest says, but 3 < min_judged
    (None, ['launch'], 3)
    >>> classify({"launch_age": "met", "activity_unstable": "met", "no_success_pattern": "met"}, min_judged=3)["phase"]
    'launch'
    """
    if isinstance(statuses, pd.DataFrame):
        statuses = dict(zip(statuses["item_id"], statuses["status"]))
    bad = [k for k in statuses if k not in ITEM_IDS]
    if bad:
        raise ValueError(f"unknown checklist items {bad}; items are {ITEM_IDS}")
    st = {i: as_status(statuses.get(i)) for i in ITEM_IDS}
    unknown = [i for i in ITEM_IDS if st[i] == "unknown"]
    base = {i: st[i] == "met" for i in ITEM_IDS}
    fills = itertools.product((False, True), repeat=len(unknown))
    outcomes = {fill: _decide({**base, **dict(zip(unknown, fill))}) for fill in fills}
    possible = sorted({o[0] for o in outcomes.values()}, key=kpis.PHASES.index)
    judged = len(ITEM_IDS) - len(unknown)
    counts = {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph and st[i] == "met") for ph in kpis.PHASES}
    determined = len(possible) == 1 and judged >= min_judged
    phase, basis = _decide(base) if determined else (None, "insufficient")
    if determined:
        # the basis is the one every answer gives
        basis = outcomes[tuple(False for _ in unknown)][1]
    return {
        "phase": phase,
        "determined": determined,
        "basis": basis,
        "rules_met": [ph for ph in kpis.PHASES if counts[ph] >= RULE[ph]],
        "counts": counts,
        "unknown": {ph: sum(1 for i in unknown if ITEM_PHASE[i] == ph) for ph in kpis.PHASES},
        "totals": {ph: sum(1 for i in ITEM_IDS if ITEM_PHASE[i] == ph) for ph in kpis.PHASES},
        "judged": judged,
        "possible": possible,
        "deciding": _deciding(unknown, outcomes),
    }


def readiness(*, from_phase: str | None, checklist_status: dict, sign_status: dict, determined: bool = True) -> dict:
    """Readiness for the phase after ``from_phase`` (see the package docstring).

    Returns
    -------
    dict with next_phase, readiness (ready / not_yet / insufficient_data / final), conditions
    (ids checked: sign ids for growth, item ids for mature), failed, unknown (ids).
    """
    if not determined or from_phase is None:
        return {"next_phase": None, "readiness": "insufficient_data", "conditions": [], "failed": [], "unknown": []}
    nxt = next_phase_of(from_phase)
    if nxt is None:
        return {"next_phase": None, "readiness": "final", "conditions": [], "failed": [], "unknown": []}
    if nxt == "growth":
        conds = list(GROWTH_CONDITIONS)
        st = {c: as_status(sign_status.get(c)) for c in conds}
    else:
        conds = list(MATURE_CONDITIONS)
        st = {c: as_status(checklist_status.get(c)) for c in conds}
    failed = [c for c in conds if st[c] == "not_met"]
    unknown = [c for c in conds if st[c] == "unknown"]
    r = "not_yet" if failed else ("insufficient_data" if unknown else "ready")
    return {"next_phase": nxt, "readiness": r, "conditions": conds, "failed": failed, "unknown": unknown}


def decide_phase(*, override: str | None, diagnosed: str | None, age_phase: str) -> tuple[str, str]:
    """The team's one phase and where it comes from (``SOURCES``), in this order:

    1. ``override`` — a phase an analyst sets (notebook parameter ``phase``, else the settings
       file's ``phase`` for the team): the analyst knows things the data does not;
    2. ``diagnosed`` — the evidence-based diagnosis (:func:`classify`), whatever the calendar
       says (the seed's FAQ: judging by months alone is risky; some teams move at 4 months,
       some need 8);
    3. ``age_phase`` — months since launch, only when the diagnosis is insufficient
       (``diagnosed`` None: fewer than ``Rules.min_judged`` items judged, or the unknown items
       could change the phase).

    The FAQ's "lower phase" for a team straddling phases is applied inside the diagnosis
    (:func:`classify`), not between the diagnosis and the calendar: the calendar never pulls a
    diagnosed team down or up.

    Examples
    --------
    >>> decide_phase(override=None, diagnosed="growth", age_phase="mature")
    ('growth', 'diagnosis')
    >>> decide_phase(override=None, diagnosed=None, age_phase="launch")
    ('launch', 'age')
    >>> decide_phase(override="mature", diagnosed="growth", age_phase="launch")
    ('mature', 'override')
    """
    for name, value in (("override", override), ("diagnosed", diagnosed), ("age_phase", age_phase)):
        config.check_option(name, value, (None, "", *kpis.PHASES))
    if override:
        return override, "override"
    if diagnosed:
        return diagnosed, "diagnosis"
    if not age_phase:
        raise ValueError("age_phase is needed when there is neither an override nor a diagnosis")
    return age_phase, "age"
