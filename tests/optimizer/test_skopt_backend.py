"""scikit-optimize backend: what the optimizer is told, constraints, small asks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import SpaceError
from ionopt.optimizer.backends import get_backend
from ionopt.optimizer.backends.base import same_recipe
from ionopt.optimizer.backends._peer import FreeSpace
from ionopt.optimizer.backends.skopt_backend import SkoptBackend, dimensions
from ionopt.optimizer.objectives import Objective
from optimizer_helpers import tight_inequality_space, toy_data, toy_space

skopt = pytest.importorskip("skopt")


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
    space = tight_inequality_space()
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
