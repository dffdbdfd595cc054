"""Candidate recipes as arrays: fast encoding, distinctness and local moves.

The acquisition optimizer handles thousands of candidates per proposal. Going through
pandas for every perturbation round costs more than the model itself, so candidates are
kept as three arrays -- continuous values ``x`` (m, dc), discrete values ``xd`` (m, dd),
category indices ``xc`` (m, dk) -- and encoded for the surrogates directly. The encoding
reproduces :meth:`ionopt.surrogates.FeatureSpec.encode` (continuous scaled by bounds,
categoricals one-hot in the spec's order); :class:`Codec` checks that equivalence on a
sample when it is built and falls back to the DataFrame route if it ever differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ionopt.optimizer.sampling import assemble, split


@dataclass
class Candidates:
    """Arrays describing ``m`` recipes of a space."""

    x: np.ndarray
    xd: np.ndarray
    xc: np.ndarray

    def __len__(self) -> int:
        return len(self.x)

    @classmethod
    def from_frame(cls, space, table) -> "Candidates":
        x, xd, xc = split(space, table)
        return cls(x, xd, xc)

    def take(self, idx) -> "Candidates":
        return Candidates(self.x[idx], self.xd[idx], self.xc[idx])

    def concat(self, other: "Candidates") -> "Candidates":
        return Candidates(np.vstack([self.x, other.x]), np.vstack([self.xd, other.xd]),
                          np.vstack([self.xc, other.xc]))

    def to_frame(self, space):
        return assemble(space, self.x, self.xd, self.xc)


class Codec:
    """Encodes :class:`Candidates` for the surrogates and for distance checks."""

    def __init__(self, space, features) -> None:
        self.space = space
        self.features = features
        ls = space.linear_structure
        cont = {n: ("x", i) for i, n in enumerate(ls.cont)}
        cont.update({p.name: ("xd", i) for i, p in enumerate(ls.disc)})
        self._num = []  # (source, column, lo, span) in encoded order
        for name, (lo, hi) in features.continuous.items():
            src, i = cont[name]
            self._num.append((src, i, lo, hi - lo))
        cat_index = {p.name: i for i, p in enumerate(ls.cat)}
        self._cat = []  # (column, mapping from space index to encoded offset)
        offset = len(self._num)
        for name, cats in features.categorical.items():
            values = space.parameter(name).values
            lookup = {str(c): k for k, c in enumerate(cats)}
            mapping = np.array([lookup.get(v, -1) for v in values], dtype=int)
            self._cat.append((cat_index[name], offset, mapping))
            offset += len(cats)
        self.width = offset
        # Distance encoding: numeric parameters scaled by the space's ranges.
        self._dist = []
        for p in space.parameters:
            if p.kind in ("continuous", "discrete"):
                src, i = cont[p.name]
                span = p.high - p.low
                self._dist.append((src, i, p.low, span if span > 0 else 1.0))
        self.fast = True
        try:
            probe = space.sample(16, seed=0)
            ok = np.allclose(self.encode(Candidates.from_frame(space, probe)),
                             features.encode(probe))
        except Exception:  # pragma: no cover - any mismatch: use the slow route
            ok = False
        self.fast = ok

    def encode(self, c: Candidates) -> np.ndarray:
        """Surrogate features (m, width)."""
        if not self.fast:
            return self.features.encode(c.to_frame(self.space))
        out = np.zeros((len(c), self.width))
        for j, (src, i, lo, span) in enumerate(self._num):
            arr = c.x if src == "x" else c.xd
            out[:, j] = (arr[:, i] - lo) / span
        for col, offset, mapping in self._cat:
            enc = mapping[c.xc[:, col]]
            rows = np.flatnonzero(enc >= 0)
            out[rows, offset + enc[rows]] = 1.0
        return out

    def distance_parts(self, c: Candidates) -> tuple[np.ndarray, np.ndarray]:
        """(numeric part scaled by ranges (m, p), category indices (m, k))."""
        num = np.zeros((len(c), len(self._dist)))
        for j, (src, i, lo, span) in enumerate(self._dist):
            arr = c.x if src == "x" else c.xd
            num[:, j] = (arr[:, i] - lo) / span
        return num, c.xc

    def close(self, a: Candidates, b: Candidates, tolerance: float) -> np.ndarray:
        """Rows of ``a`` within ``tolerance`` (max over scaled numeric parameters, same
        categories) of any row of ``b``."""
        out = np.zeros(len(a), dtype=bool)
        if len(a) == 0 or len(b) == 0:
            return out
        na, ca = self.distance_parts(a)
        nb, cb = self.distance_parts(b)
        tol = tolerance + 1e-12
        chunk = max(1, 2_000_000 // max(1, len(b) * max(1, na.shape[1] + ca.shape[1])))
        for s in range(0, len(a), chunk):
            d = np.abs(na[s:s + chunk, None, :] - nb[None, :, :]).max(axis=2) \
                if na.shape[1] else np.zeros((min(chunk, len(a) - s), len(b)))
            same = (ca[s:s + chunk, None, :] == cb[None, :, :]).all(axis=2) \
                if ca.shape[1] else True
            out[s:s + chunk] = ((d <= tol) & same).any(axis=1)
        return out


def perturb_arrays(space, c: Candidates, scale: float, rng: np.random.Generator,
                   n_per_row: int = 1, p_discrete: float = 0.0):
    """Feasible Gaussian neighbours of ``c`` in the equality null space.

    Returns ``(neighbours, parent)`` where ``parent[i]`` is the row of ``c`` that
    neighbour ``i`` came from.
    """
    ls = space.linear_structure
    parent = np.repeat(np.arange(len(c)), n_per_row)
    x, xd, xc = c.x[parent], c.xd[parent].copy(), c.xc[parent]
    if ls.r:
        z = ls.to_z(x)
        z = z + rng.normal(size=z.shape) * scale * np.maximum(ls.z_hi - ls.z_lo, 1e-12)
        x = ls.to_x(z)
    for j, p in enumerate(ls.disc):
        if len(p.values) < 2 or p_discrete <= 0:
            continue
        move = rng.random(len(xd)) < p_discrete
        idx = np.searchsorted(np.asarray(p.values), xd[:, j])
        step = rng.choice([-1, 1], size=len(xd))
        xd[:, j] = np.asarray(p.values)[np.clip(idx + move * step, 0, len(p.values) - 1)]
    ok = ls.feasible_arrays(x, xd)
    return Candidates(x[ok], xd[ok], xc[ok]), parent[ok]


__all__ = ["Candidates", "Codec", "perturb_arrays"]
