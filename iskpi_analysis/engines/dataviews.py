"""The views a :class:`~iskpi_analysis.dataset.Dataset` over a database reads, created inside
that database (``dataset.load_data("postgresql://…")``).

They expose the columns of the file route's DuckDB views (``iskpi_analysis.dataset.views``):
every contract column the table has (timestamps as instants), plus for calls the rep's
team_id and role, the local date, month, hour, weekday, business_day and valid_conversation;
for e-mails the opened/clicked/replied flags, team, role, date and month; for leads the
owner's team, date and month; for deals the rep's team and role, date, month and
closed_month. Weekday, month of calls and e-mails and the business day come from the calendar
table (:func:`~.definitions.calendar_frame`, put in the engine once), so the Japanese
business-day rule keeps its one home; the local hour and wall-clock time are the engine's own
(``local_sql``), as in the aggregations' relations (:mod:`.relations`).

Each view is a plain SELECT in the engine's own SQL (not transpiled: it is the engine's
business how it converts time), created once per loaded Dataset under the engine's prefix.
"""

from __future__ import annotations

from ..dataset.contract import CONTRACT

__all__ = ["create_views", "VIEWS"]

#: the Dataset's view names (calls_all: inbound calls too)
VIEWS = ("teams", "reps", "costs", "calls_all", "calls", "emails", "leads", "deals")


def _columns(eng, table: str, *, loc_of: dict[str, str] | None = None) -> list[str]:
    """SELECT items of every contract column of ``table`` (missing optional ones as NULL, ts
    columns as instants)."""
    out = []
    for col, (kind, _req) in CONTRACT[table].items():
        if col not in eng.columns(table):
            typ = {"bool": "bool", "money": "double", "int": "double", "date": "date"}.get(kind, "str")
            out.append(f"CAST(NULL AS {eng.TYPES['ts' if kind == 'ts' else typ]}) AS {col}")
        elif kind == "ts":
            inst, _loc = eng.local_sql(col, eng.is_naive(table, col))
            out.append(f"{inst} AS {col}")
        else:
            out.append(col)
    return out


def _loc(eng, table: str, col: str) -> str:
    return eng.local_sql(col, eng.is_naive(table, col))[1]


def create_views(eng, *, cal: str, valid_talk_seconds: int) -> dict[str, str]:
    """Create the Dataset's views in ``eng`` (``cal``: the calendar table's name); returns view
    → name in the engine. Tables the database does not hold get no view."""
    p = eng._prefix
    names = {}
    sql = {}
    reps = f"{p}_v_reps"
    for t in ("teams", "reps", "costs"):
        if eng.has(t):
            sql[t] = f"SELECT {', '.join(_columns(eng, t))} FROM {eng.source(t)}"
    if eng.has("calls"):
        loc = _loc(eng, "calls", "started_at")
        inner = ", ".join(
            [*_columns(eng, "calls"), f"{loc} AS loc", f"CAST({loc} AS DATE) AS date"]
            + [f"(connected AND talk_seconds >= {int(valid_talk_seconds)}) AS valid_conversation"]
        )
        sql["calls_all"] = f"""SELECT c.call_id, c.rep_id, c.lead_id, c.started_at, c.connected, c.talk_seconds,
               c.appointment, c.decision_maker, c.script, c.direction, c.disposition_raw, r.team_id, r.role,
               c.date, k.month_label AS month, CAST(EXTRACT(HOUR FROM c.loc) AS INTEGER) AS hour,
               k.weekday, k.business_day, c.valid_conversation
            FROM (SELECT {inner} FROM {eng.source("calls")}) c
            JOIN {reps} r ON r.rep_id = c.rep_id LEFT JOIN {cal} k ON k.date = c.date"""
        # outbound calls (an empty direction is outbound): what every analysis reads
        sql["calls"] = f"SELECT * FROM {p}_v_calls_all WHERE direction IS NULL OR direction <> 'in'"
    if eng.has("emails"):
        loc = _loc(eng, "emails", "sent_at")
        sql["emails"] = f"""SELECT e.email_id, e.rep_id, e.lead_id, e.sent_at, e.opened_at, e.clicked_at, e.replied_at,
               (e.opened_at IS NOT NULL) AS opened, (e.clicked_at IS NOT NULL) AS clicked,
               (e.replied_at IS NOT NULL) AS replied, r.team_id, r.role, e.date, k.month_label AS month
            FROM (SELECT {", ".join(_columns(eng, "emails"))}, CAST({loc} AS DATE) AS date FROM {eng.source("emails")}) e
            JOIN {reps} r ON r.rep_id = e.rep_id LEFT JOIN {cal} k ON k.date = e.date"""
    if eng.has("leads"):
        loc = _loc(eng, "leads", "created_at")
        cols = ", ".join(f"l.{c}" for c in CONTRACT["leads"])
        sql["leads"] = f"""SELECT {cols}, r.team_id, l.date, l.month FROM (SELECT {", ".join(_columns(eng, "leads"))},
               CAST({loc} AS DATE) AS date, {eng.month_sql(loc)} AS month FROM {eng.source("leads")}) l
            LEFT JOIN {reps} r ON r.rep_id = l.owner_rep_id"""
    if eng.has("deals"):
        loc = _loc(eng, "deals", "created_at")
        closed = _loc(eng, "deals", "closed_at") if "closed_at" in eng.columns("deals") else "CAST(NULL AS DATE)"
        cols = ", ".join(f"d.{c}" for c in CONTRACT["deals"])
        sql[
            "deals"
        ] = f"""SELECT {cols}, r.team_id, r.role, d.date, d.month, d.closed_month FROM (SELECT {", ".join(_columns(eng, "deals"))},
               CAST({loc} AS DATE) AS date, {eng.month_sql(loc)} AS month, {eng.month_sql(closed)} AS closed_month
               FROM {eng.source("deals")}) d
            JOIN {reps} r ON r.rep_id = d.rep_id"""
    for v in VIEWS:  # in order: calls reads the reps view and calls_all
        if v in sql:
            names[v] = f"{p}_v_{v}"
            eng.execute(f"CREATE OR REPLACE TEMP VIEW {names[v]} AS {sql[v]}".replace("TEMP VIEW", _temp(eng)))
    return names


def _temp(eng) -> str:
    return "TEMPORARY VIEW" if eng.dialect == "spark" else "TEMP VIEW"
