"""A Dataset over PostgreSQL or Spark (``dataset.load_data(URL)``) gives the file route's results.

The same generated data (two teams, August–October 2026) is written as files and loaded into
PostgreSQL and Spark. For the whole organisation, one team, and one team in the report month's
window, every event-level query the notebooks make (distinct BDR leads per rep in
``scorecard.measures``, first touch per lead in ``scorecard.response_times``, scripts per rep in
``phase.script_differences`` / ``success_patterns``, ``dataset.require_month_calls``, the
timing breakdowns) and ``aggregate.rep_period`` / ``call_buckets`` equal the file-backed
Dataset's, in Asia/Tokyo and America/New_York (PostgreSQL) and Asia/Tokyo (Spark). The engine's
query log proves that only aggregated tables came back: no query of those analyses returned a
``call_id`` column or anything near the number of calls.
"""

from __future__ import annotations

import time

import pandas as pd
import pytest
from engine_servers import load_postgres, load_spark

from iskpi_analysis import aggregate, cli, dataset, sample, scorecard, timing
from iskpi_analysis.dataset.warehouse import open_url
from iskpi_analysis.phase import patterns

MONTH = "2026-10"
PG_ZONES = ("Asia/Tokyo", "America/New_York")


@pytest.fixture(scope="module")
def frames():
    teams = [
        sample.TeamSpec("t1", "Team 1", "2026-08-17", n_sdr=2, n_bdr=1, calls_per_day=25, n_leavers=1),
        sample.TeamSpec("t2", "Team 2", "2026-08-17", n_sdr=1, n_bdr=1, calls_per_day=20),
    ]
    return sample.generate(7, teams=teams, end="2026-10-31")


@pytest.fixture(scope="module")
def files(frames, tmp_path_factory):
    d = tmp_path_factory.mktemp("wh_files")
    sample.write_sample(d, tables=frames)
    return {tz: dataset.load_data(d, tz=tz) for tz in PG_ZONES}


@pytest.fixture(scope="module")
def pg(frames, postgres_url):
    load_postgres(postgres_url, "wh", frames)
    out = {tz: dataset.load_data(f"{postgres_url}?schema=wh", tz=tz) for tz in PG_ZONES}
    yield out
    for d in out.values():
        d.close()


@pytest.fixture(scope="module")
def spark(frames, spark_session, tmp_path_factory):
    db = load_spark(spark_session, tmp_path_factory.mktemp("wh_spark"), frames)
    return {"Asia/Tokyo": open_url(f"spark://local/{db}", tz="Asia/Tokyo", spark=spark_session)}


def _views(data):
    """The whole organisation, one team, and one team in the report month's window."""
    start, end = dataset.month_bounds(MONTH)
    return {"org": data, "t1": data.filter(team="t1"), "t1-month": data.filter(team="t1", start=start, end=end)}


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    """One representation per value: text as str, integers as int64, timestamps at µs (the
    engines' drivers return object/Int, DuckDB pandas strings and ns)."""
    df = df.reset_index(drop=False) if not isinstance(df.index, pd.RangeIndex) else df.reset_index(drop=True)
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(s):
            s = s.astype(s.dtype).dt.as_unit("us")
        elif s.dtype == object or str(s.dtype).startswith(("str", "string")):
            s = s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else str(v))
        elif pd.api.types.is_bool_dtype(s):
            s = s.astype(object).where(s.notna(), None).map(lambda v: None if v is None else bool(v))
        elif pd.api.types.is_integer_dtype(s):
            s = s.astype("int64")
        out[c] = s
    return pd.DataFrame(out)


def _same(got: pd.DataFrame, ref: pd.DataFrame, what: str):
    try:
        pd.testing.assert_frame_equal(_norm(got), _norm(ref), check_exact=False, rtol=1e-12, check_dtype=False)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from None


def _results(d, only=None) -> dict[str, object]:
    """Every event-level query of the notebooks and the aggregations, on one view (``only``: those)."""
    rp_month = aggregate.rep_period(d, "month")
    fns = {
        "rep_period day": lambda: aggregate.rep_period(d, "day"),
        "rep_period month": lambda: rp_month,
        "rep_period week appointment": lambda: aggregate.rep_period(d, "week", deal_date="appointment"),
        "call_buckets rep×weekday×hour": lambda: aggregate.call_buckets(d, by=("rep_id", "weekday", "hour")),
        "call_buckets month×business_day": lambda: aggregate.call_buckets(d, by=("team_id", "month")),
        "measures": lambda: scorecard.measures(d, month=MONTH, rep_period=rp_month),
        "response_times": lambda: scorecard.response_times(d, month=MONTH),
        "script_differences": lambda: patterns.script_differences(d, min_trials=30),
        "months": lambda: pd.DataFrame({"m": d.months()}),
        "row_counts": lambda: pd.DataFrame([d.row_counts()]),
        "last_date": lambda: pd.DataFrame({"d": [d.last_date]}),
        "require_month_calls": lambda: _month_ok(d),
    }
    return {k: f() for k, f in fns.items() if only is None or k in only}


def _month_ok(d) -> pd.DataFrame:
    try:
        dataset.require_month_calls(d, MONTH)
        return pd.DataFrame({"ok": [True]})
    except dataset.MonthWithoutCalls as exc:  # pragma: no cover - the data has calls in MONTH
        return pd.DataFrame({"ok": [str(exc)]})


def _compare(remote: dict, local: dict, views=None, only=None):
    n = 0
    for tz, data in remote.items():
        got_views, ref_views = _views(data), _views(local[tz])
        for name in views or got_views:
            ref = _results(ref_views[name], only)
            got = _results(got_views[name], only)
            assert ref["rep_period month"]["calls"].sum() > 0
            for k in ref:
                _same(got[k], ref[k], f"{tz} {name} {k}")
                n += 1
    return n


def test_postgres_dataset_equals_files(pg, files):
    t0 = time.perf_counter()
    n = _compare(pg, files)
    assert n == 2 * 3 * 12
    print(f"PostgreSQL: {n} results equal in {time.perf_counter() - t0:.1f} s")


def test_postgres_month_without_calls_refused_like_files(pg, files):
    for data in (pg["Asia/Tokyo"], files["Asia/Tokyo"]):
        with pytest.raises(
            dataset.MonthWithoutCalls, match=r"no outbound calls in 2026-12 .*2026-08, 2026-09, 2026-10"
        ):
            dataset.require_month_calls(data, "2026-12")


def test_postgres_pulled_tables_equal_files(pg, files):
    """The small tables a notebook reads as frames (pulled whole, or the view's rows of them)."""
    for name, d in _views(pg["Asia/Tokyo"]).items():
        ref = _views(files["Asia/Tokyo"])[name]
        for t in ("teams", "reps", "costs", "leads", "deals"):
            _same(getattr(d, t)[getattr(ref, t).columns], getattr(ref, t), f"{name} {t}")
    assert pg["Asia/Tokyo"].team_ids() == files["Asia/Tokyo"].team_ids()
    assert pg["Asia/Tokyo"].names() == files["Asia/Tokyo"].names()


def test_postgres_timing_breakdowns_and_success_patterns(pg, files):
    """timing.breakdowns (counted in the database: attempts, group × hour) and
    phase.success_patterns give the file route's tables."""
    for name in ("t1", "t1-month"):
        d, ref = _views(pg["Asia/Tokyo"])[name], _views(files["Asia/Tokyo"])[name]
        assert timing.available_breakdowns(d) == timing.available_breakdowns(ref)
        for by in ("attempt", "role", "source"):
            _same(timing.breakdown(d, by=by, min_trials=5), timing.breakdown(ref, by=by, min_trials=5), f"{name} {by}")
    got = patterns.success_patterns(pg["Asia/Tokyo"].filter(team="t1"), month=MONTH, min_total_calls=100)
    ref = patterns.success_patterns(files["Asia/Tokyo"].filter(team="t1"), month=MONTH, min_total_calls=100)
    assert got["calls"] == ref["calls"] > 0
    assert got["recommended_hours"] == ref["recommended_hours"]
    _same(got["scripts"], ref["scripts"], "success_patterns scripts")


def test_only_aggregates_come_back_from_postgres(pg, frames):
    """Every query of the analyses returns an aggregated table: no call_id column, far fewer
    rows than calls. (Pulling ``data.calls`` is possible, and the log shows it.)"""
    d = pg["Asia/Tokyo"]
    log = d._src.eng.query_log
    log.clear()
    # fresh views: an analysis may remember a query's result per view object (scorecard.tree),
    # and the earlier tests of this module already asked through ``d`` itself
    for v in _views(d.filter(team="all")).values():
        _results(v)
    n_calls = len(frames["calls"])
    assert len(log) >= 30
    callers = {e["caller"] for e in log}
    assert {
        "iskpi_analysis.aggregate.rep_period",
        "iskpi_analysis.aggregate.call_buckets",
        "iskpi_analysis.scorecard.tree.measures",
        "iskpi_analysis.scorecard.views.response_times",
        "iskpi_analysis.phase.patterns.script_differences",
    } <= callers, callers
    for e in log:
        assert "call_id" not in e["columns"], e
        assert "email_id" not in e["columns"], e
        assert e["rows"] < n_calls / 10, e
    biggest = max(log, key=lambda e: e["rows"])
    print(
        f"{len(log)} queries; calls in the database {n_calls:,}; largest result {biggest['rows']} rows ({biggest['caller']})"
    )
    log.clear()
    assert len(d.calls) == n_calls  # a pull of the events is possible …
    assert log[-1]["rows"] == n_calls and "call_id" in log[-1]["columns"]  # … and shows in the log


#: Spark takes seconds per query even on tiny data: one view (a team in the report month, both
#: filters pushed down) and one result of each kind of query (PostgreSQL runs them all)
SPARK_RESULTS = (
    "rep_period month",
    "call_buckets rep×weekday×hour",
    "response_times",
    "script_differences",
)


def test_spark_dataset_equals_files(spark, files):
    t0 = time.perf_counter()
    n = _compare(spark, files, views=("t1-month",), only=SPARK_RESULTS + ("require_month_calls",))
    assert n == len(SPARK_RESULTS) + 1
    print(f"Spark: {n} results equal in {time.perf_counter() - t0:.1f} s")
    for e in spark["Asia/Tokyo"]._src.eng.query_log:
        assert "call_id" not in e["columns"], e


def test_cli_validate_reads_a_database(pg, postgres_url, frames, capsys):
    """``iskpi validate --data URL`` prints the summary counted in the database, the URL without
    its password; a database that cannot be reached is one line and exit 2."""
    url = postgres_url.replace("iskpi@", "iskpi:pw123@") + "?schema=wh"
    assert cli.main(["validate", "--data", url, "--tz", "Asia/Tokyo"]) == 0
    out = capsys.readouterr().out
    assert "pw123" not in out and f"{postgres_url}?schema=wh" in out
    assert f"calls {len(frames['calls'])}" in " ".join(out.split())
    bad = postgres_url.rsplit(":", 1)[0] + ":1/postgres"
    assert cli.main(["validate", "--data", bad]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_warehouse_problems_become_warnings(postgres_url, frames):
    """Validation in a database is counting: planted duplicates and unknown reps become the
    Dataset's warnings (with a catalog sentence each), the rows are read as stored."""
    from iskpi_analysis.report.export import note_text

    bad = {k: v.copy() for k, v in frames.items()}
    calls = bad["calls"]
    calls.loc[1, "call_id"] = calls.loc[0, "call_id"]
    calls.loc[2, "rep_id"] = "NOBODY"
    load_postgres(postgres_url, "wh_bad", bad)
    d = dataset.load_data(f"{postgres_url}?schema=wh_bad", tz="Asia/Tokyo")
    try:
        codes = {(p.code, p.column, p.count) for p in d.notes}
        assert ("warehouse_duplicate_ids", "call_id", 1) in codes
        assert ("warehouse_unknown_rep", "rep_id", 1) in codes
        assert d.row_counts()["calls"] == len(calls) - 1  # the unknown rep's call has no team: not in the views
        for p in d.notes:
            for lang in ("ja", "en"):
                assert "1" in note_text(p, lang=lang) and "calls (" in note_text(p, lang=lang)
    finally:
        d.close()
