"""Shared test fixtures: where the real data of other projects lives (../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the checkout; skip loudly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"SKIPPED: real-data folder {SHARED_DATA} is absent on this machine")
    return SHARED_DATA
