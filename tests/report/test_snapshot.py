"""The report's data snapshot (``iskpi_analysis.snapshot``): the same tables, values, types and
warnings as the raw load, for the organisation and for each team; a team's view reads only its
team's files; a snapshot cut short is never read; a report run reads it in every kernel and its
pages keep the data-quality note, the manifest the raw data's fingerprint.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from test_report import make_tiny_data

from iskpi_analysis import aggregate, catalog, config, dataset, report, snapshot
from iskpi_analysis import notebook as nb

MONTH = "2026-10"


def noisy_data(path: Path) -> Path:
    """The report tests' tiny CSV data plus what the validation warns about and keeps or drops:
    a column outside the contract, an exact duplicate row, inbound calls."""
    make_tiny_data(path)
    calls = pd.read_csv(path / "calls.csv", dtype=str, keep_default_na=False)
    calls["memo"] = "x"
    calls["direction"] = ["in" if i % 10 == 0 else "out" for i in range(len(calls))]
    calls = pd.concat([calls, calls.iloc[[5]]], ignore_index=True)
    calls.to_csv(path / "calls.csv", index=False)
    return path


@pytest.fixture(scope="module")
def noisy_dir(tmp_path_factory):
    return noisy_data(tmp_path_factory.mktemp("noisy") / "data")


@pytest.fixture(scope="module")
def sample_snapshot(tmp_path_factory, sample_data):
    return snapshot.write(sample_data, tmp_path_factory.mktemp("snap") / "s")


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(list(df.columns[:1]) + (["_row"] if "_row" in df else [])).reset_index(drop=True)


def assert_same_view(raw: dataset.Dataset, snap: dataset.Dataset, *, tables: bool = True) -> None:
    """Every table (values and dtypes; ``tables=False``: the small ones), the aggregations, and
    what the view says about itself."""
    assert snap.snapshot is not None and raw.snapshot is None
    for t in dataset.TABLES:
        assert raw.has(t) == snap.has(t)
        if raw.has(t) and (tables or t in ("teams", "reps", "costs", "deals")):
            a, b = _sorted(getattr(raw, t)), _sorted(getattr(snap, t))
            assert list(a.columns) == list(b.columns), t
            assert a.dtypes.to_dict() == b.dtypes.to_dict(), t
            pd.testing.assert_frame_equal(a, b, obj=t)
    for grain in ("day", "month"):
        pd.testing.assert_frame_equal(aggregate.rep_period(raw, grain=grain), aggregate.rep_period(snap, grain=grain))
    pd.testing.assert_frame_equal(aggregate.call_buckets(raw), aggregate.call_buckets(snap))
    assert raw.row_counts() == snap.row_counts() and raw.months() == snap.months()
    assert raw.last_date == snap.last_date and raw.team_ids() == snap.team_ids()
    assert raw.fingerprint == snap.fingerprint and raw.files == snap.files and raw.tz == snap.tz
    assert raw.warnings == snap.warnings and raw.quality_notes() == snap.quality_notes()
    assert raw.notes == snap.notes and raw.inbound_calls == snap.inbound_calls


def test_round_trip_sample_for_the_organisation_and_every_team(sample_data, sample_snapshot):
    snap = dataset.load_data(sample_snapshot)  # a snapshot folder given as the data directory
    assert_same_view(sample_data, snap)
    start, end = dataset.month_bounds(MONTH, 3)
    first, *others = sample_data.team_ids()
    view = snap.filter(team=first)
    assert view._scope == first and view.team == first
    assert_same_view(sample_data.filter(team=first), view)
    assert_same_view(sample_data.filter(team=first, start=start, end=end), view.filter(start=start, end=end))
    for team in others:  # from one team's files to another's
        assert_same_view(sample_data.filter(team=first).filter(team=team), view.filter(team=team), tables=False)


def test_round_trip_keeps_every_warning_of_the_raw_load(noisy_dir, tmp_path):
    raw = dataset.load_data(noisy_dir)
    codes = {p.code for p in raw.notes}
    assert {"ignored_columns", "duplicate_dropped", "inbound_calls"} <= codes, codes
    snap = dataset.load_data(snapshot.write(raw, tmp_path / "s"))
    assert_same_view(raw, snap)
    for team in raw.team_ids():
        assert_same_view(raw.filter(team=team), snap.filter(team=team))


def test_a_team_reads_only_its_own_files(sample_data, sample_snapshot, tmp_path):
    """Predicate pushdown at the file level: with every other team's files gone, a team's view
    computes exactly what the raw load gives; the organisation's view cannot."""
    copy = shutil.copytree(sample_snapshot, tmp_path / "s")
    org = dataset.load_data(copy)
    team = sample_data.team_ids()[1]
    k = org.snapshot.meta["teams"][team]
    for table in snapshot.PARTITIONED:
        for part in (copy / table).glob("_part=*"):
            if part.name != f"_part={k}":
                shutil.rmtree(part)
    view = org.filter(team=team)
    assert_same_view(sample_data.filter(team=team), view)
    with pytest.raises(Exception, match="No files found|does not exist|IO Error|No such file"):
        org.row_counts()  # opened before the files went: it reads every team's


def test_load_data_reads_the_snapshot_named_by_the_environment_only_when_it_fits(
    sample_data, sample_snapshot, monkeypatch, tmp_path
):
    monkeypatch.setenv(snapshot.SNAPSHOT_ENV, str(sample_snapshot))
    assert dataset.load_data(config.SAMPLE_DATA_DIR).snapshot is not None
    with pytest.raises(snapshot.SnapshotError, match="validated with"):  # a snapshot named directly
        dataset.load_data(sample_snapshot, tz="Europe/London")
    # other options than the snapshot was validated with: the raw files
    assert dataset.load_data(config.SAMPLE_DATA_DIR, tz="Europe/London").snapshot is None
    assert dataset.load_data(config.SAMPLE_DATA_DIR, valid_talk_seconds=60).snapshot is None
    # another data directory (a copy of the same files): its own files
    other = shutil.copytree(config.SAMPLE_DATA_DIR, tmp_path / "other")
    assert dataset.load_data(other).snapshot is None
    # an input file changed since the snapshot was written: stale, the raw files
    moved = shutil.copytree(sample_snapshot, tmp_path / "s2")
    meta = json.loads((moved / snapshot.META_FILE).read_text(encoding="utf-8"))
    meta["source"]["stat"]["calls"][1] -= 1
    (moved / snapshot.META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    monkeypatch.setenv(snapshot.SNAPSHOT_ENV, str(moved))
    assert dataset.load_data(config.SAMPLE_DATA_DIR).snapshot is None


def test_a_snapshot_cut_short_is_never_read(sample_data, sample_snapshot, monkeypatch, tmp_path):
    # what a crash leaves: the files without snapshot.json (it is written last, then the folder renamed)
    partial = shutil.copytree(sample_snapshot, tmp_path / "partial")
    (partial / snapshot.META_FILE).unlink()
    with pytest.raises(snapshot.SnapshotError, match="not a complete snapshot"):
        snapshot.Snapshot(partial)
    monkeypatch.setenv(snapshot.SNAPSHOT_ENV, str(partial))
    data = dataset.load_data(config.SAMPLE_DATA_DIR)
    assert data.snapshot is None and data.row_counts() == sample_data.row_counts()
    with pytest.raises(FileExistsError):
        snapshot.write(sample_data, sample_snapshot)  # never written over an existing snapshot
    with pytest.raises(ValueError, match="whole data"):
        snapshot.write(sample_data.filter(team=sample_data.team_ids()[0]), tmp_path / "team")


def test_a_writer_killed_midway_leaves_no_snapshot(tmp_path):
    """SIGKILL while the snapshot is being written: only a ``.partial-<pid>`` folder remains."""
    dest = tmp_path / "s"
    code = (
        "import sys; from iskpi_analysis import dataset, snapshot\n"
        "d = dataset.load_data()\n"
        "print('loaded', flush=True)\n"
        f"snapshot.write(d, {str(dest)!r})\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "loaded"
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("s.partial-*")) and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.005)
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    if dest.exists():  # the write won the race: nothing to check about a cut-short write
        pytest.skip("the snapshot was complete before the kill")
    assert list(tmp_path.glob("s.partial-*")) and not snapshot.is_snapshot(dest)
    assert (
        snapshot.for_source(
            config.SAMPLE_DATA_DIR, tz=config.DEFAULT_TZ, valid_talk_seconds=120, prefer=None, today=None
        )
        is None
    )


# --- a report run ---------------------------------------------------------------------------------
PROBE = """\
from iskpi_analysis import dataset, notebook as nb
import os
data = dataset.load_data(nb.data_dir(data_dir)).filter(team=team)
nb.record("snapshot", data.snapshot is not None)
nb.record("scope", data._scope)
nb.record("fingerprint", data.fingerprint)
nb.record("warnings", data.warnings)
nb.record("calls", data.row_counts()["calls"])
nb.record("env", os.environ.get("ISKPI_SNAPSHOT", ""))
"""


@pytest.mark.slow
def test_report_kernels_read_the_snapshot_and_pages_keep_the_warnings(noisy_dir, tmp_path, capfd):
    params = new_code_cell(
        'month: str = "2026-10"  # report month\nteam: str = "all"  # team id\ndata_dir: str = ""  # data\n'
        'lang: str = "ja"  # language\ntargets_file: str = ""  # targets',
        metadata={"tags": ["parameters"]},
    )
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    kernelspec = nbformat.read(config.NOTEBOOKS_DIR / "01_scorecard.ipynb", as_version=4).metadata.kernelspec
    probe = new_notebook(cells=[params, new_code_cell(PROBE)], metadata={"kernelspec": kernelspec})
    nbformat.write(probe, nb_dir / "01_probe.ipynb")
    raw = dataset.load_data(noisy_dir)
    res = report.run_report(MONTH, data_dir=noisy_dir, out_dir=tmp_path / "out", notebooks_dir=nb_dir, jobs=2)
    err = capfd.readouterr().err
    assert res.status == "complete"
    for line in raw.quality_notes():  # the terminal reader sees every warning, as before
        assert f"data warning: {line}" in err
    m = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert m["data"]["fingerprint"] == raw.fingerprint  # the raw data's, not the snapshot's
    assert m["data"]["warnings"] == raw.warnings
    assert set(m["data"]["files"]) == set(raw.files)
    assert m["data"]["files"]["calls"]["path"] == str((noisy_dir / "calls.csv").resolve())
    assert (
        m["data"]["month_row_counts"]["T1"]
        == raw.filter(team="T1", start=dataset.month_bounds(MONTH)[0], end=dataset.month_bounds(MONTH)[1]).row_counts()
    )
    notes = [report.note_text(p, lang="ja") for p in raw.notes]
    assert notes
    for team in ("all", *raw.team_ids()):
        rec = nb.read_records(res.out_dir / team / "01_probe.ipynb")
        assert rec["snapshot"] is True and rec["scope"] == (None if team == "all" else team)
        assert rec["fingerprint"] == raw.fingerprint and rec["warnings"] == raw.warnings
        assert rec["calls"] == raw.filter(team=team).row_counts()["calls"]
        assert rec["env"].endswith("/.snapshot")  # inside the run's staging folder
        page = (res.out_dir / team / "01_probe.html").read_text(encoding="utf-8")
        # the data-quality note at the top of every page, pointing to the list on the index
        assert html.escape(catalog.t("report.quality.pointer", lang="ja", n=len(notes))) in page
        assert raw.fingerprint in page
    index = res.index.read_text(encoding="utf-8")
    for n in notes:
        assert html.escape(n) in index
    # the snapshot was the run's: gone with its staging folder, not part of the report
    assert not list(res.out_dir.rglob(snapshot.META_FILE))
    assert not list((tmp_path / "out").glob(f".{MONTH}*"))


@pytest.mark.slow
def test_real_notebook_records_the_same_values_from_the_snapshot(tmp_path, sample_data):
    """A real notebook for one team records exactly what it records when it loads the raw files."""
    import papermill as pm

    team = min(sample_data.team_ids())
    params = {"month": MONTH, "team": team, "data_dir": str(config.SAMPLE_DATA_DIR), "lang": "ja"}
    snap = snapshot.write(sample_data, tmp_path / "s")
    out = {}
    for how, env in (("raw", None), ("snapshot", str(snap))):
        if env:
            os.environ[snapshot.SNAPSHOT_ENV] = env
        try:
            pm.execute_notebook(
                str(config.NOTEBOOKS_DIR / "02_phase.ipynb"),
                str(tmp_path / f"{how}.ipynb"),
                parameters=params,
                progress_bar=False,
                cwd=str(config.NOTEBOOKS_DIR),
            )
        finally:
            os.environ.pop(snapshot.SNAPSHOT_ENV, None)
        out[how] = nb.read_records(tmp_path / f"{how}.ipynb")
    assert out["raw"] and out["raw"] == out["snapshot"]
