"""Adsorption energy from DFT total energies.

    E_ads = E_total - E_surface - E_adsorbate

with all three energies from the same code, functional, cutoff and (for E_total and
E_surface) the same cell. Negative E_ads means adsorption is favourable. Example (a filler
paper's amorphous BN + TFSI-): -818.974 - (-730.291) - (-81.174) = -7.509 eV, reported as
-7.508 eV (its totals are rounded to 1 meV, so a recomputed value differs by up to
~2 meV).
"""

from __future__ import annotations

from dataclasses import dataclass

from scipy import constants

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult

#: Conversion eV -> kJ/mol (CODATA, via scipy.constants).
EV_TO_KJ_MOL = constants.e * constants.N_A / 1000.0
#: |E_ads| above this (eV) is implausible for one molecule and hints at mixed units/cells.
_IMPLAUSIBLE_EV = 20.0


@dataclass(kw_only=True)
class AdsorptionResult(AnalysisResult):
    """Adsorption energy of one adsorbate on one surface.

    Attributes
    ----------
    adsorption_energy_ev : float
        E_total - E_surface - E_adsorbate, eV.
    adsorption_energy_kj_mol : float
        The same in kJ/mol.
    """

    adsorption_energy_ev: float
    adsorption_energy_kj_mol: float


def adsorption_energy(e_total_ev: float, e_surface_ev: float, e_adsorbate_ev: float, *,
                      source: str | None = None) -> AdsorptionResult:
    """E_ads = E_total - E_surface - E_adsorbate.

    Parameters
    ----------
    e_total_ev : float
        Total energy of the surface with the adsorbate, eV.
    e_surface_ev : float
        Total energy of the clean surface (same cell), eV.
    e_adsorbate_ev : float
        Total energy of the isolated adsorbate, eV.
    source : str, optional

    Returns
    -------
    AdsorptionResult

    Raises
    ------
    AnalysisError
        A value that is not a finite number.
    """
    total = _checks.finite_number(e_total_ev, "e_total_ev")
    surface = _checks.finite_number(e_surface_ev, "e_surface_ev")
    adsorbate = _checks.finite_number(e_adsorbate_ev, "e_adsorbate_ev")
    e_ads = total - surface - adsorbate
    warnings: list[str] = []
    if abs(e_ads) > _IMPLAUSIBLE_EV:
        warnings.append(f"|E_ads| = {abs(e_ads):.2f} eV is implausibly large for one "
                        "adsorbate: energies in different units (Ry, Hartree) or cells?")
    return AdsorptionResult(adsorption_energy_ev=e_ads,
                            adsorption_energy_kj_mol=e_ads * EV_TO_KJ_MOL,
                            method="dft_total_energy_difference", warnings=warnings,
                            source=source)
