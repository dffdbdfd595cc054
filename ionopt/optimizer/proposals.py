"""``propose``: the next recipes to make, in grams, with predictions and a reason.

The backend (native, Optuna, scikit-optimize) only chooses parameter rows; this module
turns them into what the lab needs, the same way for every backend:

* grams of filler, LiTFSI and PVDF-HFP for a batch of solids (default 2 g) when the
  parameters describe a film -- the paper's ``pvdf_hfp_content`` (+ optional
  ``filler_to_salt``, 1.0 when absent) or mass fractions ``w_filler``, ``w_litfsi``,
  ``w_pvdf_hfp`` -- via :func:`ionopt.recipes.masses_from_content`;
* the paper's process settings for any process column the space does not set;
* ``<target>_pred`` and ``<target>_std`` in the target's units (for a new measurement:
  model uncertainty plus measurement noise), ``prob_feasible`` (thresholds met x film
  forms), ``acquisition`` and a short ``reason`` (exploit / explore / feasibility /
  initial design).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ionopt.errors import DataError, ModelError, SpaceError
from ionopt.recipes import (DEFAULT_BATCH_G, NO_FILLER, PAPER_DRYING, PAPER_SOLVENT_ML,
                            PAPER_STIRRING, masses_from_content)

FRACTIONS = ("w_filler", "w_litfsi", "w_pvdf_hfp")
#: Process columns added (paper's values) when a recipe space does not set them.
PROCESS_DEFAULTS = {
    "solvent": "DMF", "solvent_ml": PAPER_SOLVENT_ML, "process": "solution_casting",
    "stirring_temp_c": PAPER_STIRRING[0], "stirring_time_h": PAPER_STIRRING[1],
    "drying_temp_c": PAPER_DRYING[0], "drying_time_h": PAPER_DRYING[1],
}


def describes_recipe(columns) -> str | None:
    """``"content"``, ``"fractions"`` or None: how a table's columns describe a film."""
    cols = set(columns)
    if "pvdf_hfp_content" in cols:
        return "content"
    if set(FRACTIONS) <= cols:
        return "fractions"
    return None


def add_grams(table, batch_g: float = DEFAULT_BATCH_G, *, process: bool = True):
    """Copy of ``table`` with ``filler_g``, ``litfsi_g``, ``pvdf_hfp_g`` (and the paper's
    process settings for missing process columns) when its columns describe a film.

    Parameters
    ----------
    table : DataFrame
        Parameter rows.
    batch_g : float
        Grams of solids (filler + LiTFSI + PVDF-HFP) per batch.
    process : bool
        Add :data:`PROCESS_DEFAULTS` for absent process columns.
    """
    kind = describes_recipe(table.columns)
    out = table.copy()
    if kind is None:
        return out
    batch = float(batch_g)
    if not np.isfinite(batch) or batch <= 0:
        raise SpaceError(f"batch_g: expected a positive batch size in grams, got {batch_g!r}")
    if kind == "content":
        content = out["pvdf_hfp_content"].to_numpy(dtype=float)
        ratio = (out["filler_to_salt"].to_numpy(dtype=float) if "filler_to_salt" in out
                 else np.ones(len(out)))
        if "filler" in out:
            ratio = np.where(out["filler"].astype(str).to_numpy() == NO_FILLER, 0.0, ratio)
        f, s, p = masses_from_content(content, ratio, batch)
    else:
        w = out[list(FRACTIONS)].to_numpy(dtype=float)
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            f, s, p = (w[:, i] / total * batch for i in range(3))
    out["filler_g"], out["litfsi_g"], out["pvdf_hfp_g"] = f, s, p
    if process:
        for name, value in PROCESS_DEFAULTS.items():
            if name not in out:
                out[name] = value
    return out


def _load_space(space):
    from ionopt.optimizer.space import SearchSpace

    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, (str, Path)):
        return SearchSpace.from_yaml(space)
    if isinstance(space, dict):
        return SearchSpace.from_dict(space)
    raise SpaceError(f"space: expected a SearchSpace, a YAML path or a mapping, got "
                     f"{type(space).__name__}")


def _load_table(table, what: str, *, required: bool = True):
    import pandas as pd

    if table is None:
        if required:
            raise DataError(f"{what}: missing; expected a table")
        return None
    if isinstance(table, pd.DataFrame):
        return table
    if isinstance(table, (str, Path)):
        path = Path(table)
        if not path.exists():
            raise DataError(f"{path}: no such file; expected the {what} CSV")
        try:
            frame = pd.read_csv(path)
            frame.attrs["source"] = str(path)
            return frame
        except (pd.errors.ParserError, UnicodeDecodeError) as err:
            raise DataError(f"{path}: not a readable CSV ({str(err).splitlines()[0]})") \
                from None
        except pd.errors.EmptyDataError:
            raise DataError(f"{path}: empty file; expected a header row") from None
    raise DataError(f"{what}: expected a DataFrame or a CSV path, got {type(table).__name__}")


def predictions(ctx, rows, objectives) -> dict[str, np.ndarray]:
    """``<t>_pred`` / ``<t>_std`` columns (target units, new measurement) for ``rows``."""
    out = {}
    X = ctx.encode(rows) if ctx is not None else None
    for obj in objectives:
        t = obj.target
        if ctx is None or t not in ctx.models:
            out[f"{t}_pred"] = np.full(len(rows), np.nan)
            out[f"{t}_std"] = np.full(len(rows), np.nan)
            continue
        pred, std = units_prediction(ctx.models[t], X)
        out[f"{t}_pred"], out[f"{t}_std"] = pred, std
    return out


def units_prediction(tm, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd in target units of a new measurement at encoded ``X``."""
    mean, sd = tm.estimator.predict_latent(X)
    s = np.sqrt(np.asarray(sd) ** 2 + tm.noise_std ** 2)
    tr = tm.transform
    return np.asarray(tr.inverse(mean), dtype=float), np.asarray(tr.std_units(mean, s),
                                                                   dtype=float)


def propose(space, data, n: int = 4, *, pending=None, candidates=None,
            backend="native", seed: int | None = None, batch_g: float = DEFAULT_BATCH_G,
            **options):
    """The next ``n`` recipes to make.

    Parameters
    ----------
    space : SearchSpace, path or mapping
        The search space with its objectives (a YAML path is read).
    data : DataFrame or path
        Experiments so far: one column per parameter, one per target (blank when not
        measured) and optionally ``failed`` (true/false).
    n : int
        Number of proposals (a batch made together).
    pending : DataFrame or path, optional
        Recipes being made or measured now (parameter columns only); proposals avoid
        them and the model believes its own prediction there.
    candidates : DataFrame or path, optional
        Pool mode: proposals are chosen among these rows only (what a robot can
        dispense, what is in stock); rows outside the space, and rows exactly equal to a
        measured, failed or pending recipe, are skipped; the output rows are exact pool
        rows with their ``pool_row`` index (the pool's row label).
    backend : str or Backend
        ``"native"`` (default), ``"optuna-tpe"``, ``"optuna-gp"``, ``"skopt"``, or an
        instance.
    seed : int, optional
        Same seed and inputs -> same proposals.
    batch_g : float
        Grams of solids per batch for the weighing columns.
    **options
        Passed to the backend (e.g. ``acquisition="ucb"``, ``tolerance=0.02``).

    Returns
    -------
    DataFrame
        Parameter columns, grams and process settings (for film spaces),
        ``<target>_pred``, ``<target>_std``, ``prob_feasible``, ``acquisition``,
        ``reason``, ``backend`` (and ``pool_row`` in pool mode).
    """

    from ionopt.optimizer.backends import Backend, get_backend
    from ionopt.optimizer.native import NativeBackend, single_thread

    space = _load_space(space)
    objectives = space.require_objectives()
    data = _load_table(data, "data")
    pending = _load_table(pending, "pending", required=False)
    pool = _load_table(candidates, "candidates", required=False)
    n = int(n)
    if n < 1:
        raise SpaceError(f"n: expected at least 1 proposal, got {n}")
    engine = backend if isinstance(backend, Backend) else get_backend(backend, **options)

    ctx = None
    if isinstance(engine, NativeBackend):
        sug = engine.suggest(space, data, n, pending=pending, seed=seed, pool=pool)
        rows, acq, reasons, ctx = sug.rows, sug.acquisition, sug.reasons, sug.context
    else:
        if pool is not None:
            rows = engine.ask_pool(space, data, pool, n, pending=pending, seed=seed)
        else:
            rows = engine.ask(space, data, n, pending=pending, seed=seed)
        acq, reasons = np.full(len(rows), np.nan), [f"{engine.name}"] * len(rows)
    pool_index = rows.index.to_numpy() if pool is not None else None
    rows = space.complete(rows)
    params = rows[space.names].reset_index(drop=True)

    if ctx is None:
        try:
            ctx = NativeBackend().fit(space, data, pending=pending, seed=seed)
        except (ModelError, SpaceError):
            ctx = None
        if ctx is not None and not isinstance(engine, NativeBackend):
            with single_thread():
                ev = ctx.evaluate(ctx.encode(params))
            acq = ev.acquisition
            reasons = [f"{engine.name}: {r}" for r in ev.reasons()]
    with single_thread():
        preds = predictions(ctx, params, objectives)
        if ctx is not None:
            ev0 = ctx.evaluate(ctx.encode(params))
            prob = ev0.p_thresholds * ev0.p_made
        else:
            prob = np.full(len(params), np.nan)
    out = add_grams(params, batch_g)
    for key, value in preds.items():
        out[key] = value
    out["prob_feasible"] = prob
    out["acquisition"] = np.asarray(acq, dtype=float)
    out["reason"] = list(reasons)
    out["backend"] = engine.name
    if pool_index is not None:
        out.insert(0, "pool_row", pool_index)
    return out


__all__ = ["FRACTIONS", "PROCESS_DEFAULTS", "add_grams", "describes_recipe", "predictions",
           "propose", "units_prediction"]
