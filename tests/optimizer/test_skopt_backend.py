"""scikit-optimize backend: what the optimizer is told, constraints, small asks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import SpaceError
from ionopt.optimizer.backends import get_backend
from ionopt.optimizer.backends.base import same_recipe
from ionopt.optimizer.backends.optuna_backend import FreeSpace
from ionopt.optimizer.backends.skopt_backend import SkoptBackend, dimensions
from ionopt.optimizer.constraints import LinearEquality, LinearInequality
from ionopt.optimizer.objectives import Objective
from ionopt.optimizer.space import (Categorical, Continuous, Discrete, Fixed, SearchSpace)

skopt = pytest.importorskip("skopt")


def toy_space(objectives=None) -> SearchSpace:
    if objectives is None:
        objectives = [Objective("cond_s_cm", transform="log10"),
                      Objective("strength_mpa", threshold=2.0, weight=0)]
    return SearchSpace(
        [Categorical("filler", ["a_BN", "h_BN"]),
         Continuous("w_filler", (0.0, 0.6)), Continuous("w_litfsi", (0.1, 1.0)),
         Continuous("w_pvdf", (0.0, 1.0)), Discrete("drying_temp_c", [40, 55, 70]),
         Fixed("stirring_time_h", 24)],
        [LinearEquality({"w_filler": 1, "w_litfsi": 1, "w_pvdf": 1}, 1.0),
         LinearInequality({"w_filler": 1, "w_litfsi": 1}, 0.3, sense=">=")],
        objectives)


def toy_data(space: SearchSpace, n: int = 8, seed: int = 1) -> pd.DataFrame:
    data = space.sample(n, seed=seed)
    rng = np.random.default_rng(seed)
    data["cond_s_cm"] = 10 ** (-4 + data["w_filler"] - data["w_pvdf"]
                               + rng.normal(0, 0.05, n))
    data["strength_mpa"] = 5 * data["w_pvdf"]
    data["failed"] = False
    return data


def test_dimensions_follow_the_free_space():
    free = FreeSpace(toy_space())
    dims = dimensions(free)
    kinds = {d.name: type(d).__name__ for d in dims}
    assert kinds == {"filler": "Categorical", "drying_temp_c": "Integer",
                     "stick:w_filler": "Real", "stick:w_litfsi": "Real"}


def test_point_check_agrees_with_the_space():
    space = toy_space()
    free = FreeSpace(space)
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(400):
        rows.append({"filler": ["a_BN", "h_BN"][rng.integers(2)],
                     "drying_temp_c": int(rng.integers(3)),
                     "stick:w_filler": rng.random(), "stick:w_litfsi": rng.random()})
    check = free.point_check()
    fast = np.array([check([r[n] for n in free.names]) for r in rows])
    slow = space.is_feasible(free.decode(rows))
    assert (fast == slow).all()
    assert 0 < fast.mean() < 1          # the inequality cuts part of the simplex


def test_told_values_failed_thresholds_and_pending():
    space = toy_space()
    data = toy_data(space, 8)
    data.loc[0, "failed"] = True
    data.loc[1, "strength_mpa"] = 0.5                      # misses the 2 MPa threshold
    data.loc[2, "cond_s_cm"] = np.nan                      # not measured yet
    pending = space.sample(2, seed=4)
    free, points, values, liar = SkoptBackend().told(space, data, pending)
    measured = data.drop(index=[0, 2])
    y = -np.log10(measured["cond_s_cm"].to_numpy())
    ok = measured["strength_mpa"].to_numpy() >= 2.0
    worst = y.max()
    best = np.where(ok, y, worst).min()
    # In data order: the failed row 0 (worst), the measured rows 1, 3..7 (a threshold
    # miss is told the worst), then the blank row 2 and the pending rows (the liar).
    assert not ok[0]
    assert values[:7] == pytest.approx([worst, *np.where(ok, y, worst)])
    assert values[7:] == [liar] * 3 and liar == pytest.approx(best)
    _, points, values, _ = SkoptBackend(failed="skip").told(space, data, pending)
    assert len(points) == 6 + 3


def test_several_objectives_are_scalarized_by_desirability():
    space = toy_space([Objective("cond_s_cm", transform="log10"),
                       Objective("strength_mpa")])
    data = toy_data(space, 6)
    _, _, values, _ = SkoptBackend().told(space, data)
    assert all(-1 <= v <= 0 for v in values)


def test_ask_is_feasible_distinct_and_deterministic():
    space = toy_space()
    data = toy_data(space, 8)
    data.loc[3, "failed"] = True
    pending = space.sample(1, seed=7)
    backend = get_backend("skopt", n_points=500)
    first = backend.ask(space, data, 2, pending=pending, seed=3)
    again = backend.ask(space, data, 2, pending=pending, seed=3)
    pd.testing.assert_frame_equal(first, again)
    assert list(first.columns) == space.names and len(first) == 2
    assert space.is_feasible(first).all()
    assert np.allclose(first[["w_filler", "w_litfsi", "w_pvdf"]].sum(axis=1), 1.0)
    known = pd.concat([data[space.names], pending], ignore_index=True)
    assert not same_recipe(space, first, known, backend.tolerance).any()
    assert same_recipe(space, first, first, backend.tolerance).sum() == 2


def test_tight_inequality_is_honoured():
    space = SearchSpace(
        [Continuous("w_a", (0, 1)), Continuous("w_b", (0, 1)), Continuous("w_c", (0, 1))],
        [LinearEquality({"w_a": 1, "w_b": 1, "w_c": 1}, 1.0),
         LinearInequality({"w_a": 1}, 0.15)],
        [Objective("y")])
    data = space.sample(6, seed=0)
    data["y"] = data["w_b"] - data["w_c"]
    out = SkoptBackend(n_points=300).ask(space, data, 2, seed=0)
    assert space.is_feasible(out).all()
    assert (out["w_a"] <= 0.15 + 1e-9).all()


def test_bad_options_are_space_errors():
    with pytest.raises(SpaceError, match="unknown option"):
        SkoptBackend(base_estimator="RF")
    with pytest.raises(SpaceError, match="failed"):
        SkoptBackend(failed="ignore")
