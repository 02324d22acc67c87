"""The analysis views over validated tables: local time, business days and holidays, outbound calls."""

from __future__ import annotations

import pandas as pd

from .. import tzfast, workdays
from .contract import EVENT_TIME

__all__ = []


def _create_holidays(con, years) -> None:
    """A table of Japanese national holidays for the years the data spans (jpholiday is slow,
    so only those years)."""
    days = [d for y in years for d in workdays.holidays(f"{y}-01-01", f"{y}-12-31")]
    con.register("df_holidays", pd.DataFrame({"d": pd.to_datetime(days).date}))
    con.execute("CREATE TABLE jp_holidays AS SELECT CAST(d AS DATE) AS d FROM df_holidays")
    con.unregister("df_holidays")


def _create_views(con, present, tz, valid_talk_seconds, outbound_only=False, ranges=None, offsets=None) -> None:
    """Typed views with derived local-time columns. The local time is computed once per row
    (inner select) and the ``*_lean`` view skips the reps join, for the aggregation hot path.
    Calls: ``v_calls[_lean]_all`` hold every call, ``v_calls[_lean]`` the outbound ones (the same
    rows when no call is inbound, so the hot path pays no filter).

    Local times shift by a fixed offset where the zone keeps one over the column's actual
    [min, max] (``tzfast``; ``ranges``: table -> (min, max) of its event time, already known
    from validation) and go through ICU otherwise. ``offsets``: a dict (zone, min, max) ->
    offset that remembers the checks across calls (a snapshot opens one connection per team).
    """
    ranges = ranges or {}
    offsets = {} if offsets is None else offsets

    def loc(table, col, ref=None):
        span = ranges.get(table) if col == EVENT_TIME.get(table) else None
        if span is None:  # leads, deals: small tables, one min/max read
            span = con.execute(f"SELECT min({col}), max({col}) FROM t_{table}").fetchall()[0]
        key = (tz, *span)  # the offset depends on the zone and the range only
        if key not in offsets:
            offsets[key] = tzfast.fixed_offset(tz, *span, con=con)
        return tzfast.local_sql(tz, ref or col, offsets[key])

    bday = "(isodow(date) <= 5 AND date NOT IN (SELECT d FROM jp_holidays))"
    if "calls" in present:
        con.execute(f"""CREATE VIEW v_calls_lean_all AS
            SELECT *, CAST(loc AS DATE) AS date FROM (
              SELECT call_id, rep_id, lead_id, started_at, connected, talk_seconds, appointment,
                     decision_maker, script, direction, disposition_raw, {loc("calls", "started_at")} AS loc,
                     (connected AND talk_seconds >= {int(valid_talk_seconds)}) AS valid_conversation
              FROM t_calls)""")
        con.execute(f"""CREATE VIEW v_calls_all AS
            SELECT c.call_id, c.rep_id, c.lead_id, c.started_at, c.connected, c.talk_seconds,
                   c.appointment, c.decision_maker, c.script, c.direction, c.disposition_raw,
                   r.team_id, r.role, c.date,
                   strftime(c.loc, '%Y-%m') AS month, CAST(hour(c.loc) AS INTEGER) AS hour,
                   CAST(isodow(c.loc) - 1 AS INTEGER) AS weekday,
                   {bday.replace("date", "c.date")} AS business_day,
                   c.valid_conversation
            FROM v_calls_lean_all c JOIN t_reps r USING (rep_id)""")
        outbound = " WHERE direction IS DISTINCT FROM 'in'" if outbound_only else ""
        con.execute(f"CREATE VIEW v_calls_lean AS SELECT * FROM v_calls_lean_all{outbound}")
        con.execute(f"CREATE VIEW v_calls AS SELECT * FROM v_calls_all{outbound}")
    if "emails" in present:
        e_loc = loc("emails", "sent_at")
        con.execute(f"""CREATE VIEW v_emails_lean AS
            SELECT *, CAST({e_loc} AS DATE) AS date,
                   opened_at IS NOT NULL AS opened, clicked_at IS NOT NULL AS clicked,
                   replied_at IS NOT NULL AS replied
            FROM (SELECT email_id, rep_id, lead_id, sent_at, opened_at, clicked_at, replied_at FROM t_emails)""")
        con.execute(f"""CREATE VIEW v_emails AS
            SELECT e.email_id, e.rep_id, e.lead_id, e.sent_at, e.opened_at, e.clicked_at, e.replied_at,
                   e.opened, e.clicked, e.replied, r.team_id, r.role, e.date,
                   strftime({loc("emails", "sent_at", "e.sent_at")}, '%Y-%m') AS month
            FROM v_emails_lean e JOIN t_reps r USING (rep_id)""")
    if "leads" in present:
        l_loc = loc("leads", "created_at", "l.created_at")
        con.execute(f"""CREATE VIEW v_leads AS
            SELECT l.lead_id, l.created_at, l.source, l.segment, l.owner_rep_id, l.mql_at, l.sql_at,
                   r.team_id, CAST({l_loc} AS DATE) AS date, strftime({l_loc}, '%Y-%m') AS month
            FROM t_leads l LEFT JOIN t_reps r ON r.rep_id = l.owner_rep_id""")
    if "deals" in present:
        l_loc = loc("deals", "created_at", "d.created_at")
        con.execute(f"""CREATE VIEW v_deals AS
            SELECT d.* EXCLUDE (_row), r.team_id, r.role,
                   CAST({l_loc} AS DATE) AS date, strftime({l_loc}, '%Y-%m') AS month,
                   strftime({loc("deals", "closed_at", "d.closed_at")}, '%Y-%m') AS closed_month
            FROM t_deals d JOIN t_reps r USING (rep_id)""")
    con.execute("CREATE VIEW v_reps AS SELECT * EXCLUDE (_row) FROM t_reps")
    for t in ("teams", "costs"):
        if t in present:
            con.execute(f"CREATE VIEW v_{t} AS SELECT * EXCLUDE (_row) FROM t_{t}")
