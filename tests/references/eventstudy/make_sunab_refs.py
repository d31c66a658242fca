"""Sun-Abraham reference values on mpdta from diff-diff (a peer implementation).

Run from the repository root with the peers installed (``make peers``):

    .venv/bin/python tests/references/eventstudy/make_sunab_refs.py > tests/references/eventstudy/sunab_output.txt

Data: ``tests/references/did/mpdta.csv`` (R did's mpdta: 500 counties 2003-2007, cohorts
2004, 2006, 2007 and never treated; see tests/references/did/README.md).

Writes ``sunab_mpdta_diffdiff.csv`` with columns ``config, term, estimate, std_error``
(``term``: ``ATT`` or ``e=<k>``) from ``diff_diff.SunAbraham(...).fit(...)``: analytic
cluster-robust (by county) standard errors, never-treated controls, no bootstrap, config
``never``, and ``cohort_weights`` rows (``term`` ``w(g,e)``) with diff-diff's interaction
weights. Three more configs (session 7, issue 18): ``cluster`` (clusters ``cl = countyreal %
37``, 37 clusters of several counties), ``last_treated`` (SA section 4.1's control group, built
for diff-diff by hand: the 2007 cohort recoded as never treated and the years from 2007 on
dropped; kassaki_eval's ``control_group='last_treated'`` on the full mpdta must equal it) and
``anticipation1`` (mpdta without the 2004 cohort, ``anticipation=1``: reference period e = -2).
(With ``anticipation=1`` on all of mpdta diff-diff keeps the 2004 cohort, whose reference period
2002 is not observed, and resolves the collinearity by dropping one dummy: e = 2 and the
overall ATT come out NaN. kassaki_eval drops that cohort with a warning instead; that
configuration is not a usable reference.)
"""
from __future__ import annotations

import warnings
from importlib.metadata import version
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
MPDTA = HERE.parent / "did" / "mpdta.csv"


def main() -> pd.DataFrame:
    import diff_diff as dd
    warnings.filterwarnings("ignore")
    m = pd.read_csv(MPDTA)
    print(f"diff-diff {version('diff-diff')}")
    rows = []
    m["cl"] = m["countyreal"] % 37
    last = m.copy()
    last.loc[last["first.treat"] == 2007, "first.treat"] = 0
    last = last[last["year"] < 2007]
    configs = (("never", m, 0, None), ("cluster", m, 0, "cl"), ("last_treated", last, 0, None),
               ("anticipation1", m[m["first.treat"] != 2004], 1, None))
    for config, data, antic, cl in configs:
        r = dd.SunAbraham(control_group="never_treated", anticipation=antic, cluster=cl).fit(
            data, outcome="lemp", unit="countyreal", time="year", first_treat="first.treat")
        print(f"\n### {config}")
        print(r.summary())
        rows.append((config, "ATT", r.overall_att, r.overall_se))
        for e, v in sorted(r.event_study_effects.items()):
            rows.append((config, f"e={e}", v["effect"], v["se"]))
        for e, ws in sorted(r.cohort_weights.items()):
            for g, w in sorted(ws.items()):
                rows.append((config, f"w({int(g)},{e})", w, float("nan")))
    out = pd.DataFrame(rows, columns=["config", "term", "estimate", "std_error"])
    out.to_csv(HERE / "sunab_mpdta_diffdiff.csv", index=False, float_format="%.17g")
    return out


if __name__ == "__main__":
    main()
