"""Real processes on SQLite and PostgreSQL: concurrent proposals and kill -9 mid-write.

Workers (campaign_worker.py) run the real CLI; a file trigger starts them at the same
moment, and ``--slow`` widens the write window so a kill lands inside a transaction.
"""

from __future__ import annotations

import json
import random
import time

import pytest

from campaign_helpers import (eis_copies, invariants, manifest, seed_csv, space_path,
                              start_worker, wait_for)
from ionopt.campaign import Campaign

pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(db, tmp_path) -> str:
    Campaign.create("cse", space_path(), db=db, seed_data=seed_csv(tmp_path)).close()
    return db


def test_two_processes_propose_at_the_same_moment(seeded, tmp_path):
    db = seeded
    go = tmp_path / "go"
    ready = [tmp_path / f"ready{k}" for k in range(2)]
    # The same seed for both: a process blind to the other's pending films would
    # propose exactly the same batch.
    procs = [start_worker("--ready", str(r), "--go", str(go), "--", "campaign", "propose",
                          "-n", "2", "--seed", "7", "--db", db, "--json") for r in ready]
    for r in ready:
        wait_for(r, procs=procs)
    go.touch()
    outs = [p.communicate(timeout=180) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    numbers = sorted(json.loads(out)["batch"] for out, _ in outs)
    assert numbers == [1, 2]
    with Campaign.open(db=db) as camp:
        batches = camp.batches()
        props = camp.proposals()
        frame = camp.to_frame().set_index("sample_id")
    assert len(props) == 4 and props["proposal_id"].is_unique
    assert batches["n_pending"].tolist() == [0, 2]
    first_ids = props.loc[props["batch"] == 1, "proposal_id"].tolist()
    assert batches["pending_proposal_ids"].tolist()[1] == first_ids
    # distinct batches although both used seed 7
    names = ["pvdf_hfp_content", "filler_to_salt"]
    b1 = frame.loc[["B001-01", "B001-02"], names].to_numpy()
    b2 = frame.loc[["B002-01", "B002-02"], names].to_numpy()
    assert not any((abs(r2 - r1) < 1e-9).all() for r1 in b1 for r2 in b2)
    invariants(db)


def _kill_inside(args: list[str], tmp_path, tag: str, rng: random.Random, *,
                 slow: float, guaranteed: bool) -> None:
    """Start a worker; kill -9 it mid-transaction (``guaranteed``) or at a random moment."""
    ready, inside = tmp_path / f"ready-{tag}", tmp_path / f"inside-{tag}"
    proc = start_worker("--ready", str(ready), "--inside", str(inside), "--slow", str(slow),
                        "--repeat", "50", "--", *args)
    wait_for(ready, procs=[proc])
    if guaranteed:
        wait_for(inside, procs=[proc])
        time.sleep(rng.uniform(0.0, slow * 0.8))
    else:
        time.sleep(rng.uniform(0.0, 1.5))
    assert proc.poll() is None, "the worker finished before it could be killed"
    proc.kill()  # SIGKILL
    proc.communicate(timeout=30)


def test_kill_9_during_propose_leaves_store_consistent(seeded, tmp_path):
    db = seeded
    rng = random.Random(5)
    args = ["campaign", "propose", "-n", "3", "--seed", "{i}", "--db", db]
    before = invariants(db)
    _kill_inside(args, tmp_path, "a", rng, slow=0.2, guaranteed=True)
    after_a = invariants(db)
    # killed inside the first transaction, after a recipe row was written: nothing kept
    assert after_a == before
    _kill_inside(args, tmp_path, "b", rng, slow=0.2, guaranteed=False)
    after_b = invariants(db)
    assert after_b["proposals"] == 3 * after_b["batches"]
    # re-runnable: the next propose completes and sees every surviving pending film
    with Campaign.open(db=db) as camp:
        batch = camp.propose(3, seed=11)
        assert batch.attrs["n_pending"] == after_b["proposals"]
    final = invariants(db)
    assert final["batches"] == after_b["batches"] + 1


def test_kill_9_during_add_raw_then_rerun_completes(seeded, tmp_path):
    db = seeded
    files = eis_copies(tmp_path / "raw", 5)
    man = manifest(tmp_path / "raw" / "manifest.csv", files,
                   ["CSE-40", "CSE-40", "CSE-30", "CSE-20", "SPE"])
    rng = random.Random(7)
    args = ["campaign", "add-raw", str(man), "--db", db]
    before = invariants(db)
    _kill_inside(args, tmp_path, "a", rng, slow=0.2, guaranteed=True)
    mid = invariants(db)
    # killed inside the first file's transaction, after its measurement row: nothing kept
    assert mid == before
    _kill_inside(args, tmp_path, "b", rng, slow=0.2, guaranteed=False)
    invariants(db)
    with Campaign.open(db=db) as camp:
        report = camp.add_raw(man)
        assert report.ok and len(report.added) + len(report.skipped) == 5
        meas = camp.measurements()
    raw = meas[meas["kind"] == "eis"]
    assert sorted(raw["file_path"]) == sorted(str(f.resolve()) for f in files)
    final = invariants(db)
    assert final["measurements"] == before["measurements"] + 5
    assert final["values"] == before["values"] + 5
