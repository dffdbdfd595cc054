"""The demo's figure: what the model believes along PVDF-HFP content, and the proposals."""

from __future__ import annotations

import numpy as np
import pandas as pd

THRESHOLD_STYLE = {"color": "C2", "ls": "--", "lw": 1}


def plot_demo(training: pd.DataFrame, curve: pd.DataFrame, proposals: pd.DataFrame, space,
              *, seed_data: pd.DataFrame | None = None, title: str = ""):
    """Return a matplotlib Figure with one panel per objective of ``space``.

    Each panel shows the surrogate's prediction along PVDF-HFP content on the demo's slice
    (amorphous BN, filler:salt 1, drying 55 degC) with its 95 % band, the measured films
    (seed rows outside the space drawn hollow) and the proposals at their own content
    with their predicted value and 95 % interval. Thresholds are dashed lines.
    """
    from ionopt.plots._style import new_figure

    objectives = list(space.objectives)
    fig, axes = new_figure(width_in=6.4 * len(objectives), height_in=4.4, ncols=len(objectives))
    axes = np.atleast_1d(axes)
    x = curve["pvdf_hfp_content"].to_numpy()
    for ax, objective in zip(axes, objectives):
        t = objective.target
        ax.fill_between(x, curve[f"{t}_lower"], curve[f"{t}_upper"], color="C0", alpha=0.18,
                        lw=0, label="model, 95 % interval")
        ax.plot(x, curve[f"{t}_pred"], color="C0", lw=1.8,
                label="model (a-BN, filler:salt 1, 55 °C)")
        measured = training[training[t].notna()]
        ax.scatter(measured["pvdf_hfp_content"], measured[t], color="k", zorder=3,
                   label="measured, used (Fang et al. 2024)")
        for _, row in measured.iterrows():
            ax.annotate(row["sample_id"], (row["pvdf_hfp_content"], row[t]),
                        textcoords="offset points", xytext=(4, 5), fontsize=8)
        if seed_data is not None:
            unused = seed_data[~seed_data["sample_id"].isin(training["sample_id"])
                               & seed_data[t].notna()
                               & (seed_data["pvdf_hfp_content"] <= x.max())]
            if len(unused):
                ax.scatter(unused["pvdf_hfp_content"], unused[t], facecolors="none",
                           edgecolors="k", zorder=3, label="measured, outside the space")
                for _, row in unused.iterrows():
                    ax.annotate(row["sample_id"], (row["pvdf_hfp_content"], row[t]),
                                textcoords="offset points", xytext=(4, -11), fontsize=8)
        pred, std = proposals[f"{t}_pred"], proposals[f"{t}_std"]
        if objective.transform == "log10":
            # Proposals carry a std in units; show the matching log-normal 95 % interval.
            s_log = np.sqrt(np.log1p((std / pred) ** 2)) / np.log(10)
            lower, upper = pred / 10 ** (1.96 * s_log), pred * 10 ** (1.96 * s_log)
        else:
            lower, upper = pred - 1.96 * std, pred + 1.96 * std
        ax.errorbar(proposals["pvdf_hfp_content"], pred, yerr=np.vstack([pred - lower, upper - pred]),
                    fmt="D", color="C3", capsize=3, zorder=4,
                    label="proposed next (own filler:salt and drying T)")
        for i, row in proposals.reset_index(drop=True).iterrows():
            ax.annotate(str(i + 1), (row["pvdf_hfp_content"], row[f"{t}_pred"]),
                        textcoords="offset points", xytext=(5, -3), fontsize=8, color="C3")
        if objective.threshold is not None:
            ax.axhline(objective.threshold, **THRESHOLD_STYLE,
                       label=f"threshold {objective.threshold:g}")
        if objective.transform == "log10":
            ax.set_yscale("log")
        ax.set_xlabel("PVDF-HFP content, m_PVDF-HFP / (m_filler + m_LiTFSI)")
        ax.set_ylabel(_label(t))
        ax.legend(fontsize=7, loc="best")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def _label(target: str) -> str:
    labels = {"conductivity_s_cm": "ionic conductivity at 25 °C, S/cm",
              "tensile_strength_mpa": "tensile strength, MPa",
              "stability_window_v": "stability window, V vs Li+/Li",
              "transference_number": "Li+ transference number"}
    return labels.get(target, target)
