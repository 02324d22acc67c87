"""environment.yml (conda) and pyproject.toml list the same dependencies."""

import re
import tomllib

from iskpi_analysis import config

# conda-forge names that differ from the PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}


def _norm(name: str) -> str:
    return re.split(r"[<>=!~ \[]", name.strip())[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(d) for d in project["dependencies"]}
    wanted |= {_norm(d) for d in project["optional-dependencies"]["test"]}
    text = (config.PROJECT_ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    listed = set()
    for line in text.splitlines():
        m = re.match(r"^\s*-\s+([A-Za-z0-9_.\-]+)", line)
        if m and not line.strip().startswith("- -e"):
            listed.add(CONDA_TO_PYPI.get(_norm(m.group(1)), _norm(m.group(1))))
    listed -= {"python", "pip"}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"


def test_lock_pins_every_dependency():
    lock = (config.PROJECT_ROOT / "requirements.lock").read_text().lower()
    pinned = {_norm(line.split("==")[0]) for line in lock.splitlines() if "==" in line}
    project = tomllib.loads((config.PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    for dep in project["dependencies"] + project["optional-dependencies"]["test"]:
        assert _norm(dep) in pinned, f"{dep} is not pinned in requirements.lock"
