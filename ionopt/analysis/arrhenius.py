"""Activation energy of ionic conduction from conductivity at several temperatures.

Arrhenius (default, the usual form in solid polymer electrolyte papers)::

    sigma = A exp(-Ea / (kB T))          ->  ln sigma = ln A - Ea / (kB T)

``form="ln_sigma_t"`` fits the form that follows from hopping theory (Nernst-Einstein)::

    sigma T = A exp(-Ea / (kB T))        ->  ln(sigma T) = ln A - Ea / (kB T)

Both are ordinary least squares of a straight line against 1/T; the standard error of Ea
is the slope's standard error (n - 2 degrees of freedom). The two forms differ by about
kB T (~0.03 eV near room temperature), so always report which one was used.

Above the glass transition, polymer electrolytes follow Vogel-Tammann-Fulcher (VTF)::

    sigma = A T^-1/2 exp(-B / (kB (T - T0)))

fitted (``vtf=True``, at least 4 points) by bounded nonlinear least squares of ln sigma,
with ``B`` the pseudo-activation energy in eV and ``T0`` the ideal glass transition
temperature in K. References: Ratner, M. A. in *Polymer Electrolyte Reviews 1*
(MacCallum & Vincent, eds., Elsevier 1987); Bruce & Vincent, *J. Chem. Soc. Faraday
Trans.* 89 (1993) 3187. Constants are CODATA values from :mod:`scipy.constants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import constants, optimize, stats

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

#: Boltzmann constant in eV/K (CODATA, via scipy.constants).
KB_EV = constants.k / constants.e
#: Conversion eV -> kJ/mol (e * N_A / 1000).
EV_TO_KJ_MOL = constants.e * constants.N_A / 1000.0
_ZERO_C_K = constants.zero_Celsius
_FORMS = ("ln_sigma", "ln_sigma_t")
_NAN = float("nan")


@dataclass(kw_only=True)
class ArrheniusResult(AnalysisResult):
    """Activation energy (and optionally VTF parameters) of a conductivity series.

    Attributes
    ----------
    activation_energy_ev, activation_energy_ev_stderr : float
        Arrhenius activation energy and its standard error, eV.
    activation_energy_kj_mol, activation_energy_kj_mol_stderr : float
        The same in kJ/mol.
    ln_prefactor, ln_prefactor_stderr : float
        Natural log of A (A in S/cm for ``ln_sigma``, S K/cm for ``ln_sigma_t``).
    r_squared : float
        Coefficient of determination of the straight-line fit.
    fit_form : str
        ``"ln_sigma"`` or ``"ln_sigma_t"``.
    n_points : int
    temperature_min_c, temperature_max_c : float
    vtf_pseudo_activation_energy_ev, vtf_pseudo_activation_energy_ev_stderr : float
        VTF B, eV (NaN unless ``vtf=True``).
    vtf_pseudo_activation_energy_kj_mol : float
    vtf_t0_k, vtf_t0_k_stderr : float
        VTF T0, K.
    vtf_ln_prefactor : float
        ln of A in S K^1/2 / cm.
    vtf_r_squared : float
    """

    activation_energy_ev: float
    activation_energy_ev_stderr: float
    activation_energy_kj_mol: float
    activation_energy_kj_mol_stderr: float
    ln_prefactor: float
    ln_prefactor_stderr: float
    r_squared: float
    fit_form: str
    n_points: int
    temperature_min_c: float
    temperature_max_c: float
    vtf_pseudo_activation_energy_ev: float = _NAN
    vtf_pseudo_activation_energy_ev_stderr: float = _NAN
    vtf_pseudo_activation_energy_kj_mol: float = _NAN
    vtf_t0_k: float = _NAN
    vtf_t0_k_stderr: float = _NAN
    vtf_ln_prefactor: float = _NAN
    vtf_r_squared: float = _NAN
    temperatures_k: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False,
                                       metadata={"export": False})
    conductivities_s_cm: np.ndarray = field(default_factory=lambda: np.empty(0), repr=False,
                                            metadata={"export": False})

    def arrhenius_conductivity_s_cm(self, temperatures_k: np.ndarray) -> np.ndarray:
        """Conductivity (S/cm) of the fitted Arrhenius line at ``temperatures_k``."""
        t = np.asarray(temperatures_k, dtype=float)
        ln = self.ln_prefactor - self.activation_energy_ev / (KB_EV * t)
        return np.exp(ln) / t if self.fit_form == "ln_sigma_t" else np.exp(ln)

    def vtf_conductivity_s_cm(self, temperatures_k: np.ndarray) -> np.ndarray:
        """Conductivity (S/cm) of the fitted VTF curve (NaN where not fitted or T <= T0)."""
        t = np.asarray(temperatures_k, dtype=float)
        if not math.isfinite(self.vtf_t0_k):
            return np.full_like(t, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.exp(_vtf_ln_sigma((self.vtf_ln_prefactor,
                                        self.vtf_pseudo_activation_energy_ev,
                                        self.vtf_t0_k), t))
        return np.where(t > self.vtf_t0_k, out, np.nan)


def _vtf_ln_sigma(params: tuple[float, float, float] | np.ndarray, t_k: np.ndarray) -> np.ndarray:
    ln_a, b_ev, t0 = params
    return ln_a - 0.5 * np.log(t_k) - b_ev / (KB_EV * (t_k - t0))


def _fit_vtf(t_k: np.ndarray, sigma: np.ndarray, t0_bounds_k: tuple[float, float] | None,
             warnings: list[str]) -> dict[str, float]:
    """Bounded VTF fit: profile over T0 (linear in ln A and B), then joint refinement."""
    n = t_k.size
    if n < 4:
        raise AnalysisError(f"vtf: a VTF fit has 3 parameters and needs at least 4 "
                            f"temperatures, got {n}")
    lo, hi = (0.0, float(t_k.min()) - 5.0) if t0_bounds_k is None else map(float, t0_bounds_k)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or hi <= lo:
        raise AnalysisError(f"t0_bounds_k: expected 0 <= low < high, got ({lo}, {hi})")
    if hi >= t_k.min():
        raise AnalysisError(f"t0_bounds_k: the upper bound {hi} K must lie below the lowest "
                            f"temperature {t_k.min():.2f} K")
    y = np.log(sigma) + 0.5 * np.log(t_k)

    def linear_part(t0: float) -> tuple[float, float, float]:
        x = -1.0 / (KB_EV * (t_k - t0))
        design = np.column_stack([np.ones_like(x), x])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        rss = float(np.sum((design @ coef - y) ** 2))
        return float(coef[0]), float(coef[1]), rss

    grid = np.linspace(lo, hi, 200)
    rss_grid = np.array([linear_part(t0)[2] for t0 in grid])
    t0_start = float(grid[int(np.argmin(rss_grid))])
    ln_a0, b0, _ = linear_part(t0_start)
    b_hi = 10.0
    start = np.array([ln_a0, min(max(b0, 1e-6), b_hi * 0.99), t0_start])
    start[2] = min(max(start[2], lo), hi)
    fit = optimize.least_squares(
        lambda p: _vtf_ln_sigma(p, t_k) - np.log(sigma), start,
        bounds=([-np.inf, 0.0, lo], [np.inf, b_hi, hi]), method="trf", x_scale="jac")
    ln_a, b_ev, t0 = (float(v) for v in fit.x)
    resid = fit.fun
    dof = n - 3
    stderr = np.full(3, np.nan)
    if dof > 0:
        s2 = float(resid @ resid) / dof
        try:
            cov = np.linalg.inv(fit.jac.T @ fit.jac) * s2
            stderr = np.sqrt(np.clip(np.diag(cov), 0.0, None))
        except np.linalg.LinAlgError:
            warnings.append("VTF: singular Jacobian, standard errors not available")
    span = hi - lo
    if abs(t0 - lo) < 1e-3 * span or abs(t0 - hi) < 1e-3 * span:
        warnings.append(f"VTF: T0 = {t0:.1f} K sits at a bound of [{lo:.1f}, {hi:.1f}] K; "
                        "the data do not determine T0 (too little curvature or range)")
    if b_ev <= 1e-5 or b_ev >= b_hi * 0.999:
        warnings.append(f"VTF: pseudo-activation energy B = {b_ev:.3g} eV sits at a bound")
    return {
        "vtf_ln_prefactor": ln_a,
        "vtf_pseudo_activation_energy_ev": b_ev,
        "vtf_pseudo_activation_energy_ev_stderr": float(stderr[1]),
        "vtf_pseudo_activation_energy_kj_mol": b_ev * EV_TO_KJ_MOL,
        "vtf_t0_k": t0,
        "vtf_t0_k_stderr": float(stderr[2]),
        "vtf_r_squared": _checks.r_squared(np.log(sigma), _vtf_ln_sigma(fit.x, t_k)),
    }


def analyze_arrhenius(temperatures_c: object, conductivities_s_cm: object = None, *,
                      form: str = "ln_sigma", vtf: bool = False,
                      t0_bounds_k: tuple[float, float] | None = None,
                      source: str | None = None) -> ArrheniusResult:
    """Fit the Arrhenius (and optionally VTF) law to conductivity vs temperature.

    Parameters
    ----------
    temperatures_c : sequence of float or pandas.DataFrame
        Temperatures in degrees Celsius, or a DataFrame with columns ``temperature_c``
        and ``conductivity_s_cm`` (then leave ``conductivities_s_cm`` out).
    conductivities_s_cm : sequence of float
        Ionic conductivities in S/cm, all > 0, same length as ``temperatures_c``.
    form : {"ln_sigma", "ln_sigma_t"}
        ``"ln_sigma"`` (default): ln sigma = ln A - Ea/(kB T), the form most solid
        polymer electrolyte papers report. ``"ln_sigma_t"``: ln(sigma T) vs 1/T.
    vtf : bool
        Also fit sigma = A T^-1/2 exp(-B/(kB (T - T0))) (needs >= 4 points).
    t0_bounds_k : (float, float), optional
        Bounds on T0 in K for the VTF fit; default (0, lowest temperature - 5 K).
    source : str, optional
        The file the data came from, recorded in the result.

    Returns
    -------
    ArrheniusResult

    Raises
    ------
    AnalysisError
        Fewer than 3 points, unequal lengths, non-positive conductivity, temperature at
        or below absolute zero, duplicate-only temperatures, or fewer than 4 points with
        ``vtf=True``.
    """
    if isinstance(temperatures_c, pd.DataFrame):
        if conductivities_s_cm is not None:
            raise AnalysisError("conductivities_s_cm: leave out when passing a DataFrame")
        table = _checks.frame(temperatures_c, "temperatures_c",
                              ["temperature_c", "conductivity_s_cm"], "an Arrhenius series",
                              min_rows=3)
        t_c = table["temperature_c"].to_numpy()
        sigma = table["conductivity_s_cm"].to_numpy()
    else:
        if conductivities_s_cm is None:
            raise AnalysisError("conductivities_s_cm: required (S/cm, one per temperature)")
        t_c = _checks.float_array(temperatures_c, "temperatures_c", min_points=3)
        sigma = _checks.float_array(conductivities_s_cm, "conductivities_s_cm", min_points=3)
    _checks.one_of(form, "form", _FORMS)
    if t_c.size != sigma.size:
        raise AnalysisError(f"conductivities_s_cm: {sigma.size} values for {t_c.size} "
                            "temperatures; expected one conductivity per temperature")
    if np.any(sigma <= 0):
        raise AnalysisError(f"conductivities_s_cm: all values must be > 0 S/cm, got "
                            f"{sigma[sigma <= 0][0]!r}")
    t_k = t_c + _ZERO_C_K
    if np.any(t_k <= 0):
        raise AnalysisError("temperatures_c: values at or below absolute zero (-273.15 °C)")
    if np.unique(t_k).size < 2:
        raise AnalysisError("temperatures_c: need at least two different temperatures")

    warnings: list[str] = []
    if t_c.min() > 200:
        warnings.append(f"temperatures_c: lowest value {t_c.min():.1f} looks like kelvin; "
                        "this function expects degrees Celsius")
    if sigma.max() > 1.0:
        warnings.append(f"conductivities_s_cm: {sigma.max():.3g} > 1 S/cm is implausible for "
                        "a solid electrolyte; mS/cm passed as S/cm?")
    x = 1.0 / (KB_EV * t_k)
    y = np.log(sigma * t_k) if form == "ln_sigma_t" else np.log(sigma)
    fit = stats.linregress(x, y)
    ea = -float(fit.slope)
    ea_se = float(fit.stderr) if t_k.size > 2 else _NAN
    r2 = float(fit.rvalue) ** 2
    if ea <= 0:
        warnings.append(f"activation energy {ea:.3f} eV is not positive: conductivity does "
                        "not rise with temperature")
    if t_k.size >= 4 and r2 < 0.99:
        warnings.append(f"Arrhenius R² = {r2:.4f} < 0.99: ln sigma vs 1/T is curved; "
                        "VTF behaviour (amorphous polymer above Tg)? try vtf=True")
    if t_k.max() - t_k.min() < 10:
        warnings.append(f"temperature span {t_k.max() - t_k.min():.1f} K < 10 K: "
                        "activation energy poorly determined")
    vtf_values: dict[str, float] = {}
    if vtf:
        vtf_values = _fit_vtf(t_k, sigma, t0_bounds_k, warnings)
    method = "arrhenius_" + form + ("+vtf" if vtf else "")
    return ArrheniusResult(
        activation_energy_ev=ea,
        activation_energy_ev_stderr=ea_se,
        activation_energy_kj_mol=ea * EV_TO_KJ_MOL,
        activation_energy_kj_mol_stderr=ea_se * EV_TO_KJ_MOL,
        ln_prefactor=float(fit.intercept),
        ln_prefactor_stderr=float(fit.intercept_stderr),
        r_squared=r2,
        fit_form=form,
        n_points=int(t_k.size),
        temperature_min_c=float(t_c.min()),
        temperature_max_c=float(t_c.max()),
        temperatures_k=t_k,
        conductivities_s_cm=sigma,
        method=method,
        warnings=warnings,
        source=source,
        **vtf_values,
    )
