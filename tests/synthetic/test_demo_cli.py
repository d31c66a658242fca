"""``kassaki-eval demo-data``."""
from __future__ import annotations

from kassaki_eval.cli import main


def test_demo_data_writes_files(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo-data", "--out", str(out), "--seed", "3", "--scale", "0.05",
                 "--no-population"]) == 0
    text = capsys.readouterr().out
    assert "registry_raw.csv" in text and "true P0 2023" in text
    names = {p.name for p in out.rglob("*.csv")}
    assert {"registry_raw.csv", "survey_2023.csv", "survey_2024.csv", "survey_2025.csv",
            "participation.csv", "villages.csv", "att.csv", "poverty.csv",
            "programme_effect.csv", "targeting.csv", "village_att.csv", "rollout.csv"} <= names
    assert "population.csv" not in names
