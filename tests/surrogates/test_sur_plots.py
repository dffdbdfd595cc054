import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from ionopt.errors import ModelError
from ionopt.plots.surrogates import parity_plot, partial_dependence_plot, slice_plot
from ionopt.surrogates import fit_surrogates


def test_plots_draw_the_model(table, spec):
    import matplotlib.pyplot as plt

    sur = fit_surrogates(table.head(15), "conductivity_s_cm", features=spec, model="gp")
    fig = parity_plot(sur, "conductivity_s_cm")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and len(ax.lines) >= 1
    fig2 = slice_plot(sur, "conductivity_s_cm", "pvdf_hfp_content")
    band = fig2.axes[0].collections[0]
    assert band.get_paths()  # the interval band exists
    fig3 = partial_dependence_plot(sur, "conductivity_s_cm")
    assert len(fig3.axes) == 2
    # the partial dependence on content follows the known sin(3x) shape: rises then falls
    y = fig3.axes[0].lines[0].get_ydata()
    assert np.argmax(y) not in (0, len(y) - 1)
    with pytest.raises(ModelError):
        slice_plot(sur, "conductivity_s_cm", "filler")
    plt.close("all")
