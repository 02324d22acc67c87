"""What every engine offers the aggregations: its dialect, its relations, a query, a temp table."""

from __future__ import annotations

import contextlib
import inspect
import itertools
import json
import os

import pandas as pd

__all__ = ["Engine", "column_kinds", "unique_name", "QUERY_LOG_ENV"]

#: a file every database engine of the process appends one JSON line per query to (rows and
#: columns returned, the kit function that asked): how the tests prove that only aggregated
#: tables come back from the database (a report run's kernels inherit it)
QUERY_LOG_ENV = "ISKPI_ENGINE_LOG"


def unique_name(prefix: str) -> str:
    """A name no other temporary table or view of this process has (``prefix_<n>``)."""
    return f"{prefix}_{next(_names)}"


def column_kinds(df: pd.DataFrame) -> dict[str, str]:
    """Column → date, int32, int64, bool or str: the SQL type of a small table put in an engine."""
    out = {}
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s):
            out[c] = "bool"
        elif pd.api.types.is_integer_dtype(s):
            out[c] = "int64" if s.dtype.itemsize == 8 else "int32"
        elif s.dtype == object and len(s) and hasattr(s.dropna().iloc[0], "isoformat"):
            out[c] = "date"
        elif c in ("date", "week", "month"):  # the calendar's dates, also when empty
            out[c] = "date"
        else:
            out[c] = "str"
    return out


_names = itertools.count(1)


class Engine:
    """An engine the aggregations run in (see :mod:`iskpi_analysis.engines.definitions`).

    Subclasses set ``dialect`` and ``tz`` and implement :meth:`relations`, :meth:`has`,
    :meth:`query` and :meth:`_put` / :meth:`_drop` (a small temporary table, e.g. the calendar).
    """

    dialect = "duckdb"
    tz: str

    def relations(self) -> dict[str, str]:
        """Relation name (calls, emails, deals, reps) → table or parenthesised subquery."""
        raise NotImplementedError

    def has(self, table: str) -> bool:
        raise NotImplementedError

    def query(self, sql: str) -> pd.DataFrame:
        """Run SQL already in this engine's dialect; the result as a pandas DataFrame."""
        raise NotImplementedError

    def _put(self, name: str, df: pd.DataFrame) -> None:
        raise NotImplementedError

    def _drop(self, name: str) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def temp_table(self, df: pd.DataFrame, prefix: str = "iskpi_tmp"):
        """A temporary table holding ``df`` for the duration of the block; yields its name."""
        name = unique_name(prefix)
        self._put(name, df)
        try:
            yield name
        finally:
            self._drop(name)

    def calendar(self) -> pd.DataFrame:
        """The calendar relation (:func:`~.definitions.calendar_frame`) over every local date of
        the engine's calls, e-mails and deals; computed once per engine (a calendar longer than
        a filtered view's range changes nothing: the definitions take the range from the events)."""
        if getattr(self, "_calendar", None) is None:
            from .definitions import calendar_frame, date_range_sql

            rng = self.run(date_range_sql(self.has("emails"), self.has("deals")))
            self._calendar = calendar_frame(rng["d0"].iloc[0], rng["d1"].iloc[0])
        return self._calendar

    def run(self, sql: str, **extra: str) -> pd.DataFrame:
        """Render a definition for this engine (its relations and ``extra`` ones) and run it."""
        from .definitions import render

        return self.query(render(sql, self.dialect, {**self.relations(), **extra}))

    def source(self, table: str) -> str:
        """The raw contract table ``table`` (as stored, before the engine's typed relations)."""
        raise NotImplementedError

    def table(self, table: str) -> pd.DataFrame:
        """A small table (reps, teams, costs …) pulled whole."""
        return self.query(f"SELECT * FROM {self.source(table)}")

    def close(self) -> None:
        """Release the engine's connection (no-op where the engine does not own one)."""

    def execute(self, sql: str) -> None:
        """Run a statement in the engine's own SQL that returns nothing (CREATE VIEW …)."""
        raise NotImplementedError

    def month_sql(self, loc: str) -> str:
        """'YYYY-MM' of a local timestamp, in the engine's own SQL (for leads and deals, whose
        dates can lie outside the calendar of the calls)."""
        raise NotImplementedError

    def _logged(self, sql: str, df: pd.DataFrame, seconds: float = float("nan")) -> pd.DataFrame:
        """Remember what a query returned (rows, columns, asking function) in ``self.query_log``
        and, when ``ISKPI_ENGINE_LOG`` names a file, append it there as one JSON line."""
        entry = {
            "engine": type(self).__name__,
            "rows": int(len(df)),
            "columns": [str(c) for c in df.columns],
            "caller": _caller(),
            "seconds": round(seconds, 4),
            "sql": " ".join(sql.split())[:300],
        }
        log = self.__dict__.setdefault("query_log", [])
        log.append(entry)
        path = os.environ.get(QUERY_LOG_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return df


def _caller() -> str:
    """``module.function`` of the first frame outside the engines and the warehouse Dataset: the
    analysis that asked for the query."""
    for fr in inspect.stack(0)[2:]:
        mod = fr.frame.f_globals.get("__name__", "")
        if mod.startswith(("iskpi_analysis.engines", "iskpi_analysis.dataset.warehouse")):
            continue
        # the Dataset's own plumbing (a frame property, row counts) and an analysis' private
        # helpers (e.g. a memo around data.query) are not who asked: the public function is
        if mod.startswith("iskpi_analysis") and fr.function[0] in "<_":
            continue
        if mod.startswith("iskpi_analysis.dataset") and fr.function == "query":
            continue
        return f"{mod}.{fr.function}"
    return "?"
