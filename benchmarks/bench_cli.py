"""Start-up cost of ``import ionopt`` and ``ionopt --help``, and the demo's wall time
(issues #2 and #6 speed suite).

Each command runs in a fresh interpreter ``--repeats`` times (interleaved, so machine noise
hits all alike); we report medians and ratios against peers timed in the same run: the bare
interpreter (the floor) and ``import optuna`` / ``import sklearn`` (what an eager import of
the optimizer stack would cost).

Regenerate: ``python3 benchmarks/bench_cli.py`` -> ``benchmarks/results/cli.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = {
    "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
    "import ionopt": [sys.executable, "-c", "import ionopt"],
    "ionopt --help": [sys.executable, "-m", "ionopt", "--help"],
    "ionopt demo --help": [sys.executable, "-m", "ionopt", "demo", "--help"],
    "peer: import optuna": [sys.executable, "-c", "import optuna"],
    "peer: import sklearn": [sys.executable, "-c", "import sklearn"],
}
#: The main job end to end (issue #2 asks for under 30 s), timed beside the start-up cases.
DEMO = [sys.executable, "-m", "ionopt", "demo", "--out",
        os.path.join(tempfile.gettempdir(), "ionopt-bench-demo")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "cli.md"))
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for name, cmd in CASES.items():  # warm the file cache once
        subprocess.run(cmd, capture_output=True, check=True)
    demo: list[float] = []
    for _ in range(args.repeats):
        for name, cmd in CASES.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            times[name].append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run(DEMO, capture_output=True, check=True)
        demo.append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    help_ms = med["ionopt --help"] * 1e3
    lines = [
        "# Start-up time", "",
        f"Regenerate: `python3 benchmarks/bench_cli.py --repeats {args.repeats}`", "",
        f"Machine: {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()}; {args.repeats} interleaved "
        "repeats, fresh interpreter each.", "",
        "| command | median, ms | IQR, ms | ratio to `ionopt --help` |", "|---|---|---|---|",
    ]
    for name, t in times.items():
        q = statistics.quantiles(t, n=4)
        lines.append(f"| {name} | {med[name] * 1e3:.0f} | {q[0] * 1e3:.0f}–{q[2] * 1e3:.0f} "
                     f"| {med[name] * 1e3 / help_ms:.2f} |")
    lines += ["", f"`ionopt --help` costs {help_ms - med['python -c pass (interpreter floor)'] * 1e3:.0f} ms "
              "above the bare interpreter; `import optuna` is "
              f"{med['peer: import optuna'] / med['ionopt --help']:.1f}x slower than `ionopt --help`.", "",
              "## The main job", "",
              f"`ionopt demo` end to end (load the seed data, fit, propose 4, write the figure): "
              f"median {statistics.median(demo):.1f} s over {len(demo)} runs "
              f"(range {min(demo):.1f}–{max(demo):.1f} s), "
              f"{statistics.median(demo) / med['ionopt --help']:.0f}x `ionopt --help`; "
              "issue #2 asks for under 30 s.", ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
