"""The village evaluation panel: one builder for the annual report and the verdict.

:func:`evaluation_panel` turns the stacked household survey (contract ``survey``) into the
village x year panel that every village-level impact estimate of the programme uses
(:func:`~kassaki_eval.impact.verdict.programme_verdict`,
:func:`~kassaki_eval.impact.verdict.verdict_from_survey`, the report's impact chapter).
Before it existed the report and ``verdict_from_survey`` each built their own panel, with
different village weights, and gave the same point estimate with different intervals.

Definition (and why)
--------------------
- **Year cut-off** (``as_of``): survey waves after ``as_of`` are dropped and a village first
  treated after ``as_of`` counts as not (yet) treated (cohort 0), so that a report for year
  ``T`` computed later gives the numbers it gave in ``T``. Applied here, once, for every user.
- **Outcomes**: person-weighted village means (``weight * hh_size``) of the household
  outcomes, so the village mean of ``poor`` (``consumption_pc < line(year)``) is the village
  headcount ratio; ``log_consumption_pc`` is ``log(max(consumption_pc, 1))``.
- **Village weight** ``pop_weight``: the village's estimated population, *the mean over the
  waves up to* ``as_of`` of the wave's sum of person weights, constant over time. The
  verdict's estimand ``Delta_T = s_T * ATT_T`` needs one population per village for both
  factors: Callaway-Sant'Anna takes one weight per unit (it silently used the first wave's
  when they varied), and the treated person share ``s_T`` and its linearisation treat the
  village populations as one fixed vector. The report's old panel used the first wave's sum
  in C&S but the report year's sum in ``s_T`` (two different populations in one estimand);
  the mean over waves is consistent in both places and is the less noisy estimate of the
  same population. The per-wave sum is kept as ``pop_weight_wave`` for inspection.
- **Cohort**: from the programme's roll-out table when one is given (the administrative
  record, one row per village and component; ``cohort`` = first year of any component and
  ``first_<component>`` = first year of that component), otherwise the first surveyed year
  with ``treated_village == 1``. On the demo world both give the same cohorts.

The result has one row per village and year: ``village_code``, ``year``, the outcomes,
``pop_weight``, ``pop_weight_wave``, ``n_households``, ``kec_code``, ``zone`` (when present),
``cohort`` and, with a roll-out table, one ``first_<component>`` column per component.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd

from ..exceptions import ParameterError
from ._common import check_columns as _check_columns
from .staggered import village_panel

__all__ = ["evaluation_panel", "DERIVED_OUTCOMES"]

#: Outcomes computed from the survey (everything else is taken from a column of that name).
DERIVED_OUTCOMES: tuple[str, ...] = ("poor", "log_consumption_pc")


def evaluation_panel(
    survey: pd.DataFrame,
    *,
    lines: Mapping[int, float],
    outcomes: Sequence[str] = ("poor",),
    rollout: pd.DataFrame | None = None,
    as_of: int | None = None,
) -> pd.DataFrame:
    """The village x year panel of the programme evaluation (see the module docstring).

    Parameters
    ----------
    survey : DataFrame
        Stacked household survey waves (contract ``survey``): ``year``, ``village_code``,
        ``weight``, ``hh_size``, ``consumption_pc`` and the other ``outcomes``; without a
        ``rollout`` also ``treated_village``.
    lines : mapping of int to float
        Poverty line (Rp per capita per month) of every survey year up to ``as_of``.
    outcomes : sequence of str
        Village means to compute: ``poor``, ``log_consumption_pc`` or survey columns.
    rollout : DataFrame, optional
        Programme roll-out (contract ``rollout``: ``village_code``, ``component``,
        ``first_year``; ``cohort`` when present): the source of the cohorts.
    as_of : int, optional
        The year cut-off (default: the last survey year).

    Returns
    -------
    DataFrame
        One row per village and year, sorted by village and year.

    Examples
    --------
    >>> from kassaki_eval.synthetic import generate_world
    >>> from kassaki_eval.reference import poverty_line
    >>> w = generate_world(seed=1, scale=0.02)
    >>> vp = evaluation_panel(w.survey, lines={y: poverty_line(y) for y in (2023, 2024, 2025)},
    ...                       rollout=w.rollout, as_of=2024)
    >>> sorted(vp["year"].unique().tolist())
    [2023, 2024]
    >>> bool((vp.groupby("village_code")["pop_weight"].nunique() == 1).all())
    True
    """
    owner = "evaluation_panel"
    outcomes = list(dict.fromkeys(outcomes))
    direct = [c for c in outcomes if c not in DERIVED_OUTCOMES]
    need = ["year", "village_code", "weight", "hh_size"] + direct
    if set(outcomes) & set(DERIVED_OUTCOMES):
        need.append("consumption_pc")
    if rollout is None:
        need.append("treated_village")
    _check_columns(survey, owner, survey=list(dict.fromkeys(need)))
    years = survey["year"].astype(int)
    T = int(years.max()) if as_of is None else int(as_of)
    s = survey[years <= T]
    if s.empty:
        raise ParameterError(f"The 'as_of' parameter of {owner} must be a year with survey data "
                             f"(waves: {sorted(years.unique().tolist())}). Got {as_of!r} instead.")
    if "poor" in outcomes:
        miss = sorted(int(y) for y in s["year"].unique() if int(y) not in lines)
        if miss:
            raise ParameterError(f"The 'lines' parameter of {owner} must give a poverty line for "
                                 f"every survey year up to {T}. Got none for {miss} instead.")
    cons = s["consumption_pc"].astype(float) if "consumption_pc" in s.columns else None
    derived = {}
    if "poor" in outcomes:
        line = s["year"].map(lambda v: lines[int(v)]).astype(float)
        derived["poor"] = (cons < line).astype(float)
    if "log_consumption_pc" in outcomes:
        # consumption_pc is in `need` for the derived outcomes, so cons is not None here
        derived["log_consumption_pc"] = np.log(np.maximum(cast(pd.Series, cons), 1.0))
    if rollout is None:
        derived["treated_village"] = s["treated_village"].astype(float)
    s = s.assign(**derived)
    keep = [c for c in ("kec_code", "zone") if c in s.columns]
    panel_outcomes = outcomes + (["treated_village"] if rollout is None
                                 and "treated_village" not in outcomes else [])
    vp = village_panel(s, outcomes=panel_outcomes, keep=keep)
    # one population per village: the mean over the waves up to the cut-off
    vp["pop_weight_wave"] = vp["pop_weight"]
    vp["pop_weight"] = vp.groupby("village_code")["pop_weight_wave"].transform("mean")
    if rollout is None:
        t = vp["year"].where(vp["treated_village"] > 0)
        vp["cohort"] = t.groupby(vp["village_code"]).transform("min").fillna(0).astype(int)
        if "treated_village" not in outcomes:
            vp = vp.drop(columns=["treated_village"])
        return vp
    _check_columns(rollout, owner, rollout=["village_code", "component", "first_year"])
    ro = rollout.copy()
    first = ro["first_year"].where((ro["first_year"] > 0) & (ro["first_year"] <= T), 0)
    ro = ro.assign(first_year=first.astype(int))
    if "cohort" in ro.columns:
        coh = ro["cohort"].where((ro["cohort"] > 0) & (ro["cohort"] <= T), 0)
        coh = coh.groupby(ro["village_code"]).first()
    else:
        coh = ro["first_year"].where(ro["first_year"] > 0).groupby(ro["village_code"]).min()
    vp["cohort"] = vp["village_code"].map(coh).fillna(0).astype(int)
    comp = ro.pivot_table(index="village_code", columns="component", values="first_year",
                          aggfunc="min")
    for c in comp.columns:
        vp[f"first_{c}"] = vp["village_code"].map(comp[c]).fillna(0).astype(int)
    return vp
