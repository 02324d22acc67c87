"""Print the sample month's team attainments, economics, phases and verdict counts (issue 14's figures).

Usage: ``.venv/bin/python tools/sample_figures.py``
"""

import numpy as np

from iskpi_analysis import aggregate, dataset, economics, phase, scorecard

d = dataset.load_data("data/sample")
t = scorecard.kpi_tree(d, month="2026-10", rep_period=aggregate.rep_period(d, grain="month"))
t = t[(t.level == "team") & np.isfinite(t.attainment) & (t.direction == "higher")]
a = t.attainment
print(
    f"team-level attainments (higher-is-better KPIs), 2026-10: n={len(a)} min={a.min():.1%} median={a.median():.1%} max={a.max():.1%} in 50-150%: {((a >= 0.5) & (a <= 1.5)).sum()}/{len(a)}"
)
print(
    t[(a < 0.5) | (a > 1.5)][
        ["team_id", "kpi_id", "actual", "target", "low", "high", "attainment", "verdict"]
    ].to_string()
)
print(economics.economics(d, month="2026-10")[["team_id", "cac_jpy", "ltv_cac", "roi"]].to_string())
print(phase.team_phase(d, month="2026-10")[["team_id", "phase", "source", "ready"]].to_string())
print(t.groupby("verdict").size().to_string())
