"""The run manifest: versions, git revision, input files, row counts, and the pages kept from earlier runs."""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from .. import config
from .execute import default_jobs, describe_failure
from .export import mark_incomplete
from .params import ORG

__all__ = ["PACKAGES", "kit_version", "build_manifest"]

#: distributions whose versions the manifest lists
PACKAGES = (
    "iskpi",
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "matplotlib",
    "matplotlib-fontja",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "jupyter_client",
    "pyarrow",
    "duckdb",
    "jpholiday",
    "fonttools",
)


def _versions() -> dict[str, str | None]:
    out = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def kit_version() -> str:
    try:
        return metadata.version("iskpi")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def _git_revision() -> dict:
    def git(*args):
        try:
            r = subprocess.run(
                ["git", "-C", str(config.PROJECT_ROOT), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return r.stdout.strip() if r.returncode == 0 else None

    rev = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"revision": rev, "dirty": None if dirty is None else bool(dirty)}


def _input_files(data) -> dict:
    from .. import dataset

    counts = data.row_counts()
    out = {}
    for tname, p in sorted(data.files.items()):
        p = Path(p)
        out[tname] = {
            "path": str(p.resolve()),
            "bytes": p.stat().st_size,
            "sha256": dataset.file_sha256(p),
            "rows": counts.get(tname),
        }
    return out


def _month_row_counts(data, month, teams) -> dict:
    from .. import dataset

    start, end = dataset.month_bounds(month)
    return {tm: data.filter(team=tm, start=start, end=end).row_counts() for tm in [ORG, *teams]}


def _read_manifest(folder: Path, status: str | None = "complete") -> dict | None:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) and (status is None or m.get("status") == status) else None


def _safe_rel(p) -> bool:
    return bool(p) and not Path(p).is_absolute() and ".." not in Path(p).parts


def _report_run_record(m: dict, run_id: str) -> dict:
    """What the manifest says about one report run (the ``report_runs`` entries)."""
    p = m.get("parameters", {})
    return {
        "id": run_id,
        "started_at": m.get("started_at"),
        "ended_at": m.get("ended_at"),
        "host": m.get("host"),
        "pid": m.get("pid"),
        "kit_version": m.get("kit_version"),
        "generated_at": m.get("generated_at"),
        "fingerprint": m.get("data", {}).get("fingerprint"),
        "parameters": p,
    }


def _carry_over(previous: dict, final: Path, staging: Path, produced: set, *, lang: str):
    """Copy the pages of the month's report that this run does not produce into ``staging``.

    Returns ``(pages, report_runs)``: the kept pages' manifest entries and the records of the
    runs that produced them. Kept HTML gets the incomplete banner like every staging page.
    """
    default_id = previous.get("run_id") or str(previous.get("started_at"))
    kept, ids = [], set()
    for r in previous.get("runs", []):
        if (r.get("team"), r.get("notebook")) in produced or r.get("status") != "ok":
            continue
        if not _safe_rel(r.get("html")) or not (final / r["html"]).is_file():
            continue
        r = {**r, "report_run": r.get("report_run") or default_id}
        dst = staging / r["html"]
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(mark_incomplete((final / r["html"]).read_text(encoding="utf-8"), lang=lang), encoding="utf-8")
        for k in ("ipynb", "log"):
            if _safe_rel(r.get(k)) and (final / r[k]).is_file():
                (staging / r[k]).parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(final / r[k], staging / r[k])
                except OSError:
                    shutil.copy2(final / r[k], staging / r[k])
            else:
                r[k] = None
        kept.append(r)
        ids.add(r["report_run"])
    records = previous.get("report_runs") or [_report_run_record(previous, default_id)]
    return kept, [x for x in records if x.get("id") in ids]


def build_manifest(
    data,
    *,
    staging: Path,
    status,
    version,
    run_id,
    generated_at,
    merged,
    parameters,
    month,
    teams,
    started_at,
    ended_at,
    seconds,
    team_labels,
    pages,
    failures,
    kept_sources,
) -> dict:
    """The ``manifest.json`` of a run (see the package docstring): parameters, input files, row
    counts, environment, and one entry per page with paths relative to the month's folder."""

    def rel(p):
        return str(Path(p).relative_to(staging)) if p and Path(p).is_absolute() else p

    m = {
        "status": status,
        "kit_version": version,
        "run_id": run_id,
        "host": platform.node(),
        "pid": os.getpid(),
        "generated_at": generated_at,
        "merged": merged,
        "parameters": parameters,
        "data": {
            "fingerprint": data.fingerprint,
            "tz": data.tz,
            "files": _input_files(data),
            "month_row_counts": _month_row_counts(data, month, teams),
            "warnings": list(data.warnings),
        },
        "environment": {
            "packages": _versions(),
            "platform": platform.platform(),
            "cpu_count": default_jobs(),
            "git": _git_revision(),
        },
        "started_at": started_at,
        "ended_at": ended_at,
        "seconds": seconds,
        "team_labels": team_labels,
        "report_runs": [],
        "runs": [
            {
                **{k: v for k, v in r.items() if k not in ("ipynb", "html", "log")},
                "ipynb": rel(r["ipynb"]) if r.get("ipynb") and (staging / rel(r["ipynb"])).exists() else None,
                "html": rel(r.get("html")),
                "log": rel(r.get("log")),
            }
            for r in pages
        ],
        "failures": [describe_failure(r) for r in failures],
    }
    m["report_runs"] = [_report_run_record(m, run_id), *kept_sources]
    return m
