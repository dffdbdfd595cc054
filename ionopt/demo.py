"""The main job on the bundled seed data, end to end, in one call.

Load the seed dataset (Fang et al. 2024), fit a Gaussian process of log10 ionic
conductivity against PVDF-HFP content for the amorphous-BN films, propose the next recipes
by expected improvement (a Kriging-believer batch), turn them into grams to weigh, and
draw conductivity vs PVDF-HFP content with the model's uncertainty band.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ionopt.datasets import SEED_CITATION, load_seed_dataset
from ionopt.errors import DataError
from ionopt.recipes import DEFAULT_BATCH_G, Recipe

#: PVDF-HFP content range the demo searches (cast films; content 0 is the cold-pressed SE).
CONTENT_BOUNDS = (0.05, 1.0)
#: Proposals closer than this in PVDF-HFP content to each other or to a made film are not
#: worth a separate experiment (a weighing error of a few mg already moves content ~0.01).
MIN_SPACING = 0.02


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    training : DataFrame
        The seed rows the model learned from.
    proposals : DataFrame
        One row per proposed recipe: ``pvdf_hfp_content``, grams to weigh, predicted
        ``conductivity_s_cm_pred`` with ``conductivity_s_cm_lower``/``_upper`` (95 %),
        ``acquisition`` (expected improvement in log10 S/cm) and ``reason``.
    curve : DataFrame
        The model on a grid: ``pvdf_hfp_content``, ``log10_sigma_mean``, ``log10_sigma_std``.
    figure_path, proposals_path : Path
        Files written.
    """

    training: pd.DataFrame
    proposals: pd.DataFrame
    curve: pd.DataFrame
    figure_path: Path
    proposals_path: Path


def _fit_gp(x: np.ndarray, y: np.ndarray, seed: int):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    # Bounds keep a GP sane on 6 points: the length scale cannot shrink below the spacing
    # of the data (0.1 in content), and the noise variance (in units of var(log10 sigma),
    # ~0.1 decade^2 here) stays between ~2 % and ~30 % film-to-film scatter in sigma, the
    # reproducibility range of cast polymer films; left free, 6 points let maximum
    # likelihood explain the CSE-40 peak away as noise.
    kernel = (ConstantKernel(1.0, (0.05, 20.0)) * Matern(0.3, (0.08, 3.0), nu=2.5)
              + WhiteKernel(1e-2, (4e-4, 0.1)))
    gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=5,
                                  random_state=seed)
    with warnings.catch_warnings():
        # A bound reached on 6 points is expected, not news for the user.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return gp.fit(x.reshape(-1, 1), y)


def _expected_improvement(mean, std, best):
    from scipy.stats import norm

    std = np.maximum(std, 1e-12)
    z = (mean - best) / std
    exploit = (mean - best) * norm.cdf(z)
    explore = std * norm.pdf(z)
    return exploit + explore, exploit, explore


def propose_by_content(training: pd.DataFrame, n: int = 4, seed: int = 0,
                       batch_g: float = DEFAULT_BATCH_G):
    """Fit log10 sigma vs PVDF-HFP content and pick ``n`` contents by EI.

    Returns the proposals table and the model curve on a grid (see :class:`DemoResult`).
    """
    from sklearn.base import clone

    x = training["pvdf_hfp_content"].to_numpy(float)
    y = np.log10(training["conductivity_s_cm"].to_numpy(float))
    gp = _fit_gp(x, y, seed)
    plot_grid = np.linspace(0.0, CONTENT_BOUNDS[1], 1001)
    mean, std = gp.predict(plot_grid.reshape(-1, 1), return_std=True)
    curve = pd.DataFrame({"pvdf_hfp_content": plot_grid, "log10_sigma_mean": mean,
                          "log10_sigma_std": std})
    grid = plot_grid[plot_grid >= CONTENT_BOUNDS[0] - 1e-12]

    # Noisy EI: the incumbent is the best posterior mean at a made film, not a noisy value.
    best = float(gp.predict(x.reshape(-1, 1)).max())
    chosen: list[dict] = []
    taken = list(x)
    believer = gp
    for _ in range(n):
        m, s = believer.predict(grid.reshape(-1, 1), return_std=True)
        ei, exploit, explore = _expected_improvement(m, s, best)
        far = np.min(np.abs(grid[:, None] - np.asarray(taken)[None, :]), axis=1) >= MIN_SPACING
        if not far.any():
            break
        ei = np.where(far, ei, -np.inf)
        i = int(np.argmax(ei))
        m0, s0 = gp.predict(grid[[i]].reshape(-1, 1), return_std=True)
        chosen.append({"pvdf_hfp_content": grid[i], "mean": m0[0], "std": s0[0],
                       "acquisition": ei[i],
                       "reason": "exploit: predicted above the best film"
                       if exploit[i] >= explore[i] else "explore: the model is unsure here"})
        taken.append(grid[i])
        # Kriging believer: pretend the proposal was measured at its predicted mean so the
        # next pick goes elsewhere; hyper-parameters stay as fitted.
        believer = clone(gp).set_params(kernel=gp.kernel_, optimizer=None)
        believer.fit(np.asarray(taken).reshape(-1, 1),
                     np.concatenate([y, [c["mean"] for c in chosen]]))
    rows = []
    for rank, c in enumerate(chosen, start=1):
        recipe = Recipe.from_content("amorphous_BN", c["pvdf_hfp_content"], 1.0,
                                     batch_g=batch_g)
        rows.append({
            "rank": rank, "filler": recipe.filler,
            "pvdf_hfp_content": round(c["pvdf_hfp_content"], 4), "filler_to_salt": 1.0,
            "filler_g": round(recipe.filler_g, 4), "litfsi_g": round(recipe.litfsi_g, 4),
            "pvdf_hfp_g": round(recipe.pvdf_hfp_g, 4),
            "conductivity_s_cm_pred": 10 ** c["mean"],
            "conductivity_s_cm_lower": 10 ** (c["mean"] - 1.96 * c["std"]),
            "conductivity_s_cm_upper": 10 ** (c["mean"] + 1.96 * c["std"]),
            "acquisition": c["acquisition"], "reason": c["reason"],
        })
    return pd.DataFrame(rows), curve


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
        Seed of the GP's restarts; same seed, same proposals.
    batch_g : float
        Grams of solids per proposed batch.
    """
    if not 1 <= int(n) <= 20:
        raise DataError(f"n: expected 1 to 20 proposals, got {n}")
    seed_data = load_seed_dataset()
    training = seed_data[(seed_data["filler"] == "amorphous_BN")
                         & seed_data["conductivity_s_cm"].notna()].reset_index(drop=True)
    proposals, curve = propose_by_content(training, n=int(n), seed=seed, batch_g=batch_g)

    from ionopt._files import atomic_path
    from ionopt.plots.demo import plot_demo

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    proposals_path = out / "proposals.csv"
    with atomic_path(proposals_path) as tmp:
        proposals.to_csv(tmp, index=False)
    figure_path = out / "conductivity_vs_content.png"
    fig = plot_demo(training, curve, proposals, title=f"Seed data: {SEED_CITATION}")
    with atomic_path(figure_path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return DemoResult(training, proposals, curve, figure_path, proposals_path)
