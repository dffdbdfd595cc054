"""Bundled data with data cards: the seed paper's measurements and example raw files.

The seed dataset is Fang et al., Batteries & Supercaps 2024, doi 10.1002/batt.202400121;
its data card is ``ionopt/datasets/data/fang2024_DATACARD.md``.
"""

from ionopt.datasets.examples import EXAMPLE_TRUTH, example_files
from ionopt.datasets.seed import (
    SEED_CITATION,
    SEED_TARGETS,
    load_dft_adsorption,
    load_rate_capability,
    load_seed_cycling,
    load_seed_dataset,
    load_seed_values,
)

__all__ = [
    "EXAMPLE_TRUTH", "example_files", "SEED_CITATION", "SEED_TARGETS", "load_dft_adsorption", "load_rate_capability",
    "load_seed_cycling", "load_seed_dataset", "load_seed_values",
]
