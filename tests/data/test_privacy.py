"""No raw NIK, family-card number or name from the input appears in anything written or raised.

A registry with fake personal data is loaded (clean and broken), validation errors are raised on
the rows that hold the personal data (including personal values pushed into other columns, as a
shifted export would do), the ingested table is written by the library and by the CLI, and every
raw value is searched for in: exception messages and Problem records, log records, captured
stdout/stderr, the written files' bytes, and the returned DataFrames.
"""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest

from conftest import fake_nik, make_registry_raw, make_survey, sha256
from kassaki_eval.cli import main
from kassaki_eval.data import load_registry, load_table, scrub, write_table
from kassaki_eval.exceptions import KassakiError


def _raw_values(df: pd.DataFrame) -> set[str]:
    vals: set[str] = set()
    for c in ("no_kk", "nik_head", "name_head"):
        vals |= {str(v) for v in df[c].dropna()}
    return vals


def test_no_raw_identifier_in_anything_written_or_raised(tmp_path: Path, caplog, capsys,
                                                        monkeypatch):
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", "test-key-0123456789abcdef")
    caplog.set_level(logging.DEBUG)
    good = make_registry_raw(n=40)
    bad = good.copy()
    bad = bad.astype({"hh_size": "object", "zone": "object", "village_code": "object",
                      "desil": "object"})
    bad.loc[2, "nik_head"] = bad.loc[2, "nik_head"][:15]           # wrong length
    bad.loc[5, "no_kk"] = bad.loc[4, "no_kk"]                      # duplicated family card
    bad.loc[6, "hh_size"] = bad.loc[6, "name_head"]                # a name in a numeric column
    bad.loc[7, "zone"] = bad.loc[7, "nik_head"]                    # a NIK in a category column
    bad.loc[8, "village_code"] = bad.loc[8, "no_kk"]               # a KK in a code column
    bad.loc[9, "desil"] = bad.loc[9, "no_kk"]                      # a KK in a range column
    secrets = _raw_values(good) | _raw_values(bad)

    texts: list[str] = []
    blobs: list[bytes] = []
    for fmt in ("csv", "xlsx"):
        p = tmp_path / f"bad.{fmt}"
        (bad.to_csv(p, index=False) if fmt == "csv" else bad.to_excel(p, index=False))
        before = sha256(p)
        with pytest.raises(KassakiError) as info:
            load_registry(p)
        err = info.value
        assert sha256(p) == before
        texts += [str(err), repr(err)]
        texts += [repr(pr) for pr in getattr(err, "problems", ())]
        # the errors do concern the rows holding personal data: rows 4 (NIK), 6-7 (dup KK), ...
        msg = str(err)
        for expected in ("column 'nik_head' is not exactly 16 digits: 1 row (e.g. row 4)",
                         "column 'no_kk' has duplicated values: 2 rows (e.g. row 6, row 7)",
                         "column 'hh_size' has text in a numeric (int) column: 1 row "
                         "(e.g. row 8)",
                         "column 'zone' has values outside the allowed set: 1 row (e.g. row 9)",
                         "column 'village_code' is not a Kemendagri village code: 1 row "
                         "(e.g. row 10)",
                         "column 'desil' has values outside 1–10: 1 row (e.g. row 11)"):
            assert expected in msg, msg
        # the CLI on the same file
        assert main(["validate", str(p), "--table", "registry"]) == 2

    # the clean file: ingest through the library and through the CLI, write outputs
    src = tmp_path / "p3ke.csv"
    good.to_csv(src, index=False)
    before = sha256(src)
    reg = load_registry(src)
    assert not (set(reg.columns) & {"no_kk", "nik_head", "name_head"})
    out_files = [write_table(reg, tmp_path / "registry.parquet"),
                 write_table(reg, tmp_path / "registry.csv"),
                 write_table(reg, tmp_path / "registry.xlsx")]
    assert main(["ingest", str(src), "--table", "registry", "--out",
                 str(tmp_path / "cli_registry.csv")]) == 0
    out_files.append(tmp_path / "cli_registry.csv")
    assert main(["validate", str(src), "--table", "registry"]) == 0
    assert sha256(src) == before
    for f in out_files:
        blobs.append(f.read_bytes())
        back = (pd.read_parquet(f) if f.suffix == ".parquet" else
                pd.read_excel(f, dtype=str) if f.suffix == ".xlsx" else pd.read_csv(f, dtype=str))
        texts.append(back.to_csv(index=False))
    texts.append(reg.to_csv(index=False))
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    texts += [r.getMessage() for r in caplog.records]
    assert captured.out.count("OK:") == 2 and caplog.records  # something was logged and printed

    haystack = "\n".join(texts)
    leaked = [s for s in secrets if s in haystack or any(s.encode() in b for b in blobs)]
    assert not leaked, f"{len(leaked)} raw values leaked"


def test_in_memory_examples_never_quote_raw_values():
    df = make_registry_raw(n=10).astype({"head_sex": "object"})
    df.loc[3, "head_sex"] = df.loc[3, "name_head"]
    from kassaki_eval.data import problems
    ps = problems(df, "registry_raw")
    assert [p.column for p in ps] == ["head_sex"]
    assert ps[0].examples == ("index 3",)
    assert df.loc[3, "name_head"] not in ps[0].message()


def test_scrub_and_log_filter(caplog):
    from kassaki_eval.data import install_scrub_filter
    assert scrub("nik 7310991234567890 and 12345") == "nik [16-digit number removed] and 12345"
    assert scrub("17 digits 73109912345678901 stay") == "17 digits 73109912345678901 stay"
    log = logging.getLogger("kassaki_eval.tests.privacy")
    install_scrub_filter(log)
    with caplog.at_level(logging.INFO, logger="kassaki_eval.tests.privacy"):
        log.info("family %s joined", "7310991234567890")
    assert caplog.records[-1].getMessage() == "family [16-digit number removed] joined"


def test_ids_that_are_really_niks_are_masked_in_examples():
    from kassaki_eval.data import problems
    s = make_survey()
    s["hh_id"] = [fake_nik(i) for i in range(len(s))]
    s.loc[0, "weight"] = 0
    probs = {q.column: q for q in problems(s, "survey")}
    assert sorted(probs) == ["hh_id", "weight"]  # hh_id: NIK-shaped values found by content
    assert probs["weight"].examples == ("[16-digit number removed] (2023)",)
    assert probs["hh_id"].rule.startswith("looks like personal data (54 values shaped like "
                                          "NIK/family-card numbers, 54 of them with an "
                                          "Indonesian province and kabupaten prefix)")
