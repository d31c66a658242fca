"""WorldParams: loading world.toml, overrides and validation."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kassaki_eval import config
from kassaki_eval.exceptions import ConfigError, ParameterError
from kassaki_eval.synthetic.params import COMPONENTS, WorldParams
from kassaki_eval.synthetic.world import generate_world


def test_defaults_come_from_the_district_toml():
    p = WorldParams.from_toml()
    assert Path(p.source) == config.district_dir() / "world.toml"
    # DOMAIN.md numbers that the toml must carry unchanged
    assert p.poverty_rate_2023 == 0.134
    assert p.n_households == 90_000
    assert p.desil_1to4_share == 0.374
    assert set(p.components) == set(COMPONENTS)


def test_every_toml_key_is_documented_with_a_comment():
    """Every parameter line of world.toml carries a comment (source or [U]/[D] tag),
    except inside the [coefficients]/[components.*]/[effects.*] tables, documented by their
    section comment."""
    text = (config.district_dir() / "world.toml").read_text(encoding="utf-8")
    section = ""
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("["):
            section = s
            continue
        if not s or s.startswith("#") or section.startswith(("[coefficients", "[components", "[effects")):
            continue
        assert "#" in s, f"undocumented parameter line in world.toml: {s}"


def test_replace_and_overrides():
    p = WorldParams.from_toml()
    q = p.replace(selection_unobs=1.0)
    assert q.selection_unobs == 1.0 and p.selection_unobs == 0.0
    with pytest.raises(ParameterError, match="The 'changes' parameter of WorldParams.replace"):
        p.replace(no_such_field=1)
    with pytest.raises(ParameterError, match="The 'takeup_rate' parameter of WorldParams"):
        p.replace(takeup_rate=1.5)
    w = generate_world(seed=5, scale=0.05, n_villages_2024=50, n_villages_2025=20)
    assert w.villages["cohort"].value_counts().to_dict() == {2024: 50, 2025: 20, 0: 33}


def test_bad_files_and_arguments(tmp_path):
    with pytest.raises(ConfigError, match="missing"):
        WorldParams.from_toml(tmp_path / "nope.toml")
    src = (config.district_dir() / "world.toml").read_text(encoding="utf-8")
    bad = tmp_path / "world.toml"
    bad.write_text(src.replace("pmt_r2 = 0.50", "pmt_r2_typo = 0.50"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown keys \['pmt_r2_typo'\], missing keys \['pmt_r2'\]"):
        WorldParams.from_toml(bad)
    assert tomllib.loads(src)  # the real file parses
    with pytest.raises(ParameterError, match="The 'scale' parameter of generate_world"):
        generate_world(scale=0)
    with pytest.raises(ParameterError, match="The 'seed' parameter of generate_world"):
        generate_world(seed=-1)
