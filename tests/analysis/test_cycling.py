"""Cycling summary against a synthetic cycling table with known capacities."""

import math

import numpy as np
import pandas as pd
import pytest

from ionopt.analysis.cycling import analyze_cycling, per_cycle
from ionopt.errors import AnalysisError


def _cell(charges, discharges, currents=None, points=20, cumulative=False):
    """Charge (CC) -> rest -> discharge per cycle; capacities ramp linearly to the target."""
    rows = []
    t = 0.0
    total_c = total_d = 0.0
    for n, (qc, qd) in enumerate(zip(charges, discharges), start=1):
        i = 1e-3 if currents is None else currents[n - 1]
        base_c, base_d = (total_c, total_d) if cumulative else (0.0, 0.0)
        for k in range(1, points + 1):
            t += 10
            rows.append((n, 1, "charge", t, i, 3.4, base_c + qc * k / points, base_d))
        rows.append((n, 2, "rest", t + 5, 0.0, 3.4, base_c + qc, base_d))
        for k in range(1, points + 1):
            t += 10
            rows.append((n, 3, "discharge", t, -i, 3.3, base_c + qc, base_d + qd * k / points))
        total_c += qc
        total_d += qd
    return pd.DataFrame(rows, columns=["cycle", "step", "state", "time_s", "current_a",
                                       "potential_v", "charge_capacity_mah",
                                       "discharge_capacity_mah"])


CH = [1.60, 1.52, 1.50, 1.48, 1.46]
DIS = [1.44, 1.50, 1.48, 1.46, 1.44]


def test_known_capacities():
    r = analyze_cycling(_cell(CH, DIS), active_mass_mg=10.0)
    np.testing.assert_allclose(r.cycles["charge_capacity_mah"], CH)
    np.testing.assert_allclose(r.cycles["discharge_capacity_mah"], DIS)
    np.testing.assert_allclose(r.cycles["discharge_capacity_mah_g"], np.array(DIS) * 100)
    np.testing.assert_allclose(r.cycles["coulombic_efficiency_pct"],
                               100 * np.array(DIS) / np.array(CH))
    assert r.initial_coulombic_efficiency_pct == pytest.approx(90.0)
    assert r.coulombic_efficiency_pct == pytest.approx(
        np.mean(100 * np.array(DIS[1:]) / np.array(CH[1:])))
    assert r.capacity_retention_pct == pytest.approx(100 * 1.44 / 1.44)
    assert r.initial_discharge_capacity_mah_g == pytest.approx(144.0)
    assert (r.reference_cycle, r.retention_cycle, r.n_cycles) == (1, 5, 5)
    assert r.ok
    d = r.to_dict()
    assert d["capacity_retention_pct"] == pytest.approx(100.0) and "cycles" not in d


def test_reference_and_retention_cycles_and_grams():
    r = analyze_cycling(_cell(CH, DIS), active_mass_g=0.01, reference_cycle=2,
                        retention_cycle=4)
    assert r.capacity_retention_pct == pytest.approx(100 * 1.46 / 1.50)
    assert r.active_mass_mg == pytest.approx(10.0)
    with pytest.raises(AnalysisError, match="retention_cycle: cycle 9"):
        analyze_cycling(_cell(CH, DIS), retention_cycle=9)


def test_without_mass_specific_is_nan():
    r = analyze_cycling(_cell(CH, DIS))
    assert math.isnan(r.final_discharge_capacity_mah_g)
    assert r.to_dict()["final_discharge_capacity_mah_g"] is None


def test_cumulative_columns_are_differenced():
    r = analyze_cycling(_cell(CH, DIS, cumulative=True))
    np.testing.assert_allclose(r.cycles["charge_capacity_mah"], CH, rtol=1e-9)
    np.testing.assert_allclose(r.cycles["discharge_capacity_mah"], DIS, rtol=1e-9)
    assert any("differenced" in w for w in r.warnings)


def test_anode_convention():
    r = analyze_cycling(_cell(CH, DIS), ce_convention="charge/discharge")
    assert r.initial_coulombic_efficiency_pct == pytest.approx(100 * 1.60 / 1.44)


def test_ce_above_100_warns():
    r = analyze_cycling(_cell(DIS, CH))
    assert any("ce_convention" in w for w in r.warnings)


def test_incomplete_and_cut_short_cycles():
    df = _cell(CH + [0.5], DIS + [0.3])
    df = pd.concat([df, _cell([1.0], [0.0]).assign(cycle=7)])  # charge only
    r = analyze_cycling(df)
    assert r.n_cycles == 6 and r.retention_cycle == 6
    assert any("cut short" in w for w in r.warnings)
    assert any("incomplete cycle(s) [7]" in w for w in r.warnings)


def test_rate_table_detected_plateaus():
    currents = [1e-3] * 3 + [2e-3] * 3 + [5e-3] * 2 + [1e-3] * 2
    qd = [1.5, 1.5, 1.5, 1.3, 1.3, 1.3, 1.0, 1.0, 1.45, 1.45]
    qc = [q / 0.99 for q in qd]
    r = analyze_cycling(_cell(qc, qd, currents), nominal_capacity_mah=1.0,
                        active_mass_mg=10.0)
    rt = r.rate_table
    assert list(rt["n_cycles"]) == [3, 3, 2, 2]
    np.testing.assert_allclose(rt["c_rate"], [1.0, 2.0, 5.0, 1.0])
    np.testing.assert_allclose(rt["discharge_capacity_mah"], [1.5, 1.3, 1.0, 1.45])
    np.testing.assert_allclose(rt["discharge_capacity_mah_g"], [150, 130, 100, 145])
    assert rt["retention_vs_first_step_pct"].iloc[2] == pytest.approx(100 / 1.5)
    assert list(rt["first_cycle"]) == [1, 4, 7, 9]


def test_rate_table_from_schedule():
    currents = [1e-3] * 2 + [2e-3] * 2
    r = analyze_cycling(_cell([1, 1, 0.9, 0.9], [1, 1, 0.8, 0.8], currents),
                        rate_schedule=[(0.1, 2), (0.2, 2)])
    np.testing.assert_allclose(r.rate_table["c_rate"], [0.1, 0.2])
    np.testing.assert_allclose(r.rate_table["discharge_capacity_mah"], [1.0, 0.8])
    short = analyze_cycling(_cell([1, 1], [1, 1]), rate_schedule=[(0.1, 2), (0.2, 2)])
    assert any("covers 4 cycles" in w for w in short.warnings)
    with pytest.raises(AnalysisError, match=r"rate_schedule\[0\]"):
        analyze_cycling(_cell([1], [1]), rate_schedule=[(0.0, 2)])
    with pytest.raises(AnalysisError, match=r"rate_schedule\[0\]"):
        analyze_cycling(_cell([1], [1]), rate_schedule=["x"])


def test_per_cycle_function():
    table = per_cycle(_cell(CH, DIS), active_mass_mg=10.0)
    np.testing.assert_allclose(table["discharge_capacity_mah_g"], np.array(DIS) * 100)


def test_errors():
    df = _cell(CH, DIS)
    with pytest.raises(AnalysisError, match="discharge_capacity_mah"):
        analyze_cycling(df.drop(columns="discharge_capacity_mah"))
    with pytest.raises(AnalysisError, match="state"):
        analyze_cycling(df.assign(state="CC"))
    with pytest.raises(AnalysisError, match="no complete cycle"):
        analyze_cycling(df.assign(discharge_capacity_mah=0.0))
    with pytest.raises(AnalysisError, match="active_mass_mg"):
        analyze_cycling(df, active_mass_mg=float("nan"))
    with pytest.raises(AnalysisError, match="one, not both"):
        analyze_cycling(df, active_mass_mg=1.0, active_mass_g=0.001)
    with pytest.raises(AnalysisError, match="ce_convention"):
        analyze_cycling(df, ce_convention="ratio")
    with pytest.raises(AnalysisError, match="whole numbers"):
        analyze_cycling(df.assign(cycle=df.cycle + 0.5))
    with pytest.raises(AnalysisError, match="EIS"):
        analyze_cycling(pd.DataFrame({"freq_hz": [1.0], "z_real_ohm": [1.0]}))
    with pytest.raises(AnalysisError, match="DataFrame"):
        analyze_cycling([1, 2])


def test_plot_cycling_smoke():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ionopt.plots.analysis import plot_cycling

    ax = plot_cycling(analyze_cycling(_cell(CH, DIS), active_mass_mg=10.0))
    assert "g" in ax.get_ylabel() and len(ax.ce_axes.lines) == 1
    assert plot_cycling(_cell(CH, DIS)).get_ylabel() == "capacity (mAh)"
    with pytest.raises(AnalysisError, match="CyclingResult"):
        plot_cycling(42)
    plt.close("all")
