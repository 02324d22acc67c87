"""The logistic model behind the adjusted effects: design, IRLS fit and likelihood-ratio tests.

A binomial GLM (logit link) on aggregated counts, ``k`` successes of ``n`` trials per row.
``tests/unit/test_timing.py`` checks the fit against ``statsmodels``' GLM and
``tests/unit/test_claims_timing_phase.py`` the likelihood-ratio tests against statsmodels' deviances.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import chdtrc, expit

__all__ = ["fit_binomial", "binomial_deviance", "lr_test", "CodedDesign"]

_EPS = 1e-15
#: Coded designs up to this many cells (rows × columns) are fitted on the matrix itself.
_DENSE_UP_TO = 50_000


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


class CodedDesign:
    """The treatment-dummy design of :func:`_design` kept as factor codes, never as a matrix.

    Every row has the intercept and at most one dummy per factor, so ``X @ beta``, ``X' u`` and
    ``X' W X`` are sums over the codes (``np.bincount``): O(rows × factors²) instead of
    O(rows × columns²), and no rows × columns matrix in memory (300 reps × 5 weekdays × 10 hours
    is 15,000 rows × 315 columns, 38 MB per copy; 1,000 reps, 400 MB). The factor with the most
    columns (the rep) is absorbed: its block of ``X' W X`` is diagonal, so the normal equations are
    solved on the Schur complement of the other columns (a few dozen wide) — the same solution
    as the full system up to rounding, and the same covariance (block inverse).

    ``codes[i]``: level index per row of factor ``i``; ``cols[i]``: column of each level (-1 for
    the reference level, which has no dummy). :meth:`dense` builds the matrix :func:`_design`
    returns (the tests check both give the same fit).
    """

    def __init__(self, codes: list, cols: list, p: int):
        self.codes = [np.asarray(c, dtype=np.intp) for c in codes]
        self.cols = [np.asarray(c, dtype=np.intp) for c in cols]
        self.p = int(p)
        self.n_rows = len(self.codes[0]) if self.codes else 0

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_rows, self.p)

    # --- the design with fewer columns (reduced models of the likelihood-ratio tests)
    def _renumbered(self, cols: list) -> CodedDesign:
        used = np.zeros(self.p, dtype=bool)
        used[0] = True
        for c in cols:
            used[c[c >= 0]] = True
        new = np.cumsum(used) - 1
        return CodedDesign(self.codes, [np.where(c >= 0, new[np.maximum(c, 0)], -1) for c in cols], int(used.sum()))

    def without(self, factor: int) -> CodedDesign:
        """The design without factor ``factor``'s dummies (the factor test's null model)."""
        cols = [c if i != factor else np.full_like(c, -1) for i, c in enumerate(self.cols)]
        return self._renumbered(cols)

    def merged(self, factor: int, a: int, b: int) -> CodedDesign:
        """Levels ``a`` and ``b`` (indices) of ``factor`` sharing one coefficient (b's, or none
        when either is the reference): the column order differs from :func:`_merge_levels`, the
        model and its deviance do not."""
        cols = [c.copy() for c in self.cols]
        c = cols[factor]
        shared = -1 if c[a] < 0 or c[b] < 0 else c[b]
        c[a] = c[b] = shared
        return self._renumbered(cols)

    # --- products with the design
    def eta(self, beta: np.ndarray) -> np.ndarray:
        """``X @ beta``."""
        out = np.full(self.n_rows, beta[0])
        for codes, cols in zip(self.codes, self.cols):
            out += np.where(cols >= 0, beta[np.maximum(cols, 0)], 0.0)[codes]
        return out

    def xt(self, u: np.ndarray) -> np.ndarray:
        """``X.T @ u``."""
        out = np.zeros(self.p)
        out[0] = u.sum()
        for codes, cols in zip(self.codes, self.cols):
            ok = cols >= 0
            # bincount by column, not by level: merged levels share a column
            out += np.bincount(
                cols[ok], weights=np.bincount(codes, weights=u, minlength=len(cols))[ok], minlength=self.p
            )
        return out

    def _row_cols(self) -> list:
        """Per factor, each row's column (-1: the reference level, no dummy)."""
        return [cols[codes] for codes, cols in zip(self.codes, self.cols)]

    def _pairs(self) -> list:
        """What :meth:`info` sums, worked out once per design (the IRLS calls it every step):
        per factor and per pair of factors (the intercept first), the rows that have both
        columns, their position in the block and where the block goes in X'WX."""
        if getattr(self, "_pairs_", None) is None:
            parts = [(np.zeros(1, dtype=np.intp), np.zeros(self.n_rows, dtype=np.intp))]
            for rc in self._row_cols():
                cs = np.unique(rc[rc >= 0])
                parts.append((cs, np.where(rc >= 0, np.searchsorted(cs, np.maximum(rc, 0)), -1)))
            pairs = []
            for i, (ci, li) in enumerate(parts):
                oi = li >= 0
                pairs.append((np.flatnonzero(oi), li[oi], len(ci), (ci, ci), True))
                for cj, lj in parts[i + 1 :]:
                    ok = np.flatnonzero(oi & (lj >= 0))
                    pairs.append((ok, li[ok] * len(cj) + lj[ok], len(ci) * len(cj), np.ix_(ci, cj), False))
            self._pairs_ = pairs
        return self._pairs_

    def info(self, w: np.ndarray) -> np.ndarray:
        """``X.T @ diag(w) @ X`` (p × p): sums of ``w`` over pairs of the rows' columns."""
        m = np.zeros((self.p, self.p))
        for rows, pos, size, at, diagonal in self._pairs():
            s = np.bincount(pos, weights=w[rows], minlength=size)
            if diagonal:
                m[at] += s
            else:  # different factors never share a column: each cross block is written once
                m[at] = s.reshape(m[at].shape)
                m[at[1].T, at[0].T] = m[at].T
        return m

    def _blocks(self):
        """(other columns, absorbed columns): the absorbed ones are the widest factor's dummies,
        whose block of X'WX is diagonal; None when that leaves nothing to gain."""
        if getattr(self, "_blocks_", 0) == 0:
            widths = [np.unique(c[c >= 0]) for c in self.cols]
            wide = max(widths, key=len) if widths else ()
            self._blocks_ = None
            if len(wide) >= 8:
                other = np.setdiff1d(np.arange(self.p), wide)
                self._blocks_ = (other, wide, np.ix_(other, other), np.ix_(other, wide))
        return self._blocks_

    def solve(self, w: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Solve ``(X' W X) x = b`` (on the Schur complement of the absorbed factor)."""
        m = self.info(w)
        blocks = self._blocks()
        if blocks is None:
            return _solve(m, b)
        o, a, oo, oa = blocks
        d = np.diag(m)[a]
        B = m[oa]
        try:
            x_o = np.linalg.solve(m[oo] - (B / d) @ B.T, b[o] - B @ (b[a] / d))
        except np.linalg.LinAlgError:  # singular: the general route, as for a dense design
            return _solve(m, b)
        x = np.empty(self.p)
        x[o] = x_o
        x[a] = (b[a] - B.T @ x_o) / d
        return x

    def cov(self, w: np.ndarray) -> np.ndarray:
        """``inv(X' W X)`` (block inverse around the absorbed factor)."""
        m = self.info(w)
        blocks = self._blocks()
        if blocks is None:
            return _inverse(m)
        o, a, oo, oa = blocks
        d = np.diag(m)[a]
        B = m[oa]
        try:
            s_inv = np.linalg.inv(m[oo] - (B / d) @ B.T)
        except np.linalg.LinAlgError:
            return _inverse(m)
        bd = B / d  # B D⁻¹
        v = np.empty((self.p, self.p))
        v[oo] = s_inv
        v_oa = -s_inv @ bd
        v[oa] = v_oa
        v[np.ix_(a, o)] = v_oa.T
        v_aa = -bd.T @ v_oa
        v_aa[np.diag_indices(len(a))] += 1.0 / d
        v[np.ix_(a, a)] = v_aa
        return v

    def dense(self) -> np.ndarray:
        """The design matrix itself (rows × p)."""
        X = np.zeros((self.n_rows, self.p))
        X[:, 0] = 1.0
        for codes, cols in zip(self.codes, self.cols):
            c = cols[codes]
            ok = c >= 0
            X[np.flatnonzero(ok), c[ok]] += 1.0
        return X


def _coded_design(df: pd.DataFrame, keys: list[str], weight: np.ndarray):
    """:func:`_design` as a :class:`CodedDesign` (the same columns in the same order, the same
    ``spec``; ``spec[key]["index"]`` maps each level to its code)."""
    codes, cols, spec = [], [], {}
    j = 1
    for key in keys:
        lev_codes, uniq = pd.factorize(df[key].to_numpy(), sort=True)
        tot = np.bincount(lev_codes, weights=weight, minlength=len(uniq))
        levels = uniq.tolist()
        ref_i = int(np.argmax(tot))  # the first of the largest, as idxmax
        col = np.full(len(levels), -1, dtype=np.intp)
        idx = {}
        for i, lev in enumerate(levels):
            if i != ref_i:
                col[i], idx[lev] = j, j
                j += 1
        codes.append(lev_codes)
        cols.append(col)
        spec[key] = {"levels": levels, "ref": levels[ref_i], "cols": idx, "index": {v: i for i, v in enumerate(levels)}}
    return CodedDesign(codes, cols, j), spec


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
    X : array_like or CodedDesign
        Design matrix (one row per count, an intercept column included by the caller), or the
        same design as factor codes (:func:`_coded_design`; fast for many reps).
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
    coded = isinstance(X, CodedDesign)
    if coded and X.n_rows * X.p <= _DENSE_UP_TO:
        X, coded = X.dense(), False  # small (one rep's hours): the matrix is cheaper than the codes
    if not coded:
        X = np.asarray(X, dtype=float)
    eta = np.log((k + 0.5) / (n - k + 0.5))  # start: empirical logits (as GLM libraries do)
    mu = expit(eta)
    beta = np.zeros(X.shape[1])
    dev = np.inf
    for _ in range(max_iter):
        w = n * mu * (1 - mu)
        z = eta + (k - n * mu) / np.where(w > 0, w, 1.0)
        if coded:
            beta = X.solve(w, X.xt(w * z))
            eta = X.eta(beta)
        else:
            xw = X * w[:, None]
            beta = _solve(xw.T @ X, xw.T @ z)
            eta = X @ beta
        mu = np.clip(expit(eta), _EPS, 1 - _EPS)
        new = binomial_deviance(k, n, mu)
        if abs(dev - new) <= tol * (abs(new) + 0.1):
            break
        dev = new
    w = n * mu * (1 - mu)
    return beta, X.cov(w) if coded else _inverse((X * w[:, None]).T @ X)


def fitted(X, beta) -> np.ndarray:
    """The fitted rates of a logistic fit, kept inside (0, 1) so that deviances stay finite."""
    return np.clip(expit(X.eta(beta) if isinstance(X, CodedDesign) else X @ beta), _EPS, 1 - _EPS)


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
    # chdtrc is chi2.sf itself, without the distribution object's argument checks (a thousand
    # reps × ten hours of tests call this)
    return lr, (float(chdtrc(dof, lr)) if dof > 0 else np.nan)


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
