"""``ionopt fit``: fit surrogates on a targets table, print the validation report."""

from __future__ import annotations

import click

from ionopt.cli._common import BadInput, OutPath, TextPath, echo_json, emit_warnings


@click.command("fit")
@click.argument("data", type=TextPath())
@click.option("--target", "targets", multiple=True, required=True, metavar="T",
              help="Target column (repeat for several), e.g. conductivity_s_cm.")
@click.option("--model", default="auto", show_default=True,
              help="auto, gp, gp_mle, forest, extra_trees, linear, quadratic or boosting.")
@click.option("--feature", "features", multiple=True, metavar="NAME",
              help="Feature column (repeat); default: recipe-derived columns in the table.")
@click.option("--transform", "transforms", multiple=True, metavar="T=NAME",
              help="Per-target transform, e.g. conductivity_s_cm=log10 (identity, log10, "
                   "logit).")
@click.option("--groups", default=None, metavar="COLUMN",
              help="Validate by group k-fold on this column (e.g. doi); also turns on "
                   "--calibrate.")
@click.option("--calibrate/--no-calibrate", default=None,
              help="Rescale the uncertainty so cross-validated 95 % intervals hold 95 % of "
                   "held-out rows (by group with --groups). Default: on with --groups.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--out", "out", required=True, type=OutPath(),
              help="Where to save the fitted surrogates (.skops).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def fit(data, targets, model, features, transforms, groups, calibrate, seed, out, as_json):
    """Fit surrogate models on DATA.csv and print their cross-validated report."""
    import warnings
    from pathlib import Path

    import pandas as pd

    from ionopt.errors import DataError
    from ionopt.surrogates import fit_surrogates

    path = Path(data)
    if not path.exists():
        raise BadInput(f"{data}: no such file")
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{data}: cannot be read as CSV ({str(err).splitlines()[0]})") from None
    tr = {}
    for item in transforms:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise BadInput(f"--transform: expected TARGET=NAME, got {item!r}")
        tr[name] = value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sur = fit_surrogates(table, list(targets), features=list(features) or None,
                             model=model, transforms=tr or None, seed=seed,
                             groups=groups, calibrate=calibrate)
        report = sur.report
    emit_warnings(caught)
    sur.save(out)  # whole or not at all
    if as_json:
        echo_json({"out": str(out), "fingerprint": sur.fingerprint,
                   "features": sur.features.names,
                   "models": {t: sur[t].model for t in sur.targets},
                   "calibration_factor": {t: getattr(sur[t].estimator, "factor_", 1.0)
                                          for t in sur.targets},
                   "report": pd.DataFrame(report).to_dict(orient="records")})
    else:
        click.echo(repr(report))
        click.echo(f"saved {len(sur.targets)} surrogate(s) to {out} "
                   f"(fingerprint {sur.fingerprint[:12]})")
