"""impact/staggered.py, the seed-23 unseen sample (session 14): two behaviour areas its
survivors showed unpinned.

- An aggregation's provenance carries the ATT(g,t) result's counts (rows read, rows used, rows
  dropped and why, inputs hash): the report's "n used" line and the manifest read them from the
  aggregated result.
- The panel DR / outcome-regression path with a covariate runs without any warning of any kind
  (a deprecated numpy call would surface as a DeprecationWarning in a user's notebook).

mpdta: R did's panel (tests/references/did/README.md), 500 counties x 5 years = 2,500 rows.
"""
import warnings

import numpy as np
import pytest

from kassaki_eval.impact.staggered import aggregate, callaway_santanna

KW = {"y": "lemp", "unit": "countyreal", "time": "year", "cohort": "first.treat"}


@pytest.mark.parametrize("kind", ["simple", "dynamic", "group", "calendar"])
def test_aggregation_provenance_carries_the_att_gt_counts(mpdta, kind):
    """3 missing outcomes in rows 1, 2 (county of rows 0-4) and 11 (county of rows 10-14):
    2 counties leave the balanced panel, 2,500 - 2 x 5 = 2,490 rows used (counted by hand)."""
    m = mpdta.copy()
    m.loc[[1, 2, 11], "lemp"] = np.nan
    res = callaway_santanna(m, **KW)
    agg = aggregate(res, kind)
    p, q = agg.provenance, res.provenance
    assert (p.n_input, p.n_used) == (2500, 2490)
    assert dict(p.dropped) == {"missing lemp": 3,
                               "units not observed in every period (panel='balance')": 2}
    assert p.inputs_hash == q.inputs_hash and len(p.inputs_hash) > 0
    assert p.method == f"aggregate_{kind}"
    assert (agg.tidy()["n_obs"] == 2490).all()


@pytest.mark.parametrize("method", ["dr", "reg"])
def test_outcome_regression_with_a_covariate_raises_no_warning(mpdta, method):
    """Every cohort of mpdta has 100+ counties and the never-treated 309, so no small-sample or
    overlap warning applies; any warning here would come from the computation itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = callaway_santanna(mpdta, **KW, method=method, covariates=["lpop"])
    tab = res.tidy()
    assert len(tab) == 12 and np.isfinite(tab["estimate"]).all()   # 3 cohorts x 4 periods
