"""render_figure crops PNG and SVG to the box matplotlib's ``bbox_inches="tight"`` gives.

The box is computed once per figure and language (``blocks._tight_bbox``) instead of once per
format; these tests hold it to matplotlib's own "tight" crop (reference: matplotlib's
``print_figure``), within one pixel at 200 dpi and 3 pt in the SVG (less than half its
7.2 pt padding).
"""
from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from kassaki_eval.reporting.blocks import _tight_bbox, render_figure  # noqa: E402


def _figure(lang: str):
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    axes[0].plot(np.arange(10), np.arange(10) ** 2)
    axes[0].set_title("Kemiskinan per kecamatan" if lang == "id" else "Poverty by kecamatan")
    axes[1].barh(["Pangkajene", "Liukang Tupabbiring Utara"], [0.12, 0.2])
    axes[1].set_xlabel("persen" if lang == "id" else "percent")
    fig.suptitle("A long title that reaches beyond the axes on both sides of the figure")
    fig.tight_layout()
    return fig


def _png_size(data: bytes) -> tuple[int, int]:
    from PIL import Image
    return Image.open(io.BytesIO(data)).size


def _viewbox(svg: str) -> np.ndarray:
    m = re.search(r'viewBox="([^"]+)"', svg)
    assert m, "no viewBox in the SVG"
    return np.array([float(x) for x in m.group(1).split()])


@pytest.mark.parametrize("lang", ["id", "en"])
def test_crop_equals_matplotlibs_tight_crop(lang):
    fig = render_figure("f", "fig.caption", [lang], _figure)
    ref = _figure(lang)
    png, svg = io.BytesIO(), io.StringIO()
    ref.savefig(png, format="png", dpi=200, bbox_inches="tight")
    with matplotlib.rc_context({"svg.fonttype": "path"}):  # as render_figure
        ref.savefig(svg, format="svg", bbox_inches="tight")
    plt.close(ref)
    w, h = _png_size(fig.png[lang])
    rw, rh = _png_size(png.getvalue())
    assert abs(w - rw) <= 1 and abs(h - rh) <= 1, ((w, h), (rw, rh))
    # the SVG backend measures text at 72 dpi, the box is measured at 200: within 3 pt,
    # less than half the 0.1-inch (7.2 pt) padding, so nothing is cut off
    assert np.abs(_viewbox(fig.svg[lang]) - _viewbox(svg.getvalue())).max() <= 3.0


def test_tight_box_contains_the_suptitle_outside_the_axes():
    fig = _figure("en")
    box = _tight_bbox(fig)
    title = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    plt.close(fig)
    # the box is in inches; the title's extent in display pixels at the figure's dpi
    assert box.y1 * fig.dpi >= title.y1 and box.x0 * fig.dpi <= title.x0
