"""``ionopt benchmark``: the quick suite runs and writes a well-formed RESULTS.md.

Structure only -- never timings (speed claims come from the benchmark itself).
"""

from __future__ import annotations

import json
import re

from ionopt.cli import cli
from ionopt.cli._common import run


def test_quick_suite_writes_a_well_formed_report(tmp_path, capsys):
    out = tmp_path / "bench" / "RESULTS.md"
    code = run(cli, ["benchmark", "--suite", "quick", "--seeds", "1", "--no-speed",
                     "--out", str(out), "--emulators", "branin_mixture", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    payload = json.loads(captured.out)
    strategies = set(payload["results"]["branin_mixture"]) | set(payload["skipped"])
    assert strategies == {"native", "optuna-tpe", "optuna-gp", "skopt", "random", "sobol"}
    text = out.read_text(encoding="utf-8")
    for heading in ("# ionopt benchmarks", "## Experiments to target: medians over seeds",
                    "## Native against the peers", "## Per emulator", "### branin_mixture",
                    "## Speed suite", "## Closing note: headline ratios"):
        assert heading in text, heading
    assert "Regenerate: `" in text
    # Every markdown table row of a table has the same number of cells as its header.
    table: list[str] = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {row.count("|") for row in table}
            assert len(widths) == 1, table
            assert re.fullmatch(r"\|(---\|)+", table[1]), table[1]
            table = []
    figure = out.parent / "figures" / "convergence_branin_mixture.png"
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "](figures/convergence_branin_mixture.png)" in text
    assert not list(out.parent.glob(".*.tmp"))  # written atomically, nothing left over


def test_unknown_emulator_is_bad_input(tmp_path, capsys):
    out = tmp_path / "RESULTS.md"
    code = run(cli, ["benchmark", "--quick", "--emulators", "nope", "--no-speed",
                     "--out", str(out)])
    assert code == 2
    assert "nope" in capsys.readouterr().err
    assert not out.exists()
