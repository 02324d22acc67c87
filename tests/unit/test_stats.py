import numpy as np
import pytest

from iskpi_analysis import stats


def test_wilson_reference_values():
    # reference values (e.g. R: binom::binom.wilson / statsmodels proportion_confint method="wilson")
    for k, n, lo, hi in [(0, 10, 0.0, 0.27753), (5, 20, 0.11186, 0.46870), (95, 100, 0.88825, 0.97846)]:
        low, high = stats.wilson_ci(k, n)
        assert low == pytest.approx(lo, abs=1e-5) and high == pytest.approx(hi, abs=1e-5)
    low, high = stats.wilson_ci([1, 0], [2, 0])
    assert np.isnan(low[1]) and np.isnan(high[1])
    with pytest.raises(ValueError):
        stats.wilson_ci(3, 2)


def test_bh_against_hand_computation():
    p = [0.01, 0.04, 0.03, 0.20, np.nan]
    # sorted 0.01,0.03,0.04,0.20 → ×4/rank = 0.04, 0.06, 0.0533, 0.20 → monotone: 0.04, 0.0533, 0.0533, 0.2
    adj = stats.bh_adjust(p)
    assert adj[:4] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert np.isnan(adj[4])


def test_safe_ratio_and_table():
    assert np.isnan(stats.safe_ratio(1, 0))
    t = stats.proportion_table([5, 0], [20, 3], min_trials=10)
    assert t["rate"].iloc[0] == 0.25 and t["too_small"].tolist() == [False, True]
