"""Files every command writes or reads (CLI.md): an output that cannot be written fails
before the work, writes are whole or not at all, and a file that is not text is bad input
-- exit 2 with one line naming the file, never a traceback."""

from __future__ import annotations

import pandas as pd
import pytest

from ionopt.cli import cli
from ionopt.cli._common import run
from ionopt.datasets import example_files, load_seed_dataset
from ionopt.optimizer import example_space_path

SPACE = str(example_space_path())
EIS = str(example_files()["eis_cse70_25c.txt"])

#: (command line with {out} for the output and {data} for a seed CSV, library call that
#: does the work -- it must not be reached when the output cannot be written)
WRITERS = {
    "propose --out": (["propose", "--space", SPACE, "--data", "{data}", "--out", "{out}"],
                      "ionopt.optimizer.proposals.propose"),
    "score --out": (["score", "{data}", "--space", SPACE, "--data", "{data}", "--out", "{out}"],
                    "ionopt.optimizer.scoring.score"),
    "fit --out": (["fit", "{data}", "--target", "conductivity_s_cm", "--out", "{out}"],
                  "ionopt.surrogates.fit_surrogates"),
    "demo --out": (["demo", "--out", "{out}"], "ionopt.demo.run_demo"),
    "analyze batch --out": (["analyze", "batch", "{data}", "--out", "{out}"],
                            "ionopt.analysis.batch.analyze_manifest"),
    "analyze batch --measurements-out": (
        ["analyze", "batch", "{data}", "--measurements-out", "{out}"],
        "ionopt.analysis.batch.analyze_manifest"),
    "analyze batch --plot": (["analyze", "batch", "{data}", "--plot", "{out}"],
                             "ionopt.analysis.batch.analyze_manifest"),
    "analyze eis --plot": (["analyze", "eis", EIS, "--thickness-um", "200", "--diameter-mm",
                            "10", "--plot", "{out}"], "ionopt.analysis.batch.analyze_file"),
    "benchmark --out": (["benchmark", "--quick", "--no-speed", "--out", "{out}"],
                        "ionopt.optimizer.simulate_suite.run_suite"),
    "benchmark --figures": (["benchmark", "--quick", "--no-speed", "--out", "{data}.md",
                             "--figures", "{out}"], "ionopt.optimizer.simulate_suite.run_suite"),
    "benchmark --cache": (["benchmark", "--quick", "--no-speed", "--out", "{data}.md",
                           "--cache", "{out}"], "ionopt.optimizer.simulate_suite.run_suite"),
}


@pytest.fixture
def seed_csv(tmp_path):
    path = tmp_path / "data.csv"
    load_seed_dataset().to_csv(path, index=False)
    return path


def _no_work(monkeypatch, target: str) -> None:
    def work(*args, **kwargs):
        raise AssertionError(f"{target} was called although the output cannot be written")

    monkeypatch.setattr(target, work)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("name", WRITERS)
def test_unwritable_output_exits_2_before_the_work(name, tmp_path, seed_csv, monkeypatch,
                                                   capsys):
    argv, target = WRITERS[name]
    _no_work(monkeypatch, target)
    (tmp_path / "afile").write_text("a regular file\n")
    out = tmp_path / "afile" / "x"
    code = run(cli, [a.format(out=out, data=seed_csv) for a in argv])
    line = _one_error_line(capsys)
    assert code == 2
    assert line == f"error: {out}: cannot write ({tmp_path / 'afile'} is not a directory)"
    assert (tmp_path / "afile").read_text() == "a regular file\n"


@pytest.mark.parametrize("where, reason", [
    ("adir", "it is a directory"),
    ("/proc/x.csv", "cannot create a file in /proc: "),
])
def test_unwritable_out_reasons(where, reason, tmp_path, seed_csv, monkeypatch, capsys):
    _no_work(monkeypatch, "ionopt.optimizer.proposals.propose")
    (tmp_path / "adir").mkdir()
    out = tmp_path / where
    code = run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "--out", str(out)])
    assert code == 2
    assert f"{out}: cannot write ({reason}" in _one_error_line(capsys)


def test_folder_output_that_is_a_file(tmp_path, monkeypatch, capsys):
    _no_work(monkeypatch, "ionopt.demo.run_demo")
    out = tmp_path / "demo"
    out.write_text("")
    assert run(cli, ["demo", "--out", str(out)]) == 2
    assert f"{out}: cannot write (it is a file, not a directory)" in _one_error_line(capsys)


def test_benchmark_default_figures_folder_is_checked(tmp_path, monkeypatch, capsys):
    _no_work(monkeypatch, "ionopt.optimizer.simulate_suite.run_suite")
    (tmp_path / "figures").write_text("")
    code = run(cli, ["benchmark", "--quick", "--no-speed", "--out", str(tmp_path / "R.md")])
    assert code == 2
    assert (f"{tmp_path / 'figures'}: cannot write (it is a file, not a directory)"
            in _one_error_line(capsys))


def test_missing_parent_folders_are_still_created(tmp_path, seed_csv, capsys):
    out = tmp_path / "new" / "sub" / "p.csv"
    code = run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "1",
                     "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert len(pd.read_csv(out)) == 1
    # the writability probe leaves nothing behind
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data.csv", "new", "p.csv", "sub"]


def test_failed_write_keeps_the_existing_file(tmp_path, seed_csv, monkeypatch):
    out = tmp_path / "p.csv"
    out.write_text("old proposals\n")

    to_csv = pd.DataFrame.to_csv

    def half_write(self, path=None, **kwargs):
        if path is None:  # to a string (e.g. the data hash): leave it be
            return to_csv(self, **kwargs)
        with open(path, "w") as handle:
            handle.write("filler,pvdf")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_write)
    with pytest.raises(OSError, match="No space left"):
        run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "1",
                  "--out", str(out)])
    assert out.read_text() == "old proposals\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "p.csv"]


def test_fit_writes_the_model_file_whole_or_not_at_all(tmp_path, seed_csv, monkeypatch):
    out = tmp_path / "m.skops"
    out.write_bytes(b"old model")

    def half_write(self, data):
        with open(self, "wb") as handle:
            handle.write(data[:10])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pathlib.Path.write_bytes", half_write)
    with pytest.raises(OSError, match="No space left"):
        run(cli, ["fit", str(seed_csv), "--target", "conductivity_s_cm", "--model", "linear",
                  "--out", str(out)])
    monkeypatch.undo()
    assert out.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv", "m.skops"]


# ------------------------------------------------------------------------ text inputs
BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"  # the start of a PNG
LATIN1 = "filler,pvdf_hfp_content\nh_BN,0.4\n5 µm,0.3\n".encode("latin-1")

#: command line with {bad} for the file that is not text and {data} for a good seed CSV
READERS = {
    "propose --space": ["propose", "--space", "{bad}", "--data", "{data}"],
    "propose --data": ["propose", "--space", SPACE, "--data", "{bad}"],
    "propose --pending": ["propose", "--space", SPACE, "--data", "{data}", "--pending", "{bad}"],
    "propose --candidates": ["propose", "--space", SPACE, "--data", "{data}",
                             "--candidates", "{bad}"],
    "score CANDIDATES": ["score", "{bad}", "--space", SPACE, "--data", "{data}"],
    "score --data": ["score", "{data}", "--space", SPACE, "--data", "{bad}"],
    "score --pending": ["score", "{data}", "--space", SPACE, "--data", "{data}",
                        "--pending", "{bad}"],
    "fit DATA": ["fit", "{bad}", "--target", "conductivity_s_cm", "--out", "{data}.skops"],
    "analyze arrhenius --table": ["analyze", "arrhenius", "--table", "{bad}"],
}


@pytest.mark.parametrize("content, why", [(BINARY, "line 3: NUL byte"),
                                          (LATIN1, "line 3: byte 0xb5 is not UTF-8")],
                         ids=["binary", "latin-1"])
@pytest.mark.parametrize("name", READERS)
def test_input_that_is_not_text_exits_2(name, content, why, tmp_path, seed_csv, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(content)
    code = run(cli, [a.format(bad=bad, data=seed_csv) for a in READERS[name]])
    line = _one_error_line(capsys)
    assert code == 2
    assert line.startswith(f"error: {bad}: not a text file ({why})"), line


def test_propose_n_has_an_upper_bound(seed_csv, capsys):
    code = run(cli, ["propose", "--space", SPACE, "--data", str(seed_csv), "-n", "201"])
    err = capsys.readouterr().err
    assert code == 2 and "'-n': 201 is not in the range 1<=x<=200" in err
    assert "Traceback" not in err


def test_manifest_that_is_a_directory(tmp_path, capsys):
    code = run(cli, ["analyze", "batch", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and f"'{tmp_path}' is a directory" in err
