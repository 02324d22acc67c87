"""Raw events → rep-day / rep-week / rep-month KPI tables and call buckets (the hot path).

All counting runs inside an engine: DuckDB over the validated views of a
:class:`~iskpi_analysis.dataset.Dataset` (so a year of 25 million calls never becomes a pandas frame),
or the database that holds the data (PostgreSQL, Spark: :func:`iskpi_analysis.engines.connect`),
with one SQL definition of each table for all of them (:mod:`iskpi_analysis.engines.definitions`). Rates are ratios of sums, computed
from the count columns named in the KPI dictionary (``kpis.toml``: numerator / denominator).
"""

from __future__ import annotations

import pandas as pd

from . import kpis
from .dataset import Dataset
from .engines import definitions
from .engines.base import Engine
from .stats import safe_ratio

__all__ = ["GRAINS", "COUNT_COLUMNS", "DEAL_DATES", "BUCKET_KEYS", "add_rates", "rep_period", "call_buckets"]

GRAINS = definitions.GRAINS
COUNT_COLUMNS = (
    *definitions.EVENT_COUNTS,
    "leads_handled",
    "deals_created",
    "deal_amount_jpy",
    "deals_unattributed",
)
#: The counts summed from the call and e-mail event stream (the rest of COUNT_COLUMNS are distinct
#: leads and deals, counted from their own tables)
_EVENT_COUNTS = definitions.EVENT_COUNTS
#: How a deal is dated in :func:`rep_period` (see its ``deal_date`` parameter).
DEAL_DATES = ("created", "appointment")
BUCKET_KEYS = definitions.BUCKET_KEYS


def add_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add every dictionary rate whose numerator and denominator columns are in ``df``.

    Rates are ratios of sums: call this on already-summed counts. NaN where the denominator is 0.
    """
    for k in kpis.all_kpis().values():
        if k.is_rate and k.numerator in df and k.denominator in df:
            df[k.id] = safe_ratio(df[k.numerator], df[k.denominator])
    return df


def engine_of(data: Dataset | Engine) -> Engine:
    """The engine the aggregations run in: the data's own (PostgreSQL, Spark: ``engines.connect``)
    or DuckDB over a loaded Dataset."""
    if isinstance(data, Engine):
        return data
    if isinstance(data, Dataset):
        return data.engine()  # DuckDB over files; the database's own over a Dataset of a URL
    raise TypeError(f"data must be an dataset.Dataset or an engines.Engine, got {type(data).__name__}")


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")


def rep_period(data: Dataset | Engine, grain: str = "day", *, deal_date: str = "created") -> pd.DataFrame:
    """KPI table with one row per rep × period.

    Every count is counted once, in the period of its event: summed over days, weeks or months
    each count column gives the same total as counting the event table directly (a deal created
    on a Saturday without calls, or after the rep left, is a row of its own, not lost).
    ``leads_handled`` is the exception by definition: it is distinct leads *per period*, so a
    week's value is not the sum of its days' values.

    Parameters
    ----------
    data : Dataset (possibly filtered to a team / role / window), or an engine from
        :func:`iskpi_analysis.engines.connect` (the counting runs in that database).
    grain : "day", "week" (ISO week, period = its Monday) or "month".
    deal_date : "created" (default; a deal counts on the local date of its ``created_at``: the
        scorecard, pacing and funnel view) or "appointment" (a deal counts on the date of the
        appointment call that produced it: the lead's latest ``appointment`` call by the same rep
        at or before the deal's ``created_at``; deals without such a call keep their created
        date and are also counted in ``deals_unattributed``). The correlation analysis uses
        "appointment" so that deal conversion's numerator and denominator describe the same
        days (deals are created days after the appointment).

    Returns
    -------
    DataFrame with columns
        rep_id, team_id, role, period (Timestamp), n_days (business days in the period the rep
        was employed, plus other days with calls or e-mails; a day with only a deal is a row
        but not a working day), calls, connects, valid_conversations,
        appointments, decision_maker_connects, emails_sent, emails_opened, emails_clicked,
        emails_replied, leads_handled (distinct leads called or e-mailed in the period),
        deals_created, deal_amount_jpy, deals_unattributed (only with deal_date="appointment"),
        and the rates connect_rate, conversation_rate,
        appointment_rate, decision_maker_rate, email_open_rate, email_click_rate,
        email_reply_rate, deal_conversion, appointment_to_deal_rate. Day grain adds
        ``business_day``.
        Rows: every business day the rep was employed inside the data's date range
        (zero-filled) and any other day with a call, e-mail or deal of the rep, summed up to the
        grain.
    """
    _check_grain(grain)
    if deal_date not in DEAL_DATES:
        raise ValueError(f"deal_date must be one of {DEAL_DATES}, got {deal_date!r}")
    eng = engine_of(data)
    has_e, has_d = eng.has("emails"), eng.has("deals")
    sql = definitions.rep_period_sql(grain, has_emails=has_e, has_deals=has_d, deal_date=deal_date)
    with eng.temp_table(eng.calendar(), "iskpi_cal") as cal:
        df = eng.run(sql, cal=cal)
    df["period"] = pd.to_datetime(df["period"]).astype("datetime64[us]")  # the same unit from every engine
    for c in df.columns:
        if (c in COUNT_COLUMNS and c != "deal_amount_jpy") or c == "n_days":
            df[c] = df[c].astype("int64")
    if "deal_amount_jpy" in df:
        df["deal_amount_jpy"] = df["deal_amount_jpy"].astype(float)
    return add_rates(df)


def call_buckets(data: Dataset | Engine, by=("rep_id", "weekday", "hour")) -> pd.DataFrame:
    """Call counts per bucket (e.g. rep × local weekday × local hour).

    Parameters
    ----------
    data : Dataset or engine, as in :func:`rep_period`.
    by : columns to group by, from ``BUCKET_KEYS`` (team_id, rep_id, role, weekday, hour,
        business_day, date, month). ``business_day`` is always added so callers can keep or
        drop weekend/holiday calls; ``team_id`` is added when ``rep_id`` is grouped.

    Returns
    -------
    DataFrame with the by-columns, business_day, and calls, connects, valid_conversations,
    appointments, connect_rate, conversation_rate, appointment_rate.
    """
    by = list(by)
    bad = [b for b in by if b not in BUCKET_KEYS]
    if bad:
        raise ValueError(f"by must be drawn from {BUCKET_KEYS}, got {bad}")
    if "rep_id" in by and "team_id" not in by:
        by.insert(0, "team_id")
    if "business_day" not in by:
        by.append("business_day")
    eng = engine_of(data)
    with eng.temp_table(eng.calendar(), "iskpi_cal") as cal:
        df = eng.run(definitions.call_buckets_sql(by), cal=cal)
    for c in ("calls", "connects", "valid_conversations", "appointments"):
        df[c] = df[c].astype("int64")
    for c in ("weekday", "hour"):
        if c in df:
            df[c] = df[c].astype("int64")
    if "date" in df:
        df["date"] = pd.to_datetime(df["date"]).astype("datetime64[us]")
    return add_rates(df)
