"""Bruce-Vincent t+: closed-form numbers and synthetic chronoamperograms."""

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.transference import analyze_transference, bruce_vincent
from ionopt.errors import AnalysisError

# Worked example: I0 = 20 uA, Is = 8 uA, dV = 10 mV, R0 = 150 ohm, Rs = 180 ohm
# t+ = 8e-6 (0.010 - 20e-6*150) / (20e-6 (0.010 - 8e-6*180)) = 0.056 / 0.1712
T_PLUS = 0.056 / 0.1712
NUMBERS = dict(delta_v=0.010, r0_ohm=150.0, rss_ohm=180.0)


def _decay(i0=20e-6, iss=8e-6, tau=600.0, hours=4.0, dt=5.0, noise=0.0, seed=0):
    t = np.arange(0.0, hours * 3600 + dt, dt)
    i = iss + (i0 - iss) * np.exp(-t / tau)
    i = i + np.random.default_rng(seed).normal(0, noise, t.size)
    return pd.DataFrame({"time_s": t, "current_a": i})


def test_closed_form():
    assert bruce_vincent(20e-6, 8e-6, 0.010, 150.0, 180.0) == pytest.approx(T_PLUS, rel=1e-12)
    assert T_PLUS == pytest.approx(0.3271028, rel=1e-6)
    # no interfacial resistance: t+ = Is/I0
    assert bruce_vincent(1e-5, 4e-6, 0.01, 0.0, 0.0) == pytest.approx(0.4)
    # signs of a cathodic polarization do not matter
    assert bruce_vincent(-20e-6, -8e-6, -0.010, 150.0, 180.0) == pytest.approx(T_PLUS)


def test_from_numbers():
    r = analyze_transference(i0_a=20e-6, iss_a=8e-6, **NUMBERS)
    assert r.transference_number == pytest.approx(T_PLUS)
    assert r.current_ratio == pytest.approx(0.4)
    assert r.steady_state_reached is None and r.ok
    assert r.to_dict()["transference_number"] == pytest.approx(T_PLUS)


def test_from_decay_first_point():
    r = analyze_transference(_decay(), **NUMBERS)
    assert r.initial_current_a == pytest.approx(20e-6)
    assert r.steady_current_a == pytest.approx(8e-6, rel=1e-6)
    assert r.transference_number == pytest.approx(T_PLUS, rel=1e-5)
    assert r.steady_state_reached is True and r.ok
    assert r.polarization_time_h == pytest.approx(4.0)


def test_extrapolated_i0_when_first_point_late():
    df = _decay(noise=5e-9)
    df = df[df.time_s >= 30].reset_index(drop=True)  # first point 30 s after the step
    r = analyze_transference(df, i0_method="extrapolate", **NUMBERS)
    # the fit extrapolates to the first time stamp (30 s): I = Is + 12 uA exp(-30/600)
    expected = 8e-6 + 12e-6 * np.exp(-30 / 600)
    assert r.initial_current_a == pytest.approx(expected, rel=5e-3)
    first = analyze_transference(df, **NUMBERS)
    assert any("first current point" in w for w in first.warnings)


def test_ohmic_i0():
    r = analyze_transference(_decay(), i0_method="ohmic", bulk_resistance_ohm=350.0, **NUMBERS)
    assert r.initial_current_a == pytest.approx(0.010 / 500.0)
    with pytest.raises(AnalysisError, match="bulk_resistance_ohm"):
        analyze_transference(_decay(), i0_method="ohmic", **NUMBERS)


def test_not_steady_warns():
    r = analyze_transference(_decay(tau=3600.0, hours=1.0), **NUMBERS)
    assert r.steady_state_reached is False
    assert any("steady state not reached" in w for w in r.warnings)
    assert r.drift_pct_per_h < -1.0


def test_unphysical_t_plus_warns():
    r = analyze_transference(i0_a=20e-6, iss_a=8e-6, delta_v=0.010, r0_ohm=600.0,
                             rss_ohm=180.0)
    assert r.transference_number < 0
    assert any("outside (0, 1)" in w for w in r.warnings)
    assert any("interfacial drop" in w for w in r.warnings)


def test_large_step_warns():
    r = analyze_transference(i0_a=20e-6, iss_a=8e-6, delta_v=0.1, r0_ohm=10, rss_ohm=10)
    assert any("small" in w for w in r.warnings)


class _FakeEIS:
    interfacial_resistance_ohm = 150.0


def test_resistance_from_impedance_result():
    r = analyze_transference(i0_a=20e-6, iss_a=8e-6, delta_v=0.01, r0_ohm=_FakeEIS(),
                             rss_ohm=180.0)
    assert r.transference_number == pytest.approx(T_PLUS)
    with pytest.raises(AnalysisError, match="r0_ohm"):
        analyze_transference(i0_a=1e-5, iss_a=1e-6, delta_v=0.01, r0_ohm=object(),
                             rss_ohm=1.0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(i0_a=1e-5, delta_v=0.01, r0_ohm=1, rss_ohm=1), "i0_a and iss_a"),
    (dict(i0_a=1e-5, iss_a=1e-6, delta_v=0.0, r0_ohm=1, rss_ohm=1), "delta_v"),
    (dict(i0_a=1e-5, iss_a=1e-6, delta_v=0.01, r0_ohm=-1, rss_ohm=1), "r0_ohm"),
    (dict(i0_a=1e-5, iss_a=1e-6, delta_v=0.01, r0_ohm=1, rss_ohm=float("nan")), "rss_ohm"),
    (dict(i0_a=0.0, iss_a=1e-6, delta_v=0.01, r0_ohm=1, rss_ohm=1), "i0_a"),
    (dict(i0_a=1e-5, iss_a=1e-6, delta_v=0.01, r0_ohm=1, rss_ohm=10000), "rss_ohm"),
])
def test_bad_numbers(kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        analyze_transference(**kwargs)


def test_bad_frames():
    with pytest.raises(AnalysisError, match="current_a"):
        analyze_transference(pd.DataFrame({"time_s": [0, 1]}), **NUMBERS)
    with pytest.raises(AnalysisError, match="at least 10"):
        analyze_transference(_decay().head(5), **NUMBERS)
    with pytest.raises(AnalysisError, match="i0_method"):
        analyze_transference(_decay(), i0_method="max", **NUMBERS)
    with pytest.raises(AnalysisError, match="steady_fraction"):
        analyze_transference(_decay(), steady_fraction=1.5, **NUMBERS)
    zero = _decay().assign(current_a=0.0)
    with pytest.raises(AnalysisError, match="zero"):
        analyze_transference(zero, **NUMBERS)


class _FakeBulk:
    r_bulk_ohm = 350.0


def test_ohmic_i0_from_impedance_result():
    r = analyze_transference(_decay(), i0_method="ohmic", bulk_resistance_ohm=_FakeBulk(),
                             **NUMBERS)
    assert r.initial_current_a == pytest.approx(0.010 / 500.0)
