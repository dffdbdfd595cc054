"""The film recipe: what a person weighs, mixes, casts and dries.

A composite solid electrolyte (CSE) film is a filler, the salt LiTFSI and the binder
PVDF-HFP, dissolved/dispersed in a solvent (DMF), stirred, cast and vacuum dried; the
filler-only electrolyte (SE) is cold pressed instead.

Conventions (Fang et al., Batteries & Supercaps 2024, doi 10.1002/batt.202400121):

* **PVDF-HFP content** = m_PVDF-HFP / (m_filler + m_LiTFSI). It is *not* a mass fraction of
  the film: CSE-40 % is 0.8 g PVDF-HFP per 1 g BN + 1 g LiTFSI, i.e. content 0.40 while the
  PVDF-HFP mass fraction of the solids is 0.8 / 2.8 = 0.286. The solid polymer electrolyte
  (SPE, 2 g PVDF-HFP + 1 g LiTFSI, no filler) has content 2.0 in this convention.
* **filler:salt ratio** = m_filler / m_LiTFSI (1.0 in every sample of the paper).
* Mass fractions ``w_*`` are fractions of the solids (filler + LiTFSI + PVDF-HFP); the
  solvent is evaporated and not part of the film.

Conversions both ways: :meth:`Recipe.from_content` and :meth:`Recipe.from_fractions` turn
the design variables plus a batch size in grams of solids into masses to weigh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping

from ionopt.errors import RecipeError

# --------------------------------------------------------------------------------------
# Fillers: an open set, defined here and only here.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filler:
    """A filler the recipe model knows: its name in tables and a human description."""

    name: str
    description: str


FILLERS: dict[str, Filler] = {}


def register_filler(name: str, description: str = "") -> Filler:
    """Add a filler to the open set (e.g. ``register_filler("LLZO", "garnet, Al-doped")``).

    Names are identifiers used in tables and YAML files: letters, digits and underscores.
    Registering an existing name again with the same description is a no-op.
    """
    if not isinstance(name, str) or not name or not name.replace("_", "").isalnum():
        raise RecipeError(f"filler: expected a name of letters, digits and '_', got {name!r}")
    filler = Filler(name, description)
    FILLERS[name] = filler
    return filler


register_filler("amorphous_BN", "amorphous boron nitride nanosheets (the paper's filler)")
register_filler("h_BN", "crystalline hexagonal boron nitride")
register_filler("LLZTO", "Li6.4La3Zr1.4Ta0.6O12 garnet particles")
register_filler("none", "no filler: a solid polymer electrolyte")

NO_FILLER = "none"
PROCESSES = ("solution_casting", "cold_pressing")

# What the paper did for every solution-cast film (Experimental section).
PAPER_SOLVENT_ML = 45.0
PAPER_STIRRING = (55.0, 24.0)  # degC, h
PAPER_DRYING = (55.0, 36.0)  # degC, h
PAPER_PRESSING_MPA = 100.0  # SE pellets, cold pressed

DEFAULT_BATCH_G = 2.0

#: Columns a recipe occupies in a targets table, in order.
RECIPE_COLUMNS = (
    "filler", "filler_g", "litfsi_g", "pvdf_hfp_g", "solvent", "solvent_ml", "process",
    "stirring_temp_c", "stirring_time_h", "drying_temp_c", "drying_time_h",
    "pressing_pressure_mpa",
)
#: Derived quantities, each a property of :class:`Recipe`, with their units in the name.
DERIVED_COLUMNS = (
    "solids_g", "pvdf_hfp_content", "filler_to_salt", "w_filler", "w_litfsi", "w_pvdf_hfp",
)


def check_filler(name: object, *, field_name: str = "filler") -> str:
    """Return ``name`` if it is a known filler, else raise a :class:`RecipeError`."""
    if not isinstance(name, str) or name not in FILLERS:
        known = ", ".join(sorted(FILLERS))
        raise RecipeError(
            f"{field_name}: unknown filler {name!r}; expected one of {known} "
            "(add new ones with ionopt.recipes.register_filler)")
    return name


def _check_number(value: object, field_name: str, *, allow_none: bool = False,
                  minimum: float | None = 0.0) -> float | None:
    if value is None and allow_none:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RecipeError(f"{field_name}: expected a number, got {value!r}") from None
    if math.isnan(number):
        if allow_none:
            return None
        raise RecipeError(f"{field_name}: expected a number, got NaN")
    if math.isinf(number):
        raise RecipeError(f"{field_name}: expected a finite number, got {number}")
    if minimum is not None and number < minimum:
        raise RecipeError(f"{field_name}: expected >= {minimum:g}, got {number:g}")
    return number


@dataclass(frozen=True)
class Recipe:
    """One film recipe in lab units.

    Parameters
    ----------
    filler : str
        One of :data:`FILLERS` (``"none"`` for a filler-free SPE).
    filler_g, litfsi_g, pvdf_hfp_g : float
        Masses to weigh, in grams. Non-negative, not all zero; ``filler_g`` must be 0 when
        ``filler == "none"``.
    solvent : str
        Casting solvent (``"DMF"``); ``None`` for a cold-pressed film.
    solvent_ml : float or None
        Solvent volume in mL.
    process : str
        ``"solution_casting"`` or ``"cold_pressing"``.
    stirring_temp_c, stirring_time_h, drying_temp_c, drying_time_h : float or None
        Process settings in degC and hours; ``None`` where they do not apply or are unknown.
    pressing_pressure_mpa : float or None
        Cold-pressing pressure in MPa.
    """

    filler: str
    filler_g: float
    litfsi_g: float
    pvdf_hfp_g: float
    solvent: str | None = "DMF"
    solvent_ml: float | None = PAPER_SOLVENT_ML
    process: str = "solution_casting"
    stirring_temp_c: float | None = PAPER_STIRRING[0]
    stirring_time_h: float | None = PAPER_STIRRING[1]
    drying_temp_c: float | None = PAPER_DRYING[0]
    drying_time_h: float | None = PAPER_DRYING[1]
    pressing_pressure_mpa: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        check_filler(self.filler)
        masses = {}
        for name in ("filler_g", "litfsi_g", "pvdf_hfp_g"):
            masses[name] = _check_number(getattr(self, name), name)
            object.__setattr__(self, name, masses[name])
        if sum(masses.values()) <= 0:
            raise RecipeError(
                "filler_g, litfsi_g, pvdf_hfp_g: all masses are zero; expected a positive total")
        if self.filler == NO_FILLER and masses["filler_g"] > 0:
            raise RecipeError(
                f"filler_g: filler is 'none' but filler_g = {masses['filler_g']:g} g; "
                "expected 0 or a filler name")
        if self.process not in PROCESSES:
            raise RecipeError(
                f"process: expected one of {', '.join(PROCESSES)}, got {self.process!r}")
        for name in ("solvent_ml", "stirring_temp_c", "stirring_time_h", "drying_temp_c",
                     "drying_time_h", "pressing_pressure_mpa"):
            minimum = None if name.endswith("temp_c") else 0.0
            value = _check_number(getattr(self, name), name, allow_none=True, minimum=minimum)
            object.__setattr__(self, name, value)

    # ---- derived quantities ------------------------------------------------------------
    @property
    def solids_g(self) -> float:
        """Total mass of solids (filler + LiTFSI + PVDF-HFP), g."""
        return self.filler_g + self.litfsi_g + self.pvdf_hfp_g

    @property
    def pvdf_hfp_content(self) -> float:
        """PVDF-HFP content, m_PVDF-HFP / (m_filler + m_LiTFSI), dimensionless.

        The paper's convention (0.40 for CSE-40 %). Infinite for a binder-only film.
        """
        base = self.filler_g + self.litfsi_g
        return math.inf if base == 0 else self.pvdf_hfp_g / base

    @property
    def filler_to_salt(self) -> float:
        """Filler:LiTFSI mass ratio, dimensionless (NaN when neither is present)."""
        if self.litfsi_g == 0:
            return math.nan if self.filler_g == 0 else math.inf
        return self.filler_g / self.litfsi_g

    @property
    def w_filler(self) -> float:
        """Mass fraction of filler in the solids."""
        return self.filler_g / self.solids_g

    @property
    def w_litfsi(self) -> float:
        """Mass fraction of LiTFSI in the solids."""
        return self.litfsi_g / self.solids_g

    @property
    def w_pvdf_hfp(self) -> float:
        """Mass fraction of PVDF-HFP in the solids."""
        return self.pvdf_hfp_g / self.solids_g

    # ---- conversions -------------------------------------------------------------------
    @classmethod
    def from_content(cls, filler: str, pvdf_hfp_content: float, filler_to_salt: float = 1.0,
                     batch_g: float = DEFAULT_BATCH_G, **process: Any) -> "Recipe":
        """Masses to weigh from the paper's design variables.

        Parameters
        ----------
        filler : str
            Filler name; ``"none"`` forces ``filler_to_salt = 0``.
        pvdf_hfp_content : float
            m_PVDF-HFP / (m_filler + m_LiTFSI), >= 0.
        filler_to_salt : float
            m_filler / m_LiTFSI, >= 0.
        batch_g : float
            Total solids to weigh, g (default 2 g).
        **process
            Any other :class:`Recipe` field (``drying_temp_c=70``...).
        """
        check_filler(filler)
        content = _check_number(pvdf_hfp_content, "pvdf_hfp_content")
        ratio = 0.0 if filler == NO_FILLER else _check_number(filler_to_salt, "filler_to_salt")
        batch = _check_number(batch_g, "batch_g")
        if batch <= 0:
            raise RecipeError(f"batch_g: expected a positive batch size in grams, got {batch:g}")
        # Solve for the salt mass: litfsi * (1 + r) * (1 + c) = batch.
        litfsi = batch / ((1.0 + ratio) * (1.0 + content))
        return cls(filler=filler, filler_g=ratio * litfsi, litfsi_g=litfsi,
                   pvdf_hfp_g=content * litfsi * (1.0 + ratio), **process)

    @classmethod
    def from_fractions(cls, filler: str, w_filler: float, w_litfsi: float, w_pvdf_hfp: float,
                       batch_g: float = DEFAULT_BATCH_G, *, tolerance: float = 1e-6,
                       **process: Any) -> "Recipe":
        """Masses to weigh from mass fractions of the solids (they must sum to 1)."""
        check_filler(filler)
        w = {name: _check_number(value, name) for name, value in
             (("w_filler", w_filler), ("w_litfsi", w_litfsi), ("w_pvdf_hfp", w_pvdf_hfp))}
        total = sum(w.values())
        if abs(total - 1.0) > tolerance:
            raise RecipeError(
                f"w_filler + w_litfsi + w_pvdf_hfp: expected a sum of 1, got {total:.6g}")
        batch = _check_number(batch_g, "batch_g")
        if batch <= 0:
            raise RecipeError(f"batch_g: expected a positive batch size in grams, got {batch:g}")
        return cls(filler=filler, filler_g=w["w_filler"] / total * batch,
                   litfsi_g=w["w_litfsi"] / total * batch,
                   pvdf_hfp_g=w["w_pvdf_hfp"] / total * batch, **process)

    def scaled(self, batch_g: float) -> "Recipe":
        """The same composition for ``batch_g`` grams of solids."""
        batch = _check_number(batch_g, "batch_g")
        if batch <= 0:
            raise RecipeError(f"batch_g: expected a positive batch size in grams, got {batch:g}")
        k = batch / self.solids_g
        return replace(self, filler_g=self.filler_g * k, litfsi_g=self.litfsi_g * k,
                       pvdf_hfp_g=self.pvdf_hfp_g * k)

    def to_dict(self, derived: bool = True) -> dict[str, Any]:
        """Recipe columns (and derived quantities) as a flat dict for a table row."""
        row = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        if derived:
            row.update({name: getattr(self, name) for name in DERIVED_COLUMNS})
        return row

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any], *, where: str = "") -> "Recipe":
        """Build a recipe from a table row; missing process columns take their defaults.

        ``where`` (e.g. ``"data.csv:4"``) prefixes error messages.
        """
        known = {f.name for f in fields(cls)} - {"extra"}
        kwargs = {}
        for name in known:
            if name in row:
                value = row[name]
                if isinstance(value, float) and math.isnan(value) and name not in (
                        "filler_g", "litfsi_g", "pvdf_hfp_g", "filler"):
                    value = None
                kwargs[name] = value
        try:
            missing = [n for n in ("filler", "filler_g", "litfsi_g", "pvdf_hfp_g")
                       if n not in kwargs]
            if missing:
                raise RecipeError(f"{', '.join(missing)}: missing; expected a value")
            return cls(**kwargs)
        except RecipeError as err:
            raise RecipeError(f"{where}: {err}" if where else str(err)) from None


def masses_from_content(pvdf_hfp_content, filler_to_salt, batch_g=DEFAULT_BATCH_G):
    """Vectorised :meth:`Recipe.from_content`: arrays of (filler_g, litfsi_g, pvdf_hfp_g).

    Accepts scalars or array-likes that broadcast together; no validation beyond numpy's,
    so check inputs at the boundary (the optimizer's search space does).
    """
    import numpy as np

    content = np.asarray(pvdf_hfp_content, dtype=float)
    ratio = np.asarray(filler_to_salt, dtype=float)
    litfsi = np.asarray(batch_g, dtype=float) / ((1.0 + ratio) * (1.0 + content))
    return ratio * litfsi, litfsi, content * litfsi * (1.0 + ratio)


def add_derived_columns(table):
    """Return a copy of a recipe table with :data:`DERIVED_COLUMNS` computed from masses.

    ``table`` is a pandas DataFrame with ``filler_g``, ``litfsi_g`` and ``pvdf_hfp_g``;
    rows with missing masses get NaN derived values.
    """
    import numpy as np

    missing = [c for c in ("filler_g", "litfsi_g", "pvdf_hfp_g") if c not in table.columns]
    if missing:
        raise RecipeError(f"{', '.join(missing)}: missing column; expected masses in grams")
    out = table.copy()
    f, s, p = (out[c].astype(float).to_numpy() for c in ("filler_g", "litfsi_g", "pvdf_hfp_g"))
    solids = f + s + p
    with np.errstate(divide="ignore", invalid="ignore"):
        out["solids_g"] = solids
        out["pvdf_hfp_content"] = np.where(f + s > 0, p / (f + s), np.inf)
        out["filler_to_salt"] = f / s
        out["w_filler"] = f / solids
        out["w_litfsi"] = s / solids
        out["w_pvdf_hfp"] = p / solids
    return out


__all__ = [
    "DEFAULT_BATCH_G", "DERIVED_COLUMNS", "FILLERS", "Filler", "NO_FILLER", "PROCESSES",
    "RECIPE_COLUMNS", "Recipe", "add_derived_columns", "check_filler", "masses_from_content",
    "register_filler",
]
