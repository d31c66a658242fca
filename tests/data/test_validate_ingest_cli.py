"""``kassaki-eval validate`` / ``ingest`` pinned option by option (issue 18, mutmut on
kassaki_eval/data/cli.py): the exact OK lines, every option reaching the reader, the option
errors word for word, the sub-commands' defaults and the hand-over to the profile path.

Expected values: the row counts of the test tables (make_survey: 6 villages x 3 households x
3 years = 54 rows; make_registry_raw: 30 families), the texts written in kassaki_eval/data/cli.py
and argparse's documented behaviour (exit status 2 on a usage error).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import make_registry_raw, make_survey, sha256
from kassaki_eval.cli import build_parser, main
from kassaki_eval.data import map_cli


def test_validate_prints_rows_table_and_path(tmp_path: Path, capsys):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    assert main(["validate", str(p)]) == 0   # --table defaults to survey
    assert capsys.readouterr().out == f"OK: 54 rows (survey, {p})\n"


def test_ingest_prints_rows_table_and_output(tmp_path: Path, capsys):
    src = tmp_path / "p3ke.csv"
    make_registry_raw().to_csv(src, index=False)
    out = tmp_path / "registry.parquet"
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo"]) == 0
    assert capsys.readouterr().out == f"OK: 30 rows (registry) written to {out}\n"
    # --force overwrites an existing output (and only then)
    first = sha256(out)
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo",
                 "--force"]) == 0
    assert capsys.readouterr().out == f"OK: 30 rows (registry) written to {out}\n"
    assert sha256(out) == first and len(pd.read_parquet(out)) == 30
    # the written table is the pseudonymised registry, and validates as one
    assert main(["validate", str(out), "--table", "registry"]) == 0
    assert capsys.readouterr().out == f"OK: 30 rows (registry, {out})\n"


def test_ingest_without_demo_refuses_the_public_demo_key(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.delenv("KASSAKI_PSEUDONYM_KEY", raising=False)
    src = tmp_path / "p3ke.csv"
    make_registry_raw().to_csv(src, index=False)
    out = tmp_path / "registry.parquet"
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out)]) == 2
    assert "KASSAKI_PSEUDONYM_KEY" in capsys.readouterr().err
    assert not out.exists()


def test_encoding_and_sheet_reach_the_reader(tmp_path: Path, capsys):
    s = make_survey()
    s["keterangan"] = "caf\u00e9 \u2013 \u00bd"    # letters cp1252 writes as 0xE9, 0x96, 0xBD
    p = tmp_path / "s.csv"
    p.write_bytes(s.to_csv(index=False).encode("cp1252"))
    assert main(["validate", str(p)]) == 2             # not UTF-8: refused without --encoding
    assert "cp1252" in capsys.readouterr().err
    assert main(["validate", str(p), "--encoding", "cp1252"]) == 0
    assert capsys.readouterr().out == f"OK: 54 rows (survey, {p})\n"
    x = tmp_path / "s.xlsx"
    with pd.ExcelWriter(x) as w:
        pd.DataFrame({"a": [1]}).to_excel(w, sheet_name="notes", index=False)
        make_survey().to_excel(w, sheet_name="data", index=False)
    assert main(["validate", str(x), "--sheet", "data"]) == 0
    assert capsys.readouterr().out == f"OK: 54 rows (survey, {x})\n"


def test_rename_keeps_everything_after_the_first_equals_sign(tmp_path: Path, capsys):
    p = tmp_path / "s.csv"
    make_survey().rename(columns={"income": "a=b"}).to_csv(p, index=False)
    assert main(["validate", str(p), "--rename", "a=b=income"]) == 2   # 'a' is not a column
    capsys.readouterr()
    make_survey().rename(columns={"income": "inc"}).to_csv(p, index=False)
    assert main(["validate", str(p), "--rename", "inc=income", "--rename", "zz=yy"]) == 0


@pytest.mark.parametrize("argv, message", [
    (["--rename", "income"], "The '--rename' parameter of kassaki-eval must be OLD=NEW. Got "
                             "'income' instead."),
    (["--pii", "alamat=keep"], "The '--pii' parameter of kassaki-eval must be COLUMN=hash or "
                               "COLUMN=drop. Got 'alamat=keep' instead."),
    (["--pii", "=hash"], "The '--pii' parameter of kassaki-eval must be COLUMN=hash or "
                         "COLUMN=drop. Got '=hash' instead."),
    (["--pii", "alamat"], "The '--pii' parameter of kassaki-eval must be COLUMN=hash or "
                          "COLUMN=drop. Got 'alamat' instead."),
    # only the first 60 characters of a long argument are echoed (it may hold personal data)
    (["--pii", "x" * 70 + "=keep"], "The '--pii' parameter of kassaki-eval must be COLUMN=hash "
                                    f"or COLUMN=drop. Got {'x' * 60!r} instead."),
])
def test_option_errors_word_for_word(tmp_path: Path, capsys, argv, message):
    p = tmp_path / "s.csv"
    make_survey().to_csv(p, index=False)
    assert main(["validate", str(p), *argv]) == 2
    assert capsys.readouterr().err == f"kassaki-eval validate: error: {message}\n"


def test_pii_column_names_may_hold_equals_signs(tmp_path: Path, capsys):
    """`--pii` splits at the last '=': 'a=b=drop' declares column 'a=b'."""
    raw = make_registry_raw()
    raw["a=b"] = [f"Jl. Contoh No. {i}, RT 01/RW 02" for i in range(len(raw))]
    src = tmp_path / "p3ke.csv"
    raw.to_csv(src, index=False)
    out = tmp_path / "r.parquet"
    assert main(["ingest", str(src), "--table", "registry", "--out", str(out), "--demo",
                 "--pii", "a=b=drop"]) == 0
    assert "a=b" not in pd.read_parquet(out).columns


def test_sub_command_options_and_defaults():
    parser = build_parser()
    v = parser.parse_args(["validate", "f.csv"])
    assert (v.table, v.sheet, v.header_row, v.encoding, v.rename, v.profile, v.also, v.pii) == (
        "survey", None, None, None, None, None, [], None)
    i = parser.parse_args(["ingest", "f.csv", "--out", "o.parquet", "--header-row", "3",
                           "--with", "g.csv", "--with", "h.csv"])
    assert (i.out, i.demo, i.force, i.header_row, i.also) == (
        "o.parquet", False, False, 3, ["g.csv", "h.csv"])
    with pytest.raises(SystemExit) as e:   # argparse: usage errors exit with status 2
        parser.parse_args(["validate", "f.csv", "--table", "bogus"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        parser.parse_args(["ingest", "f.csv"])            # --out is required
    assert e.value.code == 2


def test_profile_hands_over_to_the_mapping_path(monkeypatch, tmp_path: Path):
    """With --profile, validate and ingest are the mapping-profile commands (map_cli)."""
    seen = []
    monkeypatch.setattr(map_cli, "validate_with_profile", lambda a: seen.append(("v", a)) or 7)
    monkeypatch.setattr(map_cli, "ingest_with_profile", lambda a: seen.append(("i", a)) or 9)
    p = tmp_path / "x.csv"
    assert main(["validate", str(p), "--profile", "p3ke"]) == 7
    assert main(["ingest", str(p), "--profile", "p3ke", "--out", str(p)]) == 9
    assert [(k, a.profile, a.path) for k, a in seen] == [("v", ["p3ke"], str(p)),
                                                          ("i", ["p3ke"], str(p))]
