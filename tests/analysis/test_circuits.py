"""Circuit elements and model circuits against closed-form impedances."""

from __future__ import annotations

import numpy as np
import pytest

from ionopt.analysis import circuits as c


def test_registry_lists_elements_with_units():
    assert {"R", "C", "L", "CPE", "W"} <= set(c.ELEMENTS)
    cpe = c.ELEMENTS["CPE"]
    assert cpe.params == ("Q", "n")
    assert cpe.units == ("S s^n", "")
    assert "constant-phase" in cpe.description.lower()


def test_registering_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        c.element("R", params=("R",), units=("Ohm",))(lambda f, r: r)


def test_element_checks_parameter_count():
    with pytest.raises(TypeError, match="takes 2 parameters"):
        c.ELEMENTS["CPE"](np.array([1.0]), 1e-6)


def test_rc_arc_apex_at_one_over_rc():
    r, cap = 1000.0, 1e-6
    w_apex = 1.0 / (r * cap)
    f = np.array([w_apex / (2 * np.pi)])
    z = c.parallel(c.ELEMENTS["R"](f, r), c.ELEMENTS["C"](f, cap))
    # Semicircle of diameter R centred on (R/2, 0): apex at (R/2, -R/2).
    assert z.real[0] == pytest.approx(r / 2, rel=1e-12)
    assert -z.imag[0] == pytest.approx(r / 2, rel=1e-12)
    # Elsewhere the points stay on the circle |Z - R/2| = R/2.
    f_all = np.logspace(-2, 6, 50)
    z_all = c.parallel(c.ELEMENTS["R"](f_all, r), c.ELEMENTS["C"](f_all, cap))
    np.testing.assert_allclose(np.abs(z_all - r / 2), r / 2, rtol=1e-12)


def test_cpe_with_n_one_is_a_capacitor_and_has_constant_phase():
    f = np.logspace(-1, 6, 30)
    np.testing.assert_allclose(c.ELEMENTS["CPE"](f, 2e-6, 1.0), c.ELEMENTS["C"](f, 2e-6),
                               rtol=1e-12)
    z = c.ELEMENTS["CPE"](f, 1e-5, 0.7)
    np.testing.assert_allclose(np.angle(z), -0.7 * np.pi / 2, atol=1e-12)
    # |Z| falls as omega^-n
    slope = np.polyfit(np.log10(f), np.log10(np.abs(z)), 1)[0]
    assert slope == pytest.approx(-0.7, abs=1e-9)


def test_warburg_is_45_degrees_and_inductor_is_positive_imaginary():
    f = np.logspace(-1, 3, 10)
    z = c.ELEMENTS["W"](f, 50.0)
    np.testing.assert_allclose(np.angle(z), -np.pi / 4, atol=1e-12)
    np.testing.assert_allclose(np.abs(z), 50.0 * np.sqrt(2) / np.sqrt(2 * np.pi * f))
    zl = c.ELEMENTS["L"](f, 1e-6)
    np.testing.assert_allclose(zl, 1j * 2 * np.pi * f * 1e-6)


def test_series_and_parallel_of_resistors():
    f = np.array([1.0, 10.0])
    r1, r2 = c.ELEMENTS["R"](f, 30.0), c.ELEMENTS["R"](f, 60.0)
    np.testing.assert_allclose(c.series(r1, r2), 90.0)
    np.testing.assert_allclose(c.parallel(r1, r2), 20.0)


def test_zarc_equals_r_parallel_cpe():
    f = np.logspace(-1, 6, 40)
    r, tau, n = 500.0, 3e-5, 0.8
    q = tau ** n / r
    expected = c.parallel(c.ELEMENTS["R"](f, r), c.ELEMENTS["CPE"](f, q, n))
    np.testing.assert_allclose(c.zarc(f, r, tau, n), expected, rtol=1e-12)
    # Apex of a depressed arc: -Z'' = (R/2) tan(n pi / 4) at omega tau = 1.
    z_apex = c.zarc(np.array([1 / (2 * np.pi * tau)]), r, tau, n)[0]
    assert -z_apex.imag == pytest.approx(r / 2 * np.tan(n * np.pi / 4), rel=1e-12)


def test_blocking_cell_limits():
    r_s, r_b = 5.0, 1000.0
    q_b, n_b, q_dl, n_dl = 1e-10, 1.0, 1e-6, 0.9
    f = np.array([1e12, 1e-6])
    z = c.blocking_cell(f, r_s, r_b, q_b, n_b, q_dl, n_dl)
    # Far above the arc only R_s remains (plus a vanishing spike); far below, the spike
    # dominates and the real part tends to R_s + R_b plus the spike's real part.
    assert z[0].real == pytest.approx(r_s, rel=1e-3)
    spike = c.ELEMENTS["CPE"](f[1:], q_dl, n_dl)[0]
    assert z[1].real == pytest.approx(r_s + r_b + spike.real, rel=1e-6)
    # No spike (q_dl = inf): the arc closes on R_s + R_b.
    z_no = c.blocking_cell(np.array([1e-6]), r_s, r_b, q_b, n_b, np.inf, n_dl)
    assert z_no[0].real == pytest.approx(r_s + r_b, rel=1e-6)
    # A series inductance makes the top of the spectrum inductive.
    z_l = c.blocking_cell(np.array([1e10]), r_s, r_b, q_b, n_b, q_dl, n_dl, l_h=1e-6)
    assert z_l[0].imag > 0


def test_spike_cell_starts_at_r():
    f = np.logspace(3, 9, 5)
    z = c.spike_cell(f, 42.0, 1e-6, 0.8)
    expected = 42.0 + c.ELEMENTS["CPE"](f, 1e-6, 0.8)
    np.testing.assert_allclose(z, expected)
    assert np.all(z.imag < 0)
