"""Spark (local, a cluster, or Databricks-style catalogs): the aggregations run as Spark SQL.

The contract tables live in one database (``spark://local/sales``, ``spark://host:7077/sales``)
or catalog schema (``spark:///main.sales`` with the session already active, e.g. on
Databricks). Local time is Spark's own: ``from_utc_timestamp(started_at, '<zone>')`` read with
the session time zone set to UTC (so ``hour()`` and ``CAST(… AS DATE)`` of the shifted value are
the local hour and date). A ``TIMESTAMP_NTZ`` column is already local time.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pandas as pd

from .base import Engine, column_kinds, unique_name
from .relations import relation_sql

__all__ = ["SparkEngine", "session_for"]


def session_for(url: str):
    """The SparkSession of a ``spark://`` URL: ``local`` → a local session, ``host:port`` → that
    master, empty → the active session (or a new local one)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - the message is the point
        raise ImportError(
            "reading from Spark needs pyspark and a Java runtime: pip install 'iskpi[warehouse]' "
            "and e.g. apt-get install default-jdk-headless"
        ) from exc
    host = urlsplit(url).netloc
    active = SparkSession.getActiveSession()
    if not host and active is not None:
        return active
    builder = SparkSession.builder.appName("iskpi")
    if host in ("", "local"):
        builder = builder.master("local[*]")
    elif host.startswith("local["):
        builder = builder.master(host)
    else:
        builder = builder.master(f"spark://{host}")
    return builder.getOrCreate()


class SparkEngine(Engine):
    """Aggregations inside Spark.

    Parameters
    ----------
    spark : a SparkSession. Its ``spark.sql.session.timeZone`` is set to UTC (local time is
        converted explicitly, see the module docstring).
    database : database or ``catalog.schema`` holding the contract tables (None: the current one).
    tz, valid_talk_seconds : as for :class:`~iskpi_analysis.engines.postgres.PostgresEngine`.
    """

    dialect = "spark"
    TYPES = {"str": "STRING", "double": "DOUBLE", "date": "DATE", "bool": "BOOLEAN", "ts": "TIMESTAMP"}

    def __init__(self, spark, *, database: str | None = None, tz: str, valid_talk_seconds: int):
        self.spark = spark
        self.database = database or None
        self.tz = tz
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        self._tables = {}
        for t in ("teams", "reps", "calls", "emails", "leads", "deals", "costs"):
            name = self.source(t)
            if spark.catalog.tableExists(name):
                self._tables[t] = {f.name: f.dataType.simpleString() for f in spark.table(name).schema.fields}
        # one prefix per engine: two engines on one Spark session (or connection) keep their own views
        self._prefix = unique_name("iskpi")
        for t, sql in relation_sql(self, valid_talk_seconds).items():
            spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW {self._prefix}_{t} AS {sql}")

    def columns(self, table: str) -> dict[str, str]:
        return self._tables.get(table, {})

    def is_naive(self, table: str, col: str) -> bool:
        return self.columns(table).get(col) == "timestamp_ntz"

    def source(self, table: str) -> str:
        return f"{self.database}.{table}" if self.database else table

    def local_sql(self, col: str, naive: bool) -> tuple[str, str]:
        if naive:
            return col, col
        return col, f"from_utc_timestamp({col}, {_q(self.tz)})"

    def has(self, table: str) -> bool:
        return table in self._tables

    def relations(self) -> dict[str, str]:
        return {t: f"{self._prefix}_{t}" for t in ("calls", "emails", "deals", "reps") if self.has(t)}

    def query(self, sql: str) -> pd.DataFrame:
        t0 = time.perf_counter()
        df = self.spark.sql(sql).toPandas()
        return self._logged(sql, df, time.perf_counter() - t0)

    def execute(self, sql: str) -> None:
        self.spark.sql(sql)

    def month_sql(self, loc: str) -> str:
        return f"date_format({loc}, 'yyyy-MM')"

    def _put(self, name: str, df: pd.DataFrame) -> None:
        types = {"date": "DATE", "int32": "INT", "int64": "BIGINT", "bool": "BOOLEAN", "str": "STRING"}
        schema = ", ".join(f"`{c}` {types[k]}" for c, k in column_kinds(df).items())
        rows = [tuple(r) for r in df.itertuples(index=False)]
        self.spark.createDataFrame(rows, schema=schema).createOrReplaceTempView(name)

    def _drop(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)

    def __repr__(self) -> str:
        return f"SparkEngine(database={self.database!r}, tz={self.tz!r})"


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"
