"""The monthly KPI scorecard: KPI tree vs phase targets, alerts, SDR/BDR and nurturing views,
the SMART check of the targets file, and the summary for leadership.

KPI tree
    Every KPI of the dictionary that the data can measure, per team and per rep, grouped
    behavioural → tactical → strategic, with the month's actual, the target of the team's phase
    template (phase from months since the team's launch unless a parameter overrides it;
    ``targets_file`` = a user-edited template), attainment, change from last month and an alert
    level.

Units. A KPI is shown in the unit its target is set in (``per`` in the template; if the team's
phase has no target for it, the unit another phase uses): ``rep_day`` = month total / rep
business days worked (e.g. calls per rep per day), ``rep_month`` = total per rep (team rows: the
average per active rep), ``team_month`` = the team total (rep rows carry no target). Rates are
ratios of sums with count and Wilson interval; points are the mean deal quality score.
When the month is not complete, ``rep_month``/``team_month`` targets are pro-rated by business
days elapsed (``target_basis = "prorated"``); the month-end view is in :mod:`pacing`.

Alert levels (``alert``): ``ok`` attainment ≥ 1; ``watch`` attainment in [``alert_below``, 1) or
a rate whose Wilson interval still reaches the target; ``alert`` attainment < ``alert_below``
(default 0.8) and, for rates, the whole interval below target; ``small`` too few trials to judge;
``none`` no target. For "lower is better" KPIs attainment = target / actual.

Where things live
-----------------
``tree``       the monthly measures per rep, the KPI tree (actual vs phase target, alerts)
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
from .tree import _alert, _attain  # noqa: F401  (the alert rule's unit tests)
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
