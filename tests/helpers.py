"""Helpers shared by the tests, imported explicitly (``from helpers import write_dir``).

Small valid tables (:data:`TEAMS`, :data:`REPS`, :data:`CALLS`), a writer for CSV data
directories and a notebook runner that executes a notebook the way the report runner does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from iskpi_analysis import config

__all__ = ["TEAMS", "REPS", "CALLS", "write_dir", "run_notebook"]

REPS = pd.DataFrame(
    {
        "rep_id": ["r1", "r2"],
        "rep_name": ["佐藤 健", "鈴木 花子"],
        "team_id": ["t1", "t1"],
        "role": ["SDR", "BDR"],
        "joined_on": ["2025-01-06", "2025-01-06"],
        "left_on": ["", ""],
    }
)
TEAMS = pd.DataFrame({"team_id": ["t1"], "team_name": ["東京SDR"], "launched_on": ["2025-01-06"]})
CALLS = pd.DataFrame(
    {
        "call_id": ["c1", "c2", "c3", "c4"],
        "rep_id": ["r1", "r1", "r2", "r2"],
        "lead_id": ["L1", "L2", "L3", "L1"],
        "started_at": [
            "2026-01-05T10:00:00",
            "2026-01-05T11:00:00",
            "2026-01-06T15:00:00+09:00",
            "2026-01-06T07:00:00Z",
        ],
        "connected": ["true", "false", "1", "yes"],
        "talk_seconds": ["150", "0", "60", "200"],
        "appointment": ["true", "false", "0", "no"],
        "decision_maker": ["", "", "true", "false"],
        "script": ["A", "A", "B", "B"],
    }
)


def write_dir(path: Path, tables: dict[str, pd.DataFrame], encoding: str = "utf-8") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(path / f"{name}.csv", index=False, encoding=encoding)
    return path


def run_notebook(name: str, out: Path, **params) -> Path:
    """Execute ``notebooks/<name>.ipynb`` with papermill the way the report runner does (cwd =
    the notebooks directory, the python3 kernel) and return the executed notebook's path."""
    import papermill as pm

    from iskpi_analysis.report.execute import _is_kernel_start_failure

    src = config.NOTEBOOKS_DIR / f"{name}.ipynb"
    wait = 60
    for attempt in (1, 2, 3):  # as the runner: a kernel that died while starting on a loaded machine
        try:
            pm.execute_notebook(
                str(src),
                str(out),
                parameters=params,
                cwd=str(config.NOTEBOOKS_DIR),
                kernel_name="python3",
                progress_bar=False,
                start_timeout=wait,
            )
            return out
        except Exception as exc:
            if attempt == 3 or not _is_kernel_start_failure(exc):
                raise
            wait *= 2
    return out
