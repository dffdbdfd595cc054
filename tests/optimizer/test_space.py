"""Search space: parameters, constraints, YAML, sampling, feasibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import DataError, SpaceError
from ionopt.optimizer import (Categorical, Continuous, Fixed, LinearEquality,
                              LinearInequality, SearchSpace, example_space,
                              example_space_path)
from optimizer_helpers import mixture_space

W = ["w_filler", "w_litfsi", "w_pvdf_hfp"]


def test_mixture_samples_sum_to_one_and_honour_inequalities():
    space = mixture_space()
    df = space.sample(2000, seed=3)
    assert len(df) == 2000 and list(df.columns) == space.names
    assert np.abs(df[W].sum(axis=1) - 1).max() < 1e-9
    assert (df["w_filler"] + df["w_litfsi"] >= 0.5 - 1e-12).all()
    assert (df["w_pvdf_hfp"].between(0.1, 0.6)).all()
    assert set(df["drying_temp_c"]) <= {40.0, 55.0, 70.0, 85.0}
    assert set(df["filler"]) == {"amorphous_BN", "h_BN", "LLZTO"}
    assert (df["drying_time_h"] == 36).all()
    assert space.is_feasible(df).all()
    assert all(v == "" for v in space.violations(df.head(50)))


def test_sampling_is_deterministic_and_space_filling():
    space = mixture_space()
    a, b = space.sample(64, seed=5), space.sample(64, seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(space.sample(64, seed=6))
    # Space filling: the pvdf fraction covers its feasible range.
    assert a["w_pvdf_hfp"].min() < 0.15 and a["w_pvdf_hfp"].max() > 0.45
    lhs = space.sample(64, seed=5, method="lhs")
    assert space.is_feasible(lhs).all()


def test_paper_description_and_fraction_description_both_work():
    paper = SearchSpace([Categorical("filler", ["amorphous_BN"]),
                         Continuous("pvdf_hfp_content", (0.0, 1.0)),
                         Continuous("filler_to_salt", (0.5, 2.0))],
                        [LinearInequality({"pvdf_hfp_content": 1.0}, 0.7)])
    df = paper.sample(500, seed=0)
    assert df["pvdf_hfp_content"].max() <= 0.7 + 1e-12
    assert paper.mixture_groups() == []
    assert mixture_space().mixture_groups() == [W]


def test_violations_name_what_is_wrong():
    space = mixture_space()
    df = space.sample(3, seed=0)
    df.loc[0, "w_filler"] = 0.9
    df.loc[1, "filler"] = "graphite"
    df.loc[2, "drying_temp_c"] = 60
    v = space.violations(df)
    assert "w_filler = 0.9 outside [0, 0.6]" in v[0]
    assert "w_filler + w_litfsi + w_pvdf_hfp == 1 violated" in v[0]
    assert "filler = graphite not one of amorphous_BN, h_BN, LLZTO" in v[1]
    assert "drying_temp_c = 60" in v[2]
    assert not space.is_feasible(df).any()


def test_infeasible_constraints_are_refused():
    with pytest.raises(SpaceError, match="no recipe satisfies"):
        SearchSpace([Continuous("a", (0, 1)), Continuous("b", (0, 1))],
                    [LinearInequality({"a": 1, "b": 1}, 2.5, sense=">=")])
    with pytest.raises(SpaceError, match="unknown parameter"):
        SearchSpace([Continuous("a", (0, 1))], [LinearEquality({"zz": 1}, 1)])
    with pytest.raises(SpaceError, match="categorical label cannot enter"):
        SearchSpace([Categorical("f", ["a"]), Continuous("x", (0, 1))],
                    [LinearInequality({"f": 1}, 1)])
    with pytest.raises(SpaceError, match="low < high"):
        Continuous("x", (1, 0))
    with pytest.raises(SpaceError, match="appears twice"):
        SearchSpace([Continuous("x", (0, 1)), Continuous("x", (0, 2))])


def test_yaml_round_trip_and_issue_example(tmp_path):
    text = """
parameters:
  - {name: filler, type: categorical, values: [amorphous_BN, h_BN, LLZTO]}
  - {name: pvdf_hfp_content, type: continuous, bounds: [0.0, 1.0]}
  - {name: filler_to_salt, type: continuous, bounds: [0.5, 2.0]}
  - {name: drying_temp_c, type: discrete, values: [40, 55, 70, 85]}
constraints:
  - {type: linear_inequality, coefficients: {pvdf_hfp_content: 1.0}, rhs: 0.7}
objectives:
  - {target: conductivity_s_cm, direction: maximize, transform: log10}
  - {target: tensile_strength_mpa, direction: maximize, threshold: 4.0}
"""
    path = tmp_path / "space.yaml"
    path.write_text(text)
    space = SearchSpace.from_yaml(path)
    assert space.names == ["filler", "pvdf_hfp_content", "filler_to_salt", "drying_temp_c"]
    assert space.objectives.targets == ["conductivity_s_cm", "tensile_strength_mpa"]
    assert space.objectives["tensile_strength_mpa"].threshold == 4.0
    again = SearchSpace.from_dict(space.to_dict())
    assert again == space
    out = tmp_path / "again.yaml"
    space.to_yaml(out)
    assert SearchSpace.from_yaml(out) == space


@pytest.mark.parametrize("text, message", [
    ("parameters: [{name: x, type: continuous}]", r"parameters\[0\] \(x\)\.bounds: missing"),
    ("parameters: [{name: x, type: integer, values: [1]}]", r"type: expected one of"),
    ("parameters: [{name: x, type: continuous, bounds: [0, 1], step: 2}]",
     r"step: unknown field"),
    ("parameters: [{name: x, type: continuous, bounds: [0, 1]}]\nconstraints:\n"
     "  - {type: linear_inequality, coefficients: {y: 1}, rhs: 1}", r"y: unknown parameter"),
    ("parameters: [{name: x, type: continuous, bounds: [0, 1]}]\nobjectives:\n"
     "  - {target: y, direction: up}", r"objectives\[0\]: y: direction"),
    ("parameters: [{name: x, type: continuous, bounds: [0, 1]}]\nconstraints:\n"
     "  - {type: linear_inequality, coefficients: {x: 1}, rhs: 1, sense: '=<'}", r"sense"),
    ("parameters: {", r":\d+: invalid YAML"),
    ("params: []", r"params: unknown top-level field"),
])
def test_yaml_errors_name_file_and_field(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SpaceError, match=message) as info:
        SearchSpace.from_yaml(path)
    assert str(path) in str(info.value)


def test_missing_yaml_file(tmp_path):
    with pytest.raises(SpaceError, match="no such file"):
        SearchSpace.from_yaml(tmp_path / "none.yaml")


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", r"bad.yaml: not a text file \(line 3: NUL byte\)"),
    ("name: 5 \u00b5m\n".encode("latin-1"),
     r"bad.yaml: not a text file \(line 1: byte 0xb5 is not UTF-8\)"),
    (b"", r"bad.yaml: empty; expected a search-space YAML"),
    (b"# only a comment\n", r"bad.yaml: empty; expected a search-space YAML"),
])
def test_yaml_file_that_is_not_a_space(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(SpaceError, match=message):
        SearchSpace.from_yaml(path)


def test_feature_spec_matches_parameters():
    fs = mixture_space().feature_spec()
    assert set(fs.continuous) == {*W, "drying_temp_c"}
    assert fs.categorical == {"filler": ["amorphous_BN", "h_BN", "LLZTO"]}
    X = fs.encode(mixture_space().sample(10, seed=0))
    assert X.shape == (10, 7) and X.min() >= -1e-12 and X.max() <= 1 + 1e-12


def test_example_space_ships_and_samples():
    path = example_space_path()
    assert path.exists() and path.name == "fang2024_space.yaml"
    space = example_space()
    assert "filler" in space.names and "pvdf_hfp_content" in space.names
    df = space.sample(100, seed=0)
    assert df["pvdf_hfp_content"].max() <= 0.7 + 1e-12


def test_validate_table_reports_line_and_column():
    space = mixture_space()
    df = space.sample(3, seed=0)
    df.loc[1, "filler"] = "graphite"
    with pytest.raises(DataError, match=r"data:3: filler: expected one of"):
        space.validate_table(df, where="data")
    with pytest.raises(DataError, match="w_litfsi: missing column"):
        space.validate_table(df.drop(columns="w_litfsi"), where="data")
    with pytest.warns(UserWarning, match="not used"):
        kept = space.validate_table(df, where="data", drop_unknown=True)
    assert len(kept) == 2


def test_equality_with_fixed_parameter_and_general_coefficients():
    space = SearchSpace([Continuous("a", (0, 2)), Continuous("b", (0, 2)), Fixed("c", 0.5)],
                        [LinearEquality({"a": 2, "b": 1, "c": 1}, 2.0)])
    df = space.sample(200, seed=1)
    assert np.abs(2 * df["a"] + df["b"] + 0.5 - 2).max() < 1e-9
    assert space.is_feasible(df).all()


def test_public_names_of_the_optimizer_resolve():
    import ionopt.optimizer as optimizer

    for name in optimizer.__all__:
        assert getattr(optimizer, name) is not None, name
