"""Galvanostatic cycling of a full or half cell: capacity, efficiency, retention, rate.

Input: the cycling table of :func:`ionopt.analysis.io.cyclers.read_cycling` (columns
``cycle``, ``state``, ``current_a``, ``charge_capacity_mah``, ``discharge_capacity_mah``;
``time_s``, ``step`` and ``potential_v`` are not needed here).

Conventions:

* Per-cycle capacity = the largest value of the capacity column within the cycle (the
  reader contract: capacities restart at each cycle and add up over the steps of a
  state). A column that instead keeps growing across cycles (each cycle starts where the
  previous ended) is detected and differenced per cycle.
* Coulombic efficiency (``ce_convention="discharge/charge"``, default) = discharge /
  charge capacity of the same cycle x 100: the convention for cells that charge first
  (Li | SPE | LiFePO4 and other cathode half cells). Use ``"charge/discharge"`` for cells
  whose cycle starts with a discharge (lithiation of an anode vs Li).
* A cycle is *complete* when both its charge and discharge capacities are > 0.
  ``coulombic_efficiency_pct`` is the mean CE of the complete cycles after the first one
  (the first-cycle CE, with its SEI/CEI loss, is ``initial_coulombic_efficiency_pct``).
* ``capacity_retention_pct`` = discharge capacity of ``retention_cycle`` (default: the
  last complete cycle) / that of ``reference_cycle`` (default: the first complete cycle)
  x 100.
* Specific capacities (mAh/g) use the active-material mass ``active_mass_mg`` or
  ``active_mass_g``.
* Rate capability: consecutive cycles are grouped into rate steps, either by
  ``rate_schedule`` (a list of ``(c_rate, n_cycles)`` in test order) or, by default, by
  plateaus of the discharge current (median |I| of the discharge rows; a new step starts
  when it differs by more than ``rate_tolerance`` = 10 % from the step's first cycle).
  C-rates need ``nominal_capacity_mah`` (C-rate = |I| / nominal capacity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ionopt.analysis import _checks
from ionopt.analysis._result import AnalysisResult
from ionopt.errors import AnalysisError

_NAN = float("nan")
_REQUIRED = ["cycle", "state", "current_a", "charge_capacity_mah", "discharge_capacity_mah"]
_STATES = {"charge", "discharge", "rest"}


@dataclass(kw_only=True)
class CyclingResult(AnalysisResult):
    """Summary of a galvanostatic cycling test.

    Attributes
    ----------
    n_cycles : int
        Complete cycles (charge and discharge capacity > 0).
    reference_cycle, retention_cycle : int
        Cycles compared for the retention.
    capacity_retention_pct : float
        Discharge capacity of ``retention_cycle`` / ``reference_cycle`` x 100.
    coulombic_efficiency_pct : float
        Mean CE of the complete cycles after the first, %.
    initial_coulombic_efficiency_pct : float
        CE of the first complete cycle, %.
    initial_discharge_capacity_mah, final_discharge_capacity_mah : float
        Discharge capacity of the reference and retention cycles, mAh.
    initial_discharge_capacity_mah_g, final_discharge_capacity_mah_g : float
        The same per gram of active material, mAh/g (NaN without a mass).
    active_mass_mg : float
    cycles : pandas.DataFrame
        Per-cycle table (not exported): ``cycle``, ``charge_capacity_mah``,
        ``discharge_capacity_mah``, ``charge_capacity_mah_g``,
        ``discharge_capacity_mah_g``, ``coulombic_efficiency_pct``, ``charge_current_a``,
        ``discharge_current_a``, ``complete``.
    rate_table : pandas.DataFrame
        Rate-capability table (not exported), one row per rate step.
    """

    n_cycles: int
    reference_cycle: int
    retention_cycle: int
    capacity_retention_pct: float
    coulombic_efficiency_pct: float
    initial_coulombic_efficiency_pct: float
    initial_discharge_capacity_mah: float
    final_discharge_capacity_mah: float
    initial_discharge_capacity_mah_g: float = _NAN
    final_discharge_capacity_mah_g: float = _NAN
    active_mass_mg: float = _NAN
    cycles: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False,
                                 metadata={"export": False})
    rate_table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False,
                                     metadata={"export": False})


def _mass_mg(active_mass_mg: float | None, active_mass_g: float | None) -> float:
    if active_mass_mg is not None and active_mass_g is not None:
        raise AnalysisError("active_mass_mg, active_mass_g: give one, not both")
    if active_mass_mg is not None:
        return _checks.positive_number(active_mass_mg, "active_mass_mg")
    if active_mass_g is not None:
        return _checks.positive_number(active_mass_g, "active_mass_g") * 1000.0
    return _NAN


def _per_cycle_capacity(table: pd.DataFrame, col: str, warnings: list[str]) -> pd.Series:
    grouped = table.groupby("cycle", sort=True)[col]
    top, first, last = grouped.max(), grouped.first(), grouped.last()
    if len(top) >= 2:
        tol = 1e-9 * max(float(top.abs().max()), 1.0)
        prev_last = last.shift().iloc[1:]
        carries = bool((first.iloc[1:] >= prev_last - tol).all() and
                       (first.iloc[1:] > tol).any())
        if carries:
            warnings.append(f"{col} keeps growing across cycles; differenced per cycle")
            return top - last.shift().fillna(0.0)
    return top


def per_cycle(data: pd.DataFrame, *, active_mass_mg: float | None = None,
              active_mass_g: float | None = None,
              ce_convention: str = "discharge/charge") -> pd.DataFrame:
    """Per-cycle capacities (mAh, mAh/g), Coulombic efficiency (%) and mean currents (A).

    Parameters are those of :func:`analyze_cycling`; returns its ``cycles`` table.
    """
    return _cycles(data, _mass_mg(active_mass_mg, active_mass_g), ce_convention, [])


def _cycles(data: pd.DataFrame, mass_mg: float, ce_convention: str,
            warnings: list[str]) -> pd.DataFrame:
    _checks.one_of(ce_convention, "ce_convention", ("discharge/charge", "charge/discharge"))
    if not isinstance(data, pd.DataFrame):
        raise AnalysisError(f"data: expected a cycling DataFrame, got {type(data).__name__}")
    if any(c not in data.columns for c in _REQUIRED):
        _checks.frame(data, "data", _REQUIRED, "cycling")  # raises, naming what is missing
    numeric_cols = [c for c in _REQUIRED if c != "state"]
    # converts to float and drops rows with a blank number; _row maps back to the states
    table = _checks.frame(data.assign(_row=np.arange(len(data))), "data",
                          numeric_cols + ["_row"], "cycling", min_rows=2)
    state = data["state"].astype(str).str.strip().str.lower().to_numpy()
    table["state"] = state[table.pop("_row").to_numpy().astype(int)]
    unknown = sorted(set(table["state"]) - _STATES)
    if unknown:
        raise AnalysisError(f"data: column 'state' holds {unknown[:5]}; expected "
                            "'charge', 'discharge' or 'rest'")
    if (table["cycle"] != np.round(table["cycle"])).any():
        raise AnalysisError("data: column 'cycle' must hold whole numbers")
    table["cycle"] = table["cycle"].astype(int)
    q_ch = _per_cycle_capacity(table, "charge_capacity_mah", warnings)
    q_dis = _per_cycle_capacity(table, "discharge_capacity_mah", warnings)
    current = table.assign(abs_i=table["current_a"].abs())
    i_ch = current[current.state == "charge"].groupby("cycle")["abs_i"].median()
    i_dis = current[current.state == "discharge"].groupby("cycle")["abs_i"].median()
    out = pd.DataFrame({"cycle": q_ch.index.astype(int),
                        "charge_capacity_mah": q_ch.to_numpy(),
                        "discharge_capacity_mah": q_dis.reindex(q_ch.index).to_numpy()})
    out["charge_capacity_mah_g"] = out["charge_capacity_mah"] / (mass_mg / 1000.0)
    out["discharge_capacity_mah_g"] = out["discharge_capacity_mah"] / (mass_mg / 1000.0)
    out["complete"] = (out["charge_capacity_mah"] > 0) & (out["discharge_capacity_mah"] > 0)
    num, den = ("discharge_capacity_mah", "charge_capacity_mah") \
        if ce_convention == "discharge/charge" else ("charge_capacity_mah",
                                                      "discharge_capacity_mah")
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = 100.0 * out[num] / out[den]
    out["coulombic_efficiency_pct"] = np.where(out["complete"], ce, np.nan)
    out["charge_current_a"] = i_ch.reindex(q_ch.index).to_numpy()
    out["discharge_current_a"] = i_dis.reindex(q_ch.index).to_numpy()
    return out.reset_index(drop=True)


def _rate_steps(complete: pd.DataFrame, schedule: Sequence[tuple[float, int]] | None,
                tolerance: float, warnings: list[str]) -> tuple[np.ndarray, list[float]]:
    """Rate-step label per complete cycle, and the scheduled C-rate of each step."""
    n = len(complete)
    if schedule is not None:
        labels = np.full(n, -1)
        rates: list[float] = []
        pos = 0
        for k, item in enumerate(schedule):
            try:
                c_rate, count = float(item[0]), int(item[1])
            except (TypeError, ValueError, IndexError):
                raise AnalysisError(f"rate_schedule[{k}]: expected (c_rate, n_cycles), got "
                                    f"{item!r}") from None
            if not (math.isfinite(c_rate) and c_rate > 0 and count > 0):
                raise AnalysisError(f"rate_schedule[{k}]: expected c_rate > 0 and "
                                    f"n_cycles > 0, got {item!r}")
            labels[pos:pos + count] = k
            rates.append(c_rate)
            pos += count
        if pos > n:
            warnings.append(f"rate_schedule covers {pos} cycles but only {n} complete "
                            "cycles were recorded; later steps are short or missing")
        elif pos < n:
            warnings.append(f"rate_schedule covers {pos} of {n} complete cycles; the rest "
                            "are left out of the rate table")
        return labels, rates
    currents = complete["discharge_current_a"].to_numpy()
    labels = np.zeros(n, dtype=int)
    anchor = currents[0] if n else _NAN
    for k in range(1, n):
        if not (abs(currents[k] - anchor) <= tolerance * abs(anchor)):
            labels[k] = labels[k - 1] + 1
            anchor = currents[k]
        else:
            labels[k] = labels[k - 1]
    return labels, []


def _rate_table(complete: pd.DataFrame, labels: np.ndarray, rates: list[float],
                nominal_mah: float) -> pd.DataFrame:
    rows = []
    for label in sorted(set(labels) - {-1}):
        part = complete[labels == label]
        current = float(part["discharge_current_a"].mean())
        if rates:
            c_rate = rates[label]
        else:
            c_rate = current * 1000.0 / nominal_mah if math.isfinite(nominal_mah) else _NAN
        rows.append({"step": int(label) + 1, "c_rate": c_rate, "current_a": current,
                     "first_cycle": int(part["cycle"].iloc[0]),
                     "last_cycle": int(part["cycle"].iloc[-1]), "n_cycles": len(part),
                     "discharge_capacity_mah": float(part["discharge_capacity_mah"].mean()),
                     "discharge_capacity_mah_g":
                         float(part["discharge_capacity_mah_g"].mean()),
                     "charge_capacity_mah": float(part["charge_capacity_mah"].mean()),
                     "coulombic_efficiency_pct":
                         float(part["coulombic_efficiency_pct"].mean())})
    table = pd.DataFrame(rows)
    if not table.empty:
        table["retention_vs_first_step_pct"] = (
            100.0 * table["discharge_capacity_mah"] / table["discharge_capacity_mah"].iloc[0])
    return table


def analyze_cycling(data: pd.DataFrame, *, active_mass_mg: float | None = None,
                    active_mass_g: float | None = None, reference_cycle: int | None = None,
                    retention_cycle: int | None = None,
                    ce_convention: str = "discharge/charge",
                    nominal_capacity_mah: float | None = None,
                    rate_schedule: Sequence[tuple[float, int]] | None = None,
                    rate_tolerance: float = 0.1,
                    source: str | None = None) -> CyclingResult:
    """Capacity, Coulombic efficiency, retention and rate capability of a cycling test.

    Parameters
    ----------
    data : pandas.DataFrame
        Cycling table (``cycle``, ``state``, ``current_a``, ``charge_capacity_mah``,
        ``discharge_capacity_mah``), e.g. from ``read_cycling``.
    active_mass_mg, active_mass_g : float, optional
        Active-material mass (one of the two) for mAh/g.
    reference_cycle : int, optional
        Cycle taken as 100 % for the retention (default: first complete cycle).
    retention_cycle : int, optional
        Cycle N whose retention is reported (default: last complete cycle).
    ce_convention : {"discharge/charge", "charge/discharge"}
        Coulombic-efficiency ratio (see the module docstring).
    nominal_capacity_mah : float, optional
        Capacity defining 1C, mAh, for the C-rates of detected rate steps.
    rate_schedule : sequence of (float, int), optional
        ``[(c_rate, n_cycles), ...]`` in test order; default detects current plateaus.
    rate_tolerance : float
        Relative change of the discharge current starting a new rate step (0.1).
    source : str, optional
        Defaults to ``data.attrs["source"]`` when the reader set it.

    Returns
    -------
    CyclingResult

    Raises
    ------
    AnalysisError
        Missing columns, unknown states, no complete cycle, a reference or retention
        cycle that is not a complete cycle of the data, or bad masses/options.
    """
    mass_mg = _mass_mg(active_mass_mg, active_mass_g)
    nominal = _NAN if nominal_capacity_mah is None else \
        _checks.positive_number(nominal_capacity_mah, "nominal_capacity_mah")
    tol = _checks.fraction(rate_tolerance, "rate_tolerance")
    warnings: list[str] = [f"reader: {w}" for w in getattr(data, "attrs", {}).get("warnings", [])]
    cycles = _cycles(data, mass_mg, ce_convention, warnings)
    complete = cycles[cycles["complete"]].reset_index(drop=True)
    if complete.empty:
        raise AnalysisError("data: no complete cycle (a cycle with both charge and discharge "
                            "capacity > 0)")
    available = complete["cycle"].tolist()

    def pick(value: int | None, name: str, default: int) -> int:
        if value is None:
            return default
        if value not in available:
            raise AnalysisError(f"{name}: cycle {value!r} is not a complete cycle of the "
                                f"data; complete cycles are {available[0]}..{available[-1]}"
                                f" ({len(available)} cycles)")
        return int(value)

    ref = pick(reference_cycle, "reference_cycle", available[0])
    ret = pick(retention_cycle, "retention_cycle", available[-1])
    by_cycle = complete.set_index("cycle")
    q_ref = float(by_cycle.at[ref, "discharge_capacity_mah"])
    q_ret = float(by_cycle.at[ret, "discharge_capacity_mah"])
    ce = complete["coulombic_efficiency_pct"]
    mean_ce = float(ce.iloc[1:].mean()) if len(ce) > 1 else float(ce.iloc[0])
    if (ce > 100.5).any() and ce_convention == "discharge/charge":
        warnings.append("Coulombic efficiency above 100 % in some cycles: does the cycle "
                        "start with a discharge? try ce_convention='charge/discharge'")
    if len(complete) >= 3:
        others = complete["discharge_capacity_mah"].iloc[:-1].median()
        if complete["discharge_capacity_mah"].iloc[-1] < 0.5 * others:
            warnings.append(f"last cycle ({available[-1]}) delivers less than half the median "
                            "discharge capacity: cut short? pass retention_cycle=")
    dropped = cycles.loc[~cycles["complete"], "cycle"].tolist()
    if dropped:
        warnings.append(f"incomplete cycle(s) {dropped[:10]} left out (no charge or no "
                        "discharge capacity)")
    labels, rates = _rate_steps(complete, rate_schedule, tol, warnings)
    rate_table = _rate_table(complete, labels, rates, nominal)
    if source is None:
        source = getattr(data, "attrs", {}).get("source")
    return CyclingResult(
        n_cycles=len(complete), reference_cycle=ref, retention_cycle=ret,
        capacity_retention_pct=100.0 * q_ret / q_ref,
        coulombic_efficiency_pct=mean_ce,
        initial_coulombic_efficiency_pct=float(ce.iloc[0]),
        initial_discharge_capacity_mah=q_ref, final_discharge_capacity_mah=q_ret,
        initial_discharge_capacity_mah_g=q_ref / (mass_mg / 1000.0),
        final_discharge_capacity_mah_g=q_ret / (mass_mg / 1000.0),
        active_mass_mg=mass_mg, cycles=cycles, rate_table=rate_table,
        method=f"cycling_ce_{ce_convention.replace('/', '_over_')}",
        warnings=warnings, source=source)
