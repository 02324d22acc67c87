"""Rates by lead source, segment, role or attempt number on the same lead (optionally × hour)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import config
from .counts import METRICS, _calls_of, _is_counts, _is_dataset, _local_columns, _pandas_counts, rate_table

__all__ = ["BREAKDOWNS", "available_breakdowns", "attempt_numbers", "breakdown"]

_check = config.check_option
BREAKDOWNS = ("source", "segment", "role", "attempt")
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


def _bd_calls(data) -> pd.DataFrame:
    if _is_dataset(data):
        return data.query(f"SELECT {', '.join(_BD_COLS)} FROM {data.sql('calls')}")
    return _local_columns(_calls_of(data))


def _attempt_groups(data, history, calls: pd.DataFrame, all_calls: pd.DataFrame, cap: int):
    """Each call's attempt group ('1' … 'cap+'), counting earlier calls of ``history`` on the lead."""
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
        a = attempt_numbers(hist, cap=cap)
        a = pd.Series(a.to_numpy(dtype=float, na_value=np.nan), index=hist["call_id"].to_numpy())
    a = a[~a.index.duplicated()].reindex(calls["call_id"].to_numpy()).to_numpy(float)
    whole = np.where(np.isnan(a), 0, a).astype(np.int64).astype(str)
    return np.where(np.isnan(a), None, np.where(a >= cap, f"{cap}+", whole)).astype(object)


def _groups(by: str, data, history, calls, all_calls, attempt_cap: int):
    """The breakdown value of each call, or None when the data cannot support ``by``."""
    if by in ("source", "segment"):
        leads = getattr(history, "leads", None)
        if leads is None or by not in leads.columns or "lead_id" not in calls.columns:
            return None
        m = leads[["lead_id", by]].drop_duplicates("lead_id")
        return calls[["lead_id"]].merge(m, on="lead_id", how="left")[by].to_numpy()
    if by == "role":
        return calls["role"].to_numpy() if "role" in calls.columns else None
    if "lead_id" not in calls.columns:
        return None
    return _attempt_groups(data, history, calls, all_calls, attempt_cap)


def _attempt_order(s: pd.Series) -> pd.Series:
    return s.str.rstrip("+").astype(int) if s.name == "group" else s


def breakdown(
    data,
    *,
    by: str,
    metric: str = "connect_rate",
    hourly: bool = False,
    min_trials: int = 30,
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
    min_trials : int
        Groups with fewer trials are flagged ``too_small``.
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
    calls = all_calls = _bd_calls(data)
    if not include_non_business:
        calls = calls[calls["business_day"].astype(bool)]
    if rep not in (None, ""):
        known = tuple(sorted(calls["rep_id"].astype(str).unique()))
        if str(rep) not in known:
            raise ValueError(f"rep must be one of the reps with calls {known}, got {rep!r}")
        calls = calls[calls["rep_id"].astype(str) == str(rep)]
    group = _groups(by, data, history, calls, all_calls, attempt_cap)
    if group is None:
        return pd.DataFrame()
    frame = calls.assign(group=pd.array(group, dtype="string"))
    frame = frame[frame["group"].notna()]
    keys = ["group"] + (["hour"] if hourly else [])
    counts = _pandas_counts(frame, keys, include_non_business=True)
    out = rate_table(counts, by=keys, metric=metric, min_trials=min_trials, complete=False)
    if by == "attempt":
        out = out.sort_values(keys, key=_attempt_order).reset_index(drop=True)
    return out
