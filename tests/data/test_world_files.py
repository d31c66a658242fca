"""The synthetic world's written demo files load and validate clean, and the registry ingest
reproduces the world's family ids (both use the recipe of kassaki_eval.data.pseudonymise)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import sha256
from kassaki_eval.data import load_table, problems


def _check_world_files(world, out: Path) -> None:
    files = {p.name: p for p in world.write(out, population=False)}
    hashes = {n: sha256(p) for n, p in files.items()}
    reg = load_table(files["registry_raw.csv"], "registry", demo=True)
    assert reg["family_id"].tolist() == world.registry["family_id"].tolist()
    assert list(reg.columns) == list(world.registry.columns)
    waves = [load_table(files[f"survey_{y}.csv"], "survey") for y in (2023, 2024, 2025)]
    survey = pd.concat(waves, ignore_index=True)
    assert len(survey) == len(world.survey)
    assert survey["hh_id"].tolist() == world.survey["hh_id"].tolist()
    part = load_table(files["participation.csv"], "participation")
    assert len(part) == len(world.participation)
    assert len(load_table(files["villages.csv"], "villages")) == 103
    assert {n: sha256(p) for n, p in files.items()} == hashes  # inputs untouched


def test_small_world_files_load_and_validate_clean(small_world, tmp_path: Path):
    _check_world_files(small_world, tmp_path)


def test_world_tables_in_memory_are_clean(small_world):
    for table, df in (("registry", small_world.registry), ("survey", small_world.survey),
                      ("participation", small_world.participation),
                      ("villages", small_world.villages), ("rollout", small_world.rollout),
                      ("registry_raw", small_world.registry_raw)):
        assert problems(df, table) == [], table


@pytest.mark.slow
def test_default_world_files_load_and_validate_clean(world, tmp_path: Path):
    _check_world_files(world, tmp_path)
