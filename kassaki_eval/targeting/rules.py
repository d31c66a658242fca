"""Comparing targeting rules under one budget.

Each rule is a score (lower = poorer: the registry desil, a PMT's predicted log consumption,
a demographic scorecard's negative points) or the universal transfer. Under the same monthly
budget ``B`` every targeted rule gives ``transfer`` Rp to the lowest-scored households until
``B / transfer`` (weighted) households are reached; the universal rule gives ``B / H`` to each
of the ``H`` households. The transfer is added to household consumption (per capita:
``transfer / hh_size``) and poverty is recomputed.

Ties at the budget boundary (coarse scores such as desil) are split evenly: every household
of the boundary score class receives the transfer with the same probability, so the budget is
spent exactly and results are expectations (FGT indices are linear in that probability).
Households with a missing score (not in the registry) are never reached by a targeted rule.

Reported per rule (``term``; person-weighted unless stated):

- ``fgt0_change``, ``fgt1_change``: post-transfer minus pre-transfer FGT(0), FGT(1);
- ``fgt0_change_per_billion``, ``fgt1_change_per_billion``: the same per Rp 1 billion a month;
- ``gap_reduction_per_rp``: reduction of the aggregate poverty gap (Rp) per Rp spent -- the
  "cost-benefit ratio" of Grosh et al. (2022, ch. 7, p. 489);
- ``poorest10_reached``: share of the poorest 10 % of people (per-capita consumption) whose
  household receives the transfer (a household counts when the midpoint of its person-weight
  share is below 10 %; NaN with an ``EstimationWarning`` when none does, i.e. when the poorest
  household alone holds 20 % of the people or more); ``poorest10_households_reached``: their
  households' weighted count;
- ``exclusion_error``: share of poor people not reached; ``budget_spent``: share of the budget
  that found a recipient.

Standard errors are linearised under the survey design, holding the poorest-10 % cut-off and
the boundary fractions fixed.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import EstimationWarning, ParameterError, Problem, SchemaError, require
from ..poverty.design import SurveyDesign
from ..results import EstimateResult, Provenance, hash_frame
from ._common import UNSET, col as _col, quantile_flag as _quantile_flag, resolve_design

__all__ = [
    "DEFAULT_POINTS",
    "demographic_scorecard",
    "budget_selection",
    "compare_rules",
    "UNIVERSAL",
]

#: Points of the simple demographic scorecard (more points = higher priority).
DEFAULT_POINTS: dict[str, float] = {
    "elderly": 1.0,
    "child": 1.0,
    "max_children": 3,
    "female_head": 1.0,
}

#: Name that marks the universal transfer in ``compare_rules(rules=...)``.
UNIVERSAL = "universal"


def demographic_scorecard(
    data: pd.DataFrame, points: Mapping[str, float] | None = None
) -> np.ndarray:
    """A simple categorical scorecard: points for elderly members, children and a female head.

    ``points`` keys: ``elderly`` (if any member is 65+), ``child`` (per child under 15, up to
    ``max_children``), ``female_head``. Returns minus the points, so that, like every score
    here, lower means higher priority.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"n_elderly": [1, 0], "n_children": [5, 0], "head_sex": ["F", "M"]})
    >>> demographic_scorecard(df).tolist()
    [-5.0, -0.0]
    """
    p = {**DEFAULT_POINTS, **(points or {})}
    for c in ("n_elderly", "n_children", "head_sex"):
        if c not in data.columns:
            raise SchemaError(
                [
                    Problem(
                        "survey",
                        c,
                        "is missing",
                        len(data),
                        (),
                        "the demographic scorecard needs n_elderly, n_children and head_sex",
                    )
                ]
            )
    pts = (p["elderly"] * (data["n_elderly"].to_numpy() > 0)
           + p["child"] * np.minimum(data["n_children"].to_numpy(), p["max_children"])
           + p["female_head"] * (data["head_sex"].astype(str).to_numpy() == "F"))
    return -pts.astype(float)


def budget_selection(score: Any, weight: Any, n_transfers: float) -> np.ndarray:
    """Probability of receiving the transfer when ``n_transfers`` (weighted) go lowest-score first.

    Ties are split evenly across the boundary score class; NaN scores never receive.

    Examples
    --------
    >>> budget_selection([1, 2, 2, 3], [1, 1, 1, 1], 2).tolist()
    [1.0, 0.5, 0.5, 0.0]
    """
    s = np.asarray(score, dtype=float)
    w = np.asarray(weight, dtype=float)
    ok = ~np.isnan(s)
    f = np.zeros(len(s))
    if n_transfers <= 0 or not ok.any():
        return f
    idx = np.flatnonzero(ok)
    order = idx[np.argsort(s[idx], kind="stable")]
    ss, ww = s[order], w[order]
    # score classes: runs of equal scores
    start = np.concatenate([[True], ss[1:] != ss[:-1]])
    cls = np.cumsum(start) - 1
    wcls = np.bincount(cls, weights=ww)
    before = np.concatenate([[0.0], np.cumsum(wcls)[:-1]])
    frac = np.clip((n_transfers - before) / wcls, 0.0, 1.0)
    f[order] = frac[cls]
    return f


def compare_rules(
    data: pd.DataFrame,
    rules: Mapping[str, Any],
    *,
    budget: float,
    transfer: float,
    poverty_line: float,
    welfare: str | Any = "consumption_pc",
    size: str | Any = "hh_size",
    design: SurveyDesign | Mapping[str, Any] | None = None,
    alpha: float = 0.05,
    weight: Any = UNSET,
    strata: Any = UNSET,
    psu: Any = UNSET,
    lonely_psu: Any = UNSET,
) -> EstimateResult:
    """Simulated poverty impact of several targeting rules under one budget.

    Parameters
    ----------
    data : DataFrame
        Survey households (welfare, size, design columns).
    rules : mapping name -> score
        Each score is a column name or an array (lower = poorer; NaN = cannot be reached), or
        the string ``"universal"`` for an equal transfer to every household.
    budget : float
        Rp per month available for all transfers.
    transfer : float
        Rp per household per month for the targeted rules.
    poverty_line : float
        Rp per capita per month.
    welfare, size : column names or arrays
    design : SurveyDesign or mapping, optional
        The survey design of ``data``, as in
        :func:`~kassaki_eval.targeting.targeting_accuracy`: a
        :class:`~kassaki_eval.poverty.design.SurveyDesign` built on ``data``, or a mapping of its
        options (``"weight": None`` = one per row). Default
        :data:`~kassaki_eval.targeting.metrics.DEFAULT_DESIGN` (weights ``weight``, kecamatan
        strata ``stratum``, village PSUs ``psu``, lonely PSUs ``"adjust"``).
    alpha : float
        Confidence level of the intervals (0.05: 95 %).
    weight, strata, psu, lonely_psu
        Deprecated (one release, ``DeprecationWarning``): pass ``design`` instead. They build
        the same design as before.

    Returns
    -------
    EstimateResult
        One row per rule and indicator (column ``rule``); see the module docs.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"consumption_pc": [6, 8, 11, 15, 21, 25, 30, 40, 50, 100], "hh_size": 1})
    >>> res = compare_rules(df, {"perfect": "consumption_pc", "all": "universal"}, budget=30,
    ...                     transfer=15, poverty_line=20, design={"weight": None})
    >>> t = res.tidy().set_index(["rule", "term"])["estimate"]
    >>> round(float(t[("all", "gap_reduction_per_rp")]), 3)
    0.4
    """
    owner = "compare_rules"
    require(
        np.isfinite(budget) and budget > 0,
        owner,
        "budget",
        "a positive amount (Rp per month)",
        budget,
    )
    require(
        np.isfinite(transfer) and transfer > 0,
        owner,
        "transfer",
        "a positive amount (Rp per household)",
        transfer,
    )
    require(
        np.isfinite(poverty_line) and poverty_line > 0,
        owner,
        "poverty_line",
        "a positive amount",
        poverty_line,
    )
    if budget < transfer:
        raise ParameterError(f"The 'budget' parameter of {owner} must buy at least one transfer of "
                             f"Rp{transfer:,.0f}. Got Rp{budget:,.0f} instead.")
    if not rules:
        raise ParameterError(
            f"The 'rules' parameter of {owner} must name at least one rule. Got {rules!r} instead."
        )
    n = len(data)
    y = _col(data, welfare, "welfare").astype(float)
    m = _col(data, size, "size").astype(float)
    design_ = resolve_design(data, design, {"weight": weight, "strata": strata, "psu": psu,
                                             "lonely_psu": lonely_psu}, owner)
    wh = design_.weights
    if np.any(~np.isfinite(y)) or np.any(m < 1) or np.any(wh <= 0):
        raise SchemaError(
            [
                Problem(
                    "survey",
                    "welfare/size/weight",
                    "has missing welfare, size < 1 or weights <= 0",
                    int(np.sum(~np.isfinite(y) | (m < 1) | (wh <= 0))),
                    (),
                    "drop or correct these rows first",
                )
            ]
        )
    wp = wh * m  # person weights
    z = float(poverty_line)
    P = wp.sum()
    poor0 = (y < z).astype(float)
    gap0 = np.maximum(z - y, 0.0) / z
    bottom10 = _quantile_flag(y, wp, 0.10).astype(float)
    wb = float(np.sum(wp * bottom10))
    if wb == 0:
        # a household is in the poorest 10 % when the midpoint of its person-weight share is
        # below 10 %: none is when the poorest household alone holds 20 % or more
        warnings.warn(
            f"{owner}: poorest10_reached is not estimable (NaN): no household falls in the "
            f"poorest 10 % of people, because the poorest household alone holds "
            f"{100 * wp[np.argmin(y)] / P:.0f} % of the person weight ({n} households). Use a "
            "larger survey.",
            EstimationWarning,
            stacklevel=2,
        )
    H = wh.sum()
    rows: list[dict[str, Any]] = []
    zs: list[np.ndarray] = []

    def add(rule: str, term: str, est: float, zz: np.ndarray) -> None:
        rows.append({"rule": rule, "term": term, "estimate": float(est), "n_obs": n})
        zs.append(zz)

    for name, spec in rules.items():
        if isinstance(spec, str) and spec == UNIVERSAL:
            amount = budget / H
            prob = np.ones(n)
        else:
            sc = _col(data, spec, f"rules[{name!r}]")
            sc = pd.to_numeric(pd.Series(sc), errors="coerce").to_numpy(float)
            amount = float(transfer)
            prob = budget_selection(sc, wh, budget / transfer)
        y1 = y + amount / m
        poor1 = prob * (y1 < z) + (1 - prob) * poor0
        gap1 = prob * np.maximum(z - y1, 0.0) / z + (1 - prob) * gap0
        d0 = (poor1 - poor0)
        d1 = (gap1 - gap0)
        fgt0_c = float(np.sum(wp * d0) / P)
        fgt1_c = float(np.sum(wp * d1) / P)
        per_bn = 1e9 / budget
        add(name, "fgt0_change", fgt0_c, wp * (d0 - fgt0_c) / P)
        add(name, "fgt1_change", fgt1_c, wp * (d1 - fgt1_c) / P)
        add(name, "fgt0_change_per_billion", fgt0_c * per_bn, wp * (d0 - fgt0_c) / P * per_bn)
        add(name, "fgt1_change_per_billion", fgt1_c * per_bn, wp * (d1 - fgt1_c) / P * per_bn)
        # aggregate gap in Rp (a total, not a ratio): reduction per rupiah of the budget
        red = -d1 * z * m
        add(name, "gap_reduction_per_rp", float(np.sum(wh * red) / budget), wh * red / budget)
        if wb > 0:
            r10 = float(np.sum(wp * bottom10 * prob) / wb)
            add(name, "poorest10_reached", r10, wp * bottom10 * (prob - r10) / wb)
        else:
            add(name, "poorest10_reached", float("nan"), np.full(n, np.nan))
        add(
            name,
            "poorest10_households_reached",
            float(np.sum(wh * bottom10 * prob)),
            wh * bottom10 * prob,
        )
        wpo = np.sum(wp * poor0)
        ee = float(np.sum(wp * poor0 * (1 - prob)) / wpo) if wpo > 0 else float("nan")
        add(
            name,
            "exclusion_error",
            ee,
            wp * poor0 * ((1 - prob) - ee) / wpo if wpo > 0 else np.zeros(n),
        )
        spent = float(np.sum(wh * prob) * amount / budget)
        add(name, "budget_spent", spent, np.zeros(n))
    var = design_.variance(np.column_stack(zs), weights=np.ones(n))[0]
    table = pd.DataFrame(rows)
    table.insert(2, "std_error", np.sqrt(var))
    table = table[["term", "estimate", "std_error", "n_obs", "rule"]]
    pre = {
        "fgt0_before": float(np.sum(wp * poor0) / P),
        "fgt1_before": float(np.sum(wp * gap0) / P),
    }
    prov = Provenance(
        method="compare_rules",
        options={
            "budget": budget,
            "transfer": transfer,
            "poverty_line": poverty_line,
            "rules": list(rules),
            **pre,
        },
        inputs_hash=hash_frame(pd.DataFrame({"y": y, "m": m, "w": wh})),
        n_input=n,
        n_used=n,
    )
    return EstimateResult(table, method="compare_rules", alpha=alpha, provenance=prov,
                          extras=pre, title="Targeting rules under one budget")
