"""How the native backend fills a batch: Kriging believer, Monte-Carlo fantasies (q-EI),
local penalization, against proposing one experiment at a time.

Regenerate ``benchmarks/results/batch.md`` with::

    python benchmarks/bench_batch.py              # 20 seeds per emulator (~12 min)
    python benchmarks/bench_batch.py --seeds 5    # a quick look

Every campaign follows the standard suite's rules (``ionopt benchmark --suite standard``:
same emulators, budgets, shared 8-run Sobol initial design, batches of 4, noise off,
target "within 2 % of the optimum"); only the native backend's ``batch`` option changes.
The sequential row (batches of 1) is the reference a batch strategy tries to approach:
it sees every result before choosing the next recipe.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "batch.md"
sys.path.insert(0, str(ROOT))

from ionopt.optimizer.simulate import Strategy, simulate  # noqa: E402
from ionopt.optimizer.simulate_suite import SUITES  # noqa: E402

VARIANTS = [  # (label, batch size, native options)
    ("believer (default)", 4, {}),
    ("fantasy, 16 worlds", 4, {"batch": "fantasy"}),
    ("local penalization", 4, {"batch": "penalize"}),
    ("sequential (batch of 1)", 1, {}),
]


def cell(e: np.ndarray, budget: int) -> str:
    done = np.isfinite(e)
    ranked = np.sort(np.where(done, e, np.inf))
    med = np.median(ranked) if len(ranked) % 2 else 0.5 * (
        ranked[len(ranked) // 2 - 1] + ranked[len(ranked) // 2])
    text = f"> {budget}" if not np.isfinite(med) else f"{med:g}"
    return f"{text} ({100 * done.mean():.0f}%)"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    suite = SUITES["standard"]
    t0 = time.time()
    lines = [f"| emulator | budget | {' | '.join(v[0] for v in VARIANTS)} |",
             "|---|---|" + "---|" * len(VARIANTS)]
    for case in suite.cases:
        cells = []
        for label, batch, opts in VARIANTS:
            r = simulate(case.emulator, Strategy("native", batch_size=batch,
                                                 n_initial=case.n_initial, options=opts),
                         budget=case.budget, seeds=args.seeds, n_jobs=2, target=case.target)
            cells.append(cell(r.experiments_to_target(), case.budget))
            print(f"{case.emulator:28s} {label:26s} {cells[-1]}", flush=True)
        lines.append(f"| {case.emulator} | {case.budget} | {' | '.join(cells)} |")
    minutes = (time.time() - t0) / 60
    text = f"""# Batch strategies of the native backend

Regenerate: `python benchmarks/bench_batch.py --seeds {args.seeds}` ({minutes:.1f} min on
{platform.machine()}, 2 cores). Same rules as the standard suite (RESULTS.md): shared
initial design, budgets, noise off, target within 2 % of the optimum; {args.seeds} seeds.

Cells: median experiments to target (share of seeds that reached it within the budget;
`> B`: at least half did not).

{chr(10).join(lines)}
"""
    RESULTS.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
