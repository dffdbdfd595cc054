"""Helpers shared by the campaign tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
WORKER = HERE / "campaign_worker.py"
EXAMPLES = Path(__file__).resolve().parents[2] / "ionopt" / "datasets" / "data" / "examples"


def space_path() -> Path:
    from ionopt.optimizer.space import example_space_path

    return example_space_path()


def seed_csv(folder: Path) -> Path:
    """The paper's seed data as a CSV in ``folder``."""
    from ionopt.datasets import load_seed_dataset

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seed.csv"
    load_seed_dataset().to_csv(path, index=False)
    return path


def make_results(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def fake_proposer(calls: list | None = None, *, fail: bool = False):
    """A stand-in for ionopt.optimizer.propose: space samples + grams + fake predictions;
    records (data, pending) of each call in ``calls``."""
    from ionopt.optimizer.proposals import add_grams

    def propose(space, data, n=4, *, pending=None, candidates=None, backend="native",
                seed=None, batch_g=2.0):
        if calls is not None:
            calls.append({"data": data.copy(), "pending": None if pending is None
                          else pending.copy(), "seed": seed})
        if fail:
            raise RuntimeError("optimizer blew up")
        offset = 0 if pending is None else len(pending)
        rows = space.sample(n + offset, seed=seed or 0).iloc[offset:].reset_index(drop=True)
        out = add_grams(rows, batch_g)
        for t in space.objectives.targets:
            out[f"{t}_pred"] = np.linspace(1, 2, len(out))
            out[f"{t}_std"] = 0.1
        out["acquisition"] = np.arange(len(out), 0, -1, dtype=float)
        out["reason"] = "fake"
        out.attrs["surrogate_fingerprint"] = f"fake-{len(data)}-{offset}"
        return out

    return propose


def eis_copies(folder: Path, n: int) -> list[Path]:
    """``n`` EIS files with distinct contents (the CSE-40 example plus trailing blank
    lines), so each has its own sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    text = (EXAMPLES / "eis_cse40_25c.txt").read_bytes()
    paths = []
    for i in range(n):
        path = folder / f"eis_{i:02d}.txt"
        path.write_bytes(text + b"\n" * (i + 1))
        paths.append(path)
    return paths


def manifest(path: Path, files: list[Path], sample_ids: list[str]) -> Path:
    pd.DataFrame({"sample_id": sample_ids, "kind": "eis",
                  "file": [f.name for f in files], "thickness_um": 200.0,
                  "diameter_mm": 10.0, "temperature_c": 25.0}).to_csv(path, index=False)
    return path


def invariants(db: str) -> dict:
    """Check the store's invariants with plain SQL; returns counts. Raises AssertionError."""
    from sqlalchemy import create_engine, text

    from ionopt.campaign.store import to_url

    engine = create_engine(to_url(db))
    try:
        with engine.connect() as conn:
            q = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").first() is None
            # every proposal has its batch and its recipe
            assert q("SELECT count(*) FROM proposal p LEFT JOIN batch b ON b.id = p.batch_id "
                     "WHERE b.id IS NULL") == 0
            assert q("SELECT count(*) FROM proposal p LEFT JOIN recipe r "
                     "ON r.id = p.recipe_id WHERE r.id IS NULL") == 0
            # every proposed recipe has its proposal; every batch has all its proposals
            assert q("SELECT count(*) FROM recipe r LEFT JOIN proposal p ON p.recipe_id = r.id "
                     "WHERE r.origin = 'proposal' AND p.id IS NULL") == 0
            assert q("SELECT count(*) FROM batch b WHERE (SELECT count(*) FROM proposal p "
                     "WHERE p.batch_id = b.id) <> b.n_requested") == 0
            assert q("SELECT count(*) FROM batch b WHERE (SELECT max(rank) FROM proposal p "
                     "WHERE p.batch_id = b.id) <> b.n_requested") == 0
            # every measurement has its target values
            assert q("SELECT count(*) FROM measurement m WHERE NOT EXISTS (SELECT 1 FROM "
                     "target_value v WHERE v.measurement_id = m.id)") == 0
            # hashes unique; measured proposals are 'measured'
            assert q("SELECT count(*) FROM (SELECT content_sha256 FROM measurement GROUP BY "
                     "campaign_id, content_sha256 HAVING count(*) > 1) d") == 0
            assert q("SELECT count(*) FROM proposal p WHERE p.status <> 'measured' AND EXISTS "
                     "(SELECT 1 FROM measurement m WHERE m.recipe_id = p.recipe_id)") == 0
            # batch numbers unique and contiguous
            numbers = [r[0] for r in conn.execute(text("SELECT number FROM batch ORDER BY number"))]
            assert numbers == list(range(1, len(numbers) + 1)), numbers
            return {"batches": len(numbers), "proposals": q("SELECT count(*) FROM proposal"),
                    "measurements": q("SELECT count(*) FROM measurement"),
                    "values": q("SELECT count(*) FROM target_value"),
                    "recipes": q("SELECT count(*) FROM recipe")}
    finally:
        engine.dispose()


def start_worker(*args: str, env: dict | None = None) -> subprocess.Popen:
    """``python campaign_worker.py ARGS`` with stdout/stderr piped."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen([sys.executable, str(WORKER), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=full_env)


def wait_for(path: Path, timeout_s: float = 60.0, procs: list | None = None) -> None:
    """Wait until ``path`` exists (a worker's 'ready' flag)."""
    end = time.monotonic() + timeout_s
    while not path.exists():
        for p in procs or []:
            if p.poll() is not None:
                out, err = p.communicate()
                raise AssertionError(f"worker exited early ({p.returncode}):\n{out}\n{err}")
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.01)


BV_FILES = ("bv_chrono_cse40.txt", "bv_eis_before_cse40.txt", "bv_eis_after_cse40.txt")


def bv_set(folder: Path, copy: int = 0) -> dict[str, Path]:
    """The example Bruce-Vincent set (i-t, EIS before, EIS after of Li | CSE-40 | Li) in
    ``folder`` as ``chrono``, ``before``, ``after``; ``copy`` > 0 appends that many blank
    lines, so each copy has its own sha256 (the numbers are the same)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, name in zip(("chrono", "before", "after"), BV_FILES):
        path = folder / (name if copy == 0 else name.replace(".txt", f"_{copy}.txt"))
        path.write_bytes((EXAMPLES / name).read_bytes() + b"\n" * copy)
        out[key] = path
    return out


def chrono_without_potential(path: Path) -> Path:
    """The example i-t record as a bare ``Time/sec,Current/A`` table: no header states the
    applied potential, so ``delta_v`` must come from the manifest."""
    lines = (EXAMPLES / BV_FILES[0]).read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Time/sec"))
    rows = [ln.replace(" ", "") for ln in lines[start + 1:] if ln.strip()]
    path.write_text("Time/sec,Current/A\n" + "\n".join(rows) + "\n")
    return path


def symmetric_csv(path: Path, *, short_at_half: int | None = None, n_half: int = 100,
                  half_h: float = 1.0, eta_mv: float = 50.0, points: int = 20,
                  cycler: bool = True) -> Path:
    """A Li | film | Li square-wave record as in tests/analysis/test_symmetric.py: half-cycles
    of ``half_h`` h at ±``eta_mv`` mV (rising 10 % within each), ±0.1 mA; from half-cycle
    ``short_at_half`` on the voltage collapses to ~1 mV (a short at ``short_at_half * half_h``
    h). ``cycler``: an Arbin export; else a ``Time/sec,Potential/V,Current/A`` table."""
    rows = []
    for h in range(n_half):
        sign = 1 if h % 2 == 0 else -1
        eta = 1.0 if short_at_half is not None and h >= short_at_half else eta_mv
        for k in range(points):
            t = (h + k / points) * half_h * 3600
            v = sign * eta / 1000.0 * (0.9 + 0.1 * k / (points - 1))
            rows.append((t, v, sign * 1e-4, h))
    if cycler:
        text_ = ["Data_Point,Test_Time(s),Step_Index,Cycle_Index,Current(A),Voltage(V),"
                 "Charge_Capacity(Ah),Discharge_Capacity(Ah)"]
        text_ += [f"{n},{t:.1f},{h % 2 + 1},{h // 2 + 1},{i:.6g},{v:.6g},0,0"
                  for n, (t, v, i, h) in enumerate(rows, start=1)]
    else:
        text_ = ["Time/sec,Potential/V,Current/A"]
        text_ += [f"{t:.1f},{v:.6g},{i:.6g}" for t, v, i, _ in rows]
    path.write_text("\n".join(text_) + "\n")
    return path
