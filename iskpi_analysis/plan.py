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
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["reverse_plan", "reach_probability", "calls_for_probability", "probability_plan"]


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
    g = int(goal)
    plain = g / float(np.mean(p)) if successes is None else g / float(np.median(p))

    def prob(n: int) -> float:
        return float(np.mean(_st.binom.sf(g - 1, n, p)))

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
    rows = [{"basis": "plain", "probability": reach_probability(goal, plain_calls, **kw), "calls": plain_calls}]
    for pr in probabilities:
        rows.append({"basis": "probability", "probability": float(pr), "calls": calls_for_probability(goal, pr, **kw)})
    out = pd.DataFrame(rows)
    out["calls"] = out["calls"].astype("Int64")
    out["expected_goal"] = out["calls"].astype(float) * overall
    out["uncertainty"] = "observed_rates" if successes is not None else "known_rates"
    for s, c in zip(stages, cum_from_top):
        out[f"needed_{s}"] = out["calls"].astype(float) * c
    return out
