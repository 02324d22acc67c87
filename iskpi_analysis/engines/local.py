"""The local engine: DuckDB over a validated :class:`~iskpi_analysis.dataset.Dataset`.

Local time comes from the Dataset's views: a fixed UTC offset where the zone keeps one over the
data (checked, :mod:`iskpi_analysis.tzfast`), DuckDB's ICU ``timezone()`` otherwise.
"""

from __future__ import annotations

import weakref

import pandas as pd

from .base import Engine
from .definitions import calendar_frame

# one calendar per loaded data (its DuckDB connection), shared by every filtered view of it
_CALENDARS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

__all__ = ["LocalEngine", "view_relations"]


def view_relations(data) -> dict[str, str]:
    """The definitions' relations over a Dataset's views, its filters included (lean calls and
    e-mails, reps, deals): the same for files (DuckDB) and a database's views."""
    rel = {"calls": data.sql("calls", lean=True), "reps": data.sql("reps")}
    if data.has("emails"):
        rel["emails"] = data.sql("emails", lean=True)
    if data.has("deals"):
        rel["deals"] = data.sql("deals")
    return rel


class LocalEngine(Engine):
    """The aggregations' engine for a Dataset (files loaded and validated by ``dataset.load_data``)."""

    dialect = "duckdb"

    def __init__(self, data):
        self.data = data
        self.tz = data.tz

    def has(self, table: str) -> bool:
        return self.data.has(table)

    def relations(self) -> dict[str, str]:
        return view_relations(self.data)

    def calendar(self) -> pd.DataFrame:
        """The calendar over the whole loaded data, computed once per load: the UTC dates of the
        first and last event ±1 day cover every local date (offsets are under 24 h), read from
        the typed tables without computing local time."""
        con = self.data.con
        try:
            return _CALENDARS[con]
        except (KeyError, TypeError):
            pass
        parts = [f"SELECT min({c}) AS t0, max({c}) AS t1 FROM t_{t}" for t, c in _EVENT_TIME.items() if self.has(t)]
        t0, t1 = con.execute(f"SELECT min(t0), max(t1) FROM ({' UNION ALL '.join(parts)})").fetchall()[0]
        cal = calendar_frame(*(None, None) if t0 is None else (_utc_day(t0, -1), _utc_day(t1, 1)))
        try:
            _CALENDARS[con] = cal
        except TypeError:  # a connection type without weak references: no cache
            pass
        return cal

    def source(self, table: str) -> str:
        # the parsed rows, before duplicates and rows with errors are dropped: what the
        # validation counts of a database engine see
        return f"p_{table}"

    def table(self, table: str) -> pd.DataFrame:
        return self.data.query(f"SELECT * FROM {self.data.sql(table)} t")

    def query(self, sql: str) -> pd.DataFrame:
        return self.data.query(sql)

    def _put(self, name: str, df: pd.DataFrame) -> None:
        self.data.con.register(name, df)

    def _drop(self, name: str) -> None:
        self.data.con.unregister(name)


_EVENT_TIME = {"calls": "started_at", "emails": "sent_at", "deals": "created_at"}


def _utc_day(t, shift: int) -> pd.Timestamp:
    t = pd.Timestamp(t)
    t = t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t
    return t.normalize() + pd.Timedelta(days=shift)
