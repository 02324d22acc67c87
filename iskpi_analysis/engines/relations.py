"""The relations of the definitions (``{calls}``, ``{emails}``, ``{deals}``, ``{reps}``) over a
database's raw contract tables, the same for every SQL engine but for local time.

An engine gives :func:`relation_sql` its ``TYPES`` (SQL type of kind str, double, date, bool),
``columns(table)``, ``source(table)`` and
``local_sql(col, naive)`` (the instant and the local wall-clock time of a timestamp column, in
its own SQL). Optional contract columns missing from a table read as NULL.
"""

from __future__ import annotations

__all__ = ["relation_sql"]


def relation_sql(eng, valid_talk_seconds: int) -> dict[str, str]:
    """Table name → SELECT of the relation, in the engine's own SQL (not transpiled)."""

    def col(table, name, kind):
        return name if name in eng.columns(table) else f"CAST(NULL AS {eng.TYPES[kind]})"

    out = {}
    reps = eng.source("reps")
    out["reps"] = f"SELECT rep_id, team_id, role, joined_on, {col('reps', 'left_on', 'date')} AS left_on FROM {reps}"
    if eng.columns("calls"):
        inst, loc = eng.local_sql("started_at", eng.is_naive("calls", "started_at"))
        outbound = " WHERE direction IS NULL OR direction <> 'in'" if "direction" in eng.columns("calls") else ""
        out["calls"] = f"""SELECT call_id, rep_id, {col("calls", "lead_id", "str")} AS lead_id,
            {inst} AS started_at, {loc} AS loc, CAST({loc} AS DATE) AS date, connected,
            (connected AND talk_seconds >= {int(valid_talk_seconds)}) AS valid_conversation, appointment,
            {col("calls", "decision_maker", "bool")} AS decision_maker
            FROM {eng.source("calls")}{outbound}"""
    if eng.columns("emails"):
        inst, loc = eng.local_sql("sent_at", eng.is_naive("emails", "sent_at"))
        flags = ", ".join(
            f"({c}_at IS NOT NULL) AS {c}" if f"{c}_at" in eng.columns("emails") else f"false AS {c}"
            for c in ("opened", "clicked", "replied")
        )
        # sent_at (the instant): a Dataset's window filters the e-mails on it
        out["emails"] = f"""SELECT rep_id, {col("emails", "lead_id", "str")} AS lead_id, {inst} AS sent_at,
            CAST({loc} AS DATE) AS date, {flags} FROM {eng.source("emails")}"""
    if eng.columns("deals"):
        inst, loc = eng.local_sql("created_at", eng.is_naive("deals", "created_at"))
        out["deals"] = f"""SELECT deal_id, rep_id, {col("deals", "lead_id", "str")} AS lead_id,
            {inst} AS created_at, CAST({loc} AS DATE) AS date, {col("deals", "amount_jpy", "double")} AS amount_jpy
            FROM {eng.source("deals")}"""
    return out
