"""Produce the committed C&S reference outputs on mpdta from maintained implementations.

Run from the repository root with the peers installed (``make peers``):

    .venv/bin/python tests/references/did/make_refs.py

Writes ``cs_mpdta_moderndid.csv`` (moderndid, a port of R did/DRDID; analytic SEs, no
bootstrap), ``cs_mpdta_csdid.csv`` (csdid, a port of Stata/R csdid; analytic SEs) and
``cs_mpdta_diffdiff.csv`` (diff-diff; analytic SEs), each with columns
``config, kind, term, estimate, std_error``. ``kind`` is ``attgt`` or an aggregation type;
``term`` is ``ATT(g,t)``, ``ATT`` (overall), ``g=..``, ``t=..`` or ``e=..`` as in
kassaki_eval.impact.staggered. ``twfe_mpdta_pyfixest.csv`` holds pyfixest's TWFE with CRV1
errors clustered by county.

mpdta.csv is moderndid's copy of R did's ``mpdta`` data (moderndid/core/datasets/
mpdta_long.pkl.gz, converted to CSV unchanged): 500 counties, 2003-2007, Callaway &
Sant'Anna (2021).
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
warnings.filterwarnings("ignore")

CONFIGS = {
    # name: (est_method, control, covariates, base_period)
    "reg_never": ("reg", "never", None, "varying"),
    "dr_never": ("dr", "never", None, "varying"),
    "dr_never_lpop": ("dr", "never", ["lpop"], "varying"),
    "ipw_never_lpop": ("ipw", "never", ["lpop"], "varying"),
    "reg_never_lpop": ("reg", "never", ["lpop"], "varying"),
    "dr_notyet_lpop": ("dr", "notyet", ["lpop"], "varying"),
    "reg_notyet": ("reg", "notyet", None, "varying"),
    "dr_never_universal": ("dr", "never", None, "universal"),
}
# the same, with sampling weights (weightsname): lpop is constant within county and > 0
WEIGHTED = {"dr_never_w": ("dr", "never", None, "varying"),
            "dr_notyet_lpop_w": ("dr", "notyet", ["lpop"], "varying")}


def _md_rows(cfg: str, res, agg) -> list[dict]:
    rows = []
    for g, t, a, s in zip(res.groups, res.times, res.att_gt, res.se_gt):
        rows.append({"config": cfg, "kind": "attgt", "term": f"ATT({g:g},{t:g})", "estimate": a,
                     "std_error": s})
    for typ, a in agg.items():
        rows.append({"config": cfg, "kind": typ, "term": "ATT", "estimate": a.overall_att,
                     "std_error": a.overall_se})
        if typ == "simple":
            continue
        pre = {"group": "g", "calendar": "t", "dynamic": "e"}[typ]
        for e, v, s in zip(a.event_times, a.att_by_event, a.se_by_event):
            rows.append({"config": cfg, "kind": typ, "term": f"{pre}={e:g}", "estimate": v,
                         "std_error": s})
    return rows


def moderndid_refs(m: pd.DataFrame) -> pd.DataFrame:
    import moderndid as md
    rows = []
    for cfg, (meth, ctrl, covs, base) in {**CONFIGS, **WEIGHTED}.items():
        res = md.att_gt(m, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                        xformla=("~" + "+".join(covs)) if covs else None, est_method=meth,
                        weightsname="lpop" if cfg in WEIGHTED else None,
                        control_group="nevertreated" if ctrl == "never" else "notyettreated",
                        base_period=base, boot=False, cband=False)
        # moderndid's aggte ignores weightsname in the cohort shares (its result has
        # weights_ind=None); R did and csdid use them, so weighted aggregations come from csdid
        agg = {} if cfg in WEIGHTED else {t: md.aggte(res, type=t, boot=False, cband=False)
                                          for t in ("simple", "group", "calendar", "dynamic")}
        rows += _md_rows(cfg, res, agg)
    return pd.DataFrame(rows)


def csdid_refs(m: pd.DataFrame) -> pd.DataFrame:
    import contextlib
    import io

    from csdid.att_gt import ATTgt
    rows = []
    for cfg in ("dr_never", "dr_never_lpop", "dr_never_w"):
        meth, ctrl, covs, base = {**CONFIGS, **WEIGHTED}[cfg]
        att = ATTgt(yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                    data=m.copy(), control_group=["nevertreated"],
                    xformla=("lemp~" + "+".join(covs)) if covs else None,
                    weights_name="lpop" if cfg in WEIGHTED else None)
        with contextlib.redirect_stdout(io.StringIO()):   # csdid prints its tables
            att.fit(est_method=meth, bstrap=False)
        if cfg in WEIGHTED:
            for typ in ("simple", "group", "calendar", "dynamic"):
                with contextlib.redirect_stdout(io.StringIO()):
                    att.aggte(typec=typ, bstrap=False)
                a = att.atte
                rows.append({"config": cfg, "kind": typ, "term": "ATT",
                             "estimate": float(a["overall_att"]), "std_error": float(a["overall_se"])})
                if typ != "simple":
                    pre = {"group": "g", "calendar": "t", "dynamic": "e"}[typ]
                    for e, v, s in zip(a["egt"], a["att_egt"], a["se_egt"]):
                        rows.append({"config": cfg, "kind": typ, "term": f"{pre}={float(e):g}",
                                     "estimate": float(v), "std_error": float(s)})
        r = att.results  # full precision (summ_attgt() rounds to 4 digits)
        for g, t, a, s in zip(r["group"], r["year"], r["att"], r["se"]):
            rows.append({"config": cfg, "kind": "attgt", "term": f"ATT({float(g):g},{float(t):g})",
                         "estimate": float(a), "std_error": float(s)})
    return pd.DataFrame(rows)


def diffdiff_refs(m: pd.DataFrame) -> pd.DataFrame:
    import diff_diff as dd
    rows = []
    for cfg in ("dr_never", "reg_never"):
        meth, ctrl, covs, base = CONFIGS[cfg]
        cs = dd.CallawaySantAnna(control_group="never_treated", estimation_method=meth)
        r = cs.fit(m, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat")
        for (g, t), eff in r.group_time_effects.items():
            rows.append({"config": cfg, "kind": "attgt", "term": f"ATT({g:g},{t:g})",
                         "estimate": eff["effect"], "std_error": eff["se"]})
    return pd.DataFrame(rows)


def diffdiff_imputation(m: pd.DataFrame) -> pd.DataFrame:
    """Borusyak-Jaravel-Spiess imputation estimator (diff-diff ImputationDiD, default
    conservative variance clustered by unit, no leave-one-out)."""
    import diff_diff as dd
    r = dd.ImputationDiD().fit(m, outcome="lemp", unit="countyreal", time="year",
                               first_treat="first.treat")
    rows = [{"term": "ATT", "estimate": r.overall_att, "std_error": r.overall_se}]
    es = r.aggregate("event_study")
    for e, a, s in zip(es.event_time, es.att, es.se):
        if e >= 0:
            rows.append({"term": f"e={e:g}", "estimate": float(a), "std_error": float(s)})
    return pd.DataFrame(rows)


def pyfixest_twfe(m: pd.DataFrame) -> pd.DataFrame:
    """TWFE with CRV1 by county, and by state (``countyreal // 1000``, 29 clusters) with the
    restricted wild cluster bootstrap p-value (B = 999, seed 4, Rademacher)."""
    import pyfixest as pf
    d = m.copy()
    d["D"] = ((d["first.treat"] > 0) & (d["year"] >= d["first.treat"])).astype(float)
    d["state"] = d["countyreal"] // 1000
    f = pf.feols("lemp ~ D | countyreal + year", d, vcov={"CRV1": "countyreal"})
    g = pf.feols("lemp ~ D | countyreal + year", d, vcov={"CRV1": "state"})
    wb = g.wildboottest(param="D", reps=999, seed=4)
    return pd.DataFrame({"term": ["ATT", "ATT"], "cluster": ["countyreal", "state"],
                         "estimate": [float(f.coef().iloc[0]), float(g.coef().iloc[0])],
                         "std_error": [float(f.se().iloc[0]), float(g.se().iloc[0])],
                         "p_wild_B999_seed4": [np.nan, float(wb["Pr(>|t|)"])]})


# --------------------------------------------------------------------------------------------
# issue 12: no never-treated units, repeated cross-sections, unbalanced panels
# --------------------------------------------------------------------------------------------
def _csdid_fit(d: pd.DataFrame, idname: str, meth: str, covs: str | None, ctrl: str, **kw):
    import contextlib
    import io

    from csdid.att_gt import ATTgt
    att = ATTgt(yname="lemp", tname="year", idname=idname, gname="first.treat", data=d.copy(),
                control_group=[ctrl], xformla=f"lemp~{covs}" if covs else None, **kw)
    with contextlib.redirect_stdout(io.StringIO()):
        att.fit(est_method=meth, bstrap=False)
    return att


def _rows_attgt(cfg: str, peer: str, groups, times, att, se) -> list[dict]:
    return [{"config": cfg, "peer": peer, "kind": "attgt", "term": f"ATT({float(g):g},{float(t):g})",
             "estimate": float(a), "std_error": float(s)} for g, t, a, s in zip(groups, times, att, se)]


def nonever_refs(m: pd.DataFrame) -> pd.DataFrame:
    """mpdta without its never-treated counties, control group not-yet-treated. csdid follows
    R did's pre_process_did (last-treated cohort 2007 recoded as comparison group, periods from
    2007 on dropped); moderndid and diff-diff instead keep cohort 2007 as a treated group and
    report its pre-period cells against earlier cohorts (recorded here for the comparison)."""
    import contextlib
    import io

    import diff_diff as dd
    import moderndid as md
    nn = m[m["first.treat"] > 0]
    rows = []
    for meth in ("dr", "reg"):
        att = _csdid_fit(nn, "countyreal", meth, None, "notyettreated")
        r = att.results
        rows += _rows_attgt(f"{meth}_notyet", "csdid", r["group"], r["year"], r["att"], r["se"])
        for typ in ("simple", "group", "dynamic"):
            with contextlib.redirect_stdout(io.StringIO()):
                att.aggte(typec=typ, bstrap=False)
            a = att.atte
            rows.append({"config": f"{meth}_notyet", "peer": "csdid", "kind": typ, "term": "ATT",
                         "estimate": float(a["overall_att"]), "std_error": float(a["overall_se"])})
            if typ != "simple":
                pre = {"group": "g", "dynamic": "e"}[typ]
                for e, v, s_ in zip(a["egt"], a["att_egt"], a["se_egt"]):
                    rows.append({"config": f"{meth}_notyet", "peer": "csdid", "kind": typ,
                                 "term": f"{pre}={float(e):g}", "estimate": float(v),
                                 "std_error": float(s_)})
        res = md.att_gt(nn, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                        est_method=meth, control_group="notyettreated", boot=False, cband=False)
        rows += _rows_attgt(f"{meth}_notyet", "moderndid", res.groups, res.times, res.att_gt, res.se_gt)
    cs = dd.CallawaySantAnna(control_group="not_yet_treated", estimation_method="dr")
    r = cs.fit(nn, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat")
    eff = [(g, t, v["effect"], v["se"]) for (g, t), v in r.group_time_effects.items()
           if np.isfinite(v["effect"])]
    rows += _rows_attgt("dr_notyet", "diff-diff", *zip(*eff))
    return pd.DataFrame(rows)


def rc_refs(m: pd.DataFrame) -> pd.DataFrame:
    """mpdta treated as repeated cross-sections (every row its own sampling unit, R did's
    panel=FALSE): moderndid and csdid, dr/ipw/reg, without covariates and with lpop."""
    import moderndid as md
    d = m.assign(obs=np.arange(len(m)) + 1)
    rows = []
    for meth in ("dr", "ipw", "reg"):
        for covs in (None, "lpop"):
            cfg = f"{meth}_never" + (f"_{covs}" if covs else "")
            res = md.att_gt(d, yname="lemp", tname="year", idname="obs", gname="first.treat",
                            est_method=meth, xformla=f"~{covs}" if covs else None, panel=False,
                            boot=False, cband=False)
            rows += _rows_attgt(cfg, "moderndid", res.groups, res.times, res.att_gt, res.se_gt)
            for typ in ("simple", "dynamic"):
                a = md.aggte(res, type=typ, boot=False, cband=False)
                rows.append({"config": cfg, "peer": "moderndid", "kind": typ, "term": "ATT",
                             "estimate": a.overall_att, "std_error": a.overall_se})
            att = _csdid_fit(d, "obs", meth, covs, "nevertreated", panel=False)
            r = att.results
            rows += _rows_attgt(cfg, "csdid", r["group"], r["year"], r["att"], r["se"])
    return pd.DataFrame(rows)


def unbalanced_refs(m: pd.DataFrame) -> pd.DataFrame:
    """mpdta with 10 % of the county-years dropped (``DataFrame.sample(frac=0.1,
    random_state=1)``), R did's allow_unbalanced_panel=TRUE through csdid (moderndid 0.2.0
    fails on this option)."""
    mu = m.drop(index=m.sample(frac=0.1, random_state=1).index)
    rows = []
    for meth, covs in (("dr", None), ("dr", "lpop"), ("ipw", "lpop"), ("reg", "lpop")):
        cfg = f"{meth}_never" + (f"_{covs}" if covs else "")
        att = _csdid_fit(mu, "countyreal", meth, covs, "nevertreated", allow_unbalanced_panel=True)
        r = att.results
        rows += _rows_attgt(cfg, "csdid", r["group"], r["year"], r["att"], r["se"])
    return pd.DataFrame(rows)


def main() -> None:
    m = pd.read_csv(HERE / "mpdta.csv")
    moderndid_refs(m).to_csv(HERE / "cs_mpdta_moderndid.csv", index=False, float_format="%.17g")
    csdid_refs(m).to_csv(HERE / "cs_mpdta_csdid.csv", index=False, float_format="%.17g")
    diffdiff_refs(m).to_csv(HERE / "cs_mpdta_diffdiff.csv", index=False, float_format="%.17g")
    diffdiff_imputation(m).to_csv(HERE / "imputation_mpdta_diffdiff.csv", index=False,
                                  float_format="%.17g")
    pyfixest_twfe(m).to_csv(HERE / "twfe_mpdta_pyfixest.csv", index=False, float_format="%.17g")


def main_issue12() -> None:
    m = pd.read_csv(HERE / "mpdta.csv")
    for name, fn in (("cs_mpdta_nonever_peers.csv", nonever_refs), ("cs_mpdta_rc_peers.csv", rc_refs),
                     ("cs_mpdta_unbalanced_csdid.csv", unbalanced_refs)):
        fn(m).to_csv(HERE / name, index=False, float_format="%.17g")


if __name__ == "__main__":
    import sys
    # `make_refs.py issue12` writes only the files added for issue 12
    main_issue12() if sys.argv[1:] == ["issue12"] else (main(), main_issue12())
