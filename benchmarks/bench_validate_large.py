#!/usr/bin/env python3
"""Benchmark: validate a 5-million-row CP932 calls.csv in bounded memory (issue 12).

The file comes from the kit's generator (``iskpi_analysis.sample.generate``, enlarged to enough
reps for the row count) and is written the way a Japanese CRM export is: CP932, Japanese text in
``script`` and ``disposition_raw`` (some values with a quoted line break), ``direction`` as
発信/受信. Three paths run, each in its own process, in the same run:

    kit        dataset.load_data(dir)  (stream → DuckDB, every contract check, typed views)
    kit_low    the same with a DuckDB memory limit of --low-limit (ISKPI_DUCKDB_MEMORY): the peak
               follows the limit, not the file size (DuckDB spills to its temp directory)
    stream     pyarrow.csv.open_csv over the file, batches counted (the bare streaming read)
    read_all   pyarrow.csv.read_csv of the whole file into one table (the plain read)

Time is wall-clock inside the process; memory is the peak PSS of the process tree (the process
and its children), sampled every 50 ms with psutil. Bar: the kit's peak PSS stays under 2 GB
whatever the file size (DuckDB spills to disk beyond ``config.DUCKDB_MEMORY_LIMIT``).

    python benchmarks/bench_validate_large.py [--rows 5000000] [--repeat 1]

The generated file is cached in benchmarks/data/ (git-ignored); delete it to regenerate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _pss import run_sampled

HERE = Path(__file__).resolve().parent
TODAY = "2026-11-22"
BAR_MB = 2048

DISPOSITIONS = ["不在", "受付ブロック", "担当者接続", "アポ獲得", "担当者不在\n再架電予定（午後）", "資料送付を依頼"]
SCRIPTS = {"A": "標準トーク", "B": "課題ヒアリング型"}


def generate(out: Path, rows: int) -> int:
    """Write teams.csv, reps.csv and a ``rows``-row calls.csv in CP932; returns the row count."""
    import numpy as np

    from iskpi_analysis import sample

    per_rep = 560_000 / 15  # calls of one generated rep over the sample's span (measured: 15 reps → 0.56 M)
    n_reps = max(5, int(np.ceil(rows / per_rep * 1.05)))
    spec = sample.TeamSpec(
        team_id="tokyo_is",
        team_name="東京インサイドセールス",
        launched_on="2025-04-01",
        n_sdr=n_reps - n_reps // 3,
        n_bdr=n_reps // 3,
    )
    tables = sample.generate(teams=[spec])
    calls = tables["calls"].iloc[:rows].copy()
    if len(calls) < rows:
        raise SystemExit(f"the generator gave {len(calls):,} calls, fewer than {rows:,}")
    out.mkdir(parents=True, exist_ok=True)
    for name in ("teams", "reps"):
        tables[name].to_csv(out / f"{name}.csv", index=False, encoding="cp932")
    rng = np.random.default_rng(5)
    n = len(calls)
    calls["script"] = calls["script"].map(SCRIPTS)
    calls["direction"] = np.where(rng.random(n) < 0.03, "受信", "発信")
    pick = np.where(calls["connected"].to_numpy(), rng.integers(2, 6, n), rng.integers(0, 2, n))
    calls["disposition_raw"] = np.array(DISPOSITIONS, dtype=object)[pick]
    calls["started_at"] = calls["started_at"].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
    with open(out / "calls.csv", "w", encoding="cp932", newline="") as fh:
        for i in range(0, n, 500_000):
            calls.iloc[i : i + 500_000].to_csv(fh, index=False, header=i == 0)
    return n


KIT = """
import sys, time
t0 = time.perf_counter()
from iskpi_analysis import dataset
data = dataset.load_data(sys.argv[1], today=sys.argv[2])
n = data.row_counts()["calls"]
print(time.perf_counter() - t0, n, len(data.warnings))
"""

STREAM = """
import sys, time
t0 = time.perf_counter()
import pyarrow.csv as pc
ro = pc.ReadOptions(encoding="cp932", block_size=1 << 22)
r = pc.open_csv(sys.argv[1] + "/calls.csv", read_options=ro, parse_options=pc.ParseOptions(newlines_in_values=True))
n = sum(b.num_rows for b in r)
print(time.perf_counter() - t0, n, 0)
"""

READ_ALL = """
import sys, time
t0 = time.perf_counter()
import pyarrow.csv as pc
t = pc.read_csv(sys.argv[1] + "/calls.csv", read_options=pc.ReadOptions(encoding="cp932"),
                parse_options=pc.ParseOptions(newlines_in_values=True))
print(time.perf_counter() - t0, t.num_rows, 0)
"""


def measure(code: str, data_dir: Path, env: dict | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; its seconds, rows, warnings and peak PSS (tree)."""
    import os

    out, err, rc, peak_pss = run_sampled(
        [sys.executable, "-c", code, str(data_dir), TODAY], env={**os.environ, **(env or {})}
    )
    if rc:
        raise SystemExit(err)
    secs, rows, warns = out.strip().splitlines()[-1].split()
    return {"seconds": float(secs), "rows": int(rows), "warnings": int(warns), "peak_pss_mb": peak_pss / 2**20}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--rows", type=int, default=5_000_000, help="calls in the generated file (default: %(default)s)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per path; the fastest is kept")
    ap.add_argument(
        "--low-limit", default="500MB", help="DuckDB memory limit of the kit_low run (default: %(default)s)"
    )
    args = ap.parse_args(argv)
    data_dir = HERE / "data" / f"cp932_calls_{args.rows}"
    if not (data_dir / "calls.csv").exists():
        t0 = time.perf_counter()
        n = generate(data_dir, args.rows)
        print(f"generated {n:,} calls in {time.perf_counter() - t0:.1f} s → {data_dir}", flush=True)
    size = (data_dir / "calls.csv").stat().st_size
    print(f"calls.csv: {size / 2**20:.0f} MB, CP932", flush=True)
    results = {}
    paths = (
        ("stream", STREAM, None),
        ("read_all", READ_ALL, None),
        ("kit", KIT, None),
        ("kit_low", KIT, {"ISKPI_DUCKDB_MEMORY": args.low_limit}),
    )
    for name, code, env in paths:
        runs = [measure(code, data_dir, env) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        best["peak_pss_mb"] = max(r["peak_pss_mb"] for r in runs)
        results[name] = best
        print(
            f"{name:>8}: {best['seconds']:.1f} s, peak PSS {best['peak_pss_mb']:.0f} MB, "
            f"{best['rows']:,} rows"
            + (f", {best['warnings']} warning(s)" if name.startswith("kit") else "")
            + (f" (DuckDB memory limit {args.low_limit})" if name == "kit_low" else ""),
            flush=True,
        )
    assert results["kit"]["rows"] == results["kit_low"]["rows"] == results["stream"]["rows"] == args.rows, (
        "row counts disagree"
    )
    kit = results["kit"]
    print(
        f"\nkit / stream read: time {kit['seconds'] / results['stream']['seconds']:.2f}×, "
        f"peak PSS {kit['peak_pss_mb'] / results['stream']['peak_pss_mb']:.2f}×"
    )
    print(
        f"kit / read_all:    time {kit['seconds'] / results['read_all']['seconds']:.2f}×, "
        f"peak PSS {kit['peak_pss_mb'] / results['read_all']['peak_pss_mb']:.2f}×"
    )
    ok = kit["peak_pss_mb"] < BAR_MB
    print(
        f"kit peak PSS {kit['peak_pss_mb']:.0f} MB (bar < {BAR_MB} MB: {'PASS' if ok else 'FAIL'}); "
        f"with a {args.low_limit} DuckDB limit: {results['kit_low']['peak_pss_mb']:.0f} MB in "
        f"{results['kit_low']['seconds']:.1f} s"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
