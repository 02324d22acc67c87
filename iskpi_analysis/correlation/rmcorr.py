"""Repeated-measures correlation and the inference on r it shares with Pearson's r.

Statistical primitives of :mod:`iskpi_analysis.correlation` (no KPI knowledge, no text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["rm_corr"]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


def _r_inference(r: float, dof: int, *, se: float, confidence: float):
    """p (t test with ``dof``) and Fisher-z CI with standard error ``se``."""
    if not np.isfinite(r) or dof < 1:
        return np.nan, np.nan, np.nan
    rr = float(np.clip(r, -1.0, 1.0))
    if abs(rr) >= 1.0:
        p = 0.0
    else:
        t = rr * np.sqrt(dof / (1.0 - rr**2))
        p = float(2 * _st.t.sf(abs(t), dof))
    if np.isfinite(se) and se > 0:
        z = np.arctanh(np.clip(rr, -0.9999999, 0.9999999))
        crit = _st.norm.ppf(0.5 + confidence / 2)
        lo, hi = float(np.tanh(z - crit * se)), float(np.tanh(z + crit * se))
    else:
        lo = hi = np.nan
    return p, lo, hi


def _centre(v: np.ndarray, codes: np.ndarray, k: int) -> np.ndarray:
    sums = np.bincount(codes, weights=v, minlength=k)
    cnt = np.bincount(codes, minlength=k)
    return v - (sums / np.maximum(cnt, 1))[codes]


def _rank_within(v: np.ndarray, codes: np.ndarray) -> np.ndarray:
    return pd.Series(v).groupby(codes).rank(method="average").to_numpy(dtype=float)


def _rm_arrays(x, y, subject, *, rank: bool = False, confidence: float = 0.95) -> dict:
    """Repeated-measures correlation on aligned arrays (NaN rows dropped, reps with <2 obs dropped)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    # subjects as integer codes once (NaN → -1): a string map per call cost more than the maths
    codes = pd.factorize(np.asarray(subject))[0]
    ok = np.isfinite(x) & np.isfinite(y) & (codes >= 0)
    x, y, codes = x[ok], y[ok], codes[ok]
    keep = np.bincount(codes)[codes] >= 2 if len(codes) else np.zeros(0, dtype=bool)
    x, y = x[keep], y[keep]
    uniq, codes = np.unique(codes[keep], return_inverse=True)
    k, n = len(uniq), len(x)
    dof = n - k - 1
    out = {
        "r": np.nan,
        "dof": max(dof, 0),
        "p_val": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "n_obs": n,
        "n_reps": k,
        "slope": np.nan,
        "note": "",
    }
    if k < 2 or dof < 2:
        out["note"] = "too_few"
        return out
    if rank:
        x, y = _rank_within(x, codes), _rank_within(y, codes)
    xc, yc = _centre(x, codes, k), _centre(y, codes, k)
    sxx, syy, sxy = float(xc @ xc), float(yc @ yc), float(xc @ yc)
    if sxx <= 1e-12 * max(1.0, float(x @ x)) or syy <= 1e-12 * max(1.0, float(y @ y)):
        out["note"] = "no_variation"
        return out
    r = sxy / np.sqrt(sxx * syy)
    se = np.sqrt((1.06 if rank else 1.0) / (dof - 1))
    p, lo, hi = _r_inference(r, dof, se=se, confidence=confidence)
    out.update(r=float(r), p_val=p, ci_low=lo, ci_high=hi, slope=sxy / sxx)
    return out


def _pearson_arrays(x, y, *, confidence: float = 0.95) -> dict:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = len(x)
    out = {
        "r": np.nan,
        "dof": max(n - 2, 0),
        "p_val": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "n_obs": n,
        "note": "",
    }
    if n < 4:
        out["note"] = "too_few"
        return out
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        out["note"] = "no_variation"
        return out
    r = float(np.corrcoef(x, y)[0, 1])
    p, lo, hi = _r_inference(r, n - 2, se=1 / np.sqrt(n - 3), confidence=confidence)
    out.update(r=r, p_val=p, ci_low=lo, ci_high=hi)
    return out


def rm_corr(data: pd.DataFrame, *, x: str, y: str, subject: str, confidence: float = 0.95) -> pd.DataFrame:
    """Repeated-measures correlation (Bland & Altman 1995; Bakdash & Marusich 2017).

    Each subject's mean is removed from ``x`` and ``y``; r is the Pearson correlation of the
    centred values (equal to the partial correlation of ``x`` and ``y`` in the ANCOVA
    ``y ~ C(subject) + x``). Rows with a missing value are dropped; subjects with fewer than two
    observations carry no within-subject information and are dropped.

    Parameters
    ----------
    data : DataFrame in long format.
    x, y : numeric columns.
    subject : column identifying the repeated unit (the rep).
    confidence : level of the confidence interval.

    Returns
    -------
    DataFrame with one row and columns
        r : repeated-measures correlation coefficient.
        dof : degrees of freedom, ``n_obs - n_reps - 1``.
        p_val : two-sided p-value (t test with ``dof`` degrees of freedom).
        ci_low, ci_high : Fisher-z confidence interval, standard error ``1/sqrt(dof - 1)``.
        n_obs : observations used.
        n_reps : subjects used.
        slope : common within-subject slope of y on x.

    Examples
    --------
    Three reps whose connect rate falls as they call more, although the reps who call most
    have the highest rates (pooled, the relation looks positive):

    >>> import pandas as pd
    >>> df = pd.DataFrame({"rep": ["a"] * 3 + ["b"] * 3 + ["c"] * 3,
    ...                    "calls": [10, 20, 30, 40, 50, 60, 70, 80, 90],
    ...                    "rate": [.50, .45, .42, .60, .52, .50, .71, .66, .60]})
    >>> res = rm_corr(df, x="calls", y="rate", subject="rep")
    >>> res[["r", "dof", "n_obs", "n_reps"]].round(3).to_dict("records")
    [{'r': -0.969, 'dof': 5, 'n_obs': 9, 'n_reps': 3}]
    """
    _check_confidence(confidence)
    for c in (x, y, subject):
        if c not in data.columns:
            raise ValueError(f"column {c!r} is not in data; columns: {list(data.columns)}")
    for c in (x, y):
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise ValueError(f"column {c!r} must be numeric")
    res = _rm_arrays(data[x], data[y], data[subject], confidence=confidence)
    if res["n_reps"] < 3 and res["note"] == "":
        res["note"] = "fewer than 3 subjects"
    return pd.DataFrame([{k: res[k] for k in ("r", "dof", "p_val", "ci_low", "ci_high", "n_obs", "n_reps", "slope")}])
