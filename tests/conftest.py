"""Shared fixtures (the sample data, loaded once; a minimal data directory) and the test tiers.

Helpers live in ``tests/helpers.py`` and are imported explicitly (``from helpers import
write_dir``); the names below are re-exported only so older imports from conftest keep working.

Tiers: one folder each, and a marker of the same name (registered in pyproject.toml;
``python3 kit.py test`` runs them all):
``tests/unit`` (fast: ``python3 kit.py test tests/unit -m unit`` is the quick loop),
``tests/notebooks`` (executes the notebooks with papermill), ``tests/report`` (the report runner,
snapshot and settings; its ``test_browser``/``test_print`` open pages in Chromium: ``browser``),
``tests/engines`` (a PostgreSQL server and a Spark session). A domain's few notebook runs and
long simulations stay beside the checks whose helpers they share, in ``tests/unit``, marked
``slow``: they count in the ``notebook`` tier, so ``-m unit`` leaves them out.
"""

from __future__ import annotations

import os

import pytest
from helpers import CALLS, REPS, TEAMS, run_notebook, write_dir  # noqa: F401 - re-exported, see above

from iskpi_analysis import config, dataset

#: the tier of each test folder; in tests/report, these files open Chromium
TIER_FOLDERS = {"unit": "unit", "notebooks": "notebook", "report": "report", "engines": "engines"}
BROWSER_FILES = ("test_browser", "test_print")


def _tier(item) -> str:
    tier = TIER_FOLDERS.get(item.path.parent.name, "unit")
    if tier == "report" and item.path.stem in BROWSER_FILES:
        return "browser"
    # a notebook run or a long simulation kept in a domain's unit file: its marker says so
    if tier == "unit" and (item.get_closest_marker("slow") or "notebook" in item.name):
        return "notebook"
    return tier


def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier (an explicit tier marker on a test wins)."""
    tiers = ("unit", "notebook", "report", "browser", "engines")
    for item in items:
        if not any(item.get_closest_marker(t) for t in tiers):
            item.add_marker(getattr(pytest.mark, _tier(item)))


@pytest.fixture
def mini_dir(tmp_path):
    """A valid minimal data directory (teams, reps, calls) as UTF-8 CSV."""
    return write_dir(tmp_path / "mini", {"teams": TEAMS, "reps": REPS, "calls": CALLS})


@pytest.fixture(scope="session")
def sample_data():
    """The committed sample data, loaded and validated once per test session."""
    return dataset.load_data(config.SAMPLE_DATA_DIR)


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for this test session (temporary directory, 127.0.0.1 only), stopped
    at the end; skipped with what to install when the binaries or psycopg are missing (a
    failure with ISKPI_REQUIRE_ENGINES=1)."""
    from engine_servers import PostgresServer, unavailable

    try:
        import psycopg  # noqa: F401

        server = PostgresServer()
    except (ImportError, FileNotFoundError) as exc:
        unavailable("postgres", str(exc))
    try:
        url = server.start()
    except (RuntimeError, FileNotFoundError) as exc:
        server.stop()
        unavailable("postgres", str(exc))
    yield url
    server.stop()


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """One local Spark session for this test session, stopped at the end (skipped with what to
    install when pyspark or Java is missing; a failure with ISKPI_REQUIRE_ENGINES=1)."""
    import shutil

    from engine_servers import start_spark, unavailable

    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        unavailable("spark", str(exc))
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        unavailable("spark", "no java on PATH and JAVA_HOME unset")
    spark = start_spark(tmp_path_factory.mktemp("spark"))
    yield spark
    spark.stop()
