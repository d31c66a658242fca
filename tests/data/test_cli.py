"""``kassaki-eval validate`` and ``kassaki-eval ingest``."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from conftest import fake_nik, make_registry_raw, make_survey, sha256
from kassaki_eval.cli import main


def test_validate_ok(tmp_path: Path, capsys):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    assert main(["validate", str(p), "--table", "survey"]) == 0
    assert capsys.readouterr().out.startswith("OK: 54 rows")


def test_validate_lists_every_problem_and_exits_2(tmp_path: Path, capsys):
    p = tmp_path / "s.csv"
    s = make_survey()
    s.loc[0, "weight"] = 0
    s.loc[1, "consumption_pc"] = -1
    s.to_csv(p, index=False)
    before = sha256(p)
    assert main(["validate", str(p), "--table", "survey"]) == 2
    out = capsys.readouterr().out
    assert out.startswith("survey (s.csv): 2 problems found")
    assert "column 'weight' has zero or negative values (0): 1 row (e.g. H0000 (2023))" in out
    assert "column 'consumption_pc' has negative values (-1): 1 row (e.g. H0001 (2023))" in out
    assert sha256(p) == before


def test_validate_rename_and_header_row(tmp_path: Path, capsys):
    p = tmp_path / "s.csv"
    p.write_text("title\n" + make_survey().rename(columns={"income": "incme"})
                 .to_csv(index=False), encoding="utf-8")
    assert main(["validate", str(p), "--header-row", "2", "--rename", "incme=income"]) == 0


def test_file_errors_exit_2_via_main(tmp_path: Path, capsys):
    p = tmp_path / "s.xlsx"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    assert main(["validate", str(p)]) == 2
    assert "claims an Excel workbook (.xlsx), but the content is CSV text" in capsys.readouterr().err


def test_ingest_writes_pseudonymised_table(tmp_path: Path, capsys):
    src = tmp_path / "p3ke.csv"
    make_registry_raw().to_csv(src, index=False)
    out = tmp_path / "registry.parquet"
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo"]) == 0
    reg = pd.read_parquet(out)
    assert reg.columns[0] == "family_id" and "no_kk" not in reg
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo"]) == 2
    assert "exists" in capsys.readouterr().err
    before = sha256(src)
    assert main(["ingest", str(src), "--table", "registry", "--out", str(src), "--force",
                 "--demo"]) == 2
    assert "must differ from the input" in capsys.readouterr().err
    assert sha256(src) == before


def test_ingest_refuses_undeclared_personal_columns_then_honours_pii(tmp_path: Path, capsys):
    """Extra personal columns (a full name, a spouse's NIK, an address) are never written."""
    raw = make_registry_raw()
    raw["nama_lengkap"] = [f"Andi Baso Contoh{chr(65 + i % 26)}" for i in range(len(raw))]
    raw["nik_pasangan"] = [fake_nik(700 + i) for i in range(len(raw))]
    raw["alamat"] = [f"Jl. Contoh No. {i}, RT 01/RW 02" for i in range(len(raw))]
    src = tmp_path / "p3ke.csv"
    raw.to_csv(src, index=False)
    before = sha256(src)
    out = tmp_path / "registry.parquet"
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo"]) == 2
    text = capsys.readouterr().out
    assert text.startswith("registry_raw (p3ke.csv): 3 problems found")
    for col in ("nama_lengkap", "nik_pasangan", "alamat"):
        assert f"column '{col}' looks like personal data" in text
    assert not out.exists()
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo",
                 "--pii", "nama_lengkap=drop", "--pii", "alamat=drop",
                 "--pii", "nik_pasangan=hash"]) == 0
    reg = pd.read_parquet(out)
    assert "nama_lengkap" not in reg and "alamat" not in reg
    assert reg["nik_pasangan"].str.fullmatch(r"P[0-9a-f]{16}").all()
    written = out.read_bytes()
    assert b"Contoh" not in written and fake_nik(700).encode() not in written
    assert sha256(src) == before
    assert main(["validate", str(src), "--table", "registry", "--pii", "alamat=keep"]) == 2
    assert "must be COLUMN=hash or COLUMN=drop" in capsys.readouterr().err
