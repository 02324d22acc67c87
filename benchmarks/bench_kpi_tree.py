"""Benchmark: ``scorecard.kpi_tree`` on a generated 300-rep organisation (ten 30-rep teams).

    .venv/bin/python benchmarks/bench_kpi_tree.py                 # reference and current, ratio
    .venv/bin/python benchmarks/bench_kpi_tree.py --no-reference  # current only

The organisation is the one of ``bench_report_scale.py`` (``iskpi_analysis.sample.generate``
with ten ``TeamSpec`` of 30 reps, 13 months ending 2026-10; cached as Parquet under
``--cache``). The reference is the row-by-row tree of before issue 15, frozen in
``_tree_rowwise.py`` (one ``_value`` / ``_tree_row`` call per team × rep × KPI), measured in the
same run on the same data and ``rep_period``, after one warm-up call (which loads the tables),
``--repeat`` times each in alternating order, best time reported. The script also checks that both give the same
actual, previous value and rate parts for every row (the targets and verdicts differ on purpose:
issue 14 reads the one target table), and prints the ratio reference / current.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MONTH = "2026-10"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=300)
    p.add_argument("--no-reference", action="store_true", help="time the current kpi_tree only")
    p.add_argument("--repeat", type=int, default=2, help="runs of each, alternating order; the best is reported")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "iskpi-bench-scale")
    args = p.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)

    import numpy as np
    from bench_report_scale import dataset as scale_dataset

    from iskpi_analysis import aggregate, scorecard
    from iskpi_analysis import dataset as ds

    org, _, gen = scale_dataset(args.reps, args.cache, months=13)
    data = ds.load_data(org)
    rp = aggregate.rep_period(data, grain="month")
    n_teams = len(data.team_ids())
    print(f"{args.reps} reps, {n_teams} teams, {len(data.calls):,} calls ({'generated' if gen else 'cached'} in {org})")

    # warm-up: the first call loads the tables (DuckDB views, pandas frames) for both
    scorecard.kpi_tree(data, month=MONTH, rep_period=rp)
    runs = {"current": [], "reference": []}
    import _tree_rowwise

    fns = {
        "current": lambda: scorecard.kpi_tree(data, month=MONTH, rep_period=rp),
        "reference": lambda: _tree_rowwise.kpi_tree(data, month=MONTH, rep_period=rp),
    }
    names = ["current"] if args.no_reference else ["current", "reference"]
    out = {}
    for i in range(args.repeat):
        for name in names if i % 2 == 0 else names[::-1]:  # alternate which goes first
            t0 = time.perf_counter()
            out[name] = fns[name]()
            runs[name].append(time.perf_counter() - t0)
    new = out["current"]
    t_new = min(runs["current"])
    print(f"current kpi_tree: best of {args.repeat} {t_new:.2f} s ({len(new):,} rows)")
    if args.no_reference:
        return 0
    ref = out["reference"]
    t_ref = min(runs["reference"])
    print(f"reference (row by row): best of {args.repeat} {t_ref:.2f} s ({len(ref):,} rows)")

    # the part both share (the month's and last month's measures and response times: DuckDB
    # queries of the data layer), timed alone, so the tree's own work can be compared too
    from iskpi_analysis.scorecard import tree as sct

    t0 = time.perf_counter()
    for m in (MONTH, sct.previous_month(MONTH)):
        sct.measures(data, month=m, rep_period=rp, response_times_=sct.response_times(data, month=m))
    shared = time.perf_counter() - t0
    own_new, own_ref = max(t_new - shared, 1e-3), max(t_ref - shared, 1e-3)
    print(f"shared measures + response times: {shared:.2f} s")
    print(f"tree's own work: reference {own_ref:.2f} s, current {own_new:.2f} s, ratio {own_ref / own_new:.1f}x")

    key = ["level", "team_id", "rep_id", "kpi_id"]
    m = ref.merge(new, on=key, how="outer", suffixes=("_ref", "_new"), indicator=True)
    missing = m[m["_merge"] != "both"]
    bad = []
    for c in ("actual", "previous", "k", "n", "total"):
        a, b = m[f"{c}_ref"].astype(float).to_numpy(), m[f"{c}_new"].astype(float).to_numpy()
        same = np.isclose(a, b, rtol=1e-9, equal_nan=True)
        if not same.all():
            bad.append((c, int((~same).sum())))
    print(f"rows only in one: {len(missing)}; columns differing: {bad or 'none'}")
    print(f"ratio reference / current: {t_ref / t_new:.1f}x")
    return 0 if not len(missing) and not bad else 1


if __name__ == "__main__":
    raise SystemExit(main())
