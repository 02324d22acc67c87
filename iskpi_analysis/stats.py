"""Statistical primitives shared by every analysis (one home each)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st


def wilson_ci(successes, trials, *, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion.

    Works on scalars or array-likes; trials == 0 gives NaN bounds.

    Returns
    -------
    (low, high) as floats or numpy arrays.
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

    Returns
    -------
    DataFrame with columns n (trials), k (successes), rate, ci_low, ci_high, too_small
    (n < min_trials), index aligned with the inputs.
    """
    k = pd.Series(successes).astype(float)
    n = pd.Series(trials, index=k.index).astype(float)
    low, high = wilson_ci(k.to_numpy(), n.to_numpy(), confidence=confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, k / n, np.nan)
    return pd.DataFrame({"n": n.astype("int64"), "k": k.astype("int64"), "rate": rate,
                         "ci_low": low, "ci_high": high, "too_small": n < min_trials},
                        index=k.index)


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (NaN kept as NaN, not counted as a test)."""
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
    """Ratio of sums with NaN (not inf, not 0) where the denominator is 0."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return r if r.ndim else float(r)
