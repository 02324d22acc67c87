"""Issue 15: ``iskpi report --data postgresql://…`` on the sample data loaded into PostgreSQL
records the same values as the same run on the files, and only aggregated tables come back.

The file run is the session's shared Japanese sample report (tests/report/sample_runs.py: the
organisation and one team, every notebook); the database run asks for the same month, team
and notebooks with ``--data`` a PostgreSQL URL (with a password, which must appear nowhere in
the output). Every record every page writes (``kpi_table``, ``team_phase`` and the rest) is
compared, floats to 1e-9 relative. Each query the kernels send is logged
(``ISKPI_ENGINE_LOG``): none of the kit's own analyses gets call-level rows back (``timing.breakdowns``
did until it counted in SQL; it numbers attempts and counts group × hour in the database now).
"""

from __future__ import annotations

import json
import math
import time

import pandas as pd
import pytest
from engine_servers import load_postgres
from sample_runs import MONTH

from iskpi_analysis import config, report
from iskpi_analysis import notebook as nbm
from iskpi_analysis.engines.base import QUERY_LOG_ENV

PASSWORD = "s3cret-pw"


def _same(a, b, where: str):
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        x = math.nan if a is None else float(a)
        y = math.nan if b is None else float(b)
        assert (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (
            f"{where}: {a} != {b}"
        )
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def pg_report(postgres_url, sample_ja, tmp_path_factory):
    files = sample_ja
    t0 = time.perf_counter()
    frames = {
        t: pd.read_parquet(config.SAMPLE_DATA_DIR / f"{t}.parquet")
        for t in ("teams", "reps", "calls", "emails", "leads", "deals", "costs")
    }
    load_postgres(postgres_url, "sample", frames)
    loaded = time.perf_counter() - t0
    url = postgres_url.replace("iskpi@", f"iskpi:{PASSWORD}@") + "?schema=sample"
    out = tmp_path_factory.mktemp("pg_reports")
    log = out.parent / "engine_log.jsonl"
    mp = pytest.MonkeyPatch()
    mp.setenv(QUERY_LOG_ENV, str(log))
    try:
        t1 = time.perf_counter()
        # the team's four notebooks, then the organisation's 01 merged into the same month: the
        # organisation's other pages send the same queries over more rows (and double the time)
        report.run_report(
            MONTH,
            teams=[files["team"]],
            include_org=False,
            data_dir=url,
            out_dir=out,
            notebooks_dir=config.NOTEBOOKS_DIR,
            progress=False,
        )
        res = report.run_report(
            MONTH,
            teams=[report.ORG],
            data_dir=url,
            out_dir=out,
            notebooks_dir=config.NOTEBOOKS_DIR,
            notebooks=["01_scorecard"],
            progress=False,
        )
    finally:
        mp.undo()
    print(
        f"sample loaded into PostgreSQL in {loaded:.1f} s; 5 pages from PostgreSQL in "
        f"{time.perf_counter() - t1:.1f} s (the file run: {files['result'].seconds:.1f} s for all 8 pages)"
    )
    entries = [json.loads(x) for x in log.read_text().splitlines()]
    return {"files": files, "result": res, "log": entries, "url": url, "n_calls": len(frames["calls"])}


def _records(res) -> dict:
    return {(p.parent.name, p.stem): nbm.read_records(p) for p in sorted(res.out_dir.glob("*/*.ipynb"))}


def test_report_from_postgres_records_the_files_values(pg_report):
    pg, files = pg_report["result"], pg_report["files"]["result"]
    assert pg.status == files.status == "complete"
    got, ref = _records(pg), _records(files)
    team = pg_report["files"]["team"]
    nbs = sorted(p.stem for p in config.NOTEBOOKS_DIR.glob("*.ipynb"))
    assert set(got) == {(team, n) for n in nbs} | {(report.ORG, "01_scorecard")}, sorted(got)
    ref = {k: v for k, v in ref.items() if k in got}
    assert len(ref) == len(got) == len(nbs) + 1
    compared = 0
    for page in ref:
        assert set(got[page]) == set(ref[page]), f"{page}: {sorted(set(got[page]) ^ set(ref[page]))}"
        for name in ref[page]:
            _same(got[page][name], ref[page][name], f"{page} {name}")
            compared += 1
    assert any("kpi_table" in r for r in ref.values()) and any("team_phase" in r for r in ref.values())
    print(f"{compared} records equal on {len(ref)} pages")


def test_report_from_postgres_names_the_source_without_password(pg_report):
    res, url = pg_report["result"], pg_report["url"]
    manifest = json.loads((res.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["data_dir"] == url.replace(f":{PASSWORD}", "")
    assert manifest["data"]["files"] == {}  # no file: the fingerprint is the database's
    assert len(manifest["data"]["fingerprint"]) == 12
    assert manifest["data"]["month_row_counts"]["all"]["calls"] > 0
    for p in res.out_dir.rglob("*"):
        if p.is_file():
            assert PASSWORD not in p.read_text(encoding="utf-8", errors="replace"), p
    assert not (res.out_dir / ".snapshot").exists()


def test_report_from_postgres_gets_only_aggregates_back(pg_report):
    log, n_calls = pg_report["log"], pg_report["n_calls"]
    assert len(log) > 50
    events = [e for e in log if "call_id" in e["columns"] or "email_id" in e["columns"]]
    assert events == [], events[:3]
    biggest = max(log, key=lambda e: e["rows"])
    # aggregated tables and the small pulled ones (leads, deals) only: far below the calls
    assert biggest["rows"] < n_calls / 10, biggest
    slow = pd.DataFrame(log).groupby("caller")["seconds"].sum().sort_values(ascending=False).head(6)
    print("seconds in the database by caller:", slow.round(1).to_dict())
    print(
        f"{len(log)} queries from the kernels; calls in the database {n_calls:,}; largest other result "
        f"{biggest['rows']:,} rows ({biggest['caller']}); no call-level rows"
    )
