"""``ionopt benchmark``: simulate campaigns on emulators and regenerate RESULTS.md."""

from __future__ import annotations

import importlib.util
import shlex
import sys
import time
from pathlib import Path

import click

from ionopt.cli._common import BadInput, OutPath, check_writable, echo_json, warn


def _speed_module():
    """``benchmarks/suite_speed.py`` of the checkout ionopt runs from, or None."""
    import ionopt

    path = Path(ionopt.__file__).resolve().parents[1] / "benchmarks" / "suite_speed.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("_ionopt_suite_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


class _Bar:
    """A tqdm bar on stderr driven by the library's ``progress(done, total)`` hook."""

    def __init__(self, desc: str) -> None:
        self.desc = desc
        self.bar = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, disable=None, unit="campaign",
                            desc=self.desc, leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _command_line(suite_name: str) -> str:
    """The command that regenerates the report, as typed (``--cache`` left out: it only
    saves time, never changes a number)."""
    if len(sys.argv) > 1 and sys.argv[1] == "benchmark":
        args, skip = [], False
        for a in sys.argv[2:]:
            if skip:
                skip = False
                continue
            if a == "--reuse-stale-cache":
                continue
            if a == "--cache":
                skip = True
                continue
            if a.startswith("--cache="):
                continue
            args.append(a)
    else:
        args = ["--suite", suite_name]
    return " ".join(shlex.quote(a) for a in ["ionopt", "benchmark", *args])


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    return items or None


@click.command("benchmark")
@click.option("--suite", "suite_name", type=click.Choice(["standard", "noisy", "quick"]),
              default="standard", show_default=True,
              help="standard: every emulator x every strategy, 20 seeds (about an hour on "
                   "2 cores); noisy: the same with the emulators' measurement noise on; "
                   "quick: a smoke test (< 3 min).")
@click.option("--quick", is_flag=True, help="Same as --suite quick.")
@click.option("--out", "out_path", type=OutPath(), default="benchmarks/RESULTS.md",
              show_default=True, help="Markdown report to write (atomically).")
@click.option("--figures", "figures_dir", type=OutPath(folder=True),
              help="Folder of the convergence figures [default: figures/ beside --out].")
@click.option("--seeds", type=click.IntRange(min=1), help="Seeds per strategy (overrides "
              "the suite's 20 / 2).")
@click.option("--n-jobs", type=click.IntRange(min=1), default=2, show_default=True,
              help="Parallel worker processes (each single-threaded BLAS).")
@click.option("--backends", help="Comma-separated subset of: native, optuna-tpe, "
              "optuna-gp, skopt, random, sobol.")
@click.option("--emulators", help="Comma-separated subset of the suite's emulators.")
@click.option("--cache", "cache_dir", type=OutPath(folder=True),
              help="Keep finished campaigns here and reuse them (resume a long run).")
@click.option("--reuse-stale-cache", is_flag=True,
              help="Reuse cached campaigns even if ionopt's code changed since (the report "
                   "says so).")
@click.option("--speed/--no-speed", default=True, show_default=True,
              help="Run the speed suite (latency, scoring throughput, start-up).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the per-strategy summaries as JSON on stdout.")
def benchmark(suite_name, quick, out_path, figures_dir, seeds, n_jobs, backends, emulators,
              cache_dir, reuse_stale_cache, speed, as_json):
    """Simulate campaigns on the emulated labs (every strategy from the same initial
    design, same budget) and write RESULTS.md: experiments to come within 2 % of the
    optimum (medians, IQRs), ratios native / peers, convergence figures, speed suite.

    Example: ionopt benchmark --suite quick --out /tmp/RESULTS.md
    """
    from ionopt.errors import IonoptError
    from ionopt.optimizer.simulate_report import headline, write_results
    from ionopt.optimizer.simulate_suite import get_suite, run_suite

    if quick:
        suite_name = "quick"
    if figures_dir is None:  # write_results draws them into figures/ beside --out
        check_writable(Path(out_path).parent / "figures", folder=True)
    start = time.perf_counter()
    suite = get_suite(suite_name)
    bar = _Bar(f"{suite_name} suite")
    try:
        result = run_suite(suite, seeds=seeds, backends=_split(backends),
                           emulators=_split(emulators), n_jobs=n_jobs, cache=cache_dir,
                           progress=bar, reuse_stale=reuse_stale_cache)
    except IonoptError as err:
        raise BadInput(str(err)) from None
    finally:
        bar.close()
    for backend, why in result.skipped.items():
        warn(f"strategy {backend} skipped: {why}")

    speed_result = None
    if speed:
        module = _speed_module()
        if module is None:
            warn("benchmarks/suite_speed.py not found beside the package (not a checkout); "
                 "speed suite skipped")
        else:
            settings = dict(suite.speed)

            def step(name: str) -> None:
                click.echo(f"speed suite: {name} ...", err=True)

            speed_result = module.run_speed(**settings, progress=step)

    command = _command_line(suite_name)
    path = write_results(result, out_path, speed=speed_result, command=command,
                         figures_dir=figures_dir, elapsed_s=time.perf_counter() - start)
    click.echo(f"wrote {path}", err=True)

    summaries = {emu: {name: res.summary() for name, res in per.items()}
                 for emu, per in result.results.items()}
    if as_json:
        echo_json({"suite": suite_name, "results": summaries,
                   "skipped": result.skipped, "speed": speed_result})
        return
    for emu, per in result.results.items():
        budget = next(iter(per.values())).budget
        h = headline(per, budget)
        med = ", ".join(f"{k} {('> ' + str(budget)) if v == float('inf') else f'{v:g}'}"
                        for k, v in h["medians"].items())
        line = f"{emu}: median experiments to target: {med}"
        if "vs_best" in h:
            line += f"; native / {h['best_peer']} = {h['vs_best'][0]}"
        if "vs_random" in h:
            line += f"; native / random = {h['vs_random'][0]}"
        click.echo(line)
