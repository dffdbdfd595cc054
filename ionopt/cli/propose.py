"""``ionopt propose``: the next recipes to make, in grams."""

from __future__ import annotations

import warnings

import click

from ionopt.cli._common import OutPath, TextPath, atomic_path, echo_json, emit_warnings

BACKEND_NAMES = ("native", "optuna-tpe", "optuna-gp", "skopt")


def show_table(table, columns=None, max_rows: int | None = None) -> str:
    """A compact text rendering of a result table for stdout."""
    import pandas as pd

    view = table if columns is None else table[[c for c in columns if c in table.columns]]
    if max_rows is not None:
        view = view.head(max_rows)
    with pd.option_context("display.width", 200, "display.max_columns", 60,
                           "display.max_colwidth", 60, "display.float_format",
                           lambda v: f"{v:.4g}"):
        return view.to_string(index=False)


@click.command("propose")
@click.option("--space", "space_path", required=True, type=click.Path(dir_okay=False),
              help="Search space YAML (parameters, constraints, objectives).")
@click.option("--data", "data_path", required=True, type=TextPath(),
              help="Experiments so far: parameter and target columns, optional 'failed'.")
# More than 200 is most likely a typo, and would run for minutes.
@click.option("-n", "n", default=4, show_default=True, type=click.IntRange(1, 200),
              help="Number of recipes to propose.")
@click.option("--pending", "pending_path", type=TextPath(),
              help="Recipes being made now (parameter columns only).")
@click.option("--candidates", "pool_path", type=TextPath(),
              help="Pool mode: choose only among the rows of this CSV.")
@click.option("--backend", default="native", show_default=True,
              type=click.Choice(BACKEND_NAMES), help="Optimizer backend.")
@click.option("--seed", default=0, show_default=True, type=int,
              help="Random seed: same seed and data -> same proposals.")
@click.option("--batch-g", default=2.0, show_default=True, type=float,
              help="Grams of solids (filler + LiTFSI + PVDF-HFP) per recipe.")
@click.option("--acquisition", type=click.Choice(["ei", "ucb"]), default=None,
              help="Native backend: expected improvement (default) or UCB.")
@click.option("--tolerance", type=float, default=None,
              help="Distinctness tolerance as a fraction of each range (default 0.01).")
@click.option("--out", "out_path", type=OutPath(), help="Write the proposals to this CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def propose(space_path, data_path, n, pending_path, pool_path, backend, seed, batch_g,
            acquisition, tolerance, out_path, as_json):
    """Propose the next N recipes to make, in grams, with predictions and reasons.

    Example: ionopt propose --space space.yaml --data data.csv -n 4 --out proposals.csv
    """
    from ionopt.optimizer.proposals import propose as run_propose

    options = {}
    if acquisition is not None:
        if backend != "native":
            raise click.BadParameter("only the native backend takes --acquisition",
                                     param_hint="--acquisition")
        options["acquisition"] = acquisition
    if tolerance is not None:
        options["tolerance"] = tolerance
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = run_propose(space_path, data_path, n, pending=pending_path,
                            candidates=pool_path, backend=backend, seed=seed,
                            batch_g=batch_g, **options)
    emit_warnings(caught)
    if out_path:
        with atomic_path(out_path) as tmp:
            table.to_csv(tmp, index=False)
        click.echo(f"wrote {len(table)} proposal(s) to {out_path}", err=True)
    if as_json:
        echo_json(table.to_dict(orient="records"))
    else:
        click.echo(show_table(table))
