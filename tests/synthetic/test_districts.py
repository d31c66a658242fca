"""Any district from reference data; the lean registry generator; Pangkep unchanged.

Sources
-------
- Golden SHA-256 of Pangkep's seed-2024 world files: produced by ``generate_world(seed=2024)
  .write(d, population=False)`` at commit 1dc9042 (before districts were added) and checked
  again after; a deliberate change to the world must update them (and say so in its commit).
  Two truth tables are compared by value instead (session 9): truth/att.csv and
  truth/village_att.csv hold means of log differences whose last bits differ between
  processors (their hashes differed on an AVX2 machine while every other file matched); their
  reference copies are tests/synthetic/golden/ (``make_truth_golden.py``), compared with a
  relative tolerance of 1e-9 on the floats and exactly on everything else.
- Kota Parepare facts: data/reference/parepare/*.csv (22 kelurahan in 4 kecamatan,
  sulselprov.go.id; P0 March 2023 5.41 % [U]).
"""
from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.exceptions import ConfigError, ParameterError
from kassaki_eval.synthetic.params import WorldParams
from kassaki_eval.synthetic.world import generate_registry, generate_world

GOLDEN = {
    "participation.csv": "b653d02ec166b0ddb731f91eceba722e745ea00887798c193a3128ccefccca12",
    "registry_raw.csv": "66f130a108316ab9cd6775a5291671906375e4c3b5b74c3ee2999c2fe0acadff",
    "survey_2023.csv": "e821a7d95620162b073bc4296d61da68f769dfce0d46a93156af3944f6d4e719",
    "survey_2024.csv": "725a9b95f11bffd9b91d1f0b7e5513b636d68cd570bbd03d6c3f1182b9e85ac3",
    "survey_2025.csv": "072c96b673df1d9664559d08971afa930ad7c1642a19350b4495b2ea57dd1f92",
    "truth/calibration.csv": "0ce2e4c20feafebec97a1ec2ec854a6f1ddf29e87eaae7c2cc1f6cd30789a57a",
    # added with issue 14 (true costs, no random draw); every other hash is unchanged
    "truth/cost.csv": "42dc008fe4f07969ff5dfc03acfb0fc93517bd1c9ed2e116fefe081a15361e79",
    "truth/cost_effectiveness.csv": "264e8896c7cc05712607670722f1da05e510d5d0c417280a298f5137ee98354b",
    "truth/desil_thresholds.csv": "3b9445256741b2cf74e27c7aed9fb0732e039510dd298d25b9ef3ae97b688880",
    "truth/poverty.csv": "5f66a1a8e6cc897e51d74b20d781b97e290be97983f4066b878d45ea911d02d9",
    "truth/programme_effect.csv": "3046b0d3e3e94c4428e0664394ba66f6952da0119a82c436e53df0664251f99a",
    "truth/rollout.csv": "b8cd7467df5ed538bfabbd0ca8975d4af6192d814ec65c9e93b87b789fd73018",
    "truth/targeting.csv": "8b53ce697b00448d19f22eace5a73fdb45f5b811a14433100d2a951efd3e23cd",
    "villages.csv": "11d86158d0579642dfd63b89cb7f97fabd212924b70a73cc1b18a35a77f9600e",
}

#: truth tables compared by value (see the module docstring), and their reference copies
BY_VALUE = ("att.csv", "village_att.csv")
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def test_pangkep_world_is_byte_identical_to_before(world):
    assert world.seed == 2024 and world.scale == 1.0
    with tempfile.TemporaryDirectory() as d:
        world.write(d, population=False)
        got = {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(Path(d).rglob("*.csv"))}
        truth = {f: pd.read_csv(Path(d) / "truth" / f) for f in BY_VALUE}
    assert {k: v for k, v in got.items() if k.removeprefix("truth/") not in BY_VALUE} == GOLDEN
    for f, df in truth.items():
        ref = pd.read_csv(GOLDEN_DIR / f"pangkep_2024_{f}")
        assert list(df.columns) == list(ref.columns) and len(df) == len(ref), f
        for c in df.columns:
            if pd.api.types.is_float_dtype(ref[c]):
                np.testing.assert_allclose(df[c], ref[c], rtol=1e-9, atol=1e-12,
                                           err_msg=f"{f}: {c}")
            else:
                assert df[c].tolist() == ref[c].tolist(), f"{f}: {c}"


def test_district_params_inherit_from_base():
    pan = WorldParams.from_toml(district="pangkep")
    par = WorldParams.from_toml(district="parepare")
    assert par.n_households == 38700 and par.poverty_rate_2023 == pytest.approx(0.0541)
    assert par.coefficients == pan.coefficients and par.takeup_rate == pan.takeup_rate
    assert par.source.endswith("parepare/world.toml")


def test_base_cycle_is_a_config_error(tmp_path):
    for a, b in (("a", "b"), ("b", "a")):
        (tmp_path / a).mkdir()
        (tmp_path / a / "world.toml").write_text(f'base = "{b}"\n')
    with pytest.raises(ConfigError, match="no cycles"):
        WorldParams.from_toml(tmp_path / "a" / "world.toml")


@pytest.fixture(scope="module")
def parepare():
    return generate_world(seed=11, scale=0.5, district="parepare")


def test_a_kota_world_from_reference_data(parepare):
    vil = reference.villages("parepare")
    assert len(vil) == 22 and set(vil["type"]) == {"kelurahan"}
    assert set(parepare.registry["village_code"]) == set(vil["kemendagri_code"])
    assert set(parepare.registry["kec_code"]) == {"73.72.01", "73.72.02", "73.72.03", "73.72.04"}
    assert set(parepare.registry["zone"]) == {"mainland"}
    cal = parepare.truth["calibration"].set_index("quantity")["value"]
    # the intercept is solved so the person-weighted P0 2023 equals the district's rate
    assert cal["p0_2023"] == pytest.approx(0.0541, abs=2e-4)
    assert cal["n_households"] == round(38700 * 0.5)
    assert reference.poverty_line(2023, district="parepare") == 436025
    pov = parepare.truth["poverty"]
    assert set(pov.loc[pov["domain"] == "zone", "zone"]) == {"mainland"}  # no empty island row


def test_kota_and_kabupaten_differ(parepare, small_world):
    p_kota = parepare.truth["calibration"].set_index("quantity")["value"]["p0_2023"]
    p_kab = small_world.truth["calibration"].set_index("quantity")["value"]["p0_2023"]
    assert p_kota < 0.06 < 0.13 < p_kab
    assert (small_world.registry["zone"] == "island").any()


def test_registry_generator_equals_the_world_registry():
    w = generate_world(seed=5, scale=0.1)
    b = generate_registry(seed=5, scale=0.1)
    pd.testing.assert_frame_equal(b.registry, w.registry)
    assert b.households == int((w.population["year"] == 2023).sum())
    # the linked survey: weights add up to the households, village by village
    tot = b.survey.groupby("village_code")["weight"].sum()
    n_v = w.villages.set_index("kemendagri_code")["n_households"]
    np.testing.assert_allclose(tot.reindex(n_v.index).to_numpy(), n_v.to_numpy(), rtol=1e-12)
    linked = b.survey["family_id"].dropna()
    assert linked.isin(set(b.registry["family_id"])).all()


def test_blocks_and_fast_ids_are_unique():
    a = generate_registry(seed=5, scale=0.2, fast_ids=True, id_prefix="S01.01")
    b = generate_registry(seed=5, scale=0.2, fast_ids=True, id_prefix="S01.01", block=1)
    c = generate_registry(seed=5, scale=0.2, fast_ids=True, id_prefix="S01.02")
    ids = pd.concat([a.registry["family_id"], b.registry["family_id"], c.registry["family_id"]])
    assert ids.is_unique and ids.str.match(r"^F[0-9a-f]{16}$").all()
    assert not a.registry["pmt_score"].equals(b.registry["pmt_score"])  # blocks are fresh draws


def test_scale_limit_names_the_partitioned_path():
    with pytest.raises(ParameterError, match="write_registry"):
        generate_world(seed=1, scale=12)
    with pytest.raises(ParameterError, match=">= 0.01"):
        generate_world(seed=1, scale=0.0)
