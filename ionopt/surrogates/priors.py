"""Domain priors for the surrogates: how noisy a measurement of each known target is.

On 5–10 films a GP cannot tell a one-point peak from a bad film: the likelihood is
nearly flat between "the function peaks here" and "that film scattered". What decides is
the prior on the observation noise. Relative to the target's own spread (the generic
fallback, 2 % of the variance) it depends on how different the films happened to be; in
the measurement's own units it says what a chemist knows before the campaign: how far
two films cast from the same recipe typically disagree.

:data:`NOISE_LEVELS` holds that replicate scatter per known target, as a relative
scatter (a fraction of the value, for quantities measured with a roughly constant
relative error) or an absolute one (in the target's units). :func:`noise_prior_sd`
converts it to an sd in the space the target is modelled in (``log10``: decades), the
centre of :class:`~ionopt.surrogates.MaternGP`'s noise prior, whose width (a factor ~2.7
on the sd at 95 %) covers the spread of the estimates below; replicate rows in the data
still pull the fitted noise wherever they point.

These are typical laboratory reproducibilities, stated so they can be argued with, not
values fitted to any dataset (the seed paper reports one film per recipe, so no scatter
can be estimated from it). Override them per target with
``fit_surrogates(..., noise_prior={target: sd_in_modelled_space})``, or pass ``None``
for the generic relative prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ionopt.errors import ModelError


@dataclass(frozen=True)
class NoiseLevel:
    """Replicate scatter of one measurement.

    Parameters
    ----------
    relative : float or None
        Scatter as a fraction of the value (0.10 = 10 %).
    sd : float or None
        Scatter as an sd in the target's units.
    why : str
        The reasoning, shown in the docs.
    """

    relative: float | None = None
    sd: float | None = None
    why: str = ""

    def __post_init__(self):
        if (self.relative is None) == (self.sd is None):
            raise ModelError("NoiseLevel: give exactly one of relative or sd")
        v = self.relative if self.relative is not None else self.sd
        if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
            raise ModelError(f"NoiseLevel: expected a positive number, got {v!r}")


#: Replicate scatter of the known targets (columns of the targets table).
NOISE_LEVELS: dict[str, NoiseLevel] = {
    "conductivity_s_cm": NoiseLevel(
        relative=0.10,
        why="ionic conductivity of cast composite/polymer films by EIS between blocking "
            "electrodes: film-to-film scatter of ~5-20 % (thickness and contact area of "
            "thin, slightly uneven films dominate), i.e. 0.02-0.08 decades; centred at "
            "10 % = 0.041 decades"),
    "tensile_strength_mpa": NoiseLevel(
        relative=0.05,
        why="tensile strength of free-standing films (strip specimens): ~5 % between "
            "specimens of one film; film-to-film can be larger, which the prior's width "
            "allows"),
    "stability_window_v": NoiseLevel(
        sd=0.05,
        why="anodic limit from linear sweep voltammetry: the onset depends on the "
            "current cut-off and scan rate; repeat cells agree within ~0.05 V"),
    "transference_number": NoiseLevel(
        sd=0.02,
        why="Li+ transference number by the Bruce-Vincent method: repeat cells agree "
            "within ~0.02 (interphase growth during polarisation adds scatter)"),
    "decomposition_temp_c": NoiseLevel(
        sd=3.0,
        why="TGA onset temperature: ~2-5 degC between runs (heating rate, sample mass)"),
    "capacity_mah_g": NoiseLevel(
        relative=0.02,
        why="specific capacity of coin cells: ~2 % cell to cell (electrode loading)"),
    "capacity_retention_pct": NoiseLevel(
        sd=3.0,
        why="capacity retention after hundreds of cycles: ~3 percentage points cell to "
            "cell"),
    "coulombic_efficiency_pct": NoiseLevel(
        sd=0.1,
        why="average Coulombic efficiency: ~0.1 percentage point cell to cell"),
    "short_circuit_h": NoiseLevel(
        relative=0.30,
        why="time to short circuit of Li|Li cells: dendrite failure is stochastic, "
            "~30 % between cells"),
    "stable_at_least_h": NoiseLevel(
        relative=0.30,
        why="as short_circuit_h"),
}


#: Default GP prior mean (constant) per known target: what to expect far from every
#: measured recipe. For conductivity, the lowest measured value: away from the recipes a
#: lab has made, a film is not expected to conduct better than its worst one (too little
#: salt, no percolating interface, no film). Chosen on data independent of the seed: on
#: 300 small conductivity-vs-concentration curves of CALiSol-23 (leave-one-out,
#: ``benchmarks/results/small_curves.md``) it cut the GP's error relative to linear
#: interpolation from a ratio of 0.93 to 0.72 and beat interpolation on 93 % of the
#: curves (the training mean: 57 %); it is also the prior mean De Ath et al. 2020
#: (arXiv:2004.08349) found robust for Bayesian optimisation of a maximised objective.
#: Override per target with ``fit_surrogates(..., prior_mean={target: "data"})``.
PRIOR_MEANS: dict[str, str] = {"conductivity_s_cm": "min"}


def _median_abs(y) -> float:
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    return float(np.median(np.abs(y))) if y.size else math.nan


def noise_prior_sd(level: NoiseLevel | float | None, transform, y_units) -> float | None:
    """A replicate scatter as an sd in the modelled space, or ``None`` (generic prior).

    Parameters
    ----------
    level : NoiseLevel, float or None
        A :class:`NoiseLevel` (converted), a float (already an sd in the modelled space)
        or ``None``.
    transform : Transform
        The target's transform (its ``name`` decides the conversion).
    y_units : array-like
        The training values in units: a relative scatter of an untransformed target and
        an absolute scatter of a transformed one are converted at their median.

    Conversions: relative ``r`` -> ``log10(1 + r)`` decades for ``log10``, ``r *
    median|y|`` for ``identity``; absolute ``sd`` -> ``sd`` for ``identity``,
    ``sd / (ln 10 * median y)`` for ``log10``, ``sd / (p (1 - p))`` for ``logit``.
    Anything that cannot be converted returns ``None``.
    """
    if level is None:
        return None
    if not isinstance(level, NoiseLevel):
        try:
            sd = float(level)
        except (TypeError, ValueError):
            raise ModelError(f"noise_prior: expected an sd (float), a NoiseLevel or None, "
                             f"got {level!r}") from None
        if not (math.isfinite(sd) and sd > 0):
            raise ModelError(f"noise_prior: expected a positive sd, got {level!r}")
        return sd
    name = getattr(transform, "name", "identity")
    med = _median_abs(y_units)
    if level.relative is not None:
        if name == "log10":
            return math.log10(1.0 + level.relative)
        if name == "identity" and med > 0:
            return level.relative * med
        return None
    if name == "identity":
        return float(level.sd)
    if name == "log10" and med > 0:
        return level.sd / (math.log(10.0) * med)
    if name == "logit" and 0 < med < 1:
        return level.sd / (med * (1.0 - med))
    return None


__all__ = ["NOISE_LEVELS", "NoiseLevel", "PRIOR_MEANS", "noise_prior_sd"]
