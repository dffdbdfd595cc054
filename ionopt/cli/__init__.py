"""The ``ionopt`` command line: a thin layer that parses, calls the library and prints.

Each command lives in its own module (``ionopt/cli/<name>.py``) and is imported only when
it runs, so ``ionopt --help`` starts without numpy, pandas or scikit-learn. The one-line
help shown by ``ionopt --help`` is kept here for the same reason.

Conventions (see CLI.md): results on stdout, progress/warnings/errors on stderr; exit 0 on
success, 2 on bad input (one readable line, no traceback), anything else is a bug.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from ionopt._version import __version__

#: command name -> (module under ionopt.cli, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("demo", "demo", "Run the main job on the bundled seed data: fit, propose 4 recipes, plot."),
    "analyze": ("analyze", "analyze", "Turn raw instrument files into targets (EIS, LSV, ...)."),
    "fit": ("fit", "fit", "Fit surrogate models on a targets table and print the validation report."),
    "propose": ("propose", "propose", "Propose the next recipes to make, in grams."),
    "score": ("score", "score", "Score candidate recipes: predictions, feasibility, acquisition, rank."),
    "campaign": ("campaign", "campaign", "A persistent campaign in SQLite or PostgreSQL."),
    "benchmark": ("benchmark", "benchmark", "Simulate campaigns on emulators and regenerate benchmarks/RESULTS.md."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [name for name in COMMANDS if _available(name)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or not _available(name):
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"ionopt.cli.{module}"), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Short help from the table above: listing commands must not import them.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(name: str) -> bool:
    """A command is listed once its module exists (commands land issue by issue)."""
    return importlib.util.find_spec(f"ionopt.cli.{COMMANDS[name][0]}") is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="ionopt")
def cli() -> None:
    """ionopt: formulation optimization for solid-state battery electrolytes.

    Raw measurements -> targets -> surrogates -> proposals of the next recipes to make.
    """


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI, turning user errors into exit code 2."""
    from ionopt.cli._common import run

    sys.exit(run(cli, argv))
