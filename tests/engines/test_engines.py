"""The aggregations run inside PostgreSQL and Spark equal the local DuckDB path to the last count.

One PostgreSQL server and one Spark session for the whole test session (``conftest.py``); the
same generated data (two small teams over six weeks that include the US change to daylight
saving time on 2026-03-08, plus one rep whose only calls sit on local-midnight and DST
boundaries) goes into DuckDB (files → ``dataset.load_data``), PostgreSQL (COPY) and Spark (Parquet).
Every table is compared with ``assert_frame_equal`` in Asia/Tokyo (fixed offset: DuckDB's fast
path) and America/New_York (a DST change in range: DuckDB's ICU path), and the boundary calls'
local hour, weekday and date are checked against Python's ``zoneinfo``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from engine_servers import load_postgres, load_spark

from iskpi_analysis import aggregate, cli, dataset, engines, sample

ZONES = ("Asia/Tokyo", "America/New_York")
#: instants on local-midnight boundaries (Tokyo 15:00Z; New York 05:00Z in EST, 04:00Z in EDT)
#: and across the US DST change (2026-03-08 07:00Z: 01:59:59 EST is followed by 03:00:00 EDT)
BOUNDARY_UTC = [
    "2026-03-02T14:59:59Z",
    "2026-03-02T15:00:00Z",
    "2026-03-07T04:59:59Z",
    "2026-03-07T05:00:00Z",
    "2026-03-08T06:59:59Z",
    "2026-03-08T07:00:00Z",
    "2026-03-10T03:59:59Z",
    "2026-03-10T04:00:00Z",
]
EDGE_REP = "RZ01"
TODAY = "2026-04-01"


def _frames() -> dict[str, pd.DataFrame]:
    teams = [
        sample.TeamSpec("t1", "Team 1", "2026-02-16", n_sdr=2, n_bdr=1, calls_per_day=25, n_leavers=1),
        sample.TeamSpec("t2", "Team 2", "2026-02-16", n_sdr=1, n_bdr=1, calls_per_day=20),
    ]
    f = sample.generate(7, teams=teams, end="2026-03-31")
    reps = f["reps"]
    edge = reps.iloc[[0]].assign(rep_id=EDGE_REP, rep_name="Edge", left_on=pd.NaT)
    f["reps"] = pd.concat([reps, edge], ignore_index=True).astype(reps.dtypes.to_dict())
    calls = f["calls"]
    tz = calls["started_at"].dt.tz
    planted = pd.DataFrame(
        {
            "call_id": [f"CZ{i:03d}" for i in range(len(BOUNDARY_UTC))],
            "rep_id": EDGE_REP,
            "lead_id": [f"LZ{i % 3}" for i in range(len(BOUNDARY_UTC))],
            "started_at": pd.to_datetime(BOUNDARY_UTC).tz_convert(tz),
            "connected": [i % 2 == 0 for i in range(len(BOUNDARY_UTC))],
            "talk_seconds": [200 if i % 2 == 0 else 0 for i in range(len(BOUNDARY_UTC))],
            "appointment": [i == 0 for i in range(len(BOUNDARY_UTC))],
            "decision_maker": pd.array([True] * len(BOUNDARY_UTC), dtype="boolean"),
            "script": "A",
        }
    )
    f["calls"] = pd.concat([calls, planted], ignore_index=True).astype(calls.dtypes.to_dict())
    return f


@pytest.fixture(scope="module")
def frames():
    return _frames()


@pytest.fixture(scope="module")
def data_dir(frames, tmp_path_factory):
    d = tmp_path_factory.mktemp("engines_data")
    sample.write_sample(d, tables=frames)
    return d


@pytest.fixture(scope="module")
def local(data_dir):
    return {tz: dataset.load_data(data_dir, tz=tz, today=TODAY) for tz in ZONES}


@pytest.fixture(scope="module")
def pg(frames, postgres_url):
    t0 = time.perf_counter()
    load_postgres(postgres_url, "crm", frames)
    engs = {tz: engines.connect(f"{postgres_url}?schema=crm", tz=tz) for tz in ZONES}
    print(f"PostgreSQL: data loaded and engines ready in {time.perf_counter() - t0:.1f} s")
    yield engs
    for e in engs.values():
        e.close()


@pytest.fixture(scope="module")
def spark(frames, spark_session, tmp_path_factory):
    t0 = time.perf_counter()
    db = load_spark(spark_session, tmp_path_factory.mktemp("spark_tables"), frames)
    engs = {tz: engines.connect(f"spark://local/{db}", tz=tz, spark=spark_session) for tz in ZONES}
    print(
        f"Spark: session started in {spark_session.started_in:.1f} s, data loaded in {time.perf_counter() - t0:.1f} s"
    )
    return engs


CASES = [
    ("rep_period", {"grain": "day"}),
    ("rep_period", {"grain": "week"}),
    ("rep_period", {"grain": "month"}),
    ("rep_period", {"grain": "day", "deal_date": "appointment"}),
    ("rep_period", {"grain": "month", "deal_date": "appointment"}),
    ("call_buckets", {"by": ("rep_id", "weekday", "hour")}),
    ("call_buckets", {"by": ("team_id", "date", "hour")}),
    ("call_buckets", {"by": ("role", "month", "weekday")}),
]


def _compute(data, fn, kw):
    if fn == "rep_period":
        grain = kw["grain"]
        return aggregate.rep_period(data, grain, **{k: v for k, v in kw.items() if k != "grain"})
    return aggregate.call_buckets(data, by=kw["by"])


def _same(remote: pd.DataFrame, ref: pd.DataFrame):
    # text columns come back as object from the databases, as pandas strings from DuckDB
    for c in ref.columns:
        if c in remote and (ref[c].dtype == object or str(ref[c].dtype).startswith(("str", "string"))):
            ref[c], remote[c] = ref[c].astype(str), remote[c].astype(str)
    pd.testing.assert_frame_equal(remote.reset_index(drop=True), ref.reset_index(drop=True), check_exact=True)


#: Spark runs each query in seconds even on tiny data: the zone with a DST change gets the cases
#: whose local time differs by construction (days, weeks, hour × weekday); PostgreSQL runs all
SPARK_NY_CASES = [CASES[0], CASES[1], CASES[5]]


def _check_engine(engs, local, cases=None):
    for tz in ZONES:
        for fn, kw in (cases or {}).get(tz, CASES):
            ref = _compute(local[tz], fn, kw)
            assert len(ref) > 0 and ref["calls"].sum() > 0
            got = _compute(engs[tz], fn, kw)
            try:
                _same(got, ref)
            except AssertionError as exc:
                raise AssertionError(f"{tz} {fn} {kw}: {exc}") from None


def test_postgres_aggregates_equal_duckdb(pg, local):
    _check_engine(pg, local)


def test_spark_aggregates_equal_duckdb(spark, local):
    _check_engine(spark, local, {"America/New_York": SPARK_NY_CASES})


def _expected_edges(tz: str) -> Counter:
    """(date, weekday, hour) of the boundary calls, by Python's zoneinfo (independent of every engine)."""
    z = ZoneInfo(tz)
    out = Counter()
    for s in BOUNDARY_UTC:
        t = pd.Timestamp(s).to_pydatetime().astimezone(z)
        out[(pd.Timestamp(t.date()), t.weekday(), t.hour)] += 1
    return out


@pytest.mark.parametrize("tz", ZONES)
def test_boundary_buckets_on_every_engine(tz, local, pg, spark):
    want = _expected_edges(tz)
    # each planted pair straddles a local midnight, hour or DST change: every call is a bucket
    # of its own, so a wrong zone or offset moves at least one of them
    assert len(want) == len(BOUNDARY_UTC)
    if tz == "America/New_York":  # 01:59:59 EST is followed by 03:00:00 EDT: no call at 2 h
        assert {(k[0].day, k[2]) for k in want} >= {(8, 1), (8, 3)}
    for name, data in (("duckdb", local[tz]), ("postgres", pg[tz]), ("spark", spark[tz])):
        b = aggregate.call_buckets(data, by=("rep_id", "date", "weekday", "hour"))
        b = b[b.rep_id == EDGE_REP]
        got = Counter({(r.date, r.weekday, r.hour): r.calls for r in b.itertuples()})
        assert got == want, f"{name} {tz}: {dict(got)} != {dict(want)}"


def test_validation_counts_equal_and_count_planted_problems(postgres_url, frames, spark_session, tmp_path):
    bad = {k: v.copy() for k, v in frames.items()}
    calls = bad["calls"]
    # one duplicated call id, one call of an unknown rep, one call without a rep
    calls.loc[1, "call_id"] = calls.loc[0, "call_id"]
    calls.loc[2, "rep_id"] = "NOBODY"
    calls.loc[3, "rep_id"] = pd.NA
    load_postgres(postgres_url, "crm_bad", bad)
    got_pg = engines.validation_counts(engines.connect(f"{postgres_url}?schema=crm_bad"))
    db = load_spark(spark_session, tmp_path, bad, shared=False)  # session views: the clean global ones stay
    got_spark = engines.validation_counts(engines.connect(f"spark://local/{db}", spark=spark_session))
    pd.testing.assert_frame_equal(got_pg, got_spark)
    n = got_pg.set_index(["table", "check"])["n"]
    assert n["calls", "n_rows"] == len(calls)
    assert n["calls", "duplicate_ids"] == 1
    assert n["calls", "unknown_rep"] == 1
    assert n["calls", "missing_rep_id"] == 1
    assert n["reps", "duplicate_ids"] == 0


def test_cli_aggregate_from_postgres_and_from_files(pg, local, postgres_url, data_dir, frames, tmp_path, capsys):
    ref = aggregate.rep_period(local["Asia/Tokyo"], "week")
    for name, source in (("pg", f"{postgres_url}?schema=crm"), ("files", str(data_dir))):
        out = tmp_path / name
        assert cli.main(["aggregate", "--data", source, "--out", str(out), "--tz", "Asia/Tokyo"]) == 0
        week = pd.read_parquet(out / "rep_week.parquet")
        assert len(week) == len(ref) and (week["calls"].to_numpy() == ref["calls"].to_numpy()).all()
        assert (week["leads_handled"].to_numpy() == ref["leads_handled"].to_numpy()).all()
        counts = pd.read_csv(out / "validation_counts.csv").set_index(["table", "check"])["n"]
        assert counts["calls", "n_rows"] == len(frames["calls"])
        assert len(pd.read_parquet(out / "reps.parquet")) == len(frames["reps"])
        manifest = json.loads((out / "aggregate_manifest.json").read_text())
        assert set(manifest["tables"]) >= {"rep_day.parquet", "rep_month.parquet", "call_buckets.parquet"}
        assert manifest["problems"] == []
    assert cli.main(["aggregate", "--data", str(tmp_path / "nothing"), "--out", str(tmp_path / "x")]) == 2
    assert "not found" in capsys.readouterr().err
