"""iskpi — inside-sales (SDR/BDR) KPI analytics: the helper package of the notebooks.

The layers, each a module (or package) of its own::

    data        dataset (load_data, the data contract), snapshot, engines (PostgreSQL, Spark),
                sample (generate), importers, workdays (business days and holidays)
    tables      aggregate (rep × period counts), kpis (the KPI dictionary), stats (wilson_ci, bh_adjust)
    analyses    scorecard, funnel, plan, pacing, quality, economics, phase, control_chart,
                correlation, timing — language-neutral results
    narrative   catalog (t: every sentence a reader sees, messages/<lang>/*.toml), fmt
    notebooks   notebook (setup, record), plots
    reports     report (run_report, export_html), browser, runguard

Importing the package is light: the names below load their module on first use.

Examples
--------
>>> import iskpi_analysis as ik
>>> ik.t("common.tier.tactical", lang="en")
'Tactical KPI'
>>> round(ik.wilson_ci(12, 40)[0], 3)
0.181
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: submodules reachable as attributes (``iskpi_analysis.timing``) without importing them all up front
_MODULES = (
    "aggregate",
    "browser",
    "catalog",
    "cli",
    "config",
    "control_chart",
    "correlation",
    "economics",
    "fmt",
    "funnel",
    "importers",
    "dataset",
    "engines",
    "kpis",
    "notebook",
    "pacing",
    "phase",
    "plan",
    "plots",
    "quality",
    "report",
    "runguard",
    "sample",
    "scorecard",
    "stats",
    "snapshot",
    "settings",
    "timing",
    "workdays",
)
#: the most used functions, with the module that defines them
_FUNCTIONS = {
    "load_data": "dataset",
    "generate": "sample",
    "TeamSpec": "sample",
    "t": "catalog",
    "wilson_ci": "stats",
    "bh_adjust": "stats",
    "run_report": "report",
    "label": "kpis",
}

__all__ = [*_MODULES, *_FUNCTIONS, "__version__"]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time the names load lazily
    from . import catalog, config, dataset, fmt, kpis, report, sample, stats  # noqa: F401
    from .catalog import t  # noqa: F401
    from .dataset import load_data  # noqa: F401
    from .report import run_report  # noqa: F401
    from .sample import TeamSpec, generate  # noqa: F401
    from .stats import bh_adjust, wilson_ci  # noqa: F401


def __getattr__(name: str):
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(f".{_FUNCTIONS[name]}", __name__), name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("iskpi")
        except PackageNotFoundError:  # pragma: no cover - a source tree without installation
            return "unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
