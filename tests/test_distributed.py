"""dask.distributed: national targeting and the design diagnosis on a two-worker LocalCluster
give exactly the in-memory / joblib results (same families, same numbers)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.diagnosis import diagnose
from kassaki_eval.synthetic.national import national_plan, write_registry
from kassaki_eval.targeting import OLSPMT, pmt_target, score_registry, select_quota
from kassaki_eval.targeting.distributed import national_targeting


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    c = Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def national(tmp_path_factory, client):
    out = tmp_path_factory.mktemp("national")
    plan = national_plan(families=60_000, n_districts=6, n_kota=2, n_provinces=2, seed=3)
    blocks = write_registry(out, plan, seed=9, max_block=8_000, survey_fraction=0.02, client=client)
    return out, plan, blocks


def test_national_registry_partitions(national):
    out, plan, blocks = national
    assert blocks["households"].sum() == plan["families"].sum() == 60_000
    assert (blocks["households"] <= 8_000).all()
    reg = pd.read_parquet(out / "registry")
    assert reg["family_id"].is_unique
    assert set(reg["district"].astype(str)) == set(plan["district"])
    assert (reg["village_code"].str[:6] == reg["district"].astype(str)).all()
    kota = plan.loc[plan["kind"] == "kota", "district"]
    assert set(reg.loc[reg["district"].astype(str).isin(kota), "zone"]) == {"mainland"}


def test_national_targeting_on_localcluster_equals_in_memory(national, client, world, tmp_path):
    out, plan, _ = national
    s = world.survey[world.survey["year"] == 2023]
    pmt = OLSPMT().fit(s, pmt_target(s["consumption_pc"]), sample_weight=s["weight"])
    dist = national_targeting(out / "registry", pmt, out=tmp_path / "sel", share=0.25, client=client)
    loop = national_targeting(out / "registry", pmt, out=tmp_path / "sel_loop", share=0.25)
    pd.testing.assert_frame_equal(dist.quotas, loop.quotas)
    # in memory: the whole registry at once, ranks within district, quotas per village
    reg = pd.read_parquet(out / "registry")
    reg["district"] = reg["district"].astype(str)
    scored = score_registry(reg, pmt, within="district", keep=("village_code", "kec_code", "district"))
    slots = np.floor(0.25 * scored.groupby("village_code").size()).astype(int).to_dict()
    sel = select_quota(scored, by="village_code", slots=slots)
    got = dist.beneficiaries().sort_values(["village_code", "rank_in_group"]).reset_index(drop=True)
    exp = sel.beneficiaries.sort_values(["village_code", "rank_in_group"]).reset_index(drop=True)
    assert got["family_id"].tolist() == exp["family_id"].tolist()
    np.testing.assert_array_equal(got["score"].to_numpy(), exp["score"].to_numpy())
    assert dist.districts["selected"].sum() == sel.n_selected


class _Coin:
    """A cheap design: the mean of 30 normal draws (the backend, not the estimator, is tested)."""

    def draw(self, rng, index=0):
        return rng.normal(1.0, 2.0, 30)


def _mean_ci(x):
    m, s = x.mean(), x.std(ddof=1) / np.sqrt(x.size)
    return m, m - 2.045 * s, m + 2.045 * s


def test_diagnosis_on_localcluster_equals_local_joblib(client):
    import joblib
    kw = dict(estimand=lambda x: 1.0, design=_Coin(), n_draws=60, seed=5, progress=False)
    local = diagnose({"mean": _mean_ci}, n_jobs=1, **kw)
    with joblib.parallel_backend("dask"):
        remote = diagnose({"mean": _mean_ci}, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(local.draws, remote.draws)
    pd.testing.assert_frame_equal(local.table, remote.table)
