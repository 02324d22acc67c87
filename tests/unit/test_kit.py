"""Small things a user hit with the entry points, each checked through a real subprocess:
``iskpi --version``, ``kit.py lab`` as root, and kit.py's own example using a team of the sample."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import iskpi_analysis
from iskpi_analysis import dataset

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_iskpi_version_prints_the_package_version():
    r = subprocess.run([str(BIN / "iskpi"), "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"iskpi {iskpi_analysis.__version__}"
    assert re.fullmatch(r"iskpi \d+\.\d+\.\d+\S*", r.stdout.strip())


def test_kit_examples_name_teams_of_the_sample():
    """Every ``--team X`` in kit.py's help text is a team of the sample data."""
    text = (ROOT / "kit.py").read_text(encoding="utf-8")
    named = set(re.findall(r"--team[ =](\w+)", text))
    assert named, "kit.py shows no --team example"
    assert named <= set(dataset.load_data(ROOT / "data" / "sample").team_ids())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_kit_lab_serves_even_as_root(tmp_path):
    """``kit.py lab`` starts JupyterLab and serves on 127.0.0.1 — also as root, where JupyterLab
    alone exits 1 ("Running as root is not recommended") unless given --allow-root."""
    port = _free_port()
    log = tmp_path / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "kit.py"),
                "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                "--IdentityProvider.token=iskpi-test",
            ],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # kit.py and the jupyter it starts: one process group to stop
        )
    try:
        reply, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=iskpi-test", timeout=2) as r:
                    reply = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.5)
        out = log.read_text(errors="replace")
        assert proc.poll() is None, f"kit.py lab exited with {proc.returncode}:\n{out[-2000:]}"
        assert reply is not None, f"JupyterLab did not serve on port {port} within 120 s:\n{out[-2000:]}"
        assert "started" in reply  # /api/status of a running server
        if os.geteuid() == 0:
            assert "passing --allow-root" in out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
