"""``ionopt demo``: the main job on the bundled seed data."""

from __future__ import annotations

import click

from ionopt.cli._common import echo_json


@click.command()
@click.option("--out", "out_dir", default="ionopt-demo", show_default=True,
              type=click.Path(file_okay=False), help="Folder for proposals.csv and the figure.")
@click.option("-n", "n", default=4, show_default=True, type=click.IntRange(1, 20),
              help="Number of recipes to propose.")
@click.option("--batch-g", default=2.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Grams of solids (filler + LiTFSI + PVDF-HFP) per proposed batch.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON.")
def demo(out_dir: str, n: int, batch_g: float, seed: int, as_json: bool) -> None:
    """Fit the seed data, propose the next recipes in grams and draw the figure.

    Learns log10 ionic conductivity vs PVDF-HFP content from the amorphous-BN films of
    Fang et al. 2024 (Table 1) with a Gaussian process, proposes the next films to make
    by expected improvement and writes proposals.csv and conductivity_vs_content.png.
    """
    from ionopt.demo import run_demo

    result = run_demo(out_dir, n=n, seed=seed, batch_g=batch_g)
    if as_json:
        echo_json({"proposals": result.proposals.to_dict(orient="records"),
                   "figure": str(result.figure_path), "proposals_csv": str(result.proposals_path)})
        return
    best = result.training.loc[result.training["conductivity_s_cm"].idxmax()]
    click.echo(f"Learned from {len(result.training)} amorphous-BN films (Fang et al. 2024, "
               f"Table 1); best so far {best['sample_id']}: "
               f"{best['conductivity_s_cm'] * 1e3:.3f} mS/cm.")
    click.echo(f"Next {len(result.proposals)} films to make ({batch_g:g} g of solids each):\n")
    click.echo(format_proposals(result.proposals))
    click.echo(f"\nwrote {result.proposals_path}\nwrote {result.figure_path}")


def format_proposals(proposals) -> str:
    """A table for people: grams to weigh, predicted sigma with its 95 % interval, why."""
    lines = [f"{'#':>2}  {'content':>7}  {'BN g':>6}  {'LiTFSI g':>8}  {'PVDF-HFP g':>10}  "
             f"{'predicted σ, mS/cm (95 %)':<27}  why"]
    for _, p in proposals.iterrows():
        sigma = (f"{p['conductivity_s_cm_pred'] * 1e3:.2f} "
                 f"({p['conductivity_s_cm_lower'] * 1e3:.2f}–{p['conductivity_s_cm_upper'] * 1e3:.2f})")
        lines.append(f"{int(p['rank']):>2}  {p['pvdf_hfp_content']:>7.3f}  {p['filler_g']:>6.3f}  "
                     f"{p['litfsi_g']:>8.3f}  {p['pvdf_hfp_g']:>10.3f}  {sigma:<27}  {p['reason']}")
    return "\n".join(lines)
