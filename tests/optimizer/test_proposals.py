"""propose(): grams, process settings, predictions, pool mode; score()."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import DataError, SpaceError
from ionopt.optimizer import example_space, propose, score
from ionopt.optimizer.proposals import add_grams
from ionopt.recipes import Recipe
from optimizer_helpers import mixture_space, mixture_truth


def test_grams_from_paper_variables_match_recipe_model():
    table = pd.DataFrame({"filler": ["amorphous_BN", "none"], "pvdf_hfp_content": [0.4, 2.0],
                          "filler_to_salt": [1.0, 1.0]})
    out = add_grams(table, 2.8)
    ref = Recipe.from_content("amorphous_BN", 0.4, 1.0, batch_g=2.8)
    assert out.loc[0, ["filler_g", "litfsi_g", "pvdf_hfp_g"]].tolist() == pytest.approx(
        [ref.filler_g, ref.litfsi_g, ref.pvdf_hfp_g])
    assert out.loc[0, "filler_g"] == pytest.approx(1.0)  # the paper's CSE-40
    assert out.loc[1, "filler_g"] == 0 and out.loc[1, "pvdf_hfp_g"] == pytest.approx(2.8 * 2 / 3)
    assert out.loc[0, "solvent"] == "DMF" and out.loc[0, "stirring_time_h"] == 24


def test_grams_from_fractions_match_recipe_model():
    table = pd.DataFrame({"w_filler": [0.3], "w_litfsi": [0.4], "w_pvdf_hfp": [0.3]})
    out = add_grams(table, 2.0)
    ref = Recipe.from_fractions("h_BN", 0.3, 0.4, 0.3, batch_g=2.0)
    assert out.loc[0, ["filler_g", "litfsi_g", "pvdf_hfp_g"]].tolist() == pytest.approx(
        [ref.filler_g, ref.litfsi_g, ref.pvdf_hfp_g])


def test_no_grams_for_a_non_recipe_space():
    out = add_grams(pd.DataFrame({"x": [0.1]}))
    assert list(out.columns) == ["x"]


def test_propose_file_contract(mix_space, mix_data):
    out = propose(mix_space, mix_data, 4, seed=0, batch_g=3.0)
    for col in [*mix_space.names, "filler_g", "litfsi_g", "pvdf_hfp_g",
                "conductivity_s_cm_pred", "conductivity_s_cm_std", "acquisition", "reason"]:
        assert col in out.columns
    assert out[["filler_g", "litfsi_g", "pvdf_hfp_g"]].sum(axis=1).to_numpy() == \
        pytest.approx(3.0)
    assert (out["conductivity_s_cm_pred"] > 0).all() and (out["conductivity_s_cm_std"] > 0).all()
    assert out["reason"].str.match(r"(exploit|explore|feasibility)").all()
    again = propose(mix_space, mix_data, 4, seed=0, batch_g=3.0)
    pd.testing.assert_frame_equal(out, again)


def test_propose_on_seed_data_with_the_example_space():
    from ionopt.datasets import load_seed_dataset
    with pytest.warns(UserWarning, match="not used"):
        out = propose(example_space(), load_seed_dataset(), 4, seed=0)
    assert len(out) == 4 and example_space().is_feasible(out).all()
    assert {"tensile_strength_mpa_pred", "prob_feasible"} <= set(out.columns)


def test_pool_mode_returns_exact_unmeasured_rows(mix_space, mix_data):
    pool = pd.concat([mix_space.sample(60, seed=7), mix_data[mix_space.names].head(5)],
                     ignore_index=True)
    pool["pool_id"] = [f"r{i}" for i in range(len(pool))]
    pending = pool.iloc[[0, 1]]
    out = propose(mix_space, mix_data, 3, candidates=pool, pending=pending, seed=0)
    assert len(out) == 3 and out["pool_row"].is_unique
    assert not set(out["pool_row"]) & {0, 1, 60, 61, 62, 63, 64}
    for _, row in out.iterrows():
        src = pool.loc[row["pool_row"]]
        for name in mix_space.names:
            assert row[name] == src[name]


def test_pool_too_small_is_an_error(mix_space, mix_data):
    with pytest.raises(SpaceError, match="only 1 pool row"):
        propose(mix_space, mix_data, 2, candidates=mix_space.sample(1, seed=3), seed=0)


def test_score_flags_outside_rows_and_ranks(mix_space, mix_data):
    cands = mix_space.sample(30, seed=4)
    cands.loc[0, "w_filler"] = 0.95
    cands.loc[1, "filler"] = "graphite"
    out = score(cands, mix_space, mix_data, seed=0)
    assert len(out) == 30
    assert not out.loc[0, "in_space"] and "outside" in out.loc[0, "violations"]
    assert not out.loc[1, "in_space"] and out.loc[1, "violations"]
    assert pd.isna(out.loc[0, "rank"]) and pd.isna(out.loc[1, "rank"])
    ranked = out.dropna(subset=["rank"]).sort_values("rank")
    assert ranked["rank"].tolist() == list(range(1, 29))
    assert ranked["acquisition"].is_monotonic_decreasing
    assert np.isfinite(out.loc[0, "conductivity_s_cm_pred"])  # still predicted
    assert out["desirability"].drop(index=1).between(0, 1).all()
    assert pd.isna(out.loc[1, "desirability"])  # unknown filler: nothing to predict
    truth = mixture_truth(cands.iloc[2:])
    top = int(ranked.index[0])
    assert mixture_truth(cands.loc[[top]])[0] > np.median(truth)


def test_score_probability_of_thresholds(mix_space):
    from ionopt.optimizer import Objective
    space = mixture_space([Objective("conductivity_s_cm", transform="log10"),
                           Objective("tensile_strength_mpa", threshold=4.0, weight=0)])
    data = space.sample(25, seed=1)
    data["conductivity_s_cm"] = 10 ** mixture_truth(data)
    data["tensile_strength_mpa"] = 1 + 10 * data["w_pvdf_hfp"]  # >= 4 when w_pvdf >= 0.3
    cands = space.sample(200, seed=9)
    out = score(cands, space, data, seed=0)
    high = out["w_pvdf_hfp"] > 0.45
    low = out["w_pvdf_hfp"] < 0.15
    assert out.loc[high, "p_thresholds"].mean() > 0.9
    assert out.loc[low, "p_thresholds"].mean() < 0.1


def test_missing_parameter_column_is_a_data_error(mix_space, mix_data):
    with pytest.raises(DataError, match="w_litfsi: missing column"):
        propose(mix_space, mix_data.drop(columns="w_litfsi"), 2, seed=0)


# ---- bad data cells: errors that name the file, line and column ------------------------


def _csv(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("cell, message", [
    ("abc", r"data.csv:5: conductivity_s_cm: expected a number \(or a blank if not "
            r"measured\), got 'abc'"),
    ("inf", r"data.csv:5: conductivity_s_cm: expected a number .*got inf$"),
    ("-1e-4", r"data.csv:5: conductivity_s_cm: -0.0001 cannot be log10-transformed"),
    ("0", r"data.csv:5: conductivity_s_cm: 0 cannot be log10-transformed .*drop "
          r"'transform: log10' from the space")])
def test_a_bad_target_cell_is_an_error_not_a_space_filling_design(
        tmp_path, mix_space, mix_data, cell, message):
    data = mix_data.astype({"conductivity_s_cm": object})
    data.loc[3, "conductivity_s_cm"] = cell
    with pytest.raises(DataError, match=message):
        propose(mix_space, _csv(tmp_path, data), 2, seed=0)


def test_blank_targets_and_failed_rows_are_not_bad_cells(tmp_path, mix_space, mix_data):
    data = mix_data.astype({"conductivity_s_cm": object})
    data.loc[2, "conductivity_s_cm"] = None           # not measured yet
    data.loc[3, "conductivity_s_cm"] = "n/a"          # the film failed: value unused
    data["failed"] = False
    data.loc[3, "failed"] = True
    out = propose(mix_space, _csv(tmp_path, data), 2, seed=0)
    assert len(out) == 2 and out["conductivity_s_cm_pred"].notna().all()


def test_text_in_a_numeric_parameter_is_an_error_a_blank_drops_the_row(
        tmp_path, mix_space, mix_data):
    data = mix_data.astype({"w_filler": object})
    data.loc[4, "w_filler"] = "0,3"
    with pytest.raises(DataError, match=r"data.csv:6: w_filler: expected a finite number, "
                                        r"got '0,3'"):
        propose(mix_space, _csv(tmp_path, data), 2, seed=0)
    data.loc[4, "w_filler"] = None
    with pytest.warns(UserWarning, match=r"data.csv:6: w_filler: expected a number, got "
                                         r"a blank; 1 row\(s\) .* not used"):
        assert len(propose(mix_space, _csv(tmp_path, data), 2, seed=0)) == 2


def test_failed_column_errors_name_the_file_line(tmp_path, mix_space, mix_data):
    data = mix_data.copy()
    data["failed"] = "no"
    data.loc[6, "failed"] = "maybe"
    with pytest.raises(DataError, match=r"data.csv:8: failed: expected true/false, "
                                        r"got 'maybe'"):
        propose(mix_space, _csv(tmp_path, data), 2, seed=0)


def test_pool_rows_outside_the_space_are_named_not_silently_skipped(tmp_path, mix_space,
                                                                    mix_data):
    pool = mix_space.sample(30, seed=7)
    pool.loc[4, "w_pvdf_hfp"] = 0.9                   # above its bound (and sum != 1)
    pool.loc[9, "filler"] = "graphene"                # not a filler of the space
    with pytest.warns(UserWarning, match=r"pool.csv: 2 row\(s\) outside the search space "
                                         r"not considered \(line\(s\) 6, 11\)"):
        out = propose(mix_space, mix_data, 3, candidates=_csv(tmp_path, pool, "pool.csv"),
                      seed=0)
    assert not set(out["pool_row"]) & {4, 9}


def test_a_bad_number_in_the_failed_column_reads_as_typed():
    from ionopt.optimizer.objectives import parse_failed

    cells = pd.Series([np.float64(0.0), np.float64(0.5)], dtype=object)
    with pytest.raises(DataError, match=r"data.csv:3: failed: expected true/false, "
                                        r"got 0.5$"):
        parse_failed(cells, where="data.csv")
