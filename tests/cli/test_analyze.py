"""``ionopt analyze``: per-file commands, batch, JSON on stdout, exit codes, atomic files."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run
from ionopt.datasets import example_files

FILES = example_files()
E = {k: str(v) for k, v in FILES.items()}
GEOMETRY = ["--thickness-um", "200", "--diameter-mm", "10"]


def ionopt(*args, **kw):
    return subprocess.run([sys.executable, "-m", "ionopt", *args], capture_output=True,
                          text=True, timeout=120, **kw)


def test_help_imports_no_heavy_library():
    # one interpreter for the three (the checks are cumulative, so each one holds)
    code = ("import sys\nfrom ionopt.cli import main\ncodes = []\n"
            "for args in (['analyze', '--help'], ['analyze', 'eis', '--help'],\n"
            "             ['analyze', 'batch', '--help']):\n"
            "    try:\n        main(args)\n    except SystemExit as e:\n"
            "        codes.append(e.code)\n"
            "heavy=[m for m in ('pandas','scipy','matplotlib') if m in sys.modules]\n"
            "print('HEAVY', heavy, 'EXIT', codes)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert "HEAVY [] EXIT [0, 0, 0]" in proc.stdout, proc.stdout + proc.stderr
    assert "manifest" in proc.stdout.lower() and "--thickness-um" in proc.stdout


def test_eis_table_and_warnings_on_stderr(capsys):
    code = run(cli, ["analyze", "eis", E["eis_cse70_25c.txt"], E["eis_cse40_25c.txt"],
                     *GEOMETRY])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "conductivity_s_cm" in out and "0.0002078" in out
    assert "warning:" in err and "bulk arc not visible" in err and "warning:" not in out


def test_eis_json_bad_file_reported_others_analyzed(tmp_path, capsys):
    code = run(cli, ["analyze", "eis", E["eis_cse70_25c.txt"], str(tmp_path / "nope.txt"),
                     E["lsv_cse40.txt"], *GEOMETRY, "--json"])
    out, err = capsys.readouterr()
    assert code == 2
    payload = json.loads(out)
    assert [p["file"] for p in payload] == [E["eis_cse70_25c.txt"], str(tmp_path / "nope.txt"),
                                            E["lsv_cse40.txt"]]
    first = payload[0]
    assert {"file", "r_bulk_ohm", "conductivity_s_cm", "method", "warnings"} <= set(first)
    assert first["conductivity_s_cm"] == pytest.approx(0.208e-3, rel=0.01)
    assert "error" in payload[1] and "nope.txt" in payload[1]["error"]
    assert "LSV" in payload[2]["error"] or "linear sweep" in payload[2]["error"]
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 3 and "nope.txt: file not found" in lines[0]
    assert "Traceback" not in err


def test_json_pipes_into_json_load():
    proc = subprocess.run(
        f'"{sys.executable}" -m ionopt analyze tga "{E["tga_cse40.csv"]}" --json | '
        f'"{sys.executable}" -c "import json,sys; d=json.load(sys.stdin); '
        f'print(round(d[0][\'residual_mass_pct\']))"',
        shell=True, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "40"


def test_lsv_plot_written_atomically(tmp_path, capsys):
    figs = tmp_path / "figs"
    code = run(cli, ["analyze", "lsv", E["lsv_cse40.txt"], "--diameter-mm", "10", "--json",
                     "--plot", str(figs)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)[0]["stability_window_v"] == pytest.approx(5.0, abs=0.05)
    pngs = sorted(p.name for p in figs.iterdir())
    assert pngs == ["lsv_cse40_lsv.png"]
    assert (figs / pngs[0]).read_bytes()[:4] == b"\x89PNG"


def test_eis_nyquist_figure(tmp_path, capsys):
    pytest.importorskip("ionopt.plots.eis")  # plot_nyquist lands with the EIS plots
    code = run(cli, ["analyze", "eis", E["eis_cse70_25c.txt"], *GEOMETRY, "--plot",
                     str(tmp_path)])
    assert code == 0, capsys.readouterr().err
    assert (tmp_path / "eis_cse70_25c_nyquist.png").read_bytes()[:4] == b"\x89PNG"


def test_lsv_needs_an_area(capsys):
    assert run(cli, ["analyze", "lsv", E["lsv_cse40.txt"]]) == 2
    assert "--area-cm2 or --diameter-mm" in capsys.readouterr().err


def test_transference_from_eis_files(capsys):
    code = run(cli, ["analyze", "transference", E["bv_chrono_cse40.txt"], "--eis-before",
                     E["bv_eis_before_cse40.txt"], "--eis-after", E["bv_eis_after_cse40.txt"],
                     "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    rec = json.loads(out)[0]
    assert rec["transference_number"] == pytest.approx(0.47, abs=0.02)
    assert rec["delta_v"] == pytest.approx(0.01)  # from the file header
    assert run(cli, ["analyze", "transference", E["bv_chrono_cse40.txt"]]) == 2


def test_tensile_and_tga_tables(capsys):
    assert run(cli, ["analyze", "tensile", E["tensile_cse40.csv"]]) == 0
    out = capsys.readouterr().out
    assert "tensile_strength_mpa" in out and "4.53" in out
    assert run(cli, ["analyze", "tga", E["tga_cse40.csv"], "--decomposition", "onset"]) == 0
    assert "decomposition_temp_c" in capsys.readouterr().out


def test_arrhenius_from_files_and_from_table(tmp_path, capsys):
    files = [E[f"arrhenius/eis_cse70_{t}c.txt"] for t in (25, 45, 65)]
    code = run(cli, ["analyze", "arrhenius", *files, "-T", "25,45", "-T", "65", *GEOMETRY,
                     "--json", "--plot", str(tmp_path / "f")])
    out, err = capsys.readouterr()
    assert code == 0, err
    payload = json.loads(out)
    assert payload["activation_energy_ev"] == pytest.approx(0.30, abs=0.01)
    assert [p["temperature_c"] for p in payload["points"]] == [25, 45, 65]
    assert (tmp_path / "f" / "arrhenius.png").exists()

    table = tmp_path / "series.csv"
    table.write_text("temperature_c,conductivity_s_cm\n25,2.08e-4\n45,4.33e-4\n65,8.27e-4\n")
    assert run(cli, ["analyze", "arrhenius", "--table", str(table)]) == 0
    assert "activation_energy_ev = 0.29" in capsys.readouterr().out  # 0.2998

    assert run(cli, ["analyze", "arrhenius", *files, "-T", "25", *GEOMETRY]) == 2
    assert "1 temperature(s) for 3 file(s)" in capsys.readouterr().err


# ------------------------------------------------------------------------- batch
def _manifest(tmp_path, bad: bool) -> str:
    eis = "200,10"
    lines = ["sample_id,kind,file,thickness_um,diameter_mm,temperature_c",
             f"CSE-40,eis,{E['eis_cse40_25c.txt']},{eis},25",
             f"CSE-40,lsv,{E['lsv_cse40.txt']},,10,",
             f"CSE-40,tensile,{E['tensile_cse40.csv']},,,",
             f"CSE-70,eis,{E['eis_cse70_25c.txt']},{eis},25"]
    lines += [f"CSE-70,eis,{E[f'arrhenius/eis_cse70_{t}c.txt']},{eis},{t}" for t in (35, 45)]
    if bad:
        lines += [f"BAD,eis,{tmp_path / 'missing.txt'},{eis},25",
                  f"BAD,xrd,{E['tga_cse40.csv']},,,",
                  f"BAD,eis,{E['eis_cse70_25c.txt']},-200,10,25"]
    path = tmp_path / "manifest.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_batch_writes_targets(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    code = run(cli, ["analyze", "batch", _manifest(tmp_path, bad=False), "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 0, err
    targets = pd.read_csv(out).set_index("sample_id")
    assert list(targets.index) == ["CSE-40", "CSE-70"]
    assert targets.loc["CSE-40", "conductivity_s_cm"] == pytest.approx(1.936e-3, rel=0.03)
    assert targets.loc["CSE-40", "stability_window_v"] == pytest.approx(5.0, abs=0.05)
    assert targets.loc["CSE-70", "activation_energy_ev"] == pytest.approx(0.30, abs=0.015)
    assert targets.loc["CSE-70", "conductivity_s_cm_n"] == 1
    assert "qc" in targets.columns
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_batch_bad_rows_exit_2_good_rows_written(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    manifest = _manifest(tmp_path, bad=True)
    code = run(cli, ["analyze", "batch", manifest, "--out", str(out), "--json"])
    stdout, err = capsys.readouterr()
    assert code == 2
    errors = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert any(f"{manifest}:8: file: no such file" in ln for ln in errors)
    assert any(f"{manifest}:9: kind: expected one of" in ln for ln in errors)
    assert any(f"{manifest}:10: thickness_um: expected a number > 0" in ln for ln in errors)
    assert "Traceback" not in err
    payload = json.loads(stdout)
    assert len(payload["errors"]) == 3
    samples = {t["sample_id"]: t for t in payload["targets"]}
    assert samples["CSE-40"]["tensile_strength_mpa"] == pytest.approx(4.525, rel=0.01)
    assert samples["BAD"]["qc"].startswith("error:")
    assert samples["BAD"]["conductivity_s_cm"] is None
    written = pd.read_csv(out)
    assert set(written["sample_id"]) == {"CSE-40", "CSE-70", "BAD"}


def test_batch_unreadable_manifest_leaves_out_untouched(tmp_path, capsys):
    out = tmp_path / "targets.csv"
    out.write_text("previous\n")
    bad = tmp_path / "m.csv"
    bad.write_text("sample_id,kind\nA,eis\n")
    assert run(cli, ["analyze", "batch", str(bad), "--out", str(out)]) == 2
    assert "missing column(s) file" in capsys.readouterr().err
    assert out.read_text() == "previous\n"
    assert run(cli, ["analyze", "batch", str(tmp_path / "none.csv"), "--out",
                     str(tmp_path / "t2.csv")]) == 2
    assert not (tmp_path / "t2.csv").exists()


def test_batch_failure_while_writing_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "targets.csv"
    out.write_text("previous\n")

    def broken(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("sample_id,conduc")  # half a file, then the disk "fails"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError):
        run(cli, ["analyze", "batch", _manifest(tmp_path, bad=False), "--out", str(out)])
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.csv", "targets.csv"]


def test_batch_through_the_console_entry(tmp_path):
    # stdout alone is valid JSON (errors and progress go to stderr), exit code 2
    proc = ionopt("analyze", "batch", _manifest(tmp_path, bad=True), "--json")
    assert proc.returncode == 2
    payload = json.loads(proc.stdout)
    assert len(payload["targets"]) == 3 and len(payload["errors"]) == 3
    assert proc.stderr.count("error:") >= 3 and "Traceback" not in proc.stderr
