"""Loaders for the seed dataset (Fang et al. 2024); see ``data/fang2024_DATACARD.md``."""

from __future__ import annotations

from importlib import resources

import pandas as pd

from ionopt.recipes import add_derived_columns

SEED_CITATION = ("Fang et al., Batteries & Supercaps 2024, doi 10.1002/batt.202400121")

#: Target columns of :func:`load_seed_dataset`, in order.
SEED_TARGETS = (
    "conductivity_s_cm", "transference_number", "tensile_strength_mpa", "stability_window_v",
    "decomposition_temp_c", "capacity_mah_g", "capacity_retention_pct",
    "coulombic_efficiency_pct", "short_circuit_h", "stable_at_least_h",
)


def _read(name: str) -> pd.DataFrame:
    with resources.files("ionopt.datasets").joinpath("data", name).open("rb") as handle:
        return pd.read_csv(handle)


def load_seed_values() -> pd.DataFrame:
    """Every number the paper reports, one per row, with unit, conditions and source.

    Returns
    -------
    DataFrame
        Columns ``sample_id``, ``quantity`` (a targets-table column name), ``value``,
        ``unit``, ``conditions``, ``source``.
    """
    return _read("fang2024_values.csv")


def load_seed_dataset(*, derived: bool = True) -> pd.DataFrame:
    """The seed dataset: one row per film with its recipe and measured targets.

    Parameters
    ----------
    derived : bool
        Add the derived recipe quantities (``pvdf_hfp_content``, ``filler_to_salt``,
        ``w_filler``, ``w_litfsi``, ``w_pvdf_hfp``, ``solids_g``).

    Returns
    -------
    DataFrame
        Recipe columns (masses in g, process settings), ``temperature_c`` (25, the
        temperature of the conductivity measurements) and the :data:`SEED_TARGETS`
        columns; values the paper does not report are NaN. Rows follow the paper's
        order (SE, CSE-20 ... CSE-70, SPE, hBN-40, LLZTO-40).
    """
    recipes = _read("fang2024_recipes.csv").drop(columns="source")
    values = load_seed_values().pivot(index="sample_id", columns="quantity", values="value")
    table = recipes.merge(values, left_on="sample_id", right_index=True, how="left")
    for column in SEED_TARGETS:
        if column not in table:
            table[column] = float("nan")
    table.insert(table.columns.get_loc("pressing_pressure_mpa") + 1, "temperature_c", 25.0)
    if derived:
        table = add_derived_columns(table)
    ordered = [c for c in table.columns if c not in SEED_TARGETS] + list(SEED_TARGETS)
    return table[ordered].reset_index(drop=True)


def load_seed_cycling() -> pd.DataFrame:
    """Galvanostatic cycling of full cells (LFP and NCM811 at 1 C, 25 °C) by cycle."""
    return _read("fang2024_cycling.csv")


def load_rate_capability() -> pd.DataFrame:
    """CSE-40 rate capability: capacity (mAh/g) per C-rate step, LFP and NCM811."""
    return _read("fang2024_rate_capability.csv")


def load_dft_adsorption() -> pd.DataFrame:
    """Table 2 DFT energies in eV (``e_total_ev``, ``e_surface_ev``, ``e_adsorbate_ev``,
    ``e_adsorption_ev``); rows not transcribed are NaN."""
    return _read("fang2024_dft.csv")
