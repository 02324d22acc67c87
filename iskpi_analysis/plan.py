"""Reverse plan from the goal (KGI → activity) and the probability plan.

The seed (kpi-setting-guide) works back from the goal: 10 orders at a 20 % deal→order rate need
50 deals, at a 40 % conversation→deal rate 125 conversations, at a 50 % call→conversation rate
250 calls. :func:`reverse_plan` does exactly that for any chain of stages.

Plain division only gives the *expected* number of calls: with that many calls the goal is
reached about half the time. When every call passes each stage independently, the orders from
``N`` calls are Binomial(N, p1·p2·…·pk), so :func:`reach_probability` and
:func:`probability_plan` compute the chance to reach the goal and the calls needed for a chosen
probability exactly. When the stage rates are themselves estimated from observed counts
(``successes`` / ``trials``), their uncertainty is carried through by averaging the binomial tail
over the rates' posterior (Beta(k + ½, n − k + ½), Jeffreys prior) with a fixed-seed Monte
Carlo; with huge counts this tends to the exact binomial answer.

Which goal to plan for (:func:`default_goal`): the analyst's number, else the monthly settings'
goals, else — nobody set one — the phase's per-rep 商談創出 (deals created) target times the
reps on the team in the month, so a larger team always gets a larger goal; only when no phase
template has such a target, the older fallbacks (the phase's won-amount target ÷ the average won
amount, this month's wins + 10 %). :func:`goal_progress` compares the goal with the month's
actual at the goal stage, so a plan sentence can say a goal is already reached instead of
asking for fewer calls than the team already made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats as _st

from . import kpis
from . import workdays as jcal

__all__ = [
    "reverse_plan",
    "reach_probability",
    "calls_for_probability",
    "probability_plan",
    "GOAL_BASES",
    "per_rep_deals_target",
    "default_goal",
    "goal_progress",
]

#: where a reverse plan's goal came from, in the order :func:`default_goal` looks for it
GOAL_BASES = (
    "parameter",
    "settings_deals",
    "settings_won",
    "settings_won_amount",
    "phase_deals_per_rep",
    "won_amount_target",
    "actual_plus_10pct",
)


def _check_rates(rates) -> np.ndarray:
    r = np.asarray(rates, dtype=float)
    if r.ndim != 1 or len(r) == 0:
        raise ValueError("rates must be a non-empty 1-d sequence of stage conversion rates")
    if np.any(~np.isfinite(r)) or np.any(r <= 0) or np.any(r > 1):
        raise ValueError(f"every rate must lie in (0, 1], got {list(r)}")
    return r


def reverse_plan(goal: float, *, stages, rates) -> pd.DataFrame:
    """Activity needed at every stage to reach ``goal`` at the last stage (plain division).

    Parameters
    ----------
    goal : the number wanted at the last stage (e.g. 10 orders).
    stages : stage names from the top of the funnel to the goal stage, ``len(rates) + 1`` of them.
    rates : ``rates[i]`` = share of ``stages[i]`` that reaches ``stages[i + 1]``.

    Returns
    -------
    DataFrame, one row per stage (top first), columns
        stage, rate_to_next (NaN for the goal stage), needed (exact goal / product of the rates
        below), needed_ceil (rounded up: whole calls/deals), cumulative_rate (share of this
        stage that ends at the goal stage).
    """
    r = _check_rates(rates)
    stages = list(stages)
    if len(stages) != len(r) + 1:
        raise ValueError(f"need len(rates) + 1 = {len(r) + 1} stages, got {len(stages)}")
    if not goal > 0:
        raise ValueError(f"goal must be positive, got {goal}")
    cum = np.append(np.cumprod(r[::-1])[::-1], 1.0)  # share of stage i that reaches the goal
    needed = goal / cum
    # round away float noise (10 / 0.2 = 50.000000000000004) before taking the ceiling
    ceil = np.ceil(np.round(needed, 9)).astype("int64")
    return pd.DataFrame(
        {
            "stage": stages,
            "rate_to_next": np.append(r, np.nan),
            "needed": needed,
            "needed_ceil": ceil,
            "cumulative_rate": cum,
        }
    )


def _rate_draws(rates, successes, trials, draws: int, seed: int) -> np.ndarray:
    """Overall rate (product of stage rates): one value if known, else posterior draws."""
    if successes is None and trials is None:
        return np.array([float(np.prod(_check_rates(rates)))])
    if successes is None or trials is None:
        raise ValueError("give both successes and trials (observed counts per stage), or neither")
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if k.shape != n.shape or k.ndim != 1 or np.any(k < 0) or np.any(k > n):
        raise ValueError("successes and trials must be equal-length with 0 <= successes <= trials")
    rng = np.random.default_rng(seed)
    p = np.ones(draws)
    for ki, ni in zip(k, n):
        p *= rng.beta(ki + 0.5, ni - ki + 0.5, size=draws)
    return p


def reach_probability(
    goal: int, calls: int, *, rates=None, successes=None, trials=None, draws: int = 20_000, seed: int = 0
) -> float:
    """P(at least ``goal`` at the last stage | ``calls`` at the top).

    Known ``rates``: the exact binomial tail ``P(Binomial(calls, Πrates) >= goal)``. Observed
    ``successes``/``trials`` per stage instead: the tail averaged over the rates' posterior.
    """
    if rates is None and successes is None:
        raise ValueError("give rates, or successes and trials")
    p = _rate_draws(rates, successes, trials, draws, seed)
    return float(np.mean(_st.binom.sf(int(goal) - 1, int(calls), p)))


def calls_for_probability(
    goal: int,
    probability: float = 0.9,
    *,
    rates=None,
    successes=None,
    trials=None,
    draws: int = 20_000,
    seed: int = 0,
    max_factor: float = 100.0,
) -> int | None:
    """Fewest calls with P(reaching ``goal``) >= ``probability``; None if beyond max_factor × plain."""
    if not 0 < probability < 1:
        raise ValueError(f"probability must be in (0, 1), got {probability}")
    if rates is None and successes is None:
        raise ValueError("give rates, or successes and trials")
    p = _rate_draws(rates, successes, trials, draws, seed)
    return _fewest_calls(_ReachCurve(goal, p), probability, bayes=successes is not None, max_factor=max_factor)


class _ReachCurve:
    """P(reaching ``goal``) as a function of the calls, for one set of rate draws; each number of
    calls is evaluated once (a plan's probabilities search the same curve)."""

    def __init__(self, goal: int, p: np.ndarray):
        self.goal, self.p, self._seen = int(goal), p, {}

    def __call__(self, n: int) -> float:
        if n not in self._seen:
            self._seen[n] = float(np.mean(_st.binom.sf(self.goal - 1, n, self.p)))
        return self._seen[n]


def _fewest_calls(prob: _ReachCurve, probability: float, *, bayes: bool, max_factor: float) -> int | None:
    g, p = prob.goal, prob.p
    plain = g / float(np.mean(p)) if not bayes else g / float(np.median(p))
    lo, hi = g - 1, max(g, int(math.ceil(plain)))  # prob(lo) < probability (fewer calls than goal)
    limit = int(math.ceil(plain * max_factor))
    while prob(hi) < probability:
        lo, hi = hi, hi * 2
        if hi > limit:
            return None
    while hi - lo > 1:  # invariant: prob(lo) < probability <= prob(hi)
        mid = (lo + hi) // 2
        if prob(mid) >= probability:
            hi = mid
        else:
            lo = mid
    return int(hi)


def probability_plan(
    goal: int,
    *,
    stages,
    rates,
    successes=None,
    trials=None,
    probabilities=(0.5, 0.8, 0.9),
    draws: int = 20_000,
    seed: int = 0,
) -> pd.DataFrame:
    """Calls (and the stages below) needed to reach ``goal`` with each chosen probability.

    Parameters
    ----------
    goal : wanted count at the last stage.
    stages, rates : as in :func:`reverse_plan` (rates are the point estimates).
    successes, trials : observed counts per stage (optional). Given → the rates' uncertainty is
        included; omitted → the rates are taken as known (exact binomial).
    probabilities : the chances of reaching the goal to plan for.

    Returns
    -------
    DataFrame, one row for the plain plan and one per probability, columns
        basis ("plain" or "probability"), probability (the target chance; for the plain row the
        chance that the plain number of calls reaches the goal), calls (top-stage activity),
        expected_goal (calls × Πrates), uncertainty ("known_rates" / "observed_rates"), and one
        column ``needed_<stage>`` per stage: the expected count at that stage for those calls.
    """
    r = _check_rates(rates)
    stages = list(stages)
    if len(stages) != len(r) + 1:
        raise ValueError(f"need len(rates) + 1 = {len(r) + 1} stages, got {len(stages)}")
    kw = {
        "rates": None if successes is not None else r,
        "successes": successes,
        "trials": trials,
        "draws": draws,
        "seed": seed,
    }
    plain = reverse_plan(goal, stages=stages, rates=r)
    plain_calls = int(plain["needed_ceil"].iloc[0])
    overall = float(np.prod(r))
    cum_from_top = np.append(1.0, np.cumprod(r))
    # one set of rate draws and one reach curve for every row (what each row would draw and
    # evaluate on its own: the same seed, the same numbers)
    curve = _ReachCurve(goal, _rate_draws(kw["rates"], successes, trials, draws, seed))
    rows = [{"basis": "plain", "probability": curve(int(plain_calls)), "calls": plain_calls}]
    for pr in probabilities:
        if not 0 < pr < 1:
            raise ValueError(f"probability must be in (0, 1), got {pr}")
        calls = _fewest_calls(curve, pr, bayes=successes is not None, max_factor=100.0)
        rows.append({"basis": "probability", "probability": float(pr), "calls": calls})
    out = pd.DataFrame(rows)
    out["calls"] = out["calls"].astype("Int64")
    out["expected_goal"] = out["calls"].astype(float) * overall
    out["uncertainty"] = "observed_rates" if successes is not None else "known_rates"
    for s, c in zip(stages, cum_from_top):
        out[f"needed_{s}"] = out["calls"].astype(float) * c
    return out


def per_rep_deals_target(phase: str, *, targets_file=None, month: str | None = None) -> float | None:
    """The phase's 商談創出数 (``deals_created``) target for one rep and one month.

    The seed's templates give it only for the launch phase (15 per rep and month); a phase
    without one uses the nearest lower phase that has one (the phase diagnosis treats the
    activity target the same way). A ``rep_day`` target is multiplied by the business days of
    ``month``; a ``team_month`` target does not say what one rep should do and is skipped.

    Parameters
    ----------
    phase : "launch", "growth" or "mature".
    targets_file : an edited phase target file (None = the shipped templates).
    month : "YYYY-MM", needed only for a per-day target.

    Returns
    -------
    float, or None when no phase up to ``phase`` has a per-rep deals-created target.
    """
    if phase not in kpis.PHASES:
        raise ValueError(f"phase must be one of {kpis.PHASES}, got {phase!r}")
    for ph in reversed(kpis.PHASES[: kpis.PHASES.index(phase) + 1]):
        tt = kpis.phase_targets(ph, targets_file=targets_file)
        row = tt[tt["kpi_id"] == "deals_created"]
        if not len(row) or not np.isfinite(row["target"].iloc[0]):
            continue
        target, per = float(row["target"].iloc[0]), row["per"].iloc[0]
        if per == "rep_month":
            return target
        if per == "rep_day" and month is not None:
            return target * len(jcal.month_business_days(month))
    return None


def default_goal(
    *,
    counts: Mapping,
    phase: str,
    headcount: int,
    goal_won: int = 0,
    goals: Mapping | None = None,
    won_amount: float | None = None,
    won_amount_target: float | None = None,
    targets_file=None,
    month: str | None = None,
) -> tuple[int, str, str]:
    """The goal a team's reverse plan works back from: ``(goal, basis, kpi_id)``.

    In this order (``basis`` in :data:`GOAL_BASES`):

    1. ``goal_won`` > 0, deals won — the analyst's number ("parameter");
    2. the settings' deals-created goal — the seed's reverse plan starts from the monthly
       商談創出 goal ("settings_deals"); 3. the settings' deals-won goal ("settings_won");
    4. the settings' won-amount goal ÷ this month's average won amount, rounded up
       ("settings_won_amount");
    5. nobody set a goal: the phase's per-rep deals-created target
       (:func:`per_rep_deals_target`) × ``headcount``, rounded up ("phase_deals_per_rep") —
       proportional to the team's size, never to what one month happened to bring;
    6. no phase template has that target: the phase's won-amount target ÷ the average won
       amount ("won_amount_target"), else this month's wins + 10 % ("actual_plus_10pct").

    Parameters
    ----------
    counts : the team's funnel counts of the month (``deals_won`` is read).
    phase : the team's phase.
    headcount : reps on the team in the month (the KPI tree's per-rep month targets count the same).
    goal_won : the notebook parameter (0 = none).
    goals : ``{kpi_id: monthly goal}`` from the settings (``deals_created``, ``deals_won``,
        ``won_amount_jpy``).
    won_amount : the month's won amount (for the average won amount).
    won_amount_target : the phase's won-amount month target (None or NaN = none).
    targets_file, month : as in :func:`per_rep_deals_target`.
    """
    goals = goals or {}
    if headcount < 0:
        raise ValueError(f"headcount must be >= 0, got {headcount}")
    if goal_won and goal_won > 0:
        return int(goal_won), "parameter", "deals_won"
    if goals.get("deals_created"):
        return int(goals["deals_created"]), "settings_deals", "deals_created"
    if goals.get("deals_won"):
        return int(goals["deals_won"]), "settings_won", "deals_won"
    won = float(counts.get("deals_won", 0) or 0)
    avg = won_amount / won if won > 0 and won_amount is not None and won_amount > 0 else None
    if goals.get("won_amount_jpy") and avg:
        return int(math.ceil(float(goals["won_amount_jpy"]) / avg)), "settings_won_amount", "deals_won"
    per_rep = per_rep_deals_target(phase, targets_file=targets_file, month=month)
    if per_rep is not None and headcount > 0:
        # round away float noise before the ceiling, as reverse_plan does
        return int(math.ceil(round(per_rep * headcount, 9))), "phase_deals_per_rep", "deals_created"
    if avg and won_amount_target is not None and np.isfinite(won_amount_target):
        return int(math.ceil(float(won_amount_target) / avg)), "won_amount_target", "deals_won"
    return int(math.ceil(max(won, 1) * 1.1)), "actual_plus_10pct", "deals_won"


def goal_progress(goal: float, actual: float) -> dict:
    """Where the month stands against a goal: ``{"actual", "share", "reached", "remaining"}``.

    ``share`` = actual ÷ goal; ``reached`` when the actual is at or above the goal (a plan
    sentence then says so rather than asking for activity the team already did);
    ``remaining`` = what is still missing (0 when reached).
    """
    if not goal > 0:
        raise ValueError(f"goal must be positive, got {goal}")
    a = float(actual) if actual is not None and np.isfinite(actual) else 0.0
    return {"actual": a, "share": a / goal, "reached": bool(a >= goal), "remaining": max(goal - a, 0.0)}
