"""Report parameters: typed, validated, and rejected before any kernel starts."""
from __future__ import annotations

from pathlib import Path

import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.reporting.params import PartnerView, ReportParams, validate_params


def test_defaults_are_complete_and_json_ready():
    p = validate_params({"year": 2025})
    assert p.languages == ("id", "en")
    assert p.k_suppress == 10
    assert p.source.kind == "demo" and p.source.seed == 2024
    js = p.to_json_dict()
    assert ReportParams.model_validate(js) == p  # round trip: what is injected re-validates
    names = [n for n, _ in p.rows()]
    assert "source.scale" in names and "alpha" in names


def test_source_without_kind_means_demo():
    assert validate_params({"year": 2025, "source": {"scale": 0.2}}).source.scale == 0.2


@pytest.mark.parametrize("bad, needle", [
    ({"year": 2025, "alpah": 0.1}, "The 'alpah' parameter of kassaki-eval report is unknown"),
    ({"year": 2025, "alpha": 1.5}, "The 'alpha' parameter of kassaki-eval report must be less than 0.5. Got 1.5 instead."),
    ({"year": "twenty"}, "The 'year' parameter"),
    ({"year": 2025, "languages": ["fr"]}, "'id' or 'en'"),
    ({"year": 2025, "partner": "acme"}, "The 'partner' parameter"),
    ({"year": 2025, "k_suppress": 1}, "The 'k_suppress' parameter"),
    ({"year": 2025, "source": {"kind": "demo", "scale": 0}}, "The 'source.scale' parameter"),
    ({"year": 2025, "languages": ["id", "id"]}, "without repeated values"),
    ({"year": 2025, "impact_methods": ["magic"]}, "The 'impact_methods.0' parameter"),
])
def test_bad_parameters_have_clear_messages(bad, needle):
    with pytest.raises(ParameterError) as e:
        validate_params(bad)
    assert needle in str(e.value)
    assert isinstance(e.value, ValueError)


def test_missing_files_and_previous_are_caught(tmp_path: Path):
    with pytest.raises(ParameterError, match="does not exist"):
        validate_params({"year": 2025, "source": {"kind": "files", "registry": str(tmp_path / "r.csv"),
                                                   "survey": str(tmp_path / "s.csv"),
                                                   "participation": str(tmp_path / "p.csv"),
                                                   "rollout": str(tmp_path / "r2.csv")}})
    with pytest.raises(ParameterError, match="manifest.json"):
        validate_params({"year": 2025, "previous": str(tmp_path)})


def test_bad_parameter_fails_before_anything_runs(tmp_path: Path, monkeypatch):
    """run_report validates first: no folder, no world, no kernel."""
    from kassaki_eval.reporting import runner

    def boom(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("inputs were prepared although a parameter was bad")

    monkeypatch.setattr(runner, "prepare_inputs", boom)
    monkeypatch.setattr(runner, "_execute", boom)
    with pytest.raises(ParameterError, match="The 'seeed' parameter"):
        runner.run_report({"year": 2025, "seeed": 3}, out_root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_cli_reports_bad_parameter_without_running(tmp_path: Path, capsys):
    from kassaki_eval.cli import main
    rc = main(["report", "--year", "2025", "--out", str(tmp_path), "--param", "alpha=2"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "The 'alpha' parameter of kassaki-eval report must be less than 0.5. Got 2 instead." in err
    assert list(tmp_path.iterdir()) == []


def test_partner_views_select_sections_and_components():
    bank = PartnerView("bank_sulselbar")
    assert bank.components == ("credit",)
    assert bank.shows("impact") and not bank.shows("targeting")
    full = PartnerView(None)
    assert full.name == "full" and full.shows("targeting") and len(full.components) == 5


def test_cli_builds_a_files_source_with_one_survey_file_per_wave(tmp_path: Path):
    import argparse

    from kassaki_eval.reporting.cli import params_from_args, register
    for n in ("reg.csv", "s23.csv", "s24.csv", "part.csv", "roll.csv"):
        (tmp_path / n).write_text("x\n")
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "--year", "2024", "--registry", str(tmp_path / "reg.csv"),
                              "--survey", str(tmp_path / "s23.csv"), "--survey",
                              str(tmp_path / "s24.csv"), "--participation",
                              str(tmp_path / "part.csv"), "--rollout", str(tmp_path / "roll.csv"),
                              "--partner", "ykpm", "--lang", "en"])
    p = validate_params(params_from_args(args))
    assert p.source.kind == "files" and [x.name for x in p.source.survey] == ["s23.csv", "s24.csv"]
    assert p.partner == "ykpm" and p.languages == ("en",) and p.year == 2024
