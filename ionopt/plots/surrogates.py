"""Figures for surrogates: parity of held-out predictions, partial dependence, 1-D slice.

matplotlib is imported inside each function so ``import ionopt.plots.surrogates`` is cheap.
Every function returns the matplotlib Figure (and draws on ``ax`` when given).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ionopt.errors import ModelError

_Z95 = 1.959963984540054


def _axes(ax, figsize=(4.5, 4.0)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    return ax.figure, ax


def parity_plot(sur, target: str, model: str | None = None, ax=None):
    """Measured vs cross-validated predictions (median and 95 % bars) in the target's units;
    log axes for log10 targets."""
    tm = sur[target]
    model = model or tm.model
    sur.report  # noqa: B018  (computes held-out predictions when needed)
    key = (target, model)
    if key not in sur.cv_predictions:
        raise ModelError(f"{target}: no held-out predictions for model {model!r}; "
                         f"available: {sorted(m for t, m in sur.cv_predictions if t == target)}")
    pred = sur.cv_predictions[key]
    fig, ax = _axes(ax)
    tr = tm.transform
    y = tr.inverse(pred["y"].to_numpy())
    m = tr.inverse(pred["mean"].to_numpy())
    lo = tr.inverse(pred["mean"].to_numpy() - _Z95 * pred["std"].to_numpy())
    hi = tr.inverse(pred["mean"].to_numpy() + _Z95 * pred["std"].to_numpy())
    ax.errorbar(y, m, yerr=[m - lo, hi - m], fmt="o", ms=4, capsize=2, alpha=0.8)
    both = np.concatenate([y, lo, hi])
    both = both[np.isfinite(both)]
    lims = [both.min(), both.max()]
    ax.plot(lims, lims, "k--", lw=1)
    if tr.name == "log10":
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(f"measured {target}")
    ax.set_ylabel(f"predicted {target} (held out)")
    ax.set_title(f"{target}: {model}")
    return fig


def slice_plot(sur, target: str, feature: str, reference: pd.Series | dict | None = None,
               n_points: int = 200, interval: float = 0.95, ax=None):
    """Prediction along one continuous feature, the others fixed at ``reference`` (default:
    the best measured training row), with the ``interval`` band and training points."""
    tm = sur[target]
    fs = tm.features
    if feature not in fs.continuous:
        raise ModelError(f"{feature}: not a continuous feature; expected one of "
                         f"{', '.join(fs.continuous)}")
    if reference is None:
        reference = tm.X_train.iloc[int(np.argmax(tm.y_train_latent))]
    ref = dict(reference)
    lo, hi = fs.continuous[feature]
    grid = np.linspace(lo, hi, n_points)
    cand = pd.DataFrame({name: ref[name] for name in fs.names}, index=range(n_points))
    cand[feature] = grid
    out = tm.predict(cand, interval=interval)
    fig, ax = _axes(ax, (5.0, 3.5))
    ax.fill_between(grid, out[f"{target}_lower"], out[f"{target}_upper"], alpha=0.25,
                    label=f"{int(round(interval * 100))} % interval")
    ax.plot(grid, out[f"{target}_pred"], lw=1.5, label="prediction")
    ax.plot(tm.X_train[feature], tm.y_train, "k.", label="training data")
    if tm.transform.name == "log10":
        ax.set_yscale("log")
    ax.set_xlabel(feature)
    ax.set_ylabel(target)
    ax.legend(fontsize="small")
    return fig


def partial_dependence_plot(sur, target: str, features: list[str] | None = None,
                            n_points: int = 50, max_rows: int = 500, ax=None):
    """Partial dependence of the latent mean (modelled space) on each continuous feature:
    the prediction averaged over the training rows, one feature swept over its bounds."""
    import matplotlib.pyplot as plt

    tm = sur[target]
    fs = tm.features
    features = list(features or fs.continuous)
    base = tm.X_train.iloc[:max_rows]
    if ax is None:
        fig, axes = plt.subplots(1, len(features), figsize=(3.2 * len(features), 3.0),
                                 constrained_layout=True, squeeze=False)
        axes = axes[0]
    else:
        axes = np.atleast_1d(ax)
        fig = axes[0].figure
    for a, feature in zip(axes, features):
        if feature not in fs.continuous:
            raise ModelError(f"{feature}: not a continuous feature")
        lo, hi = fs.continuous[feature]
        grid = np.linspace(lo, hi, n_points)
        big = pd.concat([base] * n_points, ignore_index=True)
        big[feature] = np.repeat(grid, len(base))
        mean, _ = tm.predict_latent(big)
        pd_curve = mean.reshape(n_points, len(base)).mean(axis=1)
        a.plot(grid, pd_curve)
        a.set_xlabel(feature)
        a.set_ylabel(f"{tm.transform.name}({target})" if tm.transform.name != "identity"
                     else target)
    return fig


__all__ = ["parity_plot", "partial_dependence_plot", "slice_plot"]
