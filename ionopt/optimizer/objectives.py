"""What the lab wants from a film: targets, directions, thresholds and weights.

An :class:`Objective` names a target column of the data table (``conductivity_s_cm``), a
direction, an optional transform (``log10`` for quantities spanning decades), an optional
*threshold* -- an outcome constraint such as "tensile strength >= 4 MPa" (for ``minimize``
it is an upper limit) -- and a weight. A weight of 0 makes the objective a pure outcome
constraint: its threshold must be met, its value is not optimized (e.g. "stability window
>= 4.5 V").

:class:`Objectives` bundles several and gives the orientation conventions every backend
shares: values are *transformed* then *sign-flipped* so that larger is always better
("oriented" values).

Desirability (Derringer-Suich, weighted geometric mean): per objective
``d = clip((v - low) / (high - low), 0, 1)`` on oriented values ``v``, where ``low`` is
the threshold when one is given (below it ``d = 0``) or the worst value of a reference
table, and ``high`` the best value of the reference table (or the objective's ``bounds``).
``D = prod(d_i ** (w_i / sum(w)))``; an unmet threshold of a weight-0 objective sets D = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np

from ionopt.errors import SpaceError

TRANSFORMS = ("identity", "log10")
DIRECTIONS = ("maximize", "minimize")


def _forward(transform: str, values) -> np.ndarray:
    y = np.asarray(values, dtype=float)
    if transform == "log10":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(y > 0, np.log10(np.where(y > 0, y, 1.0)), np.nan)
    return y


def _inverse(transform: str, values) -> np.ndarray:
    z = np.asarray(values, dtype=float)
    if transform == "log10":
        return np.power(10.0, z)
    return z


@dataclass(frozen=True)
class Objective:
    """One target to optimize or to keep above/below a threshold.

    Parameters
    ----------
    target : str
        Column of the data table, with its unit in the name (``tensile_strength_mpa``).
    direction : {"maximize", "minimize"}
        Whether larger or smaller values are better.
    transform : {None, "identity", "log10"}
        Transform applied before modelling and before comparing values
        (``log10`` for conductivities).
    threshold : float, optional
        Outcome constraint in the target's units: the value must be ``>= threshold`` when
        maximizing, ``<= threshold`` when minimizing.
    weight : float
        Relative importance (>= 0) in desirability and scalarizations; 0 makes the
        objective a pure outcome constraint (a threshold is then required).
    bounds : (float, float), optional
        ``(worst, best)`` in target units used for desirability instead of the range of
        the data.
    """

    target: str
    direction: str = "maximize"
    transform: str | None = None
    threshold: float | None = None
    weight: float = 1.0
    bounds: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.target, str) or not self.target:
            raise SpaceError(f"target: expected a column name, got {self.target!r}")
        if self.direction not in DIRECTIONS:
            raise SpaceError(f"{self.target}: direction: expected 'maximize' or 'minimize', "
                             f"got {self.direction!r}")
        transform = "identity" if self.transform in (None, "none") else self.transform
        if transform not in TRANSFORMS:
            raise SpaceError(f"{self.target}: transform: expected one of "
                             f"{', '.join(TRANSFORMS)} or null, got {self.transform!r}")
        object.__setattr__(self, "transform", transform)
        try:
            weight = float(self.weight)
        except (TypeError, ValueError):
            raise SpaceError(f"{self.target}: weight: expected a number >= 0, "
                             f"got {self.weight!r}") from None
        if not math.isfinite(weight) or weight < 0:
            raise SpaceError(f"{self.target}: weight: expected a number >= 0, got {weight!r}")
        object.__setattr__(self, "weight", weight)
        if self.threshold is not None:
            try:
                threshold = float(self.threshold)
            except (TypeError, ValueError):
                raise SpaceError(f"{self.target}: threshold: expected a number, "
                                 f"got {self.threshold!r}") from None
            if not math.isfinite(threshold):
                raise SpaceError(f"{self.target}: threshold: expected a finite number")
            if transform == "log10" and threshold <= 0:
                raise SpaceError(f"{self.target}: threshold: expected > 0 with transform "
                                 f"log10, got {threshold:g}")
            object.__setattr__(self, "threshold", threshold)
        if weight == 0 and self.threshold is None:
            raise SpaceError(f"{self.target}: weight 0 makes an outcome constraint; "
                             "expected a threshold too")
        if self.bounds is not None:
            try:
                lo, hi = (float(v) for v in self.bounds)
            except (TypeError, ValueError):
                raise SpaceError(f"{self.target}: bounds: expected [worst, best], "
                                 f"got {self.bounds!r}") from None
            if lo == hi:
                raise SpaceError(f"{self.target}: bounds: expected worst != best")
            object.__setattr__(self, "bounds", (lo, hi))

    # ---- conventions ---------------------------------------------------------------------
    @property
    def sign(self) -> float:
        """+1 when maximizing, -1 when minimizing."""
        return 1.0 if self.direction == "maximize" else -1.0

    @property
    def optimized(self) -> bool:
        """True unless the objective is a pure outcome constraint (weight 0)."""
        return self.weight > 0

    def forward(self, values) -> np.ndarray:
        """Target units -> modelled (transformed) space; log10 of values <= 0 is NaN."""
        return _forward(self.transform, values)

    def inverse(self, values) -> np.ndarray:
        """Modelled space -> target units."""
        return _inverse(self.transform, values)

    def oriented(self, values) -> np.ndarray:
        """Target units -> transformed, sign-flipped so that larger is better."""
        return self.sign * self.forward(values)

    @property
    def oriented_threshold(self) -> float | None:
        """The threshold in oriented space (met when oriented value >= this)."""
        if self.threshold is None:
            return None
        return float(self.sign * self.forward(self.threshold))

    def meets(self, values) -> np.ndarray:
        """Boolean mask: value meets the threshold (always True without one; NaN -> False)."""
        v = self.oriented(values)
        if self.threshold is None:
            return np.isfinite(v)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & (v >= self.oriented_threshold)

    def describe(self) -> str:
        """A short human description (``maximize log10(conductivity_s_cm)``)."""
        body = self.target if self.transform == "identity" else f"{self.transform}({self.target})"
        text = f"{self.direction} {body}" if self.optimized else f"constraint on {self.target}"
        if self.threshold is not None:
            op = ">=" if self.direction == "maximize" else "<="
            text += f", {self.target} {op} {self.threshold:g}"
        return text

    def to_dict(self) -> dict:
        """YAML-ready mapping."""
        out: dict = {"target": self.target, "direction": self.direction}
        if self.transform != "identity":
            out["transform"] = self.transform
        if self.threshold is not None:
            out["threshold"] = self.threshold
        if self.weight != 1.0:
            out["weight"] = self.weight
        if self.bounds is not None:
            out["bounds"] = list(self.bounds)
        return out


class Objectives(Sequence[Objective]):
    """An ordered set of :class:`Objective` with the helpers backends share.

    Parameters
    ----------
    objectives : iterable of Objective
        At least one; target names must be unique; at least one must have weight > 0.
    """

    def __init__(self, objectives: Iterable[Objective]) -> None:
        items = list(objectives)
        if not items:
            raise SpaceError("objectives: expected at least one objective")
        for obj in items:
            if not isinstance(obj, Objective):
                raise SpaceError(f"objectives: expected Objective instances, got {obj!r}")
        targets = [o.target for o in items]
        dupes = sorted({t for t in targets if targets.count(t) > 1})
        if dupes:
            raise SpaceError(f"objectives: target {dupes[0]!r} appears twice; "
                             "expected one entry per target")
        if not any(o.optimized for o in items):
            raise SpaceError("objectives: every weight is 0; expected at least one target to "
                             "optimize")
        self._items = tuple(items)

    # ---- sequence protocol ---------------------------------------------------------------
    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, str):
            for obj in self._items:
                if obj.target == index:
                    return obj
            raise KeyError(index)
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Objectives({list(self._items)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Objectives) and self._items == other._items

    # ---- views -----------------------------------------------------------------------------
    @property
    def targets(self) -> list[str]:
        """Target column names, in order."""
        return [o.target for o in self._items]

    @property
    def optimized(self) -> list[Objective]:
        """Objectives with weight > 0 (the ones a Pareto front or scalarization uses)."""
        return [o for o in self._items if o.optimized]

    @property
    def constrained(self) -> list[Objective]:
        """Objectives with a threshold (outcome constraints)."""
        return [o for o in self._items if o.threshold is not None]

    @property
    def weights(self) -> np.ndarray:
        """Weights of all objectives, in order."""
        return np.array([o.weight for o in self._items])

    @property
    def transforms(self) -> dict[str, str]:
        """``{target: transform}`` as the surrogates expect it."""
        return {o.target: o.transform for o in self._items}

    @property
    def is_multi(self) -> bool:
        """True when more than one objective is optimized."""
        return len(self.optimized) > 1

    # ---- tables ------------------------------------------------------------------------------
    def _column(self, data, target: str) -> np.ndarray:
        if target not in data.columns:
            return np.full(len(data), np.nan)
        import pandas as pd

        return pd.to_numeric(data[target], errors="coerce").to_numpy(dtype=float)

    def oriented_values(self, data) -> np.ndarray:
        """``(n, k)`` array: transformed, sign-flipped values (larger is better).

        NaN where a value is missing, not positive under ``log10``, or the row is failed.
        """
        out = np.column_stack([o.oriented(self._column(data, o.target)) for o in self._items])
        failed = failed_mask(data)
        out[failed] = np.nan
        return out

    def feasible(self, data) -> np.ndarray:
        """Boolean mask: every threshold met (missing values and failed rows -> False)."""
        ok = ~failed_mask(data)
        for obj in self.constrained:
            ok &= obj.meets(self._column(data, obj.target))
        return ok

    def desirability_ranges(self, reference) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)`` per objective in oriented space, from bounds/thresholds/data."""
        values = self.oriented_values(reference) if reference is not None else None
        lows, highs = [], []
        for j, obj in enumerate(self._items):
            col = values[:, j] if values is not None else np.array([])
            col = col[np.isfinite(col)]
            if obj.bounds is not None:
                lo, hi = (float(v) for v in obj.oriented(np.array(obj.bounds)))
            else:
                lo = float(col.min()) if col.size else np.nan
                hi = float(col.max()) if col.size else np.nan
            if obj.threshold is not None:
                lo = obj.oriented_threshold
                if not np.isfinite(hi) or hi <= lo:
                    hi = lo + (abs(lo) * 0.1 + 1e-12 if obj.bounds is None else 0.0)
            lows.append(lo)
            highs.append(hi)
        return np.array(lows, dtype=float), np.array(highs, dtype=float)

    def desirability_from_oriented(self, values: np.ndarray, low: np.ndarray,
                                   high: np.ndarray) -> np.ndarray:
        """Weighted geometric mean desirability of oriented values ``(..., k)``.

        Parameters
        ----------
        values : array (..., k)
            Oriented values (see :meth:`oriented_values`), any leading shape.
        low, high : array (k,)
            Oriented worst/best per objective (:meth:`desirability_ranges`).
        """
        v = np.asarray(values, dtype=float)
        span = high - low
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.where(span > 0, (v - low) / np.where(span > 0, span, 1.0),
                         np.where(v >= low, 1.0, 0.0))
        d = np.clip(np.nan_to_num(d, nan=0.0), 0.0, 1.0)
        w = self.weights
        out = np.ones(v.shape[:-1])
        total = w.sum()
        with np.errstate(divide="ignore"):
            for j, obj in enumerate(self._items):
                if obj.weight > 0:
                    out = out * np.power(d[..., j], obj.weight / total)
                elif obj.threshold is not None:
                    out = out * (v[..., j] >= obj.oriented_threshold)
        return out

    def desirability(self, data, *, reference=None) -> np.ndarray:
        """Desirability in [0, 1] of each row of ``data`` (target columns in their units).

        Parameters
        ----------
        data : DataFrame
            Rows to evaluate.
        reference : DataFrame, optional
            Table whose worst/best values set the scale where no ``bounds`` are given
            (default: ``data`` itself).
        """
        low, high = self.desirability_ranges(data if reference is None else reference)
        values = self.oriented_values(data)
        out = self.desirability_from_oriented(values, low, high)
        out[np.isnan(values[:, [o.optimized for o in self._items]]).any(axis=1)] = np.nan
        return out

    def pareto_mask(self, data=None, *, values: np.ndarray | None = None,
                    feasible_only: bool = False) -> np.ndarray:
        """Boolean mask of non-dominated rows over the optimized objectives.

        Pass either a table ``data`` (target columns) or oriented ``values`` (n, k) over
        all objectives. Rows with a missing optimized value are never on the front; with
        ``feasible_only`` rows that miss a threshold are excluded first.
        """
        if values is None:
            values = self.oriented_values(data)
        cols = [j for j, o in enumerate(self._items) if o.optimized]
        v = np.asarray(values, dtype=float)[:, cols]
        ok = np.isfinite(v).all(axis=1)
        if feasible_only and data is not None:
            ok &= self.feasible(data)
        return ok & pareto_front_mask(np.where(ok[:, None], v, -np.inf))

    def to_list(self) -> list[dict]:
        """YAML-ready list of mappings."""
        return [o.to_dict() for o in self._items]

    @classmethod
    def from_list(cls, entries: object, where: str = "objectives") -> "Objectives":
        """Build from a list of mappings (the ``objectives:`` block of a space YAML)."""
        if isinstance(entries, Mapping):
            entries = [entries]
        if not isinstance(entries, list) or not entries:
            raise SpaceError(f"{where}: expected a list of objectives "
                             "({target: ..., direction: maximize|minimize, ...})")
        known = {"target", "direction", "transform", "threshold", "weight", "bounds"}
        items = []
        for i, entry in enumerate(entries):
            here = f"{where}[{i}]"
            if not isinstance(entry, Mapping):
                raise SpaceError(f"{here}: expected a mapping with target and direction, "
                                 f"got {entry!r}")
            unknown = sorted(set(entry) - known)
            if unknown:
                raise SpaceError(f"{here}: unknown field {unknown[0]!r}; expected one of "
                                 f"{', '.join(sorted(known))}")
            if "target" not in entry:
                raise SpaceError(f"{here}.target: missing; expected a target column name")
            try:
                items.append(Objective(**dict(entry)))
            except SpaceError as err:
                raise SpaceError(f"{here}: {err}") from None
        try:
            return cls(items)
        except SpaceError as err:
            raise SpaceError(f"{where}: {err}") from None


def failed_mask(data) -> np.ndarray:
    """Rows marked failed in the optional ``failed`` column (true/false, 1/0, yes/no)."""
    if data is None or "failed" not in getattr(data, "columns", ()):
        return np.zeros(0 if data is None else len(data), dtype=bool)
    return parse_failed(data["failed"], where=str(data.attrs.get("source", "data")))


_TRUE = {"true", "1", "yes", "y", "t", "failed"}
_FALSE = {"false", "0", "no", "n", "f", "", "nan", "none", "<na>"}


def parse_failed(column, *, where: str = "data") -> np.ndarray:
    """Parse a ``failed`` column to booleans; blank means not failed.

    ``where`` names the table in messages (``data.csv:3: failed: ...``, counting the
    header as line 1).

    Raises
    ------
    DataError
        For a value that is not a recognisable boolean.
    """
    from ionopt.errors import DataError, shown_cell

    out = np.zeros(len(column), dtype=bool)
    for i, value in enumerate(list(column)):
        if isinstance(value, (bool, np.bool_)):
            out[i] = bool(value)
            continue
        number = isinstance(value, (int, float, np.integer, np.floating))
        if number and not math.isnan(value) and value in (0, 1):
            out[i] = bool(value)
            continue
        text = str(value).strip().lower()
        if text in _TRUE:
            out[i] = True
        elif text in _FALSE:
            out[i] = False
        else:
            raise DataError(f"{where}:{i + 2}: failed: expected true/false, got "
                            f"{shown_cell(value if number else str(value))}")
    return out


def pareto_front_mask(values: np.ndarray) -> np.ndarray:
    """Non-dominated rows of ``values`` (n, k), larger is better in every column.

    A row is dominated when another row is >= in every column and > in at least one.
    Duplicated non-dominated rows are all kept.
    """
    v = np.asarray(values, dtype=float)
    n = len(v)
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    for i in range(n):
        if not keep[i]:
            continue
        ge = np.all(v >= v[i], axis=1)
        gt = np.any(v > v[i], axis=1)
        if np.any(ge & gt):
            keep[i] = False
    return keep


def objectives_from(value: object) -> Objectives | None:
    """Coerce None, an Objectives, a list of Objective or of mappings to Objectives."""
    if value is None or isinstance(value, Objectives):
        return value  # type: ignore[return-value]
    if isinstance(value, Objective):
        return Objectives([value])
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, Objective) for v in value):
            return Objectives(value)
        return Objectives.from_list(list(value))
    if isinstance(value, Mapping):
        return Objectives.from_list([value])
    raise SpaceError(f"objectives: expected a list of objectives, got {value!r}")


__all__ = ["DIRECTIONS", "Objective", "Objectives", "TRANSFORMS", "failed_mask",
           "objectives_from", "parse_failed", "pareto_front_mask"]
