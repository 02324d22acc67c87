"""Benchmark: the monthly report on generated organisations of 40, 300 and 1,000 reps.

    .venv/bin/python benchmarks/bench_report_scale.py                    # 40, 300, 1,000 reps
    .venv/bin/python benchmarks/bench_report_scale.py --sizes 40,300     # a subset
    .venv/bin/python benchmarks/bench_report_scale.py --sizes 40 --sample --baseline-tree /work/main

Each organisation is generated with the kit's generator (``iskpi_analysis.sample.generate``,
30-rep teams ``t01``, ``t02``, … plus one smaller team for the remainder; 13 months of data
ending with the report month) and cached as Parquet under ``--cache`` (default: the system's
temporary directory), so a second run does not generate again. For each size it prints:

- the wall time of the whole report (``iskpi report``: organisation + every team, every notebook);
- peak memory of the report's whole process tree as PSS (``_pss.run_sampled``: parent, workers,
  kernels; shared pages counted once);
- per-notebook times of the 30-rep team ``t01``, and the ratio of each to the same notebook run
  on a dataset holding only that team (the same rows: ``t01``'s reps, calls, e-mails, leads,
  deals and costs cut out of the organisation's tables), measured in the same run.

``--sample`` also runs the sample report (``iskpi report --month 2026-10`` on ``data/sample``,
what ``python3 kit.py report`` runs) and, with ``--baseline-tree`` (another checkout of the kit,
e.g. main), the same command with that checkout's code, alternating which goes first.

Bars (issue 15; on a 2-core machine): the 1,000-rep report under 600 s and under 6 GB PSS; every
notebook of the 30-rep team at most 1.3× its isolated time; the sample report no slower than the
baseline tree's (5 % tolerance) or, without one, than 77 s (the top of today's 71–77 s). Each bar
is printed with PASS/FAIL; the exit code is 1 when any bar fails.
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _pss import run_sampled  # noqa: E402

TEAM_SIZE = 30
FOCUS = "t01"
MONTH = "2026-10"
SIZES = (40, 300, 1000)
BAR_SECONDS_1000 = 600.0
BAR_PSS_1000 = 6 * 1024**3
BAR_RATIO = 1.3
SAMPLE_SECONDS = 77.0


def team_specs(n_reps: int, *, months: int):
    """30-rep teams (18 SDR, 12 BDR) and one smaller team for the rest, launched at staggered
    dates (launch, growth and mature phases all occur) with ``months`` of data each."""
    from iskpi_analysis import sample

    start = sample.months_before(f"{MONTH}-01", months - 1)
    specs, k = [], 0
    while sum(s.n_sdr + s.n_bdr for s in specs) < n_reps:
        k += 1
        n = min(TEAM_SIZE, n_reps - sum(s.n_sdr + s.n_bdr for s in specs))
        launched = sample.months_before(f"{MONTH}-01", (3, 9, 18)[k % 3])
        specs.append(
            sample.TeamSpec(
                f"t{k:02d}",
                f"チーム{k:02d}",
                launched,
                n_sdr=(n * 3 + 4) // 5,
                n_bdr=n - (n * 3 + 4) // 5,
                data_start=max(start, launched),
                skill=0.1 * ((k % 5) - 2),
                new_hire_share=0.2,
                n_leavers=1,
            )
        )
    return specs


def only_team(tables: dict, team: str) -> dict:
    """The rows of one team, cut out of an organisation's tables (same values, same ids)."""
    reps = tables["reps"][tables["reps"]["team_id"] == team]
    ids = set(reps["rep_id"])
    out = {"teams": tables["teams"][tables["teams"]["team_id"] == team], "reps": reps}
    for t in ("calls", "emails", "deals"):
        out[t] = tables[t][tables[t]["rep_id"].isin(ids)]
    out["leads"] = tables["leads"][tables["leads"]["owner_rep_id"].isin(ids)]
    out["costs"] = tables["costs"][tables["costs"]["team_id"] == team]
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def dataset(n_reps: int, cache: Path, *, months: int) -> tuple[Path, Path, float]:
    """(organisation dir, focus-team-only dir, seconds spent generating; 0 when cached)."""
    from iskpi_analysis import sample

    d = cache / f"org{n_reps}-m{months}"
    org, alone = d / "org", d / f"only_{FOCUS}"
    if (d / "done").exists():
        return org, alone, 0.0
    t0 = time.perf_counter()
    tables = sample.generate(20261031 + n_reps, teams=team_specs(n_reps, months=months), end=f"{MONTH}-31")
    sample.write_sample(org, tables=tables)
    sample.write_sample(alone, tables=only_team(tables, FOCUS))
    (d / "done").write_text("ok")
    return org, alone, time.perf_counter() - t0
