"""Benchmark of ionopt.surrogates; writes benchmarks/results/surrogates.md.

Regenerate with::

    python benchmarks/bench_surrogates.py            # full (~10 min on 2 cores)
    python benchmarks/bench_surrogates.py --quick    # smaller real-data subsets

Sections
1. Seed dataset (Fang et al. 2024): leave-one-out error of log10 conductivity per model
   vs linear interpolation.
2. CALiSol-23 (liquid electrolytes) and 3. the Schauser polymer-electrolyte database:
   RMSE of log10 conductivity and 95 % interval coverage, splits grouped by source paper
   (doi), beside a plain scikit-learn RandomForestRegressor.
4. Speed: fit on 200 rows x 10 features, predict 1,000,000 candidates (chunked); time as
   the median of repeats and peak memory of a fresh process, with same-process peers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
OUT = HERE / "results" / "surrogates.md"
Z95 = 1.959963984540054


def fmt(v, d=3):
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{v:.{d}f}"


# ---------------------------------------------------------------------------------------
# 1. seed
# ---------------------------------------------------------------------------------------
SEED_7 = ["SE", "CSE-20", "CSE-30", "CSE-40", "CSE-50", "CSE-70", "SPE"]


def bench_seed():
    from ionopt.datasets import load_seed_dataset
    from ionopt.surrogates import fit_surrogates

    df = load_seed_dataset()
    sub = df[df["sample_id"].isin(SEED_7)].reset_index(drop=True)
    x = sub["pvdf_hfp_content"].to_numpy()
    z = np.log10(sub["conductivity_s_cm"].to_numpy())
    rows = []

    def loo_baseline(name, predict):
        err = []
        for i in range(len(x)):
            keep = np.arange(len(x)) != i
            err.append(predict(x[keep], z[keep], x[i]) - z[i])
        err = np.array(err)
        rows.append({"model": name, "rmse": float(np.sqrt(np.mean(err ** 2))),
                     "mae": float(np.mean(np.abs(err))), "nlpd": np.nan, "cov68": np.nan,
                     "cov95": np.nan, "errors": err})

    def interp(a, b, c):
        o = np.argsort(a)
        return float(np.interp(c, a[o], b[o]))

    loo_baseline("baseline: linear interpolation in content", interp)
    loo_baseline("baseline: nearest neighbour in content",
                 lambda a, b, c: float(b[np.argmin(np.abs(a - c))]))
    loo_baseline("baseline: mean of the others", lambda a, b, c: float(b.mean()))
    T = "conductivity_s_cm"
    for label, model, opts in SEED_MODELS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sur = fit_surrogates(sub, T, features=["pvdf_hfp_content"], model=model,
                                 cv="loo", **opts)
            rep = sur.report.iloc[0]
        pred = sur.cv_predictions[(T, sur[T].model)].sort_values("row")
        err = pred["mean"].to_numpy() - pred["y"].to_numpy()
        rows.append({"model": label, "rmse": rep["rmse"], "mae": rep["mae"],
                     "nlpd": rep["nlpd"], "cov68": rep["coverage_68"],
                     "cov95": rep["coverage_95"], "errors": err})
    # second view: 8 points with the filler as a feature (adds hBN-40)
    sub8 = df[df["conductivity_s_cm"].notna()].reset_index(drop=True)
    rows8 = []
    for label, model, opts in SEED_MODELS:
        if model in ("gp_mle", "extra_trees", "quadratic"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sur = fit_surrogates(sub8, T, features=["pvdf_hfp_content", "filler"],
                                 model=model, cv="loo", **opts)
            rep = sur.report.iloc[0]
        rows8.append({"model": label, "rmse": rep["rmse"], "nlpd": rep["nlpd"],
                      "cov95": rep["coverage_95"]})
    return {"rows": rows, "ids": SEED_7, "z": z, "x": x, "rows8": rows8,
            "ids8": sub8["sample_id"].tolist(), "product": bench_product()}


def _seed_models():
    import math

    from ionopt.surrogates import MaternGP

    T = "conductivity_s_cm"
    ten = math.log10(1.1)  # the conductivity default: 10 % replicate scatter
    old = {"noise_prior": {T: None}}  # the generic prior relative to the target variance
    return [
        ("gp (defaults: noise prior 10 % = 0.041 dec, prior mean = lowest measured)", "gp",
         {}),
        ("gp, prior mean = training mean (the default before this session)", "gp",
         {"prior_mean": {T: "data"}}),
        ("gp, generic noise prior (2 % of variance; before #4), training mean", "gp",
         {**old, "prior_mean": {T: "data"}}),
        ("gp Matern 1/2 (exponential kernel), training mean",
         MaternGP(nu=0.5, noise_prior=ten, random_state=0), {}),
        ("gp Matern 1/2, prior mean = min",
         MaternGP(nu=0.5, noise_prior=ten, mean="min", random_state=0), {}),
        ("gp_mle", "gp_mle", {}),
        ("forest", "forest", {}), ("extra_trees", "extra_trees", {}),
        ("linear", "linear", {}), ("quadratic", "quadratic", {}),
    ]


SEED_MODELS = None  # filled in main() (imports ionopt lazily)
PRODUCT_FILMS = ["CSE-20", "CSE-30", "CSE-40", "CSE-50", "CSE-70", "hBN-40"]


def bench_product():
    """The optimizer's view: the bundled space's features (content, ratio, drying,
    filler one-hot) on the 6 seed films it can use; the fitted curve along content."""
    from ionopt.datasets import load_seed_dataset
    from ionopt.optimizer import example_space
    from ionopt.surrogates import fit_surrogates

    T = "conductivity_s_cm"
    df = load_seed_dataset()
    films = df[df["sample_id"].isin(PRODUCT_FILMS)].reset_index(drop=True)
    fs = example_space().feature_spec()
    grid = np.round(np.linspace(0.0, 0.7, 141), 6)
    cand = pd.DataFrame({"filler": "amorphous_BN", "pvdf_hfp_content": grid,
                         "filler_to_salt": 1.0, "drying_temp_c": 55.0})
    at = int(np.argmin(np.abs(grid - 0.4)))
    out = []
    for label, opts in [("defaults", {}),
                        ("generic noise prior (before #4)", {"noise_prior": {T: None}}),
                        ("prior mean = min", {"prior_mean": {T: "min"}})]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sur = fit_surrogates(films, T, features=fs, model="gp", seed=0, **opts)
        tm = sur[T]
        mu, sd = tm.predict_latent(cand)
        out.append({"label": label, "noise": tm.noise_std,
                    "ls": float(tm.estimator.length_scales_[0]),
                    "at04": 1e3 * 10 ** mu[at], "sd04": float(sd[at]),
                    "argmax": float(grid[np.argmax(mu)]), "max": 1e3 * 10 ** mu.max()})
    return out


def bench_fit_time(repeats=30):
    """Median time of one GP fit on 50 rows x 8 features (the optimizer refits in loops)."""
    from ionopt.surrogates import MaternGP

    rng = np.random.default_rng(0)
    times = []
    for r in range(repeats):
        X = rng.uniform(size=(50, 8))
        y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.05 * rng.normal(size=50)
        t0 = time.perf_counter()
        MaternGP(random_state=r, noise_prior=0.05).fit(X, y)
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), float(np.max(times))


# ---------------------------------------------------------------------------------------
# 2./3. real data
# ---------------------------------------------------------------------------------------


def load_calisol(quick):
    d = pd.read_csv(SHARED / "calisol23" / "calisol23.csv")
    d = d[(d["c units"] == "mol/kg") & d["k"].notna() & (d["k"] > 0)].copy()
    d["salt"] = d["salt"].str.strip().replace({"LiN(CF3SO2)2": "LiTFSI"})
    solvents = [c for c in d.columns[7:] if (d[c] > 0).any()]
    d = d.rename(columns={"c": "molality_mol_kg", "T": "temperature_k",
                          "solvent ratio type": "ratio_type"})
    d["conductivity_s_cm"] = d["k"] / 1000.0  # mS/cm -> S/cm
    if quick:
        d = d.sample(frac=1.0, random_state=0)
        d = d[d.groupby("doi").cumcount() < 150].sort_index()
    features = ["molality_mol_kg", "temperature_k", *solvents, "salt", "ratio_type"]
    return d.reset_index(drop=True), features


def load_polymer(quick):
    p = pd.read_csv(SHARED / "schauser-polymer-electrolytes"
                    / "polymer_electrolytes_cleaned_2020-06-02.csv", encoding="latin-1")
    cols = [c for c in p.columns if c.startswith("Conductivity at ")]
    p = p[p["salt wt%"].notna()].copy()
    p["row_id"] = np.arange(len(p))
    long = p.melt(id_vars=["row_id", "salt wt%", "Anion", "DOI", "Polymer"], value_vars=cols,
                  var_name="temp", value_name="conductivity_s_cm")
    long = long[long["conductivity_s_cm"].notna() & (long["conductivity_s_cm"] > 0)]
    long["temperature_c"] = long["temp"].str.extract(r"at (\d+)C")[0].astype(float)
    long = long.rename(columns={"salt wt%": "salt_wt_pct", "Anion": "anion", "DOI": "doi"})
    long["anion"] = long["anion"].fillna("unknown")
    return long.reset_index(drop=True), ["salt_wt_pct", "temperature_c", "anion"]


def bench_real(name, df, features, models):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.model_selection import GroupKFold

    from ionopt.surrogates import FeatureSpec, MaternGP, fit_surrogates

    rows = []
    for label, model, calibrate in models:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sur = fit_surrogates(df, "conductivity_s_cm", features=features, model=model,
                                 groups="doi", seed=0, calibrate=calibrate)
            report = pd.DataFrame(sur.report)
            rep = report[report["selected"].astype(bool)].iloc[0]  # auto: the chosen model
            if model == "auto":
                label = f"{label}: chose {rep['model']}"
        rows.append({"model": label, "rmse": rep["rmse"], "mae": rep["mae"], "r2": rep["r2"],
                     "nlpd": rep["nlpd"], "cov68": rep["coverage_68"],
                     "cov95": rep["coverage_95"], "cv": rep["cv"],
                     "seconds": time.perf_counter() - t0})
    # peer: plain RandomForestRegressor, same encoding and group folds; its interval is
    # mean +- 1.96 x spread of the trees (the usual uncalibrated shortcut)
    t0 = time.perf_counter()
    fs = FeatureSpec.infer(df, features)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = fs.encode(df)
    z = np.log10(df["conductivity_s_cm"].to_numpy())
    groups = df["doi"].to_numpy()
    k = min(5, len(pd.unique(groups)))
    err, cover = [], []
    for train, test in GroupKFold(n_splits=k).split(X, z, groups):
        rf = RandomForestRegressor(n_estimators=100, n_jobs=2, random_state=0)
        rf.fit(X[train], z[train])
        per_tree = np.stack([t.predict(X[test]) for t in rf.estimators_])
        m, s = per_tree.mean(0), per_tree.std(0)
        err.append(m - z[test])
        cover.append(np.abs(m - z[test]) <= Z95 * s)
    err, cover = np.concatenate(err), np.concatenate(cover)
    sst = np.sum((z - z.mean()) ** 2)
    rows.append({"model": "peer: sklearn RandomForestRegressor (±1.96 tree sd)",
                 "rmse": float(np.sqrt(np.mean(err ** 2))), "mae": float(np.mean(np.abs(err))),
                 "r2": float(1 - np.sum(err ** 2) / sst), "nlpd": np.nan, "cov68": np.nan,
                 "cov95": float(np.mean(cover)), "cv": f"group {k}-fold",
                 "seconds": time.perf_counter() - t0})
    return {"name": name, "n": len(df), "n_groups": int(pd.unique(groups).size),
            "features": features, "d_encoded": fs.n_encoded, "rows": rows,
            "sd": float(np.std(z))}


# ---------------------------------------------------------------------------------------
# 4. speed (each case in a fresh process so peak memory is its own)
# ---------------------------------------------------------------------------------------
SPEED_CODE = r"""
import json, resource, sys, time, warnings
import numpy as np, pandas as pd
case, repeats = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
d, n, m = 10, 200, 1_000_000
cols = [f"x{i}" for i in range(d)]
def truth(X):
    return np.sin(3 * X[:, 0]) + X[:, 1] ** 2 - 0.5 * X[:, 2] * X[:, 3] + 0.1 * X[:, 4:].sum(1)
Xtr = rng.uniform(size=(n, d)); ytr = truth(Xtr) + 0.05 * rng.normal(size=n)
train = pd.DataFrame(Xtr, columns=cols).assign(y=ytr)
cand = pd.DataFrame(rng.uniform(size=(m, d)), columns=cols)
times = []
for r in range(repeats):
    t0 = time.perf_counter()
    if case in ("gp", "forest"):
        from ionopt.surrogates import FeatureSpec, fit_surrogates
        fs = FeatureSpec(continuous={c: (0.0, 1.0) for c in cols})
        sur = fit_surrogates(train, "y", features=fs, model=case, seed=r)
        mean, std = sur.predict_latent(cand)["y"]
    elif case == "sklearn_gpr":
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        kernel = ConstantKernel() * Matern(np.ones(d), (0.05, 20), nu=2.5) + WhiteKernel(1e-2, (1e-4, 1))
        gpr = GaussianProcessRegressor(kernel, normalize_y=True, n_restarts_optimizer=2,
                                       random_state=r).fit(Xtr, ytr)
        X = cand.to_numpy()
        out = [gpr.predict(X[i:i + 32768], return_std=True) for i in range(0, m, 32768)]
        mean = np.concatenate([o[0] for o in out]); std = np.concatenate([o[1] for o in out])
    elif case == "sklearn_rf":
        from sklearn.ensemble import RandomForestRegressor
        rf = RandomForestRegressor(100, n_jobs=2, random_state=r).fit(Xtr, ytr)
        mean = rf.predict(cand.to_numpy()); std = None
    times.append(time.perf_counter() - t0)
Xt = cand.to_numpy()[:20000]
rmse = float(np.sqrt(np.mean((mean[:20000] - truth(Xt)) ** 2)))
print(json.dumps({"case": case, "times": times,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rmse": rmse}))
"""


def bench_speed(repeats):
    out = {}
    for case in ("gp", "sklearn_gpr", "forest", "sklearn_rf"):
        res = subprocess.run([sys.executable, "-c", SPEED_CODE, case, str(repeats)],
                             capture_output=True, text=True, check=True)
        out[case] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


# ---------------------------------------------------------------------------------------


def write(seed, reals, speed, quick, command, elapsed):
    import ionopt
    import sklearn

    L = ["# Surrogate benchmark", "",
         f"Regenerate: `{command}` (ionopt {ionopt.__version__}, scikit-learn "
         f"{sklearn.__version__}, {'quick subsets' if quick else 'full data'}; "
         f"{elapsed / 60:.1f} min on this machine, 2 cores).", "",
         "All errors are in log10(S/cm) unless stated. Coverage = fraction of held-out "
         "measurements inside the central predictive interval of a new measurement "
         "(ideal 0.68 / 0.95). NLPD = mean negative log predictive density (lower is better).",
         "", "## 1. Seed dataset: leave-one-out, log10 conductivity vs PVDF-HFP content", "",
         "Points used (7): " + ", ".join(seed["ids"]) + ". These are the amorphous-BN "
         "series (SE = 0 %, CSE-20 ... CSE-70) plus the filler-free SPE as the high-binder "
         "end member (content 2.0 in the paper's convention): one salt, one continuous "
         "design variable, so linear interpolation in content is a well-defined baseline. "
         "hBN-40 was left out of this view because it differs only by filler at a content "
         "already measured (0.40); interpolation cannot use that. LLZTO-40 has no "
         "conductivity. Feature: `pvdf_hfp_content` only; bounds [-0.1, 2.1]. "
         "GP rows: `gp` is the default: noise prior centred on the 10 % replicate scatter "
         "of conductivity and prior mean = the lowest measured value "
         "(`ionopt.surrogates.priors`). That prior mean was chosen on an independent "
         "selection set -- leave-one-out on 300 small conductivity curves of CALiSol-23 "
         "(`results/small_curves.md`: error ratio to linear interpolation 0.72 vs 0.93 with "
         "the training mean, better than interpolation on 93 % of curves) -- so this table "
         "is its held-out test. The other GP rows change one thing each (the training "
         "mean used before; the generic noise prior used before issue #4; the Matern 1/2 "
         "kernel, which was worse than interpolation on the independent curves, ratio "
         "1.32).", "",
         "| model | RMSE | MAE | NLPD | cov 68 % | cov 95 % | LOO errors (pred - meas) per point |",
         "|---|---|---|---|---|---|---|"]
    for r in seed["rows"]:
        L.append(f"| {r['model']} | {fmt(r['rmse'])} | {fmt(r['mae'])} | {fmt(r['nlpd'], 2)} | "
                 f"{fmt(r['cov68'], 2)} | {fmt(r['cov95'], 2)} | "
                 + " ".join(f"{e:+.2f}" for e in r["errors"]) + " |")
    L += ["", "Second view, all 8 measured films (" + ", ".join(seed["ids8"]) + ") with "
          "features content + filler (one-hot): leaving out SPE or hBN-40 means predicting a "
          "filler never seen, where the models fall back towards their prior.", "",
          "| model | RMSE | NLPD | cov 95 % |", "|---|---|---|---|"]
    for r in seed["rows8"]:
        L.append(f"| {r['model']} | {fmt(r['rmse'])} | {fmt(r['nlpd'], 2)} | {fmt(r['cov95'], 2)} |")
    band = (1.936 * 10 ** (-Z95 * np.log10(1.1)), 1.936 * 10 ** (Z95 * np.log10(1.1)))
    L += ["", "Third view, the optimizer's: the bundled space's features (content, "
          "filler_to_salt, drying_temp_c, filler one-hot: 6 encoded columns, 4 length "
          "scales) on the 6 films it can use (" + ", ".join(PRODUCT_FILMS) + "), GP fitted "
          "with seed 0; the curve along content for a-BN, ratio 1, 55 °C. The paper's "
          f"CSE-40 is 1.936 mS/cm; ±1.96 × 10 % replicate scatter is {band[0]:.2f}–"
          f"{band[1]:.2f} mS/cm.", "",
          "| GP | noise sd (dec) | content length scale | mean at 0.40 (mS/cm) | latent sd at "
          "0.40 (dec) | argmax of mean | max (mS/cm) |", "|---|---|---|---|---|---|---|"]
    for r in seed["product"]:
        L.append(f"| {r['label']} | {r['noise']:.3f} | {r['ls']:.2f} | {r['at04']:.2f} | "
                 f"{r['sd04']:.3f} | {r['argmax']:.3f} | {r['max']:.2f} |")
    L += ["", f"GP fit on 50 rows x 8 features: median {seed['fit_time'][0] * 1e3:.0f} ms, "
          f"max {seed['fit_time'][1] * 1e3:.0f} ms over 30 fits (target: well under 100 ms)."]
    for i, real in enumerate(reals, start=2):
        L += ["", f"## {i}. {real['name']}", "",
              f"{real['n']} measurements from {real['n_groups']} papers; features: "
              f"{', '.join(real['features'][:6])}{' ...' if len(real['features']) > 6 else ''} "
              f"({real['d_encoded']} encoded columns). Splits: group k-fold by doi (no paper "
              f"in its own test). Target sd: {real['sd']:.2f} decades. Rows *recalibrated "
              "by doi* wrap the model in `Recalibrated` (what `fit_surrogates` does by "
              "default when `groups` is given): its sd factor comes from group folds "
              "*inside each training fold*, so their coverage is held-out too.", "",
              "| model | RMSE | MAE | R² | NLPD | cov 68 % | cov 95 % | split | time (s) |",
              "|---|---|---|---|---|---|---|---|---|"]
        for r in real["rows"]:
            L.append(f"| {r['model']} | {fmt(r['rmse'])} | {fmt(r['mae'])} | {fmt(r['r2'], 2)} | "
                     f"{fmt(r['nlpd'], 2)} | {fmt(r['cov68'], 2)} | {fmt(r['cov95'], 2)} | "
                     f"{r['cv']} | {r['seconds']:.0f} |")
    L += ["", f"## {len(reals) + 2}. Speed: fit 200 rows x 10 features, predict 1,000,000 "
          "candidates", "",
          "Each case in a fresh process (peak = max resident memory of that process, "
          "including the 1e6-row candidate table, ~80 MB); time = fit + predict (mean and sd, "
          f"chunked), median of {len(speed['gp']['times'])} repeats. RMSE of the mean vs the "
          "noise-free truth on 20,000 candidates.", "",
          "| case | median time (s) | peak memory (MB) | RMSE | ratio to peer |",
          "|---|---|---|---|---|"]
    peers = {"gp": "sklearn_gpr", "forest": "sklearn_rf"}
    labels = {"gp": "ionopt gp (fit_surrogates + predict_latent)",
              "sklearn_gpr": "peer: sklearn GaussianProcessRegressor, same kernel, chunked",
              "forest": "ionopt forest (fit_surrogates + predict_latent, mean and sd)",
              "sklearn_rf": "peer: sklearn RandomForestRegressor (mean only)"}
    for case, res in speed.items():
        t = float(np.median(res["times"]))
        ratio = ""
        if case in peers:
            ratio = f"{t / float(np.median(speed[peers[case]]['times'])):.2f}x"
        L.append(f"| {labels[case]} | {t:.2f} | {res['peak_mb']:.0f} | {res['rmse']:.3f} | {ratio} |")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(L) + "\n", encoding="utf-8")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from ionopt.surrogates import MaternGP

    global SEED_MODELS
    SEED_MODELS = _seed_models()
    t0 = time.perf_counter()
    seed = bench_seed()
    seed["fit_time"] = bench_fit_time()
    print("seed done", flush=True)
    reals = []
    cal, cal_feats = load_calisol(args.quick)
    # an estimator instance gets no target defaults from fit_surrogates: give it the ones a
    # named "gp" would get (conductivity noise prior, one length scale per parameter)
    from ionopt.surrogates import FeatureSpec
    from ionopt.surrogates.priors import NOISE_LEVELS, noise_prior_sd
    from ionopt.surrogates.transforms import Log10

    big_gp = MaternGP(max_train_rows=1500, max_fit_rows=400, n_restarts=1, random_state=0,
                      noise_prior=noise_prior_sd(NOISE_LEVELS["conductivity_s_cm"], Log10(),
                                                 None),
                      length_scale_groups=FeatureSpec.infer(cal, cal_feats).encoded_groups)
    reals.append(bench_real("CALiSol-23 liquid electrolytes (molality rows)", cal, cal_feats,
                            [("ionopt forest", "forest", False),
                             ("ionopt forest, recalibrated by doi", "forest", True),
                             ("ionopt extra_trees", "extra_trees", False),
                             ("ionopt boosting (quantile)", "boosting", False),
                             ("ionopt boosting, recalibrated by doi", "boosting", True),
                             ("ionopt gp (1500-row subset per fold)", big_gp, False),
                             ("ionopt gp (1500-row subset), recalibrated by doi", big_gp,
                              True)]))
    print("calisol done", flush=True)
    pol, pol_feats = load_polymer(args.quick)
    reals.append(bench_real("Schauser polymer-electrolyte database (rows with salt wt%)", pol,
                            pol_feats, [("ionopt forest", "forest", False),
                                        ("ionopt forest, recalibrated by doi", "forest", True),
                                        ("ionopt extra_trees", "extra_trees", False),
                                        ("ionopt boosting (quantile)", "boosting", False),
                                        ("ionopt boosting, recalibrated by doi", "boosting",
                                         True),
                                        ("ionopt gp", "gp", False),
                                        ("ionopt gp, recalibrated by doi", "gp", True),
                                        ("ionopt auto (default with groups: recalibrated)",
                                         "auto", None)]))
    print("polymer done", flush=True)
    speed = bench_speed(args.repeats)
    command = "python benchmarks/bench_surrogates.py" + (" --quick" if args.quick else "")
    write(seed, reals, speed, args.quick, command, time.perf_counter() - t0)
    print(OUT.read_text())


if __name__ == "__main__":
    main()
