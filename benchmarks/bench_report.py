"""Benchmark: ``iskpi report`` vs running the same notebooks one after another with plain
``papermill`` + ``jupyter nbconvert`` (the sequential baseline), in the same run, on the same data.

    .venv/bin/python benchmarks/bench_report.py                       # sample data, every team
    .venv/bin/python benchmarks/bench_report.py --teams tokyo_is      # org + one team
    .venv/bin/python benchmarks/bench_report.py --jobs 4 --notebooks 01_scorecard

Prints the wall time of the whole command, each notebook run (execute + HTML export) as the
runner measured it, the baseline per run (papermill, nbconvert) and the ratio baseline / command.
Bar: the command is no slower than the baseline (ratio >= 1), faster where parallelism helps.
Exit code 1 when the bar is missed (ratio < 1 / (1 + tolerance)).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iskpi_analysis import config, dataset, report  # noqa: E402

BIN = Path(sys.executable).parent


def _tool(name: str) -> list[str]:
    exe = BIN / name
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


def run_command(args, out: Path) -> tuple[float, dict]:
    exe = [str(BIN / "iskpi")] if (BIN / "iskpi").exists() else [sys.executable, "-m", "iskpi_analysis.cli"]
    cmd = [*exe, "report", "--month", args.month, "--data", str(args.data), "--out", str(out), "-q"]
    for t in args.teams or []:
        cmd += ["--team", t]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    if args.notebooks:
        cmd += ["--notebooks", *args.notebooks]
    if args.notebooks_dir:
        cmd += ["--notebooks-dir", str(args.notebooks_dir)]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"iskpi report failed ({r.returncode}):\n{r.stderr[-3000:]}")
    manifest = json.loads((out / args.month / "manifest.json").read_text(encoding="utf-8"))
    return wall, manifest


def run_baseline(args, runs: list[tuple[str, Path]], out: Path, data_dir: Path) -> tuple[float, list[dict]]:
    rows = []
    t_all = time.perf_counter()
    for team, nb in runs:
        dest = out / team
        dest.mkdir(parents=True, exist_ok=True)
        ipynb = dest / nb.name
        t0 = time.perf_counter()
        subprocess.run(
            [
                *_tool("papermill"),
                str(nb),
                str(ipynb),
                "--cwd",
                str(nb.parent),
                "-p",
                "month",
                args.month,
                "-p",
                "team",
                team,
                "-p",
                "data_dir",
                str(data_dir),
                "-p",
                "lang",
                args.lang,
                "-p",
                "targets_file",
                "",
            ],
            check=True,
            capture_output=True,
        )
        t1 = time.perf_counter()
        subprocess.run(
            [*_tool("jupyter"), "nbconvert", "--to", "html", "--no-input", str(ipynb)], check=True, capture_output=True
        )
        t2 = time.perf_counter()
        rows.append({"team": team, "notebook": nb.stem, "papermill": t1 - t0, "nbconvert": t2 - t1, "seconds": t2 - t0})
    return time.perf_counter() - t_all, rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--month", default="2026-10")
    p.add_argument("--data", type=Path, default=config.SAMPLE_DATA_DIR)
    p.add_argument("--teams", nargs="*", help="teams (default: every team); the organisation always runs")
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--notebooks", nargs="*")
    p.add_argument("--notebooks-dir", type=Path, default=None)
    p.add_argument("--lang", default="ja")
    p.add_argument("--tolerance", type=float, default=0.05, help="allowed slowdown before failing (default 5%%)")
    p.add_argument("--repeat", type=int, default=1, help="repetitions, alternating the order; best time counts")
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = p.parse_args(argv)

    data = dataset.load_data(args.data)
    teams = args.teams or data.team_ids()
    nbs = report.discover_notebooks(args.notebooks_dir, args.notebooks)
    runs = [(t, nb) for t in ["all", *teams] for nb in nbs]
    print(
        f"benchmark: {len(nbs)} notebook(s) × {1 + len(teams)} (all + {', '.join(teams)}) = {len(runs)} runs "
        f"on {args.data} ({', '.join(f'{k}={v:,}' for k, v in data.row_counts().items())}); "
        f"cores available: {report.default_jobs()}, jobs: {args.jobs or report.default_jobs()}",
        flush=True,
    )

    best_cmd = best_base = None
    with tempfile.TemporaryDirectory(prefix="iskpi-bench-") as tmp:
        tmp = Path(tmp)
        for i in range(args.repeat):
            # alternate the order so that a change in machine load does not favour one side
            order = ("command", "baseline") if i % 2 == 0 else ("baseline", "command")
            for what in order:
                if what == "command":
                    wall, manifest = run_command(args, tmp / f"command{i}")
                    print(f"[{i + 1}/{args.repeat}] iskpi report: {wall:.1f}s", flush=True)
                    if best_cmd is None or wall < best_cmd[0]:
                        best_cmd = (wall, manifest)
                else:
                    wall, base = run_baseline(args, runs, tmp / f"baseline{i}", Path(args.data).resolve())
                    print(f"[{i + 1}/{args.repeat}] sequential papermill + nbconvert: {wall:.1f}s", flush=True)
                    if best_base is None or wall < best_base[0]:
                        best_base = (wall, base)
    (wall_cmd, manifest), (wall_base, base) = best_cmd, best_base

    by = {(r["team"], r["notebook"]): r for r in manifest["runs"]}
    print()
    print(
        f"{'team':<14}{'notebook':<22}{'runner: exec':>13}{'html':>8}{'total':>8}   "
        f"{'baseline: papermill':>20}{'nbconvert':>11}{'total':>8}"
    )
    for b in base:
        r = by.get((b["team"], b["notebook"]), {})
        print(
            f"{b['team']:<14}{b['notebook']:<22}{r.get('execute_seconds', float('nan')):>13.1f}"
            f"{r.get('export_seconds', float('nan')):>8.1f}{r.get('seconds', float('nan')):>8.1f}   "
            f"{b['papermill']:>20.1f}{b['nbconvert']:>11.1f}{b['seconds']:>8.1f}"
        )
    ratio = wall_base / wall_cmd
    print()
    print(
        f"load average during the benchmark: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpu(s) "
        "(other processes on the machine distort both sides)"
    )
    print(f"whole command (incl. validation, index, manifest): {wall_cmd:8.1f}s")
    print(f"sequential baseline (papermill + nbconvert CLI):    {wall_base:8.1f}s")
    print(f"ratio baseline / command: {ratio:.2f}x  ({'faster' if ratio > 1 else 'slower'})")
    ok = ratio >= 1 / (1 + args.tolerance)
    print("bar (no slower than the sequential baseline):", "PASS" if ok else "FAIL")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "command_seconds": wall_cmd,
                    "baseline_seconds": wall_base,
                    "ratio": ratio,
                    "runs": manifest["runs"],
                    "baseline": base,
                    "jobs": manifest["parameters"]["jobs"],
                },
                indent=2,
                ensure_ascii=False,
                default=str,
            ),
            encoding="utf-8",
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
