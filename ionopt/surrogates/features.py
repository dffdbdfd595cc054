"""Features: which recipe columns a surrogate sees, and how they become numbers.

A :class:`FeatureSpec` maps a recipe table to a float64 matrix: continuous columns are
scaled to [0, 1] by their bounds (the search space's, or inferred from data), categorical
columns are one-hot encoded (or replaced by per-category descriptor vectors, the hook for
chemistry-aware encodings). Encoding is vectorised: a million candidate recipes take well
under a second.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ionopt.errors import ModelError
from ionopt.recipes import DERIVED_COLUMNS, add_derived_columns

#: Continuous recipe columns tried, in order, when the user names no features.
DEFAULT_CONTINUOUS = (
    "pvdf_hfp_content", "filler_to_salt", "stirring_temp_c", "stirring_time_h",
    "drying_temp_c", "drying_time_h", "pressing_pressure_mpa", "solvent_ml",
    "temperature_c",
)
#: Categorical recipe columns tried, in order, when the user names no features.
DEFAULT_CATEGORICAL = ("filler", "process", "solvent")

_MASSES = ("filler_g", "litfsi_g", "pvdf_hfp_g")


def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


class FeatureSpec:
    """The features of a surrogate and their encoding.

    Parameters
    ----------
    continuous : mapping of str to (float, float), optional
        Column name -> (lower, upper) bounds in the column's units; values are scaled to
        ``(x - lower) / (upper - lower)`` (values outside the bounds are allowed and
        extrapolate).
    categorical : mapping of str to sequence, optional
        Column name -> its categories, encoded one-hot in this order.
    descriptors : mapping of str to mapping, optional
        Encoding hook: for a categorical column, category -> vector of numeric
        descriptors (same length for every category) used instead of one-hot. Each
        descriptor is scaled to [0, 1] over the listed categories.
    fill : mapping of str to value, optional
        Value used where a column is missing or NaN (e.g. ``{"drying_temp_c": 25.0}``
        for cold-pressed films). Without it, a missing value is an error.

    Examples
    --------
    >>> fs = FeatureSpec(continuous={"pvdf_hfp_content": (0.0, 1.0)},
    ...                  categorical={"filler": ["amorphous_BN", "h_BN"]})
    >>> fs.encoded_names
    ['pvdf_hfp_content', 'filler=amorphous_BN', 'filler=h_BN']
    """

    def __init__(self, continuous: Mapping[str, tuple[float, float]] | None = None,
                 categorical: Mapping[str, Sequence[Any]] | None = None,
                 descriptors: Mapping[str, Mapping[Any, Sequence[float]]] | None = None,
                 fill: Mapping[str, Any] | None = None) -> None:
        self.continuous: dict[str, tuple[float, float]] = {}
        for name, bounds in dict(continuous or {}).items():
            try:
                lo, hi = (float(b) for b in bounds)
            except (TypeError, ValueError):
                raise ModelError(f"features: {name}: expected (lower, upper) bounds, "
                                 f"got {bounds!r}") from None
            if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
                raise ModelError(f"features: {name}: expected finite bounds with lower < "
                                 f"upper, got ({lo:g}, {hi:g})")
            self.continuous[str(name)] = (lo, hi)
        self.categorical: dict[str, list[Any]] = {}
        for name, cats in dict(categorical or {}).items():
            if isinstance(cats, str):
                raise ModelError(f"features: {name}: expected a list of categories, "
                                 f"got the string {cats!r}")
            cats = list(cats)
            if not cats or len(set(cats)) != len(cats):
                raise ModelError(f"features: {name}: expected a non-empty list of distinct "
                                 f"categories, got {cats!r}")
            if name in self.continuous:
                raise ModelError(f"features: {name}: listed as continuous and categorical")
            self.categorical[str(name)] = cats
        self.descriptors: dict[str, dict[Any, tuple[float, ...]]] = {}
        for name, table in dict(descriptors or {}).items():
            if name not in self.categorical:
                raise ModelError(f"features: descriptors for {name!r}, which is not a "
                                 "categorical feature")
            table = {k: tuple(float(v) for v in vec) for k, vec in dict(table).items()}
            missing = [c for c in self.categorical[name] if c not in table]
            lengths = {len(v) for v in table.values()}
            if missing or len(lengths) != 1 or 0 in lengths:
                raise ModelError(f"features: descriptors for {name}: expected one vector of "
                                 f"the same length per category; missing {missing!r}")
            self.descriptors[name] = table
        self.fill: dict[str, Any] = dict(fill or {})

    # ---- description -------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """Input column names, continuous first, then categorical."""
        return [*self.continuous, *self.categorical]

    @property
    def encoded_names(self) -> list[str]:
        """Names of the encoded matrix's columns (``"filler=h_BN"`` for one-hot)."""
        out = list(self.continuous)
        for name, cats in self.categorical.items():
            if name in self.descriptors:
                k = len(next(iter(self.descriptors[name].values())))
                out += [f"{name}:d{i}" for i in range(k)]
            else:
                out += [f"{name}={c}" for c in cats]
        return out

    @property
    def encoded_groups(self) -> list[str]:
        """The recipe parameter behind each encoded column: the one-hot columns of a
        categorical share its name (a GP gives them one length scale); descriptor columns
        keep their own names (each descriptor is a physical axis)."""
        out = list(self.continuous)
        for name, cats in self.categorical.items():
            if name in self.descriptors:
                k = len(next(iter(self.descriptors[name].values())))
                out += [f"{name}:d{i}" for i in range(k)]
            else:
                out += [name] * len(cats)
        return out

    @property
    def n_encoded(self) -> int:
        """Number of encoded columns."""
        return len(self.encoded_names)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (bounds, categories, descriptors, fill values)."""
        return {
            "continuous": {k: list(v) for k, v in self.continuous.items()},
            "categorical": {k: [_plain(c) for c in v] for k, v in self.categorical.items()},
            "descriptors": {k: {str(c): list(v) for c, v in t.items()}
                            for k, t in self.descriptors.items()},
            "fill": {k: _plain(v) for k, v in self.fill.items()},
        }

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FeatureSpec) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{k}∈[{lo:g}, {hi:g}]" for k, (lo, hi) in self.continuous.items()]
        parts += [f"{k}∈{{{', '.join(map(str, v))}}}" for k, v in self.categorical.items()]
        return f"FeatureSpec({'; '.join(parts)})"

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def infer(cls, df: pd.DataFrame, columns: Iterable[str], *, margin: float = 0.05,
              fill: Mapping[str, Any] | None = None) -> "FeatureSpec":
        """Infer a spec from data: numeric columns become continuous with the data's range
        widened by ``margin`` (a fraction of the range) on each side; other columns
        (strings, booleans) become categorical with their sorted unique values.

        Derived recipe columns (``pvdf_hfp_content``...) are computed from the masses
        when missing.
        """
        columns = [str(c) for c in columns]
        if not columns:
            raise ModelError("features: expected at least one feature column")
        table = prepare_table(df, columns)
        fill = dict(fill or {})
        continuous, categorical = {}, {}
        for name in columns:
            series = table[name]
            if name in fill:
                series = series.fillna(fill[name])
            if _is_categorical(series):
                values = series.dropna().unique().tolist()
                if not values:
                    raise ModelError(f"features: {name}: no values to infer categories from")
                categorical[name] = sorted(values, key=lambda v: (str(type(v)), str(v)))
            else:
                x = series.to_numpy(dtype=float)
                x = x[np.isfinite(x)]
                if x.size == 0:
                    raise ModelError(f"features: {name}: no finite values to infer bounds "
                                     "from")
                lo, hi = float(x.min()), float(x.max())
                pad = margin * (hi - lo) if hi > lo else max(0.05 * abs(lo), 0.5)
                continuous[name] = (lo - pad, hi + pad)
        return cls(continuous=continuous, categorical=categorical, fill=fill)

    # ---- encoding ----------------------------------------------------------------------
    def encode(self, df: pd.DataFrame, *, unseen: str = "warn") -> np.ndarray:
        """Encode a recipe table as a float64 matrix of shape (n, :attr:`n_encoded`).

        Parameters
        ----------
        df : DataFrame
            Holds every column in :attr:`names` (derived recipe columns are computed
            from ``filler_g``, ``litfsi_g``, ``pvdf_hfp_g`` when missing).
        unseen : {"warn", "error"}
            A category not in the spec: ``"warn"`` encodes it as all zeros (a point
            between the known categories, where a GP falls back towards its prior
            uncertainty) and warns; ``"error"`` raises :class:`ModelError`.
        """
        table = prepare_table(df, self.names, fill=self.fill)
        n = len(table)
        out = np.zeros((n, self.n_encoded), dtype=np.float64)
        j = 0
        for name, (lo, hi) in self.continuous.items():
            series = table[name]
            if name in self.fill:
                series = series.fillna(self.fill[name])
            try:
                x = series.to_numpy(dtype=np.float64)
            except (TypeError, ValueError):
                raise ModelError(f"{name}: expected numbers, got e.g. "
                                 f"{series.iloc[0]!r}") from None
            bad = ~np.isfinite(x)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ModelError(
                    f"{name}: {int(bad.sum())} row(s) without a finite value (first: row "
                    f"{table.index[i]!r}, {x[i]!r}); drop them, pass fill={{'{name}': ...}} "
                    "or leave the feature out")
            out[:, j] = (x - lo) / (hi - lo)
            j += 1
        for name, cats in self.categorical.items():
            series = table[name]
            if name in self.fill:
                series = series.fillna(self.fill[name])
            codes = pd.Index(cats, dtype=object).get_indexer(series.astype(object)).astype(np.int64)
            missing = codes < 0
            if missing.any():
                nan = series.isna().to_numpy()
                if (missing & nan).any():
                    i = int(np.flatnonzero(missing & nan)[0])
                    raise ModelError(f"{name}: row {table.index[i]!r} has no value; expected "
                                     f"one of {cats!r}")
                new = sorted({str(v) for v in series[missing]})
                message = (f"{name}: unseen categor{'y' if len(new) == 1 else 'ies'} "
                           f"{', '.join(new)} in {int(missing.sum())} row(s); known: "
                           f"{', '.join(map(str, cats))}")
                if unseen == "error":
                    raise ModelError(message)
                warnings.warn(message + "; encoded as none of them, so predictions fall "
                              "back towards the prior", UserWarning, stacklevel=3)
            if name in self.descriptors:
                table_d = np.array([self.descriptors[name][c] for c in cats], dtype=float)
                lo, hi = table_d.min(axis=0), table_d.max(axis=0)
                span = np.where(hi > lo, hi - lo, 1.0)
                scaled = (table_d - lo) / span
                k = scaled.shape[1]
                block = np.full((n, k), 0.5)  # unseen -> middle of the descriptor range
                ok = ~missing
                block[ok] = scaled[codes[ok]]
                out[:, j:j + k] = block
                j += k
            else:
                ok = np.flatnonzero(~missing)
                out[ok, j + codes[ok]] = 1.0
                j += len(cats)
        return out


def _plain(value: Any) -> Any:
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def prepare_table(df: pd.DataFrame, columns: Iterable[str],
                  fill: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Check that ``df`` holds ``columns``; compute derived recipe columns from masses
    when they are missing. Returns ``df`` itself when nothing needs adding."""
    if not isinstance(df, pd.DataFrame):
        raise ModelError(f"expected a pandas DataFrame of recipes, got {type(df).__name__}")
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if any(c in DERIVED_COLUMNS for c in missing) and all(m in df.columns for m in _MASSES):
        df = add_derived_columns(df)
        missing = [c for c in columns if c not in df.columns]
    if fill:
        missing_filled = [c for c in missing if c in fill]
        if missing_filled:
            df = df.assign(**{c: fill[c] for c in missing_filled})
            missing = [c for c in missing if c not in fill]
    if missing:
        hint = ""
        if any(c in DERIVED_COLUMNS for c in missing):
            hint = " (derived columns need filler_g, litfsi_g and pvdf_hfp_g)"
        raise ModelError(f"{', '.join(missing)}: missing column{'s' if len(missing) > 1 else ''}"
                         f"; expected the feature columns {', '.join(columns)}{hint}")
    return df


def row_location(df: pd.DataFrame, label) -> str:
    """Where row ``label`` of ``df`` is, for messages: ``data.csv:5`` when the table
    came from a file (``attrs["source"]``, default integer index, header = line 1),
    else ``row 3``."""
    source = df.attrs.get("source")
    if source is not None and isinstance(label, (int, np.integer)):
        return f"{source}:{int(label) + 2}"
    return f"row {label!r}"


def default_feature_columns(df: pd.DataFrame) -> list[str]:
    """Recipe-derived default features present in ``df`` (the training rows).

    Continuous candidates (:data:`DEFAULT_CONTINUOUS`) are kept when present or derivable,
    finite on every row and not constant (a text cell in one is an error, not a reason to
    leave it out); categorical candidates
    (:data:`DEFAULT_CATEGORICAL`) when present and without missing values. If nothing
    varies, ``pvdf_hfp_content`` (or the first present candidate) is kept so a prior
    model can still be built.
    """
    if all(m in df.columns for m in _MASSES) and not all(c in df.columns
                                                       for c in DERIVED_COLUMNS):
        df = add_derived_columns(df)
    chosen, present = [], []
    for name in DEFAULT_CONTINUOUS:
        if name not in df.columns:
            continue
        x = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
        # Blanks leave a column out; text would too, and hide a typo.
        typo = df[name].notna().to_numpy() & np.isnan(x)
        if typo.any():
            i = int(np.flatnonzero(typo)[0])
            raise ModelError(f"{row_location(df, df.index[i])}: {name}: expected a number, "
                             f"got {df[name].iloc[i]!r}; fix the cell or blank it")
        if x.size and np.isfinite(x).all():
            present.append(name)
            if np.ptp(x) > 0:
                chosen.append(name)
    for name in DEFAULT_CATEGORICAL:
        if name in df.columns and len(df) and df[name].notna().all():
            chosen.append(name)
    if not any(c in DEFAULT_CONTINUOUS for c in chosen) and present:
        chosen.insert(0, present[0])
    if not chosen:
        raise ModelError(
            "features: none of the default recipe columns "
            f"({', '.join(DEFAULT_CONTINUOUS + DEFAULT_CATEGORICAL)}) is usable in this "
            "table; name the feature columns with features=[...]")
    return chosen


__all__ = ["DEFAULT_CATEGORICAL", "DEFAULT_CONTINUOUS", "FeatureSpec",
           "default_feature_columns", "prepare_table", "row_location"]
