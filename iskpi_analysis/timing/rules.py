"""The claim rule for hours and weekdays: its thresholds (:class:`Rules`) and the verdict of a level.

One home for "is this hour (weekday) reliably different": 04's effects and windows and 02's
success patterns all judge through :func:`verdict` with the thresholds of one :class:`Rules`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CLAIM_ALPHA", "MIN_RELATIVE_LIFT", "REASONS", "EFFECT_VERDICTS", "Rules", "RULES", "verdict"]

#: An hour or weekday effect is *claimed* (headline tile, findings, windows, effects verdicts)
#: only when the likelihood-ratio test of the whole factor, with the rep (and the other factor)
#: held fixed, is below CLAIM_ALPHA. The report repeats the analysis for three metrics × hour and
#: weekday × the organisation and each team, so the level of one test is small enough that the
#: report as a whole stays quiet on ≥ 97.5 % of null data sets (``benchmarks/bench_null_timing.py``).
CLAIM_ALPHA = 0.001
#: Smallest difference worth a window, relative to the metric's own base rate (0.05: 1 point at a
#: 20 % connect rate, 0.15 points at 3 % appointments per call). Against the median hour an
#: ordinary hour differs by about 0, so the threshold only keeps negligible differences out.
MIN_RELATIVE_LIFT = 0.05
#: Why a level got its verdict (the sentences are written from these, never recomputed).
REASONS = ("too_small", "not_tested", "reference", "factor_not_shown", "not_significant", "below_min_lift", "clear")
#: The verdict of a level against the median level.
EFFECT_VERDICTS = ("above", "below", "small", "neutral", "too_small")


@dataclass(frozen=True)
class Rules:
    """The thresholds that decide whether an hour or weekday is reliably different (they travel
    together: 04 and 02 pass one object, so the two pages cannot disagree).

    Parameters
    ----------
    min_trials : int
        A level (hour, weekday, cell) with fewer trials (calls; connects for the conversation
        rate) is ``too_small``: left out of the tests and the fit.
    min_rep_trials : int
        A team or rep with fewer trials gets no windows of its own.
    alpha : float
        Level of the Benjamini–Hochberg adjusted p (``p_adj``) of each level's test.
    claim_alpha : float
        Level the likelihood-ratio test of the whole factor must pass before any level is claimed.
    min_lift : float, optional
        Smallest absolute difference worth a window; default ``min_relative_lift`` × base rate.
    min_relative_lift : float
        Smallest difference relative to the metric's average rate.

    Examples
    --------
    >>> from iskpi_analysis import timing
    >>> timing.Rules(min_rep_trials=100).min_trials
    30
    >>> round(timing.Rules().lift_for(0.2), 6)  # 5 % of a 20 % rate: one point
    0.01
    """

    min_trials: int = 30
    min_rep_trials: int = 300
    alpha: float = 0.05
    claim_alpha: float = CLAIM_ALPHA
    min_lift: float | None = None
    min_relative_lift: float = MIN_RELATIVE_LIFT

    def __post_init__(self):
        for name in ("alpha", "claim_alpha"):
            v = getattr(self, name)
            if not 0 < v < 1:
                raise ValueError(f"Rules.{name} must be between 0 and 1 (exclusive), got {v!r}")
        for name in ("min_trials", "min_rep_trials", "min_relative_lift"):
            if getattr(self, name) < 0:
                raise ValueError(f"Rules.{name} must be ≥ 0, got {getattr(self, name)!r}")
        if self.min_lift is not None and self.min_lift < 0:
            raise ValueError(f"Rules.min_lift must be ≥ 0 or None, got {self.min_lift!r}")

    def lift_for(self, base_rate: float) -> float:
        """The absolute smallest lift: ``min_lift`` when given, else a share of the base rate."""
        if self.min_lift is not None:
            return float(self.min_lift)
        return float(self.min_relative_lift * base_rate) if np.isfinite(base_rate) else 0.0


#: The defaults (notebooks 02 and 04).
RULES = Rules()


def _median_level(rates: dict):
    """The level whose rate is the median (the lower middle one for an even count): the typical
    hour (weekday) every other level is compared with."""
    if len(rates) < 2:
        return None
    order = sorted(rates, key=lambda x: (rates[x], x))
    return order[(len(order) - 1) // 2]


def verdict(p_adj, diff, lo, hi, too_small, *, gate, rules: Rules = RULES, min_lift):
    """The one rule for a level's verdict (and why), used by the effects, the raw comparison and
    the windows alike.

    ``too_small``; untested (no estimate) → 'neutral' (reason not_tested); the factor test
    ``gate`` not below ``rules.claim_alpha`` → 'neutral' (factor_not_shown); p_adj ≥
    ``rules.alpha`` or the 95 % interval touching 0 → 'neutral' (not_significant); significant
    but |diff| < ``min_lift`` (absolute, scalar or per level) → 'small' (below_min_lift); else
    'above' / 'below' (clear).

    Returns
    -------
    (verdict, reason) as arrays of str.

    Examples
    --------
    >>> v, r = verdict([0.01, 0.01, 0.2], [0.05, 0.001, 0.05], [0.02, 0.0005, -0.01],
    ...                [0.08, 0.0015, 0.11], [False, False, False], gate=1e-5, min_lift=0.01)
    >>> v.tolist(), r.tolist()
    (['above', 'small', 'neutral'], ['clear', 'below_min_lift', 'not_significant'])
    """
    q, d = np.asarray(p_adj, float), np.asarray(diff, float)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    gate = np.broadcast_to(np.asarray(gate, float), q.shape)
    small = np.asarray(too_small, bool)
    tested = np.isfinite(q) & np.isfinite(d)
    shown = gate < rules.claim_alpha
    sig = (q < rules.alpha) & ((lo > 0) | (hi < 0))
    big = np.abs(d) >= min_lift
    reason = np.select(
        [small, ~tested, ~shown, ~sig, ~big],
        ["too_small", "not_tested", "factor_not_shown", "not_significant", "below_min_lift"],
        "clear",
    )
    out = np.select(
        [small, reason == "below_min_lift", (reason == "clear") & (d > 0), reason == "clear"],
        ["too_small", "small", "above", "below"],
        "neutral",
    )
    return out, reason
