"""Helpers every notebook uses: setup, recording values for tests, showing tables.

A notebook calls :func:`setup` once after its parameters cell. It configures the bundled
Japanese font (matplotlib-fontja, not the system's), pandas display, and returns the resolved
data directory. :func:`record` stores a JSON value in the executed notebook (a custom mimetype
that HTML export does not render) so tests can assert on what the notebook computed, the way
microsoft/recommenders does with scrapbook.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from . import config

__all__ = ["RECORD_MIME", "setup", "data_dir", "settings", "record", "read_records"]

RECORD_MIME = "application/vnd.iskpi.record+json"


def setup(*, lang: str = config.DEFAULT_LANG) -> None:
    """Configure plotting (bundled Japanese font) and display for a notebook or report run."""
    config.check_option("lang", lang, config.LANGS)
    import matplotlib

    matplotlib.use("Agg") if not _in_ipython() else None
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  registers the bundled IPAexGothic font

    matplotlib_fontja.japanize()
    plt.rcParams.update(
        {
            "figure.dpi": 96,
            "savefig.dpi": 96,
            "axes.grid": False,
            "figure.figsize": (8, 4.5),
            "axes.unicode_minus": False,
        }
    )
    pd.set_option("display.max_columns", 50)
    pd.set_option("display.width", 200)
    # A missing glyph must fail loudly in tests, not draw empty boxes in a report.
    warnings.filterwarnings("error", message="Glyph .* missing from")


def _in_ipython() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return get_ipython() is not None


def data_dir(value: str | Path | None = None) -> Path | str:
    """The data directory a notebook parameter names; empty means the configured default. A
    database URL (``postgresql://…``, ``spark://…``) stays a string for ``dataset.load_data``."""
    if isinstance(value, str) and "://" in value:
        return value
    return Path(value) if value else config.DATA_DIR


def settings(value: str | Path | None, data, *, month: str):
    """The run's settings a notebook's ``settings`` parameter names, resolved for ``data`` (the
    whole organisation's, before ``filter(team=...)``) and ``month``: the file it names, else
    ``settings.toml`` beside the data, else none (:func:`iskpi_analysis.settings.for_notebook`)."""
    from . import settings as _settings

    return _settings.for_notebook(value or None, data, month=month)


def _jsonable(value):
    if isinstance(value, pd.DataFrame):
        return json.loads(value.to_json(orient="records", date_format="iso", force_ascii=False))
    if isinstance(value, pd.Series):
        return json.loads(value.to_json(date_format="iso", force_ascii=False))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    return value


def record(name: str, value) -> None:
    """Store ``value`` (JSON-able, DataFrame or Series) under ``name`` in the notebook output."""
    from IPython.display import display

    display({RECORD_MIME: {"name": name, "value": _jsonable(value)}}, raw=True)


def read_records(path: str | Path) -> dict:
    """Values recorded with :func:`record` in an executed notebook, by name."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for cell in nb.get("cells", []):
        for o in cell.get("outputs", []):
            d = o.get("data", {}).get(RECORD_MIME)
            if d is not None:
                out[d["name"]] = d["value"]
    return out
