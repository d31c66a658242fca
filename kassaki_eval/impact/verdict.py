"""The one-point verdict on whether KASSAKI cut district poverty by over one percentage point.

Estimand (year ``T``): the programme-attributable change in the district headcount ratio,

    Delta_T = P0_actual(T) - P0_counterfactual(T) = s_T * ATT_T

where ``s_T`` is the share of the district's *persons* living in villages treated by ``T`` and
``ATT_T`` is the person-weighted average effect of the programme on the village poverty rate
in those villages (Callaway-Sant'Anna's calendar-time aggregation for ``T`` on a village panel
whose unit weights are village populations). Untreated villages contribute zero: the
programme has no spill-overs in this estimand (state it in the report).

Inference: ``ATT_T`` and ``s_T`` are estimated from the same villages, so the delta-method
standard error uses their joint influence function at the village level
(``u_v = s psi_v / n + ATT z_v``, with ``psi`` the C&S influence function and ``z`` the
linearisation of the share); clustered by kecamatan when ``cluster`` is given (then t with
``G-1`` df). The test of the goal is one-sided: ``H0: Delta_T >= -threshold`` against
``H1: Delta_T < -threshold``; the reported "probability that the reduction exceeds the
threshold" is ``P(Delta < -threshold)`` under the normal (or t) approximation with a flat
prior, i.e. one minus the one-sided p-value. It is an approximation, stated as such.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import IdentificationError, ParameterError
from ..results import EstimateResult, Provenance
from ._common import check_columns as _check_columns
from .panel import evaluation_panel
from .staggered import aggregate, callaway_santanna

__all__ = ["programme_verdict", "verdict_from_survey", "cohort_from_treated", "sentences"]


def cohort_from_treated(data: pd.DataFrame, *, unit: str, time: str, treated: str) -> pd.Series:
    """Cohort (first period with ``treated == 1``, 0 if never) for every row of ``data``."""
    _check_columns(data, "cohort_from_treated", unit=unit, time=time, treated=treated)
    t = data[time].where(data[treated].astype(float) > 0)
    first = t.groupby(data[unit], observed=True).transform("min")
    return first.fillna(0).astype(np.int64)


def _fmt(x: float, lang: str, nd: int = 1) -> str:
    s = f"{x:.{nd}f}"
    return s.replace(".", ",") if lang == "id" else s


def sentences(change: float, lo: float, hi: float, prob: float, p_one: float, year: int,
              threshold: float, level: float) -> tuple[str, str]:
    """The verdict in plain English and Bahasa Indonesia (numbers in percentage points)."""
    pp = lambda v: -100 * v  # noqa: E731 - a reduction is reported as a positive number
    red, rlo, rhi = pp(change), pp(hi), pp(lo)
    thr = 100 * threshold
    thr_id = f"{thr:g}".replace(".", ",")   # as the English {thr:g}: a 0.5-point goal is 0,5
    lev = int(round(100 * level))
    if rlo > thr:
        en_tail = f"the goal of more than {thr:g} point was met"
        id_tail = f"target penurunan lebih dari {thr_id} poin tercapai"
    elif rhi < thr:
        en_tail = f"the goal of more than {thr:g} point was not met"
        id_tail = f"target penurunan lebih dari {thr_id} poin tidak tercapai"
    else:
        en_tail = f"the data cannot tell whether the goal of more than {thr:g} point was met"
        id_tail = (f"data belum dapat memastikan apakah target penurunan lebih dari "
                   f"{thr_id} poin tercapai")
    verb_en = "lowered" if red >= 0 else "raised"
    en = (
        f"In {year}, KASSAKI {verb_en} the district poverty rate by an estimated "
        f"{abs(red):.1f} percentage points ({lev}% confidence interval for the reduction: "
        f"{rlo:.1f} to {rhi:.1f} points); the probability that the reduction exceeds "
        f"{thr:g} percentage point is {100 * prob:.0f}% (one-sided test p = {p_one:.2f}), "
        f"so {en_tail}."
    )
    verb_id = "menurunkan" if red >= 0 else "menaikkan"
    idn = (f"Pada tahun {year}, KASSAKI diperkirakan {verb_id} angka kemiskinan kabupaten sebesar "
           f"{_fmt(abs(red), 'id')} poin persen (selang kepercayaan {lev}% untuk penurunan: "
           f"{_fmt(rlo, 'id')} sampai {_fmt(rhi, 'id')} poin); peluang penurunan lebih dari "
           f"{thr_id} poin persen adalah {100 * prob:.0f}% (uji satu sisi p = "
           f"{_fmt(p_one, 'id', 2)}), sehingga {id_tail}.")
    return en, idn


def programme_verdict(
    panel: pd.DataFrame,
    *,
    y: str = "poor",
    unit: str = "village_code",
    time: str = "year",
    cohort: str = "cohort",
    weight: str = "pop_weight",
    year: int | None = None,
    threshold: float = 0.01,
    method: Literal["dr", "ipw", "reg"] = "dr",
    control: Literal["never", "notyet"] = "notyet",
    covariates: Sequence[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """Programme-attributable change in district P0, its CI, and the test of the 1-pp goal.

    Parameters
    ----------
    panel : DataFrame
        Village x year panel with the village poverty rate ``y`` (person-weighted, e.g. from
        :func:`~kassaki_eval.impact.panel.evaluation_panel`), the village ``cohort`` (first
        year treated, 0 never) and its population ``weight``. It must cover the whole
        district (or a representative sample of villages with expansion weights).
    year : int, optional
        The evaluation year (default: the last).
    threshold : float
        The goal, as a proportion (0.01 = one percentage point).
    method, control, covariates, cluster : as in
        :func:`~kassaki_eval.impact.staggered.callaway_santanna`.

    Returns
    -------
    EstimateResult
        Terms ``attributable_change`` (``Delta_T``), ``att_treated_villages`` (``ATT_T``) and
        ``treated_person_share`` (``s_T``). ``extras``: ``sentence_en``, ``sentence_id``,
        ``p_value_goal`` (one-sided), ``prob_reduction_exceeds``, ``threshold``, ``year``,
        and the underlying C&S result (``cs``).

    Examples
    --------
    >>> v = programme_verdict(vpanel, year=2025)  # doctest: +SKIP
    >>> print(v.extras["sentence_en"])  # doctest: +SKIP
    """
    owner = "programme_verdict"
    if not (isinstance(threshold, (int, float)) and 0 <= threshold < 1):
        raise ParameterError(f"The 'threshold' parameter of {owner} must be a proportion in "
                             f"[0, 1) (0.01 = one percentage point). Got {threshold!r} instead.")
    _check_columns(panel, owner, y=y, unit=unit, time=time, cohort=cohort, weight=weight)
    T = int(panel[time].max()) if year is None else int(year)
    if T not in set(panel[time].astype(int)):
        periods = sorted(int(t) for t in panel[time].unique())
        raise ParameterError(f"The 'year' parameter of {owner} must be a period of the panel "
                             f"({periods}). Got {year!r} instead.")
    cs = callaway_santanna(panel, y=y, unit=unit, time=time, cohort=cohort, control=control,
                           method=method, covariates=covariates, weights=weight, cluster=cluster,
                           alpha=alpha)
    cal = aggregate(cs, "calendar")
    term = f"t={T:g}"
    if term not in cal.terms:
        raise IdentificationError(f"data: no village is treated by {T}, so there is no "
                                  "programme effect to attribute in that year. Fix: choose a "
                                  "later year.")
    j = cal.terms.index(term)
    att = cal[term]
    psi = cal.extras["influence"][:, j]
    n = cs.extras["n_units"]
    # the treated person share in year T, from the same villages (order of the C&S units)
    units_order = pd.Index(cs.extras["units"])      # the order of the influence function
    pt = panel[panel[time].astype(int) == T]
    pop = pd.Series(pt[weight].to_numpy(float), index=pt[unit].to_numpy())
    coh = pd.Series(pt[cohort].to_numpy(float), index=pt[unit].to_numpy())
    popv = pop.reindex(units_order).fillna(0.0).to_numpy()
    trv = ((coh.reindex(units_order).fillna(0.0).to_numpy() > 0)
           & (coh.reindex(units_order).fillna(0.0).to_numpy() <= T)).astype(float)
    if panel[unit].nunique() != n:
        why = "; ".join(f"{k}: {v}" for k, v in (cs.provenance.dropped or {}).items())
        raise IdentificationError(
            f"{owner}: callaway_santanna kept {n} of the panel's {panel[unit].nunique()} "
            f"villages (dropped: {why or 'none recorded'}), so the district's treated person "
            "share would leave villages out. Fix: give every village its "
            f"'{y}', '{weight}' and '{cohort}' in every year of the panel.")
    total = popv.sum()
    share = float(np.sum(popv * trv) / total)
    z = popv * (trv - share) / total
    change = share * att
    u = share * psi / n + att * z
    codes, Gc = cs.extras["cluster_codes"], cs.extras["n_clusters"]
    if codes is None:
        var = float(np.sum(u ** 2))
        var_s = float(np.sum(z ** 2))
        df = np.inf
    else:
        S = np.bincount(codes, weights=u, minlength=Gc)
        Sz = np.bincount(codes, weights=z, minlength=Gc)
        var = float(Gc / (Gc - 1) * np.sum(S ** 2))
        var_s = float(Gc / (Gc - 1) * np.sum(Sz ** 2))
        df = float(Gc - 1)
    se = np.sqrt(var)
    dist = stats.t(df) if np.isfinite(df) else stats.norm()
    crit = dist.ppf(1 - alpha / 2)
    lo, hi = change - crit * se, change + crit * se
    p_one = float(dist.cdf((change + threshold) / se))       # H1: change < -threshold
    prob = 1.0 - p_one
    en, idn = sentences(change, lo, hi, prob, p_one, T, threshold, 1 - alpha)
    table = pd.DataFrame({
        "term": ["attributable_change", "att_treated_villages", "treated_person_share"],
        "estimate": [change, att, share],
        "std_error": [se, cal.std_errors.iloc[j], np.sqrt(var_s)],
        "n_obs": n, "df": df, "year": T,
    })
    prov = Provenance(method=owner, options={"y": y, "unit": unit, "time": time, "cohort": cohort,
                                             "weight": weight, "year": T, "threshold": threshold,
                                             "method": method, "control": control,
                                             "cluster": cluster},
                      inputs_hash=cs.provenance.inputs_hash, n_input=len(panel),
                      n_used=cs.provenance.n_used, dropped=cs.provenance.dropped)
    return EstimateResult(table, method="verdict", alpha=alpha, provenance=prov,
                          extras={"sentence_en": en, "sentence_id": idn, "p_value_goal": p_one,
                                  "prob_reduction_exceeds": prob, "threshold": threshold,
                                  "year": T, "cs": cs, "calendar": cal},
                          title=f"Programme-attributable change in district P0, {T}")


def verdict_from_survey(
    survey: pd.DataFrame,
    *,
    lines: Mapping[int, float] | None = None,
    year: int | None = None,
    threshold: float = 0.01,
    cluster: str | None = None,
    method: Literal["dr", "ipw", "reg"] = "dr",
    control: Literal["never", "notyet"] = "notyet",
    rollout: pd.DataFrame | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """:func:`programme_verdict` straight from the stacked survey table (contract ``survey``).

    The village panel is :func:`~kassaki_eval.impact.panel.evaluation_panel` with the cut-off
    ``as_of = year`` (the builder the annual report uses, so both give the same interval):
    poor = ``consumption_pc < line(year)``, person-weighted village poverty rates, one
    population weight per village (mean over the waves up to ``year``); cohort = first year
    of the ``rollout`` table when given, else the first surveyed year with
    ``treated_village == 1``.

    ``lines`` maps year to the poverty line (Rp per capita per month); by default the
    district's lines from :func:`kassaki_eval.reference.poverty_line`.
    """
    owner = "verdict_from_survey"
    _check_columns(survey, owner, survey=["year", "village_code", "kec_code", "weight", "hh_size",
                                          "consumption_pc"]
                   + ([] if rollout is not None else ["treated_village"]))
    years = sorted(int(v) for v in survey["year"].unique())
    if lines is None:
        from ..reference import poverty_line
        lines = {yy: poverty_line(yy) for yy in years}
    as_of = years[-1] if year is None else int(year)
    miss = [yy for yy in years if yy <= as_of and yy not in lines]
    if miss:
        raise ParameterError(f"The 'lines' parameter of {owner} must give a poverty line for "
                             f"every survey year. Got none for {miss} instead.")
    vp = evaluation_panel(survey, lines=lines, outcomes=["poor"], rollout=rollout, as_of=as_of)
    return programme_verdict(vp, year=as_of, threshold=threshold, cluster=cluster, method=method,
                             control=control, alpha=alpha)
