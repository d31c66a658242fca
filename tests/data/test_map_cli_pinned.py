"""``kassaki-eval map`` and the ``--profile`` routes pinned (issue 18, session 8, mutmut survivors).

Every expected value follows from kassaki_eval/data/map_cli.py's documented behaviour, worked
out per case on a four-row loan file (made-up ids; village codes from the reference list) and
a profile written here: the lines ``--check`` prints (source of each column, count, three
examples, personal columns never shown), the problem list and exit 2, ``--apply``'s summary,
``--suggest``'s draft and summary, ``validate``/``ingest --profile`` and ``report --profile``
(``map_report_inputs``: specs, the Parquet file names, the manifest records), and every
parameter error word for word. See docs/MUTATION.md, "data/map_cli.py".
"""
from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from kassaki_eval.cli import main
from kassaki_eval.data.map_cli import map_report_inputs
from kassaki_eval.data.profiles import PROFILE_DIR
from kassaki_eval.exceptions import ParameterError, SchemaError

KK = ["7310011203850001", "7310011203850002", "7310011203850003", "7310011203850004"]
CSV = ("ID,Nomor KK,Tanggal Akad,Nilai Pinjaman,Kode Desa\n"
       f'R1,{KK[0]},01/02/2024,"Rp 1.250.000",73.10.01.1001\n'
       f'R2,{KK[1]},15/03/2024,"Rp 2.000.000",73.10.01.2002\n'
       f'R3,{KK[2]},16/03/2024,"Rp 3.000.000",73.10.01.2002\n'
       f'R4,{KK[3]},17/03/2024,"Rp 4.000.000",73.10.01.2003\n')
PROFILE = """[profile]
name = "kur"
table = "participation"
description = "test"
personal = ["Nomor KK"]

[[source]]
id = "main"
file = "kur_{year}.csv"

[columns]
record_id = "ID"
family_id = { from = "Nomor KK", pseudonymise = true }
village_code = "Kode Desa"
partner = { value = "bank_sulselbar" }
component = { value = "credit" }
unit = { value = "household" }
start_date = { from = "Tanggal Akad", parse = "date", format = "%d/%m/%Y" }
amount_rp = { from = "Nilai Pinjaman", parse = "rupiah" }
"""


@pytest.fixture
def kur(tmp_path, monkeypatch) -> tuple[Path, Path, str]:
    """(data file, profile file, the profile's sha256)."""
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "a-real-looking-key-0123456789abcdef")
    f = tmp_path / "kur_2024.csv"
    f.write_text(CSV, encoding="utf-8")
    p = tmp_path / "kur.toml"
    p.write_text(PROFILE, encoding="utf-8")
    return f, p, hashlib.sha256(p.read_bytes()).hexdigest()


def _no_ids(text: str) -> None:
    for k in KK:
        assert k not in text


def test_list_prints_every_shipped_profile(capsys):
    assert main(["map", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))
    assert [ln.split()[0] for ln in lines] == names
    p3ke = tomllib.loads((PROFILE_DIR / "p3ke.toml").read_text())["profile"]
    assert f"{'p3ke':26s} {'registry':14s} {p3ke['description']}" in lines


def test_check_prints_each_column_and_passes(kur, capsys):
    f, p, sha = kur
    assert main(["map", "--check", str(p), str(f)]) == 0
    out = capsys.readouterr().out
    assert out == (
        f"profile kur.toml (sha256 {sha[:12]}…) -> participation: 4 rows from 1 file(s): "
        "kur_2024.csv\n"
        f"  {'record_id':18s} <- {'ID':32s}       4 values  R1, R2, R3\n"
        f"  {'family_id':18s} <- {'Nomor KK':32s}       4 values  (personal: not shown)\n"
        f"  {'village_code':18s} <- {'Kode Desa':32s}       4 values  "
        "73.10.01.1001, 73.10.01.2002, 73.10.01.2003\n"
        f"  {'partner':18s} <- {'constant':32s}       4 values  bank_sulselbar\n"
        f"  {'component':18s} <- {'constant':32s}       4 values  credit\n"
        f"  {'unit':18s} <- {'constant':32s}       4 values  household\n"
        f"  {'start_date':18s} <- {'Tanggal Akad':32s}       4 values  "
        "2024-02-01, 2024-03-15, 2024-03-16\n"
        f"  {'amount_rp':18s} <- {'Nilai Pinjaman':32s}       4 values  "
        "1250000.0, 2000000.0, 3000000.0\n"
        "OK: the mapped table passes the participation contract\n")


def test_check_sources_personal_columns_and_problems(kur, tmp_path, capsys):
    f, p, _ = kur
    # a column from another target, the file's year (not a unit), a personal column not
    # pseudonymised with a missing value
    text = PROFILE.replace('record_id = "ID"\n', '') \
        .replace('partner = { value = "bank_sulselbar" }', 'partner = "Catatan"') \
        .replace('unit = { value = "household" }', 'unit = { file = "year" }') \
        .replace('personal = ["Nomor KK"]', 'personal = ["Nomor KK", "Catatan"]') \
        + 'record_id = { target = "village_code" }\n'
    q = tmp_path / "kur2.toml"
    q.write_text(text, encoding="utf-8")
    g = tmp_path / "kur_2023.csv"
    g.write_text(CSV.replace("ID,", "Catatan,ID,", 1).replace("\nR1,", "\n,R1,")
                 .replace("\nR2,", "\nykpm,R2,").replace("\nR3,", "\nbpvp,R3,")
                 .replace("\nR4,", "\nbpvp,R4,"),
                 encoding="utf-8")
    # a personal column mapped plainly to an ordinary column is refused when the profile is
    # read (session 8: its values were written as they were, and quoted by the contract's
    # messages, e.g. "unknown partner ('Budi', 'Ani')"; found by helper mutF)
    assert main(["map", "--check", str(q), str(g)]) == 2
    out = capsys.readouterr().out
    assert out == (
        "profile kur2.toml: 1 problem found\n  - profile kur2.toml line 14: column 'partner' is "
        "mapped from personal column 'Catatan' without pseudonymising it, so its values would "
        "be written and shown as they are. Fix: add pseudonymise = true to the rule (a keyed "
        "pseudonym, as for family ids), or map another column, or take the column out of "
        "personal = [...] if it holds no personal data\n")
    # Catatan holds partner names, not personal data: not declared personal, it is mapped
    q.write_text(text.replace('personal = ["Nomor KK", "Catatan"]', 'personal = ["Nomor KK"]'),
                 encoding="utf-8")
    assert main(["map", "--check", str(q), str(g)]) == 2
    out = capsys.readouterr().out
    assert f"  {'record_id':18s} <- {'target village_code':32s}       4 values  " in out
    assert f"  {'partner':18s} <- {'Catatan':32s}       3 values  ykpm, bpvp\n" in out
    assert f"  {'unit':18s} <- {'file year':32s}       4 values  2023\n" in out
    # the record ids (from village_code) repeat 73.10.01.2002; one partner is empty; the year
    # is no unit
    assert out.endswith(
        "participation: 3 problems found\n"
        "  - participation: column 'record_id' has duplicated values: 2 rows (e.g. "
        "73.10.01.2002). Fix: 'record_id' must be unique: remove or merge the duplicated rows "
        "in a cleaned copy\n"
        "  - participation: column 'partner' has missing values: 1 row (e.g. 73.10.01.1001). "
        "Fix: 'partner' may not be empty; fill it or drop those rows in a cleaned copy\n"
        "  - participation: column 'unit' has values outside the allowed set ('2023'): 4 rows "
        "(e.g. 73.10.01.1001, 73.10.01.2002, 73.10.01.2003). Fix: allowed values: household, "
        "village\n")
    _no_ids(out)


def test_check_one_problem_and_a_raw_registry(kur, tmp_path, capsys):
    f, p, sha = kur
    bad = tmp_path / "kur_2026.csv"
    bad.write_text(CSV.replace("73.10.01.2003", "73.10.01.2099"), encoding="utf-8")
    assert main(["map", "--check", str(p), str(bad)]) == 2
    assert capsys.readouterr().out.endswith(
        "\nparticipation: 1 problem found\n"
        "  - participation: column 'village_code' has unknown village codes ('73.10.01.2099'): "
        "1 row (e.g. R4). Fix: codes must be in the reference village list "
        "(kassaki_eval.reference.villages(), 103 villages of Pangkep); check for typos or a "
        "newer code list\n")
    # a registry with its family-card numbers is checked against the raw registry contract;
    # NIK, KK and names are never shown
    from conftest import make_registry_raw
    raw = make_registry_raw()
    g = tmp_path / "raw.csv"
    raw.to_csv(g, index=False)
    assert main(["map", "--check", "workbench_registry", str(g)]) == 0
    out = capsys.readouterr().out
    for c in ("no_kk", "nik_head", "name_head"):
        assert f"  {c:18s} <- {c:32s}      30 values  (personal: not shown)\n" in out
        assert not any(str(v) in out for v in raw[c])
    assert out.endswith("\nOK: the mapped table passes the registry_raw contract\n")


def test_check_errors(kur, tmp_path, capsys):
    f, p, _ = kur
    assert main(["map", "--check", str(p)]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval map: error: The '--check' parameter of kassaki-eval map must be PROFILE "
        "FILE [FILE ...]. Got no data file instead.\n")
    # a profile error is printed (stdout) with exit 2, no traceback
    bad = tmp_path / "bad.toml"
    bad.write_text(PROFILE.replace('record_id = "ID"', 'record_idd = "ID"'), encoding="utf-8")
    assert main(["map", "--check", str(bad), str(f)]) == 2
    out = capsys.readouterr().out
    assert out.startswith("profile bad.toml: ") and "'record_idd' is not a column" in out


def test_apply_writes_the_table_and_says_what(kur, tmp_path, capsys):
    f, p, _ = kur
    dest = tmp_path / "out" / "participation.csv"
    assert main(["map", "--apply", str(p), str(f), "--out", str(dest)]) == 0
    assert capsys.readouterr().out == (
        f"OK: 4 rows (participation) from kur (4 rows read) written to {dest}\n")
    got = pd.read_csv(dest, dtype=str)
    assert got["record_id"].tolist() == ["R1", "R2", "R3", "R4"]
    _no_ids(dest.read_text())
    # exists: refused without --force, written with it
    assert main(["map", "--apply", str(p), str(f), "--out", str(dest)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["map", "--apply", str(p), str(f), "--out", str(dest), "--force"]) == 0
    # two --apply of one contract are stacked and counted per profile
    q = tmp_path / "kur_b.toml"
    q.write_text(PROFILE.replace('name = "kur"', 'name = "kur_b"'), encoding="utf-8")
    g = tmp_path / "kur_2025.csv"
    g.write_text(CSV.replace("\nR", "\nS").replace("850001", "850011").replace("850002", "850012")
                 .replace("850003", "850013").replace("850004", "850014"), encoding="utf-8")
    capsys.readouterr()
    assert main(["map", "--apply", str(p), str(f), "--apply", str(q), str(g), "--out",
                 str(dest), "--force"]) == 0
    assert capsys.readouterr().out == (
        f"OK: 8 rows (participation) from kur (4 rows read), kur_b (4 rows read) written to "
        f"{dest}\n")


def test_apply_errors(kur, tmp_path, capsys):
    f, p, _ = kur
    assert main(["map", "--apply", str(p), str(f)]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval map: error: The '--out' parameter of kassaki-eval map --apply is required "
        "(a .parquet, .csv or .xlsx path). Got nothing instead.\n")
    assert main(["map", "--apply", str(p), "--out", str(tmp_path / "o.csv")]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval map: error: The '--apply' parameter of kassaki-eval map must be PROFILE "
        f"FILE [FILE ...]. Got {[str(p)]!r} instead.\n")
    assert main(["map", "--apply", str(p), str(f), "--out", str(f), "--force"]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval map: error: The '--out' parameter of kassaki-eval map must differ from "
        f"the inputs (raw files are never modified). Got {str(f)!r} instead.\n")
    assert f.read_text() == CSV
    # a mapping problem: printed, exit 2, nothing written
    bad = tmp_path / "kur_2026.csv"
    bad.write_text(CSV.replace("73.10.01.2003", "73.10.01.2099"), encoding="utf-8")
    dest = tmp_path / "o.csv"
    assert main(["map", "--apply", str(p), str(bad), "--out", str(dest)]) == 2
    out = capsys.readouterr().out
    assert "unknown village codes ('73.10.01.2099')" in out
    assert not dest.exists()
    _no_ids(out)


def test_suggest_prints_or_writes_the_draft(kur, tmp_path, capsys):
    f, _, _ = kur
    assert main(["map", "--suggest", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# DRAFT written by `kassaki-eval map --suggest`")
    # five source columns: ID, Nomor KK, Tanggal Akad, Nilai Pinjaman, Kode Desa all mapped
    assert out.endswith(
        "\n# kur_2024.csv: table 'participation', 5 of 5 source columns mapped; personal "
        "columns: Nomor KK. Review the draft, then run: kassaki-eval map --check <draft.toml> "
        "kur_2024.csv\n")
    dest = tmp_path / "draft.toml"
    assert main(["map", "--suggest", str(f), "--out", str(dest)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"draft profile written to {dest}\n# kur_2024.csv: table")
    assert dest.read_text(encoding="utf-8").startswith("# DRAFT written by")
    assert main(["map", "--suggest", str(f), "--out", str(dest)]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval map: error: The '--out' parameter of kassaki-eval map must not name an "
        f"existing file (or pass --force). Got {str(dest)!r} instead.\n")
    dest.write_text("old")
    assert main(["map", "--suggest", str(f), "--out", str(dest), "--force"]) == 0
    assert dest.read_text(encoding="utf-8").startswith("# DRAFT written by")
    # --table is passed on; no personal column found
    g = tmp_path / "plain.csv"
    g.write_text("Tahun,Catatan\n2024,a\n", encoding="utf-8")
    assert main(["map", "--suggest", str(g), "--table", "survey"]) == 0
    out = capsys.readouterr().out
    assert 'table = "survey"' in out
    assert out.endswith("# plain.csv: table 'survey', 1 of 2 source columns mapped; personal "
                        "columns: none found. Review the draft, then run: kassaki-eval map "
                        "--check <draft.toml> plain.csv\n")


def test_suggest_passes_the_sheet(tmp_path, capsys):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "Besar"
    for r in (["Tahun", "Catatan"], [2024, "a"], [2025, "b"]):
        wb.active.append(r)
    ws = wb.create_sheet("Kecil")
    ws.append(["Desil"])
    ws.append([1])
    f = tmp_path / "w.xlsx"
    wb.save(f)
    assert main(["map", "--suggest", str(f), "--sheet", "Kecil"]) == 0
    assert 'sheet = "Kecil"' in capsys.readouterr().out


def test_validate_and_ingest_with_a_profile(kur, tmp_path, capsys):
    f, p, sha = kur
    assert main(["validate", str(f), "--profile", str(p)]) == 0
    assert capsys.readouterr().out == (
        f"OK: 4 rows (participation through profile kur, sha256 {sha[:12]}…; kur_2024.csv)\n")
    dest = tmp_path / "p.csv"
    assert main(["ingest", str(f), "--profile", str(p), "--out", str(dest)]) == 0
    assert capsys.readouterr().out == (
        f"OK: 4 rows (participation through profile kur, sha256 {sha[:12]}…) written to "
        f"{dest}\n")
    _no_ids(dest.read_text())
    # a second source through its own profile: PROFILE:FILE
    q = tmp_path / "kur_b.toml"
    q.write_text(PROFILE.replace('name = "kur"', 'name = "kur_b"'), encoding="utf-8")
    shb = hashlib.sha256(q.read_bytes()).hexdigest()
    g = tmp_path / "kur_2025.csv"
    g.write_text(CSV.replace("\nR", "\nS"), encoding="utf-8")
    assert main(["validate", str(f), "--profile", str(p), "--profile", f"{q}:{g}"]) == 0
    assert capsys.readouterr().out == (
        f"OK: 8 rows (participation through profile kur, sha256 {sha[:12]}…, kur_b, sha256 "
        f"{shb[:12]}…; kur_2024.csv, kur_2025.csv)\n")
    # a mapping problem: printed, exit 2
    bad = tmp_path / "kur_2026.csv"
    bad.write_text(CSV.replace("73.10.01.2003", "73.10.01.2099"), encoding="utf-8")
    assert main(["validate", str(bad), "--profile", str(p)]) == 2
    assert "unknown village codes ('73.10.01.2099')" in capsys.readouterr().out
    assert main(["ingest", str(bad), "--profile", str(p), "--out", str(tmp_path / "q.csv")]) \
        == 2
    assert "unknown village codes ('73.10.01.2099')" in capsys.readouterr().out
    assert not (tmp_path / "q.csv").exists()


def test_profile_route_errors(kur, tmp_path, capsys):
    f, p, _ = kur
    assert main(["validate", str(f), "--profile", str(p), "--profile", str(p)]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval validate: error: The '--profile' parameter of kassaki-eval validate must "
        "name exactly one profile for kur_2024.csv (the other sources as PROFILE:FILE). Got 2 "
        "instead.\n")
    assert main(["ingest", str(f), "--profile", f"{p}:{f}", "--out", str(tmp_path / "o.csv")]) \
        == 2
    assert ("The '--profile' parameter of kassaki-eval ingest must name exactly one profile "
            "for kur_2024.csv (the other sources as PROFILE:FILE). Got 0 instead.") \
        in capsys.readouterr().err
    assert main(["validate", str(f), "--profile", str(p), "--profile", ":x.csv"]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval validate: error: The '--profile' parameter of kassaki-eval validate must "
        "be PROFILE (for FILE and the --with files) or PROFILE:FILE (another source). Got "
        "':x.csv' instead.\n")
    assert main(["validate", str(f), "--profile", str(p), "--profile", "kur:"]) == 2
    assert "Got 'kur:' instead." in capsys.readouterr().err
    assert main(["ingest", str(f), "--profile", str(p), "--out", str(f), "--force"]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval ingest: error: The '--out' parameter of kassaki-eval ingest must differ "
        f"from the input (the raw file is never modified). Got {str(f)!r} instead.\n")
    assert f.read_text() == CSV


def test_map_report_inputs_writes_one_parquet_per_table(kur, tmp_path):
    f, p, sha = kur
    files = {"participation": str(f), "registry": "r.parquet"}
    out, mapped = map_report_inputs(files, [f"participation={p}"], out_dir=tmp_path / "m")
    dest = tmp_path / "m" / f"participation.kur-{sha[:12]}.parquet"
    assert out == {"participation": str(dest), "registry": "r.parquet"}
    assert mapped == [{"table": "participation", "file": "kur_2024.csv", "profile": "kur",
                       "profile_sha256": sha}]
    assert pd.read_parquet(dest)["record_id"].tolist() == ["R1", "R2", "R3", "R4"]
    assert files == {"participation": str(f), "registry": "r.parquet"}   # not changed
    # two sources through two profiles, given as TABLE=PROFILE:FILE
    q = tmp_path / "kur_b.toml"
    q.write_text(PROFILE.replace('name = "kur"', 'name = "kur_b"'), encoding="utf-8")
    shb = hashlib.sha256(q.read_bytes()).hexdigest()
    g = tmp_path / "kur_2025.csv"
    g.write_text(CSV.replace("\nR", "\nS"), encoding="utf-8")
    out, mapped = map_report_inputs({}, [f"participation={p}:{f}", f"participation={q}:{g}"],
                                    out_dir=tmp_path / "m2")
    tag = hashlib.sha256((sha + shb).encode()).hexdigest()[:12]
    assert out == {"participation": str(tmp_path / "m2" / f"participation.2-profiles-{tag}"
                                                          f".parquet")}
    assert [(m["file"], m["profile"], m["profile_sha256"]) for m in mapped] == \
        [("kur_2024.csv", "kur", sha), ("kur_2025.csv", "kur_b", shb)]
    # a folder of its own when none is given
    out, _ = map_report_inputs({"participation": [str(f)]}, [f"participation={p}"])
    made = Path(out["participation"])
    assert made.parent.name.startswith("kassaki-mapped-") and made.is_file()
    made.unlink()
    made.parent.rmdir()


def test_map_report_inputs_survey_is_a_list(tmp_path, monkeypatch):
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "a-real-looking-key-0123456789abcdef")
    from conftest import make_survey
    s = make_survey()
    f = tmp_path / "survey_2024.csv"
    s.to_csv(f, index=False)
    out, mapped = map_report_inputs({"survey": [str(f)]}, ["survey=workbench_survey"],
                                    out_dir=tmp_path)
    assert isinstance(out["survey"], list) and len(out["survey"]) == 1
    assert Path(out["survey"][0]).name.startswith("survey.workbench_survey-")
    assert mapped[0]["table"] == "survey" and mapped[0]["profile"] == "workbench_survey"


@pytest.mark.parametrize("spec", ["participation", "participation=", "household=kur",
                                  "=kur", "villages=kur"])
def test_map_report_inputs_spec_errors(spec):
    with pytest.raises(ParameterError) as e:
        map_report_inputs({"participation": "x.csv"}, [spec])
    assert str(e.value) == (
        "The '--profile' parameter of kassaki-eval report must be TABLE=PROFILE or "
        "TABLE=PROFILE:FILE with TABLE one of registry, survey, participation, rollout. Got "
        f"{spec!r} instead.")


def test_map_report_inputs_other_errors(kur, tmp_path):
    f, p, _ = kur
    with pytest.raises(ParameterError) as e:
        map_report_inputs({"participation": "x.csv"}, ["participation=kur:"])
    assert str(e.value).endswith("Got 'kur:' instead.")
    with pytest.raises(ParameterError) as e:
        map_report_inputs({"registry": "r.csv"}, ["participation=kur"])
    assert str(e.value) == (
        "The '--profile' parameter of kassaki-eval report maps the files of --participation "
        "(or names its file: participation=PROFILE:FILE). Got 'participation=kur' but no "
        "--participation file instead.")
    with pytest.raises(ParameterError) as e:
        map_report_inputs({"participation": None}, ["participation=kur"])
    assert "no --participation file instead" in str(e.value)
    with pytest.raises(ParameterError) as e:
        map_report_inputs({"registry": str(f)}, [f"registry={p}"], out_dir=tmp_path)
    assert str(e.value) == (
        "The '--profile' parameter of kassaki-eval report must map --registry with a registry "
        f"profile. Got [{str(p)!r}] (a participation profile) instead.")
    assert list(tmp_path.glob("*.parquet")) == []
    # a mapping problem is the loader's SchemaError
    bad = tmp_path / "kur_2026.csv"
    bad.write_text(CSV.replace("73.10.01.2003", "73.10.01.2099"), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"73\.10\.01\.2099"):
        map_report_inputs({}, [f"participation={p}:{bad}"], out_dir=tmp_path)


@pytest.mark.parametrize("opt, value", [("--sheet", "x"), ("--header-row", "2"),
                                        ("--encoding", "cp1252"), ("--rename", "a=b"),
                                        ("--pii", "a=drop")])
def test_profile_says_how_to_read_the_file(kur, capsys, opt, value):
    f, p, _ = kur
    assert main(["validate", str(f), "--profile", str(p), opt, value]) == 2
    assert capsys.readouterr().err == (
        "kassaki-eval validate: error: The '--profile' parameter of kassaki-eval must be used "
        f"without {opt} (the profile says how to read the file). Got both instead.\n")


def test_map_needs_one_action_and_documents_each_option(capsys, monkeypatch):
    with pytest.raises(SystemExit) as e:
        main(["map"])
    assert e.value.code == 2
    assert capsys.readouterr().err.endswith(
        "kassaki-eval map: error: one of the arguments --list --suggest --check --apply is "
        "required\n")
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    top = " ".join(capsys.readouterr().out.split())
    assert ("map draft, check and apply mapping profiles for source files (P3KE, DTSEN, "
            "Susenas, partner workbooks)") in top
    with pytest.raises(SystemExit) as e:
        main(["map", "--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    from kassaki_eval.data import map_cli
    assert map_cli.DESCRIPTION in out   # the examples as written (raw formatter)
    words = " ".join(out.split())
    for text in (
            "--list list the shipped profiles",
            "--suggest FILE draft a profile from a file's headers and values (for a person to "
            "review)",
            "--check PROFILE_OR_FILE [PROFILE_OR_FILE ...] PROFILE FILE [FILE ...]: show what "
            "the mapping produces and every problem at once",
            "--apply PROFILE_OR_FILE [PROFILE_OR_FILE ...] PROFILE FILE [FILE ...] "
            "(repeatable): map, validate, pseudonymise and write the contract table to --out",
            "--table {registry,survey,participation} --suggest: target contract (default: "
            "guessed)",
            "--sheet SHEET --suggest: Excel sheet (default: the largest)",
            "--out OUT --suggest: draft .toml; --apply: output table",
            "--demo synthetic data: allow the public demo pseudonymisation key",
            "--force overwrite --out if it exists"):
        assert text in words, text


def test_check_names_every_source_of_a_concatenated_column(kur, tmp_path, capsys):
    """A rule of several source columns (``from = [...]``) is shown as their headers joined by
    '+' (session 10, mutK: ``_check__mutmut_36``); the values are the concatenation with
    ``sep`` (docs/PROFILES.md), here ID '-' the village code, written out by hand."""
    f, _, _ = kur
    q = tmp_path / "kur_cat.toml"
    q.write_text(PROFILE.replace('record_id = "ID"',
                                 'record_id = { from = ["ID", "Kode Desa"], sep = "-" }'),
                 encoding="utf-8")
    assert main(["map", "--check", str(q), str(f)]) == 0
    out = capsys.readouterr().out
    assert (f"  {'record_id':18s} <- {'ID+Kode Desa':32s}       4 values  "
            "R1-73.10.01.1001, R2-73.10.01.2002, R3-73.10.01.2002\n") in out


def test_validate_needs_no_key_and_ingest_demo_uses_the_demo_key(kur, tmp_path, monkeypatch,
                                                                   capsys):
    """``validate --profile`` checks with the demo key (nothing is written, so no real key is
    needed); ``ingest --profile --demo`` pseudonymises with the public demo key, not the
    environment's (session 10, mutK: ``validate_with_profile__mutmut_8``,
    ``ingest_with_profile__mutmut_12``). Expected family ids: 'F' + the first 16 hex digits
    of HMAC-SHA256(demo key, family-card number), computed here with Python's ``hmac``."""
    import hmac

    from kassaki_eval import config
    f, p, _ = kur
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY")
    assert main(["validate", str(f), "--profile", str(p)]) == 0
    assert capsys.readouterr().out.startswith("OK: 4 rows (participation through profile kur")
    dest = tmp_path / "demo.csv"
    assert main(["ingest", str(f), "--profile", str(p), "--out", str(dest), "--demo"]) == 0
    key = config.DEMO_PSEUDONYM_KEY.encode()
    want = ["F" + hmac.new(key, k.encode(), "sha256").hexdigest()[:16] for k in KK]
    assert pd.read_csv(dest, dtype=str)["family_id"].tolist() == want
    # without --demo, the environment's key: other ids
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "another-real-key-fedcba9876543210")
    assert main(["ingest", str(f), "--profile", str(p), "--out", str(tmp_path / "r.csv")]) == 0
    assert pd.read_csv(tmp_path / "r.csv", dtype=str)["family_id"].tolist() != want


def test_map_report_inputs_records_every_table(kur, tmp_path):
    """Two tables mapped in one call: the manifest records both, in the order of the specs
    (session 10, mutK: ``map_report_inputs__mutmut_124``, ``mapped =`` for ``+=``)."""
    f, p, sha = kur
    from conftest import make_survey
    s = tmp_path / "survey_2024.csv"
    make_survey().to_csv(s, index=False)
    out, mapped = map_report_inputs({"participation": str(f), "survey": [str(s)]},
                                    [f"participation={p}", "survey=workbench_survey"],
                                    out_dir=tmp_path / "m")
    assert [(m["table"], m["file"], m["profile"]) for m in mapped] == [
        ("participation", "kur_2024.csv", "kur"), ("survey", "survey_2024.csv",
                                                   "workbench_survey")]
    assert mapped[0]["profile_sha256"] == sha
    assert sorted(out) == ["participation", "survey"]
