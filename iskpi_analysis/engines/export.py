"""``iskpi aggregate``: run the aggregations where the data lives and write only their results.

Writes to ``out``: ``rep_day.parquet``, ``rep_week.parquet``, ``rep_month.parquet`` (and
``rep_day_by_appointment.parquet``: deals dated by their appointment call, the correlation
analysis's view), ``call_buckets.parquet`` (rep × local weekday × local hour),
``validation_counts.csv``, the small dimension tables (``reps``, ``teams``, ``costs`` where
present) and ``aggregate_manifest.json`` (source without password, zone, engine, row counts,
seconds per table).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd

from .base import Engine

__all__ = ["export", "DIMENSIONS"]

DIMENSIONS = ("teams", "reps", "costs")


def export(eng: Engine, out, *, source: str) -> dict:
    """Write the aggregated tables of ``eng`` to ``out`` (created); returns the manifest dict."""
    from .. import aggregate
    from . import validation_counts

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"source": source, "engine": type(eng).__name__, "tz": eng.tz, "tables": {}}

    def write(name: str, fn):
        t0 = time.perf_counter()
        df = fn()
        path = out / name
        if name.endswith(".csv"):
            df.to_csv(path, index=False)
        else:
            df.to_parquet(path, index=False)
        manifest["tables"][name] = {"rows": len(df), "seconds": round(time.perf_counter() - t0, 3)}
        return df

    counts = write("validation_counts.csv", lambda: validation_counts(eng))
    for grain in ("day", "week", "month"):
        write(f"rep_{grain}.parquet", lambda g=grain: aggregate.rep_period(eng, g))
    if eng.has("deals"):
        write("rep_day_by_appointment.parquet", lambda: aggregate.rep_period(eng, "day", deal_date="appointment"))
    write("call_buckets.parquet", lambda: aggregate.call_buckets(eng, by=("rep_id", "weekday", "hour")))
    for t in DIMENSIONS:
        if eng.has(t):
            write(f"{t}.parquet", lambda t=t: eng.table(t))
    manifest["problems"] = _problems(counts)
    (out / "aggregate_manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return manifest


def _problems(counts: pd.DataFrame) -> list[str]:
    """The non-zero problem counts as sentences (duplicated ids, missing values, unknown reps)."""
    bad = counts[(counts["check"] != "n_rows") & (counts["n"] > 0)]
    return [f"{r.table}: {r.n:,} × {r.check}" for r in bad.itertuples()]
