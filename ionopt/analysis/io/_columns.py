"""Recognise column headers such as ``Freq/Hz``, ``-Im(Z)/Ohm`` or ``Stress (MPa)``.

A header is split into a *name* (normalised: lower case, no spaces or underscores, one
quote style, leading minus kept as a flag) and a *unit* (case-sensitive, because ``mHz``
and ``MHz`` differ). Each reader has a :class:`Spec`: the output columns it wants, the
names each may go by, and the unit family used to scale values to the output unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["Header", "Spec", "parse_header", "SPECS", "unit_factor"]

# unit families: written unit -> factor to the output unit of that family
_UNITS: dict[str, dict[str, float]] = {
    "frequency": {"Hz": 1.0, "hz": 1.0, "HZ": 1.0, "kHz": 1e3, "khz": 1e3, "mHz": 1e-3,
                  "MHz": 1e6},
    "resistance": {"ohm": 1.0, "Ohm": 1.0, "ohms": 1.0, "Ohms": 1.0, "OHM": 1.0, "Ω": 1.0,
                   "\u2126": 1.0,  # OHM SIGN, which some exports write instead of omega
                   "kohm": 1e3, "kOhm": 1e3, "kΩ": 1e3, "mohm": 1e-3,
                   "mOhm": 1e-3, "mΩ": 1e-3, "MOhm": 1e6, "MΩ": 1e6},
    "angle": {"deg": 1.0, "°": 1.0, "degree": 1.0, "degrees": 1.0,
              "rad": 57.29577951308232},
    "potential": {"V": 1.0, "v": 1.0, "mV": 1e-3, "V vs. Ref.": 1.0, "V vs Ref": 1.0},
    "current": {"A": 1.0, "mA": 1e-3, "uA": 1e-6, "µA": 1e-6, "μA": 1e-6,
                "nA": 1e-9},
    "time": {"s": 1.0, "sec": 1.0, "secs": 1.0, "S": 1.0, "min": 60.0, "h": 3600.0,
             "hr": 3600.0},
    "temperature": {"K": 1.0, "°C": 1.0, "C": 1.0, "degC": 1.0, "deg C": 1.0, "℃": 1.0, "oC": 1.0},
    "mass": {"%": 1.0, "wt%": 1.0, "mg": 1.0, "g": 1.0, "ug": 1.0, "µg": 1.0},
    "strain": {"%": 1.0, "mm/mm": 100.0, "-": 100.0},
    "stress": {"MPa": 1.0, "N/mm²": 1.0, "N/mm^2": 1.0, "N/mm2": 1.0, "kPa": 1e-3,
               "Pa": 1e-6, "GPa": 1e3},
    "force": {"N": 1.0, "kN": 1e3, "mN": 1e-3},
    "length": {"mm": 1.0, "µm": 1e-3, "um": 1e-3, "μm": 1e-3, "cm": 10.0, "m": 1e3},
}
_ALL_UNITS = {u for family in _UNITS.values() for u in family}

_UNIT_RE = re.compile(
    r"^(?P<name>.*?)\s*(?:/\s*(?P<u1>[^/()\[\]]+?)|\((?P<u2>[^()]*)\)|\[(?P<u3>[^\[\]]*)\])\s*$")


@dataclass(frozen=True)
class Header:
    """One parsed column header.

    Attributes
    ----------
    raw : str
        The header as written.
    name : str
        Normalised name without unit and without a leading minus.
    negated : bool
        True when the header carries a leading minus (``-Im(Z)``, ``-Z''``, ``-phase``).
    unit : str or None
        The unit as written (case kept), when one was recognised.
    """

    raw: str
    name: str
    negated: bool
    unit: str | None


def _normalise(name: str) -> str:
    name = (name.replace("″", "''").replace('"', "''").replace("′", "'")
            .replace("’", "'").replace("`", "'").replace("−", "-"))
    return re.sub(r"[\s_]+", "", name.lower())


def parse_header(raw: str) -> Header:
    """Split a header such as ``"-Im(Z)/Ohm"`` into name, sign flag and unit."""
    text = raw.strip().strip('"').strip()
    name, unit = text, None
    m = _UNIT_RE.match(text)
    if m:
        cand = (m.group("u1") or m.group("u2") or m.group("u3") or "").strip()
        if cand in _ALL_UNITS:
            name, unit = m.group("name"), cand
    norm = _normalise(name)
    negated = norm.startswith("-")
    if negated:
        norm = norm[1:]
    return Header(raw=raw, name=norm, negated=negated, unit=unit)


def unit_factor(unit: str | None, family: str) -> float | None:
    """Factor from ``unit`` to the output unit of ``family``; None when unknown."""
    if unit is None:
        return 1.0
    return _UNITS.get(family, {}).get(unit)


@dataclass(frozen=True)
class Spec:
    """What one reader wants: output column -> accepted names and unit family.

    Attributes
    ----------
    names : dict
        Output column -> set of normalised header names accepted for it.
    families : dict
        Output column -> unit family (key of the unit table) used to scale values.
    required : tuple of str
        Output columns that must be present.
    alternatives : tuple of tuple of str
        Groups of columns any one of which satisfies the reader (e.g. strain/stress or
        force/displacement for tensile files); empty when ``required`` suffices.
    """

    names: dict[str, frozenset[str]]
    families: dict[str, str]
    required: tuple[str, ...] = ()
    alternatives: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


def _fs(*names: str) -> frozenset[str]:
    return frozenset(_normalise(n) for n in names)


SPECS: dict[str, Spec] = {
    "eis": Spec(
        names={
            "freq_hz": _fs("f", "freq", "frequency", "freq.", "frequencies", "fre"),
            "z_real_ohm": _fs("z'", "zre", "zreal", "re(z)", "real", "z'(a)", "rez", "re",
                              "zr", "real(z)", "z_real", "real part", "resistance"),
            "z_imag_ohm": _fs("z''", "zim", "zimag", "im(z)", "imaginary", "imag",
                              "z''(b)", "imz", "im", "zi", "imag(z)", "z_imag",
                              "imaginary part", "reactance"),
            "z_mod_ohm": _fs("|z|", "z", "zmod", "mod(z)", "modulus", "impedance", "|z|(a)"),
            "phase_deg": _fs("phase", "phase(z)", "zphz", "phi", "phaseangle", "theta",
                             "phase angle"),
        },
        families={"freq_hz": "frequency", "z_real_ohm": "resistance",
                  "z_imag_ohm": "resistance", "z_mod_ohm": "resistance",
                  "phase_deg": "angle"},
        required=("freq_hz",),
        alternatives=(("z_real_ohm", "z_imag_ohm"), ("z_mod_ohm", "phase_deg")),
    ),
    "lsv": Spec(
        names={
            "potential_v": _fs("potential", "e", "ewe", "<ewe>", "vf", "voltage", "u",
                               "we(1).potential", "potential applied", "e we"),
            "current_a": _fs("current", "i", "<i>", "im", "we(1).current", "i we"),
            "time_s": _fs("time", "t", "elapsed time", "time elapsed", "corrected time"),
        },
        families={"potential_v": "potential", "current_a": "current", "time_s": "time"},
        required=("potential_v", "current_a"),
    ),
    "chrono": Spec(
        names={
            "time_s": _fs("time", "t", "elapsed time", "time elapsed", "corrected time"),
            "current_a": _fs("current", "i", "<i>", "im", "we(1).current", "i we"),
            "potential_v": _fs("potential", "e", "ewe", "<ewe>", "vf", "voltage",
                               "we(1).potential"),
        },
        families={"potential_v": "potential", "current_a": "current", "time_s": "time"},
        required=("time_s", "current_a"),
    ),
    "tensile": Spec(
        names={
            "strain_pct": _fs("strain", "tensile strain", "engineering strain",
                              "nominal strain", "elongation strain", "strain%"),
            "stress_mpa": _fs("stress", "tensile stress", "engineering stress",
                              "nominal stress"),
            "force_n": _fs("force", "load", "standard force", "tensile force"),
            "displacement_mm": _fs("displacement", "extension", "elongation", "position",
                                   "crosshead", "crosshead position", "deformation",
                                   "tensile extension", "standard travel"),
            "time_s": _fs("time", "t", "test time"),
        },
        families={"strain_pct": "strain", "stress_mpa": "stress", "force_n": "force",
                  "displacement_mm": "length", "time_s": "time"},
        alternatives=(("strain_pct", "stress_mpa"), ("force_n", "displacement_mm")),
    ),
    "tga": Spec(
        names={
            "temperature_c": _fs("temperature", "temp", "sample temperature", "sample temp",
                                 "ts", "tr", "temp.", "program temperature", "sample temp."),
            "mass_pct": _fs("mass", "weight", "tg", "mass%", "weight%", "wt", "residual mass"),
            "time_s": _fs("time", "t", "elapsed time"),
        },
        families={"temperature_c": "temperature", "mass_pct": "mass", "time_s": "time"},
        required=("temperature_c", "mass_pct"),
    ),
}
