"""Arrhenius / VTF fits against synthetic series with known parameters."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import constants

from ionopt.analysis.arrhenius import KB_EV, analyze_arrhenius
from ionopt.errors import AnalysisError

T_C = np.array([20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0])
T_K = T_C + 273.15


def _arrhenius(ea_ev, a=100.0):
    return a * np.exp(-ea_ev / (KB_EV * T_K))


def test_constants_are_codata():
    assert KB_EV == pytest.approx(8.617333262e-5, rel=1e-9)


def test_recovers_activation_energy_exactly():
    r = analyze_arrhenius(T_C, _arrhenius(0.35))
    assert r.activation_energy_ev == pytest.approx(0.35, abs=1e-9)
    # 0.35 eV * 96.485 kJ/mol per eV
    assert r.activation_energy_kj_mol == pytest.approx(0.35 * 96.4853321, rel=1e-6)
    assert r.ln_prefactor == pytest.approx(math.log(100.0), abs=1e-6)
    assert r.r_squared == pytest.approx(1.0)
    assert r.fit_form == "ln_sigma" and r.ok
    d = r.to_dict()
    assert d["activation_energy_ev"] == pytest.approx(0.35)
    assert "temperatures_k" not in d


def test_noisy_series_stderr_covers_truth():
    rng = np.random.default_rng(42)
    sigma = _arrhenius(0.35) * np.exp(rng.normal(0, 0.03, T_C.size))
    r = analyze_arrhenius(T_C, sigma)
    assert 0 < r.activation_energy_ev_stderr < 0.05
    assert abs(r.activation_energy_ev - 0.35) < 3 * r.activation_energy_ev_stderr
    assert r.activation_energy_kj_mol_stderr == pytest.approx(
        r.activation_energy_ev_stderr * constants.e * constants.N_A / 1000)


def test_sigma_t_form():
    sigma = 1e5 * np.exp(-0.5 / (KB_EV * T_K)) / T_K
    r = analyze_arrhenius(T_C, sigma, form="ln_sigma_t")
    assert r.activation_energy_ev == pytest.approx(0.5, abs=1e-9)
    # the same data in the ln sigma form give Ea lower by about kB*T
    r2 = analyze_arrhenius(T_C, sigma)
    assert r.activation_energy_ev - r2.activation_energy_ev == pytest.approx(
        KB_EV * T_K.mean(), rel=0.05)
    np.testing.assert_allclose(r.arrhenius_conductivity_s_cm(T_K), sigma, rtol=1e-9)


def test_dataframe_input():
    df = pd.DataFrame({"temperature_c": T_C, "conductivity_s_cm": _arrhenius(0.4)})
    assert analyze_arrhenius(df).activation_energy_ev == pytest.approx(0.4)


def test_vtf_recovers_b_and_t0():
    sigma = 5.0 * T_K ** -0.5 * np.exp(-0.08 / (KB_EV * (T_K - 200.0)))
    r = analyze_arrhenius(T_C, sigma, vtf=True)
    assert r.vtf_pseudo_activation_energy_ev == pytest.approx(0.08, rel=1e-3)
    assert r.vtf_t0_k == pytest.approx(200.0, abs=0.5)
    assert r.vtf_r_squared == pytest.approx(1.0)
    np.testing.assert_allclose(r.vtf_conductivity_s_cm(T_K), sigma, rtol=1e-4)


def test_vtf_needs_four_points():
    with pytest.raises(AnalysisError, match="at least 4"):
        analyze_arrhenius(T_C[:3], _arrhenius(0.3)[:3], vtf=True)


def test_vtf_bad_bounds():
    with pytest.raises(AnalysisError, match="t0_bounds_k"):
        analyze_arrhenius(T_C, _arrhenius(0.3), vtf=True, t0_bounds_k=(100, 400))


def test_vtf_t0_at_bound_warns():
    r = analyze_arrhenius(T_C, _arrhenius(0.3), vtf=True)  # straight line: T0 -> bound
    assert any("T0" in w or "bound" in w for w in r.warnings)


@pytest.mark.parametrize("temps, sig, match", [
    ([20, 30], [1e-4, 2e-4], "at least 3"),
    ([20, 30, 40, 50], [1e-4, 2e-4, 3e-4], "one conductivity per temperature"),
    ([20, 30, 40], [1e-4, 0.0, 2e-4], "> 0"),
    ([20, 30, -300], [1e-4, 2e-4, 3e-4], "absolute zero"),
    ([20, 20, 20], [1e-4, 2e-4, 3e-4], "two different"),
    ([20, float("nan"), 40], [1e-4, 2e-4, 3e-4], "temperatures_c"),
])
def test_bad_input(temps, sig, match):
    with pytest.raises(AnalysisError, match=match):
        analyze_arrhenius(temps, sig)


def test_bad_form_and_missing_arg():
    with pytest.raises(AnalysisError, match="form"):
        analyze_arrhenius(T_C, _arrhenius(0.3), form="log10")
    with pytest.raises(AnalysisError, match="conductivities_s_cm"):
        analyze_arrhenius(T_C)
    with pytest.raises(AnalysisError, match="conductivity_s_cm"):
        analyze_arrhenius(pd.DataFrame({"temperature_c": T_C}))


def test_warns_on_kelvin_and_ms_cm():
    r = analyze_arrhenius(T_K, _arrhenius(0.3) * 1e5)
    assert any("kelvin" in w for w in r.warnings)
    assert any("mS/cm" in w for w in r.warnings)


def test_strong_curvature_warns_about_vtf():
    sigma = 5.0 * T_K ** -0.5 * np.exp(-0.05 / (KB_EV * (T_K - 250.0)))
    r = analyze_arrhenius(T_C, sigma)
    assert r.r_squared < 0.99 and any("vtf=True" in w for w in r.warnings)


def test_plot_arrhenius_smoke():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ionopt.plots.analysis import plot_arrhenius

    sigma = 5.0 * T_K ** -0.5 * np.exp(-0.08 / (KB_EV * (T_K - 200.0)))
    ax = plot_arrhenius(analyze_arrhenius(T_C, sigma, vtf=True))
    assert len(ax.lines) == 3
    ax2 = plot_arrhenius((T_C, _arrhenius(0.3)))
    assert len(ax2.lines) == 2
    with pytest.raises(AnalysisError, match="result_or_data"):
        plot_arrhenius(42)
    plt.close("all")
