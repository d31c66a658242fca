"""Mapping profiles: format checks, every error at once with profile line and data rows,
parsers, provenance."""
from __future__ import annotations

import hashlib
from pathlib import Path
import re
import shutil

import pandas as pd
import pytest

from kassaki_eval.data.profiles import (
    PROFILE_DIR,
    load_profile,
    load_with_profile,
    map_files,
    parse_decimal_comma,
    parse_rupiah,
    shipped_profiles,
)
from kassaki_eval.exceptions import ParameterError, SchemaError
from kassaki_eval.synthetic.source_shape import write_source_shape
from kassaki_eval.synthetic.world import generate_world


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    root = tmp_path_factory.mktemp("messy")
    write_source_shape(generate_world(seed=5, scale=0.02), root)
    return root


def _edit(tmp_path, name: str, old: str, new: str):
    text = (PROFILE_DIR / f"{name}.toml").read_text()
    assert old in text, old
    p = tmp_path / f"{name}_edited.toml"
    p.write_text(text.replace(old, new, 1))
    return p


def _line(path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(needle)


def test_every_shipped_profile_loads_and_has_a_hash():
    names = shipped_profiles()
    assert {"p3ke", "dtsen", "susenas", "partner_bank_sulselbar", "partner_semen_tonasa",
            "partner_bpvp", "partner_ykpm", "partner_facilitation", "workbench_survey",
            "workbench_registry", "workbench_participation"} <= set(names)
    for n in names:
        p = load_profile(n)
        assert p.sha256 == hashlib.sha256((PROFILE_DIR / f"{n}.toml").read_bytes()).hexdigest()
        assert p.provenance()["profile_sha256"] == p.sha256


def test_unknown_target_column_names_line_and_closest(tmp_path):
    p = _edit(tmp_path, "p3ke", 'hh_size = "Jumlah', 'hh_sizee = "Jumlah')
    with pytest.raises(SchemaError) as e:
        load_profile(p)
    msg = str(e.value)
    assert f"line {_line(p, 'hh_sizee')}" in msg
    assert "'hh_sizee' is not a column of the registry contract" in msg
    assert "did you mean 'hh_size'" in msg
    # the same profile also leaves hh_size unmapped: both problems in one error
    assert "hh_size" in msg.split("hh_sizee")[-1] and "2 problems" in msg


def test_wrong_sheet_names_line_and_the_sheets(tmp_path, messy):
    p = _edit(tmp_path, "p3ke", 'sheet = "Data P3KE"', 'sheet = "Sheet1"')
    with pytest.raises(SchemaError) as e:
        map_files(messy / "p3ke_pangkep.xlsx", p, demo=True)
    msg = str(e.value)
    assert f"line {_line(p, 'Sheet1')}" in msg
    assert "'Sheet1', which p3ke_pangkep.xlsx does not have" in msg and "'Data P3KE'" in msg


def test_recode_missing_a_code_in_the_data_names_line_and_rows(tmp_path, messy):
    p = _edit(tmp_path, "p3ke", '"Perdagangan" = "trade", ', "")
    with pytest.raises(SchemaError) as e:
        map_files(messy / "p3ke_pangkep.xlsx", p, demo=True)
    msg = str(e.value)
    assert f"line {_line(p, '[recodes.sector]')}" in msg
    assert "'Perdagangan'" in msg and "[recodes.sector.codes]" in msg
    raw = pd.read_excel(messy / "p3ke_pangkep.xlsx", header=4, dtype=str, engine="calamine")
    n = int((raw["Pekerjaan Utama Kepala Keluarga"] == "Perdagangan").sum())
    assert f": {n} rows (e.g. p3ke_pangkep.xlsx row " in msg
    first = int(raw.index[raw["Pekerjaan Utama Kepala Keluarga"] == "Perdagangan"][0]) + 6
    assert f"p3ke_pangkep.xlsx row {first}," in msg   # Excel row: 5 header rows + 1-based


def test_missing_source_column_and_bad_amounts_reported_together(tmp_path, messy):
    p = _edit(tmp_path, "partner_bank_sulselbar", '"Plafon Kredit", parse = "rupiah"',
              '"Plafon Kredit", parse = "decimal_comma", unit = "thousand_rp"')
    p.write_text(p.read_text().replace('record_id = "ID KASSAKI"', 'record_id = "ID KASAKI"'))
    with pytest.raises(SchemaError) as e:
        map_files(messy / "partners" / "bank_sulselbar_kur.xlsx", p, demo=True)
    msg = str(e.value)
    assert "2 problems" in msg
    assert f"line {_line(p, 'ID KASAKI')}" in msg and "did you mean 'ID KASSAKI'" in msg
    assert f"line {_line(p, 'Plafon Kredit')}" in msg and "cannot parse" in msg


def test_personal_values_never_quoted(tmp_path, messy):
    p = _edit(tmp_path, "partner_ykpm", 'family_id = { from = "KK", pseudonymise = true }',
              'family_id = { from = "KK", recode = "kk", pseudonymise = true }')
    p.write_text(p.read_text() + '\n[recodes.kk]\ncodes = { "x" = "y" }\n')
    with pytest.raises(SchemaError) as e:
        map_files(messy / "partners" / "ykpm_kelompok_perempuan.xlsx", p, demo=True)
    msg = str(e.value)
    assert "distinct value(s)" in msg
    assert not re.search(r"\d{16}", msg)


def test_join_gaps_and_two_heads_name_the_rows(tmp_path, messy):
    sus = tmp_path / "sus"
    shutil.copytree(messy / "susenas", sus)
    kp = pd.read_csv(sus / "kp_2024.csv", dtype=str)
    kp.iloc[1:].to_csv(sus / "kp_2024.csv", index=False)
    ind = pd.read_csv(sus / "kor_ind_2024.csv", dtype=str)
    second = ind.index[ind["R401"] == "2"][0]
    ind.loc[second, "R403"] = "1"
    ind.to_csv(sus / "kor_ind_2024.csv", index=False)
    with pytest.raises(SchemaError) as e:
        map_files(sorted(sus.glob("*_2024.csv")), "susenas", demo=True)
    msg = str(e.value)
    assert "finds no kp row for rows of kor_rt_2024.csv: 1 row (e.g. kor_rt_2024.csv row 2)" in msg
    assert f"kor_ind_2024.csv row {second + 2}" in msg and "exactly one head" in msg


def test_file_not_matching_any_pattern(messy):
    with pytest.raises(SchemaError, match="match no part of the file name 'kor_rt_2024.csv'"):
        map_files(messy / "susenas" / "kor_rt_2024.csv", "p3ke")


def test_unknown_profile_name():
    with pytest.raises(ParameterError, match="did you mean 'p3ke'"):
        load_profile("p3k")


def test_unknown_keys_units_and_parsers(tmp_path):
    p = _edit(tmp_path, "partner_semen_tonasa", 'unit = "thousand_rp"', 'unit = "ribu"')
    p.write_text(p.read_text().replace('parse = "date_id"', 'parse = "tanggal", fromat = "x"'))
    with pytest.raises(SchemaError) as e:
        load_profile(p)
    msg = str(e.value)
    assert "unknown unit 'ribu'" in msg and "unknown parser 'tanggal'" in msg
    assert "unknown key 'fromat'" in msg and "did you mean 'format'" in msg


def test_parsers():
    assert parse_rupiah(pd.Series(["Rp 1.250.000", "Rp1.250.000,00", "1.250", "Rp -", None,
                                   "abc"])).tolist()[:3] == [1250000.0, 1250000.0, 1250.0]
    r = parse_rupiah(pd.Series(["Rp -", None, "abc"]))
    assert r.isna().all()
    assert parse_decimal_comma(pd.Series(["-0,125", "1.234,5", "3"])).tolist() == [-0.125, 1234.5, 3.0]




def test_map_check_and_apply_cli(tmp_path, messy, capsys):
    from kassaki_eval.cli import main
    f = str(messy / "partners" / "bank_sulselbar_kur.xlsx")
    assert main(["map", "--check", "partner_bank_sulselbar", f]) == 0
    out = capsys.readouterr().out
    assert "OK: the mapped table passes the participation contract" in out
    assert "(personal: not shown)" in out and not re.search(r"\d{16}", out)
    dest = tmp_path / "participation.csv"
    assert main(["map", "--apply", "partner_bank_sulselbar", f, "--apply", "partner_ykpm",
                 str(messy / "partners" / "ykpm_kelompok_perempuan.xlsx"), "--out", str(dest),
                 "--demo"]) == 0
    got = pd.read_csv(dest, dtype=str)
    assert set(got["partner"]) == {"bank_sulselbar", "ykpm"}
    assert not re.search(r"\d{16}", dest.read_text())


def test_map_check_reports_problems_and_exits_2(tmp_path, messy, capsys):
    from kassaki_eval.cli import main
    p = _edit(tmp_path, "partner_bpvp", 'sheet = "Peserta"', 'sheet = "Peserta 2024"')
    assert main(["map", "--check", str(p), str(messy / "partners" / "bpvp_pelatihan.xlsx")]) == 2
    assert "'Peserta 2024', which bpvp_pelatihan.xlsx does not have" in capsys.readouterr().out


def test_suggest_drafts_a_loadable_profile(tmp_path, messy):
    """The draft for a partner workbook parses as a profile once the constants the file
    cannot know (partner, component, unit, record id) are filled in, and maps the file."""
    from kassaki_eval.data.suggest import suggest_accuracy, suggest_profile
    f = messy / "partners" / "bank_sulselbar_kur.xlsx"
    s = suggest_profile(f)
    assert s.table == "participation" and s.source["header_row"] == 4
    assert "No. KK Debitur" in [c.header for c in s.columns if c.personal]
    text = s.text.replace("# record_id = ", 'record_id = "ID KASSAKI"').replace(
        "# partner = ", 'partner = { value = "bank_sulselbar" }').replace(
        "# component = ", 'component = { value = "credit" }').replace(
        "# unit = ", 'unit = { value = "household" }')
    draft = tmp_path / "draft.toml"
    draft.write_text(text)
    got = load_with_profile(f, draft, demo=True)
    want = load_with_profile(f, "partner_bank_sulselbar", demo=True)
    pd.testing.assert_frame_equal(got, want)
    acc = suggest_accuracy(f, "partner_bank_sulselbar")
    assert acc["table_ok"] and acc["correct"] == 4 and acc["total"] == 5
    assert acc["missed"] == ["ID KASSAKI"]


def test_validate_and_ingest_accept_a_profile(tmp_path, messy, capsys):
    from kassaki_eval.cli import main
    sus = sorted(str(p) for p in (messy / "susenas").glob("*_2024.csv"))
    args = ["validate", sus[0], "--profile", "susenas"]
    for f in sus[1:]:
        args += ["--with", f]
    assert main(args) == 0
    assert "OK: " in capsys.readouterr().out
    out = tmp_path / "registry.parquet"
    assert main(["ingest", str(messy / "p3ke_pangkep.xlsx"), "--profile", "p3ke", "--out",
                 str(out), "--demo"]) == 0
    got = pd.read_parquet(out)
    assert "family_id" in got and "no_kk" not in got and "nik_head" not in got
    assert main(["validate", str(messy / "p3ke_pangkep.xlsx"), "--profile", "p3ke",
                 "--sheet", "x"]) == 2
    assert "without --sheet" in capsys.readouterr().err


def test_report_profile_maps_the_files_before_the_run(tmp_path, messy, monkeypatch):
    """``report --profile registry=p3ke``: the registry file is mapped (with the real-data
    key from the environment) into a Parquet file named with the profile and its hash."""
    from kassaki_eval.cli import build_parser
    from kassaki_eval.reporting.cli import params_from_args
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "a-test-key-that-is-long-enough")
    args = build_parser().parse_args(["report", "--year", "2025", "--registry",
                                      str(messy / "p3ke_pangkep.xlsx"), "--profile",
                                      "registry=p3ke"])
    raw = params_from_args(args, tmp_path)
    reg = raw["source"]["registry"]
    sha = load_profile("p3ke").sha256
    assert reg.endswith(f"registry.p3ke-{sha[:12]}.parquet")
    assert len(pd.read_parquet(reg)) == len(load_with_profile(
        messy / "p3ke_pangkep.xlsx", "p3ke", key="a-test-key-that-is-long-enough"))
    assert raw["source"]["profiles"] == [{"table": "registry", "file": "p3ke_pangkep.xlsx",
                                          "profile": "p3ke", "profile_sha256": sha}]


PARTNERS = ["partner_bank_sulselbar", "partner_semen_tonasa", "partner_bpvp", "partner_ykpm",
            "partner_facilitation"]


def _partner_files(messy):
    from kassaki_eval.synthetic.source_shape import SOURCE_FILES
    return {p: messy / SOURCE_FILES[p][0] for p in PARTNERS}


def test_report_profile_per_partner_workbook_and_the_manifest_records_each(tmp_path, messy,
                                                                          monkeypatch):
    """One profile per partner workbook feeds the participation table of the report; the
    validated parameters, hence manifest.json, list every mapped input with its table, file
    name (no path), profile and the profile's SHA-256."""
    from kassaki_eval.cli import build_parser
    from kassaki_eval.data.profiles import load_with_profiles
    from kassaki_eval.reporting.cli import params_from_args
    from kassaki_eval.reporting.manifest import build_manifest
    from kassaki_eval.reporting.params import validate_params
    key = "a-test-key-that-is-long-enough"
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", key)
    parts = _partner_files(messy)
    argv = ["report", "--year", "2025", "--registry", str(messy / "p3ke_pangkep.xlsx"),
            "--profile", "registry=p3ke", "--rollout", str(messy / "rollout.csv"),
            "--profile", "survey=susenas"]
    for f in sorted((messy / "susenas").glob("*.csv")):
        argv += ["--survey", str(f)]
    for p, f in parts.items():
        argv += ["--profile", f"participation={p}:{f}"]
    raw = params_from_args(build_parser().parse_args(argv), tmp_path)
    params = validate_params(raw)
    got = pd.read_parquet(raw["source"]["participation"])
    want = load_with_profiles([([f], p) for p, f in parts.items()], key=key)
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)
    assert {"bank_sulselbar", "semen_tonasa", "bpvp", "ykpm"} < set(got["partner"])
    man = build_manifest(run_id="t", params_json=params.to_json_dict(), inputs={}, tables=[],
                         outputs={}, timings={}, notebooks={})
    rec = man["params"]["source"]["profiles"]
    by_file = {r["file"]: r for r in rec}
    for p, f in parts.items():
        assert by_file[f.name] == {"table": "participation", "file": f.name, "profile": p,
                                   "profile_sha256": load_profile(p).sha256}
    assert by_file["p3ke_pangkep.xlsx"]["table"] == "registry"
    assert {r["file"] for r in rec if r["table"] == "survey"} == \
        {f.name for f in (messy / "susenas").glob("*.csv")}
    assert all("/" not in r["file"] for r in rec)
    assert any(v.startswith("p3ke_pangkep.xlsx -> registry (p3ke, sha256 ")
               for k, v in params.rows() if k == "source.profiles")
    bad = dict(raw, source=dict(raw["source"], profiles=[dict(rec[0], profile_sha256="x")]))
    with pytest.raises(ParameterError):
        validate_params(bad)


def test_ingest_and_validate_take_one_profile_per_source(tmp_path, messy, capsys):
    from kassaki_eval.cli import main
    from kassaki_eval.data.profiles import load_with_profiles
    parts = _partner_files(messy)
    first, *rest = PARTNERS
    extra = [a for p in rest for a in ("--profile", f"{p}:{parts[p]}")]
    assert main(["validate", str(parts[first]), "--profile", first, *extra]) == 0
    out = capsys.readouterr().out
    assert "OK: " in out and all(p in out for p in PARTNERS)
    dest = tmp_path / "participation.parquet"
    assert main(["ingest", str(parts[first]), "--profile", first, *extra, "--out", str(dest),
                 "--demo"]) == 0
    want = load_with_profiles([([f], p) for p, f in parts.items()], demo=True)
    pd.testing.assert_frame_equal(pd.read_parquet(dest), want, check_dtype=False)
    # two profiles for the positional file: one clear error
    assert main(["validate", str(parts[first]), "--profile", first, "--profile", rest[0]]) == 2
    assert "exactly one profile for" in capsys.readouterr().err


def _fake_run_report(seen):
    import types

    def run(params, **_):
        for k in ("registry", "participation"):
            p = getattr(params.source, k)
            seen.append(p)
            assert p.is_file()
            assert "no_kk" not in pd.read_parquet(p).columns
        if seen and seen[0] == "fail":
            raise RuntimeError("notebook failed")
        return types.SimpleNamespace(run_id="x", seconds=0.0, html={}, xlsx={}, docx={}, pdf={},
                                     folder=Path("x"), timings={}, warnings=[],
                                     manifest=Path("m.json"))
    return run


@pytest.mark.parametrize("outcome", ["success", "mapping fails", "report fails"])
def test_report_profile_leaves_no_mapped_files_behind(tmp_path, messy, monkeypatch, outcome):
    """The mapped Parquet files live in a private temporary folder that is removed when the
    report finishes, fails in a notebook, or fails while mapping a later table."""
    import tempfile

    from kassaki_eval.cli import main
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "a-test-key-that-is-long-enough")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    seen: list = ["fail"] if outcome == "report fails" else []
    monkeypatch.setattr("kassaki_eval.reporting.runner.run_report", _fake_run_report(seen))
    parts = _partner_files(messy)
    argv = ["report", "--year", "2025", "--registry", str(messy / "p3ke_pangkep.xlsx"),
            "--profile", "registry=p3ke", "--rollout", str(messy / "rollout.csv"),
            "--profile", "survey=susenas"]
    for f in sorted((messy / "susenas").glob("*.csv")):
        argv += ["--survey", str(f)]
    bad = _edit(tmp_path, "partner_bpvp", 'sheet = "Peserta"', 'sheet = "Peserta 2024"')
    for p, f in parts.items():
        prof = str(bad) if (outcome == "mapping fails" and p == "partner_bpvp") else p
        argv += ["--profile", f"participation={prof}:{f}"]
    if outcome == "report fails":
        with pytest.raises(RuntimeError):
            main(argv)
    else:
        rc = main(argv)
        assert rc == (0 if outcome == "success" else 2)
    if outcome != "mapping fails":
        assert len(seen) >= 2  # the report saw the mapped files while it ran
    assert not list(tmpdir.glob("kassaki-mapped-*")), "mapped files left behind"
