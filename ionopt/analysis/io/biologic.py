"""BioLogic EC-Lab ``.mpt`` text exports.

Layout: ``EC-Lab ASCII FILE``, ``Nb header lines : N``, the technique name, ``Key : value``
lines, fixed-width technique parameters (name in the first 20 characters), then on line
``N`` the tab-separated column header (``freq/Hz  Re(Z)/Ohm  -Im(Z)/Ohm ...``) and the data.
EC-Lab stores ``-Im(Z)``; the readers negate it through the header's minus sign. Exports
made without the header block start directly with the column line.
"""

from __future__ import annotations

import re

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed, meta_float, snake_key
from ._table import Table, split_fields, uses_decimal_comma

__all__ = ["looks_like_biologic", "parse"]

_NB_HEADER = re.compile(r"^\s*Nb header lines\s*:\s*(\d+)", re.IGNORECASE)
_COLUMN_HINTS = ("freq/hz", "ewe/v", "time/s", "<i>/ma", "i/ma", "re(z)/ohm")
_FREQ_UNITS = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "mHz": 1e-3, "µHz": 1e-6, "uHz": 1e-6}
_RATE_UNITS = {"mV/s": 1e-3, "V/s": 1.0, "mV/min": 1e-3 / 60, "V/min": 1 / 60,
               "µV/s": 1e-6, "uV/s": 1e-6}


def technique_kind(technique: str) -> str:
    """Map an EC-Lab technique name to a measurement kind."""
    t = technique.lower()
    if "impedance spectroscopy" in t:
        return "eis"
    if "linear sweep voltammetry" in t:
        return "lsv"
    if "cyclic voltammetry" in t:
        return "cv"
    if "chronoamperometry" in t:
        return "chrono"
    return "other"


def looks_like_biologic(lines: list[str]) -> bool:
    """True for an EC-Lab text export, with or without its header block."""
    first = lines[0].strip() if lines else ""
    if first.upper().startswith("EC-LAB ASCII FILE"):
        return True
    low = first.lower()
    return "\t" in first and sum(h in low for h in _COLUMN_HINTS) >= 2


def parse(text: str, source: object) -> Parsed:
    """Locate technique, parameters and data table of an EC-Lab ``.mpt`` export.

    Raises
    ------
    FileFormatError
        When ``Nb header lines`` is missing, not a number or beyond the end of the file.
    """
    lines = text.split("\n")
    if not lines[0].strip().upper().startswith("EC-LAB ASCII FILE"):
        return _parsed(lines, header_idx=0, technique=None, technique_line=None,
                       header={}, params={})
    m = _NB_HEADER.match(lines[1]) if len(lines) > 1 else None
    if m is None:
        raise FileFormatError(located(
            "EC-Lab export without 'Nb header lines : N' (expected on line 2)",
            file=source, line=2))
    n_header = int(m.group(1))
    if n_header < 2 or n_header > len(lines) or not lines[n_header - 1].strip():
        raise FileFormatError(located(
            f"'Nb header lines : {n_header}' but line {n_header} is not a column header "
            f"(file has {len(lines)} lines); the file is truncated or edited",
            file=source, line=2))
    technique, technique_line = None, None
    for i in range(2, min(n_header - 1, 8)):
        if lines[i].strip():
            technique, technique_line = lines[i].strip(), i + 1
            break
    header: dict[str, str] = {}
    params: dict[str, str] = {}
    for line in lines[technique_line or 2:n_header - 1]:
        if not line.strip() or line.startswith(("\t", "   ")):
            continue
        if " : " in line or line.rstrip().endswith(" :"):
            key, _, value = line.partition(":")
            header.setdefault(key.strip(), value.strip())
        elif len(line) > 20 and line[20:].strip() and line[:20].strip():
            params.setdefault(line[:20].strip(), line[20:].split()[0])
    return _parsed(lines, header_idx=n_header - 1, technique=technique,
                   technique_line=technique_line, header=header, params=params)


def _parsed(lines: list[str], *, header_idx: int, technique: str | None,
            technique_line: int | None, header: dict[str, str],
            params: dict[str, str]) -> Parsed:
    headers = split_fields(lines[header_idx], "\t")
    decimal_comma = uses_decimal_comma(
        [ln for ln in lines[header_idx + 1:header_idx + 40] if ln.strip()], "\t")
    table = Table(headers=headers, start=header_idx + 1, stop=len(lines), delimiter="\t",
                  decimal_comma=decimal_comma, header_line=header_idx + 1)
    kind = technique_kind(technique) if technique else None
    meta: dict[str, object] = {}
    if "Acquisition started on" in header:
        meta["date"] = header["Acquisition started on"]
    if "Device" in header:
        meta["instrument"] = header["Device"]

    def num(key: str) -> float | None:
        return meta_float(params.get(key), decimal_comma=decimal_comma)

    if kind == "eis":
        for key, canon in (("fi", "f_initial_hz"), ("ff", "f_final_hz")):
            value, unit = num(key), params.get(f"unit {key}")
            if value is not None and unit in _FREQ_UNITS:
                meta[canon] = value * _FREQ_UNITS[unit]
        if "f_initial_hz" in meta and "f_final_hz" in meta:
            meta["freq_high_hz"] = max(meta["f_initial_hz"], meta["f_final_hz"])
            meta["freq_low_hz"] = min(meta["f_initial_hz"], meta["f_final_hz"])
        va = num("Va (mV)")
        if va is not None:
            meta["amplitude_v"] = va * 1e-3
        ia = num("Ia")
        if ia is not None and params.get("unit Ia"):
            meta["amplitude_current"] = f"{params['Ia']} {params['unit Ia']}"
        e = num("E (V)")
        if e is not None:
            meta["init_e_v"] = e
    else:
        ei = num("Ei (V)")
        if ei is not None:
            meta["init_e_v"] = ei
            if kind == "chrono":
                meta["potential_applied_v"] = ei
        rate, unit = num("dE/dt"), params.get("dE/dt unit")
        if rate is not None and unit in _RATE_UNITS:
            meta["scan_rate_v_s"] = rate * _RATE_UNITS[unit]
        for key, canon in (("EL (V)", "final_e_v"), ("E1 (V)", "e1_v"), ("E2 (V)", "e2_v")):
            value = num(key)
            if value is not None:
                meta[canon] = value
    meta["header"] = {snake_key(k): v for k, v in header.items()}
    meta["parameters"] = dict(params)
    return Parsed(format="biologic", technique=technique, kind=kind,
                  technique_line=technique_line, lines=lines, table=table, meta=meta)
