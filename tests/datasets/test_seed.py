"""The seed dataset against the numbers Fang et al. 2024 report (issue #2 lists them)."""

import math

import numpy as np
import pytest

from ionopt.datasets import (
    load_dft_adsorption, load_rate_capability, load_seed_cycling, load_seed_dataset,
    load_seed_values,
)
from ionopt.recipes import Recipe


@pytest.fixture(scope="module")
def seed():
    return load_seed_dataset().set_index("sample_id")


TABLE1 = {"SE": 0.403e-3, "CSE-20": 1.14e-3, "CSE-30": 1.187e-3, "CSE-40": 1.936e-3,
          "CSE-50": 0.443e-3, "CSE-70": 0.208e-3, "SPE": 0.095e-3, "hBN-40": 0.429e-3}


def test_table1_conductivities(seed):
    for sample, sigma in TABLE1.items():
        assert seed.loc[sample, "conductivity_s_cm"] == pytest.approx(sigma, rel=1e-12)
    assert math.isnan(seed.loc["LLZTO-40", "conductivity_s_cm"])  # made, no number reported
    assert seed["temperature_c"].eq(25).all()


@pytest.mark.parametrize("column, expected", [
    ("transference_number", {"CSE-40": 0.47, "SE": 0.26, "SPE": 0.15, "hBN-40": 0.40}),
    ("tensile_strength_mpa", {"CSE-40": 4.525, "hBN-40": 3.987, "SPE": 2.806}),
    ("stability_window_v", {"CSE-40": 5.0}),
    ("decomposition_temp_c", {"CSE-40": 320, "hBN-40": 318, "SPE": 308}),
    ("capacity_mah_g", {"CSE-40": 128.1, "SE": 19.7, "SPE": 76.5, "hBN-40": 75.2}),
    ("capacity_retention_pct", {"CSE-40": 94.5, "SE": 18.2, "SPE": 73.3, "hBN-40": 79.5}),
    ("coulombic_efficiency_pct", {"CSE-40": 99.79}),
    ("short_circuit_h", {"SE": 68, "SPE": 166}),
    ("stable_at_least_h", {"CSE-40": 800}),
])
def test_reported_values_and_nothing_else(seed, column, expected):
    for sample, value in expected.items():
        assert seed.loc[sample, column] == pytest.approx(value)
    others = seed.drop(index=list(expected))[column]
    assert others.isna().all(), f"{column}: values the paper does not report must stay missing"


def test_recipes_follow_the_content_convention(seed):
    for name, content in [("SE", 0.0), ("CSE-20", 0.2), ("CSE-30", 0.3), ("CSE-40", 0.4),
                          ("CSE-50", 0.5), ("CSE-70", 0.7), ("hBN-40", 0.4), ("LLZTO-40", 0.4),
                          ("SPE", 2.0)]:
        assert seed.loc[name, "pvdf_hfp_content"] == pytest.approx(content)
    assert seed.loc["CSE-40", ["filler_g", "litfsi_g", "pvdf_hfp_g"]].tolist() == [1.0, 1.0, 0.8]
    assert seed.loc["SPE", "filler"] == "none" and seed.loc["SPE", "pvdf_hfp_g"] == 2.0
    assert seed.loc["SE", "process"] == "cold_pressing"
    assert seed.loc["SE", "pressing_pressure_mpa"] == 100
    cast = seed.drop(index="SE")
    assert (cast["solvent"] == "DMF").all() and (cast["solvent_ml"] == 45).all()
    assert (cast["stirring_temp_c"] == 55).all() and (cast["stirring_time_h"] == 24).all()
    assert (cast["drying_temp_c"] == 55).all() and (cast["drying_time_h"] == 36).all()


def test_every_row_is_a_valid_recipe(seed):
    for sample, row in seed.reset_index().iterrows():
        Recipe.from_mapping(row.to_dict(), where=f"seed row {sample}")


def test_every_value_has_a_source_and_unit():
    values = load_seed_values()
    assert len(values) == 31
    assert values[["unit", "source"]].notna().all().all()
    assert not values.duplicated(["sample_id", "quantity"]).any()


def test_cycling_and_rate_capability():
    cyc = load_seed_cycling().set_index(["sample_id", "cathode", "cycle"])
    assert cyc.loc[("CSE-40", "LFP", 1), "capacity_mah_g"] == 135.6
    assert cyc.loc[("CSE-40", "LFP", 500), "capacity_mah_g"] == 128.1
    assert cyc.loc[("PP_LE", "LFP", 500), ["capacity_mah_g", "capacity_retention_pct"]].tolist() == [97.3, 67.2]
    assert cyc.loc[("CSE-40", "NCM811", 1), "capacity_mah_g"] == 170.5
    assert cyc.loc[("CSE-40", "NCM811", 100), "capacity_retention_pct"] == 83.3
    assert math.isnan(cyc.loc[("CSE-40", "NCM811", 100), "capacity_mah_g"])  # not reported
    rate = load_rate_capability()
    lfp = rate[rate.cathode == "LFP"].sort_values("step")
    assert lfp["c_rate"].tolist() == [0.1, 0.2, 0.5, 1, 2, 0.1]
    assert lfp["capacity_mah_g"].tolist() == [148.5, 149.7, 148.0, 137.7, 118.0, 148.8]
    ncm = rate[rate.cathode == "NCM811"].sort_values("step")
    assert ncm["c_rate"].tolist() == [0.1, 0.25, 0.5, 1, 1.5]
    assert ncm["capacity_mah_g"].tolist() == [194.7, 184.5, 167.5, 141.9, 127.6]


def test_dft_row_is_consistent():
    dft = load_dft_adsorption()
    row = dft[(dft.surface == "amorphous_BN") & (dft.adsorbate == "TFSI")].iloc[0]
    e_ads = row.e_total_ev - row.e_surface_ev - row.e_adsorbate_ev
    # -818.974 - (-730.291) - (-81.174) = -7.509; the paper reports -7.508 (rounded totals).
    assert e_ads == pytest.approx(-7.509, abs=1e-9)
    assert row.e_adsorption_ev == pytest.approx(e_ads, abs=2e-3)
    assert np.isnan(dft.drop(index=row.name)[["e_total_ev", "e_adsorption_ev"]].to_numpy()).all()
