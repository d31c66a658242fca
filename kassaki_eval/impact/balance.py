"""Covariate balance and overlap diagnostics for the selection-on-observables estimators.

- :func:`balance_table`: means, standardised mean differences (SMD) and variance ratios
  before and after adjustment (survey-weighted), exportable like ietoolkit's ``iebaltab``
  (:meth:`BalanceTable.to_excel`, ``to_csv``, ``to_latex``).
- :func:`love_plot`, :func:`overlap_plot`: matplotlib Figures.
- :func:`trimming_table`: how many units each trimming rule drops (Crump et al. 2009
  optimal and [0.1, 0.9]; min/max common support).

The SMD uses the *unadjusted* pooled standard deviation ``sqrt((s1^2 + s0^2)/2)`` in both
columns (Austin 2009; cobalt's default), so that before and after are on one scale.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ..results import EstimateResult
from ._common import TrimRule, prepare
from ._propensity import propensity_logit, trim_mask

__all__ = ["BalanceTable", "balance_table", "love_plot", "overlap_plot", "trimming_table"]

SMD_THRESHOLD = 0.1  # conventional |SMD| threshold (Austin 2009; Stuart 2010)


def _wmean_var(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    m = np.average(x, axis=0, weights=w)
    v = np.average((x - m) ** 2, axis=0, weights=w)
    return m, v


class BalanceTable:
    """A balance table (immutable DataFrame inside) with exporters and a love plot.

    Columns: ``covariate, mean_treated, mean_control, smd, var_ratio`` and, when adjusted
    weights were given, ``mean_control_adj, smd_adj, var_ratio_adj``; plus ``n_treated``,
    ``n_control`` in :attr:`meta`.
    """

    def __init__(self, table: pd.DataFrame, meta: dict[str, Any]):
        self._table = table.reset_index(drop=True)
        self.meta = dict(meta)

    @property
    def table(self) -> pd.DataFrame:
        """A copy of the balance table."""
        return self._table.copy()

    def max_abs_smd(self, adjusted: bool = True) -> float:
        """Largest absolute standardised mean difference (adjusted if available)."""
        col = "smd_adj" if adjusted and "smd_adj" in self._table else "smd"
        return float(self._table[col].abs().max())

    def to_csv(self, path: str | Path) -> Path:
        """Write the table as CSV; return the path."""
        p = Path(path)
        self._table.to_csv(p, index=False)
        return p

    def to_excel(self, path: str | Path, sheet_name: str = "balance") -> Path:
        """Write the table to one Excel sheet; return the path."""
        p = Path(path)
        with pd.ExcelWriter(p) as xw:
            self._table.to_excel(xw, sheet_name=sheet_name, index=False)
            pd.DataFrame({"item": list(self.meta), "value": [str(v) for v in self.meta.values()]}
                         ).to_excel(xw, sheet_name="notes", index=False)
        return p

    def to_latex(self, path: str | Path | None = None) -> str:
        """The table as LaTeX, also written to ``path`` if given."""
        tex = self._table.to_latex(index=False, float_format=lambda x: f"{x:.3f}")
        if path is not None:
            Path(path).write_text(tex)
        return tex

    def love_plot(self, **kw: Any) -> Any:
        """Love plot of the standardised differences (see :func:`love_plot`)."""
        return love_plot(self, **kw)

    def __repr__(self) -> str:
        """The table as plain text."""
        return self._table.to_string(index=False, float_format=lambda x: f"{x:.3f}")

    def _repr_html_(self) -> str:
        return self._table.to_html(index=False, float_format=lambda x: f"{x:.3f}")


def balance_table(
    data: pd.DataFrame, *, treatment: str, covariates: Sequence[str],
    weights: str | None = None, adjusted: EstimateResult | np.ndarray | None = None,
) -> BalanceTable:
    """Balance of ``covariates`` between arms, before and (optionally) after adjustment.

    Parameters
    ----------
    adjusted : EstimateResult or array, optional
        A result of :func:`~kassaki_eval.impact.ps_matching`, :func:`ipw`, :func:`aipw` or
        :func:`entropy_balancing` (its ``extras['balance_weights']`` are used), or an array of
        adjustment weights aligned with ``data`` (0 = not used).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=500)})
    >>> df["d"] = (rng.uniform(size=500) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> bt = balance_table(df, treatment="d", covariates=["x"])
    >>> bt.table.columns[:3].tolist()
    ['covariate', 'mean_treated', 'mean_control']
    """
    P = prepare(data, "balance_table", y=None, treatment=treatment, covariates=covariates,
                weights=weights, cluster=None)
    d = P.d.astype(bool)
    X, w = P.X, P.w
    m1, v1 = _wmean_var(X[d], w[d])
    m0, v0 = _wmean_var(X[~d], w[~d])
    sd = np.sqrt((v1 + v0) / 2)
    sd = np.where(sd > 0, sd, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame({"covariate": P.names, "mean_treated": m1, "mean_control": m0,
                            "smd": (m1 - m0) / sd, "var_ratio": v1 / v0})
    meta: dict[str, Any] = {"n_treated": int(d.sum()), "n_control": int((~d).sum()),
                            "weights": weights or "none", "smd_denominator":
                            "unadjusted pooled sd sqrt((s1^2+s0^2)/2)"}
    if adjusted is not None:
        if isinstance(adjusted, EstimateResult):
            if "balance_weights" not in adjusted.extras:
                raise ParameterError("The 'adjusted' parameter of balance_table must be a result "
                                     "with balance weights (matching, ipw, aipw, entropy "
                                     f"balancing). Got a '{adjusted.method}' result instead.")
            bw_full = np.asarray(adjusted.extras["balance_weights"], dtype=float)
            meta["method"] = adjusted.method
        else:
            bw_full = np.asarray(adjusted, dtype=float)
        if bw_full.size != len(data):
            raise ParameterError("The 'adjusted' parameter of balance_table must have one weight "
                                 f"per row of data ({len(data)}). Got {bw_full.size} instead.")
        bw = bw_full[P.rows]
        # the estimators' balance weights already include the survey weights
        a1, a0 = bw[d], bw[~d]
        if a1.sum() <= 0 or a0.sum() <= 0:
            raise ParameterError("The 'adjusted' weights of balance_table give an arm zero "
                                 "total weight.")
        ma1, va1 = _wmean_var(X[d], a1)
        ma0, va0 = _wmean_var(X[~d], a0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["mean_treated_adj"] = ma1
            out["mean_control_adj"] = ma0
            out["smd_adj"] = (ma1 - ma0) / sd
            out["var_ratio_adj"] = va1 / va0
        meta["n_treated_adj"] = int((a1 > 0).sum())
        meta["n_control_adj"] = int((a0 > 0).sum())
    return BalanceTable(out, meta)


def love_plot(bt: BalanceTable, *, threshold: float = SMD_THRESHOLD, ax: Any = None) -> Any:
    """Dot plot of absolute SMDs before and after adjustment (a "love plot").

    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    t = bt.table
    order = np.argsort(t["smd"].abs().to_numpy())
    t = t.iloc[order]
    if ax is None:
        fig = plt.figure(figsize=(6, 0.3 * len(t) + 1.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    yy = np.arange(len(t))
    ax.scatter(t["smd"].abs(), yy, marker="o", facecolors="none", edgecolors="C3",
               label="before")
    if "smd_adj" in t:
        ax.scatter(t["smd_adj"].abs(), yy, marker="o", color="C0", label="after")
    ax.axvline(threshold, ls="--", color="grey", lw=1)
    ax.set_yticks(yy, t["covariate"])
    ax.set_xlabel("|standardised mean difference|")
    ax.legend(loc="lower right", frameon=False)
    fig.tight_layout()
    return fig


def overlap_plot(
    data: pd.DataFrame | None = None, *, treatment: str | None = None,
    covariates: Sequence[str] | None = None, weights: str | None = None,
    result: EstimateResult | None = None, bins: int = 40, ax: Any = None,
) -> Any:
    """Mirrored histograms of the propensity score by arm (treated up, comparison down).

    Pass either a fitted ``result`` (its ``extras['propensity']``) or ``data`` with
    ``treatment`` and ``covariates`` to estimate the score. Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    if result is not None and "propensity" in result.extras:
        e = np.asarray(result.extras["propensity"])
        d = np.asarray(result.extras["treatment"]).astype(bool)
    else:
        if data is None or treatment is None or covariates is None:
            raise ParameterError("The 'result' parameter of overlap_plot must hold a propensity "
                                 "score, or data/treatment/covariates must be given. Got "
                                 "neither instead.")
        P = prepare(data, "overlap_plot", y=None, treatment=treatment, covariates=covariates,
                    weights=weights, cluster=None)
        e, _ = propensity_logit(P.X, P.d, P.w, "overlap_plot")
        d = P.d.astype(bool)
    if ax is None:
        fig = plt.figure(figsize=(6, 3.5))
        ax = fig.subplots()
    else:
        fig = ax.figure
    edges = np.linspace(0, 1, bins + 1)
    h1, _ = np.histogram(e[d], edges, density=True)
    h0, _ = np.histogram(e[~d], edges, density=True)
    ctr = (edges[:-1] + edges[1:]) / 2
    ax.bar(ctr, h1, width=edges[1] - edges[0], color="C0", label="treated")
    ax.bar(ctr, -h0, width=edges[1] - edges[0], color="C1", label="comparison")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xlabel("propensity score")
    ax.set_ylabel("density (comparison mirrored)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig


def trimming_table(
    data: pd.DataFrame, *, treatment: str, covariates: Sequence[str],
    weights: str | None = None,
    rules: Sequence[TrimRule] = ("crump", "crump_fixed", "minmax"),
) -> pd.DataFrame:
    """How many units each trimming rule drops, by arm.

    Columns: ``rule, bounds, n_dropped, n_dropped_treated, n_dropped_control,
    share_dropped`` (``share`` survey-weighted when ``weights`` is given).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=500) * 2})
    >>> df["d"] = (rng.uniform(size=500) < 1 / (1 + np.exp(-df.x))).astype(int)
    >>> trimming_table(df, treatment="d", covariates=["x"])["rule"].tolist()
    ['crump', 'crump_fixed', 'minmax']
    """
    P = prepare(data, "trimming_table", y=None, treatment=treatment, covariates=covariates,
                weights=weights, cluster=None)
    e, _ = propensity_logit(P.X, P.d, P.w, "trimming_table")
    rows = []
    for rule in rules:
        keep, label = trim_mask(e, P.d, rule)
        drop = ~keep
        rows.append({"rule": rule if isinstance(rule, str) else "fixed", "bounds": label,
                     "n_dropped": int(drop.sum()),
                     "n_dropped_treated": int((drop & (P.d == 1)).sum()),
                     "n_dropped_control": int((drop & (P.d == 0)).sum()),
                     "share_dropped": float(P.w[drop].sum() / P.w.sum())})
    return pd.DataFrame(rows)
