"""Small-area estimates recover the synthetic world's village poverty (truth recovery).

Default test: one survey wave (2023) of the default world, EBP with L = 20, B = 20 (kept small
for the default suite's time budget), truth = ``world.truth['village_att']`` p0 (all
households, registered or not). Slow test: repeated surveys of the same world (the world's
72 sampled villages and sample sizes, fresh households each time), truth = the person-weighted
P0 of the registered households the EBP predicts for.
"""
from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

from kassaki_eval.poverty.sae import (
    area_table,
    ebp,
    ebp_diagnostics_table,
    fay_herriot,
    fh_diagnostics_table,
    plot_direct_vs_model,
    plot_village_map,
    village_change,
    village_quota_table,
    village_table,
)
from kassaki_eval.reference import poverty_line

matplotlib.use("Agg")

COV = ["hh_size", "n_children", "n_elderly", "head_sex", "head_age", "head_educ", "head_sector",
       "floor_area_pc", "roof_good", "wall_good", "floor_good", "toilet_own", "water_piped",
       "electricity", "cooking_lpg", "house_owned", "land_farm", "land_pond", "livestock",
       "asset_motorcycle", "asset_fridge", "asset_tv", "asset_boat", "asset_car", "asset_gold",
       "zone"]
AREA = ["mean_pmt_score", "share_desil_1to4", "island"]


@pytest.fixture(scope="module")
def ebp2023(world):
    s = world.survey.query("year == 2023").reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ebp(s, world.registry, COV, line=poverty_line(2023), L=20, B=20, seed=2023,
                   area_covariates=("pmt_score",))


_FH: dict = {}


def _fh(world, year, **kw):
    key = (id(world), year, tuple(sorted(kw.items())))
    if key not in _FH:
        _FH[key] = _fh_fit(world, year, **kw)
    return _FH[key]


def _fh_fit(world, year, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        at = area_table(world.survey.query("year == @year"), world.registry,
                        line=poverty_line(year))
        return at, fay_herriot(at, "direct", "vardir", AREA, n_obs="n", **kw)


def test_ebp_recovers_village_poverty_one_wave(world, ebp2023):
    t = village_table(ebp2023, "p0")
    truth = world.truth["village_att"].query("year == 2023").set_index("village_code")["p0"]
    tv = truth.reindex(t["village_code"]).to_numpy()
    ins = (t["method"] == "EBP").to_numpy()
    cover = ((t["conf_low"] <= tv) & (tv <= t["conf_high"])).to_numpy()
    err = t["estimate"].to_numpy() - tv
    at, fh = _fh(world, 2023)
    d = at.set_index("village_code")["direct"].reindex(t["village_code"]).to_numpy()
    fht = fh.tidy().set_index("village_code")["estimate"].reindex(t["village_code"]).to_numpy()
    rmse = lambda e: float(np.sqrt(np.mean(e ** 2)))  # noqa: E731
    print(f"\nEBP 2023 over 103 villages: bias {err.mean():+.4f}, RMSE {rmse(err):.4f}, "
          f"95% coverage {cover.mean():.3f} (sampled {cover[ins].mean():.3f}, not sampled "
          f"{cover[~ins].mean():.3f}); sampled RMSE EBP {rmse(err[ins]):.4f} vs direct "
          f"{rmse(d[ins] - tv[ins]):.4f} vs FH {rmse(fht[ins] - tv[ins]):.4f}; not sampled "
          f"RMSE EBP {rmse(err[~ins]):.4f} vs FH synthetic {rmse(fht[~ins] - tv[~ins]):.4f}")
    assert len(t) == 103 and (~ins).sum() == 31
    assert t["name"].notna().all() and set(t["reliability"]) <= {"reliable", "caution",
                                                                  "unreliable"}
    assert cover.mean() >= 0.85
    assert rmse(err[ins]) < 0.75 * rmse(d[ins] - tv[ins])


def test_diagnostics_and_figures(ebp2023, world):
    dg = ebp_diagnostics_table(ebp2023).set_index("quantity")
    assert 0 < dg.loc["r2_marginal", "value"] < dg.loc["r2_conditional", "value"] < 1
    assert 0 < dg.loc["icc", "value"] < 0.5
    assert dg.loc["residuals", "n"] == 5500 and dg.loc["random_effects", "n"] == 72
    at, fh = _fh(world, 2023)
    fd = fh_diagnostics_table(fh).set_index("quantity")
    assert fd.loc["std_residuals", "n"] == 72
    fig = plot_village_map(ebp2023)
    assert len(fig.axes) >= 13
    fig2 = plot_direct_vs_model(ebp2023, direct=at.set_index("village_code")["direct"])
    assert fig2.axes[0].collections
    import matplotlib.pyplot as plt
    plt.close("all")


def test_change_over_time_kassaki_vs_other(world):
    """FH (no transformation, analytic MSE) in 2023 and 2025; change per village and by group."""
    _, a = _fh(world, 2023)
    _, b = _fh(world, 2025)
    vv = world.villages.set_index("kemendagri_code")
    treated = vv["cohort"].isin([2024, 2025]).astype(int)
    persons = world.registry.groupby("village_code")["hh_size"].sum()
    ch = village_change(a, b, treated=treated, weight=persons).tidy()
    groups = ch[ch["term"].str.contains("group=")]
    assert list(groups["village_code"]) == ["kassaki", "other", "kassaki-other"]
    vil = ch[~ch["term"].str.contains("group=")]
    assert len(vil) == 103
    ta = world.truth["village_att"].set_index(["year", "village_code"])["p0"]
    tch = (ta.loc[2025] - ta.loc[2023]).reindex(vil["village_code"]).to_numpy()
    lo = vil["estimate"] - 1.96 * vil["std_error"]
    hi = vil["estimate"] + 1.96 * vil["std_error"]
    cov = float(((lo <= tch) & (tch <= hi)).mean())
    print(f"\nvillage change 2023->2025 coverage (conservative MSE): {cov:.3f}; groups: "
          + ", ".join(f"{r.village_code} {r.estimate:+.4f} (se {r.std_error:.4f})"
                      for r in groups.itertuples()))
    assert cov >= 0.9
    k, o = groups["estimate"].iloc[0], groups["estimate"].iloc[1]
    assert abs(groups["estimate"].iloc[2] - (k - o)) < 1e-12


def test_village_quotas_add_up_and_follow_poor_counts(ebp2023, world):
    persons = world.registry.groupby("village_code")["hh_size"].sum()
    q = village_quota_table(ebp2023, persons, 33_667)
    assert q["quota"].sum() == 33_667 and len(q) == 103
    assert (q["quota_low"] <= q["quota"] + 1).all() and (q["quota"] <= q["quota_high"] + 1).all()
    top = q.sort_values("poor").iloc[-1]
    assert top["quota"] == q["quota"].max()


# ---------------------------------------------------------------------------------------------
# Monte Carlo over repeated surveys (slow)
# ---------------------------------------------------------------------------------------------

def _frame(world, year):
    pop = world.population
    pop = pop[(pop["year"] == year) & pop["family_id"].notna()]
    reg = world.registry.drop(columns=["village_code", "kec_code", "zone", "hh_size"])
    f = pop[["family_id", "village_code", "kec_code", "zone", "hh_size", "consumption_pc"]]
    return f.merge(reg, on="family_id", how="inner").sort_values(
        ["village_code", "family_id"], kind="stable").reset_index(drop=True)


@pytest.mark.slow
def test_ebp_monte_carlo_repeated_surveys(world):
    """R repeated surveys of the 2023 registered population: bias, RMSE, 95 % coverage."""
    R, L, B = 20, 20, 40
    z = poverty_line(2023)
    f = _frame(world, 2023)
    reg = world.registry
    codes, labels = pd.factorize(f["village_code"], sort=True)
    pw = np.bincount(codes, weights=f["hh_size"].to_numpy(float))
    truth = np.bincount(codes, weights=f["hh_size"].to_numpy(float)
                        * (f["consumption_pc"].to_numpy() < z)) / pw
    truth = pd.Series(truth, index=labels)
    n_v = world.survey.query("year == 2023").groupby("village_code").size()
    Nv = f.groupby("village_code").size()
    kec_n = world.villages.groupby("kec_kemendagri").size()
    kec_m = world.villages[world.villages["kemendagri_code"].isin(n_v.index)].groupby(
        "kec_kemendagri").size()
    starts = np.concatenate([[0], np.cumsum(np.bincount(codes))[:-1]])
    rng = np.random.default_rng(99)
    rows = []
    for r in range(R):
        idx = np.concatenate([starts[labels.get_loc(v)] + rng.choice(Nv[v], n, replace=False)
                              for v, n in n_v.items()])
        s = f.iloc[idx].reset_index(drop=True)
        k = s["kec_code"]
        s["weight"] = (s["village_code"].map(Nv) / s["village_code"].map(n_v)
                       * k.map(kec_n) / k.map(kec_m)).to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ebp(s, reg, COV, line=z, L=L, B=B, seed=r, area_covariates=("pmt_score",))
            at = area_table(s, reg, line=z)
            fh = fay_herriot(at, "direct", "vardir", AREA)
        t = village_table(res, "p0").set_index("village_code")
        fht = fh.tidy().set_index("village_code")["estimate"].reindex(t.index)
        d = at.set_index("village_code")["direct"].reindex(t.index)
        rows.append(pd.DataFrame({"rep": r, "village": t.index, "truth": truth.reindex(t.index),
                                  "ebp": t["estimate"], "lo": t["conf_low"],
                                  "hi": t["conf_high"], "sampled": t["method"] == "EBP",
                                  "direct": d, "fh": fht}))
    mc = pd.concat(rows, ignore_index=True)
    mc["cover"] = (mc["lo"] <= mc["truth"]) & (mc["truth"] <= mc["hi"])

    def rmse(a, b):
        return float(np.sqrt(np.mean((a - b) ** 2)))

    s_, n_ = mc[mc["sampled"]], mc[~mc["sampled"]]
    out = {
        "bias": float((mc["ebp"] - mc["truth"]).mean()),
        "rmse_ebp": rmse(mc["ebp"], mc["truth"]),
        "coverage": float(mc["cover"].mean()),
        "coverage_sampled": float(s_["cover"].mean()),
        "coverage_not_sampled": float(n_["cover"].mean()),
        "rmse_ebp_sampled": rmse(s_["ebp"], s_["truth"]),
        "rmse_direct_sampled": rmse(s_["direct"], s_["truth"]),
        "rmse_fh_sampled": rmse(s_["fh"], s_["truth"]),
        "rmse_ebp_not_sampled": rmse(n_["ebp"], n_["truth"]),
        "rmse_fh_synthetic_not_sampled": rmse(n_["fh"], n_["truth"]),
        "max_abs_village_bias": float((mc["ebp"] - mc["truth"]).groupby(mc["village"]).mean()
                                      .abs().max()),
    }
    print(f"\nEBP Monte Carlo, {R} surveys x 103 villages (L={L}, B={B}):")
    for k_, v_ in out.items():
        print(f"  {k_}: {v_:.4f}")
    assert 0.92 <= out["coverage"] <= 0.97
    assert out["rmse_ebp_sampled"] < 0.6 * out["rmse_direct_sampled"]
    assert out["rmse_ebp_not_sampled"] < out["rmse_fh_synthetic_not_sampled"]
