"""The village-map figures pinned (issue 18, session 9, mutmut survivors of sae/plots.py).

The figures draw what ``village_table`` gives; here it is replaced by a hand-made table of six
villages in three kecamatan (two mainland, one island), so every tile, colour, hatch, label,
limit and title can be worked out by hand from the rules in ``plot_village_map``'s code and
the module docstring (tiles in rows of ceil(sqrt(n)), mainland panels first, colour on a 0-to-
max scale, dashed grey edges for villages without a sample, hatching for caution / unreliable).
See docs/MUTATION.md, "poverty/sae/plots.py".
"""
from __future__ import annotations

import math
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib import colors

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.poverty.sae import plots as P

matplotlib.use("Agg")

TABLE = pd.DataFrame({
    # panels: by zone ("island" sorts before "mainland"), then by the first village code
    "village_code": ["73.10.05.2002", "73.10.05.2001", "73.10.09.1001", "73.10.02.2001",
                     "73.10.02.2002", "73.10.02.2003"],
    "name": list("ABCDEF"),
    "kecamatan": ["Bungoro", "Bungoro", "Labakkang", "Pulau", "Pulau", "Pulau"],
    "zone": ["mainland", "mainland", "mainland", "island", "island", "island"],
    "measure": "p0",
    "estimate": [0.10, 0.40, 0.20, 0.05, 0.30, 0.25],
    "method": ["FH", "FH", "synthetic", "FH", "FH", "synthetic"],
    "reliability": ["reliable", "caution", "reliable", "unreliable", "reliable", "reliable"],
    "direct": [0.12, 0.35, np.nan, 0.02, 0.33, np.nan],
})


@pytest.fixture
def table(monkeypatch):
    seen = []

    def fake(result, measure=None):
        seen.append((result, measure))
        return TABLE.copy()

    monkeypatch.setattr(P, "village_table", fake)
    # no boundary file: the schematic map (a district folder without village_boundaries.gpkg)
    monkeypatch.setattr(P, "BOUNDARY_FILE", "no_such_file.gpkg")
    yield seen
    plt.close("all")


def _tiles(ax):
    return [p for p in ax.patches if isinstance(p, plt.Rectangle)]


def test_schematic_map_panels_tiles_and_labels(table):
    fig = P.plot_village_map("RESULT", measure="p1")
    assert table == [("RESULT", "p1")]
    axes = fig.axes
    # 3 kecamatan in 4 columns: one row of 4 panels, then the colour bar's axis
    assert len(axes) == 5
    assert tuple(fig.get_size_inches()) == pytest.approx((12.8, 2.6))
    titles = [a.get_title() for a in axes[:4]]
    # island kecamatan first, then the mainland ones by their first village code
    assert titles == ["Pulau (island)", "Bungoro (mainland)", "Labakkang (mainland)", ""]
    assert [a.title.get_fontsize() for a in axes[:3]] == [8, 8, 8]
    assert all(not a.axison for a in axes[:4])          # axes hidden, the 4th panel empty
    assert len(axes[3].patches) == 0 and len(axes[3].texts) == 0
    norm = colors.Normalize(vmin=0, vmax=0.40)
    cm = plt.get_cmap("YlOrRd")
    # Bungoro: villages sorted by code (2001 then 2002), 2 tiles -> rows of ceil(sqrt 2) = 2
    b = _tiles(axes[1])
    assert [t.get_xy() for t in b] == [(0, 0), (1, 0)]
    assert [(t.get_width(), t.get_height()) for t in b] == [(0.95, 0.95)] * 2
    assert b[0].get_facecolor() == pytest.approx(cm(norm(0.40)))
    assert b[1].get_facecolor() == pytest.approx(cm(norm(0.10)))
    assert [t.get_hatch() for t in b] == ["//", ""]    # caution: //, reliable: none
    assert [t.get_linestyle() for t in b] == ["-", "-"]
    assert b[0].get_edgecolor() == pytest.approx(colors.to_rgba("black"))
    assert [t.get_linewidth() for t in b] == [0.6, 0.6]
    assert [(t.get_text(), t.get_position()) for t in axes[1].texts] == [
        ("40", (0.47, 0.47)), ("10", (1.47, 0.47))]
    assert all(t.get_fontsize() == 6 and t.get_ha() == "center" and t.get_va() == "center"
               for t in axes[1].texts)
    assert axes[1].get_xlim() == pytest.approx((-0.1, 2.1))
    assert axes[1].get_ylim() == pytest.approx((-1 + 0.9, 1.05))     # one row of tiles
    assert axes[1].get_aspect() == 1.0
    # Labakkang: a village without a sample (synthetic): dashed grey edge
    (c,) = _tiles(axes[2])
    assert c.get_linestyle() == "--" and c.get_edgecolor() == pytest.approx(
        colors.to_rgba("grey"))
    assert c.get_xy() == (0, 0) and axes[2].get_xlim() == pytest.approx((-0.1, 1.1))
    # Pulau: 3 tiles in rows of ceil(sqrt 3) = 2: (0, 0), (1, 0), (0, -1); unreliable: xx
    p = _tiles(axes[0])
    assert [t.get_xy() for t in p] == [(0, 0), (1, 0), (0, -1)]
    assert [t.get_hatch() for t in p] == ["xx", "", ""]
    assert [t.get_text() for t in axes[0].texts] == ["5", "30", "25"]
    assert axes[0].texts[2].get_position() == (0.47, -1 + 0.47)
    assert axes[0].get_ylim() == pytest.approx((-2 + 0.9, 1.05))
    # colour bar and the default title
    cbar = axes[4]
    assert cbar.get_ylabel() == "estimate"
    assert cbar.get_ylim() == pytest.approx((0.0, 0.40))
    assert fig._suptitle.get_text() == (
        "Village estimates (schematic: tiles = villages, grouped by kecamatan; dashed = not "
        "sampled; hatched = caution / unreliable)")
    assert fig._suptitle.get_fontsize() == 9


def test_schematic_map_title_cmap_and_a_second_row(table, monkeypatch):
    # five kecamatan: two rows of four panels, the last three empty
    t5 = pd.DataFrame({"village_code": [f"73.10.0{i}.2001" for i in range(1, 6)],
                       "kecamatan": list("VWXYZ"), "zone": "mainland", "measure": "p0",
                       "estimate": [0.1, 0.2, 0.3, 0.4, 0.5], "method": "FH",
                       "reliability": "reliable"})
    monkeypatch.setattr(P, "village_table", lambda result, measure=None: t5)
    fig = P.plot_village_map(None, cmap="Blues", title="Peta")
    assert fig._suptitle.get_text() == "Peta"
    assert tuple(fig.get_size_inches()) == pytest.approx((12.8, 5.2))
    assert len(fig.axes) == 9
    assert [a.get_title() for a in fig.axes[:8]] == [f"{k} (mainland)" for k in "VWXYZ"] + [""] * 3
    assert all(not a.axison for a in fig.axes[5:8])
    (tile,) = _tiles(fig.axes[4])
    assert tile.get_facecolor() == pytest.approx(plt.get_cmap("Blues")(1.0))


def test_schematic_map_all_zero_and_no_reliability_column(table, monkeypatch):
    t0 = TABLE.drop(columns="reliability").assign(estimate=0.0)
    monkeypatch.setattr(P, "village_table", lambda result, measure=None: t0)
    fig = P.plot_village_map(None)
    # every estimate 0: the scale runs to 1e-9 (not 0/0); no reliability column: no hatch
    assert fig.axes[4].get_ylim() == pytest.approx((0.0, 1e-9))
    assert all(t.get_hatch() == "" for a in fig.axes[:3] for t in _tiles(a))
    assert _tiles(fig.axes[1])[0].get_facecolor() == pytest.approx(plt.get_cmap("YlOrRd")(0.0))


def test_schematic_map_needs_the_districts_villages(table, monkeypatch):
    msg = ("plot_village_map needs village codes of the district reference (column "
           "'village_code' with names and kecamatan).")
    for t in (TABLE.drop(columns="kecamatan"), TABLE.assign(kecamatan=None)):
        monkeypatch.setattr(P, "village_table", lambda result, measure=None, t=t: t)
        with pytest.raises(ParameterError) as e:
            P.plot_village_map(None)
        assert str(e.value) == msg


def test_boundary_file_of_the_district_is_looked_up(table, monkeypatch, tmp_path):
    """With ``village_boundaries.gpkg`` in the district folder the map is a choropleth, which
    needs geopandas (not a dependency of kassaki-eval): the error proves the file was taken."""
    monkeypatch.setitem(sys.modules, "geopandas", None)   # as without geopandas, installed or not
    from kassaki_eval import config
    from kassaki_eval.exceptions import OptionalDependencyError
    (tmp_path / "b.gpkg").write_bytes(b"")
    monkeypatch.setattr(P, "BOUNDARY_FILE", "b.gpkg")
    monkeypatch.setattr(config, "district_dir", lambda d: tmp_path)
    with pytest.raises(OptionalDependencyError) as e:
        P.plot_village_map(None)
    assert str(e.value) == ("plot_village_map(boundary=...) needs geopandas: pip install "
                            "geopandas")


# -- plot_direct_vs_model ---------------------------------------------------------------

def test_direct_vs_model_points_line_and_labels(table):
    fig = P.plot_direct_vs_model("RES", measure="p2")
    assert table == [("RES", "p2")]
    assert tuple(fig.get_size_inches()) == (4.5, 4.5)
    ax = fig.axes[0]
    (pts,) = ax.collections
    # sampled villages only (direct not missing), in the table's order
    np.testing.assert_allclose(pts.get_offsets(),
                               [[0.12, 0.10], [0.35, 0.40], [0.02, 0.05], [0.33, 0.30]])
    assert pts.get_sizes().tolist() == [12]
    (line,) = ax.get_lines()
    hi = 0.40 * 1.05            # the larger of the largest direct (0.35) and model (0.40)
    np.testing.assert_allclose(line.get_xdata(), [0, hi])
    np.testing.assert_allclose(line.get_ydata(), [0, hi])
    assert line.get_color() == "grey" and line.get_linewidth() == 0.8
    assert ax.get_xlabel() == "direct estimate" and ax.get_ylabel() == "model estimate"
    assert ax.get_title() == "Direct vs model (sampled villages)"


def test_direct_vs_model_with_given_direct_and_axis(table, monkeypatch):
    t = TABLE.drop(columns="direct")
    monkeypatch.setattr(P, "village_table", lambda result, measure=None: t)
    with pytest.raises(ParameterError) as e:
        P.plot_direct_vs_model(None)
    assert str(e.value) == ("The 'direct' parameter of plot_direct_vs_model must be given for "
                            "an EBP result (a Series indexed by village code). Got None.")
    fig0, ax = plt.subplots()
    # direct given by village code, in another order and with a village the table lacks
    direct = pd.Series({"73.10.02.2002": 0.9, "73.10.05.2001": 0.5, "73.99.99.9999": 0.7})
    assert P.plot_direct_vs_model(None, direct=direct, ax=ax) is fig0
    np.testing.assert_allclose(ax.collections[0].get_offsets(), [[0.5, 0.40], [0.9, 0.30]])
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [0, 0.9 * 1.05])
    assert math.isclose(ax.get_lines()[0].get_ydata()[1], 0.945)


# -- the choropleth, with a stand-in for geopandas ------------------------------------------

class _FakeFrame(pd.DataFrame):
    """What plot_village_map uses of a GeoDataFrame: merge (a frame of this class) and plot."""

    calls: list = []

    @property
    def _constructor(self):
        return _FakeFrame

    def plot(self, **kw):   # GeoDataFrame.plot(column=..., ax=..., ...)
        _FakeFrame.calls.append((pd.DataFrame(self), kw))
        return kw.get("ax")


@pytest.fixture
def fake_geopandas(monkeypatch, tmp_path):
    """geopandas is not a dependency of kassaki-eval; this stand-in records what the
    choropleth asks of it: the file read, the merge and the plot arguments."""
    import sys
    import types
    read = []
    boundary = _FakeFrame({"kode_desa": ["73.10.05.2001", "73.10.09.1001", "73.99.99.9999"],
                           "geometry": ["g1", "g2", "g3"]})
    mod = types.ModuleType("geopandas")

    def read_file(path):
        read.append(path)
        return boundary.copy()

    mod.read_file = read_file
    monkeypatch.setitem(sys.modules, "geopandas", mod)
    _FakeFrame.calls = []
    return read


def test_choropleth_reads_merges_and_plots(table, fake_geopandas, tmp_path):
    f = tmp_path / "desa.gpkg"
    fig = P.plot_village_map("R", boundary=f, cmap="Greens")
    assert fake_geopandas == [f]
    (frame, kw), = _FakeFrame.calls
    # every polygon kept (a left merge on the Kemendagri code), the estimate joined to it
    assert frame["kode_desa"].tolist() == ["73.10.05.2001", "73.10.09.1001", "73.99.99.9999"]
    assert frame["estimate"].tolist()[:2] == [0.40, 0.20] and np.isnan(frame["estimate"][2])
    ax = kw.pop("ax")
    norm = kw.pop("norm")
    assert (norm.vmin, norm.vmax) == (0, 0.40)
    assert kw == {"column": "estimate", "cmap": "Greens", "edgecolor": "grey",
                  "linewidth": 0.3, "missing_kwds": {"color": "lightgrey"}}
    assert ax.figure is fig and tuple(fig.get_size_inches()) == (8.0, 9.0)
    assert not ax.axison and ax.get_title() == "p0 by village"
    # a table without a measure column; a title; a given axis
    fig0, ax0 = plt.subplots()
    t = TABLE.drop(columns="measure")
    P.village_table = lambda result, measure=None: t    # (the fixture restores it)
    assert P.plot_village_map(None, boundary=f, ax=ax0) is fig0
    assert ax0.get_title() == " by village"
    P.plot_village_map(None, boundary=f, ax=ax0, title="Peta desa")
    assert ax0.get_title() == "Peta desa"


def test_choropleth_code_column(table, fake_geopandas, tmp_path):
    with pytest.raises(ParameterError) as e:
        P.plot_village_map(None, boundary=tmp_path / "d.gpkg", code_column="KODE")
    assert str(e.value) == ("The 'code_column' parameter of plot_village_map must name a column "
                            "of the boundary file. Got 'KODE'; columns are ['kode_desa', "
                            "'geometry'].")


def test_schematic_map_colour_bar_scale_and_percent_labels(table, monkeypatch):
    t = TABLE.assign(estimate=[0.10, 0.99, 0.20, 0.05, 0.30, 0.25])
    monkeypatch.setattr(P, "village_table", lambda result, measure=None: t)
    fig = P.plot_village_map(None, cmap="Purples")
    # labels are 100 x estimate, no decimals (99, not 100)
    assert [x.get_text() for x in fig.axes[1].texts] == ["99", "10"]
    cbar = fig.axes[4]
    assert cbar._colorbar.cmap.name == "Purples"                  # the tiles' colours
