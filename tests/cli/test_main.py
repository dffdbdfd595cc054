"""The command line's shared behaviour: help, version, exit codes, start-up cost."""

import subprocess
import sys

from ionopt import __version__


def ionopt(*args, **kw):
    return subprocess.run([sys.executable, "-m", "ionopt", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_help_lists_commands():
    proc = ionopt("--help")
    assert proc.returncode == 0
    assert "demo" in proc.stdout and "Commands" in proc.stdout


def test_version():
    proc = ionopt("--version")
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_unknown_command_and_bad_flag_exit_2_without_traceback():
    for args in (["no-such-command"], ["demo", "--no-such-flag"], ["demo", "-n", "zero"]):
        proc = ionopt(*args)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr and proc.stderr.strip()


def test_help_imports_no_heavy_library():
    code = ("import sys, runpy; sys.argv=['ionopt','--help']\n"
            "try:\n    runpy.run_module('ionopt', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy=[m for m in ('numpy','pandas','scipy','sklearn','matplotlib','optuna','torch') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_import_ionopt_is_light():
    code = "import sys, ionopt; print([m for m in ('numpy','pandas','sklearn','scipy') if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_every_command_help_is_light():
    # CLI.md: `ionopt <cmd> --help` imports no heavy library, for every command that exists.
    from ionopt.cli import COMMANDS, _available

    for name in [n for n in COMMANDS if _available(n)]:
        code = ("import sys\nfrom ionopt.cli import main\n"
                f"try:\n    main([{name!r}, '--help'])\nexcept SystemExit as e:\n    code = e.code\n"
                "heavy=[m for m in ('pandas','scipy','sklearn','matplotlib','optuna','torch','sqlalchemy') if m in sys.modules]\n"
                "print('HEAVY', heavy, 'EXIT', code)")
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        assert "HEAVY [] EXIT 0" in proc.stdout, (name, proc.stdout, proc.stderr)


def test_ctx_exit_code_is_kept():
    # A command that calls ctx.exit(2) must exit 2 through the console entry point.
    import click

    from ionopt.cli._common import run

    @click.command()
    @click.pass_context
    def bad(ctx):
        ctx.exit(2)

    @click.command()
    def good():
        return "a value, not an exit code"

    assert run(bad, []) == 2
    assert run(good, []) == 0


def test_top_level_names_resolve():
    import ionopt

    for name in ionopt.__all__:
        assert getattr(ionopt, name) is not None, name
