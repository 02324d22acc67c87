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

GRAINS = ("day", "week", "month")
_PERIOD = {"day": "date", "week": "CAST(date_trunc('week', date) AS DATE)",
           "month": "CAST(date_trunc('month', date) AS DATE)"}
COUNT_COLUMNS = ("calls", "connects", "valid_conversations", "appointments", "decision_maker_connects",
                 "emails_sent", "emails_opened", "emails_clicked", "emails_replied", "leads_handled",
                 "deals_created", "deal_amount_jpy")
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


def rep_period(data: Dataset, grain: str = "day") -> pd.DataFrame:
    """KPI table with one row per rep × period.

    Parameters
    ----------
    data : Dataset (possibly filtered to a team / role / window).
    grain : "day", "week" (ISO week, period = its Monday) or "month".

    Returns
    -------
    DataFrame with columns
        rep_id, team_id, role, period (Timestamp), n_days (business days in the period the rep
        was employed, plus other days with activity), calls, connects, valid_conversations,
        appointments, decision_maker_connects, emails_sent, emails_opened, emails_clicked,
        emails_replied, leads_handled (distinct leads called or e-mailed in the period),
        deals_created, deal_amount_jpy, and the rates connect_rate, conversation_rate,
        appointment_rate, decision_maker_rate, email_open_rate, email_click_rate,
        email_reply_rate, deal_conversion. Day grain adds ``business_day``.
        Rows: every business day the rep was employed inside the data's date range
        (zero-filled) and any other day with activity, summed up to the grain.
    """
    _check_grain(grain)
    per = _PERIOD[grain]
    has_e, has_d = data.has("emails"), data.has("deals")
    calls = data.sql("calls")
    parts = [f"""c AS (SELECT rep_id, {per} AS period, count(*) AS calls,
                 count_if(connected) AS connects, count_if(valid_conversation) AS valid_conversations,
                 count_if(appointment) AS appointments,
                 count_if(connected AND coalesce(decision_maker, false)) AS decision_maker_connects
               FROM {calls} GROUP BY ALL)"""]
    touches = [f"SELECT rep_id, {per} AS period, lead_id FROM {calls} WHERE lead_id IS NOT NULL"]
    if has_e:
        emails = data.sql("emails")
        parts.append(f"""e AS (SELECT rep_id, {per} AS period, count(*) AS emails_sent,
                 count_if(opened) AS emails_opened, count_if(clicked) AS emails_clicked,
                 count_if(replied) AS emails_replied FROM {emails} GROUP BY ALL)""")
        touches.append(f"SELECT rep_id, {per} AS period, lead_id FROM {emails} WHERE lead_id IS NOT NULL")
    parts.append(f"""lh AS (SELECT rep_id, period, count(DISTINCT lead_id) AS leads_handled
               FROM ({' UNION ALL '.join(touches)}) GROUP BY ALL)""")
    if has_d:
        parts.append(f"""d AS (SELECT rep_id, {per} AS period, count(*) AS deals_created,
                 coalesce(sum(amount_jpy), 0) AS deal_amount_jpy FROM {data.sql('deals')} GROUP BY ALL)""")
    # the calendar grid: business days each rep was employed, inside the data's range
    act = [f"SELECT date FROM {calls}"] + ([f"SELECT date FROM {data.sql('emails')}"] if has_e else [])
    parts.append(f"""rng AS (SELECT min(date) AS d0, max(date) AS d1 FROM ({' UNION ALL '.join(act)}))""")
    parts.append("""days AS (SELECT CAST(g AS DATE) AS date FROM rng, generate_series(rng.d0, rng.d1, INTERVAL 1 DAY) t(g))""")
    day_src = [f"SELECT rep_id, date FROM {calls}"] + (
        [f"SELECT rep_id, date FROM {data.sql('emails')}"] if has_e else [])
    parts.append(f"""active AS (SELECT DISTINCT rep_id, date FROM ({' UNION ALL '.join(day_src)}))""")
    parts.append(f"""grid AS (
        SELECT r.rep_id, days.date FROM {data.sql('reps')} r, days
        WHERE days.date >= r.joined_on AND (r.left_on IS NULL OR days.date <= r.left_on)
          AND isodow(days.date) <= 5 AND days.date NOT IN (SELECT d FROM jp_holidays)
        UNION SELECT rep_id, date FROM active)""")
    parts.append(f"""g AS (SELECT rep_id, {per} AS period, count(*) AS n_days,
        bool_and(isodow(date) <= 5 AND date NOT IN (SELECT d FROM jp_holidays)) AS business_day
        FROM grid GROUP BY ALL)""")
    cols = ["coalesce(c.calls, 0) AS calls", "coalesce(c.connects, 0) AS connects",
            "coalesce(c.valid_conversations, 0) AS valid_conversations",
            "coalesce(c.appointments, 0) AS appointments",
            "coalesce(c.decision_maker_connects, 0) AS decision_maker_connects"]
    joins = ["LEFT JOIN c USING (rep_id, period)", "LEFT JOIN lh USING (rep_id, period)"]
    if has_e:
        cols += [f"coalesce(e.{c}, 0) AS {c}" for c in ("emails_sent", "emails_opened", "emails_clicked",
                                                          "emails_replied")]
        joins.append("LEFT JOIN e USING (rep_id, period)")
    cols.append("coalesce(lh.leads_handled, 0) AS leads_handled")
    if has_d:
        cols += ["coalesce(d.deals_created, 0) AS deals_created",
                 "coalesce(d.deal_amount_jpy, 0) AS deal_amount_jpy"]
        joins.append("LEFT JOIN d USING (rep_id, period)")
    sql = (f"WITH {', '.join(parts)} SELECT g.rep_id, r.team_id, r.role, g.period, g.n_days, "
           f"{'g.business_day, ' if grain == 'day' else ''}{', '.join(cols)} "
           f"FROM g JOIN {data.sql('reps')} r USING (rep_id) {' '.join(joins)} ORDER BY g.rep_id, g.period")
    df = data.query(sql)
    df["period"] = pd.to_datetime(df["period"])
    for c in df.columns:
        if c in COUNT_COLUMNS and c != "deal_amount_jpy":
            df[c] = df[c].astype("int64")
    if "deal_amount_jpy" in df:
        df["deal_amount_jpy"] = df["deal_amount_jpy"].astype(float)
    return add_rates(df)


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
    keys = ", ".join(by)
    df = data.query(f"""SELECT {keys}, count(*) AS calls, count_if(connected) AS connects,
            count_if(valid_conversation) AS valid_conversations, count_if(appointment) AS appointments
        FROM {data.sql('calls')} GROUP BY {keys} ORDER BY {keys}""")
    for c in ("calls", "connects", "valid_conversations", "appointments"):
        df[c] = df[c].astype("int64")
    for c in ("weekday", "hour"):
        if c in df:
            df[c] = df[c].astype("int64")
    if "date" in df:
        df["date"] = pd.to_datetime(df["date"])
    return add_rates(df)
