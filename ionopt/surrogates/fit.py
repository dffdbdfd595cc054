"""Fit surrogates on a targets table: :func:`fit_surrogates`, :class:`Surrogates`,
:class:`TargetModel`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import warnings
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ionopt._version import __version__
from ionopt.errors import ModelError
from ionopt.surrogates.calibration import Recalibrated, held_out_factor
from ionopt.surrogates.features import (FeatureSpec, default_feature_columns, prepare_table,
                                       row_location)
from ionopt.surrogates.models import AUTO_CANDIDATES, MODELS, MaternGP, make_model
from ionopt.surrogates.priors import NOISE_LEVELS, PRIOR_MEANS, noise_prior_sd
from ionopt.surrogates.transforms import Transform, get_transform
from ionopt.surrogates.validation import (
    REPORT_COLUMNS, ValidationReport, cross_validate, metrics, replicate_sd,
)


class TargetModel:
    """One fitted target: feature encoding, transform and a fitted estimator.

    Attributes
    ----------
    target : str
        Target column (units in the name, e.g. ``conductivity_s_cm``).
    features : FeatureSpec
    transform : Transform
        ``forward`` (units -> modelled space) and ``inverse``.
    model : str
        Model name (``"gp"``, ``"forest"``...).
    estimator : estimator
        The fitted model on encoded features and modelled targets.
    X_train : DataFrame
        Feature columns of the training rows (index as in the input table).
    y_train : ndarray
        Training targets in units; ``y_train_latent`` in the modelled space.
    """

    def __init__(self, target: str, features: FeatureSpec, transform: Transform,
                 model: str, estimator: Any, X_train: pd.DataFrame, y_train: np.ndarray,
                 y_train_latent: np.ndarray | None = None) -> None:
        self.target = target
        self.features = features
        self.transform = transform
        self.model = model
        self.estimator = estimator
        self.X_train = X_train
        self.y_train = np.asarray(y_train, dtype=float)
        self.y_train_latent = (transform.forward(self.y_train, field=target)
                               if y_train_latent is None
                               else np.asarray(y_train_latent, dtype=float))

    # ---- properties --------------------------------------------------------------------
    @property
    def noise_std(self) -> float:
        """Estimated observation-noise sd in the modelled space."""
        return float(self.estimator.noise_std_)

    @property
    def n_train(self) -> int:
        """Number of training rows."""
        return len(self.y_train_latent)

    def y_best_latent(self, direction: str = "max") -> float:
        """Best observed training value in the modelled space (``"max"`` or ``"min"``)."""
        if direction not in ("max", "min"):
            raise ModelError(f"direction: expected 'max' or 'min', got {direction!r}")
        z = self.y_train_latent
        return float(z.max() if direction == "max" else z.min())

    # ---- prediction --------------------------------------------------------------------
    def _encode(self, df):
        return self.features.encode(df)

    def predict_latent(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Mean and sd of the noise-free function in the modelled space (e.g. log10 S/cm)."""
        return self.estimator.predict_latent(self._encode(df))

    def _to_units(self, mean, std_lat, index, interval, include_noise):
        if not 0.0 < float(interval) < 1.0:
            raise ModelError(f"interval: expected a probability in (0, 1), got {interval!r}")
        s = np.sqrt(std_lat ** 2 + self.noise_std ** 2) if include_noise else std_lat
        q = float(stats.norm.ppf(0.5 + interval / 2.0))
        tr, t = self.transform, self.target
        return pd.DataFrame({
            f"{t}_pred": tr.inverse(mean), f"{t}_std": tr.std_units(mean, s),
            f"{t}_lower": tr.inverse(mean - q * s), f"{t}_upper": tr.inverse(mean + q * s),
        }, index=index)

    def predict(self, df: pd.DataFrame, interval: float = 0.95, *,
                include_noise: bool = True) -> pd.DataFrame:
        """Predictions in the target's units.

        Columns ``{t}_pred`` (the back-transformed mean of the modelled space: the median
        for a log10 target), ``{t}_std`` (sd in units; exact log-normal sd for log10),
        ``{t}_lower`` / ``{t}_upper`` (central ``interval`` bounds, asymmetric for log10).
        With ``include_noise`` (default) they describe a new measurement; otherwise the
        noise-free function.
        """
        mean, std_lat = self.predict_latent(df)
        return self._to_units(mean, std_lat, df.index, interval, include_noise)

    # ---- fantasies ---------------------------------------------------------------------
    def condition_on(self, df_extra: pd.DataFrame, z_extra, noise: bool = True
                     ) -> "TargetModel":
        """A copy that has also seen ``z_extra`` (modelled space) at the recipes of
        ``df_extra``; hyper-parameters fixed (GP: exact, cheap). Tree models refit their
        trees but keep their uncertainty calibration (an approximation). ``noise=False``:
        the values are of the noise-free function (a Monte-Carlo fantasy)."""
        z_extra = np.asarray(z_extra, dtype=float).ravel()
        if len(z_extra) != len(df_extra):
            raise ModelError(f"condition_on: expected {len(df_extra)} values, got "
                             f"{len(z_extra)}")
        X_extra = self.features.encode(df_extra)
        # only ask for noise=False: a user's estimator may not take the argument
        est = (self.estimator.condition_on(X_extra, z_extra) if noise
               else self.estimator.condition_on(X_extra, z_extra, noise=False))
        new = copy.copy(self)
        new.estimator = est
        extra = prepare_table(df_extra, self.features.names, fill=self.features.fill)
        new.X_train = pd.concat([self.X_train, extra[self.features.names]])
        new.y_train_latent = np.concatenate([self.y_train_latent, z_extra])
        new.y_train = np.concatenate([self.y_train, self.transform.inverse(z_extra)])
        return new

    def __repr__(self) -> str:
        return (f"TargetModel({self.target!r}, model={self.model!r}, "
                f"transform={self.transform.name!r}, n={self.n_train}, "
                f"noise_std={self.noise_std:.3g})")


class Surrogates:
    """Fitted surrogates for several targets sharing one :class:`FeatureSpec`.

    Made by :func:`fit_surrogates` or :func:`~ionopt.surrogates.load_surrogates`.

    Attributes
    ----------
    targets : list of str
    features : FeatureSpec
    models : dict of str to TargetModel
    fingerprint : str
        SHA-256 of the training data and model configuration.
    data_hash : str
        SHA-256 of the training data alone.
    config : dict
        What was asked: model, transforms, seed, cv, ionopt version.
    """

    def __init__(self, models: Mapping[str, TargetModel], features: FeatureSpec,
                 config: Mapping[str, Any], data_hash: str,
                 report: pd.DataFrame | None = None,
                 cv_predictions: Mapping[tuple[str, str], pd.DataFrame] | None = None,
                 cv_groups: Mapping[str, np.ndarray | None] | None = None) -> None:
        self.models = dict(models)
        self.features = features
        self.config = dict(config)
        self.data_hash = data_hash
        self._report = None if report is None else ValidationReport(report)
        self.cv_predictions = dict(cv_predictions or {})
        self._cv_groups = dict(cv_groups or {})

    @property
    def targets(self) -> list[str]:
        """Fitted targets, in the order asked."""
        return list(self.models)

    def __getitem__(self, target: str) -> TargetModel:
        if target not in self.models:
            raise ModelError(f"{target}: not a fitted target; fitted: "
                             f"{', '.join(self.models)}")
        return self.models[target]

    def __contains__(self, target: object) -> bool:
        return target in self.models

    def __iter__(self):
        return iter(self.models)

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the training-data hash and the model configuration."""
        cfg = {
            "data": self.data_hash, "features": self.features.to_dict(),
            "config": self.config,
            "models": {t: [m.model, m.transform.name] for t, m in self.models.items()},
        }
        blob = json.dumps(cfg, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    # ---- prediction --------------------------------------------------------------------
    def predict_latent(self, df: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per target, (mean, sd) of the noise-free function in the modelled space.
        Features are encoded once for all targets; rows are processed in chunks."""
        X = self.features.encode(df)
        return {t: m.estimator.predict_latent(X) for t, m in self.models.items()}

    def predict(self, df: pd.DataFrame, interval: float = 0.95, *,
                include_noise: bool = True) -> pd.DataFrame:
        """Predictions in each target's units: ``{t}_pred``, ``{t}_std``, ``{t}_lower``,
        ``{t}_upper`` per target (see :meth:`TargetModel.predict`); index = ``df.index``."""
        latent = self.predict_latent(df)
        parts = [self.models[t]._to_units(mean, std, df.index, interval, include_noise)
                 for t, (mean, std) in latent.items()]
        return pd.concat(parts, axis=1)

    # ---- validation --------------------------------------------------------------------
    @property
    def report(self) -> ValidationReport:
        """Cross-validated report per target and model (computed on first access when the
        model was named explicitly; already there for ``model="auto"``)."""
        if self._report is None:
            rows = []
            for t, m in self.models.items():
                row, pred = _validate_one(t, m, seed=self.config.get("seed"),
                                          groups=self._cv_groups.get(t),
                                          cv=self.config.get("cv"))
                row["selected"] = True
                rows.append(row)
                self.cv_predictions[(t, m.model)] = pred
            self._report = ValidationReport(_report_frame(rows))
        return self._report

    # ---- persistence -------------------------------------------------------------------
    def save(self, path) -> None:
        """Save to one file (skops format; see :mod:`ionopt.surrogates.persistence`)."""
        from ionopt.surrogates.persistence import save_surrogates

        save_surrogates(self, path)

    def __repr__(self) -> str:
        lines = [f"Surrogates({len(self.models)} target(s), features: "
                 f"{', '.join(self.features.names)})"]
        for t, m in self.models.items():
            lines.append(f"  {t}: {m.model} on {m.n_train} rows, {m.transform.name} space, "
                         f"noise sd {m.noise_std:.3g}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        items = "".join(f"<li><code>{t}</code>: {m.model} on {m.n_train} rows, "
                        f"{m.transform.name} space, noise sd {m.noise_std:.3g}</li>"
                        for t, m in self.models.items())
        rep = self._report._repr_html_() if self._report is not None else ""
        return (f"<p><b>Surrogates</b> — features: {', '.join(self.features.names)}</p>"
                f"<ul>{items}</ul>{rep}")


# ======================================================================================


def _report_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in REPORT_COLUMNS:
        if col not in df.columns:
            df[col] = math.nan
    return df[list(REPORT_COLUMNS)].reset_index(drop=True)


def _validate_one(target, tm: TargetModel, *, seed, groups=None, cv=None,
                  model_name=None, make=None):
    X = tm.features.encode(tm.X_train, unseen="error")
    z = tm.y_train_latent
    name = model_name or tm.model
    if make is None:
        est = tm.estimator
        make = lambda: _fresh(est)  # noqa: E731
    pred, scheme = cross_validate(make, X, z, groups=groups, cv=cv, seed=seed)
    row = {"target": target, "model": name, "n": len(z), "cv": scheme,
           "transform": tm.transform.name, **metrics(pred, tm.transform),
           "noise_std": tm.noise_std if tm.model == name else math.nan,
           "replicate_sd": replicate_sd(X, z)}
    return row, pred


def _make(name, seed, transform, gp_params=None):
    est = make_model(name, seed)
    if isinstance(est, MaternGP):
        if est.fallback_scale is None:
            est.set_params(fallback_scale=transform.fallback_scale)
        if gp_params:
            est.set_params(**gp_params)
    return est


def _gp_params(target, transform, y_units, fs, noise_prior, prior_mean, smoothness):
    """Target-specific GP settings: noise prior (domain default or override), one length
    scale per recipe parameter, prior mean, kernel smoothness."""
    level = noise_prior[target] if target in noise_prior else NOISE_LEVELS.get(target)
    out = {"noise_prior": noise_prior_sd(level, transform, y_units),
           "length_scale_groups": fs.encoded_groups}
    mean = prior_mean[target] if target in prior_mean else PRIOR_MEANS.get(target)
    if mean is not None:
        out["mean"] = mean
    if target in smoothness:
        out["nu"] = smoothness[target]
    return out


#: Matern smoothness values the GP implements.
SMOOTHNESS = (0.5, 1.5, 2.5)


def _smoothness_map(smoothness, targets) -> dict:
    """``smoothness`` (None, one value or target -> value) as target -> nu, validated."""
    if smoothness is None:
        return {}
    if isinstance(smoothness, Mapping):
        unknown = [k for k in smoothness if k not in targets]
        if unknown:
            raise ModelError(f"smoothness: {', '.join(map(str, unknown))} not among the "
                             "targets")
        out = dict(smoothness)
    else:
        out = {t: smoothness for t in targets}
    for t, nu in out.items():
        ok = isinstance(nu, (int, float)) and not isinstance(nu, bool) and \
            float(nu) in SMOOTHNESS
        if not ok:
            raise ModelError(f"smoothness ({t}): expected the Matern nu 0.5, 1.5 or 2.5, "
                             f"got {nu!r}")
        out[t] = float(nu)
    return out


def _fresh(est):
    from sklearn.base import clone

    return clone(est)


def _training_hash(table: pd.DataFrame) -> str:
    text = table.to_csv(index=True, float_format="%.17g", lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def _failed_mask(data: pd.DataFrame) -> np.ndarray:
    if "failed" not in data.columns:
        return np.zeros(len(data), dtype=bool)
    col = data["failed"]
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.fillna(0).astype(bool).to_numpy()
    text = col.astype("string").str.strip().str.lower()
    truthy = text.isin(["true", "1", "yes", "y", "t"]).fillna(False)
    return truthy.to_numpy(dtype=bool)


def fit_surrogates(data: pd.DataFrame, targets: str | Sequence[str], *,
                   features: FeatureSpec | Iterable[str] | None = None,
                   model: str | Mapping[str, str] | Any = "auto",
                   transforms: Mapping[str, str | Transform] | None = None,
                   seed: int | None = 0, groups: str | Sequence | None = None,
                   cv: str | int | None = None,
                   warm_start: Surrogates | None = None,
                   noise_prior: Mapping[str, Any] | None = None,
                   prior_mean: Mapping[str, str | float] | None = None,
                   smoothness: float | Mapping[str, float] | None = None,
                   calibrate: bool | None = None) -> Surrogates:
    """Fit one surrogate per target on a table of recipes and measured targets.

    Parameters
    ----------
    data : DataFrame
        Recipes (feature columns, or the masses ``filler_g``, ``litfsi_g``, ``pvdf_hfp_g``
        from which derived features are computed) and target columns. A NaN target
        excludes that row for that target only; rows with ``failed == True`` are excluded
        from every target; replicate rows of one recipe are kept (they inform the noise).
    targets : str or list of str
        Target columns, units in the name (``conductivity_s_cm``...).
    features : FeatureSpec, list of str or None
        A spec (e.g. from the search space); column names (bounds and categories
        inferred from the data); or ``None`` for the recipe-derived defaults present in
        the table (:func:`~ionopt.surrogates.features.default_feature_columns`).
    model : str, mapping or estimator
        ``"auto"`` (per target, the candidate with the best cross-validated NLPD among
        gp, forest, linear), a registered name (``"gp"``, ``"gp_mle"``, ``"forest"``,
        ``"extra_trees"``, ``"linear"``, ``"quadratic"``, ``"boosting"``: quantile gradient
        boosting, for large data only), a mapping target -> name, or an
        estimator with ``fit``/``predict_latent``/``condition_on``/``noise_std_``.
    transforms : mapping, optional
        Target -> ``"log10"``, ``"identity"``, ``"logit"`` or a :class:`Transform`;
        default log10 for ``conductivity_s_cm``, identity otherwise.
    seed : int or None
        Seed of every random choice (restarts, trees, folds).
    groups : str or array-like, optional
        A column of ``data`` (e.g. ``"doi"``) or labels aligned with it: validation uses
        group k-fold so no group leaks into its own test.
    cv : None, "loo" or int
        Validation scheme (default: leave-one-out below 30 rows, else 5-fold x2).
    warm_start : Surrogates, optional
        Earlier surrogates whose GP hyper-parameters start the optimiser (faster refits
        in a proposal loop).
    noise_prior : mapping, optional
        GP noise prior per target: an sd in the modelled space (e.g. ``0.03`` decades for
        a log10 conductivity), a :class:`~ionopt.surrogates.priors.NoiseLevel`, or
        ``None`` for the generic prior relative to the target's variance. Targets not
        listed use :data:`~ionopt.surrogates.priors.NOISE_LEVELS` (known targets: the
        replicate scatter of the measurement, e.g. 10 % for conductivity) or the generic
        prior. Named GP models only (``"gp"``, and the GP candidate of ``"auto"``).
    prior_mean : mapping, optional
        GP constant prior mean per target: ``"data"`` (the training mean), ``"min"``,
        ``"max"`` or a number in the modelled space. Targets not listed use
        :data:`~ionopt.surrogates.priors.PRIOR_MEANS` (conductivity: ``"min"``, the
        lowest measured value) or the training mean.
    smoothness : float, mapping or None
        Matern smoothness nu of the GP kernel (0.5, 1.5 or 2.5), for every target or per
        target; ``None``: 2.5 (smooth; the most accurate interpolation of the
        conductivity curves in ``benchmarks/results/small_curves.md``). The optimizer
        asks for 1.5 (see :class:`~ionopt.optimizer.NativeBackend`). Named GP models
        only.
    calibrate : bool or None
        Rescale each model's predictive sd so that its cross-validated 95 % intervals
        hold 95 % of held-out measurements (:class:`~ionopt.surrogates.calibration.
        Recalibrated`; folds by ``groups`` when given, so the intervals account for the
        differences between studies). ``None`` (default): on when ``groups`` is given --
        pooled data from several studies is where a model's own uncertainty is too
        narrow -- and off otherwise. Needs 20 rows per target (fewer: factor 1).

    Returns
    -------
    Surrogates

    Raises
    ------
    ModelError
        No rows, a missing or non-numeric target column, a target without any usable
        value, bad transforms, unknown model names.
    """
    if not isinstance(data, pd.DataFrame):
        raise ModelError(f"data: expected a pandas DataFrame, got {type(data).__name__}")
    if isinstance(targets, str):
        targets = [targets]
    targets = list(dict.fromkeys(targets))
    if not targets:
        raise ModelError("targets: expected at least one target column")
    missing = [t for t in targets if t not in data.columns]
    if missing:
        raise ModelError(f"{', '.join(missing)}: target column not in the table; columns: "
                         f"{', '.join(map(str, data.columns))}")
    if len(data) == 0:
        raise ModelError("data: the table has no rows; expected at least one measured "
                         "recipe")
    transforms = dict(transforms or {})
    unknown = [k for k in transforms if k not in targets]
    if unknown:
        raise ModelError(f"transforms: {', '.join(unknown)} not among the targets")
    tr = {t: get_transform(transforms.get(t), t) for t in targets}
    noise_prior = dict(noise_prior or {})
    prior_mean = dict(prior_mean or {})
    for label, opt in (("noise_prior", noise_prior), ("prior_mean", prior_mean)):
        unknown = [k for k in opt if k not in targets]
        if unknown:
            raise ModelError(f"{label}: {', '.join(map(str, unknown))} not among the targets")
    smoothness = _smoothness_map(smoothness, targets)

    group_labels = None
    if groups is not None:
        if isinstance(groups, str):
            if groups not in data.columns:
                raise ModelError(f"groups: column {groups!r} not in the table")
            group_labels = data[groups].to_numpy()
        else:
            group_labels = np.asarray(groups)
            if len(group_labels) != len(data):
                raise ModelError(f"groups: expected {len(data)} labels, got "
                                 f"{len(group_labels)}")

    failed = _failed_mask(data)
    values, usable = {}, {}
    for t in targets:
        y = pd.to_numeric(data[t], errors="coerce")
        bad = data[t].notna() & y.isna()
        if bad.any():
            i = data.index[bad.to_numpy()][0]
            raise ModelError(f"{row_location(data, i)}: {t}: expected a number, got "
                             f"{data.loc[i, t]!r}")
        y = y.to_numpy(dtype=float)
        ok = np.isfinite(y) & ~failed
        if not ok.any():
            raise ModelError(f"{t}: no row has a measured value (all NaN or failed); "
                             "expected at least one")
        values[t], usable[t] = y, ok
    any_rows = np.logical_or.reduce([usable[t] for t in targets])
    train_all = data.loc[any_rows]

    if features is None:
        fs = FeatureSpec.infer(train_all, default_feature_columns(train_all))
    elif isinstance(features, FeatureSpec):
        fs = features
    elif isinstance(features, str):
        fs = FeatureSpec.infer(train_all, [features])
    else:
        fs = FeatureSpec.infer(train_all, list(features))
    table = prepare_table(train_all, fs.names, fill=fs.fill)
    X_all = table[fs.names]
    X_enc_all = fs.encode(X_all, unseen="error")
    pos = {idx: i for i, idx in enumerate(np.flatnonzero(any_rows))}

    if isinstance(model, Mapping):
        per_target = {t: model.get(t, "auto") for t in targets}
    else:
        per_target = {t: model for t in targets}

    if calibrate is None:
        calibrate = group_labels is not None
    models, rows, cv_preds, cv_groups = {}, [], {}, {}
    auto_used = False
    for t in targets:
        rows_t = np.flatnonzero(usable[t])
        sel = np.array([pos[i] for i in rows_t], dtype=int)
        X = X_enc_all[sel]
        y_units = values[t][rows_t]
        z = tr[t].forward(y_units, field=t)
        g = None if group_labels is None else group_labels[rows_t]
        cv_groups[t] = g
        X_df = X_all.iloc[sel]
        gp_params = _gp_params(t, tr[t], y_units, fs, noise_prior, prior_mean, smoothness)
        choice = per_target[t]
        if isinstance(choice, str):
            if choice != "auto" and choice not in MODELS:
                raise ModelError(f"model: unknown model {choice!r}; expected auto or one "
                                 f"of {', '.join(MODELS)}")
            if choice == "auto":
                auto_used = True
                choice, target_rows, preds = _auto_select(t, X, z, tr[t], X_df, y_units,
                                                          fs, seed, g, cv, gp_params,
                                                          calibrate=calibrate)
                rows += target_rows
                cv_preds.update(preds)
            elif len(z) < MODELS[choice][1]:
                warnings.warn(f"{t}: {len(z)} rows are too few for {choice!r} (needs "
                              f"{MODELS[choice][1]}); using the GP, which falls back to "
                              "its prior on tiny data", UserWarning, stacklevel=2)
                choice = "gp"
            est = _make(choice, seed, tr[t], gp_params)
            name = choice
        else:
            if not all(hasattr(choice, a) for a in ("fit", "predict_latent")):
                raise ModelError("model: expected a name or an estimator with fit and "
                                 "predict_latent")
            from sklearn.base import clone

            est, name = clone(choice), type(choice).__name__
        if warm_start is not None and isinstance(est, MaternGP) and t in warm_start:
            prev = warm_start[t].estimator
            if isinstance(prev, MaternGP) and prev.n_features_in_ == X.shape[1]:
                est.set_params(init_theta=prev.theta_)
        if calibrate:
            est = Recalibrated(est, cv=cv, random_state=seed).fit(X, z, groups=g)
        else:
            est.fit(X, z)
        models[t] = TargetModel(t, fs, tr[t], name, est, X_df, y_units, z)
        if calibrate and per_target[t] == "auto":
            # The candidates' rows hold their uncalibrated held-out figures; the selected
            # one becomes the calibrated model's own (recalibrated inside each fold).
            row, pred = _validate_one(t, models[t], seed=seed, groups=g, cv=cv)
            row["selected"] = True
            rows = [row if (r["target"] == t and r.get("selected")) else r for r in rows]
            cv_preds[(t, name)] = pred
        for r in rows:
            if r["target"] == t and r["model"] == name:
                r["noise_std"] = models[t].noise_std

    used = data.loc[any_rows, [c for c in fs.names if c in data.columns] + targets]
    if "failed" in data.columns:
        used = used.assign(failed=failed[any_rows])
    config = {
        "model": model if isinstance(model, (str, Mapping)) else type(model).__name__,
        "transforms": {t: tr[t].name for t in targets}, "seed": seed, "cv": cv,
        "groups": groups if isinstance(groups, str) else (None if groups is None
                                                           else "array"),
        "calibrate": bool(calibrate),
        "ionopt_version": __version__,
    }
    if noise_prior:
        config["noise_prior"] = {k: (v if v is None or isinstance(v, (int, float)) else str(v))
                                 for k, v in noise_prior.items()}
    if prior_mean:
        config["prior_mean"] = dict(prior_mean)
    if smoothness:
        config["smoothness"] = dict(smoothness)
    if isinstance(config["model"], Mapping):
        config["model"] = dict(config["model"])
    report = _report_frame(rows) if (auto_used and all(
        isinstance(per_target[t], str) and per_target[t] == "auto" for t in targets)) else None
    sur = Surrogates(models, fs, config, _training_hash(used), report=report,
                     cv_predictions=cv_preds, cv_groups=cv_groups)
    return sur


#: Below this many rows ``model="auto"`` uses the GP (its priors regularise; a
#: cross-validated choice between models on 3-4 points is noise).
AUTO_MIN_ROWS = 5


def _auto_select(t, X, z, transform, X_df, y_units, fs, seed, groups, cv, gp_params=None,
                 *, calibrate=False):
    """Cross-validate the candidates; the best by NLPD wins. When the chosen model will be
    recalibrated, candidates are compared as they would be: each one's held-out sds
    rescaled by its own calibration factor (one parameter per candidate), so a sharp
    model that only needs widening is not beaten by a vague one."""
    n = len(z)
    candidates = [m for m in AUTO_CANDIDATES if n >= max(MODELS[m][1], AUTO_MIN_ROWS)]
    if n < AUTO_MIN_ROWS or len(candidates) < 2:
        candidates = ["gp"]
    rows, preds = [], {}
    for name in candidates:
        pred, scheme = cross_validate(lambda name=name: _make(name, seed, transform,
                                                              gp_params), X, z,
                                      groups=groups, cv=cv, seed=seed)
        row = {"target": t, "model": name, "n": n, "cv": scheme,
               "transform": transform.name, **metrics(pred, transform),
               "noise_std": math.nan, "replicate_sd": replicate_sd(X, z)}
        rows.append(row)
        preds[(t, name)] = pred
    if calibrate:
        scores = []
        for r in rows:
            pred = preds[(t, r["model"])]
            f = held_out_factor(pred, groups)
            score = metrics(pred.assign(std=pred["std"] * f))["nlpd"]
            scores.append(score if np.isfinite(score) else np.inf)
    else:
        scores = [r["nlpd"] if np.isfinite(r["nlpd"]) else np.inf for r in rows]
    best = int(np.argmin(scores))
    for i, r in enumerate(rows):
        r["selected"] = i == best
    return rows[best]["model"], rows, preds


__all__ = ["Surrogates", "TargetModel", "fit_surrogates"]
