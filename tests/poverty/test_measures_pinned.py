"""kassaki_eval.poverty.measures: behaviour areas of the seed-23 sample (issue 18, session 14).

change's provenance (which rows it says it used), the incidence-curve plot's default title
for both kinds of input, and poverty_lines for a district other than the default. Expected
values: the reference CSV files in data/reference/<district>/, hash_frame of the rows named,
and the title rule of plot_incidence_curve's docstring.
"""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.poverty import SurveyDesign, change, incidence_curve, poverty_lines
from kassaki_eval.poverty.measures import plot_incidence_curve
from kassaki_eval.results import hash_frame

matplotlib.use("Agg", force=False)

SPEC = {"weight": "w", "strata": "st", "psu": "psu"}


def _waves() -> pd.DataFrame:
    """Two waves of 8 households (2 strata x 2 PSUs x 2), the same PSUs in both."""
    base = pd.DataFrame({"st": [1, 1, 1, 1, 2, 2, 2, 2], "psu": [1, 1, 2, 2, 3, 3, 4, 4],
                         "w": [1.0, 2.0, 1.0, 1.5, 2.0, 1.0, 1.0, 3.0]})
    a = base.assign(year=2023, c=[100.0, 300.0, 450.0, 600.0, 200.0, 520.0, 380.0, 700.0])
    b = base.assign(year=2024, c=[150.0, 320.0, 480.0, 650.0, 260.0, 540.0, 400.0, 720.0])
    return pd.concat([a, b], ignore_index=True)


def test_change_provenance_names_the_rows_of_the_two_years():
    """inputs_hash is hash_frame of the rows of the two years only (a third year in the table
    changes n_input and dropped, not the hash; a changed row of the two years changes it);
    n_input counts the whole table, n_used the two waves (8 + 8)."""
    both = _waves()
    r = change(both, "c", line=400.0, years=(2023, 2024), design=SPEC, size=None)
    p = r.provenance
    assert p.inputs_hash == hash_frame(both) and len(p.inputs_hash) == 64
    assert (p.n_input, p.n_used, dict(p.dropped)) == (16, 16, {"years other than 2023, 2024": 0})
    extra = pd.concat([both, both[both["year"] == 2023].assign(year=2022)], ignore_index=True)
    r3 = change(extra, "c", line=400.0, years=(2023, 2024), design=SPEC, size=None)
    p3 = r3.provenance
    assert p3.inputs_hash == p.inputs_hash
    assert (p3.n_input, p3.n_used, dict(p3.dropped)) == (24, 16,
                                                         {"years other than 2023, 2024": 8})
    moved = both.copy()
    moved.loc[15, "c"] = 721.0
    r4 = change(moved, "c", line=400.0, years=(2023, 2024), design=SPEC, size=None)
    assert r4.provenance.inputs_hash != p.inputs_hash
    assert r4.estimates.tolist() == r.estimates.tolist()   # 720 -> 721 stays above the line


def _curve_frame(groups=("all",)) -> pd.DataFrame:
    rows = [{"group": g, "line": z, "p0": p, "conf_low": p - 0.05, "conf_high": p + 0.05}
            for g in groups for z, p in ((1.0, 0.1), (2.0, 0.2))]
    return pd.DataFrame(rows)


def test_incidence_curve_title_gives_the_band_level_for_both_inputs():
    """A DataFrame's band is taken as 95 % ("(95 % CI)"); an EstimateResult gives 1 - alpha
    ("(90 % CI)" for alpha = 0.1); a title given replaces the default. A legend only with more
    than one group, one entry per group in order."""
    import matplotlib.pyplot as plt
    fig = plot_incidence_curve(_curve_frame())
    assert fig.axes[0].get_title() == "Poverty incidence curve (95 % CI)"
    assert fig.axes[0].get_legend() is None
    plt.close(fig)
    d = SurveyDesign(_waves()[lambda x: x["year"] == 2023], **SPEC)
    cur = incidence_curve(d, "c", lines=[300.0, 500.0], alpha=0.1)
    fig = plot_incidence_curve(cur)
    assert fig.axes[0].get_title() == "Poverty incidence curve (90 % CI)"
    plt.close(fig)
    fig = plot_incidence_curve(_curve_frame(("b", "a")), title="Pangkep")
    ax = fig.axes[0]
    assert ax.get_title() == "Pangkep"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["b", "a"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [10.0, 20.0])
    plt.close(fig)


@pytest.mark.parametrize("district, first", [("parepare", 436025), ("pangkep", 420000)])
def test_poverty_lines_of_a_named_district_are_that_districts_table(district, first):
    """poverty_lines(district=) is data/reference/<district>/poverty_lines.csv (first line:
    Parepare's 2023 stand-in Rp436,025, Pangkep's Rp420,000), whatever the default district;
    years= keeps those years with a fresh index."""
    got = poverty_lines(district=district)
    pd.testing.assert_frame_equal(got, reference.poverty_lines(district))
    assert got["line_rp_pc_month"].iloc[0] == first
    y24 = poverty_lines(years=[2024], district=district)
    want = reference.poverty_lines(district)
    pd.testing.assert_frame_equal(y24, want[want["year"] == 2024].reset_index(drop=True))
