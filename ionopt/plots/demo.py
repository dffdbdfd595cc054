"""The demo's figure: conductivity vs PVDF-HFP content, data, model and proposals."""

from __future__ import annotations

import numpy as np
import pandas as pd


def plot_demo(training: pd.DataFrame, curve: pd.DataFrame, proposals: pd.DataFrame,
              title: str = ""):
    """Return a matplotlib Figure: measured sigma, GP mean with 95 % band, proposals.

    Parameters
    ----------
    training : DataFrame
        ``pvdf_hfp_content``, ``conductivity_s_cm`` (and ``sample_id`` for labels).
    curve : DataFrame
        ``pvdf_hfp_content``, ``log10_sigma_mean``, ``log10_sigma_std``.
    proposals : DataFrame
        ``pvdf_hfp_content``, ``conductivity_s_cm_pred``, ``_lower``, ``_upper``.
    """
    from ionopt.plots._style import new_figure

    fig, ax = new_figure()
    x = curve["pvdf_hfp_content"].to_numpy()
    mean = curve["log10_sigma_mean"].to_numpy()
    std = curve["log10_sigma_std"].to_numpy()
    ax.fill_between(x, 10 ** (mean - 1.96 * std), 10 ** (mean + 1.96 * std), color="C0",
                    alpha=0.18, lw=0, label="model 95 % band")
    ax.plot(x, 10 ** mean, color="C0", lw=1.8, label="model mean (GP on log10 σ)")
    ax.scatter(training["pvdf_hfp_content"], training["conductivity_s_cm"], color="k",
               zorder=3, label="measured (Fang et al. 2024, Table 1)")
    for _, row in training.iterrows():
        if "sample_id" in training:
            ax.annotate(row["sample_id"], (row["pvdf_hfp_content"], row["conductivity_s_cm"]),
                        textcoords="offset points", xytext=(4, 5), fontsize=8)
    yerr = np.vstack([proposals["conductivity_s_cm_pred"] - proposals["conductivity_s_cm_lower"],
                      proposals["conductivity_s_cm_upper"] - proposals["conductivity_s_cm_pred"]])
    ax.errorbar(proposals["pvdf_hfp_content"], proposals["conductivity_s_cm_pred"], yerr=yerr,
                fmt="D", color="C3", capsize=3, zorder=4, label="proposed next (predicted)")
    ax.set_yscale("log")
    ax.set_xlabel("PVDF-HFP content, m_PVDF-HFP / (m_filler + m_LiTFSI)")
    ax.set_ylabel("ionic conductivity at 25 °C, S/cm")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8, loc="lower left")
    return fig
