"""Benchmark suites: every emulator x every strategy, same design and budget for all.

A suite is a list of :class:`Case` (an emulator with its budget, batch size and initial
design size) and a list of backends; :func:`run_suite` simulates every (case, backend,
seed) campaign with :func:`ionopt.optimizer.simulate.run_campaign`, in parallel over
all of them, optionally caching each finished campaign on disk so an interrupted run
resumes where it stopped. :mod:`ionopt.optimizer.simulate_report` turns the result into
``benchmarks/RESULTS.md``.

Suites
------
``standard``
    Every emulator of :data:`ionopt.datasets.emulators.EMULATORS` x native, optuna-tpe,
    optuna-gp (skipped with a note when torch is absent), skopt, random, sobol;
    20 seeds; batches of 4 for every strategy (the lab's ``ionopt propose -n 4``);
    a shared 8-experiment initial design; budgets per emulator in :data:`STANDARD_CASES`
    (32-48 experiments). The budgets were set from the measured cost of a proposal
    (Optuna's GPSampler, ~1-1.5 s per trial on the 2-core reference machine, dominates)
    so the suite finishes in about an hour on 2 cores; they were fixed before any
    result was seen and are the same for every strategy.
``noisy``
    The standard suite with each emulator's measurement noise on (the virtual labs'
    film-to-film scatter, 0.05 / 0.5 sd on Hartmann / Branin, ~5 % on the pools): the
    strategies see noisy results, the scores stay noise-free. What a real lab sees;
    native's noise priors (:mod:`ionopt.surrogates.priors`) are made for it.
``quick``
    A smoke test (CI, < 3 min): two emulators (one continuous mixture, one pool),
    2 seeds, budget 16, same six strategies.
"""

from __future__ import annotations

import hashlib
import math
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from ionopt.errors import DataError, SpaceError
from ionopt.optimizer.simulate import (Strategy, primary_objective, reference_point,
                                       run_tasks, target_for)

#: Bump when a change to the simulator makes cached campaigns stale.
SIMULATOR_VERSION = 1

#: Every strategy of the suites, in report order (native first, model-free last).
STANDARD_BACKENDS = ("native", "optuna-tpe", "optuna-gp", "skopt", "random", "sobol")


@dataclass(frozen=True)
class Case:
    """One emulator with the campaign settings every strategy shares.

    Parameters
    ----------
    emulator : str
        Registry name (:func:`ionopt.datasets.emulators.get_emulator`).
    budget : int
        Experiments per campaign, the initial design included.
    batch_size : int
        Experiments per proposal.
    n_initial : int
        Shared initial design size.
    target : str
        Target rule (:func:`ionopt.optimizer.simulate.target_for`).
    objectives : str
        ``"primary"`` or ``"all"`` (:func:`ionopt.optimizer.simulate.campaign_space`).
    """

    emulator: str
    budget: int
    batch_size: int = 4
    n_initial: int = 8
    target: str = "auto"
    objectives: str = "primary"

    def strategy(self, backend: str) -> Strategy:
        return Strategy(backend, batch_size=self.batch_size, n_initial=self.n_initial)


#: The standard suite's cases (budgets fixed before any result was seen).
STANDARD_CASES: tuple[Case, ...] = (
    Case("virtual_lab", 40),
    Case("virtual_lab_mixture", 40),
    Case("hartmann6_mixture", 48),
    Case("branin_mixture", 32),
    Case("branin_mixture_categorical", 40),
    Case("calisol_lipf6_ec_pc_dec", 32),
    Case("olympus_p3ht", 48),
)

QUICK_CASES: tuple[Case, ...] = (
    Case("branin_mixture", 16),
    Case("calisol_lipf6_ec_pc_dec", 16),
)


@dataclass(frozen=True)
class Suite:
    """A named set of cases, backends and seeds."""

    name: str
    cases: tuple[Case, ...]
    backends: tuple[str, ...] = STANDARD_BACKENDS
    seeds: int = 20
    noise: bool = False
    speed: dict = field(default_factory=dict)


SUITES: dict[str, Suite] = {
    "standard": Suite("standard", STANDARD_CASES, seeds=20,
                      speed={"latency_repeats": 11, "score_n": 1_000_000,
                             "score_repeats": 3, "cli_repeats": 15}),
    "noisy": Suite("noisy", STANDARD_CASES, seeds=20, noise=True,
                   speed={"latency_repeats": 11, "score_n": 1_000_000,
                          "score_repeats": 3, "cli_repeats": 15}),
    "quick": Suite("quick", QUICK_CASES, seeds=2,
                   speed={"latency_repeats": 2, "score_n": 100_000, "score_repeats": 1,
                          "cli_repeats": 2}),
}


def get_suite(name: str) -> Suite:
    """A suite by name (``standard`` or ``quick``)."""
    try:
        return SUITES[name]
    except KeyError:
        raise SpaceError(f"suite: unknown {name!r}; expected one of {', '.join(SUITES)}") \
            from None


@dataclass
class SuiteResult:
    """Results of a suite: ``results[emulator][strategy] -> SimulationResult``.

    Attributes
    ----------
    suite : Suite
    results : dict
    skipped : dict
        ``{backend: reason}`` for backends that could not run here (e.g. no torch).
    seconds : float
        Wall time of the simulations (cached campaigns cost nothing).
    cached, computed : int
        Campaigns reused from the cache / simulated now.
    skipped_cases : dict
        ``{emulator: reason}`` for emulators that could not be built here (a pool's data
        file absent).
    fingerprint : dict
        :func:`code_fingerprint` of the current code, plus ``campaign_digests``: the
        digests of the code that simulated the campaigns used.
    """

    suite: Suite
    results: dict
    skipped: dict
    seconds: float = math.nan
    cached: int = 0
    computed: int = 0
    skipped_cases: dict = field(default_factory=dict)
    fingerprint: dict = field(default_factory=dict)


#: Library versions that can change a campaign (recorded in reports and cache keys).
_VERSIONED = ("numpy", "scipy", "scikit-learn", "optuna", "scikit-optimize", "torch")


def code_fingerprint() -> dict:
    """What the simulated campaigns depend on: a digest of ionopt's optimizer,
    surrogates, emulators and recipes sources, and the versions of the numeric libraries.

    Cached campaigns are keyed by it, so a change to any of that code (or an upgrade)
    re-runs them instead of reusing stale results; reports print it.
    """
    from importlib import metadata

    import ionopt

    root = Path(ionopt.__file__).resolve().parent
    files = sorted([*root.glob("optimizer/**/*.py"), *root.glob("surrogates/**/*.py"),
                    *root.glob("datasets/emulators/*.py"), root / "recipes.py"])
    digest = hashlib.sha1()
    for f in files:
        if f.name == "simulate_report.py":  # presentation only
            continue
        digest.update(f.relative_to(root).as_posix().encode())
        digest.update(f.read_bytes())
    versions = {}
    for dist in _VERSIONED:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "absent"
    return {"digest": digest.hexdigest()[:12], "versions": versions}


def _cache_key(case: Case, strategy: Strategy, seed: int, noise: bool) -> str:
    # The code fingerprint is stored inside the file and checked on load (so that a
    # stale campaign can be reported, or reused on request), not part of the name.
    text = repr((SIMULATOR_VERSION, case.emulator, case.budget, case.batch_size,
                 case.n_initial, case.objectives, strategy.backend,
                 sorted(strategy.options.items()), seed, noise))
    digest = hashlib.sha1(text.encode()).hexdigest()[:10]
    return f"{case.emulator}__{strategy.name}__s{seed}__{digest}.pkl"


def run_suite(suite: Suite | str, *, seeds: int | Sequence[int] | None = None,
              backends: Sequence[str] | None = None, emulators: Sequence[str] | None = None,
              n_jobs: int = 2, cache: str | Path | None = None,
              progress: Callable[[int, int], None] | None = None,
              reuse_stale: bool = False) -> SuiteResult:
    """Simulate every (case, backend, seed) campaign of a suite.

    Parameters
    ----------
    suite : Suite or str
    seeds : int or sequence of int, optional
        Override the suite's number of seeds (or give the seeds).
    backends : sequence of str, optional
        Subset of the suite's backends.
    emulators : sequence of str, optional
        Subset of the suite's emulators.
    n_jobs : int
        Parallel worker processes (joblib/loky, single-threaded BLAS each).
    cache : path, optional
        Folder of finished campaigns (one pickle each, with the
        :func:`code_fingerprint` that produced it); campaigns of the same code are
        reused, new ones written as they finish, so an interrupted suite resumes.
    reuse_stale : bool
        Reuse cached campaigns even when the code fingerprint differs (the report then
        lists every digest used).
    progress : callable, optional
        ``progress(done, total)`` as campaigns finish.

    Returns
    -------
    SuiteResult
    """
    import time

    from ionopt.datasets.emulators import get_emulator
    from ionopt.optimizer.simulate import SimulationResult, _seed_list

    if isinstance(suite, str):
        suite = get_suite(suite)
    seed_list = _seed_list(suite.seeds if seeds is None else seeds)
    chosen = list(suite.backends if backends is None else backends)
    unknown = [b for b in chosen if b not in STANDARD_BACKENDS]
    if unknown:
        raise SpaceError(f"backends: unknown {unknown[0]!r}; expected some of "
                         f"{', '.join(STANDARD_BACKENDS)}")
    cases = [c for c in suite.cases if emulators is None or c.emulator in emulators]
    if emulators is not None:
        missing = sorted(set(emulators) - {c.emulator for c in suite.cases})
        if missing:
            raise SpaceError(f"emulators: {missing[0]!r} is not in suite {suite.name!r}; "
                             f"expected some of {', '.join(c.emulator for c in suite.cases)}")
    skipped: dict[str, str] = {}
    runnable = []
    for b in chosen:
        try:
            Strategy(b).check()
            runnable.append(b)
        except SpaceError as err:
            skipped[b] = str(err)
    cache_dir = Path(cache) if cache is not None else None
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)

    fingerprint = code_fingerprint()
    used_prints: set[str] = set()
    emus, skipped_cases = {}, {}
    for c in cases:
        try:
            emus[c.emulator] = get_emulator(c.emulator)
        except DataError as err:  # a pool whose data file is absent on this machine
            skipped_cases[c.emulator] = str(err)
    cases = [c for c in cases if c.emulator in emus]
    runs: dict = {}
    todo, keys = [], []
    for case in cases:
        for b in runnable:
            strat = case.strategy(b)
            for s in seed_list:
                key = (case.emulator, strat.name, s)
                path = cache_dir / _cache_key(case, strat, s, suite.noise) \
                    if cache_dir is not None else None
                if path is not None and path.exists():
                    with open(path, "rb") as fh:
                        stored = pickle.load(fh)
                    if stored["fingerprint"] == fingerprint or reuse_stale:
                        runs[key] = stored["run"]
                        used_prints.add(stored["fingerprint"]["digest"])
                        continue
                todo.append((emus[case.emulator], strat, case.budget, s, suite.noise,
                             case.objectives))
                keys.append((key, path))
    # Expensive backends last, so that a cut-short run has every cheap peer complete.
    cost = {"optuna-gp": 3, "skopt": 2, "native": 1}
    order = sorted(range(len(todo)), key=lambda i: (cost.get(todo[i][1].backend, 0), i))
    todo = [todo[i] for i in order]
    keys = [keys[i] for i in order]
    cached = len(runs)

    def store(i: int, run) -> None:
        key, path = keys[i]
        runs[key] = run
        if path is not None and run.error is None:
            tmp = path.with_suffix(".tmp")
            with open(tmp, "wb") as fh:
                pickle.dump({"fingerprint": fingerprint, "run": run}, fh)
            tmp.replace(path)

    if todo:
        used_prints.add(fingerprint["digest"])
    start = time.perf_counter()
    run_tasks(todo, n_jobs=n_jobs, progress=progress, on_result=store)
    seconds = time.perf_counter() - start

    results: dict = {}
    for case in cases:
        emu = emus[case.emulator]
        per: dict = {}
        target = target_for(emu, case.target)
        for b in runnable:
            strat = case.strategy(b)
            per[strat.name] = SimulationResult(
                emulator=case.emulator, strategy=strat, budget=case.budget, target=target,
                direction=primary_objective(emu)["direction"],
                runs=[runs[(case.emulator, strat.name, s)] for s in seed_list],
                noise=suite.noise, reference=reference_point(emu))
        results[case.emulator] = per
    fp = {**fingerprint, "campaign_digests": sorted(used_prints)}
    return SuiteResult(suite, results, skipped, seconds, cached, len(todo), skipped_cases, fp)


__all__ = ["Case", "code_fingerprint", "QUICK_CASES", "STANDARD_BACKENDS", "STANDARD_CASES", "SUITES",
           "SIMULATOR_VERSION", "Suite", "SuiteResult", "get_suite", "run_suite"]
