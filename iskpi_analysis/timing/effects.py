"""Hour and weekday effects with the rep held fixed: each level against the median level.

The model is a binomial GLM on aggregated counts per rep × weekday × hour,
``logit p = intercept + hour + weekday + rep`` (:mod:`.model`). Effects are *adjusted rates*
(marginal standardisation), each level is tested against the median level by a likelihood-ratio
test, and :func:`.rules.verdict` gives every level its verdict.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import expit

from .. import config
from .. import stats as st
from .counts import FACTORS, METRICS, _as_counts, rate_table
from .model import _coded_design, _deviance_of, binomial_deviance, fit_binomial, fitted, lr_test
from .rules import RULES, Rules, _median_level, verdict

__all__ = ["EFFECT_COLUMNS", "TEST_COLUMNS", "adjusted_effects", "factor_tests"]

_check = config.check_option
#: The columns of :func:`adjusted_effects`.
EFFECT_COLUMNS = [
    "factor",
    "level",
    "n",
    "k",
    "raw_rate",
    "raw_ci_low",
    "raw_ci_high",
    "raw_diff",
    "raw_p_adj",
    "raw_verdict",
    "adjusted_rate",
    "adjusted_ci_low",
    "adjusted_ci_high",
    "average_rate",
    "reference_level",
    "reference_rate",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_val",
    "p_adj",
    "factor_p_val",
    "min_lift",
    "verdict",
    "reason",
    "too_small",
    "adjusted_for",
]
#: The columns of :func:`factor_tests`.
TEST_COLUMNS = ["factor", "p_val", "adjusted_for", "shown"]
#: The model's estimates of one level (adjusted_rate … p_val, a run of EFFECT_COLUMNS).
_ESTIMATES = EFFECT_COLUMNS[EFFECT_COLUMNS.index("adjusted_rate") : EFFECT_COLUMNS.index("p_val") + 1]


def _fit_sample(counts, raw: dict, factors: list, adjust_for, num: str, den: str):
    """The counts the model is fitted on: judged levels only, reps whose every call succeeded or
    failed left out (they carry no information on the other factors). Returns (df, keys, adj)."""
    df = counts[counts[den] > 0]
    for f in factors:
        keep = raw[f].loc[~raw[f]["too_small"], f]
        df = df[df[f].isin(keep)]
    adj = adjust_for
    if adj is not None:
        g = df.groupby(adj, observed=True)[[num, den]].sum()
        informative = g.index[(g[num] > 0) & (g[num] < g[den])]
        df = df[df[adj].isin(informative)]
        if df[adj].nunique() < 2:
            adj = None
    keys = factors + ([adj] if adj else [])
    df = df.groupby(keys, observed=True)[[num, den]].sum().reset_index()
    return df[df[den] > 0], keys, adj


def _factor_estimates(fit: dict, f: int, fs: dict, z: float) -> dict:
    """Adjusted rate of every level of one factor (every call moved to that level), and its
    difference from the median level with a delta-method interval and a 1-df LR test.

    ``f`` is the factor's position in the design ``fit["X"]`` (a :class:`.model.CodedDesign`)."""
    X, beta, V, w = fit["X"], fit["beta"], fit["V"], fit["w"]
    codes, cols = X.codes[f], X.cols[f]
    # the linear predictor with the factor's dummies zeroed; each level adds its coefficient
    eta0 = X.eta(beta) - np.where(cols >= 0, beta[np.maximum(cols, 0)], 0.0)[codes]
    ar, gh = {}, {}
    for lev in fs["levels"]:
        c = fs["cols"].get(lev)
        ph = expit(eta0 + (beta[c] if c is not None else 0.0))
        u = w * ph * (1 - ph)
        g = X.xt(u)  # the gradient of the adjusted rate: u summed over the columns of each row …
        g[cols[cols >= 0]] = 0.0  # … with every call moved to this level
        if c is not None:
            g[c] = u.sum()
        ar[lev], gh[lev] = float(w @ ph), g
    ref = _median_level(ar)
    out = {}
    for lev in fs["levels"]:
        se_ar = float(np.sqrt(max(gh[lev] @ V @ gh[lev], 0.0)))
        e = {
            "adjusted_rate": ar[lev],
            "adjusted_ci_low": max(ar[lev] - z * se_ar, 0.0),
            "adjusted_ci_high": min(ar[lev] + z * se_ar, 1.0),
            "average_rate": fit["avg"],
            "reference_level": ref,
            "reference_rate": ar[ref] if ref is not None else np.nan,
            "diff": np.nan,
            "diff_ci_low": np.nan,
            "diff_ci_high": np.nan,
            "p_val": np.nan,
        }
        if ref is not None and lev != ref:
            gd = gh[lev] - gh[ref]
            se_d = float(np.sqrt(max(gd @ V @ gd, 0.0)))
            d = ar[lev] - ar[ref]
            dev1 = _deviance_of(fit["k"], fit["n"], X.merged(f, fs["index"][lev], fs["index"][ref]))
            p = lr_test(dev1, fit["dev"], 1)[1]
            e.update(diff=d, diff_ci_low=d - z * se_d, diff_ci_high=d + z * se_d, p_val=p)
        elif ref is not None:
            e.update(diff=0.0, diff_ci_low=0.0, diff_ci_high=0.0)
        out[lev] = e
    return out


#: The last few fits (digest of the fitted counts → fit and per-factor results): 04 fits the
#: whole data's model for its windows (hours tested) and again for its effects (hours and
#: weekdays) on the same counts; the second call reuses the first's fit and hour tests.
_FITS: OrderedDict = OrderedDict()
_FITS_KEPT = 4


def _digest(df: pd.DataFrame, keys: list, num: str, den: str, z: float) -> bytes:
    h = hashlib.blake2b(repr((keys, z)).encode(), digest_size=20)
    h.update(pd.util.hash_pandas_object(df[[*keys, num, den]], index=False).to_numpy().tobytes())
    return h.digest()


def _fit_of(df, keys: list, num: str, den: str) -> dict:
    n = df[den].to_numpy(float)
    k = df[num].to_numpy(float)
    X, spec = _coded_design(df, keys, n)
    beta, V = fit_binomial(k, n, X)
    p = fitted(X, beta)
    w = n / n.sum()
    fit = {"k": k, "n": n, "X": X, "beta": beta, "V": V, "w": w, "avg": float(w @ p), "spec": spec}
    fit["dev"] = binomial_deviance(k, n, p)
    return fit


def _model_estimates(
    df, keys: list, tested: list, num: str, den: str, z: float, *, reuse: bool = True
) -> tuple[dict, dict]:
    """Fit the model once; ``({(factor, level): estimates}, {factor: LR p of the factor})``.

    ``reuse=False``: neither look up nor keep the fit (one rep's small fits, never repeated)."""
    est, ftest = {}, {}
    if not (len(df) and df[num].sum() > 0 and (df[num] < df[den]).any()):
        return est, ftest
    key = _digest(df, keys, num, den, z) if reuse else None
    memo = (_FITS.pop(key, None) if reuse else None) or {"fit": _fit_of(df, keys, num, den), "factors": {}}
    if reuse:
        _FITS[key] = memo
        while len(_FITS) > _FITS_KEPT:
            _FITS.popitem(last=False)
    fit = memo["fit"]
    k, n, X, spec = fit["k"], fit["n"], fit["X"], fit["spec"]
    for f in tested:
        if f not in memo["factors"]:
            i = keys.index(f)
            ncols = len(spec[f]["cols"])
            dev0 = _deviance_of(k, n, X.without(i)) if ncols else fit["dev"]
            memo["factors"][f] = (lr_test(dev0, fit["dev"], ncols)[1], _factor_estimates(fit, i, spec[f], z))
        ftest[f], levels = memo["factors"][f]
        for lev, e in levels.items():
            est[(f, lev)] = dict(e)
    return est, ftest


def _raw_tests(part: pd.DataFrame, *, z: float, rules: Rules) -> pd.DataFrame:
    """The same tests without the model: each judged level against the median level (2 × 2
    likelihood-ratio test, interval of p_h − p_median), gated by the likelihood-ratio test of the
    level × outcome table, BH within the factor and :func:`.rules.verdict`."""
    ok = ~part["too_small"].to_numpy(bool) & (part["n"].to_numpy() > 0)
    n = part["n"].to_numpy(float)
    k = part["k"].to_numpy(float)
    diff, pv, lo, hi = (np.full(len(part), np.nan) for _ in range(4))
    gate = avg = np.nan
    if ok.sum() >= 2 and 0 < k[ok].sum() < n[ok].sum():
        avg = k[ok].sum() / n[ok].sum()
        p = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
        v = np.where(ok, p * (1 - p) / np.where(n > 0, n, 1), 0.0)
        idx = np.flatnonzero(ok)
        sat = binomial_deviance(k[ok], n[ok], np.clip(p[ok], 1e-15, 1 - 1e-15))
        gate = lr_test(binomial_deviance(k[ok], n[ok], np.full(len(idx), avg)), sat, len(idx) - 1)[1]
        m = _median_level({i: p[i] for i in idx})
        for i in idx:
            diff[i] = p[i] - p[m]
            if i == m:
                lo[i] = hi[i] = 0.0
                continue
            se = np.sqrt(v[i] + v[m])
            lo[i], hi[i] = diff[i] - z * se, diff[i] + z * se
            # 2 × 2 likelihood-ratio test: the pair pooled against each at its own rate
            kk, nn = k[[i, m]], n[[i, m]]
            pooled = np.full(2, kk.sum() / nn.sum())
            pv[i] = lr_test(
                binomial_deviance(kk, nn, np.clip(pooled, 1e-15, 1 - 1e-15)),
                binomial_deviance(kk, nn, np.clip(kk / nn, 1e-15, 1 - 1e-15)),
                1,
            )[1]
    q = st.bh_adjust(pv)
    v, _ = verdict(q, diff, lo, hi, ~ok, gate=gate, rules=rules, min_lift=rules.lift_for(avg))
    return pd.DataFrame({"raw_diff": diff, "raw_p_adj": q, "raw_verdict": v}, index=part.index)


def _factor_rows(f: str, raw: pd.DataFrame, est: dict, ftest: dict, *, z: float, rules: Rules) -> pd.DataFrame:
    """One factor's rows: raw counts and rates, the model's estimates, the raw tests, BH within
    the factor and each level's verdict."""
    part = []
    for _, x in raw[raw["n"] > 0].iterrows():
        e = est.get((f, x[f]), {})
        part.append(
            {
                "factor": f,
                "level": int(x[f]),
                "n": int(x["n"]),
                "k": int(x["k"]),
                "raw_rate": x["rate"],
                "raw_ci_low": x["ci_low"],
                "raw_ci_high": x["ci_high"],
                **{c: e.get(c, np.nan) for c in _ESTIMATES},
                "too_small": bool(x["too_small"]),
            }
        )
    part = pd.DataFrame(part)
    if not len(part):
        return part
    avg = part["average_rate"].iloc[0] if part["average_rate"].notna().any() else np.nan
    lift = rules.lift_for(avg)
    part = part.join(_raw_tests(part, z=z, rules=rules))
    part["p_adj"] = st.bh_adjust(part["p_val"].to_numpy())
    part["factor_p_val"] = ftest.get(f, np.nan)
    part["min_lift"] = lift
    part["verdict"], part["reason"] = verdict(
        part["p_adj"],
        part["diff"],
        part["diff_ci_low"],
        part["diff_ci_high"],
        part["too_small"],
        gate=part["factor_p_val"],
        rules=rules,
        min_lift=lift,
    )
    ref = (part["level"] == part["reference_level"]) & ~part["too_small"].astype(bool)
    part.loc[ref, "reason"] = "reference"
    return part


def adjusted_effects(
    data,
    *,
    metric: str = "connect_rate",
    factors=FACTORS,
    adjust_for: str | None = "rep_id",
    rules: Rules = RULES,
    include_non_business: bool = False,
    confidence: float = 0.95,
    tested=None,
) -> pd.DataFrame:
    """Hour and weekday effects from a logistic model that holds the rep fixed, each level
    against the median hour (weekday).

    ``tested``: the factors whose levels are tested and returned (default: all of ``factors``;
    the others are only held fixed — the windows need the hours only).

    The model is a binomial GLM on aggregated counts per rep × weekday × hour,
    ``logit p = intercept + hour + weekday + rep`` (treatment dummies, :func:`fit_binomial`).
    Levels (hours, weekdays) with fewer than ``rules.min_trials`` trials are left out of the fit,
    and so are reps whose every call succeeded or failed. Effects are *adjusted rates*: the
    model's average prediction over the observed mix of reps and weekdays with every call moved
    to that level (marginal standardisation). The contrast is **the level against the median
    level** (the typical hour: the one whose adjusted rate is the median, the lower middle one
    for an even count), so four good hours do not make every ordinary hour look bad, as they do
    against an average they lift (delta-method interval of the difference).

    Tests (likelihood ratio, which holds its level in small cells where a Wald interval at the
    observed rate does not):

    - the factor as a whole (``factor_p_val``): full model against the model without it;
    - each level against the median level (``p_val``): the full model against the model in
      which the two levels share one coefficient (1 df); BH within the factor (``p_adj``).

    A level is ``above`` / ``below`` (:func:`.rules.verdict`) only when the factor test is below
    ``rules.claim_alpha``, its p_adj below ``rules.alpha``, its 95 % interval excludes 0 and the
    estimated difference reaches the smallest lift (:meth:`Rules.lift_for` the average rate);
    ``small`` when all but the lift hold.

    Returns
    -------
    DataFrame, one row per factor level (:data:`EFFECT_COLUMNS`): factor, level, n, k, raw_rate,
    raw_ci_low, raw_ci_high, raw_diff (raw rate − raw rate of the median level), raw_p_adj,
    raw_verdict (the same tests without the model, so a raw/adjusted disagreement reflects the
    adjustment, not two criteria), adjusted_rate, adjusted_ci_low, adjusted_ci_high, average_rate
    (of all judged calls), reference_level (the median level), reference_rate, diff (adjusted −
    reference), diff_ci_low, diff_ci_high, p_val, p_adj, factor_p_val, min_lift, verdict (above /
    below / small / neutral / too_small), reason (one of :data:`REASONS`), too_small,
    adjusted_for (the held-fixed column or '').
    """
    _check("metric", metric, METRICS)
    factors = [factors] if isinstance(factors, str) else list(factors)
    for f in factors:
        _check("factor", f, FACTORS)
    if adjust_for is not None and adjust_for in factors:
        raise ValueError("adjust_for must not be one of the factors")
    tested = factors if tested is None else [tested] if isinstance(tested, str) else list(tested)
    if not set(tested) <= set(factors):
        raise ValueError(f"tested must be among the factors {factors}, got {tested}")
    num, den = METRICS[metric]
    counts = _as_counts(data, factors + ([adjust_for] if adjust_for else []), include_non_business)
    z = _st.norm.ppf(0.5 + confidence / 2)
    raw = {
        f: rate_table(counts, by=f, metric=metric, min_trials=rules.min_trials, confidence=confidence) for f in factors
    }
    df, keys, adj = _fit_sample(counts, raw, factors, adjust_for, num, den)
    est, ftest = _model_estimates(df, keys, tested, num, den, z)
    rows = [_factor_rows(f, raw[f], est, ftest, z=z, rules=rules) for f in tested]
    rows = [r for r in rows if len(r)]
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=EFFECT_COLUMNS[:-1])
    out = out[EFFECT_COLUMNS[:-1]]
    out["adjusted_for"] = adj or ""
    return out


def factor_tests(effects: pd.DataFrame, *, rules: Rules = RULES) -> pd.DataFrame:
    """One row per factor of :func:`adjusted_effects`: factor, p_val (likelihood-ratio test of
    the factor with the rep and the other factor held fixed), adjusted_for, shown (p_val <
    ``rules.claim_alpha``: the factor may be claimed to matter)."""
    rows = []
    for f, g in effects.groupby("factor", sort=False):
        p = float(g["factor_p_val"].iloc[0])
        shown = bool(np.isfinite(p) and p < rules.claim_alpha)
        rows.append({"factor": f, "p_val": p, "adjusted_for": g["adjusted_for"].iloc[0], "shown": shown})
    return pd.DataFrame(rows, columns=TEST_COLUMNS)
