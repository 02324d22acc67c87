#!/usr/bin/env python3
"""Benchmark: load + validate + aggregate 25 million calls (1,000 reps × 1 year) from Parquet.

Compares, in the same run, the kit's path
    dataset.load_data(dir)  →  aggregate.rep_period(data, "day")  +  aggregate.call_buckets(data)
against the best hand-written query for the same result (DuckDB SQL in two forms and Polars,
no validation). Each path runs in its own subprocess so that its peak RSS is its own; peak PSS
of that process tree is sampled as well (every 50 ms, psutil).

The kit runs twice: as shipped (local time by a fixed UTC offset, since Asia/Tokyo keeps +09:00
over the data's range: ``tzfast``) and with that fast path switched off (ICU ``timezone()`` per
row, the general path for zones with a DST change in range), so both paths are compared in the
same run.

Two figures, both ratios of times measured in this run:

1. End to end (as before): each process's whole time from before its imports — for the kit,
   load + validation + both aggregations; for the references, their aggregation only, with
   the time zone converted by name (DuckDB: ICU ``timezone()``; Polars: ``convert_time_zone``).
   The kit does work here that the references skip (validation, the checked fixed offset), so
   this ratio is not like for like.
2. Like for like — issue 15's bar (kit ≤ the best reference, ratio ≤ 1.0, PASS/FAIL): the same
   work on both sides. Timed on both sides: from the Parquet file (already validated, not read
   yet) to the two result tables as pandas DataFrames (the kit's ``rep_period`` +
   ``call_buckets`` phases; each reference's scan + aggregation + conversion); not timed on
   either side: interpreter start, imports, and the kit's load + validation (views over the
   file, which the references have no counterpart of). The same time-zone treatment on both
   sides: local time by the fixed +09:00 offset, an integer shift per row (the kit's shipped
   ``tzfast`` path; DuckDB ``make_timestamp(epoch_us(ts) + offset)``, the kit's own
   expression; Polars: the UTC wall time plus nine hours). The same pairing on the general
   path is printed too (the kit with ``tzfast`` off vs the references converting by zone name),
   for information. The kit's ``rep_period`` still does more than the references' day table
   (every employed business day zero-filled from a calendar, team and role, the rates), so a
   PASS is conservative.

Other bars: issue 2, end-to-end ratio ≤ 1.5 and kit peak RSS < 2 GB. The exit status is 0 when
the like-for-like bar and the memory bar pass.

    python benchmarks/bench_aggregate.py [--reps 1000] [--days 365] [--calls-per-day 69] [--repeat 3]

The generated data is cached in benchmarks/data/ (git-ignored); delete it to regenerate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from _pss import run_sampled

HERE = Path(__file__).resolve().parent
TZ = "Asia/Tokyo"


def generate(out: Path, reps: int, days: int, calls_per_day: int, seed: int = 1) -> int:
    """Write reps.parquet and calls.parquet (row groups of 1 M rows) and return the call count."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    rep_ids = np.array([f"R{i:04d}" for i in range(reps)])
    pd.DataFrame(
        {
            "rep_id": rep_ids,
            "rep_name": rep_ids,
            "team_id": [f"T{i % 10}" for i in range(reps)],
            "role": np.where(np.arange(reps) % 3 == 0, "BDR", "SDR"),
            "joined_on": pd.Timestamp("2025-01-01").date(),
            "left_on": None,
        }
    ).to_parquet(out / "reps.parquet")
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2025-10-01", tz=TZ).value // 10**9
    total = reps * days * calls_per_day
    chunk = 1_000_000
    writer = None
    done = 0
    while done < total:
        n = min(chunk, total - done)
        idx = np.arange(done, done + n)
        rep = rng.integers(0, reps, n)
        day = rng.integers(0, days, n)
        secs = start + day * 86400 + rng.integers(8 * 3600, 19 * 3600, n)
        connected = rng.random(n) < 0.22
        talk = np.where(connected, rng.integers(5, 600, n), 0)
        appt = connected & (talk >= 120) & (rng.random(n) < 0.2)
        table = pa.table(
            {
                "call_id": pa.array(np.char.add("C", idx.astype("U12"))),
                "rep_id": pa.array(rep_ids[rep]),
                "lead_id": pa.array(np.char.add("L", rng.integers(0, 5_000_000, n).astype("U8"))),
                "started_at": pa.array(secs * 1_000_000, type=pa.timestamp("us", tz=TZ)),
                "connected": pa.array(connected),
                "talk_seconds": pa.array(talk.astype("int32")),
                "appointment": pa.array(appt),
            }
        )
        if writer is None:
            writer = pq.ParquetWriter(out / "calls.parquet", table.schema, compression="zstd")
        writer.write_table(table, row_group_size=chunk)
        done += n
    writer.close()
    return total


KIT = """
import sys, time
t0 = time.perf_counter()
from iskpi_analysis import dataset, aggregate, tzfast
tzfast.ENABLED = FAST
data = dataset.load_data(sys.argv[1], today="2026-11-22")
t1 = time.perf_counter()
day = aggregate.rep_period(data, "day")
t2 = time.perf_counter()
buckets = aggregate.call_buckets(data, by=("rep_id", "weekday", "hour"))
t3 = time.perf_counter()
print(f"phases load+validate {t1 - t0:.2f} s, rep_period {t2 - t1:.2f} s, call_buckets {t3 - t2:.2f} s", file=sys.stderr)
print(time.perf_counter() - t0, t3 - t1, len(day), int(day.calls.sum()), len(buckets), int(buckets.calls.sum()))
"""

KIT_FAST, KIT_GENERAL = KIT.replace("FAST", "True"), KIT.replace("FAST", "False")

DUCKDB_TEMPLATE = """
import sys, time
t0 = time.perf_counter()
import duckdb
import pandas, pyarrow  # noqa: F401 - imported before the timed part, as the kit's are (.df() would import them)
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
con.execute("SET TimeZone = 'Asia/Tokyo'")
d = sys.argv[1]
con.execute(f"CREATE VIEW c AS SELECT rep_id, lead_id, connected, talk_seconds, appointment, "
            f"LOCAL AS ts FROM read_parquet('{d}/calls.parquet')")
con.execute("SELECT 1").fetchall()  # a first query (the kit's load ran many before its aggregation)
t1 = time.perf_counter()
day = con.execute(\"\"\"DAY_SQL\"\"\").df()
day["connect_rate"] = day.connects / day.calls
buckets = con.execute(\"\"\"SELECT rep_id, isodow(ts) - 1 AS weekday, hour(ts) AS hour, count(*) AS calls,
    count_if(connected) AS connects, count_if(connected AND talk_seconds >= 120) AS valid_conversations,
    count_if(appointment) AS appointments FROM c GROUP BY ALL\"\"\").df()
t2 = time.perf_counter()
print(t2 - t0, t2 - t1, len(day), int(day.calls.sum()), len(buckets), int(buckets.calls.sum()))
"""
# rep-day table, distinct leads with count(DISTINCT ...)
DUCKDB = DUCKDB_TEMPLATE.replace(
    "DAY_SQL",
    """SELECT rep_id, CAST(ts AS DATE) AS date, count(*) AS calls,
    count_if(connected) AS connects, count_if(connected AND talk_seconds >= 120) AS valid_conversations,
    count_if(appointment) AS appointments, count(DISTINCT lead_id) AS leads_handled
    FROM c GROUP BY ALL""",
)
# the same, distinct leads by two-level grouping (usually faster in DuckDB)
DUCKDB_2LEVEL = DUCKDB_TEMPLATE.replace(
    "DAY_SQL",
    """SELECT rep_id, date, sum(n) AS calls, sum(k) AS connects,
    sum(v) AS valid_conversations, sum(a) AS appointments, count(lead_id) AS leads_handled
    FROM (SELECT rep_id, CAST(ts AS DATE) AS date, lead_id, count(*) AS n, count_if(connected) AS k,
                 count_if(connected AND talk_seconds >= 120) AS v, count_if(appointment) AS a
          FROM c GROUP BY ALL) GROUP BY ALL""",
)

POLARS_TEMPLATE = """
import sys, time
t0 = time.perf_counter()
import polars as pl
import pandas, pyarrow  # noqa: F401 - imported before the timed part, as the kit's are (.to_pandas() would import them)
d = sys.argv[1]
t1 = time.perf_counter()
lf = pl.scan_parquet(f"{d}/calls.parquet").with_columns((LOCAL).alias("ts"))
agg = [pl.len().alias("calls"), pl.col("connected").sum().alias("connects"),
       (pl.col("connected") & (pl.col("talk_seconds") >= 120)).sum().alias("valid_conversations"),
       pl.col("appointment").sum().alias("appointments")]
day, buckets = pl.collect_all([
    lf.group_by("rep_id", pl.col("ts").dt.date().alias("date")).agg(*agg, pl.col("lead_id").n_unique().alias("leads_handled")),
    lf.group_by("rep_id", (pl.col("ts").dt.weekday() - 1).alias("weekday"), pl.col("ts").dt.hour().alias("hour")).agg(*agg),
])
day = day.to_pandas(); buckets = buckets.to_pandas()
t2 = time.perf_counter()
print(t2 - t0, t2 - t1, len(day), int(day.calls.sum()), len(buckets), int(buckets.calls.sum()))
"""

#: local time by zone name (DuckDB: ICU per row; Polars: its zone conversion) — the end-to-end references
BY_ZONE = {
    "duckdb": "timezone('Asia/Tokyo', started_at)",
    "polars": 'pl.col("started_at").dt.convert_time_zone("Asia/Tokyo")',
}
#: local time by the fixed +09:00 offset, an integer shift per row — the kit's tzfast path
#: (DuckDB: the kit's own expression, tzfast.local_sql; Polars: the UTC wall time plus nine hours)
FIXED = {
    "duckdb": "make_timestamp(epoch_us(started_at) + 32400000000)",
    "polars": 'pl.col("started_at").dt.convert_time_zone("UTC").dt.replace_time_zone(None) + pl.duration(hours=9)',
}
REFERENCES = {
    "duckdb": DUCKDB.replace("LOCAL", BY_ZONE["duckdb"]),
    "duckdb_2level": DUCKDB_2LEVEL.replace("LOCAL", BY_ZONE["duckdb"]),
    "polars": POLARS_TEMPLATE.replace("LOCAL", BY_ZONE["polars"]),
}
REFERENCES_FIXED = {
    "duckdb_fixed": DUCKDB.replace("LOCAL", FIXED["duckdb"]),
    "duckdb_2level_fixed": DUCKDB_2LEVEL.replace("LOCAL", FIXED["duckdb"]),
    "polars_fixed": POLARS_TEMPLATE.replace("LOCAL", FIXED["polars"]),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--calls-per-day", type=int, default=69, help="per rep per calendar day (69 ≈ 25 M)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per path; the best is kept")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    data_dir = HERE / "data" / f"calls_{args.reps}x{args.days}x{args.calls_per_day}"
    if not (data_dir / "calls.parquet").exists():
        t0 = time.perf_counter()
        n = generate(data_dir, args.reps, args.days, args.calls_per_day)
        print(f"generated {n:,} calls in {time.perf_counter() - t0:.1f} s → {data_dir}")
    # Each run goes through its own runner process, so ru_maxrss is that run's own peak.
    results = {}
    paths = {**REFERENCES, **REFERENCES_FIXED, "kit": KIT_FAST, "kit_general": KIT_GENERAL}
    for name, code in paths.items():
        runs = [measure_isolated(code, data_dir) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["seconds"])
        best["agg_seconds"] = min(r["agg_seconds"] for r in runs)  # like for like: its best too
        best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
        best["peak_pss_mb"] = max(r["peak_pss_mb"] for r in runs)
        results[name] = best
        print(
            f"{name:>19}: best {best['seconds']:.2f} s of {args.repeat} "
            f"(all: {', '.join(format(r['seconds'], '.2f') for r in runs)}; aggregation alone best "
            f"{best['agg_seconds']:.2f} s), peak RSS {best['peak_rss_mb']:.0f} MB, "
            f"peak PSS {best['peak_pss_mb']:.0f} MB, "
            f"{best['calls']:,} calls, {best['rows_day']:,} rep-day rows with calls",
            flush=True,
        )
        if best["phases"]:
            print(f"{'':>21}{best['phases']}", flush=True)
    for k in paths:
        ref = "duckdb"
        assert results[k]["calls"] == results[ref]["calls"], f"{k} and {ref} disagree on calls"
        assert results[k]["bucket_calls"] == results[ref]["bucket_calls"], f"{k}: bucket calls differ"
        if not k.startswith("kit"):  # the references' day tables: rep-days with calls, the same rows
            assert results[k]["rows_day"] == results[ref]["rows_day"], f"{k}: rep-day rows differ"
    assert results["kit"]["rows_day"] == results["kit_general"]["rows_day"], "fast and general paths disagree"

    # 1. end to end (not like for like: the kit's time includes load + validation)
    ref_name = min(REFERENCES, key=lambda k: results[k]["seconds"])
    ratio = results["kit"]["seconds"] / results[ref_name]["seconds"]
    ratio_general = results["kit_general"]["seconds"] / results[ref_name]["seconds"]
    speedup = results["kit_general"]["seconds"] / results["kit"]["seconds"]
    ok_mem = results["kit"]["peak_rss_mb"] < 2048
    print(
        f"\n1. end to end, kit (load + validate + aggregate) / best reference ({ref_name}, aggregate only, "
        f"time zone by name): {ratio:.2f}  (not like for like; issue 2's ≤ 1.5: {'PASS' if ratio <= 1.5 else 'FAIL'})"
    )
    print(f"   general path (ICU timezone): ratio {ratio_general:.2f}; fixed-offset fast path {speedup:.2f}× faster")

    # 2. like for like: the aggregation from the validated Parquet file to pandas, same time-zone treatment
    lfl_name = min(REFERENCES_FIXED, key=lambda k: results[k]["agg_seconds"])
    lfl = results["kit"]["agg_seconds"] / results[lfl_name]["agg_seconds"]
    ok_time = lfl <= 1.0
    zone_name = min(REFERENCES, key=lambda k: results[k]["agg_seconds"])
    lfl_zone = results["kit_general"]["agg_seconds"] / results[zone_name]["agg_seconds"]
    print(
        f"2. like for like, aggregation only (rep_period + call_buckets from the validated Parquet file, fixed "
        f"+09:00 offset on both sides): kit {results['kit']['agg_seconds']:.2f} s / {lfl_name} "
        f"{results[lfl_name]['agg_seconds']:.2f} s = {lfl:.2f}  (issue 15's bar ≤ 1.0: {'PASS' if ok_time else 'FAIL'})"
    )
    print(
        f"   the same on the general path (kit with tzfast off vs time zone by name): kit "
        f"{results['kit_general']['agg_seconds']:.2f} s / {zone_name} {results[zone_name]['agg_seconds']:.2f} s "
        f"= {lfl_zone:.2f}"
    )
    print(
        f"kit peak RSS: {results['kit']['peak_rss_mb']:.0f} MB, peak PSS {results['kit']['peak_pss_mb']:.0f} MB  "
        f"(bar < 2048 MB: {'PASS' if ok_mem else 'FAIL'})"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "results": results,
                    "ratio": ratio,
                    "ratio_general": ratio_general,
                    "reference": ref_name,
                    "like_for_like": lfl,
                    "like_for_like_reference": lfl_name,
                    "like_for_like_general": lfl_zone,
                },
                indent=2,
            )
        )
    return 0 if ok_time and ok_mem else 1


RUNNER = """
import resource, subprocess, sys
out = subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]], capture_output=True, text=True)
sys.stderr.write(out.stderr)
print(out.stdout.strip(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(out.returncode)
"""


def measure_isolated(code: str, data_dir: Path) -> dict:
    """Run ``code`` via a fresh runner process so ru_maxrss is this run's own peak; the tree's
    PSS is sampled every 50 ms meanwhile."""
    stdout, stderr, rc, peak_pss = run_sampled([sys.executable, "-c", RUNNER, code, str(data_dir)])
    if rc:
        raise SystemExit(stderr)
    phases = [line for line in stderr.splitlines() if line.startswith("phases ")]
    inner, agg, n_day, calls_day, n_buckets, calls_buckets, peak_kb = stdout.strip().splitlines()[-1].split()
    return {
        "seconds": float(inner),
        "agg_seconds": float(agg),
        "peak_rss_mb": int(peak_kb) / 1024,
        "peak_pss_mb": peak_pss / 2**20,
        "rows_day": int(n_day),
        "calls": int(calls_day),
        "buckets": int(n_buckets),
        "bucket_calls": int(calls_buckets),
        "phases": phases[-1][len("phases ") :] if phases else "",
    }


if __name__ == "__main__":
    sys.exit(main())
