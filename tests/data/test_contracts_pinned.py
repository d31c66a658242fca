"""Contract rules pinned one by one, from mutmut's survivors (issue 18).

Every expected problem below follows from the construction of the table (tests/data/conftest.py:
6 villages x 3 households per survey wave, ids ``H0000..``, records ``R0000..``) and from the
contract's own text (docs/ARCHITECTURE.md): the messages ARE the behaviour (table, column, rule,
row count, example ids, fix), so they are compared word for word.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_participation, make_registry_raw, make_survey

from kassaki_eval import reference
from kassaki_eval.data import get_spec, problems, validate
from kassaki_eval.data.contracts import Column, TableSpec
from kassaki_eval.exceptions import ParameterError


def _triples(df: pd.DataFrame, table: str | TableSpec) -> list[tuple[str, str, int]]:
    return sorted((p.column, p.rule, p.count) for p in problems(df, table))


def _one(df: pd.DataFrame, table: str | TableSpec):
    ps = problems(df, table)
    assert len(ps) == 1, [p.message() for p in ps]
    return ps[0]


# ---- the table name ------------------------------------------------------------------------

def test_unknown_table_lists_every_table_by_name():
    with pytest.raises(ParameterError) as info:
        get_spec("households")
    assert str(info.value) == (
        "The 'table' parameter of validate must be one of {'registry_raw', 'registry', "
        "'survey', 'participation', 'villages', 'rollout'}. Got 'households' instead.")


# ---- columns -------------------------------------------------------------------------------

def test_missing_column_without_a_close_name_says_where_the_contract_is():
    p = make_participation().drop(columns=["amount_rp"])
    pr = _one(p, "participation")
    assert (pr.column, pr.rule, pr.count) == ("amount_rp", "is missing", 12)
    assert pr.fix == ("add the column 'amount_rp' (float); the table contract is in "
                      "docs/ARCHITECTURE.md")


def test_a_missing_column_does_not_stop_the_checks_of_the_columns_after_it():
    # 'year' is the survey's first column: the value checks of every later column still run
    s = make_survey().drop(columns=["year"])
    s.loc[2, "weight"] = 0.0
    s.loc[5, "employed"] = 3
    assert _triples(s, "survey") == [
        ("employed", "has values other than 0/1 (3)", 1),
        ("weight", "has zero or negative values (0)", 1),
        ("year", "is missing", 54)]


def test_a_column_twice_in_an_in_memory_header():
    p = make_participation()
    p = pd.concat([p, p[["partner"]]], axis=1)
    pr = _one(p, "participation")
    assert (pr.column, pr.rule, pr.count, pr.fix) == (
        "partner", "appears more than once in the header", 12, "keep one column of that name")


# ---- codes as text -------------------------------------------------------------------------

def test_integer_ids_become_text():
    # a Parquet/Stata file stores numeric-looking household ids as integers
    s = make_survey()
    s["hh_id"] = np.arange(len(s), dtype="int64") + 7
    s["psu"] = s["psu"].astype("category")
    out = validate(s, "survey")
    assert out["hh_id"].tolist()[:3] == ["7", "8", "9"] and out["hh_id"].dtype == "str"
    assert out["psu"].tolist() == make_survey()["psu"].tolist()


def test_float_ids_lose_only_a_whole_number_s_point_zero():
    s = make_survey()
    ids = np.arange(len(s), dtype="float64")
    ids[1], ids[2] = 2.5, 1e20  # 1e20 is beyond int64: kept as the float's text
    s["hh_id"] = ids
    out = validate(s, "survey")
    assert out["hh_id"].tolist()[:4] == ["0", "2.5", "1e+20", "3"]


def test_tables_after_convert_dtypes_validate_as_the_plain_tables():
    # DataFrame.convert_dtypes() gives nullable strings (pd.NA); a missing code must stay one
    # problem ("has missing values"), not a mismatch or a crash
    v = reference.villages().convert_dtypes()
    v.loc[0, "kemendagri_code"] = pd.NA
    v.loc[5, "kec_kemendagri"] = "73.10.02"
    assert _triples(v, "villages") == [
        ("kec_kemendagri", "does not match kemendagri_code[:8]", 1),
        ("kemendagri_code", "has missing values", 1)]
    s = make_survey().convert_dtypes()
    s.loc[0, "village_code"] = pd.NA
    s.loc[1, "village_code"] = "7309010004"  # a BPS code
    assert _triples(s, "survey") == [
        ("village_code", "codes mixed: 1 BPS codes (7309…) next to 52 Kemendagri codes "
                         "(73.10…) ('7309010004')", 1),
        ("village_code", "has missing values", 1)]


@pytest.mark.parametrize("code, kind, rule, fix", [
    ("73-10-01-1001", "village", "is not a Kemendagri village code ('73-10-01-1001')",
     "write codes as 73.10.KK.NNNN (text, with dots)"),
    ("73-10-01", "kec", "is not a Kemendagri kecamatan code ('73-10-01')",
     "write codes as 73.10.KK (text, with dots)"),
    ("731001", "kec", "is not a Kemendagri kecamatan code ('731001')",
     "write codes as 73.10.KK (text, with dots); codes like 7310011001 are Kemendagri codes "
     "written without dots (or BPS codes of another district: BPS 7310 is not Pangkep)"),
])
def test_codes_in_another_spelling_name_the_spelling_to_use(code, kind, rule, fix):
    s = make_survey()
    s.loc[0, "village_code" if kind == "village" else "kec_code"] = code
    ps = [p for p in problems(s, "survey") if p.rule.startswith("is not")]
    assert [(p.column, p.rule, p.count, p.examples, p.fix) for p in ps] == [
        ("village_code" if kind == "village" else "kec_code", rule, 1, ("H0000 (2023)",), fix)]


# ---- numbers -------------------------------------------------------------------------------

def test_text_and_non_integer_in_one_column_are_two_problems_not_three():
    # the row with text is reported once (not again as "missing") after a later check
    # marks another row of the same column as failed
    s = make_survey()
    s["hh_size"] = s["hh_size"].astype("object")
    s.loc[3, "hh_size"] = "dua"
    s.loc[0, "hh_size"] = "2.5"
    s.loc[7, "hh_size"] = "inf"
    assert _triples(s, "survey") == [
        ("hh_size", "has infinite values", 1),
        ("hh_size", "has non-integer values (2.5)", 1),
        ("hh_size", "has text in a numeric (int) column ('dua')", 1)]


def test_fixes_of_the_numeric_problems():
    s = make_survey()
    s["hh_size"] = s["hh_size"].astype("float64")
    s.loc[0, "hh_size"] = 2.5
    s.loc[1, "consumption_pc"] = -np.inf
    fixes = {p.column: p.fix for p in problems(s, "survey")}
    assert fixes == {"hh_size": "'hh_size' counts whole units; round or correct these rows",
                     "consumption_pc": "use missing instead of inf"}


@pytest.mark.parametrize("values, hint", [
    (["2023-01-01 00:00:00", "12/31/2023"],
     "; the values are dates: Excel formatted the column as a date. Format it as "
     "Number/General (for a year: the 4-digit year) and export again"),
    (["2,5", "1.234.567,5"],
     "; the values look like Indonesian number format (1.234.567,5): re-export with '.' as "
     "decimal separator and no thousands separator"),
    (["Rp 2023", "rp.2024"],
     "; the values are written as Rupiah amounts ('Rp 1.250.000'): export the plain number "
     "(1250000), without 'Rp' and without thousands dots"),
])
def test_text_in_a_number_column_gets_the_hint_for_its_shape(values, hint):
    s = make_survey()
    s["year"] = s["year"].astype("object")
    s.loc[[0, 1], "year"] = values
    pr = [p for p in problems(s, "survey") if p.column == "year"]
    assert len(pr) == 1 and pr[0].count == 2
    assert pr[0].fix == ("'year' must hold numbers only; correct these rows in a cleaned copy "
                         "of the file (the raw file stays as it is)" + hint)


def test_dates_must_be_iso_even_when_every_row_has_one_other_shape():
    # '01/02/2024' is 1 February in Indonesia and 2 January in US exports: never guessed
    p = make_participation()
    p["start_date"] = "01/02/2024"
    pr = _one(p, "participation")
    assert (pr.column, pr.rule, pr.count) == (
        "start_date", "has dates that do not parse ('01/02/2024')", 12)
    assert pr.fix == ("write dates as YYYY-MM-DD (ISO 8601); day/month order of "
                      "31/12/2024-style dates is ambiguous and is not guessed")


# ---- ranges (also of a user's own contract) --------------------------------------------------

def _spec(*cols: Column) -> TableSpec:
    return TableSpec(name="mine", columns=cols)


def test_a_column_with_only_an_upper_bound():
    # found by mutmut: the rule text used the missing lower bound (TypeError on None:g)
    spec = _spec(Column("share", "float", hi=1, fix="a share of the household"))
    pr = _one(pd.DataFrame({"share": [0.5, 1.5, 1.0, 3.0]}), spec)
    assert (pr.column, pr.rule, pr.count, pr.examples) == (
        "share", "has values above 1 (1.5, 3)", 2, ("index 1", "index 3"))
    assert pr.fix == "'share' must be <= 1; a share of the household"


def test_a_regex_on_a_numeric_column_reads_the_numbers_as_text():
    spec = _spec(Column("code", "int", regex=r"\d{4}", regex_desc="4 digits"),
                 Column("half", "float", regex=r"\d+\.5", regex_desc="a half"))
    df = pd.DataFrame({"code": [2024, 123, 7310], "half": [1.5, 2.5, 2.0]})
    assert _triples(df, spec) == [("code", "is not 4 digits ('123')", 1),
                                  ("half", "is not a half ('2.0')", 1)]


# ---- table rules -----------------------------------------------------------------------------

def test_members_within_size_fix():
    s = make_survey()
    s.loc[0, ["hh_size", "n_children", "n_elderly"]] = [2, 2, 1]
    assert _one(s, "survey").fix == ("children and elderly are members: hh_size >= n_children "
                                     "+ n_elderly")


def test_zone_island_for_a_mainland_village_is_caught():
    s = make_survey()
    zone = reference.villages().set_index("kemendagri_code")["zone"]
    i = int(np.flatnonzero(s["village_code"].map(zone) == "mainland")[0])
    s.loc[i, "zone"] = "island"
    pr = _one(s, "survey")
    assert (pr.column, pr.rule, pr.count) == (
        "zone", "disagrees with the reference zone of the village", 1)
    assert pr.examples == (f"{s.loc[i, 'hh_id']} (2023)",)


def test_a_missing_stratum_is_not_also_a_stratum_with_one_psu():
    s = make_survey()
    s.loc[4, "stratum"] = None
    assert _triples(s, "survey") == [("stratum", "has missing values", 1)]


def test_one_psu_rule_quotes_at_most_six_stratum_waves():
    # every PSU becomes its stratum: 3 strata x 3 waves = 9 stratum-waves with one PSU
    s = make_survey()
    s["psu"] = s["stratum"]
    (pr,) = [p for p in problems(s, "survey") if p.column == "stratum"]
    assert pr.rule == "has 9 stratum-wave(s) with only one PSU" and pr.count == 54
    assert pr.examples == ("stratum 73.10.01 in 2023", "stratum 73.10.04 in 2023",
                           "stratum 73.10.07 in 2023", "stratum 73.10.01 in 2024",
                           "stratum 73.10.04 in 2024", "stratum 73.10.07 in 2024")


def test_duplicated_ids_are_named_distinct_up_to_six():
    # four pairs: the message names the four ids, not the first six rows' three
    p = make_participation()
    p.loc[[1, 3, 5, 7], "record_id"] = p.loc[[0, 2, 4, 6], "record_id"].to_numpy()
    pr = _one(p, "participation")
    assert (pr.column, pr.count, pr.examples) == (
        "record_id", 8, ("R0000", "R0002", "R0004", "R0006"))


def _rollout() -> pd.DataFrame:
    from test_contracts import _rollout as build
    return build()


def test_rollout_without_village_code_reports_the_column_only():
    r = _rollout().drop(columns=["village_code"])
    assert _triples(r, "rollout") == [("village_code", "is missing", len(r))]


def test_rollout_year_fixes():
    r = _rollout()
    r.loc[0, "cohort"] = 2025
    r.loc[7, "first_year"] = 24
    fixes = {(p.column, p.rule): p.fix for p in problems(r, "rollout")}
    assert fixes[("first_year", "has years that are neither 0 (never) nor a calendar year")] == (
        "'first_year' is 0 for never-treated villages, else the year (e.g. 2024)")
    assert fixes[("cohort", "differs from the village's earliest first_year")] == (
        "cohort is the first year any component started in the village (the smallest "
        "non-zero first_year; 0 when none)")


def test_raw_registry_duplicates_are_named_by_row():
    r = make_registry_raw(n=6)
    r.loc[4, "nik_head"] = r.loc[1, "nik_head"]
    pr = _one(r, "registry_raw")
    assert (pr.column, pr.count, pr.examples) == ("nik_head", 2, ("index 1", "index 4"))


def test_float32_columns_are_widened_exactly():
    # Stata 'float' variables arrive as float32: the stored value is kept (numpy's exact
    # float32 -> float64 widening), not re-read from its shortest decimal text
    s = make_survey()
    s["weight"] = s["weight"].astype("float32")
    out = validate(s, "survey")
    assert out["weight"].dtype == "float64"
    assert out["weight"].tolist() == s["weight"].to_numpy().astype("float64").tolist()
    assert out["weight"].iloc[0] != float(str(s["weight"].iloc[0]))  # not the decimal text
