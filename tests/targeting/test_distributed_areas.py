"""national_targeting's defaults pinned (issue 18, session 13, seed-21 sample of distributed.py).

The defaults documented in kassaki_eval/targeting/distributed.py: ``share=0.25``, ``by=
"village_code"``, ``key="district"``, ``keep=("village_code", "kec_code")`` (so grouping by
kecamatan needs no ``keep=``) and, without ``client`` or ``n_jobs``, a plain loop in the
calling thread (no process pool: the model object itself is called). Two tiny districts as in
tests/test_distributed_pinned.py; slots = ``floor(share * families)`` per group, the lowest
score first, ties by ``family_id``, worked out by hand next to each assertion. No Dask.
"""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.targeting import distributed as dt


class _X:
    """A model whose score is the column x; it records the thread of each call."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        self.threads.append(threading.get_ident())
        return df["x"].to_numpy()


def _write(root):
    # district 73.10: village a (x 3, 1, 2, 6; kec k1), village b (x 5, 4, 4; kec k2);
    # district 73.11: village c (x 9, 8; kec k3)
    d1 = pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4", "F5", "F6", "F7"],
                       "village_code": ["a"] * 4 + ["b"] * 3,
                       "kec_code": ["k1"] * 4 + ["k2"] * 3,
                       "x": [3.0, 1.0, 2.0, 6.0, 5.0, 4.0, 4.0]})
    d2 = pd.DataFrame({"family_id": ["G1", "G2"], "village_code": ["c", "c"],
                       "kec_code": ["k3", "k3"], "x": [9.0, 8.0]})
    for code, df in (("73.10", d1), ("73.11", d2)):
        d = root / f"district={code}"
        d.mkdir(parents=True)
        df.to_parquet(d / "part-0.parquet", index=False)
    return root


def test_defaults_quarter_of_each_village_in_a_loop_in_this_thread(tmp_path):
    reg = _write(tmp_path / "reg")
    m = _X()
    res = dt.national_targeting(reg, m, out=tmp_path / "sel")
    # share 0.25: a floor(1.0) = 1 slot (F2, x 1); b floor(0.75) = 0; c floor(0.5) = 0
    pd.testing.assert_frame_equal(res.quotas, pd.DataFrame(
        {"district": ["73.10", "73.10", "73.11"], "village_code": ["a", "b", "c"],
         "families": [4, 3, 2], "slots": [1, 0, 0], "selected": [1, 0, 0]}),
        check_dtype=False)
    assert res.districts["selected"].tolist() == [1, 0]
    assert res.beneficiaries()["family_id"].tolist() == ["F2"]
    # one call of the model per district, both in this thread: the default is the loop
    me = threading.get_ident()
    assert m.threads == [me, me]


def test_grouping_by_kecamatan_needs_no_keep(tmp_path):
    reg = _write(tmp_path / "reg")
    res = dt.national_targeting(reg, _X(), out=tmp_path / "sel", share=0.5, by="kec_code")
    # k1 floor(2.0) = 2 (F2, F3), k2 floor(1.5) = 1 (F6: x 4 tied with F7, id first),
    # k3 floor(1.0) = 1 (G2, x 8)
    assert list(res.quotas.columns) == ["district", "kec_code", "families", "slots",
                                        "selected"]
    assert res.quotas["slots"].tolist() == [2, 1, 1]
    ben = res.beneficiaries()
    assert ben["family_id"].tolist() == ["F2", "F3", "F6", "G2"]
    assert ben["kec_code"].tolist() == ["k1", "k1", "k2", "k3"]


def test_a_url_for_the_registry_or_the_output_is_refused_before_anything_is_written(
        tmp_path, monkeypatch):
    # pathlib reads 's3://bucket/sel' as the relative folder 's3:/bucket/sel': the old code
    # wrote the beneficiary lists there, on this machine's disk, and reported success
    reg = _write(tmp_path / "reg")
    monkeypatch.chdir(tmp_path)
    expect = ("The '{name}' parameter of national_targeting must be a folder path (a URL such "
              "as s3://... is not read: mount the bucket at the same path on every machine, "
              "e.g. with s3fs, and pass that folder). Got '{url}' instead.")
    for kw, name, url in (({"out": "s3://bucket/sel"}, "out", "s3://bucket/sel"),
                          ({"root": "gs://bucket/reg", "out": tmp_path / "sel"}, "root",
                           "gs://bucket/reg")):
        args = {"root": reg, **kw}
        with pytest.raises(ParameterError) as e:
            dt.national_targeting(args.pop("root"), _X(), **args)
        assert str(e.value) == expect.format(name=name, url=url)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reg"]   # no 's3:' or 'sel' folder


def test_district_partitions_refuses_a_url_with_the_cause(tmp_path, monkeypatch):
    # session 14: the old message said "s3:/bucket/reg holds no 'district=<code>' partition
    # folders" (pathlib's reading of the URL as a local folder), hiding the real cause
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ParameterError) as e:
        dt.district_partitions("s3://bucket/reg")
    assert str(e.value) == (
        "The 'root' parameter of district_partitions must be a folder path (a URL such as "
        "s3://... is not read: mount the bucket at the same path on every machine, e.g. with "
        "s3fs, and pass that folder). Got 's3://bucket/reg' instead.")
    assert list(tmp_path.iterdir()) == []
