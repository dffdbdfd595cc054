"""The same behavioural contract, checked for every registered backend.

A backend whose module does not import yet (or whose optional dependency is missing) is
skipped with the reason; every other one must pass every test here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ionopt.errors import SpaceError
from ionopt.optimizer import BACKENDS, get_backend, propose
from ionopt.optimizer.backends import backend_class
from ionopt.optimizer.backends.base import same_recipe
from optimizer_helpers import mixture_space, mixture_truth

TOL = 0.01
#: Smaller internal searches keep the suite quick; the contract does not depend on them.
FAST = {"skopt": {"n_points": 300}}


def _backend(name, **options):
    try:
        backend_class(name)
    except SpaceError as err:
        pytest.skip(f"BACKEND {name!r} NOT TESTED: {err}")
    return get_backend(name, tolerance=TOL, **{**FAST.get(name, {}), **options})


@pytest.fixture(params=list(BACKENDS))
def name(request):
    return request.param


@pytest.fixture
def space():
    return mixture_space()


@pytest.fixture
def data(space):
    d = space.sample(14, seed=21)
    d["conductivity_s_cm"] = 10 ** mixture_truth(d)
    return d


def test_returns_n_feasible_distinct_rows(name, space, data):
    out = _backend(name).ask(space, data, 4, seed=0)
    assert len(out) == 4
    assert list(out.columns) == space.names
    assert space.is_feasible(out).all()
    assert same_recipe(space, out, out, TOL).sum() == 4
    assert not same_recipe(space, out, data, TOL).any()


def test_deterministic_with_seed(name, space, data):
    a = _backend(name).ask(space, data, 2, seed=5)
    b = _backend(name).ask(space, data, 2, seed=5)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_respects_pending(name, space, data):
    pending = _backend(name).ask(space, data, 2, seed=1)
    out = _backend(name).ask(space, data, 2, pending=pending, seed=1)
    assert not same_recipe(space, out, pending, TOL).any()
    assert space.is_feasible(out).all()


def test_failed_rows_are_never_proposed_again(name, space, data):
    failed = data.copy()
    failed["failed"] = [i % 4 == 0 for i in range(len(failed))]
    failed.loc[failed["failed"], "conductivity_s_cm"] = np.nan
    out = _backend(name).ask(space, failed, 3, seed=2)
    assert not same_recipe(space, out, failed[failed["failed"]], TOL).any()
    assert space.is_feasible(out).all()


def test_pool_mode_returns_exact_unused_pool_rows(name, space, data):
    pool = pd.concat([space.sample(40, seed=8), data[space.names].head(3)],
                     ignore_index=True)
    pending = pool.iloc[[5, 6]]
    out = _backend(name).ask_pool(space, data, pool, 3, pending=pending, seed=0)
    assert len(out) == 3 and out.index.is_unique
    assert not set(out.index) & {5, 6, 40, 41, 42}
    for idx, row in out.iterrows():
        for col in space.names:
            assert row[col] == pool.loc[idx, col]


def test_propose_adds_the_same_columns(name, space, data):
    _backend(name)
    out = propose(space, data, 2, backend=name, seed=0, **FAST.get(name, {}))
    for col in ["filler_g", "litfsi_g", "pvdf_hfp_g", "conductivity_s_cm_pred",
                "conductivity_s_cm_std", "acquisition", "reason", "backend"]:
        assert col in out.columns
    assert (out["backend"] == name).all()
    assert out[["filler_g", "litfsi_g", "pvdf_hfp_g"]].sum(axis=1).to_numpy() == \
        pytest.approx(2.0)


def test_unknown_backend_lists_valid_names():
    with pytest.raises(SpaceError, match="native, optuna-tpe, optuna-gp, skopt"):
        get_backend("hyperopt")
