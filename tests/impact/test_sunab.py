"""Sun & Abraham (2021) interaction-weighted event study: diff-diff's SunAbraham on mpdta
(tests/references/eventstudy/make_sunab_refs.py), recovery of heterogeneous dynamic effects
where the dynamic TWFE regression is contaminated, and clear errors."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import EstimationWarning, IdentificationError, ParameterError
from kassaki_eval.impact.staggered import callaway_santanna
from kassaki_eval.impact.sunab import sun_abraham

REFS = Path(__file__).resolve().parents[1] / "references"


def test_mpdta_equals_diffdiff(mpdta):
    """diff-diff 3.13.0 SunAbraham (never-treated controls, CR1 by county): overall ATT and
    e = -4..3 estimates to 1e-10 absolute, standard errors to 1e-8 relative (measured: 1e-13),
    interaction weights to 1e-12."""
    ref = pd.read_csv(REFS / "eventstudy" / "sunab_mpdta_diffdiff.csv")
    ref = ref[ref["config"] == "never"]
    r = sun_abraham(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    t = r.tidy().set_index("term")
    est = ref[~ref["term"].str.startswith("w(")].set_index("term")
    assert list(t.index) == list(est.index)
    np.testing.assert_allclose(t["estimate"], est["estimate"], atol=1e-10)
    np.testing.assert_allclose(t["std_error"], est["std_error"], rtol=1e-8)
    ce = r.extras["cohort_effects"]
    for term, w in ref[ref["term"].str.startswith("w(")][["term", "estimate"]].itertuples(
            index=False):
        g, e = (int(v) for v in term[2:-1].split(","))
        row = ce[(ce["cohort"] == g) & (ce["event_time"] == e)]
        assert float(row["iw_weight"].iloc[0]) == pytest.approx(w, abs=1e-12)
    # with one cohort per relative period (e = 2, 3: only the 2004 cohort) the IW estimate
    # is the regression coefficient, which equals C&S's ATT(2004, t) with never-treated
    # controls and universal base (same 2x2 comparison against 2003)
    cs = callaway_santanna(mpdta, y="lemp", unit="countyreal", time="year",
                           cohort="first.treat", method="reg", base_period="universal")
    assert t.loc["e=3", "estimate"] == pytest.approx(cs["ATT(2004,2007)"], abs=1e-10)


@pytest.mark.peers
def test_mpdta_diffdiff_live(mpdta):
    """The same comparison against an installed diff-diff (peers lock)."""
    dd = pytest.importorskip("diff_diff")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = dd.SunAbraham().fit(mpdta, outcome="lemp", unit="countyreal", time="year",
                                first_treat="first.treat")
    r = sun_abraham(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    assert r["ATT"] == pytest.approx(s.overall_att, abs=1e-10)
    for e, v in s.event_study_effects.items():
        assert r[f"e={e}"] == pytest.approx(v["effect"], abs=1e-10)


def _heterogeneous_panel(seed: int) -> tuple[pd.DataFrame, dict[int, float]]:
    """Cohorts 2003 and 2006 (and never treated), 2000-2008; effects grow with exposure and
    differ by cohort: tau(g, e) = (1 + e) * (0.5 if g == 2003 else 1.5). Returns the panel
    and the true IW target per e (cohort shares among the treated at e)."""
    rng = np.random.default_rng(seed)
    n = 900
    g = rng.choice([0, 2003, 2006], size=n, p=[0.4, 0.3, 0.3])
    rows = []
    for t in range(2000, 2009):
        e = t - g
        tau = np.where((g > 0) & (e >= 0), (1 + e) * np.where(g == 2003, 0.5, 1.5), 0.0)
        rows.append(pd.DataFrame({"u": np.arange(n), "t": t, "g": g,
                                  "y": 0.3 * np.arange(n) % 5 + 0.1 * (t - 2000) + tau
                                  + rng.normal(0, 0.2, n)}))
    df = pd.concat(rows, ignore_index=True)
    truth = {}
    for e in range(0, 3):
        sh = np.array([(g == 2003).sum(), (g == 2006).sum()], dtype=float)
        truth[e] = float((1 + e) * (0.5 * sh[0] + 1.5 * sh[1]) / sh.sum())
    return df, truth


def test_recovers_heterogeneous_dynamic_effects():
    """With effects that differ by cohort and grow with exposure, the IW estimates at
    e = 0, 1, 2 hold the true cohort-share-weighted effects within their 99.9 % intervals
    and the pre-period estimates are null (|t| < 3.3)."""
    df, truth = _heterogeneous_panel(3)
    r = sun_abraham(df, y="y", unit="u", time="t", cohort="g")
    lo_hi = r.conf_int(alpha=0.001)
    for e, v in truth.items():
        lo, hi = lo_hi.loc[f"e={e}"]
        assert lo < v < hi, (e, v, lo, hi)
    pre = r.tidy().query("event_time < 0")
    assert (pre["statistic"].abs() < 3.3).all()


def test_last_treated_control_and_errors(mpdta):
    """Without never-treated units the error names the fix; control_group='last_treated'
    uses the 2007 cohort as control and drops 2007 (SA section 4.1)."""
    treated = mpdta[mpdta["first.treat"] > 0]
    with pytest.raises(IdentificationError, match="control_group='last_treated'"):
        sun_abraham(treated, y="lemp", unit="countyreal", time="year", cohort="first.treat")
    r = sun_abraham(treated, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                    control_group="last_treated")
    assert r.provenance.dropped["periods from the last cohort's treatment (2007) on"] == 191
    assert "e=3" not in r.terms and "e=2" in r.terms
    with pytest.warns(EstimationWarning, match="cohort\\(s\\) 2004 have no observed reference"):
        sun_abraham(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                    anticipation=1)
    with pytest.raises(ParameterError, match="The 'control_group' parameter of sun_abraham"):
        sun_abraham(mpdta, y="lemp", unit="countyreal", time="year", cohort="first.treat",
                    control_group="notyet")
    with pytest.raises(ParameterError, match="repeat a"):
        sun_abraham(pd.concat([mpdta, mpdta.head(3)]), y="lemp", unit="countyreal",
                    time="year", cohort="first.treat")
