"""The report tier's two real report runs on the sample data, each run once per test process.

A real report run (every notebook, for the organisation and one team, on the sample month) is
the most expensive thing the suite does, and many test files read the same one: the runner's
files and manifest (``test_report``), one truth across pages (``test_consistency``), the index
(``test_index``), the browser and print checks (``test_browser``, ``test_print``), plain
language (``test_plain_language``) and the report language (``test_report_language``). They all
ask for the same arguments, so they share the run of their language: :func:`sample_report`
runs it on first use and returns the same result afterwards.

The team is :data:`SAMPLE_TEAM` (``tokyo_is``, the team with the most calls, so the most content to
check; the language tests covered it before they shared the run).

Under pytest-xdist (``python3 kit.py test``) every test that reads one of these runs is put in
one group per language (``tests/conftest.py``: the ``sample_ja`` / ``sample_en`` fixtures name the
group), so each run still happens once in the whole session, the two on different workers.
"""

from __future__ import annotations

from iskpi_analysis import config, report
from iskpi_analysis import dataset as iskpi_io

MONTH = "2026-10"
#: the one team of the sample report besides the organisation
SAMPLE_TEAM = "tokyo_is"
LANGS = ("ja", "en")

_RUNS: dict[str, dict] = {}


def sample_report(tmp_path_factory, *, lang: str = "ja") -> dict:
    """``{"result": ReportResult, "team": team id, "data": Dataset}`` of the sample month's report
    (every notebook, organisation + :data:`SAMPLE_TEAM`) in ``lang``, run once per process.

    A failed run is kept (not run again for the next test) and fails every test that reads it,
    naming the failed notebooks.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    if lang not in _RUNS:
        data = iskpi_io.load_data(config.SAMPLE_DATA_DIR)
        assert SAMPLE_TEAM in data.team_ids(), f"{SAMPLE_TEAM} is not a team of the sample data"
        out = tmp_path_factory.mktemp(f"sample_reports_{lang}")
        res = report.run_report(
            MONTH,
            teams=[SAMPLE_TEAM],
            out_dir=out,
            notebooks_dir=config.NOTEBOOKS_DIR,
            lang=lang,
            progress=False,
            raise_on_failure=False,
        )
        _RUNS[lang] = {"result": res, "team": SAMPLE_TEAM, "data": data}
    run = _RUNS[lang]
    res = run["result"]
    assert res.status == "complete", [report.describe_failure(r) for r in res.runs if r["status"] != "ok"]
    return run


def every_notebook() -> list[str]:
    """The notebooks a sample report runs (all of ``notebooks/``)."""
    return [p.stem for p in report.discover_notebooks(config.NOTEBOOKS_DIR)]
