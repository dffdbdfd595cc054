"""``ionopt demo``: the main job on the bundled seed data."""

from __future__ import annotations

import click

from ionopt.cli._common import OutPath, echo_json


@click.command()
@click.option("--out", "out_dir", default="ionopt-demo", show_default=True,
              type=OutPath(folder=True), help="Folder for proposals.csv and the figure.")
@click.option("-n", "n", default=4, show_default=True, type=click.IntRange(1, 20),
              help="Number of recipes to propose.")
@click.option("--batch-g", default=2.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Grams of solids (filler + LiTFSI + PVDF-HFP) per proposed batch.")
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the proposals as JSON.")
def demo(out_dir: str, n: int, batch_g: float, seed: int, as_json: bool) -> None:
    """Fit the seed data, propose the next recipes in grams and draw the figure.

    Uses the paper's search space (filler, PVDF-HFP content, filler:salt ratio, drying
    temperature; maximize conductivity with tensile strength >= 4 MPa) and the films of
    Fang et al. 2024, proposes the next films with the native Bayesian optimizer and
    writes proposals.csv and conductivity_vs_content.png into --out.
    """
    from ionopt.demo import run_demo

    result = run_demo(out_dir, n=n, seed=seed, batch_g=batch_g)
    if as_json:
        echo_json({"proposals": result.proposals.to_dict(orient="records"),
                   "figure": str(result.figure_path), "proposals_csv": str(result.proposals_path)})
        return
    best = result.training.loc[result.training["conductivity_s_cm"].idxmax()]
    measured = result.training[[o.target for o in result.space.objectives]].notna().any(axis=1)
    click.echo(f"Learned from {int(measured.sum())} measured films of Fang et al. 2024 "
               f"(best so far {best['sample_id']}: {best['conductivity_s_cm'] * 1e3:.3f} mS/cm); "
               f"objectives: {describe_objectives(result.space)}.")
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(f"Next {len(result.proposals)} films to make ({batch_g:g} g of solids each):\n")
    click.echo(format_proposals(result.proposals))
    click.echo(f"\nwrote {result.proposals_path}\nwrote {result.figure_path}")


def describe_objectives(space) -> str:
    """E.g. ``maximize conductivity_s_cm (log10); tensile_strength_mpa >= 4``."""
    parts = []
    for o in space.objectives:
        shown = o.transform and o.transform != "identity"
        text = f"{o.direction} {o.target}" + (f" ({o.transform})" if shown else "")
        if o.threshold is not None:
            text += f", {'>=' if o.direction == 'maximize' else '<='} {o.threshold:g}"
        parts.append(text)
    return "; ".join(parts)


def format_proposals(proposals) -> str:
    """A table for people: the recipe, grams to weigh, predictions and why."""
    import numpy as np

    lines = [f"{'#':>2}  {'filler':<12}  {'content':>7}  {'filler:salt':>11}  {'dry °C':>6}  "
             f"{'filler g':>8}  {'LiTFSI g':>8}  {'PVDF-HFP g':>10}  {'σ, mS/cm (95 %)':<18}  "
             f"{'tensile, MPa':<12}  {'P(ok)':>5}  why"]
    for i, (_, p) in enumerate(proposals.iterrows(), start=1):
        pred, std = p["conductivity_s_cm_pred"], p["conductivity_s_cm_std"]
        s_log = np.sqrt(np.log1p((std / pred) ** 2)) / np.log(10)  # log-normal spread
        sigma = (f"{pred * 1e3:.2f} ({pred / 10 ** (1.96 * s_log) * 1e3:.2f}–"
                 f"{pred * 10 ** (1.96 * s_log) * 1e3:.2f})")
        tensile = (f"{p['tensile_strength_mpa_pred']:.2f} ± {p['tensile_strength_mpa_std']:.2f}"
                   if "tensile_strength_mpa_pred" in p else "")
        lines.append(f"{i:>2}  {p['filler']:<12}  {p['pvdf_hfp_content']:>7.3f}  "
                     f"{p['filler_to_salt']:>11.2f}  {p['drying_temp_c']:>6.0f}  "
                     f"{p['filler_g']:>8.3f}  {p['litfsi_g']:>8.3f}  {p['pvdf_hfp_g']:>10.3f}  "
                     f"{sigma:<18}  {tensile:<12}  {p.get('prob_feasible', float('nan')):>5.2f}  "
                     f"{p['reason']}")
    return "\n".join(lines)
