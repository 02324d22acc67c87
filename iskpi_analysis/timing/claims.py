"""What a reader of the 04 page sees claimed, read from the verdicts (never from the sentences)."""

from __future__ import annotations

import pandas as pd

from .analysis import TimingResult

__all__ = ["CLAIM_COLUMNS", "claims"]

CLAIM_COLUMNS = ["metric", "where", "factor", "scope", "group", "level", "claim"]


def claims(result: TimingResult) -> pd.DataFrame:
    """Every hour or weekday effect a reader of the 04 page would see claimed for ``result``.

    Read from the verdicts the page is written from (never from the sentences): the headline tile
    "does the hour matter" (:meth:`TimingResult.hour_test`), the hour and weekday verdicts of the
    effects chart / table / findings (above, below) and the windows table (recommend, avoid; the
    whole data, each team and each rep). A verdict of 'small' is not a claim (the page says the
    difference may be too small to act on).

    Returns
    -------
    DataFrame with :data:`CLAIM_COLUMNS`: metric, where (headline / effects / windows), factor,
    scope, group, level, claim (hour_matters / above / below / recommend / avoid). Empty on a
    correct analysis of data without hour or weekday effects.
    """
    rows = []
    if result.hour_test()["shown"]:
        rows.append(
            {
                "where": "headline",
                "factor": "hour",
                "scope": "all",
                "group": "all",
                "level": None,
                "claim": "hour_matters",
            }
        )
    e = result.effects
    for r in e[e["verdict"].isin(("above", "below"))].itertuples():
        rows.append(
            {
                "where": "effects",
                "factor": r.factor,
                "scope": "all",
                "group": "all",
                "level": int(r.level),
                "claim": r.verdict,
            }
        )
    w = result.windows
    for r in w[w["verdict"].isin(("recommend", "avoid"))].itertuples():
        rows.append(
            {
                "where": "windows",
                "factor": "hour",
                "scope": r.scope,
                "group": r.group,
                "level": int(r.hour),
                "claim": r.verdict,
            }
        )
    out = pd.DataFrame(rows, columns=CLAIM_COLUMNS[1:])
    out.insert(0, "metric", result.metric)
    return out
