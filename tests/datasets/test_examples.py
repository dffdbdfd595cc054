"""The shipped example raw files are exactly what their generator writes from the truth."""

from ionopt.datasets.examples import EXAMPLE_TRUTH, example_files, write_example_files


def test_shipped_files_match_the_generator(tmp_path):
    shipped = example_files()
    regenerated = write_example_files(tmp_path)
    assert set(shipped) == set(regenerated)
    for name, path in regenerated.items():
        assert shipped[name].read_bytes() == path.read_bytes(), name


def test_every_named_truth_has_its_file():
    names = set(example_files())
    assert len(names) == 14
    for key in EXAMPLE_TRUTH:
        assert key == "arrhenius" or key in names
    assert sum(n.startswith("arrhenius/") for n in names) == 6
