"""Small 1-D conductivity curves from real data: a selection set for issue #4.

Writes benchmarks/results/small_curves.md. Regenerate with::

    python benchmarks/bench_small_curves.py              # 300 curves, 2 worker processes
    python benchmarks/bench_small_curves.py --jobs 1     # same numbers, one process
    python benchmarks/bench_small_curves.py --max-curves 0   # every curve (416, slower)

Issue #4 asks the surrogates to beat linear interpolation in leave-one-out (LOO) error on
the seed dataset's 7 points (log10 conductivity vs PVDF-HFP content). Choosing GP settings
on those 7 points would be selection on the test set, so this benchmark builds many
problems of the same kind from independent real data: CALiSol-23 (liquid electrolytes,
Mortensen et al., Sci. Data 2024, CC BY 4.0), split into curves that vary only the salt
concentration (same paper, salt, temperature, solvent composition and concentration unit),
with 6 to 12 distinct concentrations each. Every curve is a 1-D LOO problem exactly like
``bench_seed`` in bench_surrogates.py: the feature is the concentration alone, its
FeatureSpec bounds are the curve's range widened by 5 % of the range on each side
(``FeatureSpec.infer``, as ``fit_surrogates(features=[...])`` builds it for the seed), and
the target is log10(conductivity / S cm^-1).

Deterministic: the curve subset is drawn with a fixed seed, every model is seeded, and
results do not depend on ``--jobs`` (curves are independent and collected in order).
"""

from __future__ import annotations

import os

# one BLAS thread per process: the matrices are tiny and the machine has 2 shared cores
for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse
import math
import platform
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
DATA = SHARED / "calisol23" / "calisol23.csv"
OUT = HERE / "results" / "small_curves.md"
Z95 = 1.959963984540054
T = "conductivity_s_cm"
X = "concentration"
MIN_POINTS, MAX_POINTS = 6, 12
SUBSET_SEED = 0
BOOT_SEED = 1
N_BOOT = 2000
#: "seed-like" curves: at least this spread of log10 conductivity (the seed's 7 points
#: span 1.31 decades; the median CALiSol curve spans ~0.3). Fixed before looking at results.
WIDE_RANGE = 0.5

warnings.filterwarnings("ignore")


def fmt(v, d=3):
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{d}f}"


# ---------------------------------------------------------------------------------------
# data: curves of conductivity vs concentration
# ---------------------------------------------------------------------------------------


def load_curves():
    """All curves with MIN_POINTS..MAX_POINTS distinct concentrations, in a fixed order.

    A curve is a group of rows with the same doi, salt, temperature (rounded to 0.1 K, to
    absorb float noise from unit conversions), concentration unit, solvent ratio type and
    solvent fractions (every solvent column equal). Rows with k <= 0 or missing are
    dropped; replicate rows at one concentration are averaged in log10 (geometric mean).
    """
    d = pd.read_csv(DATA)
    solvents = list(d.columns[7:])
    d = d[d["k"].notna() & (d["k"] > 0) & d["c"].notna() & d["T"].notna()].copy()
    d["salt"] = d["salt"].str.strip().replace({"LiN(CF3SO2)2": "LiTFSI"})
    d["T"] = d["T"].round(1)
    d["z"] = np.log10(d["k"] / 1000.0)  # mS/cm -> S/cm
    keys = ["doi", "salt", "T", "c units", "solvent ratio type", *solvents]
    curves = []
    for key, g in d.groupby(keys, dropna=False, sort=True):
        per_c = g.groupby("c")["z"].mean().sort_index()
        if not MIN_POINTS <= len(per_c) <= MAX_POINTS:
            continue
        fr = dict(zip(solvents, key[5:]))
        solv = ":".join(s for s in solvents if fr[s] > 0)
        mix = "/".join(f"{fr[s]:g}" for s in solvents if fr[s] > 0)
        curves.append({"doi": key[0], "salt": key[1], "T": float(key[2]), "unit": key[3],
                       "solvent": f"{solv} {mix} ({key[4]})", "n_rows": len(g),
                       "c": per_c.index.to_numpy(float), "z": per_c.to_numpy(float)})
    return curves


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------


def _interp(a, b, c):
    o = np.argsort(a)
    return float(np.interp(c, a[o], b[o]))  # flat (end value) beyond the ends


BASELINES = [
    ("baseline: linear interpolation", _interp),
    ("baseline: nearest neighbour", lambda a, b, c: float(b[np.argmin(np.abs(a - c))])),
    ("baseline: mean of the others", lambda a, b, c: float(b.mean())),
]
INTERP = BASELINES[0][0]


def surrogate_methods():
    """(label, model, fit_surrogates kwargs). Estimator instances get what the named "gp"
    gets from fit_surrogates for this target (noise prior 10 % = log10(1.1) decades, one
    length scale per feature, fallback scale 1 decade, random_state = seed 0), so each
    variant differs from the default in one thing only (checked in main())."""
    return [
        ("gp, training mean (the default when the study was made)", "gp",
         {"prior_mean": {T: "data"}}),
        ("gp (defaults: prior mean = min since this study)", "gp", {}),
        ("gp nu=1.5", _gp(nu=1.5), {}),
        ("gp nu=0.5", _gp(nu=0.5), {}),
        ("gp mean=max", "gp", {"prior_mean": {T: "max"}}),
        ("gp nu=0.5 + mean=min", _gp(nu=0.5, mean="min"), {}),
        ("gp generic noise prior", "gp", {"noise_prior": {T: None},
                                          "prior_mean": {T: "data"}}),
        ("gp_mle (priors=False)", "gp_mle", {}),
        ("forest", "forest", {}),
        ("extra_trees", "extra_trees", {}),
        ("linear", "linear", {}),
        ("quadratic", "quadratic", {}),
    ]


def _gp(**changes):
    from ionopt.surrogates import MaternGP
    from ionopt.surrogates.priors import NOISE_LEVELS, noise_prior_sd
    from ionopt.surrogates.transforms import Log10

    base = {"noise_prior": noise_prior_sd(NOISE_LEVELS[T], Log10(), None),
                "length_scale_groups": [X], "fallback_scale": Log10.fallback_scale,
                "random_state": 0}
    base.update(changes)
    return MaternGP(**base)


def curve_frame(curve):
    return pd.DataFrame({X: curve["c"], T: 10.0 ** curve["z"]})


def feature_spec(curve):
    """The seed bench's spec: ``fit_surrogates(features=[name])`` infers it from the
    table (range +- 5 % of the range); built here explicitly and checked."""
    from ionopt.surrogates import FeatureSpec

    fs = FeatureSpec.infer(curve_frame(curve), [X])
    lo, hi = curve["c"].min(), curve["c"].max()
    pad = 0.05 * (hi - lo)
    assert np.allclose(fs.continuous[X], (lo - pad, hi + pad))
    return fs


def loo_surrogate(curve, model, opts):
    from ionopt.surrogates import fit_surrogates

    df = curve_frame(curve)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sur = fit_surrogates(df, T, features=feature_spec(curve), model=model, cv="loo",
                             seed=0, **opts)
        sur.report  # noqa: B018  (runs the LOO)
    pred = sur.cv_predictions[(T, sur[T].model)].sort_values("row")
    assert np.array_equal(pred["row"].to_numpy(), np.arange(len(df)))
    assert np.allclose(pred["y"].to_numpy(), curve["z"])
    return pred["mean"].to_numpy() - curve["z"], pred["std"].to_numpy()


def run_curve(args):
    """LOO errors (pred - meas) and predictive sds of every method on one curve."""
    curve, methods = args
    warnings.simplefilter("ignore")
    c, z = curve["c"], curve["z"]
    out = {}
    for name, f in BASELINES:
        err = np.array([f(c[np.arange(len(c)) != i], z[np.arange(len(c)) != i], c[i]) - z[i]
                        for i in range(len(c))])
        out[name] = (err, None)
    for label, model, opts in methods:
        out[label] = loo_surrogate(curve, model, opts)
    return out


def check_instances_match_named(curve):
    """An instance with no change reproduces the named "gp" with the training mean
    exactly (so the instance variants differ from it in their one change only)."""
    e1, s1 = loo_surrogate(curve, "gp", {"prior_mean": {T: "data"}})
    e2, s2 = loo_surrogate(curve, _gp(), {})
    assert np.allclose(e1, e2, rtol=0, atol=1e-10) and np.allclose(s1, s2, rtol=0,
                                                                    atol=1e-10), \
        "MaternGP instance does not reproduce the named gp"


# ---------------------------------------------------------------------------------------
# summaries
# ---------------------------------------------------------------------------------------


def point_masks(n):
    end = np.zeros(n, dtype=bool)
    end[[0, n - 1]] = True  # curves are sorted by concentration
    return {"all": np.ones(n, dtype=bool), "interior": ~end, "endpoints": end}


def summarise(curves, results, labels, idx=None):
    """Per method and point subset: per-curve RMSE stats, pooled RMSE, comparison with
    linear interpolation, NLPD and 95 % coverage (pooled over points)."""
    idx = range(len(curves)) if idx is None else idx
    out = {}
    for part in ("all", "interior", "endpoints"):
        base = []
        for i in idx:
            m = point_masks(len(curves[i]["c"]))[part]
            base.append(math.sqrt(np.mean(results[i][INTERP][0][m] ** 2)))
        base = np.array(base)
        for label in labels:
            rmse, errs, nlpd, cov = [], [], [], []
            for i in idx:
                m = point_masks(len(curves[i]["c"]))[part]
                e, s = results[i][label]
                e = e[m]
                rmse.append(math.sqrt(np.mean(e ** 2)))
                errs.append(e)
                if s is not None:
                    s = np.maximum(s[m], 1e-300)
                    nlpd.append(0.5 * np.log(2 * np.pi * s ** 2) + 0.5 * (e / s) ** 2)
                    cov.append(np.abs(e) <= Z95 * s)
            rmse, errs = np.array(rmse), np.concatenate(errs)
            wins = np.mean((rmse < base) + 0.5 * (rmse == base))
            ratio = float(np.exp(np.mean(np.log(np.maximum(rmse, 1e-12)
                                                / np.maximum(base, 1e-12)))))
            out[(label, part)] = {
                "mean": float(rmse.mean()), "median": float(np.median(rmse)),
                "pooled": float(np.sqrt(np.mean(errs ** 2))), "wins": float(wins),
                "ratio": ratio, "per_curve": rmse, "base": base,
                "nlpd": float(np.mean(np.concatenate(nlpd))) if nlpd else math.nan,
                "nlpd_med": float(np.median(np.concatenate(nlpd))) if nlpd else math.nan,
                "cov95": float(np.mean(np.concatenate(cov))) if cov else math.nan,
            }
    return out


def cluster_boot(curves, idx, diff, seed=BOOT_SEED, n_boot=N_BOOT):
    """95 % interval of the mean of per-curve ``diff`` with papers (doi) resampled."""
    dois = np.array([curves[i]["doi"] for i in idx])
    uniq = np.unique(dois)
    members = [np.flatnonzero(dois == u) for u in uniq]
    rng = np.random.default_rng(seed)
    stats = []
    for _ in range(n_boot):
        pick = np.concatenate([members[j] for j in rng.integers(0, len(uniq), len(uniq))])
        stats.append(diff[pick].mean())
    return np.percentile(stats, [2.5, 97.5])


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


# ---------------------------------------------------------------------------------------


def write(curves, n_all, results, labels, info):
    import sklearn

    import ionopt

    S = summarise(curves, results, labels)
    n = len(curves)
    dois = pd.Series([c["doi"] for c in curves])
    npts = pd.Series([len(c["c"]) for c in curves])
    zr = np.array([c["z"].max() - c["z"].min() for c in curves])
    zsd = np.array([c["z"].std(ddof=1) for c in curves])
    inner_max = np.mean([0 < np.argmax(c["z"]) < len(c["z"]) - 1 for c in curves])
    units = pd.Series([c["unit"] for c in curves]).value_counts()
    wide = [i for i in range(n) if zr[i] >= WIDE_RANGE]
    subset_txt = (f"a random subset of {n} (numpy seed {SUBSET_SEED}) of the {n_all} curves "
                  "that qualify" if n < n_all else f"all {n_all} curves that qualify")
    L = ["# Small 1-D conductivity curves (CALiSol-23): LOO selection set for issue #4", "",
         (f"Regenerate: `{info['command']}` (ionopt {ionopt.__version__}, scikit-learn "
         f"{sklearn.__version__}, numpy {np.__version__}, Python "
         f"{platform.python_version()}). Machine: {machine()}; {info['jobs']} worker "
         f"process(es), shared with other jobs. Runtime {info['elapsed'] / 60:.1f} min for "
         f"{n} curves."), "",
         "Data: `shared/data/calisol23/calisol23.csv` (CALiSol-23, Mortensen et al., "
         "Scientific Data 2024, doi 10.1038/s41597-024-03575-8, CC BY 4.0). A *curve* is a "
         "group of rows with the same doi, salt, temperature (rounded to 0.1 K), "
         "concentration unit, solvent ratio type and solvent fractions, varying only the "
         f"salt concentration `c`; kept when it has {MIN_POINTS} to {MAX_POINTS} distinct "
         "concentrations with k > 0 (replicates at one c averaged in log10). "
         f"Evaluated: {subset_txt}. They come from {dois.nunique()} papers ("
         + ", ".join(f"{d} {k}" for d, k in dois.value_counts().items()) + "); points per "
         "curve: " + ", ".join(f"{k}: {v}" for k, v in npts.value_counts().sort_index()
                                .items())
         + "; units: " + ", ".join(f"{k} {v}" for k, v in units.items()) + ". Spread of "
         f"log10 conductivity per curve: median range {np.median(zr):.2f} decades "
         f"(sd {np.median(zsd):.2f}); the seed's 7 points span 1.31 (sd 0.46). "
         f"{100 * inner_max:.0f} % of curves peak at an interior concentration "
         "(rise-then-fall, like the seed).", "",
         ("Method: for every curve, leave-one-out over its points, exactly as `bench_seed` "
         "(benchmarks/bench_surrogates.py, section 1 of surrogates.md) does on the seed: "
         "target z = log10(k / 1000) in S/cm; feature: concentration only, FeatureSpec "
         "bounds = the curve's range widened by 5 % of the range on each side (what "
         "`fit_surrogates(features=[name])` infers for the seed's content); models through "
         "`fit_surrogates(..., cv=\"loo\", seed=0)`, held-out predictive distribution = "
         "latent + noise. GP variants change one thing each from `gp, training mean` (Matern "
         "5/2, prior mean = training mean, noise prior centred on 10 % replicate scatter = "
         "0.041 decades, MAP; the default when this study was made -- it chose the prior "
         "mean = min that `gp (defaults)` has since): `nu`, `mean` and `nu + mean` as `MaternGP` instances given "
         "the same noise prior, length-scale group, fallback scale and random_state as the "
         "named gp (an unchanged instance reproduces the named gp exactly; checked by the "
         "script), `mean=min` (today's default) and `mean=max` via `prior_mean=`, the generic noise prior (2 % of the "
         "target variance) via `noise_prior={target: None}`, and `gp_mle` (no "
         "hyper-priors)."), "",
         ("Columns: per-curve LOO RMSE (decades) averaged over curves (mean, median); "
         "*pooled* = RMSE over all LOO errors of all curves; *ratio* = geometric mean over "
         "curves of RMSE / RMSE of linear interpolation on the same curve (< 1: better); "
         "*beats interp* = share of curves with a lower RMSE than linear interpolation "
         "(ties count half); *Δ mean [95 % CI]* = mean per-curve RMSE minus that of linear "
         "interpolation, with a bootstrap interval resampling papers (curves of one paper "
         f"are correlated; {N_BOOT} resamples); NLPD (mean negative log predictive density, "
         "nats, lower is better; its mean is dominated by a few confidently wrong "
         "predictions, so the median is shown too) and cov 95 % (share of held-out "
         "points inside the 95 % "
         "predictive interval) pooled over points, for models with a predictive sd."), ""]

    def table(part, idx=None, with_ci=True):
        s = S if idx is None else summarise(curves, results, labels, idx)
        ii = np.arange(n) if idx is None else np.array(idx)
        head = ["method", "mean", "median", "pooled", "ratio", "beats interp"]
        if with_ci:
            head.append("Δ mean [95 % CI]")
        head += ["NLPD mean", "NLPD median", "cov 95 %"]
        rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for label in labels:
            r = s[(label, part)]
            cells = [label, fmt(r["mean"]), fmt(r["median"]), fmt(r["pooled"]),
                     fmt(r["ratio"], 2), "" if label == INTERP else f"{100 * r['wins']:.0f} %"]
            if with_ci:
                if label == INTERP:
                    cells.append("")
                else:
                    diff = r["per_curve"] - r["base"]
                    lo, hi = cluster_boot(curves, ii, diff)
                    cells.append(f"{diff.mean():+.3f} [{lo:+.3f}, {hi:+.3f}]")
            cells += [fmt(r["nlpd"], 2), fmt(r["nlpd_med"], 2), fmt(r["cov95"], 2)]
            rows.append("| " + " | ".join(cells) + " |")
        return rows

    n_int = sum(len(c["c"]) - 2 for c in curves)
    L += [(f"## 1. All points ({n} curves, {sum(len(c['c']) for c in curves)} LOO "
          "predictions)"), ""] + table("all")
    L += ["", (f"## 2. Interior points only ({n_int} LOO predictions: the held-out "
          "concentration lies between two remaining ones; interpolation)"), "",
          "Per-curve RMSE over the curve's interior points.", ""] + table("interior")
    L += ["", (f"## 3. End points only ({2 * n} LOO predictions: the lowest or highest "
          "concentration held out; extrapolation, where linear interpolation predicts the "
          "nearest end value, like nearest neighbour, hence its ties)"), "",
          ("Per-curve RMSE over the curve's 2 end points. The seed's 7 points include 2 such "
          "end-point extrapolations (SE at 0, SPE at 2.0)."), ""] + table("endpoints")
    Sw = summarise(curves, results, labels, wide)
    L += ["", (f"## 4. Seed-like curves: log10 conductivity range >= {WIDE_RANGE} decades "
          f"({len(wide)} curves from {len({curves[i]['doi'] for i in wide})} papers)"), "",
          ("Most CALiSol curves are flatter than the seed (relative to the 0.041-decade noise "
          "prior, a curve with 0.1 decade sd looks noisier to the GP than the seed does). "
          "Pooled RMSE and share of curves beating linear interpolation, per point subset."),
          "", ("| method | all: mean | all: pooled | all: ratio | all: beats interp | "
          "interior: pooled | interior: ratio | interior: beats | endpoints: pooled | "
          "endpoints: ratio | endpoints: beats | NLPD | cov 95 % |"),
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for label in labels:
        a, b, e = (Sw[(label, p)] for p in ("all", "interior", "endpoints"))
        w = (lambda r, label=label: "" if label == INTERP else f"{100 * r['wins']:.0f} %")
        L.append(f"| {label} | {fmt(a['mean'])} | {fmt(a['pooled'])} | {fmt(a['ratio'], 2)} | "
                 f"{w(a)} | {fmt(b['pooled'])} | {fmt(b['ratio'], 2)} | {w(b)} | "
                 f"{fmt(e['pooled'])} | {fmt(e['ratio'], 2)} | {w(e)} | {fmt(a['nlpd'], 2)} | "
                 f"{fmt(a['cov95'], 2)} |")
    # per paper
    L += ["", "## 5. Per paper: mean per-curve LOO RMSE, all points", "",
          ("Each paper's curves are one style of measurement (and often one sample set at "
          "several temperatures), so a method can win on one paper and lose on another."), ""]
    show = [INTERP] + [lab for lab in labels if lab.startswith("gp")] + ["quadratic"]
    L += ["| paper (doi) | curves | " + " | ".join(show) + " |",
          "|---|---|" + "---|" * len(show)]
    for doi, cnt in dois.value_counts().items():
        idx = [i for i in range(n) if curves[i]["doi"] == doi]
        cells = []
        best = min(np.mean([math.sqrt(np.mean(results[i][lab][0] ** 2)) for i in idx])
                   for lab in show)
        for lab in show:
            v = float(np.mean([math.sqrt(np.mean(results[i][lab][0] ** 2)) for i in idx]))
            cells.append(f"**{v:.3f}**" if v == best else f"{v:.3f}")
        L.append(f"| {doi} | {cnt} | " + " | ".join(cells) + " |")
    L += ["", "Bold: the lowest in the row among the methods shown."]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(L) + "\n", encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-curves", type=int, default=300,
                    help="seeded random subset of at most this many curves (0: all)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args()
    t0 = time.perf_counter()
    curves = load_curves()
    n_all = len(curves)
    if args.max_curves and n_all > args.max_curves:
        rng = np.random.default_rng(SUBSET_SEED)
        keep = np.sort(rng.choice(n_all, args.max_curves, replace=False))
        curves = [curves[i] for i in keep]
    methods = surrogate_methods()
    check_instances_match_named(curves[0])
    labels = [b[0] for b in BASELINES] + [m[0] for m in methods]
    print(f"{len(curves)} of {n_all} curves, {len(labels)} methods", flush=True)
    tasks = [(c, methods) for c in curves]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            results = []
            for k, r in enumerate(pool.map(run_curve, tasks, chunksize=4)):
                results.append(r)
                if (k + 1) % 50 == 0:
                    print(f"  {k + 1} curves, {time.perf_counter() - t0:.0f} s", flush=True)
    else:
        results = []
        for k, t in enumerate(tasks):
            results.append(run_curve(t))
            if (k + 1) % 50 == 0:
                print(f"  {k + 1} curves, {time.perf_counter() - t0:.0f} s", flush=True)
    cmd = ["python benchmarks/bench_small_curves.py"]
    if args.max_curves != 300:
        cmd.append(f"--max-curves {args.max_curves}")
    if args.jobs != 2:
        cmd.append(f"--jobs {args.jobs}")
    info = {"command": " ".join(cmd), "jobs": args.jobs,
            "elapsed": time.perf_counter() - t0}
    write(curves, n_all, results, labels, info)
    print(OUT.read_text())


if __name__ == "__main__":
    sys.exit(main())
