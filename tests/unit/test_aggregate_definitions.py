"""The one definition of each aggregation: portable by construction, rendered for every engine
(no database needed; ``tests/engines/test_engines.py`` runs the renderings in PostgreSQL and Spark)."""

from __future__ import annotations

import pandas as pd
import pytest

from iskpi_analysis import dataset, engines
from iskpi_analysis.engines import definitions


def test_definitions_render_for_every_engine_and_refuse_unportable_sql():
    rel = {r: f"t_{r}" for r in definitions.RELATIONS}
    sql = definitions.rep_period_sql("week", has_emails=True, has_deals=True, deal_date="appointment")
    pg_sql = definitions.render(sql, "postgres", rel)
    spark_sql = definitions.render(sql, "spark", rel)
    assert "GROUP BY ALL" not in pg_sql and "COUNT_IF" not in pg_sql.upper()  # PostgreSQL has no count_if
    assert "COUNT_IF" in spark_sql.upper()
    for bad, why in (
        ("SELECT rep_id, count(*) FROM t GROUP BY ALL", "GROUP BY ALL"),
        ("SELECT isodow(d) FROM t", "DayOfWeekIso"),
        ("SELECT date_trunc('week', d) FROM t", "truncation"),
        ("WITH x AS MATERIALIZED (SELECT 1) SELECT * FROM x", "MATERIALIZED"),
    ):
        with pytest.raises(ValueError, match=why):
            definitions.render(bad, "postgres", {})


def test_calendar_frame_matches_the_holiday_calendar():
    cal = definitions.calendar_frame("2026-04-27", "2026-05-10")
    row = cal.set_index("date")
    d = pd.Timestamp("2026-05-04").date()  # Greenery Day (みどりの日), a Monday
    assert row.loc[d, "weekday"] == 0 and not row.loc[d, "business_day"]
    assert row.loc[pd.Timestamp("2026-05-07").date(), "business_day"]
    assert row.loc[pd.Timestamp("2026-05-10").date(), "week"] == pd.Timestamp("2026-05-04").date()
    assert row.loc[pd.Timestamp("2026-05-01").date(), "month_label"] == "2026-05"
    assert len(definitions.calendar_frame(None, None)) == 0


def test_connect_rejects_unknown_schemes():
    with pytest.raises(ValueError, match="postgresql"):
        engines.connect("mysql://host/db")
    with pytest.raises(ValueError, match="IANA"):
        engines.connect("postgresql://h/db", tz="Asia/Tokyo'; DROP TABLE calls; --")
    assert engines.is_url("postgresql://h/db") and not engines.is_url("data/sample")


def test_load_data_refuses_an_unknown_database_scheme_without_showing_the_password():
    # issue 15: load_data(URL) reads PostgreSQL and Spark (tests/engines/test_warehouse_dataset.py);
    # any other scheme is refused with the allowed ones, and the password stays out of the message
    with pytest.raises(ValueError, match="postgresql") as exc:
        dataset.load_data("mysql://someone:secret@db.example/crm")
    assert "secret" not in str(exc.value)


def test_every_definition_variant_renders_for_every_dialect():
    """Runs without a server: each variant passes the portability check and SQLGlot's strict
    transpilation (the engine tests above run them for real)."""
    rel = {r: f"t_{r}" for r in definitions.RELATIONS}
    sqls = [
        definitions.rep_period_sql(g, has_emails=e, has_deals=d, deal_date=dd)
        for g in definitions.GRAINS
        for e in (False, True)
        for d in (False, True)
        for dd in ("created", "appointment")
    ]
    sqls += [
        definitions.call_buckets_sql(["team_id", "rep_id", *k, "business_day"])
        for k in (["weekday", "hour"], ["date", "month"])
    ]
    sqls += [definitions.validation_sql(t) for t in definitions.VALIDATED]
    for sql in sqls:
        for dialect in definitions.DIALECTS:
            text = definitions.render(sql, dialect, {**rel, "src": "s0", "reps_src": "r0"})
            assert "{" not in text and "GROUP BY ALL" not in text.upper()
    with pytest.raises(ValueError, match="grain"):
        definitions.rep_period_sql("year", has_emails=False, has_deals=False)
    with pytest.raises(KeyError, match="calls"):
        definitions.render(definitions.call_buckets_sql(["hour"]), "duckdb", {})


def test_a_missing_engine_skips_with_what_to_install_and_fails_when_required(monkeypatch):
    from engine_servers import unavailable

    monkeypatch.delenv("ISKPI_REQUIRE_ENGINES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        unavailable("postgres", "initdb not found")
    monkeypatch.setenv("ISKPI_REQUIRE_ENGINES", "1")
    with pytest.raises(pytest.fail.Exception, match="default-jdk-headless.*required here"):
        unavailable("spark", "no java on PATH")
