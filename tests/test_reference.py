"""District reference data: real codes, both code systems, every row sourced.

Expected counts come from DOMAIN.md ("13 kecamatan, 103 villages: 65 desa + 38 kelurahan;
four island kecamatan hold 32 villages"; 3 villages created after 2018 have no BPS code).
"""
import re

from kassaki_eval import reference


def test_villages_counts_and_codes():
    v = reference.villages()
    assert len(v) == 103 and v["kemendagri_code"].is_unique
    assert (v["type"] == "desa").sum() == 65 and (v["type"] == "kelurahan").sum() == 38
    assert v["kemendagri_code"].str.fullmatch(r"73\.10\.\d{2}\.[12]\d{3}").all()
    # Kemendagri 1xxx = kelurahan, 2xxx = desa
    first = v["kemendagri_code"].str[9]
    assert ((first == "1") == (v["type"] == "kelurahan")).all()
    bps = v["bps_code_2018"].dropna()
    assert len(bps) == 100 and bps.str.fullmatch(r"7309\d{6}").all()
    assert (v.loc[v["zone"] == "island"].shape[0]) == 32
    assert v["source"].str.len().gt(0).all()


def test_kecamatan_table():
    k = reference.kecamatan()
    assert len(k) == 13
    assert k["kec_kemendagri"].str.fullmatch(r"73\.10\.\d{2}").all()
    assert k["kec_bps"].str.fullmatch(r"7309\d{3}").all()
    assert set(k.loc[k["zone"] == "island", "kecamatan"]) == {
        "Liukang Tangaya", "Liukang Kalmas", "Liukang Tupabbiring", "Liukang Tupabbiring Utara"}
    assert abs(k["pop_share_2010_pct"].sum() - 100) < 0.2  # published shares round to 0.1
    assert k["n_villages"].sum() == 103


def test_poverty_series_and_lines():
    s = reference.poverty_series().set_index("year")["p0_pct"]
    assert s.loc[2023] == 13.40 and s.loc[2025] == 11.60  # BPS, via DOMAIN.md
    assert reference.poverty_line(2023) == 420000          # [U] DOMAIN.md
    assert reference.poverty_line(2024, "extreme") == 322170  # P3KE extreme line, DOMAIN.md
    p = reference.programme()
    assert p["programme"]["baseline_poor_families"] == 33667


def test_sembako_benefit_is_the_report_default_and_read_from_the_file(tmp_path, monkeypatch):
    # Kemensos: Program Sembako (BPNT) pays Rp200.000 per KPM (family) a month since 2020
    import pytest

    from kassaki_eval.exceptions import ConfigError
    from kassaki_eval.reporting.params import validate_params
    t = reference.social_assistance()
    assert t["source"].str.len().gt(0).all() and t["programme"].is_unique
    assert reference.benefit_rp("sembako") == 200_000
    assert validate_params({"year": 2025}).transfer_rp == 200_000
    assert validate_params({"year": 2025, "transfer_rp": 150_000}).transfer_rp == 150_000
    # the default follows the reference file, not a number in the code
    (tmp_path / "national").mkdir()
    (tmp_path / "national" / "social_assistance.csv").write_text(
        "programme,benefit_rp,unit,per,since_year,source,verified\n"
        "sembako,225000,family,month,2026,test,false\n")
    monkeypatch.setenv("KASSAKI_REFERENCE_DIR", str(tmp_path))
    assert validate_params({"year": 2025}).transfer_rp == 225_000
    with pytest.raises(ConfigError, match="pkh"):
        reference.benefit_rp("pkh")
