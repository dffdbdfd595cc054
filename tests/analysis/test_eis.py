"""Bulk resistance and conductivity of blocking cells: synthetic truth and real files."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.circuits import blocking_cell
from ionopt.analysis.eis import (
    EISResult,
    analyze_eis,
    conductivity_s_cm,
    fit_bulk_resistance,
    hf_intercept,
    min_neg_imag_intercept,
)
from ionopt.errors import AnalysisError

DATA = Path("/work/shared/data")
F = np.logspace(6, -1, 71)  # 1 MHz -> 0.1 Hz, 10 points per decade


def _cell(r_s=2.0, r_b=1000.0, f_c=1e3, n_b=0.9, f_dl=None, n_dl=0.85, l_h=0.0, f=F):
    """Blocking cell set by its arc apex f_c and f_dl where |Z_dl| = R_b (default 4
    decades below f_c)."""
    tau = 1 / (2 * np.pi * f_c)
    f_dl = f_c / 1e4 if f_dl is None else f_dl
    q_dl = 1 / (r_b * (2 * np.pi * f_dl) ** n_dl)
    return blocking_cell(f, r_s, r_b, tau ** n_b / r_b, n_b, q_dl, n_dl, l_h)


def _noisy(z, seed, level=0.01):
    rng = np.random.default_rng(seed)
    return z + level * np.abs(z) * (rng.standard_normal(z.size)
                                    + 1j * rng.standard_normal(z.size))


def _frame(f, z):
    return pd.DataFrame({"freq_hz": f, "z_real_ohm": z.real, "z_imag_ohm": z.imag})


# ------------------------------------------------------------------ synthetic truth


def test_noise_free_resolved_arc_is_recovered_exactly():
    z = _cell(r_s=3.0, r_b=2500.0, f_c=2e3, n_b=0.85, n_dl=0.8)
    res = fit_bulk_resistance(_frame(F, z))
    assert isinstance(res, EISResult)
    assert res.method == "circuit_fit"
    assert res.r_bulk_ohm == pytest.approx(2503.0, rel=1e-3)
    assert res.r_series_ohm == pytest.approx(3.0, abs=0.5)
    assert res.r_arc_ohm == pytest.approx(2500.0, rel=1e-3)
    assert res.n_bulk == pytest.approx(0.85, abs=0.01)
    assert res.n_dl == pytest.approx(0.8, abs=0.01)
    assert res.arc_freq_hz == pytest.approx(2e3, rel=0.02)
    assert res.rel_residual < 1e-3
    assert res.n_points == F.size
    assert res.warnings == []


@pytest.mark.parametrize("seed,r_b,f_c,n_b,n_dl", [
    (1, 1.0, 3e4, 0.95, 0.9),
    (2, 37.0, 1e3, 0.7, 0.65),
    (3, 5e3, 50.0, 0.8, 1.0),
    (4, 2e5, 2e2, 0.6, 0.75),
    (5, 9e5, 1e4, 1.0, 0.6),
])
def test_noisy_resolved_arcs_within_two_percent(seed, r_b, f_c, n_b, n_dl):
    r_s = 0.03 * r_b
    z = _noisy(_cell(r_s=r_s, r_b=r_b, f_c=f_c, n_b=n_b, n_dl=n_dl), seed)
    res = fit_bulk_resistance((F, z))
    assert res.method == "circuit_fit"
    assert res.r_bulk_ohm == pytest.approx(r_s + r_b, rel=0.02)
    assert res.r_arc_ohm == pytest.approx(r_b, rel=0.02)
    # 1 % noise on each of Z', Z'' gives |Z - Z_fit| / |Z| ~ 1.4 % RMS for a right model
    assert 0.008 < res.rel_residual < 0.02


def test_subtract_series_reports_the_arc_diameter():
    z = _noisy(_cell(r_s=40.0, r_b=800.0, f_c=5e3), seed=7)
    lab = fit_bulk_resistance((F, z))
    arc = fit_bulk_resistance((F, z), subtract_series=True)
    assert lab.r_bulk_ohm == pytest.approx(840.0, rel=0.02)
    assert arc.r_bulk_ohm == pytest.approx(800.0, rel=0.02)
    assert arc.r_bulk_ohm == pytest.approx(lab.r_arc_ohm)


@pytest.mark.parametrize("seed,f_c,n_b", [(11, 1e8, 0.95), (12, 1e9, 0.8), (13, 3e7, 0.7)])
def test_no_semicircle_visible(seed, f_c, n_b):
    # Film so conductive that the arc is above 1 MHz: only the spike, from R_s + R_b.
    r_s, r_b = 0.2, 8.0
    z = _noisy(_cell(r_s=r_s, r_b=r_b, f_c=f_c, n_b=n_b, f_dl=f_c / 1e4, n_dl=0.85), seed)
    assert np.all(z.imag < 0)
    res = fit_bulk_resistance((F, z))
    assert res.method in ("spike_fit", "circuit_fit")
    assert res.r_bulk_ohm == pytest.approx(r_s + r_b, rel=0.02)
    # R_s cannot be separated from R_b when the arc is not seen
    assert math.isnan(res.r_series_ohm) and math.isnan(res.r_arc_ohm)
    assert any("bulk arc not visible" in w for w in res.warnings)


def test_pure_spike_is_a_spike_fit():
    f = F
    z = 12.0 + 1.0 / (2e-6 * (1j * 2 * np.pi * f) ** 0.88)
    res = fit_bulk_resistance((f, _noisy(z, 21)))
    assert res.method == "spike_fit"
    assert res.r_bulk_ohm == pytest.approx(12.0, rel=0.02)
    assert res.n_dl == pytest.approx(0.88, abs=0.01)
    assert math.isnan(res.arc_freq_hz)


def test_inductive_high_frequency_points():
    l_h = 2e-5
    z = _noisy(_cell(r_s=1.0, r_b=300.0, f_c=2e4, n_b=0.9, l_h=l_h), seed=31)
    n_ind = int(np.sum(z.imag[:10] > 0))
    assert n_ind >= 3  # the test spectrum really has an inductive tail
    res = fit_bulk_resistance((F, z))
    assert res.n_inductive == n_ind
    assert any("inductive" in w for w in res.warnings)
    assert res.r_bulk_ohm == pytest.approx(301.0, rel=0.02)
    assert res.inductance_h == pytest.approx(l_h, rel=0.15)
    # the model-free intercept sits between the two points where Z'' changes sign
    order = np.argsort(F)
    zs = z[order]
    k = np.nonzero(zs.imag < 0)[0][-1]
    lo, hi = sorted([zs[k].real, zs[k + 1].real])
    assert lo <= res.r_hf_intercept_ohm <= hi


def test_input_order_nan_rows_and_dataframe_do_not_matter():
    z = _noisy(_cell(), seed=41)
    ref = fit_bulk_resistance((F, z))
    rng = np.random.default_rng(0)
    perm = rng.permutation(F.size)
    df = _frame(F[perm], z[perm])
    df.loc[len(df)] = [np.nan, 1.0, -1.0]
    df.loc[len(df)] = [10.0, np.nan, -1.0]
    res = fit_bulk_resistance(df)
    assert res.n_points == F.size
    assert res.r_bulk_ohm == pytest.approx(ref.r_bulk_ohm, rel=1e-9)
    arr = fit_bulk_resistance(np.column_stack([F, z.real, z.imag]))
    assert arr.r_bulk_ohm == pytest.approx(ref.r_bulk_ohm, rel=1e-9)


def test_fitted_curve_is_kept_out_of_to_dict():
    z = _noisy(_cell(), seed=42)
    res = fit_bulk_resistance((F, z))
    d = res.to_dict()
    json.dumps(d)  # JSON-ready
    for name in ("freq_hz", "z_ohm", "z_fit_ohm", "model_params", "model"):
        assert name not in d
    assert d["method"] == "circuit_fit"
    assert d["conductivity_s_cm"] is None  # NaN without geometry
    assert res.z_fit_ohm.shape == res.freq_hz.shape
    # the stored model reproduces the stored fitted curve
    np.testing.assert_allclose(res.model_impedance(res.freq_hz), res.z_fit_ohm)


# ------------------------------------------------------------- model-free estimators


def test_hf_intercept_of_a_pure_spike_extrapolates_to_r():
    z = 50.0 + 1.0 / (1e-5 * (1j * 2 * np.pi * F) ** 0.9)
    assert hf_intercept(F, z) == pytest.approx(50.0, rel=0.01)


def test_minimum_of_neg_imag_finds_the_junction():
    # Ideal arc (n = 1) and a spike 4 decades lower: the minimum of -Z'' sits at R_s + R_b
    # to within the spike's real part there.
    z = _cell(r_s=5.0, r_b=1000.0, f_c=1e4, n_b=1.0, n_dl=0.95, f_dl=1.0)
    assert min_neg_imag_intercept(F, z) == pytest.approx(1005.0, rel=0.01)
    # no junction in a pure spike
    assert math.isnan(min_neg_imag_intercept(F, 5.0 + 1 / (1e-6 * (1j * 2 * np.pi * F))))


def test_too_few_points_falls_back_with_a_warning():
    f = np.logspace(5, 0, 6)
    z = _cell(r_s=2.0, r_b=1000.0, f_c=1e3, n_b=1.0, n_dl=1.0, f_dl=1e-1, f=f)
    res = fit_bulk_resistance((f, z))
    assert res.method in ("minimum_neg_imag", "hf_intercept")
    assert any("too few points" in w for w in res.warnings)
    assert math.isnan(res.rel_residual)


def test_unfittable_spectrum_falls_back_to_the_junction():
    # Forcing an impossible residual tolerance exercises the fallback path.
    z = _noisy(_cell(r_s=5.0, r_b=1000.0, f_c=1e4, n_b=1.0, n_dl=0.95, f_dl=1.0), seed=3)
    res = fit_bulk_resistance((F, z), max_rel_residual=1e-4)
    assert res.method == "minimum_neg_imag"
    assert res.r_bulk_ohm == pytest.approx(1005.0, rel=0.03)
    assert any("does not describe" in w for w in res.warnings)


# ----------------------------------------------------------------------- bad input


def test_errors_for_unusable_spectra():
    nan = np.full(10, np.nan)
    with pytest.raises(AnalysisError, match="no row with finite"):
        fit_bulk_resistance((nan, nan, nan))
    with pytest.raises(AnalysisError, match="at least 3"):
        fit_bulk_resistance((np.array([1.0, 2.0]), np.array([1 - 1j, 1 - 2j])))
    with pytest.raises(AnalysisError, match="no capacitive point"):
        f = np.logspace(0, 5, 20)
        fit_bulk_resistance((f, 10 + 1j * 2 * np.pi * f * 1e-6))
    with pytest.raises(AnalysisError, match="non-positive frequencies"):
        fit_bulk_resistance((np.array([-1.0, 1.0, 2.0]), np.array([1 - 1j] * 3)))
    with pytest.raises(AnalysisError, match="z_imag_ohm"):
        fit_bulk_resistance(pd.DataFrame({"freq_hz": [1.0], "z_real_ohm": [1.0]}))
    with pytest.raises(AnalysisError, match="differ in length"):
        fit_bulk_resistance((np.ones(5), np.ones(4, complex)))
    with pytest.raises(AnalysisError, match="spectrum must be"):
        fit_bulk_resistance("not a spectrum")


# --------------------------------------------------------------------- conductivity


def test_conductivity_arithmetic():
    # L = 200 um = 0.02 cm, S = 1.767 cm^2 (15 mm disc), R_b = 100 ohm
    sigma = conductivity_s_cm(100.0, 200.0, area_cm2=1.767)
    assert sigma == pytest.approx(0.02 / (100.0 * 1.767), rel=1e-12)
    assert sigma == pytest.approx(1.1319e-4, rel=1e-4)
    by_diameter = conductivity_s_cm(100.0, 200.0, diameter_mm=15.0)
    assert by_diameter == pytest.approx(0.02 / (100.0 * math.pi * 0.75 ** 2), rel=1e-12)


@pytest.mark.parametrize("kwargs,name", [
    (dict(r_bulk_ohm=0.0, thickness_um=200, area_cm2=1.0), "r_bulk_ohm"),
    (dict(r_bulk_ohm=10, thickness_um=-5, area_cm2=1.0), "thickness_um"),
    (dict(r_bulk_ohm=10, thickness_um=float("nan"), area_cm2=1.0), "thickness_um"),
    (dict(r_bulk_ohm=10, thickness_um=200, area_cm2=0.0), "area_cm2"),
    (dict(r_bulk_ohm=10, thickness_um=200, diameter_mm=float("nan")), "diameter_mm"),
    (dict(r_bulk_ohm=10, thickness_um=200, area_cm2=1.0, diameter_mm=10), "not both"),
    (dict(r_bulk_ohm=10, thickness_um=200), "area_cm2 or diameter_mm"),
    (dict(r_bulk_ohm=10, thickness_um="thick", area_cm2=1.0), "thickness_um"),
])
def test_conductivity_errors_name_the_argument(kwargs, name):
    with pytest.raises(AnalysisError, match=name):
        conductivity_s_cm(**kwargs)


def test_analyze_eis_gives_conductivity_from_the_fitted_rb():
    z = _noisy(_cell(r_s=1.0, r_b=500.0, f_c=1e4), seed=51)
    res = analyze_eis((F, z), thickness_um=300.0, diameter_mm=10.0)
    area = math.pi * 0.5 ** 2
    assert res.area_cm2 == pytest.approx(area)
    assert res.thickness_um == 300.0
    assert res.conductivity_s_cm == pytest.approx(0.03 / (res.r_bulk_ohm * area), rel=1e-12)
    assert res.conductivity_s_cm == pytest.approx(0.03 / (501.0 * area), rel=0.02)
    assert res.to_dict()["conductivity_s_cm"] == pytest.approx(res.conductivity_s_cm)


def test_analyze_eis_without_area_warns_and_leaves_nan():
    z = _noisy(_cell(), seed=52)
    res = analyze_eis((F, z), thickness_um=300.0)
    assert math.isnan(res.conductivity_s_cm)
    assert any("area_cm2 or diameter_mm" in w for w in res.warnings)


def test_analyze_eis_checks_geometry_before_fitting():
    with pytest.raises(AnalysisError, match="thickness_um"):
        analyze_eis("not even a spectrum", thickness_um=0.0, area_cm2=1.0)
    with pytest.raises(AnalysisError, match="area_cm2"):
        analyze_eis((F, _cell()), thickness_um=100.0, area_cm2=-1.0)


def test_importing_eis_stays_light():
    code = ("import sys, ionopt.analysis.eis; "
            "print(any(m in sys.modules for m in ('matplotlib', 'scipy.optimize')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------ real files


def _read_real(path: Path) -> pd.DataFrame:
    """The spectrum of a shared real file, via ionopt's reader when it exists."""
    if not path.exists():
        pytest.skip(f"{path} not present")
    try:
        from ionopt.analysis.io import read_eis
    except ImportError:
        read_eis = None
    if path.suffix == ".csv":  # headerless f, Z', Z''
        f, zr, zi = np.loadtxt(path, delimiter=",", unpack=True)
        return _frame(f, zr + 1j * zi)
    if read_eis is not None:
        return read_eis(path)
    rows = []  # CHI text export: numeric rows "f, Z', Z'', |Z|, phase"
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split(",")
        try:
            rows.append([float(p) for p in parts[:3]])
        except ValueError:
            continue
    f, zr, zi = np.array([r for r in rows if len(r) == 3]).T
    return _frame(f, zr + 1j * zi)


def test_chi_file_high_frequency_resistance_is_99_ohm():
    df = _read_real(DATA / "impedance-py" / "exampleDataCHInstruments.txt")
    res = fit_bulk_resistance(df)
    # impedance.py's data README: "a cell with ~99 ohm high-frequency resistance";
    # the first row is 99.61 kHz, Z' = 98.91 ohm.
    assert res.r_hf_intercept_ohm == pytest.approx(99.0, rel=0.01)
    assert res.method == "circuit_fit"
    assert res.r_series_ohm == pytest.approx(99.0, rel=0.05)
    # behind it a depressed arc of several hundred ohm, apex at tens of Hz, then a
    # capacitive tail: R_b is the arc's low-frequency end, well above R_s
    assert res.r_arc_ohm > 3 * res.r_series_ohm
    assert 1.0 < res.arc_freq_hz < 1e3
    assert res.rel_residual < 0.05
    assert res.kk_residual_max_pct < 6.0  # a valid measurement


def test_li_ion_example_reports_its_series_resistance():
    # A Li-ion cell, not a blocking cell, measured into an inductive tail. impedance.py
    # fits a Randles circuit to its capacitive points and gets R0 = 0.0186 ohm; a lab reads
    # the ohmic resistance as the real-axis crossing, which the raw data put between the
    # two points where Z'' changes sign (0.01558 and 0.01581 ohm).
    df = _read_real(DATA / "impedance-py" / "exampleData.csv")
    res = fit_bulk_resistance(df)
    assert res.n_inductive == 9
    assert any("inductive" in w for w in res.warnings)
    assert 0.01558 <= res.r_hf_intercept_ohm <= 0.01581
    # Our circuit (with the inductance, so every point is used) puts R_s where its
    # depressed arc would meet the axis: below the crossing and below Randles' R0, whose
    # ideal capacitor cannot follow the depressed high-frequency part of the arc.
    assert 0.012 < res.r_series_ohm < res.r_hf_intercept_ohm < 0.0186
    assert res.rel_residual < 0.03
    assert res.inductance_h > 0


def test_noise_free_real_format_file_recovers_its_series_resistance():
    # pyimpspec's spectrum: 100 ohm + (200 ohm || 0.8 uF) + (500 ohm || Warburg), 10 kHz-1 Hz.
    path = DATA / "pyimpspec" / "data-comma.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    f, zr, zi = np.loadtxt(path, delimiter=",", skiprows=1, unpack=True)
    res = fit_bulk_resistance((f, zr + 1j * zi))
    assert res.r_hf_intercept_ohm == pytest.approx(100.0, rel=0.03)
    assert res.kk_residual_max_pct < 0.5
    # the first arc's apex: 1 / (2 pi 200 ohm 0.8 uF) = 995 Hz
    assert res.arc_freq_hz == pytest.approx(995.0, rel=0.3)


# --------------------------------------------------------------------------- plot


def test_plot_nyquist_draws_data_fit_and_rb():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ionopt.plots.eis import plot_nyquist

    z = _noisy(_cell(r_s=5.0, r_b=1000.0, f_c=1e4), seed=61)
    df = _frame(F, z)
    res = fit_bulk_resistance(df)
    ax = plot_nyquist(df, res)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "data" in labels
    assert any(lab.startswith("fit (circuit_fit)") for lab in labels)
    assert any(lab.startswith("R_b = ") for lab in labels)
    rb_line = [ln for ln in ax.get_lines() if ln.get_label().startswith("R_b")][0]
    assert rb_line.get_xdata()[0] == pytest.approx(res.r_bulk_ohm)
    assert ax.get_aspect() == 1.0
    data = [ln for ln in ax.get_lines() if ln.get_label() == "data"][0]
    np.testing.assert_allclose(data.get_ydata(), -z.imag)
    plt.close(ax.figure)
    ax2 = plot_nyquist(df)  # data only
    assert [ln.get_label() for ln in ax2.get_lines()][0] == "data"
    plt.close(ax2.figure)
    # a result alone carries its spectrum and fit (as `ionopt analyze --plot` uses it)
    ax3 = plot_nyquist(res)
    labels3 = [line.get_label() for line in ax3.get_lines()]
    assert labels3[0] == "data" and any(lab.startswith("R_b = ") for lab in labels3)
    np.testing.assert_allclose(ax3.get_lines()[0].get_xdata(), res.z_ohm.real)
    plt.close(ax3.figure)


def test_interfacial_resistance_of_a_symmetric_cell():
    # Li | electrolyte | Li: bulk arc (R_b = 20 ohm) then the interfacial arc (R_int = 250
    # ohm); the model-free width of the low-frequency arc is R_int.
    from ionopt.analysis.eis import interfacial_resistance_ohm

    f = np.logspace(6, -2, 81)
    jw = 2j * np.pi * f
    z = 20 / (1 + 20 * 1e-9 * jw) + 250 / (1 + 250 * 2e-5 * jw)
    r, warns = interfacial_resistance_ohm((f, z))
    assert r == pytest.approx(250, rel=0.01) and warns == []
    with pytest.raises(AnalysisError, match="no interfacial arc"):
        interfacial_resistance_ohm((f, np.full(f.size, 20.0) - 1e-6j))
