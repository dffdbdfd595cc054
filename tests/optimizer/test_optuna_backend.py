"""Optuna backends: stick-breaking, the campaign -> study mapping, and small asks."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import SpaceError
from ionopt.optimizer.backends import get_backend
from ionopt.optimizer.backends.base import same_recipe
from ionopt.optimizer.backends._peer import (FreeSpace, Observations, parts_to_sticks,
                                             sticks_to_parts)
from ionopt.optimizer.backends.optuna_backend import OptunaGPBackend, OptunaTPEBackend
from ionopt.optimizer.constraints import LinearEquality
from ionopt.optimizer.objectives import Objective
from ionopt.optimizer.space import Continuous, Fixed, SearchSpace
from optimizer_helpers import tight_inequality_space, toy_data, toy_space

optuna = pytest.importorskip("optuna")
from optuna.trial import TrialState  # noqa: E402


# ---- bounded stick-breaking ---------------------------------------------------------------


@pytest.mark.parametrize("low,high,total", [
    ([0, 0, 0], [1, 1, 1], 1.0),                      # the plain simplex
    ([0.0, 0.1, 0.0, 0.05], [0.6, 1.0, 1.0, 0.3], 1.0),  # component bounds
    ([0.0, 0.0], [2.0, 3.0], 3.0),                    # two parts, other total
])
def test_stick_breaking_is_a_bijection_onto_the_bounded_simplex(low, high, total):
    low, high = np.array(low, float), np.array(high, float)
    rng = np.random.default_rng(0)
    u = rng.uniform(0.001, 0.999, size=(500, len(low) - 1))
    parts = sticks_to_parts(u, low, high, total)
    assert np.allclose(parts.sum(axis=1), total, atol=1e-12)
    assert (parts >= low - 1e-12).all() and (parts <= high + 1e-12).all()
    assert np.allclose(parts_to_sticks(parts, low, high, total), u, atol=1e-9)
    # Onto: any feasible point (rejection-sampled) is reached and comes back unchanged.
    raw = rng.dirichlet(np.ones(len(low)), size=20000) * total
    ok = ((raw >= low) & (raw <= high)).all(axis=1)
    points = raw[ok][:200]
    assert len(points) > 10
    back = sticks_to_parts(parts_to_sticks(points, low, high, total), low, high, total)
    assert np.allclose(back, points, atol=1e-9)


def test_uniform_sticks_give_uniform_points_on_the_simplex():
    u = np.random.default_rng(3).random((40000, 3))
    parts = sticks_to_parts(u, np.zeros(4), np.ones(4), 1.0)
    # Dirichlet(1, 1, 1, 1): every part has mean 1/4 (plain stick-breaking would give 1/2
    # to the first part).
    assert np.allclose(parts.mean(axis=0), 0.25, atol=0.01)


def test_free_space_maps_each_kind_of_parameter():
    space = toy_space()
    free = FreeSpace(space)
    kinds = {d.name: d.kind for d in free.dims}
    assert kinds == {"filler": "categorical", "drying_temp_c": "index",
                     "stick:w_filler": "float", "stick:w_litfsi": "float"}
    assert free.mode == "sticks" and free.needs_check
    rows = space.sample(50, seed=2)
    decoded = free.decode(free.encode(rows))
    assert list(decoded.columns) == space.names
    assert np.allclose(decoded[["w_filler", "w_litfsi", "w_pvdf"]].to_numpy(),
                       rows[["w_filler", "w_litfsi", "w_pvdf"]].to_numpy(), atol=1e-9)
    assert (decoded["filler"] == rows["filler"]).all()
    assert (decoded["drying_temp_c"] == rows["drying_temp_c"]).all()
    assert (decoded["stirring_time_h"] == 24).all()


def test_weighted_equality_with_a_fixed_term_is_met_by_construction():
    space = SearchSpace(
        [Continuous("a", (0, 1)), Continuous("b", (0, 2)), Fixed("c", 0.5)],
        [LinearEquality({"a": 2, "b": -1, "c": 1}, 1.0)],
        [Objective("y")])
    free = FreeSpace(space)
    assert free.names == ["stick:a"]
    out = free.decode([{"stick:a": u} for u in np.linspace(0, 1, 11)])
    assert np.allclose(2 * out["a"] - out["b"] + 0.5, 1.0)
    assert space.is_feasible(out).all()


def test_equalities_sharing_a_parameter_fall_back_to_null_space_coordinates():
    space = SearchSpace(
        [Continuous("a", (0, 1)), Continuous("b", (0, 1)), Continuous("c", (0, 1))],
        [LinearEquality({"a": 1, "b": 1, "c": 1}, 1.0),
         LinearEquality({"a": 1, "b": -2}, 0.0)],
        [Objective("y")])
    free = FreeSpace(space)
    assert free.mode == "nullspace" and free.names == ["z:0"]
    out = free.decode([{"z:0": z} for z in np.linspace(free.dims[0].low,
                                                      free.dims[0].high, 5)])
    assert np.allclose(out["a"] + out["b"] + out["c"], 1.0)
    assert np.allclose(out["a"], 2 * out["b"])


# ---- campaign -> study -------------------------------------------------------------------


def test_study_has_complete_failed_and_running_trials():
    space = toy_space()
    data = toy_data(space, 8)
    data.loc[2, "failed"] = True
    data.loc[5, ["cond_s_cm", "strength_mpa"]] = np.nan   # made, not measured yet
    pending = space.sample(2, seed=9)
    study, free = OptunaTPEBackend().build_study(space, data, pending, seed=0)
    states = [t.state for t in study.trials]
    assert states.count(TrialState.COMPLETE) == 6
    assert states.count(TrialState.FAIL) == 1
    assert states.count(TrialState.RUNNING) == 3          # 2 pending + the blank row
    failed = [t for t in study.trials if t.state == TrialState.FAIL][0]
    assert failed.user_attrs["ionopt_row"] == 2
    blank = [t for t in study.trials if t.user_attrs.get("ionopt_pending") == "data"]
    assert [t.user_attrs["ionopt_row"] for t in blank] == [5]
    # Values are oriented (log10 conductivity, maximized); thresholds are constraints.
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    row = complete[0].user_attrs["ionopt_row"]
    assert complete[0].value == pytest.approx(np.log10(data.loc[row, "cond_s_cm"]))
    assert complete[0].constraints["strength_mpa"] == pytest.approx(
        2.0 - data.loc[row, "strength_mpa"])
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    # RUNNING trials carry the pending recipes' parameters.
    running = [free.decode([t.params]) for t in study.trials
               if t.state == TrialState.RUNNING and t.user_attrs["ionopt_pending"] == "pending"]
    back = pd.concat(running, ignore_index=True)
    assert same_recipe(space, back, pending).any(axis=1).all()


def test_several_objectives_make_a_multi_objective_study_or_a_desirability():
    objectives = [Objective("cond_s_cm", transform="log10"),
                  Objective("strength_mpa", direction="maximize")]
    space = toy_space(objectives)
    data = toy_data(space, 6)
    study, _ = OptunaTPEBackend().build_study(space, data, seed=0)
    assert len(study.directions) == 2
    study, _ = OptunaTPEBackend(multi_objective="desirability").build_study(space, data)
    assert len(study.directions) == 1
    values = [t.value for t in study.trials]
    assert min(values) >= 0 and max(values) <= 1


def test_observations_count_missing_threshold_values_as_violated():
    space = toy_space()
    data = toy_data(space, 4)
    data.loc[1, "strength_mpa"] = np.nan
    obs = Observations.from_data(space, data)
    assert obs.complete.all()
    assert obs.violations[1, 0] >= 1.0


# ---- asks ----------------------------------------------------------------------------------


def test_tpe_ask_is_feasible_distinct_and_deterministic():
    space = toy_space()
    data = toy_data(space, 10)
    pending = space.sample(2, seed=7)
    backend = get_backend("optuna-tpe")
    first = backend.ask(space, data, 4, pending=pending, seed=3)
    again = backend.ask(space, data, 4, pending=pending, seed=3)
    other = backend.ask(space, data, 4, pending=pending, seed=4)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert list(first.columns) == space.names and len(first) == 4
    assert space.is_feasible(first).all()
    assert np.allclose(first[["w_filler", "w_litfsi", "w_pvdf"]].sum(axis=1), 1.0)
    assert (first["w_filler"] + first["w_litfsi"] >= 0.3 - 1e-9).all()
    known = pd.concat([data[space.names], pending], ignore_index=True)
    assert not same_recipe(space, first, known, backend.tolerance).any()
    pairs = same_recipe(space, first, first, backend.tolerance)
    assert pairs.sum() == len(first)                       # only the diagonal


def test_tight_inequality_is_honoured():
    space = tight_inequality_space()
    data = space.sample(8, seed=0)
    data["y"] = data["w_b"] - data["w_c"]
    out = OptunaTPEBackend().ask(space, data, 3, seed=0)
    assert space.is_feasible(out).all()
    assert (out["w_a"] <= 0.15 + 1e-9).all()


def test_few_observations_give_the_initial_design(monkeypatch):
    space = toy_space()
    data = toy_data(space, 3)
    backend = OptunaTPEBackend()

    def no_study(*args, **kwargs):
        raise AssertionError("no study below n_initial")

    monkeypatch.setattr(backend, "build_study", no_study)
    out = backend.ask(space, data, 2, seed=0)
    assert len(out) == 2 and space.is_feasible(out).all()


def test_optuna_logging_is_left_as_found():
    space = toy_space()
    data = toy_data(space, 10)
    before = optuna.logging.get_verbosity()
    OptunaTPEBackend().ask(space, data, 1, seed=0)
    assert optuna.logging.get_verbosity() == before


def test_unknown_option_is_a_space_error():
    with pytest.raises(SpaceError, match="unknown option"):
        OptunaTPEBackend(n_trials=5)
    with pytest.raises(SpaceError, match="multi_objective"):
        OptunaTPEBackend(multi_objective="weighted")


def test_gp_backend_without_torch_says_what_to_install(monkeypatch):
    made_before = OptunaGPBackend() if "torch" in sys.modules else None
    monkeypatch.setitem(sys.modules, "torch", None)       # import torch -> ImportError
    with pytest.raises(SpaceError, match=r"optuna-gp needs torch: pip install 'ionopt\[gp\]'"):
        get_backend("optuna-gp")
    if made_before is not None:                           # torch vanished after creation
        with pytest.raises(SpaceError, match="needs torch"):
            made_before.make_sampler(0, 5)


def test_gp_ask_small_end_to_end():
    pytest.importorskip("torch")
    # Continuous only: GPSampler's mixed (categorical) acquisition search is several
    # times slower and adds nothing to what this test checks.
    space = SearchSpace(
        [Continuous("w_a", (0, 1)), Continuous("w_b", (0, 1)), Continuous("w_c", (0, 0.5))],
        [LinearEquality({"w_a": 1, "w_b": 1, "w_c": 1}, 1.0)],
        [Objective("y", threshold=-0.5)])
    data = space.sample(6, seed=0)
    data["y"] = data["w_a"] - data["w_c"]
    pending = space.sample(1, seed=5)
    backend = get_backend("optuna-gp")
    first = backend.ask(space, data, 2, pending=pending, seed=1)
    again = backend.ask(space, data, 2, pending=pending, seed=1)
    pd.testing.assert_frame_equal(first, again)
    assert space.is_feasible(first).all()
    known = pd.concat([data[space.names], pending], ignore_index=True)
    assert not same_recipe(space, first, known, backend.tolerance).any()
