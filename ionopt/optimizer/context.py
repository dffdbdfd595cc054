"""The fitted state an acquisition function needs: surrogates, feasibility, incumbent.

:func:`build_context` fits one surrogate per objective target (through
:func:`ionopt.surrogates.fit_surrogates`, never a GP of our own), the made-vs-failed
classifier, and works out the incumbent. :class:`AcquisitionContext.evaluate` then scores
encoded candidates in one vectorised pass:

``acquisition = improvement x P(thresholds met) x P(film can be made)``

where *improvement* is

* one optimized objective: expected improvement (noisy-aware: incumbent = best posterior
  mean at measured feasible recipes, latent std) or UCB above a floor;
* several: Monte-Carlo EI of a random augmented-Chebyshev scalarization (ParEGO; a new
  weight vector for each proposal of a batch) or of the desirability;
* no feasible recipe measured yet: 1, so the acquisition is the probability of
  feasibility -- first find recipes that meet the thresholds.

Batches and pending experiments are handled by conditioning on what the chosen (or
pending) recipes might measure, hyper-parameters fixed:

* :meth:`AcquisitionContext.condition` -- Kriging believer (Ginsbourger et al. 2010): the
  surrogates conditioned on their own mean; one world, cheap, but a believed point barely
  lowers the uncertainty next to it when the noise is a large part of it, so the next
  pick of the batch lands beside it;
* :class:`FantasyContext` -- Monte-Carlo fantasies: ``S`` worlds, each conditioned
  exactly on a value of the noise-free function *sampled* from its own posterior
  (sequentially, so the samples of one world are jointly distributed); the acquisition
  is averaged over the worlds. For expected improvement this is the sequential-greedy
  Monte-Carlo q-EI (the marginal gain of adding a candidate to the chosen recipes;
  Wilson, Hutter & Deisenroth 2018, arXiv:1805.10196; BoTorch's "fantasize"): a
  candidate next to a chosen recipe gains little in the worlds where that recipe turned
  out well. Measured against the believer in ``benchmarks/results/batch.md``.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np

from ionopt.errors import ModelError, SpaceError
from ionopt.optimizer.acquisition import (augmented_chebyshev, expected_improvement,
                                          mc_expected_improvement, probability_of_feasibility,
                                          simplex_weights, upper_confidence_bound)
from ionopt.optimizer.feasibility import FeasibilityModel
from ionopt.optimizer.objectives import Objectives
from ionopt.optimizer.space import OptimizerWarning

ACQUISITIONS = ("ei", "ucb")
MULTI = ("parego", "desirability")


@dataclass
class Evaluation:
    """Acquisition and its parts at ``m`` candidates (oriented latent space)."""

    acquisition: np.ndarray
    improvement: np.ndarray
    p_thresholds: np.ndarray
    p_made: np.ndarray
    mean: np.ndarray  # (m, k) oriented latent means, objectives of the context
    std: np.ndarray  # (m, k)
    exploit: np.ndarray  # bool: predicted mean (scalarized) beats the incumbent

    def reasons(self) -> list[str]:
        """A short reason per candidate: exploit / explore / feasibility."""
        out = []
        for i in range(len(self.acquisition)):
            pf = self.p_thresholds[i] * self.p_made[i]
            if pf < 0.5:
                parts = []
                if self.p_thresholds[i] < 0.999:
                    parts.append(f"P(thresholds met) = {self.p_thresholds[i]:.2f}")
                if self.p_made[i] < 0.999:
                    parts.append(f"P(film forms) = {self.p_made[i]:.2f}")
                out.append("feasibility: tests the boundary, " + ", ".join(parts))
            elif self.exploit[i]:
                out.append("exploit: predicted to beat the best so far")
            else:
                out.append("explore: uncertain region worth measuring")
        return out


class AcquisitionContext:
    """Fitted surrogates + feasibility + incumbent; evaluates acquisition on candidates."""

    def __init__(self, space, objectives: Objectives, surrogates, feasibility,
                 table, failed, *, acquisition: str = "ei", multi: str = "parego",
                 beta: float = 2.0, xi: float = 0.0, n_mc: int = 128,
                 incumbent: str = "mean", seed=None) -> None:
        if acquisition not in ACQUISITIONS:
            raise SpaceError(f"acquisition: expected one of {', '.join(ACQUISITIONS)}, "
                             f"got {acquisition!r}")
        if multi not in MULTI:
            raise SpaceError(f"multi: expected one of {', '.join(MULTI)}, got {multi!r}")
        self.space = space
        self.objectives = objectives
        self.surrogates = surrogates
        self.models = {t: surrogates[t] for t in objectives.targets}
        self.features = surrogates.features if hasattr(surrogates, "features") \
            else space.feature_spec()
        self.feasibility = feasibility
        self.table = table
        self.failed = failed
        self.acquisition = acquisition
        self.multi = multi
        if incumbent not in ("mean", "observed"):
            raise SpaceError(f"incumbent: expected 'mean' or 'observed', got {incumbent!r}")
        self.incumbent = incumbent
        self.beta = float(beta)
        self.xi = float(xi)
        self.rng = np.random.default_rng(seed)
        k = len(objectives)
        self.base_samples = self.rng.standard_normal((int(n_mc), k))
        self.opt_index = [j for j, o in enumerate(objectives) if o.optimized]
        self.con_index = [j for j, o in enumerate(objectives) if o.threshold is not None]
        self.signs = np.array([o.sign for o in objectives])
        self.thresholds = np.array([o.oriented_threshold if o.threshold is not None
                                    else -np.inf for o in objectives])
        self.weights = np.array([o.weight for o in objectives])[self.opt_index]
        self.weights = self.weights / self.weights.sum()
        self._setup_incumbent()

    # ---- prediction ---------------------------------------------------------------------
    def encode(self, table) -> np.ndarray:
        """Encoded features of a parameter table."""
        return self.features.encode(table)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Oriented latent means and sds (m, k) at encoded candidates."""
        means, stds = [], []
        for j, obj in enumerate(self.objectives):
            tm = self.models[obj.target]
            est = getattr(tm, "estimator", None)
            if est is not None and hasattr(est, "predict_latent"):
                mu, sd = est.predict_latent(X)
            else:  # pragma: no cover - a surrogate without the fast path
                raise ModelError(f"{obj.target}: surrogate has no predict_latent")
            means.append(self.signs[j] * np.asarray(mu, dtype=float))
            stds.append(np.asarray(sd, dtype=float))
        return np.column_stack(means), np.column_stack(stds)

    # ---- incumbent ----------------------------------------------------------------------
    def _setup_incumbent(self) -> None:
        made = self.table.loc[~self.failed]
        self.observed = made
        if len(made) == 0:
            self.mode, self.best = "feasibility", -np.inf
            return
        X = self.encode(made)
        mean, std = self.predict(X)
        values = self.objectives.oriented_values(made)
        # A measured recipe counts as feasible when every measured threshold is met and
        # unmeasured ones are predicted more likely met than not.
        ok = np.ones(len(made), dtype=bool)
        for j in self.con_index:
            v = values[:, j]
            measured = np.isfinite(v)
            pof = probability_of_feasibility(mean[:, j], std[:, j], self.thresholds[j])
            ok &= np.where(measured, v >= self.thresholds[j], pof >= 0.5)
        self.obs_mean = mean
        self.obs_ok = ok
        # Normalisation for scalarizations: range of posterior means at measured recipes.
        lo = mean.min(axis=0)
        hi = mean.max(axis=0)
        span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
        self.norm_lo, self.norm_span = lo, span
        low, high = self.objectives.desirability_ranges(made)
        self.des_low = np.where(np.isfinite(low), low, lo)
        self.des_high = np.where(np.isfinite(high), high, hi)
        self.slot_weights = self.weights.copy()
        if not ok.any():
            self.mode, self.best = "feasibility", -np.inf
            return
        if len(self.opt_index) == 1:
            j = self.opt_index[0]
            t = self.objectives[j].target
            measured = np.isfinite(values[:, j])
            rows = ok & measured if (ok & measured).any() else ok
            self.mode = "single"
            self.best = float(mean[rows, j].max() if incumbent_is_mean(self)
                              else np.nanmax(values[rows, j]))
            worst = float(mean[:, j].min())
            self.floor = worst - (float(mean[:, j].max()) - worst) - 1e-9
            self._target = t
        else:
            self.mode = self.multi
            self.best = float(self.scalarize(mean[ok]).max())
            self.floor = float(self.scalarize(mean).min()) - 1.0

    def scalarize(self, values: np.ndarray) -> np.ndarray:
        """Scalarize oriented values (..., k) for the multi-objective modes."""
        if self.multi == "desirability":
            return self.objectives.desirability_from_oriented(values, self.des_low,
                                                              self.des_high)
        v = (values[..., self.opt_index] - self.norm_lo[self.opt_index]) \
            / self.norm_span[self.opt_index]
        return augmented_chebyshev(v, self.slot_weights)

    def new_slot(self, rng: np.random.Generator) -> None:
        """Draw the ParEGO weights for the next proposal of a batch (multi-objective)."""
        if self.mode == "parego":
            weights = simplex_weights(len(self.opt_index), rng) * 0.5 + 0.5 * self.weights
            self.set_slot_weights(weights / weights.sum())

    def set_slot_weights(self, weights: np.ndarray) -> None:
        """Use these ParEGO weights (and the incumbent they imply) for the next proposal."""
        if self.mode == "parego":
            self.slot_weights = np.asarray(weights, dtype=float)
            self.best = float(self.scalarize(self.obs_mean[self.obs_ok]).max())

    # ---- acquisition -------------------------------------------------------------------
    def evaluate(self, X: np.ndarray) -> Evaluation:
        """Acquisition and its parts at encoded candidates ``X`` (m, d)."""
        mean, std = self.predict(X)
        m = len(X)
        pof = np.ones(m)
        for j in self.con_index:
            pof *= probability_of_feasibility(mean[:, j], std[:, j], self.thresholds[j])
        p_made = self.feasibility.predict_proba(X)
        if self.mode == "feasibility":
            imp = np.ones(m)
            exploit = np.zeros(m, dtype=bool)
        elif self.mode == "single":
            j = self.opt_index[0]
            if self.acquisition == "ei":
                imp = expected_improvement(mean[:, j], std[:, j], self.best, self.xi)
            else:
                imp = np.maximum(upper_confidence_bound(mean[:, j], std[:, j], self.beta)
                                 - self.floor, 0.0)
            exploit = mean[:, j] >= self.best
        else:
            centre = self.scalarize(mean)
            if self.acquisition == "ei":
                imp = mc_expected_improvement(mean, std, self.scalarize, self.best,
                                              self.base_samples)
            else:
                imp = np.maximum(self.scalarize(mean + self.beta * std) - self.floor, 0.0)
            exploit = centre >= self.best
        acq = imp * pof * p_made
        return Evaluation(acq, imp, pof, p_made, mean, std, exploit)

    # ---- conditioning (batches, pending) -------------------------------------------------
    def condition(self, rows, rng: np.random.Generator | None = None) -> "AcquisitionContext":
        """The context after seeing a value of every objective target at ``rows``.

        Without ``rng``: the surrogates' own means (Kriging believer). With ``rng``: one
        value of the noise-free function sampled from the posterior, conditioned on
        exactly, row by row so that several rows get jointly distributed values (a
        fantasy world of q-EI, which counts the improvement of the latent function; see
        :class:`FantasyContext`). Hyper-parameters stay fixed
        (``TargetModel.condition_on``); the incumbent is raised when a conditioned recipe
        is predicted feasible and better.
        """
        if len(rows) == 0:
            return self
        if rng is not None and len(rows) > 1:
            new = self
            for i in range(len(rows)):
                new = new.condition(rows.iloc[[i]].reset_index(drop=True), rng)
            return new
        X = self.encode(rows)
        new = copy.copy(self)
        new.models = dict(self.models)
        for obj in self.objectives:
            tm = self.models[obj.target]
            mu, sd = tm.estimator.predict_latent(X)
            if rng is None:
                new.models[obj.target] = tm.condition_on(rows, mu)
            else:
                mu = mu + sd * rng.standard_normal(len(mu))
                new.models[obj.target] = tm.condition_on(rows, mu, noise=False)
        if self.mode in ("single", "parego", "desirability"):
            ev = new.evaluate(X)
            ok = ev.p_thresholds * ev.p_made >= 0.5
            if ok.any():
                if self.mode == "single":
                    j = self.opt_index[0]
                    new.best = max(self.best, float(ev.mean[ok, j].max()))
                new.obs_mean = np.vstack([self.obs_mean, ev.mean[ok]])
                new.obs_ok = np.concatenate([self.obs_ok, np.ones(int(ok.sum()), bool)])
                if self.mode != "single":
                    new.best = max(self.best, float(new.scalarize(ev.mean[ok]).max()))
        return new


class FantasyContext:
    """Monte-Carlo fantasies of chosen or pending recipes: ``S`` conditioned worlds.

    Built from a fitted :class:`AcquisitionContext` and the recipes to fantasize;
    :meth:`evaluate` averages the acquisition (and its parts) over the worlds, which for
    expected improvement is the Monte-Carlo estimate of the gain of adding a candidate to
    those recipes (sequential-greedy q-EI). Means and sds are the mixture's (law of total
    variance). :meth:`condition` adds recipes, each world sampling its own value.

    Parameters
    ----------
    base : AcquisitionContext
    rows : DataFrame
        Parameter rows to fantasize.
    n_fantasies : int
        Number of worlds ``S``.
    rng : numpy.random.Generator
    """

    def __init__(self, base: AcquisitionContext, rows, n_fantasies: int,
                 rng: np.random.Generator) -> None:
        if isinstance(base, FantasyContext):
            raise SpaceError("FantasyContext: expected a fitted AcquisitionContext")
        self.base = base
        self.rng = rng
        self.worlds = [base.condition(rows, rng) for _ in range(int(n_fantasies))]

    def __getattr__(self, name):
        # Everything that is not world-dependent (features, objectives, observed,
        # models' hyper-parameters...) is the base context's.
        if name in ("base", "worlds", "rng"):
            raise AttributeError(name)
        return getattr(self.base, name)

    def new_slot(self, rng: np.random.Generator) -> None:
        """ParEGO weights for the next proposal, the same in every world."""
        self.base.new_slot(rng)
        for w in self.worlds:
            w.set_slot_weights(self.base.slot_weights)

    def condition(self, rows, rng: np.random.Generator | None = None) -> "FantasyContext":
        """Every world after sampling its own latent value at ``rows`` (with the generator
        the worlds were built with; ``rng`` is accepted for the common interface)."""
        new = copy.copy(self)
        new.worlds = [w.condition(rows, self.rng) for w in self.worlds]
        return new

    def evaluate(self, X: np.ndarray) -> Evaluation:
        """Acquisition and parts averaged over the worlds."""
        evs = [w.evaluate(X) for w in self.worlds]
        mean = np.mean([e.mean for e in evs], axis=0)
        var = np.mean([e.std ** 2 + e.mean ** 2 for e in evs], axis=0) - mean ** 2
        base_best = self.base.best
        if self.base.mode == "single":
            exploit = mean[:, self.base.opt_index[0]] >= base_best
        elif self.base.mode == "feasibility":
            exploit = np.zeros(len(X), dtype=bool)
        else:
            exploit = self.base.scalarize(mean) >= base_best
        return Evaluation(np.mean([e.acquisition for e in evs], axis=0),
                          np.mean([e.improvement for e in evs], axis=0),
                          np.mean([e.p_thresholds for e in evs], axis=0),
                          np.mean([e.p_made for e in evs], axis=0),
                          mean, np.sqrt(np.maximum(var, 0.0)), exploit)


def incumbent_is_mean(ctx) -> bool:
    """True when the incumbent is the best posterior mean (noisy-aware, the default)."""
    return getattr(ctx, "incumbent", "mean") == "mean"


def fit_context(space, table, failed, *, model: str = "gp", seed=None,
                noise_prior=None, prior_mean=None, smoothness=None,
                **options) -> AcquisitionContext:
    """Fit surrogates and the feasibility classifier on validated data.

    Objective targets without any usable measurement are left out with an
    :class:`OptimizerWarning`; if no optimized target remains a :class:`ModelError` is
    raised (the caller falls back to a space-filling design).
    """
    import pandas as pd

    from ionopt.surrogates import fit_surrogates

    objectives = space.require_objectives()
    made = ~failed
    keep = []
    for obj in objectives:
        if obj.target not in table.columns:
            warnings.warn(f"data: no column {obj.target!r}; objective left out until it is "
                          "measured", OptimizerWarning, stacklevel=3)
            continue
        y = pd.to_numeric(table[obj.target], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(y) & made
        if obj.transform == "log10":
            ok &= y > 0
        if not ok.any():
            warnings.warn(f"data: {obj.target} has no measured value yet; objective left "
                          "out until it is measured", OptimizerWarning, stacklevel=3)
            continue
        keep.append(obj)
    if not any(o.optimized for o in keep):
        raise ModelError("no optimized target has a measured value yet")
    objectives = Objectives(keep)
    fit_table = table.assign(failed=failed)
    fs = space.feature_spec()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tiny-data notes from the GP
        surrogates = fit_surrogates(fit_table, targets=objectives.targets, features=fs,
                                    model=model, transforms=objectives.transforms, seed=seed,
                                    noise_prior=noise_prior, prior_mean=prior_mean,
                                    smoothness=smoothness)
    feas = FeasibilityModel().fit(fs.encode(table), failed)
    ctx_opts = {k: options[k] for k in ("acquisition", "multi", "beta", "xi", "n_mc",
                                           "incumbent")
                if k in options}
    return AcquisitionContext(space, objectives, surrogates, feas, table, failed,
                              seed=seed, **ctx_opts)


__all__ = ["ACQUISITIONS", "AcquisitionContext", "Evaluation", "FantasyContext", "MULTI",
           "fit_context"]
