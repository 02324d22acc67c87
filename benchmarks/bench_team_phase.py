"""What deciding each team's phase once per report run saves a notebook (issue 14).

Loads the data, writes it as a report run's snapshot, decides every team's phase there once
(``phase.precompute``, what ``iskpi report``'s parent does), then times in fresh processes (as a
notebook kernel is) ``phase.team_phase`` for one team and for the organisation: reading the
decided rows from the snapshot against computing them (the reference, same process kind, same
run: the same question on the raw files, where there is no snapshot).

    python benchmarks/bench_team_phase.py [--data DIR] [--month 2026-10] [--team tokyo_is]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from iskpi_analysis import dataset, phase
src, month, team = sys.argv[1], sys.argv[2], sys.argv[3]
data = dataset.load_data(src)
view = data.filter(team=team) if team != "all" else data
t0 = time.perf_counter()
tp = phase.team_phase(view, month=month)
print(json.dumps({"seconds": time.perf_counter() - t0, "how": tp.attrs["how"]}))
"""


def child(src, month, team) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), month, team], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from iskpi_analysis import config, dataset, phase, snapshot

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(config.DATA_DIR))
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--team", default="tokyo_is")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        snap = snapshot.write(dataset.load_data(a.data), Path(tmp) / ".snapshot")
        t0 = time.perf_counter()
        phase.precompute(snapshot.Snapshot(snap).dataset(), month=a.month, folder=snap)
        print(f"precompute (parent, every team, once): {time.perf_counter() - t0:.2f} s")
        for team in (a.team, "all"):
            cached = child(snap, a.month, team)
            computed = child(a.data, a.month, team)
            assert set(cached["how"].values()) == {"cache"} and set(computed["how"].values()) == {"computed"}
            print(
                f"team_phase {team}: read {cached['seconds']:.3f} s vs computed {computed['seconds']:.2f} s "
                f"(reference): ratio {cached['seconds'] / computed['seconds']:.4f}"
            )


if __name__ == "__main__":
    main()
