"""CH Instruments (CHI 6xx/7xx) text exports.

Layout: a date line, the technique name (``A.C. Impedance``, ``Linear Sweep
Voltammetry``, ``Amperometric i-t Curve``...), ``Key:  value`` lines (file, instrument
model), ``Parameter (unit) = value`` lines, then a comma-separated column header
(``Freq/Hz, Z'/ohm, Z"/ohm, Z/ohm, Phase/deg``; ``Potential/V, Current/A``;
``Time/sec, Current/A``) and the data rows.
"""

from __future__ import annotations

import re

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed, meta_float, snake_key
from ._table import Table, parse_number, sniff_delimiter, split_fields, uses_decimal_comma

__all__ = ["TECHNIQUES", "looks_like_chi", "parse"]

#: CHI technique names -> measurement kind.
TECHNIQUES = {
    "a.c. impedance": "eis",
    "ac impedance": "eis",
    "linear sweep voltammetry": "lsv",
    "cyclic voltammetry": "cv",
    "amperometric i-t curve": "chrono",
    "chronoamperometry": "chrono",
    "chronopotentiometry": "other",
    "impedance - time": "other",
    "impedance - potential": "other",
    "open circuit potential - time": "other",
    "tafel plot": "other",
    "differential pulse voltammetry": "other",
    "square wave voltammetry": "other",
    "bulk electrolysis with coulometry": "other",
}

# CHI parameter -> canonical attrs key
_CANONICAL = {
    "init e (v)": "init_e_v",
    "final e (v)": "final_e_v",
    "high frequency (hz)": "freq_high_hz",
    "low frequency (hz)": "freq_low_hz",
    "amplitude (v)": "amplitude_v",
    "scan rate (v/s)": "scan_rate_v_s",
    "quiet time (sec)": "quiet_time_s",
    "run time (sec)": "run_time_s",
    "sample interval (s)": "sample_interval_s",
    "sample interval (sec)": "sample_interval_s",
    "sample interval (v)": "sample_interval_v",
    "sensitivity (a/v)": "sensitivity_a_v",
}
_COLUMN_HEADER = re.compile(r"^[A-Za-z\"'|<-][^=]*/[^=]*$")


def looks_like_chi(lines: list[str]) -> bool:
    """True when the first lines look like a CHI export (technique line or CHI model)."""
    head = [ln.strip() for ln in lines[:12]]
    if len(head) > 1 and head[1].lower() in TECHNIQUES:
        return True
    return any(ln.lower().startswith("instrument model:") and "chi" in ln.lower()
               for ln in head)


def parse(text: str, source: object) -> Parsed:
    """Locate technique, parameters and data table of a CHI export.

    Raises
    ------
    FileFormatError
        When no column header (``Name/unit, Name/unit``) is found.
    """
    lines = text.split("\n")
    technique = lines[1].strip() if len(lines) > 1 else None
    kind = TECHNIQUES.get((technique or "").lower(), "other" if technique else None)
    header: dict[str, str] = {}
    meta: dict[str, object] = {}
    if lines and lines[0].strip():
        meta["date"] = re.sub(r"\s{2,}", " ", lines[0].strip())
    header_idx = None
    for i, raw in enumerate(lines[2:], start=2):
        line = raw.strip()
        if not line:
            continue
        if " = " in line or line.endswith("="):
            key, _, value = line.partition("=")
            header[key.strip()] = value.strip()
            continue
        if _COLUMN_HEADER.match(line) and "," in line and ":" not in line.split(",")[0]:
            # column header: the next non-blank line must be numeric
            nxt = next((ln for ln in lines[i + 1:] if ln.strip()), "")
            delim = sniff_delimiter([line])
            fields = split_fields(nxt, delim)
            if fields and parse_number(fields[0], False) is not None or not nxt:
                header_idx = i
                break
        key, sep, value = line.partition(":")
        if sep:
            header[key.strip()] = value.strip()
    if header_idx is None:
        raise FileFormatError(located(
            "CH Instruments export without a column header (expected a line such as "
            "'Freq/Hz, Z'/ohm, Z\"/ohm' or 'Potential/V, Current/A')", file=source))
    delim = sniff_delimiter([lines[header_idx]]) or ","
    data_lines = [ln for ln in lines[header_idx + 1:header_idx + 40] if ln.strip()]
    decimal_comma = uses_decimal_comma(data_lines, delim)
    table = Table(headers=split_fields(lines[header_idx], delim), start=header_idx + 1,
                  stop=len(lines), delimiter=delim, decimal_comma=decimal_comma,
                  header_line=header_idx + 1)
    for key, value in header.items():
        canon = _CANONICAL.get(key.lower())
        number = meta_float(value)
        if canon and number is not None:
            meta[canon] = number
    if "Instrument Model" in header:
        meta["instrument"] = header["Instrument Model"]
    if kind == "chrono" and "init_e_v" in meta:
        meta["potential_applied_v"] = meta["init_e_v"]
    meta["header"] = {snake_key(k): v for k, v in header.items()}
    return Parsed(format="chi", technique=technique, kind=kind,
                  technique_line=2 if technique else None, lines=lines, table=table,
                  meta=meta)
