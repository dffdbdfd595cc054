"""Linear Kramers-Kronig test: valid spectra pass, corrupted ones are flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionopt.analysis.circuits import blocking_cell
from ionopt.analysis.kramers_kronig import lin_kk

DATA = Path("/work/shared/data")
F = np.logspace(6, -1, 71)


def _cell(n_b=0.85, n_dl=0.9, l_h=0.0):
    return blocking_cell(F, 5.0, 1000.0, 1e-6 ** n_b / 1000.0, n_b, 1e-6, n_dl, l_h)


def _noisy(z, seed, level=0.01):
    rng = np.random.default_rng(seed)
    return z + level * np.abs(z) * (rng.standard_normal(z.size)
                                    + 1j * rng.standard_normal(z.size))


@pytest.mark.parametrize("n_b,n_dl", [(1.0, 1.0), (0.85, 0.9), (0.6, 0.6)])
def test_valid_circuit_passes_noise_free(n_b, n_dl):
    res = lin_kk(F, _cell(n_b, n_dl))
    assert res.max_residual_pct < 1.5
    assert res.mu >= 0.85
    assert res.passed()
    assert res.residual_real.shape == F.shape
    # the fitted spectrum reproduces the data to the reported residual
    worst = np.max(np.abs(res.z_fit - _cell(n_b, n_dl)) / np.abs(_cell(n_b, n_dl)))
    assert worst <= np.sqrt(2) * res.max_residual_pct / 100 + 1e-12


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_valid_circuit_with_one_percent_noise_stays_at_noise_level(seed):
    res = lin_kk(F, _noisy(_cell(), seed))
    # residuals of an adequate model are the noise itself: ~1 % RMS per component
    assert 0.6 < res.rms_residual_pct < 1.4
    assert res.passed(6.0)


def test_resistance_drift_during_the_sweep_raises_the_residuals():
    # The cell's R_b grows while the sweep runs from 1 MHz down to 0.1 Hz. lin-KK is
    # known to be a weak detector of slow drift (a drifted spectrum resembles a valid
    # one), so the check is relative, on noise-free data: residuals grow with the drift.
    clean = lin_kk(F, _cell())
    maxima = []
    for drift in (0.1, 0.3):
        r_b = 1000.0 * (1 + drift * np.linspace(0, 1, F.size))
        z = np.array([blocking_cell(F[i:i + 1], 5.0, r_b[i], 1e-6 ** 0.85 / 1000.0, 0.85,
                                    1e-6, 0.9)[0] for i in range(F.size)])
        maxima.append(lin_kk(F, z).max_residual_pct)
    assert maxima[0] < maxima[1]
    assert maxima[1] > 3 * clean.max_residual_pct


def test_step_in_real_part_is_flagged():
    # An artefact: Z' jumps by 20 % of |Z| from 100 Hz down while Z'' does not follow.
    z = _cell()
    step = np.r_[np.zeros(40), 0.2 * np.abs(z[40:])]
    clean = lin_kk(F, z)
    bad = lin_kk(F, z + step)
    assert not bad.passed(5.0)
    assert clean.passed(5.0)
    assert bad.max_residual_pct > 5 * clean.max_residual_pct


def test_inductive_tail_needs_the_inductance_term():
    z = _cell(l_h=1e-4)  # inductive at the top of the window
    assert np.any(z.imag > 0)
    with_l = lin_kk(F, z, add_inductance=True)
    without = lin_kk(F, z, add_inductance=False)
    assert with_l.max_residual_pct < 1.5
    assert without.max_residual_pct > 3 * with_l.max_residual_pct


def test_real_noise_free_spectrum_passes():
    # pyimpspec's test spectrum: 100 + (200 || 0.8 uF) + (500 || Warburg), exact values.
    path = DATA / "pyimpspec" / "data-comma.csv"
    if not path.exists():
        pytest.skip("shared data not present")
    # columns f, Z', Z'' (signed), one header line
    f, re, im = np.loadtxt(path, delimiter=",", skiprows=1, unpack=True)
    z = re + 1j * im
    assert np.all(z.imag <= 0)
    res = lin_kk(f, z)
    assert res.max_residual_pct < 0.5


def test_input_errors():
    with pytest.raises(ValueError, match="at least 3"):
        lin_kk([1.0, 2.0], [1 - 1j, 1 - 2j])
    with pytest.raises(ValueError, match="finite"):
        lin_kk([1.0, 2.0, 3.0], [1 - 1j, np.nan, 1 - 2j])
    with pytest.raises(ValueError, match="frequencies"):
        lin_kk([1.0, 2.0], [1 - 1j, 1 - 2j, 3])
