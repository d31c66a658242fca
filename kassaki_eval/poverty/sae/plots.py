"""Figures of the village poverty map: a schematic map and direct-vs-model estimates.

No boundary file is shipped with kassaki-eval. :func:`plot_village_map` therefore draws a
*schematic* map by default: one tile per village, grouped in panels by kecamatan (four panels a
row: the island kecamatan first -- Pangkep's four fill the first row -- then the mainland ones,
each by its first village code), coloured by the estimate and hatched when the estimate is not
reliable. With a boundary file -- ``boundary=`` or, when that
is not given, ``data/reference/<district>/village_boundaries.gpkg`` if it exists -- (village
polygons with a Kemendagri village code column; official sources: the Badan Informasi
Geospasial's administrative boundaries "Batas Wilayah Kelurahan/Desa" at tanahair.indonesia.go.id,
or BPS's village map (peta wilayah kerja statistik) on request from BPS Kabupaten Pangkep) it
draws a real choropleth with geopandas, imported only then (not a dependency of kassaki-eval).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...exceptions import OptionalDependencyError, ParameterError
from ...results import EstimateResult
from .diagnostics import village_table

__all__ = ["plot_village_map", "plot_direct_vs_model", "BOUNDARY_FILE"]

#: File name looked up in ``data/reference/<district>/`` for the choropleth.
BOUNDARY_FILE = "village_boundaries.gpkg"


def plot_village_map(result: EstimateResult, *, measure: str | None = None,
                     boundary: str | Path | None = None, code_column: str = "kode_desa",
                     ax: Any = None, cmap: str = "YlOrRd", title: str | None = None) -> Any:
    """Village map of an estimate (schematic by default; choropleth with ``boundary``).

    Parameters
    ----------
    result : EstimateResult
        From :func:`~kassaki_eval.poverty.sae.ebp` or :func:`~kassaki_eval.poverty.sae.fay_herriot`.
    measure : str, optional
        Indicator of an EBP result (``p0`` by default).
    boundary : path, optional
        Village polygons; needs geopandas (``pip install geopandas``). Default: the district's
        ``village_boundaries.gpkg`` when present, else the schematic map.
    code_column : str
        Column of the boundary file holding the Kemendagri village code ``73.10.KK.NNNN``.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    from matplotlib import colors
    from matplotlib.cm import ScalarMappable
    from matplotlib.patches import Rectangle

    tab = village_table(result, measure)
    if boundary is None:
        from ... import config
        cand = config.district_dir(None) / BOUNDARY_FILE
        boundary = cand if cand.exists() else None
    if "kecamatan" not in tab.columns or tab["kecamatan"].isna().all():
        raise ParameterError("plot_village_map needs village codes of the district reference "
                             "(column 'village_code' with names and kecamatan).")
    norm = colors.Normalize(vmin=0, vmax=max(float(tab["estimate"].max()), 1e-9))
    cm = matplotlib.colormaps.get_cmap(cmap)
    if boundary is not None:
        try:
            import geopandas as gpd
        except ImportError as e:
            raise OptionalDependencyError(
                "plot_village_map(boundary=...) needs geopandas: pip install geopandas") from e
        g = gpd.read_file(boundary)
        if code_column not in g.columns:
            raise ParameterError(f"The 'code_column' parameter of plot_village_map must name a "
                                 f"column of the boundary file. Got {code_column!r}; columns "
                                 f"are {list(g.columns)[:10]}.")
        g = g.merge(tab, left_on=code_column, right_on="village_code", how="left")
        if ax is None:
            fig = plt.figure(figsize=(8, 9))
            ax = fig.subplots()
        else:
            fig = ax.figure
        g.plot(column="estimate", cmap=cmap, norm=norm, ax=ax, edgecolor="grey", linewidth=0.3,
               missing_kwds={"color": "lightgrey"})
        ax.set_axis_off()
        ax.set_title(title or f"{tab['measure'].iloc[0] if 'measure' in tab else ''} by village")
        return fig
    kec = (tab.groupby("kecamatan", sort=False)
           .agg(zone=("zone", "first"), code=("village_code", "first"))
           .sort_values(["zone", "code"]))
    ncol = 4
    panels = list(kec.index)
    nrow = int(np.ceil(len(panels) / ncol))
    fig = plt.figure(figsize=(3.2 * ncol, 2.6 * nrow))
    axes = fig.subplots(nrow, ncol, squeeze=False)
    for i, k in enumerate(panels):
        a = axes[i // ncol][i % ncol]
        sub = tab[tab["kecamatan"] == k].sort_values("village_code")
        n = len(sub)
        w = int(np.ceil(np.sqrt(n)))
        for j, r in enumerate(sub.itertuples()):
            x, y = j % w, -(j // w)
            hatch = "" if getattr(r, "reliability", "reliable") == "reliable" else (
                "//" if r.reliability == "caution" else "xx")
            a.add_patch(Rectangle((x, y), 0.95, 0.95, facecolor=cm(norm(r.estimate)),
                                      edgecolor="black" if "synthetic" not in str(r.method)
                                      else "grey", linestyle="-" if "synthetic" not in
                                      str(r.method) else "--", hatch=hatch, linewidth=0.6))
            a.text(x + 0.47, y + 0.47, f"{100 * r.estimate:.0f}", ha="center", va="center",
                   fontsize=6)
        a.set_xlim(-0.1, w + 0.1)
        a.set_ylim(-int(np.ceil(n / w)) + 0.9, 1.05)
        a.set_aspect("equal")
        a.set_axis_off()
        a.set_title(f"{k} ({kec.loc[k, 'zone']})", fontsize=8)
    for j in range(len(panels), nrow * ncol):
        axes[j // ncol][j % ncol].set_axis_off()
    sm = ScalarMappable(norm=norm, cmap=cm)
    fig.colorbar(sm, ax=axes.ravel().tolist(), shrink=0.6, label="estimate")
    fig.suptitle(title or "Village estimates (schematic: tiles = villages, grouped by "
                 "kecamatan; dashed = not sampled; hatched = caution / unreliable)", fontsize=9)
    return fig


def plot_direct_vs_model(result: EstimateResult, *, measure: str | None = None,
                         direct: pd.Series | None = None, ax: Any = None) -> Any:
    """Direct estimates (x) against model estimates (y) for sampled villages, with the 45° line.

    Fay-Herriot results carry their direct estimates; for an EBP result pass ``direct``
    (a Series indexed by village code, e.g. ``direct_estimates(...)["direct"]``).
    """
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()

    tab = village_table(result, measure).set_index("village_code")
    d = tab["direct"] if "direct" in tab.columns else None
    if direct is not None:
        d = direct.reindex(tab.index)
    if d is None:
        raise ParameterError("The 'direct' parameter of plot_direct_vs_model must be given for "
                             "an EBP result (a Series indexed by village code). Got None.")
    ok = d.notna()
    if ax is None:
        fig = plt.figure(figsize=(4.5, 4.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    ax.scatter(d[ok], tab.loc[ok, "estimate"], s=12)
    hi = float(max(d[ok].max(), tab["estimate"].max())) * 1.05
    ax.plot([0, hi], [0, hi], color="grey", linewidth=0.8)
    ax.set_xlabel("direct estimate")
    ax.set_ylabel("model estimate")
    ax.set_title("Direct vs model (sampled villages)")
    return fig
