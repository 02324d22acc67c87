"""Call buckets and raw rates: the counting step and what needs no model.

Everything works on *call buckets*: counts of calls, connects, valid conversations and
appointments per rep × weekday × hour in local time (``aggregate.call_buckets`` when a
``Dataset`` is given, a pandas group-by on a calls DataFrame otherwise). Business days only by
default (weekends and Japanese national holidays excluded).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as _st

from .. import config
from .. import stats as st

__all__ = [
    "METRICS",
    "COUNT_COLUMNS",
    "FACTORS",
    "call_counts",
    "rate_table",
    "overall_rate",
    "chi_square",
]

#: metric id → (numerator column, denominator column) in a call-bucket table.
METRICS = {
    "connect_rate": ("connects", "calls"),
    "conversation_rate": ("valid_conversations", "connects"),
    "appointments_per_call": ("appointments", "calls"),
}
COUNT_COLUMNS = ("calls", "connects", "valid_conversations", "appointments")
FACTORS = ("hour", "weekday")

_check = config.check_option


def _calls_of(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    calls = getattr(data, "calls", None)
    if calls is None:
        raise ValueError("the data has no calls table; the time-of-day analysis needs calls")
    return calls


def _is_dataset(data) -> bool:
    return hasattr(data, "query") and hasattr(data, "sql") and not isinstance(data, pd.DataFrame)


def _local_columns(calls: pd.DataFrame, tz: str = config.DEFAULT_TZ) -> pd.DataFrame:
    """Add hour / weekday / business_day / valid_conversation when a calls frame lacks them."""
    need = [c for c in ("hour", "weekday", "business_day") if c not in calls.columns]
    out = calls
    if need:
        ts = pd.to_datetime(calls["started_at"])
        ts = ts.dt.tz_localize(tz) if ts.dt.tz is None else ts.dt.tz_convert(tz)
        out = out.assign(hour=ts.dt.hour, weekday=ts.dt.day_of_week)
        if "business_day" not in calls.columns:
            from ..workdays import is_business_day

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


def _one_rep(data, by: tuple, rep, include_non_business: bool) -> pd.DataFrame:
    keyed = by if "rep_id" in by else by + ("rep_id",)
    allc = call_counts(data, by=keyed, include_non_business=include_non_business)
    known = sorted(allc["rep_id"].astype(str).unique())
    if str(rep) not in known:
        raise ValueError(f"rep must be one of the reps with calls {tuple(known)}, got {rep!r}")
    out = allc[allc["rep_id"].astype(str) == str(rep)]
    if "rep_id" not in by:
        out = out.groupby(list(by), observed=True, dropna=False)[list(COUNT_COLUMNS)].sum().reset_index()
    return out.reset_index(drop=True)


def _duckdb_counts(data, by: tuple, include_non_business: bool) -> pd.DataFrame | None:
    """The hot path: the buckets counted where the data lives (None when ``by`` is not a bucket key)."""
    from .. import aggregate

    keys = list(by) + (["role"] if "rep_id" in by and "role" not in by else [])
    if not set(keys) <= set(aggregate.BUCKET_KEYS):
        return None
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
        return _one_rep(data, by, rep, include_non_business)
    if not isinstance(data, pd.DataFrame) and hasattr(data, "query"):
        out = _duckdb_counts(data, by, include_non_business)
        if out is not None:
            return out
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


def rate_table(
    data,
    *,
    by=("hour",),
    metric: str = "connect_rate",
    min_trials: int = 30,
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
    min_trials : int
        Buckets whose denominator (calls; connects for the conversation rate) is below this are
        flagged ``too_small``.
    complete : bool
        Hour × weekday: add empty cells of the grid (observed hours × weekdays) with n = 0.

    Returns
    -------
    DataFrame with the ``by`` columns, calls, connects, valid_conversations, appointments, n
    (denominator), k (numerator), rate (k / n, ratio of sums), ci_low, ci_high (Wilson),
    too_small (n < min_trials).
    """
    _check("metric", metric, METRICS)
    by = [by] if isinstance(by, str) else list(by)
    counts = _as_counts(data, by, include_non_business)
    g = counts.groupby(by, observed=True, sort=True)[list(COUNT_COLUMNS)].sum()
    if complete and len(by) > 1 and len(g):
        full = pd.MultiIndex.from_product([sorted(g.index.unique(level=c)) for c in by], names=by)
        g = g.reindex(full, fill_value=0)
    num, den = METRICS[metric]
    pt = st.proportion_table(g[num].to_numpy(), g[den].to_numpy(), confidence=confidence, min_trials=min_trials)
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


def _effect_size_label(v: float) -> str:
    # Cohen's conventions for a 2-column table (df* = 1): 0.1 small, 0.3 medium, 0.5 large.
    if np.isnan(v):
        return "n/a"
    return "negligible" if v < 0.1 else "small" if v < 0.3 else "medium" if v < 0.5 else "large"


def chi_square(
    data,
    *,
    factor: str = "hour",
    metric: str = "connect_rate",
    min_trials: int = 30,
    include_non_business: bool = False,
) -> pd.DataFrame:
    """Chi-square test of independence of ``factor`` × success (e.g. hour × connected).

    Levels whose denominator is below ``min_trials`` are left out of the test. Recorded, never
    decides: the rep mix drives it (the verdicts come from :func:`adjusted_effects`).

    Returns
    -------
    One-row DataFrame: factor, metric, levels (tested), levels_dropped, n, chi2, dof, p_val,
    cramers_v (sqrt(chi2 / n) for the 2-column table) and effect_size (negligible < 0.1 ≤ small
    < 0.3 ≤ medium < 0.5 ≤ large, Cohen).
    """
    _check("factor", factor, FACTORS)
    t = rate_table(data, by=factor, metric=metric, min_trials=min_trials, include_non_business=include_non_business)
    ok = t[~t["too_small"] & (t["n"] > 0)]
    row = {
        "factor": factor,
        "metric": metric,
        "levels": len(ok),
        "levels_dropped": int((t["n"] > 0).sum() - len(ok)),
        "n": int(ok["n"].sum()),
        "chi2": np.nan,
        "dof": np.nan,
        "p_val": np.nan,
        "cramers_v": np.nan,
    }
    table = np.column_stack([ok["k"], ok["n"] - ok["k"]]).astype(float)
    if len(ok) >= 2 and (table.sum(axis=0) > 0).all():
        chi2, p, dof, _ = _st.chi2_contingency(table, correction=False)
        row.update(chi2=float(chi2), dof=int(dof), p_val=float(p), cramers_v=float(np.sqrt(chi2 / table.sum())))
    row["effect_size"] = _effect_size_label(row["cramers_v"])
    return pd.DataFrame([row])
