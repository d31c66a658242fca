"""What kassaki_eval.impact.rd does AROUND rdrobust / rddensity / rdmulti (issue 18, mutmut).

The packages' numbers are checked against their documented output in test_rd.py. Here the
reference is the same package called directly, in the test, with the arguments our wrapper
should pass (normalised running variable, kernel name, level, cluster codes, weights,
covariates, bandwidths): the wrapper must give the package's numbers to 1e-12 relative (same
code, same inputs), and everything the wrapper adds (side checks, mass-point rule, warnings,
error texts, result shape, provenance) is pinned by hand-counted values or word for word.
Data: the rdrobust senate file (tests/references/rd/README.md).
"""
from __future__ import annotations

import contextlib
import io
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

import rdrobust  # noqa: E402
from rddensity import rddensity  # noqa: E402

from kassaki_eval.exceptions import (  # noqa: E402
    DataWarning, EstimationWarning, IdentificationError, ParameterError,
)
from kassaki_eval.impact.rd import (  # noqa: E402
    MASS_SHARE, mass_points, normalise_running, rd_balance, rd_bandwidths, rd_density,
    rd_estimate, rd_multi_cutoff, rd_placebo, rd_plot,
)

REF = Path(__file__).resolve().parents[1] / "references" / "rd"
SENATE = pd.read_csv(REF / "rdrobust_senate.csv")
#: the rows with an outcome (93 have a missing vote)
S = SENATE.dropna(subset=["vote"]).reset_index(drop=True)
RTOL = 1e-12


def _direct(y, x, **kw):
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rdrobust.rdrobust(np.asarray(y, float), np.asarray(x, float), **kw)


def _same(res, r) -> None:
    """Our table equals the rdrobust object ``r`` row by row and column by column."""
    t = res.tidy()
    assert t["term"].tolist() == ["Conventional", "Bias-Corrected", "Robust"]
    np.testing.assert_allclose(t["estimate"], np.ravel(r.coef), rtol=RTOL)
    np.testing.assert_allclose(t["std_error"], np.ravel(r.se), rtol=RTOL)
    np.testing.assert_allclose(t["p_value"], np.ravel(r.pv), rtol=1e-9, atol=1e-300)
    ci = np.asarray(r.ci)
    np.testing.assert_allclose(t["conf_low"], ci[:, 0], rtol=RTOL)
    np.testing.assert_allclose(t["conf_high"], ci[:, 1], rtol=RTOL)
    bws = np.asarray(r.bws)
    assert t["h_left"].tolist() == [bws[0, 0]] * 3
    assert t["h_right"].tolist() == [bws[0, 1]] * 3
    assert t["b_left"].tolist() == [bws[1, 0]] * 3
    assert t["b_right"].tolist() == [bws[1, 1]] * 3
    nh = [int(v) for v in r.N_h]
    assert t["n_h_left"].tolist() == [nh[0]] * 3
    assert t["n_h_right"].tolist() == [nh[1]] * 3
    assert t["n_obs"].tolist() == [nh[0] + nh[1]] * 3


# --- options reach rdrobust -----------------------------------------------------------------
def test_default_call_equals_rdrobust_and_result_shape():
    res = rd_estimate(SENATE, y="vote", running="margin", treated_side="above")
    r = _direct(S.vote, S.margin, masspoints="adjust")
    _same(res, r)
    t = res.tidy()
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "conf_low", "conf_high", "n_obs", "h_left", "h_right", "b_left",
                               "b_right", "n_h_left", "n_h_right", "n_unique_left",
                               "n_unique_right"]
    mp = res.extras["mass_points"]
    assert (t["n_unique_left"].iloc[0], t["n_unique_right"].iloc[0]) == (
        mp["unique_left"], mp["unique_right"])
    assert res.extras["rdrobust"].coef.iloc[0, 0] == t["estimate"].iloc[0]
    assert res.extras["rdrobust_stdout"] == ""
    assert res.summary().title == "Sharp RD at the cutoff (rdrobust)"
    pv = res.provenance
    assert pv.method == "rd_sharp" and res.method == "rd_sharp"
    assert pv.n_input == 1390 and pv.n_used == 1297 and pv.dropped == {"missing vote": 93}
    assert pv.options == {"cutoff": 0.0, "treated_side": "above", "p": 1,
                          "kernel": "triangular", "bwselect": "mserd", "h": None, "b": None,
                          "vce": "NN", "masspoints": "adjust", "fuzzy": None,
                          "covariates": [], "cluster": None, "weights": None,
                          "rdrobust": pv.options["rdrobust"]}
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", pv.options["rdrobust"])


@pytest.mark.parametrize("kernel, short", [("uniform", "uni"), ("epanechnikov", "epa")])
def test_kernel_bwselect_level_and_cutoff_reach_rdrobust(kernel, short):
    """PMT side (eligible below 5): x = 5 - margin; kernel name mapped to rdrobust's short
    name; alpha 0.1 -> level 90; two bandwidths (msetwo)."""
    res = rd_estimate(SENATE, y="vote", running="margin", cutoff=5.0, kernel=kernel,
                      bwselect="msetwo", alpha=0.1)
    r = _direct(S.vote, 5.0 - S.margin, kernel=short, bwselect="msetwo", level=90)
    _same(res, r)
    assert res.tidy()["h_left"].iloc[0] != res.tidy()["h_right"].iloc[0]
    assert res.provenance.options["kernel"] == kernel
    assert res.provenance.options["bwselect"] == "msetwo"


def test_p_vce_user_bandwidths_reach_rdrobust():
    res = rd_estimate(SENATE, y="vote", running="margin", treated_side="above", p=2,
                      vce="hc1", h=20.0, b=30.0)
    r = _direct(S.vote, S.margin, p=2, vce="hc1", h=20.0, b=30.0)
    _same(res, r)
    o = res.provenance.options
    assert (o["p"], o["h"], o["b"], o["vce"]) == (2, 20.0, 30.0, "HC1")


def test_covariates_cluster_weights_reach_rdrobust():
    """Cluster ids are passed as pd.factorize codes of the rows kept; rows with a missing
    covariate are dropped (and counted); weights multiply the kernel."""
    df = SENATE.assign(w=1 + (SENATE["year"] % 3) / 2)
    res = rd_estimate(df, y="vote", running="margin", treated_side="above",
                      covariates=["presdemvoteshlag1", "population"], cluster="state",
                      weights="w")
    keep = df.dropna(subset=["vote", "presdemvoteshlag1"])
    r = _direct(keep.vote, keep.margin, covs=keep[["presdemvoteshlag1", "population"]]
                .to_numpy(float), cluster=pd.factorize(keep["state"])[0],
                weights=keep["w"].to_numpy(float))
    _same(res, r)
    pv = res.provenance
    assert pv.dropped == {"missing vote": 93, "missing presdemvoteshlag1": 3}
    assert pv.n_used == len(keep) == 1294
    assert pv.options["vce"] == "CR1"
    assert (pv.options["covariates"], pv.options["cluster"], pv.options["weights"]) == (
        ["presdemvoteshlag1", "population"], "state", "w")
    # rdrobust without the covariates / weights gives other numbers (they were used)
    assert res["Robust"] != rd_estimate(df, y="vote", running="margin", treated_side="above",
                                        cluster="state", weights="w")["Robust"]
    assert res["Robust"] != rd_estimate(df, y="vote", running="margin", treated_side="above",
                                        covariates=["presdemvoteshlag1", "population"],
                                        cluster="state")["Robust"]


@pytest.mark.parametrize("mp", ["adjust", "check", "off"])
def test_masspoints_reach_rdrobust(mp):
    df = SENATE.assign(mf=np.floor(SENATE["margin"]))
    with pytest.warns(DataWarning):
        res = rd_estimate(df, y="vote", running="mf", treated_side="above", masspoints=mp)
    _same(res, _direct(S.vote, np.floor(S.margin), masspoints=mp))


# --- normalisation and the side checks ------------------------------------------------------
def test_normalise_running_sign_name_and_errors():
    df = pd.DataFrame({"s": [1.0, 2.0, 4.0], "c": [2.0, 2.0, 3.0]}, index=[5, 6, 7])
    below = normalise_running(df, running="s", cutoff="c")
    assert below.tolist() == [1.0, 0.0, -1.0] and below.name == "s_normalised"
    assert below.index.tolist() == [5, 6, 7]
    assert normalise_running(df, running="s", cutoff=2.0, treated_side="above").tolist() == [
        -1.0, 0.0, 2.0]
    assert normalise_running(df, running="s").tolist() == [-1.0, -2.0, -4.0]
    with pytest.raises(ParameterError, match=re.escape(
            "The 'running' parameter of normalise_running must name a column of data. "
            "Got 'x' instead.")):
        normalise_running(df, running="x")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'cutoff' parameter of normalise_running must be a number or a column of "
            "data. Got 'cc' instead.")):
        normalise_running(df, running="s", cutoff="cc")
    with pytest.raises(ParameterError, match="The 'treated_side' parameter of "
                                             "normalise_running"):
        normalise_running(df, running="s", treated_side="left")


def _sides(n_elig: int, n_other: int, distinct: int | None = None) -> pd.DataFrame:
    """``n_elig`` rows at or below the cutoff 0 (one exactly on it), ``n_other`` above."""
    elig = -np.arange(n_elig, dtype=float) / 10         # 0, -0.1, ...: eligible (below)
    if distinct is not None:
        elig = -(np.arange(n_elig) % distinct).astype(float) / 10
    other = np.arange(1, n_other + 1, dtype=float) / 10
    x = np.r_[elig, other]
    return pd.DataFrame({"s": x, "y": 0.5 * (x <= 0) + x + np.sin(7 * x)})


def test_side_check_counts_a_row_on_the_cutoff_as_eligible():
    # 20 eligible rows including the one exactly on the cutoff: enough
    rd_estimate(_sides(20, 25), y="y", running="s", h=5.0)
    msg = ("data: column 's' has only 19 rows (19 distinct values) on the eligible (treated) "
           "side of the cutoff; an RD needs at least 20 rows and 3 distinct values on each side "
           "for a local polynomial of order 1 (and its bias correction). Fix: check the "
           "cutoff, pool more villages or years, or lower the polynomial order.")
    with pytest.raises(IdentificationError, match=re.escape(msg)):
        rd_estimate(_sides(19, 25), y="y", running="s", h=5.0)
    with pytest.raises(IdentificationError, match=re.escape(
            "has only 19 rows (19 distinct values) on the other side of the cutoff")):
        rd_estimate(_sides(25, 19), y="y", running="s", h=5.0)
    # min_obs is the row threshold
    with pytest.raises(IdentificationError, match=r"only 20 rows .* at least 21 rows"):
        rd_estimate(_sides(20, 25), y="y", running="s", min_obs=21, h=5.0)
    rd_estimate(_sides(19, 25), y="y", running="s", min_obs=19, h=5.0)


def test_side_check_distinct_values_is_p_plus_2():
    # p = 1 needs 3 distinct values: 3 pass, 2 fail (with 30 rows)
    rd_estimate(_sides(30, 30, distinct=3), y="y", running="s", h=5.0, masspoints="off")
    with pytest.raises(IdentificationError, match=re.escape(
            "has only 30 rows (2 distinct values) on the eligible (treated) side of the cutoff; "
            "an RD needs at least 20 rows and 3 distinct values")):
        rd_estimate(_sides(30, 30, distinct=2), y="y", running="s", h=5.0)
    with pytest.raises(IdentificationError, match=re.escape(
            "(3 distinct values) on the eligible (treated) side of the cutoff; an RD needs at "
            "least 20 rows and 4 distinct values on each side for a local polynomial of order 2")):
        rd_estimate(_sides(30, 30, distinct=3), y="y", running="s", p=2, h=5.0)


def test_parameter_errors_word_for_word():
    with pytest.raises(ParameterError, match=re.escape(
            "The 'p' parameter of rd_estimate must be an integer in 0..4. Got 5 instead.")):
        rd_estimate(SENATE, y="vote", running="margin", p=5)
    with pytest.raises(ParameterError, match=re.escape("must be an integer in 0..4. Got -1")):
        rd_estimate(SENATE, y="vote", running="margin", p=-1)
    with pytest.raises(ParameterError, match=re.escape("Got 1.0 instead")):
        rd_estimate(SENATE, y="vote", running="margin", p=1.0)
    with pytest.raises(ParameterError, match=re.escape(
            "The 'min_obs' parameter of rd_estimate must be an integer >= 5. Got 4 instead.")):
        rd_estimate(SENATE, y="vote", running="margin", min_obs=4)
    with pytest.raises(ParameterError, match=re.escape("Got 20.0 instead")):
        rd_estimate(SENATE, y="vote", running="margin", min_obs=20.0)
    with pytest.raises(ParameterError, match="The 'treated_side' parameter of rd_estimate"):
        rd_estimate(SENATE, y="vote", running="margin", treated_side="left")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'data' parameter of rd_estimate must be a pandas DataFrame. Got dict instead.")):
        rd_estimate({"vote": [1]}, y="vote", running="margin")
    for kw, name in (({"y": "v"}, "y"), ({"running": "m"}, "running"),
                     ({"cluster": "st"}, "column"), ({"covariates": ["pop"]}, "column")):
        args = {"y": "vote", "running": "margin", **kw}
        with pytest.raises(ParameterError, match=re.escape(
                f"The '{name}' parameter of rd_estimate must name a column of data. "
                f"Got {list(kw.values())[0] if name != 'column' or 'cluster' in kw else 'pop'!r}"
                " instead.")):
            rd_estimate(SENATE, **args)
    # p = 0 and p = 4, min_obs = 5 are accepted
    for p in (0, 4):
        assert rd_estimate(SENATE, y="vote", running="margin", p=p).provenance.options["p"] == p
    rd_estimate(SENATE, y="vote", running="margin", min_obs=5)


def test_missing_cutoff_column_rows_are_dropped_and_counted():
    df = SENATE.assign(c=0.0)
    df.loc[df.index[:10], "c"] = np.nan
    res = rd_estimate(df, y="vote", running="margin", cutoff="c", treated_side="above")
    keep = df.dropna(subset=["vote", "c"])
    _same(res, _direct(keep.vote, keep.margin))
    n_c = int(df["vote"].notna()[:10].sum())      # vote first, then c among the rest
    assert res.provenance.dropped == {"missing vote": 93, "missing c": 10 - (10 - n_c)}
    assert res.provenance.n_used == len(keep)


# --- mass points ----------------------------------------------------------------------------
def test_mass_points_by_hand():
    z = np.array([-2.0, -2.0, -1.0, 0.0, 0.0, 1.0, 2.0])
    assert mass_points(z) == {"n_left": 3, "unique_left": 2, "share_left": 1 - 2 / 3,
                              "n_right": 4, "unique_right": 3, "share_right": 1 - 3 / 4,
                              "detected": True}
    # rdrobust's rule (rdrobust.py: ``mass_l = 1-M_l/N_l; if mass_l>=0.2``), same floats: a
    # quarter tied is detected; 1 - 4/5 is 0.19999999999999996 in floating point, not detected
    # by rdrobust either
    four = np.array([-1.0, -1.0, -2.0, -3.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    mp = mass_points(four)
    assert mp["share_left"] == 0.25 and mp["share_right"] == 0.0
    assert MASS_SHARE == 0.2 and mp["detected"] is True
    assert mass_points(-four)["detected"] is True
    five = np.array([-1.0, -1.0, -2.0, -3.0, -4.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert mass_points(five)["share_left"] == 1 - 4 / 5 < 0.2
    assert mass_points(five)["detected"] is False
    only_right = mass_points(np.array([0.0, 1.0]))
    assert (only_right["n_left"], only_right["share_left"]) == (0, 0.0)


@pytest.mark.parametrize("mp, what", [
    ("adjust", "rdrobust's masspoints='adjust' counts distinct values in the bandwidth checks "
               "and the variance; read the estimate as an extrapolation between the values "
               "next to the cutoff"),
    ("check", "masspoints='check' only detects them: the bandwidth and variance treat tied "
              "rows as distinct. Fix: masspoints='adjust'"),
    ("off", "masspoints='off' ignores them: the bandwidth and variance treat tied rows as "
            "distinct. Fix: masspoints='adjust'"),
])
def test_mass_point_warning_word_for_word(mp, what):
    df = SENATE.assign(mf=np.floor(SENATE["margin"]))
    with pytest.warns(DataWarning) as rec:
        rd_estimate(df, y="vote", running="mf", treated_side="above", masspoints=mp)
    msgs = [str(w.message) for w in rec if issubclass(w.category, DataWarning)]
    assert msgs == ["rd_estimate: the running variable 'mf' has mass points (69 distinct "
                    "values among 595 rows on the other side, 90 among 702 on the eligible "
                    f"side); {what}."]


def test_continuous_running_variable_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rd_estimate(SENATE, y="vote", running="margin", treated_side="above")


def test_too_few_rows_for_a_bandwidth_warns():
    """rdrobust (N < 20, no h) prints a notice and uses the largest distance as h: 8 + 8 rows
    with min_obs=5 must warn, word for word, and h equal that distance."""
    x = np.r_[-np.arange(8.0) / 10, np.arange(1.0, 9.0) / 10]
    df = pd.DataFrame({"s": x, "y": x + np.sin(5 * x) + 0.3 * (x <= 0)})
    with pytest.warns(EstimationWarning) as rec:
        res = rd_estimate(df, y="y", running="s", min_obs=5)
    assert [str(w.message) for w in rec if issubclass(w.category, EstimationWarning)] == [
        "rd_estimate: rdrobust could not compute the MSE-optimal bandwidth (too few "
        "observations or distinct values) and used the largest distance to the cutoff as h. "
        "Fix: set h= explicitly and report the sensitivity (rd_bandwidths)."]
    assert "Not enough observations" in res.extras["rdrobust_stdout"]
    assert res.tidy()["h_left"].iloc[0] == pytest.approx(0.8)


def test_rdrobust_failure_is_wrapped_with_the_generic_fix():
    with pytest.raises(IdentificationError) as ei:
        rd_estimate(SENATE, y="vote", running="margin", vce="nope")
    assert str(ei.value) == (
        "data: rdrobust could not estimate the RD (vce incorrectly specified). Fix: check the "
        "running variable around the cutoff, pool more villages or years, or fix the "
        "bandwidth with h=.")


def test_discrete_failure_message_word_for_word():
    df = SENATE.assign(m20=np.floor(SENATE["margin"] / 20))
    with pytest.raises(IdentificationError) as ei:
        rd_estimate(df, y="vote", running="m20", treated_side="above")
    msg = str(ei.value)
    assert msg.startswith("data: rdrobust could not estimate the RD (")
    assert msg.endswith(
        "). The running variable 'm20' is discrete: 5 distinct values on the other side and 6 "
        "on the eligible side of the cutoff. A local polynomial RD needs many distinct values "
        "near the cutoff (Cattaneo, Idrobo & Titiunik 2024, 'A Practical Introduction to RD "
        "Designs: Extensions', on discrete running variables). Fix: use a finer running "
        "variable, or a local-randomisation analysis of the values next to the cutoff.")
    assert "\n" not in msg


# --- fuzzy ----------------------------------------------------------------------------------
def _fuzzy_world(gap: float, n: int = 3000, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    take = (rng.uniform(size=n) < np.where(x <= 0, 0.1 + gap, 0.1)).astype(float)
    return pd.DataFrame({"s": x, "t": take, "y": x + 0.5 * take + rng.normal(0, 0.3, n)})


def test_fuzzy_first_stage_equals_rdrobust():
    df = _fuzzy_world(0.6)
    res = rd_estimate(df, y="y", running="s", fuzzy="t")
    r = _direct(df.y, -df.s, fuzzy=df.t.to_numpy(float))
    _same(res, r)
    fs, se = float(np.ravel(r.tau_T)[0]), float(np.ravel(r.se_T)[0])
    assert res.extras["first_stage"] == {"jump": fs, "std_error": se, "t": fs / se}
    assert res.tidy()["first_stage"].tolist() == [fs] * 3
    assert res.method == "rd_fuzzy" and res.provenance.options["fuzzy"] == "t"
    assert res.summary().title == "Fuzzy RD at the cutoff (rdrobust)"


def test_fuzzy_weak_and_absent_first_stage():
    """t between the normal critical value and sqrt(10) warns; below it raises (messages
    word for word, numbers from rdrobust's tau_T / se_T called directly)."""
    for seed in range(40):
        df = _fuzzy_world(0.12, n=1500, seed=seed)
        r = _direct(df.y, -df.s, fuzzy=df.t.to_numpy(float))
        t = float(np.ravel(r.tau_T)[0]) / float(np.ravel(r.se_T)[0])
        if 1.96 < abs(t) < 3.1:
            break
    else:  # pragma: no cover
        pytest.fail("no seed with a weak first stage")
    with pytest.warns(EstimationWarning) as rec:
        rd_estimate(df, y="y", running="s", fuzzy="t")
    fs = float(np.ravel(r.tau_T)[0])
    assert [str(w.message) for w in rec] == [
        f"rd_estimate: weak first stage (jump {fs:.3f}, t = {t:.2f} < sqrt(10)); fuzzy RD "
        "intervals are unreliable."]
    # stacklevel 2: the warning points at the caller, not at rd.py (also under mutmut)
    assert not rec[0].filename.endswith(str(Path("impact", "rd.py")))
    # with alpha = 0.001 the same t is below the critical value 3.29: not identified
    se = float(np.ravel(r.se_T)[0])
    with pytest.raises(IdentificationError) as ei:
        rd_estimate(df, y="y", running="s", fuzzy="t", alpha=0.001)
    r2 = _direct(df.y, -df.s, fuzzy=df.t.to_numpy(float), level=99.9)
    fs2, se2 = float(np.ravel(r2.tau_T)[0]), float(np.ravel(r2.se_T)[0])
    assert (fs2, se2) == (fs, se)
    assert str(ei.value) == (
        f"data: the treatment 't' does not change at the cutoff: first-stage jump {fs:.4f} "
        f"(se {se:.4f}, t = {fs / se:.2f}) within the bandwidth. The fuzzy RD divides by this "
        "jump and is not identified. Fix: report the sharp (intention-to-treat) RD instead, or "
        "check that take-up depends on eligibility.")


def test_fuzzy_strong_first_stage_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rd_estimate(_fuzzy_world(0.6), y="y", running="s", fuzzy="t")


def test_fuzzy_degenerate_first_stage_from_rdrobust():
    """A take-up that is constant on each side and jumps by only 1e-12 passes our variance
    check (np.var > 0) but rdrobust refuses it: its ValueError must come back as the
    "does not change" IdentificationError, not the generic wrapper."""
    df = _fuzzy_world(0.6).assign(t=lambda d: np.where(d["s"] <= 0, 1.0, 1.0 + 1e-12))
    with pytest.raises(IdentificationError) as ei:
        rd_estimate(df, y="y", running="s", fuzzy="t")
    assert str(ei.value) == (
        "data: the treatment does not change at the cutoff (rdrobust: Fuzzy RD: first-stage "
        "variable has no variation and no jump at the cutoff. The fuzzy estimator is not "
        "identified.). Fix: estimate the sharp RD, or check the take-up variable.")


def test_fuzzy_constant_treatment_message():
    df = _fuzzy_world(0.6).assign(t=1.0)
    with pytest.raises(IdentificationError) as ei:
        rd_estimate(df, y="y", running="s", fuzzy="t")
    assert str(ei.value) == (
        "data: column 't' is 1 for all 3000 rows, so the treatment does not change at the "
        "cutoff and the fuzzy RD is not identified. Fix: check the take-up variable, or "
        "estimate the sharp (intention-to-treat) RD without fuzzy=.")


# --- density --------------------------------------------------------------------------------
def test_density_equals_rddensity_and_result_shape():
    with contextlib.redirect_stdout(io.StringIO()):
        r = rddensity(-SENATE["margin"].to_numpy(float), c=0, massPoints=True, p=3)
    res = rd_density(SENATE, running="margin", p=3, alpha=0.1)
    t = res.tidy().iloc[0]
    diff, tj = float(r.hat["diff"]), float(r.test["t_jk"])
    se = abs(diff / tj)
    assert t["term"] == "density_jump"
    assert t["estimate"] == diff and t["statistic"] == pytest.approx(tj, rel=RTOL)
    assert t["std_error"] == pytest.approx(se, rel=RTOL)
    assert t["p_value"] == float(r.test["p_jk"])
    assert t["conf_low"] == pytest.approx(diff - 1.6448536269514722 * se, rel=RTOL)
    assert t["conf_high"] == pytest.approx(diff + 1.6448536269514722 * se, rel=RTOL)
    assert t["n_obs"] == int(r.n["full"]) == 1390
    assert (t["density_left"], t["density_right"]) == (float(r.hat["left"]),
                                                         float(r.hat["right"]))
    assert (t["h_left"], t["h_right"]) == (float(r.h["left"]), float(r.h["right"]))
    assert (t["n_h_left"], t["n_h_right"]) == (int(r.n["eff_left"]), int(r.n["eff_right"]))
    mp = mass_points(-SENATE["margin"].to_numpy(float))
    assert (t["n_unique_left"], t["n_unique_right"]) == (mp["unique_left"], mp["unique_right"])
    assert res.provenance.options == {"cutoff": 0.0, "treated_side": "below",
                                      "masspoints": "adjust",
                                      "rddensity": res.provenance.options["rddensity"], "p": 3}
    assert res.provenance.n_used == 1390 and res.provenance.dropped == {}
    assert res.summary().title == "Density (manipulation) test at the cutoff (rddensity)"
    assert res.extras["rddensity"].hat["diff"] == r.hat["diff"]
    assert res.extras["mass_points"] == mp
    assert res.method == "rd_density" and res.provenance.n_input == 1390
    gaps = SENATE.assign(margin=SENATE["margin"].where(SENATE.index % 50 != 0))
    res2 = rd_density(gaps, running="margin")
    assert res2.provenance.dropped == {"missing margin": 28}
    assert res2.provenance.n_used == 1390 - 28 and res2.provenance.n_input == 1390


def test_density_parameters_and_min_unique_boundary():
    df = SENATE.assign(mf=np.floor(SENATE["margin"]))     # 72 | 92 distinct (all 1390 rows)
    mp = mass_points(df["mf"].to_numpy(float))
    few = min(mp["unique_left"], mp["unique_right"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        rd_density(df, running="mf", treated_side="above", min_unique=few)
    with pytest.warns(DataWarning) as rec:
        rd_density(df, running="mf", treated_side="above", min_unique=few + 1)
    assert [str(w.message) for w in rec] == [
        f"rd_density: the running variable 'mf' has mass points ({mp['unique_left']} distinct "
        f"values among {mp['n_left']} rows on the other side, {mp['unique_right']} among "
        f"{mp['n_right']} on the eligible side); with fewer than {few + 1} distinct values on a "
        "side the density test compares a few bars of a histogram and its p-value is not "
        "reliable. Fix: inspect the histogram of the values next to the cutoff (a binomial "
        "test of the two values closest to it) instead of this test."]
    with pytest.raises(ParameterError, match=re.escape(
            "The 'massPoints' parameter of rd_density is set with masspoints='adjust' or "
            "'off'. Got massPoints= instead.")):
        rd_density(df, running="mf", massPoints=False)
    with pytest.raises(ParameterError, match=re.escape(
            "The 'min_unique' parameter of rd_density must be an integer >= 2. Got 1 instead.")):
        rd_density(df, running="mf", min_unique=1)
    with pytest.raises(ParameterError, match=re.escape("Got 30.0 instead")):
        rd_density(df, running="mf", min_unique=30.0)
    rd_density(SENATE, running="margin", min_unique=2)
    with pytest.raises(ParameterError, match="The 'masspoints' parameter of rd_density"):
        rd_density(df, running="mf", masspoints="check")
    with pytest.raises(IdentificationError, match=re.escape(
            "data: rddensity could not estimate the RD (")):
        rd_density(SENATE, running="margin", kernel="nope")


# --- balance, placebo, bandwidths -----------------------------------------------------------
def test_balance_rows_are_rd_estimate_rows():
    kw = {"running": "margin", "treated_side": "above", "kernel": "uniform"}
    res = rd_balance(SENATE, covariates=["population", "dmidterm"], row="Conventional",
                     alpha=0.1, **kw)
    t = res.tidy()
    assert t["term"].tolist() == ["population", "dmidterm"]
    for i, c in enumerate(["population", "dmidterm"]):
        one = rd_estimate(SENATE, y=c, alpha=0.1, **kw).tidy().set_index("term")
        row = one.loc["Conventional"]
        for col in ("estimate", "std_error", "p_value", "conf_low", "conf_high", "h_left",
                    "n_h_right", "n_obs"):
            assert t[col].iloc[i] == row[col], (c, col)
    assert res.method == "rd_balance" and res.alpha == 0.1
    assert res.provenance.options == {"cutoff": 0.0, "row": "Conventional"}
    assert res.summary().title == "Covariate balance at the cutoff (rdrobust)"
    with pytest.raises(ParameterError, match="The 'row' parameter of rd_balance"):
        rd_balance(SENATE, covariates=["population"], running="margin", row="robust")


def test_placebo_uses_only_its_own_side():
    res = rd_placebo(SENATE, y="vote", running="margin", treated_side="above",
                     placebo=[-10.0, 10.0], row="Bias-Corrected", kernel="uniform")
    t = res.tidy()
    assert t["term"].tolist() == ["placebo -10", "placebo +10"]
    for i, c in enumerate((-10.0, 10.0)):
        side = S[S.margin >= 0] if c > 0 else S[S.margin < 0]
        r = _direct(side.vote, side.margin, c=c, kernel="uni")
        assert t["estimate"].iloc[i] == pytest.approx(np.ravel(r.coef)[1], rel=RTOL)
        assert t["conf_high"].iloc[i] == pytest.approx(np.asarray(r.ci)[1, 1], rel=RTOL)
        assert t["n_obs"].iloc[i] == sum(int(v) for v in r.N_h)
    assert res.provenance.options == {"cutoff": 0.0, "placebo": [-10.0, 10.0],
                                      "row": "Bias-Corrected"}
    assert res.summary().title == "RD at placebo cutoffs (rdrobust)"
    for bad in ([], [0.0, 1.0]):
        with pytest.raises(ParameterError, match=re.escape(
                "The 'placebo' parameter of rd_placebo must be a non-empty list of non-zero "
                f"cutoffs (normalised units). Got {bad!r} instead.")):
            rd_placebo(SENATE, y="vote", running="margin", placebo=bad)
    with pytest.raises(ParameterError, match="The 'row' parameter of rd_placebo"):
        rd_placebo(SENATE, y="vote", running="margin", placebo=[1.0], row="x")


def test_bandwidths_scale_h_and_b_of_the_base_fit():
    res = rd_bandwidths(SENATE, y="vote", running="margin", treated_side="above",
                        multipliers=(0.5, 2), row="Conventional", kernel="epanechnikov",
                        h=15.0, b=25.0, alpha=0.1)
    t = res.tidy().set_index("term")
    assert t.index.tolist() == ["h x0.5", "h x2"] and t["multiplier"].tolist() == [0.5, 2.0]
    for m in (0.5, 2.0):
        r = _direct(S.vote, S.margin, kernel="epa", h=15.0 * m, b=25.0 * m, level=90)
        row = t.loc[f"h x{m:g}"]
        assert (row["h_left"], row["b_right"]) == (15.0 * m, 25.0 * m)
        coef, se, ci = np.ravel(r.coef), np.ravel(r.se), np.asarray(r.ci)
        assert row["estimate"] == pytest.approx(coef[0], rel=RTOL)
        assert row["conventional"] == pytest.approx(coef[0], rel=RTOL)
        assert row["conventional_se"] == pytest.approx(se[0], rel=RTOL)
        assert row["conventional_low"] == pytest.approx(ci[0, 0], rel=RTOL)
        assert row["conventional_high"] == pytest.approx(ci[0, 1], rel=RTOL)
    o = res.provenance.options
    assert (o["row"], o["multipliers"], o["h0"], o["b0"]) == ("Conventional", [0.5, 2.0],
                                                              15.0, 25.0)
    assert o["kernel"] == "epanechnikov"
    assert res.provenance.n_used == 1297 and res.provenance.dropped == {"missing vote": 93}
    assert res.extras["base"].provenance.options["h"] == 15.0
    assert res.alpha == 0.1 and res.provenance.method == "rd_bandwidths"
    assert res.provenance.inputs_hash == res.extras["base"].provenance.inputs_hash
    assert res.summary().title == "RD bandwidth sensitivity (Conventional, rdrobust)"
    assert "statistic" in res.tidy().columns      # recomputed by tidy(), not carried
    for bad in ((), (1.0, 0.0), ("1",)):
        with pytest.raises(ParameterError, match=re.escape(
                "The 'multipliers' parameter of rd_bandwidths must be a non-empty list of "
                "positive numbers.")):
            rd_bandwidths(SENATE, y="vote", running="margin", multipliers=bad)
    with pytest.raises(ParameterError, match="The 'row' parameter of rd_bandwidths"):
        rd_bandwidths(SENATE, y="vote", running="margin", row="x")


def test_bandwidths_x1_row_is_the_base_fit_and_robust_by_default():
    res = rd_bandwidths(SENATE, y="vote", running="margin", treated_side="above",
                        multipliers=(1.0,))
    base = res.extras["base"].tidy().set_index("term")
    row = res.tidy().iloc[0]
    for col in ("estimate", "std_error", "conf_low", "conf_high", "p_value", "h_left"):
        assert row[col] == base.loc["Robust", col]
    assert res.alpha == 0.05 and res.method == "rd_bandwidths"


# --- plot -----------------------------------------------------------------------------------
def test_plot_draws_rdplot_bins_and_fits():
    with contextlib.redirect_stdout(io.StringIO()):
        r = rdrobust.rdplot(S.vote.to_numpy(float), S.margin.to_numpy(float), c=0, p=3,
                            nbins=[10, 12], hide=True)
    fig = rd_plot(SENATE, y="vote", running="margin", treated_side="above", p=3,
                  nbins=[10, 12])
    ax = fig.axes[0]
    pts = ax.collections[0].get_offsets()
    np.testing.assert_allclose(pts[:, 0], r.vars_bins["rdplot_mean_x"], rtol=RTOL)
    np.testing.assert_allclose(pts[:, 1], r.vars_bins["rdplot_mean_y"], rtol=RTOL)
    assert len(pts) == 22
    vp = r.vars_poly
    left, right, cut = ax.lines
    np.testing.assert_allclose(left.get_ydata(), vp.loc[vp.rdplot_x < 0, "rdplot_y"], rtol=RTOL)
    np.testing.assert_allclose(right.get_xdata(), vp.loc[vp.rdplot_x > 0, "rdplot_x"],
                               rtol=RTOL)
    assert list(cut.get_xdata()) == [0, 0]
    assert left.get_linewidth() == right.get_linewidth() == 1.5
    assert left.get_color() == right.get_color() == "C3"
    np.testing.assert_allclose(ax.collections[0].get_facecolor()[0],
                               matplotlib.colors.to_rgba("C0"))
    assert ax.get_xlabel() == "margin: distance to cutoff (eligible side > 0)"
    assert ax.get_ylabel() == "vote"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["bin means"]
    fig2 = rd_plot(SENATE, y="vote", running="margin", xlabel="X", ylabel="Y", ax=ax)
    assert fig2 is fig and ax.get_xlabel() == "X" and ax.get_ylabel() == "Y"
    # on an axis that already holds a scatter, the bin means are still drawn in C0
    import matplotlib.pyplot as plt
    fig3, ax3 = plt.subplots()
    ax3.scatter([0.0], [0.0])
    rd_plot(SENATE, y="vote", running="margin", ax=ax3, nbins=[10, 12])
    np.testing.assert_allclose(ax3.collections[1].get_facecolor()[0],
                               matplotlib.colors.to_rgba("C0"))
    plt.close("all")
    with pytest.raises(IdentificationError, match="data: rdplot could not estimate the RD"):
        rd_plot(SENATE, y="vote", running="margin", binselect="nope")


# --- multiple cutoffs -----------------------------------------------------------------------
def test_multi_cutoff_options_reach_rdmc():
    from rdmulti import rdmc
    mc = pd.read_csv(REF / "simdata_multic.csv")
    res = rd_multi_cutoff(mc, y="y", running="x", cutoff="c", treated_side="above",
                          kernel="uniform", bwselect="msetwo", vce="hc1", masspoints="off",
                          alpha=0.1)
    k = 2
    pooled = "p=1, kernel='uni', bwselect='msetwo', vce='hc1', masspoints='off', level=90.0"
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = rdmc(mc.y.to_numpy(float), mc.x.to_numpy(float), mc.c.to_numpy(float),
                 pooled_opt=pooled, pvec=np.repeat(1, k), kernelvec=np.repeat("uni", k),
                 bwselectvec=np.repeat("msetwo", k), vcevec=np.repeat("hc1", k),
                 masspointsvec=np.repeat("off", k), level=90.0)

    def f(name):
        v = getattr(r, name)
        return np.asarray(v[0] if isinstance(v, tuple) else v, dtype=float)
    t = res.tidy()
    np.testing.assert_allclose(t["estimate"], f("B").ravel(), rtol=RTOL)
    np.testing.assert_allclose(t["conventional"], f("Coefs").ravel(), rtol=RTOL)
    np.testing.assert_allclose(t["conf_high"], f("CI")[1], rtol=RTOL)
    np.testing.assert_allclose(t["h_right"].iloc[[0, 1, 3]], f("H")[1][[0, 1, 3]], rtol=RTOL)
    assert np.isnan(t["h_left"].iloc[2]) and np.isnan(t["h_right"].iloc[2])
    assert t["n_obs"].tolist() == (f("Nh")[0] + f("Nh")[1]).astype(int).tolist()
    assert t["cutoff"].iloc[:2].tolist() == [33.0, 66.0] and t["cutoff"].iloc[2:].isna().all()
    assert t["weight"].iloc[2:].isna().all()
    o = res.provenance.options
    assert {k_: o[k_] for k_ in ("cutoff", "treated_side", "p", "kernel", "bwselect", "vce",
                                 "masspoints", "fuzzy", "cluster", "weights")} == {
        "cutoff": "c", "treated_side": "above", "p": 1, "kernel": "uniform",
        "bwselect": "msetwo", "vce": "hc1", "masspoints": "off", "fuzzy": None,
        "cluster": None, "weights": None}
    assert res.provenance.n_used == 2000 and res.method == "rd_multi_cutoff"
    assert res.extras["failed_cutoffs"] == [] and res.extras["rdmc_stdout"] != ""
    assert res.summary().title == "RD with multiple cutoffs (rdmulti::rdmc)"
    assert list(t.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                               "conf_low", "conf_high", "n_obs", "cutoff", "weight",
                               "conventional", "h_left", "h_right", "n_h_left", "n_h_right"]
    assert res.extras["rdmc"] is not None and hasattr(res.extras["rdmc"], "cfail")
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", o["rdmulti"])
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", o["rdrobust"])


def test_multi_cutoff_discrete_running_variable_masspoints_reach_rdmc():
    """floor(x): mass points at both cutoffs; masspoints='off' must reach every rdrobust call
    (rdmc called directly with the same options) and the DataWarning names 'off'."""
    from rdmulti import rdmc
    mc = pd.read_csv(REF / "simdata_multic.csv").assign(x=lambda d: np.floor(d["x"]))
    with pytest.warns(DataWarning, match=re.escape(
            "rd_multi_cutoff: the running variable 'x' has mass points (")) as rec:
        res = rd_multi_cutoff(mc, y="y", running="x", cutoff="c", treated_side="above",
                              masspoints="off")
    assert "masspoints='off' ignores them" in str(rec[0].message)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = rdmc(mc.y.to_numpy(float), mc.x.to_numpy(float), mc.c.to_numpy(float),
                 pooled_opt="p=1, kernel='tri', bwselect='mserd', vce='nn', "
                            "masspoints='off', level=95.0",
                 pvec=np.repeat(1, 2), kernelvec=np.repeat("tri", 2),
                 bwselectvec=np.repeat("mserd", 2), vcevec=np.repeat("nn", 2),
                 masspointsvec=np.repeat("off", 2), level=95.0)
    B = np.asarray(r.B[0] if isinstance(r.B, tuple) else r.B, dtype=float).ravel()
    np.testing.assert_allclose(res.tidy()["estimate"], B, rtol=RTOL)


def test_multi_cutoff_discrete_failure_names_the_distinct_values():
    mc = pd.read_csv(REF / "simdata_multic.csv").assign(x=lambda d: np.floor(d["x"] / 10) * 10)
    with pytest.raises(IdentificationError, match=r"data: rdmulti\.rdmc could not estimate the "
                                                  r"RD \(.*\)\. The running variable 'x' is "
                                                  r"discrete: \d+ distinct values"):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", treated_side="above")


def test_multi_cutoff_parameter_errors():
    mc = pd.read_csv(REF / "simdata_multic.csv")
    with pytest.raises(ParameterError, match="The 'kernel' parameter of rd_multi_cutoff"):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", kernel="gauss")
    with pytest.raises(ParameterError, match="The 'treated_side' parameter of rd_multi_cutoff"):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", treated_side="left")
    with pytest.raises(ParameterError, match="The 'masspoints' parameter of rd_multi_cutoff"):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", masspoints="yes")
    with pytest.raises(ParameterError, match=re.escape(
            "The 'p' parameter of rd_multi_cutoff must be an integer in 0..4. Got 5 instead.")):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", p=5)
    with pytest.raises(ParameterError, match=re.escape(
            "The 'cutoff' parameter of rd_multi_cutoff must name the column of cutoffs. Got "
            "33.0 instead (one cutoff: use rd_estimate).")):
        rd_multi_cutoff(mc, y="y", running="x", cutoff=33.0)
    with pytest.raises(IdentificationError, match=re.escape(
            "data: rdmulti.rdmc could not estimate the RD (")):
        rd_multi_cutoff(mc, y="y", running="x", cutoff="c", vce="nope")


# ==============================================================================================
# Fresh seeded sample (seed 19, helper mutL, session 10): survivors of 100 of 1,998 mutants.
# ==============================================================================================
def test_placebo_left_of_the_cutoff_excludes_rows_on_the_cutoff_and_result_shape():
    """Rows exactly on the cutoff are eligible (z = 0 >= 0), so a placebo on the other side
    (c < 0) must not see them: adding such rows leaves it unchanged. Kills
    x_rd_placebo__mutmut_79 (`_z <= 0`); the stacked result's method, provenance and a fresh
    row index (x__stack__mutmut_16, _21); the missing-column message names rd_placebo (_45)."""
    on = S.head(15).assign(margin=0.0)
    a = rd_placebo(S, y="vote", running="margin", placebo=[-10, -20])
    b = rd_placebo(pd.concat([S, on], ignore_index=True), y="vote", running="margin",
                   placebo=[-10, -20])
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert a.method == "rd_placebo" and a.provenance.method == "rd_placebo"
    assert a.tidy().index.tolist() == [0, 1]
    assert rd_bandwidths(S, y="vote", running="margin", multipliers=(0.5, 1.0)).tidy(
    ).index.tolist() == list(range(2))
    with pytest.raises(ParameterError) as e:
        rd_placebo(S, y="nope", running="margin", placebo=[-10])
    assert str(e.value) == ("The 'y' parameter of rd_placebo must name a column of data. Got "
                            "'nope' instead.")


def test_density_inputs_hash_side_check_message_and_plot_marker_size():
    """Kills x_rd_density__mutmut_255 (hash of None), _80 (table name of the side check) and
    x_rd_plot__mutmut_85 (bin means drawn at size 12)."""
    from kassaki_eval.results import hash_frame
    assert rd_density(SENATE, running="margin").provenance.inputs_hash == hash_frame(SENATE)
    few = pd.concat([SENATE[SENATE["margin"] > 0], SENATE[SENATE["margin"] < 0].head(10)])
    with pytest.raises(IdentificationError) as e:
        rd_density(few, running="margin")
    assert str(e.value).startswith("data: column 'margin' has only 10 rows (10 distinct "
                                   "values) on the eligible (treated) side of the cutoff;")
    import matplotlib.pyplot as plt
    fig = rd_plot(S, y="vote", running="margin")
    assert fig.axes[0].collections[0].get_sizes().tolist() == [12.0]
    plt.close(fig)
