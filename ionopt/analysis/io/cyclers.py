"""Battery-cycler exports -> one cycling table.

:func:`read_cycling` returns a DataFrame with the cycling column contract, one row per
record, in file order:

``cycle`` (int), ``step`` (int), ``state`` (``"charge"``/``"discharge"``/``"rest"``),
``time_s``, ``current_a`` (> 0 charge, < 0 discharge), ``potential_v``,
``charge_capacity_mah``, ``discharge_capacity_mah``, plus ``step_time_s`` and
``step_capacity_mah`` when the file has them.

**Capacity convention.** ``charge_capacity_mah`` and ``discharge_capacity_mah`` restart at
0 at the start of every cycle and accumulate over all steps of that state within the
cycle (a CC step followed by a CV step add up); during steps of the other state they hold
their last value. The per-cycle charge capacity is therefore the column's maximum within
the cycle. This is the layout Arbin writes natively; Maccor's ``Amp-hr`` restarts at each
step, so it is summed over the steps of a cycle here (the raw per-step value is kept as
``step_capacity_mah``); files without capacity columns get ∫|I| dt over the rows of each
state (rectangle rule, current of the row times the time since the previous row).

Formats (``format=``):

* ``"maccor"``: Maccor text export (tab-separated; a file-header line, then ``Rec#,
  Cyc#, Step, Test (Sec), Step (Sec), Amp-hr, Watt-hr, Amps, Volts, State, ...``). State
  ``C``/``D`` -> charge/discharge, ``R`` -> rest, anything else (``O``, ``S``...) from the
  current sign. The current is signed by the state (Maccor writes ``Amps`` unsigned in
  some exports).
* ``"arbin"``: Arbin CSV (``Data_Point, Test_Time, ..., Step_Index, Cycle_Index,
  Current, Voltage, Charge_Capacity, Discharge_Capacity, ...``; with or without units in
  parentheses such as ``Test_Time(s)``). Blank ``Cycle_Index`` -> cycle 1 with a warning;
  blank ``Step_Index`` -> steps numbered by runs of the same state, with a warning.
* ``"biologic"``: EC-Lab ``.mpt`` text export of GCPL/GCPL-like techniques (``time/s``,
  ``Ewe/V`` or ``Ecell/V``, ``I/mA`` or ``<I>/mA``, ``cycle number``, ``Ns``, and
  ``Q charge/mA.h``/``Q discharge/mA.h`` when exported).
* ``"csv"``: any delimited table, with ``columns`` mapping file headers to contract names
  (values already in contract units, or scaled by ``scale``).

``"auto"`` (default) recognises the first three from the content. The state of a row
without one is taken from the current: |I| <= 1e-4 x max|I| is rest. Warnings go through
:mod:`warnings` and are also listed in ``df.attrs["warnings"]``; ``df.attrs`` further
holds ``source`` and ``format``.
"""

from __future__ import annotations

import io
import re
import warnings as _warnings
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from ionopt.errors import FileFormatError, located

from ._text import decode_file

__all__ = ["CYCLING_COLUMNS", "CYCLER_FORMATS", "read_cycling"]

#: The contract columns, in output order.
CYCLING_COLUMNS = ["cycle", "step", "state", "time_s", "current_a", "potential_v",
                   "charge_capacity_mah", "discharge_capacity_mah"]
CYCLER_FORMATS = ("maccor", "arbin", "biologic", "csv")
#: |I| at or below this fraction of the largest |I| counts as rest.
REST_FRACTION = 1e-4
_SCAN_LINES = 40


# --------------------------------------------------------------------------- helpers
def _state_from_current(current: np.ndarray) -> np.ndarray:
    tol = REST_FRACTION * float(np.nanmax(np.abs(current))) if current.size else 0.0
    out = np.full(current.shape, "rest", dtype=object)
    out[current > tol] = "charge"
    out[current < -tol] = "discharge"
    return out


def _runs(keys: pd.DataFrame | pd.Series) -> np.ndarray:
    """1-based index of contiguous runs of equal values (row-wise for frames)."""
    if isinstance(keys, pd.Series):
        keys = keys.to_frame()
    changed = (keys != keys.shift()).any(axis=1).to_numpy().copy()
    changed[0] = True
    return np.cumsum(changed)


def _integrated_capacity(df: pd.DataFrame, state: str) -> np.ndarray:
    """Cumulative |I| dt (mAh) over rows of ``state``, restarting at every cycle."""
    dt = df["time_s"].diff().fillna(0.0).clip(lower=0.0).to_numpy()
    dq = np.abs(df["current_a"].to_numpy()) * dt / 3.6  # A s -> mAh
    dq = np.where(df["state"].to_numpy() == state, dq, 0.0)
    return pd.Series(dq).groupby(df["cycle"].to_numpy()).cumsum().to_numpy()


def _per_step_to_cycle(df: pd.DataFrame, step_cap_mah: np.ndarray) -> None:
    """Sum a per-step capacity over the steps of the same state within each cycle."""
    run = _runs(df[["cycle", "step"]])
    state = df["state"].to_numpy()
    for name in ("charge", "discharge"):
        own = np.where(state == name, step_cap_mah, 0.0)
        finals = pd.Series(own).groupby(run).last()  # run's total (0 for other states)
        cycle_of_run = pd.Series(df["cycle"].to_numpy()).groupby(run).first()
        before = finals.groupby(cycle_of_run.to_numpy()).cumsum() - finals
        offset = before.reindex(run).to_numpy()
        df[f"{name}_capacity_mah"] = offset + own


def _column(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` present in ``df`` (case- and unit-insensitive)."""
    exact = {re.sub(r"[\s_]+", "", str(c).strip().lower()): c for c in df.columns}
    for n in names:
        key = re.sub(r"[\s_]+", "", n.strip().lower())
        if key in exact:
            return exact[key]
    normal: dict[str, object] = {}
    for c in df.columns:
        normal.setdefault(_norm(c), c)
    for n in names:
        if _norm(n) in normal:
            return str(normal[_norm(n)])
    return None


def _norm(header: object) -> str:
    text = str(header).strip().lower()
    text = re.sub(r"\s*\([^)]*\)\s*$", "", text)  # "Test_Time(s)" -> "test_time"
    return re.sub(r"[\s_]+", "", text)


def _numeric(df: pd.DataFrame, col: str, source: object, what: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & df[col].notna().to_numpy() & \
        (df[col].astype(str).str.strip() != "").to_numpy()
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise FileFormatError(located(f"column {col!r} ({what}) holds a non-number "
                                      f"{df[col].iloc[k]!r} in data row {k + 1}",
                                      file=source))
    return values


def _require(df: pd.DataFrame, names: dict[str, tuple[str, ...]], source: object,
             fmt: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, options in names.items():
        col = _column(df, options)
        if col is None:
            raise FileFormatError(located(
                f"{fmt} export without a {options[0]!r} column (found "
                f"{list(map(str, df.columns))[:15]})", file=source))
        found[key] = col
    return found


def _finish(df: pd.DataFrame, source: object, fmt: str, notes: list[str]) -> pd.DataFrame:
    df = df.dropna(subset=["time_s", "current_a", "potential_v"]).reset_index(drop=True)
    if df.empty:
        raise FileFormatError(located(f"{fmt} export holds no data rows", file=source))
    df["cycle"] = df["cycle"].astype(int)
    df["step"] = df["step"].astype(int)
    extra = [c for c in ("step_time_s", "step_capacity_mah") if c in df.columns]
    df = df[CYCLING_COLUMNS + extra].copy()
    df.attrs.update({"source": str(source), "format": fmt, "warnings": list(notes)})
    for note in notes:
        _warnings.warn(located(note, file=source), stacklevel=4)
    return df


def _read_table(text: str, start: int, sep: str | None, source: object) -> pd.DataFrame:
    body = "\n".join(text.split("\n")[start:])
    try:
        return pd.read_csv(io.StringIO(body), sep=sep, engine="python", dtype=str,
                           skip_blank_lines=True, index_col=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(located(f"cannot parse the data table ({exc})",
                                      file=source)) from None


# --------------------------------------------------------------------------- formats
def _maccor(text: str, source: object) -> pd.DataFrame:
    lines = text.split("\n")
    header = next((i for i, ln in enumerate(lines[:_SCAN_LINES])
                   if "rec#" in ln.lower() and "cyc#" in ln.lower()), None)
    if header is None:
        raise FileFormatError(located("Maccor export without a 'Rec#  Cyc#  Step ...' "
                                      "header line", file=source))
    raw = _read_table(text, header, "\t", source)
    cols = _require(raw, {"cycle": ("Cyc#",), "step": ("Step",), "time": ("Test (Sec)",),
                          "ah": ("Amp-hr",), "amps": ("Amps",), "volts": ("Volts",),
                          "state": ("State",)}, source, "Maccor")
    out = pd.DataFrame({
        "cycle": _numeric(raw, cols["cycle"], source, "cycle"),
        "step": _numeric(raw, cols["step"], source, "step"),
        "time_s": _numeric(raw, cols["time"], source, "time"),
        "potential_v": _numeric(raw, cols["volts"], source, "voltage"),
    })
    amps = _numeric(raw, cols["amps"], source, "current")
    code = raw[cols["state"]].astype(str).str.strip().str.upper().to_numpy()
    state = np.where(code == "C", "charge", np.where(code == "D", "discharge",
                                                      np.where(code == "R", "rest", "")))
    from_current = _state_from_current(amps)
    state = np.where(state == "", from_current, state).astype(object)
    out["state"] = state
    out["current_a"] = np.where(state == "charge", np.abs(amps),
                                np.where(state == "discharge", -np.abs(amps), amps))
    step_s = _column(raw, ("Step (Sec)",))
    if step_s is not None:
        out["step_time_s"] = _numeric(raw, step_s, source, "step time")
    out["step_capacity_mah"] = _numeric(raw, cols["ah"], source, "Amp-hr") * 1000.0
    out = out.dropna(subset=["cycle", "step"]).reset_index(drop=True)
    _per_step_to_cycle(out, out["step_capacity_mah"].fillna(0.0).to_numpy())
    return _finish(out, source, "maccor", [])


def _arbin(text: str, source: object) -> pd.DataFrame:
    raw = _read_table(text, 0, ",", source)
    cols = _require(raw, {"time": ("Test_Time",), "current": ("Current",),
                          "voltage": ("Voltage",)}, source, "Arbin")
    notes: list[str] = []
    out = pd.DataFrame({"time_s": _numeric(raw, cols["time"], source, "time"),
                        "current_a": _numeric(raw, cols["current"], source, "current"),
                        "potential_v": _numeric(raw, cols["voltage"], source, "voltage")})
    out["state"] = _state_from_current(out["current_a"].to_numpy())
    cyc = _column(raw, ("Cycle_Index",))
    cycle = _numeric(raw, cyc, source, "cycle") if cyc else np.full(len(raw), np.nan)
    if np.isnan(cycle).all():
        notes.append("Cycle_Index is blank in every row: all data taken as cycle 1")
        cycle = np.ones(len(raw))
    elif np.isnan(cycle).any():
        notes.append(f"Cycle_Index blank in {int(np.isnan(cycle).sum())} row(s): filled from "
                     "the previous row")
        cycle = pd.Series(cycle).ffill().bfill().to_numpy()
    out["cycle"] = cycle
    stp = _column(raw, ("Step_Index",))
    step = _numeric(raw, stp, source, "step") if stp else np.full(len(raw), np.nan)
    if np.isnan(step).any():
        notes.append("Step_Index is blank: steps numbered by runs of the same state "
                     "(charge/discharge/rest, from the current sign)")
        step = _runs(out[["cycle", "state"]]).astype(float)
    out["step"] = step
    step_time = _column(raw, ("Step_Time",))
    if step_time is not None:
        st = _numeric(raw, step_time, source, "step time")
        if not np.isnan(st).all():
            out["step_time_s"] = st
    qc, qd = _column(raw, ("Charge_Capacity",)), _column(raw, ("Discharge_Capacity",))
    if qc is not None and qd is not None:
        out["charge_capacity_mah"] = _numeric(raw, qc, source, "charge capacity") * 1000.0
        out["discharge_capacity_mah"] = _numeric(raw, qd, source, "discharge capacity") * 1000
    else:
        notes.append("no Charge_Capacity/Discharge_Capacity columns: capacities integrated "
                     "from the current")
        out["charge_capacity_mah"] = _integrated_capacity(out, "charge")
        out["discharge_capacity_mah"] = _integrated_capacity(out, "discharge")
    return _finish(out, source, "arbin", notes)


_NB_HEADER = re.compile(r"^\s*Nb header lines\s*:\s*(\d+)", re.IGNORECASE)


def _biologic(text: str, source: object) -> pd.DataFrame:
    lines = text.split("\n")
    start = 0
    if lines[0].strip().upper().startswith("EC-LAB ASCII FILE"):
        m = _NB_HEADER.match(lines[1]) if len(lines) > 1 else None
        if m is None:
            raise FileFormatError(located("EC-Lab export without 'Nb header lines : N'",
                                          file=source, line=2))
        start = int(m.group(1)) - 1
        if not 0 < start < len(lines):
            raise FileFormatError(located(f"'Nb header lines : {start + 1}' beyond the end "
                                          "of the file", file=source, line=2))
    first_data = next((ln for ln in lines[start + 1:] if ln.strip()), "")
    decimal_comma = bool(re.search(r"\d,\d", first_data)) and "." not in first_data
    body = "\n".join(lines[start:])
    if decimal_comma:
        body = body.replace(",", ".")
    raw = _read_table(body, 0, "\t", source)
    raw.columns = [str(c).strip() for c in raw.columns]
    cols = _require(raw, {"time": ("time/s",), "voltage": ("Ewe/V", "Ecell/V"),
                          "current": ("<I>/mA", "I/mA")}, source, "BioLogic")
    notes: list[str] = []
    out = pd.DataFrame({"time_s": _numeric(raw, cols["time"], source, "time"),
                        "current_a": _numeric(raw, cols["current"], source, "current") / 1000,
                        "potential_v": _numeric(raw, cols["voltage"], source, "voltage")})
    out["state"] = _state_from_current(out["current_a"].to_numpy())
    cyc = _column(raw, ("cycle number",))
    if cyc is None:
        notes.append("no 'cycle number' column: all data taken as cycle 1")
        out["cycle"] = 1
    else:
        out["cycle"] = _numeric(raw, cyc, source, "cycle number")
    ns = _column(raw, ("Ns",))
    out["step"] = _numeric(raw, ns, source, "Ns") if ns else _runs(out[["cycle", "state"]])
    qc, qd = _column(raw, ("Q charge/mA.h",)), _column(raw, ("Q discharge/mA.h",))
    if qc is not None and qd is not None:
        out["charge_capacity_mah"] = np.abs(_numeric(raw, qc, source, "Q charge"))
        out["discharge_capacity_mah"] = np.abs(_numeric(raw, qd, source, "Q discharge"))
    else:
        out["charge_capacity_mah"] = _integrated_capacity(out, "charge")
        out["discharge_capacity_mah"] = _integrated_capacity(out, "discharge")
    return _finish(out, source, "biologic", notes)


def _generic(text: str, source: object, columns: Mapping[str, str] | None,
             scale: Mapping[str, float] | None) -> pd.DataFrame:
    if not columns:
        raise FileFormatError(located("format='csv' needs columns={file header: contract "
                                      "name}, e.g. {'Time': 'time_s'}", file=source))
    bad = sorted(set(columns.values()) - set(CYCLING_COLUMNS) - {"step_time_s"})
    if bad:
        raise FileFormatError(located(f"columns maps to unknown name(s) {bad}; expected "
                                      f"names from {CYCLING_COLUMNS}", file=source))
    raw = _read_table(text, 0, None, source)
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [h for h in columns if h not in raw.columns]
    if missing:
        raise FileFormatError(located(f"column(s) {missing} named in columns= not in the "
                                      f"file (found {list(raw.columns)})", file=source))
    out = pd.DataFrame(index=range(len(raw)))
    for header, name in columns.items():
        out[name] = raw[header].str.strip().str.lower() if name == "state" else \
            _numeric(raw, header, source, name)
    for name, factor in (scale or {}).items():
        if name not in out.columns:
            raise FileFormatError(located(f"scale names {name!r}, not a mapped column",
                                          file=source))
        out[name] = out[name] * float(factor)
    need = [c for c in ("time_s", "current_a", "potential_v") if c not in out.columns]
    if need:
        raise FileFormatError(located(f"columns= must map file headers to {need}",
                                      file=source))
    notes: list[str] = []
    if "state" not in out.columns:
        out["state"] = _state_from_current(out["current_a"].to_numpy())
    else:
        unknown = sorted(set(out["state"]) - {"charge", "discharge", "rest"})
        if unknown:
            raise FileFormatError(located(f"state column holds {unknown[:5]}; expected "
                                          "charge/discharge/rest", file=source))
    if "cycle" not in out.columns:
        notes.append("no cycle column: all data taken as cycle 1")
        out["cycle"] = 1
    if "step" not in out.columns:
        out["step"] = _runs(out[["cycle", "state"]])
    for name in ("charge", "discharge"):
        if f"{name}_capacity_mah" not in out.columns:
            out[f"{name}_capacity_mah"] = _integrated_capacity(out, name)
    return _finish(out, source, "csv", notes)


def _detect(text: str) -> str | None:
    head = [ln.lower() for ln in text.split("\n")[:_SCAN_LINES]]
    if any("rec#" in ln and "cyc#" in ln for ln in head):
        return "maccor"
    if head and head[0].startswith("ec-lab ascii file"):
        return "biologic"
    if any("time/s" in ln and ("ewe/v" in ln or "ecell/v" in ln) for ln in head):
        return "biologic"
    first = head[0] if head else ""
    if "data_point" in first and "test_time" in first and "current" in first:
        return "arbin"
    return None


def read_cycling(path: str | Path, format: str = "auto", *,  # noqa: A002
                 columns: Mapping[str, str] | None = None,
                 scale: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Read a battery-cycler export into the cycling column contract.

    Parameters
    ----------
    path : str or Path
        The export file (text; any common encoding).
    format : {"auto", "maccor", "arbin", "biologic", "csv"}
        File format; ``"auto"`` recognises Maccor, Arbin and BioLogic from the content.
    columns : mapping, optional
        For ``format="csv"``: file header -> contract column name. Required names:
        ``time_s``, ``current_a``, ``potential_v``.
    scale : mapping, optional
        For ``format="csv"``: contract name -> factor applied after reading (e.g.
        ``{"current_a": 1e-3}`` for a current in mA).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CYCLING_COLUMNS` (+ ``step_time_s``, ``step_capacity_mah`` when
        available); ``attrs`` holds ``source``, ``format`` and ``warnings``.

    Raises
    ------
    FileFormatError
        Unreadable or unrecognised file, a missing required column, or a non-number in
        a numeric column.
    """
    if format not in ("auto",) + CYCLER_FORMATS:
        raise FileFormatError(located(f"format {format!r} unknown; expected one of "
                                      f"{['auto', *CYCLER_FORMATS]}", file=path))
    text = decode_file(path)
    if not text.strip():
        raise FileFormatError(located("file is empty", file=path))
    fmt = format
    if fmt == "auto":
        fmt = _detect(text)
        if fmt is None:
            raise FileFormatError(located(
                "not a recognised cycler export (Maccor text, Arbin CSV, BioLogic .mpt); "
                "for another table pass format='csv' with columns=", file=path))
    if fmt == "maccor":
        return _maccor(text, path)
    if fmt == "arbin":
        return _arbin(text, path)
    if fmt == "biologic":
        return _biologic(text, path)
    return _generic(text, path, columns, scale)
