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
        return source.reset_index(drop=True), f"<{what} DataFrame>", None
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
        raise DataError(f"{at}: expected a finite number, got {value!r}")
    if positive and out <= 0:
        raise DataError(f"{at}: expected a positive number, got {out:g}")
    return out


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
