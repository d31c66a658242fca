"""Village-map figures: behaviour areas of the session-14 seed-21 sample (issue 18).

See docs/MUTATION.md, "poverty/sae/plots.py: fresh sample, seed 21". ``village_table`` is
replaced by hand-made tables (as in test_sae_plots_pinned.py); expected values follow from
``plot_village_map``'s code and matplotlib's colour-bar rule (``shrink`` scales the bar's length
relative to the space of the axes it is attached to, centred).
"""
from __future__ import annotations

import sys
import types

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest

from kassaki_eval.poverty.sae import plots as P

matplotlib.use("Agg")

ONE = pd.DataFrame({"village_code": ["73.10.05.2001"], "name": ["A"], "kecamatan": ["Bungoro"],
                    "zone": ["mainland"], "measure": ["p1"], "estimate": [0.2],
                    "method": ["EBP"], "reliability": ["reliable"]})
SIX = pd.DataFrame({
    "village_code": ["73.10.05.2002", "73.10.05.2001", "73.10.09.1001", "73.10.02.2001",
                     "73.10.02.2002", "73.10.02.2003"],
    "kecamatan": ["Bungoro", "Bungoro", "Labakkang", "Pulau", "Pulau", "Pulau"],
    "zone": ["mainland", "mainland", "mainland", "island", "island", "island"],
    "measure": "p0", "estimate": [0.10, 0.40, 0.20, 0.05, 0.30, 0.25],
    "method": "EBP", "reliability": "reliable"})


@pytest.fixture
def use(monkeypatch):
    def _use(table):
        monkeypatch.setattr(P, "village_table", lambda result, measure=None: table.copy())
    monkeypatch.setattr(P, "BOUNDARY_FILE", "no_such_file.gpkg")
    yield _use
    plt.close("all")


class _Frame(pd.DataFrame):
    @property
    def _constructor(self):
        return _Frame

    def plot(self, **kw):
        return kw.get("ax")


def test_choropleth_title_is_the_measure_of_a_one_village_table(use, monkeypatch, tmp_path):
    """The title names the table's measure (every row has the same one), also when the
    district has a single village."""
    use(ONE)
    geo = types.ModuleType("geopandas")
    geo.read_file = lambda path: _Frame({"kode_desa": ["73.10.05.2001"], "geometry": ["g"]})
    monkeypatch.setitem(sys.modules, "geopandas", geo)
    fig = P.plot_village_map(None, boundary=tmp_path / "b.gpkg")
    assert fig.axes[0].get_title() == "p1 by village"


def test_colour_bar_is_six_tenths_of_the_panels_height_right_of_every_panel(use):
    """One row of four panels in the default subplot box (bottom 0.11, top 0.88): the bar is
    0.6 x 0.77 high, centred (from 0.11 + 0.2 x 0.77), to the right of all four panels."""
    use(SIX)
    fig = P.plot_village_map(None)
    panels, cbar = fig.axes[:4], fig.axes[4]
    box = cbar.get_position()
    lo = min(a.get_position(original=True).y0 for a in panels)
    hi = max(a.get_position(original=True).y1 for a in panels)
    assert (lo, hi) == pytest.approx((0.11, 0.88))
    assert box.height == pytest.approx(0.6 * 0.77)
    assert box.y0 == pytest.approx(0.11 + 0.2 * 0.77)
    assert box.x0 > max(a.get_position(original=True).x1 for a in panels)
