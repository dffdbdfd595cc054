"""``ionopt score``: predictions, feasibility, desirability, acquisition and rank."""

from __future__ import annotations

import warnings

import click

from ionopt.cli._common import OutPath, TextPath, atomic_path, echo_json, emit_warnings
from ionopt.cli.propose import show_table


@click.command("score")
@click.argument("candidates_path", metavar="CANDIDATES.csv", type=TextPath())
@click.option("--space", "space_path", required=True, type=click.Path(dir_okay=False),
              help="Search space YAML (parameters, constraints, objectives).")
@click.option("--data", "data_path", required=True, type=TextPath(),
              help="Experiments so far: parameter and target columns, optional 'failed'.")
@click.option("--pending", "pending_path", type=TextPath(),
              help="Recipes being made now (parameter columns only).")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--batch-g", default=2.0, show_default=True, type=float,
              help="Grams of solids per recipe for the weighing columns.")
@click.option("--out", "out_path", type=OutPath(), help="Write every scored row to this CSV.")
@click.option("--top", default=20, show_default=True, type=click.IntRange(min=0),
              help="Rows shown on stdout (best ranks first); --out has them all.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the shown rows).")
def score(candidates_path, space_path, data_path, pending_path, seed, batch_g, out_path,
          top, as_json):
    """Score candidate recipes: predictions +- std, P(thresholds met), desirability,
    acquisition and rank. Rows outside the space are flagged (in_space, violations).

    Example: ionopt score candidates.csv --space space.yaml --data data.csv --out scored.csv
    """
    from ionopt.optimizer.scoring import score as run_score

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = run_score(candidates_path, space_path, data_path, pending=pending_path,
                          seed=seed, batch_g=batch_g)
    emit_warnings(caught)
    outside = int((~table["in_space"]).sum())
    if outside:
        click.echo(f"warning: {outside} of {len(table)} candidate(s) outside the space "
                   "(see in_space, violations)", err=True)
    if out_path:
        with atomic_path(out_path) as tmp:
            table.to_csv(tmp, index=False)
        click.echo(f"wrote {len(table)} scored row(s) to {out_path}", err=True)
    shown = table.sort_values("rank", na_position="last", kind="stable").head(top)
    if as_json:
        echo_json(shown.astype(object).where(shown.notna(), None).to_dict(orient="records"))
    else:
        click.echo(show_table(shown))
