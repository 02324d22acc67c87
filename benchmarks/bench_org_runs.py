"""Benchmark: the organisation's runs (and one team's) of the monthly report, old code against new,
in the same run, on a cached generated organisation (``bench_report_scale.py`` makes them).

    .venv/bin/python benchmarks/bench_report_scale.py --sizes 300   # once: generates the cache
    .venv/bin/python benchmarks/bench_org_runs.py --baseline-tree /work/wt/speed-base \\
        --data /tmp/iskpi-bench-scale/org300-m13/org --notebooks 01_scorecard 04_time_of_day

Runs ``iskpi report --team t01`` (the organisation + team ``t01``) with ``--baseline-tree``'s code
and environment and with this checkout's, one after the other (baseline first), and prints per
run (team × notebook) the execute seconds of each and the ratio old/new, plus the parent's steps
(snapshot write, phase precompute) and the wall of each report.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_report_scale import run_report  # noqa: E402


def _steps(stderr: str) -> dict:
    """Seconds of the parent's steps from its progress lines."""
    out = {}
    for key, pat in (("snapshot", r"snapshot in ([\d.]+)s"), ("phase precompute", r"decided once in ([\d.]+)s")):
        m = re.search(pat, stderr)
        if m:
            out[key] = float(m.group(1))
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--baseline-tree", required=True, type=Path, help="a checkout of the old code with its .venv")
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--team", default="t01")
    p.add_argument("--notebooks", nargs="+", default=None)
    p.add_argument("--jobs", type=int, default=None)
    a = p.parse_args()
    extra = ["--team", a.team] + (["--notebooks", *a.notebooks] if a.notebooks else [])
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for who, tree in (("old", a.baseline_tree.resolve()), ("new", ROOT)):
            py = str(tree / ".venv" / "bin" / "python")
            r = run_report(a.data, Path(tmp) / who, extra=extra, jobs=a.jobs, python=py, cwd=tree)
            res[who] = r
            print(
                f"{who}: wall {r['wall']:.1f}s, peak PSS {r['pss'] / 1024**3:.2f} GB; {_steps(r['stderr'])}", flush=True
            )
    print(f"\n{'run':<28} {'old s':>8} {'new s':>8} {'old/new':>8}")
    old = {(r["team"], r["notebook"]): r["execute_seconds"] for r in res["old"]["runs"]}
    new = {(r["team"], r["notebook"]): r["execute_seconds"] for r in res["new"]["runs"]}
    for key in sorted(old, key=lambda k: (k[0] != "all", k)):
        if key in new:
            print(f"{key[0] + ' ' + key[1]:<28} {old[key]:8.1f} {new[key]:8.1f} {old[key] / new[key]:8.2f}")
    so, sn = _steps(res["old"]["stderr"]), _steps(res["new"]["stderr"])
    for k in so:
        if k in sn:
            print(f"{'parent: ' + k:<28} {so[k]:8.1f} {sn[k]:8.1f} {so[k] / sn[k]:8.2f}")
    print(
        f"{'report wall':<28} {res['old']['wall']:8.1f} {res['new']['wall']:8.1f} {res['old']['wall'] / res['new']['wall']:8.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
