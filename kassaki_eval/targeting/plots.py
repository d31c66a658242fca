"""Figures of targeting performance. Every function returns a ``matplotlib.figure.Figure``.

- :func:`targeting_curve` -- share of the poor covered against the share of the population
  targeted as the cutoff moves, one line per rule, with the perfect and the random rule.
- :func:`performance_triangle` -- coverage, incidence and generosity of each programme on
  three axes (Grosh et al. 2022, ch. 7, figure 7.5), from :func:`triangle_indicators`.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..exceptions import ParameterError
from ._common import col as _col

__all__ = ["curve_points", "targeting_curve", "triangle_indicators", "performance_triangle"]


def curve_points(score: Any, poor: Any, weight: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(share of population targeted, share of poor covered) as the cutoff moves up ``score``.

    Examples
    --------
    >>> x, y = curve_points([1, 2, 3, 4], [1, 1, 0, 0])
    >>> y.tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0]
    """
    s = np.asarray(score, dtype=float)
    p = np.asarray(poor).astype(float)
    w = np.ones(len(s)) if weight is None else np.asarray(weight, dtype=float)
    s = np.where(np.isnan(s), np.inf, s)  # unscored households come last
    o = np.argsort(s, kind="stable")
    x = np.concatenate([[0.0], np.cumsum(w[o]) / w.sum()])
    wp = np.sum(w * p)
    y = np.concatenate([[0.0], np.cumsum((w * p)[o]) / wp]) if wp > 0 else np.zeros(len(s) + 1)
    return x, y


def targeting_curve(
    data: pd.DataFrame,
    scores: Mapping[str, Any],
    *,
    poverty_line: float,
    welfare: str | Any = "consumption_pc",
    weight: str | Any | None = "weight",
    size: str | Any | None = None,
    ax: Any = None,
) -> Figure:
    """Targeting-accuracy curve for several scores (lower = poorer).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 21, 25], "pmt": [7, 5, 12, 20, 14, 30]})
    >>> fig = targeting_curve(df, {"PMT": "pmt"}, poverty_line=20, weight=None)
    >>> len(fig.axes)
    1
    """
    if not scores:
        raise ParameterError(
            f"The 'scores' parameter of targeting_curve must name at least one rule. "
            f"Got {scores!r} instead."
        )
    y = _col(data, welfare, "welfare").astype(float)
    w = np.ones(len(data)) if weight is None else _col(data, weight, "weight").astype(float)
    if size is not None:
        w = w * _col(data, size, "size").astype(float)
    poor = y < poverty_line
    if ax is None:
        import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it)

        fig = plt.figure(figsize=(5.5, 5))
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    for name, spec in scores.items():
        x, c = curve_points(_col(data, spec, name), poor, w)
        ax.plot(x, c, label=str(name), lw=1.6)
    x, c = curve_points(y, poor, w)
    ax.plot(x, c, color="black", ls="--", lw=1, label="perfect (true welfare)")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1, label="random")
    ax.set_xlabel("share of population targeted")
    ax.set_ylabel("share of the poor covered")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Targeting accuracy")
    return fig


def triangle_indicators(
    data: pd.DataFrame,
    *,
    benefit: str | Any,
    poverty_line: float,
    welfare: str | Any = "consumption_pc",
    size: str | Any = "hh_size",
    weight: str | Any | None = "weight",
) -> dict[str, float]:
    """Coverage of the poor, incidence on the poor and generosity (person-weighted).

    - coverage: share of poor people living in a beneficiary household;
    - incidence: share of the benefit amount received by poor households;
    - generosity: mean benefit per capita of poor beneficiaries over their mean consumption.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"consumption_pc": [10, 10, 30], "hh_size": 1, "b": [5, 0, 5]})
    >>> triangle_indicators(df, benefit="b", poverty_line=20, weight=None)
    {'coverage': 0.5, 'incidence': 0.5, 'generosity': 0.5}
    """
    y = _col(data, welfare, "welfare").astype(float)
    m = _col(data, size, "size").astype(float)
    b = _col(data, benefit, "benefit").astype(float)
    wh = np.ones(len(data)) if weight is None else _col(data, weight, "weight").astype(float)
    wp = wh * m
    poor = y < poverty_line
    rec = b > 0
    cov = float(np.sum(wp * poor * rec) / np.sum(wp * poor))
    inc = float(np.sum(wh * b * poor) / np.sum(wh * b))
    pr = poor & rec
    gen = (
        float(np.sum(wp[pr] * b[pr] / m[pr]) / np.sum(wp[pr] * y[pr])) if pr.any() else float("nan")
    )
    return {"coverage": cov, "incidence": inc, "generosity": gen}


def performance_triangle(
    indicators: Mapping[str, Mapping[str, float]], *, ax: Any = None
) -> Figure:
    """Radar ("performance triangle") of coverage, incidence and generosity per programme.

    Examples
    --------
    >>> fig = performance_triangle({"A": {"coverage": .6, "incidence": .3, "generosity": .1},
    ...                             "B": {"coverage": .2, "incidence": .7, "generosity": .3}})
    >>> len(fig.axes)
    1
    """
    keys = ["coverage", "incidence", "generosity"]
    if not indicators:
        raise ParameterError(
            "The 'indicators' parameter of performance_triangle must hold at least one "
            f"programme. Got {indicators!r} instead."
        )
    ang = np.pi / 2 + np.arange(3) * 2 * np.pi / 3
    if ax is None:
        import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it)

        fig = plt.figure(figsize=(5.5, 5))
        ax = fig.add_subplot(1, 1, 1, projection="polar")
    else:
        fig = ax.figure
    for name, vals in indicators.items():
        missing = [k for k in keys if k not in vals]
        if missing:
            raise ParameterError(
                f"The 'indicators' parameter of performance_triangle must give {keys} for "
                f"each programme. Got {sorted(vals)} for {name!r} instead."
            )
        r = [float(vals[k]) for k in keys]
        ax.plot(np.append(ang, ang[0]), r + r[:1], lw=1.6, label=str(name))
        ax.fill(np.append(ang, ang[0]), r + r[:1], alpha=0.15)
    ax.set_xticks(ang)
    ax.set_xticklabels(keys)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper right", bbox_to_anchor=(1.25, 1.1), fontsize=8)
    ax.set_title("Performance triangle")
    return fig
