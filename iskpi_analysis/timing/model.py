"""The logistic model behind the adjusted effects: design, IRLS fit and likelihood-ratio tests.

A binomial GLM (logit link) on aggregated counts, ``k`` successes of ``n`` trials per row.
``tests/unit/test_timing.py`` checks the fit against ``statsmodels``' GLM and
``tests/unit/test_claims_timing_phase.py`` the likelihood-ratio tests against statsmodels' deviances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import expit

__all__ = ["fit_binomial", "binomial_deviance", "lr_test"]

_EPS = 1e-15


def _design(df: pd.DataFrame, keys: list[str], weight: np.ndarray):
    """Intercept + treatment dummies per key (reference level = the one with most trials).

    Returns ``(X, spec)``; ``spec[key]`` = ``{"levels", "ref", "cols": {level: column}}``.
    """
    cols = [np.ones(len(df))]
    spec = {}
    j = 1
    for key in keys:
        vals = df[key].to_numpy()
        tot = pd.Series(weight).groupby(vals).sum()
        levels = list(tot.index)
        ref = tot.idxmax()
        idx = {}
        for lev in levels:
            if lev == ref:
                continue
            cols.append((vals == lev).astype(float))
            idx[lev] = j
            j += 1
        spec[key] = {"levels": levels, "ref": ref, "cols": idx}
    return np.column_stack(cols), spec


def _solve(a, b):
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def _inverse(a):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def binomial_deviance(k, n, mu) -> float:
    """Deviance of ``k`` successes of ``n`` trials against the fitted rates ``mu``.

    Examples
    --------
    >>> round(binomial_deviance([3, 7], [10, 10], [0.5, 0.5]), 4)
    3.2913
    >>> abs(binomial_deviance([3, 7], [10, 10], [0.3, 0.7])) < 1e-12  # the saturated fit
    True
    """
    k, n, mu = (np.asarray(x, dtype=float) for x in (k, n, mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(k > 0, k * np.log(k / (n * mu)), 0.0)
        t2 = np.where(n - k > 0, (n - k) * np.log((n - k) / (n * (1 - mu))), 0.0)
    return 2 * float(np.sum(t1 + t2))


def fit_binomial(k, n, X, *, max_iter: int = 100, tol: float = 1e-10):
    """Logistic regression on aggregated counts (binomial GLM, logit link) by IRLS.

    ``k`` successes out of ``n`` trials per row of the design matrix ``X``. Solved on the normal
    equations (X'WX is only as wide as the number of levels), which stays fast when the BLAS
    shares busy cores, where the QR / SVD route of a general GLM library can be 100× slower.
    ``tests/unit/test_timing.py`` checks the estimates against ``statsmodels``' GLM.

    Parameters
    ----------
    k, n : array_like
        Successes and trials per row.
    X : array_like
        Design matrix (one row per count, an intercept column included by the caller).
    max_iter, tol : convergence of the IRLS loop (relative change of the deviance).

    Returns
    -------
    (beta, cov): coefficients and their covariance (inverse Fisher information).

    Examples
    --------
    Two groups, 20 % and 40 % successes: the intercept is logit(0.2), the slope the log odds ratio.

    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [1.0, 1.0]])
    >>> beta, cov = fit_binomial([20, 40], [100, 100], X)
    >>> np.round(beta, 4)
    array([-1.3863,  0.9808])
    >>> round(float(np.sqrt(cov[1, 1])), 4)  # sqrt(1/20 + 1/80 + 1/40 + 1/60)
    0.3227
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    X = np.asarray(X, dtype=float)
    eta = np.log((k + 0.5) / (n - k + 0.5))  # start: empirical logits (as GLM libraries do)
    mu = expit(eta)
    beta = np.zeros(X.shape[1])
    dev = np.inf
    for _ in range(max_iter):
        w = n * mu * (1 - mu)
        z = eta + (k - n * mu) / np.where(w > 0, w, 1.0)
        xw = X * w[:, None]
        beta = _solve(xw.T @ X, xw.T @ z)
        eta = X @ beta
        mu = np.clip(expit(eta), _EPS, 1 - _EPS)
        new = binomial_deviance(k, n, mu)
        if abs(dev - new) <= tol * (abs(new) + 0.1):
            break
        dev = new
    w = n * mu * (1 - mu)
    return beta, _inverse((X * w[:, None]).T @ X)


def fitted(X, beta) -> np.ndarray:
    """The fitted rates of a logistic fit, kept inside (0, 1) so that deviances stay finite."""
    return np.clip(expit(X @ beta), _EPS, 1 - _EPS)


def _deviance_of(k, n, X) -> float:
    """Residual deviance of the logistic fit of ``k`` of ``n`` on ``X``."""
    beta, _ = fit_binomial(k, n, X)
    return binomial_deviance(k, n, fitted(X, beta))


def lr_test(dev_reduced: float, dev_full: float, dof: int) -> tuple[float, float]:
    """Likelihood-ratio test of nested models from their deviances.

    Returns
    -------
    (lr, p_val): the statistic (deviance reduction, floored at 0) and its chi-square p-value with
    ``dof`` degrees of freedom (NaN when ``dof`` is 0: nothing was tested).

    Examples
    --------
    >>> lr, p = lr_test(13.84, 10.0, 1)
    >>> round(lr, 2), round(p, 3)
    (3.84, 0.05)
    >>> lr_test(5.0, 5.0, 0)
    (0.0, nan)
    """
    lr = max(dev_reduced - dev_full, 0.0)
    return lr, (float(_st.chi2.sf(lr, dof)) if dof > 0 else np.nan)


def _merge_levels(X: np.ndarray, spec: dict, a, b) -> np.ndarray:
    """The design with levels ``a`` and ``b`` of one factor sharing one coefficient (the null
    of the 1-df likelihood-ratio test of a against b)."""
    ca, cb = spec["cols"].get(a), spec["cols"].get(b)
    if ca is None:  # a is the design's reference: b joins it
        return np.delete(X, cb, axis=1)
    if cb is None:
        return np.delete(X, ca, axis=1)
    Xm = X.copy()
    Xm[:, cb] += Xm[:, ca]
    return np.delete(Xm, ca, axis=1)
