"""The search space: which recipes and process settings may be proposed.

Parameters are the lab's knobs:

* :class:`Continuous` -- a number between bounds (``pvdf_hfp_content`` in [0, 1]);
* :class:`Discrete` -- one of a few numbers (``drying_temp_c`` in 40, 55, 70, 85 degC);
* :class:`Categorical` -- one of a few labels (``filler`` in amorphous_BN, h_BN, LLZTO);
* :class:`Fixed` -- held at one value (``stirring_time_h = 24``), recorded in proposals.

Constraints (:mod:`ionopt.optimizer.constraints`) tie numeric parameters together: a
mixture is continuous mass fractions with a :class:`LinearEquality` of coefficients 1 and
right-hand side 1; :class:`LinearInequality` bounds a weighted sum.

A film can be described two ways, and both work unchanged:

* the paper's way: ``pvdf_hfp_content`` (m_PVDF-HFP / (m_filler + m_LiTFSI)) and
  ``filler_to_salt`` (m_filler / m_LiTFSI), each a plain continuous parameter;
* mass fractions of the solids: ``w_filler``, ``w_litfsi``, ``w_pvdf_hfp`` with
  ``w_filler + w_litfsi + w_pvdf_hfp == 1``.

Proposals turn either into grams (:mod:`ionopt.optimizer.proposals`).

YAML form (``SearchSpace.from_yaml``)::

    parameters:
      - {name: filler, type: categorical, values: [amorphous_BN, h_BN, LLZTO]}
      - {name: pvdf_hfp_content, type: continuous, bounds: [0.0, 1.0]}
      - {name: drying_temp_c, type: discrete, values: [40, 55, 70, 85]}
      - {name: stirring_time_h, type: fixed, value: 24}
    constraints:          # sum(coefficient * parameter) == rhs, or <= rhs, or >= rhs
      - {type: linear_inequality, coefficients: {pvdf_hfp_content: 1.0}, rhs: 0.7}
      - {type: linear_inequality, coefficients: {w_filler: 1, w_litfsi: 1}, rhs: 0.3,
         sense: ">="}
    objectives:
      - {target: conductivity_s_cm, direction: maximize, transform: log10}
      - {target: tensile_strength_mpa, direction: maximize, threshold: 4.0}
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ionopt._files import read_text
from ionopt.errors import DataError, SpaceError, shown_cell
from ionopt.optimizer.constraints import (DEFAULT_TOLERANCE, Constraint, LinearEquality,
                                          LinearInequality, _finite)
from ionopt.optimizer.objectives import Objectives, objectives_from


class OptimizerWarning(UserWarning):
    """Something the user should know about (rows skipped, fallbacks taken)."""


def _check_name(name: object, where: str = "name") -> str:
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum() \
            or name[0].isdigit():
        raise SpaceError(f"{where}: expected an identifier (letters, digits, '_'), "
                         f"got {name!r}")
    if name == "failed":
        raise SpaceError(f"{where}: 'failed' is reserved for the failed-experiment column")
    return name


# ------------------------------------------------------------------------------------------
# Parameters
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Continuous:
    """A number between bounds (units in the name: ``drying_temp_c``).

    Parameters
    ----------
    name : str
        Column name.
    bounds : (float, float)
        ``(low, high)`` with ``low < high``, in the parameter's units.
    """

    name: str
    bounds: tuple[float, float]
    kind: str = field(default="continuous", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.bounds, (list, tuple, np.ndarray)) or len(self.bounds) != 2:
            raise SpaceError(f"{self.name}: bounds: expected [low, high], got {self.bounds!r}")
        lo = _finite(self.bounds[0], f"{self.name}: bounds[0]")
        hi = _finite(self.bounds[1], f"{self.name}: bounds[1]")
        if not lo < hi:
            raise SpaceError(f"{self.name}: bounds: expected low < high, got [{lo:g}, {hi:g}]")
        object.__setattr__(self, "bounds", (lo, hi))

    @property
    def low(self) -> float:
        return self.bounds[0]

    @property
    def high(self) -> float:
        return self.bounds[1]

    def contains(self, values, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask of values within the bounds (``tol`` relative to the range)."""
        v = np.asarray(values, dtype=float)
        slack = tol * (self.high - self.low)
        with np.errstate(invalid="ignore"):
            return np.isfinite(v) & (v >= self.low - slack) & (v <= self.high + slack)

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.kind, "bounds": list(self.bounds)}


@dataclass(frozen=True)
class Discrete:
    """One of a few numbers (e.g. the temperatures an oven can hold).

    Parameters
    ----------
    name : str
        Column name.
    values : sequence of float
        Allowed values (sorted, duplicates removed); at least one.
    """

    name: str
    values: tuple[float, ...]
    kind: str = field(default="discrete", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.values, (str, bytes)) or not isinstance(
                self.values, (list, tuple, np.ndarray)) or len(self.values) == 0:
            raise SpaceError(f"{self.name}: values: expected a non-empty list of numbers, "
                             f"got {self.values!r}")
        vals = sorted({_finite(v, f"{self.name}: values[{i}]")
                       for i, v in enumerate(self.values)})
        object.__setattr__(self, "values", tuple(vals))

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]

    def contains(self, values, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask of values equal (within tolerance) to an allowed value."""
        v = np.asarray(values, dtype=float)
        allowed = np.asarray(self.values)
        scale = max(1.0, float(np.abs(allowed).max()))
        with np.errstate(invalid="ignore"):
            return np.isclose(v[:, None], allowed[None, :], rtol=0, atol=tol * scale).any(axis=1)

    def snap(self, values) -> np.ndarray:
        """Nearest allowed value of each number."""
        v = np.asarray(values, dtype=float)
        allowed = np.asarray(self.values)
        return allowed[np.abs(v[:, None] - allowed[None, :]).argmin(axis=1)]

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.kind, "values": list(self.values)}


@dataclass(frozen=True)
class Categorical:
    """One of a few labels (e.g. the filler).

    Parameters
    ----------
    name : str
        Column name.
    values : sequence of str
        Allowed labels; at least one, no duplicates.
    """

    name: str
    values: tuple[str, ...]
    kind: str = field(default="categorical", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.values, (str, bytes)) or not isinstance(
                self.values, (list, tuple, np.ndarray)) or len(self.values) == 0:
            raise SpaceError(f"{self.name}: values: expected a non-empty list of labels, "
                             f"got {self.values!r}")
        vals = tuple(str(v) for v in self.values)
        if len(set(vals)) != len(vals):
            raise SpaceError(f"{self.name}: values: duplicated label in {list(vals)}")
        object.__setattr__(self, "values", vals)

    def contains(self, values, tol: float = 0.0) -> np.ndarray:
        """Boolean mask of values that are allowed labels."""
        allowed = set(self.values)
        return np.array([str(v) in allowed for v in values], dtype=bool)

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.kind, "values": list(self.values)}


@dataclass(frozen=True)
class Fixed:
    """A parameter held at one value (recorded in proposals, not optimized).

    Parameters
    ----------
    name : str
        Column name.
    value : float or str
        The value (numbers stay numbers).
    """

    name: str
    value: Any
    kind: str = field(default="fixed", init=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if isinstance(self.value, (bool, np.bool_)) or self.value is None:
            raise SpaceError(f"{self.name}: value: expected a number or a label, "
                             f"got {self.value!r}")
        if isinstance(self.value, (int, float, np.integer, np.floating)):
            object.__setattr__(self, "value", _finite(self.value, f"{self.name}: value"))
        else:
            object.__setattr__(self, "value", str(self.value))

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, float)

    def contains(self, values, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask of values equal to the fixed value."""
        if self.numeric:
            v = np.asarray(values, dtype=float)
            with np.errstate(invalid="ignore"):
                return np.isclose(v, self.value, rtol=0, atol=tol * max(1.0, abs(self.value)))
        return np.array([str(v) == self.value for v in values], dtype=bool)

    def to_dict(self) -> dict:
        return {"name": self.name, "type": self.kind, "value": self.value}


Parameter = Continuous | Discrete | Categorical | Fixed
_PARAMETER_TYPES = {"continuous": Continuous, "discrete": Discrete,
                    "categorical": Categorical, "fixed": Fixed}


# ------------------------------------------------------------------------------------------
# The space
# ------------------------------------------------------------------------------------------


class SearchSpace:
    """Parameters, linear constraints and (optionally) the objectives of a campaign.

    Parameters
    ----------
    parameters : sequence of Continuous, Discrete, Categorical, Fixed
        At least one non-fixed parameter; names unique.
    constraints : sequence of LinearEquality, LinearInequality
        Linear constraints on numeric parameters.
    objectives : Objectives or list of Objective, optional
        What to optimize; required by :func:`ionopt.optimizer.propose`.

    Examples
    --------
    >>> space = SearchSpace(
    ...     [Categorical("filler", ["amorphous_BN", "h_BN"]),
    ...      Continuous("w_filler", (0, 1)), Continuous("w_litfsi", (0, 1)),
    ...      Continuous("w_pvdf_hfp", (0, 0.6))],
    ...     [LinearEquality({"w_filler": 1, "w_litfsi": 1, "w_pvdf_hfp": 1}, 1.0)])
    >>> space.mixture_groups()
    [['w_filler', 'w_litfsi', 'w_pvdf_hfp']]
    """

    def __init__(self, parameters: Sequence[Parameter],
                 constraints: Iterable[Constraint] = (), objectives=None) -> None:
        params = list(parameters)
        if not params:
            raise SpaceError("parameters: expected at least one parameter")
        for p in params:
            if not isinstance(p, (Continuous, Discrete, Categorical, Fixed)):
                raise SpaceError(f"parameters: expected Continuous, Discrete, Categorical or "
                                 f"Fixed, got {p!r}")
        names = [p.name for p in params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpaceError(f"parameters: name {dupes[0]!r} appears twice")
        if all(isinstance(p, Fixed) for p in params):
            raise SpaceError("parameters: every parameter is fixed; expected at least one to vary")
        self._parameters = tuple(params)
        self._by_name = {p.name: p for p in params}
        cons = list(constraints)
        for i, c in enumerate(cons):
            self._check_constraint(c, f"constraints[{i}]")
        self._constraints = tuple(cons)
        self._objectives = objectives_from(objectives)
        if self._objectives is not None:
            clash = sorted(set(self._objectives.targets) & set(names))
            if clash:
                raise SpaceError(f"objectives: {clash[0]!r} is both a parameter and a target")
        self.source: str | None = None
        # Fail early when the constraints leave nothing feasible.
        self.linear_structure  # noqa: B018

    def _check_constraint(self, c: object, where: str) -> None:
        if not isinstance(c, (LinearEquality, LinearInequality)):
            raise SpaceError(f"{where}: expected LinearEquality or LinearInequality, got {c!r}")
        for name in c.names:
            p = self._by_name.get(name)
            if p is None:
                raise SpaceError(f"{where}.coefficients.{name}: unknown parameter; expected one "
                                 f"of {', '.join(self._by_name)}")
            if isinstance(p, Categorical) or (isinstance(p, Fixed) and not p.numeric):
                raise SpaceError(f"{where}.coefficients.{name}: a {p.kind} label cannot enter "
                                 "a linear constraint; expected a numeric parameter")
            if isinstance(c, LinearEquality) and isinstance(p, Discrete):
                raise SpaceError(f"{where}.coefficients.{name}: equalities may only involve "
                                 "continuous (or fixed) parameters, not discrete ones")
        if isinstance(c, LinearEquality) and not any(
                isinstance(self._by_name[n], Continuous) and c.coefficients[n] != 0
                for n in c.names):
            raise SpaceError(f"{where}: an equality needs at least one continuous parameter")

    # ---- views -------------------------------------------------------------------------------
    @property
    def parameters(self) -> tuple[Parameter, ...]:
        """All parameters, in order."""
        return self._parameters

    @property
    def names(self) -> list[str]:
        """Parameter names, in order (the parameter columns of every table)."""
        return [p.name for p in self._parameters]

    @property
    def free_names(self) -> list[str]:
        """Names of the parameters that vary (not fixed)."""
        return [p.name for p in self._parameters if not isinstance(p, Fixed)]

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name`` (SpaceError if unknown)."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SpaceError(f"{name}: unknown parameter; expected one of "
                             f"{', '.join(self._by_name)}") from None

    def of_kind(self, kind: str) -> list[Parameter]:
        """Parameters of one kind (``"continuous"``, ``"discrete"``, ...)."""
        return [p for p in self._parameters if p.kind == kind]

    @property
    def constraints(self) -> tuple[Constraint, ...]:
        """Linear constraints, in order."""
        return self._constraints

    @property
    def objectives(self) -> Objectives | None:
        """The objectives, or None when the space was defined without them."""
        return self._objectives

    def with_objectives(self, objectives) -> "SearchSpace":
        """A copy of this space with other objectives."""
        out = SearchSpace(self._parameters, self._constraints, objectives)
        out.source = self.source
        return out

    def require_objectives(self) -> Objectives:
        """The objectives, or a SpaceError saying where to define them."""
        if self._objectives is None:
            where = f"{self.source}: " if self.source else ""
            raise SpaceError(f"{where}objectives: missing; expected at least one "
                             "{target: ..., direction: maximize|minimize}")
        return self._objectives

    def __repr__(self) -> str:
        return (f"SearchSpace(parameters={list(self._parameters)!r}, "
                f"constraints={list(self._constraints)!r}, objectives={self._objectives!r})")

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SearchSpace) and self._parameters == other._parameters
                and self._constraints == other._constraints
                and self._objectives == other._objectives)

    def mixture_groups(self) -> list[list[str]]:
        """Continuous parameters tied by an equality whose coefficients are all 1.

        Returns
        -------
        list of list of str
            One list of names per mixture, e.g. ``[["w_filler", "w_litfsi", "w_pvdf_hfp"]]``.
        """
        groups = []
        for c in self._constraints:
            if isinstance(c, LinearEquality) and len(c.names) >= 2 and all(
                    v == 1.0 for v in c.coefficients.values()) and all(
                    isinstance(self._by_name[n], Continuous) for n in c.names):
                groups.append(list(c.names))
        return groups

    def feature_spec(self):
        """The surrogates' :class:`~ionopt.surrogates.FeatureSpec` for this space.

        Continuous and discrete parameters are scaled by their bounds; categoricals are
        one-hot encoded; fixed parameters carry no information and are left out.
        """
        from ionopt.surrogates import FeatureSpec

        continuous = {p.name: (p.low, p.high) for p in self._parameters
                      if isinstance(p, (Continuous, Discrete))}
        # A discrete parameter with one value has no range: give it a unit one.
        continuous = {k: (lo, hi if hi > lo else lo + 1.0) for k, (lo, hi) in continuous.items()}
        categorical = {p.name: list(p.values) for p in self._parameters
                       if isinstance(p, Categorical)}
        return FeatureSpec(continuous=continuous, categorical=categorical)

    # ---- structure used by the sampler ------------------------------------------------------
    @cached_property
    def linear_structure(self):
        """Null-space description of the continuous polytope (see :mod:`.sampling`)."""
        from ionopt.optimizer.sampling import LinearStructure

        return LinearStructure(self)

    # ---- tables ------------------------------------------------------------------------------
    def complete(self, table):
        """Copy of ``table`` with fixed parameters filled in where their column is absent."""
        out = table.copy()
        for p in self._parameters:
            if isinstance(p, Fixed) and p.name not in out.columns:
                out[p.name] = p.value
        return out

    def _masks(self, table, tol: float):
        missing = [n for n in self.names if n not in table.columns
                   and not isinstance(self._by_name[n], Fixed)]
        if missing:
            raise DataError(f"{', '.join(missing)}: missing column; expected one column per "
                            f"parameter ({', '.join(self.names)})")
        table = self.complete(table)
        masks = {}
        for p in self._parameters:
            col = table[p.name]
            if isinstance(p, (Continuous, Discrete)) or (isinstance(p, Fixed) and p.numeric):
                import pandas as pd

                col = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            else:
                col = col.to_numpy()
            masks[p.name] = p.contains(col, tol)
        numeric = {}
        for c in self._constraints:
            for n in c.names:
                if n not in numeric:
                    import pandas as pd

                    numeric[n] = pd.to_numeric(table[n], errors="coerce").to_numpy(dtype=float)
        cmasks = []
        for c in self._constraints:
            with np.errstate(invalid="ignore"):
                cmasks.append(c.holds(numeric, tol))
        return table, masks, cmasks, numeric

    def is_feasible(self, table, tol: float = DEFAULT_TOLERANCE) -> np.ndarray:
        """Boolean mask: each row lies in the space (bounds, values, constraints).

        Parameters
        ----------
        table : DataFrame
            One column per parameter (fixed ones may be absent).
        tol : float
            Absolute tolerance on constraints and on bounds relative to their range.
        """
        _, masks, cmasks, _ = self._masks(table, tol)
        ok = np.ones(len(table), dtype=bool)
        for m in masks.values():
            ok &= m
        for m in cmasks:
            ok &= m
        return ok

    def violations(self, table, tol: float = DEFAULT_TOLERANCE) -> list[str]:
        """Per row, a readable list of what puts it outside the space ("" when inside)."""
        table, masks, cmasks, numeric = self._masks(table, tol)
        bad = np.zeros(len(table), dtype=bool)
        for m in [*masks.values(), *cmasks]:
            bad |= ~m
        out = [""] * len(table)
        rows = np.flatnonzero(bad)
        for i in rows:
            msgs = []
            for p in self._parameters:
                if masks[p.name][i]:
                    continue
                value = table[p.name].iloc[i]
                if isinstance(p, Continuous):
                    msgs.append(f"{p.name} = {value} outside [{p.low:g}, {p.high:g}]")
                elif isinstance(p, (Discrete, Categorical)):
                    allowed = ", ".join(f"{v:g}" if isinstance(v, float) else str(v)
                                        for v in p.values)
                    msgs.append(f"{p.name} = {value} not one of {allowed}")
                else:
                    msgs.append(f"{p.name} = {value} but fixed at {p.value}")
            for c, m in zip(self._constraints, cmasks):
                if not m[i]:
                    lhs = sum(coef * numeric[n][i] for n, coef in c.coefficients.items())
                    msgs.append(f"{c.describe()} violated (lhs = {lhs:.6g})")
            out[i] = "; ".join(msgs)
        return out

    def sample(self, n: int, seed: int | None = None, *, method: str = "sobol"):
        """``n`` feasible rows, space-filling (scrambled Sobol or LHS, then rejection).

        Equalities are met by construction (sampling in their null space), so mixture
        fractions sum to their right-hand side within ~1e-12; bounds and inequalities by
        rejection from the tightest box around the feasible polytope.

        Parameters
        ----------
        n : int
            Number of rows.
        seed : int, optional
            Seed of the scrambling; same seed -> same rows.
        method : {"sobol", "lhs", "random"}
            Space-filling design.

        Returns
        -------
        DataFrame
            One column per parameter, in :attr:`names` order.
        """
        from ionopt.optimizer.sampling import sample_space

        return sample_space(self, n, seed=seed, method=method)

    def validate_table(self, table, *, where: str = "table", allow_missing: bool = False,
                       drop_unknown: bool = False):
        """Check a table's parameter columns and coerce their types.

        Parameters
        ----------
        table : DataFrame
            Table with one column per (non-fixed) parameter.
        where : str
            Name used in messages (``data.csv``); lines count the header as line 1.
        allow_missing : bool
            Keep rows with blank/unknown parameter values (else DataError).
        drop_unknown : bool
            Drop rows with blank or unknown parameter values with an
            :class:`OptimizerWarning` instead of raising.

        Returns
        -------
        DataFrame
            Copy with fixed parameters filled in, numeric parameters as float, categorical
            parameters as str.
        """
        import pandas as pd

        if not isinstance(table, pd.DataFrame):
            raise DataError(f"{where}: expected a table (DataFrame), got {type(table).__name__}")
        where = str(table.attrs.get("source", where))
        missing = [n for n in self.names if n not in table.columns
                   and not isinstance(self._by_name[n], Fixed)]
        if missing:
            raise DataError(f"{where}: {', '.join(missing)}: missing column; expected one "
                            f"column per parameter ({', '.join(self.names)})")
        out = self.complete(table)
        bad = np.zeros(len(out), dtype=bool)
        reasons: dict[int, str] = {}
        for p in self._parameters:
            col = out[p.name]
            if isinstance(p, Categorical) or (isinstance(p, Fixed) and not p.numeric):
                blank = col.isna().to_numpy()
                text = col.astype(str).where(~col.isna(), "")
                unknown = ~blank & ~np.isin(text.to_numpy(), list(
                    p.values if isinstance(p, Categorical) else [p.value]))
                out[p.name] = text.to_numpy(dtype=object)
                for i in np.flatnonzero(blank | unknown):
                    if i not in reasons:
                        allowed = ", ".join(p.values) if isinstance(p, Categorical) else p.value
                        reasons[i] = (f"{p.name}: expected one of {allowed}, got "
                                      f"{'a blank' if blank[i] else repr(text.iloc[i])}")
                bad |= blank | unknown
            else:
                num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
                notnum = ~np.isfinite(num)
                # A blank is a value not recorded (the row may be dropped); text in a
                # numeric column is a typo, and dropping its row would hide it.
                typo = notnum & col.notna().to_numpy()
                if typo.any() and not allow_missing:
                    i = int(np.flatnonzero(typo)[0])
                    raise DataError(f"{where}:{i + 2}: {p.name}: expected a finite number, "
                                    f"got {shown_cell(col.iloc[i])}")
                for i in np.flatnonzero(notnum):
                    if i not in reasons:
                        reasons[i] = (f"{p.name}: expected a number, got "
                                      f"{'a blank' if pd.isna(col.iloc[i]) else repr(col.iloc[i])}")
                bad |= notnum
                out[p.name] = num
        if bad.any() and not allow_missing:
            first = int(np.flatnonzero(bad)[0])
            message = f"{where}:{first + 2}: {reasons[first]}"
            if not drop_unknown:
                raise DataError(message)
            warnings.warn(f"{message}; {int(bad.sum())} row(s) with blank or unknown "
                          "parameter values not used", OptimizerWarning, stacklevel=2)
            out = out.loc[~bad]
        return out

    # ---- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """YAML-ready mapping (round-trips through :meth:`from_dict`)."""
        out: dict = {"parameters": [p.to_dict() for p in self._parameters]}
        if self._constraints:
            out["constraints"] = [c.to_dict() for c in self._constraints]
        if self._objectives is not None:
            out["objectives"] = self._objectives.to_list()
        return out

    def to_yaml(self, path: str | Path | None = None) -> str:
        """YAML text of the space; also written to ``path`` when given."""
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_dict(cls, spec: object, *, source: str | None = None) -> "SearchSpace":
        """Build a space from a mapping (the parsed YAML); errors name ``source`` and field."""
        try:
            space = _from_dict(spec)
        except SpaceError as err:
            if source:
                raise SpaceError(f"{source}: {err}") from None
            raise
        space.source = source
        return space

    @classmethod
    def from_yaml(cls, path: str | Path) -> "SearchSpace":
        """Read a space YAML file (see the module docstring for the format)."""
        import yaml

        path = Path(path)
        try:
            text = read_text(path)
        except FileNotFoundError:
            raise SpaceError(f"{path}: no such file; expected a search-space YAML") from None
        except OSError as err:
            raise SpaceError(f"{path}: cannot read ({err.strerror})") from None
        except ValueError as err:
            raise SpaceError(f"{path}: {err}; expected a search-space YAML") from None
        try:
            spec = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            problem = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise SpaceError(f"{path}{line}: invalid YAML ({problem})") from None
        if spec is None:
            raise SpaceError(f"{path}: empty; expected a search-space YAML with 'parameters'")
        return cls.from_dict(spec, source=str(path))


def _from_dict(spec: object) -> SearchSpace:
    if not isinstance(spec, Mapping):
        raise SpaceError("expected a mapping with 'parameters' (and optionally 'constraints', "
                         f"'objectives'), got {type(spec).__name__}")
    known = {"parameters", "constraints", "objectives", "name", "description", "source"}
    unknown = sorted(set(spec) - known)
    if unknown:
        raise SpaceError(f"{unknown[0]}: unknown top-level field; expected one of "
                         f"{', '.join(sorted(known))}")
    entries = spec.get("parameters")
    if not isinstance(entries, list) or not entries:
        raise SpaceError("parameters: expected a non-empty list of "
                         "{name: ..., type: continuous|discrete|categorical|fixed, ...}")
    params = []
    for i, entry in enumerate(entries):
        where = f"parameters[{i}]"
        if not isinstance(entry, Mapping):
            raise SpaceError(f"{where}: expected a mapping with name and type, got {entry!r}")
        name = entry.get("name")
        if name is not None:
            where = f"parameters[{i}] ({name})"
        kind = entry.get("type")
        if kind not in _PARAMETER_TYPES:
            raise SpaceError(f"{where}.type: expected one of {', '.join(_PARAMETER_TYPES)}, "
                             f"got {kind!r}")
        need = {"continuous": ("bounds",), "discrete": ("values",),
                "categorical": ("values",), "fixed": ("value",)}[kind]
        allowed = {"name", "type", *need, "unit", "description"}
        extra = sorted(set(entry) - allowed)
        if extra:
            raise SpaceError(f"{where}.{extra[0]}: unknown field for a {kind} parameter; "
                             f"expected {', '.join(['name', 'type', *need])}")
        for key in ("name", *need):
            if key not in entry:
                raise SpaceError(f"{where}.{key}: missing; a {kind} parameter needs "
                                 f"{', '.join(['name', *need])}")
        try:
            params.append(_PARAMETER_TYPES[kind](entry["name"], *(entry[k] for k in need)))
        except SpaceError as err:
            raise SpaceError(f"{where}: {err}") from None
    constraints = []
    raw = spec.get("constraints") or []
    if not isinstance(raw, list):
        raise SpaceError("constraints: expected a list of {type: linear_equality|"
                         "linear_inequality, coefficients: {...}, rhs: ...}")
    for i, entry in enumerate(raw):
        where = f"constraints[{i}]"
        if not isinstance(entry, Mapping):
            raise SpaceError(f"{where}: expected a mapping, got {entry!r}")
        kind = entry.get("type")
        if kind not in ("linear_equality", "linear_inequality"):
            raise SpaceError(f"{where}.type: expected linear_equality or linear_inequality, "
                             f"got {kind!r}")
        allowed = {"type", "coefficients", "rhs", "description"}
        if kind == "linear_inequality":
            allowed.add("sense")
        extra = sorted(set(entry) - allowed)
        if extra:
            raise SpaceError(f"{where}.{extra[0]}: unknown field; expected "
                             f"{', '.join(sorted(allowed))}")
        for key in ("coefficients", "rhs"):
            if key not in entry:
                raise SpaceError(f"{where}.{key}: missing")
        try:
            if kind == "linear_equality":
                constraints.append(LinearEquality(entry["coefficients"], entry["rhs"]))
            else:
                constraints.append(LinearInequality(entry["coefficients"], entry["rhs"],
                                                    entry.get("sense", "<=")))
        except SpaceError as err:
            raise SpaceError(f"{where}.{err}") from None
    objectives = None
    if spec.get("objectives") is not None:
        objectives = Objectives.from_list(spec["objectives"])
    # Constraint references are checked by SearchSpace; prefix with the field path.
    return SearchSpace(params, constraints, objectives)


def example_space_path() -> Path:
    """Path of the bundled space for the paper's system (``fang2024_space.yaml``)."""
    from importlib import resources

    return Path(str(resources.files("ionopt.datasets").joinpath("data", "fang2024_space.yaml")))


def example_space() -> SearchSpace:
    """The bundled space for the paper's system, read from :func:`example_space_path`."""
    return SearchSpace.from_yaml(example_space_path())


__all__ = ["Categorical", "Continuous", "Discrete", "Fixed", "LinearEquality",
           "LinearInequality", "OptimizerWarning", "Parameter", "SearchSpace",
           "example_space", "example_space_path"]
