"""Contract rules pinned by behaviour area (issue 18, helper mutQ, session 12): the areas of the
survivors of a fresh seeded sample of kassaki_eval/data/contracts.py (``--sample 60 --seed 21``).

Tables from tests/data/conftest.py (6 villages x 3 households per survey wave, 2023-2025, ids
``H0000..``; PSU = village, stratum = its kecamatan); the messages are the behaviour (column,
rule, row count, examples, fix), compared word for word with the contract's text.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_survey

from kassaki_eval.data import problems, validate
from kassaki_eval.data.contracts import SURVEY, _as_str

# -- codes as text, for every input dtype (`_as_str`) ----------------------------------------


@pytest.mark.parametrize("values, dtype, text", [
    ([1.0, 2.5, np.nan, 1e20], "float64", ["1", "2.5", None, "1e+20"]),   # whole floats: no .0
    ([7, 12], "int64", ["7", "12"]),
    ([7, None], "Int64", ["7", None]),
    ([True, False], "bool", ["True", "False"]),
    ([" a ", "", None], "object", ["a", None, None]),                    # stripped, '' missing
    (["73.10.01", " 73.10.04 ", None], "category", ["73.10.01", "73.10.04", None]),
    ([7, 12, None], "category", ["7", "12", None]),      # categories that are not text
    # a date column where a code is expected: the date as pandas writes it, not 'YYYY-MM-DD
    # 00:00:00' (the object route's text)
    (pd.to_datetime(["2024-01-05", None]), None, ["2024-01-05", None]),
])
def test_codes_as_text_for_every_dtype(values, dtype, text):
    """`x__as_str__mutmut_35` (every non-text column through object: a date column became
    '2024-01-05 00:00:00') and `_46` (a categorical column of numbers cast to 'STR':
    TypeError; categories of text take the text path)."""
    s = pd.Series(values, dtype=dtype) if dtype else pd.Series(values)
    got = _as_str(s)
    assert [None if pd.isna(v) else v for v in got] == text


def test_a_categorical_code_column_validates_as_text():
    """A survey read with categorical codes (stratum, psu) validates; the codes come back as
    text."""
    s = make_survey()
    s["stratum"] = s["stratum"].astype("category")
    s["psu"] = s["psu"].astype("category")
    v = validate(s, "survey")
    assert v["stratum"].tolist()[:4] == ["73.10.01"] * 4
    assert v["psu"].tolist()[:4] == ["73.10.01.1001"] * 3 + ["73.10.01.2002"]


# -- flags (`_flags`) -------------------------------------------------------------------------

def test_flag_columns_are_0_1_integers():
    """The survey's flags (employed, business, in_panel, treated_village, eligible,
    participates and the PMT flags) are declared with `_flags`: kind 'flag', int64 after
    validation, anything but 0/1 refused (`x__flags__mutmut_5`: kind 'str', flags as text)."""
    flags = [c.name for c in SURVEY.columns if c.kind == "flag"]
    assert {"employed", "business", "in_panel", "treated_village", "eligible",
            "participates"} <= set(flags)
    v = validate(make_survey(), "survey")
    assert all(v[c].dtype == "int64" for c in flags)
    s = make_survey()
    s.loc[4, "employed"] = 2
    pr = [p for p in problems(s, "survey") if p.column == "employed"]
    assert [(p.rule, p.count, p.examples, p.fix) for p in pr] == [
        ("has values other than 0/1 (2)", 1, ("H0004 (2023)",),
         "'employed' is a 0/1 indicator")]


# -- text in a numeric column: the fix, with and without a hint (`_numeric`) ----------------

def test_text_in_a_number_column_without_a_known_shape_gets_no_hint():
    """Plain words ('dua'): the fix ends after "stays as it is)" (`x_..._numeric__mutmut_46`:
    the hint defaulted to 'XXXX'). The three hints are pinned in test_contracts_pinned.py."""
    s = make_survey()
    s["year"] = s["year"].astype("object")
    s.loc[[0, 1], "year"] = ["dua", "x"]
    pr = [p for p in problems(s, "survey") if p.column == "year"]
    assert [(p.rule, p.count, p.fix) for p in pr] == [
        ("has text in a numeric (int) column ('dua', 'x')", 2,
         "'year' must hold numbers only; correct these rows in a cleaned copy of the file "
         "(the raw file stays as it is)")]


def test_rows_of_a_column_before_the_id_column_are_named_by_id():
    """The survey's first column is `year`, before `hh_id`: its problem rows are named by the
    household id (read as text when the id column is not checked yet), not 'index 0',
    'index 1' (mutQ's note, session 12). The year itself is the bad value, so no "(year)"
    detail is added."""
    s = make_survey()
    s["year"] = s["year"].astype("object")
    s.loc[[0, 1], "year"] = ["dua", "x"]
    pr = [p for p in problems(s, "survey") if p.column == "year"]
    assert pr[0].examples == tuple(s.loc[[0, 1], "hh_id"])
    assert pr[0].examples == ("H0000", "H0001")


# -- the survey design rules, word for word (`_rule_psu_in_one_stratum`, ...) ---------------

def test_a_psu_in_two_strata_word_for_word():
    """PSU 73.10.01.1001 (3 households in 2025) with one household moved to stratum 73.10.04:
    its 3 rows, named once by PSU and wave (`..._rule_psu_in_one_stratum__mutmut_66`: the fix
    text)."""
    s = make_survey()
    i = s.index[(s["year"] == 2025) & (s["psu"] == "73.10.01.1001")][0]
    s.loc[i, "stratum"] = "73.10.04"
    pr = problems(s, "survey")
    assert [(p.column, p.rule, p.count, p.examples, p.fix) for p in pr] == [
        ("psu", "appears in two or more strata in a wave", 3, ("psu 73.10.01.1001 in 2025",),
         "a PSU is nested in one stratum; give the PSU distinct ids per stratum or correct "
         "the stratum")]


def test_a_stratum_with_one_psu_word_for_word():
    """Both PSUs of stratum 73.10.07 in 2024 made one (6 households): one stratum-wave."""
    s = make_survey()
    m = (s["year"] == 2024) & (s["stratum"] == "73.10.07")
    s.loc[m, "psu"] = "73.10.07.1001"
    pr = problems(s, "survey")
    assert [(p.column, p.rule, p.count, p.examples, p.fix) for p in pr] == [
        ("stratum", "has 1 stratum-wave(s) with only one PSU", 6, ("stratum 73.10.07 in 2024",),
         "the variance of a stratum with one PSU cannot be estimated: collapse it with a "
         "similar neighbouring stratum in a cleaned copy, or state a lonely-PSU rule in "
         "SurveyDesign")]
