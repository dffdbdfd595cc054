"""Pool-based emulators: real measurements, and the optimizer may only pick what exists.

A pool is a finite table of formulations that were actually made and measured by
others. The optimizer chooses rows of :meth:`PoolEmulator.candidates` (a discrete search
space) and is scored on how many picks it needs to find the best ones
(:func:`picks_to_top_k`, :func:`rank_of_best_found`). Nothing is interpolated: evaluating
a formulation that is not in the pool is an error.

The data live outside the package (``../shared/data`` beside a checkout, or anywhere):
every pool takes the path of its file, and :func:`default_path` finds the shared copy for
benchmarks and tests only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ionopt.datasets.emulators._base import (
    Emulator, Optimum, _make_optimum, as_generator, check_columns, objective_values,
)
from ionopt.errors import DataError

#: Environment variable that overrides where :func:`default_path` looks.
SHARED_DATA_ENV = "IONOPT_SHARED_DATA"

_DEFAULT_FILES = {
    "calisol23": Path("calisol23") / "calisol23.csv",
    "olympus_p3ht": Path("olympus-p3ht") / "data.csv",
}


def default_path(dataset: str) -> Path:
    """Path of a shared real-data file, for benchmarks and tests (not for the package).

    Looks in ``$IONOPT_SHARED_DATA`` if set, else in ``../shared/data`` beside the
    repository this module was installed from (editable installs).

    Parameters
    ----------
    dataset : str
        ``"calisol23"`` or ``"olympus_p3ht"``.

    Raises
    ------
    DataError
        If the name is unknown or the file is absent, saying where it was looked for.
    """
    if dataset not in _DEFAULT_FILES:
        raise DataError(f"default_path: unknown dataset {dataset!r}; expected one of "
                        f"{', '.join(_DEFAULT_FILES)}")
    env = os.environ.get(SHARED_DATA_ENV)
    root = Path(env) if env else Path(__file__).resolve().parents[3].parent / "shared" / "data"
    path = root / _DEFAULT_FILES[dataset]
    if not path.is_file():
        raise DataError(f"{dataset}: data file {path} not found; pass the path of the file "
                        f"explicitly or set {SHARED_DATA_ENV} to the folder holding "
                        f"{_DEFAULT_FILES[dataset].parent}/")
    return path


class PoolEmulator(Emulator):
    """Base of pool emulators: a finite table of measured formulations.

    Subclasses load ``self._pool`` (a DataFrame with the parameter columns and the target
    columns, index 0..n-1) and define :meth:`space_dict`. The space's continuous bounds
    are the pool's bounding box; the pool itself (:meth:`candidates`) is the search
    space -- an optimizer must choose among its rows.

    ``evaluate`` accepts rows that carry a ``candidate_id`` column (the index of
    :meth:`candidates`) or whose parameter values equal a pool row (to 1e-9).
    Noise (``noise=True``): log-normal, ``noise_log10_sd`` decades (default 0.02, ~5 %);
    the stored values are single measurements, so this is added scatter, not the
    original uncertainty.
    """

    _pool: pd.DataFrame

    def __init__(self, noise_log10_sd: float = 0.02) -> None:
        super().__init__()
        if not noise_log10_sd >= 0:
            raise DataError(f"noise_log10_sd: expected >= 0, got {noise_log10_sd}")
        self.noise_log10_sd = float(noise_log10_sd)

    def candidates(self) -> pd.DataFrame:
        """The pool: ``candidate_id`` and the parameter columns (a copy, no targets)."""
        table = self._pool[self.parameters].copy()
        table.insert(0, "candidate_id", np.arange(len(table)))
        return table

    def table(self) -> pd.DataFrame:
        """The pool with its measured targets (a copy), for analysis and plots."""
        table = self._pool.copy()
        table.insert(0, "candidate_id", np.arange(len(table)))
        return table

    def __len__(self) -> int:
        return len(self._pool)

    def locate(self, df: pd.DataFrame) -> np.ndarray:
        """Pool row numbers of the films in ``df`` (by ``candidate_id`` or by values).

        Raises
        ------
        DataError
            Naming the first row that is not in the pool.
        """
        where = f"{self.name}.evaluate"
        n = len(self._pool)
        if "candidate_id" in df.columns:
            ids = pd.to_numeric(df["candidate_id"], errors="coerce").to_numpy(float)
            bad = ~np.isfinite(ids) | (ids != np.round(ids)) | (ids < 0) | (ids >= n)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise DataError(f"{where}: row {df.index[i]!r}: candidate_id: "
                                f"{df['candidate_id'].iloc[i]!r} is not a pool row; expected "
                                f"an integer in 0..{n - 1}")
            return ids.astype(int)
        params = self.space_dict()["parameters"]
        arrays = check_columns(df, params, where=where)
        pool = self._pool[self.parameters].to_numpy(float)
        query = np.column_stack([arrays[p] for p in self.parameters])
        rows = np.empty(len(df), int)
        for i, q in enumerate(query):
            hit = np.flatnonzero(np.all(np.isclose(pool, q, rtol=1e-9, atol=1e-9), axis=1))
            if hit.size == 0:
                values = ", ".join(f"{p}={v:g}" for p, v in zip(self.parameters, q))
                raise DataError(f"{where}: row {df.index[i]!r}: ({values}) is not in the "
                                f"pool; a pool emulator only measures its candidates() "
                                f"(pass candidate_id or exact values)")
            rows[i] = hit[0]
        return rows

    def _check_input(self, df: pd.DataFrame) -> dict[str, np.ndarray]:
        return {"_row": self.locate(df)}

    def _evaluate_arrays(self, arrays):
        if "_row" in arrays:
            rows = np.asarray(arrays["_row"], int)
        else:  # parameter arrays (dense search): match by values
            rows = self.locate(pd.DataFrame({p: arrays[p] for p in self.parameters}))
        out = {t: self._pool[t].to_numpy(float)[rows] for t in self.targets}
        out["failed"] = np.zeros(len(rows), bool)
        return out

    def _add_noise(self, result, rng):
        out = dict(result)
        for t in self.targets:
            out[t] = result[t] * 10.0 ** rng.normal(0.0, self.noise_log10_sd, len(result[t]))
        return out

    def sample(self, n: int, rng: Any = None) -> pd.DataFrame:
        """``n`` distinct pool rows drawn at random (a random-search baseline)."""
        n = int(n)
        if not 0 <= n <= len(self._pool):
            raise DataError(f"{self.name}.sample: expected 0 <= n <= {len(self._pool)}, "
                            f"got {n}")
        take = as_generator(rng).choice(len(self._pool), size=n, replace=False)
        return self.candidates().iloc[take].reset_index(drop=True)

    def objective_values(self) -> np.ndarray:
        """Primary objective (transformed) of every pool row, in pool order."""
        first = self.objectives[0]
        return objective_values(self._pool[first["target"]].to_numpy(float),
                                first.get("transform"))

    def _compute_optimum(self) -> Optimum:
        first = self.objectives[0]
        values = self.objective_values()
        i = int(np.nanargmax(values) if first["direction"] == "maximize"
                else np.nanargmin(values))
        location = self._pool.iloc[i][self.parameters].to_dict()
        location = {k: float(v) for k, v in location.items()}
        opt = _make_optimum(self, location, self.objectives, False, "pool")
        return Optimum(**{**opt.__dict__, "location": {"candidate_id": i, **location}})

    def picks_needed(self, chosen: pd.DataFrame, *, k: int = 1, mode: str = "any") -> int | None:
        """Picks (1-based) until the campaign ``chosen`` (rows in pick order) has found
        one (``mode="any"``) or all (``"all"``) of the pool's top ``k``; None if never."""
        rows = self.locate(chosen)
        values = self.objective_values()
        return picks_to_top_k(values[rows], values, k=k,
                              direction=self.objectives[0]["direction"], mode=mode)


def _ranks(values: np.ndarray, pool: np.ndarray, direction: str) -> np.ndarray:
    """Rank of each value in the pool, 1 = best (1 + number of strictly better rows)."""
    if direction not in ("maximize", "minimize"):
        raise DataError(f"direction: expected 'maximize' or 'minimize', got {direction!r}")
    sign = 1.0 if direction == "maximize" else -1.0
    pool = np.sort(sign * np.asarray(pool, float)[np.isfinite(pool)])
    v = sign * np.asarray(values, float)
    return (len(pool) - np.searchsorted(pool, v, side="right") + 1).astype(int)


def rank_of_best_found(chosen_values: Sequence[float], pool_values: Sequence[float], *,
                       direction: str = "maximize") -> np.ndarray:
    """After each pick, the pool rank (1 = best) of the best value found so far.

    Parameters
    ----------
    chosen_values : sequence of float
        Objective values of the picks, in pick order.
    pool_values : sequence of float
        Objective values of every pool row (NaN rows are ignored).
    direction : str
        ``"maximize"`` or ``"minimize"``.

    Returns
    -------
    ndarray of int
        Non-increasing; reaches 1 at the pick that finds the best row (ties share rank).
    """
    chosen = np.asarray(chosen_values, float)
    if chosen.size == 0:
        return np.zeros(0, int)
    sign = 1.0 if direction == "maximize" else -1.0
    running = sign * np.fmax.accumulate(sign * chosen)
    return _ranks(running, np.asarray(pool_values, float), direction)


def picks_to_top_k(chosen_values: Sequence[float], pool_values: Sequence[float], *,
                   k: int = 1, direction: str = "maximize", mode: str = "any") -> int | None:
    """Number of picks until the pool's top-``k`` are found.

    A pick counts as top-``k`` when its rank (ties share the better rank) is <= k.
    ``mode="any"``: picks until the first top-``k`` row; ``"all"``: until ``k`` distinct
    top-``k`` picks have been made (pass each pool row at most once). None if never.
    """
    if k < 1:
        raise DataError(f"k: expected >= 1, got {k}")
    if mode not in ("any", "all"):
        raise DataError(f"mode: expected 'any' or 'all', got {mode!r}")
    chosen = np.asarray(chosen_values, float)
    if chosen.size == 0:
        return None
    top = _ranks(chosen, np.asarray(pool_values, float), direction) <= k
    hits = np.cumsum(top)
    need = 1 if mode == "any" else k
    reached = np.flatnonzero(hits >= need)
    return int(reached[0]) + 1 if reached.size else None


# --------------------------------------------------------------------------------------
# CALiSol-23
# --------------------------------------------------------------------------------------

CALISOL_CITATION = ("Mortensen et al., Scientific Data 2024, doi 10.1038/s41597-024-03575-8 "
                    "(CALiSol-23, CC BY 4.0)")


class CALiSolPool(PoolEmulator):
    """One systematic study of CALiSol-23: liquid electrolytes, salt in a solvent blend.

    By default LiPF6 in EC/PC/DEC at 303 K (the rows at 302.55 K of doi
    10.1149/1.1566019; 118 compositions). Parameters are the solvent mass fractions
    ``w_ec``, ``w_pc``, ``w_dec`` (summing to 1) and ``salt_molality_mol_kg``; the
    target is ``conductivity_s_cm`` (CALiSol's ``k`` in mS/cm divided by 1000),
    maximized with a log10 transform.

    Parameters
    ----------
    path : str or Path
        ``calisol23.csv`` (see :func:`default_path` for the shared copy).
    doi : str
        Source paper to keep (its rows must be one salt, mass fractions, mol/kg).
    solvents : sequence of str
        Solvent columns of that paper; other solvents must be absent from its rows.
    temperature_k : float
        Keep rows within ``temperature_tol_k`` of this temperature (K).
    temperature_tol_k : float
        Tolerance on the temperature, K.
    noise_log10_sd : float
        Added log-normal scatter for ``evaluate(noise=True)``, decades.

    Source: Mortensen et al., Scientific Data 2024, doi 10.1038/s41597-024-03575-8.
    """

    name = "calisol_lipf6_ec_pc_dec"
    targets = ("conductivity_s_cm",)

    def __init__(self, path: str | os.PathLike, *, doi: str = "10.1149/1.1566019",
                 solvents: Sequence[str] = ("EC", "PC", "DEC"), temperature_k: float = 303.0,
                 temperature_tol_k: float = 1.0, noise_log10_sd: float = 0.02) -> None:
        super().__init__(noise_log10_sd)
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: CALiSol-23 file not found; expected calisol23.csv")
        raw = pd.read_csv(self.path)
        need = {"doi", "k", "T", "c", "salt", "c units", "solvent ratio type", *solvents}
        missing = sorted(need - set(raw.columns))
        if missing:
            raise DataError(f"{self.path}: missing column(s) {', '.join(missing)}; expected "
                            "the CALiSol-23 table (doi, k, T, c, salt, ...)")
        rows = raw[(raw["doi"] == doi)
                   & ((raw["T"] - temperature_k).abs() <= temperature_tol_k)]
        if rows.empty:
            temps = sorted(raw.loc[raw["doi"] == doi, "T"].unique())
            raise DataError(f"{self.path}: no rows of doi {doi} within {temperature_tol_k:g} K "
                            f"of {temperature_k:g} K; that doi has temperatures "
                            f"{[round(t, 2) for t in temps] or 'none (unknown doi)'}")
        for column in ("salt", "c units", "solvent ratio type"):
            if rows[column].nunique() != 1:
                raise DataError(f"{self.path}: doi {doi}: expected one {column!r}, got "
                                f"{sorted(rows[column].unique())}")
        if rows["c units"].iloc[0] != "mol/kg" or rows["solvent ratio type"].iloc[0] != "w":
            raise DataError(f"{self.path}: doi {doi}: expected mol/kg and mass fractions, got "
                            f"{rows['c units'].iloc[0]!r}, {rows['solvent ratio type'].iloc[0]!r}")
        solvent_columns = [c for c in raw.columns[raw.columns.get_loc("solvent ratio type") + 1:]]
        others = [c for c in solvent_columns if c not in solvents
                  and pd.to_numeric(rows[c], errors="coerce").fillna(0).ne(0).any()]
        if others:
            raise DataError(f"{self.path}: doi {doi}: rows also contain {', '.join(others)}; "
                            f"add them to solvents")
        self.solvents = tuple(solvents)
        self.salt = str(rows["salt"].iloc[0])
        self.doi = doi
        self.temperature_k = float(rows["T"].mean())
        pool = pd.DataFrame({f"w_{s.lower()}": rows[s].to_numpy(float) for s in solvents})
        pool["salt_molality_mol_kg"] = rows["c"].to_numpy(float)
        pool["conductivity_s_cm"] = rows["k"].to_numpy(float) / 1000.0
        if pool.duplicated(subset=list(pool.columns[:-1])).any():
            raise DataError(f"{self.path}: doi {doi}: duplicate compositions at this "
                            "temperature; a pool needs one measurement per formulation")
        self._pool = pool.reset_index(drop=True)

    def space_dict(self) -> dict:
        fractions = [f"w_{s.lower()}" for s in self.solvents]
        params = [{"name": c, "type": "continuous",
                   "bounds": [float(self._pool[c].min()), float(self._pool[c].max())]}
                  for c in fractions + ["salt_molality_mol_kg"]]
        return {
            "parameters": params,
            "constraints": [{"type": "linear_equality",
                             "coefficients": {c: 1.0 for c in fractions}, "rhs": 1.0}],
            "objectives": [{"target": "conductivity_s_cm", "direction": "maximize",
                            "transform": "log10"}],
        }


# --------------------------------------------------------------------------------------
# Olympus P3HT / CNT films
# --------------------------------------------------------------------------------------

OLYMPUS_CITATION = ("Olympus benchmark dataset 'p3ht' (Aspuru-Guzik group, MIT licence; "
                    "Häse et al., Mach. Learn.: Sci. Technol. 2, 035021 (2021)); films made "
                    "by an automated flow-mixing / drop-casting platform")


class OlympusP3HTPool(PoolEmulator):
    """178 real drop-cast P3HT / carbon-nanotube films (Olympus benchmark ``p3ht``).

    A host polymer plus four nanotube fillers, the same shape as a polymer + filler
    electrolyte recipe. Parameters are mass fractions ``w_p3ht``, ``w_d1``, ``w_d2``,
    ``w_d6``, ``w_d8`` (the file's mass percentages divided by their row sum, which is
    99.89-100.10 %, so that they sum to 1 exactly); the target ``conductivity_s_cm``
    (electrical, S/cm as in the Olympus description) is maximized.

    Parameters
    ----------
    path : str or Path
        ``data.csv`` of the Olympus ``p3ht`` dataset (no header); the column names are
        read from ``config.json`` beside it when present.
    noise_log10_sd : float
        Added log-normal scatter for ``evaluate(noise=True)``, decades.
    """

    name = "olympus_p3ht"
    targets = ("conductivity_s_cm",)
    COLUMNS = ("p3ht_content", "d1_content", "d2_content", "d6_content", "d8_content",
               "conductivity")

    def __init__(self, path: str | os.PathLike, *, noise_log10_sd: float = 0.02) -> None:
        super().__init__(noise_log10_sd)
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"{self.path}: Olympus p3ht data file not found; expected data.csv")
        names = list(self.COLUMNS)
        config = self.path.with_name("config.json")
        if config.is_file():
            spec = json.loads(config.read_text())
            names = ([p["name"] for p in spec["parameters"]]
                     + [m["name"] for m in spec["measurements"]])
        raw = pd.read_csv(self.path, header=None)
        if raw.shape[1] != len(names):
            raise DataError(f"{self.path}: expected {len(names)} columns ({', '.join(names)}), "
                            f"got {raw.shape[1]}")
        raw.columns = names
        try:
            raw = raw.astype(float)
        except ValueError:
            raise DataError(f"{self.path}: expected numbers in every cell") from None
        fractions = [n for n in names if n.endswith("_content")]
        total = raw[fractions].sum(axis=1)
        if ((total - 100.0).abs() > 1.0).any():
            i = int(np.flatnonzero((total - 100.0).abs().to_numpy() > 1.0)[0])
            raise DataError(f"{self.path}:{i + 1}: mass percentages sum to {total.iloc[i]:g}; "
                            "expected 100")
        pool = pd.DataFrame({f"w_{n[:-len('_content')]}": raw[n] / total for n in fractions})
        pool["conductivity_s_cm"] = raw[names[-1]]
        self._pool = pool.reset_index(drop=True)

    def space_dict(self) -> dict:
        fractions = [c for c in self._pool.columns if c.startswith("w_")]
        return {
            "parameters": [{"name": c, "type": "continuous",
                            "bounds": [float(self._pool[c].min()), float(self._pool[c].max())]}
                           for c in fractions],
            "constraints": [{"type": "linear_equality",
                             "coefficients": {c: 1.0 for c in fractions}, "rhs": 1.0}],
            "objectives": [{"target": "conductivity_s_cm", "direction": "maximize"}],
        }


__all__ = ["CALISOL_CITATION", "CALiSolPool", "OLYMPUS_CITATION", "OlympusP3HTPool",
           "PoolEmulator", "SHARED_DATA_ENV", "default_path", "picks_to_top_k",
           "rank_of_best_found"]
