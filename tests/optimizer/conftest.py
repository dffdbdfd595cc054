"""Fixtures for the optimizer tests (helpers live in optimizer_helpers.py)."""

from __future__ import annotations

import pytest

from optimizer_helpers import mixture_space, mixture_truth


@pytest.fixture
def mix_space():
    return mixture_space()


@pytest.fixture
def mix_data(mix_space):
    data = mix_space.sample(20, seed=11)
    data["conductivity_s_cm"] = 10 ** mixture_truth(data)
    return data
