"""kassaki_eval.targeting.scale pinned by behaviour area (issue 18, session 14, helper mutX).

The survivors of a fresh seed-21 sample (docs/MUTATION.md, "targeting/scale.py: fresh sample,
seed 21") each stood for an area no test held whole:

- the DataFrame routes hand EVERY option to the in-memory functions (``transfer`` was not
  checked): compared with ``select_quota`` / ``score_registry`` called directly;
- the quota table's columns are int64 on both engines, also when a group gets no slot or no
  family (a reindexed count is float then);
- ``ingest_registry`` makes ``out_dir`` with its parents (plain and partitioned);
- an .xlsx registry is read as the *registry* table: the sheet named ``registry`` is picked
  among several, the error names that table, and title rows above the header are found with
  the registry's column names (the loader's rules, kassaki_eval/data/loaders.py);
- the dataset path's problems are the structured ``Problem`` records (``examples`` a tuple),
  with the counts and example ids of the in-memory path (session 14 fix: the dataset path
  showed no ids, counted duplicates as surplus rows and counted NaN scores of the first bad
  batch only).

Expected values are worked out by hand next to each assertion, or are the in-memory
functions' output on the same rows; messages are the templates of kassaki_eval/exceptions.py
and kassaki_eval/data/loaders.py, word for word.
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataFileError, Problem, SchemaError
from kassaki_eval.targeting import scale as sc, score_registry, select_quota

duckdb = pytest.importorskip("duckdb")

_spec = importlib.util.spec_from_file_location(
    "_kassaki_data_tables", Path(__file__).resolve().parents[1] / "data" / "conftest.py")
_tables = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tables)
FIX = "fix the dataset (ids unique, every family scored and coded) and run again"


def _six() -> pd.DataFrame:
    return pd.DataFrame({"fid": ["F1", "F2", "F3", "F4", "F5", "F6"],
                         "kec": ["A", "A", "A", "B", "B", "B"],
                         "pmt": [5.0, 1.0, 3.0, 2.0, 4.0, 6.0]})


def _path(tmp_path: Path, df: pd.DataFrame, name: str = "s.parquet") -> Path:
    p = tmp_path / name
    df.to_parquet(p)
    return p


# -- DataFrame routes: every option reaches the in-memory function ---------------------------

@pytest.mark.parametrize("kw", [
    dict(slots={"A": 1, "B": 2}, transfer=50.0),
    dict(budget=300.0, transfer=100.0, allocation="rank"),
    dict(budget={"A": 100.0, "B": 200.0}, transfer=100.0, allocation="size"),
    dict(slots=2, by=None),
])
def test_select_quota_frame_route_passes_every_option(kw):
    opts = {"by": "kec", "score": "pmt", "id_col": "fid", **kw}
    got = sc.select_quota_dataset(_six(), **opts)
    exp = select_quota(_six(), **opts)
    pd.testing.assert_frame_equal(got.beneficiaries, exp.beneficiaries)
    pd.testing.assert_frame_equal(got.quotas, exp.quotas)
    assert dict(got.options) == dict(exp.options)
    if "transfer" in kw:
        # the transfer column, by hand: one amount per beneficiary
        assert got.beneficiaries["transfer"].tolist() == [kw["transfer"]] * got.n_selected


class _Pmt:
    features_ = ["pmt"]

    def predict(self, df):
        return df["pmt"].to_numpy()


def test_score_dataset_frame_route_passes_every_option():
    df = _six().assign(other=1)
    for kw in (dict(within="kec", id_col="fid", keep=("other",)),
               dict(id_col="fid", keep=("kec", "other"))):
        pd.testing.assert_frame_equal(sc.score_dataset(df, _Pmt(), **kw),
                                      score_registry(df, _Pmt(), **kw))


# -- the quota table's types ------------------------------------------------------------------

def test_quota_table_is_int64_on_both_engines_with_empty_groups(tmp_path):
    p = _path(tmp_path, _six())
    cases = [
        # A gets 0 slots, B 3: A selects nobody (absent from the list's counts)
        dict(slots={"A": 0, "B": 3}),
        # budget 100 / 100 = 1 transfer, by rank: the district's lowest is F2 (A), B gets 0
        dict(budget=100.0, transfer=100.0, allocation="rank"),
        dict(slots=1, by=None),
    ]
    want = {"A": [0, 3], "B": [1, 0], "C": [1]}
    for (i, kw), key in zip(enumerate(cases), "ABC", strict=True):
        kw = {"by": "kec", "score": "pmt", "id_col": "fid", **kw}
        got = sc.select_quota_dataset(p, out=tmp_path / f"o{i}", **kw)
        mem = select_quota(_six(), **kw)
        assert got.quotas["selected"].tolist() == want[key]
        for c in ("families", "slots", "selected"):
            assert got.quotas[c].dtype == np.int64, (key, c)
        g = kw["by"] or "group"
        pd.testing.assert_frame_equal(got.quotas.drop(columns=g), mem.quotas.drop(columns=g))
        assert got.quotas[g].tolist() == mem.quotas[g].tolist()
        assert got.n_selected == sum(want[key]) and isinstance(got.n_selected, int)


# -- ingest: the output folder ----------------------------------------------------------------

@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return _tables.make_registry_raw(12)


def test_ingest_makes_the_output_folder_with_its_parents(raw, tmp_path):
    csv = tmp_path / "reg.csv"
    raw.to_csv(csv, index=False)
    # (one mkdir before the routes split: the plain and the partitioned CSV routes shown)
    for kw, name in ((dict(), "a"), (dict(partition_by="kec_code"), "b")):
        out = tmp_path / name / "deeper" / "out"
        res = sc.ingest_registry(csv, out, demo=True, **kw)
        assert res.path == out and res.rows == 12
        assert len(pd.read_parquet(out)) == 12
    assert sorted(os.listdir(tmp_path / "a" / "deeper" / "out")) == ["part-00000.parquet"]


# -- ingest: an .xlsx is read as the registry table -------------------------------------------

def test_ingest_xlsx_picks_names_and_finds_the_header_as_the_registry(raw, tmp_path):
    x = tmp_path / "p3ke.xlsx"
    with pd.ExcelWriter(x) as w:
        pd.DataFrame({"note": ["export 2026"]}).to_excel(w, sheet_name="notes", index=False)
        raw.iloc[:4].to_excel(w, sheet_name="other", index=False)
        raw.to_excel(w, sheet_name=" Registry ", index=False)
    # several sheets, one named (any case, spaces) after the table: that one, 12 rows not 4
    assert sc.ingest_registry(x, tmp_path / "o1", demo=True).rows == 12
    y = tmp_path / "two.xlsx"
    with pd.ExcelWriter(y) as w:
        raw.iloc[:4].to_excel(w, sheet_name="Data", index=False)
        raw.to_excel(w, sheet_name="Desa", index=False)
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(y, tmp_path / "o2", demo=True)
    assert str(e.value) == ("two.xlsx has 2 sheets ('Data', 'Desa') and none is named "
                            "'registry'. Fix: pass sheet='<name>' (--sheet on the command "
                            "line).")
    assert sc.ingest_registry(y, tmp_path / "o3", demo=True, sheet="Desa").rows == 12
    # two title rows above the header: found by the registry's column names (no_kk, nik_head,
    # name_head, village_code are its first four), header_row=3 reads it
    z = tmp_path / "title.xlsx"
    with pd.ExcelWriter(z) as w:
        pd.DataFrame([["P3KE Kabupaten Pangkep"], ["Dicetak 2026"]]).to_excel(
            w, sheet_name="registry", index=False, header=False)
        raw.to_excel(w, sheet_name="registry", index=False, startrow=2)
    with pytest.raises(DataFileError) as e:
        sc.ingest_registry(z, tmp_path / "o4", demo=True)
    assert str(e.value) == (
        "title.xlsx: the header is not in the first row. The expected column names ('no_kk', "
        "'nik_head', 'name_head', 'village_code', …) appear in row 3; rows 1–2 look like a "
        "title or notes. Fix: pass header_row=3 (load_table(..., header_row=3), or "
        "--header-row 3 on the command line); the raw file is left as it is.")
    assert sc.ingest_registry(z, tmp_path / "o5", demo=True, header_row=3).rows == 12


# -- problems: structured records, the in-memory path's counts and ids ------------------------

def _problems(e) -> tuple[Problem, ...]:
    return e.value.problems


def test_need_problems_are_records(tmp_path):
    con = duckdb.connect()
    p = _path(tmp_path, pd.DataFrame({"nik_head": ["1"], "x": [1]}), "raw.parquet")
    with pytest.raises(SchemaError) as e:
        sc._need(con, sc.dataset_sql(p), ["x"], "why")
    assert _problems(e) == (Problem("registry", "nik_head", "holds raw identifiers", 0, (),
                                    "ingest the registry with ingest_registry (pseudonymises "
                                    "it) first"),)
    with pytest.raises(SchemaError) as e:
        sc._need(con, sc.dataset_sql(_path(tmp_path, _six())), ["fid", "zz"], "score first")
    assert _problems(e) == (Problem("registry", "zz", "is missing", 0, (),
                                    "score first; the dataset has ['fid', 'kec', 'pmt']"),)


def test_dataset_problems_have_the_in_memory_counts_and_ids(tmp_path):
    # select_quota on both engines: the same count and example ids for each bad column
    kw = dict(by="kec", score="pmt", id_col="fid", slots=1)
    cases = [
        # F1 three times, F4 twice: 5 rows (e.g. F1, F4)
        (_six().assign(fid=["F1", "F1", "F1", "F4", "F4", "F6"]), "fid", 5, ("F1", "F4")),
        (_six().assign(pmt=[1.0, np.nan, 2.0, np.nan, 3.0, 4.0]), "pmt", 2, ("F2", "F4")),
        (_six().assign(kec=["A", None, "A", "B", None, None]), "kec", 3, ("F2", "F5", "F6")),
    ]
    for i, (df, col, n, ids) in enumerate(cases):
        with pytest.raises(SchemaError) as mem:
            select_quota(df, **kw)
        with pytest.raises(SchemaError) as ds:
            sc.select_quota_dataset(_path(tmp_path, df, f"b{i}.parquet"), out=tmp_path / "o",
                                    **kw)
        (m,), (d,) = _problems(mem), _problems(ds)
        # (the in-memory path names a missing score 'score' whatever score= says)
        assert (m.count, m.examples) == (n, ids)
        assert (d.table, d.column, d.rule, d.count, d.examples, d.fix) == (
            "registry", col, m.rule, n, ids, FIX)
    # a missing id: no id to show on the dataset path
    df = _six().assign(fid=["F1", None, "F3", "F4", "F5", "F6"])
    with pytest.raises(SchemaError) as e:
        sc.select_quota_dataset(_path(tmp_path, df, "n.parquet"), out=tmp_path / "o", **kw)
    assert _problems(e) == (Problem("registry", "fid", "has missing ids", 1, (), FIX),)


def test_personal_columns_in_any_case_are_refused_before_any_id_is_shown(tmp_path):
    """The dataset path's problems now show ids (above): a national ID column used as the id
    (``NIK``, ``No_KK``: any letter case, any PII_COLUMNS name) is refused first, as in
    memory, so no NIK or KK number reaches a message."""
    nik = ["7310010101900001", "7310010101900001", "7310010101900002"]
    df = pd.DataFrame({"NIK": nik, "kec": ["A", "A", "B"], "pmt": [1.0, 2.0, np.nan]})
    p = _path(tmp_path, df)
    fix = "ingest the registry with ingest_registry (pseudonymises it) first"
    calls = (lambda: sc.select_quota_dataset(p, by="kec", score="pmt", id_col="NIK", slots=1,
                                             out=tmp_path / "o"),
             lambda: sc.score_dataset(p, _Pmt(), out=tmp_path / "s", id_col="NIK"),
             lambda: sc.registry_profile_table(p, by="kec", desil="pmt", columns=()))
    for call in calls:
        with pytest.raises(SchemaError) as e:
            call()
        assert _problems(e) == (Problem("registry", "NIK", "holds raw identifiers", 0, (), fix),)
        assert not any(n in str(e.value) for n in nik)
    q = _path(tmp_path, df.rename(columns={"NIK": "fid"}).assign(No_KK="x", nama="y"), "q.parquet")
    with pytest.raises(SchemaError) as e:
        sc.select_quota_dataset(q, by="kec", score="pmt", id_col="fid", slots=1,
                                out=tmp_path / "o")
    assert _problems(e)[0].column == "No_KK, nama"


class _NaNOdd:
    """Scores x, but NaN for F1, F5 and F6 (batches of 2: the first and the third)."""

    features_ = ["pmt"]

    def predict(self, df):
        return np.where(df["fid"].isin(["F1", "F5", "F6"]), np.nan, df["pmt"])


def test_score_dataset_counts_nan_scores_over_every_batch(tmp_path):
    p = _path(tmp_path, _six())
    out = tmp_path / "o"
    with pytest.raises(SchemaError) as e:
        sc.score_dataset(p, _NaNOdd(), out=out, id_col="fid", batch_rows=2)
    # 3 NaN scores in batches 1 and 3 (not 1, the first bad batch's); ids in file order
    assert _problems(e) == (Problem("registry", "score", "is missing", 3, ("F1", "F5", "F6"),
                                    "the model returned NaN: check the covariates"),)
    # the same count and ids as the in-memory path; nothing left in the output folder
    with pytest.raises(SchemaError) as mem:
        score_registry(_six(), _NaNOdd(), id_col="fid")
    assert (_problems(mem)[0].count, _problems(mem)[0].examples) == (3, ("F1", "F5", "F6"))
    assert os.listdir(out) == []
