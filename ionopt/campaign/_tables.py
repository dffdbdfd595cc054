"""Reading results tables and manifests; hashes; JSON-safe values."""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from ionopt.errors import DataError

#: Target columns the store recognises in a results table (ARCHITECTURE.md's list, the
#: seed data's, plus ``failed``); a campaign's objective targets are always added.
KNOWN_TARGETS = (
    "conductivity_s_cm", "activation_energy_ev", "transference_number", "stability_window_v",
    "tensile_strength_mpa", "youngs_modulus_mpa", "elongation_at_break_pct",
    "decomposition_temp_c", "capacity_mah_g", "coulombic_efficiency_pct",
    "capacity_retention_pct", "short_circuit_h", "stable_at_least_h",
)
#: Plausible values of the known targets, ``(low, high, low_included)`` (``high`` always
#: included). A typed-in or computed value outside is a slip (a wrong unit, a sign, a
#: misplaced decimal point) and is refused; the limits are generous on purpose, so that no
#: real measurement of a solid electrolyte film is turned away. Targets not listed (a
#: campaign's own objectives) only need to be finite.
TARGET_LIMITS: dict[str, tuple[float, float, bool]] = {
    # > 0: the optimizer models log10. The best solid Li-ion conductors reach ~0.03 S/cm at
    # room temperature (Li10GeP2S12 0.012, Li9.54Si1.74P1.44S11.7Cl0.3 0.025); above 1 S/cm
    # is mS/cm or S/m typed as S/cm.
    "conductivity_s_cm": (0.0, 1.0, False),
    # Ion hopping in solids: 0.1-1 eV; above 5 eV is kJ/mol typed as eV (30 kJ/mol = 0.31 eV).
    "activation_energy_ev": (0.0, 5.0, False),
    # A fraction of the current carried by Li+.
    "transference_number": (0.0, 1.0, True),
    # Oxidation limit vs Li+/Li: no electrolyte holds beyond ~7 V.
    "stability_window_v": (0.0, 10.0, False),
    # Polymer films: < 100 MPa, aramid fibre ~3.6 GPa; above 10 GPa is kPa or Pa typed as MPa.
    "tensile_strength_mpa": (0.0, 1e4, True),
    # Garnet LLZTO ~150 GPa, diamond 1.2 TPa, the stiffest material known.
    "youngs_modulus_mpa": (0.0, 1.2e6, True),
    # Elastomers stretch ~1000 % before breaking (a percentage, but not capped at 100).
    "elongation_at_break_pct": (0.0, 1e4, True),
    # A film decomposing below 0 degC could not be made; TGA furnaces stop near 1600 degC.
    "decomposition_temp_c": (0.0, 2000.0, True),
    # Per gram of active material: Li metal's 3860 mAh/g is the most any electrode holds.
    "capacity_mah_g": (0.0, 4000.0, True),
    # Per-cycle values slightly above 100 % are a known artefact (temperature drift,
    # recovered capacity); above 110 % is a slip.
    "coulombic_efficiency_pct": (0.0, 110.0, True),
    # Cells often gain capacity over their first cycles (activation): retention above 100 %
    # is real, doubling is not.
    "capacity_retention_pct": (0.0, 200.0, True),
    # 1e5 h is 11 years of cycling; more is seconds or minutes typed as hours.
    "short_circuit_h": (0.0, 1e5, True),
    "stable_at_least_h": (0.0, 1e5, True),
}
#: Columns that identify the film a row is about.
ID_COLUMNS = ("sample_id", "proposal_id")
#: Columns describing how a measurement was taken (kept with the measurement, not the recipe).
CONDITION_COLUMNS = ("temperature_c", "replicate", "note", "notes", "comment", "operator",
                     "measured_on", "date")
#: Optimizer outputs that are not part of a recipe.
PROPOSAL_OUTPUT_COLUMNS = ("acquisition", "reason", "rank", "prob_feasible", "backend",
                           "pool_row")

CHUNK = 1 << 20


def file_digest(path: str | os.PathLike[str]) -> tuple[str, int]:
    """``(sha256 hex digest, size in bytes)`` of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def clean(value: Any) -> Any:
    """A JSON-safe Python value: numpy scalars unwrapped, NaN/inf/NA -> None."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [clean(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, (int, str)):
        return value
    return str(value)


def content_hash(payload: Any) -> str:
    """sha256 of a canonical JSON rendering of ``payload`` (sorted keys)."""
    text = json.dumps(clean(payload), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_table(source: pd.DataFrame | str | os.PathLike[str], what: str
               ) -> tuple[pd.DataFrame, str, Path | None]:
    """``(table, name for messages, path or None)`` from a DataFrame or a CSV/Parquet file."""
    if isinstance(source, pd.DataFrame):
        table = source.reset_index(drop=True)
        table.columns = [str(c) for c in table.columns]  # names, as read from a file
        return table, f"<{what} DataFrame>", None
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: no such file; expected a {what} CSV")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a {what} CSV")
    try:
        if path.suffix.lower() == ".parquet":
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, skipinitialspace=True, comment=None)
    except ImportError as err:
        raise DataError(f"{path}: reading Parquet needs pyarrow ({err})") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError,
            ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(f"{path}: cannot read as a {what} table ({first})") from None
    table.columns = [str(c).strip() for c in table.columns]
    dupes = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
    if dupes:
        raise DataError(f"{path}:1: {dupes[0]}: column appears twice")
    return table.reset_index(drop=True), str(path), path


def line_of(index: int, path: Path | None) -> int:
    """File line of table row ``index`` (the header is line 1); row number for a DataFrame."""
    return index + 2 if path is not None else index + 1


def where(name: str, index: int, path: Path | None, field: str | None = None) -> str:
    """``file:line: field`` (or ``<DataFrame> row N: field``) for messages."""
    head = f"{name}:{line_of(index, path)}" if path is not None else f"{name} row {index + 1}"
    return f"{head}: {field}" if field else head


def number(value: Any, at: str, *, positive: bool = False, allow_blank: bool = True
           ) -> float | None:
    """A finite float from a table cell, None for a blank; DataError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_blank:
            return None
        raise DataError(f"{at}: expected a number, got a blank")
    try:
        if pd.isna(value):
            if allow_blank:
                return None
            raise DataError(f"{at}: expected a number, got a blank")
    except (TypeError, ValueError):
        pass
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{at}: expected a number, got {value!r}") from None
    if not math.isfinite(out):
        raise DataError(f"{at}: expected a finite number, got {out}")
    if positive and out <= 0:
        raise DataError(f"{at}: expected a positive number, got {out:g}")
    return out


def check_target(target: str, value: float, at: str,
                 hint: str = "check the value and its unit") -> float:
    """``value`` when it lies within :data:`TARGET_LIMITS` of ``target``; DataError otherwise."""
    if target not in TARGET_LIMITS:
        return value
    low, high, low_included = TARGET_LIMITS[target]
    if (value >= low if low_included else value > low) and value <= high:
        return value
    span = f"{'[' if low_included else '('}{low:g}, {high:g}]"
    raise DataError(f"{at}: {value:g} is outside the physically plausible range {span} "
                    f"({hint})")


def is_blank(value: Any) -> bool:
    """True for None, NaN/NA and empty strings."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def ordered_union(groups: Iterable[Iterable[str]]) -> list[str]:
    """Names of several lists, first occurrence order, no repeats."""
    seen: dict[str, None] = {}
    for group in groups:
        for name in group:
            seen.setdefault(name, None)
    return list(seen)
