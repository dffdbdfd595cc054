"""LSV stability window: synthetic sweeps with known onsets.

Ground truth for the tangent onset, independent of the code:

* a linear (kinked) rise ``s * (V - Vk)`` on a linear baseline: both tangents are the
  exact lines, so they meet at the kink ``Vk`` whatever window is fitted;
* an exponential (Tafel-like) rise ``thr * exp((V - Vt) / b)`` on a linear baseline ``L``:
  the tangent at ``Vt`` is ``L(Vt) + thr + (L' + thr / b) (V - Vt)``, which meets ``L`` at
  exactly ``Vt - b``. The code fits a least-squares line to the points whose rise lies
  within a factor ``sqrt(F)`` (``F = rise_ratio``) of ``thr``, i.e. ``x = (V - Vt) / b``
  uniform on ``[-u, u]`` with ``u = ln(F) / 2``; that line is ``alpha + beta x`` (in units
  of ``thr``) with ``alpha = sinh(u) / u`` and ``beta = 3 (u cosh u - sinh u) / u**3``,
  so it meets the baseline at ``Vt - b alpha / beta`` (``1.020 b`` for ``F = 3``).
"""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.io import read_lsv
from ionopt.analysis.lsv import DEFAULT_THRESHOLD_MA_CM2, analyze_lsv
from ionopt.datasets import EXAMPLE_TRUTH, example_files
from ionopt.datasets.examples import AREA_CM2 as EXAMPLE_AREA_CM2
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


def _chord_onset(v_t, b, ratio):
    """Where the least-squares line through exp over a current ratio meets the baseline."""
    u = math.log(ratio) / 2
    alpha = math.sinh(u) / u
    beta = 3 * (u * math.cosh(u) - math.sinh(u)) / u ** 3
    return v_t - b * alpha / beta


def _tafel(v, v_t=5.0, b=0.1, base=(2e-4, 2e-5), noise=0.0, seed=3):
    """Linear baseline (mA/cm² at 3 V, mA/cm²/V) plus an exponential reaching 0.01 at v_t."""
    j = base[0] + base[1] * (v - 3.0) + DEFAULT_THRESHOLD_MA_CM2 * np.exp((v - v_t) / b)
    return j * (1 + noise * np.random.default_rng(seed).standard_normal(v.size))


# The anchor is where the rise above the *initial* background (the baseline at the start,
# 2e-4 mA/cm²) reaches the threshold; the sloping baseline adds 2e-5 * 2 V = 4e-5 there,
# so the exponential part is 0.996 thr and the anchor sits b ln(0.996) = -0.4 mV below Vt.
_VT_SHIFT = math.log(1 - 2e-5 * 2.0 / DEFAULT_THRESHOLD_MA_CM2)


@pytest.mark.parametrize("ratio", [1.5, 3.0, 10.0])
def test_tafel_rise_tangent_closed_form(ratio):
    v = np.arange(3.0, 6.0 + 1e-9, 0.001)
    b = 0.1
    r = analyze_lsv(_frame(_tafel(v, b=b), v), AREA, rise_ratio=ratio)
    v_t = 5.0 + b * _VT_SHIFT
    # 2 mV: the fitted chord vs its closed form (sampling of the window ends, and the
    # exponential foot below 5 % of the threshold that is left in the baseline fit)
    assert r.onset_tangent_v == pytest.approx(_chord_onset(v_t, b, ratio), abs=2e-3)
    # the chord meets the baseline before the exact tangent at the threshold point (Vt - b):
    # by 0.003 b for a ratio of 1.5, 0.020 b for 3 (default), 0.085 b for 10
    assert v_t - b - _chord_onset(v_t, b, ratio) < 0.09 * b
    if ratio <= 3.0:
        assert r.onset_tangent_v == pytest.approx(v_t - b, abs=0.03 * b)
    # threshold: the whole current, 2.4e-4 of baseline + the exponential, reaches 0.01
    assert r.onset_threshold_v == pytest.approx(
        5.0 + b * math.log(1 - 2.4e-4 / DEFAULT_THRESHOLD_MA_CM2), abs=1e-3)
    assert r.ok and not r.warnings


def test_tafel_rise_cathodic():
    v = np.arange(3.0, -0.5 - 1e-9, -0.002)
    j = -(1e-4 + DEFAULT_THRESHOLD_MA_CM2 * np.exp((0.3 - v) / 0.1))
    r = analyze_lsv(_frame(j, v), AREA, direction="cathodic")
    assert r.onset_threshold_v == pytest.approx(0.3, abs=2e-3)
    assert r.onset_tangent_v == pytest.approx(0.3 + 0.1, abs=0.03 * 0.1)  # b past it


def _end_of_sweep_tangent(v, j):
    """The old construction, for contrast: line through 50-100 % of the maximum current."""
    k = np.flatnonzero(j >= 0.5 * j.max())
    slope, icpt = np.polyfit(v[k], j[k], 1)
    return (j[0] - icpt) / slope


@pytest.mark.parametrize("noise", [0.0, 0.01])
def test_tangent_onset_does_not_follow_the_scan_limit(noise):
    # One sweep to 6.5 V (1 % current noise in the second case), cut at three scan limits.
    v = np.arange(3.0, 6.5 + 1e-9, 0.002)
    j = _tafel(v, noise=noise)
    onsets, old = [], []
    for end in (5.5, 6.0, 6.5):
        keep = v <= end + 1e-9
        r = analyze_lsv(_frame(j[keep], v[keep]), AREA)
        assert not r.warnings
        onsets.append(r.onset_tangent_v)
        old.append(_end_of_sweep_tangent(v[keep], j[keep]))
    # < 0.05 V spread is the requirement; the fitted points are the same for every cut
    # that contains the take-off, so the spread is in fact nil.
    assert max(onsets) - min(onsets) < 0.05
    assert max(onsets) - min(onsets) < 1e-9
    assert onsets[0] == pytest.approx(5.0 + 0.1 * _VT_SHIFT - 0.1, abs=0.005)
    # the test discriminates: a tangent at the end of the sweep moves with the scan limit
    assert max(old) - min(old) > 0.9


@pytest.mark.parametrize("end", [5.5, 6.0, 6.5])
@pytest.mark.parametrize("threshold", [0.01, 0.05])
def test_kinked_rise_on_sloping_baseline_gives_the_kink(end, threshold):
    v = np.arange(2.5, end + 1e-9, 0.005)
    j = 5e-4 + 1e-3 * (v - 2.5) + np.where(v > 4.7, 0.05 * (v - 4.7), 0.0)
    r = analyze_lsv(_frame(j, v), AREA, threshold_ma_cm2=threshold)
    assert r.onset_tangent_v == pytest.approx(4.7, abs=1e-3)  # whatever threshold or end


def test_example_file_tangent_onset():
    # lsv_cse40.txt: linear baseline plus an exponential of 0.12 V per e-fold (the value in
    # ionopt.datasets.examples) crossing 0.01 mA/cm² at 5.0 V, 1 % current noise. The
    # exact tangent at the threshold point meets the baseline at 5.0 - 0.12 = 4.88 V; the
    # chord over a current ratio of 3 meets it ~0.02 * 0.12 = 2 mV earlier.
    truth = EXAMPLE_TRUTH["lsv_cse40.txt"]
    data = read_lsv(example_files()["lsv_cse40.txt"])
    r = analyze_lsv(data, EXAMPLE_AREA_CM2, threshold_ma_cm2=truth["threshold_ma_cm2"])
    b = 0.12
    assert r.onset_threshold_v == pytest.approx(truth["stability_window_v"], abs=0.005)
    assert r.onset_tangent_v == pytest.approx(truth["stability_window_v"] - b, abs=0.01)
    assert 0.05 < r.onset_threshold_v - r.onset_tangent_v < 0.2
    assert not r.warnings
    cut = data[data["potential_v"] <= 5.5]  # the same sweep stopped at 5.5 V
    r_cut = analyze_lsv(cut, EXAMPLE_AREA_CM2, threshold_ma_cm2=truth["threshold_ma_cm2"])
    assert r_cut.onset_tangent_v == pytest.approx(r.onset_tangent_v, abs=0.005)


def test_rise_below_threshold_falls_back_to_the_top_with_a_warning():
    j = 1e-4 + np.where(V > 5.0, 0.005 * (V - 5.0), 0.0)  # peaks at 0.005 mA/cm²
    r = analyze_lsv(_frame(j), AREA)
    assert r.onset_tangent_v == pytest.approx(5.0, abs=1e-3)  # still linear, still exact
    assert any("depends on the scan limit" in w for w in r.warnings)


def test_sweep_ending_inside_the_rise_window_warns():
    v = np.arange(3.0, 5.02, 0.002)  # stops at 1.2 x the threshold current
    r = analyze_lsv(_frame(_tafel(v), v), AREA)
    assert math.isfinite(r.onset_tangent_v)
    assert any("cut short by the scan limit" in w for w in r.warnings)


def test_too_few_points_in_the_rise_warns():
    # 0.1 V steps: the current jumps from 0.3 to 3 x the threshold in one step, so the
    # steep-rise window holds only the two bracketing points; a baseline of 2 points fails.
    v = np.linspace(4.7, 5.6, 10)
    j = 1e-4 + DEFAULT_THRESHOLD_MA_CM2 * np.exp((v - 5.0) / 0.09)
    r = analyze_lsv(_frame(j, v), AREA)
    assert math.isnan(r.onset_tangent_v)
    assert any("too few points" in w for w in r.warnings)


@pytest.mark.parametrize("ratio", [1.0, 0.5, -2, float("nan"), "x"])
def test_bad_rise_ratio(ratio):
    with pytest.raises(AnalysisError, match="rise_ratio"):
        analyze_lsv(_frame(np.ones(V.size)), AREA, rise_ratio=ratio)


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
