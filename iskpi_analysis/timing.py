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
- :func:`chi_square`        does the hour (or weekday) matter at all: chi-square + Cramér's V
- :func:`adjusted_effects`  hour and weekday effects from a logistic model holding the rep fixed
                            (aggregated binomial GLM), as adjusted rates and differences from the
                            average, with intervals and BH-adjusted p-values
- :func:`recommended_windows` hours reliably above / below the average, per group
- :func:`analyze`           all of the above for one metric → :class:`TimingResult`
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

_WEEKDAYS = {"ja": ["月", "火", "水", "木", "金", "土", "日"],
             "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
#: Reader-facing column names for the display tables (``df.rename(columns=column_labels(lang))``).
_COLUMN_LABELS = {
    "ja": {"scope": "単位", "group": "対象", "name": "名前", "calls": "架電数",
           "recommended": "推奨時間帯", "avoid": "避けたい時間帯", "note": "備考",
           "hour": "時間帯", "weekday": "曜日", "level": "区分", "n": "母数", "k": "件数",
           "rate": "率", "ci": "95%信頼区間", "raw_rate": "集計値", "adjusted_rate": "調整後",
           "diff": "平均との差(調整後)", "diff_ci": "差の95%信頼区間", "q_value": "q値(BH)",
           "verdict": "判定", "source": "リードソース", "segment": "セグメント", "role": "役割",
           "attempt": "同一リードへの架電回数目", "team": "チーム", "breakdown": "切り口",
           "raw_ci": "集計値の95%信頼区間", "adjusted_ci": "調整後の95%信頼区間"},
    "en": {"scope": "Scope", "group": "Group", "name": "Name", "calls": "Calls",
           "recommended": "Recommended hours", "avoid": "Hours to avoid", "note": "Note",
           "hour": "Hour", "weekday": "Weekday", "level": "Level", "n": "n", "k": "k",
           "rate": "Rate", "ci": "95% CI", "raw_rate": "Raw", "adjusted_rate": "Adjusted",
           "diff": "Diff. vs average (adjusted)", "diff_ci": "95% CI of diff.",
           "q_value": "q (BH)", "verdict": "Verdict", "source": "Lead source",
           "segment": "Segment", "role": "Role", "attempt": "Attempt on the same lead",
           "team": "Team", "breakdown": "Breakdown", "raw_ci": "95% CI (raw)",
           "adjusted_ci": "95% CI (adjusted)"},
}
_VERDICT_LABELS = {
    "ja": {"recommend": "推奨", "avoid": "避ける", "neutral": "差は不明確", "too_small": "件数不足"},
    "en": {"recommend": "recommended", "avoid": "avoid", "neutral": "no clear difference",
           "too_small": "too few calls"},
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
    return hour_label(level, lang) if factor == "hour" else (
        weekday_label(level, lang) + ("曜" if lang == "ja" else ""))


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
        out = out.assign(valid_conversation=out["connected"].astype(bool)
                         & (out["talk_seconds"] >= config.VALID_TALK_SECONDS))
    return out


def _pandas_counts(calls: pd.DataFrame, by, include_non_business: bool) -> pd.DataFrame:
    calls = _local_columns(calls)
    if not include_non_business:
        calls = calls[calls["business_day"].astype(bool)]
    keys = list(by)
    extra = [c for c in ("team_id", "role") if "rep_id" in keys and c in calls.columns
             and c not in keys]
    frame = pd.DataFrame({k: calls[k] for k in keys + extra})
    frame["calls"] = 1
    frame["connects"] = calls["connected"].astype(bool).astype("int64")
    frame["valid_conversations"] = calls["valid_conversation"].astype(bool).astype("int64")
    frame["appointments"] = calls["appointment"].astype(bool).astype("int64")
    agg = {c: "sum" for c in COUNT_COLUMNS} | {c: "first" for c in extra}
    out = frame.groupby(keys, observed=True, sort=True, dropna=False).agg(agg).reset_index()
    return out[keys + extra + list(COUNT_COLUMNS)]


def call_counts(data, *, by=("rep_id", "weekday", "hour"),
                include_non_business: bool = False, rep: str | None = None) -> pd.DataFrame:
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
    return call_counts(data, by=("rep_id", "weekday", "hour"),
                       include_non_business=include_non_business)


# ----------------------------------------------------------------------------- raw rates
def rate_table(data, *, by=("hour",), metric: str = "connect_rate", min_calls: int = 30,
               include_non_business: bool = False, confidence: float = 0.95,
               complete: bool = True) -> pd.DataFrame:
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
    pt = st.proportion_table(g[num].to_numpy(), g[den].to_numpy(), confidence=confidence,
                             min_trials=min_calls)
    out = g.reset_index()
    for c in ("n", "k", "rate", "ci_low", "ci_high", "too_small"):
        out[c] = pt[c].to_numpy()
    return out


def overall_rate(data, *, metric: str = "connect_rate", include_non_business: bool = False,
                 confidence: float = 0.95) -> dict:
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


def chi_square(data, *, factor: str = "hour", metric: str = "connect_rate", min_calls: int = 30,
               include_non_business: bool = False) -> pd.DataFrame:
    """Chi-square test of independence of ``factor`` × success (e.g. hour × connected).

    Levels whose denominator is below ``min_calls`` are left out of the test.

    Returns
    -------
    One-row DataFrame: factor, metric, levels (tested), levels_dropped, n, chi2, dof, p_value,
    cramers_v (sqrt(chi2 / n) for the 2-column table) and effect_size (negligible < 0.1 ≤ small
    < 0.3 ≤ medium < 0.5 ≤ large, Cohen).
    """
    _check("factor", factor, FACTORS)
    t = rate_table(data, by=factor, metric=metric, min_calls=min_calls,
                   include_non_business=include_non_business)
    ok = t[~t["too_small"] & (t["n"] > 0)]
    row = {"factor": factor, "metric": metric, "levels": len(ok),
           "levels_dropped": int((t["n"] > 0).sum() - len(ok)), "n": int(ok["n"].sum()),
           "chi2": np.nan, "dof": np.nan, "p_value": np.nan, "cramers_v": np.nan}
    table = np.column_stack([ok["k"], ok["n"] - ok["k"]]).astype(float)
    if len(ok) >= 2 and (table.sum(axis=0) > 0).all():
        chi2, p, dof, _ = _st.chi2_contingency(table, correction=False)
        row.update(chi2=float(chi2), dof=int(dof), p_value=float(p),
                   cramers_v=float(np.sqrt(chi2 / table.sum())))
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
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = np.where(k > 0, k * np.log(k / (n * mu)), 0.0)
            t2 = np.where(n - k > 0, (n - k) * np.log((n - k) / (n * (1 - mu))), 0.0)
        return 2 * float(np.sum(t1 + t2))

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


def adjusted_effects(data, *, metric: str = "connect_rate", factors=FACTORS,
                     adjust_for: str | None = "rep_id", min_calls: int = 30,
                     include_non_business: bool = False, confidence: float = 0.95,
                     alpha: float = 0.05, min_lift: float = 0.0) -> pd.DataFrame:
    """Hour and weekday effects from a logistic model that holds the rep fixed.

    The model is a binomial GLM on aggregated counts per rep × weekday × hour,
    ``logit p = intercept + hour + weekday + rep`` (treatment dummies). Levels (hours, weekdays)
    with fewer than ``min_calls`` trials are left out of the fit, and so are reps whose every
    call succeeded or failed (they say nothing about hours once the rep is fixed). Effects are
    reported as *adjusted rates*: the model's average prediction over the observed mix of reps
    and weekdays with every call moved to that hour (marginal standardisation), compared with
    the average of the fitted calls (= the observed average rate), with delta-method intervals.

    Parameters
    ----------
    adjust_for : str or None
        Column held fixed (``"rep_id"``); None fits hour + weekday only (one rep).
    alpha : float
        A level is ``above`` / ``below`` the average when its BH-adjusted p-value (across the
        levels of the factor) is below ``alpha``, so its (1 - alpha) interval of the difference
        excludes 0, and the interval clears ``min_lift``.
    min_lift : float
        Smallest difference (rate units, e.g. 0.01 = 1 point) worth calling above / below.

    Returns
    -------
    DataFrame, one row per factor level: factor, level, n, k, raw_rate, raw_ci_low, raw_ci_high,
    raw_diff (raw rate − raw average of the factor's judged levels), raw_q_value, raw_verdict
    (above / below / small / neutral / too_small, see :func:`_verdict`: the same test as the adjusted verdict — delta-method
    interval of the difference from the average, BH within the factor, ``min_lift`` — without
    the model, so that a raw/adjusted disagreement reflects the adjustment, not two criteria),
    adjusted_rate, adjusted_ci_low, adjusted_ci_high, average_rate, diff (adjusted − average),
    diff_ci_low, diff_ci_high, p_value, q_value (BH within the factor), verdict (above / below /
    small / neutral / too_small), too_small, adjusted_for (the held-fixed column or '').
    """
    _check("metric", metric, METRICS)
    factors = [factors] if isinstance(factors, str) else list(factors)
    for f in factors:
        _check("factor", f, FACTORS)
    if adjust_for is not None and adjust_for in factors:
        raise ValueError("adjust_for must not be one of the factors")
    num, den = METRICS[metric]
    needed = factors + ([adjust_for] if adjust_for else [])
    counts = _as_counts(data, needed, include_non_business)
    z = _st.norm.ppf(0.5 + confidence / 2)

    raw = {f: rate_table(counts, by=f, metric=metric, min_calls=min_calls,
                         confidence=confidence) for f in factors}
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

    est = {}
    if len(df) and df[num].sum() > 0 and (df[num] < df[den]).any():
        n = df[den].to_numpy(float)
        k = df[num].to_numpy(float)
        X, spec = _design(df, keys, n)
        beta, V = fit_binomial(k, n, X)
        w = n / n.sum()
        p = expit(X @ beta)
        avg = float(w @ p)
        g_avg = (w * p * (1 - p)) @ X
        for f in factors:
            fs = spec[f]
            fcols = list(fs["cols"].values())
            for lev in fs["levels"]:
                Xh = X.copy()
                Xh[:, fcols] = 0.0
                if lev != fs["ref"]:
                    Xh[:, fs["cols"][lev]] = 1.0
                ph = expit(Xh @ beta)
                ar = float(w @ ph)
                gh = (w * ph * (1 - ph)) @ Xh
                se_ar = float(np.sqrt(max(gh @ V @ gh, 0.0)))
                gd = gh - g_avg
                se_d = float(np.sqrt(max(gd @ V @ gd, 0.0)))
                d = ar - avg
                pval = float(2 * _st.norm.sf(abs(d) / se_d)) if se_d > 0 else np.nan
                if len(fs["levels"]) < 2:
                    d, se_d, pval = np.nan, np.nan, np.nan
                est[(f, lev)] = {"adjusted_rate": ar,
                                 "adjusted_ci_low": max(ar - z * se_ar, 0.0),
                                 "adjusted_ci_high": min(ar + z * se_ar, 1.0),
                                 "average_rate": avg, "diff": d, "diff_ci_low": d - z * se_d,
                                 "diff_ci_high": d + z * se_d, "p_value": pval}

    rows = []
    for f in factors:
        r = raw[f]
        part = []
        for _, x in r[r["n"] > 0].iterrows():
            lev = x[f]
            e = est.get((f, lev), {})
            part.append({"factor": f, "level": int(lev), "n": int(x["n"]), "k": int(x["k"]),
                         "raw_rate": x["rate"], "raw_ci_low": x["ci_low"],
                         "raw_ci_high": x["ci_high"],
                         "adjusted_rate": e.get("adjusted_rate", np.nan),
                         "adjusted_ci_low": e.get("adjusted_ci_low", np.nan),
                         "adjusted_ci_high": e.get("adjusted_ci_high", np.nan),
                         "average_rate": e.get("average_rate", np.nan),
                         "diff": e.get("diff", np.nan),
                         "diff_ci_low": e.get("diff_ci_low", np.nan),
                         "diff_ci_high": e.get("diff_ci_high", np.nan),
                         "p_value": e.get("p_value", np.nan), "too_small": bool(x["too_small"])})
        part = pd.DataFrame(part)
        if len(part):
            part = part.join(_raw_tests(part, z=z, alpha=alpha, min_lift=min_lift))
            part["q_value"] = st.bh_adjust(part["p_value"].to_numpy())
            part["verdict"] = _verdict(part["q_value"] < alpha, part["diff_ci_low"],
                                       part["diff_ci_high"], part["too_small"], min_lift)
            rows.append(part)
    cols = ["factor", "level", "n", "k", "raw_rate", "raw_ci_low", "raw_ci_high", "raw_diff",
            "raw_q_value", "raw_verdict", "adjusted_rate", "adjusted_ci_low", "adjusted_ci_high",
            "average_rate", "diff", "diff_ci_low", "diff_ci_high", "p_value", "q_value", "verdict", "too_small"]
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    out = out[cols]
    out["adjusted_for"] = adj or ""
    return out


def _verdict(sig, lo, hi, too_small, min_lift: float) -> np.ndarray:
    """The one rule for a level's verdict against the average: 'too_small'; 'above' / 'below'
    when the BH-significant difference's interval clears ``min_lift``; 'small' when it is
    significant but may be under ``min_lift``; else 'neutral'."""
    sig, lo, hi = np.asarray(sig, bool), np.asarray(lo, float), np.asarray(hi, float)
    return np.where(np.asarray(too_small, bool), "too_small",
                    np.where(sig & (lo > min_lift), "above",
                             np.where(sig & (hi < -min_lift), "below",
                                      np.where(sig, "small", "neutral"))))


def _raw_tests(part: pd.DataFrame, *, z: float, alpha: float, min_lift: float) -> pd.DataFrame:
    """Raw difference of each level from the average of the judged levels, with the variance
    of p_h − Σ w_l p_l (p_h is part of the average: (1 − 2 w_h) v_h + Σ w_l² v_l), a z-test,
    BH within the factor and the same verdict rule as the adjusted effects."""
    ok = ~part["too_small"].to_numpy(bool) & (part["n"].to_numpy() > 0)
    n = part["n"].to_numpy(float)
    k = part["k"].to_numpy(float)
    diff = np.full(len(part), np.nan)
    pv = np.full(len(part), np.nan)
    lo = np.full(len(part), np.nan)
    hi = np.full(len(part), np.nan)
    if ok.sum() >= 2:
        N = n[ok].sum()
        w = np.where(ok, n / N, 0.0)
        p = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
        v = np.where(ok, p * (1 - p) / np.where(n > 0, n, 1), 0.0)
        avg = k[ok].sum() / N
        var = (w ** 2 * v).sum() + (1 - 2 * w) * v
        se = np.sqrt(np.clip(var, 0, None))
        diff = np.where(ok, p - avg, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            pv = np.where(ok & (se > 0), 2 * _st.norm.sf(np.abs(diff) / se), np.nan)
        lo, hi = diff - z * se, diff + z * se
    q = st.bh_adjust(pv)
    verdict = _verdict(q < alpha, lo, hi, ~ok, min_lift)
    return pd.DataFrame({"raw_diff": diff, "raw_q_value": q, "raw_verdict": verdict},
                        index=part.index)


def recommended_windows(data, *, by: str | None = None, metric: str = "connect_rate",
                        min_calls: int = 30, min_group_calls: int = 300,
                        include_non_business: bool = False, alpha: float = 0.05,
                        min_lift: float = 0.0) -> pd.DataFrame:
    """Calling hours reliably above (recommend) or below (avoid) the group's average.

    For the whole data (``by=None``) or each team (``by="team_id"``) the hour effects are
    adjusted for rep and weekday; for each rep (``by="rep_id"``) for weekday. Only the
    intervals decide (see :func:`adjusted_effects`); groups whose denominator is below
    ``min_group_calls`` are skipped.

    Returns
    -------
    DataFrame, one row per group × hour: scope (all / team / rep), group ('all', team_id or
    rep_id), group_n (denominator of the group), hour, n, raw_rate, adjusted_rate, average_rate,
    diff, diff_ci_low, diff_ci_high, q_value, verdict (recommend / avoid / neutral / too_small).
    """
    _check("by", by, (None, "team_id", "rep_id"))
    num, den = METRICS[metric] if metric in METRICS else (None, None)
    _check("metric", metric, METRICS)
    counts = _as_counts(data, [c for c in ("rep_id", "weekday", "hour") if c != by] +
                        ([by] if by else []), include_non_business)
    groups = [("all", counts)] if by is None else list(counts.groupby(by, observed=True))
    scope = {None: "all", "team_id": "team", "rep_id": "rep"}[by]
    adjust_for = None if by == "rep_id" or "rep_id" not in counts.columns else "rep_id"
    parts = []
    for gid, sub in groups:
        gid = gid[0] if isinstance(gid, tuple) else gid
        total = int(sub[den].sum())
        if total < min_group_calls:
            continue
        eff = adjusted_effects(sub, metric=metric, factors=("hour", "weekday"),
                               adjust_for=adjust_for, min_calls=min_calls, alpha=alpha,
                               min_lift=min_lift)
        eff = eff[eff["factor"] == "hour"].rename(columns={"level": "hour"})
        eff.insert(0, "group_n", total)
        eff.insert(0, "group", str(gid))
        eff.insert(0, "scope", scope)
        eff["verdict"] = eff["verdict"].map({"above": "recommend", "below": "avoid", "small": "neutral",
                                             "neutral": "neutral", "too_small": "too_small"})
        parts.append(eff)
    cols = ["scope", "group", "group_n", "hour", "n", "raw_rate", "adjusted_rate",
            "average_rate", "diff", "diff_ci_low", "diff_ci_high", "q_value", "verdict"]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def windows_summary(windows: pd.DataFrame, *, names: dict | None = None,
                    lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
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
            note = (f"最大 {best['diff'] * 100:+.1f}ポイント({hour_label(best['hour'], lang)}、"
                    f"95%CI {_pts_ci(best['diff_ci_low'], best['diff_ci_high'], lang)})"
                    if lang == "ja" else
                    f"largest lift {best['diff'] * 100:+.1f} pts at {hour_label(best['hour'], lang)}"
                    f" (95% CI {_pts_ci(best['diff_ci_low'], best['diff_ci_high'], lang)})")
        else:
            note = ("平均より確実に高い時間帯はありません" if lang == "ja"
                    else "no hour reliably above the average")
        label = "全体" if (lang == "ja" and group == "all") else ("All" if group == "all" else group)
        rows.append({"scope": scope, "group": group, "name": names.get(group, label),
                     "calls": int(g["group_n"].iloc[0]),
                     "recommended": hour_windows(rec["hour"], lang),
                     "avoid": hour_windows(avoid["hour"], lang), "note": note})
    return pd.DataFrame(rows, columns=["scope", "group", "name", "calls", "recommended",
                                       "avoid", "note"])


# ----------------------------------------------------------------------------- display tables
_EFFECT_VERDICTS = {
    "ja": {"above": "平均より高い", "below": "平均より低い", "small": "差はあるが小さい", "neutral": "差は不明確",
           "too_small": "件数不足"},
    "en": {"above": "above average", "below": "below average", "small": "real but small difference",
           "neutral": "no clear difference", "too_small": "too few calls"},
}


def _rate_ci_text(rate, lo, hi, too_small: bool, n, lang: str) -> str:
    if too_small or not np.isfinite(rate):
        return (f"件数不足(n={fmt.num(n)})" if lang == "ja" else f"too few (n={fmt.num(n)})")
    digits = 2 if rate < 0.1 else 1
    return f"{fmt.pct(rate, digits)} [{fmt.pct(lo, digits)}, {fmt.pct(hi, digits)}]"


def rep_team_names(data) -> dict:
    """rep_id → display name of the rep's team (team_name, else team_id)."""
    reps = getattr(data, "reps", None)
    if reps is None:
        return {}
    names = data.names()
    return {str(r): names.get(str(t), str(t)) for r, t in zip(reps["rep_id"], reps["team_id"])}


def window_hours(windows: pd.DataFrame, verdict: str = "recommend", *, scope: str = "all",
                 group: str | None = None) -> list[int]:
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
        return (f"{b}(1ヶ月)" if a == b else f"{a}〜{b}({months}ヶ月)")
    return f"{b} (1 month)" if a == b else f"{a} to {b} ({months} months)"


def scope_note(data, *, month: str, months: int = 3, rep: str | None = None,
               include_non_business: bool = False, lang: str = config.DEFAULT_LANG) -> str:
    """One line saying what the page covers: team (or rep), period, which days."""
    _check_lang(lang)
    ja = lang == "ja"
    names = data.names()
    team = getattr(data, "team", "all")
    who = ("全チーム" if ja else "all teams") if team in (None, "all") else names.get(team, team)
    if rep:
        who += (f"・担当者 {names.get(rep, rep)}({rep})" if ja else f", rep {names.get(rep, rep)} ({rep})")
    days = ("全日(土日祝を含む)" if include_non_business else "営業日のみ(土日祝を除く)") if ja else \
        ("all days (weekends and holidays included)" if include_non_business else
         "business days only (weekends and Japanese holidays excluded)")
    per = period_label(month, months, lang)
    return (f"対象: {who} / 期間: {per} / {days}" if ja else
            f"Scope: {who} / period: {per} / {days}")


def missing_breakdowns_note(data, available, lang: str = config.DEFAULT_LANG) -> str:
    """Which breakdowns are skipped and why ('' when none is)."""
    _check_lang(lang)
    missing = [b for b in BREAKDOWNS if b not in available]
    if not missing:
        return ""
    lab = column_labels(lang)
    why = {"source": "leads", "segment": "leads", "role": "reps", "attempt": "calls.lead_id"}
    items = "、".join(f"{lab[b]}({why[b]})" for b in missing) if lang == "ja" else \
        ", ".join(f"{lab[b]} ({why[b]})" for b in missing)
    return (f"データに必要な列・テーブルがない(または区分が1つしかない)ため省略した切り口: {items}"
            if lang == "ja" else
            f"Breakdowns skipped because the data lacks the column or table (or has one group only): {items}")


def windows_table(windows: pd.DataFrame, *, scope=("all", "team"), names: dict | None = None,
                  rep_teams: dict | None = None, data=None,
                  lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
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
    summ = windows_summary(rows, names=names, lang=lang) if len(rows) else pd.DataFrame(
        columns=["scope", "group", "name", "calls", "recommended", "avoid", "note"])
    reps_only = scope == ("rep",)
    if reps_only and rep_teams:
        summ.insert(0, "team", [rep_teams.get(g, "") for g in summ["group"]])
        summ = summ.sort_values(["team", "name"], kind="stable")
    summ["calls"] = [fmt.num(x) for x in summ["calls"]]
    # per rep the table stays short: the windows only (the lift is in the team rows and findings)
    cols = (["team"] if "team" in summ.columns else []) + ["name", "calls", "recommended", "avoid"] \
        + ([] if reps_only else ["note"])
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
            _rate_ci_text(x.rate, x.ci_low, x.ci_high, bool(x.too_small) or x.n == 0, x.n, lang)
            for x in t.itertuples()]
    base["hour"] = [hour_label(h, lang) for h in base["hour"]]
    base["calls"] = [fmt.num(x) for x in base["calls"]]
    return base.rename(columns={"hour": lab["hour"], "calls": lab["calls"]}).reset_index(drop=True)


def effects_table(effects: pd.DataFrame, *, factor: str = "hour",
                  lang: str = config.DEFAULT_LANG) -> pd.DataFrame:
    """Reader-facing table of :func:`adjusted_effects` for one factor: n, raw and adjusted rate
    with intervals, the adjusted difference from the average (points) with its interval, the
    BH q-value and the verdict."""
    _check("factor", factor, FACTORS)
    _check_lang(lang)
    lab = column_labels(lang)
    e = effects[effects["factor"] == factor].sort_values("level")
    pts = "ポイント" if lang == "ja" else " pts"
    out = pd.DataFrame({
        lab[factor]: [level_label(factor, v, lang) for v in e["level"]],
        lab["n"]: [fmt.num(x) for x in e["n"]],
        lab["raw_rate"]: [_rate_ci_text(r.raw_rate, r.raw_ci_low, r.raw_ci_high, False, r.n, lang)
                          for r in e.itertuples()],
        lab["adjusted_rate"]: [_rate_ci_text(r.adjusted_rate, r.adjusted_ci_low, r.adjusted_ci_high,
                                             bool(r.too_small), r.n, lang) for r in e.itertuples()],
        lab["diff"]: ["–" if not np.isfinite(r.diff) else
                      f"{_pts(r.diff, lang).replace(pts, '')} {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}"
                      for r in e.itertuples()],
        lab["q_value"]: ["–" if not np.isfinite(q) else ("<0.001" if q < 0.001 else f"{q:.3f}")
                         for q in e["q_value"]],
        lab["verdict"]: [_EFFECT_VERDICTS[lang][v] for v in e["verdict"]],
    })
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
            rows.append({lab["breakdown"]: lab[by] if i == 0 else "",
                         lab["group"]: attempt_label(r.group, lang) if by == "attempt" else str(r.group),
                         lab["n"]: fmt.num(r.n),
                         lab["rate"]: _rate_ci_text(r.rate, r.ci_low, r.ci_high, bool(r.too_small),
                                                    r.n, lang)})
    return pd.DataFrame(rows, columns=[lab["breakdown"], lab["group"], lab["n"], lab["rate"]])


def headline(result: "TimingResult", *, lang: str = config.DEFAULT_LANG,
             period: str | None = None) -> list[dict]:
    """2–3 headline items for the report index: overall rate, recommended window, whether the
    hour matters. ``period``: text added to the first note (e.g. '2026-08〜2026-10')."""
    _check_lang(lang)
    ja = lang == "ja"
    o = result.overall
    den = kpis.label(METRICS[result.metric][1], lang)
    m = metric_label(result.metric, lang)
    note = (f"{den} {fmt.num(o['n'])}件" if ja else f"{fmt.num(o['n'])} {den.lower()}")
    if period:
        note += f"・{period}" if ja else f", {period}"
    items = [{"label": m, "value": fmt.pct(o["rate"]), "note": note}]
    w = result.windows
    rec = w[(w["scope"] == "all") & (w["verdict"] == "recommend")]["hour"] if len(w) else []
    items.append({"label": "推奨架電時間帯" if ja else "Recommended calling hours",
                  "value": hour_windows(rec, lang),
                  "note": "担当者をそろえた推定で平均より確実に高い時間帯" if ja
                  else "reliably above the average, rep held fixed"})
    c = result.chi2.set_index("factor").loc["hour"] if len(result.chi2) else None
    if c is not None and np.isfinite(c["p_value"]):
        sig = c["p_value"] < result.alpha
        items.append({"label": "時間帯による差" if ja else "Does the hour matter?",
                      "value": ("あり" if sig else "確認できず") if ja else ("yes" if sig else "not shown"),
                      "note": f"{fmt.p_value(c['p_value'])}, Cramér's V={c['cramers_v']:.2f}"})
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


_BD_COLS = ["call_id", "rep_id", "lead_id", "started_at", "hour", "business_day", "connected",
            "valid_conversation", "appointment", "role"]


def _is_dataset(data) -> bool:
    return hasattr(data, "query") and hasattr(data, "sql") and not isinstance(data, pd.DataFrame)


def _bd_calls(data) -> pd.DataFrame:
    if hasattr(data, "query") and not isinstance(data, pd.DataFrame):
        return data.query(f"SELECT {', '.join(_BD_COLS)} FROM {data.sql('calls')}")
    return _local_columns(_calls_of(data))


def breakdown(data, *, by: str, metric: str = "connect_rate", hourly: bool = False,
              min_calls: int = 30, include_non_business: bool = False, attempt_cap: int = 5,
              history=None, rep: str | None = None) -> pd.DataFrame:
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
            raise ValueError(f"rep must be one of the reps with calls "
                             f"{tuple(sorted(calls['rep_id'].astype(str).unique()))}, got {rep!r}")
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
                f"(SELECT call_id FROM {data.sql('calls')})")
            a = pd.Series(a["attempt"].to_numpy(float), index=a["call_id"].to_numpy())
        else:
            hist = all_calls if history is data else _bd_calls(history)
            a = attempt_numbers(hist, cap=attempt_cap)
            a = pd.Series(a.to_numpy(dtype=float, na_value=np.nan), index=hist["call_id"].to_numpy())
        a = a[~a.index.duplicated()].reindex(calls["call_id"].to_numpy()).to_numpy(float)
        whole = np.where(np.isnan(a), 0, a).astype(np.int64).astype(str)
        group = np.where(np.isnan(a), None,
                         np.where(a >= attempt_cap, f"{attempt_cap}+", whole)).astype(object)
    frame = calls.assign(group=pd.array(group, dtype="string"))
    frame = frame[frame["group"].notna()]
    keys = ["group"] + (["hour"] if hourly else [])
    counts = _pandas_counts(frame, keys, include_non_business=True)
    out = rate_table(counts, by=keys, metric=metric, min_calls=min_calls, complete=False)
    if by == "attempt":
        out = out.sort_values(["group"] + (["hour"] if hourly else []),
                              key=lambda s: s.str.rstrip("+").astype(int) if s.name == "group" else s)
        out = out.reset_index(drop=True)
    return out


# ----------------------------------------------------------------------------- bundle
@dataclass
class TimingResult:
    """Everything the notebook shows for one metric (see :func:`analyze`)."""

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


def analyze(data, *, metric: str = "connect_rate", min_calls: int = 30,
            include_non_business: bool = False, alpha: float = 0.05, min_lift: float = 0.0,
            min_rep_calls: int = 300, per_team: bool = True, per_rep: bool = True,
            counts: pd.DataFrame | None = None) -> TimingResult:
    """Run the whole time-of-day analysis for one metric.

    ``counts`` (a :func:`call_counts` table) can be passed to reuse one counting pass across
    metrics. Windows: the whole data, each team (when there are several) and each rep whose
    denominator reaches ``min_rep_calls``.
    """
    _check("metric", metric, METRICS)
    if counts is None:
        counts = _as_counts(data, ("rep_id", "weekday", "hour"), include_non_business)
    kw = dict(metric=metric, min_calls=min_calls)
    windows = [recommended_windows(counts, by=None, alpha=alpha, min_lift=min_lift,
                                   min_group_calls=0, **kw)]
    if per_team and "team_id" in counts.columns and counts["team_id"].nunique() > 1:
        windows.append(recommended_windows(counts, by="team_id", alpha=alpha, min_lift=min_lift,
                                           min_group_calls=min_rep_calls, **kw))
    if per_rep and "rep_id" in counts.columns:
        windows.append(recommended_windows(counts, by="rep_id", alpha=alpha, min_lift=min_lift,
                                           min_group_calls=min_rep_calls, **kw))
    windows = pd.concat([w for w in windows if len(w)], ignore_index=True) if any(
        len(w) for w in windows) else windows[0]
    num, den = METRICS[metric]
    return TimingResult(
        metric=metric, min_calls=min_calls, include_non_business=include_non_business,
        alpha=alpha, counts=counts,
        overall=overall_rate(counts, metric=metric),
        by_hour=rate_table(counts, by="hour", **kw),
        by_weekday=rate_table(counts, by="weekday", **kw),
        by_cell=rate_table(counts, by=("weekday", "hour"), **kw),
        chi2=pd.concat([chi_square(counts, factor=f, **kw) for f in FACTORS], ignore_index=True),
        effects=adjusted_effects(counts, alpha=alpha, min_lift=min_lift, **kw),
        windows=windows,
        info={"reps": int(counts["rep_id"].nunique()) if "rep_id" in counts.columns else 0,
              "rep_windows": int((windows["scope"] == "rep").groupby(windows["group"]).any().sum())
              if len(windows) else 0},
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


def findings(result: TimingResult, *, lang: str = config.DEFAULT_LANG,
             names: dict | None = None) -> list[str]:
    """Plain sentences generated from a :class:`TimingResult`, saying how sure they are.

    Covers: scope and average, whether the hour matters (chi-square, Cramér's V), raw best and
    worst hours, the rep-adjusted recommended / avoid hours, where the raw and the adjusted
    picture disagree, weekday effects, per-rep windows. Published studies are never used here.
    """
    _check_lang(lang)
    ja = lang == "ja"
    names = names or {}
    m = metric_label(result.metric, lang)
    out = []
    o = result.overall
    if o["n"] == 0:
        return ["対象期間に架電データがありません。" if ja else "There are no calls in the period."]
    scope = ("営業日(土日祝を除く)" if not result.include_non_business else "全日(土日祝を含む)") if ja \
        else ("business days only (weekends and holidays excluded)"
              if not result.include_non_business else "all days (weekends and holidays included)")
    num, den = METRICS[result.metric]
    den_label = kpis.label(den, lang)
    if ja:
        out.append(f"対象は{scope}の{den_label} {fmt.num(o['n'])} 件で、{m}は全体で {fmt.pct(o['rate'])}"
                   f"(95%信頼区間 {fmt.ci(o['ci_low'], o['ci_high'])})です。")
    else:
        out.append(f"The analysis covers {fmt.num(o['n'])} {den_label.lower()} on {scope}; the overall "
                   f"{m.lower()} is {fmt.pct(o['rate'])} (95% CI {fmt.ci(o['ci_low'], o['ci_high'])}).")

    c = result.chi2.set_index("factor").loc["hour"]
    if np.isnan(c["p_value"]):
        out.append("時間帯別に比べられるだけの件数がありません。" if ja else
                   "There are not enough calls to compare hours.")
    else:
        size = {"negligible": "ごく小さい", "small": "小さい", "medium": "中程度の", "large": "大きい"}
        if c["p_value"] < result.alpha:
            out.append(f"時間帯によって{m}は統計的に明確に異なります(カイ二乗検定 {fmt.p_value(c['p_value'])}、"
                       f"効果量 Cramér's V={c['cramers_v']:.3f}:{size.get(c['effect_size'], '')}差)。"
                       if ja else
                       f"The {m.lower()} differs between hours (chi-square {fmt.p_value(c['p_value'])}, "
                       f"Cramér's V={c['cramers_v']:.3f}: a {c['effect_size']} effect).")
        else:
            out.append(f"時間帯による{m}の差は、偶然の範囲を超えるとは言えません(カイ二乗検定 "
                       f"{fmt.p_value(c['p_value'])}、Cramér's V={c['cramers_v']:.3f})。"
                       if ja else
                       f"The hour-to-hour differences in {m.lower()} are within chance "
                       f"(chi-square {fmt.p_value(c['p_value'])}, Cramér's V={c['cramers_v']:.3f}).")

    h = result.by_hour[~result.by_hour["too_small"] & (result.by_hour["n"] > 0)]
    if len(h) >= 2:
        best, worst = h.loc[h["rate"].idxmax()], h.loc[h["rate"].idxmin()]
        out.append(f"集計値で最も高いのは{hour_label(best['hour'], lang)}({fmt.pct(best['rate'])}、"
                   f"n={fmt.num(best['n'])})、最も低いのは{hour_label(worst['hour'], lang)}"
                   f"({fmt.pct(worst['rate'])}、n={fmt.num(worst['n'])})です。" if ja else
                   f"In the raw counts the highest hour is {hour_label(best['hour'], lang)} "
                   f"({fmt.pct(best['rate'])}, n={fmt.num(best['n'])}) and the lowest "
                   f"{hour_label(worst['hour'], lang)} ({fmt.pct(worst['rate'])}, n={fmt.num(worst['n'])}).")
    small = result.by_hour[result.by_hour["too_small"] & (result.by_hour["n"] > 0)]
    if len(small):
        out.append(f"{hour_windows(small['hour'], lang)}は{den_label}が{result.min_calls}件未満のため判断の対象外です。"
                   if ja else f"{hour_windows(small['hour'], lang)} had fewer than {result.min_calls} "
                   f"{den_label.lower()} and are not judged.")

    e = result.effects[result.effects["factor"] == "hour"]
    adj_by = e["adjusted_for"].iloc[0] if len(e) else ""
    held = ("担当者と曜日の違いをそろえた" if adj_by else "曜日の違いをそろえた") if ja else \
        ("holding rep and weekday fixed" if adj_by else "holding weekday fixed")
    w = result.windows
    w_all = w[w["scope"] == "all"] if len(w) else w
    rec = w_all[w_all["verdict"] == "recommend"] if len(w_all) else w_all
    avoid = w_all[w_all["verdict"] == "avoid"] if len(w_all) else w_all
    if len(rec):
        parts = "、".join(f"{hour_label(r.hour, lang)}({_pts(r.diff, lang)}、95%CI "
                         f"{_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)})" for r in rec.itertuples()) if ja else \
            "; ".join(f"{hour_label(r.hour, lang)} ({_pts(r.diff, lang)}, 95% CI "
                      f"{_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)})" for r in rec.itertuples())
        out.append(f"{held}推定で、平均より確実に高い時間帯は {hour_windows(rec['hour'], lang)} です:{parts}。"
                   f"多重比較(BH法)を補正しても95%信頼区間が平均を上回っており、推奨架電時間帯とします。"
                   if ja else
                   f"{held.capitalize()}, the hours reliably above the average are "
                   f"{hour_windows(rec['hour'], lang)}: {parts}; their 95% intervals stay above the "
                   f"average after BH correction, so they are the recommended calling windows.")
    elif len(e):
        out.append(f"{held}推定では、平均より確実に高いと言える時間帯はありません。推奨時間帯は設けず、"
                   f"件数を積み上げて再確認してください。" if ja else
                   f"{held.capitalize()}, no hour is reliably above the average, so no window is "
                   f"recommended; collect more calls and re-check.")
    if len(avoid):
        diffs = ("、" if ja else ", ").join(f"{hour_label(r.hour, lang)} {_pts(r.diff, lang)}"
                                            for r in avoid.itertuples())
        out.append(f"平均より確実に低く、避けたい時間帯は {hour_windows(avoid['hour'], lang)} です"
                   f"(調整後の平均との差: {diffs})。" if ja else
                   f"Hours reliably below the average, to avoid: {hour_windows(avoid['hour'], lang)} "
                   f"(adjusted difference from the average: {diffs}).")
    teams = w[w["scope"] == "team"] if len(w) else w
    if len(teams):
        parts = []
        for gid, g in teams.groupby("group", sort=True):
            rec_t = g.loc[g["verdict"] == "recommend", "hour"]
            parts.append(f"{names.get(gid, gid)} {hour_windows(rec_t, lang)}")
        out.append((f"チーム別(各チームの平均と比較)の推奨時間帯: " + "/".join(parts) + "。") if ja else
                   "Recommended hours per team (against each team's own average): "
                   + "; ".join(parts) + ".")

    # raw vs adjusted disagreements
    if adj_by:
        dis = e[(e["raw_verdict"] != e["verdict"]) & ~e["too_small"]]
        for r in dis.itertuples():
            raw_t = {"above": "平均より高く見えます", "below": "平均より低く見えます",
                     "small": "平均とわずかに違って見えます",
                     "neutral": "平均と差がないように見えます"} if ja else \
                {"above": "looks above the average", "below": "looks below the average",
                 "small": "looks slightly different from the average",
                 "neutral": "looks no different from the average"}
            adj_t = {"above": "平均より確実に高くなります", "below": "平均より確実に低くなります",
                     "small": "平均との差はあるものの小さく(窓の判定に使う最小の差に届かない可能性があり)、"
                              "推奨・回避の対象にはしません",
                     "neutral": "平均との差は確認できません"} if ja else \
                {"above": "it is reliably above the average", "below": "it is reliably below the average",
                 "small": "the difference is real but small (it may not reach the smallest difference "
                          "a window needs), so the hour is neither recommended nor avoided",
                 "neutral": "no difference from the average can be confirmed"}
            # did the estimate move, or only the certainty? (a quarter of the interval width)
            moved = abs(r.diff - r.raw_diff) >= (r.diff_ci_high - r.diff_ci_low) / 4
            if moved:
                why = ("どの担当者がその時間に多く架電しているかの違いが集計値に表れていると考えられます。"
                       if ja else "The raw figure reflects which reps call at that hour.")
            else:
                why = (f"推定値はほぼ同じ(平均との差: 集計値 {_pts(r.raw_diff, lang)}、調整後 "
                       f"{_pts(r.diff, lang)})で、担当者をそろえた分だけ推定の幅が広がったための違いです。"
                       f"境界的な差として扱ってください。" if ja else
                       f"The estimates are close (difference from the average: raw {_pts(r.raw_diff, lang)}, "
                       f"adjusted {_pts(r.diff, lang)}); holding the rep fixed only widens the interval, "
                       f"so treat it as borderline.")
            out.append(f"{hour_label(r.level, lang)}は集計値では{raw_t[r.raw_verdict]}"
                       f"({fmt.pct(r.raw_rate)})が、担当者をそろえると{adj_t[r.verdict]}"
                       f"(差 {_pts(r.diff, lang)}、95%CI {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}、"
                       f"多重比較補正後 {fmt.p_value(r.q_value, name='q')})。{why}"
                       if ja else
                       f"{hour_label(r.level, lang)} {raw_t[r.raw_verdict]} in the raw counts "
                       f"({fmt.pct(r.raw_rate)}), but holding the rep fixed {adj_t[r.verdict]} "
                       f"(difference {_pts(r.diff, lang)}, 95% CI {_pts_ci(r.diff_ci_low, r.diff_ci_high, lang)}, "
                       f"BH-adjusted {fmt.p_value(r.q_value, name='q')}). {why}")

    wd = result.effects[result.effects["factor"] == "weekday"]
    held_wd = ("担当者と時間帯の違いをそろえた" if adj_by else "時間帯の違いをそろえた") if ja else \
        ("holding rep and hour fixed" if adj_by else "holding hour fixed")
    up, down = wd[wd["verdict"] == "above"], wd[wd["verdict"] == "below"]
    if len(wd) > 1:
        if len(up) or len(down):
            txt = []
            if len(up):
                txt.append(("高い曜日: " if ja else "higher: ") + "、".join(
                    f"{level_label('weekday', x.level, lang)}({_pts(x.diff, lang)})" for x in up.itertuples()))
            if len(down):
                txt.append(("低い曜日: " if ja else "lower: ") + "、".join(
                    f"{level_label('weekday', x.level, lang)}({_pts(x.diff, lang)})" for x in down.itertuples()))
            out.append((f"曜日別({held_wd}推定)では、" + "/".join(txt) + "。") if ja else
                       f"By weekday ({held_wd}): " + "; ".join(txt) + ".")
        else:
            out.append(f"曜日による{m}の確かな差は見られません({held_wd}推定)。" if ja else
                       f"No weekday differs reliably in {m.lower()} ({held_wd}).")

    reps = w[w["scope"] == "rep"] if len(w) else w
    if len(reps):
        n_reps = reps["group"].nunique()
        with_rec = reps.loc[reps["verdict"] == "recommend", "group"].unique()
        out.append(f"担当者別では、十分な件数のある {n_reps} 人のうち {len(with_rec)} 人に、本人の平均より"
                   f"確実に高い時間帯があります(下の表)。" if ja else
                   f"Per rep: {len(with_rec)} of the {n_reps} reps with enough calls have an hour "
                   f"reliably above their own average (table below).")
    return out


RESEARCH_CONTEXT = {
    "ja": ("参考情報:海外の調査(MIT と InsideSales.com のリード対応調査)では、夕方の時間帯に"
           "コンタクトしやすいという報告があります。ただし業種・国・リストが異なるため、本レポートの"
           "推奨時間帯は自社データだけから判断しており、この調査値を目標や既定値には使っていません。"),
    "en": ("Context only: a published study (MIT / InsideSales.com lead response study) reported "
           "late-afternoon contact peaks. Industry, country and lists differ, so the windows in this "
           "report come from our own data alone; the study is never used as a target or default."),
}
