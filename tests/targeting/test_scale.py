"""The out-of-core (DuckDB) path gives the in-memory path's results.

Equality, not closeness, for selections (the same families, ranks and scores); rates to 1e-12
(estimates) and standard errors to 1e-12 relative -- the survey rows reach the same
``targeting_accuracy`` in the same order. Default suite: the synthetic Pangkep registry
(~88k families) in a hive-partitioned dataset; the 1M-row check is ``slow``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.data import load_registry
from kassaki_eval.exceptions import DataFileError, ParameterError, SchemaError
from kassaki_eval.targeting import OLSPMT, pmt_target
from kassaki_eval.targeting.scale import (DatasetSelection, ingest_registry, linked_accuracy,
                                          registry_profile_table, score_dataset, select_quota_dataset)

LINE = reference.poverty_line(2023)


@pytest.fixture(scope="module")
def pmt(world):
    s = world.survey[world.survey["year"] == 2023]
    return OLSPMT().fit(s, pmt_target(s["consumption_pc"]), sample_weight=s["weight"])


def _write_partitioned(reg: pd.DataFrame, root) -> None:
    for kec, g in reg.groupby("kec_code", sort=True):
        d = root / f"kec={kec}"
        d.mkdir(parents=True)
        half = len(g) // 2
        g.iloc[:half].to_parquet(d / "part-0.parquet", index=False)
        g.iloc[half:].to_parquet(d / "part-1.parquet", index=False)


def _check_same(reg, pmt, tmp_path, survey, quota):
    root = tmp_path / "registry"
    _write_partitioned(reg, root)
    mem_scored = score_dataset(reg, pmt)
    path_scored = score_dataset(root, pmt, out=tmp_path / "scored", batch_rows=30_000)
    a = mem_scored.sort_values("family_id").reset_index(drop=True)
    b = pd.read_parquet(path_scored).sort_values("family_id").reset_index(drop=True)
    # the model predicts batch by batch out of core: BLAS may round a row's dot product 1 ulp
    # differently with another batch size (seen: 1 row in 1M, 1.8e-15); the ranks must not move
    np.testing.assert_allclose(a["score"].to_numpy(), b["score"].to_numpy(), rtol=1e-14, atol=0)
    np.testing.assert_array_equal(a["rank"].to_numpy(), b["rank"].to_numpy())
    np.testing.assert_array_equal(a["desil"].to_numpy(), b["desil"].to_numpy())
    sel_mem = select_quota_dataset(mem_scored, by="village_code", slots=quota)
    sel_ds = select_quota_dataset(path_scored, by="village_code", slots=quota, out=tmp_path / "sel")
    assert isinstance(sel_ds, DatasetSelection)
    ben = sel_ds.read()
    pd.testing.assert_frame_equal(
        sel_mem.beneficiaries.astype({"village_code": str, "family_id": str}),
        ben.astype({"village_code": str, "family_id": str}), check_dtype=False, check_exact=False, rtol=1e-14)
    pd.testing.assert_frame_equal(sel_mem.quotas, sel_ds.quotas, check_dtype=False)
    assert sel_ds.n_selected == sel_mem.n_selected
    kw = dict(poverty_line=LINE, by=("zone",), deciles=False)
    r_mem = linked_accuracy(survey, sel_mem, **kw).tidy()
    survey_path = tmp_path / "survey.parquet"
    survey.to_parquet(survey_path, index=False)
    r_ds = linked_accuracy(survey_path, sel_ds, **kw).tidy()
    pd.testing.assert_frame_equal(r_mem[["term", "benchmark", "by", "group", "n_obs"]],
                                  r_ds[["term", "benchmark", "by", "group", "n_obs"]])
    np.testing.assert_allclose(r_ds["estimate"], r_mem["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(r_ds["std_error"], r_mem["std_error"], rtol=1e-12)
    return sel_mem, r_mem


def test_out_of_core_equals_in_memory(world, pmt, tmp_path):
    reg = world.registry
    quota = (reg.groupby("village_code").size() * 0.25).astype(int).to_dict()
    survey = world.survey[world.survey["year"] == 2023].reset_index(drop=True)
    sel, res = _check_same(reg, pmt, tmp_path, survey, quota)
    assert sel.n_selected == sum(quota.values())
    # and the selection is used: the linked survey sees beneficiaries
    cov = res[(res.term == "coverage") & (res.by == "all")]["estimate"].iloc[0]
    assert 0.1 < cov < 0.4


def test_budget_rank_allocation_and_district_quota(world, pmt, tmp_path):
    scored = score_dataset(world.registry, pmt)
    path = tmp_path / "scored.parquet"
    scored.to_parquet(path, index=False)
    for kw in (dict(by="kec_code", budget=3e9, transfer=300_000, allocation="rank"),
               dict(by="kec_code", budget=3e9, transfer=300_000, allocation="size"),
               dict(by=None, slots=5000)):
        a = select_quota_dataset(scored, **kw)
        b = select_quota_dataset(path, out=tmp_path / "s", **kw)
        pd.testing.assert_frame_equal(a.quotas, b.quotas, check_dtype=False)
        assert a.beneficiaries["family_id"].tolist() == b.read()["family_id"].tolist()


def test_profiles_equal(world, tmp_path):
    reg = world.registry
    root = tmp_path / "reg"
    _write_partitioned(reg, root)
    for by in ("village_code", None):
        a = registry_profile_table(reg, by=by)
        b = registry_profile_table(root, by=by)
        pd.testing.assert_frame_equal(a.drop(columns=a.columns[0]), b.drop(columns=b.columns[0]),
                                      check_dtype=False, rtol=1e-12, atol=0)
        assert a.iloc[:, 0].astype(str).tolist() == b.iloc[:, 0].astype(str).tolist()


def test_streaming_ingest_equals_load_registry(world, tmp_path):
    raw = world.registry_raw.iloc[:12_000]
    csv = tmp_path / "registry_raw.csv"
    raw.to_csv(csv, index=False)
    mem = load_registry(csv, demo=True)
    res = ingest_registry(csv, tmp_path / "ingested", demo=True, chunk_rows=5_000, partition_by="kec_code")
    assert res.rows == len(mem) and res.parts >= 3
    got = pd.read_parquet(tmp_path / "ingested")
    got["kec_code"] = got["kec_code"].astype(str)
    got = got[mem.columns].sort_values("family_id").reset_index(drop=True)
    exp = mem.sort_values("family_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(exp, got, check_dtype=False, check_categorical=False)
    assert not set(got.columns) & {"no_kk", "nik_head", "name_head"}
    # duplicates across chunks are found (ids are pseudonymous: safe to quote)
    dup = pd.concat([raw.iloc[:10], raw.iloc[:10]])
    dup.to_csv(tmp_path / "dup.csv", index=False)
    with pytest.raises(SchemaError, match="duplicated values"):
        ingest_registry(tmp_path / "dup.csv", tmp_path / "dup", demo=True, chunk_rows=10)
    with pytest.raises(DataFileError, match="already holds Parquet"):
        ingest_registry(csv, tmp_path / "ingested", demo=True)


def test_raw_dataset_is_refused(world, pmt, tmp_path):
    p = tmp_path / "raw.parquet"
    world.registry_raw.iloc[:100].to_parquet(p, index=False)
    with pytest.raises(SchemaError, match="raw identifiers"):
        select_quota_dataset(p, slots=1, score="pmt_score", id_col="no_kk", out=tmp_path / "o")


@pytest.mark.slow
def test_one_million_rows_out_of_core_equals_in_memory(world, pmt, tmp_path):
    base = world.registry
    size = 1_000_000
    reps = int(np.ceil(size / len(base)))
    reg = pd.concat([base] * reps, ignore_index=True).iloc[:size].copy()
    rng = np.random.default_rng(1)
    reg["floor_area_pc"] = reg["floor_area_pc"].to_numpy() * rng.lognormal(0.0, 0.05, size)
    reg["family_id"] = [f"F{i:09d}" for i in rng.permutation(size)]
    quota = (reg.groupby("village_code").size() * 0.25).astype(int).to_dict()
    # a linked survey: 2 % of the families with a synthetic consumption and design
    s = reg.sample(20_000, random_state=3).reset_index(drop=True)
    s["consumption_pc"] = np.exp(pmt.predict(s) + rng.normal(0, 0.35, len(s)))
    s["weight"], s["stratum"], s["psu"] = 50.0, s["kec_code"], s["village_code"]
    _check_same(reg, pmt, tmp_path, s, quota)


def test_public_functions_dispatch_on_frame_or_dataset(world, pmt, tmp_path):
    """kassaki_eval.targeting's own score_registry / select_quota / targeting_accuracy take the
    frame or its hive-partitioned Parquet dataset: same result (registry_profile_table: above)."""
    from kassaki_eval import targeting as tg

    reg = world.registry
    root = tmp_path / "registry"
    _write_partitioned(reg, root)
    a = tg.score_registry(reg, pmt)
    p = tg.score_registry(root, pmt, out=tmp_path / "scored")
    assert isinstance(a, pd.DataFrame) and p == tmp_path / "scored" / "scored.parquet"
    b = pd.read_parquet(p)
    assert len(b) == len(a)
    a, b = (x.sort_values("family_id").reset_index(drop=True) for x in (a, b))
    assert a["family_id"].tolist() == b["family_id"].astype(str).tolist()
    np.testing.assert_allclose(a["score"], b["score"], rtol=1e-14, atol=0)
    np.testing.assert_array_equal(a["rank"], b["rank"])
    np.testing.assert_array_equal(a["desil"], b["desil"])
    sa = tg.select_quota(a, by="kec_code", slots=500)
    sb = tg.select_quota(p, by="kec_code", slots=500, out=tmp_path / "sel")
    assert isinstance(sa, tg.Selection) and isinstance(sb, tg.DatasetSelection)
    assert sa.n_selected == sb.n_selected == 500 * reg["kec_code"].nunique()
    assert sa.beneficiaries["family_id"].tolist() == sb.read()["family_id"].astype(str).tolist()
    pd.testing.assert_frame_equal(sa.quotas, sb.quotas, check_dtype=False)
    # accuracy on the survey frame and on the same survey as a partitioned dataset
    survey = world.survey[world.survey["year"] == 2023].reset_index(drop=True)
    survey = survey.assign(selected=survey["family_id"].isin(set(sa.beneficiaries["family_id"])).astype(int))
    sroot = tmp_path / "survey"
    _write_partitioned(survey, sroot)
    kw = dict(poverty_line=LINE, by=("zone",), deciles=False)
    ra, rb = tg.targeting_accuracy(survey, **kw).tidy(), tg.targeting_accuracy(sroot, **kw).tidy()
    assert ra["estimate"].notna().all() and (ra[ra.term == "coverage"]["estimate"] > 0).all()
    pd.testing.assert_frame_equal(ra[["term", "benchmark", "by", "group", "n_obs"]],
                                  rb[["term", "benchmark", "by", "group", "n_obs"]])
    np.testing.assert_allclose(rb["estimate"], ra["estimate"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(rb["std_error"], ra["std_error"], rtol=1e-10)


def test_public_functions_refuse_what_is_neither_frame_nor_dataset(world, pmt, tmp_path):
    from kassaki_eval import targeting as tg
    from kassaki_eval.exceptions import ParameterError

    with pytest.raises(ParameterError, match="pandas DataFrame or the path of a Parquet dataset"):
        tg.score_registry(world.registry.to_dict("list"), pmt)
    with pytest.raises(DataFileError, match="not a Parquet file or a folder"):
        tg.select_quota(tmp_path / "nothing_here", slots=1, out=tmp_path / "o")
    with pytest.raises(DataFileError, match="not a Parquet file or a folder"):
        tg.targeting_accuracy(str(tmp_path / "missing.parquet"), poverty_line=LINE)


def test_streaming_xlsx_ingest_equals_load_registry(world, tmp_path):
    """A workbook as an office makes it: a title row above the header, numbers stored as
    numbers and a blank row inside the data. The streaming route reads the sheet with
    the in-memory loader's reader, so both routes give the same table (the streaming route used
    to read cells with openpyxl: no header_row, its own cell-to-text rules, ~7x the CPU)."""
    from openpyxl import Workbook

    raw = world.registry_raw.iloc[:3_000].reset_index(drop=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "registry"
    ws.append(["DATA P3KE KABUPATEN PANGKEP -- ekspor"])
    ws.append(list(raw.columns))
    for i, row in enumerate(raw.astype(object).where(raw.notna(), None).itertuples(index=False)):
        vals = list(row)
        ws.append(vals)
        if i == 100:
            ws.append([None] * len(vals))
    xlsx = tmp_path / "registry_raw.xlsx"
    wb.save(xlsx)
    mem = load_registry(xlsx, demo=True, header_row=2)
    res = ingest_registry(xlsx, tmp_path / "ingested", demo=True, chunk_rows=1_000, header_row=2)
    assert res.rows == len(mem) == len(raw) and res.parts == 3
    got = pd.read_parquet(tmp_path / "ingested")[mem.columns]
    got = got.sort_values("family_id").reset_index(drop=True)
    exp = mem.sort_values("family_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(exp, got, check_dtype=False, check_categorical=False)
    # a CSV is streamed from its first row: header_row there is refused with the fix
    (tmp_path / "x.csv").write_text("family_id\nF1\n")
    with pytest.raises(ParameterError, match="applies to .xlsx files"):
        ingest_registry(tmp_path / "x.csv", tmp_path / "x", header_row=2)
