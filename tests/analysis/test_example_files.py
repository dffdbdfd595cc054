"""The shipped example raw files, read and analysed, give back the truth they were made from.

The files (ionopt.datasets.examples) carry seeded noise: 0.5 % of |Z| per impedance
component, 1 % on LSV currents, 0.2 % on the i-t current, 0.003 MPa on stress and
0.02 % on TGA mass. Tolerances are set from that noise and the method, not tuned to pass:

* conductivity 3 %: the CSE-40 film is so conductive that its bulk arc lies above
  1 MHz; only the spike is seen and R_b (~13 ohm) is where it starts, so the 0.5 %
  noise on a 13-ohm intercept plus the spike-shape fit gives ~2 %. CSE-70 (arc visible)
  is recovered to better than 0.5 %.
* Ea 0.01 eV: six temperatures over 50 K; a 1 % error at one end moves Ea by ~0.002 eV.
* t+ 0.02 with interfacial resistances taken from the EIS files (model-free arc width,
  within 1 % of the truth), 0.005 with the true resistances.
* LSV onset 0.05 V: the threshold is crossed on an exponential with 0.12 V per e-fold;
  1 % current noise moves it by ~1 mV.
* tensile strength 1 %, modulus 10 % (a steepest-linear-window rule on 9 points of the
  elastic part), elongation 1 %.
* TGA residue 0.5 % (absolute, of the initial mass), T5% 2 °C against the noise-free curve.
"""

from __future__ import annotations

import math

import pytest
from scipy.optimize import brentq

from ionopt.analysis.arrhenius import analyze_arrhenius
from ionopt.analysis.eis import interfacial_resistance_ohm
from ionopt.analysis.eis import analyze_eis
from ionopt.analysis.io import read_chrono, read_eis, read_lsv, read_tensile, read_tga
from ionopt.analysis.lsv import analyze_lsv
from ionopt.analysis.tensile import analyze_tensile
from ionopt.analysis.tga import analyze_tga
from ionopt.analysis.transference import analyze_transference
from ionopt.datasets import EXAMPLE_TRUTH, example_files
from ionopt.datasets.examples import (ARRHENIUS_TEMPS_C, AREA_CM2, DIAMETER_MM, THICKNESS_UM,
                                      tga_mass_pct)

FILES = example_files()


def _sigma(name: str) -> float:
    res = analyze_eis(read_eis(FILES[name]), THICKNESS_UM, diameter_mm=DIAMETER_MM)
    return res.conductivity_s_cm


@pytest.mark.parametrize("name", ["eis_cse40_25c.txt", "eis_cse70_25c.txt"])
def test_eis_conductivity_within_3pct(name):
    truth = EXAMPLE_TRUTH[name]["conductivity_s_cm"]
    assert _sigma(name) == pytest.approx(truth, rel=0.03)


def test_eis_resolved_arc_within_half_pct():
    assert _sigma("eis_cse70_25c.txt") == pytest.approx(
        EXAMPLE_TRUTH["eis_cse70_25c.txt"]["conductivity_s_cm"], rel=0.005)


def test_arrhenius_series_recovers_activation_energy():
    truth = EXAMPLE_TRUTH["arrhenius"]
    sigma = [_sigma(f"arrhenius/eis_cse70_{t:.0f}c.txt") for t in ARRHENIUS_TEMPS_C]
    fit = analyze_arrhenius(list(ARRHENIUS_TEMPS_C), sigma)
    assert fit.activation_energy_ev == pytest.approx(truth["activation_energy_ev"], abs=0.01)
    assert fit.r_squared > 0.999
    assert fit.arrhenius_conductivity_s_cm(298.15) == pytest.approx(
        truth["conductivity_25c_s_cm"], rel=0.03)


def test_lsv_stability_window():
    truth = EXAMPLE_TRUTH["lsv_cse40.txt"]
    res = analyze_lsv(read_lsv(FILES["lsv_cse40.txt"]), AREA_CM2,
                      threshold_ma_cm2=truth["threshold_ma_cm2"])
    assert res.stability_window_v == pytest.approx(truth["stability_window_v"], abs=0.05)
    assert not res.warnings


def test_interfacial_resistances_from_the_symmetric_cell_eis():
    truth = EXAMPLE_TRUTH["bv_chrono_cse40.txt"]
    r0, w0 = interfacial_resistance_ohm(read_eis(FILES["bv_eis_before_cse40.txt"]))
    rs, ws = interfacial_resistance_ohm(read_eis(FILES["bv_eis_after_cse40.txt"]))
    assert r0 == pytest.approx(truth["r0_ohm"], rel=0.01)
    assert rs == pytest.approx(truth["rs_ohm"], rel=0.01)
    assert not w0 and not ws


def test_transference_number_from_files():
    truth = EXAMPLE_TRUTH["bv_chrono_cse40.txt"]
    data = read_chrono(FILES["bv_chrono_cse40.txt"])
    assert data.attrs["potential_applied_v"] == pytest.approx(truth["delta_v"])
    r0, _ = interfacial_resistance_ohm(read_eis(FILES["bv_eis_before_cse40.txt"]))
    rs, _ = interfacial_resistance_ohm(read_eis(FILES["bv_eis_after_cse40.txt"]))
    res = analyze_transference(data, delta_v=truth["delta_v"], r0_ohm=r0, rss_ohm=rs)
    assert res.transference_number == pytest.approx(truth["transference_number"], abs=0.02)
    exact = analyze_transference(data, delta_v=truth["delta_v"], r0_ohm=truth["r0_ohm"],
                                 rss_ohm=truth["rs_ohm"])
    assert exact.transference_number == pytest.approx(truth["transference_number"], abs=0.005)
    assert exact.initial_current_a == pytest.approx(truth["i0_a"], rel=0.01)
    assert exact.steady_state_reached


def test_tensile_properties():
    truth = EXAMPLE_TRUTH["tensile_cse40.csv"]
    res = analyze_tensile(read_tensile(FILES["tensile_cse40.csv"]))
    assert res.tensile_strength_mpa == pytest.approx(truth["tensile_strength_mpa"], rel=0.01)
    assert res.youngs_modulus_mpa == pytest.approx(truth["youngs_modulus_mpa"], rel=0.10)
    assert res.elongation_at_break_pct == pytest.approx(truth["elongation_at_break_pct"],
                                                        rel=0.01)


def test_tga_residue_and_t5():
    truth = EXAMPLE_TRUTH["tga_cse40.csv"]
    res = analyze_tga(read_tga(FILES["tga_cse40.csv"]))
    assert res.residual_mass_pct == pytest.approx(truth["residual_mass_pct"], abs=0.5)
    m0 = float(tga_mass_pct(30.0))  # the analysis normalises to the first point (30 °C)
    t5 = brentq(lambda t: float(tga_mass_pct(t)) / m0 * 100.0 - 95.0, 100.0, 600.0)
    assert res.decomposition_temp_c == pytest.approx(t5, abs=2.0)
    assert res.dtg_peak_temp_c == pytest.approx(400.0, abs=5.0)
    assert math.isfinite(res.onset_temp_c)
