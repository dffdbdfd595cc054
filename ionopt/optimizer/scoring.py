"""``score``: predictions, feasibility, desirability, acquisition and rank of given recipes.

Candidates outside the space (a bound, an allowed value or a constraint broken, a blank
or unknown parameter value) are kept and flagged -- ``in_space`` False and a readable
``violations`` text -- and get no rank; they are never dropped silently. Predictions are
still made for rows whose parameter values can be encoded.

Work is chunked (``chunk_size`` rows at a time) so a million candidates fit in well under
2 GB.
"""

from __future__ import annotations

import warnings

import numpy as np

from ionopt.errors import ModelError
from ionopt.recipes import DEFAULT_BATCH_G


def score(candidates, space, data, *, pending=None, seed: int | None = None,
          batch_g: float = DEFAULT_BATCH_G, chunk_size: int = 100_000, grams: bool = True,
          **options):
    """Score candidate recipes against the campaign's data.

    Parameters
    ----------
    candidates : DataFrame or path
        One column per parameter (fixed ones optional); other columns are kept.
    space : SearchSpace, path or mapping
        Search space with objectives.
    data : DataFrame or path
        Experiments so far (as for :func:`~ionopt.optimizer.propose`).
    pending : DataFrame or path, optional
        Experiments in progress, believed at the model's mean.
    seed : int, optional
        Seed of the surrogate fit and Monte-Carlo samples.
    batch_g : float
        Grams of solids for the weighing columns (film spaces).
    chunk_size : int
        Rows evaluated at a time.
    grams : bool
        Add the grams columns (film spaces).
    **options
        Native-backend options (``acquisition``, ``multi``, ``model``...).

    Returns
    -------
    DataFrame
        The candidates' columns, grams (film spaces), ``<target>_pred``,
        ``<target>_std``, ``p_thresholds`` (probability of meeting every threshold),
        ``p_made`` (film forms), ``prob_feasible`` (their product), ``desirability``
        (of the predicted means), ``acquisition``, ``in_space``, ``violations`` and
        ``rank`` (1 = best; blank for rows outside the space).
    """
    import pandas as pd

    from ionopt.optimizer.native import NativeBackend, single_thread
    from ionopt.optimizer.proposals import _load_space, _load_table, add_grams

    space = _load_space(space)
    objectives = space.require_objectives()
    cands = _load_table(candidates, "candidates")
    data = _load_table(data, "data")
    pending = _load_table(pending, "pending", required=False)
    chunk_size = max(1, int(chunk_size))

    checked = space.validate_table(cands, where="candidates", allow_missing=True)
    valid = _valid_rows(space, checked)
    in_space = np.zeros(len(checked), dtype=bool)
    if valid.any():
        in_space[valid] = space.is_feasible(checked.loc[valid])
    violations = np.full(len(checked), "", dtype=object)
    bad = np.flatnonzero(~in_space)
    if bad.size:
        invalid = ~valid
        for i in np.flatnonzero(invalid):
            violations[i] = "blank or unknown parameter value"
        outside = np.flatnonzero(valid & ~in_space)
        if outside.size:
            violations[outside] = space.violations(checked.iloc[outside])

    backend = NativeBackend(**options)
    try:
        ctx = backend.fit(space, data, pending=pending, seed=seed)
    except ModelError as err:
        warnings.warn(f"cannot model the targets yet ({err}); predictions left blank",
                      stacklevel=2)
        ctx = None

    m = len(checked)
    k = len(objectives)
    cols: dict[str, np.ndarray] = {}
    for obj in objectives:
        cols[f"{obj.target}_pred"] = np.full(m, np.nan)
        cols[f"{obj.target}_std"] = np.full(m, np.nan)
    p_thr = np.full(m, np.nan)
    p_made = np.full(m, np.nan)
    acq = np.full(m, np.nan)
    des = np.full(m, np.nan)
    if ctx is not None:
        idx = np.flatnonzero(valid)
        low, high = objectives.desirability_ranges(ctx.observed)
        with single_thread():
            for start in range(0, len(idx), chunk_size):
                rows = idx[start:start + chunk_size]
                part = checked.iloc[rows][space.names]
                X = ctx.features.encode(part)
                ev = ctx.evaluate(X)
                p_thr[rows] = ev.p_thresholds
                p_made[rows] = ev.p_made
                acq[rows] = ev.acquisition
                oriented = np.full((len(rows), k), np.nan)
                for j, obj in enumerate(objectives):
                    if obj.target not in ctx.models:
                        continue
                    jj = ctx.objectives.targets.index(obj.target)
                    tm = ctx.models[obj.target]
                    mu = ev.mean[:, jj] * obj.sign  # back to the modelled space
                    sd = np.sqrt(ev.std[:, jj] ** 2 + tm.noise_std ** 2)
                    cols[f"{obj.target}_pred"][rows] = tm.transform.inverse(mu)
                    cols[f"{obj.target}_std"][rows] = tm.transform.std_units(mu, sd)
                    oriented[:, j] = ev.mean[:, jj]
                # Objectives without a model: treat as neutral in desirability.
                miss = ~np.isfinite(oriented)
                oriented[miss] = np.broadcast_to(high, oriented.shape)[miss]
                des[rows] = objectives.desirability_from_oriented(
                    oriented, np.nan_to_num(low, nan=-np.inf), np.nan_to_num(high, nan=np.inf))
    out = checked if not grams else add_grams(checked, batch_g, process=False)
    out = out.copy()
    for key, value in cols.items():
        out[key] = value
    out["p_thresholds"] = p_thr
    out["p_made"] = p_made
    out["prob_feasible"] = p_thr * p_made
    out["desirability"] = des
    out["acquisition"] = acq
    out["in_space"] = in_space
    out["violations"] = violations
    rank = pd.array([pd.NA] * m, dtype="Int64")
    ok = np.flatnonzero(in_space & np.isfinite(acq))
    if ok.size:
        order = ok[np.lexsort((ok, -acq[ok]))]  # best first, ties by row order
        rank[order] = np.arange(1, order.size + 1)
    out["rank"] = rank
    return out


def _valid_rows(space, table) -> np.ndarray:
    """Rows whose parameter values can be encoded (numbers, known labels)."""
    ok = np.ones(len(table), dtype=bool)
    for p in space.parameters:
        col = table[p.name]
        if p.kind == "categorical":
            ok &= p.contains(col.to_numpy())
        elif p.kind in ("continuous", "discrete"):
            ok &= np.isfinite(col.to_numpy(dtype=float))
    return ok


__all__ = ["score"]
