"""Raw events → rep-day / rep-week / rep-month KPI tables and call buckets (the hot path).

All counting runs in DuckDB over the validated views of a :class:`~iskpi_analysis.io.Dataset`,
so a year of 25 million calls never becomes a pandas frame. Rates are ratios of sums, computed
from the count columns named in the KPI dictionary (``kpis.toml``: numerator / denominator).
"""

from __future__ import annotations

import pandas as pd

from . import kpis
from .io import Dataset
from .stats import safe_ratio

__all__ = ["GRAINS", "COUNT_COLUMNS", "DEAL_DATES", "BUCKET_KEYS", "add_rates", "rep_period", "call_buckets"]

GRAINS = ("day", "week", "month")
_PERIOD = {
    "day": "date",
    "week": "CAST(date_trunc('week', date) AS DATE)",
    "month": "CAST(date_trunc('month', date) AS DATE)",
}
COUNT_COLUMNS = (
    "calls",
    "connects",
    "valid_conversations",
    "appointments",
    "decision_maker_connects",
    "emails_sent",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
    "leads_handled",
    "deals_created",
    "deal_amount_jpy",
    "deals_unattributed",
)
#: The counts summed from the call and e-mail event stream (the rest of COUNT_COLUMNS are distinct
#: leads and deals, counted from their own tables)
_EVENT_COUNTS = COUNT_COLUMNS[:9]
#: How a deal is dated in :func:`rep_period` (see its ``deal_date`` parameter).
DEAL_DATES = ("created", "appointment")
BUCKET_KEYS = ("team_id", "rep_id", "role", "weekday", "hour", "business_day", "date", "month")


def add_rates(df: pd.DataFrame) -> pd.DataFrame:
    """Add every dictionary rate whose numerator and denominator columns are in ``df``.

    Rates are ratios of sums: call this on already-summed counts. NaN where the denominator is 0.
    """
    for k in kpis.all_kpis().values():
        if k.is_rate and k.numerator in df and k.denominator in df:
            df[k.id] = safe_ratio(df[k.numerator], df[k.denominator])
    return df


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")


def rep_period(data: Dataset, grain: str = "day", *, deal_date: str = "created") -> pd.DataFrame:
    """KPI table with one row per rep × period.

    Every count is counted once, in the period of its event: summed over days, weeks or months
    each count column gives the same total as counting the event table directly (a deal created
    on a Saturday without calls, or after the rep left, is a row of its own, not lost).
    ``leads_handled`` is the exception by definition: it is distinct leads *per period*, so a
    week's value is not the sum of its days' values.

    Parameters
    ----------
    data : Dataset (possibly filtered to a team / role / window).
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
    has_e, has_d = data.has("emails"), data.has("deals")
    calls = data.sql("calls", lean=True)
    # One scan per event table: calls and e-mails as one stream of rep-day events.
    ev = [
        f"""SELECT rep_id, date, lead_id, true AS is_call, connected, valid_conversation, appointment,
                     connected AND coalesce(decision_maker, false) AS dm, NULL::BOOLEAN AS opened,
                     NULL::BOOLEAN AS clicked, NULL::BOOLEAN AS replied FROM {calls}"""
    ]
    if has_e:
        ev.append(f"""SELECT rep_id, date, lead_id, false, NULL, NULL, NULL, NULL, opened, clicked, replied
                      FROM {data.sql("emails", lean=True)}""")
    # Distinct leads by two-level grouping (rep × day × lead, then rep × day): DuckDB's hash
    # aggregate does this in parallel, much faster than count(DISTINCT) inside the grouping.
    facts_sql = """count_if(is_call) AS calls, count_if(connected) AS connects,
                 count_if(valid_conversation) AS valid_conversations, count_if(appointment) AS appointments,
                 count_if(dm) AS decision_maker_connects, count_if(NOT is_call) AS emails_sent,
                 count_if(opened) AS emails_opened, count_if(clicked) AS emails_clicked,
                 count_if(replied) AS emails_replied"""
    parts = [
        f"""day AS MATERIALIZED (
        SELECT rep_id, date, {", ".join(f"sum({c}) AS {c}" for c in _EVENT_COUNTS)}, count(lead_id) AS leads_handled
        FROM (SELECT rep_id, date, lead_id, {facts_sql} FROM ({" UNION ALL ".join(ev)}) GROUP BY ALL)
        GROUP BY ALL)"""
    ]
    # deals per rep × day, dated by created_at or by the appointment call that produced them
    if has_d:
        if deal_date == "appointment":
            dated = f"""SELECT d.rep_id, coalesce(c.date, d.date) AS date, d.amount_jpy,
                         c.date IS NULL AS unattributed
                  FROM {data.sql("deals")} d ASOF LEFT JOIN (
                      SELECT rep_id, lead_id, started_at, date FROM {calls} WHERE appointment) c
                    ON c.rep_id = d.rep_id AND c.lead_id = d.lead_id AND d.created_at >= c.started_at"""
        else:
            dated = f"SELECT rep_id, date, amount_jpy, false AS unattributed FROM {data.sql('deals')}"
        parts.append(f"""dday AS MATERIALIZED (SELECT rep_id, date, count(*) AS deals_created,
                 coalesce(sum(amount_jpy), 0) AS deal_amount_jpy,
                 count_if(unattributed) AS deals_unattributed FROM ({dated}) GROUP BY ALL)""")
    deal_days = " UNION ALL SELECT rep_id, date, false FROM dday" if has_d else ""
    # the calendar grid: business days each rep was employed inside the range of calls and
    # e-mails, plus every day with an event (weekend and holiday calls, e-mails and deals are
    # rows too, also outside the employment dates, so no event is lost at any grain). ``worked``: the day counts in
    # n_days (an employed business day or a day with calls / e-mails; a deal created on a Sunday
    # is the result of earlier work, not a working day).
    parts.append(f"""grid AS (SELECT rep_id, date, bool_or(worked) AS worked FROM (
        SELECT r.rep_id, CAST(g AS DATE) AS date, true AS worked
        FROM {data.sql("reps")} r,
             (SELECT min(date) d0, max(date) d1 FROM day) rng,
             generate_series(rng.d0, rng.d1, INTERVAL 1 DAY) t(g)
        WHERE CAST(g AS DATE) >= r.joined_on AND (r.left_on IS NULL OR CAST(g AS DATE) <= r.left_on)
          AND isodow(g) <= 5 AND CAST(g AS DATE) NOT IN (SELECT d FROM jp_holidays)
        UNION ALL SELECT rep_id, date, true FROM day{deal_days}) GROUP BY ALL)""")
    per = _PERIOD[grain]
    if grain == "day":
        parts.append("agg AS (SELECT * FROM day)")
    else:
        # leads_handled is distinct per period, not a sum of daily distinct counts
        touches = [f"SELECT rep_id, {per} AS period, lead_id FROM {calls}"]
        if has_e:
            touches.append(f"SELECT rep_id, {per} AS period, lead_id FROM {data.sql('emails', lean=True)}")
        parts.append(f"""lh AS (SELECT rep_id, period, count(lead_id) AS leads_handled FROM (
                   SELECT DISTINCT rep_id, period, lead_id FROM ({" UNION ALL ".join(touches)})) GROUP BY ALL)""")
        parts.append(f"""agg AS (SELECT rep_id, {per} AS period, {", ".join(f"sum({c}) AS {c}" for c in _EVENT_COUNTS)}
                   FROM day GROUP BY ALL)""")
    parts.append(f"""g AS (SELECT rep_id, {per} AS period, count_if(worked) AS n_days,
        bool_and(isodow(date) <= 5 AND date NOT IN (SELECT d FROM jp_holidays)) AS business_day
        FROM grid GROUP BY ALL)""")
    agg_key = "date" if grain == "day" else "period"
    cols = [f"coalesce(a.{c}, 0) AS {c}" for c in _EVENT_COUNTS if has_e or not c.startswith("emails")]
    joins = [f"LEFT JOIN agg a ON a.rep_id = g.rep_id AND a.{agg_key} = g.period"]
    if grain == "day":
        cols.append("coalesce(a.leads_handled, 0) AS leads_handled")
    else:
        cols.append("coalesce(lh.leads_handled, 0) AS leads_handled")
        joins.append("LEFT JOIN lh ON lh.rep_id = g.rep_id AND lh.period = g.period")
    if has_d:
        parts.append(f"""d AS (SELECT rep_id, {per} AS period, sum(deals_created) AS deals_created,
                 sum(deal_amount_jpy) AS deal_amount_jpy, sum(deals_unattributed) AS deals_unattributed
                 FROM dday GROUP BY ALL)""")
        cols += ["coalesce(d.deals_created, 0) AS deals_created", "coalesce(d.deal_amount_jpy, 0) AS deal_amount_jpy"]
        if deal_date == "appointment":
            cols.append("coalesce(d.deals_unattributed, 0) AS deals_unattributed")
        joins.append("LEFT JOIN d ON d.rep_id = g.rep_id AND d.period = g.period")
    sql = (
        f"WITH {', '.join(parts)} SELECT g.rep_id, r.team_id, r.role, g.period, g.n_days, "
        f"{'g.business_day, ' if grain == 'day' else ''}{', '.join(cols)} "
        f"FROM g JOIN {data.sql('reps')} r ON r.rep_id = g.rep_id {' '.join(joins)} "
        f"ORDER BY g.rep_id, g.period"
    )
    df = data.query(sql)
    df["period"] = pd.to_datetime(df["period"])
    for c in df.columns:
        if c in COUNT_COLUMNS and c != "deal_amount_jpy":
            df[c] = df[c].astype("int64")
    if "deal_amount_jpy" in df:
        df["deal_amount_jpy"] = df["deal_amount_jpy"].astype(float)
    return add_rates(df)


_BUCKET_EXPR = {
    "weekday": "CAST(isodow(loc) - 1 AS INTEGER)",
    "hour": "CAST(hour(loc) AS INTEGER)",
    "date": "date",
    "month": "strftime(loc, '%Y-%m')",
    "business_day": "(isodow(date) <= 5 AND date NOT IN (SELECT d FROM jp_holidays))",
}


def call_buckets(data: Dataset, by=("rep_id", "weekday", "hour")) -> pd.DataFrame:
    """Call counts per bucket (e.g. rep × local weekday × local hour).

    Parameters
    ----------
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
    # count per rep × time keys on the lean view (one scan), then attach team/role from reps
    time_keys = [k for k in by if k in _BUCKET_EXPR]
    inner = ", ".join(["rep_id"] + [f"{_BUCKET_EXPR[k]} AS {k}" for k in time_keys])
    df = data.query(f"""WITH b AS (SELECT {inner}, count(*) AS calls, count_if(connected) AS connects,
            count_if(valid_conversation) AS valid_conversations, count_if(appointment) AS appointments
          FROM {data.sql("calls", lean=True)} GROUP BY ALL)
        SELECT {", ".join(k if k in time_keys else f"r.{k}" for k in by)}, sum(calls) AS calls,
               sum(connects) AS connects, sum(valid_conversations) AS valid_conversations,
               sum(appointments) AS appointments
        FROM b JOIN {data.sql("reps")} r USING (rep_id) GROUP BY ALL ORDER BY ALL""")
    for c in ("calls", "connects", "valid_conversations", "appointments"):
        df[c] = df[c].astype("int64")
    for c in ("weekday", "hour"):
        if c in df:
            df[c] = df[c].astype("int64")
    if "date" in df:
        df["date"] = pd.to_datetime(df["date"])
    return add_rates(df)
