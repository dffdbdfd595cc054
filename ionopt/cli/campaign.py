"""``ionopt campaign ...``: a persistent campaign in SQLite or PostgreSQL.

Imports only click at module level: SQLAlchemy, pandas and the optimizer load when a
subcommand runs, so ``ionopt campaign --help`` stays fast.

Where the store is: ``--db PATH_OR_URL``, else ``$IONOPT_DB``, else ``NAME.ionopt.db``
(``init``: beside ``--seed-data``, or in the current folder; other commands: the only
``*.ionopt.db`` in the current folder). ``--campaign NAME`` picks a campaign when a store
holds several.
"""

from __future__ import annotations

from typing import Any, Callable

import click

from ionopt.cli._common import BadInput, OutPath, TextPath, echo_json, warn

_DB_HELP = ("Store: a SQLite file path or a SQLAlchemy URL (postgresql+psycopg://user:pw@host/db). "
            "Default: $IONOPT_DB, else the only *.ionopt.db in the current folder.")


def _store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--campaign", "-c", "campaign_name", default=None, metavar="NAME",
                        help="Campaign to use when the store holds several.")(func)
    func = click.option("--db", default=None, metavar="PATH_OR_URL", help=_DB_HELP)(func)
    return func


def _open(db: str | None, name: str | None):
    from ionopt.campaign import Campaign

    return Campaign.open(name, db=db)


def _show_warnings(caught: list) -> None:
    for w in caught:
        warn(str(w.message))


def _table(frame, columns: list[str] | None = None, floatfmt: str = "{:.4g}") -> str:
    if columns is not None:
        frame = frame[[c for c in columns if c in frame.columns]]
    if len(frame) == 0:
        return "  (none)"
    return frame.to_string(index=False, float_format=lambda v: floatfmt.format(v),
                           na_rep="-")


@click.group()
def campaign() -> None:
    """A persistent campaign: proposals, results and raw files in one store.

    \b
    ionopt campaign init NAME --space space.yaml [--seed-data data.csv] [--db URL]
    ionopt campaign propose -n 4 [--out batch.csv]
    ionopt campaign add results.csv          (targets typed in, by sample_id)
    ionopt campaign add-raw MANIFEST.csv     (raw files analysed, hashed, stored)
    ionopt campaign status [--plot progress.png]
    ionopt campaign export everything.csv
    """


@campaign.command()
@click.argument("name")
@click.option("--space", "space_path", required=True, type=click.Path(dir_okay=False),
              help="Search-space YAML with objectives.")
@click.option("--db", default=None, metavar="PATH_OR_URL",
              help="Store: SQLite path or SQLAlchemy URL. Default: $IONOPT_DB, else "
                   "NAME.ionopt.db beside --seed-data or in the current folder.")
@click.option("--seed-data", default=None, type=TextPath(),
              help="Films already measured (recipe columns + targets, optional sample_id).")
@click.option("--reference-temperature-c", default=25.0, show_default=True, type=float,
              help="Temperature whose values the optimizer uses (blank temperatures count "
                   "as this one).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def init(name: str, space_path: str, db: str | None, seed_data: str | None,
         reference_temperature_c: float, as_json: bool) -> None:
    """Create campaign NAME (and its store) from a space and optional seed data."""
    from ionopt.campaign import Campaign

    with Campaign.create(name, space_path, db=db, seed_data=seed_data,
                         reference_temperature_c=reference_temperature_c) as camp:
        report = getattr(camp, "seed_report", None)
        for line in (report.notes if report else []):
            click.echo(f"note: {line}", err=True)
        for line in (report.skipped + report.warnings if report else []):
            warn(line)
        summary = {"campaign": camp.name, "store": camp.store.where,
                   "seed_films": len(report.new_recipes) if report else 0,
                   "seed_measurements": len(report.added) if report else 0,
                   "objectives": [o.describe() for o in camp.objectives]}
    if as_json:
        echo_json(summary)
        return
    click.echo(f"created campaign {summary['campaign']} in {summary['store']}")
    click.echo(f"  seed: {summary['seed_films']} films, {summary['seed_measurements']} "
               "measurements")
    for text in summary["objectives"]:
        click.echo(f"  objective: {text}")


@campaign.command()
@_store_options
@click.option("-n", "n", default=4, show_default=True, type=click.IntRange(1, 200),
              help="Films in the batch.")
@click.option("--seed", default=None, type=int, help="Optimizer seed (reproducible batches).")
@click.option("--backend", default="native", show_default=True,
              help="native, optuna-tpe, optuna-gp or skopt.")
@click.option("--batch-g", default=2.0, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Grams of solids per film (masses to weigh).")
@click.option("--candidates", default=None, type=TextPath(),
              help="Choose only among these recipes (CSV).")
@click.option("--out", default=None, type=OutPath(),
              help="Also write the batch (all columns) to this CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print the batch as JSON.")
def propose(db: str | None, campaign_name: str | None, n: int, seed: int | None, backend: str,
            batch_g: float, candidates: str | None, out: str | None, as_json: bool) -> None:
    """Propose the next N films; store them as a pending batch; print them in grams."""
    import warnings

    from ionopt._files import atomic_path

    pool = None
    if candidates is not None:
        from ionopt.campaign._tables import read_table

        pool, _, _ = read_table(candidates, "candidates")
    with _open(db, campaign_name) as camp, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        batch = camp.propose(n, seed=seed, backend=backend, batch_g=batch_g, candidates=pool)
        names = list(camp.space.names)
    _show_warnings(caught)
    if out is not None:
        with atomic_path(out) as tmp:
            batch.to_csv(tmp, index=False)
    if as_json:
        echo_json({"batch": int(batch.attrs["batch"]),
                   "proposals": batch.to_dict(orient="records")})
        return
    click.echo(f"batch {batch.attrs['batch']}: {len(batch)} films to make "
               f"({batch_g:g} g of solids each); learned from {batch.attrs['n_data']} "
               f"measured films, {batch.attrs['n_pending']} pending")
    preds = [c for c in batch.columns if c.endswith("_pred")]
    cols = ["sample_id", "filler", "filler_g", "litfsi_g", "pvdf_hfp_g",
            *[c for c in names if c != "filler"], *preds, "reason"]
    seen: list[str] = []
    cols = [c for c in cols if not (c in seen or seen.append(c))]
    click.echo(_table(batch, cols))
    if out is not None:
        click.echo(f"wrote {out}")


def _print_report(report, as_json: bool, what: str) -> None:
    if as_json:
        echo_json({"added": report.added, "skipped": report.skipped, "errors": report.errors,
                   "measured": report.measured, "new_films": report.new_recipes,
                   "notes": report.notes, "warnings": report.warnings})
    else:
        click.echo(f"stored {len(report.added)} {what}"
                   + (f"; {len(report.skipped)} skipped" if report.skipped else "")
                   + (f"; {len(report.errors)} bad" if report.errors else ""))
        if report.new_recipes:
            click.echo(f"  new films: {', '.join(report.new_recipes)}")
        if report.measured:
            click.echo(f"  now measured: {', '.join(report.measured)}")
    for line in report.notes + report.skipped:
        click.echo(f"note: {line}", err=True)
    for line in report.warnings:
        warn(line)
    for line in report.errors:
        click.echo(f"error: {line}", err=True)


@campaign.command()
@click.argument("results", type=TextPath())
@_store_options
@click.option("--new", "allow_new", is_flag=True,
              help="Accept films the campaign does not know (all recipe columns needed).")
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
def add(results: str, db: str | None, campaign_name: str | None, allow_new: bool,
        as_json: bool) -> None:
    """Store typed-in targets: RESULTS.csv has sample_id (or proposal_id) and targets.

    One row per replicate; optional columns failed, temperature_c, replicate, note. The
    whole file is one transaction: any bad row and nothing is stored. Target values must
    be physically plausible (conductivity_s_cm in (0, 1], transference_number in [0, 1]...);
    a column a letter or a unit away from a known name (conductivty_s_cm, litfsi_mg) is
    refused as a typo; other unknown columns are kept as notes. A new film (--new) outside
    the search space is stored with a warning.
    """
    with _open(db, campaign_name) as camp:
        report = camp.add(results, allow_new=allow_new)
    _print_report(report, as_json, "measurements")


@campaign.command("add-raw")
@click.argument("manifest", type=click.Path(dir_okay=False))
@_store_options
@click.option("--json", "as_json", is_flag=True, help="Print what was stored as JSON.")
def add_raw(manifest: str, db: str | None, campaign_name: str | None, as_json: bool) -> None:
    """Analyse raw files listed in MANIFEST.csv and store them with their hashes.

    \b
    Columns: sample_id (or proposal_id), kind (eis, tensile, tga, lsv, cycling,
    transference, symmetric), file (relative to the manifest), thickness_um, area_cm2
    or diameter_mm, active_mass_mg, temperature_c; transference: file is the i-t
    record, eis_before (or r0_ohm) and eis_after (or rss_ohm) the Li|Li spectra,
    delta_v in V (blank: from the file header); others (replicate, note...) are kept.
    Every file of a row is hashed and kept. symmetric stores short_circuit_h, or
    stable_at_least_h (a lower bound) when the cell did not short. Each row is one
    transaction; a row already stored is skipped, so re-running after an interruption
    is safe. Bad rows are reported and the rest stored; the exit code is then 2.
    """
    with _open(db, campaign_name) as camp:
        report = camp.add_raw(manifest)
    _print_report(report, as_json, "raw files")
    if report.errors:
        raise BadInput(f"{manifest}: {len(report.errors)} bad row(s), listed above; the "
                       "other files were stored")


@campaign.command()
@_store_options
@click.option("--plot", default=None, type=OutPath(),
              help="Write a progress figure (best so far per objective) to this file.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(db: str | None, campaign_name: str | None, plot: str | None, as_json: bool) -> None:
    """Best so far per objective, the Pareto set, pending proposals."""
    with _open(db, campaign_name) as camp:
        st = camp.status()
        names = list(camp.space.names)
        if plot is not None:
            camp.plot_progress(plot, st)
    if as_json:
        payload = st.to_dict()
        if plot is not None:
            payload["plot"] = plot
        echo_json(payload)
        return
    c = st.counts
    click.echo(f"campaign {st.name} ({st.store})")
    click.echo(f"  {c['films']} films, {c['measured']} measured ({c['failed']} failed), "
               f"{c['measurements']} measurements, {c['batches']} batches, "
               f"{c['pending']} pending, {c['abandoned']} abandoned")
    click.echo("\nbest so far:")
    click.echo(_table(st.best, ["target", "direction", "threshold", "best", "sample_id", "n"]))
    click.echo("\nPareto set:")
    click.echo(_table(st.pareto))
    click.echo("\npending proposals:")
    click.echo(_table(st.pending, ["proposal_id", "sample_id", "batch", "status", "filler_g",
                                   "litfsi_g", "pvdf_hfp_g", *names]))
    if plot is not None:
        click.echo(f"\nwrote {plot}")


@campaign.command()
@click.argument("out", type=click.Path())
@_store_options
@click.option("--table", "table", default="all", show_default=True,
              type=click.Choice(["all", "films", "measurements", "proposals", "batches"]),
              help="all: one row per value with provenance; films: one row per film.")
def export(out: str, db: str | None, campaign_name: str | None, table: str) -> None:
    """Write the campaign to OUT (.csv or .parquet; a folder gets every table as CSV)."""
    with _open(db, campaign_name) as camp:
        path = camp.export(out, table=table)
    click.echo(f"wrote {path}")


@campaign.command()
@click.argument("status", type=click.Choice(["made", "abandoned", "proposed"]))
@click.argument("films", nargs=-1, required=True)
@_store_options
def mark(status: str, films: tuple[str, ...], db: str | None,
         campaign_name: str | None) -> None:
    """Set proposals (sample_id or proposal_id) to made, abandoned or back to proposed."""
    with _open(db, campaign_name) as camp:
        changed = camp.mark(films, status)
    click.echo(f"{len(changed)} proposals now {status}" +
               (f": {', '.join(changed)}" if changed else ""))
