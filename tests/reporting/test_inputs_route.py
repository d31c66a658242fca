"""The report route applies every contract and the cross-table checks before any notebook.

The demo world (seed 7, scale 0.05) is written as raw files once; each test then passes them,
or a broken copy, as real files (``source.kind == 'files'``) to ``prepare_inputs``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from kassaki_eval.cli import main
from kassaki_eval.exceptions import SchemaError
from kassaki_eval.reporting.inputs import prepare_inputs
from kassaki_eval.reporting.params import validate_params
from kassaki_eval.synthetic.world import generate_world

KEY = "a-real-looking-key-0123456789abcdef"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("world")
    generate_world(seed=7, scale=0.05).write(d, population=False)
    return d


def _params(d: Path, year: int = 2025, surveys: list[str] | None = None,
            rollout: Path | None = None) -> object:
    waves = surveys or ["survey_2023.csv", "survey_2024.csv", "survey_2025.csv"]
    return validate_params({"year": year, "source": {
        "kind": "files", "registry": str(d / "registry_raw.csv"),
        "survey": [str(d / w) for w in waves], "participation": str(d / "participation.csv"),
        "rollout": str(rollout or d / "truth" / "rollout.csv")}})


def _sha(d: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*.csv"))}


def test_other_key_links_nothing_and_missing_wave(files, monkeypatch):
    """Survey/participation ids made with the demo key, registry hashed with another key: the
    report refuses with the counts instead of printing a linkage rate of ~97 %."""
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", KEY)
    before = _sha(files)
    with pytest.raises(SchemaError) as info:
        prepare_inputs(_params(files, surveys=["survey_2023.csv", "survey_2024.csv"]))
    msg = str(info.value)
    survey = pd.concat(pd.read_csv(files / f"survey_{y}.csv") for y in (2023, 2024))
    n = int(survey["family_id"].notna().sum())
    assert f"survey: column 'family_id' links only 0 of {n} family ids to the registry " \
           f"(0.0%; at least 90% must link): {n} rows" in msg
    part = pd.read_csv(files / "participation.csv")
    m = int(part.loc[part["unit"] == "household", "family_id"].notna().sum())
    assert f"participation: column 'family_id' links only 0 of {m} family ids" in msg
    assert "KASSAKI_PSEUDONYM_KEY must be the same for every table" in msg
    assert "survey: column 'year' has no wave for the report year 2025 (waves: 2023, 2024)" in msg
    assert _sha(files) == before


def test_same_wave_twice_is_refused_on_the_report_route(files, monkeypatch):
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", KEY)
    with pytest.raises(SchemaError, match=r"has a file given twice: survey_2025.csv and "
                                         r"survey_2025.csv"):
        prepare_inputs(_params(files, surveys=["survey_2023.csv", "survey_2024.csv",
                                               "survey_2025.csv", "survey_2025.csv"]))


def test_rollout_contract_on_the_report_route(files, tmp_path, monkeypatch):
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", KEY)
    r = pd.read_csv(files / "truth" / "rollout.csv", dtype=str)
    r["village_code"] = r["village_code"].str.replace(".", "", regex=False)
    bad = tmp_path / "rollout.xlsx"
    r.to_excel(bad, index=False)
    with pytest.raises(SchemaError) as info:
        prepare_inputs(_params(files, rollout=bad))
    msg = str(info.value)
    assert msg.startswith("rollout (rollout.xlsx):")
    assert "column 'village_code' is not a Kemendagri village code" in msg


def test_folder_as_survey_is_a_clear_error(files, tmp_path, capsys):
    rc = main(["report", "--year", "2025", "--registry", str(files / "registry_raw.csv"),
               "--survey", str(files / "truth"), "--participation",
               str(files / "participation.csv"), "--rollout", str(files / "truth" / "rollout.csv"),
               "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert ("The 'survey' parameter of kassaki-eval report must be a data file. Got the folder "
            "'truth' instead") in err
    assert not any(tmp_path.iterdir())
