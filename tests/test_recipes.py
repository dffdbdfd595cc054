import math

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import RecipeError
from ionopt.recipes import (
    FILLERS, Recipe, add_derived_columns, check_filler, masses_from_content, register_filler,
)


def cse40():
    return Recipe("amorphous_BN", filler_g=1.0, litfsi_g=1.0, pvdf_hfp_g=0.8)


def test_pvdf_hfp_content_follows_the_paper_convention():
    # CSE-40 % is 0.8 g PVDF-HFP per 1 g BN + 1 g LiTFSI (Fang et al. 2024).
    r = cse40()
    assert r.pvdf_hfp_content == pytest.approx(0.40)
    assert r.filler_to_salt == pytest.approx(1.0)
    assert r.solids_g == pytest.approx(2.8)
    # A mass fraction is a different number: 0.8 / 2.8.
    assert r.w_pvdf_hfp == pytest.approx(0.8 / 2.8)
    assert r.w_filler + r.w_litfsi + r.w_pvdf_hfp == pytest.approx(1.0)


def test_from_content_gives_back_the_paper_masses():
    r = Recipe.from_content("amorphous_BN", 0.40, 1.0, batch_g=2.8)
    assert (r.filler_g, r.litfsi_g, r.pvdf_hfp_g) == pytest.approx((1.0, 1.0, 0.8))


@pytest.mark.parametrize("content", [0.0, 0.2, 0.4, 0.7, 2.0])
@pytest.mark.parametrize("ratio", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("batch", [0.5, 2.0, 10.0])
def test_content_round_trip(content, ratio, batch):
    r = Recipe.from_content("h_BN", content, ratio, batch_g=batch)
    assert r.solids_g == pytest.approx(batch)
    assert r.pvdf_hfp_content == pytest.approx(content)
    assert r.filler_to_salt == pytest.approx(ratio)


def test_fraction_round_trip():
    r = Recipe.from_fractions("LLZTO", 0.3, 0.5, 0.2, batch_g=2.0)
    assert (r.filler_g, r.litfsi_g, r.pvdf_hfp_g) == pytest.approx((0.6, 1.0, 0.4))
    back = Recipe.from_fractions("LLZTO", r.w_filler, r.w_litfsi, r.w_pvdf_hfp, batch_g=5.0)
    assert back.w_pvdf_hfp == pytest.approx(0.2) and back.solids_g == pytest.approx(5.0)


def test_spe_has_no_filler_and_content_two():
    spe = Recipe.from_content("none", 2.0, filler_to_salt=7.0, batch_g=3.0)  # ratio ignored
    assert spe.filler_g == 0 and spe.litfsi_g == pytest.approx(1.0)
    assert spe.pvdf_hfp_g == pytest.approx(2.0)


def test_scaled_keeps_composition():
    r = cse40().scaled(2.0)
    assert r.solids_g == pytest.approx(2.0)
    assert r.pvdf_hfp_content == pytest.approx(0.4)


def test_vectorised_conversion_matches_the_recipe():
    f, s, p = masses_from_content([0.2, 0.4], [1.0, 0.5], 2.0)
    for i, (c, k) in enumerate([(0.2, 1.0), (0.4, 0.5)]):
        r = Recipe.from_content("amorphous_BN", c, k, batch_g=2.0)
        assert (f[i], s[i], p[i]) == pytest.approx((r.filler_g, r.litfsi_g, r.pvdf_hfp_g))


def test_add_derived_columns():
    table = pd.DataFrame({"filler_g": [1.0, 0.0], "litfsi_g": [1.0, 1.0], "pvdf_hfp_g": [0.8, 2.0]})
    out = add_derived_columns(table)
    assert out["pvdf_hfp_content"].tolist() == pytest.approx([0.4, 2.0])
    assert out["filler_to_salt"].tolist() == pytest.approx([1.0, 0.0])
    assert out["w_pvdf_hfp"].tolist() == pytest.approx([0.8 / 2.8, 2.0 / 3.0])
    assert "pvdf_hfp_content" not in table  # the input is not modified
    with pytest.raises(RecipeError, match="pvdf_hfp_g: missing column"):
        add_derived_columns(table.drop(columns="pvdf_hfp_g"))


@pytest.mark.parametrize("kwargs, field", [
    ({"filler_g": -0.1}, "filler_g: expected >= 0"),
    ({"litfsi_g": float("nan")}, "litfsi_g: expected a number, got NaN"),
    ({"pvdf_hfp_g": "lots"}, "pvdf_hfp_g: expected a number, got 'lots'"),
    ({"filler_g": 0, "litfsi_g": 0, "pvdf_hfp_g": 0}, "all masses are zero"),
    ({"filler": "graphene"}, "filler: unknown filler 'graphene'; expected one of"),
    ({"filler": "none"}, "filler_g: filler is 'none'"),
    ({"process": "spin_coating"}, "process: expected one of solution_casting, cold_pressing"),
    ({"drying_time_h": -1}, "drying_time_h: expected >= 0"),
    ({"pvdf_hfp_g": math.inf}, "pvdf_hfp_g: expected a finite number"),
])
def test_validation_errors_name_the_field(kwargs, field):
    base = {"filler": "amorphous_BN", "filler_g": 1.0, "litfsi_g": 1.0, "pvdf_hfp_g": 0.8}
    with pytest.raises(RecipeError) as err:
        Recipe(**{**base, **kwargs})
    assert field in str(err.value)


@pytest.mark.parametrize("call, message", [
    (lambda: Recipe.from_content("amorphous_BN", -0.1), "pvdf_hfp_content: expected >= 0"),
    (lambda: Recipe.from_content("amorphous_BN", 0.4, batch_g=0), "batch_g: expected a positive"),
    (lambda: Recipe.from_fractions("h_BN", 0.5, 0.5, 0.5), "expected a sum of 1, got 1.5"),
    (lambda: cse40().scaled(-2), "batch_g: expected >= 0"),
])
def test_conversion_errors(call, message):
    with pytest.raises(RecipeError, match=message):
        call()


def test_from_mapping_names_the_row():
    row = {"filler": "amorphous_BN", "filler_g": 1.0, "litfsi_g": -1.0, "pvdf_hfp_g": 0.8,
           "drying_temp_c": float("nan")}
    with pytest.raises(RecipeError, match=r"^data.csv:4: litfsi_g: expected >= 0"):
        Recipe.from_mapping(row, where="data.csv:4")
    ok = Recipe.from_mapping({**row, "litfsi_g": 1.0})
    assert ok.drying_temp_c is None and ok.pvdf_hfp_content == pytest.approx(0.4)
    with pytest.raises(RecipeError, match="pvdf_hfp_g: missing"):
        Recipe.from_mapping({"filler": "h_BN", "filler_g": 1, "litfsi_g": 1})


def test_filler_set_is_open():
    assert {"amorphous_BN", "h_BN", "LLZTO", "none"} <= set(FILLERS)
    try:
        register_filler("LLZO_test", "garnet")
        assert check_filler("LLZO_test") == "LLZO_test"
        assert Recipe("LLZO_test", 1, 1, 1).filler == "LLZO_test"
    finally:
        FILLERS.pop("LLZO_test", None)
    with pytest.raises(RecipeError):
        register_filler("bad name!")


def test_to_dict_has_masses_and_derived_quantities():
    row = cse40().to_dict()
    assert row["filler_g"] == 1.0 and row["pvdf_hfp_content"] == pytest.approx(0.4)
    assert np.isclose(row["w_filler"] + row["w_litfsi"] + row["w_pvdf_hfp"], 1.0)
