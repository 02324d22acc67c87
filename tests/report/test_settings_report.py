"""Settings through the report runner and notebook 01: passed to every notebook, recorded in the
manifest (path, sha256, the values per team), bad files refused before anything runs, and the
goals of notebook 01's reverse plan and KPI tree taken from the file."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from test_report import FIXTURE_NOTEBOOKS, MONTH, make_tiny_data

from iskpi_analysis import config, report
from iskpi_analysis import notebook as nb

BIN = Path(sys.executable).parent
SETTINGS = """
[organisation]
goal_won = 12
[organisation.answers]
fs_rules_established = "no"
[teams.T1]
goal_won = 5
phase = "growth"
[teams.T1.answers]
fs_rules_established = "yes"
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("tiny_settings") / "data")


def settings_notebook(dest: Path) -> Path:
    """The tiny fixture notebook with a ``settings`` parameter and a record of what it resolved."""
    dest.mkdir(parents=True, exist_ok=True)
    book = nbformat.read(FIXTURE_NOTEBOOKS / "01_tiny.ipynb", as_version=4)
    params = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    params.source += '\nsettings: str = ""            # path of the settings TOML'
    book.cells.append(
        nbformat.v4.new_code_cell(
            'nb.record("settings", nb.settings(settings, dataset.load_data(nb.data_dir(data_dir)), month=month)'
            ".team(team).as_record())"
        )
    )
    path = dest / "01_tiny.ipynb"
    nbformat.write(book, path)
    return path


@pytest.mark.report
def test_settings_reach_every_notebook_and_the_manifest(tiny, tmp_path):
    sfile = tmp_path / "month.toml"
    sfile.write_text(SETTINGS, encoding="utf-8")
    nbs = settings_notebook(tmp_path / "nbs").parent
    res = report.run_report(
        MONTH, data_dir=tiny, out_dir=tmp_path / "out", notebooks_dir=nbs, jobs=2, progress=False, settings_file=sfile
    )
    man = json.loads(res.manifest.read_text(encoding="utf-8"))
    rec = man["parameters"]["settings"]
    assert man["parameters"]["settings_file"] == str(sfile.resolve())
    assert rec["path"] == str(sfile.resolve())
    assert rec["sha256"] == hashlib.sha256(sfile.read_bytes()).hexdigest()
    # T1 keeps its own 5; T2 gets the rest of the organisation's 12 (the only other team)
    assert rec["teams"]["T1"]["goals"]["goal_won"] == 5
    assert rec["teams"]["T2"]["goals"]["goal_won"] == 7
    assert rec["teams"]["T2"]["goal_basis"]["goal_won"] == "shared"
    assert rec["teams"]["all"]["goals"]["goal_won"] == 12
    assert rec["teams"]["T1"]["answers"]["fs_rules_established"] == "yes"
    assert rec["teams"]["T2"]["answers"]["fs_rules_established"] == "no"
    assert rec["teams"]["T1"]["phase"] == "growth" and rec["teams"]["T2"]["phase"] is None
    # every notebook run (organisation and both teams) resolved the same values from the same file
    for team in ("all", "T1", "T2"):
        seen = nb.read_records(res.out_dir / team / "01_tiny.ipynb")["settings"]
        assert seen == rec["teams"][team], team


@pytest.mark.report
def test_settings_beside_the_data_are_found(tiny, tmp_path):
    beside = tiny / "settings.toml"
    beside.write_text("[organisation]\ngoal_deals = 9\n", encoding="utf-8")
    try:
        res = report.run_report(
            MONTH,
            teams=["T1"],
            include_org=False,
            data_dir=tiny,
            out_dir=tmp_path / "out",
            notebooks_dir=settings_notebook(tmp_path / "nbs").parent,
            progress=False,
        )
    finally:
        beside.unlink()
    man = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert man["parameters"]["settings"]["path"] == str(beside.resolve())
    assert (
        nb.read_records(res.out_dir / "T1" / "01_tiny.ipynb")["settings"]["goals"]["goal_deals"]
        == (man["parameters"]["settings"]["teams"]["T1"]["goals"]["goal_deals"])
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[organisation]\ngoal_wn = 3\n", "line 2: [organisation] goal_wn = 3: unknown key; did you mean 'goal_won'?"),
        ("[teams.T3]\ngoal_won = 3\n", "[teams.T3]: no such team in the data"),
        ("[organisation]\ngoal_won = 3\n[teams.T1]\ngoal_won = 4\n", "the teams' own goal_won add up to 4"),
    ],
)
def test_bad_settings_exit_2_before_anything_runs(tiny, tmp_path, text, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    r = subprocess.run(
        [
            str(BIN / "iskpi"),
            "report",
            "--month",
            MONTH,
            "--data",
            str(tiny),
            "--out",
            str(out),
            "--settings",
            str(bad),
            "--notebooks-dir",
            str(FIXTURE_NOTEBOOKS),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == report.EXIT_INVALID, r.stderr
    assert message in r.stderr and str(bad) in r.stderr
    assert not (out / MONTH).exists()


def test_missing_settings_file_is_an_error(tiny, tmp_path):
    with pytest.raises(report.ReportError, match="settings file not found"):
        report.run_report(MONTH, data_dir=tiny, out_dir=tmp_path, settings_file=tmp_path / "nope.toml", progress=False)


@pytest.mark.slow
@pytest.mark.notebook
def test_notebook_01_plans_from_the_settings_goal(tmp_path):
    """A deals-created goal in the settings: the reverse plan works back from it (calls = goal ÷
    the product of the observed stage rates up to deals created, checked by hand from the funnel
    counts), and the KPI tree's deals-created target is that goal."""
    import papermill as pm

    team = "fukuoka_is"
    sfile = tmp_path / "s.toml"
    sfile.write_text(
        f"[teams.{team}]\ngoal_deals = 240\n[teams.{team}.answers]\nwinning_script = true\n", encoding="utf-8"
    )
    out = tmp_path / "01.ipynb"
    pm.execute_notebook(
        str(config.NOTEBOOKS_DIR / "01_scorecard.ipynb"),
        str(out),
        parameters={"month": MONTH, "team": team, "settings": str(sfile)},
        cwd=str(config.NOTEBOOKS_DIR),
        progress_bar=False,
    )
    rec = nb.read_records(out)
    p = rec["plan"][team]
    assert (p["goal"], p["goal_kpi"], p["goal_basis"]) == (240, "deals_created", "settings_deals")
    f = rec["funnel"][team]
    rate = f["deals_created"] / f["calls"]  # the product of the stage rates telescopes
    assert p["calls_plain"] == math.ceil(240 / rate - 1e-9)
    tree = pd.DataFrame(rec["tree_team"])
    row = tree[(tree["team_id"] == team) & (tree["kpi_id"] == "deals_created")].iloc[0]
    assert row["month_target"] == 240
    assert row["attainment"] == pytest.approx(f["deals_created"] / 240)
    s = rec["settings"]
    assert s["sha256"] == hashlib.sha256(sfile.read_bytes()).hexdigest()
    assert s["teams"][team]["answers"]["winning_script"] == "yes"
    html = out.read_text(encoding="utf-8")
    assert "月次設定の商談創出目標" in html  # the plan heading says where the goal came from
