"""Registry scoring and quota selection pinned on small tables (issue 18: mutation testing).

Every expected value is worked out by hand from the documented rules, stated next to it:
rank = ascending score, ties by ascending ``family_id`` (string order); desil =
floor(k * rank / n) + 1 (n per group with ``groups``/``within``); a scalar budget buys
``budget // transfer`` slots split by largest remainder (ties to the earlier group) or as a
district-wide ranking falls; error messages are the exception templates of
``kassaki_eval.exceptions`` (``Problem.message``, the scikit-learn style ParameterError) filled
in by hand -- their fix text is behaviour, so they are compared word for word.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError, SchemaError
from kassaki_eval.targeting import assign_desil, rank_scores, score_registry, select_quota
from kassaki_eval.targeting.selection import Selection, quotas_for_groups


def _err(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def _schema(*lines: str) -> str:
    n = len(lines)
    return f"registry: {n} problem{'s' if n != 1 else ''} found\n" + "\n".join(
        f"  - {x}" for x in lines)


class _Col:
    """A 'model' whose prediction is a column of the registry (any fitted PMT will do)."""

    def __init__(self, col: str = "s") -> None:
        self.col = col

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return X[self.col].to_numpy()


# --------------------------------------------------------------------------------------------
# rank_scores, assign_desil
# --------------------------------------------------------------------------------------------

def test_rank_with_several_tie_runs_and_untied_rows():
    # scores 3 1 3 2 1 5, ids B Z A C Y D: 1 -> Y, Z; 2 -> C; 3 -> A, B; 5 -> D
    r = rank_scores([3.0, 1.0, 3.0, 2.0, 1.0, 5.0], ["B", "Z", "A", "C", "Y", "D"])
    assert r.tolist() == [4, 1, 3, 2, 0, 5]
    assert r.dtype == np.int64
    # ids compared as text: "F10" < "F9"
    assert rank_scores([1.0, 1.0], ["F9", "F10"]).tolist() == [1, 0]
    # a Series with its own index is read by position
    ids = pd.Series(["b", "a", "c"], index=[30, 10, 20])
    assert rank_scores(np.array([2.0, 2.0, 1.0]), ids).tolist() == [2, 1, 0]
    assert rank_scores([5.0], ["F1"]).tolist() == [0]
    assert rank_scores([], []).tolist() == []


def test_rank_refuses_missing_scores_naming_the_ids():
    with pytest.raises(SchemaError) as e:
        rank_scores([1.0, np.nan, 2.0, np.nan], ["F1", "F2", "F3", "F4"])
    assert _err(e) == _schema("registry: column 'score' is missing: 2 rows (e.g. F2, F4). "
                              "Fix: score every family before ranking")


def test_desil_with_n_k_and_groups():
    # n=20 given: floor(10 r / 20) + 1 for r = 0..4
    assert assign_desil(np.arange(5), 20).tolist() == [1, 1, 2, 2, 3]
    # k=5 quintiles of 10: floor(5 r / 10) + 1
    assert assign_desil(np.arange(10), k=5).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # groups b (3 families: 1, 4, 7) and a (2 families: 1, 6)
    d = assign_desil(np.array([0, 1, 2, 0, 1]), groups=["b", "b", "b", "a", "a"])
    assert d.tolist() == [1, 4, 7, 1, 6]
    assert d.dtype == np.int64
    assert assign_desil(np.array([], dtype=np.int64)).tolist() == []
    assert assign_desil(np.arange(3)).dtype == np.int64
    # a float rank (e.g. pandas' rank() - 1 with averaged ties) is truncated to an integer
    # first: 0, 1, 1, 3 of 4 -> floor(10 r / 4) + 1 = 1, 3, 3, 8
    assert assign_desil(np.array([0.0, 1.5, 1.5, 3.0])).tolist() == [1, 3, 3, 8]


# --------------------------------------------------------------------------------------------
# score_registry
# --------------------------------------------------------------------------------------------

def _reg() -> pd.DataFrame:
    return pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4", "F5"],
                         "district": ["d2", "d1", "d2", "d1", "d2"],
                         "village_code": ["V1", "V2", "V1", "V2", "V1"],
                         "s": [3.0, 1.0, 2.0, 5.0, 2.0]}, index=[10, 11, 12, 13, 14])


def test_score_registry_ranks_desil_columns_and_index_by_hand():
    sc = score_registry(_reg(), _Col())
    # district-wide order F2 (1), F3 (2), F5 (2, after F3), F1 (3), F4 (5); desil 10 r / 5 + 1
    assert list(sc.columns) == ["family_id", "village_code", "score", "rank", "desil"]
    assert sc.index.tolist() == [10, 11, 12, 13, 14]
    assert sc["rank"].tolist() == [4, 1, 2, 5, 3]
    assert sc["desil"].tolist() == [7, 1, 3, 9, 5]
    assert sc["score"].tolist() == [3.0, 1.0, 2.0, 5.0, 2.0]
    assert sc["village_code"].tolist() == ["V1", "V2", "V1", "V2", "V1"]
    # within districts: d2 = F3, F5, F1 (desil 1, 4, 7 of 3), d1 = F2, F4 (1, 6 of 2)
    w = score_registry(_reg(), _Col(), within="district", keep=("district",))
    assert list(w.columns) == ["family_id", "district", "score", "rank", "desil"]
    assert w["rank"].tolist() == [3, 1, 1, 2, 2]
    assert w["desil"].tolist() == [7, 1, 1, 6, 4]
    # another id column
    other = _reg().rename(columns={"family_id": "fid"})
    o = score_registry(other, _Col(), id_col="fid", keep=())
    assert list(o.columns) == ["fid", "score", "rank", "desil"]
    assert o["rank"].tolist() == [4, 1, 2, 5, 3]


def test_score_registry_errors_carry_the_fix():
    with pytest.raises(SchemaError) as e:
        score_registry(_reg().assign(no_kk="x", nik_head="y"), _Col())
    assert _err(e) == _schema(
        "registry: column 'no_kk, nik_head' holds raw identifiers: 5 rows. Fix: ingest the "
        "registry with kassaki_eval.data (which replaces them by the pseudonymous family_id) "
        "and pass the ingested table")
    with pytest.raises(SchemaError) as e:
        score_registry(_reg().drop(columns="family_id"), _Col())
    assert _err(e) == _schema("registry: column 'family_id' is missing: 5 rows. Fix: pass the "
                              "ingested registry, which carries the pseudonymous id")
    with pytest.raises(SchemaError) as e:
        score_registry(_reg().assign(family_id=["F1", None, "F3", None, "F5"]), _Col())
    assert _err(e) == _schema("registry: column 'family_id' has missing ids: 2 rows "
                              "(e.g. 1, 3). Fix: every family needs its pseudonymous id")
    with pytest.raises(SchemaError) as e:
        score_registry(_reg().assign(family_id=["F1", "F2", "F1", "F2", "F1"]), _Col())
    assert _err(e) == _schema("registry: column 'family_id' has duplicated values: 5 rows "
                              "(e.g. F1, F2). Fix: ids must be unique")
    with pytest.raises(ParameterError) as e:
        score_registry([1, 2], _Col())
    assert _err(e) == ("The 'registry' parameter of score_registry must be a pandas DataFrame "
                       "or the path of a Parquet dataset. Got list instead.")


# --------------------------------------------------------------------------------------------
# select_quota: the result
# --------------------------------------------------------------------------------------------

def _six() -> pd.DataFrame:
    # village A: F1 5.0, F2 4.0, F3 4.0; village B: F4 1.0, F5 2.0, F6 9.0 (rows mixed)
    return pd.DataFrame({"family_id": ["F4", "F1", "F3", "F6", "F2", "F5"],
                         "village_code": ["B", "A", "A", "B", "A", "B"],
                         "score": [1.0, 5.0, 4.0, 9.0, 4.0, 2.0]}, index=[5, 4, 3, 2, 1, 0])


def test_select_quota_tables_by_hand():
    sel = select_quota(_six(), slots={"A": 2, "B": 1}, transfer=300_000)
    assert isinstance(sel, Selection)
    # A: F2, F3 (tie at 4.0 by id), B: F4; group first, then rank
    exp = pd.DataFrame({"village_code": ["A", "A", "B"], "family_id": ["F2", "F3", "F4"],
                        "rank_in_group": np.array([1, 2, 1], dtype=np.int64),
                        "score": [4.0, 4.0, 1.0], "transfer": [300_000.0] * 3})
    pd.testing.assert_frame_equal(sel.beneficiaries, exp)
    q = pd.DataFrame({"village_code": np.array(["A", "B"], dtype=object),
                      "families": np.array([3, 3], dtype=np.int64),
                      "slots": np.array([2, 1], dtype=np.int64),
                      "selected": np.array([2, 1], dtype=np.int64)})
    pd.testing.assert_frame_equal(sel.quotas, q)
    assert sel.selected.tolist() == [True, False, True, False, True, False]
    assert sel.n_selected == 3 and isinstance(sel.n_selected, int)
    assert dict(sel.options) == {"by": "village_code", "id_col": "family_id",
                                 "allocation": "size", "transfer": 300_000, "budget": None,
                                 "slots": "per group"}
    lists = sel.lists()
    assert list(lists) == ["A", "B"]
    pd.testing.assert_frame_equal(lists["A"], pd.DataFrame(
        {"family_id": ["F2", "F3"], "rank_in_group": np.array([1, 2], dtype=np.int64)}))
    assert sel.contains(["F3", None, "F1", "F4", "F9"]).tolist() == [True, False, False,
                                                                      True, False]


def test_select_quota_district_and_other_column_names():
    df = _six().rename(columns={"family_id": "fid", "score": "pmt"})
    sel = select_quota(df, by=None, slots=np.int64(3), score="pmt", id_col="fid")
    # district-wide: F4 1.0, F5 2.0, F2 4.0 (F3 4.0 is fourth by id)
    assert list(sel.beneficiaries.columns) == ["fid", "rank_in_group", "pmt"]
    assert sel.beneficiaries["fid"].tolist() == ["F4", "F5", "F2"]
    assert sel.beneficiaries["rank_in_group"].tolist() == [1, 2, 3]
    assert sel.quotas.to_dict("list") == {"group": ["district"], "families": [6], "slots": [3],
                                          "selected": [3]}
    assert dict(sel.options) == {"by": None, "id_col": "fid", "allocation": "size",
                                 "transfer": None, "budget": None, "slots": 3}
    assert list(sel.lists()) == ["district"]
    # the lists use the selection's id column (before issue 18's round: KeyError 'family_id')
    assert list(sel.lists()["district"].columns) == ["fid", "rank_in_group"]
    assert sel.lists()["district"]["fid"].tolist() == ["F4", "F5", "F2"]
    assert sel.contains(["F5", "F3"], id_col="fid").tolist() == [True, False]


def test_select_quota_numeric_group_codes_are_text():
    df = pd.DataFrame({"family_id": ["F1", "F2", "F3"], "kec": [7, 7, 12],
                       "score": [2.0, 1.0, 3.0]})
    sel = select_quota(df, by="kec", slots={7: 1, 12: 1})
    assert sel.beneficiaries["kec"].tolist() == ["7", "12"]
    assert sel.quotas["kec"].tolist() == ["7", "12"]
    assert sel.beneficiaries["family_id"].tolist() == ["F2", "F3"]
    # lists are keyed by the group's text, in text order
    assert list(sel.lists()) == ["12", "7"]


@pytest.mark.parametrize("sizes, total, expected", [
    ([3, 5, 2], 4, [1, 2, 1]),     # exact 1.2 2.0 0.8: the largest remainder (0.8) first
    ([1, 3, 6], 5, [1, 1, 3]),     # exact 0.5 1.5 3.0: tied remainders, earlier group first
    ([2, 2, 2, 2], 3, [1, 1, 1, 0]),
    ([5, 5], 4, [2, 2]),           # no remainder
])
def test_budget_split_by_largest_remainder(sizes, total, expected):
    rows = [(f"V{g}", f"F{g}{i}") for g, s in enumerate(sizes) for i in range(s)]
    df = pd.DataFrame({"village_code": [v for v, _ in rows], "family_id": [f for _, f in rows],
                       "score": np.arange(len(rows), dtype=float)})
    sel = select_quota(df, budget=total * 100.0 + 99.0, transfer=100.0)
    assert sel.quotas["slots"].tolist() == expected
    assert sel.options["budget"] == total * 100.0 + 99.0


def test_budget_by_rank_and_per_group_series():
    # district order F4 1, F5 2, F2 4, F3 4, F1 5, F6 9: the 3 lowest are 1 in A and 2 in B
    sel = select_quota(_six(), budget=np.float64(350.0), transfer=100.0, allocation="rank")
    assert sel.quotas["slots"].tolist() == [1, 2]
    assert sel.beneficiaries["family_id"].tolist() == ["F2", "F4", "F5"]
    assert sel.options["allocation"] == "rank"
    # per group, as a Series: floor(250 / 100) = 2 in A, B absent -> 0
    per = select_quota(_six(), budget=pd.Series({"A": 250.0}), transfer=100.0)
    assert per.quotas["slots"].tolist() == [2, 0]
    assert per.options["budget"] == "per group"
    assert per.beneficiaries["transfer"].tolist() == [100.0, 100.0]
    # a budget that buys exactly one transfer: exact 0.5 / 0.5, the tie to the earlier group
    one = select_quota(_six(), budget=199.0, transfer=100.0)
    assert one.quotas["slots"].tolist() == [1, 0]
    assert one.beneficiaries["family_id"].tolist() == ["F2"]
    assert select_quota(_six(), budget={"B": 100.0}, transfer=100.0).quotas["slots"].tolist() \
        == [0, 1]
    # an integer budget
    assert select_quota(_six(), budget=200, transfer=100.0).quotas["slots"].tolist() == [1, 1]


def test_quotas_for_groups_rank_counts_and_owner():
    calls = []

    def counts(total):
        calls.append(total)
        return np.array([1, 2], dtype=np.int64)

    got = quotas_for_groups(np.array(["a", "b"], dtype=object), np.array([2, 2]), n=4,
                            by="v", slots=None, budget=399.0, transfer=100.0,
                            allocation="rank", rank_counts=counts, owner="f")
    assert got.tolist() == [1, 2] and calls == [3]
    with pytest.raises(ParameterError) as e:
        quotas_for_groups(np.array(["a"], dtype=object), np.array([1]), n=1, by=None, slots=2,
                          budget=None, transfer=None, allocation="size", rank_counts=counts,
                          owner="select_quota_dataset")
    assert _err(e) == ("The quota of select_quota_dataset must be at most the number of "
                       "registered families in each district. Got 1 group over quota "
                       "(a: 2 slots for 1 families) instead. Lower the quota or the budget "
                       "for these groups.")


# --------------------------------------------------------------------------------------------
# select_quota: errors (word for word: they carry the fix)
# --------------------------------------------------------------------------------------------

def test_select_quota_column_errors_name_the_parameter():
    for drop, param in [("score", "score"), ("village_code", "by"), ("family_id", "id_col")]:
        with pytest.raises(SchemaError) as e:
            select_quota(_six().drop(columns=drop), slots=1)
        assert _err(e) == _schema(
            f"registry: column '{drop}' is missing: 6 rows. Fix: score the registry first "
            f"(score_registry) or name the column with select_quota(..., {param}=...)")
    with pytest.raises(SchemaError) as e:
        select_quota(_six().assign(name_head="x"), slots=1)
    assert _err(e).startswith("registry: 1 problem found\n  - registry: column 'name_head' "
                              "holds raw identifiers: 6 rows. Fix: ingest")
    with pytest.raises(SchemaError) as e:
        select_quota(_six().assign(village_code=["B", None, "A", "B", None, "B"]), slots=1)
    assert _err(e) == _schema("registry: column 'village_code' is missing: 2 rows "
                              "(e.g. F1, F2). Fix: every family needs its group code")
    with pytest.raises(SchemaError) as e:
        select_quota(_six().assign(score=[1.0, np.nan, 2, 3, 4, 5]), slots=1)
    assert "column 'score' is missing: 1 row (e.g. F1). Fix: score every family" in _err(e)
    with pytest.raises(SchemaError) as e:
        select_quota(_six().assign(family_id=["F4", None, "F3", "F6", "F2", "F5"]), slots=1)
    assert _err(e) == _schema("registry: column 'family_id' has missing ids: 1 row (e.g. 1). "
                              "Fix: every family needs its pseudonymous id")


def test_select_quota_parameter_errors_carry_the_fix():
    df = _six()
    cases = [
        (dict(), "The 'slots' and 'budget' parameters of select_quota are exclusive: give "
                 "exactly one. Got slots=None and budget=None instead."),
        (dict(slots=1, allocation="equal"),
         "The 'allocation' parameter of select_quota must be one of {'size', 'rank'}. "
         "Got 'equal' instead."),
        (dict(budget=1000.0),
         "The 'transfer' parameter of select_quota must be a positive amount (Rp per family) "
         "when budget is given. Got None instead."),
        (dict(budget=1000.0, transfer=float("inf")),
         "The 'transfer' parameter of select_quota must be a positive amount (Rp per family) "
         "when budget is given. Got inf instead."),
        (dict(budget=1000.0, transfer=float("nan")),
         "The 'transfer' parameter of select_quota must be a positive amount (Rp per family) "
         "when budget is given. Got nan instead."),
        (dict(budget=1000.0, transfer=-5.0),
         "The 'transfer' parameter of select_quota must be a positive amount (Rp per family) "
         "when budget is given. Got -5.0 instead."),
        (dict(budget=-100.0, transfer=100.0),
         "The 'budget' parameter of select_quota must be a non-negative amount (Rp). "
         "Got -100.0 instead."),
        (dict(budget=float("inf"), transfer=100.0),
         "The 'budget' parameter of select_quota must be a non-negative amount (Rp). "
         "Got inf instead."),
        (dict(budget=0.0, transfer=100.0),
         "The 'budget' parameter of select_quota must buy at least one transfer of Rp100. "
         "Got Rp0 instead."),
        (dict(budget=700_000.0, transfer=100_000.0),
         "The 'budget' parameter of select_quota must buy at most one transfer per registered "
         "family (6 families). Got Rp700,000, which buys 7 transfers, instead."),
        (dict(budget={"A": -1.0, "B": float("nan")}, transfer=100.0),
         "The 'budget' parameter of select_quota must hold non-negative amounts. Got 2 "
         "negative or missing amounts instead."),
        (dict(budget={"A": 99.0, "B": 0.5}, transfer=100.0),
         "The 'budget' parameter of select_quota must buy at least one transfer of Rp100. "
         "Got budgets totalling Rp100 instead."),
        (dict(budget={"Z": 100.0, "A": 100.0, "Y": 1.0}, transfer=100.0),
         "The 'budget' parameter of select_quota must name groups of 'village_code' present "
         "in the registry. Got 2 unknown (e.g. Y, Z) instead."),
        (dict(slots={"A": 1, "Q": 1}),
         "The 'slots' parameter of select_quota must name groups of 'village_code' present "
         "in the registry. Got 1 unknown (e.g. Q) instead."),
        (dict(slots={"A": -1, "B": 1.5}),
         "The 'slots' parameter of select_quota must hold non-negative integers. Got 2 bad "
         "values instead."),
        # a missing amount given for a group is refused (before issue 18's round it was
        # silently read as 0: reindex(...).fillna(0) filled it with the absent groups)
        (dict(slots={"A": 1, "B": float("nan")}),
         "The 'slots' parameter of select_quota must hold non-negative integers. Got 1 bad "
         "values instead."),
        (dict(budget={"A": 300.0, "B": None}, transfer=100.0),
         "The 'budget' parameter of select_quota must hold non-negative amounts. Got 1 "
         "negative or missing amounts instead."),
        (dict(slots={"A": 0, "B": 0.5}),
         "The 'slots' parameter of select_quota must hold non-negative integers. Got 1 bad "
         "values instead."),
        (dict(slots=2.0),
         "The 'slots' parameter of select_quota must be a non-negative integer or a mapping "
         "group -> integer. Got 2.0 instead."),
        (dict(slots=np.int64(-1)),
         "The 'slots' parameter of select_quota must be a non-negative integer or a mapping "
         "group -> integer. Got np.int64(-1) instead."),
        (dict(slots={"A": 4, "B": 5}),
         "The quota of select_quota must be at most the number of registered families in each "
         "village_code. Got 2 groups over quota (A: 4 slots for 3 families, B: 5 slots for 3 "
         "families) instead. Lower the quota or the budget for these groups."),
    ]
    for kw, msg in cases:
        with pytest.raises(ParameterError) as e:
            select_quota(df, **kw)
        assert _err(e) == msg, kw
    with pytest.raises(ParameterError) as e:
        select_quota(df, by=None, slots=7)
    assert _err(e) == ("The quota of select_quota must be at most the number of registered "
                       "families in each district. Got 1 group over quota (district: 7 slots "
                       "for 6 families) instead. Lower the quota or the budget for these "
                       "groups.")


def test_over_quota_lists_five_groups_then_an_ellipsis():
    df = pd.DataFrame({"family_id": [f"F{i}" for i in range(6)],
                       "village_code": list("ABCDEF"), "score": np.arange(6.0)})
    with pytest.raises(ParameterError) as e:
        select_quota(df, slots=2)
    assert _err(e) == ("The quota of select_quota must be at most the number of registered "
                       "families in each village_code. Got 6 groups over quota (A: 2 slots for "
                       "1 families, B: 2 slots for 1 families, C: 2 slots for 1 families, D: 2 "
                       "slots for 1 families, E: 2 slots for 1 families, …) instead. Lower the "
                       "quota or the budget for these groups.")
    # exactly the group's size is allowed (quota > size is the rule, not >=)
    assert select_quota(df, slots=1).n_selected == 6
    assert select_quota(df, slots=0).n_selected == 0


class _Recording:
    """A DuckDB connection that counts the statements run through it."""

    def __init__(self, con) -> None:
        self.con, self.calls = con, 0

    def execute(self, *a, **k):
        self.calls += 1
        return self.con.execute(*a, **k)

    def register(self, *a, **k):
        return self.con.register(*a, **k)

    def unregister(self, *a, **k):
        return self.con.unregister(*a, **k)


def test_select_quota_on_a_dataset_path_passes_every_option(tmp_path):
    import duckdb

    from kassaki_eval.targeting import DatasetSelection

    df = _six().rename(columns={"family_id": "fid", "score": "pmt"})
    path = tmp_path / "scored.parquet"
    df.to_parquet(path)
    con = _Recording(duckdb.connect())
    sel = select_quota(path, budget=350.0, transfer=100.0, allocation="rank", score="pmt",
                       id_col="fid", out=tmp_path / "o", con=con)
    assert isinstance(sel, DatasetSelection) and con.calls > 0
    # as in memory (test_budget_by_rank_and_per_group_series): 1 in A, 2 in B
    assert sel.quotas["slots"].tolist() == [1, 2]
    got = sel.read()
    assert got["fid"].astype(str).tolist() == ["F2", "F4", "F5"]
    assert got["transfer"].tolist() == [100.0] * 3


def test_score_registry_on_a_dataset_path_passes_within(tmp_path):
    path = tmp_path / "registry.parquet"
    _reg().reset_index(drop=True).to_parquet(path)
    out = score_registry(path, _Col(), within="district", keep=("district",),
                         out=tmp_path / "o")
    got = pd.read_parquet(out).sort_values("family_id")
    # as in memory (test_score_registry_ranks_desil_columns_and_index_by_hand)
    assert got["rank"].tolist() == [3, 1, 1, 2, 2]
    assert got["desil"].tolist() == [7, 1, 1, 6, 4]
    with pytest.raises(Exception) as e:
        score_registry(tmp_path / "nothing_here", _Col(), out=tmp_path / "o2")
    assert str(e.value) == (
        f"{tmp_path / 'nothing_here'} is not a Parquet file or a folder holding Parquet files "
        "(the 'registry' parameter of score_registry). Fix: pass a DataFrame, or the path "
        "written by ingest_registry / score_registry / synthetic.national.write_registry.")


def test_rank_reads_missing_python_scores_as_missing():
    # a list with None becomes NaN (float array), then the missing-score error
    with pytest.raises(SchemaError) as e:
        rank_scores([1.0, None, 2.0], ["F1", "F2", "F3"])
    assert "column 'score' is missing: 1 row (e.g. F2)" in str(e.value)
    # integer scores rank as numbers
    assert rank_scores([10, 9, 100], ["a", "b", "c"]).tolist() == [1, 0, 2]


def test_score_registry_refuses_a_missing_within_group():
    reg = _reg().assign(district=["d2", None, "d2", "d1", None])
    with pytest.raises(SchemaError) as e:
        score_registry(reg, _Col(), within="district")
    assert str(e.value) == _schema("registry: column 'district' is missing: 2 rows "
                                   "(e.g. F2, F5). Fix: every family needs its group code")


class _IntModel:
    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.array([3, 1, 2, 5, 2])


def test_score_is_float_and_a_budget_may_buy_one_transfer_per_family(tmp_path):
    # the score column is float64 whatever the model returns (integers here)
    sc = score_registry(_reg(), _IntModel())
    assert sc["score"].dtype == np.float64 and sc["rank"].tolist() == [4, 1, 2, 5, 3]
    # exactly one transfer per registered family is allowed (6 families, 6 transfers)
    sel = select_quota(_six(), budget=600.0, transfer=100.0)
    assert sel.n_selected == 6 and sel.quotas["slots"].tolist() == [3, 3]
    # per-group budgets give integer slots
    per = select_quota(_six(), budget={"A": 250.0}, transfer=100.0)
    assert per.quotas["slots"].dtype == np.int64
    # a dataset path scores on the given connection
    import duckdb

    path = tmp_path / "registry.parquet"
    _reg().reset_index(drop=True).to_parquet(path)
    con = _Recording(duckdb.connect())
    score_registry(path, _Col(), out=tmp_path / "o", con=con)
    assert con.calls > 0


def test_rank_allocation_slots_are_integers_and_lists_default_to_family_id():
    """(Fresh mutmut sample, seed 19.) Slots by rank are counts: int64 in the quota table
    (a float cast printed '2.0 slots'), as by size. A Selection whose options do not name the
    id column (made by hand, or by an older version) lists families by ``family_id``."""
    sel = select_quota(_six(), budget=350.0, transfer=100.0, allocation="rank")
    assert sel.quotas["slots"].dtype == np.int64
    # 3 transfers: the district's 3 lowest are F4 1.0 (B), F5 2.0 (B), F2 4.0 (A; F3 ties at
    # 4.0 and loses on the id): A 1, B 2
    assert sel.quotas["slots"].tolist() == [1, 2]
    ben = pd.DataFrame({"family_id": ["F2", "F1"], "rank_in_group": [1, 2], "score": [1.0, 2.0]})
    hand = Selection(ben, pd.DataFrame(), np.array([True, True]), {"by": None})
    lists = hand.lists()
    assert list(lists) == ["district"]
    assert list(lists["district"].columns) == ["family_id", "rank_in_group"]
    assert lists["district"]["family_id"].tolist() == ["F2", "F1"]
