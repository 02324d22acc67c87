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


#: session fixtures worth one computation per session: the tests that use one run on one xdist worker
SHARED_SESSION_FIXTURES = {
    "sample_ja": "sample_ja",  # the sample report in Japanese (tests/report/sample_runs.py)
    "sample_en": "sample_en",  # ... in English
    "postgres_url": "engines",  # a PostgreSQL server
    "spark_session": "engines",  # a Spark session
}


def _xdist_group(item) -> str | None:
    """The pytest-xdist group of a test (``--dist loadgroup``: a group runs on one worker).

    A test reading a shared session run (:data:`SHARED_SESSION_FIXTURES`) joins that run's group;
    a test using a module-scoped fixture (a notebook run, a simulated data set) joins its module's
    group, so the fixture is computed once, as without xdist. Every other test is free.
    """
    names = set(item.fixturenames)
    shared = [g for f, g in SHARED_SESSION_FIXTURES.items() if f in names]
    if shared:
        # one group per test: the first shared fixture it uses in the order above, so a test that
        # needs a sample run and a PostgreSQL server joins the sample run's group (the report
        # costs minutes; a second server on the other worker costs seconds)
        return shared[0]
    # pytest has no public accessor for a test's fixture definitions
    defs = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    if any(d and d[-1].scope in ("module", "package") for d in defs.values()):
        return item.path.stem
    return None


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Mark every test with its tier (an explicit tier marker on a test wins) and its xdist group
    (an explicit ``xdist_group`` marker wins), before the other hooks; afterwards, make sure the
    group reaches the scheduler."""
    tiers = ("unit", "notebook", "report", "browser", "engines")
    for item in items:
        if not any(item.get_closest_marker(t) for t in tiers):
            item.add_marker(getattr(pytest.mark, _tier(item)))
        if not item.get_closest_marker("xdist_group"):
            group = _xdist_group(item)
            if group:
                item.add_marker(pytest.mark.xdist_group(group))
    result = yield
    _name_groups_in_nodeids(config, items)
    return result


def _name_groups_in_nodeids(config, items) -> None:
    """``--dist loadgroup`` schedules by a ``@group`` suffix of the test id, which pytest-xdist
    3.8 writes to ``item._nodeid``; pytest 9 keeps the id in ``item._id`` and ignores that, so
    every group would be scattered over the workers. Write the suffix where pytest 9 reads it
    (only when pytest-xdist's own did not take effect)."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId  # pytest >= 9; older pytest took pytest-xdist's suffix

    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)


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
