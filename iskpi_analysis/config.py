"""Paths and settings: the one place the kit reads them from.

Every path is derived from the project root, so notebooks opened from ``notebooks/`` and the
report runner find the sample data and the package with no path edits. Environment variables
override the defaults (``ISKPI_DATA_DIR``, ``ISKPI_REPORTS_DIR``, ``ISKPI_TZ``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = [
    "PACKAGE_DIR",
    "PROJECT_ROOT",
    "NOTEBOOKS_DIR",
    "SAMPLE_DATA_DIR",
    "DATA_DIR",
    "REPORTS_DIR",
    "KPI_FILE",
    "PHASE_TARGETS_FILE",
    "DEFAULT_TZ",
    "VALID_TALK_SECONDS",
    "BUSINESS_HOURS",
    "DUCKDB_MEMORY_LIMIT",
    "DUCKDB_TEMP_DIR",
    "DEFAULT_LANG",
    "LANGS",
    "check_option",
    "PREFER_FORMAT_ENV",
    "prefer_format",
]

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SAMPLE_DATA_DIR = PROJECT_ROOT / "data" / "sample"
DATA_DIR = Path(os.environ.get("ISKPI_DATA_DIR", SAMPLE_DATA_DIR))
REPORTS_DIR = Path(os.environ.get("ISKPI_REPORTS_DIR", PROJECT_ROOT / "reports"))

KPI_FILE = PACKAGE_DIR / "kpis.toml"
PHASE_TARGETS_FILE = PACKAGE_DIR / "phase_targets.toml"

#: Time zone that all day/hour logic uses; timestamps without an offset are taken as local.
DEFAULT_TZ = os.environ.get("ISKPI_TZ", "Asia/Tokyo")
#: A connected call of at least this many seconds is a valid conversation (有効会話: 2 minutes).
VALID_TALK_SECONDS = 120
#: Business hours used for business-hours-aware lead response time.
BUSINESS_HOURS = (9, 18)
#: DuckDB memory limit for loading/aggregation: keeps a 25-million-call year under 2 GB of RSS
#: (DuckDB spills to disk beyond it instead of growing).
DUCKDB_MEMORY_LIMIT = os.environ.get("ISKPI_DUCKDB_MEMORY", "1200MB")
#: Where DuckDB spills beyond that limit (its default is ./.tmp in the current directory, which
#: would litter the user's folder or a notebook directory).
DUCKDB_TEMP_DIR = Path(os.environ.get("ISKPI_DUCKDB_TEMP", Path(tempfile.gettempdir()) / "iskpi-duckdb"))
#: Default language of everything a report reader sees.
DEFAULT_LANG = "ja"
LANGS = ("ja", "en")


def check_option(name: str, value, allowed) -> None:
    """ValueError listing the allowed values when ``value`` is not one of them (the kit's one
    rule for bad options; never ``assert``)."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {tuple(allowed)}, got {value!r}")


#: the environment variable that says which file to read when a table has both NAME.csv and
#: NAME.parquet ("csv" or "parquet"); unset, having both is a validation error
PREFER_FORMAT_ENV = "ISKPI_PREFER_FORMAT"


def prefer_format() -> str | None:
    """``ISKPI_PREFER_FORMAT`` read at call time (the report runner's notebooks inherit it), or None."""
    return os.environ.get(PREFER_FORMAT_ENV, "").strip().lower() or None
