"""kassaki_eval.targeting.scale pinned on small tables (issue 18, mutation round, helper mutH).

tests/targeting/test_scale.py compares the DuckDB path with the in-memory path on the whole
synthetic registry (~50 s); this file pins the out-of-core functions themselves on five to
thirty rows, fast enough to run for every mutant.

Sources of the expected values:
- ranks, desils, quotas and beneficiary lists: worked out by hand next to each assertion from
  the module docstrings (rank = ``row_number()`` over ascending score then ``family_id``;
  desil = ``(10 * (rank - 1)) // n + 1``; the poorest ``slots`` per group, ties by id);
- group profiles: plain pandas ``groupby`` means written out by hand (and the DuckDB path must
  give the pandas path's table);
- linked_accuracy: ``targeting_accuracy`` on the survey with a ``selected`` column typed by
  hand (the ids on the list);
- ingest_registry: ``pandas.read_csv`` / ``load_registry`` of the same rows, part counts from
  the chunk size, file row numbers (header = row 1);
- connect: a DuckDB connection configured by hand with the same settings;
- messages: the error template of kassaki_eval/exceptions.py, word for word.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataFileError, ParameterError, SchemaError
from kassaki_eval.targeting import Selection, scale as sc, select_quota, targeting_accuracy

duckdb = pytest.importorskip("duckdb")


def _schema(line: str) -> str:
    return f"registry: 1 problem found\n  - {line}"


# -- engine ----------------------------------------------------------------------------------

def _setting(con, name):
    return con.execute(f"SELECT current_setting('{name}')").fetchone()[0]


def test_connect_settings_equal_a_hand_configured_connection(tmp_path):
    ref = duckdb.connect(config={"memory_limit": "1GB", "threads": 1})
    con = sc.connect(memory_limit="1GB", threads=1, temp_directory=tmp_path / "spill")
    assert _setting(con, "memory_limit") == _setting(ref, "memory_limit")
    assert _setting(con, "threads") == 1
    assert _setting(con, "preserve_insertion_order") is False
    assert _setting(con, "temp_directory") == (tmp_path / "spill").as_posix()
    # the defaults: 4 GB, DuckDB's thread count, <tmp>/kassaki_duckdb
    import tempfile
    from pathlib import Path

    con = sc.connect()
    ref = duckdb.connect(config={"memory_limit": "4GB"})
    assert _setting(con, "memory_limit") == _setting(ref, "memory_limit")
    assert _setting(con, "threads") == _setting(duckdb.connect(), "threads")
    assert _setting(con, "temp_directory") == (
        Path(tempfile.gettempdir()) / "kassaki_duckdb").as_posix()
    # no limit: DuckDB's own default
    assert _setting(sc.connect(memory_limit=None), "memory_limit") == _setting(
        duckdb.connect(), "memory_limit")


def test_files_dataset_sql_and_quoting(tmp_path):
    f = tmp_path / "a.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(f)
    assert sc._files(f) == [f]
    d = tmp_path / "ds"
    (d / "k=2").mkdir(parents=True)
    (d / "k=1").mkdir(parents=True)
    pd.DataFrame({"x": [1]}).to_parquet(d / "k=2" / "p.parquet")
    pd.DataFrame({"x": [2]}).to_parquet(d / "k=1" / "p.parquet")
    assert sc._files(d) == [d / "k=1" / "p.parquet", d / "k=2" / "p.parquet"]  # sorted, nested
    assert sc.dataset_sql(f) == f"read_parquet('{f.as_posix()}')"
    assert sc.dataset_sql(str(d)) == (f"read_parquet('{d.as_posix()}/**/*.parquet', "
                                      "hive_partitioning = true, union_by_name = true)")
    empty = tmp_path / "empty"
    empty.mkdir()
    for p in (empty, tmp_path / "missing"):
        with pytest.raises(DataFileError) as e:
            sc.dataset_sql(p)
        assert str(e.value) == (f"{p} holds no Parquet file. Fix: pass a .parquet file or a "
                                "folder of them (e.g. written by ingest_registry or "
                                "synthetic.national.write_registry).")
    assert sc._q("a") == '"a"'
    assert sc._q('we"ird') == '"we""ird"'


def test_need_refuses_raw_ids_and_names_the_missing_columns(tmp_path):
    con = duckdb.connect()
    p = tmp_path / "raw.parquet"
    pd.DataFrame({"nik_head": ["1"], "no_kk": ["2"], "x": [1]}).to_parquet(p)
    with pytest.raises(SchemaError) as e:
        sc._need(con, sc.dataset_sql(p), ["x"], "why")
    assert str(e.value) == _schema(
        # the table's order (session 14: raw_id_columns, as the in-memory path names them)
        "registry: column 'nik_head, no_kk' holds raw identifiers: 0 rows. Fix: ingest the "
        "registry with ingest_registry (pseudonymises it) first")
    p = tmp_path / "ok.parquet"
    pd.DataFrame({c: [1] for c in "abcdefghijklmn"}).to_parquet(p)
    assert sc._need(con, sc.dataset_sql(p), ["a", "n"], "why") == list("abcdefghijklmn")
    with pytest.raises(SchemaError) as e:
        sc._need(con, sc.dataset_sql(p), ["a", "zz", "yy"], "score it first")
    assert str(e.value) == _schema(
        "registry: column 'zz, yy' is missing: 0 rows. Fix: score it first; the dataset has "
        "['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l']")


# -- scoring -----------------------------------------------------------------------------------

class _X:
    """A model whose score is the column x; it records the columns it was given."""

    features_ = ["x"]

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        self.seen.append(list(df.columns))
        return df["x"].to_numpy()


def _five() -> pd.DataFrame:
    return pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4", "F5"],
                         "village_code": ["v1", "v1", "v2", "v2", "v2"],
                         "kec_code": ["k1"] * 5, "other": [0] * 5,
                         "x": [3.0, 1.0, 2.0, 1.0, 5.0]})


def test_score_dataset_ranks_and_desils_by_hand(tmp_path):
    p = tmp_path / "reg.parquet"
    _five().to_parquet(p)
    m = _X()
    out = sc.score_dataset(p, m, out=tmp_path / "o", batch_rows=2)
    assert out == tmp_path / "o" / "scored.parquet"
    assert sorted(os.listdir(tmp_path / "o")) == ["scored.parquet"]  # the temporary file goes
    got = pd.read_parquet(out)
    # ascending score, ties by id: F2 (1), F4 (1), F3 (2), F1 (3), F5 (5); n = 5,
    # desil = 10 (rank - 1) // 5 + 1 = 1, 3, 5, 7, 9
    assert list(got.columns) == ["family_id", "village_code", "kec_code", "score", "rank",
                                 "desil"]
    assert got["family_id"].tolist() == ["F2", "F4", "F3", "F1", "F5"]
    assert got["score"].tolist() == [1.0, 1.0, 2.0, 3.0, 5.0]
    assert got["rank"].tolist() == [1, 2, 3, 4, 5]
    assert got["desil"].tolist() == [1, 3, 5, 7, 9]
    assert got["village_code"].tolist() == ["v1", "v2", "v2", "v1", "v2"]
    # batches of 2 rows; the model sees the id, the kept columns and its features only
    assert m.seen == [["family_id", "village_code", "kec_code", "x"]] * 3
    # the in-memory path gives the same table
    mem = sc.score_dataset(_five(), _X())
    assert isinstance(mem, pd.DataFrame)
    mem = mem.sort_values("rank").reset_index(drop=True)
    assert mem["family_id"].tolist() == got["family_id"].tolist()
    assert mem["desil"].tolist() == got["desil"].tolist()


def test_score_dataset_within_groups_by_hand(tmp_path):
    d = tmp_path / "reg"
    for v, g in _five().groupby("village_code"):
        (d / f"village_code={v}").mkdir(parents=True)
        g.drop(columns="village_code").to_parquet(d / f"village_code={v}" / "p.parquet")
    out = sc.score_dataset(d, _X(), out=tmp_path / "o", within="village_code")
    got = pd.read_parquet(out)
    # v1: F2 (1), F1 (3), n = 2: desil 1, 10 // 2 + 1 = 6;
    # v2: F4 (1), F3 (2), F5 (5), n = 3: desil 1, 10 // 3 + 1 = 4, 20 // 3 + 1 = 7
    assert list(got.columns) == ["family_id", "kec_code", "village_code", "score", "rank",
                                 "desil"]
    assert got["family_id"].tolist() == ["F2", "F1", "F4", "F3", "F5"]
    assert got["village_code"].astype(str).tolist() == ["v1", "v1", "v2", "v2", "v2"]
    assert got["rank"].tolist() == [1, 2, 1, 2, 3]
    assert got["desil"].tolist() == [1, 6, 1, 4, 7]
    # keep= names columns to carry (missing ones are skipped); id_col= another id
    p = tmp_path / "r.parquet"
    _five().rename(columns={"family_id": "fid"}).to_parquet(p)
    out = sc.score_dataset(p, _X(), out=tmp_path / "o2", id_col="fid",
                           keep=("other", "nowhere"))
    got = pd.read_parquet(out)
    assert list(got.columns) == ["fid", "other", "score", "rank", "desil"]
    assert got["fid"].tolist() == ["F2", "F4", "F3", "F1", "F5"]


class _All:
    """A model without feature names: it gets every column."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def predict(self, df):
        self.seen.append(list(df.columns))
        return -df["x"].to_numpy()


class _Named(_All):
    feature_names_in_ = np.array(["x", "other"])


class _Int:
    features_ = ["x"]

    def predict(self, df):
        return df["x"].to_numpy().astype(np.int64)


def test_score_dataset_frame_within_nested_out_and_integer_scores(tmp_path):
    # the DataFrame path passes within= on (desils per village, as by hand above)
    mem = sc.score_dataset(_five(), _X(), within="village_code")
    mem = mem.sort_values("family_id")
    assert mem["rank"].tolist() == [2, 1, 2, 1, 3] and mem["desil"].tolist() == [6, 1, 4, 1, 7]
    # out= may be a folder inside folders that do not exist yet
    p = tmp_path / "reg.parquet"
    _five().to_parquet(p)
    out = sc.score_dataset(p, _Int(), out=tmp_path / "a" / "b")
    got = pd.read_parquet(out)
    # a model returning integers: the score column is float64 all the same
    assert got["score"].dtype == np.float64
    assert got["score"].tolist() == [1.0, 1.0, 2.0, 3.0, 5.0]


def test_score_dataset_reads_the_model_features(tmp_path):
    p = tmp_path / "reg.parquet"
    _five().to_parquet(p)
    m = _All()
    got = pd.read_parquet(sc.score_dataset(p, m, out=tmp_path / "o", keep=()))
    assert m.seen == [["family_id", "village_code", "kec_code", "other", "x"]]
    assert got["family_id"].tolist() == ["F5", "F1", "F3", "F2", "F4"]  # -x ascending, ties id
    m = _Named()
    sc.score_dataset(p, m, out=tmp_path / "o2", keep=("kec_code",))
    assert m.seen == [["family_id", "kec_code", "x", "other"]]


class _NaN:
    features_ = ["x"]

    def predict(self, df):
        return np.where(df["x"] > 2, np.nan, df["x"])


def test_score_dataset_errors(tmp_path):
    p = tmp_path / "reg.parquet"
    _five().to_parquet(p)
    with pytest.raises(SchemaError) as e:
        sc.score_dataset(p, _NaN(), out=tmp_path / "o")
    # x > 2: F1 (3.0) and F5 (5.0), the ids shown as the in-memory path shows them
    assert str(e.value) == _schema("registry: column 'score' is missing: 2 rows (e.g. F1, F5). "
                                   "Fix: the model returned NaN: check the covariates")
    with pytest.raises(ParameterError) as e:
        sc.score_dataset(p, _X())
    assert str(e.value) == ("The 'out' parameter of score_dataset must name a folder when the "
                            "source is a dataset path. Got None instead.")
    with pytest.raises(SchemaError, match="column 'district' is missing: 0 rows. Fix: "
                       "score_dataset needs the id \\(and within\\) columns"):
        sc.score_dataset(p, _X(), out=tmp_path / "o3", within="district")
    with pytest.raises(SchemaError, match="column 'fid' is missing"):
        sc.score_dataset(p, _X(), out=tmp_path / "o4", id_col="fid")


# -- quota selection ---------------------------------------------------------------------------

def _six() -> pd.DataFrame:
    return pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4", "F5", "F6"],
                         "village_code": ["A", "A", "A", "B", "B", "B"],
                         "score": [5.0, 1.0, 3.0, 2.0, 4.0, 6.0]})


def _path(tmp_path, df, name="s.parquet"):
    p = tmp_path / name
    df.to_parquet(p)
    return p


def test_select_quota_dataset_slots_by_hand(tmp_path):
    p = _path(tmp_path, _six())
    sel = sc.select_quota_dataset(p, slots=2, out=tmp_path / "o")
    assert isinstance(sel, sc.DatasetSelection)
    assert sel.beneficiaries == tmp_path / "o" / "beneficiaries.parquet"
    got = sel.read()
    # A: F2 (1), F3 (3); B: F4 (2), F5 (4)
    assert list(got.columns) == ["village_code", "family_id", "rank_in_group", "score"]
    assert got["village_code"].tolist() == ["A", "A", "B", "B"]
    assert got["family_id"].tolist() == ["F2", "F3", "F4", "F5"]
    assert got["rank_in_group"].tolist() == [1, 2, 1, 2]
    assert got["score"].tolist() == [1.0, 3.0, 2.0, 4.0]
    assert sel.n_selected == 4
    pd.testing.assert_frame_equal(sel.quotas, pd.DataFrame(
        {"village_code": ["A", "B"], "families": [3, 3], "slots": [2, 2], "selected": [2, 2]}),
        check_dtype=False)
    assert sel.quotas["selected"].dtype == np.int64
    assert dict(sel.options) == {"by": "village_code", "allocation": "size", "transfer": None,
                                 "budget": None, "slots": 2, "engine": "duckdb"}
    # per-group slots, one group without slots; a transfer column
    sel = sc.select_quota_dataset(p, slots={"A": 0, "B": 3}, transfer=50,
                                  out=tmp_path / "o2")
    got = sel.read()
    assert list(got.columns) == ["village_code", "family_id", "rank_in_group", "score",
                                 "transfer"]
    assert got["family_id"].tolist() == ["F4", "F5", "F6"]
    assert got["transfer"].tolist() == [50.0] * 3 and got["transfer"].dtype == np.float64
    assert sel.quotas["selected"].tolist() == [0, 3] and sel.n_selected == 3
    assert sel.options["slots"] == "per group" and sel.options["transfer"] == 50


def test_select_quota_dataset_district_and_ties(tmp_path):
    df = _six().assign(score=[2.0, 1.0, 2.0, 2.0, 4.0, 6.0])
    p = _path(tmp_path, df)
    sel = sc.select_quota_dataset(p, by=None, slots=3, out=tmp_path / "o")
    got = sel.read()
    # lowest 3 of the district, ties (2.0: F1, F3, F4) by id: F2, F1, F3
    assert list(got.columns) == ["family_id", "rank_in_group", "score"]
    assert got["family_id"].tolist() == ["F2", "F1", "F3"]
    assert got["rank_in_group"].tolist() == [1, 2, 3]
    pd.testing.assert_frame_equal(sel.quotas, pd.DataFrame(
        {"group": ["district"], "families": [6], "slots": [3], "selected": [3]}),
        check_dtype=False)
    assert sel.options["by"] is None
    # the in-memory path picks the same families
    mem = sc.select_quota_dataset(df, by=None, slots=3)
    assert isinstance(mem, Selection)
    assert mem.beneficiaries["family_id"].tolist() == ["F2", "F1", "F3"]


def test_select_quota_dataset_budget_rank_and_size(tmp_path):
    p = _path(tmp_path, _six())
    # budget 350 / transfer 100 = 3 slots. By rank: the district's 3 lowest are F2 (A),
    # F4 (B), F3 (A): A gets 2, B gets 1
    sel = sc.select_quota_dataset(p, budget=350.0, transfer=100.0, allocation="rank",
                                  out=tmp_path / "o")
    assert sel.quotas["slots"].tolist() == [2, 1]
    assert sel.read()["family_id"].tolist() == ["F2", "F3", "F4"]
    assert sel.options["budget"] == 350.0 and sel.options["allocation"] == "rank"
    assert sel.options["slots"] is None
    mem = select_quota(_six(), budget=350.0, transfer=100.0, allocation="rank")
    assert mem.quotas["slots"].tolist() == [2, 1]
    # 4 transfers: the district's 4 lowest are F2 1 (A), F4 2 (B), F3 3 (A), F5 4 (B): 2 and 2
    sel = sc.select_quota_dataset(p, budget=400.0, transfer=100.0, allocation="rank",
                                  out=tmp_path / "o2")
    assert sel.quotas["slots"].tolist() == [2, 2]
    # 1 transfer: the district's lowest is F2 (A); B has none of it and gets no slot
    sel = sc.select_quota_dataset(p, budget=100.0, transfer=100.0, allocation="rank",
                                  out=tmp_path / "o4")
    assert sel.quotas["slots"].tolist() == [1, 0]
    assert sel.read()["family_id"].tolist() == ["F2"]
    # a per-group budget
    sel = sc.select_quota_dataset(p, budget={"A": 100.0, "B": 200.0}, transfer=100.0,
                                  out=tmp_path / "o3")
    assert sel.quotas["slots"].tolist() == [1, 2]
    assert sel.options["budget"] == "per group"
    assert sel.read()["family_id"].tolist() == ["F2", "F4", "F5"]


def test_select_quota_dataset_orders_integer_codes_as_numbers_like_the_in_memory_path(tmp_path):
    """Integer group codes 1, 2, 10 in number order on both engines (DuckDB sorted them as
    text, "1", "10", "2"). The order is not cosmetic: with equal remainders the largest-
    remainder split gives the extra slot to the earlier group, so the engines picked
    different families for the same registry and budget."""
    reg = pd.DataFrame({"family_id": [f"F{i}" for i in range(6)],
                        "village_code": [10, 1, 2, 10, 1, 2],
                        "score": [5.0, 1.0, 3.0, 6.0, 2.0, 4.0]})
    p = _path(tmp_path, reg)
    # 2 transfers over three groups of 2: exact shares 2/3 each, floors 0, remainders tied:
    # the two extra slots go to the first two groups in code order, 1 and 2
    sel = sc.select_quota_dataset(p, budget=200.0, transfer=100.0, out=tmp_path / "o")
    mem = select_quota(reg, budget=200.0, transfer=100.0)
    assert sel.quotas["village_code"].tolist() == ["1", "2", "10"]
    assert sel.quotas["slots"].tolist() == [1, 1, 0]
    pd.testing.assert_frame_equal(sel.quotas, mem.quotas, check_dtype=False)
    # the lowest score of villages 1 (F1, 1.0) and 2 (F2, 3.0), rows in code order
    got = sel.read()
    assert got["family_id"].tolist() == ["F1", "F2"]
    assert got["family_id"].tolist() == mem.beneficiaries["family_id"].tolist()
    # slots=1 everywhere: the rows come out 1, 2, 10 (text order put 10 before 2)
    got = sc.select_quota_dataset(p, slots=1, out=tmp_path / "o2").read()
    assert got["village_code"].tolist() == ["1", "2", "10"]
    assert got["family_id"].tolist() == ["F1", "F2", "F0"]


def test_select_quota_dataset_errors_word_for_word(tmp_path):
    p = _path(tmp_path, _six())
    with pytest.raises(ParameterError) as e:
        sc.select_quota_dataset(p, slots=1)
    assert str(e.value) == ("The 'out' parameter of select_quota_dataset must name a folder "
                            "when the source is a dataset path. Got None instead.")
    for kw, got in ((dict(slots=1, budget=5.0), "slots=1 and budget=5.0"),
                    ({}, "slots=None and budget=None")):
        with pytest.raises(ParameterError) as e:
            sc.select_quota_dataset(p, out=tmp_path / "o", **kw)
        assert str(e.value) == ("The 'slots' and 'budget' parameters of select_quota are "
                                f"exclusive: give exactly one. Got {got} instead.")
    with pytest.raises(ParameterError) as e:
        sc.select_quota_dataset(p, slots=1, allocation="equal", out=tmp_path / "o")
    assert str(e.value) == ("The 'allocation' parameter of select_quota must be one of "
                            "{'size', 'rank'}. Got 'equal' instead.")
    with pytest.raises(SchemaError) as e:
        sc.select_quota_dataset(p, slots=1, score="pmt", out=tmp_path / "o")
    assert str(e.value) == _schema(
        "registry: column 'pmt' is missing: 0 rows. Fix: score the registry first "
        "(score_dataset); the dataset has ['family_id', 'village_code', 'score']")
    fix = "fix the dataset (ids unique, every family scored and coded) and run again"
    # counts and examples as the in-memory path gives them (session 14): a missing id has no
    # id to show; 5 rows hold a repeated id (F1 three times, F4 twice), not 6 - 3 distinct = 3
    bad = {
        "has missing ids": (_six().assign(family_id=["F1", None, None, "F4", "F5", "F6"]),
                            "family_id", 2, ""),
        "has duplicated values": (_six().assign(family_id=["F1", "F1", "F1", "F4", "F4", "F6"]),
                                  "family_id", 5, " (e.g. F1, F4)"),
        "is missing": (_six().assign(score=[1.0, np.nan, None, 2.0, 3.0, 4.0]), "score", 2,
                       " (e.g. F2, F3)"),
    }
    for rule, (df, col, n, ex) in bad.items():
        q = _path(tmp_path, df, f"{col}{n}.parquet")
        with pytest.raises(SchemaError) as e:
            sc.select_quota_dataset(q, slots=1, out=tmp_path / "o")
        assert str(e.value) == _schema(f"registry: column '{col}' {rule}: {n} rows{ex}. "
                                       f"Fix: {fix}")
    q = _path(tmp_path, _six().assign(village_code=["A", None, "A", "B", "B", "B"]), "v.parquet")
    with pytest.raises(SchemaError) as e:
        sc.select_quota_dataset(q, slots=1, out=tmp_path / "o")
    assert str(e.value) == _schema("registry: column 'village_code' is missing: 1 row (e.g. F2). "
                                   f"Fix: {fix}")
    # by=None: a missing group code is no problem
    assert sc.select_quota_dataset(q, by=None, slots=2, out=tmp_path / "o").n_selected == 2


# -- accuracy against a linked survey -----------------------------------------------------------

def _survey() -> pd.DataFrame:
    # 8 households; F-ids on the list: F1, F3, F6; H7 is not registered (no id)
    return pd.DataFrame({
        "family_id": ["F1", "F2", "F3", "F4", "F5", "F6", None, "F8"],
        "consumption_pc": [50.0, 80.0, 120.0, 60.0, 200.0, 90.0, 40.0, 150.0],
        "zone": ["island", "island", "island", "island", "mainland", "mainland", "mainland",
                 "mainland"],
        "w": [1.0, 2.0, 1.0, 3.0, 1.0, 2.0, 1.0, 1.0],
    })


KW = dict(poverty_line=100.0, design={"weight": "w"}, by=("zone",), deciles=False)


def _expected():
    s = _survey().assign(selected=[1, 0, 1, 0, 0, 1, 0, 0])
    return targeting_accuracy(s, selected="selected", **KW).tidy()


def _same(res):
    exp = _expected()
    got = res.tidy()
    pd.testing.assert_frame_equal(got[["term", "benchmark", "by", "group", "n_obs"]],
                                  exp[["term", "benchmark", "by", "group", "n_obs"]])
    np.testing.assert_allclose(got["estimate"], exp["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(got["std_error"], exp["std_error"], rtol=1e-12, equal_nan=True)


def test_linked_accuracy_every_route_gives_the_hand_selection(tmp_path):
    # the list repeats F1 (once per programme): a household counts once
    ben = pd.DataFrame({"family_id": ["F1", "F3", "F6", "F1", "F99"], "rank_in_group": range(5)})
    sp, bp = _path(tmp_path, _survey(), "survey.parquet"), _path(tmp_path, ben, "ben.parquet")
    _same(sc.linked_accuracy(_survey(), ben, **KW))
    _same(sc.linked_accuracy(sp, ben, **KW))
    _same(sc.linked_accuracy(_survey(), bp, **KW))
    _same(sc.linked_accuracy(sp, bp, **KW))
    # a survey dataset in a hive-partitioned folder keeps its row order (by file, then row)
    sel = Selection(beneficiaries=ben, quotas=pd.DataFrame(), selected=np.zeros(0, bool))
    _same(sc.linked_accuracy(_survey(), sel, **KW))
    dsel = sc.DatasetSelection(bp, pd.DataFrame(), 3)
    _same(sc.linked_accuracy(_survey(), dsel, **KW))
    # columns= reads only those survey columns (plus the id); the others stay out
    _same(sc.linked_accuracy(sp, bp, columns=["family_id", "consumption_pc", "zone", "w"], **KW))
    _same(sc.linked_accuracy(_survey(), ben,
                             columns=["family_id", "consumption_pc", "zone", "w"], **KW))
    for s, b in ((sp, bp), (_survey(), ben)):
        with pytest.raises(SchemaError, match="column 'w' is missing: 8 rows"):
            sc.linked_accuracy(s, b, columns=["family_id", "consumption_pc"], **KW)
    # another id column name
    s2 = _survey().rename(columns={"family_id": "fid"})
    b2 = ben.rename(columns={"family_id": "fid"})
    _same(sc.linked_accuracy(s2, b2, id_col="fid", **KW))
    _same(sc.linked_accuracy(_path(tmp_path, s2, "s2.parquet"), b2, id_col="fid", **KW))


def test_linked_accuracy_survey_frame_with_its_own_index(tmp_path):
    # a survey frame that went through reset_index() twice (columns "level_0" and "index")
    # and has a non-default row index: the DuckDB route numbers the rows itself (adding the
    # index as a third column would fail), and the result is the hand selection
    s = _survey().reset_index().reset_index()
    assert list(s.columns[:2]) == ["level_0", "index"]
    s.index = [17, 3, 9, 1, 4, 8, 2, 6]
    bp = _path(tmp_path, pd.DataFrame({"family_id": ["F1", "F3", "F6"]}), "b.parquet")
    _same(sc.linked_accuracy(s, bp, **KW))


def test_linked_accuracy_leaves_no_registered_view_on_the_connection(tmp_path):
    con = duckdb.connect()
    ben = pd.DataFrame({"family_id": ["F1", "F3", "F6"]})
    _same(sc.linked_accuracy(_survey(), ben.assign(x=1).iloc[:, :1].pipe(
        lambda b: _path(tmp_path, b, "b.parquet")), con=con, **KW))
    _same(sc.linked_accuracy(_path(tmp_path, _survey(), "s.parquet"), ben, con=con, **KW))
    names = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    assert not names & {"_kassaki_survey", "_kassaki_ben"}


# -- registry profiles -------------------------------------------------------------------------

def _reg() -> pd.DataFrame:
    return pd.DataFrame({"village_code": ["b", "a", "b", "a", "b"],
                         "desil": [1, 5, 4, 10, 7],
                         "hh_size": [2, 4, 6, 3, 1],
                         "head_age": [30.0, np.nan, 50.0, 40.0, 70.0]})


def test_registry_profile_table_by_hand_on_both_paths(tmp_path):
    cols = ("hh_size", "head_age")
    # a: desil 5, 10 -> share 0; hh_size (4 + 3) / 2 = 3.5; head_age 40 (NaN skipped)
    # b: desil 1, 4, 7 -> share 2/3; hh_size 9 / 3 = 3; head_age 150 / 3 = 50
    exp = pd.DataFrame({"village_code": ["a", "b"], "families": [2, 3],
                        "desil_1to4_share": [0.0, 2 / 3], "mean_hh_size": [3.5, 3.0],
                        "mean_head_age": [40.0, 50.0]})
    a = sc.registry_profile_table(_reg(), columns=cols)
    b = sc.registry_profile_table(_path(tmp_path, _reg()), columns=cols)
    for got in (a, b):
        assert list(got.columns) == list(exp.columns)
        pd.testing.assert_frame_equal(got, exp, check_dtype=False, rtol=1e-15)
    assert b["families"].dtype == np.int64
    # whole registry: 5 families, 2 of 5 in desil 1-4; means 16 / 5, 190 / 4
    exp = pd.DataFrame({"group": ["district"], "families": [5], "desil_1to4_share": [0.4],
                        "mean_hh_size": [3.2], "mean_head_age": [47.5]})
    for src in (_reg(), _path(tmp_path, _reg(), "r2.parquet")):
        got = sc.registry_profile_table(src, by=None, columns=cols)
        pd.testing.assert_frame_equal(got, exp, check_dtype=False, rtol=1e-15)
    # another desil column; no covariates
    r = _reg().rename(columns={"desil": "d"})
    exp = pd.DataFrame({"village_code": ["a", "b"], "families": [2, 3],
                        "desil_1to4_share": [0.0, 2 / 3]})
    for src in (r, _path(tmp_path, r, "r3.parquet")):
        got = sc.registry_profile_table(src, desil="d", columns=())
        pd.testing.assert_frame_equal(got, exp, check_dtype=False, rtol=1e-15)
    # desil read as text with a missing-value code: '-' is not a number, not in desil 1-4
    r = _reg().assign(desil=["1", "5", "-", "10", "7"])
    got = sc.registry_profile_table(r, columns=())
    assert got["desil_1to4_share"].tolist() == [0.0, 1 / 3]
    assert sc.PROFILE_COLUMNS == ("hh_size", "n_children", "n_elderly", "head_age", "head_educ",
                                  "floor_area_pc", "toilet_own", "water_piped",
                                  "asset_motorcycle")


def test_registry_profile_table_keeps_families_without_a_group_code(tmp_path):
    """Bug fixed (session 9): the DataFrame path dropped families whose group code is missing
    (pandas' groupby drops NaN keys), the dataset path kept them as a NULL group: 3 families
    in one table, 5 in the other, silently."""
    r = _reg().assign(village_code=["b", None, "b", "a", None])
    # a: desil 10 -> 0, hh_size 3; b: desil 1, 4 -> 1, hh_size 4; missing: desil 5, 7 -> 0,
    # hh_size 2.5, head_age 70 (the NaN skipped)
    exp = pd.DataFrame({"village_code": ["a", "b", None], "families": [1, 2, 2],
                        "desil_1to4_share": [0.0, 1.0, 0.0], "mean_hh_size": [3.0, 4.0, 2.5],
                        "mean_head_age": [40.0, 40.0, 70.0]})
    for src in (r, _path(tmp_path, r)):
        got = sc.registry_profile_table(src, columns=("hh_size", "head_age"))
        assert got["families"].sum() == 5
        assert got["village_code"].iloc[:2].tolist() == ["a", "b"]
        assert pd.isna(got["village_code"].iloc[2])
        pd.testing.assert_frame_equal(got.drop(columns="village_code"),
                                      exp.drop(columns="village_code"), check_dtype=False,
                                      rtol=1e-15)


def test_registry_profile_table_missing_columns(tmp_path):
    with pytest.raises(SchemaError) as e:
        sc.registry_profile_table(_reg(), columns=("hh_size", "n_children"), by="kec_code")
    assert str(e.value) == _schema(
        "registry: column 'n_children, kec_code' is missing: 5 rows. Fix: pass an ingested "
        "registry with these columns or choose columns=")
    with pytest.raises(SchemaError) as e:
        sc.registry_profile_table(_reg().drop(columns="desil"), columns=())
    assert "column 'desil' is missing" in str(e.value)
    with pytest.raises(SchemaError) as e:
        sc.registry_profile_table(_path(tmp_path, _reg()), columns=("n_children",))
    assert str(e.value) == _schema(
        "registry: column 'n_children' is missing: 0 rows. Fix: registry_profile_table needs "
        "these columns; the dataset has ['village_code', 'desil', 'hh_size', 'head_age']")


# -- ingest ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def raw_all():
    from kassaki_eval.synthetic.world import generate_world

    return generate_world(seed=7, scale=0.01).registry_raw.reset_index(drop=True)


@pytest.fixture(scope="module")
def raw(raw_all):
    return raw_all.iloc[:25].reset_index(drop=True)


def test_ingest_csv_in_chunks(raw, tmp_path):
    from kassaki_eval.data import load_registry

    csv = tmp_path / "reg.csv"
    raw.to_csv(csv, index=False)
    res = sc.ingest_registry(csv, tmp_path / "out", demo=True, chunk_rows=10)
    # 25 rows in chunks of 10: parts 0, 1, 2
    assert (res.path, res.rows, res.parts) == (tmp_path / "out", 25, 3)
    assert dict(res.source) == {"file": "reg.csv", "format": "csv", "rows": 25}
    assert sorted(os.listdir(tmp_path / "out")) == ["part-00000.parquet", "part-00001.parquet",
                                                    "part-00002.parquet"]
    assert len(pd.read_parquet(tmp_path / "out" / "part-00002.parquet")) == 5
    got = pd.read_parquet(tmp_path / "out")
    exp = load_registry(csv, demo=True)
    pd.testing.assert_frame_equal(got[exp.columns].reset_index(drop=True),
                                  exp.reset_index(drop=True), check_dtype=False,
                                  check_categorical=False)
    # a second run into the same folder: refused, unless overwrite=True (old parts removed)
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(csv, tmp_path / "out", demo=True)
    assert str(e.value) == (f"{tmp_path / 'out'} already holds Parquet files. Fix: choose an "
                            "empty folder or pass overwrite=True.")
    res = sc.ingest_registry(csv, tmp_path / "out", demo=True, overwrite=True)
    assert (res.rows, res.parts) == (25, 1)
    assert sorted(os.listdir(tmp_path / "out")) == ["part-00000.parquet"]
    # the pseudonymised table ingests as is (no key needed); ';' as the separator
    reg = tmp_path / "clean.csv"
    exp.to_csv(reg, index=False, sep=";")
    res = sc.ingest_registry(reg, tmp_path / "clean", chunk_rows=100)
    assert (res.rows, res.parts) == (25, 1)
    assert pd.read_parquet(tmp_path / "clean")["family_id"].tolist() == exp["family_id"].tolist()


def test_ingest_pipe_separated_and_no_index_column(raw, tmp_path):
    from kassaki_eval.data.contracts import REGISTRY

    pipe = tmp_path / "reg.txt"
    raw.iloc[:7].to_csv(pipe, index=False, sep="|")
    res = sc.ingest_registry(pipe, tmp_path / "out", demo=True, chunk_rows=4)
    assert (res.rows, res.parts) == (7, 2)
    # the parts hold the contract's columns only (no pandas index column)
    con = duckdb.connect()
    cols = [r[0] for r in con.execute(
        f"DESCRIBE SELECT * FROM {sc.dataset_sql(tmp_path / 'out')}").fetchall()]
    assert cols == list(REGISTRY.names)


def test_ingest_xlsx_in_chunks(raw, tmp_path):
    from openpyxl import Workbook

    from kassaki_eval.data import load_registry
    from kassaki_eval.data.contracts import REGISTRY

    wb = Workbook()
    ws = wb.active
    ws.append(list(raw.columns))
    for row in raw.iloc[:12].astype(object).where(raw.iloc[:12].notna(), None).itertuples(
            index=False):
        ws.append(list(row))
    x = tmp_path / "reg.xlsx"
    wb.save(x)
    res = sc.ingest_registry(x, tmp_path / "out", demo=True, chunk_rows=5)
    # 12 rows in chunks of 5: parts 0, 1, 2 (5, 5, 2 rows)
    assert (res.rows, res.parts) == (12, 3)
    assert dict(res.source) == {"file": "reg.xlsx", "format": "xlsx", "rows": 12}
    assert [len(pd.read_parquet(tmp_path / "out" / f"part-0000{i}.parquet")) for i in range(3)
            ] == [5, 5, 2]
    got = pd.read_parquet(tmp_path / "out")
    assert list(got.columns) == list(REGISTRY.names)
    exp = load_registry(x, demo=True)
    assert got["family_id"].tolist() == exp["family_id"].tolist()
    # a bad cell is named by its sheet row (header = row 1): data row 7 = sheet row 8
    wb = Workbook()
    ws = wb.active
    ws.append(list(raw.columns))
    bad = raw.iloc[:12].astype(object).where(raw.iloc[:12].notna(), None)
    bad.loc[6, "hh_size"] = 0
    for row in bad.itertuples(index=False):
        ws.append(list(row))
    wb.save(x)
    with pytest.raises(SchemaError) as e:
        sc.ingest_registry(x, tmp_path / "out2", demo=True, chunk_rows=5)
    assert "column 'hh_size'" in str(e.value) and "(e.g. row 8)" in str(e.value)


def test_ingest_partitions_and_blank_lines(raw, tmp_path):
    csv = tmp_path / "reg.csv"
    text = raw.to_csv(index=False).splitlines()
    text.insert(4, ",".join([""] * raw.shape[1]))  # an empty record after the third data row
    csv.write_text("\n".join(text) + "\n")
    res = sc.ingest_registry(csv, tmp_path / "out", demo=True, chunk_rows=10,
                             partition_by="kec_code")
    # chunks of 10 file lines: 9 + 10 + 6 families; a part per kecamatan and chunk
    chunks = [raw.iloc[:9], raw.iloc[9:19], raw.iloc[19:]]
    assert res.rows == 25
    assert res.parts == sum(g["kec_code"].nunique() for g in chunks)
    kecs = sorted(raw["kec_code"].astype(str).unique())
    assert sorted(os.listdir(tmp_path / "out")) == [f"kec_code={k}" for k in kecs]
    k0 = kecs[0]
    want = [f"part-{i:05d}.parquet" for i, g in enumerate(chunks)
            if (g["kec_code"].astype(str) == k0).any()]
    assert sorted(os.listdir(tmp_path / "out" / f"kec_code={k0}")) == want
    assert "kec_code" not in pd.read_parquet(tmp_path / "out" / f"kec_code={k0}" / want[0])
    with pytest.raises(ParameterError) as e:
        sc.ingest_registry(csv, tmp_path / "o2", demo=True, partition_by="kecamatan")
    assert str(e.value) == ("The 'partition_by' parameter of ingest_registry must name a "
                            "registry column. Got 'kecamatan' instead.")


def test_ingest_errors_name_the_file_row(raw, raw_all, tmp_path):
    bad = raw.copy()
    bad["hh_size"] = bad["hh_size"].astype(object)
    bad.loc[13, "hh_size"] = 0  # data row 13 = file row 15 (header = row 1), second chunk
    csv = tmp_path / "bad.csv"
    bad.to_csv(csv, index=False)
    with pytest.raises(SchemaError) as e:
        sc.ingest_registry(csv, tmp_path / "o", demo=True, chunk_rows=10)
    assert "column 'hh_size'" in str(e.value) and "(e.g. row 15)" in str(e.value)
    # duplicated families across chunks: count and (pseudonymous) examples
    dup = pd.concat([raw.iloc[:12], raw.iloc[:3]])
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(SchemaError) as e:
        sc.ingest_registry(tmp_path / "dup.csv", tmp_path / "dup", demo=True, chunk_rows=12)
    msg = str(e.value)
    # 3 families twice each: 6 rows hold a repeated id (the contracts' count; it said 3,
    # the distinct ids, before session 14)
    assert msg.startswith("registry: 1 problem found\n  - registry: column 'family_id' has "
                          "duplicated values across chunks: 6 rows (e.g. ")
    assert msg.endswith("). Fix: ids must be unique: remove repeated families")
    # a header_row for a CSV; a Parquet file; an undecodable CSV
    with pytest.raises(ParameterError) as e:
        sc.ingest_registry(csv, tmp_path / "o2", header_row=2)
    assert str(e.value) == (
        "The 'header_row' parameter of ingest_registry applies to .xlsx files (a CSV is "
        "streamed from its first row). Got 2 for bad.csv instead. Fix: delete the title rows "
        "above the header, or use load_registry(..., header_row=2) in memory.")
    ok = tmp_path / "ok.csv"
    raw.iloc[:5].to_csv(ok, index=False)
    assert sc.ingest_registry(ok, tmp_path / "o3", demo=True, header_row=1).rows == 5
    pq = _path(tmp_path, pd.DataFrame({"a": [1]}), "x.parquet")
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(pq, tmp_path / "o4")
    assert str(e.value) == ("x.parquet is parquet; ingest_registry streams CSV and .xlsx. Fix: a "
                            "Parquet file is already a dataset -- pass its path to the other "
                            "functions.")
    # a Latin-1 file (a name with 'é', in the first 8 KB: the header's read decodes it) used
    # to raise Python's bare UnicodeDecodeError; now the clear error, and encoding= reads it
    latin = tmp_path / "latin.csv"
    lat = raw.iloc[:3].copy()
    lat["name_head"] = ["Ren\xe9", "Budi", "Sari"]
    latin.write_bytes(lat.to_csv(index=False).encode("latin-1"))
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(latin, tmp_path / "o5", demo=True)
    assert str(e.value) == ("latin.csv could not be read as utf-8 text near row 1: "
                            "UnicodeDecodeError. Fix: export it again (UTF-8, quoted text), or "
                            "pass encoding=.")
    assert sc.ingest_registry(latin, tmp_path / "o6", demo=True, encoding="latin-1").rows == 3
    # past the first block, the chunk reader's message (with the separator and the chunk's row)
    big = tmp_path / "big.csv"
    lat = raw_all.assign(name_head="Budi")
    lat.loc[len(lat) - 1, "name_head"] = "Ren\xe9"
    big.write_bytes(lat.to_csv(index=False, sep=";").encode("latin-1"))
    assert big.stat().st_size > 3 * 8192
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(big, tmp_path / "o7", demo=True, chunk_rows=100)
    assert str(e.value).startswith("big.csv could not be read as ';'-separated utf-8 CSV near row ")
    assert str(e.value).endswith(": UnicodeDecodeError. Fix: export it again (UTF-8, quoted "
                                 "text), or pass encoding=.")
