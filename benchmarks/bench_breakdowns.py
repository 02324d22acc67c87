"""Benchmark: 04's breakdowns (lead source, segment, role, attempt) counted in DuckDB against the
pandas route they replaced, on the same data in the same run, with every table compared.

    .venv/bin/python benchmarks/bench_breakdowns.py                                  # the sample
    .venv/bin/python benchmarks/bench_breakdowns.py --data /tmp/iskpi-bench-scale/org300-m13/org

The old route (``_frame_counts``: every call of the period pulled into pandas, grouped there) is
what ``timing.breakdown`` ran before; the new one (``_sql_counts``) sends only the group × hour
counts back. Prints the seconds of each, the ratio old/new, and the largest relative difference
of any column of any table (must be ≤ 1e-9; exit code 1 otherwise).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iskpi_analysis import dataset, timing  # noqa: E402
from iskpi_analysis.timing import breakdowns as B  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="data directory (default: the sample)")
    ap.add_argument("--team", default="all")
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--hourly", action="store_true", help="also the hour split")
    a = ap.parse_args()
    history = dataset.load_data(a.data).filter(team=a.team)
    start, end = dataset.month_bounds(a.month, 3)
    data = history.filter(start=start, end=end)
    new_route = B._sql_route
    t = {"old": 0.0, "new": 0.0}
    worst = 0.0
    for by in timing.available_breakdowns(data):
        for route in ("old", "new"):  # the same order every time: the old route warms the files first
            B._sql_route = new_route if route == "new" else (lambda d, h: False)
            t0 = time.perf_counter()
            out = timing.breakdown(data, by=by, history=history, hourly=a.hourly)
            t[route] += time.perf_counter() - t0
            if route == "old":
                old = out
        B._sql_route = new_route
        for c in out.columns:
            x, y = out[c].to_numpy(), old[c].to_numpy()
            if out[c].dtype.kind in "fiu":
                x, y = x.astype(float), y.astype(float)
                d = np.abs(x - y) / np.maximum(np.abs(y), 1e-300)
                worst = max(worst, float(np.nanmax(d)) if len(d) else 0.0)
                if not (np.isnan(x) == np.isnan(y)).all():
                    worst = np.inf
            elif list(x) != list(y):
                worst = np.inf
        print(f"  {by:8s} rows {len(out):3d}", flush=True)
    print(
        f"breakdowns ({a.data or 'sample'}, team {a.team}): old {t['old']:.1f}s new {t['new']:.1f}s "
        f"ratio old/new {t['old'] / t['new']:.1f}x; largest relative difference {worst:.1e}"
    )
    return 0 if worst <= 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())
