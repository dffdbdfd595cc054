"""The public readers: one call per measurement, any supported format.

Every reader returns a :class:`pandas.DataFrame` in file order, with unit-named columns
and the file's metadata in ``df.attrs``: ``source`` (path), ``format``, ``technique``,
``n_rows_dropped`` and ``dropped_lines`` (rows dropped with a warning), ``columns_used``
(output column -> header it came from), ``units_assumed`` (output columns whose header
gave no unit), ``header`` (raw header entries) and canonical keys such as
``amplitude_v``, ``freq_high_hz``, ``freq_low_hz``, ``init_e_v``, ``scan_rate_v_s``,
``potential_applied_v``, ``date``, ``instrument`` when the header gives them.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionopt.errors import DataError, FileFormatError, located

from . import biologic, chi, gamry, generic, mpr, parstat, zview
from ._columns import SPECS, parse_header, unit_factor
from ._parsed import KINDS, Parsed
from ._table import Extracted, extract, split_fields, user_stacklevel
from ._text import read_bytes
from .detect import FORMATS, _detect_raw

__all__ = ["read_eis", "read_lsv", "read_chrono", "read_tensile", "read_tga"]

_TEXT_PARSERS = {
    "chi": chi.parse,
    "biologic": biologic.parse,
    "gamry": gamry.parse,
    "zview": zview.parse_zplot,
    "z60w": zview.parse_z60w,
    "parstat": parstat.parse,
    "csv": generic.parse_text,
}
_READER_FOR = {"eis": "read_eis", "lsv": "read_lsv", "chrono": "read_chrono"}
_ELECTROCHEM_FORMATS = {"chi", "biologic", "gamry", "zview", "z60w", "parstat", "mpr"}
Columns = Mapping[str, "str | int"]


# ----------------------------------------------------------------------------- loading
def _load(path: str | Path, fmt: str, sheet: str | int | None, kind: str) -> Parsed:
    p = Path(path)
    if fmt != "auto" and fmt not in FORMATS:
        raise FileFormatError(located(
            f"unknown format {fmt!r}; expected 'auto' or one of {', '.join(FORMATS)}",
            file=p))
    raw = read_bytes(p)
    detected, text = _detect_raw(raw, p)
    fmt = detected if fmt == "auto" else fmt
    if fmt == "excel":
        parsed = generic.parse_excel(p, sheet)
    elif fmt == "mpr":
        parsed = mpr.parse(p)
    else:
        if text is None:
            raise FileFormatError(located(
                f"is a binary file, not a {fmt} text export", file=p))
        parsed = _TEXT_PARSERS[fmt](text, p)
        parsed.table.last_line_complete = text.endswith("\n")
    if kind in ("tensile", "tga") and parsed.format in _ELECTROCHEM_FORMATS:
        raise FileFormatError(located(
            f"is an electrochemistry file ({parsed.format}"
            f"{', ' + parsed.technique if parsed.technique else ''}), but "
            f"read_{kind} expects {KINDS[kind]} (CSV/TSV/.xlsx with a header row)", file=p))
    if parsed.kind is not None and parsed.kind != kind:
        hint = _READER_FOR.get(parsed.kind)
        raise FileFormatError(located(
            f"this is {KINDS[parsed.kind]} ({parsed.technique!r}), but read_{kind} "
            f"expects {KINDS[kind]}" + (f"; use {hint}()" if hint else ""),
            file=p, line=parsed.technique_line))
    return parsed


# ----------------------------------------------------------------------------- columns
def _source(parsed: Parsed, path: str | Path) -> str:
    return f"{path}[{parsed.meta['sheet']}]" if "sheet" in parsed.meta else str(path)


def _n_columns(parsed: Parsed) -> int:
    t = parsed.table
    first = next(ln for ln in parsed.lines[t.start:] if ln.strip())
    return len(split_fields(first, t.delimiter))


def _resolve(parsed: Parsed, kind: str, columns: Columns | None, source: str
             ) -> tuple[dict[str, int], dict[str, float], dict[str, str | None]]:
    """Output column -> (column index, sign * unit factor, unit as written)."""
    spec = SPECS[kind]
    headers = parsed.table.headers
    parsed_h = [parse_header(h) for h in headers]
    index: dict[str, int] = {}
    sign: dict[str, float] = {}
    for out, names in spec.names.items():
        for j, h in enumerate(parsed_h):
            if h.name in names and j not in index.values():
                index[out], sign[out] = j, (-1.0 if h.negated else 1.0)
                break
    if columns:
        index, sign = _apply_mapping(parsed, kind, columns, source, index, sign)
    elif not headers and kind == "eis" and _n_columns(parsed) == 3:
        index = {"freq_hz": 0, "z_real_ohm": 1, "z_imag_ohm": 2}
        sign = dict.fromkeys(index, 1.0)
        parsed.meta["columns_assumed"] = "f (Hz), Z' (ohm), Z'' (ohm): file has no header"
    _check_complete(parsed, kind, index, source)
    if kind == "eis" and "z_real_ohm" in index and "z_imag_ohm" in index:
        index.pop("z_mod_ohm", None)
        index.pop("phase_deg", None)
    factor: dict[str, float] = {}
    units: dict[str, str | None] = {}
    for out, j in index.items():
        h = parsed_h[j] if j < len(parsed_h) else None
        unit = h.unit if h is not None else None
        fam = spec.families[out]
        f = unit_factor(unit, fam)
        if f is None:
            raise FileFormatError(located(
                f"column {headers[j]!r} is in {unit!r}, which cannot be converted for "
                f"{out}", file=source, line=parsed.table.header_line))
        factor[out] = sign[out] * f
        units[out] = unit
    return index, factor, units


def _apply_mapping(parsed: Parsed, kind: str, columns: Columns, source: str,
                   index: dict[str, int], sign: dict[str, float]
                   ) -> tuple[dict[str, int], dict[str, float]]:
    spec = SPECS[kind]
    allowed = set(spec.names) | ({"neg_z_imag_ohm"} if kind == "eis" else set())
    headers = parsed.table.headers
    lowered = [h.strip().lower() for h in headers]
    index, sign = dict(index), dict(sign)
    for out, col in columns.items():
        if out not in allowed:
            raise DataError(located(
                f"columns= maps unknown output {out!r}; expected one of "
                f"{', '.join(sorted(allowed))}", file=source))
        if isinstance(col, (int, np.integer)) and not isinstance(col, bool):
            j = int(col)
            if not 0 <= j < max(len(headers), _n_columns(parsed)):
                raise FileFormatError(located(
                    f"columns= gives column index {j} for {out}, but the table has "
                    f"{max(len(headers), _n_columns(parsed))} columns", file=source,
                    line=parsed.table.header_line))
        else:
            name = str(col).strip()
            if name in headers:
                j = headers.index(name)
            elif name.lower() in lowered:
                j = lowered.index(name.lower())
            else:
                raise FileFormatError(located(
                    f"columns= names {name!r} for {out}, but the header has "
                    f"{[h for h in headers][:20]}", file=source,
                    line=parsed.table.header_line))
        negated = j < len(headers) and parse_header(headers[j]).negated
        s = -1.0 if negated else 1.0
        if out == "neg_z_imag_ohm":
            out, s = "z_imag_ohm", -1.0
        # an explicit mapping replaces whatever the header recognition chose
        for k in [k for k, v in index.items() if v == j and k != out]:
            del index[k]
        index[out], sign[out] = j, s
    return index, sign


def _check_complete(parsed: Parsed, kind: str, index: dict[str, int], source: str) -> None:
    spec = SPECS[kind]
    missing = [c for c in spec.required if c not in index]
    groups_ok = (not spec.alternatives
                 or any(all(c in index for c in g) for g in spec.alternatives))
    if not missing and groups_ok:
        return
    want = list(missing)
    if not groups_ok:
        want.append(" or ".join("+".join(g) for g in spec.alternatives))
    headers = parsed.table.headers
    found = (f"the header has {headers[:20]}" if headers
             else f"the table has no header row ({_n_columns(parsed)} columns)")
    raise FileFormatError(located(
        f"cannot find {', '.join(want)} for {KINDS[kind]}: {found}; recognised names "
        f"include {_examples(kind)}; pass columns={{...}} to map them explicitly",
        file=source, line=parsed.table.header_line))


def _examples(kind: str) -> str:
    return {
        "eis": "'Freq/Hz', 'Frequency (Hz)', \"Z'\", 'Zre', 'Re(Z)/Ohm', \"Z''\", 'Zim', "
               "'-Im(Z)/Ohm', '|Z|', 'Phase'",
        "lsv": "'Potential/V', 'Ewe/V', 'Vf', 'Current/A', '<I>/mA', 'Im', 'Time/s'",
        "chrono": "'Time/sec', 'time/s', 'T', 'Current/A', 'I/mA', 'Im'",
        "tensile": "'Strain (%)', 'Stress (MPa)', 'Force (N)', 'Load (N)', "
                   "'Extension (mm)', 'Displacement (mm)'",
        "tga": "'Temperature (°C)', 'Temp./°C', 'Mass (%)', 'Weight (mg)', 'Time (min)'",
    }[kind]


# ----------------------------------------------------------------------------- frames
def _read(path: str | Path, fmt: str, kind: str, columns: Columns | None,
          sheet: str | int | None, what: str
          ) -> tuple[Parsed, Extracted, dict[str, np.ndarray], dict[str, str | None], str]:
    parsed = _load(path, fmt, sheet, kind)
    source = _source(parsed, path)
    index, factor, units = _resolve(parsed, kind, columns, source)
    ex = extract(parsed.lines, parsed.table, index, source=source, what=what)
    values = {out: ex.columns[out] * factor[out] for out in index}
    headers = parsed.table.headers
    parsed.meta["columns_used"] = {
        out: (headers[j] if j < len(headers) else f"column {j + 1}")
        for out, j in index.items()}
    return parsed, ex, values, units, source


def _attrs(df: pd.DataFrame, parsed: Parsed, ex: Extracted, path: str | Path,
           units: dict[str, str | None], outputs: list[str]) -> pd.DataFrame:
    attrs: dict[str, Any] = {
        "source": str(path),
        "format": parsed.format,
        "technique": parsed.technique,
    }
    attrs.update({k: v for k, v in parsed.meta.items()})
    attrs["n_rows_dropped"] = ex.n_dropped
    attrs["dropped_lines"] = ex.dropped_lines()
    attrs["units_assumed"] = [o for o in outputs if o in units and units[o] is None]
    df.attrs.update(attrs)
    return df


def read_eis(path: str | Path, format: str = "auto", *, columns: Columns | None = None,
             sheet: str | int | None = None) -> pd.DataFrame:
    """Read an impedance spectrum.

    Parameters
    ----------
    path : str or Path
        CH Instruments ``.txt``, BioLogic ``.mpt`` (or ``.mpr`` with galvani), Gamry
        ``.DTA``, ZPlot/ZView ``.z``, Z60W, Parstat text, or a CSV/TSV/``.xlsx`` table.
    format : str, default "auto"
        ``"auto"`` (detected from content) or one of
        :data:`ionopt.analysis.io.detect.FORMATS`.
    columns : mapping, optional
        Explicit output -> header (or 0-based index) mapping for generic tables, keys
        ``freq_hz``, ``z_real_ohm``, ``z_imag_ohm`` (signed Z''), ``neg_z_imag_ohm``
        (a column holding -Z''), ``z_mod_ohm``, ``phase_deg``.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` workbook (first sheet by default).

    Returns
    -------
    pandas.DataFrame
        ``freq_hz`` (Hz), ``z_real_ohm`` (ohm), ``z_imag_ohm`` (ohm, signed: negative for
        capacitive behaviour), rows in file order. ``attrs`` holds the metadata (see the
        module docstring), plus ``duplicate_freq_lines`` when frequencies repeat.

    Raises
    ------
    FileFormatError
        Missing/empty/binary file, a file of another technique, missing columns,
        non-numeric cells before the last row, frequencies that are not positive.

    Warns
    -----
    UserWarning
        Rows dropped (truncated last row, NaN/inf) and repeated frequencies.
    """
    parsed, ex, v, units, source = _read(path, format, "eis", columns, sheet,
                                         "impedance data")
    lines = ex.lines
    if "z_real_ohm" in v and "z_imag_ohm" in v:
        zr, zi = v["z_real_ohm"], v["z_imag_ohm"]
    else:
        phase = np.deg2rad(v["phase_deg"])
        zr, zi = v["z_mod_ohm"] * np.cos(phase), v["z_mod_ohm"] * np.sin(phase)
        parsed.meta["z_from"] = "modulus and phase"
    f = v["freq_hz"]
    bad = np.flatnonzero(f <= 0)
    if bad.size:
        raise FileFormatError(located(
            f"frequency must be > 0 Hz, found {f[bad[0]]:g}", file=source,
            line=int(lines[bad[0]])))
    _, first_idx, counts = np.unique(f, return_index=True, return_counts=True)
    dup_lines: list[int] = []
    if (counts > 1).any():
        seen = np.zeros(f.size, dtype=bool)
        seen[first_idx] = True
        dup_lines = [int(n) for n in lines[~seen]]
        warnings.warn(located(
            f"{len(dup_lines)} repeated frequency value(s) at line(s) "
            f"{', '.join(map(str, dup_lines[:10]))}; rows kept in file order",
            file=source), stacklevel=user_stacklevel())
    df = pd.DataFrame({"freq_hz": f, "z_real_ohm": zr, "z_imag_ohm": zi})
    out = ["freq_hz", "z_real_ohm", "z_imag_ohm"]
    if "z_real_ohm" not in v:
        units = {"freq_hz": units["freq_hz"], "z_real_ohm": units["z_mod_ohm"],
                 "z_imag_ohm": units["z_mod_ohm"]}
    _attrs(df, parsed, ex, path, units, out)
    df.attrs["duplicate_freq_lines"] = dup_lines
    return df


def _simple(path: str | Path, fmt: str, kind: str, columns: Columns | None,
            sheet: str | int | None, what: str, order: list[str]) -> tuple[pd.DataFrame,
                                                                        Parsed, dict]:
    parsed, ex, v, units, source = _read(path, fmt, kind, columns, sheet, what)
    df = pd.DataFrame({k: v[k] for k in order if k in v})
    _attrs(df, parsed, ex, path, units, list(df.columns))
    return df, parsed, units


def read_lsv(path: str | Path, format: str = "auto", *, columns: Columns | None = None,
             sheet: str | int | None = None) -> pd.DataFrame:
    """Read a linear sweep voltammogram.

    Parameters
    ----------
    path : str or Path
        CHI ``Linear Sweep Voltammetry`` export, BioLogic LSV ``.mpt``, Gamry LSV
        ``.DTA``, or a CSV/TSV/``.xlsx`` table.
    format : str, default "auto"
        As for :func:`read_eis`.
    columns : mapping, optional
        Output -> header (or index): ``potential_v``, ``current_a``, ``time_s``.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` workbook.

    Returns
    -------
    pandas.DataFrame
        ``potential_v`` (V), ``current_a`` (A), and ``time_s`` (s) when present; attrs
        include ``scan_rate_v_s`` (V/s) when the header gives it.

    Raises
    ------
    FileFormatError
        As for :func:`read_eis`.
    """
    df, _, _ = _simple(path, format, "lsv", columns, sheet, "voltammetry data",
                       ["potential_v", "current_a", "time_s"])
    return df


def read_chrono(path: str | Path, format: str = "auto", *, columns: Columns | None = None,
                sheet: str | int | None = None) -> pd.DataFrame:
    """Read a chronoamperometry (current vs time at fixed potential) record.

    Parameters
    ----------
    path : str or Path
        CHI ``Amperometric i-t Curve`` export, BioLogic CA ``.mpt``, Gamry CHRONOA
        ``.DTA``, or a CSV/TSV/``.xlsx`` table.
    format : str, default "auto"
        As for :func:`read_eis`.
    columns : mapping, optional
        Output -> header (or index): ``time_s``, ``current_a``, ``potential_v``.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` workbook.

    Returns
    -------
    pandas.DataFrame
        ``time_s`` (s), ``current_a`` (A), and ``potential_v`` (V) when present; attrs
        include ``potential_applied_v`` when the header gives it.
    """
    df, _, _ = _simple(path, format, "chrono", columns, sheet, "chronoamperometry data",
                       ["time_s", "current_a", "potential_v"])
    return df


def read_tensile(path: str | Path, format: str = "auto", *,
                 columns: Columns | None = None,
                 sheet: str | int | None = None) -> pd.DataFrame:
    """Read a tensile test table.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/``.xlsx`` with a header row (a units row under it is merged).
    format : str, default "auto"
        ``"auto"``, ``"csv"`` or ``"excel"``.
    columns : mapping, optional
        Output -> header (or index): ``strain_pct``, ``stress_mpa``, ``force_n``,
        ``displacement_mm``, ``time_s``.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` workbook.

    Returns
    -------
    pandas.DataFrame
        ``strain_pct`` (%) and ``stress_mpa`` (MPa) when the file has them, and/or
        ``force_n`` (N) and ``displacement_mm`` (mm) when it has those (geometry is
        not guessed: the caller converts), plus ``time_s`` when present. Strain given
        as a fraction (``mm/mm``) is converted to %; a strain column without a unit is
        taken as % and listed in ``attrs["units_assumed"]``.
    """
    df, _, _ = _simple(path, format, "tensile", columns, sheet, "tensile data",
                       ["strain_pct", "stress_mpa", "force_n", "displacement_mm",
                        "time_s"])
    return df


def read_tga(path: str | Path, format: str = "auto", *, columns: Columns | None = None,
             sheet: str | int | None = None) -> pd.DataFrame:
    """Read a thermogravimetric analysis table.

    Parameters
    ----------
    path : str or Path
        CSV/TSV/``.xlsx`` with a header row (Netzsch-style ``##Temp./°C;Mass/%``
        headers included).
    format : str, default "auto"
        ``"auto"``, ``"csv"`` or ``"excel"``.
    columns : mapping, optional
        Output -> header (or index): ``temperature_c``, ``mass_pct``, ``time_s``.
    sheet : str or int, optional
        Sheet of an ``.xlsx`` workbook.

    Returns
    -------
    pandas.DataFrame
        ``temperature_c`` (°C; kelvin converted), ``mass_pct`` (% of the initial mass),
        and ``time_s`` (s) when present. A mass column in mg/g/µg is converted to % of
        the first point: ``attrs["mass_converted_from"]`` names the unit and
        ``attrs["initial_mass_mg"]`` the reference mass.

    Raises
    ------
    FileFormatError
        As for :func:`read_eis`, and when an absolute mass starts at zero.
    """
    df, parsed, units = _simple(path, format, "tga", columns, sheet, "TGA data",
                                ["temperature_c", "mass_pct", "time_s"])
    if units.get("temperature_c") == "K":
        df["temperature_c"] = df["temperature_c"] - 273.15
        df.attrs["temperature_converted_from"] = "K"
    mass_unit = units.get("mass_pct")
    to_mg = {"mg": 1.0, "g": 1e3, "ug": 1e-3, "µg": 1e-3}
    if mass_unit in to_mg:
        m0 = float(df["mass_pct"].iloc[0])
        if m0 <= 0:
            raise FileFormatError(located(
                f"mass in {mass_unit} starts at {m0:g}; cannot express it as % of the "
                "initial mass", file=df.attrs["source"],
                line=parsed.table.header_line))
        df["mass_pct"] = df["mass_pct"] / m0 * 100.0
        df.attrs["mass_converted_from"] = mass_unit
        df.attrs["initial_mass_mg"] = m0 * to_mg[mass_unit]
        df.attrs["mass_pct_reference"] = "first data point"
    return df
