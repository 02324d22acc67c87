"""The one definition of each aggregation, for every engine (DuckDB, PostgreSQL, Spark).

Each definition is SQL written once, in DuckDB's dialect restricted to a portable subset, over
six relations every engine provides under the names in braces:

``{calls}``  outbound calls: rep_id, lead_id, started_at (the instant), loc (local wall-clock
             TIMESTAMP), date (local DATE), connected, valid_conversation, appointment,
             decision_maker
``{emails}`` rep_id, lead_id, date, opened, clicked, replied
``{deals}``  deal_id, rep_id, lead_id, created_at (the instant), date (local), amount_jpy
``{reps}``   rep_id, team_id, role, joined_on, left_on
``{cal}``    the calendar (:func:`calendar_frame`): date, week (its ISO Monday), month (its first
             day), month_label ('YYYY-MM'), weekday (0 = Monday), business_day

The local DuckDB path runs the text as it is; the other engines get it through SQLGlot
(:func:`render`). Only how an engine turns an instant into local time differs (each engine's
module builds ``{calls}`` etc.): that is the engine's own business.

Portable subset, checked by :func:`check_portable` on every rendering: explicit GROUP BY
columns (SQLGlot passes DuckDB's ``GROUP BY ALL`` through to PostgreSQL, where it is invalid),
no weekday, truncation or formatting functions (SQLGlot writes ``DAYOFWEEK_ISO`` for PostgreSQL,
which does not exist, and ``(DAYOFWEEK(x) % 7) + 1`` for Spark, which calls a Sunday 2), no
``MATERIALIZED`` CTEs. Weekday, ISO week, month and business day come from the calendar, a
small table built in Python once (with the Japanese holidays of :mod:`iskpi_analysis.workdays`)
and shipped to the engine, so those rules keep one home.
"""

from __future__ import annotations

import functools
import re

import pandas as pd
import sqlglot
from sqlglot import expressions as exp

from .. import workdays

__all__ = [
    "RELATIONS",
    "GRAINS",
    "EVENT_COUNTS",
    "BUCKET_KEYS",
    "calendar_frame",
    "date_range_sql",
    "rep_period_sql",
    "call_buckets_sql",
    "validation_sql",
    "render",
    "render_query",
    "check_portable",
]

RELATIONS = ("calls", "emails", "deals", "reps", "cal")
GRAINS = ("day", "week", "month")
#: the calendar column that is the period of each grain
PERIOD_COLUMN = {"day": "date", "week": "week", "month": "month"}
#: counts summed from the call and e-mail stream (aggregate.COUNT_COLUMNS[:9], same order)
EVENT_COUNTS = (
    "calls",
    "connects",
    "valid_conversations",
    "appointments",
    "decision_maker_connects",
    "emails_sent",
    "emails_opened",
    "emails_clicked",
    "emails_replied",
)
BUCKET_KEYS = ("team_id", "rep_id", "role", "weekday", "hour", "business_day", "date", "month")
#: the SQL of each call-bucket key that is a function of the call's time (``c``: calls, ``k``: calendar)
BUCKET_EXPR = {
    "weekday": "k.weekday",
    "hour": "CAST(EXTRACT(HOUR FROM c.loc) AS INTEGER)",
    "date": "c.date",
    "month": "k.month_label",
    "business_day": "k.business_day",
}
DIALECTS = ("duckdb", "postgres", "spark")


def calendar_frame(start, end) -> pd.DataFrame:
    """The calendar relation ``{cal}`` for the local dates [start, end] (both included).

    Columns: date, week (Monday of the ISO week), month (first day), month_label ('YYYY-MM'),
    weekday (0 = Monday … 6 = Sunday), business_day (Monday–Friday and not a Japanese holiday,
    :func:`iskpi_analysis.workdays.is_business_day`). Empty when start or end is missing.
    """
    if start is None or end is None or pd.isna(start) or pd.isna(end):
        days = pd.DatetimeIndex([])
    else:
        days = pd.date_range(pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize(), freq="D")
    return pd.DataFrame(
        {
            "date": days.date,
            "week": (days - pd.to_timedelta(days.day_of_week, unit="D")).date,
            "month": days.to_period("M").start_time.date if len(days) else [],
            "month_label": days.strftime("%Y-%m"),
            "weekday": days.day_of_week.astype("int32"),
            "business_day": workdays.is_business_day(days).astype(bool) if len(days) else [],
        }
    ).astype({"weekday": "int32", "business_day": bool})


def date_range_sql(has_emails: bool, has_deals: bool) -> str:
    """First and last local date of calls, e-mails and deals (the calendar's span)."""
    parts = ["SELECT min(date) AS d0, max(date) AS d1 FROM {calls} x"]
    if has_emails:
        parts.append("SELECT min(date) AS d0, max(date) AS d1 FROM {emails} x")
    if has_deals:
        parts.append("SELECT min(date) AS d0, max(date) AS d1 FROM {deals} x")
    return f"SELECT min(d0) AS d0, max(d1) AS d1 FROM ({' UNION ALL '.join(parts)}) r"


#: how each event count is counted from the stream of calls and e-mails (``ev`` below)
_FACTS = {
    "calls": "count_if(is_call)",
    "connects": "count_if(connected)",
    "valid_conversations": "count_if(valid_conversation)",
    "appointments": "count_if(appointment)",
    "decision_maker_connects": "count_if(dm)",
    "emails_sent": "count_if(NOT is_call)",
    "emails_opened": "count_if(opened)",
    "emails_clicked": "count_if(clicked)",
    "emails_replied": "count_if(replied)",
}


def rep_period_sql(grain: str, *, has_emails: bool, has_deals: bool, deal_date: str = "created") -> str:
    """The rep × period KPI table of :func:`iskpi_analysis.aggregate.rep_period` (its docstring
    is the specification); one row per rep × period, ordered by rep_id, period.

    Long because it is one SQL statement built in one place: its CTEs (event counts, deals,
    distinct leads, the rep × period grid) are read together to check that every event is
    counted once, on every engine.
    """
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}, got {grain!r}")
    per = PERIOD_COLUMN[grain]
    ev = [
        """SELECT rep_id, date, lead_id, true AS is_call, connected, valid_conversation, appointment,
               connected AND coalesce(decision_maker, false) AS dm, CAST(NULL AS BOOLEAN) AS opened,
               CAST(NULL AS BOOLEAN) AS clicked, CAST(NULL AS BOOLEAN) AS replied FROM {calls} c"""
    ]
    if has_emails:
        ev.append("""SELECT rep_id, date, lead_id, false AS is_call, CAST(NULL AS BOOLEAN) AS connected,
               CAST(NULL AS BOOLEAN) AS valid_conversation, CAST(NULL AS BOOLEAN) AS appointment,
               CAST(NULL AS BOOLEAN) AS dm, opened, clicked, replied FROM {emails} e""")
    # without e-mails the e-mail counts are not columns of the result: not counted at all
    counts = [c for c in EVENT_COUNTS if has_emails or not c.startswith("emails")]
    facts = ", ".join(f"{_FACTS[c]} AS {c}" for c in counts)
    sums = ", ".join(f"CAST(sum({c}) AS BIGINT) AS {c}" for c in counts)
    # Distinct leads by two-level grouping (rep × day × lead, then rep × day): a hash aggregate
    # on every engine, where count(DISTINCT) inside the grouping is a sort or a second pass.
    parts = [
        f"""rdl AS (SELECT rep_id, date, lead_id, {facts}
            FROM ({" UNION ALL ".join(ev)}) ev GROUP BY rep_id, date, lead_id)""",
        f"""day AS (SELECT rep_id, date, {sums}, count(lead_id) AS leads_handled
            FROM rdl GROUP BY rep_id, date)""",
    ]
    if has_deals:
        if deal_date == "appointment":
            # the lead's latest appointment call by the same rep at or before the deal (an as-of
            # join, written as a window so that every engine has it)
            parts.append("""m AS (SELECT d.deal_id, d.rep_id, d.date AS created_date, d.amount_jpy,
                    c.date AS call_date, row_number() OVER (PARTITION BY d.deal_id ORDER BY c.started_at DESC) AS rn
                FROM {deals} d LEFT JOIN {calls} c ON c.appointment AND c.rep_id = d.rep_id
                     AND c.lead_id = d.lead_id AND c.started_at <= d.created_at)""")
            dated = """SELECT rep_id, coalesce(call_date, created_date) AS date, amount_jpy,
                       call_date IS NULL AS unattributed FROM m WHERE rn = 1"""
        else:
            dated = "SELECT rep_id, date, amount_jpy, false AS unattributed FROM {deals} d"
        parts.append(f"""dday AS (SELECT rep_id, date, count(*) AS deals_created,
                 coalesce(sum(amount_jpy), 0) AS deal_amount_jpy,
                 count_if(unattributed) AS deals_unattributed FROM ({dated}) dd GROUP BY rep_id, date)""")
    deal_days = " UNION ALL SELECT rep_id, date, false AS worked FROM dday" if has_deals else ""
    # the grid: business days each rep was employed inside the range of calls and e-mails, plus
    # every day with an event (weekend, holiday and out-of-employment events are rows too, so no
    # event is lost at any grain). ``worked``: the day counts in n_days (a deal created on a
    # Sunday is the result of earlier work, not a working day).
    parts.append(f"""grid AS (SELECT rep_id, date, bool_or(worked) AS worked FROM (
        SELECT r.rep_id, k.date, true AS worked
        FROM {{reps}} r, {{cal}} k, (SELECT min(date) AS d0, max(date) AS d1 FROM day) rng
        WHERE k.date >= rng.d0 AND k.date <= rng.d1 AND k.business_day
          AND k.date >= r.joined_on AND (r.left_on IS NULL OR k.date <= r.left_on)
        UNION ALL SELECT rep_id, date, true AS worked FROM day{deal_days}) gr GROUP BY rep_id, date)""")
    parts.append(f"""g AS (SELECT gr.rep_id, k.{per} AS period, CAST(count_if(gr.worked) AS BIGINT) AS n_days,
        bool_and(k.business_day) AS business_day
        FROM grid gr JOIN {{cal}} k ON k.date = gr.date GROUP BY gr.rep_id, k.{per})""")
    if grain == "day":
        parts.append(f"agg AS (SELECT rep_id, date AS period, {', '.join(counts)}, leads_handled FROM day)")
    else:
        # leads_handled is distinct per period, not a sum of daily distinct counts
        parts.append(f"""lh AS (SELECT rep_id, period, count(lead_id) AS leads_handled FROM (
                SELECT DISTINCT x.rep_id, k.{per} AS period, x.lead_id FROM rdl x JOIN {{cal}} k ON k.date = x.date) t
            GROUP BY rep_id, period)""")
        parts.append(f"""agg AS (SELECT x.rep_id, k.{per} AS period,
                {", ".join(f"CAST(sum(x.{c}) AS BIGINT) AS {c}" for c in counts)}
            FROM day x JOIN {{cal}} k ON k.date = x.date GROUP BY x.rep_id, k.{per})""")
    cols = [f"coalesce(a.{c}, 0) AS {c}" for c in counts]
    joins = ["LEFT JOIN agg a ON a.rep_id = g.rep_id AND a.period = g.period"]
    if grain == "day":
        cols.append("coalesce(a.leads_handled, 0) AS leads_handled")
    else:
        cols.append("coalesce(lh.leads_handled, 0) AS leads_handled")
        joins.append("LEFT JOIN lh ON lh.rep_id = g.rep_id AND lh.period = g.period")
    if has_deals:
        parts.append(f"""dp AS (SELECT x.rep_id, k.{per} AS period, CAST(sum(x.deals_created) AS BIGINT) AS deals_created,
                 sum(x.deal_amount_jpy) AS deal_amount_jpy, CAST(sum(x.deals_unattributed) AS BIGINT) AS deals_unattributed
                 FROM dday x JOIN {{cal}} k ON k.date = x.date GROUP BY x.rep_id, k.{per})""")
        cols += ["coalesce(dp.deals_created, 0) AS deals_created", "coalesce(dp.deal_amount_jpy, 0) AS deal_amount_jpy"]
        if deal_date == "appointment":
            cols.append("coalesce(dp.deals_unattributed, 0) AS deals_unattributed")
        joins.append("LEFT JOIN dp ON dp.rep_id = g.rep_id AND dp.period = g.period")
    return (
        f"WITH {', '.join(parts)} SELECT g.rep_id, r.team_id, r.role, g.period, g.n_days, "
        f"{'g.business_day, ' if grain == 'day' else ''}{', '.join(cols)} "
        f"FROM g JOIN {{reps}} r ON r.rep_id = g.rep_id {' '.join(joins)} "
        f"ORDER BY g.rep_id, g.period"
    )


def call_buckets_sql(by) -> str:
    """Call counts per bucket (:func:`iskpi_analysis.aggregate.call_buckets`); ``by`` already
    completed by the caller (team_id with rep_id, business_day always). Ordered by ``by``."""
    by = list(by)
    bad = [b for b in by if b not in BUCKET_KEYS]
    if bad:
        raise ValueError(f"by must be drawn from {BUCKET_KEYS}, got {bad}")
    # count per rep × time keys (one scan of the calls), then attach team/role from reps
    time_keys = [k for k in by if k in BUCKET_EXPR]
    inner = ", ".join(["c.rep_id"] + [f"{BUCKET_EXPR[k]} AS {k}" for k in time_keys])
    inner_group = ", ".join(["c.rep_id"] + [BUCKET_EXPR[k] for k in time_keys])
    outer = ", ".join(f"b.{k}" if k in time_keys else f"r.{k}" for k in by)
    return f"""WITH b AS (SELECT {inner}, count(*) AS calls, count_if(c.connected) AS connects,
            count_if(c.valid_conversation) AS valid_conversations, count_if(c.appointment) AS appointments
          FROM {{calls}} c JOIN {{cal}} k ON k.date = c.date GROUP BY {inner_group})
        SELECT {outer}, CAST(sum(b.calls) AS BIGINT) AS calls, CAST(sum(b.connects) AS BIGINT) AS connects,
               CAST(sum(b.valid_conversations) AS BIGINT) AS valid_conversations,
               CAST(sum(b.appointments) AS BIGINT) AS appointments
        FROM b JOIN {{reps}} r ON r.rep_id = b.rep_id GROUP BY {outer} ORDER BY {outer}"""


#: what :func:`validation_sql` counts for each table: (id column, required columns, rep column)
VALIDATED = {
    "reps": ("rep_id", ("rep_id", "team_id", "role", "joined_on"), None),
    "calls": ("call_id", ("call_id", "rep_id", "started_at", "connected", "talk_seconds", "appointment"), "rep_id"),
    "emails": ("email_id", ("email_id", "rep_id", "sent_at"), "rep_id"),
    "deals": ("deal_id", ("deal_id", "rep_id", "created_at", "status"), "rep_id"),
}


def validation_sql(table: str) -> str:
    """Counts of the rows of a raw ``table`` (relation ``{src}``; ``{reps_src}``: the raw reps):
    rows, duplicated ids, missing required values (one column each), and ids of unknown reps.
    One row, one column per count (``n_rows``, ``duplicate_ids``, ``missing_<col>``, ``unknown_rep``)."""
    if table not in VALIDATED:
        raise ValueError(f"table must be one of {tuple(VALIDATED)}, got {table!r}")
    key, required, rep = VALIDATED[table]
    cols = [
        "count(*) AS n_rows",
        f"count(s.{key}) - count(DISTINCT s.{key}) AS duplicate_ids",
        *(f"count(*) - count(s.{c}) AS missing_{c}" for c in required),
    ]
    join = ""
    if rep:
        # a join, not NOT IN inside the aggregate: Spark allows subqueries only in filters
        cols.append(f"count_if(s.{rep} IS NOT NULL AND rr.known IS NULL) AS unknown_rep")
        join = f" LEFT JOIN (SELECT DISTINCT rep_id AS known FROM {{reps_src}} r0) rr ON rr.known = s.{rep}"
    return f"SELECT {', '.join(cols)} FROM {{src}} s{join}"


# --- rendering -------------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(sql: str, relations: dict[str, str]) -> str:
    """Put each engine's relation (a table name or a parenthesised subquery) in its braces."""

    def sub(m):
        if m.group(1) not in relations:
            raise KeyError(f"no relation for {{{m.group(1)}}}; given: {sorted(relations)}")
        return relations[m.group(1)]

    return _PLACEHOLDER.sub(sub, sql)


def render(sql: str, dialect: str, relations: dict[str, str]) -> str:
    """The definition ``sql`` with its relations filled in, in ``dialect`` (duckdb, postgres or
    spark). DuckDB runs the text itself; the others get SQLGlot's transpilation. Every
    definition is checked with :func:`check_portable` first (once per definition text)."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, got {dialect!r}")
    text = fill(sql, relations)
    _check_definition(sql)
    if dialect == "duckdb":
        return text
    return sqlglot.transpile(text, read="duckdb", write=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)[0]


@functools.lru_cache(maxsize=512)
def render_query(sql: str, dialect: str) -> str:
    """A query of the kit's analyses (DuckDB dialect, relations already filled in by
    ``Dataset.sql``) in ``dialect``: refused by :func:`check_portable` like a definition, then
    transpiled by SQLGlot. Derived tables without an alias (``FROM (SELECT …) WHERE``, valid
    in DuckDB, an error in PostgreSQL before 16) get one, so the analyses' texts need not."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {DIALECTS}, got {dialect!r}")
    if dialect == "duckdb":
        return sql
    check_portable(sql)
    tree = sqlglot.parse_one(sql, read="duckdb")
    for i, node in enumerate(list(tree.find_all(exp.Subquery))):
        if isinstance(node.parent, (exp.From, exp.Join)) and not node.alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"iskpi_q{i}")))
    return tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)


@functools.lru_cache(maxsize=256)
def _check_definition(sql: str) -> None:
    # the relations as plain names: a portable definition stays portable whatever fills them
    check_portable(_PLACEHOLDER.sub(lambda m: f"rel_{m.group(1)}", sql))


#: SQLGlot expression types that do not transpile to valid (or equal) SQL on every engine
_NOT_PORTABLE = {
    exp.DayOfWeekIso: "weekday (use the calendar's weekday)",
    exp.DayOfWeek: "weekday (use the calendar's weekday)",
    exp.DateTrunc: "date truncation (use the calendar's week/month)",
    exp.TimestampTrunc: "date truncation (use the calendar's week/month)",
    exp.TimeToStr: "date formatting (use the calendar's month_label)",
}


def check_portable(sql: str) -> None:
    """Raise ValueError when a definition uses SQL that SQLGlot does not carry to every engine
    (``GROUP BY ALL``, ``MATERIALIZED``, weekday/truncation/formatting functions)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for node in tree.walk():
        if isinstance(node, exp.Group) and node.args.get("all"):
            raise ValueError("GROUP BY ALL is not portable (PostgreSQL): list the columns")
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            raise ValueError("MATERIALIZED CTEs are not portable (Spark)")
        for typ, what in _NOT_PORTABLE.items():
            if type(node) is typ:
                raise ValueError(f"{typ.__name__} is not portable: {what}")
