"""TGA analysis against a logistic mass-loss step with closed-form answers."""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.tga import analyze_tga
from ionopt.errors import AnalysisError

T = np.linspace(25.0, 600.0, 1151)
TC, W, STEP = 350.0, 12.0, 80.0  # centre °C, width °C, mass lost %


def _logistic(t=T, tc=TC, w=W, step=STEP):
    return 100.0 - step / (1.0 + np.exp(-(t - tc) / w))


def _frame(m, t=T):
    return pd.DataFrame({"temperature_c": t, "mass_pct": m})


def test_logistic_closed_form():
    r = analyze_tga(_frame(_logistic()))
    # 100 - D/(1+exp(-(T-Tc)/w)) = 95  ->  T = Tc - w ln(D/5 - 1)
    assert r.t_5pct_loss_c == pytest.approx(TC - W * math.log(STEP / 5 - 1), abs=0.05)
    # tangent at the inflection (slope -D/4w, mass 100 - D/2) meets 100 % at Tc - 2w
    assert r.onset_temp_c == pytest.approx(TC - 2 * W, abs=0.2)
    assert r.dtg_peak_temp_c == pytest.approx(TC, abs=0.6)
    assert r.residual_mass_pct == pytest.approx(100 - STEP, abs=1e-3)
    assert r.decomposition_temp_c == r.t_5pct_loss_c and r.method == "tga_decomposition_t5"
    assert r.ok


def test_onset_choice_and_noise():
    m = _logistic() + np.random.default_rng(3).normal(0, 0.02, T.size)
    r = analyze_tga(_frame(m), decomposition="onset")
    assert r.decomposition_temp_c == r.onset_temp_c
    assert r.onset_temp_c == pytest.approx(TC - 2 * W, abs=1.0)


def test_reference_temperature_excludes_moisture():
    # 3 % water lost around 80 °C, then the main step
    m = _logistic() - 3.0 / (1.0 + np.exp(-(T - 80.0) / 5.0))
    plain = analyze_tga(_frame(m))
    ref = analyze_tga(_frame(m), reference_temp_c=150.0)
    m150 = np.interp(150.0, T, m)
    # above 150 °C the water is gone: m = 97 - D/(1+exp(-(T-Tc)/w)); solve m = 0.95 m150
    expected = TC - W * math.log(STEP / (97.0 - 0.95 * m150) - 1)
    assert ref.t_5pct_loss_c == pytest.approx(expected, abs=0.2)
    assert plain.t_5pct_loss_c < ref.t_5pct_loss_c
    assert ref.reference_mass_pct == pytest.approx(m150, abs=0.01)


def test_stable_sample():
    r = analyze_tga(_frame(np.full(T.size, 100.0) - T * 1e-3))
    assert math.isnan(r.t_5pct_loss_c) and math.isnan(r.onset_temp_c)
    assert any("stable" in w for w in r.warnings)


def test_mass_in_mg_warns():
    r = analyze_tga(_frame(_logistic() / 10.0))  # 10 mg sample given in mg
    assert any("mg" in w for w in r.warnings)
    assert r.t_5pct_loss_c == pytest.approx(TC - W * math.log(STEP / 5 - 1), abs=0.05)


def test_bad_input():
    with pytest.raises(AnalysisError, match="mass_pct"):
        analyze_tga(pd.DataFrame({"temperature_c": T}))
    with pytest.raises(AnalysisError, match="heating ramp"):
        analyze_tga(_frame(_logistic()[::-1].copy(), T[::-1].copy()))
    with pytest.raises(AnalysisError, match="reference_temp_c"):
        analyze_tga(_frame(_logistic()), reference_temp_c=900)
    with pytest.raises(AnalysisError, match="decomposition"):
        analyze_tga(_frame(_logistic()), decomposition="t10")
    with pytest.raises(AnalysisError, match="at least 10"):
        analyze_tga(_frame(_logistic()[:5], T[:5]))
    with pytest.raises(AnalysisError, match="EIS"):
        analyze_tga(pd.DataFrame({"freq_hz": [1.0], "z_real_ohm": [1.0]}))
