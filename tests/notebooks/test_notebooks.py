"""Conventions every committed notebook keeps (docs/api.md "Notebooks"), checked on all of them:
no outputs, a first code cell tagged ``parameters`` holding typed, commented literals that
papermill can read, the common parameters the report runner passes, no def/class in cells."""

from __future__ import annotations

import json
import re

import pytest

from iskpi_analysis import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("*.ipynb"))
COMMON = {"month": "str", "team": "str", "data_dir": "str", "lang": "str", "targets_file": "str", "settings": "str"}
LINE = re.compile(r'(\w+): (str|int|float|bool) = ("[^"]*"|-?[\d.]+|True|False) +# (.+)')


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == ["01_scorecard", "02_phase", "03_correlation", "04_time_of_day"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_follows_the_conventions(path):
    import papermill as pm

    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    assert "parameters" in code[0]["metadata"].get("tags", [])
    for line in "".join(code[0]["source"]).splitlines():
        m = LINE.fullmatch(line)
        assert m, f"{path.name}: parameter line is not a typed, commented literal: {line!r}"
        # papermill stops reading a help comment at '=' or ';'
        assert "=" not in m.group(4) and ";" not in m.group(4), line
    params = pm.inspect_notebook(str(path))
    for name, typ in COMMON.items():
        assert params[name]["inferred_type_name"] == typ and params[name]["help"], name
    src = "\n".join("".join(c["source"]) for c in code)
    assert not re.search(r"^\s*(def|class)\s", src, flags=re.M)
    assert "nb.setup(lang=lang)" in "".join(code[1]["source"])
