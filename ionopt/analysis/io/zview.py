"""Scribner ZPlot/ZView ``.z`` files and the older Z60W text format.

``.z``: first line ``ZPLOT2 ASCII``, an indented ``Key: value`` block, ``End Comments``,
then rows ``Freq(Hz) Ampl Bias Time(Sec) Z'(a) Z''(b) GD Err Range`` (Z'' signed).

Z60W: quoted lines (``"Z60W Data File: Version 1.1"``, blanks), a parameter line, the
point count, a quoted header ``"  Freq (Hz)  Ampl  Bias  Time(Sec)  Z'(a)  Z''(b) ..."``
and comma-separated rows with the same column order.
"""

from __future__ import annotations

from ionopt.errors import FileFormatError, located

from ._parsed import Parsed, meta_float, snake_key
from ._table import Table, sniff_delimiter, uses_decimal_comma

__all__ = ["looks_like_zplot", "looks_like_z60w", "parse_zplot", "parse_z60w"]

_COLUMNS = ["Freq(Hz)", "Ampl", "Bias", "Time(Sec)", "Z'(a)/ohm", "Z''(b)/ohm", "GD",
            "Err", "Range"]


def looks_like_zplot(lines: list[str]) -> bool:
    """True for a ZPlot/ZView ``.z`` file."""
    return bool(lines) and lines[0].strip().upper().startswith("ZPLOT2 ASCII")


def looks_like_z60w(lines: list[str]) -> bool:
    """True for a Z60W data file."""
    return bool(lines) and lines[0].strip().strip('"').upper().startswith("Z60W DATA FILE")


def _table(lines: list[str], start: int, source: object, header_line: int) -> Table:
    body = [ln for ln in lines[start:start + 40] if ln.strip()]
    if not body:
        raise FileFormatError(located("no impedance data rows after the header",
                                      file=source, line=header_line))
    delim = sniff_delimiter(body)
    if delim not in ("\t", ",", ";"):
        delim = None
    return Table(headers=list(_COLUMNS), start=start, stop=len(lines), delimiter=delim,
                 decimal_comma=uses_decimal_comma(body, delim), header_line=header_line)


def parse_zplot(text: str, source: object) -> Parsed:
    """Locate metadata and data rows of a ``.z`` file.

    Raises
    ------
    FileFormatError
        When there is no ``End Comments`` line or no data after it.
    """
    lines = text.split("\n")
    end = next((i for i, ln in enumerate(lines) if ln.strip() == "End Comments"), None)
    if end is None:
        raise FileFormatError(located(
            "ZPlot file without an 'End Comments' line before the data", file=source))
    header: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if sep:
            header.setdefault(key.strip(), value.strip())
    exp = header.get("Experiment Type")
    kind = "eis" if exp is None or "frequency" in exp.lower() else "other"
    meta: dict[str, object] = {}
    for key, canon in (("Date", "date"),):
        if key in header:
            meta[canon] = header[key] + (f" {header['Time']}" if "Time" in header else "")
    for key, canon, factor in (("vs Freq-Initial", "f_initial_hz", 1.0),
                               ("vs Freq-Final", "f_final_hz", 1.0),
                               ("Potential-AC", "amplitude_v", 1e-3),
                               ("Potential-DC", "init_e_v", 1.0),
                               ("Open Circuit Potential (V)", "ocp_v", 1.0)):
        value = meta_float(header.get(key))
        if value is not None:
            meta[canon] = value * factor
    if "f_initial_hz" in meta and "f_final_hz" in meta:
        meta["freq_high_hz"] = max(meta["f_initial_hz"], meta["f_final_hz"])
        meta["freq_low_hz"] = min(meta["f_initial_hz"], meta["f_final_hz"])
    meta["header"] = {snake_key(k): v for k, v in header.items()}
    return Parsed(format="zview", technique=exp or "Sweep Frequency", kind=kind,
                  technique_line=None, lines=lines,
                  table=_table(lines, end + 1, source, end + 1), meta=meta)


def parse_z60w(text: str, source: object) -> Parsed:
    """Locate the header and data rows of a Z60W file.

    Raises
    ------
    FileFormatError
        When the quoted ``Freq`` header line is missing.
    """
    lines = text.split("\n")
    at = next((i for i, ln in enumerate(lines)
               if ln.strip().startswith('"') and "freq" in ln.lower()), None)
    if at is None:
        raise FileFormatError(located(
            "Z60W file without its quoted 'Freq (Hz) ... Z'(a) Z''(b)' header line",
            file=source))
    meta: dict[str, object] = {}
    if at >= 1:
        count = meta_float(lines[at - 1])
        if count is not None:
            meta["n_points_declared"] = int(count)
    return Parsed(format="z60w", technique="Sweep Frequency", kind="eis",
                  technique_line=None, lines=lines,
                  table=_table(lines, at + 1, source, at + 1), meta=meta)
