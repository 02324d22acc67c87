"""The local engine: DuckDB over a validated :class:`~iskpi_analysis.io.Dataset`.

Local time comes from the Dataset's views: a fixed UTC offset where the zone keeps one over the
data (checked, :mod:`iskpi_analysis.tzfast`), DuckDB's ICU ``timezone()`` otherwise.
"""

from __future__ import annotations

import pandas as pd

from .base import Engine

__all__ = ["LocalEngine"]


class LocalEngine(Engine):
    """The aggregations' engine for a Dataset (files loaded and validated by ``io.load_data``)."""

    dialect = "duckdb"

    def __init__(self, data):
        self.data = data
        self.tz = data.tz

    def has(self, table: str) -> bool:
        return self.data.has(table)

    def relations(self) -> dict[str, str]:
        d = self.data
        rel = {"calls": d.sql("calls", lean=True), "reps": d.sql("reps")}
        if d.has("emails"):
            rel["emails"] = d.sql("emails", lean=True)
        if d.has("deals"):
            rel["deals"] = d.sql("deals")
        return rel

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
