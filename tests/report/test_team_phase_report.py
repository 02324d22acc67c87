"""One phase per team through the report runner (issue 14): the parent decides every team's phase
once and the notebooks read it (none computes it again); the settings file's phase override reaches
every notebook, and the real 01, 02 and 03 record the same ``team_phase``."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from test_report import FIXTURE_NOTEBOOKS, MONTH, make_tiny_data

from iskpi_analysis import config, report
from iskpi_analysis import notebook as nb
from iskpi_analysis.report.runner import SNAPSHOT_DIR

SETTINGS = """
[organisation]
[teams.T1]
phase = "launch"
"""


def phase_notebooks(dest: Path) -> Path:
    """Two copies of the tiny fixture notebook that ask for the teams' phase the way 01 and 03 do
    and record it with where each row came from (this process's memory, the run's cache, or
    computed)."""
    dest.mkdir(parents=True, exist_ok=True)
    book = nbformat.read(FIXTURE_NOTEBOOKS / "01_tiny.ipynb", as_version=4)
    params = next(c for c in book.cells if "parameters" in c.metadata.get("tags", []))
    params.source += '\nsettings: str = ""            # path of the settings TOML'
    book.cells.append(
        nbformat.v4.new_code_cell(
            "from iskpi_analysis import phase as ph\n"
            "org = dataset.load_data(nb.data_dir(data_dir))\n"
            "run_settings = nb.settings(settings, org, month=month)\n"
            "tp = ph.team_phase(org.filter(team=team), month=month, settings=run_settings,\n"
            "                   targets_file=run_settings.targets(targets_file) or None)\n"
            'nb.record("team_phase", tp)\n'
            'nb.record("how", tp.attrs["how"])'
        )
    )
    for name in ("01_tiny", "02_tiny"):
        nbformat.write(book, dest / f"{name}.ipynb")
    return dest


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_data(tmp_path_factory.mktemp("tiny_phase") / "data")


@pytest.mark.report
def test_a_report_run_decides_each_phase_once_and_the_override_reaches_every_notebook(tiny, tmp_path, capfd):
    sfile = tmp_path / "month.toml"
    sfile.write_text(SETTINGS, encoding="utf-8")
    res = report.run_report(
        MONTH,
        data_dir=tiny,
        out_dir=tmp_path / "out",
        notebooks_dir=phase_notebooks(tmp_path / "nbs"),
        jobs=2,
        progress=True,
        settings_file=sfile,
    )
    err = capfd.readouterr().err
    assert err.count("each team's phase decided once") == 1  # in the parent, before the notebooks
    recs = {(r["team"], r["notebook"]): nb.read_records(r["ipynb"]) for r in res.runs}
    assert len(recs) == 2 * 3  # two notebooks × (organisation, T1, T2)
    by_team = {}
    for (team, _), rec in recs.items():
        # no notebook computed a phase: every row came from the parent's decision
        assert set(rec["how"].values()) == {"cache"}, rec["how"]
        for row in rec["team_phase"]:
            by_team.setdefault(row["team_id"], []).append(row)
        assert [r["team_id"] for r in rec["team_phase"]] == (["T1", "T2"] if team == "all" else [team])
    # the same row for a team on every page (organisation pages and the team's own)
    for team, rows in by_team.items():
        assert len(rows) == 4 and all(r == rows[0] for r in rows), rows
    # the settings file's phase for T1 is T1's phase on every page; T2 is decided from its data
    assert by_team["T1"][0]["phase"] == "launch" and by_team["T1"][0]["source"] == "override"
    assert by_team["T2"][0]["source"] in ("diagnosis", "age")
    # the run's copy of the data (and with it the decided rows) is not part of the report
    assert not (res.out_dir / SNAPSHOT_DIR).exists()


@pytest.mark.report
def test_the_real_notebooks_record_one_phase_with_the_settings_override(tmp_path):
    """01, 02 and 03 on the sample for one team, with the settings file forcing its phase: each
    page records the same ``team_phase``, and 01's KPI tree judges against that phase."""
    sfile = tmp_path / "month.toml"
    sfile.write_text('[organisation]\n[teams.osaka_is]\nphase = "mature"\n', encoding="utf-8")
    res = report.run_report(
        MONTH,
        teams=["osaka_is"],
        include_org=False,
        out_dir=tmp_path / "out",
        notebooks=["01_scorecard", "02_phase", "03_correlation"],
        jobs=2,
        progress=False,
        settings_file=sfile,
    )
    recs = {r["notebook"]: nb.read_records(r["ipynb"]) for r in res.runs}
    assert set(recs) == {"01_scorecard", "02_phase", "03_correlation"}
    tables = {name: rec["team_phase"] for name, rec in recs.items()}
    assert tables["01_scorecard"] == tables["02_phase"] == tables["03_correlation"], tables
    (row,) = tables["01_scorecard"]
    assert row["team_id"] == "osaka_is" and row["phase"] == "mature" and row["source"] == "override"
    assert row["readiness"] == "final" and row["next_phase"] is None
    assert recs["01_scorecard"]["phases"] == {"osaka_is": "mature"}
    assert recs["02_phase"]["verdicts"]["osaka_is"]["team_phase"] == "mature"
    # 02's page says the phase is the analyst's (its headline line carries the source)
    page = Path(next(r["html"] for r in res.runs if r["notebook"] == "02_phase")).read_text(encoding="utf-8")
    assert "分析者の設定" in page
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert manifest["parameters"]["settings"]["teams"]["osaka_is"]["phase"] == "mature"
    assert config.NOTEBOOKS_DIR.is_dir()
