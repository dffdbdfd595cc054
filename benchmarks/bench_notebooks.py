"""Execution time of the tutorial notebooks from scratch (issue #7: each under 2 minutes).

Each notebook runs ``--repeats`` times in a fresh kernel (nbclient, kernel ``python3``),
outputs dropped first, in a temporary folder so nothing is written into the repository. We
report the median and range per notebook, and, as a same-process peer, the cost of starting
a kernel and running one empty cell.

Regenerate: ``python3 benchmarks/bench_notebooks.py`` -> ``benchmarks/results/notebooks.md``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_once(nb: nbformat.NotebookNode, folder: Path) -> float:
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "notebooks.md"))
    args = parser.parse_args()
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    times: dict[str, list[float]] = {name: [] for name in ["(empty notebook: kernel start)", *names]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for _ in range(args.repeats):
            times["(empty notebook: kernel start)"].append(
                run_once(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")]),
                         folder))
            for name in names:
                shutil.copy(NOTEBOOKS / name, folder / name)
                times[name].append(run_once(nbformat.read(folder / name, as_version=4), folder))
    floor = statistics.median(times["(empty notebook: kernel start)"])
    lines = ["# Notebook execution time", "",
             f"Regenerate: `python3 benchmarks/bench_notebooks.py --repeats {args.repeats}`", "",
             f"Machine: {platform.machine()}, Python {platform.python_version()}; each notebook "
             f"executed from scratch {args.repeats} times in a fresh kernel.", "",
             "| notebook | median, s | min–max, s | ratio to kernel start |", "|---|---|---|---|"]
    for name, t in times.items():
        lines.append(f"| {name} | {statistics.median(t):.1f} | {min(t):.1f}–{max(t):.1f} "
                     f"| {statistics.median(t) / floor:.1f} |")
    lines += ["", "Issue #7 asks for each notebook in under 2 minutes.", ""]
    Path(args.out).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
