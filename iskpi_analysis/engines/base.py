"""What every engine offers the aggregations: its dialect, its relations, a query, a temp table."""

from __future__ import annotations

import contextlib
import itertools

import pandas as pd

__all__ = ["Engine"]

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
        name = f"{prefix}_{next(_names)}"
        self._put(name, df)
        try:
            yield name
        finally:
            self._drop(name)

    def run(self, sql: str, **extra: str) -> pd.DataFrame:
        """Render a definition for this engine (its relations and ``extra`` ones) and run it."""
        from .definitions import render

        return self.query(render(sql, self.dialect, {**self.relations(), **extra}))

    def close(self) -> None:
        """Release the engine's connection (no-op where the engine does not own one)."""
