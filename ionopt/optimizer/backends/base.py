"""The backend contract and helpers every backend shares.

A backend turns (space, campaign data, pending experiments) into the next ``n`` parameter
rows. It is stateless between calls: everything it knows comes from ``data`` (the data.csv
frame: parameter columns, target columns -- possibly blank -- and an optional ``failed``
column) and ``pending`` (parameter columns only). :func:`ionopt.optimizer.propose` adds
grams, predictions, acquisition values and reasons afterwards, the same way for every
backend.

Rules every ``ask`` must follow (the behavioural tests check them for each backend):

* return exactly ``n`` rows, parameter columns only, in ``space.names`` order;
* every row feasible (``space.is_feasible`` all True);
* no two rows, and no row and a measured/failed/pending recipe, "the same" under
  :func:`same_recipe` with the backend's ``tolerance``;
* same ``seed`` and inputs -> same rows.

:meth:`Backend.finalize` enforces these for backends that cannot guarantee them
themselves (repairing rows slightly outside the space, dropping near-duplicates and
filling up with space-filling samples far from everything).
"""

from __future__ import annotations

import numpy as np

from ionopt.errors import DataError, SpaceError, located, shown_cell

#: Default distinctness tolerance, as a fraction of each numeric parameter's range.
DEFAULT_TOLERANCE = 0.01


class Backend:
    """Base class: ``ask`` for the next ``n`` recipes given the data so far.

    Parameters
    ----------
    tolerance : float
        Two recipes count as the same when every categorical and discrete value is equal
        and every continuous value differs by at most ``tolerance`` times its range.
    n_initial : int, optional
        Below this many usable observations, propose a space-filling initial design
        instead of using the model (default: number of free parameters + 1, at least 5).
    **options
        Backend-specific settings; unknown ones raise :class:`~ionopt.errors.SpaceError`
        in subclasses that check them.
    """

    #: Registry name (``"native"``, ``"optuna-tpe"``...).
    name: str = "base"
    #: How the backend copes with mixture/linear constraints (shown in docs and reports).
    constraint_handling: str = "native: constraints are honoured by the sampler"

    def __init__(self, *, tolerance: float = DEFAULT_TOLERANCE, n_initial: int | None = None,
                 **options) -> None:
        tolerance = float(tolerance)
        if not 0 <= tolerance < 1:
            raise SpaceError(f"tolerance: expected a fraction of the range in [0, 1), "
                             f"got {tolerance:g}")
        self.tolerance = tolerance
        self.n_initial = n_initial
        self.options = dict(options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tolerance={self.tolerance:g})"

    # ---- the contract ------------------------------------------------------------------
    def ask(self, space, data, n: int, *, pending=None, seed: int | None = None):
        """The next ``n`` parameter rows (a DataFrame with ``space.names`` columns)."""
        raise NotImplementedError

    def ask_pool(self, space, data, pool, n: int, *, pending=None, seed: int | None = None):
        """The next ``n`` rows chosen *from* ``pool`` (a finite candidate table).

        The default asks for ``n`` free proposals, then maps each to the nearest pool row
        (in the encoded space, see :func:`encode_for_distance`) that is feasible, not yet
        measured or pending and not already chosen. Returns the chosen pool rows
        unchanged, keeping the pool's index so callers can tell which rows they are.
        """
        usable = usable_pool(space, pool, data, pending, self.tolerance)
        if len(usable) < n:
            raise SpaceError(f"candidates: only {len(usable)} pool row(s) are inside the space "
                             f"and not yet measured or pending; {n} requested")
        free = self.ask(space, data, n, pending=pending, seed=seed)
        return nearest_unused_rows(space, usable, free)

    # ---- helpers for subclasses ----------------------------------------------------------
    def usable_data(self, space, data):
        """Validated data: (parameter table of every row, failed mask)."""
        return usable_data(space, data)

    def initial_size(self, space) -> int:
        """Observations needed before the model is trusted (``n_initial``)."""
        if self.n_initial is not None:
            return int(self.n_initial)
        return max(5, len(space.free_names) + 1)

    def finalize(self, space, rows, data, pending, n: int, seed: int | None = None):
        """Make ``rows`` a valid answer: feasible, distinct, exactly ``n`` rows.

        Rows slightly outside the space are repaired (:func:`nearest_feasible`); rows
        that are still outside or too close to a done/pending/earlier row are dropped;
        the shortfall is filled with space-filling samples far from everything.
        """
        from ionopt.optimizer.sampling import nearest_feasible

        done = known_rows(space, data, pending)
        rows = space.complete(rows)[space.names].reset_index(drop=True)
        if len(rows):
            rows = nearest_feasible(space, rows)
            rows = rows[space.is_feasible(rows)].reset_index(drop=True)
        keep = select_distinct(space, rows, n, exclude=done, tolerance=self.tolerance)
        out = rows.iloc[keep].reset_index(drop=True)
        if len(out) < n:
            out = fill_distinct(space, out, n, exclude=done, tolerance=self.tolerance,
                                seed=seed)
        return out


# ------------------------------------------------------------------------------------------
# Shared helpers
# ------------------------------------------------------------------------------------------


def check_target_cells(space, data) -> None:
    """Refuse objective values that cannot be measurements, naming file, line and column.

    A blank cell is a target not measured yet and stays allowed; text (``abc``, ``1,2e-3``),
    an infinite value, or a value <= 0 where the objective takes log10 is a typo or a
    wrong unit. Dropping it, or every observation with it, would silently change what
    the model learns, so it is an error. Rows marked failed are not checked: their
    targets are not used. Lines count the header as line 1.

    Raises
    ------
    DataError
        For the first bad cell of each objective column.
    """
    import pandas as pd

    from ionopt.optimizer.objectives import failed_mask

    if space.objectives is None or not len(data):
        return
    source = str(data.attrs.get("source", "data"))
    made = ~failed_mask(data)
    problems = []
    for objective in space.objectives:
        name = objective.target
        if name not in data.columns:
            continue
        cells = data[name]
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float)
        given = cells.notna().to_numpy() & made
        text = given & np.isnan(values)
        infinite = given & np.isinf(values)
        log_bad = (given & np.isfinite(values) & (values <= 0)
                   if objective.transform == "log10" else np.zeros(len(values), bool))
        for i in np.flatnonzero(text | infinite | log_bad):
            if text[i] or infinite[i]:
                what = f"expected a number (or a blank if not measured), got {shown_cell(cells.iloc[i])}"
            else:
                what = (f"{values[i]:g} cannot be log10-transformed (the objective takes "
                        f"log10 {name}); correct the value or blank it, or drop "
                        "'transform: log10' from the space")
            problems.append(located(what, file=source, line=i + 2, field=name))
            break
    if problems:
        raise DataError("\n".join(problems))


def usable_data(space, data):
    """Validate ``data`` against ``space``: returns (table, failed mask).

    Rows with blank or unknown parameter values are dropped with an
    :class:`~ionopt.optimizer.space.OptimizerWarning`; rows outside the bounds are kept
    (they still teach the model).
    """
    import pandas as pd

    from ionopt.optimizer.objectives import failed_mask

    if data is None:
        data = pd.DataFrame({name: [] for name in space.free_names})
    check_target_cells(space, data)
    table = space.validate_table(data, where="data", drop_unknown=True)
    table = table.reset_index(drop=True)
    return table, failed_mask(table)


def known_rows(space, data, pending):
    """Parameter rows already measured, failed or pending (for distinctness checks)."""
    import pandas as pd

    parts = []
    if data is not None and len(data):
        parts.append(space.validate_table(data, where="data", allow_missing=True)[space.names])
    if pending is not None and len(pending):
        parts.append(space.validate_table(pending, where="pending",
                                          allow_missing=True)[space.names])
    if not parts:
        return pd.DataFrame({name: [] for name in space.names})
    return pd.concat(parts, ignore_index=True)


def nearest_unused_rows(space, pool, rows, used=None):
    """Map each of ``rows`` to the nearest pool row not used yet, greedily in order.

    Distance is L1 in :func:`encode_for_distance` coordinates; a pool row is used at most
    once. ``used`` (bool array over ``pool``) marks rows that are already taken. Returns
    the chosen rows of ``pool`` (its index kept).
    """
    enc_pool = encode_for_distance(space, pool)
    taken = np.zeros(len(pool), dtype=bool) if used is None else np.array(used, dtype=bool)
    chosen = []
    for row in encode_for_distance(space, rows):
        d = np.abs(enc_pool - row).sum(axis=1)
        d[taken] = np.inf
        j = int(np.argmin(d))
        taken[j] = True
        chosen.append(j)
    return pool.iloc[chosen]


def encode_for_distance(space, table) -> np.ndarray:
    """Rows -> array where numeric parameters are scaled by their range and each
    categorical is its label index times 1e6 (so different labels are never close)."""
    cols = []
    for p in space.parameters:
        if p.kind in ("continuous", "discrete"):
            span = p.high - p.low
            span = span if span > 0 else 1.0
            cols.append((np.asarray(table[p.name], dtype=float) - p.low) / span)
        elif p.kind == "categorical":
            lookup = {v: i for i, v in enumerate(p.values)}
            cols.append(np.array([lookup.get(str(v), -1) for v in table[p.name]],
                                 dtype=float) * 1e6)
    if not cols:
        return np.zeros((len(table), 0))
    return np.nan_to_num(np.column_stack(cols), nan=-1e9)


def close_mask(space, rows, others, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """For each row of ``rows``: is it the same recipe (within ``tolerance``) as any row of
    ``others``? Chebyshev distance on :func:`encode_for_distance`, chunked for big tables."""
    a = encode_for_distance(space, rows)
    b = encode_for_distance(space, others)
    out = np.zeros(len(a), dtype=bool)
    if len(a) == 0 or len(b) == 0:
        return out
    tol = tolerance + 1e-12
    chunk = max(1, 2_000_000 // max(1, len(b) * a.shape[1]))
    for start in range(0, len(a), chunk):
        d = np.abs(a[start:start + chunk, None, :] - b[None, :, :]).max(axis=2)
        out[start:start + chunk] = (d <= tol).any(axis=1)
    return out


def same_recipe(space, a, b, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Pairwise (len(a), len(b)) boolean matrix: rows describe the same recipe."""
    ea, eb = encode_for_distance(space, a), encode_for_distance(space, b)
    if len(ea) == 0 or len(eb) == 0:
        return np.zeros((len(ea), len(eb)), dtype=bool)
    return np.abs(ea[:, None, :] - eb[None, :, :]).max(axis=2) <= tolerance + 1e-12


def select_distinct(space, rows, n: int, *, exclude=None,
                    tolerance: float = DEFAULT_TOLERANCE) -> list[int]:
    """Positions of up to ``n`` rows of ``rows`` (taken in order) that are distinct from
    each other and from ``exclude``."""
    if len(rows) == 0 or n <= 0:
        return []
    enc = encode_for_distance(space, rows)
    blocked = (close_mask(space, rows, exclude, tolerance) if exclude is not None
               and len(exclude) else np.zeros(len(rows), dtype=bool))
    chosen: list[int] = []
    tol = tolerance + 1e-12
    for i in range(len(rows)):
        if blocked[i]:
            continue
        if chosen and (np.abs(enc[chosen] - enc[i]).max(axis=1) <= tol).any():
            continue
        chosen.append(i)
        if len(chosen) == n:
            break
    return chosen


def fill_distinct(space, rows, n: int, *, exclude=None, tolerance: float = DEFAULT_TOLERANCE,
                  seed: int | None = None):
    """``rows`` plus space-filling samples, all distinct, up to ``n`` rows.

    Samples are taken greedily by largest distance to everything already known
    (maximin), so fillers also explore.
    """
    import pandas as pd

    need = n - len(rows)
    if need <= 0:
        return rows.reset_index(drop=True)
    pool = space.sample(max(256, 32 * need), seed=seed)
    known = pd.concat([x for x in (exclude, rows) if x is not None and len(x)],
                      ignore_index=True) if (exclude is not None and len(exclude)) or len(rows) \
        else None
    enc = encode_for_distance(space, pool)
    enc = np.where(np.abs(enc) >= 1e5, enc / 1e6, enc)  # categories: unit distance
    if known is not None and len(known):
        ek = encode_for_distance(space, known)
        ek = np.where(np.abs(ek) >= 1e5, ek / 1e6, ek)
        dmin = np.abs(enc[:, None, :] - ek[None, :, :]).max(axis=2).min(axis=1)
    else:
        dmin = np.full(len(pool), np.inf)
    picked = []
    for _ in range(need):
        j = int(np.argmax(dmin))
        if dmin[j] <= tolerance:
            break
        picked.append(j)
        dmin = np.minimum(dmin, np.abs(enc - enc[j]).max(axis=1))
    if len(picked) < need:
        raise SpaceError(f"cannot find {n} distinct recipes in the space with tolerance "
                         f"{tolerance:g}; the space is too small or too crowded")
    return pd.concat([rows, pool.iloc[picked]], ignore_index=True)[space.names]


def usable_pool(space, pool, data, pending, tolerance: float = DEFAULT_TOLERANCE):
    """Pool rows that are inside the space and neither measured, failed nor pending.

    Returns the pool rows (all columns, original index); rows outside the space are
    left out with an :class:`~ionopt.optimizer.space.OptimizerWarning` naming their
    lines. Raises :class:`~ionopt.errors.DataError` when the pool misses a parameter
    column.
    """
    import warnings

    from ionopt.optimizer.space import OptimizerWarning

    checked = space.validate_table(pool, where="candidates", allow_missing=True)
    inside = space.is_feasible(checked)
    if not inside.all():
        # Said, not silently skipped: a pool row outside the space is often a unit or
        # bound typo in the space file or the pool.
        lines = np.flatnonzero(~inside) + 2
        shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
        warnings.warn(f"{pool.attrs.get('source', 'candidates')}: {len(lines)} row(s) "
                      f"outside the search space not considered (line(s) {shown}); "
                      "'ionopt score' says why each is outside", OptimizerWarning,
                      stacklevel=2)
    done = known_rows(space, data, pending)
    used = close_mask(space, checked, done, min(tolerance, 1e-9)) if len(done) else \
        np.zeros(len(checked), dtype=bool)
    keep = inside & ~used
    out = checked.loc[keep]
    return out


__all__ = ["Backend", "DEFAULT_TOLERANCE", "close_mask", "encode_for_distance",
           "fill_distinct", "known_rows", "same_recipe", "select_distinct", "usable_data",
           "usable_pool"]
