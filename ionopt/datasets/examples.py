"""Example raw instrument files that ship with ionopt, and the truth they were made from.

The files in ``data/examples/`` are *synthetic*: written by :func:`write_example_files`
from stated physics with small seeded noise, in the text formats the lab's instruments
write (CH Instruments CHI660E exports for EIS, LSV and i-t; CSV for the tensile tester and
the TGA). Because the truth is known (:data:`EXAMPLE_TRUTH`), a user can check that the
analysis recovers it, and the tests do. Conductivities are anchored to Fang et al. 2024
(Table 1: CSE-40 1.936e-3 S/cm, CSE-70 0.208e-3 S/cm at 25 °C); every other value (thickness,
activation energy, interfacial resistances, TGA and tensile curve shapes) is an assumption
chosen to look like a PVDF-HFP composite film, not a number from the paper.

``example_files()`` returns the shipped paths; ``write_example_files(folder)`` regenerates
the same bytes (a test checks that the shipped files are exactly what it writes).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

BOLTZMANN_EV_K = 8.617333262e-5  # CODATA 2018

#: Cell geometry of every example EIS file: 200 um film, 10 mm stainless-steel discs.
THICKNESS_UM = 200.0
DIAMETER_MM = 10.0
AREA_CM2 = np.pi * (DIAMETER_MM / 20.0) ** 2

#: The truth behind each file (units in names).
EXAMPLE_TRUTH: dict[str, dict[str, float]] = {
    "eis_cse40_25c.txt": {"conductivity_s_cm": 1.936e-3, "temperature_c": 25.0},
    "eis_cse70_25c.txt": {"conductivity_s_cm": 0.208e-3, "temperature_c": 25.0},
    "arrhenius": {"activation_energy_ev": 0.30, "conductivity_25c_s_cm": 0.208e-3},
    "lsv_cse40.txt": {"stability_window_v": 5.0, "area_cm2": float(AREA_CM2),
                      "threshold_ma_cm2": 0.01},
    "bv_chrono_cse40.txt": {"transference_number": 0.47, "delta_v": 0.010,
                            "i0_a": 2.0e-5, "r0_ohm": 300.0, "rs_ohm": 350.0},
    "tensile_cse40.csv": {"tensile_strength_mpa": 4.525, "youngs_modulus_mpa": 60.0,
                          "elongation_at_break_pct": 150.0},
    "tga_cse40.csv": {"residual_mass_pct": 40.0},
}
ARRHENIUS_TEMPS_C = (25.0, 35.0, 45.0, 55.0, 65.0, 75.0)


def _r_bulk(sigma_s_cm: float) -> float:
    return (THICKNESS_UM * 1e-4) / (sigma_s_cm * AREA_CM2)


def _blocking_cell(freq: np.ndarray, r_b: float, q_b: float = 1e-8, n_b: float = 0.92,
                   q_dl: float = 5e-6, n_dl: float = 0.85, r_s: float = 0.0) -> np.ndarray:
    jw = 2j * np.pi * freq
    return r_s + r_b / (1.0 + r_b * q_b * jw ** n_b) + 1.0 / (q_dl * jw ** n_dl)


def _li_symmetric(freq: np.ndarray, r_b: float, r_int: float) -> np.ndarray:
    jw = 2j * np.pi * freq
    return (r_b / (1.0 + r_b * 1e-9 * jw ** 0.95) + r_int / (1.0 + r_int * 2e-6 * jw ** 0.8))


def _chi_header(technique: str, lines: list[str]) -> str:
    head = ["Nov. 25, 2026   10:00:00", technique, "File: example (synthetic, ionopt)",
            "Data Source:  Experiment", "Instrument Model:  CHI660E", "Header: ",
            "Note: synthetic example written by ionopt.datasets.examples", ""]
    return "\n".join(head + lines + [""]) + "\n"


def _chi_eis(freq: np.ndarray, z: np.ndarray) -> str:
    header = _chi_header("A.C. Impedance", [
        "Init E (V) = 0", f"High Frequency (Hz) = {freq.max():.0e}",
        f"Low Frequency (Hz) = {freq.min():g}", "Amplitude (V) = 0.01",
        "Quiet Time (sec) = 2"])
    rows = [f"{f:.4e}, {zz.real:.4e}, {zz.imag:.4e}, {abs(zz):.4e}, "
            f"{np.degrees(np.angle(zz)):.2f}" for f, zz in zip(freq, z)]
    return header + "Freq/Hz, Z'/ohm, Z\"/ohm, Z/ohm, Phase/deg\n\n" + "\n".join(rows) + "\n"


def _noisy(z: np.ndarray, rng: np.random.Generator, rel: float = 0.005) -> np.ndarray:
    return z + rel * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))


def _example_texts(seed: int = 2024) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    freq = np.logspace(6, -1, 71)  # 1 MHz -> 0.1 Hz, 10 points per decade, as CHI sweeps
    texts: dict[str, str] = {}
    for name in ("eis_cse40_25c.txt", "eis_cse70_25c.txt"):
        r_b = _r_bulk(EXAMPLE_TRUTH[name]["conductivity_s_cm"])
        texts[name] = _chi_eis(freq, _noisy(_blocking_cell(freq, r_b), rng))

    truth = EXAMPLE_TRUTH["arrhenius"]
    t25 = 298.15
    for temp_c in ARRHENIUS_TEMPS_C:
        sigma = truth["conductivity_25c_s_cm"] * np.exp(
            -truth["activation_energy_ev"] / BOLTZMANN_EV_K * (1 / (temp_c + 273.15) - 1 / t25))
        texts[f"arrhenius/eis_cse70_{temp_c:.0f}c.txt"] = _chi_eis(
            freq, _noisy(_blocking_cell(freq, _r_bulk(sigma)), rng))

    # LSV, SS | CSE-40 | Li from OCV to 6 V at 1 mV/s: a small capacitive/leakage baseline
    # and an exponential oxidation current that crosses 0.01 mA/cm2 at exactly 5.0 V.
    lsv = EXAMPLE_TRUTH["lsv_cse40.txt"]
    potential = np.round(np.arange(3.0, 6.0 + 1e-9, 0.002), 3)
    i_threshold = lsv["threshold_ma_cm2"] * 1e-3 * lsv["area_cm2"]
    baseline = 2e-8 + 1e-8 * (potential - 3.0)
    b = 0.12  # V per e-fold of the oxidation current
    oxid_at_5 = i_threshold - (2e-8 + 1e-8 * 2.0)
    current = baseline + oxid_at_5 * np.exp((potential - 5.0) / b)
    current = current * (1 + 0.01 * rng.standard_normal(current.size))
    texts["lsv_cse40.txt"] = _chi_header("Linear Sweep Voltammetry", [
        "Init E (V) = 3", "Final E (V) = 6", "Scan Rate (V/s) = 0.001",
        "Sample Interval (V) = 0.002", "Quiet Time (sec) = 2", "Sensitivity (A/V) = 1e-4",
    ]) + "Potential/V, Current/A\n\n" + "\n".join(
        f"{e:.3f}, {i:.4e}" for e, i in zip(potential, current)) + "\n"

    # Bruce-Vincent on Li | CSE-40 | Li: 10 mV step, current decays from I0 to Is; the
    # interfacial resistances before/after come with EIS spectra of the symmetric cell.
    bv = EXAMPLE_TRUTH["bv_chrono_cse40.txt"]
    t_plus, dv, i0, r0, rs = (bv[k] for k in ("transference_number", "delta_v", "i0_a",
                                              "r0_ohm", "rs_ohm"))
    # Solve t+ = Is (dV - I0 R0) / (I0 (dV - Is Rs)) for Is.
    i_s = t_plus * i0 * dv / ((dv - i0 * r0) + t_plus * i0 * rs)
    time_s = np.round(np.arange(0.0, 3600.0 + 1e-9, 1.0), 1)
    current = i_s + (i0 - i_s) * np.exp(-time_s / 400.0)
    current = current * (1 + 0.002 * rng.standard_normal(current.size))
    current[0] = i0
    texts["bv_chrono_cse40.txt"] = _chi_header("Amperometric i-t Curve", [
        "Init E (V) = 0.01", "Sample Interval (s) = 1", "Run Time (sec) = 3600",
        "Quiet Time (sec) = 0", "Sensitivity (A/V) = 1e-4",
    ]) + "Time/sec, Current/A\n\n" + "\n".join(
        f"{t:.1f}, {i:.5e}" for t, i in zip(time_s, current)) + "\n"
    r_b_li = _r_bulk(1.936e-3)
    for name, r_int in (("bv_eis_before_cse40.txt", r0), ("bv_eis_after_cse40.txt", rs)):
        texts[name] = _chi_eis(freq, _noisy(_li_symmetric(freq, r_b_li, r_int), rng, 0.002))

    # Tensile: linear elastic to 2 % strain (E = 60 MPa), strain hardening to the strength,
    # then necking down to break at 150 % elongation.
    ten = EXAMPLE_TRUTH["tensile_cse40.csv"]
    strain = np.round(np.arange(0.0, ten["elongation_at_break_pct"] + 1e-9, 0.25), 2)
    e_mpa = ten["youngs_modulus_mpa"]
    yield_pct = 2.0
    sigma_y = e_mpa * yield_pct / 100.0
    peak_pct = 90.0
    stress = np.where(
        strain <= yield_pct, e_mpa * strain / 100.0,
        np.where(strain <= peak_pct,
                 sigma_y + (ten["tensile_strength_mpa"] - sigma_y)
                 * np.sin(0.5 * np.pi * (strain - yield_pct) / (peak_pct - yield_pct)),
                 ten["tensile_strength_mpa"] - 0.6 * ((strain - peak_pct)
                                                      / (strain.max() - peak_pct)) ** 2))
    stress = stress + 0.003 * rng.standard_normal(stress.size) * (strain > 0)
    texts["tensile_cse40.csv"] = "Strain (%),Stress (MPa)\n" + "\n".join(
        f"{e:.2f},{s:.4f}" for e, s in zip(strain, stress)) + "\n"

    # TGA under N2 at 10 K/min (see tga_mass_pct).
    temperature = np.round(np.arange(30.0, 800.0 + 1e-9, 1.0), 1)
    mass = tga_mass_pct(temperature) + 0.02 * rng.standard_normal(temperature.size)
    time_s = (temperature - 30.0) * 6.0
    texts["tga_cse40.csv"] = "Time (s),Temperature (°C),Weight (%)\n" + "\n".join(
        f"{t:.0f},{T:.1f},{m:.3f}" for t, T, m in zip(time_s, temperature, mass)) + "\n"
    return texts


def tga_mass_pct(temperature_c):
    """Noise-free mass (%) of the example TGA curve: 2 % moisture/solvent lost around
    100 degC, then the PVDF-HFP/LiTFSI step centred at 400 degC down to the BN residue."""
    temperature_c = np.asarray(temperature_c, dtype=float)
    residual = EXAMPLE_TRUTH["tga_cse40.csv"]["residual_mass_pct"]
    solvent = 2.0 / (1.0 + np.exp(-(temperature_c - 100.0) / 12.0))
    step = (98.0 - residual) / (1.0 + np.exp(-(temperature_c - 400.0) / 18.0))
    return 100.0 - solvent - step


def write_example_files(folder: str | Path, seed: int = 2024) -> dict[str, Path]:
    """Write every example file into ``folder``; return name -> path."""
    folder = Path(folder)
    paths = {}
    for name, text in _example_texts(seed).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        paths[name] = path
    return paths


def example_files() -> dict[str, Path]:
    """The example raw files shipped with ionopt: name -> path (see :data:`EXAMPLE_TRUTH`).

    Names: ``eis_cse40_25c.txt``, ``eis_cse70_25c.txt`` (blocking cells, 200 µm, 10 mm
    discs), ``arrhenius/eis_cse70_<T>c.txt`` (25-75 °C), ``lsv_cse40.txt``,
    ``bv_chrono_cse40.txt`` with ``bv_eis_before_cse40.txt`` / ``bv_eis_after_cse40.txt``
    (a Bruce-Vincent set), ``tensile_cse40.csv`` and ``tga_cse40.csv``.
    """
    root = Path(str(resources.files("ionopt.datasets").joinpath("data", "examples")))
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "README.md"}
