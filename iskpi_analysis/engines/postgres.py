"""PostgreSQL: the aggregations run in the server; only their results come back (psycopg 3).

The contract tables (``calls``, ``reps``, …) are tables or views in one schema (``?schema=``,
default ``public``), with the contract's column names and values. Local time is PostgreSQL's
own: ``started_at AT TIME ZONE '<zone>'`` on a ``timestamptz`` column (tzdata of the server);
a ``timestamp`` column without zone is already local time (the contract's naive timestamps).
"""

from __future__ import annotations

import decimal as _decimal
import io as _io
import time
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pandas as pd

from .base import Engine, column_kinds, unique_name
from .relations import relation_sql

__all__ = ["PostgresEngine"]

_PG_TYPES = {"date": "date", "int32": "integer", "int64": "bigint", "bool": "boolean", "str": "text"}


class PostgresEngine(Engine):
    """Aggregations inside a PostgreSQL database.

    Parameters
    ----------
    url : ``postgresql://user:password@host:port/dbname[?schema=name&…]`` (libpq parameters
        pass through).
    tz : IANA zone of the report's local days and hours.
    valid_talk_seconds : talk time that makes a connected call a valid conversation.
    """

    dialect = "postgres"
    TYPES = {"str": "TEXT", "double": "DOUBLE PRECISION", "date": "DATE", "bool": "BOOLEAN", "ts": "TIMESTAMPTZ"}

    def __init__(self, url: str, *, tz: str, valid_talk_seconds: int):
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the message is the point
            raise ImportError(
                "reading from PostgreSQL needs psycopg: pip install 'iskpi[warehouse]' (or psycopg[binary])"
            ) from exc
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        self.schema = query.pop("schema", "public")
        conninfo = urlunsplit(parts._replace(query=urlencode(query)))
        self.url = urlunsplit(parts._replace(netloc=parts.hostname or "", query=""))  # without password
        self.tz = tz
        self._con = psycopg.connect(conninfo, autocommit=True)
        self._tables = self._columns()
        # one prefix per engine: two engines on one Spark session (or connection) keep their own views
        self._prefix = unique_name("iskpi")
        for t, sql in relation_sql(self, valid_talk_seconds).items():
            self._con.execute(f"CREATE OR REPLACE TEMP VIEW {self._prefix}_{t} AS {sql}")

    # --- what the database holds --------------------------------------------------------
    def _columns(self) -> dict[str, dict[str, str]]:
        rows = self._con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = %s",
            (self.schema,),
        ).fetchall()
        out: dict[str, dict[str, str]] = {}
        for table, col, typ in rows:
            out.setdefault(table, {})[col] = typ
        return out

    def columns(self, table: str) -> dict[str, str]:
        """Column → type of a source table (empty when the table is absent)."""
        return self._tables.get(table, {})

    def is_naive(self, table: str, col: str) -> bool:
        return self.columns(table).get(col, "").startswith("timestamp without")

    def source(self, table: str) -> str:
        return f'"{self.schema}"."{table}"'

    def local_sql(self, col: str, naive: bool) -> str:
        """(instant, local wall-clock timestamp) SQL of a timestamp column."""
        if naive:
            return f"({col} AT TIME ZONE {_q(self.tz)})", col
        return col, f"({col} AT TIME ZONE {_q(self.tz)})"

    # --- Engine ---------------------------------------------------------------------------
    def has(self, table: str) -> bool:
        return table in self._tables

    def relations(self) -> dict[str, str]:
        return {t: f"{self._prefix}_{t}" for t in ("calls", "emails", "deals", "reps") if self.has(t)}

    def query(self, sql: str) -> pd.DataFrame:
        t0 = time.perf_counter()
        cur = self._con.execute(sql)
        cols = [d.name for d in cur.description]
        df = pd.DataFrame(cur.fetchall(), columns=cols)
        for i in range(df.shape[1]):  # numeric (e.g. sum of a bigint) comes back as Decimal: a float, as in DuckDB
            col = df.iloc[:, i]  # by position: two unnamed aggregates are both called "count"
            s = col.dropna()
            if col.dtype == object and len(s) and isinstance(s.iloc[0], _decimal.Decimal):
                df.isetitem(i, col.astype(float))
        return self._logged(sql, df, time.perf_counter() - t0)

    def execute(self, sql: str) -> None:
        self._con.execute(sql)

    def month_sql(self, loc: str) -> str:
        return f"to_char({loc}, 'YYYY-MM')"

    def _put(self, name: str, df: pd.DataFrame) -> None:
        cols = ", ".join(f'"{c}" {_PG_TYPES[k]}' for c, k in column_kinds(df).items())
        self._con.execute(f"CREATE TEMP TABLE {name} ({cols})")
        buf = _io.StringIO()
        df.to_csv(buf, index=False, header=False)
        with self._con.cursor().copy(f"COPY {name} FROM STDIN WITH (FORMAT csv)") as cp:
            cp.write(buf.getvalue())

    def _drop(self, name: str) -> None:
        self._con.execute(f"DROP TABLE IF EXISTS {name}")

    def close(self) -> None:
        self._con.close()

    def __repr__(self) -> str:
        return f"PostgresEngine({self.url}, schema={self.schema!r}, tz={self.tz!r})"


def _q(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"
