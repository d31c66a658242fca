"""Unit-level EBP: REML agreement with lme4, emdi's Box-Cox lambda and EBP points, bad inputs.

References (tests/references/sae/, see SOURCE.md): ``lme4_nested_error.R`` and its output
``lme4_nested_error.txt`` (lme4 1.1.31, REML, tight optimiser tolerances); emdi's EBP fixtures.
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import DataWarning, SchemaError
from kassaki_eval.poverty.sae import ebp
from kassaki_eval.poverty.sae.nested import GroupSums, fit_nested_error

REF = Path(__file__).resolve().parents[1] / "references" / "sae"


def _lme4() -> dict[str, float]:
    out = {}
    for line in (REF / "lme4_nested_error.txt").read_text().splitlines():
        m = re.match(r"^(\w+) (\S+) (\S+)$", line)
        if m and m.group(1) in ("eusilcA", "incomedata_bc"):
            out[f"{m.group(1)} {m.group(2)}"] = float(m.group(3))
    return out


def test_reml_matches_lme4_eusilca():
    """eusilcA: log(eqIncome) ~ gender + eqsize + cash + self_empl + unempl_ben + (1|district).

    Tolerance: variances 1e-5 relative (lme4's optimiser stops there), fixed effects 1e-6
    relative, REML criterion 1e-6 absolute."""
    ref = _lme4()
    s = pd.read_csv(REF / "emdi" / "eusilcA_smp.csv")
    X = np.column_stack([np.ones(len(s)), (s["gender"] == "male").astype(float), s["eqsize"],
                         s["cash"], s["self_empl"], s["unempl_ben"]])
    g, lev = pd.factorize(s["district"], sort=True)
    fit = fit_nested_error(np.log(s["eqIncome"].to_numpy()), GroupSums.build(X, g, len(lev)), X)
    assert abs(fit.sigma2_u / ref["eusilcA sigma2_u"] - 1) < 1e-5
    assert abs(fit.sigma2_e / ref["eusilcA sigma2_e"] - 1) < 1e-5
    names = ["(Intercept)", "gendermale", "eqsize", "cash", "self_empl", "unempl_ben"]
    for b, nm in zip(fit.beta, names, strict=True):
        assert abs(b / ref[f"eusilcA beta[{nm}]"] - 1) < 1e-6, nm
    assert abs(fit.reml_crit - ref["eusilcA REMLcrit"]) < 1e-6
    for k in ("Amstetten", "Baden", "Bludenz"):
        assert abs(fit.u[list(lev).index(k)] - ref[f"eusilcA ranef[{k}]"]) < 1e-5


def test_reml_boundary_matches_lme4_incomedata():
    """incomedata at emdi's Box-Cox lambda: lme4 gives a singular fit (sigma2_u = 0); so do we."""
    ref = _lme4()
    inc = pd.read_csv(REF / "emdi" / "incomedata.csv")
    lam = float(pd.read_csv(REF / "emdi" / "ebp_optpar_bc.csv")["Optpar"].iloc[0])
    X = np.column_stack([np.ones(len(inc)), inc["educ1"]])
    g, lev = pd.factorize(inc["provlab"], sort=True)
    fit = fit_nested_error((inc["income"].to_numpy() ** lam - 1) / lam,
                           GroupSums.build(X, g, len(lev)), X)
    assert fit.boundary and fit.sigma2_u == ref["incomedata_bc sigma2_u"] == 0
    assert abs(fit.sigma2_e / ref["incomedata_bc sigma2_e"] - 1) < 1e-8
    assert abs(fit.beta[1] / ref["incomedata_bc beta[educ1]"] - 1) < 1e-8
    assert abs(fit.reml_crit - ref["incomedata_bc REMLcrit"]) < 1e-6


def _emdi_income() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    inc = pd.read_csv(REF / "emdi" / "incomedata.csv").assign(hh_size=1)
    cnt = pd.read_csv(REF / "emdi" / "Xoutsamp_educ1_counts.csv")
    pop = cnt.loc[cnt.index.repeat(cnt["n"]), ["provlab", "educ1"]].reset_index(drop=True)
    return inc, pop.assign(hh_size=1), cnt


def test_box_cox_lambda_matches_emdi():
    """emdi's REML Box-Cox lambda 0.0588953 (optimize() tolerance ~1e-4 on [-1, 2]); ours is the
    optimum to 1e-7, 8.7e-6 away, with a REML criterion no worse than at emdi's value."""
    from kassaki_eval.poverty.sae.unitlevel import _std_transform  # noqa: PLC2701
    inc, pop, _ = _emdi_income()
    lam_ref = float(pd.read_csv(REF / "emdi" / "ebp_optpar_bc.csv")["Optpar"].iloc[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ebp(inc, pop.groupby("provlab").head(400), ["educ1"], line=4282.081, welfare="income",
                  domain="provlab", L=1, mse="none", seed=1)
    lam = res.extras["model"]["lambda"]
    assert abs(lam - lam_ref) < 2e-5
    X = np.column_stack([np.ones(len(inc)), inc["educ1"]])
    g, lev = pd.factorize(inc["provlab"], sort=True)
    gs = GroupSums.build(X, g, len(lev))
    y = inc["income"].to_numpy(float)

    def crit(v: float) -> float:
        return fit_nested_error(_std_transform(y, "box_cox", v), gs, X).reml_crit

    assert crit(lam) <= crit(lam_ref) + 1e-9


@pytest.mark.parametrize("case", ["box_cox", "log_weighted"])
def test_ebp_points_match_emdi_within_monte_carlo_error(case):
    """emdi EBP points (L = 2, R seed 100; test_point_estimation.R) vs ours (L = 40, seed 5).

    The two runs use different random streams: each is an average of L replicates of the
    same predictive distribution, so they must agree within Monte Carlo error. Tolerance per
    domain and indicator: 4 x sqrt(sd^2/2 + sd^2/40), sd = the spread of one replicate measured
    by our run. ``box_cox``: emdi's lambda fixed (its fixture), no weights. ``log_weighted``:
    log transformation with survey weights (Guadarrama et al. 2018's pseudo-EBP) and the
    results aggregated to emdi's ``domain`` (Avila+Palencia = 1) by population counts.
    """
    inc, pop, cnt = _emdi_income()
    L = 40
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case == "box_cox":
            lam = float(pd.read_csv(REF / "emdi" / "ebp_optpar_bc.csv")["Optpar"].iloc[0])
            res = ebp(inc, pop, ["educ1"], line=4282.081, welfare="income", domain="provlab",
                      parameter=lam, L=L, mse="none", seed=5)
        else:
            res = ebp(inc, pop, ["educ1"], line=4282.081, welfare="income", domain="provlab",
                      transformation="log", weights="weight", L=L, mse="none", seed=5)
    P = pd.DataFrame(res.extras["point"], index=res.extras["domains"],
                     columns=["p0", "p1", "p2", "mean"])
    SD = pd.DataFrame(res.extras["replicate_sd"], index=res.extras["domains"], columns=P.columns)
    if case == "box_cox":
        ref = pd.read_csv(REF / "emdi" / "ebp_point_bc.csv")
        ref.index = ["Avila", "Palencia", "Segovia", "Soria", "Teruel"]  # prov codes 5..44
        pairs = {"p0": "hcr", "p1": "pgap", "mean": "mean"}
    else:
        ref = pd.read_csv(REF / "emdi" / "ebp_point_bc2.csv")
        n = cnt.groupby("provlab")["n"].sum()
        groups = {1: ["Avila", "Palencia"], 40: ["Segovia"], 42: ["Soria"], 44: ["Teruel"]}
        rows, sds = [], []
        for _k, v in groups.items():
            w = n[v] / n[v].sum()
            rows.append(P.loc[v].mul(w, axis=0).sum())
            sds.append(np.sqrt((SD.loc[v] ** 2).mul(w ** 2, axis=0).sum()))
        P = pd.DataFrame(rows, index=list(groups))
        SD = pd.DataFrame(sds, index=list(groups))
        ref.index = ref["Domain"].astype(int)
        pairs = {"p0": "Head_Count", "p1": "Poverty_Gap", "mean": "Mean"}
    for ours, theirs in pairs.items():
        tol = 4 * np.sqrt(SD[ours] ** 2 / 2 + SD[ours] ** 2 / L)
        diff = (P[ours] - ref.loc[P.index, theirs]).abs()
        print(case, ours, "max |diff|", float(diff.max()), "max tol", float(tol.max()))
        assert (diff <= tol).all(), (ours, diff.to_dict(), tol.to_dict())


def test_ebp_bad_inputs(small_world):
    from kassaki_eval.reference import poverty_line
    s = small_world.survey.query("year == 2023").reset_index(drop=True)
    reg = small_world.registry
    cov = ["hh_size", "head_educ", "electricity"]
    z = poverty_line(2023)
    # a survey village missing from the registry
    v = s["village_code"].iloc[0]
    with pytest.raises(SchemaError, match="not in the registry") as e:
        ebp(s, reg[reg["village_code"] != v], cov, line=z, L=1, mse="none")
    assert v in str(e.value)
    # a category the registry does not know
    s2 = s.copy()
    s2.loc[:3, "electricity"] = "PLN 900 VA"
    with pytest.raises(SchemaError, match="categories the registry does not use"):
        ebp(s2, reg, cov, line=z, L=1, mse="none")
    # a covariate measured differently (floor area in m2 per household instead of per person)
    s3 = s.assign(floor_area_pc=s["floor_area_pc"] * s["hh_size"])
    with pytest.warns(DataWarning, match="differ between the survey and the registry"):
        ebp(s3, reg, cov + ["floor_area_pc"], line=z, L=1, mse="none")
    # missing covariate values
    s4 = s.copy()
    s4.loc[:4, "head_educ"] = np.nan
    with pytest.raises(SchemaError, match="head_educ"):
        ebp(s4, reg, cov, line=z, L=1, mse="none")


def test_ebp_warns_on_boundary_fit_and_all_poor_village():
    """Non-convergence to an interior optimum (village variance 0) and a village where every
    sampled person is poor each raise a warning naming the problem."""
    from kassaki_eval.exceptions import EstimationWarning
    inc, pop, _ = _emdi_income()
    small = pop.groupby("provlab").head(300)
    with pytest.warns(EstimationWarning, match="village variance is 0"):
        ebp(inc, small, ["educ1"], line=4282.081, welfare="income", domain="provlab", L=1,
            mse="none", transformation="log")
    inc2 = inc.copy()
    inc2.loc[inc2["provlab"] == "Segovia", "income"] = 1000.0
    with pytest.warns(DataWarning, match="every or no household below the line.*Segovia"):
        ebp(inc2, small, ["educ1"], line=4282.081, welfare="income", domain="provlab", L=1,
            mse="none", transformation="log")


def test_village_map_needs_geopandas_for_a_boundary(tmp_path, monkeypatch):
    from kassaki_eval.exceptions import OptionalDependencyError
    from kassaki_eval.poverty.sae import fay_herriot, plot_village_map
    monkeypatch.setitem(sys.modules, "geopandas", None)   # as without geopandas, installed or not
    df = pd.DataFrame({"village_code": ["73.10.01.1001", "73.10.01.2002", "73.10.01.2003",
                                        "73.10.01.2004", "73.10.01.2005"],
                       "y": [0.1, 0.2, 0.15, np.nan, 0.12], "v": 0.001,
                       "x": [1.0, 2.0, 1.5, 1.2, 1.1]})
    res = fay_herriot(df, "y", "v", ["x"])
    with pytest.raises(OptionalDependencyError, match="pip install geopandas"):
        plot_village_map(res, boundary=tmp_path / "b.gpkg")
