"""Tensile analysis against bilinear stress-strain curves with known properties."""

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.tensile import analyze_tensile
from ionopt.errors import AnalysisError

STRAIN = np.linspace(0.0, 150.0, 1501)  # %


def _bilinear(e_mpa=50.0, yield_pct=2.0, hardening_mpa=0.5, break_pct=140.0):
    stress = np.where(STRAIN < yield_pct, e_mpa * STRAIN / 100,
                      e_mpa * yield_pct / 100 + hardening_mpa * (STRAIN - yield_pct) / 100)
    stress[STRAIN > break_pct] = 0.0
    return pd.DataFrame({"strain_pct": STRAIN, "stress_mpa": stress})


def test_bilinear_exact():
    r = analyze_tensile(_bilinear())
    assert r.youngs_modulus_mpa == pytest.approx(50.0, rel=1e-6)
    assert r.tensile_strength_mpa == pytest.approx(1.0 + 0.5 * 1.38)
    assert r.elongation_at_break_pct == pytest.approx(140.0)
    assert r.modulus_strain_start_pct == pytest.approx(0.0, abs=0.11)
    assert r.modulus_strain_end_pct == pytest.approx(2.0, abs=0.11)
    assert r.ok


@pytest.mark.parametrize("noise", [0.002, 0.005])
def test_bilinear_noisy(noise):
    df = _bilinear()
    df["stress_mpa"] += np.random.default_rng(0).normal(0, noise, len(df))
    r = analyze_tensile(df)
    assert r.youngs_modulus_mpa == pytest.approx(50.0, rel=0.03)
    assert r.elongation_at_break_pct == pytest.approx(140.0, abs=0.5)


def test_toe_region_skipped():
    # slack specimen: stress zero until 1 % strain, then E = 50 MPa up to 3 %
    s = np.clip(STRAIN - 1.0, 0, None)
    stress = np.where(s < 2.0, 50.0 * s / 100, 1.0 + 0.5 * (s - 2.0) / 100)
    r = analyze_tensile(pd.DataFrame({"strain_pct": STRAIN, "stress_mpa": stress}))
    assert r.youngs_modulus_mpa == pytest.approx(50.0, rel=1e-6)
    assert r.modulus_strain_start_pct == pytest.approx(1.0, abs=0.11)


def test_force_displacement_with_geometry():
    df = _bilinear()
    width, thick_um, gauge = 10.0, 100.0, 20.0
    fd = pd.DataFrame({"force_n": df.stress_mpa * width * thick_um / 1000,
                       "displacement_mm": df.strain_pct / 100 * gauge})
    r = analyze_tensile(fd, width_mm=width, thickness_um=thick_um, gauge_length_mm=gauge)
    assert r.youngs_modulus_mpa == pytest.approx(50.0, rel=1e-6)
    assert r.tensile_strength_mpa == pytest.approx(1.69)
    assert r.elongation_at_break_pct == pytest.approx(140.0)
    assert "force_displacement" in r.method


def test_record_ends_at_break():
    df = _bilinear(break_pct=200.0)
    r = analyze_tensile(df)
    assert r.elongation_at_break_pct == pytest.approx(150.0)
    assert any("not have broken" in w for w in r.warnings)


def test_geometry_errors():
    fd = pd.DataFrame({"force_n": np.arange(20.0), "displacement_mm": np.arange(20.0)})
    with pytest.raises(AnalysisError, match="thickness_um"):
        analyze_tensile(fd, width_mm=10, gauge_length_mm=20)
    with pytest.raises(AnalysisError, match="width_mm"):
        analyze_tensile(fd, width_mm=float("nan"), thickness_um=100, gauge_length_mm=20)
    with pytest.raises(AnalysisError, match="gauge_length_mm"):
        analyze_tensile(fd, width_mm=10, thickness_um=100, gauge_length_mm=0)


def test_bad_data():
    with pytest.raises(AnalysisError, match="stress_mpa"):
        analyze_tensile(pd.DataFrame({"strain_pct": np.arange(20.0)}))
    with pytest.raises(AnalysisError, match="at least 10"):
        analyze_tensile(_bilinear().head(5))
    with pytest.raises(AnalysisError, match="never positive"):
        analyze_tensile(pd.DataFrame({"strain_pct": STRAIN, "stress_mpa": -1.0}))
    with pytest.raises(AnalysisError, match="DataFrame"):
        analyze_tensile({"strain_pct": [1]})
    with pytest.raises(AnalysisError, match="break_fraction"):
        analyze_tensile(_bilinear(), break_fraction=2)
    with pytest.raises(AnalysisError, match="EIS"):
        analyze_tensile(pd.DataFrame({"freq_hz": [1.0], "z_real_ohm": [1.0]}))
