"""Report runner: CLI (arguments, errors, exit codes), report files, manifest, HTML hygiene,
failing notebooks, clean re-runs, and a run of the real notebooks on the sample data.

Runtime is kept modest: the tiny fixture notebook on a tiny CSV data set for most tests, and the
real notebooks for the organisation + one team on the sample data (``sample_runs``: one run shared
by the report tier's files; the whole run over every team is the benchmark / main job).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sample_runs import sample_report  # noqa: F401 - the shared sample-data report, also imported from here

from iskpi_analysis import catalog, report
from iskpi_analysis import dataset as iskpi_io

HERE = Path(__file__).resolve().parents[1]  # tests/
FIXTURE_NOTEBOOKS = HERE / "data" / "report_notebooks"
FAILING = HERE / "data" / "failing.ipynb"
MONTH = "2026-10"


# --- helpers ------------------------------------------------------------------------------------
def make_tiny_data(path: Path) -> Path:
    """Two teams, four reps, 400 calls in Sep–Oct 2026 with distinctive lead/call ids."""
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    teams = pd.DataFrame(
        {"team_id": ["T1", "T2"], "team_name": ["東京SDR", "大阪BDR"], "launched_on": ["2025-04-01", "2026-01-05"]}
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["r1", "r2", "r3", "r4"],
            "rep_name": ["佐藤", "鈴木", "高橋", "田中"],
            "team_id": ["T1", "T1", "T2", "T2"],
            "role": ["SDR", "SDR", "BDR", "BDR"],
            "joined_on": ["2025-04-01"] * 4,
            "left_on": [""] * 4,
        }
    )
    n = 400
    days = pd.DatetimeIndex(rng.choice(pd.date_range("2026-09-01", "2026-10-30", freq="B"), n))
    hours, minutes = rng.integers(9, 19, n), rng.integers(0, 60, n)
    conn = rng.random(n) < 0.3
    talk = np.where(conn, rng.integers(10, 400, n), 0)
    calls = pd.DataFrame(
        {
            "call_id": [f"CALLX{i:05d}" for i in range(n)],
            "rep_id": rng.choice(reps.rep_id, n),
            "lead_id": [f"LEADX{i:05d}" for i in rng.integers(0, 150, n)],
            "started_at": [f"{d.date()}T{h:02d}:{m:02d}:00+09:00" for d, h, m in zip(days, hours, minutes)],
            "connected": conn,
            "talk_seconds": talk,
            "appointment": conn & (talk > 200) & (rng.random(n) < 0.3),
        }
    )
    for name, df in {"teams": teams, "reps": reps, "calls": calls}.items():
        df.to_csv(path / f"{name}.csv", index=False)
    return path


def html_text_without_data_uris(path: Path) -> str:
    return re.sub(r"data:[a-z/+.-]+;base64,[A-Za-z0-9+/=]+", "", path.read_text(encoding="utf-8"))


def assert_no_code(page: str) -> None:
    """No code input, prompts, tracebacks or injected parameters in a leadership HTML."""
    for bad in (
        'class="input_area"',
        "In&nbsp;[",
        "Out[",
        "import ",
        "nb.record",
        "nb.setup(",
        "injected-parameters",
        "Traceback",
        'month = "',
        "this cell is tagged remove",
        "<script",
    ):
        assert bad not in page, f"found {bad!r} in the HTML"


def run_cli(argv, capsys):
    from iskpi_analysis import cli

    code = cli.main(["report", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("tiny") / "data")


@pytest.fixture(scope="module")
def tiny_run(tiny_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny_reports")
    res = report.run_report(
        MONTH, teams=["T1"], data_dir=tiny_dir, out_dir=out, notebooks_dir=FIXTURE_NOTEBOOKS, jobs=2, progress=False
    )
    return res


# --- discovery / validation (fast) ----------------------------------------------------------------
def test_discover_notebooks_sorted_and_subset(tmp_path):
    for name in ("02_b", "01_a", "10_c", "_draft"):
        shutil.copy(FIXTURE_NOTEBOOKS / "01_tiny.ipynb", tmp_path / f"{name}.ipynb")
    assert [p.stem for p in report.discover_notebooks(tmp_path)] == ["01_a", "02_b", "10_c"]
    assert [p.stem for p in report.discover_notebooks(tmp_path, ["10_c", "0*"])] == ["01_a", "02_b", "10_c"]
    with pytest.raises(report.ReportError, match="no notebook matches 'zz'"):
        report.discover_notebooks(tmp_path, ["zz"])
    with pytest.raises(report.ReportError, match="notebooks directory not found"):
        report.discover_notebooks(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(report.ReportError, match="no notebooks"):
        report.discover_notebooks(tmp_path / "empty")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--month", "2026-13"], "--month must be YYYY-MM"),
        (["--month", "202610"], "--month must be YYYY-MM"),
        (["--month", "2030-01"], "month 2030-01 has no calls or e-mails"),
        (["--month", MONTH, "--team", "T9"], "unknown team(s) T9; teams in the data: T1, T2"),
        (["--month", MONTH, "--jobs", "0"], "--jobs must be a positive integer"),
        (["--month", MONTH, "--notebooks", "99_nothing"], "no notebook matches '99_nothing'"),
        (["--month", MONTH, "--targets", "/nonexistent/targets.toml"], "targets file not found"),
    ],
)
def test_cli_rejects_bad_parameters_before_running(argv, message, tiny_dir, tmp_path, capsys):
    out = tmp_path / "reports"
    code, _, err = run_cli(
        [*argv, "--data", str(tiny_dir), "--out", str(out), "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "-q"], capsys
    )
    assert code == report.EXIT_INVALID == 2
    assert message in err
    assert not out.exists(), "nothing may be written when the parameters are invalid"


def test_validate_parameters_teams(tiny_dir):
    data, teams = report.validate_parameters(MONTH, data_dir=tiny_dir)
    assert teams == ["T1", "T2"] and data.fingerprint
    assert report.validate_parameters(MONTH, teams=["all"], data_dir=tiny_dir)[1] == []
    assert report.validate_parameters(MONTH, teams=["T2", "T2", "all"], data_dir=tiny_dir)[1] == ["T2"]
    with pytest.raises(report.ReportError, match="--lang must be one of ja, en"):
        report.validate_parameters(MONTH, data_dir=tiny_dir, lang="fr")


def test_cli_missing_or_invalid_data_dir(tmp_path, capsys):
    code, _, err = run_cli(["--month", MONTH, "--data", str(tmp_path / "nope"), "-q"], capsys)
    assert code == 2 and "data directory not found" in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "reps.csv").write_text("rep_id\nr1\n", encoding="utf-8")
    code, _, err = run_cli(
        ["--month", MONTH, "--data", str(bad), "-q", "--notebooks-dir", str(FIXTURE_NOTEBOOKS)], capsys
    )
    assert code == 2 and "breaks the data contract" in err and "calls" in err


def test_cli_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        run_cli(["--month", MONTH, "--lang", "fr"], capsys)
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        run_cli([], capsys)  # --month is required
    assert e.value.code == 2


def test_console_script_help():
    exe = Path(sys.executable).with_name("iskpi")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "iskpi_analysis.cli"]
    r = subprocess.run([*cmd, "report", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    for opt in ("--month", "--team", "--data", "--out", "--lang", "--targets", "--jobs", "--notebooks"):
        assert opt in r.stdout


def test_export_html_strips_code_and_noise(tmp_path):
    """Export of a hand-made executed notebook: what leadership must not see is gone."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from iskpi_analysis.notebook import RECORD_MIME

    params = new_code_cell('month = "2026-10"', metadata={"tags": ["parameters"]})
    injected = new_code_cell('month = "2026-09"', metadata={"tags": ["injected-parameters"]})
    hidden = new_code_cell(
        "secret()", metadata={"tags": ["remove"]}, outputs=[new_output("stream", name="stdout", text="HIDDEN-OUTPUT")]
    )
    noisy = new_code_cell(
        "ax = plot()",
        outputs=[
            new_output("stream", name="stderr", text="UserWarning: STDERR-NOISE"),
            new_output("execute_result", data={"text/plain": "<Axes: title={'center': 'x'}>"}, execution_count=3),
            new_output(
                "display_data", data={RECORD_MIME: {"name": "headline", "value": [{"label": "架電数", "value": 12345}]}}
            ),
            new_output(
                "display_data", data={"text/html": "<table><tr><td>1,234</td></tr></table>", "text/plain": "df"}
            ),
        ],
    )
    nb = new_notebook(
        cells=[new_markdown_cell("# 見出しのテスト\n\n## 一\n\n## 二\n\n## 三"), params, injected, hidden, noisy]
    )
    src = tmp_path / "x.ipynb"
    nbformat.write(nb, src)
    info = report.export_html(
        src, tmp_path / "x.html", month=MONTH, team="T1", team_label="東京 (T1)", fingerprint="abc123", version="9.9"
    )
    page = (tmp_path / "x.html").read_text(encoding="utf-8")
    for gone in ("secret()", "HIDDEN-OUTPUT", "STDERR-NOISE", "&lt;Axes", 'month = "', "ax = plot()", RECORD_MIME):
        assert gone not in page, gone
    assert "<td>1,234</td>" in page and "見出しのテスト" in page and 'class="toc"' in page
    assert '<div class="value">12,345</div>' in page  # the headline, formatted
    assert info["headline"] == [{"label": "架電数", "value": 12345}] and info["external_urls"] == []
    assert "@font-face" in page and "data:font/woff;base64," in page


# --- a complete run on the tiny data --------------------------------------------------------------
def test_report_writes_every_file(tiny_run):
    root = tiny_run.out_dir
    assert tiny_run.status == "complete" and root.name == MONTH
    for team in ("all", "T1"):
        assert (root / team / "01_tiny.ipynb").is_file()
        assert (root / team / "01_tiny.html").is_file()
    assert (root / "index.html").is_file() and (root / "manifest.json").is_file()
    assert not list(root.parent.glob(f".{MONTH}*")), "no staging directory (nor lock) may be left behind"
    assert not (root.parent / f"{MONTH}.FAILED").exists()
    # the incomplete banner of staging pages is gone from every page of the final folder
    for page in [*tiny_run.html_files, tiny_run.index]:
        text = page.read_text(encoding="utf-8")
        assert report.INCOMPLETE_START not in text and catalog.t("report.page.incomplete", lang="ja") not in text


def test_manifest_contents(tiny_run, tiny_dir):
    m = json.loads(tiny_run.manifest.read_text(encoding="utf-8"))
    assert m["status"] == "complete"
    p = m["parameters"]
    assert p["month"] == MONTH and p["teams"] == ["T1"] and p["lang"] == "ja" and p["jobs"] == 2
    assert p["notebooks"] == ["01_tiny"]
    files = m["data"]["files"]
    assert set(files) == {"teams", "reps", "calls"}
    assert files["calls"]["sha256"] == hashlib.sha256((tiny_dir / "calls.csv").read_bytes()).hexdigest()
    assert files["calls"]["rows"] == 400 and files["reps"]["rows"] == 4
    raw = pd.read_csv(tiny_dir / "calls.csv")
    in_oct = raw["started_at"].str.startswith(MONTH)
    assert m["data"]["month_row_counts"]["all"]["calls"] == int(in_oct.sum())
    t1 = raw["rep_id"].isin(["r1", "r2"]) & in_oct
    assert m["data"]["month_row_counts"]["T1"]["calls"] == int(t1.sum())
    assert m["data"]["fingerprint"] == iskpi_io.load_data(tiny_dir).fingerprint
    env = m["environment"]
    assert env["packages"]["pandas"] == pd.__version__ and env["packages"]["iskpi"]
    assert "revision" in env["git"]
    assert len(m["runs"]) == 2
    for r in m["runs"]:
        assert r["status"] == "ok" and r["started_at"] < r["ended_at"] and r["seconds"] > 0
        assert (tiny_run.out_dir / r["html"]).is_file() and (tiny_run.out_dir / r["ipynb"]).is_file()
    assert m["started_at"] < m["ended_at"]


def test_html_has_no_code_and_is_self_contained(tiny_run, tiny_dir):
    calls = pd.read_csv(tiny_dir / "calls.csv")
    ids = set(calls["call_id"]) | set(calls["lead_id"])
    for html_file in tiny_run.html_files + [tiny_run.index]:
        raw = html_file.read_text(encoding="utf-8")
        assert html_file.stat().st_size < report.MAX_HTML_BYTES
        assert report.external_urls(raw) == []
        assert "<script" not in raw and "<link " not in raw
        text = html_text_without_data_uris(html_file)
        assert_no_code(text)
        assert not ids & set(re.findall(r"[A-Za-z0-9_]+", text)), f"input ids leaked into {html_file}"


def test_report_header_headline_and_toc(tiny_run, tiny_dir):
    fp = iskpi_io.load_data(tiny_dir).fingerprint
    page = (tiny_run.out_dir / "T1" / "01_tiny.html").read_text(encoding="utf-8")
    for part in (
        "インサイドセールス KPI レポート",
        "テスト用レポート（架電サマリー）",
        "2026-10",
        "<dd>東京SDR</dd>",  # the team's display name; its id is no reader's word (issue 14)
        fp,
        report.kit_version(),
        "作成日時",
        'class="toc"',
        'src="data:image/png;base64,',
    ):
        assert part in page
    header = re.search(r'<header class="iskpi-header">.*?</header>', page, re.S).group(0)
    assert "東京SDR" in header and "T1" not in header
    # findings (headline) before details: the headline box and TOC precede the notebook body
    assert page.index('class="headline"') < page.index('class="toc"') < page.index('<main class="iskpi-report">')
    # the headline shows the recorded values, formatted with separators
    calls = pd.read_csv(tiny_dir / "calls.csv")
    n_t1 = int((calls["rep_id"].isin(["r1", "r2"]) & calls["started_at"].str.startswith(MONTH)).sum())
    assert f'<div class="value">{n_t1:,}</div>' in page
    index = tiny_run.index.read_text(encoding="utf-8")
    assert "全 2 件のノートブックが正常に実行されました" in index
    for team in ("all", "T1"):
        assert f'href="{team}/01_tiny.html"' in index
    assert f'<div class="value">{n_t1:,}</div>' in index


def test_rerun_replaces_month_cleanly(tiny_dir, tmp_path):
    first = report.run_report(
        MONTH,
        data_dir=tiny_dir,
        out_dir=tmp_path,
        notebooks_dir=FIXTURE_NOTEBOOKS,
        teams=["T1", "T2"],
        include_org=False,
        progress=False,
    )
    (first.out_dir / "stale.txt").write_text("old", encoding="utf-8")
    assert "全 2 件" in first.index.read_text(encoding="utf-8")
    # a partial run merges into the month (tests/report/test_report_faults.py), so one in another language
    # is refused before anything runs ...
    with pytest.raises(report.ReportError, match="report in --lang ja; a partial run in --lang en cannot be merged"):
        report.run_report(
            MONTH,
            data_dir=tiny_dir,
            out_dir=tmp_path,
            notebooks_dir=FIXTURE_NOTEBOOKS,
            teams=["T2"],
            include_org=False,
            lang="en",
            progress=False,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == [MONTH] and (first.out_dir / "T1").is_dir()
    # ... and with replace=True (--replace) the second run (in English, one team) replaces the whole month
    second = report.run_report(
        MONTH,
        data_dir=tiny_dir,
        out_dir=tmp_path,
        notebooks_dir=FIXTURE_NOTEBOOKS,
        teams=["T2"],
        include_org=False,
        lang="en",
        progress=False,
        replace=True,
    )
    assert second.out_dir == first.out_dir
    assert not (second.out_dir / "stale.txt").exists()
    assert not (second.out_dir / "T1").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [MONTH]
    page = (second.out_dir / "T2" / "01_tiny.html").read_text(encoding="utf-8")
    assert 'lang="en"' in page and "Data fingerprint" in page and "Kit version" in page
    assert "The 1 notebook ran successfully." in second.index.read_text(encoding="utf-8")
    # the parameters reached the notebook (papermill's injected cell of the executed notebook)
    nbj = json.loads((second.out_dir / "T2" / "01_tiny.ipynb").read_text(encoding="utf-8"))
    injected = next(c for c in nbj["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    src = "".join(injected["source"])
    assert 'lang = "en"' in src and 'team = "T2"' in src and f'month = "{MONTH}"' in src
    assert str(Path(tiny_dir).resolve()) in src


# --- failures --------------------------------------------------------------------------------------
def test_failing_notebook_exit_code_and_no_complete_index(tiny_dir, tmp_path, capsys):
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    shutil.copy(FIXTURE_NOTEBOOKS / "01_tiny.ipynb", nb_dir / "01_tiny.ipynb")
    shutil.copy(FAILING, nb_dir / "02_failing.ipynb")
    out = tmp_path / "reports"
    previous = out / MONTH
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("previous complete report", encoding="utf-8")

    code, _, err = run_cli(
        [
            "--month",
            MONTH,
            "--data",
            str(tiny_dir),
            "--out",
            str(out),
            "--no-org",
            "--team",
            "T1",
            "--notebooks-dir",
            str(nb_dir),
        ],
        capsys,
    )
    assert code == report.EXIT_FAILED == 1
    # the progress display said what ran and what failed
    assert "▶ start  T1/02_failing" in err and "✓ done   T1/01_tiny" in err and "✗ FAILED T1/02_failing" in err
    # names the notebook, the failing cell and the error
    assert "notebook 02_failing" in err and "team T1" in err
    assert "cell 4 of the executed notebook (execution count 4: 'raise RuntimeError(" in err
    assert "planted failure for the runner test" in err
    # the previous complete report is untouched; the failed run is clearly marked
    assert (previous / "index.html").read_text(encoding="utf-8") == "previous complete report"
    failed = out / f"{MONTH}.FAILED"
    index = (failed / "index.html").read_text(encoding="utf-8")
    assert "失敗" in index and "不完全" in index and "正常に実行されました" not in index
    m = json.loads((failed / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed"
    bad = next(r for r in m["runs"] if r["notebook"] == "02_failing")
    assert bad["status"] == "failed" and bad["error"]["cell_index"] == 4
    assert bad["error"]["ename"] == "RuntimeError"
    assert (failed / "T1" / "02_failing.ipynb").is_file() and not (failed / "T1" / "02_failing.html").exists()
    assert (failed / "T1" / "01_tiny.html").is_file()
    # every page of the failed run says it is incomplete, not only the index
    pages = sorted(failed.rglob("*.html"))
    assert len(pages) == 2
    for page in pages:
        assert catalog.t("report.page.incomplete", lang="ja") in page.read_text(encoding="utf-8"), page
    assert not list(out.glob(f".{MONTH}*"))

    # a successful re-run then replaces the month and removes the FAILED directory
    (nb_dir / "02_failing.ipynb").unlink()
    res = report.run_report(
        MONTH, data_dir=tiny_dir, out_dir=out, notebooks_dir=nb_dir, teams=["T1"], include_org=False, progress=False
    )
    assert res.status == "complete" and not failed.exists()
    assert "previous complete report" not in res.index.read_text(encoding="utf-8")


def test_run_report_api_raises_notebook_failed_and_names_timed_out_cell(tiny_dir, tmp_path):
    import nbformat

    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    shutil.copy(FAILING, nb_dir / "01_failing.ipynb")
    slow = nbformat.read(FAILING, as_version=4)
    slow.cells[3].source = "import time\ntime.sleep(60)"
    nbformat.write(slow, nb_dir / "02_slow.ipynb")
    with pytest.raises(report.NotebookFailed) as e:
        report.run_report(
            MONTH,
            data_dir=tiny_dir,
            out_dir=tmp_path / "out",
            notebooks_dir=nb_dir,
            teams=["T2"],
            include_org=False,
            progress=False,
            timeout=3,
        )
    assert e.value.result.status == "failed"
    assert [f["notebook"] for f in e.value.failures] == ["01_failing", "02_slow"]
    slow_err = e.value.failures[1]["error"]
    assert slow_err["cell_index"] == 4 and slow_err["cell_source_first_line"] == "import time"
    assert "02_slow, cell 4 of the executed notebook" in str(e.value)


# --- the real notebooks on the sample data ------------------------------------------------------
def test_sample_report_files_manifest_and_no_code(sample_ja):
    s = sample_ja
    res, team = s["result"], s["team"]
    assert res.status == "complete"
    m = json.loads(res.manifest.read_text(encoding="utf-8"))
    nbs = m["parameters"]["notebooks"]
    assert nbs, "no notebook ran"
    for t in ("all", team):
        for nb in nbs:
            assert (res.out_dir / t / f"{nb}.html").is_file()
    assert len(m["runs"]) == 2 * len(nbs)
    for f in res.html_files:
        assert f.stat().st_size < report.MAX_HTML_BYTES, f"{f} is too large"
        raw = f.read_text(encoding="utf-8")
        assert report.external_urls(raw) == []
        assert_no_code(html_text_without_data_uris(f))


def test_sample_report_has_no_input_identifiers(sample_ja):
    """Aggregates only: no lead/call/deal/e-mail id of the input, no e-mail address or phone number."""
    s = sample_ja
    data = s["data"]
    ids: set[str] = set()
    for table, col in (
        ("calls", "call_id"),
        ("calls", "lead_id"),
        ("emails", "email_id"),
        ("emails", "lead_id"),
        ("leads", "lead_id"),
        ("deals", "deal_id"),
        ("deals", "lead_id"),
    ):
        if data.has(table):
            ids |= set(
                data.query(f"SELECT DISTINCT {col} FROM {data.sql(table)} WHERE {col} IS NOT NULL")[col].astype(str)
            )
    assert len(ids) > 1000
    for f in [*s["result"].html_files, s["result"].index]:
        text = html_text_without_data_uris(f)
        leaked = ids & set(re.findall(r"[A-Za-z0-9_\-]+", text))
        assert not leaked, f"{f}: input identifiers in the HTML: {sorted(leaked)[:5]}"
        assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text), f"{f}: e-mail address in the HTML"
        assert not re.search(r"\b0\d{1,4}-\d{1,4}-\d{4}\b", text), f"{f}: phone number in the HTML"


def test_sample_report_no_missing_glyph_warnings(sample_ja):
    s = sample_ja
    for ipynb in s["result"].out_dir.glob("*/*.ipynb"):
        nbj = json.loads(ipynb.read_text(encoding="utf-8"))
        for c in nbj["cells"]:
            for o in c.get("outputs", []):
                text = "".join(o.get("text", "")) if o.get("output_type") == "stream" else ""
                assert "missing from" not in text and "Glyph" not in text, f"{ipynb}: {text[:200]}"
