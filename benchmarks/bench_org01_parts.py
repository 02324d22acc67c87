"""Benchmark: the organisation-level parts of notebook 01 that scale with reps and teams, old code
against new, run side by side (the same machine load) on a cached generated organisation.

    .venv/bin/python benchmarks/bench_org01_parts.py --baseline-tree /work/wt/speed-base \\
        --data /tmp/iskpi-bench-scale/org300-m13/org

Each tree runs this file as a child (its own ``.venv`` and code, both children at once): it loads
the data, makes the month and day rep_period (not timed), then times ``kpi_tree``,
``team_scorecards``, ``executive.kpi_history`` and ``smart_by_phase`` with every team in the
growth phase (the phase decision is not what is measured). Prints each part's seconds per tree,
the ratio old/new, and whether every result is equal (pickled and compared here).
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2026-10"
PARTS = ("kpi_tree", "team_scorecards", "kpi_history", "smart_by_phase")


def child(data_dir: str, out: str) -> None:
    import pandas as pd

    from iskpi_analysis import aggregate, dataset, scorecard
    from iskpi_analysis.scorecard import executive

    data = dataset.load_data(data_dir)
    rp, rpd = aggregate.rep_period(data, grain="month"), aggregate.rep_period(data, grain="day")
    phases = pd.DataFrame({"team_id": data.team_ids(), "phase": "growth"})
    as_of = pd.Timestamp("2026-10-31")
    res, sec = {}, {}
    t = time.perf_counter()
    tree = res["kpi_tree"] = scorecard.kpi_tree(data, month=MONTH, rep_period=rp, phases=phases, as_of=as_of)
    sec["kpi_tree"] = time.perf_counter() - t
    t = time.perf_counter()
    teams = scorecard.team_scorecards(data, month=MONTH, tree=tree, rep_period=rp, rep_period_day=rpd, as_of=as_of)
    sec["team_scorecards"] = time.perf_counter() - t
    res["team_scorecards"] = {
        k: {f: v[f] for f in ("prob_plan", "daily", "pacing", "plan_summary") if f in v} for k, v in teams.items()
    }
    t = time.perf_counter()
    kp = {tm: executive.key_kpis(r["phase"]) for tm, r in teams.items()}
    res["kpi_history"] = executive.kpi_history(data, month=MONTH, rep_period=rp, team_kpis=kp)
    sec["kpi_history"] = time.perf_counter() - t
    t = time.perf_counter()
    res["smart_by_phase"] = scorecard.smart_by_phase(data, teams, rep_period=rp, month=MONTH)
    sec["smart_by_phase"] = time.perf_counter() - t
    Path(out).write_bytes(pickle.dumps({"sec": sec, "res": res}))


def _equal(a, b) -> bool:
    import pandas as pd

    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (pd.DataFrame, pd.Series)):
        try:
            (pd.testing.assert_frame_equal if isinstance(a, pd.DataFrame) else pd.testing.assert_series_equal)(
                a, b, check_exact=False, rtol=1e-9, check_index_type=False
            )
            return True
        except AssertionError:
            return False
    return (a == b) or (a != a and b != b)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--baseline-tree", required=True, type=Path)
    p.add_argument("--data", required=True)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child(a.data, a.child)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        procs = {}
        for who, tree in (("old", a.baseline_tree.resolve()), ("new", ROOT)):
            out = Path(tmp) / f"{who}.pkl"
            cmd = [str(tree / ".venv/bin/python"), __file__, "--baseline-tree", str(tree), "--data", a.data]
            procs[who] = (subprocess.Popen([*cmd, "--child", str(out)], cwd=tree, env={"PYTHONPATH": str(tree)}), out)
        got = {}
        for who, (proc, out) in procs.items():
            if proc.wait() != 0:
                sys.exit(f"{who} child failed")
            got[who] = pickle.loads(out.read_bytes())
    print(f"{'part':<18} {'old s':>8} {'new s':>8} {'old/new':>8}  equal")
    for part in PARTS:
        o, n = got["old"]["sec"][part], got["new"]["sec"][part]
        eq = _equal(got["old"]["res"][part], got["new"]["res"][part])
        print(f"{part:<18} {o:8.1f} {n:8.1f} {o / n:8.2f}  {eq}")
    o, n = sum(got["old"]["sec"].values()), sum(got["new"]["sec"].values())
    print(f"{'total':<18} {o:8.1f} {n:8.1f} {o / n:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
