"""Analysis core: raw instrument files -> targets, with QC warnings.

Readers (:mod:`ionopt.analysis.io`) turn vendor files into tidy DataFrames with unit-named
columns; one module per measurement turns those into numbers a researcher reports:

=====================  ===========================================================
``analyze_eis``        bulk resistance and sigma = L / (R_b S) of a blocking cell
``analyze_arrhenius``  activation energy (eV, kJ/mol), optional VTF
``analyze_transference``  Bruce-Vincent Li+ transference number
``analyze_lsv``        electrochemical stability window (threshold and tangent onsets)
``analyze_tensile``    tensile strength, Young's modulus, elongation at break
``analyze_tga``        T at 5 % mass loss, onset temperature, residual mass
``analyze_cycling``    capacities, Coulombic efficiency, retention, rate capability
``analyze_symmetric``  Li|Li overpotential and time to short circuit
``adsorption_energy``  DFT E_ads = E_total - E_surface - E_adsorbate
``analyze_manifest``   a manifest of raw files -> one targets row per sample (batch)
=====================  ===========================================================

Names are imported on first use so that ``import ionopt.analysis.io`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "read_eis": "io", "read_lsv": "io", "read_chrono": "io", "read_tensile": "io",
    "read_tga": "io", "read_cycling": "io", "detect_format": "io",
    "analyze_eis": "eis", "fit_bulk_resistance": "eis", "conductivity_s_cm": "eis",
    "EISResult": "eis", "interfacial_resistance_ohm": "eis",
    "analyze_arrhenius": "arrhenius",
    "analyze_transference": "transference", "bruce_vincent": "transference",
    "analyze_lsv": "lsv",
    "analyze_tensile": "tensile",
    "analyze_tga": "tga",
    "analyze_cycling": "cycling", "per_cycle": "cycling",
    "analyze_symmetric": "symmetric",
    "adsorption_energy": "dft",
    "AnalysisResult": "_result",
    "fit_circuit": "circuit_fit", "CircuitFitResult": "circuit_fit",
    "analyze_manifest": "batch", "analyze_file": "batch", "BatchResult": "batch",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"ionopt.analysis.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ionopt.analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = sorted(_LAZY)
