"""The tutorial notebooks run from scratch on the bundled data and still say what they say.

Each notebook is copied to a temporary folder and executed there with nbclient (so nothing
is written into the repository), with a kernel that runs *this* interpreter: a kernel spec
named ``python3`` pointing at ``sys.executable`` is written into a temporary Jupyter data
folder and put first on ``JUPYTER_PATH``, so a ``python3`` kernel spec installed elsewhere
(another Python on the PATH) cannot be picked up instead. A final cell appended to the
executed notebook prints the values the assertions check.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import nbclient  # from the test extra (nbmake, ipykernel): missing means a failure, not a skip
import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CELL_TIMEOUT_S = 300
MARK = "__IONOPT_NOTEBOOK_CHECK__"

#: notebook -> code printing a JSON dict of the values checked below (runs after the last cell).
CHECKS = {
    "01_analyze_raw_measurements.ipynb": """
_t = targets.set_index("sample_id")
print(MARK + json.dumps({
    "cse40_sigma": float(_t.at["CSE-40", "conductivity_s_cm"]),
    "cse70_sigma": float(_t.at["CSE-70", "conductivity_s_cm"]),
    "cse70_ea": float(_t.at["CSE-70", "activation_energy_ev"]),
    "window": float(_t.at["CSE-40", "stability_window_v"]),
    "t_plus": float(_t.at["CSE-40", "transference_number"]),
    "tensile": float(_t.at["CSE-40", "tensile_strength_mpa"]),
    "errors": list(batch.errors),
    "truth": EXAMPLE_TRUTH,
}))
""",
    "02_fit_surrogates.ipynb": """
_r = pd.DataFrame(report)  # ValidationReport is a DataFrame
_c = curve
print(MARK + json.dumps({
    "targets": sorted(sur.targets),
    "report_targets": sorted(set(_r["target"])),
    "band_ok": bool(((_c["conductivity_s_cm_lower"] <= _c["conductivity_s_cm_pred"])
                     & (_c["conductivity_s_cm_pred"] <= _c["conductivity_s_cm_upper"])).all()),
    "cse40_pred": float(table.loc["CSE-40 again", "σ pred / mS cm⁻¹"]),
    "cse40_low": float(table.loc["CSE-40 again", "σ 95 % low"]),
    "cse40_high": float(table.loc["CSE-40 again", "σ 95 % high"]),
    "width_at_cse40": float(table.loc["CSE-40 again", "σ 95 % high"] / table.loc["CSE-40 again", "σ 95 % low"]),
    "width_at_ratio_1_5": float(table.loc["CSE-40, filler:salt 1.5", "σ 95 % high"]
                                / table.loc["CSE-40, filler:salt 1.5", "σ 95 % low"]),
}))
""",
    "03_propose_next_experiments.ipynb": """
_p = proposals
print(MARK + json.dumps({
    "n": len(_p),
    "grams": (_p["filler_g"] + _p["litfsi_g"] + _p["pvdf_hfp_g"]).tolist(),
    "content_from_grams": (_p["pvdf_hfp_g"] / (_p["filler_g"] + _p["litfsi_g"])).tolist(),
    "content": _p["pvdf_hfp_content"].tolist(),
    "in_space": [bool(v) for v in space.is_feasible(_p[space.names])],
    "reasons": _p["reason"].tolist(),
    "scored_in_space": scored["in_space"].astype(bool).tolist(),
    "scored_rank": [None if pd.isna(v) else int(v) for v in scored["rank"]],
    "traces_shape": {k: list(r.traces().shape) for k, r in runs.items()},
    "traces_monotone": all(bool((np.diff(np.nan_to_num(r.traces(), nan=-99.0), axis=1) >= -1e-12).all())
                           for r in runs.values()),
    "optimum_sigma": float(best.targets["conductivity_s_cm"]),
}))
""",
}


@pytest.fixture(scope="module")
def jupyter_data(tmp_path_factory) -> str:
    """A ``python3`` kernel spec running this interpreter, first on JUPYTER_PATH."""
    data = tmp_path_factory.mktemp("jupyter-data")
    spec = data / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ionopt tests)", "language": "python"}), encoding="utf-8")
    return str(data)


def _run(name: str, tmp_path: Path, jupyter_data: str, monkeypatch) -> tuple[dict, float]:
    monkeypatch.setenv("JUPYTER_PATH", jupyter_data)
    work = tmp_path / "notebooks"
    work.mkdir()
    path = work / name
    shutil.copy(NOTEBOOKS / name, path)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # from scratch: drop the stored outputs
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    check = "import json\nMARK = " + repr(MARK) + "\n" + CHECKS[name]
    nb.cells.append(nbformat.v4.new_code_cell(check))
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith(MARK))
    return json.loads(line[len(MARK):])


def _images(name: str) -> int:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))


@pytest.mark.slow
def test_01_analyze_raw_measurements(tmp_path, jupyter_data, monkeypatch):
    values = _run("01_analyze_raw_measurements.ipynb", tmp_path, jupyter_data, monkeypatch)
    truth = values["truth"]
    assert values["errors"] == []
    for key, true in (("cse40_sigma", truth["eis_cse40_25c.txt"]["conductivity_s_cm"]),
                      ("cse70_sigma", truth["eis_cse70_25c.txt"]["conductivity_s_cm"]),
                      ("cse70_ea", truth["arrhenius"]["activation_energy_ev"]),
                      ("tensile", truth["tensile_cse40.csv"]["tensile_strength_mpa"]),
                      ("t_plus", truth["bv_chrono_cse40.txt"]["transference_number"])):
        assert values[key] == pytest.approx(true, rel=0.03), key
    assert values["window"] == pytest.approx(truth["lsv_cse40.txt"]["stability_window_v"], abs=0.05)


@pytest.mark.slow
def test_02_fit_surrogates(tmp_path, jupyter_data, monkeypatch):
    values = _run("02_fit_surrogates.ipynb", tmp_path, jupyter_data, monkeypatch)
    wanted = ["conductivity_s_cm", "stability_window_v", "tensile_strength_mpa"]
    assert values["targets"] == wanted
    assert values["report_targets"] == wanted
    assert values["band_ok"]
    # The measured CSE-40 (1.936 mS/cm) lies inside the 95 % interval of a new CSE-40 film...
    assert values["cse40_low"] < 1.936 < values["cse40_high"]
    # ...and the model is far less sure at a filler:salt ratio the paper never made.
    assert values["width_at_ratio_1_5"] > 1.5 * values["width_at_cse40"]


@pytest.mark.slow
def test_03_propose_next_experiments(tmp_path, jupyter_data, monkeypatch):
    values = _run("03_propose_next_experiments.ipynb", tmp_path, jupyter_data, monkeypatch)
    assert values["n"] == 4
    assert values["grams"] == pytest.approx([2.0] * 4)
    assert values["content_from_grams"] == pytest.approx(values["content"])
    assert all(values["in_space"])
    assert all(r.split(":")[0] in ("exploit", "explore", "feasibility", "initial design")
               for r in values["reasons"])
    # The two deliberately out-of-space candidates are flagged and unranked; the rest ranked 1..5.
    assert values["scored_in_space"] == [True] * 5 + [False, False]
    assert values["scored_rank"][5:] == [None, None]
    assert sorted(values["scored_rank"][:5]) == [1, 2, 3, 4, 5]
    assert values["traces_shape"] == {"native": [3, 15], "random": [3, 15]}
    assert values["traces_monotone"]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_committed_notebooks_keep_their_outputs(name):
    """Outputs stay in the committed notebooks (they read on GitHub), figures as PNG, < 1.5 MB."""
    path = NOTEBOOKS / name
    assert path.stat().st_size < 1_500_000
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "notebook committed unexecuted"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert _images(name) >= 2
