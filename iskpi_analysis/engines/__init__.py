"""Where the aggregations run: DuckDB over loaded files, or the database that holds the data.

    eng = engines.connect("postgresql://user@host/crm?schema=sales", tz="Asia/Tokyo")
    day = aggregate.rep_period(eng, "day")            # runs in PostgreSQL, returns the rep-day table
    buckets = aggregate.call_buckets(eng, by=("rep_id", "weekday", "hour"))
    counts = engines.validation_counts(eng)           # rows, duplicate ids, missing values, unknown reps
    reps = eng.table("reps")                          # small dimension tables, pulled whole

Modules: :mod:`.definitions` (the one SQL definition of each aggregation and how it is rendered
for each engine with SQLGlot), :mod:`.local` (DuckDB over an ``dataset.Dataset``), :mod:`.postgres`,
:mod:`.spark`, :mod:`.relations` (the typed relations over a database's contract tables).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .. import config
from .base import Engine
from .definitions import VALIDATED, validation_sql

__all__ = ["Engine", "connect", "is_url", "validation_counts", "SCHEMES"]

#: URL schemes :func:`connect` understands
SCHEMES = ("postgresql", "postgres", "spark")


def is_url(source) -> bool:
    """True when ``source`` names a database (``scheme://…``) rather than a data directory."""
    return isinstance(source, str) and source.split("://", 1)[0] in SCHEMES and "://" in source


def connect(
    url: str,
    *,
    tz: str = config.DEFAULT_TZ,
    valid_talk_seconds: int = config.VALID_TALK_SECONDS,
    spark=None,
) -> Engine:
    """An engine over the contract tables in a database.

    Parameters
    ----------
    url : ``postgresql://user:pw@host:5432/db[?schema=s]``; ``spark://local/<database>`` (a local
        Spark session), ``spark://host:7077/<database>`` (a cluster) or
        ``spark:///<catalog.schema>`` (the active session, e.g. Databricks).
    tz : IANA zone of local days and hours (each engine converts with its own time-zone data).
    valid_talk_seconds : talk time that makes a connected call a valid conversation.
    spark : a SparkSession to use instead of the URL's (``spark://`` URLs only).

    Raises
    ------
    ValueError
        for another scheme (listing the allowed ones) or an unknown time zone.
    """
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SCHEMES:
        # the scheme only: the rest of the URL may hold a password
        raise ValueError(
            f"data URL scheme must be one of {SCHEMES} (e.g. postgresql://host/db), got {scheme + '://'!r}"
        )
    try:  # the zone name goes into each engine's SQL: only a real IANA name does
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"tz must be an IANA time zone name such as 'Asia/Tokyo', got {tz!r}") from None
    if scheme in ("postgresql", "postgres"):
        from .postgres import PostgresEngine

        return PostgresEngine(url, tz=tz, valid_talk_seconds=valid_talk_seconds)
    from .spark import SparkEngine, session_for

    database = url.split("://", 1)[1].partition("/")[2].strip("/") or None
    return SparkEngine(spark or session_for(url), database=database, tz=tz, valid_talk_seconds=valid_talk_seconds)


def validation_counts(eng: Engine) -> pd.DataFrame:
    """Counts of the checks the engine can run where the data lives, one row per table × check.

    Columns: table, check (n_rows, duplicate_ids, missing_<column>, unknown_rep), n. The same
    definition runs in every engine (for a loaded Dataset: over its parsed rows, before the
    validation drops any).
    """
    rows = []
    for t in VALIDATED:
        if not eng.has(t):
            continue
        df = eng.run(validation_sql(t), src=eng.source(t), reps_src=eng.source("reps"))
        rows += [{"table": t, "check": c, "n": int(df[c].iloc[0])} for c in df.columns]
    return pd.DataFrame(rows, columns=["table", "check", "n"])
