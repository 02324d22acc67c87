"""The report tier's shared sample-data reports as fixtures (see ``sample_runs``).

A test that asks for ``sample_ja`` or ``sample_en`` is put in the pytest-xdist group of that run
(``tests/conftest.py``), so the run happens once per session even on two workers.
"""

from __future__ import annotations

import pytest
from sample_runs import sample_report


@pytest.fixture(scope="session")
def sample_ja(tmp_path_factory):
    """The sample month's report in Japanese: organisation + ``sample_runs.SAMPLE_TEAM``, every notebook."""
    return sample_report(tmp_path_factory, lang="ja")


@pytest.fixture(scope="session")
def sample_en(tmp_path_factory):
    """The same report in English."""
    return sample_report(tmp_path_factory, lang="en")
