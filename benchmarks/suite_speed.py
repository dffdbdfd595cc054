"""Speed suite of ``ionopt benchmark`` (issue #6, item 5): medians and same-process ratios.

* **Proposal latency**: a batch of 4 from 50 observations in the 6-parameter space of
  ``bench_optimizer.py`` (categorical filler, 3-component mixture, drying temperature and
  time; its ``latency_space`` / ``latency_data`` are reused, not copied). ionopt's
  ``propose`` (native: GP fit, EI, local refinement, Kriging believer, predictions) against
  the peers' ``ask`` for 4 (Optuna GPSampler, Optuna TPE, scikit-optimize GP), timed in this
  process on the same data sets and seeds; single-threaded BLAS for everyone.
* **Scoring throughput**: ``ionopt.optimizer.score`` on N candidates (1,000,000 in the
  standard suite) against a plain scikit-learn ``GaussianProcessRegressor`` (Matern 5/2 +
  white noise, fitted on the same 50 observations, one-hot filler) predicting mean and std
  on the same candidates in chunks of 100,000 -- the least a user would write by hand.
* **Start-up**: ``import ionopt`` and ``ionopt --help`` in fresh interpreters, with the
  cases and peers of ``bench_cli.py`` (reused), interleaved repeats.

Run alone: ``python benchmarks/suite_speed.py [--quick]`` prints the JSON; the benchmark
command (``ionopt benchmark``) imports :func:`run_speed` and writes the tables.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _load(name: str):
    """Import a sibling benchmark script as a module (they are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"_ionopt_bench_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _single_thread():
    from threadpoolctl import threadpool_limits

    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    return threadpool_limits(1)


def _stats(times: list[float]) -> dict:
    q = np.quantile(times, [0.25, 0.5, 0.75]) if times else [np.nan] * 3
    return {"median_s": float(q[1]), "q1_s": float(q[0]), "q3_s": float(q[2]),
            "repeats": len(times)}


def proposal_latency(repeats: int = 11) -> dict:
    """Median wall time of a batch of 4 from 50 observations, native vs peers."""
    from ionopt.errors import SpaceError
    from ionopt.optimizer import propose
    from ionopt.optimizer.backends import get_backend

    bo = _load("bench_optimizer")
    space = bo.latency_space()
    peers = {"optuna-gp": "Optuna GPSampler (ask 4)", "optuna-tpe": "Optuna TPE (ask 4)",
             "skopt": "scikit-optimize GP, EI (ask 4)"}
    out: dict = {"space": "filler (3 labels) + w_filler + w_litfsi + w_pvdf_hfp = 1 + "
                          "drying_temp_c + drying_time_h (6 parameters)",
                 "observations": 50, "batch": 4, "cases": {}, "notes": []}
    engines = {}
    for name in peers:
        try:
            engines[name] = get_backend(name)
        except SpaceError as err:
            out["notes"].append(f"{name} skipped: {err}")
    times: dict[str, list[float]] = {"native": [], **{n: [] for n in engines}}
    with warnings.catch_warnings(), _single_thread():
        warnings.simplefilter("ignore")
        warm = bo.latency_data(0)
        propose(space, warm, 4, seed=0)  # imports and first-call costs out of the way
        for engine in engines.values():
            engine.ask(space, warm, 4, seed=0)
        for r in range(repeats):
            data = bo.latency_data(100 + r)
            t = time.perf_counter()
            propose(space, data, 4, seed=r)
            times["native"].append(time.perf_counter() - t)
            for name, engine in engines.items():
                t = time.perf_counter()
                engine.ask(space, data, 4, seed=r)
                times[name].append(time.perf_counter() - t)
    out["cases"]["native"] = {"label": "ionopt native (`propose`, n=4)", **_stats(times["native"])}
    for name in engines:
        out["cases"][name] = {"label": peers[name], **_stats(times[name])}
    return out


def _onehot(space, table) -> np.ndarray:
    cols = []
    for p in space.parameters:
        if p.kind == "categorical":
            v = table[p.name].astype(str).to_numpy()
            cols += [(v == label).astype(float) for label in p.values]
        elif p.kind in ("continuous", "discrete"):
            x = table[p.name].to_numpy(dtype=float)
            cols.append((x - p.low) / (p.high - p.low))
    return np.column_stack(cols)


def scoring_throughput(n: int = 1_000_000, repeats: int = 3) -> dict:
    """Median wall time of scoring ``n`` candidates, native ``score`` vs a sklearn GP."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    from ionopt.optimizer import score

    bo = _load("bench_optimizer")
    space = bo.latency_space()
    data = bo.latency_data(7)
    cands = space.sample(n, seed=1)
    y = np.log10(data["conductivity_s_cm"].to_numpy(dtype=float))
    native, peer = [], []
    with warnings.catch_warnings(), _single_thread():
        warnings.simplefilter("ignore")
        for r in range(repeats):
            t = time.perf_counter()
            score(cands, space, data, seed=r)
            native.append(time.perf_counter() - t)
            t = time.perf_counter()
            X = _onehot(space, data)
            kernel = ConstantKernel() * Matern(length_scale=np.ones(X.shape[1]), nu=2.5) \
                + WhiteKernel()
            gp = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                          random_state=r).fit(X, y)
            Xc = _onehot(space, cands)
            for start in range(0, n, 100_000):
                gp.predict(Xc[start:start + 100_000], return_std=True)
            peer.append(time.perf_counter() - t)
    return {"n": n, "native": {"label": "ionopt `score` (fit, predictions ± std, P(feasible), "
                                        "acquisition, rank)", **_stats(native)},
            "peer": {"label": "scikit-learn GP fit + predict(mean, std), chunks of 100,000",
                     **_stats(peer)}}


def startup(repeats: int = 15) -> dict:
    """Fresh-interpreter start-up times (cases and peers of ``bench_cli.py``)."""
    cases = _load("bench_cli").CASES
    times: dict[str, list[float]] = {name: [] for name in cases}
    for cmd in cases.values():  # warm the file cache
        subprocess.run(cmd, capture_output=True, check=True)
    for _ in range(repeats):
        for name, cmd in cases.items():
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - t)
    return {name: _stats(t) for name, t in times.items()}


def run_speed(*, latency_repeats: int = 11, score_n: int = 1_000_000, score_repeats: int = 3,
              cli_repeats: int = 15, progress=None) -> dict:
    """The whole speed suite; ``progress(step_name)`` is called before each part."""
    out = {}
    for name, func, kwargs in (
            ("startup", startup, {"repeats": cli_repeats}),
            ("latency", proposal_latency, {"repeats": latency_repeats}),
            ("scoring", scoring_throughput, {"n": score_n, "repeats": score_repeats})):
        if progress is not None:
            progress(name)
        t = time.perf_counter()
        out[name] = func(**kwargs)
        out[name]["wall_s"] = time.perf_counter() - t
    return out


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    settings = ({"latency_repeats": 3, "score_n": 100_000, "score_repeats": 1, "cli_repeats": 3}
                if quick else {})
    print(json.dumps(run_speed(**settings), indent=2, default=float))
