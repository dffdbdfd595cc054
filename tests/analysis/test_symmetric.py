"""Li|Li symmetric cell: overpotential and short-circuit detection on synthetic data."""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.symmetric import analyze_symmetric
from ionopt.errors import AnalysisError


def _cell(n_half=100, half_h=1.0, eta_mv=50.0, short_at_half=None, points=20,
          drift=0.0, with_current=True):
    """Square-wave polarization; after ``short_at_half`` the voltage collapses to ~1 mV."""
    t, v, i = [], [], []
    for h in range(n_half):
        sign = 1 if h % 2 == 0 else -1
        eta = eta_mv * (1 + drift * h)
        if short_at_half is not None and h >= short_at_half:
            eta = 1.0
        for k in range(points):
            t.append((h + k / points) * half_h * 3600)
            v.append(sign * eta / 1000.0 * (0.9 + 0.1 * k / (points - 1)))
            i.append(sign * 1e-4)
    df = pd.DataFrame({"time_s": t, "potential_v": v})
    if with_current:
        df["current_a"] = i
    return df


def test_no_short():
    r = analyze_symmetric(_cell())
    assert math.isnan(r.short_circuit_h)
    assert "no short circuit" in r.note
    assert r.n_half_cycles == 100
    assert r.overpotential_initial_mv == pytest.approx(50.0)
    assert r.overpotential_final_mv == pytest.approx(50.0)
    assert r.to_dict()["short_circuit_h"] is None and r.ok


def test_short_detected_at_collapse():
    r = analyze_symmetric(_cell(short_at_half=40))
    assert r.short_circuit_h == pytest.approx(40.0)
    assert r.overpotential_final_mv == pytest.approx(50.0)  # before the short
    assert "short circuit at 40.00 h" in r.note
    assert r.half_cycles["collapsed"].sum() == 60


def test_short_mid_half_cycle():
    df = _cell(short_at_half=41)
    mid = (df.time_s >= 40.5 * 3600) & (df.time_s < 41 * 3600)
    df.loc[mid, "potential_v"] = 1e-3 * np.sign(df.loc[mid, "potential_v"])
    r = analyze_symmetric(df)
    assert r.short_circuit_h == pytest.approx(40.5)


def test_gradual_rise_and_voltage_sign_fallback():
    r = analyze_symmetric(_cell(drift=0.01, with_current=False))
    assert math.isnan(r.short_circuit_h)
    assert r.overpotential_final_mv > r.overpotential_initial_mv * 1.8


def test_isolated_dip_is_not_a_short():
    df = _cell()
    dip = (df.time_s >= 20 * 3600) & (df.time_s < 21 * 3600)
    df.loc[dip, "potential_v"] *= 0.1
    r = analyze_symmetric(df)
    assert math.isnan(r.short_circuit_h)
    assert any("soft short" in w for w in r.warnings)


def test_errors():
    with pytest.raises(AnalysisError, match="potential_v"):
        analyze_symmetric(pd.DataFrame({"time_s": np.arange(20.0)}))
    one_way = pd.DataFrame({"time_s": np.arange(20.0), "potential_v": 0.05,
                            "current_a": 1e-4})
    with pytest.raises(AnalysisError, match="half-cycle"):
        analyze_symmetric(one_way)
    with pytest.raises(AnalysisError, match="consecutive"):
        analyze_symmetric(_cell(), consecutive=0)
    with pytest.raises(AnalysisError, match="window"):
        analyze_symmetric(_cell(), window=2)
    with pytest.raises(AnalysisError, match="short_fraction"):
        analyze_symmetric(_cell(), short_fraction=1.5)
    with pytest.raises(AnalysisError, match="does not advance"):
        analyze_symmetric(_cell().assign(time_s=0.0))


def test_plot_symmetric_smoke():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ionopt.plots.analysis import plot_symmetric

    df = _cell(short_at_half=40)
    ax = plot_symmetric(df, analyze_symmetric(df))
    assert len(ax.lines) == 2
    plt.close("all")
