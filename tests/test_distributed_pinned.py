"""kassaki_eval.targeting.distributed pinned on two tiny districts (issue 18, helper mutH).

tests/test_distributed.py starts a two-worker LocalCluster and writes a 60,000-family national
registry (about a minute): too slow to run for every mutant. Here the functions are called
directly on plain pandas frames written as ``district=<code>`` folders (a few rows each); the
Dask path is pinned with a stand-in client that records what ``run_tasks`` asks of it
(``scatter``, ``map``, ``gather``: dask.distributed's Client API), and once on a real
in-process client (module-scoped, threads only).

Sources of the expected values: slots = ``floor(share * families)`` per village (module
docstring), the poorest first, ties by ``family_id``, worked out by hand next to each
assertion; ``require``'s message template (kassaki_eval/exceptions.py), word for word.
"""
from __future__ import annotations

import os
import threading
import time

import joblib
import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataFileError, ParameterError
from kassaki_eval.targeting import distributed as dt


class _X:
    """A model whose score is the column x; it records the thread of each call."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        self.threads.append(threading.get_ident())
        return df["x"].to_numpy()


def _d1() -> pd.DataFrame:
    # village a: 4 families (x 3, 1, 2, 6), village b: 3 families (x 5, 4, 4)
    return pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4", "F5", "F6", "F7"],
                         "village_code": ["a", "a", "a", "a", "b", "b", "b"],
                         "kec_code": ["k1"] * 4 + ["k2"] * 3,
                         "x": [3.0, 1.0, 2.0, 6.0, 5.0, 4.0, 4.0]})


def _d2() -> pd.DataFrame:
    # village c: 2 families (x 9, 8)
    return pd.DataFrame({"family_id": ["G1", "G2"], "village_code": ["c", "c"],
                         "kec_code": ["k3", "k3"], "x": [9.0, 8.0]})


def _write(root, key="district"):
    for code, df in (("73.10", _d1()), ("73.11", _d2())):
        d = root / "prov=73" / f"{key}={code}"
        d.mkdir(parents=True)
        half = (len(df) + 1) // 2
        df.iloc[:half].to_parquet(d / "part-0.parquet", index=False)
        df.iloc[half:].to_parquet(d / "part-1.parquet", index=False)
    return root


# -- partitions and codes ----------------------------------------------------------------------

def test_district_partitions_any_depth_sorted_folders_only(tmp_path):
    _write(tmp_path)
    (tmp_path / "district=99").write_text("a file, not a partition")
    assert dt.district_partitions(tmp_path) == [tmp_path / "prov=73" / "district=73.10",
                                                tmp_path / "prov=73" / "district=73.11"]
    assert dt.district_partitions(str(tmp_path), key="prov") == [tmp_path / "prov=73"]
    with pytest.raises(DataFileError) as e:
        dt.district_partitions(tmp_path, key="kabupaten")
    assert str(e.value) == (f"{tmp_path} holds no 'kabupaten=<code>' partition folders. Fix: "
                            "write the registry partitioned by kabupaten "
                            "(synthetic.national.write_registry does).")


def test_district_code_is_after_the_first_equals_sign(tmp_path):
    assert dt._district_code(tmp_path / "district=73.10", "district") == "73.10"
    assert dt._district_code(tmp_path / "district=a=b", "district") == "a=b"


# -- the executors ---------------------------------------------------------------------------------

def _pid_and(item, *, add=0, scale=1):
    return os.getpid(), item * scale + add


def _thread_and(item, *, add=0, scale=1):
    return threading.get_ident(), item * scale + add


def test_run_tasks_loop_and_joblib_keep_the_order():
    me = threading.get_ident()
    got = dt.run_tasks(_thread_and, [3, 1, 2], add=10)
    assert got == [(me, 13), (me, 11), (me, 12)]              # a loop in this thread
    # joblib, on its threading backend (its default, processes, costs seconds to start): the
    # tasks run in joblib's worker threads, the results in the order of the items
    with joblib.parallel_config(backend="threading"):
        got = dt.run_tasks(_thread_and, (3, 1, 2), n_jobs=2, add=10, scale=2)
    assert [v for _, v in got] == [16, 12, 14]
    assert all(t != me for t, _ in got)
    with joblib.parallel_config(backend="threading"):
        got = dt.run_tasks(_thread_and, [3], n_jobs=1)
    assert got == [(me, 3)]                                   # n_jobs=1: the loop
    assert dt.run_tasks(_thread_and, []) == []


class _Client:
    """Records the calls of dask.distributed's Client API that run_tasks makes."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def scatter(self, v, broadcast=False):
        self.calls.append(("scatter", v, broadcast))
        return ("future", v)

    def map(self, fn, items, **kw):
        self.calls.append(("map", fn, items, kw))
        return [("f", it) for it in items]

    def gather(self, futures):
        self.calls.append(("gather", futures))
        return [it * 2 for _, it in futures]


def test_run_tasks_on_a_client_scatters_objects_once_and_keeps_scalars():
    c = _Client()
    model = {"a": 1}
    got = dt.run_tasks(_pid_and, (5, 4), client=c, n_jobs=3, model=model, share=0.5, by="v",
                       n=2, flag=True, none=None)
    assert got == [10, 8]
    assert c.calls[0] == ("scatter", model, True)
    assert [x[0] for x in c.calls] == ["scatter", "map", "gather"]
    _, fn, items, kw = c.calls[1]
    assert fn is _pid_and and items == [5, 4] and isinstance(items, list)
    assert kw == {"pure": False, "model": ("future", model), "share": 0.5, "by": "v", "n": 2,
                  "flag": True, "none": None}
    assert c.calls[2] == ("gather", [("f", 5), ("f", 4)])


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    c = distributed.Client(processes=False, n_workers=1, threads_per_worker=2,
                           dashboard_address=None)
    yield c
    c.close()


def test_run_tasks_on_a_real_in_process_client(client):
    got = dt.run_tasks(_pid_and, [3, 1, 2], client=client, add=10, scale=np.int64(2))
    assert got == [(os.getpid(), 16), (os.getpid(), 12), (os.getpid(), 14)]


# -- one district ----------------------------------------------------------------------------------

def test_one_district_by_hand(tmp_path):
    _write(tmp_path / "reg")
    part = tmp_path / "reg" / "prov=73" / "district=73.10"
    t0 = time.perf_counter()
    r = dt._one_district(part, model=_X(), share=0.5, by="village_code", out=str(tmp_path / "o"),
                         partition_key="district", keep=("village_code", "kec_code"))
    took = time.perf_counter() - t0
    # a: floor(0.5 * 4) = 2 slots: F2 (1), F3 (2); b: floor(0.5 * 3) = 1 slot: F6 (4, tie
    # with F7 broken by id)
    assert set(r) == {"district", "families", "selected", "quotas", "seconds"}
    assert (r["district"], r["families"], r["selected"]) == ("73.10", 7, 3)
    # the task's own duration: within the time the call took (no threshold on the clock)
    assert isinstance(r["seconds"], float) and 0 <= r["seconds"] <= took
    pd.testing.assert_frame_equal(r["quotas"], pd.DataFrame(
        {"village_code": ["a", "b"], "families": [4, 3], "slots": [2, 1], "selected": [2, 1],
         "district": ["73.10"] * 2}), check_dtype=False)
    ben = pd.read_parquet(tmp_path / "o" / "district=73.10" / "beneficiaries.parquet")
    assert list(ben.columns) == ["village_code", "family_id", "rank_in_group", "score",
                                 "district"]
    assert ben["family_id"].tolist() == ["F2", "F3", "F6"]
    assert ben["rank_in_group"].tolist() == [1, 2, 1]
    assert ben["score"].tolist() == [1.0, 2.0, 4.0]
    assert ben["district"].tolist() == ["73.10"] * 3
    # the file holds these columns only (no pandas index column, as another reader sees it)
    duckdb = pytest.importorskip("duckdb")
    f = (tmp_path / "o" / "district=73.10" / "beneficiaries.parquet").as_posix()
    assert [c[0] for c in duckdb.connect().execute(
        f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()] == list(ben.columns)
    # the same district again into the same folder: the list is written over
    r2 = dt._one_district(part, model=_X(), share=0.5, by="village_code",
                          out=str(tmp_path / "o"), partition_key="district",
                          keep=("village_code", "kec_code"))
    assert r2["selected"] == 3
    # share 1: everyone; groups by kecamatan; another key name
    r = dt._one_district(part, model=_X(), share=1.0, by="kec_code", out=str(tmp_path / "o2"),
                         partition_key="district", keep=("kec_code",))
    assert r["selected"] == 7 and r["quotas"]["slots"].tolist() == [4, 3]
    # share 0.3: a floor(1.2) = 1, b floor(0.9) = 0
    r = dt._one_district(part, model=_X(), share=0.3, by="village_code",
                         out=str(tmp_path / "o3"), partition_key="district",
                         keep=("village_code",))
    assert r["quotas"]["slots"].tolist() == [1, 0] and r["selected"] == 1


# -- the whole run ---------------------------------------------------------------------------------

def test_national_targeting_by_hand_and_as_in_memory(tmp_path):
    _write(tmp_path / "reg")
    res = dt.national_targeting(tmp_path / "reg", _X(), out=tmp_path / "sel", share=0.5)
    assert res.out == tmp_path / "sel"
    # 73.10 as in test_one_district_by_hand; 73.11: c floor(0.5 * 2) = 1 slot: G2 (8)
    exp_q = pd.DataFrame({"district": ["73.10", "73.10", "73.11"],
                          "village_code": ["a", "b", "c"], "families": [4, 3, 2],
                          "slots": [2, 1, 1], "selected": [2, 1, 1]})
    pd.testing.assert_frame_equal(res.quotas, exp_q, check_dtype=False)
    assert list(res.districts.columns) == ["district", "families", "selected", "seconds"]
    assert res.districts["district"].tolist() == ["73.10", "73.11"]
    assert res.districts["families"].tolist() == [7, 2]
    assert res.districts["selected"].tolist() == [3, 1]
    ben = res.beneficiaries()
    assert ben["family_id"].tolist() == ["F2", "F3", "F6", "G2"]
    assert ben.index.tolist() == [0, 1, 2, 3]                 # one table, numbered afresh
    assert ben["district"].tolist() == ["73.10"] * 3 + ["73.11"]
    assert sorted(os.listdir(tmp_path / "sel")) == ["district=73.10", "district=73.11"]
    # in memory: rank within district, the same quotas per village (plain pandas by hand)
    allreg = pd.concat([_d1(), _d2()], ignore_index=True)
    slots = np.floor(0.5 * allreg.groupby("village_code").size()).astype(int)
    picked = (allreg.sort_values(["x", "family_id"]).groupby("village_code")
              .head(100).groupby("village_code", group_keys=False)
              .apply(lambda g: g.head(slots[g.name])))
    assert sorted(picked["family_id"]) == sorted(ben["family_id"])
    # the same on joblib (2 threads): an identical table
    m = _X()
    with joblib.parallel_config(backend="threading"):
        par = dt.national_targeting(tmp_path / "reg", m, out=tmp_path / "sel2", share=0.5,
                                    n_jobs=2)
    pd.testing.assert_frame_equal(par.quotas, res.quotas)
    assert len(m.threads) == 2 and threading.get_ident() not in m.threads  # joblib's threads
    # again into the same, existing folder (as a re-run does): written over, same result
    again = dt.national_targeting(tmp_path / "reg", _X(), out=tmp_path / "sel", share=0.5)
    pd.testing.assert_frame_equal(again.quotas, res.quotas)
    assert again.beneficiaries()["family_id"].tolist() == ["F2", "F3", "F6", "G2"]


def test_national_targeting_on_a_dask_client(tmp_path, client):
    _write(tmp_path / "reg")
    m = _X()
    res = dt.national_targeting(tmp_path / "reg", m, out=tmp_path / "sel", share=0.5,
                                client=client)
    assert res.quotas["slots"].tolist() == [2, 1, 1]
    assert res.beneficiaries()["family_id"].tolist() == ["F2", "F3", "F6", "G2"]
    # the tasks ran on the client's worker threads (the model object is scattered, so this
    # copy records nothing when the client pickles it; in-process it is the same object)
    assert threading.get_ident() not in m.threads


def test_national_targeting_options_and_errors(tmp_path):
    _write(tmp_path / "reg", key="kab")
    res = dt.national_targeting(tmp_path / "reg", _X(), out=tmp_path / "deep" / "sel",
                                share=1, by="kec_code", key="kab", keep=["kec_code"])
    assert list(res.quotas.columns) == ["kab", "kec_code", "families", "slots", "selected"]
    assert res.quotas["slots"].tolist() == [4, 3, 2]
    assert res.districts["selected"].sum() == 9
    assert sorted(os.listdir(tmp_path / "deep" / "sel")) == ["kab=73.10", "kab=73.11"]
    for bad in (0, -0.1, 1.5):
        with pytest.raises(ParameterError) as e:
            dt.national_targeting(tmp_path / "reg", _X(), out=tmp_path / "x", share=bad,
                                  key="kab")
        assert str(e.value) == (f"The 'share' parameter of national_targeting must be a share "
                                f"in (0, 1]. Got {bad!r} instead.")
    assert not (tmp_path / "x").exists()
    with pytest.raises(DataFileError, match="holds no 'district=<code>' partition folders"):
        dt.national_targeting(tmp_path / "reg", _X(), out=tmp_path / "y")
    assert not (tmp_path / "y").exists()       # nothing is created before the inputs check out
    assert dt.__all__ == ["district_partitions", "run_tasks", "national_targeting",
                          "NationalSelection"]
