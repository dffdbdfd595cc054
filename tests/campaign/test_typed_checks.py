"""Checks of typed-in results and seed data, on SQLite and PostgreSQL: physically
implausible target values (all-or-nothing for ``add``, per row for ``add-raw``), misspelt
column names, extra columns, and new films outside the search space."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from campaign_helpers import (eis_copies, invariants, make_results, seed_csv,
                              space_path)
from ionopt.campaign import Campaign
from ionopt.campaign._tables import TARGET_LIMITS, check_target
from ionopt.errors import DataError, StoreError

RANGE = "is outside the physically plausible range"
HINT = "(check the value and its unit)"


# ---- physically implausible values -----------------------------------------------------------
@pytest.mark.parametrize("target, bad, good", [
    ("conductivity_s_cm", [0.0, -1e-3, 1.5], [1e-9, 1.0]),
    ("activation_energy_ev", [0.0, -0.3, 30.0], [0.3, 5.0]),
    ("transference_number", [-0.01, 1.01], [0.0, 1.0]),
    ("stability_window_v", [0.0, 10.5], [4.5, 10.0]),
    ("tensile_strength_mpa", [-2.0, 4.5e6], [0.0, 4.5]),
    ("coulombic_efficiency_pct", [-1.0, 150.0], [0.0, 100.2]),
    ("capacity_retention_pct", [-1.0, 250.0], [94.5, 104.0]),
    ("elongation_at_break_pct", [-5.0], [350.0]),
    ("short_circuit_h", [-1.0, 2.88e6], [0.0, 800.0]),
])
def test_target_limits(target, bad, good):
    for v in good:
        assert check_target(target, v, "x.csv:2: t") == v
    for v in bad:
        with pytest.raises(DataError, match=rf"^x.csv:2: t: {re.escape(f'{v:g}')} {RANGE} "
                                            r"[\[(]"):
            check_target(target, v, "x.csv:2: t")
    assert check_target("my_own_target", -5.0, "x") == -5.0  # no known limits: any number


def test_every_known_target_has_limits():
    from ionopt.campaign._tables import KNOWN_TARGETS

    assert set(TARGET_LIMITS) == set(KNOWN_TARGETS)


def test_implausible_values_are_all_listed_and_nothing_stored(camp, db, tmp_path):
    before = invariants(db)
    bad = make_results(tmp_path / "results.csv", [
        {"sample_id": "B001-01", "conductivity_s_cm": 2.1e-3, "transference_number": 0.45},
        {"sample_id": "B001-02", "conductivity_s_cm": -1e-3, "transference_number": 1.5},
        {"sample_id": "CSE-40", "conductivity_s_cm": 1.9, "tensile_strength_mpa": -2,
         "stability_window_v": 20},
        {"sample_id": "CSE-20", "conductivity_s_cm": "inf"},
    ])
    with pytest.raises(DataError) as err:
        camp.add(bad)
    assert str(err.value).splitlines() == [
        f"{bad}:3: conductivity_s_cm: -0.001 {RANGE} (0, 1] {HINT}",
        f"{bad}:3: transference_number: 1.5 {RANGE} [0, 1] {HINT}",
        f"{bad}:4: conductivity_s_cm: 1.9 {RANGE} (0, 1] {HINT}",
        f"{bad}:4: tensile_strength_mpa: -2 {RANGE} [0, 10000] {HINT}",
        f"{bad}:4: stability_window_v: 20 {RANGE} (0, 10] {HINT}",
        f"{bad}:5: conductivity_s_cm: expected a finite number, got inf",
        "(nothing was stored; fix the rows and add the file again)",
    ]
    assert invariants(db) == before
    assert set(camp.proposals()["status"]) == {"proposed"}


def test_seed_data_with_an_implausible_value_creates_nothing(db, tmp_path):
    seed = seed_csv(tmp_path / "seed")
    table = pd.read_csv(seed)
    table.loc[table["sample_id"] == "CSE-40", "conductivity_s_cm"] = 1.936  # mS/cm, not S/cm
    table.to_csv(seed, index=False)
    with pytest.raises(DataError, match=rf"^{seed}:5: conductivity_s_cm: 1.936 {RANGE} "
                                        r"\(0, 1\] \(check the value and its unit\)$"):
        Campaign.create("cse", space_path(), db=db, seed_data=seed)
    with pytest.raises(StoreError, match="no campaign 'cse'"):
        Campaign.open("cse", db=db)


def test_add_raw_refuses_an_implausible_computed_value_and_stores_the_rest(camp, tmp_path):
    files = eis_copies(tmp_path / "raw", 2)
    man = tmp_path / "raw" / "m.csv"
    # 200 mm typed as µm: the conductivity comes out 1000x too high (1.94 S/cm)
    pd.DataFrame({"sample_id": ["B001-01", "B001-02"], "kind": "eis",
                  "file": [f.name for f in files], "thickness_um": [200_000, 200],
                  "diameter_mm": 10}).to_csv(man, index=False)
    report = camp.add_raw(man)
    assert [a["sample_id"] for a in report.added] == ["B001-02"]
    assert len(report.errors) == 1
    assert report.errors[0].startswith(
        f"{man}:2: conductivity_s_cm from the eis analysis of {files[0].name}: 1.9")
    assert report.errors[0].endswith(f"{RANGE} (0, 1] (check the file, and the row's "
                                     "geometry and its units)")
    assert camp.proposals().set_index("sample_id")["status"]["B001-01"] == "proposed"


# ---- column names ----------------------------------------------------------------------------
def test_misspelt_column_is_refused_with_a_suggestion(camp, db, tmp_path):
    before = invariants(db)
    results = make_results(tmp_path / "results.csv", [
        {"sample_id": "B001-01", "conductivty_s_cm": 2e-3, "temprature_c": 60.0,
         "tensile_strength_mpa": 4.2}])
    with pytest.raises(DataError) as err:
        camp.add(results)
    assert str(err.value).splitlines() == [
        f"{results}:1: unknown column 'conductivty_s_cm' (did you mean 'conductivity_s_cm'?); "
        "rename it and add the file again (nothing was stored)",
        f"{results}:1: unknown column 'temprature_c' (did you mean 'temperature_c'?); "
        "rename it and add the file again (nothing was stored)",
    ]
    new = pd.DataFrame([{"sample_id": "N1", "filler": "h_BN", "pvdf_hfp_content": 0.3,
                         "filler_to_salt": 1.0, "drying_temp_c": 55, "litfsi_mg": 900,
                         "conductivity_s_cm": 1e-3}])
    with pytest.raises(DataError, match="unknown column 'litfsi_mg' .did you mean 'litfsi_g'"):
        camp.add(new, allow_new=True)
    assert invariants(db) == before


def test_a_look_alike_of_a_column_the_file_has_is_no_typo(camp, tmp_path):
    # a second salt beside LiTFSI: lifsi_g is 80 % like litfsi_g, which the file has
    new = pd.DataFrame([{"sample_id": "N1", "filler": "h_BN", "pvdf_hfp_content": 0.3,
                         "filler_to_salt": 1.0, "drying_temp_c": 55, "litfsi_g": 0.9,
                         "lifsi_g": 0.1, "conductivity_s_cm": 1e-3}])
    report = camp.add(new, allow_new=True)
    assert len(report.added) == 1
    assert report.notes == ["<results DataFrame>:1: lifsi_g: not a target or parameter of "
                            "campaign 'cse'; kept with the recipe of new films, as notes of "
                            "the measurements of known ones"]


def test_misspelt_seed_column_creates_nothing(db, tmp_path):
    seed = seed_csv(tmp_path / "seed")
    pd.read_csv(seed).rename(columns={"tensile_strength_mpa": "tensile_strenght_mpa"}).to_csv(
        seed, index=False)
    with pytest.raises(DataError, match=r"^\S+seed.csv:1: unknown column "
                                        r"'tensile_strenght_mpa' \(did you mean "
                                        r"'tensile_strength_mpa'\?\)"):
        Campaign.create("cse", space_path(), db=db, seed_data=seed)
    with pytest.raises(StoreError, match="no campaign 'cse'"):
        Campaign.open("cse", db=db)


def test_extra_columns_are_kept_as_notes_and_said(camp, tmp_path):
    # a filled-in batch file: predictions and optimizer outputs extend known names or are
    # simply extra, none is taken for a typo
    results = make_results(tmp_path / "results.csv", [
        {"sample_id": "B001-01", "conductivity_s_cm": 2e-3, "conductivity_s_cm_pred": 1.5,
         "conductivity_s_cm_std": 0.1, "acquisition": 0.3, "colour": "amber", "note": "ok"}])
    report = camp.add(results)
    assert len(report.added) == 1
    assert report.notes == [
        f"{results}:1: conductivity_s_cm_pred, conductivity_s_cm_std, acquisition, colour: "
        "not a target or parameter of campaign 'cse'; kept as notes with each measurement"]
    meas = camp.measurements().set_index("sample_id").loc["B001-01"]
    assert meas["conditions.colour"] == "amber" and meas["conditions.note"] == "ok"
    # a DataFrame's column names need not be strings
    report = camp.add(pd.DataFrame({"sample_id": ["B001-02"], "conductivity_s_cm": [1e-3],
                                    0: ["x"]}))
    assert report.notes == ["<results DataFrame>:1: 0: not a target or parameter of campaign "
                            "'cse'; kept as notes with each measurement"]
    # the seed data's extra recipe columns are kept with each seed film's recipe
    assert camp.seed_report.notes == [
        f"{tmp_path / 'seed' / 'seed.csv'}:1: label, solvent, solvent_ml, process, "
        "pressing_pressure_mpa: not a target or parameter of campaign 'cse'; kept with each "
        "film's recipe"]


# ---- recipes outside the search space -------------------------------------------------------
def test_seed_films_outside_the_space_are_stored_with_a_warning(camp, tmp_path):
    # SPE, the paper's filler-free control: outside the space, measured all the same
    assert camp.seed_report.warnings == [
        f"{tmp_path / 'seed' / 'seed.csv'}:8: outside the search space: filler = 'none' not "
        "one of amorphous_BN, h_BN, LLZTO; pvdf_hfp_content = 2 outside [0, 1]; "
        "filler_to_salt = 0 outside [0.5, 2]; stored anyway"]
    assert camp.to_frame().set_index("sample_id").loc["SPE", "conductivity_s_cm"] == 9.5e-5


def test_new_film_outside_the_space_is_stored_with_a_warning(camp, tmp_path):
    results = make_results(tmp_path / "new.csv", [
        {"sample_id": "X1", "filler": "LLZO", "pvdf_hfp_content": 0.8, "filler_to_salt": 3,
         "drying_temp_c": 60, "conductivity_s_cm": 1e-3},
        {"sample_id": "X2", "filler": "h_BN", "pvdf_hfp_content": 0.65, "filler_to_salt": 1,
         "drying_temp_c": 55, "conductivity_s_cm": 1e-3},
        {"sample_id": "X3", "filler": "h_BN", "pvdf_hfp_content": 0.69, "filler_to_salt": 1,
         "drying_temp_c": 55, "stirring_time_h": 12, "conductivity_s_cm": 1e-3},
    ])
    report = camp.add(results, allow_new=True)
    assert report.new_recipes == ["X1", "X2", "X3"]
    assert report.warnings == [
        f"{results}:2: outside the search space: filler = 'LLZO' not one of amorphous_BN, "
        "h_BN, LLZTO; filler_to_salt = 3 outside [0.5, 2]; drying_temp_c = 60 not one of 40, "
        "55, 70, 85; pvdf_hfp_content <= 0.7 violated (pvdf_hfp_content = 0.8); stored anyway",
        f"{results}:4: outside the search space: stirring_time_h = 12 but fixed at 24; "
        "stored anyway",
    ]
    frame = camp.to_frame().set_index("sample_id")
    assert frame.loc["X1", "filler"] == "LLZO" and frame.loc["X1", "conductivity_s_cm"] == 1e-3
