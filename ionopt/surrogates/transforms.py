"""Target transforms: the space a target is modelled in, and the way back to its units.

A surrogate models ``z = forward(y)`` with a Gaussian predictive distribution
``z ~ N(mu, s**2)``; predictions go back to the target's units through ``inverse``. The
transforms are monotone increasing, so quantiles map exactly (a ``log10`` model gives an
asymmetric interval in S/cm); the standard deviation in units is exact for ``log10``
(log-normal) and a first-order (delta-method) approximation otherwise.
"""

from __future__ import annotations

import numpy as np

from ionopt.errors import ModelError

_LN10 = float(np.log(10.0))


class Transform:
    """Base class: identity. Subclasses override :meth:`forward` and :meth:`inverse`.

    Attributes
    ----------
    name : str
        Short name used in reports and files (``"identity"``, ``"log10"``, ``"logit"``).
    fallback_scale : float or None
        Spread of the target in the modelled space assumed when the data cannot tell
        (fewer than 3 rows, constant target); ``None`` means 10 % of the mean's magnitude.
    """

    name = "identity"
    fallback_scale: float | None = None

    def forward(self, y, *, field: str = "target") -> np.ndarray:
        """Units -> modelled space (``field`` names the target in error messages)."""
        return np.asarray(y, dtype=float)

    def inverse(self, z) -> np.ndarray:
        """Modelled space -> units."""
        return np.asarray(z, dtype=float)

    def derivative(self, z) -> np.ndarray:
        """d inverse(z) / dz, for delta-method standard deviations in units."""
        return np.ones_like(np.asarray(z, dtype=float))

    def std_units(self, mu, s) -> np.ndarray:
        """Standard deviation in units of ``inverse(z)`` for ``z ~ N(mu, s**2)``."""
        return np.abs(self.derivative(mu)) * np.asarray(s, dtype=float)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(self.name)


class Identity(Transform):
    """Model the target as it is."""


class Log10(Transform):
    """Model ``log10(y)``; ``y`` must be positive (conductivities, times, moduli)."""

    name = "log10"
    fallback_scale = 1.0  # one decade

    def forward(self, y, *, field: str = "target") -> np.ndarray:
        y = np.asarray(y, dtype=float)
        bad = np.isfinite(y) & (y <= 0)
        if bad.any():
            raise ModelError(
                f"{field}: log10 transform needs positive values, got {y[bad][0]:g} "
                f"({int(bad.sum())} value(s) <= 0); fix the data or use transforms="
                f"{{'{field}': 'identity'}}")
        return np.log10(y)

    def inverse(self, z) -> np.ndarray:
        return np.power(10.0, np.asarray(z, dtype=float))

    def derivative(self, z) -> np.ndarray:
        return _LN10 * self.inverse(z)

    def std_units(self, mu, s) -> np.ndarray:
        """Exact log-normal standard deviation: ``m * sqrt(exp(v) - 1) * exp(v / 2)``,
        with ``m = 10**mu`` the median and ``v = (s ln 10)**2``."""
        v = (np.asarray(s, dtype=float) * _LN10) ** 2
        with np.errstate(over="ignore"):
            return self.inverse(mu) * np.exp(v / 2.0) * np.sqrt(np.expm1(v))


class Logit(Transform):
    """Model ``log(y / (1 - y))`` for fractions strictly inside (0, 1)."""

    name = "logit"
    fallback_scale = 1.0

    def forward(self, y, *, field: str = "target") -> np.ndarray:
        y = np.asarray(y, dtype=float)
        bad = np.isfinite(y) & ((y <= 0) | (y >= 1))
        if bad.any():
            raise ModelError(
                f"{field}: logit transform needs values strictly between 0 and 1, got "
                f"{y[bad][0]:g}")
        return np.log(y / (1.0 - y))

    def inverse(self, z) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    def derivative(self, z) -> np.ndarray:
        p = self.inverse(z)
        return p * (1.0 - p)


TRANSFORMS: dict[str, type[Transform]] = {
    "identity": Identity, "log10": Log10, "logit": Logit,
}

#: Targets modelled in a transformed space unless the user says otherwise.
DEFAULT_TRANSFORMS = {"conductivity_s_cm": "log10"}


def get_transform(spec: "str | Transform | None", target: str = "target") -> Transform:
    """A :class:`Transform` from a name (``"log10"``), an instance, or ``None`` (default
    for ``target``: log10 for ``conductivity_s_cm``, identity otherwise)."""
    if spec is None:
        spec = DEFAULT_TRANSFORMS.get(target, "identity")
    if isinstance(spec, Transform):
        return spec
    if isinstance(spec, str) and spec in TRANSFORMS:
        return TRANSFORMS[spec]()
    raise ModelError(
        f"transforms: {target}: unknown transform {spec!r}; expected one of "
        f"{', '.join(TRANSFORMS)} or a Transform instance")


__all__ = ["DEFAULT_TRANSFORMS", "Identity", "Log10", "Logit", "TRANSFORMS", "Transform",
           "get_transform"]
