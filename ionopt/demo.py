"""The main job on the bundled seed data, end to end, in one call.

Load the seed dataset (Fang et al. 2024) and the paper's search space (filler, PVDF-HFP
content, filler:salt ratio, drying temperature; maximize conductivity with tensile strength
>= 4 MPa), fit the surrogates, propose the next films with the native Bayesian optimizer,
turn them into grams to weigh, and draw what the model believes along PVDF-HFP content.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ionopt.datasets import SEED_CITATION, load_seed_dataset
from ionopt.errors import DataError
from ionopt.recipes import DEFAULT_BATCH_G, PAPER_DRYING

#: The slice of the space the figure shows: the paper's filler, ratio and drying.
SLICE = {"filler": "amorphous_BN", "filler_to_salt": 1.0, "drying_temp_c": PAPER_DRYING[0]}


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    space : SearchSpace
        The paper's search space (``ionopt/datasets/data/fang2024_space.yaml``).
    training : DataFrame
        Seed rows the models learned from (rows outside the space are left out; see notes).
    proposals : DataFrame
        The optimizer's proposals: parameters, grams to weigh, ``<target>_pred`` and
        ``_std``, ``prob_feasible``, ``acquisition``, ``reason``.
    curve : DataFrame
        The surrogates along PVDF-HFP content on :data:`SLICE`: ``pvdf_hfp_content`` and,
        per target, ``_pred``, ``_lower``, ``_upper`` (95 %) in the target's units.
    figure_path, proposals_path : Path
        Files written.
    notes : list of str
        What a researcher should know (seed rows not used and why).
    """

    space: object
    training: pd.DataFrame
    proposals: pd.DataFrame
    curve: pd.DataFrame
    figure_path: Path
    proposals_path: Path
    notes: list[str] = field(default_factory=list)


def _slice_table(space, n_points: int = 281) -> pd.DataFrame:
    upper = min(space.parameter("pvdf_hfp_content").bounds[1], 0.7)
    table = pd.DataFrame({"pvdf_hfp_content": np.linspace(0.0, upper, n_points)})
    for name in space.names:
        if name in SLICE:
            table[name] = SLICE[name]
        elif name != "pvdf_hfp_content":
            table[name] = getattr(space.parameter(name), "value", np.nan)
    return table[space.names]


def run_demo(out_dir: str | Path = "ionopt-demo", *, n: int = 4, seed: int = 0,
             batch_g: float = DEFAULT_BATCH_G) -> DemoResult:
    """Run the demo and write ``proposals.csv`` and ``conductivity_vs_content.png``.

    Parameters
    ----------
    out_dir : path
        Folder for the outputs (created if needed).
    n : int
        Number of recipes to propose (1-20).
    seed : int
        Random seed; same seed, same proposals.
    batch_g : float
        Grams of solids (filler + LiTFSI + PVDF-HFP) per proposed batch.
    """
    from ionopt.optimizer import NativeBackend, example_space, propose

    if not 1 <= int(n) <= 20:
        raise DataError(f"n: expected 1 to 20 proposals, got {n}")
    space = example_space()
    seed_data = load_seed_dataset()
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training = space.validate_table(seed_data, where="seed data", drop_unknown=True)
        proposals = propose(space, seed_data, n=int(n), seed=seed, batch_g=batch_g)
        surrogates = NativeBackend().fit(space, seed_data, seed=seed).surrogates
    left_out = sorted(set(seed_data["sample_id"]) - set(seed_data.loc[training.index, "sample_id"]))
    if left_out:
        notes.append(f"not used (outside the space: cold pressed, no filler): {', '.join(left_out)}")
    notes += [str(w.message) for w in caught if "not used" not in str(w.message)]
    training = seed_data.loc[training.index].reset_index(drop=True)

    curve_in = _slice_table(space)
    predicted = surrogates.predict(curve_in, interval=0.95)
    curve = pd.concat([curve_in[["pvdf_hfp_content"]], predicted.reset_index(drop=True)], axis=1)

    from ionopt._files import atomic_path
    from ionopt.plots.demo import plot_demo

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    proposals_path = out / "proposals.csv"
    with atomic_path(proposals_path) as tmp:
        proposals.to_csv(tmp, index=False)
    figure_path = out / "conductivity_vs_content.png"
    fig = plot_demo(training, curve, proposals, space, seed_data=seed_data,
                    title=f"Seed data: {SEED_CITATION}")
    with atomic_path(figure_path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return DemoResult(space, training, proposals, curve, figure_path, proposals_path, notes)
