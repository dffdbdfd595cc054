"""``ionopt analyze``: raw instrument files -> targets, one command per measurement.

Every subcommand analyses each FILE on its own: a bad file gives one ``error:`` line on
stderr and the others are still analysed; the command then exits 2. Results go to
stdout (a table, or JSON with ``--json``), warnings and errors to stderr. The library
calls are :func:`ionopt.analysis.batch.analyze_file` (one file) and
:func:`ionopt.analysis.batch.analyze_manifest` (a manifest). Heavy libraries are imported
inside the commands so that ``--help`` stays fast.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from ionopt.cli._common import BadInput, OutPath, TextPath, atomic_path, echo_json, warn

_JSON_HELP = ("Print JSON on stdout instead of a table: an array with one object per "
              "file (`file`, the quantities in unit-named keys, `method`, `warnings`), "
              "or `{\"file\": ..., \"error\": ...}` for a file that failed.")
_PLOT_HELP = "Write one PNG figure per file into DIR (created if missing)."

#: Columns of the human-readable table, per kind.
_TABLE = {
    "eis": ("r_bulk_ohm", "conductivity_s_cm", "method"),
    "lsv": ("stability_window_v", "onset_threshold_v", "onset_tangent_v", "method"),
    "transference": ("transference_number", "initial_current_a", "steady_current_a",
                     "r0_ohm", "rss_ohm"),
    "tensile": ("tensile_strength_mpa", "youngs_modulus_mpa", "elongation_at_break_pct"),
    "tga": ("decomposition_temp_c", "t_5pct_loss_c", "onset_temp_c", "residual_mass_pct"),
    "cycling": ("n_cycles", "final_discharge_capacity_mah_g", "capacity_retention_pct",
                "coulombic_efficiency_pct"),
    "symmetric": ("short_circuit_h", "overpotential_initial_mv", "overpotential_final_mv",
                  "cycling_time_h"),
}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def analyze() -> None:
    """Turn raw instrument files into targets (EIS, LSV, transference, ...).

    One subcommand per measurement analyses one or more files; `batch` runs a whole
    manifest and writes the targets table. Quantities carry their unit in their name
    (`conductivity_s_cm`, `r_bulk_ohm`, ...).
    """


def _json_option(f):
    return click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)(f)


def _plot_option(f):
    return click.option("--plot", "plot_dir", type=OutPath(folder=True),
                        metavar="DIR", help=_PLOT_HELP)(f)


def _files_argument(f):
    return click.argument("files", nargs=-1, required=True, metavar="FILE...")(f)


# ------------------------------------------------------------------------- output
def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return "nan" if value != value else f"{value:.4g}"
    return str(value)


def _print_table(records: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """An aligned text table: file, the columns, and the number of warnings."""
    header = ("file",) + columns + ("warnings",)
    rows = []
    for rec in records:
        if "error" in rec:
            rows.append((rec["file"], "error") + ("",) * (len(header) - 2))
            continue
        rows.append((rec["file"],) + tuple(_fmt(rec.get(c)) for c in columns)
                    + (str(len(rec.get("warnings", []))),))
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for r in [header] + rows:
        click.echo("  ".join(str(cell).ljust(w) for cell, w in zip(r, widths)).rstrip())


def _record(file: str, result: Any) -> dict[str, Any]:
    rec = {"file": file, **result.to_dict()}
    rec.pop("source", None)
    return rec


def _report_warnings(file: str, warnings: list[str]) -> None:
    for w in warnings:
        warn(f"{file}: {w}")


# ------------------------------------------------------------------------ figures
class _Figures:
    """Writes figures into one folder, atomically, with unique names."""

    def __init__(self, folder: str | None):
        self.folder = Path(folder) if folder else None
        self.used: set[str] = set()
        self.missing_said: set[str] = set()

    def __bool__(self) -> bool:
        return self.folder is not None

    def _name(self, stem: str) -> str:
        stem = re.sub(r"[^\w.+-]+", "_", stem).strip("_") or "figure"
        name, k = f"{stem}.png", 2
        while name in self.used:
            name, k = f"{stem}_{k}.png", k + 1
        self.used.add(name)
        return name

    def save(self, stem: str, draw) -> None:
        """Call ``draw()`` (returns axes or a figure) and write it as ``<stem>.png``."""
        if self.folder is None:
            return
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from ionopt.errors import IonoptError

        try:
            drawn = draw()
        except ImportError as err:  # a plot module not there yet: say so once
            if str(err) not in self.missing_said:
                self.missing_said.add(str(err))
                warn(f"figure not written: {err}")
            return
        except IonoptError as err:
            warn(f"figure {stem}.png not written: {err}")
            plt.close("all")
            return
        fig = getattr(drawn, "figure", drawn)
        target = self.folder / self._name(stem)
        try:
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format="png", dpi=150)
        finally:
            plt.close(fig)


def _draw(kind: str, path: str, result: Any):
    """A drawing function for ``result`` of ``kind``, or None when there is no figure."""
    if kind == "eis":
        def draw():
            from ionopt.plots.eis import plot_nyquist

            return plot_nyquist(result)
        return draw
    if kind == "lsv":
        def draw():
            from ionopt.analysis.io import read_lsv
            from ionopt.plots.analysis import plot_lsv

            return plot_lsv(read_lsv(path), result)
        return draw
    if kind == "cycling":
        def draw():
            from ionopt.plots.analysis import plot_cycling

            return plot_cycling(result)
        return draw
    if kind == "arrhenius":
        def draw():
            from ionopt.plots.analysis import plot_arrhenius

            return plot_arrhenius(result)
        return draw
    return None


_FIGURE_SUFFIX = {"eis": "nyquist", "lsv": "lsv", "cycling": "cycling",
                  "arrhenius": "arrhenius"}


# ----------------------------------------------------------------- per-file runner
def _analyze_files(kind: str, files: tuple[str, ...], params: dict[str, Any], *,
                   as_json: bool, plot_dir: str | None = None) -> list[tuple[str, Any]]:
    """Analyze each file; print the table/JSON; exit 2 at the end if any failed."""
    results = _run_each(kind, files, params, _Figures(plot_dir))
    records = [{"file": f, "error": r} if isinstance(r, str) else _record(f, r)
               for f, r in results]
    if as_json:
        echo_json(records)
    else:
        _print_table(records, _TABLE[kind])
    failed = sum(isinstance(r, str) for _, r in results)
    if failed:
        raise BadInput(f"{failed} of {len(results)} file(s) could not be analyzed "
                       "(see above)")
    return results


def _run_each(kind: str, files: tuple[str, ...], params: dict[str, Any],
              figures: _Figures) -> list[tuple[str, Any]]:
    """(file, result) or (file, error message) per file; errors and warnings on stderr."""
    from ionopt.analysis.batch import analyze_file
    from ionopt.errors import IonoptError

    out: list[tuple[str, Any]] = []
    for file in files:
        try:
            result = analyze_file(file, kind, **params)
        except IonoptError as err:
            click.echo(f"error: {err}", err=True)
            out.append((file, str(err)))
            continue
        _report_warnings(file, result.warnings)
        draw = _draw(kind, file, result)
        if figures and draw is not None:
            figures.save(f"{Path(file).stem}_{_FIGURE_SUFFIX[kind]}", draw)
        out.append((file, result))
    return out


def _check_area(area_cm2: float | None, diameter_mm: float | None, required: bool) -> None:
    if area_cm2 is not None and diameter_mm is not None:
        raise BadInput("--area-cm2, --diameter-mm: give one, not both")
    if required and area_cm2 is None and diameter_mm is None:
        raise BadInput("--area-cm2 or --diameter-mm: required (electrode area)")


_area_options = [
    click.option("--area-cm2", type=float, help="Electrode area, cm²."),
    click.option("--diameter-mm", type=float,
                 help="Electrode (disc) diameter, mm, instead of --area-cm2."),
]


def _with(options):
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f
    return decorate


# ---------------------------------------------------------------------- commands
@analyze.command("eis")
@_files_argument
@click.option("--thickness-um", type=float, help="Electrolyte thickness, µm.")
@_with(_area_options)
@click.option("--subtract-series", is_flag=True,
              help="Report the arc diameter (without the series resistance) as R_b when "
                   "the arc is resolved.")
@_json_option
@_plot_option
def eis(files, thickness_um, area_cm2, diameter_mm, subtract_series, as_json, plot_dir):
    """Bulk resistance R_b and conductivity σ = L/(R_b·S) of blocking-cell spectra.

    Each FILE is an impedance export (CHI, BioLogic, Gamry, ZView, Parstat, CSV...).
    Without the geometry only R_b is reported. --plot writes a Nyquist plot with the
    fitted circuit per file.

    Example: ionopt analyze eis cell1.txt cell2.txt --thickness-um 200 --area-cm2 0.785
    """
    _check_area(area_cm2, diameter_mm, required=False)
    params = {"thickness_um": thickness_um, "area_cm2": area_cm2,
              "diameter_mm": diameter_mm, "subtract_series": subtract_series or None}
    _analyze_files("eis", files, params, as_json=as_json, plot_dir=plot_dir)


@analyze.command("lsv")
@_files_argument
@_with(_area_options)
@click.option("--threshold-ma-cm2", type=float, default=None,
              help="Onset current density, mA/cm² (default 0.01).")
@click.option("--direction", type=click.Choice(["anodic", "cathodic"]), default="anodic",
              show_default=True, help="Oxidative or reductive limit.")
@click.option("--primary", type=click.Choice(["threshold", "tangent"]), default="threshold",
              show_default=True, help="Which onset is reported as stability_window_v.")
@_json_option
@_plot_option
def lsv(files, area_cm2, diameter_mm, threshold_ma_cm2, direction, primary, as_json,
        plot_dir):
    """Electrochemical stability window (onset potential, V vs Li+/Li) from LSV sweeps.

    --plot writes the current density vs potential with the onsets marked.

    Example: ionopt analyze lsv sweep.txt --diameter-mm 16
    """
    _check_area(area_cm2, diameter_mm, required=True)
    params = {"area_cm2": area_cm2, "diameter_mm": diameter_mm,
              "threshold_ma_cm2": threshold_ma_cm2, "direction": direction,
              "primary": primary}
    _analyze_files("lsv", files, params, as_json=as_json, plot_dir=plot_dir)


@analyze.command("transference")
@_files_argument
@click.option("--delta-v", type=float,
              help="Polarization step, V (default: the applied potential in the file header).")
@click.option("--r0-ohm", type=float, help="Interfacial resistance before polarization, ohm.")
@click.option("--rss-ohm", "--rs-ohm", "rss_ohm", type=float,
              help="Interfacial resistance after polarization (steady state), ohm.")
@click.option("--eis-before", type=click.Path(dir_okay=False),
              help="EIS of the Li|electrolyte|Li cell before polarization (instead of --r0-ohm).")
@click.option("--eis-after", type=click.Path(dir_okay=False),
              help="EIS of the cell after polarization (instead of --rss-ohm).")
@click.option("--i0-method", type=click.Choice(["first", "extrapolate"]), default="first",
              show_default=True, help="How the initial current I_0 is taken.")
@_json_option
def transference(files, delta_v, r0_ohm, rss_ohm, eis_before, eis_after, i0_method,
                 as_json):
    """Li+ transference number (Bruce-Vincent) from chronoamperograms.

    Each FILE is the current-vs-time record of a Li | electrolyte | Li cell under a
    small dc step. The interfacial resistances come as numbers (--r0-ohm, --rss-ohm) or
    from the cell's impedance before and after (--eis-before, --eis-after: the width of
    the interfacial arc).

    Example: ionopt analyze transference it.txt --eis-before before.txt --eis-after after.txt
    """
    for number, eis_file, a, b in ((r0_ohm, eis_before, "--r0-ohm", "--eis-before"),
                                   (rss_ohm, eis_after, "--rss-ohm", "--eis-after")):
        if (number is None) == (eis_file is None):
            raise BadInput(f"{a} or {b}: give exactly one")
    params = {"delta_v": delta_v, "r0_ohm": r0_ohm, "rss_ohm": rss_ohm,
              "eis_before": eis_before, "eis_after": eis_after, "i0_method": i0_method}
    _analyze_files("transference", files, params, as_json=as_json)


@analyze.command("tensile")
@_files_argument
@click.option("--width-mm", type=float, help="Specimen width, mm (force-displacement files).")
@click.option("--thickness-um", type=float,
              help="Specimen thickness, µm (force-displacement files).")
@click.option("--gauge-length-mm", type=float,
              help="Initial gauge length, mm (force-displacement files).")
@_json_option
def tensile(files, width_mm, thickness_um, gauge_length_mm, as_json):
    """Tensile strength, Young's modulus and elongation at break.

    Each FILE is a stress-strain table, or a force-displacement table with the
    specimen geometry given.

    Example: ionopt analyze tensile film1.csv film2.csv
    """
    params = {"width_mm": width_mm, "thickness_um": thickness_um,
              "gauge_length_mm": gauge_length_mm}
    _analyze_files("tensile", files, params, as_json=as_json)


@analyze.command("tga")
@_files_argument
@click.option("--reference-temp-c", type=float,
              help="Normalize to the mass at this temperature, °C (e.g. 120, to leave out "
                   "water and solvent); default the first point.")
@click.option("--decomposition", type=click.Choice(["t5", "onset"]), default="t5",
              show_default=True,
              help="What decomposition_temp_c is: T at 5 % loss or the tangent onset.")
@_json_option
def tga(files, reference_temp_c, decomposition, as_json):
    """Decomposition temperature and residual mass from TGA heating ramps.

    Example: ionopt analyze tga film.csv --reference-temp-c 120
    """
    params = {"reference_temp_c": reference_temp_c, "decomposition": decomposition}
    _analyze_files("tga", files, params, as_json=as_json)


@analyze.command("cycling")
@_files_argument
@click.option("--active-mass-mg", type=float, help="Active-material mass, mg (for mAh/g).")
@click.option("--reference-cycle", type=int, help="Cycle taken as 100 % (default: first).")
@click.option("--retention-cycle", type=int, help="Cycle whose retention is reported "
                                                 "(default: last complete).")
@click.option("--ce-convention", type=click.Choice(["discharge/charge", "charge/discharge"]),
              default="discharge/charge", show_default=True,
              help="Coulombic efficiency ratio.")
@_json_option
@_plot_option
def cycling(files, active_mass_mg, reference_cycle, retention_cycle, ce_convention, as_json,
            plot_dir):
    """Capacity, Coulombic efficiency and retention from cycler exports.

    Each FILE is a Maccor, Arbin or BioLogic export. --plot writes capacity and CE per
    cycle.

    Example: ionopt analyze cycling lfp_cell.csv --active-mass-mg 3.2
    """
    params = {"active_mass_mg": active_mass_mg, "reference_cycle": reference_cycle,
              "retention_cycle": retention_cycle, "ce_convention": ce_convention}
    _analyze_files("cycling", files, params, as_json=as_json, plot_dir=plot_dir)


@analyze.command("symmetric")
@_files_argument
@_json_option
def symmetric(files, as_json):
    """Overpotential and time to short circuit of Li | electrolyte | Li cycling.

    Each FILE is a cycler export or a table with time, potential and current.
    """
    _analyze_files("symmetric", files, {}, as_json=as_json)


def _temperatures(values: tuple[str, ...]) -> list[float]:
    out = []
    for value in values:
        for part in str(value).split(","):
            if part.strip():
                try:
                    out.append(float(part))
                except ValueError:
                    raise BadInput(f"--temperature-c: expected numbers in °C, got "
                                   f"{part.strip()!r}") from None
    return out


@analyze.command("arrhenius")
@click.argument("files", nargs=-1, metavar="[FILE...]")
@click.option("-T", "--temperature-c", "temperatures", multiple=True, metavar="T",
              help="Temperature of each FILE, °C, in the same order: repeat the option "
                   "or give a comma-separated list.")
@click.option("--thickness-um", type=float, help="Electrolyte thickness, µm.")
@_with(_area_options)
@click.option("--table", "table", type=TextPath(),
              help="A CSV with columns temperature_c, conductivity_s_cm instead of FILEs.")
@click.option("--form", type=click.Choice(["ln_sigma", "ln_sigma_t"]), default="ln_sigma",
              show_default=True, help="Fit ln σ or ln(σT) against 1/T.")
@click.option("--vtf", is_flag=True, help="Also fit Vogel-Tammann-Fulcher (>= 4 points).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: the fit (activation_energy_ev, ..., method, "
                   "warnings) and `points`, one object per file (or per table row).")
@_plot_option
def arrhenius(files, temperatures, thickness_um, area_cm2, diameter_mm, table, form, vtf,
              as_json, plot_dir):
    """Activation energy from conductivity at several temperatures.

    Either EIS files of one film at several temperatures (conductivity from each, with
    the geometry), or a --table of temperature_c, conductivity_s_cm. At least 3 points.
    --plot writes log σ vs 1000/T with the fit.

    Example: ionopt analyze arrhenius e25.txt e45.txt e65.txt -T 25,45,65
    --thickness-um 200 --diameter-mm 10
    """
    if bool(files) == bool(table):
        raise BadInput("give EIS FILEs with --temperature-c, or --table, not both/neither")
    figures = _Figures(plot_dir)
    if table:
        points, series, failed = _table_points(table)
    else:
        temps = _temperatures(temperatures)
        if len(temps) != len(files):
            raise BadInput(f"--temperature-c: {len(temps)} temperature(s) for {len(files)} "
                           "file(s); give one per FILE, in order")
        if thickness_um is None:
            raise BadInput("--thickness-um: required to turn R_b into conductivity")
        _check_area(area_cm2, diameter_mm, required=True)
        points, series, failed = _eis_points(files, temps, thickness_um, area_cm2,
                                             diameter_mm, figures)
    fit = _fit_series(series, form, vtf, source=table)
    payload = {**(_record(table or f"{len(series)} EIS files", fit) if fit else {}),
               "points": points}
    payload.pop("file", None)
    if fit is None:
        payload["error"] = "no fit: see the errors above"
    if as_json:
        echo_json(payload)
    else:
        _print_arrhenius(points, fit)
    if fit is not None:
        figures.save("arrhenius", _draw("arrhenius", "", fit))
    if failed or fit is None:
        raise BadInput("arrhenius: " + ("some points could not be used (see above)"
                                        if fit is not None else "no activation energy"))


def _table_points(table: str) -> tuple[list[dict], list[tuple[float, float]], bool]:
    import pandas as pd

    from ionopt.errors import DataError

    try:
        frame = pd.read_csv(table)
    except FileNotFoundError:
        raise BadInput(f"{table}: no such file") from None
    except (ValueError, pd.errors.ParserError) as err:
        raise DataError(f"{table}: cannot be read as CSV ({err})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in ("temperature_c", "conductivity_s_cm") if c not in frame.columns]
    if missing:
        raise DataError(f"{table}:1: missing column(s) {', '.join(missing)}; expected "
                        "temperature_c, conductivity_s_cm")
    points, series, failed = [], [], False
    for k, row in enumerate(frame.itertuples(index=False), start=2):
        try:
            t, s = float(row.temperature_c), float(row.conductivity_s_cm)
        except (TypeError, ValueError):
            t = s = float("nan")
        if not (t == t and s == s):
            message = f"{table}:{k}: temperature_c, conductivity_s_cm: expected numbers"
            click.echo(f"error: {message}", err=True)
            points.append({"file": f"{table}:{k}", "error": message})
            failed = True
            continue
        points.append({"file": f"{table}:{k}", "temperature_c": t, "conductivity_s_cm": s})
        series.append((t, s))
    return points, series, failed


def _eis_points(files, temps, thickness_um, area_cm2, diameter_mm, figures):
    params = {"thickness_um": thickness_um, "area_cm2": area_cm2, "diameter_mm": diameter_mm}
    results = _run_each("eis", files, params, figures)
    points, series, failed = [], [], False
    for (file, result), t in zip(results, temps):
        if isinstance(result, str):
            points.append({"file": file, "temperature_c": t, "error": result})
            failed = True
            continue
        rec = {"file": file, "temperature_c": t, **_record(file, result)}
        points.append(rec)
        sigma = rec.get("conductivity_s_cm")
        if sigma is not None:
            series.append((t, sigma))
    return points, series, failed


def _fit_series(series, form, vtf, source):
    from ionopt.analysis.arrhenius import analyze_arrhenius
    from ionopt.errors import IonoptError

    try:
        fit = analyze_arrhenius([t for t, _ in series], [s for _, s in series], form=form,
                                vtf=vtf, source=source)
    except IonoptError as err:
        click.echo(f"error: arrhenius: {err}", err=True)
        return None
    _report_warnings("arrhenius", fit.warnings)
    return fit


def _print_arrhenius(points, fit) -> None:
    _print_table(points, ("temperature_c", "conductivity_s_cm"))
    if fit is not None:
        click.echo(f"\nactivation_energy_ev = {fit.activation_energy_ev:.4f} "
                   f"± {fit.activation_energy_ev_stderr:.4f} (standard error; "
                   f"{fit.activation_energy_kj_mol:.2f} kJ/mol), R² = {fit.r_squared:.4f}, "
                   f"{fit.n_points} points, {fit.method}")


# ------------------------------------------------------------------------- batch
@analyze.command("batch")
@click.argument("manifest", metavar="MANIFEST.csv", type=click.Path(dir_okay=False))
@click.option("--out", type=OutPath(),
              help="Write the targets table (one row per sample) to this CSV.")
@click.option("--measurements-out", type=OutPath(),
              help="Write the per-file measurements table to this CSV.")
@click.option("--reference-temp-c", type=float, default=25.0, show_default=True,
              help="Conductivity in the targets row = EIS replicates at this temperature "
                   "(± --temperature-tol-c).")
@click.option("--temperature-tol-c", type=float, default=2.0, show_default=True,
              help="Tolerance on the reference temperature, °C.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: `targets` (one object per sample), "
                   "`measurements` (one per manifest row), `errors`, `warnings`.")
@_plot_option
def batch(manifest, out, measurements_out, reference_temp_c, temperature_tol_c, as_json,
          plot_dir):
    """Analyze every file of a manifest and write one targets row per sample.

    MANIFEST.csv has one row per raw file, with columns sample_id, kind (eis, lsv,
    transference, tensile, tga, cycling, symmetric), file (relative to the manifest's
    folder), and as the kind needs: thickness_um, area_cm2 or diameter_mm,
    temperature_c, threshold_ma_cm2, delta_v, r0_ohm / rss_ohm or eis_before /
    eis_after (files), width_mm, gauge_length_mm, active_mass_mg, reference_cycle,
    retention_cycle. A sample with EIS at several temperatures also gets its
    activation energy. Each target comes with <target>_std and <target>_n over the
    replicates, and the qc column says "ok" or what to look at.

    Bad rows are reported (manifest line, file, column) and the others still
    analyzed; the command then exits 2. --out is written whole or not at all.

    Example: ionopt analyze batch manifest.csv --out targets.csv
    """
    from ionopt.analysis.batch import analyze_manifest

    with _progress_bar() as hook:
        result = analyze_manifest(manifest, reference_temp_c=reference_temp_c,
                                  temperature_tol_c=temperature_tol_c, progress=hook)
    for note in result.warnings:
        warn(note)
    for message in result.errors:
        click.echo(f"error: {message}", err=True)
    if out:
        with atomic_path(out) as tmp:
            result.targets.to_csv(tmp, index=False)
    if measurements_out:
        with atomic_path(measurements_out) as tmp:
            result.measurements.to_csv(tmp, index=False)
    if plot_dir:
        _batch_figures(result, _Figures(plot_dir))
    if as_json:
        echo_json({"targets": _records(result.targets),
                   "measurements": _records(result.measurements),
                   "errors": result.errors, "warnings": result.warnings})
    else:
        _print_targets(result.targets)
    rows = result.measurements[result.measurements["line"].notna()] \
        if len(result.measurements) else result.measurements
    n_ok = int((rows["error"] == "").sum()) if len(rows) else 0
    click.echo(f"{n_ok} of {len(rows)} manifest row(s) analyzed, {len(result.targets)} "
               f"sample(s)" + (f"; targets written to {out}" if out else ""), err=True)
    if result.errors:
        raise BadInput(f"{len(result.errors)} problem(s) in {manifest} (see above); the "
                       "other rows were analyzed")


class _progress_bar:
    """A tqdm bar on stderr (shown on a terminal only), driven by the library's hook."""

    def __enter__(self):
        self.bar = None
        return self.hook

    def hook(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, disable=None, leave=False,
                            unit="file", desc="analyzing")
        self.bar.n = done
        if label:
            self.bar.set_postfix_str(Path(label).name, refresh=False)
        self.bar.refresh()

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def _records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as plain dicts, missing values as None."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def _print_targets(targets) -> None:
    from ionopt.analysis.batch import TARGETS

    shown = [t for t in TARGETS if (targets[f"{t}_n"] > 0).any()]
    records = []
    for row in targets.to_dict("records"):
        rec = {"file": row["sample_id"]}
        for t in shown:
            mean, std, n = row[t], row[f"{t}_std"], row[f"{t}_n"]
            rec[t] = "-" if n == 0 else (f"{mean:.4g}" if n == 1 else
                                         f"{mean:.4g} ± {std:.2g} (n={n})")
        records.append(rec)
    header = ["sample_id"] + shown
    rows = [[r["file"]] + [r[t] for t in shown] for r in records]
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for r in [header] + rows:
        click.echo("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    bad = [(r["sample_id"], r["qc"]) for r in targets.to_dict("records") if r["qc"] != "ok"]
    if bad:
        click.echo("\nqc:")
        for sample, qc in bad:
            click.echo(f"  {sample}: {qc}")


def _batch_figures(result, figures: _Figures) -> None:
    rows = {int(row["line"]): row for row in _records(result.measurements)
            if row["line"] is not None}
    for line, res in result.results.items():
        row = rows.get(line)
        if row is None:
            continue
        draw = _draw(row["kind"], res.source or "", res)
        if draw is not None:
            figures.save(f"{row['sample_id']}_{Path(row['file']).stem}_"
                         f"{_FIGURE_SUFFIX[row['kind']]}", draw)
    for sample, fit in result.arrhenius.items():
        figures.save(f"{sample}_arrhenius", _draw("arrhenius", "", fit))
