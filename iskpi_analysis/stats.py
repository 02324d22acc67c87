"""Statistical primitives shared by every analysis (one home each)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["wilson_ci", "proportion_table", "bh_adjust", "safe_ratio"]


def wilson_ci(successes, trials, *, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes : int or array-like
        Successes ``k`` (0 <= k <= trials).
    trials : int or array-like
        Trials ``n``; ``n == 0`` gives NaN bounds (no rate, not a rate of 0).
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).

    Returns
    -------
    (low, high) : floats for scalar input, numpy arrays otherwise.

    Raises
    ------
    ValueError
        ``confidence`` outside (0, 1), or successes outside [0, trials].

    See Also
    --------
    statsmodels.stats.proportion.proportion_confint : ``method="wilson"`` gives the same bounds.

    Examples
    --------
    >>> low, high = wilson_ci(12, 40)
    >>> round(low, 3), round(high, 3)
    (0.181, 0.454)
    >>> wilson_ci([12, 0], [40, 0])[0].round(3).tolist()
    [0.181, nan]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    k = np.asarray(successes, dtype=float)
    n = np.asarray(trials, dtype=float)
    if np.any(k < 0) or np.any(k > n):
        raise ValueError("successes must lie between 0 and trials")
    z = _st.norm.ppf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def proportion_table(successes, trials, *, confidence: float = 0.95, min_trials: int = 0) -> pd.DataFrame:
    """Rate with its count and Wilson interval, the way every rate in the kit is shown.

    Parameters
    ----------
    successes, trials : array-like of int
        Counts per row (a rate is a ratio of sums: pass the summed counts, never mean rates).
    confidence : float
        Level of the Wilson interval.
    min_trials : int
        Rows with fewer trials are flagged ``too_small`` (shown, never judged).

    Returns
    -------
    DataFrame with columns n (trials), k (successes), rate, ci_low, ci_high, too_small
    (n < min_trials), index aligned with the inputs.

    Examples
    --------
    >>> t = proportion_table([12, 3], [40, 10], min_trials=30)
    >>> t[["n", "k", "rate", "too_small"]].values.tolist()
    [[40, 12, 0.3, False], [10, 3, 0.3, True]]
    >>> t.loc[0, ["ci_low", "ci_high"]].astype(float).round(3).tolist()
    [0.181, 0.454]
    """
    k = pd.Series(successes).astype(float)
    n = pd.Series(trials, index=k.index).astype(float)
    low, high = wilson_ci(k.to_numpy(), n.to_numpy(), confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return pd.DataFrame(
        {
            "n": n.astype("int64"),
            "k": k.astype("int64"),
            "rate": rate,
            "ci_low": low,
            "ci_high": high,
            "too_small": n < min_trials,
        },
        index=k.index,
    )


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (``p_val`` → ``p_adj``).

    Parameters
    ----------
    p_values : array-like of float
        Raw p-values of one family of tests; NaN is kept as NaN and not counted as a test.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order, capped at 1 (monotone in the raw p-values).

    See Also
    --------
    statsmodels.stats.multitest.multipletests : ``method="fdr_bh"`` gives the same values.

    Examples
    --------
    >>> bh_adjust([0.01, 0.04, 0.03, 0.2]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2]
    >>> bh_adjust([0.01, float("nan"), 0.04]).tolist()
    [0.02, nan, 0.04]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return out
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    res = np.empty(m)
    res[order] = np.minimum(adj, 1.0)
    out[ok] = res
    return out


def safe_ratio(num, den):
    """Ratio of sums with NaN (not inf, not 0) where the denominator is 0.

    Examples
    --------
    >>> safe_ratio(3, 12)
    0.25
    >>> safe_ratio([3, 1], [12, 0]).tolist()
    [0.25, nan]
    """
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return r if r.ndim else float(r)
