"""Helpers every command shares: error handling, checked paths, atomic writes, JSON output."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click

from ionopt._files import atomic_path, read_text, why_unwritable  # noqa: F401 (re-export)
from ionopt.errors import IonoptError

EXIT_OK = 0
EXIT_BAD_INPUT = 2


class BadInput(click.ClickException):
    """Raised by commands to exit 2 with a readable message (no traceback)."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class OutPath(click.Path):
    """A file (``folder=True``: a folder) the command writes, checked when the command line
    is parsed, before any work: if it cannot be written, exit 2 with
    ``<path>: cannot write (<reason>)``. Missing parent folders are created when written."""

    def __init__(self, *, folder: bool = False) -> None:
        super().__init__(file_okay=not folder, dir_okay=folder)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        check_writable(value, folder=not self.file_okay)
        return super().convert(value, param, ctx)


def check_writable(path: Any, *, folder: bool = False) -> None:
    """Exit 2 with ``<path>: cannot write (<reason>)`` unless ``path`` can be written."""
    problem = why_unwritable(path, folder=folder)
    if problem:
        raise BadInput(f"{path}: cannot write ({problem})")


class TextPath(click.Path):
    """A UTF-8 text file the command reads (a CSV table): a directory, or a binary or
    non-UTF-8 file, is bad input (exit 2, ``<path>: not a text file (line N: ...)``). A
    missing file is left to the reader, whose message says what it expected."""

    def __init__(self) -> None:
        super().__init__(dir_okay=False)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        path = super().convert(value, param, ctx)
        try:
            read_text(path)
        except FileNotFoundError:
            pass
        except ValueError as err:
            raise BadInput(f"{path}: {err}") from None
        except OSError as err:
            raise BadInput(f"{path}: cannot read ({err.strerror})") from None
        return path


def run(command: click.Command, argv: list[str] | None = None) -> int:
    """Invoke ``command``; user errors -> one line on stderr and exit code 2."""
    try:
        # Without standalone mode, click returns the code of ctx.exit(n) instead of raising.
        code = command.main(args=argv, prog_name="ionopt", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.exceptions.Exit as stop:
        return stop.exit_code
    except click.ClickException as err:  # usage errors (bad flags) are bad input too
        err.show()
        return EXIT_BAD_INPUT
    except IonoptError as err:
        click.echo(f"error: {err}", err=True)
        return EXIT_BAD_INPUT
    except FileNotFoundError as err:
        click.echo(f"error: {err.filename or err}: no such file", err=True)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return code if isinstance(code, int) else EXIT_OK


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def echo_json(payload: Any) -> None:
    """Print ``payload`` as JSON on stdout (NaN/inf become null, numpy scalars plain)."""
    click.echo(json.dumps(_jsonable(payload), indent=2))


def warn(message: str) -> None:
    """A warning for people, on stderr."""
    click.echo(f"warning: {message}", err=True)


def emit_warnings(caught) -> None:
    """Print caught Python warnings on stderr, each once."""
    seen = set()
    for item in caught:
        text = str(item.message)
        if text not in seen:
            seen.add(text)
            warn(text)
