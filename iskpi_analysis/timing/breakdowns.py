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
    if _is_dataset(data):
        if has_lead and data.has("leads"):
            # whether the leads carry a source / segment, counted in the database (no leads frame)
            sql = f"SELECT count(source) AS source, count(segment) AS segment FROM {data.sql('leads')}"
            cols = data.query(sql)
            out += [col for col in ("source", "segment") if int(cols[col].iloc[0]) > 0]
    else:
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


def _sql_route(data, history) -> bool:
    """Both are Datasets on one connection: count in the database (the organisation-scale path)."""
    return _is_dataset(data) and _is_dataset(history) and data.same_source(history)


def _lit(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _sql_group(by: str, data, history, cap: int) -> tuple[str, str] | None:
    """(SQL expression of each call's breakdown value, the join it needs), or None when the data
    cannot support ``by``. The same values as :func:`_groups`: lead source / segment of the
    history's leads, the call's role, the attempt number counted over the history's calls."""
    if by in ("source", "segment"):
        if not history.has("leads"):
            return None
        leads = f"(SELECT lead_id, {by} FROM {history.sql('leads')})"
        return f"l.{by}", f"LEFT JOIN {leads} l ON c.lead_id = l.lead_id"
    if by == "role":
        return "c.role", ""
    # only the leads called in ``data`` are numbered (every history call of them: earlier calls
    # count), which keeps the window's sort to the leads that matter
    attempts = (
        "(SELECT call_id, row_number() OVER (PARTITION BY lead_id ORDER BY started_at, call_id) AS attempt "
        f"FROM {history.sql('calls', lean=True)} "
        f"WHERE lead_id IN (SELECT lead_id FROM {data.sql('calls', lean=True)}))"
    )
    group = f"CASE WHEN a.attempt >= {int(cap)} THEN '{int(cap)}+' ELSE CAST(a.attempt AS VARCHAR) END"
    return group, f"JOIN {attempts} a ON c.call_id = a.call_id"


def breakdown_sql(
    data,
    *,
    by: str,
    history=None,
    hourly: bool = False,
    include_non_business: bool = False,
    attempt_cap: int = 5,
    rep: str | None = None,
) -> str | None:
    """The portable SQL (DuckDB dialect, no GROUP BY ALL or date functions) that counts the calls
    of ``data`` per breakdown value (× hour): group, [hour,] calls, connects, valid_conversations,
    appointments. None when the data cannot support ``by``."""
    history = data if history is None else history
    found = _sql_group(by, data, history, attempt_cap)
    if found is None:
        return None
    group, join = found
    where = [] if include_non_business else ["c.business_day"]
    if rep not in (None, ""):
        where.append(f"c.rep_id = {_lit(rep)}")
    hour = ", c.hour" if hourly else ""
    inner = (
        f"SELECT {group} AS grp{hour}, c.connected, c.valid_conversation, c.appointment "
        f"FROM {data.sql('calls')} c {join}" + (f" WHERE {' AND '.join(where)}" if where else "")
    )
    keys = "grp" + (", hour" if hourly else "")
    return (
        f"SELECT {keys}, count(*) AS calls, count_if(connected) AS connects, "
        f"count_if(valid_conversation) AS valid_conversations, count_if(appointment) AS appointments "
        f"FROM ({inner}) t WHERE grp IS NOT NULL GROUP BY {keys}"
    )


def _require_rep(rep, reps) -> None:
    """ValueError unless ``rep`` is one of ``reps`` (the reps with calls in the data), listing them."""
    known = tuple(sorted({str(r) for r in reps}))
    if str(rep) not in known:
        raise ValueError(f"rep must be one of the reps with calls {known}, got {rep!r}")


def _sql_counts(data, *, by, history, hourly, include_non_business, attempt_cap, rep) -> pd.DataFrame | None:
    """The breakdown's counts aggregated in the database: only the group (× hour) rows come back."""
    if rep not in (None, ""):
        bday = "" if include_non_business else " WHERE business_day"
        known = data.query(f"SELECT DISTINCT CAST(rep_id AS VARCHAR) AS rep_id FROM {data.sql('calls')}{bday}")
        _require_rep(rep, known["rep_id"])
    sql = breakdown_sql(
        data,
        by=by,
        history=history,
        hourly=hourly,
        include_non_business=include_non_business,
        attempt_cap=attempt_cap,
        rep=rep,
    )
    if sql is None:
        return None
    out = data.query(sql).rename(columns={"grp": "group"})
    out["group"] = out["group"].astype("string")
    for c in ("calls", "connects", "valid_conversations", "appointments"):
        out[c] = out[c].astype("int64")
    return out


def _frame_counts(data, *, by, history, hourly, include_non_business, attempt_cap, rep) -> pd.DataFrame | None:
    """The reference route: every call in pandas (calls DataFrames, or data on two connections)."""
    calls = all_calls = _bd_calls(data)
    if not include_non_business:
        calls = calls[calls["business_day"].astype(bool)]
    if rep not in (None, ""):
        _require_rep(rep, calls["rep_id"].unique())
        calls = calls[calls["rep_id"].astype(str) == str(rep)]
    group = _groups(by, data, history, calls, all_calls, attempt_cap)
    if group is None:
        return None
    frame = calls.assign(group=pd.array(group, dtype="string"))
    frame = frame[frame["group"].notna()]
    keys = ["group"] + (["hour"] if hourly else [])
    return _pandas_counts(frame, keys, include_non_business=True)


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
    route = _sql_counts if _sql_route(data, history) else _frame_counts
    counts = route(
        data,
        by=by,
        history=history,
        hourly=hourly,
        include_non_business=include_non_business,
        attempt_cap=attempt_cap,
        rep=rep,
    )
    if counts is None:
        return pd.DataFrame()
    keys = ["group"] + (["hour"] if hourly else [])
    out = rate_table(counts, by=keys, metric=metric, min_trials=min_trials, complete=False)
    if by == "attempt":
        out = out.sort_values(keys, key=_attempt_order).reset_index(drop=True)
    return out
