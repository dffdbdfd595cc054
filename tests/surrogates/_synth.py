"""Synthetic data with a known ground truth (log10 conductivity)."""

import numpy as np
import pandas as pd

FILLERS = ["amorphous_BN", "h_BN", "LLZTO"]
OFFSET = {"amorphous_BN": 0.0, "h_BN": -0.5, "LLZTO": -0.2}


def truth_log10(content, drying, filler):
    """A smooth known log10 conductivity (S/cm) of content, drying temperature, filler."""
    off = np.array([OFFSET[f] for f in filler])
    return -3.0 + 0.8 * np.sin(3.0 * np.asarray(content)) - 0.01 * (np.asarray(drying) - 55) + off


def make_table(n, rng, noise=0.05):
    content = rng.uniform(0.0, 1.0, n)
    drying = rng.uniform(40.0, 85.0, n)
    filler = rng.choice(FILLERS, n)
    z = truth_log10(content, drying, filler) + noise * rng.normal(size=n)
    return pd.DataFrame({"pvdf_hfp_content": content, "drying_temp_c": drying,
                         "filler": filler, "conductivity_s_cm": 10.0 ** z})
