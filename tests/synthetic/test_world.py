"""Calibration and consistency of the synthetic Pangkep world.

Sources of the expected numbers:
- DOMAIN.md (shared/guides/DOMAIN.md): 13 kecamatan / 103 villages; P0 2023 = 13.4 %; P3KE
  2023 = 33,667 poor families; village ICC of log consumption 0.05-0.15 [U]; PMT R^2
  0.45-0.55 [U]; island log consumption 0.10-0.20 lower [U]; effect ranges [U]; published
  P0 2024 = 12.41 %, 2025 = 11.60 %.
- Issue 2 ("Must show"): P0 2023 within 13.4 +/- 0.5 pp; desil 1-4 families 33,667 +/- 5 %;
  estimated ICC in 0.05-0.15; survey-weighted household total within 5 % of the registry
  count; same seed gives byte-identical files.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.synthetic.world import PMT_COVARIATES, YEARS, generate_world, pmt_features

RAW_ID_COLUMNS = ("no_kk", "nik_head", "name_head")


def _fgt0(c: np.ndarray, z: float, w: np.ndarray) -> float:
    return float((w * (c < z)).sum() / w.sum())


def anova_icc(y: np.ndarray, groups: np.ndarray) -> float:
    """One-way random-effects ANOVA estimator of the ICC with unequal group sizes:
    (MSB - MSW) / (MSB + (n0 - 1) MSW), n0 = (N - sum n_i^2 / N) / (k - 1) (Searle 1992)."""
    df = pd.DataFrame({"y": y, "g": groups})
    grp = df.groupby("g")["y"]
    n_i, m = grp.size(), grp.mean()
    k, n = len(n_i), len(df)
    msb = (n_i * (m - df["y"].mean()) ** 2).sum() / (k - 1)
    msw = ((df["y"] - df["g"].map(m)) ** 2).sum() / (n - k)
    n0 = (n - (n_i**2).sum() / n) / (k - 1)
    return float((msb - msw) / (msb + (n0 - 1) * msw))


def _hash_dir(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*.csv"))}


# ----------------------------------------------------------------------------- structure
def test_real_kecamatan_and_village_codes(world):
    """DOMAIN.md: 13 kecamatan, 103 villages with their Kemendagri codes."""
    ref = reference.villages()
    assert world.villages["kemendagri_code"].nunique() == 103
    assert set(world.villages["kemendagri_code"]) == set(ref["kemendagri_code"])
    assert set(world.registry["village_code"]) == set(ref["kemendagri_code"])
    assert world.registry["kec_code"].nunique() == 13
    assert set(world.registry["kec_code"]) == set(reference.kecamatan()["kec_kemendagri"])
    # every village code sits in its own kecamatan
    assert (world.registry["village_code"].str[:8] == world.registry["kec_code"]).all()


def test_household_counts_follow_kecamatan_shares(world):
    """DOMAIN.md: ~90,000 households [U], kecamatan shares from the 2010 census [U]."""
    pop = world.population[world.population["year"] == 2023]
    assert len(pop) == 90_000
    kec = reference.kecamatan().set_index("kec_kemendagri")["pop_share_2010_pct"]
    share = pop["kec_code"].value_counts(normalize=True)
    expected = kec / kec.sum()
    # largest-remainder allocation: off by at most one household per kecamatan
    assert np.abs(share.reindex(expected.index) - expected).max() < 2 / 90_000
    # the four island kecamatan hold about 20 % of the population (DOMAIN.md)
    persons = pop.groupby("zone")["hh_size"].sum()
    assert 0.15 < persons["island"] / persons.sum() < 0.25


def test_table_shapes_follow_architecture(world):
    """docs/ARCHITECTURE.md table contracts: required columns present."""
    reg_cols = ["family_id", "village_code", "kec_code", "zone", "desil", "pmt_score",
                *PMT_COVARIATES, "receives_pkh", "receives_bpnt"]
    assert list(world.registry.columns) == reg_cols
    assert list(world.registry_raw.columns[:3]) == list(RAW_ID_COLUMNS)
    survey_cols = ["year", "hh_id", "family_id", "village_code", "kec_code", "zone", "stratum",
                   "psu", "weight", "hh_size", "consumption_pc", "income", "employed", "business",
                   "in_panel", *PMT_COVARIATES, "desil", "treated_village", "eligible",
                   "participates"]
    assert set(survey_cols) <= set(world.survey.columns)
    pop_cols = ["year", "hh_id", "family_id", "village_code", "kec_code", "zone", "hh_size",
                "consumption_pc", "consumption_pc_y0", "employed", "business", "income",
                "treated", "eligible", "head_sex"]
    assert list(world.population.columns[:len(pop_cols)]) == pop_cols
    assert list(world.participation.columns) == ["record_id", "family_id", "village_code",
                                                 "partner", "component", "unit", "start_date",
                                                 "amount_rp"]
    assert list(world.rollout.columns[:6]) == ["village_code", "kec_code", "zone", "component",
                                               "first_year", "cohort"]
    t = world.truth
    assert list(t["poverty"].columns[:6]) == ["year", "domain", "kec_code", "p0", "p1", "p2"]
    assert list(t["att"].columns[:6]) == ["component", "outcome", "cohort", "year", "zone", "att"]
    assert list(t["programme_effect"].columns) == ["year", "p0_actual", "p0_counterfactual",
                                                   "attributable_change"]
    assert list(t["targeting"].columns[:3]) == ["benchmark", "inclusion_error", "exclusion_error"]
    assert world.registry["family_id"].is_unique
    assert world.registry["family_id"].str.match(r"^F[0-9a-f]{16}$").all()


def test_written_files_pass_the_data_contracts(small_world, tmp_path):
    """The demo files load through the real ingest path (kassaki_eval.data.loaders)."""
    from kassaki_eval.data import loaders
    small_world.write(tmp_path, population=False)
    reg = loaders.load_registry(tmp_path / "registry_raw.csv", demo=True)
    # ingest recomputes the same keyed hash as the generator
    assert reg["family_id"].tolist() == small_world.registry["family_id"].tolist()
    for y in YEARS:
        assert len(loaders.load_survey(tmp_path / f"survey_{y}.csv")) > 0
    assert len(loaders.load_participation(tmp_path / "participation.csv")) == \
        len(small_world.participation)


# ----------------------------------------------------------------------------- calibration
def test_true_p0_2023(world, small_world):
    """Issue 2 / DOMAIN.md: true P0 2023 within 13.4 +/- 0.5 pp (person-weighted)."""
    for w in (world, small_world):
        pop = w.population[w.population["year"] == 2023]
        p0 = _fgt0(pop["consumption_pc"].to_numpy(), reference.poverty_line(2023),
                   pop["hh_size"].to_numpy())
        assert abs(p0 - 0.134) <= 0.005


def test_published_series_roughly_reproduced(world):
    """DOMAIN.md: published P0 12.41 % (2024) and 11.60 % (2025); 'roughly': +/- 0.5 pp."""
    pe = world.truth["programme_effect"].set_index("year")
    assert abs(pe.loc[2024, "p0_actual"] - 0.1241) <= 0.005
    assert abs(pe.loc[2025, "p0_actual"] - 0.1160) <= 0.005
    # DOMAIN.md: P1 ~ 2.2, P2 ~ 0.6 [U]; accept +/- 40 %
    pov = world.truth["poverty"]
    d23 = pov[(pov["domain"] == "district") & (pov["year"] == 2023)].iloc[0]
    assert 0.013 < d23["p1"] < 0.031 and 0.0036 < d23["p2"] < 0.0084


def test_desil_1to4_families(world):
    """DOMAIN.md (P3KE 2023) / issue 2: desil 1-4 families 33,667 +/- 5 %."""
    n = int(world.registry["desil"].between(1, 4).sum())
    assert abs(n - 33_667) <= 0.05 * 33_667
    assert set(world.registry["desil"]) == set(range(1, 11))


def test_icc_estimated_from_survey(world):
    """Issue 2: ICC of log consumption (one-way ANOVA estimator on the 2023 survey wave,
    villages as groups, unweighted) in 0.05-0.15 (DOMAIN.md)."""
    s = world.survey[world.survey["year"] == 2023]
    icc = anova_icc(np.log(s["consumption_pc"].to_numpy()), s["psu"].to_numpy())
    assert 0.05 <= icc <= 0.15


def test_survey_weights_sum_to_population(world):
    """Issue 2: survey-weighted household total within 5 % of the registry count; by
    construction the weights of each stratum sum to its household count."""
    pop = world.population[world.population["year"] == 2023]
    n_h = pop.groupby("kec_code").size()
    for y in YEARS:
        s = world.survey[world.survey["year"] == y]
        assert 5000 <= len(s) <= 6000  # issue 2: 5-6k households a wave
        wsum = s.groupby("stratum")["weight"].sum()
        np.testing.assert_allclose(wsum.reindex(n_h.index).to_numpy(), n_h.to_numpy(), rtol=1e-9)
        assert abs(s["weight"].sum() - len(world.registry)) <= 0.05 * len(world.registry)
        assert (s.groupby("stratum")["psu"].nunique() >= 2).all()
        assert (s["weight"] > 0).all()


def test_survey_panel_with_attrition(world):
    """Issue 2: a rotating panel with attrition and stable hh_id."""
    s = world.survey
    ids = {y: set(s.loc[s["year"] == y, "hh_id"]) for y in YEARS}
    for prev, y in zip(YEARS[:-1], YEARS[1:]):
        wave = s[s["year"] == y]
        overlap = wave["hh_id"].isin(ids[prev])
        assert (overlap == wave["in_panel"].astype(bool)).all()
        # panel_share x (1 - attrition) = 0.5 x 0.85 of the previous wave (world.toml)
        assert 0.35 < overlap.mean() < 0.50
    assert (s.loc[s["year"] == 2023, "in_panel"] == 0).all()
    # stable covariates for panel households
    both = s[s["hh_id"].isin(ids[2023] & ids[2024])].sort_values(["hh_id", "year"])
    assert both.groupby("hh_id")["head_educ"].nunique().max() == 1


def test_pmt_r2(world):
    """DOMAIN.md: PMT R^2 for log consumption 0.45-0.55 (OLS, in-sample, population 2023;
    registered households, whose covariates the registry shows)."""
    pop = world.population[world.population["year"] == 2023].set_index("family_id")
    reg = world.registry
    y = np.log(pop.loc[reg["family_id"], "consumption_pc"].to_numpy())
    X = np.column_stack([np.ones(len(reg)), pmt_features(reg).to_numpy()])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r2 = 1 - np.var(y - X @ beta) / np.var(y)
    assert 0.45 <= r2 <= 0.55


def test_island_gap_and_right_tail(world):
    """DOMAIN.md: island log consumption 0.10-0.20 lower [U]; a heavier right tail."""
    pop = world.population[world.population["year"] == 2023]
    lc = np.log(pop["consumption_pc"].to_numpy())
    isl = (pop["zone"] == "island").to_numpy()
    assert -0.20 <= lc[isl].mean() - lc[~isl].mean() <= -0.10
    assert 0.38 <= lc.std() <= 0.47  # DOMAIN.md: sigma 0.40-0.45 [U] (+/- sampling slack)
    dev = lc - np.median(lc)
    # right tail heavier than left: 99th percentile further from the median than the 1st
    assert np.quantile(dev, 0.99) > -np.quantile(dev, 0.01) + 0.05


# ----------------------------------------------------------------------------- targeting
def test_registry_errors_and_fresh_pmt_beats_registry(world):
    """Registry noise is solved so the exclusion error at a poverty-rate quota equals
    registry_exclusion_target (0.60, world.toml); a PMT refitted on the 2023 survey wave beats
    the registry out of sample at the same budget (issue 2)."""
    tg = world.truth["targeting"].set_index("benchmark")
    q = tg.loc["registry_quota_poverty_rate"]
    assert abs(q["exclusion_error"] - world.params.registry_exclusion_target) < 0.01
    fresh = tg.loc["fresh_pmt_in_sample_quota_poverty_rate"]
    assert 0.45 <= fresh["exclusion_error"] <= 0.60  # Alatas et al. 2012: 52 % (DOMAIN.md)
    s = world.survey[world.survey["year"] == 2023]
    X = np.column_stack([np.ones(len(s)), pmt_features(s).to_numpy()])
    beta, *_ = np.linalg.lstsq(X, np.log(s["consumption_pc"].to_numpy()), rcond=None)
    reg = world.registry
    pred = np.column_stack([np.ones(len(reg)), pmt_features(reg).to_numpy()]) @ beta
    pop = world.population[world.population["year"] == 2023]
    c23 = pop.dropna(subset=["family_id"]).set_index("family_id")["consumption_pc"]
    poor = c23.reindex(reg["family_id"]).to_numpy() < reference.poverty_line(2023)
    n_poor = int(q["n_poor"])

    def exclusion(score: np.ndarray) -> float:
        tgt = np.zeros(len(reg), bool)
        tgt[np.argsort(score, kind="stable")[:n_poor]] = True
        return 1 - (tgt & poor).sum() / n_poor

    assert abs(exclusion(reg["pmt_score"].to_numpy()) - q["exclusion_error"]) < 1e-9
    assert exclusion(pred) < q["exclusion_error"] - 0.02


def test_targeting_truth_recomputes(world):
    pop = world.population[world.population["year"] == 2023]
    poor = pop["consumption_pc"] < reference.poverty_line(2023)
    tgt = pop["desil"].fillna(99).between(1, 4)
    row = world.truth["targeting"].set_index("benchmark").loc["registry_desil_1to4"]
    assert row["exclusion_error"] == pytest.approx((poor & ~tgt).sum() / poor.sum())
    assert row["inclusion_error"] == pytest.approx((tgt & ~poor).sum() / tgt.sum())


# ----------------------------------------------------------------------------- programme
def test_rollout_cohorts_and_selection(world):
    """Staggered roll-out 2024 / 2025 / never (world.toml: 35 / 35 / 33), selection on
    observables: early villages are poorer by the registry score and more often mainland."""
    v = world.villages
    assert v["cohort"].value_counts().to_dict() == {2024: 35, 2025: 35, 0: 33}
    early = v["cohort"] == 2024
    never = v["cohort"] == 0
    assert v.loc[early, "mean_pmt_score"].mean() < v.loc[never, "mean_pmt_score"].mean()
    assert (v.loc[early, "zone"] == "mainland").mean() > (v.loc[never, "zone"] == "mainland").mean()
    ro = world.rollout
    assert (ro.groupby("village_code")["cohort"].nunique() == 1).all()
    assert ((ro["first_year"] == 0) | (ro["first_year"] == ro["cohort"])).all()


def test_participation_consistent_with_population(world):
    pop = world.population[world.population["year"] == 2025]
    part = world.participation
    hh = part[part["unit"] == "household"]
    assert hh["family_id"].is_unique
    treated_ids = set(pop.loc[pop["treated"] == 1, "family_id"])
    assert set(hh["family_id"]) == treated_ids
    comp = pop.dropna(subset=["component"]).set_index("family_id")["component"]
    assert (hh.set_index("family_id")["component"] == comp.reindex(hh["family_id"]).to_numpy()).all()
    # every household record sits in a village where its component runs from its year
    ro = world.rollout.set_index(["village_code", "component"])["first_year"]
    fy = ro.reindex(pd.MultiIndex.from_frame(hh[["village_code", "component"]])).to_numpy()
    assert (fy > 0).all()
    assert (pd.to_datetime(hh["start_date"]).dt.year.to_numpy() == fy).all()
    # partners per ARCHITECTURE.md
    assert set(part["partner"]) <= {"bank_sulselbar", "semen_tonasa", "bpvp", "stiem", "unhas",
                                     "ykpm", "lan"}
    assert (part["amount_rp"] >= 0).all() and part["record_id"].is_unique


def test_fuzzy_jump_at_desil_4_and_csr_quota(world):
    """RD identifiability: take-up jumps at desil 4/5 (fuzzy) and at the csr_sme quota."""
    pop = world.population[(world.population["year"] == 2025) & (world.population["treated_village"] == 1)]
    by = pop.groupby("desil")["treated"].mean()
    assert by.loc[4] > 0.45 and by.loc[5] < 0.15 and by.loc[5] > 0  # fuzzy, not sharp
    ro = world.rollout[(world.rollout["component"] == "csr_sme") & (world.rollout["quota_n"] > 0)]
    cut = ro.set_index("village_code")["quota_cutoff_score"]
    d = pop[pop["village_code"].isin(cut.index) & (pop["registered"] == 1)]
    r = d["pmt_score"] - d["village_code"].map(cut)
    csr = d["component"] == "csr_sme"
    assert csr[(r < 0) & (r > -0.1)].mean() > 0.5
    assert csr[r > 0].mean() == 0


def test_effects_known_and_in_domain_ranges(world):
    """DOMAIN.md [U]: consumption +3 to +8 %, employment 0 to +4 pp (training), business +3 to
    +6 pp (credit), income +5 to +10 %, poverty -2 to -4 pp among treated. Household-weighted
    ATT among participants, pooled cohorts, year 2025."""
    a = world.truth["att"]
    a = a[(a["cohort"] == 0) & (a["zone"] == "all") & (a["year"] == 2025)]
    att = a.set_index(["component", "outcome"])["att"]
    assert 0.03 <= att["any", "log_consumption_pc"] <= 0.08
    assert -0.04 <= att["any", "poor"] <= -0.015
    assert 0 <= att["training", "employed"] <= 0.04
    assert 0.03 <= att["credit", "business"] <= 0.06
    assert 0.04 <= att["any", "log_income"] <= 0.10
    # differ by component and by zone (women's groups stronger on the islands, world.toml)
    comps = ["credit", "csr_sme", "training", "women_groups"]
    assert att.loc[comps, "log_consumption_pc"].nunique() == 4
    z = world.truth["att"]
    z = z[(z["component"] == "women_groups") & (z["outcome"] == "log_consumption_pc")
          & (z["cohort"] == 0) & (z["year"] == 2025)].set_index("zone")["att"]
    assert z["island"] > z["mainland"] + 0.01
    # exposure: the 2024 cohort's effect grows from 2024 to 2025
    c = world.truth["att"]
    c = c[(c["component"] == "any") & (c["outcome"] == "log_consumption_pc") & (c["cohort"] == 2024)
          & (c["zone"] == "all")].set_index("year")["att"]
    assert c[2025] > c[2024] * 1.3


def test_att_truth_recomputes_from_population(world):
    pop = world.population
    for y in (2024, 2025):
        d = pop[(pop["year"] == y) & (pop["treated"] == 1)]
        a = world.truth["att"]
        row = a[(a["component"] == "any") & (a["outcome"] == "log_consumption_pc") & (a["cohort"] == 0)
                & (a["zone"] == "all") & (a["year"] == y)]["att"].iloc[0]
        assert row == pytest.approx(np.mean(np.log(d["consumption_pc"]) - np.log(d["consumption_pc_y0"])))
        row = a[(a["component"] == "credit") & (a["outcome"] == "employed") & (a["cohort"] == 2024)
                & (a["zone"] == "island") & (a["year"] == y)]["att"].iloc[0]
        m = (d["component"] == "credit") & (d["start_year"] == 2024) & (d["zone"] == "island")
        assert row == pytest.approx((d.loc[m, "employed"] - d.loc[m, "employed_y0"]).mean())
    # untreated households: potential outcome equals observed
    un = pop[pop["treated"] == 0]
    assert (un["consumption_pc"] == un["consumption_pc_y0"]).all()
    assert (pop.loc[pop["year"] == 2023, "treated"] == 0).all()


def test_attributable_change_equals_actual_minus_counterfactual(world):
    pop = world.population
    pe = world.truth["programme_effect"].set_index("year")
    for y in YEARS:
        d = pop[pop["year"] == y]
        z = reference.poverty_line(y)
        act = _fgt0(d["consumption_pc"].to_numpy(), z, d["hh_size"].to_numpy())
        cf = _fgt0(d["consumption_pc_y0"].to_numpy(), z, d["hh_size"].to_numpy())
        assert pe.loc[y, "p0_actual"] == pytest.approx(act, abs=1e-12)
        assert pe.loc[y, "p0_counterfactual"] == pytest.approx(cf, abs=1e-12)
        assert pe.loc[y, "attributable_change"] == pytest.approx(act - cf, abs=1e-12)
    assert pe.loc[2023, "attributable_change"] == 0
    assert pe.loc[2025, "attributable_change"] < pe.loc[2024, "attributable_change"] < 0
    # kecamatan rows recompute too
    pov = world.truth["poverty"]
    row = pov[(pov["domain"] == "kecamatan") & (pov["kec_code"] == "73.10.07") & (pov["year"] == 2025)].iloc[0]
    d = pop[(pop["year"] == 2025) & (pop["kec_code"] == "73.10.07")]
    assert row["p0"] == pytest.approx(_fgt0(d["consumption_pc"].to_numpy(), 460_000, d["hh_size"].to_numpy()))


def test_village_att_matches_population(small_world):
    pop = small_world.population
    va = small_world.truth["village_att"]
    d = pop[pop["year"] == 2025].assign(dl=lambda x: np.log(x["consumption_pc"]) - np.log(x["consumption_pc_y0"]))
    mean_eff = d.groupby("village_code")["dl"].mean()
    got = va[va["year"] == 2025].set_index("village_code")["effect_mean_log_consumption_pc"]
    np.testing.assert_allclose(got.reindex(mean_eff.index).to_numpy(), mean_eff.to_numpy(), atol=1e-12)
    assert (va.loc[va["cohort"] == 0, "n_participants"] == 0).all()


def test_selection_on_unobservables_knob(small_world):
    """Default: take-up does not depend on the unobserved residual given observables; with
    selection_unobs = 1 participants have higher untreated consumption than the covariates
    predict."""
    def resid_gap(w) -> float:
        pop = w.population[(w.population["year"] == 2023)].reset_index(drop=True)
        reg = w.registry.set_index("family_id")
        d = pop[(pop["eligible"] == 1) & (pop["cohort"] > 0)]
        X = np.column_stack([np.ones(len(d)), pmt_features(reg.loc[d["family_id"]]).to_numpy()])
        y = np.log(d["consumption_pc_y0"].to_numpy())
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        r = y - X @ beta
        took = d["component"].notna().to_numpy()
        return float(r[took].mean() - r[~took].mean())

    assert abs(resid_gap(small_world)) < 0.03
    knob = generate_world(seed=7, scale=0.1, selection_unobs=1.0)
    assert resid_gap(knob) > 0.05


# ----------------------------------------------------------------------------- privacy, determinism
def test_no_raw_identifiers_outside_registry_raw(small_world):
    raw = small_world.registry_raw
    secrets = set(raw["no_kk"]) | set(raw["nik_head"]) | set(raw["name_head"])
    for name in ("registry", "survey", "participation", "population"):
        df = getattr(small_world, name)
        assert not set(RAW_ID_COLUMNS) & set(df.columns), name
        for c in df.columns:
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                assert not set(df[c].dropna().astype(str)) & secrets, (name, c)
    assert raw["nik_head"].str.fullmatch(r"9998\d{12}").all()  # obviously fake NIKs
    assert raw["no_kk"].str.fullmatch(r"9999\d{12}").all()


def test_same_seed_byte_identical_different_seed_differs(tmp_path):
    a = generate_world(seed=11, scale=0.05)
    b = generate_world(seed=11, scale=0.05)
    c = generate_world(seed=12, scale=0.05)
    a.write(tmp_path / "a")
    b.write(tmp_path / "b")
    c.write(tmp_path / "c")
    ha, hb, hc = (_hash_dir(tmp_path / x) for x in "abc")
    assert ha == hb
    assert len(ha) == 17  # 15 + truth/cost.csv, truth/cost_effectiveness.csv (issue 14)
    assert ha["registry_raw.csv"] != hc["registry_raw.csv"]
    assert ha["survey_2024.csv"] != hc["survey_2024.csv"]


def test_takeup_selection_on_observables_is_removed_by_covariates(world):
    """Matching identifiability: eligible participants have higher untreated consumption than
    eligible non-participants (take-up rises with head education and trade, world.toml), and
    adjusting for the registry covariates removes most of that gap."""
    pop = world.population
    d = pop[(pop["year"] == 2025) & (pop["treated_village"] == 1) & (pop["eligible"] == 1)]
    reg = world.registry.set_index("family_id").loc[d["family_id"]]
    y = np.log(d["consumption_pc_y0"].to_numpy())
    took = d["treated"].to_numpy() == 1
    naive = y[took].mean() - y[~took].mean()
    X = np.column_stack([np.ones(len(d)), pmt_features(reg).to_numpy()])
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    r = y - X @ beta
    adjusted = r[took].mean() - r[~took].mean()
    assert naive > 0.008
    assert abs(adjusted) < naive / 2


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_calibration_holds_across_seeds(seed):
    """The issue-2 calibration bands (see module docstring) hold for other seeds too."""
    w = generate_world(seed=seed)
    cal = dict(zip(w.truth["calibration"]["quantity"], w.truth["calibration"]["value"]))
    assert abs(cal["p0_2023"] - 0.134) <= 0.005
    assert abs(cal["n_desil_1to4"] - 33_667) <= 0.05 * 33_667
    assert 0.45 <= cal["pmt_r2_in_sample"] <= 0.55
    assert -0.20 <= cal["island_gap_log_2023"] <= -0.10
    s = w.survey[w.survey["year"] == 2023]
    assert 0.05 <= anova_icc(np.log(s["consumption_pc"].to_numpy()), s["psu"].to_numpy()) <= 0.15
    assert abs(cal["p0_2024"] - 0.1241) <= 0.005 and abs(cal["p0_2025"] - 0.1160) <= 0.005
