"""A separate process for the concurrency and crash tests.

    python campaign_worker.py [--ready FILE] [--go FILE] [--slow S] [--repeat K] -- ARGS...

Imports everything first, touches ``--ready``, waits for ``--go`` to exist (so several
workers start at the same moment), then runs ``ionopt ARGS`` (the real CLI) ``K`` times
and exits with the last exit code. ``--slow S`` sleeps S seconds after each row written
inside a transaction (recipes, measurements), widening the window in which a kill -9
lands mid-transaction; ``--inside FILE`` is touched just before each such sleep (the
transaction is then open with uncommitted rows); nothing else changes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ready")
    parser.add_argument("--go")
    parser.add_argument("--slow", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--inside")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    opts = parser.parse_args()
    args = opts.args[1:] if opts.args[:1] == ["--"] else opts.args

    import ionopt.campaign.campaign as cc
    import ionopt.optimizer.proposals  # noqa: F401  (import cost before the start signal)
    import ionopt.surrogates  # noqa: F401
    from ionopt.cli import cli
    from ionopt.cli._common import run

    if opts.slow > 0:
        for name in ("_insert_recipe", "_insert_measurement"):
            original = getattr(cc.Campaign, name)

            def slowed(self, *a, _original=original, **kw):
                out = _original(self, *a, **kw)
                if opts.inside:  # a row is written, the transaction not yet committed
                    Path(opts.inside).touch()
                time.sleep(opts.slow)
                return out

            setattr(cc.Campaign, name, slowed)
    if opts.ready:
        Path(opts.ready).touch()
    if opts.go:
        while not Path(opts.go).exists():
            time.sleep(0.002)
    code = 0
    for i in range(opts.repeat):
        argv = [a.replace("{i}", str(i)) for a in args]
        code = run(cli, argv)
        sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
