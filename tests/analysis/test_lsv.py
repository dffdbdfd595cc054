"""LSV stability window: synthetic sweeps with known onsets."""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.lsv import DEFAULT_THRESHOLD_MA_CM2, analyze_lsv
from ionopt.errors import AnalysisError

AREA = 2.0  # cm²
V = np.linspace(2.5, 6.0, 701)


def _frame(j_ma_cm2, v=V):
    return pd.DataFrame({"potential_v": v, "current_a": j_ma_cm2 * AREA / 1000.0})


def test_exponential_rise_threshold_closed_form():
    # j = jb + j0 exp((V - 4.2)/0.05): reaches 0.01 mA/cm² at 4.2 + 0.05 ln((0.01-jb)/j0)
    jb, j0 = 1e-4, 1e-3
    r = analyze_lsv(_frame(jb + j0 * np.exp((V - 4.2) / 0.05)), AREA)
    expected = 4.2 + 0.05 * math.log((DEFAULT_THRESHOLD_MA_CM2 - jb) / j0)
    assert r.onset_threshold_v == pytest.approx(expected, abs=2e-3)
    assert r.stability_window_v == r.onset_threshold_v
    assert r.threshold_ma_cm2 == 0.01 and r.ok


def test_piecewise_linear_tangent_exact():
    j = 1e-4 + np.where(V > 4.5, 0.2 * (V - 4.5), 0.0)
    r = analyze_lsv(_frame(j), AREA)
    assert r.onset_tangent_v == pytest.approx(4.5, abs=1e-3)
    # threshold: 1e-4 + 0.2 (V - 4.5) = 0.01 -> V = 4.5495
    assert r.onset_threshold_v == pytest.approx(4.5495, abs=1e-3)
    noisy = j + np.random.default_rng(1).normal(0, 5e-4, V.size)
    assert analyze_lsv(_frame(noisy), AREA).onset_tangent_v == pytest.approx(4.5, abs=0.01)
    r2 = analyze_lsv(_frame(j), AREA, primary="tangent")
    assert r2.stability_window_v == r2.onset_tangent_v


def test_threshold_configurable_and_area_scales():
    j = 1e-4 + np.where(V > 4.5, 0.2 * (V - 4.5), 0.0)
    r = analyze_lsv(_frame(j), AREA, threshold_ma_cm2=0.1)
    assert r.onset_threshold_v == pytest.approx(4.5 + (0.1 - 1e-4) / 0.2, abs=1e-3)
    # the same currents over twice the area: half the density, later onset
    r2 = analyze_lsv(_frame(j), AREA * 2)
    assert r2.onset_threshold_v > r.onset_threshold_v - 0.5
    assert r2.onset_threshold_v == pytest.approx(4.5 + (0.02 - 1e-4) / 0.2, abs=1e-3)


def test_spike_ignored():
    j = 1e-4 + np.where(V > 4.5, 0.2 * (V - 4.5), 0.0)
    j[100] = 1.0  # one-point spike at 3.0 V
    assert analyze_lsv(_frame(j), AREA).onset_threshold_v == pytest.approx(4.5495, abs=1e-3)


def test_return_sweep_ignored_and_cathodic():
    v = np.concatenate([V, V[::-1]])
    j = 1e-4 + np.where(v > 4.5, 0.2 * (v - 4.5), 0.0)
    assert analyze_lsv(_frame(j, v), AREA).scan_limit_v == pytest.approx(6.0)
    vc = np.linspace(3.0, -0.5, 701)
    jc = -(1e-4 + np.where(vc < 0.5, 0.2 * (0.5 - vc), 0.0))
    r = analyze_lsv(_frame(jc, vc), AREA, direction="cathodic")
    assert r.onset_tangent_v == pytest.approx(0.5, abs=1e-3)
    assert r.onset_threshold_v == pytest.approx(0.5 - 0.0495, abs=1e-3)


def test_no_onset_in_range():
    r = analyze_lsv(_frame(np.full(V.size, 1e-4)), AREA)
    assert math.isnan(r.stability_window_v)
    assert any("beyond the scanned range" in w for w in r.warnings)
    assert r.to_dict()["stability_window_v"] is None


def test_high_background_warns():
    r = analyze_lsv(_frame(np.full(V.size, 1.0) + np.where(V > 5, V - 5, 0)), AREA)
    assert any("start of the sweep" in w for w in r.warnings)


@pytest.mark.parametrize("area", [0.0, -1.0, float("nan"), None, "a"])
def test_bad_area(area):
    with pytest.raises(AnalysisError, match="area_cm2"):
        analyze_lsv(_frame(np.ones(V.size)), area)


def test_impedance_table_rejected():
    eis = pd.DataFrame({"freq_hz": [1e5, 1e4], "z_real_ohm": [10, 20], "z_imag_ohm": [-1, -5]})
    with pytest.raises(AnalysisError, match="EIS"):
        analyze_lsv(eis, AREA)


def test_bad_data():
    with pytest.raises(AnalysisError, match="DataFrame"):
        analyze_lsv([1, 2, 3], AREA)
    with pytest.raises(AnalysisError, match="at least 10"):
        analyze_lsv(_frame(np.ones(5), V[:5]), AREA)
    flat = pd.DataFrame({"potential_v": np.full(20, 3.0), "current_a": np.ones(20)})
    with pytest.raises(AnalysisError, match="sweep"):
        analyze_lsv(flat, AREA)
    with pytest.raises(AnalysisError, match="wrong direction"):
        analyze_lsv(_frame(np.ones(V.size)), AREA, direction="cathodic")
    with pytest.raises(AnalysisError, match="direction"):
        analyze_lsv(_frame(np.ones(V.size)), AREA, direction="up")
    with pytest.raises(AnalysisError, match="threshold_ma_cm2"):
        analyze_lsv(_frame(np.ones(V.size)), AREA, threshold_ma_cm2=0)
    with pytest.raises(AnalysisError, match="current_a"):
        analyze_lsv(pd.DataFrame({"potential_v": V, "current_a": ["x"] * V.size}), AREA)


def test_plot_lsv_smoke():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ionopt.plots.analysis import plot_lsv

    df = _frame(1e-4 + np.where(V > 4.5, 0.2 * (V - 4.5), 0.0))
    ax = plot_lsv(df, analyze_lsv(df, AREA))
    assert len(ax.lines) == 5  # data, two tangents, two onset lines
    plt.close("all")
