"""Adsorption energy, checked against the values a paper reports."""

import math

import pytest

from ionopt.analysis.dft import adsorption_energy
from ionopt.errors import AnalysisError


def test_paper_value_bn_tfsi():
    # amorphous BN + TFSI-: totals reported to 1 meV; the paper states -7.508 eV. The
    # recomputed -7.509 eV differs by rounding of the totals, hence the 2 meV tolerance.
    r = adsorption_energy(-818.974, -730.291, -81.174)
    assert r.adsorption_energy_ev == pytest.approx(-7.509, abs=1e-9)
    assert r.adsorption_energy_ev == pytest.approx(-7.508, abs=2e-3)
    assert r.adsorption_energy_kj_mol == pytest.approx(-7.509 * 96.4853321, rel=1e-6)
    assert r.ok and r.to_dict()["adsorption_energy_ev"] == pytest.approx(-7.509)


def test_implausible_warns():
    r = adsorption_energy(-100.0, -50.0, -10.0)
    assert not r.ok and "implausibly" in r.warnings[0]


@pytest.mark.parametrize("bad", [math.nan, math.inf, "x", None])
def test_bad_values(bad):
    with pytest.raises(AnalysisError, match="e_surface_ev"):
        adsorption_energy(-1.0, bad, -1.0)
