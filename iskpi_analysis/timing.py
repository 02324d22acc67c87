"""Time of day and weekday: when do calls connect, and is the difference real? (issue 4)

Everything works on *call buckets*: counts of calls, connects, valid conversations and
appointments per rep × weekday × hour in local time (``aggregate.call_buckets`` when a
``Dataset`` is given, a pandas group-by on a calls DataFrame otherwise). Business days only by
default (weekends and Japanese national holidays excluded).

Public functions
----------------
- :func:`call_counts`       rep × weekday × hour buckets (the one hot counting step)
- :func:`rate_table`        rate by hour / weekday / hour × weekday with n, k, Wilson interval,
                            too-small flag
- :func:`chi_square`        chi-square + Cramér's V of the raw counts (recorded, never decides:
                            the rep mix drives it)
- :func:`adjusted_effects`  hour and weekday effects from a logistic model holding the rep fixed
                            (aggregated binomial GLM): the likelihood-ratio test of each factor
                            (the headline verdict) and each level against the median level
- :func:`reliable_windows`  **the** rule for a reliable calling window (04 and 02): hours reliably
                            above / below the median hour, per group; :func:`recommended_windows`
                            is one scope of it
- :func:`analyze`           all of the above for one metric → :class:`TimingResult`
- :func:`claims`            what a reader of the page sees claimed (empty on null data)
- :func:`windows_summary`   one display row per group with the recommended / avoid windows
- :func:`breakdown`         rate by lead source / segment / role / attempt number (× hour)
- :func:`findings`          Japanese (or English) sentences generated from a result
- :func:`fit_binomial`      the logistic fit behind :func:`adjusted_effects` (IRLS, normal equations)
- display helpers           :func:`windows_table`, :func:`hourly_table`, :func:`effects_table`,
                            :func:`breakdown_table`, :func:`headline`, :func:`scope_note`,
                            :func:`period_label`, :func:`window_hours`

Metrics: ``connect_rate`` = connects / calls, ``conversation_rate`` = valid conversations /
connects (KPI dictionary definitions) and ``appointments_per_call`` = appointments / calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import expit

from . import config, fmt, io, kpis
from . import stats as st

#: metric id → (numerator column, denominator column) in a call-bucket table.
METRICS = {
    "connect_rate": ("connects", "calls"),
    "conversation_rate": ("valid_conversations", "connects"),
    "appointments_per_call": ("appointments", "calls"),
}
COUNT_COLUMNS = ("calls", "connects", "valid_conversations", "appointments")
FACTORS = ("hour", "weekday")
BREAKDOWNS = ("source", "segment", "role", "attempt")
SCOPES = ("all", "team", "rep")
VERDICTS = ("recommend", "avoid", "neutral", "too_small")

_WEEKDAYS = {"ja": ["月", "火", "水", "木", "金", "土", "日"], "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
#: Reader-facing column names for the display tables (``df.rename(columns=column_labels(lang))``).
_COLUMN_LABELS = {
    "ja": {
        "scope": "単位",
        "group": "対象",
        "name": "名前",
        "calls": "架電数",
        "recommended": "推奨時間帯",
        "avoid": "避けたい時間帯",
        "note": "備考",
        "hour": "時間帯",
        "weekday": "曜日",
        "level": "区分",
        "n": "母数",
        "k": "件数",
        "rate": "率",
        "ci": "95%信頼区間",
        "raw_rate": "集計値",
        "adjusted_rate": "調整後",
        "diff": "中央値との差(調整後)",
        "diff_ci": "差の95%信頼区間",
        "q_value": "q値(BH)",
        "verdict": "判定",
        "source": "リードソース",
        "segment": "セグメント",
        "role": "役割",
        "attempt": "同一リードへの架電回数目",
        "team": "チーム",
        "breakdown": "切り口",
        "raw_ci": "集計値の95%信頼区間",
        "adjusted_ci": "調整後の95%信頼区間",
    },
    "en": {
        "scope": "Scope",
        "group": "Group",
        "name": "Name",
        "calls": "Calls",
        "recommended": "Recommended hours",
        "avoid": "Hours to avoid",
        "note": "Note",
        "hour": "Hour",
        "weekday": "Weekday",
        "level": "Level",
        "n": "n",
        "k": "k",
        "rate": "Rate",
        "ci": "95% CI",
        "raw_rate": "Raw",
        "adjusted_rate": "Adjusted",
        "diff": "Diff. vs the median (adjusted)",
        "diff_ci": "95% CI of diff.",
        "q_value": "q (BH)",
        "verdict": "Verdict",
        "source": "Lead source",
        "segment": "Segment",
        "role": "Role",
        "attempt": "Attempt on the same lead",
        "team": "Team",
        "breakdown": "Breakdown",
        "raw_ci": "95% CI (raw)",
        "adjusted_ci": "95% CI (adjusted)",
    },
}
_VERDICT_LABELS = {
    "ja": {"recommend": "推奨", "avoid": "避ける", "neutral": "差は不明確", "too_small": "件数不足"},
    "en": {
        "recommend": "recommended",
        "avoid": "avoid",
        "neutral": "no clear difference",
        "too_small": "too few calls",
    },
}


# ----------------------------------------------------------------------------- helpers
_check = config.check_option
_check_lang = kpis._check_lang


def metric_label(metric: str, lang: str = config.DEFAULT_LANG) -> str:
    """Reader-facing name of a metric (KPI dictionary labels only)."""
    _check("metric", metric, METRICS)
    _check_lang(lang)
    if metric == "appointments_per_call":
        return f"{kpis.label('appointments', lang)}/{kpis.label('calls', lang)}"
    return kpis.label(metric, lang)


def column_labels(lang: str = config.DEFAULT_LANG) -> dict:
    """Display names for the snake_case columns of this module's tables."""
    _check_lang(lang)
    return dict(_COLUMN_LABELS[lang])


def verdict_label(verdict: str, lang: str = config.DEFAULT_LANG) -> str:
    _check("verdict", verdict, VERDICTS)
    _check_lang(lang)
    return _VERDICT_LABELS[lang][verdict]


def hour_label(hour, lang: str = config.DEFAULT_LANG) -> str:
    """9 → '9時台' (ja) / '9:00' (en)."""
    _check_lang(lang)
    return f"{int(hour)}時台" if lang == "ja" else f"{int(hour)}:00"


def weekday_label(weekday, lang: str = config.DEFAULT_LANG) -> str:
    """0 → '月' (ja) / 'Mon' (en)."""
    _check_lang(lang)
    return _WEEKDAYS[lang][int(weekday)]


def level_label(factor: str, level, lang: str = config.DEFAULT_LANG) -> str:
    _check("factor", factor, FACTORS)
    return (
        hour_label(level, lang) if factor == "hour" else (weekday_label(level, lang) + ("曜" if lang == "ja" else ""))
    )


def attempt_label(group, lang: str = config.DEFAULT_LANG) -> str:
    """Attempt group of :func:`breakdown`: '1' → '1回目', '5+' → '5回目以降' (ja) / 'attempt 1', '5+'."""
    _check_lang(lang)
    g = str(group)
    if g.endswith("+"):
        return f"{g[:-1]}回目以降" if lang == "ja" else f"attempt {g[:-1]}+"
    return f"{g}回目" if lang == "ja" else f"attempt {g}"


def hour_windows(hours, lang: str = config.DEFAULT_LANG) -> str:
    """Hours merged into windows: [10, 11, 16] → '10〜11時台, 16時台' / '10:00–12:00, 16:00–17:00'."""
    _check_lang(lang)
    hs = sorted(int(h) for h in hours)
    if not hs:
        return "なし" if lang == "ja" else "none"
    runs, start, prev = [], hs[0], hs[0]
    for h in hs[1:] + [None]:
        if h is not None and h == prev + 1:
            prev = h
            continue
        runs.append((start, prev))
        if h is not None:
            start = prev = h
    if lang == "ja":
        return "、".join(f"{a}時台" if a == b else f"{a}〜{b}時台" for a, b in runs)
    return ", ".join(f"{a}:00–{b + 1}:00" for a, b in runs)


def _calls_of(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    calls = getattr(data, "calls", None)
    if calls is None:
        raise ValueError("the data has no calls table; the time-of-day analysis needs calls")
    return calls


def _local_columns(calls: pd.DataFrame, tz: str = config.DEFAULT_TZ) -> pd.DataFrame:
    """Add hour / weekday / business_day / valid_conversation when a calls frame lacks them."""
    need = [c for c in ("hour", "weekday", "business_day") if c not in calls.columns]
    out = calls
    if need:
        ts = pd.to_datetime(calls["started_at"])
        ts = ts.dt.tz_localize(tz) if ts.dt.tz is None else ts.dt.tz_convert(tz)
        out = out.assign(hour=ts.dt.hour, weekday=ts.dt.day_of_week)
        if "business_day" not in calls.columns:
            from .calendar import is_business_day

            out = out.assign(business_day=is_business_day(ts.dt.tz_localize(None)))
    if "valid_conversation" not in out.columns:
        out = out.assign(
            valid_conversation=out["connected"].astype(bool) & (out["talk_seconds"] >= config.VALID_TALK_SECONDS)
        )
    return out


def _pandas_counts(calls: pd.DataFrame, by, include_non_business: bool) -> pd.DataFrame:
    calls = _local_columns(calls)
    if not include_non_business:
        calls = calls[calls["business_day"].astype(bool)]
    keys = list(by)
    extra = [c for c in ("team_id", "role") if "rep_id" in keys and c in calls.columns and c not in keys]
    frame = pd.DataFrame({k: calls[k] for k in keys + extra})
    frame["calls"] = 1
    frame["connects"] = calls["connected"].astype(bool).astype("int64")
    frame["valid_conversations"] = calls["valid_conversation"].astype(bool).astype("int64")
    frame["appointments"] = calls["appointment"].astype(bool).astype("int64")
    agg = {c: "sum" for c in COUNT_COLUMNS} | {c: "first" for c in extra}
    out = frame.groupby(keys, observed=True, sort=True, dropna=False).agg(agg).reset_index()
    return out[keys + extra + list(COUNT_COLUMNS)]


def call_counts(
    data, *, by=("rep_id", "weekday", "hour"), include_non_business: bool = False, rep: str | None = None
) -> pd.DataFrame:
    """Call buckets in local time: the counting step every other function builds on.

    Parameters
    ----------
    data : Dataset or DataFrame
        A loaded ``Dataset`` (its calls table; counted with ``aggregate.call_buckets``) or a calls
        DataFrame shaped like the data contract.
    by : sequence of str
        Bucket columns of the calls table (default rep × weekday × hour).
    include_non_business : bool
        False (default) keeps business days only (no weekends, no Japanese holidays).
    rep : str, optional
        Count only this rep's calls (a rep_id of the data; ValueError listing the reps otherwise).

    Returns
    -------
    DataFrame with the ``by`` columns, ``team_id`` and ``role`` (when ``rep_id`` is in ``by`` and
    known), and the counts ``calls``, ``connects``, ``valid_conversations``, ``appointments``.
    """
    by = (by,) if isinstance(by, str) else tuple(by)
    if rep not in (None, ""):
        keyed = by if "rep_id" in by else by + ("rep_id",)
        allc = call_counts(data, by=keyed, include_non_business=include_non_business)
        known = sorted(allc["rep_id"].astype(str).unique())
        if str(rep) not in known:
            raise ValueError(f"rep must be one of the reps with calls {tuple(known)}, got {rep!r}")
        out = allc[allc["rep_id"].astype(str) == str(rep)]
        if "rep_id" not in by:
            out = out.groupby(list(by), observed=True, dropna=False)[list(COUNT_COLUMNS)].sum().reset_index()
        return out.reset_index(drop=True)
    if not isinstance(data, pd.DataFrame) and hasattr(data, "query"):
        from . import aggregate

        keys = list(by) + (["role"] if "rep_id" in by and "role" not in by else [])
        if set(keys) <= set(aggregate.BUCKET_KEYS):
            out = aggregate.call_buckets(data, by=keys)
            if "business_day" not in by:
                if not include_non_business:
                    out = out[out["business_day"].astype(bool)]
                keys = keys + [c for c in ("team_id",) if c in out.columns and c not in keys]
                out = out.groupby(keys, observed=True, dropna=False)[list(COUNT_COLUMNS)].sum()
                out = out.reset_index()
            extra = [c for c in ("team_id", "role") if c in out.columns and c not in by]
            out = out[list(by) + extra + list(COUNT_COLUMNS)]
            for c in COUNT_COLUMNS:
                out[c] = out[c].astype("int64")
            return out.sort_values(list(by)).reset_index(drop=True)
    return _pandas_counts(_calls_of(data), by, include_non_business)


def _is_counts(data) -> bool:
    return isinstance(data, pd.DataFrame) and "calls" in data.columns and "call_id" not in data.columns


def _as_counts(data, by, include_non_business: bool) -> pd.DataFrame:
    """A call-bucket table for ``by``: pass-through when ``data`` already is one."""
    if _is_counts(data):
        missing = [c for c in by if c not in data.columns]
        if missing:
            raise ValueError(f"the count table lacks the columns {missing}")
        return data
    return call_counts(data, by=("rep_id", "weekday", "hour"), include_non_business=include_non_business)


# ----------------------------------------------------------------------------- raw rates
def rate_table(
    data,
    *,
    by=("hour",),
    metric: str = "connect_rate",
    min_calls: int = 30,
    include_non_business: bool = False,
    confidence: float = 0.95,
    complete: bool = True,
) -> pd.DataFrame:
    """Rate by hour, weekday or hour × weekday, with counts and a Wilson interval.

    Parameters
    ----------
    data : Dataset, calls DataFrame or call-bucket table (:func:`call_counts`).
    by : str or sequence of str
        Grouping columns, e.g. ``"hour"``, ``"weekday"`` or ``("weekday", "hour")``.
    metric : {'connect_rate', 'conversation_rate', 'appointments_per_call'}
    min_calls : int
        Buckets whose denominator (calls; connects for the conversation rate) is below this are
        flagged ``too_small``.
    complete : bool
        Hour × weekday: add empty cells of the grid (observed hours × weekdays) with n = 0.

    Returns
    -------
    DataFrame with the ``by`` columns, calls, connects, valid_conversations, appointments, n
    (denominator), k (numerator), rate (k / n, ratio of sums), ci_low, ci_high (Wilson),
    too_small (n < min_calls).
    """
    _check("metric", metric, METRICS)
    by = [by] if isinstance(by, str) else list(by)
    counts = _as_counts(data, by, include_non_business)
    g = counts.groupby(by, observed=True, sort=True)[list(COUNT_COLUMNS)].sum()
    if complete and len(by) > 1 and len(g):
        full = pd.MultiIndex.from_product([sorted(g.index.unique(level=c)) for c in by], names=by)
        g = g.reindex(full, fill_value=0)
    num, den = METRICS[metric]
    pt = st.proportion_table(g[num].to_numpy(), g[den].to_numpy(), confidence=confidence, min_trials=min_calls)
    out = g.reset_index()
    for c in ("n", "k", "rate", "ci_low", "ci_high", "too_small"):
        out[c] = pt[c].to_numpy()
    return out


def overall_rate(
    data, *, metric: str = "connect_rate", include_non_business: bool = False, confidence: float = 0.95
) -> dict:
    """The average over every bucket: dict with n, k, rate, ci_low, ci_high."""
    _check("metric", metric, METRICS)
    counts = _as_counts(data, [], include_non_business)
    num, den = METRICS[metric]
    k, n = int(counts[num].sum()), int(counts[den].sum())
    lo, hi = st.wilson_ci(k, n, confidence=confidence) if n else (np.nan, np.nan)
    return {"n": n, "k": k, "rate": st.safe_ratio(k, n), "ci_low": lo, "ci_high": hi}


# ----------------------------------------------------------------------------- chi-square
def _effect_size_label(v: float) -> str:
    # Cohen's conventions for a 2-column table (df* = 1): 0.1 small, 0.3 medium, 0.5 large.
    if np.isnan(v):
        return "n/a"
    return "negligible" if v < 0.1 else "small" if v < 0.3 else "medium" if v < 0.5 else "large"


def chi_square(
    data, *, factor: str = "hour", metric: str = "connect_rate", min_calls: int = 30, include_non_business: bool = False
) -> pd.DataFrame:
    """Chi-square test of independence of ``factor`` × success (e.g. hour × connected).

    Levels whose denominator is below ``min_calls`` are left out of the test.

    Returns
    -------
    One-row DataFrame: factor, metric, levels (tested), levels_dropped, n, chi2, dof, p_value,
    cramers_v (sqrt(chi2 / n) for the 2-column table) and effect_size (negligible < 0.1 ≤ small
    < 0.3 ≤ medium < 0.5 ≤ large, Cohen).
    """
    _check("factor", factor, FACTORS)
    t = rate_table(data, by=factor, metric=metric, min_calls=min_calls, include_non_business=include_non_business)
    ok = t[~t["too_small"] & (t["n"] > 0)]
    row = {
        "factor": factor,
        "metric": metric,
        "levels": len(ok),
        "levels_dropped": int((t["n"] > 0).sum() - len(ok)),
        "n": int(ok["n"].sum()),
        "chi2": np.nan,
        "dof": np.nan,
        "p_value": np.nan,
        "cramers_v": np.nan,
    }
    table = np.column_stack([ok["k"], ok["n"] - ok["k"]]).astype(float)
    if len(ok) >= 2 and (table.sum(axis=0) > 0).all():
        chi2, p, dof, _ = _st.chi2_contingency(table, correction=False)
        row.update(chi2=float(chi2), dof=int(dof), p_value=float(p), cramers_v=float(np.sqrt(chi2 / table.sum())))
    row["effect_size"] = _effect_size_label(row["cramers_v"])
    return pd.DataFrame([row])


# ----------------------------------------------------------------------------- adjusted model
def _design(df: pd.DataFrame, keys: list[str], weight: np.ndarray):
    """Intercept + treatment dummies per key (reference level = the one with most trials)."""
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


def fit_binomial(k, n, X, *, max_iter: int = 100, tol: float = 1e-10):
    """Logistic regression on aggregated counts (binomial GLM, logit link) by IRLS.

    ``k`` successes out of ``n`` trials per row of the design matrix ``X``. Solved on the normal
    equations (X'WX is only as wide as the number of levels), which stays fast when the BLAS
    shares busy cores, where the QR / SVD route of a general GLM library can be 100× slower.
    ``tests/test_timing.py`` checks the estimates against ``statsmodels``' GLM.

    Returns
    -------
    (beta, cov): coefficients and their covariance (inverse Fisher information).
    """
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    X = np.asarray(X, dtype=float)

    def solve(a, b):
        try:
            return np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            return np.linalg.pinv(a) @ b

    def deviance(mu):
        return _binomial_deviance(k, n, mu)

    eta = np.log((k + 0.5) / (n - k + 0.5))  # start: empirical logits (as GLM libraries do)
    mu = expit(eta)
    beta = np.zeros(X.shape[1])
    dev = np.inf
    for _ in range(max_iter):
        w = n * mu * (1 - mu)
        z = eta + (k - n * mu) / np.where(w > 0, w, 1.0)
        xw = X * w[:, None]
        beta = solve(xw.T @ X, xw.T @ z)
        eta = X @ beta
        mu = np.clip(expit(eta), 1e-15, 1 - 1e-15)
        new = deviance(mu)
        if abs(dev - new) <= tol * (abs(new) + 0.1):
            break
        dev = new
    w = n * mu * (1 - mu)
    info = (X * w[:, None]).T @ X
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov = np.linalg.pinv(info)
    return beta, cov


#: The claim rule for hours and weekdays (one home; 02 and 04 both call :func:`reliable_windows`).
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


def _binomial_deviance(k, n, mu) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(k > 0, k * np.log(k / (n * mu)), 0.0)
        t2 = np.where(n - k > 0, (n - k) * np.log((n - k) / (n * (1 - mu))), 0.0)
    return 2 * float(np.sum(t1 + t2))


def _deviance_of(k, n, X) -> float:
    """Residual deviance of the logistic fit of ``k`` of ``n`` on ``X``."""
    beta, _ = fit_binomial(k, n, X)
    return _binomial_deviance(k, n, np.clip(expit(X @ beta), 1e-15, 1 - 1e-15))


def _lr_p(dev_reduced: float, dev_full: float, dof: int) -> tuple[float, float]:
    lr = max(dev_reduced - dev_full, 0.0)
    return lr, (float(_st.chi2.sf(lr, dof)) if dof > 0 else np.nan)


def _min_lift_for(base_rate: float, min_lift: float | None, min_relative_lift: float) -> float:
    """The absolute smallest lift: ``min_lift`` when given, else a share of the base rate."""
    if min_lift is not None:
        return float(min_lift)
    return float(min_relative_lift * base_rate) if np.isfinite(base_rate) else 0.0


def _median_level(rates: dict):
    """The level whose rate is the median (the lower middle one for an even count): the typical
    hour (weekday) every other level is compared with."""
    if len(rates) < 2:
        return None
    order = sorted(rates, key=lambda x: (rates[x], x))
    return order[(len(order) - 1) // 2]


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


def adjusted_effects(
    data,
    *,
    metric: str = "connect_rate",
    factors=FACTORS,
    adjust_for: str | None = "rep_id",
    min_calls: int = 30,
    include_non_business: bool = False,
    confidence: float = 0.95,
    alpha: float = 0.05,
    min_lift: float | None = None,
    min_relative_lift: float = MIN_RELATIVE_LIFT,
    claim_alpha: float = CLAIM_ALPHA,
    tested=None,
) -> pd.DataFrame:
    """Hour and weekday effects from a logistic model that holds the rep fixed, each level
    against the median hour (weekday).

    ``tested``: the factors whose levels are tested and returned (default: all of ``factors``;
    the others are only held fixed — the windows need the hours only).

    The model is a binomial GLM on aggregated counts per rep × weekday × hour,
    ``logit p = intercept + hour + weekday + rep`` (treatment dummies, :func:`fit_binomial`).
    Levels (hours, weekdays) with fewer than ``min_calls`` trials are left out of the fit, and so
    are reps whose every call succeeded or failed. Effects are *adjusted rates*: the model's
    average prediction over the observed mix of reps and weekdays with every call moved to that
    level (marginal standardisation). The contrast is **the level against the median level**
    (the typical hour: the one whose adjusted rate is the median, the lower middle one for an
    even count), so four good hours do not make every ordinary hour look bad, as they do
    against an average they lift (delta-method interval of the difference).

    Tests (likelihood ratio, which holds its level in small cells where a Wald interval at the
    observed rate does not):

    - the factor as a whole (``factor_p_value``): full model against the model without it;
    - each level against the median level (``p_value``): the full model against the model in
      which the two levels share one coefficient (1 df); BH within the factor (``q_value``).

    A level is ``above`` / ``below`` (:func:`_verdict`) only when the factor test is below
    ``claim_alpha``, its q-value below ``alpha``, its 95 % interval excludes 0 and the estimated
    difference reaches the smallest lift (``min_lift`` if given, else ``min_relative_lift`` × the
    average rate); ``small`` when all but the lift hold.

    Returns
    -------
    DataFrame, one row per factor level: factor, level, n, k, raw_rate, raw_ci_low, raw_ci_high,
    raw_diff (raw rate − raw rate of the median level), raw_q_value, raw_verdict (the same tests without
    the model, so a raw/adjusted disagreement reflects the adjustment, not two criteria),
    adjusted_rate, adjusted_ci_low, adjusted_ci_high, average_rate (of all judged calls),
    reference_level (the median level), reference_rate, diff (adjusted − reference), diff_ci_low, diff_ci_high, p_value, q_value,
    factor_p_value, min_lift, verdict (above / below / small / neutral / too_small), reason (one
    of :data:`REASONS`), too_small, adjusted_for (the held-fixed column or '').
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
    needed = factors + ([adjust_for] if adjust_for else [])
    counts = _as_counts(data, needed, include_non_business)
    z = _st.norm.ppf(0.5 + confidence / 2)

    raw = {f: rate_table(counts, by=f, metric=metric, min_calls=min_calls, confidence=confidence) for f in factors}
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
    df = df[df[den] > 0]

    est, ftest = {}, {}
    if len(df) and df[num].sum() > 0 and (df[num] < df[den]).any():
        n = df[den].to_numpy(float)
        k = df[num].to_numpy(float)
        X, spec = _design(df, keys, n)
        beta, V = fit_binomial(k, n, X)
        p = np.clip(expit(X @ beta), 1e-15, 1 - 1e-15)
        dev_full = _binomial_deviance(k, n, p)
        w = n / n.sum()
        avg = float(w @ p)
        for f in tested:
            fs = spec[f]
            fcols = list(fs["cols"].values())
            dev0 = _deviance_of(k, n, np.delete(X, fcols, axis=1)) if fcols else dev_full
            ftest[f] = _lr_p(dev0, dev_full, len(fcols))[1]
            ar, gh = {}, {}
            for lev in fs["levels"]:
                Xh = X.copy()
                Xh[:, fcols] = 0.0
                if lev != fs["ref"]:
                    Xh[:, fs["cols"][lev]] = 1.0
                ph = expit(Xh @ beta)
                ar[lev], gh[lev] = float(w @ ph), (w * ph * (1 - ph)) @ Xh
            ref = _median_level(ar)
            for lev in fs["levels"]:
                se_ar = float(np.sqrt(max(gh[lev] @ V @ gh[lev], 0.0)))
                e = {
                    "adjusted_rate": ar[lev],
                    "adjusted_ci_low": max(ar[lev] - z * se_ar, 0.0),
                    "adjusted_ci_high": min(ar[lev] + z * se_ar, 1.0),
                    "average_rate": avg,
                    "reference_level": ref,
                    "reference_rate": ar[ref] if ref is not None else np.nan,
                    "diff": np.nan,
                    "diff_ci_low": np.nan,
                    "diff_ci_high": np.nan,
                    "p_value": np.nan,
                }
                if ref is not None and lev != ref:
                    gd = gh[lev] - gh[ref]
                    se_d = float(np.sqrt(max(gd @ V @ gd, 0.0)))
                    d = ar[lev] - ar[ref]
                    dev1 = _deviance_of(k, n, _merge_levels(X, fs, lev, ref))
                    e.update(
                        diff=d, diff_ci_low=d - z * se_d, diff_ci_high=d + z * se_d, p_value=_lr_p(dev1, dev_full, 1)[1]
                    )
                elif ref is not None:
                    e.update(diff=0.0, diff_ci_low=0.0, diff_ci_high=0.0)
                est[(f, lev)] = e

    rows = []
    for f in tested:
        r = raw[f]
        part = []
        for _, x in r[r["n"] > 0].iterrows():
            lev = x[f]
            e = est.get((f, lev), {})
            part.append(
                {
                    "factor": f,
                    "level": int(lev),
                    "n": int(x["n"]),
                    "k": int(x["k"]),
                    "raw_rate": x["rate"],
                    "raw_ci_low": x["ci_low"],
                    "raw_ci_high": x["ci_high"],
                    **{
                        c: e.get(c, np.nan)
                        for c in (
                            "adjusted_rate",
                            "adjusted_ci_low",
                            "adjusted_ci_high",
                            "average_rate",
                            "reference_level",
                            "reference_rate",
                            "diff",
                            "diff_ci_low",
                            "diff_ci_high",
                            "p_value",
                        )
                    },
                    "too_small": bool(x["too_small"]),
                }
            )
        part = pd.DataFrame(part)
        if len(part):
            lift = _min_lift_for(
                part["average_rate"].iloc[0] if part["average_rate"].notna().any() else np.nan,
                min_lift,
                min_relative_lift,
            )
            part = part.join(
                _raw_tests(
                    part,
                    z=z,
                    alpha=alpha,
                    claim_alpha=claim_alpha,
                    min_lift=min_lift,
                    min_relative_lift=min_relative_lift,
                )
            )
            part["q_value"] = st.bh_adjust(part["p_value"].to_numpy())
            part["factor_p_value"] = ftest.get(f, np.nan)
            part["min_lift"] = lift
            part["verdict"], part["reason"] = _verdict(
                part["q_value"],
                part["diff"],
                part["diff_ci_low"],
                part["diff_ci_high"],
                part["too_small"],
                gate=part["factor_p_value"],
                alpha=alpha,
                claim_alpha=claim_alpha,
                min_lift=lift,
            )
            ref = (part["level"] == part["reference_level"]) & ~part["too_small"].astype(bool)
            part.loc[ref, "reason"] = "reference"
            rows.append(part)
    cols = [
        "factor",
        "level",
        "n",
        "k",
        "raw_rate",
        "raw_ci_low",
        "raw_ci_high",
        "raw_diff",
        "raw_q_value",
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
        "p_value",
        "q_value",
        "factor_p_value",
        "min_lift",
        "verdict",
        "reason",
        "too_small",
    ]
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    out = out[cols]
    out["adjusted_for"] = adj or ""
    return out


def _verdict(q, diff, lo, hi, too_small, *, gate, alpha: float, claim_alpha: float, min_lift: float):
    """The one rule for a level's verdict (and why), used by the effects, the raw comparison and
    the windows alike.

    ``too_small``; untested (no estimate) → 'neutral' (reason not_tested); the factor test
    ``gate`` not below ``claim_alpha`` → 'neutral' (factor_not_shown); q ≥ ``alpha`` or the 95 %
    interval touching 0 → 'neutral' (not_significant); significant but |diff| < ``min_lift`` →
    'small' (below_min_lift); else 'above' / 'below' (clear).

    Returns
    -------
    (verdict, reason) as arrays of str.
    """
    q, d = np.asarray(q, float), np.asarray(diff, float)
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    gate = np.broadcast_to(np.asarray(gate, float), q.shape)
    small = np.asarray(too_small, bool)
    tested = np.isfinite(q) & np.isfinite(d)
    shown = gate < claim_alpha
    sig = (q < alpha) & ((lo > 0) | (hi < 0))
    big = np.abs(d) >= min_lift
    reason = np.select(
        [small, ~tested, ~shown, ~sig, ~big],
        ["too_small", "not_tested", "factor_not_shown", "not_significant", "below_min_lift"],
        "clear",
    )
    verdict = np.select(
        [small, reason == "below_min_lift", (reason == "clear") & (d > 0), reason == "clear"],
        ["too_small", "small", "above", "below"],
        "neutral",
    )
    return verdict, reason


def _raw_tests(
    part: pd.DataFrame, *, z: float, alpha: float, claim_alpha: float, min_lift: float | None, min_relative_lift: float
) -> pd.DataFrame:
    """The same tests without the model: each judged level against the median level (2 × 2
    likelihood-ratio test, interval of p_h − p_median), gated by the likelihood-ratio test of the
    level × outcome table, BH within the factor and :func:`_verdict`."""
    ok = ~part["too_small"].to_numpy(bool) & (part["n"].to_numpy() > 0)
    n = part["n"].to_numpy(float)
    k = part["k"].to_numpy(float)
    diff = np.full(len(part), np.nan)
    pv = np.full(len(part), np.nan)
    lo = np.full(len(part), np.nan)
    hi = np.full(len(part), np.nan)
    gate = np.nan
    avg = np.nan
    if ok.sum() >= 2 and 0 < k[ok].sum() < n[ok].sum():
        N, K = n[ok].sum(), k[ok].sum()
        avg = K / N
        p = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
        v = np.where(ok, p * (1 - p) / np.where(n > 0, n, 1), 0.0)
        idx = np.flatnonzero(ok)
        sat = _binomial_deviance(k[ok], n[ok], np.clip(p[ok], 1e-15, 1 - 1e-15))
        gate = _lr_p(_binomial_deviance(k[ok], n[ok], np.full(len(idx), avg)), sat, len(idx) - 1)[1]
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
            pv[i] = _lr_p(
                _binomial_deviance(kk, nn, np.clip(pooled, 1e-15, 1 - 1e-15)),
                _binomial_deviance(kk, nn, np.clip(kk / nn, 1e-15, 1 - 1e-15)),
                1,
            )[1]
    q = st.bh_adjust(pv)
    verdict, _ = _verdict(
        q,
        diff,
        lo,
        hi,
        ~ok,
        gate=gate,
        alpha=alpha,
        claim_alpha=claim_alpha,
        min_lift=_min_lift_for(avg, min_lift, min_relative_lift),
    )
    return pd.DataFrame({"raw_diff": diff, "raw_q_value": q, "raw_verdict": verdict}, index=part.index)


def factor_tests(effects: pd.DataFrame, *, claim_alpha: float = CLAIM_ALPHA) -> pd.DataFrame:
    """One row per factor of :func:`adjusted_effects`: factor, p_value (likelihood-ratio test of
    the factor with the rep and the other factor held fixed), adjusted_for, shown (p <
    ``claim_alpha``: the factor may be claimed to matter)."""
    rows = []
    for f, g in effects.groupby("factor", sort=False):
        p = float(g["factor_p_value"].iloc[0])
        rows.append(
            {
                "factor": f,
                "p_value": p,
                "adjusted_for": g["adjusted_for"].iloc[0],
                "shown": bool(np.isfinite(p) and p < claim_alpha),
            }
        )
    return pd.DataFrame(rows, columns=["factor", "p_value", "adjusted_for", "shown"])


def _group_windows(
    counts: pd.DataFrame, *, by, metric, min_calls, min_group_calls, alpha, min_lift, min_relative_lift, claim_alpha
) -> pd.DataFrame:
    num, den = METRICS[metric]
    groups = [("all", counts)] if by is None else list(counts.groupby(by, observed=True))
    scope = {None: "all", "team_id": "team", "rep_id": "rep"}[by]
    adjust_for = None if by == "rep_id" or "rep_id" not in counts.columns else "rep_id"
    parts = []
    for gid, sub in groups:
        gid = gid[0] if isinstance(gid, tuple) else gid
        total = int(sub[den].sum())
        if total < min_group_calls:
            continue
        eff = adjusted_effects(
            sub,
            metric=metric,
            factors=("hour", "weekday"),
            adjust_for=adjust_for,
            min_calls=min_calls,
            alpha=alpha,
            min_lift=min_lift,
            min_relative_lift=min_relative_lift,
            claim_alpha=claim_alpha,
            tested=("hour",),
        )
        eff = eff[eff["factor"] == "hour"].rename(columns={"level": "hour"})
        eff.insert(0, "group_n", total)
        eff.insert(0, "group", str(gid))
        eff.insert(0, "scope", scope)
        parts.append(eff)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


WINDOW_COLUMNS = [
    "scope",
    "group",
    "group_n",
    "hour",
    "n",
    "raw_rate",
    "adjusted_rate",
    "average_rate",
    "reference_level",
    "reference_rate",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "p_value",
    "q_value",
    "hour_p_value",
    "min_lift",
    "effect_verdict",
    "reason",
    "verdict",
]
_WINDOW_VERDICT = {
    "above": "recommend",
    "below": "avoid",
    "small": "neutral",
    "neutral": "neutral",
    "too_small": "too_small",
}


def reliable_windows(
    data,
    *,
    metric: str = "connect_rate",
    min_calls: int = 30,
    min_rep_calls: int = 300,
    per_team: bool = True,
    per_rep: bool = True,
    include_non_business: bool = False,
    alpha: float = 0.05,
    min_lift: float | None = None,
    min_relative_lift: float = MIN_RELATIVE_LIFT,
    claim_alpha: float = CLAIM_ALPHA,
    scopes=("all", "team", "rep"),
) -> pd.DataFrame:
    """**The** rule for "is this hour a reliable calling window" (04's windows and 02's success
    patterns both call it, with the same defaults).

    1. The hour matters at all: the likelihood-ratio test of the hour factor in the logistic
       model of the whole data with rep and weekday held fixed is below ``claim_alpha``
       (``hour_p_value``). Otherwise no hour of any group is recommended or avoided.
    2. Each hour of each group shown (the whole data; each team when there are several; each rep
       whose denominator reaches ``min_rep_calls``) is tested against that group's median hour:
       likelihood-ratio test with weekday (and rep, for the whole data and teams) held
       fixed (:func:`adjusted_effects`).
    3. BH (``q_value``) within each scope across **every** group × hour test of that scope: the
       whole data's hours, every team × hour, every rep × hour (never within one rep alone);
       q < ``alpha`` and the 95 % interval of the difference excluding 0.
    4. The estimated difference reaches ``min_lift`` (absolute), else ``min_relative_lift`` × the
       group's average rate.

    ``scopes`` restricts the groups (the gate and the correction then cover those groups only).

    Returns
    -------
    DataFrame, one row per group × hour (:data:`WINDOW_COLUMNS`): scope (all / team / rep),
    group ('all', team_id or rep_id), group_n, hour, n, raw_rate, adjusted_rate, average_rate,
    reference_level (the median hour), reference_rate, diff (adjusted − median hour), diff_ci_low, diff_ci_high, p_value, q_value,
    hour_p_value, min_lift, effect_verdict (above / below / small / neutral / too_small), reason
    (:data:`REASONS`), verdict (recommend / avoid / neutral / too_small).
    """
    _check("metric", metric, METRICS)
    scopes = (scopes,) if isinstance(scopes, str) else tuple(scopes)
    for sc in scopes:
        _check("scope", sc, SCOPES)
    counts = _as_counts(data, ("rep_id", "weekday", "hour"), include_non_business)
    kw = dict(
        metric=metric,
        min_calls=min_calls,
        alpha=alpha,
        min_lift=min_lift,
        min_relative_lift=min_relative_lift,
        claim_alpha=claim_alpha,
    )
    parts = []
    if "all" in scopes:
        parts.append(_group_windows(counts, by=None, min_group_calls=0, **kw))
    if "team" in scopes and per_team and "team_id" in counts.columns and counts["team_id"].nunique() > 1:
        parts.append(_group_windows(counts, by="team_id", min_group_calls=min_rep_calls, **kw))
    if "rep" in scopes and per_rep and "rep_id" in counts.columns:
        parts.append(_group_windows(counts, by="rep_id", min_group_calls=min_rep_calls, **kw))
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=WINDOW_COLUMNS)
    w = pd.concat(parts, ignore_index=True)
    if "all" in scopes and (w["scope"] == "all").any():
        gate = float(w.loc[w["scope"] == "all", "factor_p_value"].iloc[0])
    else:
        gate = (
            factor_tests(
                adjusted_effects(
                    counts,
                    metric=metric,
                    factors=("hour", "weekday"),
                    tested=("hour",),
                    adjust_for="rep_id" if "rep_id" in counts.columns else None,
                    min_calls=min_calls,
                ),
                claim_alpha=claim_alpha,
            )
            .set_index("factor")
            .loc["hour", "p_value"]
        )
    w["hour_p_value"] = gate
    # one BH family per scope: the whole data's hours, the teams' hours, every rep × hour test
    w["q_value"] = np.nan
    for _, idx in w.groupby("scope", sort=False).groups.items():
        w.loc[idx, "q_value"] = st.bh_adjust(w.loc[idx, "p_value"].to_numpy())
    w["effect_verdict"], w["reason"] = _verdict(
        w["q_value"],
        w["diff"],
        w["diff_ci_low"],
        w["diff_ci_high"],
        w["too_small"],
        gate=gate,
        alpha=alpha,
        claim_alpha=claim_alpha,
        min_lift=w["min_lift"].to_numpy(float),
    )
    w.loc[(w["hour"] == w["reference_level"]) & ~w["too_small"].astype(bool), "reason"] = "reference"
    w["verdict"] = w["effect_verdict"].map(_WINDOW_VERDICT)
    return w[WINDOW_COLUMNS].reset_index(drop=True)


def recommended_windows(
    data,
    *,
    by: str | None = None,
    metric: str = "connect_rate",
    min_calls: int = 30,
    min_group_calls: int = 300,
    include_non_business: bool = False,
    alpha: float = 0.05,
    min_lift: float | None = None,
    min_relative_lift: float = MIN_RELATIVE_LIFT,
    claim_alpha: float = CLAIM_ALPHA,
) -> pd.DataFrame:
    """The windows of one scope (:func:`reliable_windows` with that scope only): the whole data
    (``by=None``), each team (``"team_id"``) or each rep (``"rep_id"``; groups under
    ``min_group_calls`` skipped)."""
    _check("by", by, (None, "team_id", "rep_id"))
    scope = {None: "all", "team_id": "team", "rep_id": "rep"}[by]
    return reliable_windows(
        data,
        metric=metric,
        min_calls=min_calls,
        min_rep_calls=min_group_calls,
        include_non_business=include_non_business,
        alpha=alpha,
        min_lift=min_lift,
        min_relative_lift=min_relative_lift,
        claim_alpha=claim_alpha,
        scopes=(scope,),
    )


def windows_summary(
    windows: pd.DataFrame, *, names: dict | None = None, lang: str = config.DEFAULT_LANG
) -> pd.DataFrame:
    """One display row per group from :func:`recommended_windows`.

    Returns
    -------
    DataFrame with columns scope, group, name (from ``names`` or the id), calls (group
    denominator), recommended and avoid (merged hour windows in ``lang``), note (the largest
    adjusted lift among recommended hours, or why nothing is recommended).
    """
    _check_lang(lang)
    names = names or {}
    rows = []
    for (scope, group), g in windows.groupby(["scope", "group"], sort=False):
        rec = g[g["verdict"] == "recommend"]
        avoid = g[g["verdict"] == "avoid"]
        if len(rec):
            best = rec.loc[rec["diff"].idxmax()]
            note = (
                f"最大 {best['diff'] * 100:+.1f}ポイント({hour_label(best['hour'], lang)}、"
                f"95%CI {_pts_ci(best['diff_ci_low'], best['diff_ci_high'], lang)})"
                if lang == "ja"
                else f"largest lift {best['diff'] * 100:+.1f} pts at {hour_label(best['hour'], lang)}"
                f" (95% CI {_pts_ci(best['diff_ci_low'], best['diff_ci_high'], lang)})"
            )
        else:
            note = (
                "中央値の時間帯より確実に高い時間帯はありません"
                if lang == "ja"
                else "no hour reliably above the median hour"
            )
        label = "全体" if (lang == "ja" and group == "all") else ("All" if group == "all" else group)
        rows.append(
            {
                "scope": scope,
                "group": group,
                "name": names.get(group, label),
                "calls": int(g["group_n"].iloc[0]),
                "recommended": hour_windows(rec["hour"], lang),
                "avoid": hour_windows(avoid["hour"], lang),
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=["scope", "group", "name", "calls", "recommended", "avoid", "note"])


# ----------------------------------------------------------------------------- display tables
_EFFECT_VERDICTS = {
    "ja": {
        "above": "中央値より高い",
        "below": "中央値より低い",
        "small": "差はあるが小さい",
        "neutral": "差は不明確",
        "too_small": "件数不足",
    },
    "en": {
        "above": "above the others",
        "below": "below the others",
        "small": "real but small difference",
        "neutral": "no clear difference",
        "too_small": "too few calls",
    },
}


def _rate_ci_text(rate, lo, hi, too_small: bool, n, lang: str) -> str:
    if too_small or not np.isfinite(rate):
        return f"件数不足(n={fmt.num(n)})" if lang == "ja" else f"too few (n={fmt.num(n)})"
    digits = 2 if rate < 0.1 else 1
    return f"{fmt.pct(rate, digits)} [{fmt.pct(lo, digits)}, {fmt.pct(hi, digits)}]"


def rep_team_names(data) -> dict:
    """rep_id → display name of the rep's team (team_name, else team_id)."""
    reps = getattr(data, "reps", None)
    if reps is None:
        return {}
    names = data.names()
    return {str(r): names.get(str(t), str(t)) for r, t in zip(reps["rep_id"], reps["team_id"])}


def window_hours(
    windows: pd.DataFrame, verdict: str = "recommend", *, scope: str = "all", group: str | None = None
) -> list[int]:
    """Hours with ``verdict`` ('recommend' / 'avoid' / …) in the windows of one scope (and group)."""
    _check("verdict", verdict, VERDICTS)
    _check("scope", scope, SCOPES)
    if not len(windows):
        return []
    sel = (windows["scope"] == scope) & (windows["verdict"] == verdict)
    if group is not None:
        sel &= windows["group"] == group
    return sorted(int(h) for h in windows.loc[sel, "hour"])


def period_label(month: str, months: int = 3, lang: str = config.DEFAULT_LANG) -> str:
    """'2026-08〜2026-10(3ヶ月)' / '2026-08 to 2026-10 (3 months)' for :func:`io.month_bounds`."""
    _check_lang(lang)
    start, end = io.month_bounds(month, months)
    a, b = f"{start:%Y-%m}", f"{end - pd.Timedelta(days=1):%Y-%m}"
    if lang == "ja":
        return f"{b}(1ヶ月)" if a == b else f"{a}〜{b}({months}ヶ月)"
    return f"{b} (1 month)" if a == b else f"{a} to {b} ({months} months)"


def scope_note(
    data,
    *,
    month: str,
    months: int = 3,
    rep: str | None = None,
    include_non_business: bool = False,
    lang: str = config.DEFAULT_LANG,
) -> str:
    """One line saying what the page covers: team (or rep), period, which days."""
    _check_lang(lang)
    ja = lang == "ja"
    names = data.names()
    team = getattr(data, "team", "all")
    who = ("全チーム" if ja else "all teams") if team in (None, "all") else names.get(team, team)
    if rep:
        who += f"・担当者 {names.get(rep, rep)}({rep})" if ja else f", rep {names.get(rep, rep)} ({rep})"
    days = (
        ("全日(土日祝を含む)" if include_non_business else "営業日のみ(土日祝を除く)")
        if ja
        else (
            "all days (weekends and holidays included)"
            if include_non_business
            else "business days only (weekends and Japanese holidays excluded)"
        )
    )
    per = period_label(month, months, lang)
    return f"対象: {who} / 期間: {per} / {days}" if ja else f"Scope: {who} / period: {per} / {days}"


def missing_breakdowns_note(data, available, lang: str = config.DEFAULT_LANG) -> str:
    """Which breakdowns are skipped and why ('' when none is)."""
    _check_lang(lang)
    missing = [b for b in BREAKDOWNS if b not in available]
    if not missing:
        return ""
    lab = column_labels(lang)
    why = {"source": "leads", "segment": "leads", "role": "reps", "attempt": "calls.lead_id"}
    items = (
        "、".join(f"{lab[b]}({why[b]})" for b in missing)
        if lang == "ja"
        else ", ".join(f"{lab[b]} ({why[b]})" for b in missing)
    )
    return (
        f"データに必要な列・テーブルがない(または区分が1つしかない)ため省略した切り口: {items}"
        if lang == "ja"
        else f"Breakdowns skipped because the data lacks the column or table (or has one group only): {items}"
    )


def windows_table(
    windows: pd.DataFrame,
    *,
    scope=("all", "team"),
    names: dict | None = None,
    rep_teams: dict | None = None,
    data=None,
    lang: str = config.DEFAULT_LANG,
) -> pd.DataFrame:
    """Reader-facing table of :func:`recommended_windows` rows: one row per group with the
    recommended and avoid windows, formatted, with ``lang`` column labels (show without index).

    ``scope``: which scopes to include (``"all"``, ``"team"``, ``"rep"``); ``names``: display
    names by id (:meth:`io.Dataset.names`); ``rep_teams``: rep_id → team display name (adds a team
    column to rep rows); ``data``: a Dataset to take both from when they are not given.
    """
    _check_lang(lang)
    if data is not None:
        names = data.names() if names is None else names
        rep_teams = rep_team_names(data) if rep_teams is None else rep_teams
    scope = (scope,) if isinstance(scope, str) else tuple(scope)
    for sc in scope:
        _check("scope", sc, SCOPES)
    lab = column_labels(lang)
    rows = windows[windows["scope"].isin(scope)] if len(windows) else windows
    summ = (
        windows_summary(rows, names=names, lang=lang)
        if len(rows)
        else pd.DataFrame(columns=["scope", "group", "name", "calls", "recommended", "avoid", "note"])
    )
    reps_only = scope == ("rep",)
    if reps_only and rep_teams:
        summ.insert(0, "team", [rep_teams.get(g, "") for g in summ["group"]])
        summ = summ.sort_values(["team", "name"], kind="stable")
    summ["calls"] = [fmt.num(x) for x in summ["calls"]]
    # per rep the table stays short: the windows only (the lift is in the team rows and findings)
    cols = (
        (["team"] if "team" in summ.columns else [])
        + ["name", "calls", "recommended", "avoid"]
        + ([] if reps_only else ["note"])
    )
    out = summ[cols].rename(columns={c: lab[c] for c in cols if c != "name"})
    return out.rename(columns={"name": lab["name"] if reps_only else lab["group"]}).reset_index(drop=True)


def hourly_table(results, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """One row per hour: calls and each result's rate with its 95 % interval (too-small hours
    say so). ``results``: :class:`TimingResult` objects (e.g. connect rate, valid-conversation
    rate and appointments per call from the same counts)."""
    _check_lang(lang)
    results = [results] if isinstance(results, TimingResult) else list(results)
    lab = column_labels(lang)
    base = results[0].by_hour[["hour", "calls"]].copy()
    for r in results:
        t = r.by_hour.set_index("hour").reindex(base["hour"])
        base[metric_label(r.metric, lang)] = [
            _rate_ci_text(x.rate, x.ci_low, x.ci_high, bool(x.too_small) or x.n == 0, x.n, lang) for x in t.itertuples()
        ]
    base["hour"] = [hour_label(h, lang) for h in base["hour"]]
    base["calls"] = [fmt.num(x) for x in base["calls"]]
    return base.rename(columns={"hour": lab["hour"], "calls": lab["calls"]}).reset_index(drop=True)


def effects_table(effects: pd.DataFrame, *, factor: str = "hour", lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """Reader-facing table of :func:`adjusted_effects` for one factor: n, raw and adjusted rate
    with intervals, the adjusted difference from the average (points) with its interval, the
    BH q-value and the verdict."""
    _check("factor", factor, FACTORS)
    _check_lang(lang)
    lab = column_labels(lang)
    e = effects[effects["factor"] == factor].sort_values("level")
    pts = "ポイント" if lang == "ja" else " pts"
    out = pd.DataFrame(
        {
            lab[factor]: [level_label(factor, v, lang) for v in e["level"]],
            lab["n"]: [fmt.num(x) for x in e["n"]],
            lab["raw_rate"]: [
                _rate_ci_text(r.raw_rate, r.raw_ci_low, r.raw_ci_high, False, r.n, lang) for r in e.itertuples()
            ],
            lab["adjusted_rate"]: [
                _rate_ci_text(r.adjusted_rate, r.adjusted_ci_low, r.adjusted_ci_high, bool(r.too_small), r.n, lang)
                for r in e.itertuples()
            ],
            lab["diff"]: [
                "–"
                if not np.isfinite(r.diff)
                else f"{_pts(r.diff, lang).replace(pts, '')} {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}"
                for r in e.itertuples()
            ],
            lab["q_value"]: [
                "–" if not np.isfinite(q) else ("<0.001" if q < 0.001 else f"{q:.3f}") for q in e["q_value"]
            ],
            lab["verdict"]: [_EFFECT_VERDICTS[lang][v] for v in e["verdict"]],
        }
    )
    return out.reset_index(drop=True)


def breakdown_table(tables: dict, *, lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """Reader-facing table of :func:`breakdown` results (``{by: table}``, not hourly): the
    breakdown, the group, n and the rate with its 95 % interval."""
    _check_lang(lang)
    lab = column_labels(lang)
    rows = []
    for by, t in tables.items():
        _check("by", by, BREAKDOWNS)
        for i, r in enumerate(t.itertuples()):
            rows.append(
                {
                    lab["breakdown"]: lab[by] if i == 0 else "",
                    lab["group"]: attempt_label(r.group, lang) if by == "attempt" else str(r.group),
                    lab["n"]: fmt.num(r.n),
                    lab["rate"]: _rate_ci_text(r.rate, r.ci_low, r.ci_high, bool(r.too_small), r.n, lang),
                }
            )
    return pd.DataFrame(rows, columns=[lab["breakdown"], lab["group"], lab["n"], lab["rate"]])


def headline(result: TimingResult, *, lang: str = config.DEFAULT_LANG, period: str | None = None) -> list[dict]:
    """2–3 headline items for the report index: overall rate, recommended window, whether the
    hour matters. ``period``: text added to the first note (e.g. '2026-08〜2026-10')."""
    _check_lang(lang)
    ja = lang == "ja"
    o = result.overall
    den = kpis.label(METRICS[result.metric][1], lang)
    m = metric_label(result.metric, lang)
    note = f"{den} {fmt.num(o['n'])}件" if ja else f"{fmt.num(o['n'])} {den.lower()}"
    if period:
        note += f"・{period}" if ja else f", {period}"
    items = [{"label": m, "value": fmt.pct(o["rate"]), "note": note}]
    w = result.windows
    rec = w[(w["scope"] == "all") & (w["verdict"] == "recommend")]["hour"] if len(w) else []
    items.append(
        {
            "label": "推奨架電時間帯" if ja else "Recommended calling hours",
            "value": hour_windows(rec, lang),
            "note": "担当者と曜日をそろえた推定で中央値の時間帯より確実に高い時間帯"
            if ja
            else "reliably above the median hour, rep and weekday held fixed",
        }
    )
    t = result.hour_test()
    if np.isfinite(t["p_value"]):
        # the verdict of the adjusted test (never the raw chi-square, which the rep mix drives)
        crit = fmt.p_value(result.claim_alpha).replace("=", "<")
        items.append(
            {
                "label": "時間帯による差" if ja else "Does the hour matter?",
                "value": ("あり" if t["shown"] else "確認できず") if ja else ("yes" if t["shown"] else "not shown"),
                "note": (
                    f"担当者・曜日をそろえた尤度比検定 {fmt.p_value(t['p_value'])}(基準 {crit})"
                    if ja
                    else f"likelihood-ratio test, rep and weekday held fixed, "
                    f"{fmt.p_value(t['p_value'])} (criterion {crit})"
                ),
            }
        )
    return items


# ----------------------------------------------------------------------------- breakdowns
def available_breakdowns(data, *, rep: str | None = None) -> list[str]:
    """Which of :data:`BREAKDOWNS` the data can support (lead source / segment need leads;
    role needs two roles, so never for one ``rep``)."""
    out = []
    if _is_counts(data):
        return out
    if _is_dataset(data):
        c = data.sql("calls")
        n_lead, n_role = data.query(f"SELECT count(lead_id), count(DISTINCT role) FROM {c}").iloc[0]
        has_lead, roles = int(n_lead) > 0, int(n_role)
    else:
        calls = _calls_of(data)
        has_lead = "lead_id" in calls.columns and calls["lead_id"].notna().any()
        roles = calls["role"].nunique() if "role" in calls.columns else 0
    leads = getattr(data, "leads", None) if has_lead else None
    for col in ("source", "segment"):
        if leads is not None and col in leads.columns and leads[col].notna().any():
            out.append(col)
    if roles > 1 and rep in (None, ""):
        out.append("role")
    if has_lead:
        out.append("attempt")
    return out


def attempt_numbers(calls: pd.DataFrame, *, cap: int = 5) -> pd.Series:
    """1 for the first call on a lead, 2 for the second …, capped at ``cap`` (shown 'cap+').

    Counted within the calls given; calls without a lead get <NA>.
    """
    order = calls[calls["lead_id"].notna()].sort_values(["started_at", "call_id"], kind="stable")
    rank = order.groupby("lead_id").cumcount() + 1
    out = pd.Series(pd.NA, index=calls.index, dtype="Int64")
    out.loc[rank.index] = rank.clip(upper=cap).astype("int64")
    return out


_BD_COLS = [
    "call_id",
    "rep_id",
    "lead_id",
    "started_at",
    "hour",
    "business_day",
    "connected",
    "valid_conversation",
    "appointment",
    "role",
]


def _is_dataset(data) -> bool:
    return hasattr(data, "query") and hasattr(data, "sql") and not isinstance(data, pd.DataFrame)


def _bd_calls(data) -> pd.DataFrame:
    if hasattr(data, "query") and not isinstance(data, pd.DataFrame):
        return data.query(f"SELECT {', '.join(_BD_COLS)} FROM {data.sql('calls')}")
    return _local_columns(_calls_of(data))


def breakdown(
    data,
    *,
    by: str,
    metric: str = "connect_rate",
    hourly: bool = False,
    min_calls: int = 30,
    include_non_business: bool = False,
    attempt_cap: int = 5,
    history=None,
    rep: str | None = None,
) -> pd.DataFrame:
    """Rate by lead source, segment, role or attempt number on the same lead (optionally × hour).

    Parameters
    ----------
    data : Dataset or calls DataFrame (the analysed period / team).
    by : {'source', 'segment', 'role', 'attempt'}
    hourly : bool
        Also split by hour.
    history : Dataset, optional
        Unfiltered data: its leads table gives each call's lead source / segment (leads created
        before the period included) and its calls number the attempts on a lead (earlier calls
        counted). Default: ``data`` itself.
    rep : str, optional
        Only this rep's calls (attempts still count every rep's earlier calls on the lead).

    Returns
    -------
    DataFrame with column ``group`` (the breakdown value; attempts as '1' … '5+'), ``hour`` when
    hourly, then calls, connects, valid_conversations, appointments, n, k, rate, ci_low, ci_high,
    too_small. Empty when the data cannot support the breakdown.
    """
    _check("by", by, BREAKDOWNS)
    _check("metric", metric, METRICS)
    history = data if history is None else history
    calls = _bd_calls(data)
    all_calls = calls
    if not include_non_business:
        calls = calls[calls["business_day"].astype(bool)]
    if rep not in (None, ""):
        if str(rep) not in set(calls["rep_id"].astype(str)):
            raise ValueError(
                f"rep must be one of the reps with calls "
                f"{tuple(sorted(calls['rep_id'].astype(str).unique()))}, got {rep!r}"
            )
        calls = calls[calls["rep_id"].astype(str) == str(rep)]
    if by in ("source", "segment"):
        leads = getattr(history, "leads", None)
        if leads is None or by not in leads.columns or "lead_id" not in calls.columns:
            return pd.DataFrame()
        m = leads[["lead_id", by]].drop_duplicates("lead_id")
        group = calls[["lead_id"]].merge(m, on="lead_id", how="left")[by].to_numpy()
    elif by == "role":
        if "role" not in calls.columns:
            return pd.DataFrame()
        group = calls["role"].to_numpy()
    else:
        if "lead_id" not in calls.columns:
            return pd.DataFrame()
        if _is_dataset(history) and _is_dataset(data):
            # the hot path: number the attempts in DuckDB over the whole history
            a = data.query(
                "WITH a AS (SELECT call_id, row_number() OVER (PARTITION BY lead_id "
                f"ORDER BY started_at, call_id) AS attempt FROM {history.sql('calls', lean=True)} "
                f"WHERE lead_id IS NOT NULL) SELECT call_id, attempt FROM a WHERE call_id IN "
                f"(SELECT call_id FROM {data.sql('calls')})"
            )
            a = pd.Series(a["attempt"].to_numpy(float), index=a["call_id"].to_numpy())
        else:
            hist = all_calls if history is data else _bd_calls(history)
            a = attempt_numbers(hist, cap=attempt_cap)
            a = pd.Series(a.to_numpy(dtype=float, na_value=np.nan), index=hist["call_id"].to_numpy())
        a = a[~a.index.duplicated()].reindex(calls["call_id"].to_numpy()).to_numpy(float)
        whole = np.where(np.isnan(a), 0, a).astype(np.int64).astype(str)
        group = np.where(np.isnan(a), None, np.where(a >= attempt_cap, f"{attempt_cap}+", whole)).astype(object)
    frame = calls.assign(group=pd.array(group, dtype="string"))
    frame = frame[frame["group"].notna()]
    keys = ["group"] + (["hour"] if hourly else [])
    counts = _pandas_counts(frame, keys, include_non_business=True)
    out = rate_table(counts, by=keys, metric=metric, min_calls=min_calls, complete=False)
    if by == "attempt":
        out = out.sort_values(
            ["group"] + (["hour"] if hourly else []),
            key=lambda s: s.str.rstrip("+").astype(int) if s.name == "group" else s,
        )
        out = out.reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- bundle
@dataclass
class TimingResult:
    """Everything the notebook shows for one metric (see :func:`analyze`).

    ``tests``: :func:`factor_tests` (does the hour / weekday matter, rep held fixed) — the
    headline verdict; ``claim_alpha``: the level those tests must pass before any hour or weekday
    is claimed."""

    metric: str
    min_calls: int
    include_non_business: bool
    alpha: float
    counts: pd.DataFrame
    overall: dict
    by_hour: pd.DataFrame
    by_weekday: pd.DataFrame
    by_cell: pd.DataFrame
    chi2: pd.DataFrame
    effects: pd.DataFrame
    windows: pd.DataFrame
    info: dict = field(default_factory=dict)
    tests: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["factor", "p_value", "adjusted_for", "shown"])
    )
    claim_alpha: float = CLAIM_ALPHA
    min_relative_lift: float = MIN_RELATIVE_LIFT

    def hour_test(self) -> dict:
        """The adjusted test of the hour factor: dict with p_value, adjusted_for, shown."""
        t = self.tests.set_index("factor")
        if "hour" not in t.index:
            return {"p_value": np.nan, "adjusted_for": "", "shown": False}
        return t.loc["hour"].to_dict()


def analyze(
    data,
    *,
    metric: str = "connect_rate",
    min_calls: int = 30,
    include_non_business: bool = False,
    alpha: float = 0.05,
    min_lift: float | None = None,
    min_relative_lift: float = MIN_RELATIVE_LIFT,
    claim_alpha: float = CLAIM_ALPHA,
    min_rep_calls: int = 300,
    per_team: bool = True,
    per_rep: bool = True,
    counts: pd.DataFrame | None = None,
) -> TimingResult:
    """Run the whole time-of-day analysis for one metric.

    ``counts`` (a :func:`call_counts` table) can be passed to reuse one counting pass across
    metrics. Windows come from :func:`reliable_windows` (the whole data, each team when there are
    several, each rep whose denominator reaches ``min_rep_calls``); the hour verdicts of
    ``effects`` are the windows' verdicts of the whole data, so the chart, the effects table, the
    windows table and the sentences show one verdict per hour.
    """
    _check("metric", metric, METRICS)
    if counts is None:
        counts = _as_counts(data, ("rep_id", "weekday", "hour"), include_non_business)
    kw = dict(metric=metric, min_calls=min_calls)
    rule = dict(alpha=alpha, min_lift=min_lift, min_relative_lift=min_relative_lift, claim_alpha=claim_alpha)
    windows = reliable_windows(counts, min_rep_calls=min_rep_calls, per_team=per_team, per_rep=per_rep, **kw, **rule)
    effects = adjusted_effects(counts, **kw, **rule)
    # one verdict per hour: the whole-data rows of the windows (the same tests and correction)
    w_all = windows[windows["scope"] == "all"].set_index("hour")
    hour_rows = effects["factor"] == "hour"
    for col, src in (("q_value", "q_value"), ("verdict", "effect_verdict"), ("reason", "reason")):
        mapped = effects.loc[hour_rows, "level"].map(w_all[src]) if len(w_all) else None
        if mapped is not None:
            effects.loc[hour_rows, col] = mapped.fillna(effects.loc[hour_rows, col]).to_numpy()
    return TimingResult(
        metric=metric,
        min_calls=min_calls,
        include_non_business=include_non_business,
        alpha=alpha,
        counts=counts,
        overall=overall_rate(counts, metric=metric),
        by_hour=rate_table(counts, by="hour", **kw),
        by_weekday=rate_table(counts, by="weekday", **kw),
        by_cell=rate_table(counts, by=("weekday", "hour"), **kw),
        chi2=pd.concat([chi_square(counts, factor=f, **kw) for f in FACTORS], ignore_index=True),
        effects=effects,
        windows=windows,
        info={
            "reps": int(counts["rep_id"].nunique()) if "rep_id" in counts.columns else 0,
            "rep_windows": int((windows["scope"] == "rep").groupby(windows["group"]).any().sum())
            if len(windows)
            else 0,
        },
        tests=factor_tests(effects, claim_alpha=claim_alpha),
        claim_alpha=claim_alpha,
        min_relative_lift=min_relative_lift,
    )


# ----------------------------------------------------------------------------- findings
def _pts(x: float, lang: str) -> str:
    v = round(float(x) * 100, 1) + 0.0  # no "-0.0"
    s = "±0.0" if v == 0 else f"{v:+.1f}"
    return f"{s}ポイント" if lang == "ja" else f"{s} pts"


def _pts_ci(lo: float, hi: float, lang: str) -> str:
    """Interval of a difference in percentage points: '[-1.9, +2.0]ポイント'."""
    a, b = (_pts(v, lang).replace("ポイント", "").replace(" pts", "") for v in (lo, hi))
    return f"[{a}, {b}]" + ("ポイント" if lang == "ja" else " pts")


def _p_text(p: float) -> str:
    return fmt.p_value(p)


def _hour_matters_text(result: TimingResult, m: str, lang: str) -> str | None:
    """The sentence for the headline verdict (the adjusted likelihood-ratio test of the hour)."""
    ja = lang == "ja"
    t = result.hour_test()
    c = result.chi2.set_index("factor").loc["hour"] if len(result.chi2) else None
    if not np.isfinite(t["p_value"]):
        return "時間帯別に比べられるだけの件数がありません。" if ja else "There are not enough calls to compare hours."
    held = (
        ("担当者と曜日" if t["adjusted_for"] else "曜日")
        if ja
        else ("rep and weekday" if t["adjusted_for"] else "weekday")
    )
    crit = fmt.p_value(result.claim_alpha).replace("=", "<")
    raw = ""
    if c is not None and np.isfinite(c["p_value"]):
        raw = (
            f"集計値どうしのカイ二乗検定({fmt.p_value(c['p_value'])}、Cramér's V={c['cramers_v']:.3f})は"
            f"どの担当者がどの時間に架電したかの違いも含むため、判定には使いません。"
            if ja
            else f" The chi-square test of the raw counts ({fmt.p_value(c['p_value'])}, Cramér's V="
            f"{c['cramers_v']:.3f}) also reflects which reps call when, so it does not decide."
        )
    if t["shown"]:
        return (
            f"{held}の違いをそろえた尤度比検定で、時間帯によって{m}は明確に異なります"
            f"({_p_text(t['p_value'])}、基準 {crit})。{raw}"
            if ja
            else f"Holding {held} fixed, the {m.lower()} differs between hours (likelihood-ratio test "
            f"{_p_text(t['p_value'])}, criterion {crit}).{raw}"
        )
    return (
        f"{held}の違いをそろえると、時間帯による{m}の差は確認できません(尤度比検定 "
        f"{_p_text(t['p_value'])}、差ありとする基準 {crit})。{raw}"
        if ja
        else f"Holding {held} fixed, no difference in {m.lower()} between hours can be shown "
        f"(likelihood-ratio test {_p_text(t['p_value'])}, criterion {crit}).{raw}"
    )


_RAW_LOOKS = {
    "ja": {
        "above": "中央値の時間帯より高く見えます",
        "below": "中央値の時間帯より低く見えます",
        "small": "中央値の時間帯とわずかに違って見えます",
        "neutral": "中央値の時間帯と差がないように見えます",
    },
    "en": {
        "above": "looks above the median hour",
        "below": "looks below the median hour",
        "small": "looks slightly different from the median hour",
        "neutral": "looks no different from the median hour",
    },
}


def _adjusted_says(r, result: TimingResult, lang: str) -> str:
    """What the adjusted verdict of one level says, from its verdict and reason only."""
    ja = lang == "ja"
    if r.verdict == "above":
        return "中央値の時間帯より確実に高くなります" if ja else "it is reliably above the median hour"
    if r.verdict == "below":
        return "中央値の時間帯より確実に低くなります" if ja else "it is reliably below the median hour"
    if r.verdict == "small":
        return (
            "中央値の時間帯との差はあるものの小さく(窓の判定に使う最小の差に届かず)、推奨・回避の対象にはしません"
            if ja
            else "the difference is real but small (under the smallest difference a window "
            "needs), so the hour is neither recommended nor avoided"
        )
    if r.reason == "reference":
        return (
            "比較の基準(中央値の時間帯)になります" if ja else "it is the median hour every other hour is compared with"
        )
    excludes = bool(np.isfinite(r.diff_ci_low) and (r.diff_ci_low > 0 or r.diff_ci_high < 0))
    if r.reason == "factor_not_shown":
        crit = fmt.p_value(result.claim_alpha).replace("=", "<")
        return (
            (
                ("95%信頼区間は0を含みませんが、" if excludes else "")
                + f"時間帯による差そのものが基準({crit})で確認できないため、差とは扱いません"
            )
            if ja
            else (
                ("the 95% interval excludes 0, but " if excludes else "")
                + f"no hour effect is shown at all (criterion {crit}), so it is not treated as a difference"
            )
        )
    if excludes:
        return (
            "95%信頼区間は0を含みませんが、多重比較を補正すると確かな差とは言えません"
            if ja
            else "the 95% interval excludes 0, but after the multiple-comparison correction the "
            "difference is not reliable"
        )
    return "中央値の時間帯との差は確認できません" if ja else "no difference from the median hour can be confirmed"


def findings(result: TimingResult, *, lang: str = config.DEFAULT_LANG, names: dict | None = None) -> list[str]:
    """Plain sentences generated from a :class:`TimingResult`, saying how sure they are.

    Every sentence is written from a verdict object of the result (the adjusted hour test for
    "does the hour matter", the window / effect verdicts and their reasons for each hour and
    weekday), never from a test of its own. Covers: scope and average, whether the hour matters,
    raw best and worst hours, recommended / avoid hours (each hour against the median hour,
    rep and weekday held fixed), hours significant but under the smallest lift, where the raw and
    the adjusted picture disagree, weekday effects, per-team and per-rep windows.
    """
    _check_lang(lang)
    ja = lang == "ja"
    names = names or {}
    m = metric_label(result.metric, lang)
    out = []
    o = result.overall
    if o["n"] == 0:
        return ["対象期間に架電データがありません。" if ja else "There are no calls in the period."]
    scope = (
        ("営業日(土日祝を除く)" if not result.include_non_business else "全日(土日祝を含む)")
        if ja
        else (
            "business days only (weekends and holidays excluded)"
            if not result.include_non_business
            else "all days (weekends and holidays included)"
        )
    )
    num, den = METRICS[result.metric]
    den_label = kpis.label(den, lang)
    if ja:
        out.append(
            f"対象は{scope}の{den_label} {fmt.num(o['n'])} 件で、{m}は全体で {fmt.pct(o['rate'])}"
            f"(95%信頼区間 {fmt.ci(o['ci_low'], o['ci_high'])})です。"
        )
    else:
        out.append(
            f"The analysis covers {fmt.num(o['n'])} {den_label.lower()} on {scope}; the overall "
            f"{m.lower()} is {fmt.pct(o['rate'])} (95% CI {fmt.ci(o['ci_low'], o['ci_high'])})."
        )
    hm = _hour_matters_text(result, m, lang)
    if hm:
        out.append(hm)

    h = result.by_hour[~result.by_hour["too_small"] & (result.by_hour["n"] > 0)]
    if len(h) >= 2:
        best, worst = h.loc[h["rate"].idxmax()], h.loc[h["rate"].idxmin()]
        out.append(
            f"集計値で最も高いのは{hour_label(best['hour'], lang)}({fmt.pct(best['rate'])}、"
            f"n={fmt.num(best['n'])})、最も低いのは{hour_label(worst['hour'], lang)}"
            f"({fmt.pct(worst['rate'])}、n={fmt.num(worst['n'])})です。"
            if ja
            else f"In the raw counts the highest hour is {hour_label(best['hour'], lang)} "
            f"({fmt.pct(best['rate'])}, n={fmt.num(best['n'])}) and the lowest "
            f"{hour_label(worst['hour'], lang)} ({fmt.pct(worst['rate'])}, n={fmt.num(worst['n'])})."
        )
    small = result.by_hour[result.by_hour["too_small"] & (result.by_hour["n"] > 0)]
    if len(small):
        out.append(
            f"{hour_windows(small['hour'], lang)}は{den_label}が{result.min_calls}件未満のため判断の対象外です。"
            if ja
            else f"{hour_windows(small['hour'], lang)} had fewer than {result.min_calls} "
            f"{den_label.lower()} and are not judged."
        )

    e = result.effects[result.effects["factor"] == "hour"]
    adj_by = e["adjusted_for"].iloc[0] if len(e) else ""
    held = (
        ("担当者と曜日の違いをそろえた" if adj_by else "曜日の違いをそろえた")
        if ja
        else ("holding rep and weekday fixed" if adj_by else "holding weekday fixed")
    )
    w = result.windows
    w_all = w[w["scope"] == "all"] if len(w) else w
    rec = w_all[w_all["verdict"] == "recommend"] if len(w_all) else w_all
    avoid = w_all[w_all["verdict"] == "avoid"] if len(w_all) else w_all
    gate_failed = len(w_all) and (w_all["reason"] == "factor_not_shown").any()
    if len(rec):
        parts = (
            "、".join(
                f"{hour_label(r.hour, lang)}({_pts(r.diff, lang)}、95%CI "
                f"{_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)})"
                for r in rec.itertuples()
            )
            if ja
            else "; ".join(
                f"{hour_label(r.hour, lang)} ({_pts(r.diff, lang)}, 95% CI "
                f"{_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)})"
                for r in rec.itertuples()
            )
        )
        out.append(
            f"{held}推定で、中央値の時間帯より確実に高い時間帯は {hour_windows(rec['hour'], lang)} です:{parts}。"
            f"多重比較(BH法)を補正しても差が確かで、最小の差(平均の{result.min_relative_lift:.0%})にも届くため、"
            f"推奨架電時間帯とします。"
            if ja
            else f"{held.capitalize()}, the hours reliably above the median hour are "
            f"{hour_windows(rec['hour'], lang)}: {parts}; the differences hold after BH correction "
            f"and reach the smallest lift ({result.min_relative_lift:.0%} of the average), so they "
            f"are the recommended calling windows."
        )
    elif len(e):
        why = (
            ("(時間帯による差そのものが確認できないため)" if ja else " (no hour effect is shown at all)")
            if gate_failed
            else ""
        )
        out.append(
            f"{held}推定では、中央値の時間帯より確実に高いと言える時間帯はありません{why}。推奨時間帯は設けず、"
            f"件数を積み上げて再確認してください。"
            if ja
            else f"{held.capitalize()}, no hour is reliably above the median hour{why}, so no window "
            f"is recommended; collect more calls and re-check."
        )
    if len(avoid):
        diffs = ("、" if ja else ", ").join(
            f"{hour_label(r.hour, lang)} {_pts(r.diff, lang)}" for r in avoid.itertuples()
        )
        out.append(
            f"中央値の時間帯より確実に低く、避けたい時間帯は {hour_windows(avoid['hour'], lang)} です"
            f"(調整後の中央値の時間帯との差: {diffs})。"
            if ja
            else f"Hours reliably below the median hour, to avoid: {hour_windows(avoid['hour'], lang)} "
            f"(adjusted difference from the median hour: {diffs})."
        )
    sm = w_all[w_all["effect_verdict"] == "small"] if len(w_all) else w_all
    if len(sm):
        out.append(
            f"{hour_windows(sm['hour'], lang)}は中央値の時間帯との差が確かですが、最小の差(平均の"
            f"{result.min_relative_lift:.0%}、{_pts(sm['min_lift'].iloc[0], lang).lstrip('+')})に届かないため、"
            f"推奨・回避の対象にはしません。"
            if ja
            else f"{hour_windows(sm['hour'], lang)} differ reliably from the median hour but by less than "
            f"the smallest lift ({result.min_relative_lift:.0%} of the average, "
            f"{_pts(sm['min_lift'].iloc[0], lang).lstrip('+')}), so they are neither recommended nor avoided."
        )
    teams = w[w["scope"] == "team"] if len(w) else w
    if len(teams):
        parts = []
        for gid, g in teams.groupby("group", sort=True):
            rec_t = g.loc[g["verdict"] == "recommend", "hour"]
            parts.append(f"{names.get(gid, gid)} {hour_windows(rec_t, lang)}")
        out.append(
            ("チーム別(各チームの中央値の時間帯と比較)の推奨時間帯: " + "/".join(parts) + "。")
            if ja
            else "Recommended hours per team (against the team's median hour): " + "; ".join(parts) + "."
        )

    # raw vs adjusted disagreements
    if adj_by:
        dis = e[(e["raw_verdict"] != e["verdict"]) & ~e["too_small"].astype(bool)]
        for r in dis.itertuples():
            # did the estimate move, or only the certainty? (a quarter of the interval width)
            moved = abs(r.diff - r.raw_diff) >= (r.diff_ci_high - r.diff_ci_low) / 4
            if moved:
                why = (
                    "どの担当者がその時間に多く架電しているかの違いが集計値に表れていると考えられます。"
                    if ja
                    else "The raw figure reflects which reps call at that hour."
                )
            else:
                why = (
                    f"推定値はほぼ同じ(中央値の時間帯との差: 集計値 {_pts(r.raw_diff, lang)}、調整後 "
                    f"{_pts(r.diff, lang)})で、担当者をそろえた分だけ判定が変わりました。"
                    f"境界的な差として扱ってください。"
                    if ja
                    else f"The estimates are close (difference from the median hour: raw {_pts(r.raw_diff, lang)}, "
                    f"adjusted {_pts(r.diff, lang)}); only the certainty changed, so treat it as borderline."
                )
            out.append(
                f"{hour_label(r.level, lang)}は集計値では{_RAW_LOOKS[lang][r.raw_verdict]}"
                f"({fmt.pct(r.raw_rate)})が、担当者をそろえると{_adjusted_says(r, result, lang)}"
                f"(差 {_pts(r.diff, lang)}、95%CI {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}、"
                f"多重比較補正後 {fmt.p_value(r.q_value, name='q')})。{why}"
                if ja
                else f"{hour_label(r.level, lang)} {_RAW_LOOKS[lang][r.raw_verdict]} in the raw counts "
                f"({fmt.pct(r.raw_rate)}), but holding the rep fixed {_adjusted_says(r, result, lang)} "
                f"(difference {_pts(r.diff, lang)}, 95% CI {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}, "
                f"BH-adjusted {fmt.p_value(r.q_value, name='q')}). {why}"
            )

    wd = result.effects[result.effects["factor"] == "weekday"]
    held_wd = (
        ("担当者と時間帯の違いをそろえた" if adj_by else "時間帯の違いをそろえた")
        if ja
        else ("holding rep and hour fixed" if adj_by else "holding hour fixed")
    )
    up, down = wd[wd["verdict"] == "above"], wd[wd["verdict"] == "below"]
    if len(wd) > 1:
        if len(up) or len(down):
            txt = []
            if len(up):
                txt.append(
                    ("中央値の曜日より高い曜日: " if ja else "higher than the median weekday: ")
                    + "、".join(
                        f"{level_label('weekday', x.level, lang)}({_pts(x.diff, lang)})" for x in up.itertuples()
                    )
                )
            if len(down):
                txt.append(
                    ("中央値の曜日より低い曜日: " if ja else "lower than the median weekday: ")
                    + "、".join(
                        f"{level_label('weekday', x.level, lang)}({_pts(x.diff, lang)})" for x in down.itertuples()
                    )
                )
            out.append(
                (f"曜日別({held_wd}推定)では、" + "/".join(txt) + "。")
                if ja
                else f"By weekday ({held_wd}): " + "; ".join(txt) + "."
            )
        else:
            pw = float(wd["factor_p_value"].iloc[0])
            ptxt = f"(尤度比検定 {_p_text(pw)})" if np.isfinite(pw) else ""
            out.append(
                f"曜日による{m}の確かな差は見られません({held_wd}推定{ptxt})。"
                if ja
                else f"No weekday differs reliably in {m.lower()} ({held_wd}"
                f"{', likelihood-ratio test ' + _p_text(pw) if np.isfinite(pw) else ''})."
            )

    reps = w[w["scope"] == "rep"] if len(w) else w
    if len(reps):
        n_reps = reps["group"].nunique()
        with_rec = reps.loc[reps["verdict"] == "recommend", "group"].unique()
        with_avoid = reps.loc[reps["verdict"] == "avoid", "group"].unique()
        out.append(
            f"担当者別では、十分な件数のある {n_reps} 人のうち {len(with_rec)} 人に本人の中央値の時間帯より"
            f"確実に高い時間帯、{len(with_avoid)} 人に確実に低い時間帯があります(全担当者×時間帯の検定を"
            f"まとめて多重比較補正、下の表)。"
            if ja
            else f"Per rep: {len(with_rec)} of the {n_reps} reps with enough calls have an hour reliably "
            f"above their median hour and {len(with_avoid)} one reliably below (BH across every "
            f"rep × hour test; table below)."
        )
    return out


RESEARCH_CONTEXT = {
    "ja": (
        "参考情報:海外の調査(MIT と InsideSales.com のリード対応調査)では、夕方の時間帯に"
        "コンタクトしやすいという報告があります。ただし業種・国・リストが異なるため、本レポートの"
        "推奨時間帯は自社データだけから判断しており、この調査値を目標や既定値には使っていません。"
    ),
    "en": (
        "Context only: a published study (MIT / InsideSales.com lead response study) reported "
        "late-afternoon contact peaks. Industry, country and lists differ, so the windows in this "
        "report come from our own data alone; the study is never used as a target or default."
    ),
}


# ----------------------------------------------------------------------------- claims
CLAIM_COLUMNS = ["metric", "where", "factor", "scope", "group", "level", "claim"]


def claims(result: TimingResult) -> pd.DataFrame:
    """Every hour or weekday effect a reader of the 04 page would see claimed for ``result``.

    Read from the verdicts the page is written from (never from the sentences): the headline tile
    "does the hour matter" (:meth:`TimingResult.hour_test`), the hour and weekday verdicts of the
    effects chart / table / findings (above, below) and the windows table (recommend, avoid; the
    whole data, each team and each rep). A verdict of 'small' is not a claim (the page says the
    difference may be too small to act on).

    Returns
    -------
    DataFrame with :data:`CLAIM_COLUMNS`: metric, where (headline / effects / windows), factor,
    scope, group, level, claim (hour_matters / above / below / recommend / avoid). Empty on a
    correct analysis of data without hour or weekday effects.
    """
    rows = []
    if result.hour_test()["shown"]:
        rows.append(
            {
                "where": "headline",
                "factor": "hour",
                "scope": "all",
                "group": "all",
                "level": None,
                "claim": "hour_matters",
            }
        )
    e = result.effects
    for r in e[e["verdict"].isin(("above", "below"))].itertuples():
        rows.append(
            {
                "where": "effects",
                "factor": r.factor,
                "scope": "all",
                "group": "all",
                "level": int(r.level),
                "claim": r.verdict,
            }
        )
    w = result.windows
    for r in w[w["verdict"].isin(("recommend", "avoid"))].itertuples():
        rows.append(
            {
                "where": "windows",
                "factor": "hour",
                "scope": r.scope,
                "group": r.group,
                "level": int(r.hour),
                "claim": r.verdict,
            }
        )
    out = pd.DataFrame(rows, columns=CLAIM_COLUMNS[1:])
    out.insert(0, "metric", result.metric)
    return out
