"""Linear Kramers–Kronig (lin-KK) validity test of an impedance spectrum.

A spectrum from a linear, causal, stable, time-invariant system obeys the
Kramers–Kronig relations, and so can be described by a series of RC (Voigt) elements.
Following B. A. Boukamp, J. Electrochem. Soc. 142 (1995) 1885, and in particular

    M. Schönleber, D. Klotz, E. Ivers-Tiffée, "A Method for Improving the Robustness of
    linear Kramers-Kronig Validity Tests", Electrochimica Acta 131 (2014) 20–27,
    doi:10.1016/j.electacta.2014.01.034,

the spectrum is fitted by *linear* least squares with

    Z(w) = R0 + sum_k R_k / (1 + j w tau_k) [+ j w L] [+ 1 / (j w C)],

the time constants tau_k being fixed and log-spaced from 1/w_max to 1/w_min, so only the
linear coefficients are fitted (no start values, no local minima). The number of RC
elements M is raised until the over-fitting measure

    mu = 1 - sum_{R_k < 0} |R_k| / sum_{R_k >= 0} |R_k|

falls below ``c`` (0.85 in the paper): negative resistances appear once the series starts
fitting noise. Here every M up to N/2 is tried and the best-fitting M with ``mu >= c`` is
kept, because an under-fitted series (or an ideal single-time-constant arc falling between
grid points) also gives negative R_k at small M, so the paper's first crossing can come
too early on noise-free synthetic data. Second departure: in mu each R_k is divided by
|Z| at w = 1/tau_k. Under a blocking-electrode spike |Z| at low frequency is orders of
magnitude above the bulk resistance, so 1 % noise there is fitted by large cancelling
R_k that would swamp the plain sums; relative to the local |Z| (the same weighting as
the fit) they count for what they are, noise-sized wiggles.

The relative residuals (Z - Z_fit) / |Z| of the real and imaginary parts are then the
test: a valid spectrum leaves residuals at the noise level, without trends; artefacts and
non-linearity leave larger, structured residuals. Slow drift of the cell during the sweep
is detected only weakly (a drifted spectrum often resembles a valid one).

The optional series capacitance handles blocking-electrode spikes that keep rising below
the lowest frequency, the optional inductance a cable tail at the top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["KKResult", "lin_kk"]


@dataclass
class KKResult:
    """Outcome of :func:`lin_kk`.

    Attributes
    ----------
    n_rc : int
        Number of RC elements kept (M).
    mu : float
        Over-fitting measure at ``n_rc`` (1: no negative resistances).
    residual_real, residual_imag : ndarray
        (Z' - Z'_fit) / |Z| and (Z'' - Z''_fit) / |Z|, as fractions, in input order.
    max_residual_pct : float
        Largest absolute relative residual, percent.
    rms_residual_pct : float
        Root-mean-square relative residual over both parts, percent.
    z_fit : ndarray of complex
        The lin-KK model at the measured frequencies, ohm.
    tau_s : ndarray
        The fixed time constants, s.
    r_k_ohm : ndarray
        Fitted resistances of the RC elements, ohm.
    """

    n_rc: int
    mu: float
    residual_real: np.ndarray = field(repr=False)
    residual_imag: np.ndarray = field(repr=False)
    max_residual_pct: float
    rms_residual_pct: float
    z_fit: np.ndarray = field(repr=False)
    tau_s: np.ndarray = field(repr=False)
    r_k_ohm: np.ndarray = field(repr=False)

    def passed(self, tolerance_pct: float = 5.0) -> bool:
        """True when no relative residual exceeds ``tolerance_pct`` percent."""
        return bool(self.max_residual_pct <= tolerance_pct)


def _design(freq_hz: np.ndarray, tau: np.ndarray, with_l: bool, with_c: bool) -> np.ndarray:
    """Complex design matrix: columns R0, the RC elements, then j w (L), 1/(j w) (1/C)."""
    w = 2.0 * np.pi * freq_hz
    cols = [np.ones_like(w, dtype=complex)]
    cols.extend((1.0 / (1.0 + 1j * w[:, None] * tau[None, :])).T)
    if with_l:
        cols.append(1j * w)
    if with_c:
        cols.append(1.0 / (1j * w))
    return np.column_stack(cols)


def _solve(a: np.ndarray, z: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted linear least squares on stacked real/imag parts, columns scaled first."""
    a_w = a / weight[:, None]
    b_w = z / weight
    a_r = np.vstack([a_w.real, a_w.imag])
    b_r = np.concatenate([b_w.real, b_w.imag])
    # Columns span ~12 orders of magnitude (j w L against 1/(j w)); unit-norm columns
    # keep lstsq's rank decision meaningful.
    norms = np.linalg.norm(a_r, axis=0)
    norms[norms == 0] = 1.0
    coef, *_ = np.linalg.lstsq(a_r / norms, b_r, rcond=None)
    return coef / norms


def lin_kk(freq_hz, z, *, c: float = 0.85, max_rc: int | None = None,
           add_inductance: bool = True, add_capacitance: bool = True) -> KKResult:
    """Linear Kramers–Kronig test (Schönleber et al. 2014) of an impedance spectrum.

    Parameters
    ----------
    freq_hz : array_like
        Frequencies in Hz (any order, positive).
    z : array_like of complex
        Impedance in ohm, ``Z'' < 0`` for capacitive behaviour.
    c : float, optional
        Threshold on mu (paper's value 0.85): only M with ``mu >= c`` are accepted, and
        among those the one with the smallest residual is kept.
    max_rc : int, optional
        Largest M tried; default half the number of points.
    add_inductance, add_capacitance : bool, optional
        Include a series inductance / series capacitance in the linear model.

    Returns
    -------
    KKResult
        Residuals, M, mu and the fitted spectrum.

    Raises
    ------
    ValueError
        Fewer than 3 points, non-finite values or non-positive frequencies.
    """
    f = np.asarray(freq_hz, dtype=float).ravel()
    zc = np.asarray(z, dtype=complex).ravel()
    if f.size != zc.size:
        raise ValueError(f"lin_kk: {f.size} frequencies but {zc.size} impedances")
    if f.size < 3:
        raise ValueError(f"lin_kk: need at least 3 points, got {f.size}")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(zc)) and np.all(f > 0)):
        raise ValueError("lin_kk: frequencies must be positive and all values finite")

    weight = np.abs(zc)
    weight[weight == 0] = 1.0
    w_min, w_max = 2 * np.pi * f.min(), 2 * np.pi * f.max()
    m_max = max_rc if max_rc is not None else max(1, f.size // 2)
    m_max = max(1, min(m_max, f.size))

    # Scan every M rather than stopping at the first mu < c: an under-fitted series
    # (small M) or a spectrum with one sharp time constant between grid points also
    # produces negative R_k, so the first crossing can come far too early. Among the M
    # that pass the mu criterion, keep the one that describes the data best.
    # |Z| at w = 1/tau_k, to weigh each R_k against the impedance it is meant to shape.
    order = np.argsort(f)
    log_w = np.log(2 * np.pi * f[order])
    mod_sorted = weight[order]
    best, fallback = None, None
    for m in range(1, m_max + 1):
        if m > 1:
            tau = np.geomspace(1.0 / w_max, 1.0 / w_min, m)
        else:
            tau = np.array([1.0 / np.sqrt(w_min * w_max)])
        a = _design(f, tau, add_inductance, add_capacitance)
        coef = _solve(a, zc, weight)
        r_k = coef[1:1 + m]
        rel = r_k / np.interp(-np.log(tau), log_w, mod_sorted)
        pos = np.sum(rel[rel >= 0])
        neg = -np.sum(rel[rel < 0])
        mu = 1.0 - neg / pos if pos > 0 else 0.0
        resid = (zc - a @ coef) / weight
        rms = float(np.sqrt(np.mean(resid.real ** 2 + resid.imag ** 2) / 2))
        entry = (rms, m, mu, tau, a, coef, r_k)
        if mu >= c and (best is None or rms < best[0]):
            best = entry
        if fallback is None or rms < fallback[0]:
            fallback = entry
    # No M met the criterion (tiny spectra): report the best fit, its mu tells.
    _, m, mu, tau, a, coef, r_k = best if best is not None else fallback

    z_fit = a @ coef
    res_re = (zc.real - z_fit.real) / weight
    res_im = (zc.imag - z_fit.imag) / weight
    both = np.concatenate([res_re, res_im])
    return KKResult(
        n_rc=int(m), mu=float(mu), residual_real=res_re, residual_imag=res_im,
        max_residual_pct=float(100 * np.max(np.abs(both))),
        rms_residual_pct=float(100 * np.sqrt(np.mean(both ** 2))),
        z_fit=z_fit, tau_s=tau, r_k_ohm=r_k,
    )
