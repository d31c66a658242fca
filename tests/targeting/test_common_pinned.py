"""kassaki_eval.targeting._common pinned (issue 18, mutation round, helper mutH, session 9).

Sources of the expected values:
- quantile_flag / deciles_of: the module's own definition (a unit's weighted midpoint
  ``cum - w / 2`` over the total, in ascending ``y`` with a stable sort), worked out by hand
  on 3-5 units next to each assertion; weights are chosen so every midpoint is an exact
  binary fraction (no rounding at the boundaries);
- dataset_path / read_dataset: tiny Parquet files written here, read back with pandas;
- resolve_design / design_from_columns: the documented defaults (DEFAULT_DESIGN, the contract's
  survey columns ``weight``, ``stratum``, ``psu``; lonely_psu "adjust"; ``nest`` only when both
  strata and PSU are given) and the error template of kassaki_eval/exceptions.py (scikit-learn's
  ``The 'a' parameter of X must be ... Got ... instead.``, SchemaError's
  ``table: column 'c' rule: n rows. Fix: ...``): messages are pinned word for word.
"""
from __future__ import annotations

import inspect
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataFileError, ParameterError, Problem, SchemaError
from kassaki_eval.poverty.design import SurveyDesign
from kassaki_eval.targeting import _common as c

OWNER = "owner_fn"


# -- dataset_path / read_dataset -------------------------------------------------------------

def test_dataset_path_accepts_a_file_a_folder_and_a_nested_folder(tmp_path):
    f = tmp_path / "one.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(f)
    assert c.dataset_path(str(f), OWNER, "p") == f          # a str becomes a Path
    assert isinstance(c.dataset_path(str(f), OWNER, "p"), Path)
    assert c.dataset_path(tmp_path, OWNER, "p") == tmp_path
    # hive layout: the Parquet files are only in sub-folders (rglob, not glob)
    hive = tmp_path / "hive"
    (hive / "region=a").mkdir(parents=True)
    pd.DataFrame({"a": [1]}).to_parquet(hive / "region=a" / "part-0.parquet")
    assert c.dataset_path(hive, OWNER, "p") == hive


def test_dataset_path_errors_word_for_word(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.csv").write_text("a\n1\n")  # a file, but not Parquet
    msg = (f"{empty} is not a Parquet file or a folder holding Parquet files (the 'registry' "
           f"parameter of score_fn). Fix: pass a DataFrame, or the path written by "
           f"ingest_registry / score_registry / synthetic.national.write_registry.")
    with pytest.raises(DataFileError) as e:
        c.dataset_path(empty, "score_fn", "registry")
    assert str(e.value) == msg
    missing = tmp_path / "nowhere.parquet"
    with pytest.raises(DataFileError) as e:
        c.dataset_path(str(missing), "score_fn", "registry")
    assert str(e.value).startswith(f"{missing} is not a Parquet file")
    with pytest.raises(ParameterError) as e:
        c.dataset_path(12, "score_fn", "registry")
    assert str(e.value) == ("The 'registry' parameter of score_fn must be a pandas DataFrame or "
                            "the path of a Parquet dataset. Got int instead.")
    with pytest.raises(ParameterError, match="Got list instead"):
        c.dataset_path(["a.parquet"], "score_fn", "registry")


def test_read_dataset_reads_a_file_and_a_hive_folder(tmp_path):
    df = pd.DataFrame({"y": [1.5, 2.5], "k": ["x", "y"]})
    f = tmp_path / "s.parquet"
    df.to_parquet(f)
    got = c.read_dataset(f, OWNER, "survey")
    assert list(got.columns) == ["y", "k"]
    assert got["y"].tolist() == [1.5, 2.5] and got["k"].tolist() == ["x", "y"]
    hive = tmp_path / "h"
    for reg, vals in (("a", [1.0, 2.0]), ("b", [3.0])):
        (hive / f"region={reg}").mkdir(parents=True)
        pd.DataFrame({"y": vals}).to_parquet(hive / f"region={reg}" / "part-0.parquet")
    got = c.read_dataset(str(hive), OWNER, "survey")
    # the partition folder name becomes a column (path order: region=a before region=b)
    assert got["y"].tolist() == [1.0, 2.0, 3.0]
    assert [str(v) for v in got["region"]] == ["a", "a", "b"]
    with pytest.raises(ParameterError, match="'survey' parameter of owner_fn"):
        c.read_dataset(3.0, OWNER, "survey")
    # one file read by its path: its folder name is not a partition (no 'region' column)
    got = c.read_dataset(hive / "region=a" / "part-0.parquet", OWNER, "survey")
    assert list(got.columns) == ["y"] and got["y"].tolist() == [1.0, 2.0]


# -- col / opt_col ------------------------------------------------------------------------------

def test_col_by_name_by_array_and_errors():
    data = pd.DataFrame({"inc": [3.0, 1.0, 2.0]})
    np.testing.assert_array_equal(c.col(data, "inc", "welfare"), [3.0, 1.0, 2.0])
    np.testing.assert_array_equal(c.col(data, [7, 8, 9], "welfare"), [7, 8, 9])
    assert isinstance(c.col(data, [7, 8, 9], "welfare"), np.ndarray)
    with pytest.raises(SchemaError) as e:
        c.col(data, "consumption", "welfare")
    assert e.value.problems == (Problem("survey", "consumption", "is missing", 3, (),
                                        "pass the column holding the welfare, or its name with "
                                        "welfare="),)
    assert str(e.value) == ("survey: 1 problem found\n  - survey: column 'consumption' is missing: "
                            "3 rows. Fix: pass the column holding the welfare, or its name with "
                            "welfare=")
    with pytest.raises(ParameterError) as e:
        c.col(data, [1, 2], "welfare")
    assert str(e.value) == ("The 'welfare' parameter must be a column name or an array of length "
                            "3. Got (2,) instead.")
    with pytest.raises(ParameterError, match=r"Got \(3, 1\) instead"):
        c.col(data, np.ones((3, 1)), "welfare")
    with pytest.raises(ParameterError, match=r"Got \(\) instead"):
        c.col(data, 5.0, "welfare")


def test_opt_col():
    data = pd.DataFrame({"inc": [3.0, 1.0]})
    assert c.opt_col(data, None, "x") is None
    np.testing.assert_array_equal(c.opt_col(data, "inc", "x"), [3.0, 1.0])
    with pytest.raises(SchemaError) as e:
        c.opt_col(data, "nope", "benefit")
    assert str(e.value).endswith("column 'nope' is missing: 2 rows. Fix: pass the column "
                                 "holding the benefit, or its name with benefit=")


# -- quantile_flag / deciles_of -------------------------------------------------------------

def test_quantile_flag_equal_weights_by_hand():
    # ascending y: rows 1, 3, 2, 4, 0; midpoints (i + 1/2) / 5 = .1, .3, .5, .7, .9
    y = np.array([5.0, 1.0, 3.0, 2.0, 4.0])
    w = np.ones(5)
    assert c.quantile_flag(y, w, 0.4).tolist() == [False, True, False, True, False]
    # exactly on a midpoint: strictly below only (0.3 is not < 0.3)
    assert c.quantile_flag(y, w, 0.3).tolist() == [False, True, False, False, False]
    assert c.quantile_flag(y, w, 0.1).tolist() == [False] * 5
    assert c.quantile_flag(y, w, 1.0).tolist() == [True] * 5
    assert c.quantile_flag(y, w, 0.4).dtype == bool


def test_quantile_flag_unequal_weights_and_ties_by_hand():
    # w = 1, 2, 1 (total 4), in y order: cum .25, .75, 1; midpoints .125, .5, .875
    y = np.array([1.0, 2.0, 3.0])
    w = np.array([1.0, 2.0, 1.0])
    assert c.quantile_flag(y, w, 0.5).tolist() == [True, False, False]
    assert c.quantile_flag(y, w, 0.5 + 2**-10).tolist() == [True, True, False]
    assert c.quantile_flag(y, w, 0.125 + 2**-10).tolist() == [True, False, False]
    assert c.quantile_flag(y, w, 0.875 + 2**-10).tolist() == [True, True, True]
    # heavier weights scale out: w * 8 gives the same flags
    assert c.quantile_flag(y, 8 * w, 0.5 + 2**-10).tolist() == [True, True, False]
    # ties keep their row order (stable sort): rows 1, 2 tie at 1; midpoints 1/6, 1/2, 5/6
    yt = np.array([2.0, 1.0, 1.0])
    assert c.quantile_flag(yt, np.ones(3), 0.4).tolist() == [False, True, False]
    # a given order is used as is (here: descending y, so the richest count as "poorest")
    order = np.array([2, 1, 0])
    assert c.quantile_flag(y, w, 0.5, order=order).tolist() == [False, False, True]


# 32 rows with many ties: numpy's default sort (introsort, SIMD) reorders ties in tables of
# more than 16 rows; the stable sort keeps the row order
Y32 = np.array([2, 0, 1, 1, 0, 2, 2, 0, 1, 0, 0, 2, 1, 1, 2, 0,
                1, 0, 2, 2, 0, 1, 1, 0, 2, 0, 1, 2, 0, 1, 0, 2], dtype=float)


def _stable_rank32() -> np.ndarray:
    """Each row's 0-based position in Python's (stable) sort by y: the independent order."""
    order = sorted(range(32), key=lambda i: Y32[i])
    pos = np.empty(32, dtype=np.int64)
    pos[order] = np.arange(32)
    return pos


def test_ties_keep_row_order_in_a_long_table():
    pos = _stable_rank32()
    w = np.ones(32)
    # midpoints (2 pos + 1) / 64, exact binary fractions: the poorest half is pos < 16
    assert c.quantile_flag(Y32, w, 0.5).tolist() == (pos < 16).tolist()
    assert c.quantile_flag(Y32, w, 0.25).tolist() == (pos < 8).tolist()
    # deciles: floor(10 (2 pos + 1) / 64) + 1
    assert c.deciles_of(Y32, w).tolist() == ((10 * (2 * pos + 1)) // 64 + 1).tolist()


def test_deciles_of_by_hand():
    # 4 equal units, ascending y = rows 3, 2, 1, 0; midpoints .125, .375, .625, .875
    y = np.array([4.0, 3.0, 2.0, 1.0])
    w = np.ones(4)
    d = c.deciles_of(y, w)
    # k = 10: floor(10 * mid) + 1 = 2, 4, 7, 9 (rows 3, 2, 1, 0)
    assert d.tolist() == [9, 7, 4, 2]
    assert d.dtype == np.int64
    # k = 4: floor(4 * mid) + 1 = 1, 2, 3, 4
    assert c.deciles_of(y, w, k=4).tolist() == [4, 3, 2, 1]
    # unequal weights 1, 2, 1 (midpoints .125, .5, .875): k = 10 -> 2, 6, 9; k = 2 -> 1, 2, 2
    y3, w3 = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 1.0])
    assert c.deciles_of(y3, w3).tolist() == [2, 6, 9]
    assert c.deciles_of(y3, w3, k=2).tolist() == [1, 2, 2]
    # a zero-weight richest unit has midpoint 1: floor(10) + 1 = 11, capped at k = 10
    assert c.deciles_of(np.array([1.0, 2.0]), np.array([1.0, 0.0])).tolist() == [6, 10]
    # ties in row order; a given order is used as is
    assert c.deciles_of(np.array([1.0, 1.0, 0.0, 2.0]), w).tolist() == [4, 7, 2, 9]
    assert c.deciles_of(y, w, order=np.array([0, 1, 2, 3])).tolist() == [2, 4, 7, 9]


# -- the survey design ------------------------------------------------------------------------

def _survey() -> pd.DataFrame:
    return pd.DataFrame({"weight": [1.0, 2.0, 3.0, 4.0], "stratum": ["a", "a", "b", "b"],
                         "psu": [1, 2, 1, 2], "w2": [2.0, 2.0, 2.0, 2.0],
                         "s2": ["x", "x", "x", "x"], "p2": [1, 2, 3, 4]})


def test_default_design_and_unset():
    assert dict(c.DEFAULT_DESIGN) == {"weight": "weight", "strata": "stratum", "psu": "psu",
                                      "nest": True, "lonely_psu": "adjust"}
    assert c.UNSET is not None and c.UNSET is not c.DEFAULT_DESIGN
    assert sorted(c.__all__) == sorted(["DEFAULT_DESIGN", "UNSET", "col", "opt_col",
                                        "quantile_flag", "deciles_of", "resolve_design",
                                        "design_from_columns", "dataset_path", "read_dataset"])


def _spec(d: SurveyDesign) -> tuple:
    return d.weight_col, d.strata_col, d.psu_col, d.lonely_psu, d.nest


def test_resolve_design_default_is_the_contract_columns():
    data = _survey()
    d = c.resolve_design(data, None, {}, OWNER)
    assert _spec(d) == ("weight", "stratum", "psu", "adjust", True)
    assert d.data is data
    np.testing.assert_array_equal(d.weights, [1.0, 2.0, 3.0, 4.0])
    # the unset legacy arguments count as not given
    legacy = dict.fromkeys(("weight", "strata", "psu", "lonely_psu"), c.UNSET)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = c.resolve_design(data, None, legacy, OWNER)
    assert _spec(d) == ("weight", "stratum", "psu", "adjust", True)


def test_resolve_design_takes_a_survey_design_of_the_right_length():
    data = _survey()
    sd = SurveyDesign(data, weight="w2")
    assert c.resolve_design(data, sd, {}, OWNER) is sd
    with pytest.raises(ParameterError) as e:
        c.resolve_design(data.iloc[:3], sd, {}, OWNER)
    assert str(e.value) == ("The 'design' parameter of owner_fn must describe the rows of data "
                            "(3). Got a design of 4 rows instead.")
    with pytest.raises(ParameterError) as e:
        c.resolve_design(data, ["weight"], {}, OWNER)
    assert str(e.value) == ("The 'design' parameter of owner_fn must be a SurveyDesign or a "
                            "mapping of its options (weight, strata, psu, ...). Got list "
                            "instead.")


def _public(data, design, legacy):
    """A public function calling resolve_design: its caller is where the warning points."""
    return c.resolve_design(data, design, legacy, OWNER)


def test_resolve_design_legacy_arguments_warn_and_build_the_same_design():
    data = _survey()
    legacy = {"weight": "w2", "strata": c.UNSET, "psu": c.UNSET, "lonely_psu": c.UNSET}
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        d = _public(data, None, legacy)
    assert len(rec) == 1
    assert rec[0].category is DeprecationWarning
    assert str(rec[0].message) == (
        "owner_fn: the 'weight' argument(s) are deprecated and will be removed in the next "
        "release; pass design=SurveyDesign(...) or design={'weight': ..., 'strata': ..., "
        "'psu': ...}.")
    # stacklevel=3: the warning names the line that called the public function. (mutmut's
    # copy of the package calls every function through its trampoline, two frames more, so
    # there the check cannot hold; its stacklevel mutants were checked by hand instead.)
    if "mutants" not in Path(c.__file__).parts:
        assert rec[0].filename == __file__ and rec[0].lineno == line
    assert _spec(d) == ("w2", "stratum", "psu", "adjust", True)
    # every legacy argument given (sorted in the message); strata=None -> no nesting
    legacy = {"weight": "w2", "strata": None, "psu": "p2", "lonely_psu": "certainty"}
    with pytest.warns(DeprecationWarning) as rec:
        d = _public(data, None, legacy)
    assert str(rec[0].message).startswith(
        "owner_fn: the 'lonely_psu', 'psu', 'strata', 'weight' argument(s) are deprecated")
    assert _spec(d) == ("w2", None, "p2", "certainty", False)
    legacy = {"weight": c.UNSET, "strata": "s2", "psu": None, "lonely_psu": c.UNSET}
    with pytest.warns(DeprecationWarning):
        d = _public(data, None, legacy)
    assert _spec(d) == ("weight", "s2", None, "adjust", False)
    legacy = {"weight": c.UNSET, "strata": "s2", "psu": "p2", "lonely_psu": c.UNSET}
    with pytest.warns(DeprecationWarning):
        d = _public(data, None, legacy)
    assert _spec(d) == ("weight", "s2", "p2", "adjust", True)
    # legacy arguments and a design: one clear error, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ParameterError) as e:
            _public(data, {"weight": "weight"},
                    {"weight": "w2", "strata": c.UNSET, "psu": None, "lonely_psu": c.UNSET})
    assert str(e.value) == ("The 'design' parameter of owner_fn cannot be combined with "
                            "['psu', 'weight']. Got both instead; pass the design only.")


def test_resolve_design_mapping_weight_none_and_arrays():
    data = _survey()
    cols = list(data.columns)
    d = c.resolve_design(data, {"weight": None}, {}, OWNER)
    assert _spec(d) == ("_unit_weight", None, None, "fail", False)
    np.testing.assert_array_equal(d.weights, np.ones(4))
    assert list(data.columns) == cols            # the user's table is not changed
    assert list(d.data.columns) == cols + ["_unit_weight"]
    d = c.resolve_design(data, {"weight": np.array([2.0, 2.0, 1.0, 1.0]),
                                "strata": np.array([0, 0, 1, 1]),
                                "psu": ["u", "v", "u", "v"], "nest": True,
                                "lonely_psu": "remove"}, {}, OWNER)
    assert _spec(d) == ("_unit_weight", "_stratum", "_psu", "remove", True)
    np.testing.assert_array_equal(d.weights, [2.0, 2.0, 1.0, 1.0])
    assert d.data["_stratum"].tolist() == [0, 0, 1, 1]
    assert d.data["_psu"].tolist() == ["u", "v", "u", "v"]
    assert (d.n_strata, d.n_psu) == (2, 4)
    assert list(data.columns) == cols
    # names stay names
    d = c.resolve_design(data, {"weight": "w2", "strata": "s2", "psu": "p2"}, {}, OWNER)
    assert _spec(d) == ("w2", "s2", "p2", "fail", False)
    assert d.data is data


def test_resolve_design_mapping_errors_word_for_word():
    data = _survey()
    with pytest.raises(ParameterError) as e:
        c.resolve_design(data, {"weight": "weight", "psu": [1, 2]}, {}, OWNER)
    assert str(e.value) == ("The 'psu' parameter must be a column name or an array of length 4. "
                            "Got (2,) instead.")
    with pytest.raises(ParameterError) as e:
        c.resolve_design(data, {"weight": np.ones((4, 2))}, {}, OWNER)
    assert str(e.value) == ("The 'weight' parameter must be a column name or an array of length "
                            "4. Got (4, 2) instead.")
    with pytest.raises(ParameterError, match="^The 'strata' parameter must"):
        c.resolve_design(data, {"weight": "weight", "strata": [1, 2, 3]}, {}, OWNER)
    with pytest.raises(SchemaError) as e:
        c.resolve_design(data, {"weight": "weight", "strata": "kecamatan"}, {}, OWNER)
    assert str(e.value) == (
        "survey: 1 problem found\n  - survey: column 'kecamatan' is missing: 4 rows. Fix: pass "
        "the column holding the strata in design={'strata': ...}, or a SurveyDesign")
    with pytest.raises(SchemaError, match="column 'bobot' is missing"):
        c.resolve_design(data, {"weight": "bobot"}, {}, OWNER)


def test_design_from_columns():
    data = _survey()
    d, w = c.design_from_columns(data, None, None, None, "fail", OWNER)
    assert _spec(d) == ("_unit_weight", None, None, "fail", False)
    np.testing.assert_array_equal(w, np.ones(4))
    d, w = c.design_from_columns(data, "weight", "stratum", "psu", "adjust", OWNER)
    assert _spec(d) == ("weight", "stratum", "psu", "adjust", True)
    assert w is d.weights
    np.testing.assert_array_equal(w, [1.0, 2.0, 3.0, 4.0])
    d, _ = c.design_from_columns(data, "weight", None, "p2", "remove", OWNER)
    assert _spec(d) == ("weight", None, "p2", "remove", False)
    d, _ = c.design_from_columns(data, "weight", "s2", None, "certainty", OWNER)
    assert _spec(d) == ("weight", "s2", None, "certainty", False)
    with pytest.raises(SchemaError, match="the column holding the psu in design"):
        c.design_from_columns(data, "weight", None, "nope", "fail", OWNER)
