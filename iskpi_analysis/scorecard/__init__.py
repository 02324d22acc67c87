"""The monthly KPI scorecard: KPI tree vs the one target table, verdicts, SDR/BDR and nurturing views,
the SMART check of the targets file, and the summary for leadership.

The KPI tree's units are described once, in :mod:`.tree`; targets and verdicts in
:mod:`iskpi_analysis.targets`.

Where things live
-----------------
``tree``       the monthly measures per rep, the KPI tree (actual vs target table, verdicts)
``views``      response times (SDR), the BDR view, e-mail rates, MQL → SQL, conversion by source
``smart``      the SMART check of the targets file against the teams' history
``team``       everything one team's scorecard shows (funnel, bottleneck, plan, pacing), records
``narrative``  the words of a result: labels of the tree, the bottleneck's reading, the leadership
               summary, column headings (all text from ``messages/*/scorecard.toml``)
``tables``     labelled display tables and display sentences of notebook 01 (same catalog)
Phase by age (months since launch) lives in :mod:`iskpi_analysis.phase_age`.
"""

from __future__ import annotations

from ..phase_age import months_since_launch, phase_of, team_phases
from . import narrative, smart, tables, team, tree, views
from .narrative import *  # noqa: F403
from .smart import *  # noqa: F403
from .tables import *  # noqa: F403
from .team import *  # noqa: F403
from .tree import *  # noqa: F403
from .views import *  # noqa: F403

__all__ = [
    *tree.__all__,
    *views.__all__,
    *smart.__all__,
    *team.__all__,
    *narrative.__all__,
    *tables.__all__,
    "months_since_launch",
    "phase_of",
    "team_phases",
]
