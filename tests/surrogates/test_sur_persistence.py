import json
import zipfile

import numpy as np
import pytest

from ionopt.errors import ModelError
from ionopt.surrogates import fit_surrogates, load_surrogates, read_manifest


@pytest.fixture
def saved(tmp_path, table, spec):
    df = table.assign(tensile_strength_mpa=3.0 + table.pvdf_hfp_content)
    sur = fit_surrogates(df, ["conductivity_s_cm", "tensile_strength_mpa"], features=spec,
                         model={"conductivity_s_cm": "gp", "tensile_strength_mpa": "forest"})
    path = tmp_path / "models.skops"
    sur.save(path)
    return sur, path


def test_round_trip_predicts_identically(saved, table):
    sur, path = saved
    back = load_surrogates(path)
    assert back.targets == sur.targets and back.features == sur.features
    assert back.fingerprint == sur.fingerprint and back.data_hash == sur.data_hash
    np.testing.assert_array_equal(back.predict(table).to_numpy(), sur.predict(table).to_numpy())
    assert back["tensile_strength_mpa"].model == "forest"
    tm = back["conductivity_s_cm"]
    assert tm.transform.name == "log10" and tm.noise_std == sur["conductivity_s_cm"].noise_std
    # a loaded GP still conditions on fantasies
    tm.condition_on(table.head(1), [-3.0])
    man = read_manifest(path)
    assert man["ionopt_version"] and man["targets"] == sur.targets


def test_report_survives_round_trip(tmp_path, table, spec):
    sur = fit_surrogates(table.head(12), "conductivity_s_cm", features=spec, model="auto")
    sur.save(tmp_path / "a.skops")
    back = load_surrogates(tmp_path / "a.skops")
    np.testing.assert_allclose(back.report["nlpd"], sur.report["nlpd"])


def _rewrite(path, change):
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)


def test_tampered_payload_is_refused(saved):
    _, path = saved

    def flip(members):
        name = next(n for n in members if n.endswith(".npy"))
        data = bytearray(members[name])
        data[-1] ^= 0xFF
        members[name] = bytes(data)

    _rewrite(path, flip)
    with pytest.raises(ModelError, match="modified or corrupted"):
        load_surrogates(path)


def test_incompatible_format_version_is_refused(saved):
    _, path = saved

    def bump(members):
        man = json.loads(members["ionopt.json"])
        man["format"] = 999
        members["ionopt.json"] = json.dumps(man).encode()

    _rewrite(path, bump)
    with pytest.raises(ModelError, match="file format 999; this ionopt .* reads format 1"):
        load_surrogates(path)


def test_not_an_ionopt_file(tmp_path):
    bad = tmp_path / "x.skops"
    bad.write_text("hello")
    with pytest.raises(ModelError, match="not an ionopt surrogates file"):
        load_surrogates(bad)
    with pytest.raises(FileNotFoundError):
        load_surrogates(tmp_path / "missing.skops")
