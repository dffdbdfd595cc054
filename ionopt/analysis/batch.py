"""From a manifest of raw files to one targets row per sample.

A *manifest* is a CSV with one row per measured file::

    sample_id,kind,file,thickness_um,diameter_mm,temperature_c,active_mass_mg
    CSE-40,eis,raw/eis_cse40_25c.txt,200,10,25,
    CSE-40,lsv,raw/lsv_cse40.txt,,10,,
    CSE-40,cycling,raw/lfp_cse40.csv,,,,3.2

:func:`analyze_manifest` reads each file with the right reader
(:mod:`ionopt.analysis.io`), runs the analysis of its ``kind``, and gathers the results
into the targets table (ARCHITECTURE.md: the contract between analysis, surrogates and
optimizer). :func:`analyze_file` does the same for one file and is what the
``ionopt analyze`` commands call.

Manifest columns
----------------
Required: ``sample_id``, ``kind``, ``file``. Blank lines and lines starting with ``#``
are skipped. Relative paths are resolved against the manifest's folder (or
``base_dir``). Column names are case-insensitive.

Per kind, the columns it reads and the targets it gives:

* ``eis`` (blocking cell): ``thickness_um`` (required), ``area_cm2`` or
  ``diameter_mm`` (one required), ``temperature_c`` -> ``conductivity_s_cm`` (mean of the
  replicates at the reference temperature, default 25 ± 2 °C) and ``temperature_c``; and
  ``activation_energy_ev`` from an Arrhenius fit when the sample has EIS at >= 2
  temperatures (>= 3 points in all).
* ``lsv``: ``area_cm2`` or ``diameter_mm`` (required), ``threshold_ma_cm2`` ->
  ``stability_window_v``.
* ``transference``: ``file`` is the chronoamperogram; ``delta_v`` (V; default: the
  applied potential in the file header); ``r0_ohm`` or ``eis_before`` (a file); ``rss_ohm``
  (alias ``rs_ohm``) or ``eis_after`` (a file) -> ``transference_number``.
* ``tensile``: ``width_mm``, ``thickness_um``, ``gauge_length_mm`` (only for
  force-displacement files) -> ``tensile_strength_mpa``, ``youngs_modulus_mpa``,
  ``elongation_at_break_pct``.
* ``tga`` -> ``decomposition_temp_c`` (T at 5 % mass loss).
* ``cycling`` (a Maccor/Arbin/BioLogic export): ``active_mass_mg``, ``reference_cycle``,
  ``retention_cycle`` -> ``capacity_mah_g`` (discharge capacity of the retention cycle,
  by default the last: the "after N cycles" figure papers quote),
  ``capacity_retention_pct``, ``coulombic_efficiency_pct``.
* ``symmetric`` (Li | electrolyte | Li cycling) -> ``short_circuit_h`` (missing when the
  cell did not short; ``qc`` then says for how long it cycled).

``arrhenius`` is not a manifest kind: it is derived from a sample's ``eis`` rows.
``temperature_c`` may be given for any row; an ``eis`` row without it is taken to be at
the reference temperature (said in ``qc``). Interfacial resistances from
``eis_before``/``eis_after`` spectra of the Li | electrolyte | Li cell are taken model-free
as the real-axis width of the interfacial arc
(see :func:`ionopt.analysis.eis.interfacial_resistance_ohm`).
"""

from __future__ import annotations

import csv
import io
import math
import os
import warnings as _warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError, DataError, IonoptError, located

__all__ = [
    "KINDS",
    "TARGETS",
    "MANIFEST_COLUMNS",
    "BatchResult",
    "analyze_file",
    "analyze_manifest",
    "read_manifest",
]

#: Joins QC messages in one cell of a table. Not "; ": analysis warnings contain it.
QC_SEPARATOR = " | "

#: Measurement kinds a manifest row may name.
KINDS = ("eis", "lsv", "transference", "tensile", "tga", "cycling", "symmetric")
#: Target columns of the targets table, in output order.
TARGETS = ("conductivity_s_cm", "activation_energy_ev", "transference_number",
           "stability_window_v", "tensile_strength_mpa", "youngs_modulus_mpa",
           "elongation_at_break_pct", "decomposition_temp_c", "capacity_mah_g",
           "coulombic_efficiency_pct", "capacity_retention_pct", "short_circuit_h",
           "temperature_c")
_REQUIRED = ("sample_id", "kind", "file")
#: Numeric manifest columns and the check each value must pass.
_NUMERIC = {
    "thickness_um": "positive", "area_cm2": "positive", "diameter_mm": "positive",
    "temperature_c": "celsius", "active_mass_mg": "positive", "width_mm": "positive",
    "gauge_length_mm": "positive", "delta_v": "nonzero", "r0_ohm": "non_negative",
    "rss_ohm": "non_negative", "threshold_ma_cm2": "positive",
    "reference_cycle": "cycle", "retention_cycle": "cycle",
}
_ALIASES = {"rs_ohm": "rss_ohm"}
_FILES = ("eis_before", "eis_after")
#: Every column a manifest may hold.
MANIFEST_COLUMNS = _REQUIRED + tuple(_NUMERIC) + tuple(_ALIASES) + _FILES
#: Manifest columns each kind reads (beyond sample_id, kind, file, temperature_c).
_PARAMS = {
    "eis": ("thickness_um", "area_cm2", "diameter_mm"),
    "lsv": ("area_cm2", "diameter_mm", "threshold_ma_cm2"),
    "transference": ("delta_v", "r0_ohm", "rss_ohm", "eis_before", "eis_after"),
    "tensile": ("width_mm", "thickness_um", "gauge_length_mm"),
    "tga": (),
    "cycling": ("active_mass_mg", "reference_cycle", "retention_cycle"),
    "symmetric": (),
}
#: target column -> (kind, result attribute) for the targets taken straight from a result.
_DIRECT = {
    "transference_number": ("transference", "transference_number"),
    "stability_window_v": ("lsv", "stability_window_v"),
    "tensile_strength_mpa": ("tensile", "tensile_strength_mpa"),
    "youngs_modulus_mpa": ("tensile", "youngs_modulus_mpa"),
    "elongation_at_break_pct": ("tensile", "elongation_at_break_pct"),
    "decomposition_temp_c": ("tga", "decomposition_temp_c"),
    "capacity_mah_g": ("cycling", "final_discharge_capacity_mah_g"),
    "coulombic_efficiency_pct": ("cycling", "coulombic_efficiency_pct"),
    "capacity_retention_pct": ("cycling", "capacity_retention_pct"),
    "short_circuit_h": ("symmetric", "short_circuit_h"),
}
_ZERO_C_K = 273.15


def kind_targets(kind: str) -> tuple[str, ...]:
    """Targets-table columns one file of ``kind`` gives (``eis``: conductivity)."""
    if kind == "eis":
        return ("conductivity_s_cm",)
    return tuple(t for t, (k, _) in _DIRECT.items() if k == kind)


def target_values(kind: str, result: AnalysisResult) -> dict[str, float]:
    """The finite target values of one file's analysis result, by targets-table column."""
    sources = {"conductivity_s_cm": "conductivity_s_cm"} if kind == "eis" else {
        t: attribute for t, (k, attribute) in _DIRECT.items() if k == kind}
    values = {}
    for target, attribute in sources.items():
        value = getattr(result, attribute, None)
        if isinstance(value, (int, float, np.floating)) and math.isfinite(value):
            values[target] = float(value)
    return values

Progress = Callable[[int, int, str], None]


# ------------------------------------------------------------------------ one file
def _area(area_cm2: float | None, diameter_mm: float | None) -> float | None:
    """Electrode area in cm² from an area or a disc diameter (mm); None when neither."""
    if area_cm2 is not None and diameter_mm is not None:
        raise AnalysisError("area_cm2, diameter_mm: give one, not both")
    if diameter_mm is not None:
        return math.pi * (float(diameter_mm) / 20.0) ** 2
    return None if area_cm2 is None else float(area_cm2)


def _run_eis(path: Path, *, fmt: str = "auto", thickness_um: float | None = None, area_cm2: float | None = None,
             diameter_mm: float | None = None, **options: Any) -> AnalysisResult:
    from ionopt.analysis.eis import analyze_eis
    from ionopt.analysis.io import read_eis

    options = {k: v for k, v in options.items() if v is not None}
    return analyze_eis(read_eis(path, fmt), thickness_um, area_cm2=area_cm2,
                       diameter_mm=diameter_mm, **options)


def _run_lsv(path: Path, *, fmt: str = "auto", area_cm2: float | None = None, diameter_mm: float | None = None,
             **options: Any) -> AnalysisResult:
    from ionopt.analysis.io import read_lsv
    from ionopt.analysis.lsv import analyze_lsv

    area = _area(area_cm2, diameter_mm)
    if area is None:
        raise AnalysisError("area_cm2 or diameter_mm: required for LSV (the onset is a "
                            "current density)")
    options = {k: v for k, v in options.items() if v is not None}
    return analyze_lsv(read_lsv(path, fmt), area, source=str(path), **options)


def _resistance(value: float | None, eis_file: str | Path | None, name: str,
                warnings: list[str]) -> float:
    if value is not None and eis_file is not None:
        raise AnalysisError(f"{name}: give a value or an EIS file, not both")
    if value is not None:
        return float(value)
    if eis_file is None:
        raise AnalysisError(f"{name}: required (a value in ohm or an EIS file of the "
                            "Li | electrolyte | Li cell)")
    from ionopt.analysis.eis import interfacial_resistance_ohm
    from ionopt.analysis.io import read_eis

    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            spectrum = read_eis(eis_file)
        r, found = interfacial_resistance_ohm(spectrum)
    except IonoptError as err:
        message = str(err)
        if not message.startswith(str(eis_file)):
            message = f"{eis_file}: {message}"
        raise type(err)(f"{name} from {message}") from None
    name_ = Path(eis_file).name
    warnings.extend(f"{name} from {name_}: {w}" for w in
                    found + [str(c.message) for c in caught])
    return r


def _run_transference(path: Path, *, fmt: str = "auto", delta_v: float | None = None,
                      r0_ohm: float | None = None, rss_ohm: float | None = None,
                      eis_before: str | Path | None = None,
                      eis_after: str | Path | None = None, **options: Any) -> AnalysisResult:
    from ionopt.analysis.io import read_chrono
    from ionopt.analysis.transference import analyze_transference

    extra: list[str] = []
    r0 = _resistance(r0_ohm, eis_before, "r0_ohm", extra)
    rss = _resistance(rss_ohm, eis_after, "rss_ohm", extra)
    data = read_chrono(path, fmt)
    if delta_v is None:
        delta_v = data.attrs.get("potential_applied_v")
        if delta_v is None:
            raise AnalysisError("delta_v: not given and the file header states no applied "
                                "potential")
    options = {k: v for k, v in options.items() if v is not None}
    res = analyze_transference(data, delta_v=delta_v, r0_ohm=r0, rss_ohm=rss,
                               source=str(path), **options)
    res.warnings[:0] = extra
    return res


def _run_tensile(path: Path, *, fmt: str = "auto", **geometry: Any) -> AnalysisResult:
    from ionopt.analysis.io import read_tensile
    from ionopt.analysis.tensile import analyze_tensile

    return analyze_tensile(read_tensile(path, fmt), source=str(path), **geometry)


def _run_tga(path: Path, *, fmt: str = "auto", **options: Any) -> AnalysisResult:
    from ionopt.analysis.io import read_tga
    from ionopt.analysis.tga import analyze_tga

    options = {k: v for k, v in options.items() if v is not None}
    return analyze_tga(read_tga(path, fmt), source=str(path), **options)


def _run_cycling(path: Path, *, fmt: str = "auto", **options: Any) -> AnalysisResult:
    from ionopt.analysis.cycling import analyze_cycling
    from ionopt.analysis.io import read_cycling

    for name in ("reference_cycle", "retention_cycle"):
        if options.get(name) is not None:
            options[name] = int(options[name])
    options = {k: v for k, v in options.items() if v is not None}
    return analyze_cycling(read_cycling(path, fmt), source=str(path), **options)


def _run_symmetric(path: Path, *, fmt: str = "auto", **options: Any) -> AnalysisResult:
    """Li | Li cycling: a cycler export, or any table with time, potential and current."""
    from ionopt.analysis.io import read_chrono, read_cycling
    from ionopt.analysis.symmetric import analyze_symmetric
    from ionopt.errors import FileFormatError

    try:
        data = read_cycling(path, fmt)
    except FileFormatError:
        if fmt != "auto":  # the user named a cycler format: its error is the answer
            raise
        data = read_chrono(path)
        if "potential_v" not in data.columns:
            raise AnalysisError("no potential column: a symmetric-cell record needs time, "
                                "potential and (preferably) current") from None
    return analyze_symmetric(data[[c for c in ("time_s", "potential_v", "current_a")
                                   if c in data.columns]], source=str(path), **options)


_RUNNERS: dict[str, Callable[..., AnalysisResult]] = {
    "eis": _run_eis, "lsv": _run_lsv, "transference": _run_transference,
    "tensile": _run_tensile, "tga": _run_tga, "cycling": _run_cycling,
    "symmetric": _run_symmetric,
}


def analyze_file(path: str | os.PathLike[str], kind: str, *, format: str = "auto",
                 **params: Any) -> AnalysisResult:
    """Read one raw file with the reader for ``kind`` and analyze it.

    Parameters
    ----------
    path : str or Path
        The raw instrument file.
    kind : str
        One of :data:`KINDS`.
    format : str
        Reader format (``"auto"``: detected from the content; see
        :func:`ionopt.analysis.io.detect_format`).
    **params
        Geometry and options by their manifest names (``thickness_um``, ``area_cm2``,
        ``diameter_mm``, ``threshold_ma_cm2``, ``delta_v``, ``r0_ohm``, ``rss_ohm``,
        ``eis_before``, ``eis_after``, ``width_mm``, ``gauge_length_mm``,
        ``active_mass_mg``, ``reference_cycle``, ``retention_cycle``), and keyword
        options of the analysis function (e.g. ``direction`` for LSV, ``i0_method`` for
        transference, ``decomposition`` for TGA, ``subtract_series`` for EIS). ``None``
        values are left out.

    Returns
    -------
    AnalysisResult
        The analysis result; reader warnings (dropped rows, repeated frequencies) are
        appended to ``warnings`` and ``source`` is the file.

    Raises
    ------
    IonoptError
        An unknown kind, an unreadable file or one the analysis rejects; the message
        names the file.
    """
    kind = str(kind).strip().lower()
    if kind not in _RUNNERS:
        raise DataError(f"kind: unknown {kind!r}; expected one of {', '.join(KINDS)}")
    p = Path(path)
    try:
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            result = _RUNNERS[kind](p, fmt=format or "auto", **params)
    except IonoptError as err:
        raise type(err)(_name_file(str(err), p, str(p))) from None
    reader = [str(c.message) for c in caught if issubclass(c.category, UserWarning)]
    result.warnings.extend(w for w in reader if w not in result.warnings)
    result.source = str(p)
    return result


def _name_file(message: str, path: Path, shown: str) -> str:
    """``message`` starting with ``shown`` (the file as the user wrote it), once."""
    for prefix in (str(path), str(path.resolve())):
        if message.startswith(prefix):
            return shown + message[len(prefix):]
    if message.startswith(shown):
        return message
    return f"{shown}: {message}"


# ------------------------------------------------------------------------- manifest
@dataclass
class _Row:
    """One validated manifest row."""

    where: str                   # "manifest.csv:3"
    line: int | None
    sample_id: str
    kind: str
    file: str                    # as written
    path: Path                   # resolved
    temperature_c: float | None
    params: dict[str, Any]


def read_manifest(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a manifest CSV into strings, with the file line of each row in ``_line``.

    Parameters
    ----------
    path : str or Path
        CSV (comma, semicolon or tab separated; any common encoding), header first.
        Blank lines and lines starting with ``#`` are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per data line, all cells as stripped strings (blank -> ""), lower-case
        column names, plus ``_line`` (1-based line in the file).

    Raises
    ------
    DataError
        The file is missing, empty, or has no header; a required column is missing.
    """
    from ionopt.analysis.io import decode_file

    p = Path(path)
    if not p.is_file():
        raise DataError(located("no such manifest file", file=p))
    text = decode_file(p)
    lines = [(n, ln) for n, ln in enumerate(text.split("\n"), start=1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(located("manifest is empty; expected a header with "
                                f"{', '.join(_REQUIRED)}", file=p))
    header_no, header = lines[0]
    delimiter = max((",", ";", "\t"), key=header.count)
    rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in lines)),
                           delimiter=delimiter))
    columns = [c.strip().lower() for c in rows[0]]
    records = []
    for (n, _), cells in zip(lines[1:], rows[1:]):
        cells = [c.strip() for c in cells]
        if len(cells) > len(columns) and any(cells[len(columns):]):
            raise DataError(located(f"{len(cells)} cells but the header has {len(columns)} "
                                    "columns", file=p, line=n))
        cells = (cells + [""] * len(columns))[: len(columns)]
        records.append(dict(zip(columns, cells), _line=n))
    table = pd.DataFrame(records, columns=columns + ["_line"], dtype=object)
    _check_columns(table, str(p), header_no)
    return table


def _check_columns(table: pd.DataFrame, where: str, line: int | None) -> None:
    missing = [c for c in _REQUIRED if c not in table.columns]
    if missing:
        raise DataError(located(
            f"missing column(s) {', '.join(missing)}; the manifest needs "
            f"{', '.join(_REQUIRED)} (found {', '.join(map(str, table.columns))})",
            file=where, line=line))


def _blank(value: Any) -> bool:
    """True for an empty manifest cell: None, NaN, pd.NA or only whitespace."""
    if isinstance(value, str):
        return value.strip() == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or other non-scalar: not blank
        return False


def _number(value: Any, column: str, rule: str) -> float:
    """A manifest cell as a number that passes ``rule``; DataError naming what is wrong."""
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise DataError(f"{column}: expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise DataError(f"{column}: expected a finite number, got {value!r}")
    bad = {"positive": number <= 0, "non_negative": number < 0, "nonzero": number == 0,
           "celsius": number <= -_ZERO_C_K,
           "cycle": number < 0 or number != round(number)}[rule]
    if bad:
        expected = {"positive": "a number > 0", "non_negative": "a number >= 0",
                    "nonzero": "a non-zero number", "celsius": "a temperature above "
                    "-273.15 °C", "cycle": "a whole cycle number >= 0"}[rule]
        raise DataError(f"{column}: expected {expected}, got {value!r}")
    return number


def _resolve(value: str, base: Path) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else base / p


def _parse_row(raw: Mapping[str, Any], where: str, line: int | None,
               base: Path) -> tuple[_Row | None, list[str]]:
    """Validate one manifest row: the row, or None and one message per problem."""
    problems: list[str] = []

    def bad(column: str, message: str) -> None:
        problems.append(f"{where}: {column}: {message}")

    sample_id = "" if _blank(raw.get("sample_id")) else str(raw["sample_id"]).strip()
    if not sample_id:
        bad("sample_id", "missing")
    kind = "" if _blank(raw.get("kind")) else str(raw["kind"]).strip().lower()
    if kind not in KINDS:
        hint = (" (arrhenius is derived automatically from a sample's eis rows at several "
                "temperatures)" if kind == "arrhenius" else "")
        bad("kind", f"expected one of {', '.join(KINDS)}, got {kind!r}{hint}")
    values: dict[str, Any] = {}
    for column, rule in _NUMERIC.items():
        cell = raw.get(column)
        if _blank(cell):
            continue
        try:
            values[column] = _number(cell, column, rule)
        except DataError as err:
            problems.append(f"{where}: {err}")
    for alias, name in _ALIASES.items():
        if not _blank(raw.get(alias)):
            if name in values:
                bad(alias, f"give {name} or its alias {alias}, not both")
            else:
                try:
                    values[name] = _number(raw[alias], alias, _NUMERIC[name])
                except DataError as err:
                    problems.append(f"{where}: {err}")
    files: dict[str, Path] = {}
    for column in ("file",) + _FILES:
        if _blank(raw.get(column)):
            if column == "file":
                bad("file", "missing")
            continue
        written = str(raw[column]).strip()
        p = _resolve(written, base)
        if not p.is_file():
            bad(column, f"no such file {written!r}" + (f" (looked for {p})"
                                                       if str(p) != written else ""))
        files[column] = p
    if kind in KINDS and not problems:
        problems += [f"{where}: {m}" for m in _kind_problems(kind, values, files)]
    if problems:
        return None, problems
    params = {k: v for k, v in {**values, **files}.items()
              if k in _PARAMS[kind] and k != "file"}
    return _Row(where=where, line=line, sample_id=sample_id, kind=kind,
                file=str(raw["file"]).strip(), path=files["file"],
                temperature_c=values.get("temperature_c"), params=params), []


def _kind_problems(kind: str, values: dict[str, Any], files: dict[str, Path]) -> list[str]:
    """Columns a kind needs that the row lacks (or holds twice)."""
    out = []
    has_area = [c for c in ("area_cm2", "diameter_mm") if c in values]
    if kind in ("eis", "lsv") and not has_area:
        out.append(f"area_cm2 or diameter_mm: required for kind {kind}")
    if len(has_area) == 2 and kind in ("eis", "lsv"):
        out.append("area_cm2, diameter_mm: give one, not both")
    if kind == "eis" and "thickness_um" not in values:
        out.append("thickness_um: required for kind eis")
    if kind == "transference":
        for number, eis in (("r0_ohm", "eis_before"), ("rss_ohm", "eis_after")):
            if (number in values) == (eis in files):
                out.append(f"{number} or {eis}: give exactly one for kind transference")
    return out


# ---------------------------------------------------------------------------- batch
@dataclass
class BatchResult:
    """What :func:`analyze_manifest` found.

    Attributes
    ----------
    targets : pandas.DataFrame
        One row per sample: ``sample_id``, each of :data:`TARGETS` with ``<t>_std``
        (replicate standard deviation, NaN below 2 replicates) and ``<t>_n``
        (replicates), and ``qc``: ``"ok"`` or the warnings and errors joined by ``" | "``.
    measurements : pandas.DataFrame
        One row per manifest row, in manifest order (``line``, ``sample_id``, ``kind``,
        ``file``, ``temperature_c``, the result's quantities, ``method``, ``warnings``,
        ``error``: empty when the row was analyzed), then one ``kind="arrhenius"`` row
        per derived Arrhenius fit (``line`` missing).
    errors : list of str
        One message per problem, naming the manifest line, the file and the column.
    warnings : list of str
        Manifest-level notes (unknown columns).
    results : dict
        Manifest line (or row number) -> the :class:`AnalysisResult`, for figures.
    arrhenius : dict
        ``sample_id`` -> the :class:`ionopt.analysis.arrhenius.ArrheniusResult`.
    """

    targets: pd.DataFrame
    measurements: pd.DataFrame
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: dict[int, AnalysisResult] = field(default_factory=dict, repr=False)
    arrhenius: dict[str, AnalysisResult] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        """True when every manifest row was analyzed."""
        return not self.errors


@dataclass
class _Done:
    """One manifest row after analysis."""

    row: _Row
    result: AnalysisResult | None
    error: str | None
    extra_warnings: list[str]


def _load(manifest: pd.DataFrame | str | os.PathLike[str], base_dir: Any
          ) -> tuple[pd.DataFrame, str, Path, bool]:
    if isinstance(manifest, pd.DataFrame):
        table = manifest.copy()
        table.columns = [str(c).strip().lower() for c in table.columns]
        _check_columns(table, "manifest", None)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        return table, "manifest", base, False
    p = Path(manifest)
    table = read_manifest(p)
    base = Path(base_dir) if base_dir is not None else p.resolve().parent
    return table, str(manifest), base, True


def _location(label: str, from_file: bool, index: int, raw: Mapping[str, Any]
              ) -> tuple[str, int | None]:
    if from_file:
        line = int(raw["_line"])
        return f"{label}:{line}", line
    return f"{label} row {index + 1}", index + 1


def _analyze_row(row: _Row) -> _Done:
    extra = []
    if row.kind == "eis" and row.temperature_c is None:
        extra.append("temperature_c not given; taken as the reference temperature")
    try:
        result = analyze_file(row.path, row.kind, **row.params)
    except IonoptError as err:
        message = _name_file(str(err), row.path, row.file)
        return _Done(row, None, f"{row.where}: {message}", extra)
    except OSError as err:
        return _Done(row, None, f"{row.where}: {row.file}: cannot be read "
                                f"({err.strerror or err})", extra)
    return _Done(row, result, None, extra)


def analyze_manifest(manifest: pd.DataFrame | str | os.PathLike[str], *,
                     base_dir: str | os.PathLike[str] | None = None,
                     reference_temp_c: float = 25.0, temperature_tol_c: float = 2.0,
                     progress: Progress | None = None) -> BatchResult:
    """Analyze every raw file of a manifest and build the targets table.

    Parameters
    ----------
    manifest : pandas.DataFrame or str or Path
        The manifest (columns in the module docstring), or the path of its CSV.
    base_dir : str or Path, optional
        Folder that relative paths in ``file``, ``eis_before``, ``eis_after`` are
        resolved against. Default: the manifest's folder (the working directory for a
        DataFrame).
    reference_temp_c : float
        Temperature (°C) whose EIS replicates give ``conductivity_s_cm`` (default 25).
    temperature_tol_c : float
        How far (°C) an EIS temperature may be from the reference (default 2).
    progress : callable, optional
        Called as ``progress(done, total, label)`` after each manifest row (``label`` is
        the file), and once with ``done = 0`` before the first; the library never
        prints, so a front end draws the bar.

    Returns
    -------
    BatchResult

    Raises
    ------
    DataError
        The manifest cannot be read or misses a required column. Problems of single rows
        (unknown kind, missing file, bad geometry, a file the analysis rejects) do not
        raise: they are listed in ``errors`` and the sample's ``qc``, and the other rows
        are analyzed.
    """
    table, label, base, from_file = _load(manifest, base_dir)
    ref = float(reference_temp_c)
    tol = float(temperature_tol_c)
    notes = _unknown_columns(table, label)
    if table.empty:
        notes.append(f"{label}: no data rows; nothing to analyze")
    errors: list[str] = []
    rows: list[_Row] = []
    orphan: dict[str, list[str]] = {}  # sample_id -> row errors before analysis
    samples: dict[str, None] = {}       # in order of first appearance
    invalid: list[dict[str, Any]] = []   # measurement records of rows that failed checks
    for index, raw in enumerate(table.to_dict("records")):
        where, line = _location(label, from_file, index, raw)
        row, problems = _parse_row(raw, where, line, base)
        errors.extend(problems)
        sample = "" if _blank(raw.get("sample_id")) else str(raw["sample_id"]).strip()
        if sample:
            samples.setdefault(sample)
        if row is not None:
            rows.append(row)
        else:
            invalid.append(_invalid_measurement(raw, line, sample, problems))
            if sample:
                orphan.setdefault(sample, []).extend(problems)
    total = len(rows)
    if progress is not None:
        progress(0, total, "")
    done: list[_Done] = []
    for k, row in enumerate(rows, start=1):
        item = _analyze_row(row)
        if item.error:
            errors.append(item.error)
        done.append(item)
        if progress is not None:
            progress(k, total, row.file)
    arrhenius = {}
    targets = []
    derived_rows = []
    for sample in samples:
        mine = [d for d in done if d.row.sample_id == sample]
        record, fit = _sample_targets(sample, mine, orphan.get(sample, []), ref, tol)
        targets.append(record)
        if fit is not None:
            arrhenius[sample] = fit
            derived_rows.append(_measurement_of_fit(sample, fit))
    records = sorted([_measurement(d) for d in done] + invalid,
                     key=lambda r: r["line"] if r["line"] is not None else 0)
    measurements = pd.DataFrame(records + derived_rows)
    if "line" in measurements.columns:
        measurements["line"] = measurements["line"].astype("Int64")
    return BatchResult(
        targets=_targets_frame(targets), measurements=measurements, errors=errors,
        warnings=notes,
        results={d.row.line: d.result for d in done if d.result is not None},
        arrhenius=arrhenius)


def _unknown_columns(table: pd.DataFrame, label: str) -> list[str]:
    unknown = [c for c in table.columns if c not in MANIFEST_COLUMNS and c != "_line"]
    return [f"{label}: column {c!r} is not a manifest column and is ignored "
            f"(known: {', '.join(MANIFEST_COLUMNS)})" for c in unknown]


# ------------------------------------------------------------------------ targets
def _stats(values: list[float]) -> tuple[float, float, int]:
    """Mean, sample standard deviation (NaN below 2) and count of the finite values."""
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(finite)
    if n == 0:
        return math.nan, math.nan, 0
    std = float(np.std(finite, ddof=1)) if n > 1 else math.nan
    return float(np.mean(finite)), std, n


def _value(result: AnalysisResult, attribute: str) -> float:
    value = getattr(result, attribute, math.nan)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _eis_temperature(item: _Done, ref: float) -> float:
    return ref if item.row.temperature_c is None else float(item.row.temperature_c)


def _sample_targets(sample: str, items: list[_Done], row_errors: list[str], ref: float,
                    tol: float) -> tuple[dict[str, Any], AnalysisResult | None]:
    """The targets row of one sample, and its Arrhenius fit when there is one."""
    qc = [f"error: {e}" for e in row_errors]
    for item in items:
        name = Path(item.row.file).name
        if item.error:
            qc.append(f"error: {item.error}")
            continue
        qc += [f"{item.row.kind} {name}: {w}" for w in item.extra_warnings + item.result.warnings]
        if item.row.kind == "symmetric" and getattr(item.result, "note", "") and \
                not math.isfinite(_value(item.result, "short_circuit_h")):
            qc.append(f"symmetric {name}: {item.result.note}")
    values: dict[str, list[float]] = {t: [] for t in TARGETS}
    good = [d for d in items if d.result is not None]
    for target, (kind, attribute) in _DIRECT.items():
        values[target] = [_value(d.result, attribute) for d in good if d.row.kind == kind]
    eis = [d for d in good if d.row.kind == "eis"
           and math.isfinite(_value(d.result, "conductivity_s_cm"))]
    at_ref = [d for d in eis if abs(_eis_temperature(d, ref) - ref) <= tol]
    values["conductivity_s_cm"] = [_value(d.result, "conductivity_s_cm") for d in at_ref]
    values["temperature_c"] = [_eis_temperature(d, ref) for d in at_ref]
    if eis and not at_ref:
        temps = sorted({_eis_temperature(d, ref) for d in eis})
        qc.append(f"conductivity: no EIS at {ref:g} ± {tol:g} °C (measured at "
                  f"{', '.join(f'{t:g}' for t in temps)} °C)")
    fit = _arrhenius(eis, qc)
    if fit is not None:
        values["activation_energy_ev"] = [fit.activation_energy_ev]
    record: dict[str, Any] = {"sample_id": sample}
    for target in TARGETS:
        mean, std, n = _stats(values[target])
        record.update({target: mean, f"{target}_std": std, f"{target}_n": n})
    record["qc"] = QC_SEPARATOR.join(qc) if qc else "ok"
    return record, fit


def _arrhenius(eis: list[_Done], qc: list[str]) -> AnalysisResult | None:
    """Fit Ea to the EIS rows with a stated temperature, when they span >= 2 of them."""
    from ionopt.analysis.arrhenius import analyze_arrhenius

    known = [d for d in eis if d.row.temperature_c is not None]
    temps = [float(d.row.temperature_c) for d in known]
    if len(set(temps)) < 2:
        return None
    sigma = [_value(d.result, "conductivity_s_cm") for d in known]
    if len(temps) < 3:
        qc.append(f"arrhenius: only {len(temps)} conductivities; the fit needs at least 3 "
                  "points (at >= 2 temperatures)")
        return None
    try:
        fit = analyze_arrhenius(temps, sigma, source=f"{len(temps)} EIS files")
    except IonoptError as err:
        qc.append(f"arrhenius: {err}")
        return None
    qc.extend(f"arrhenius: {w}" for w in fit.warnings)
    return fit


def _measurement(item: _Done) -> dict[str, Any]:
    row = item.row
    record: dict[str, Any] = {"line": row.line, "sample_id": row.sample_id,
                              "kind": row.kind, "file": row.file,
                              "temperature_c": row.temperature_c}
    if item.result is not None:
        quantities = item.result.to_dict()
        for key in ("method", "warnings", "source"):
            quantities.pop(key, None)
        record.update({k: v for k, v in quantities.items() if k not in record})
        record["method"] = item.result.method
        record["warnings"] = QC_SEPARATOR.join(item.extra_warnings + item.result.warnings)
    else:
        record["warnings"] = "; ".join(item.extra_warnings)
    record["error"] = item.error or ""
    return record


def _invalid_measurement(raw: Mapping[str, Any], line: int | None, sample: str,
                         problems: list[str]) -> dict[str, Any]:
    def cell(column: str) -> str:
        return "" if _blank(raw.get(column)) else str(raw[column]).strip()

    return {"line": line, "sample_id": sample, "kind": cell("kind").lower(),
            "file": cell("file"), "temperature_c": None, "method": "", "warnings": "",
            "error": "; ".join(problems)}


def _measurement_of_fit(sample: str, fit: AnalysisResult) -> dict[str, Any]:
    quantities = fit.to_dict()
    for key in ("method", "warnings", "source"):
        quantities.pop(key, None)
    return {"line": None, "sample_id": sample, "kind": "arrhenius", "file": fit.source,
            "temperature_c": None, **quantities, "method": fit.method,
            "warnings": "; ".join(fit.warnings), "error": ""}


def _targets_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    columns = ["sample_id"] + [c for t in TARGETS for c in (t, f"{t}_std", f"{t}_n")] + ["qc"]
    frame = pd.DataFrame(records, columns=columns)
    for target in TARGETS:
        frame[f"{target}_n"] = frame[f"{target}_n"].fillna(0).astype(int)
        frame[target] = frame[target].astype(float)
        frame[f"{target}_std"] = frame[f"{target}_std"].astype(float)
    return frame
