"""Cost-effectiveness: what the programme cost per household reached, per point, per person.

Costs
-----
Each participation record (contract ``participation``: partner, component, unit, start date,
``amount_rp``) is costed by :func:`cost_table` under :class:`CostRules`:

- a **loan** (``credit``: KUR through Bank Sulselbar; ``csr_sme``: Semen Tonasa's revolving
  SME loans) counts at its cost to the lender, not its principal: the interest subsidy over the
  loan's term on the average outstanding balance plus the expected default,
  ``principal x (subsidy_rate x term_years x mean_balance_share + default_rate)``. The KUR
  subsidy is tiered by amount (super-mikro up to Rp10 m: 15 % a year; mikro, first contract:
  10 %; KMK 317/2023, Permenko 1/2023). The term, the balance share and the default rates are
  assumptions (marked [U] in :data:`COST_SOURCES`): report parameters a researcher changes.
- every other component (training, facilitation, women's groups) is a **grant**: its recorded
  amount.

A cost counts in the year the record starts (no discounting); figures for year ``T`` are
cumulative to ``T``.

Effects and ratios
------------------
:func:`cost_effectiveness` divides a (fixed) cost ``C`` by a poverty reduction ``r`` estimated
with a confidence interval ``[r_lo, r_hi]`` (from an impact estimate such as
:func:`~kassaki_eval.impact.verdict.programme_verdict`'s ``attributable_change``, a change in
the district headcount ratio; reduction = minus the change):

- cost per percentage point = ``C / (100 r)``; cost per person lifted above the line =
  ``C / (r N)`` with ``N`` the district's persons;
- interval: the exact image of the effect's interval under ``r -> C / r`` (monotone on either
  side of 0), ``[C / r_hi, C / r_lo]`` when ``r_lo > 0``. Its coverage is the effect
  interval's coverage. When the effect's interval contains 0 the image is unbounded: the
  interval reported is ``[C / r_hi, inf)`` ("at least ..., or no reduction at all") and an
  :class:`~kassaki_eval.exceptions.EstimationWarning` says so; when ``r_hi <= 0`` (no
  reduction is plausible) both ends are missing; when the estimate itself is no reduction
  (``r <= 0``) there is no central ratio (estimate and ``std_error`` missing: a negative
  cost per point means nothing) and only the interval is reported;
- ``std_error`` is the delta method's ``C se(r) / r^2`` (shown for reference; the interval
  above is the one to read, the ratio being skewed).

Components whose effects are not separable (they reach the same villages at the same time as
other components, e.g. microcredit in every programme village of the demo world) have no
effect of their own on a village panel: :func:`separability_table` says which, and the costs
are then allocated to the programme as a whole (every partner's cost divided by the one
programme effect, the contributions adding up to the programme's ratio).

Example
-------
>>> from kassaki_eval.synthetic import generate_world
>>> from kassaki_eval.impact.cost import CostRules, cost_table
>>> w = generate_world(seed=1, scale=0.05)
>>> tab = cost_table(w.participation, rules=CostRules(), year=2025)
>>> sorted(tab["component"])[:2]
['credit', 'csr_sme']
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import EstimationWarning, ParameterError, require
from ..results import EstimateResult, Provenance, hash_frame
from ._common import check_columns as _check_columns

__all__ = ["CostRules", "COST_SOURCES", "LOAN_COMPONENTS", "cost_table", "record_costs",
           "cost_per_household", "cost_effectiveness", "district_persons",
           "separability_table"]

#: Components that are loans (costed at their cost to the lender); the others are grants.
LOAN_COMPONENTS: tuple[str, ...] = ("credit", "csr_sme")


@dataclass(frozen=True)
class CostRules:
    """How participation records are costed (every field a report parameter).

    Sources and status of each default: :data:`COST_SOURCES` ([U] = an assumption).
    """

    credit_subsidy_super_mikro: float = 0.15
    credit_super_mikro_limit_rp: float = 10_000_000
    credit_subsidy_mikro: float = 0.10
    credit_term_years: float = 2.0
    credit_default_rate: float = 0.03
    csr_subsidy_rate: float = 0.10
    csr_term_years: float = 3.0
    csr_default_rate: float = 0.15
    mean_balance_share: float = 0.5

    # pydantic (the report parameters) reads this: unknown names are errors
    __pydantic_config__ = {"extra": "forbid"}  # noqa: RUF012 - read by pydantic, never mutated

    def __post_init__(self) -> None:
        """Refuse a rule the formulas cannot use (negative, or a rate above 1)."""
        for f in fields(self):
            v = getattr(self, f.name)
            ok = isinstance(v, (int, float)) and np.isfinite(v) and v >= 0
            if f.name.endswith(("_rate", "_share")) or f.name.startswith("credit_subsidy"):
                ok = ok and v <= 1
            require(bool(ok), "CostRules", f.name,
                    "a finite number >= 0 (rates and shares in [0, 1])", v)

    def loan_cost_share(self, component: str, amount: np.ndarray) -> np.ndarray:
        """Cost to the lender per rupiah of principal, for each loan amount of ``component``."""
        a = np.asarray(amount, dtype=float)
        if component == "credit":
            rate = np.where(a <= self.credit_super_mikro_limit_rp,
                            self.credit_subsidy_super_mikro, self.credit_subsidy_mikro)
            return rate * self.credit_term_years * self.mean_balance_share \
                + self.credit_default_rate
        if component == "csr_sme":
            return np.full(a.shape, self.csr_subsidy_rate * self.csr_term_years
                           * self.mean_balance_share + self.csr_default_rate)
        raise ParameterError(f"The 'component' parameter of CostRules.loan_cost_share must be "
                             f"one of {LOAN_COMPONENTS}. Got {component!r} instead.")

    def replace(self, **changes: float) -> CostRules:
        """A copy with some rules changed: ``rules.replace(credit_default_rate=0.05)``."""
        from dataclasses import replace as _replace
        return _replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        """The rules as plain values (for provenance and the report's parameter table)."""
        return {k: float(v) for k, v in asdict(self).items()}


#: Where each default of :class:`CostRules` comes from; "[U]" marks an assumption.
COST_SOURCES: dict[str, str] = {
    "credit_subsidy_super_mikro": "KMK 317/2023: KUR super-mikro interest subsidy 15 % a year",
    "credit_super_mikro_limit_rp": "Permenko 1/2023: KUR super-mikro up to Rp10 m",
    "credit_subsidy_mikro": "KMK 317/2023: KUR mikro, first contract, subsidy 10 % a year",
    "credit_term_years": "[U] typical KUR working-capital term",
    "credit_default_rate": "[U] expected loss, share of the principal",
    "csr_subsidy_rate": "[U] lender's forgone interest: market micro rate less the service fee",
    "csr_term_years": "[U] revolving SME loan term",
    "csr_default_rate": "[U] CSR revolving funds report high arrears",
    "mean_balance_share": "[U] equal instalments: about half the principal outstanding",
}

_PART_COLS = ["partner", "component", "unit", "start_date", "amount_rp", "village_code",
              "family_id"]


def record_costs(participation: pd.DataFrame, *, rules: CostRules | None = None) -> pd.Series:
    """Cost of every participation record under ``rules`` (Rp; index of ``participation``)."""
    rules = CostRules() if rules is None else rules
    _check_columns(participation, "record_costs", columns=["component", "amount_rp"])
    amt = pd.to_numeric(participation["amount_rp"], errors="coerce")
    bad = amt.isna() | (amt < 0)
    if bad.any():
        raise ParameterError(f"participation: column 'amount_rp' has {int(bad.sum())} missing or "
                             f"negative values; costs need every amount. Fix: correct the records.")
    cost = amt.to_numpy(float).copy()
    comp = participation["component"].astype(str).to_numpy()
    for c in LOAN_COMPONENTS:
        m = comp == c
        if m.any():
            cost[m] = cost[m] * rules.loan_cost_share(c, cost[m])
    return pd.Series(cost, index=participation.index, name="cost_rp")


def cost_table(participation: pd.DataFrame, *, rules: CostRules | None = None,
               year: int | None = None,
               by: tuple[str, ...] = ("partner", "component")) -> pd.DataFrame:
    """Programme cost by partner and component, cumulative to ``year``.

    Returns
    -------
    DataFrame
        ``by`` columns, then ``unit`` (household / village), ``cost_basis`` (``loan``: cost to
        the lender; ``grant``: the amount; ``grant/loan`` for a row of both), ``n_records``,
        ``households_reached`` (distinct families; 0 for village-level components),
        ``villages_reached``, ``amount_rp`` (as recorded: the principal for loans) and
        ``cost_rp``.
    """
    rules = CostRules() if rules is None else rules
    _check_columns(participation, "cost_table", columns=_PART_COLS)
    d = participation
    if year is not None:
        d = d[pd.to_datetime(d["start_date"]).dt.year <= int(year)]
    # the cost basis of each record, so a row that mixes loans and grants (by=("partner",))
    # says so instead of taking the basis of the row's label
    basis = np.where(d["component"].astype(str).isin(LOAN_COMPONENTS), "loan", "grant")
    d = d.assign(cost_rp=record_costs(d, rules=rules), _basis=basis)
    g = d.groupby(list(by), sort=True, observed=True)

    def joined(s: pd.Series) -> str:
        return "/".join(sorted(set(s.astype(str))))

    out = pd.DataFrame({
        **({} if "unit" in by else {"unit": g["unit"].agg(joined)}),   # by=("unit",): a key
        "cost_basis": g["_basis"].agg(joined),
        "n_records": g.size(),
        "households_reached": g["family_id"].nunique(),
        "villages_reached": g["village_code"].nunique(),
        "amount_rp": g["amount_rp"].sum(), "cost_rp": g["cost_rp"].sum()}).reset_index()
    return out


def _accounting_result(table: pd.DataFrame, method: str, options: dict[str, Any],
                       inputs: pd.DataFrame, alpha: float) -> EstimateResult:
    table = table.assign(std_error=np.nan, p_value=np.nan, conf_low=table["estimate"],
                         conf_high=table["estimate"])
    return EstimateResult(table, method=method, alpha=alpha, own_intervals=True,
                          provenance=Provenance(method=method, options=options,
                                                inputs_hash=hash_frame(inputs),
                                                n_input=len(inputs), n_used=len(inputs)),
                          title="Cost per household reached (Rp)")


def cost_per_household(costs: pd.DataFrame, *, alpha: float = 0.05) -> EstimateResult:
    """Cost per household reached, by row of a :func:`cost_table` and for the programme.

    An accounting ratio (records, not a sample): no sampling uncertainty, the interval is the
    point. Village-level components (facilitation) reach no household of their own: their
    row is missing (``estimate`` NaN) and their cost enters the programme row, whose
    denominator is the households reached by any household component.

    Terms: ``<partner>:<component>`` per row, and ``programme``.
    """
    _check_columns(costs, "cost_per_household",
                   columns=["partner", "component", "households_reached", "cost_rp"])
    hh = costs["households_reached"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(hh > 0, costs["cost_rp"].to_numpy(float) / hh, np.nan)
    tab = pd.DataFrame({
        "term": (costs["partner"].astype(str) + ":" + costs["component"].astype(str)).to_numpy(),
        "estimate": est, "n_obs": hh.astype(np.int64),
        "partner": costs["partner"].astype(str).to_numpy(),
        "component": costs["component"].astype(str).to_numpy(),
        "cost_rp": costs["cost_rp"].to_numpy(float)})
    total_hh = float(hh.sum())  # one household takes one household component (records)
    tab = pd.concat([tab, pd.DataFrame([{
        "term": "programme", "estimate": costs["cost_rp"].sum() / total_hh if total_hh else np.nan,
        "n_obs": int(total_hh), "partner": "all", "component": "all",
        "cost_rp": float(costs["cost_rp"].sum())}])], ignore_index=True)
    return _accounting_result(tab, "cost_per_household", {}, costs, alpha)


def district_persons(survey: pd.DataFrame, *, year: int, weight: str = "weight",
                     size: str = "hh_size") -> float:
    """Persons in the district in ``year``: the survey wave's weighted household sizes.

    Survey weights are calibrated to the population projection, so the total is treated as
    known (its sampling error is not carried into the ratios).
    """
    _check_columns(survey, "district_persons", columns=["year", weight, size])
    s = survey[survey["year"].astype(int) == int(year)]
    require(len(s) > 0, "district_persons", "year", "a survey wave of the data", year)
    return float((s[weight].astype(float) * s[size].astype(float)).sum())


def cost_effectiveness(
    cost_rp: float | Mapping[str, float] | pd.Series | pd.DataFrame,
    effect: EstimateResult,
    *,
    by: str | None = None,
    term: str = "attributable_change",
    direction: Literal["reduction_is_negative", "reduction_is_positive"] = "reduction_is_negative",
    persons: float | None = None,
    alpha: float | None = None,
) -> EstimateResult:
    """Cost per percentage point of poverty reduction and per person lifted above the line.

    Parameters
    ----------
    cost_rp : float, mapping or DataFrame
        The cost (Rp) behind the effect; a mapping (e.g. cost by partner) gives one row per
        entry, each divided by the same effect (allocation to the programme as a whole), plus
        an ``all`` row with their sum. A :func:`cost_table` with ``by`` (a column of it, e.g.
        ``"partner"``) is summed by that column.
    by : str, optional
        With a cost table: the column whose groups get a row each (``None``: the total).
    effect : EstimateResult
        The impact estimate; ``term`` is a change in a headcount ratio (a proportion), e.g.
        ``programme_verdict(...)``'s ``attributable_change`` (district P0, negative = fewer
        poor). Its ``tidy()`` interval at ``alpha`` is carried to the ratios.
    direction : {"reduction_is_negative", "reduction_is_positive"}
        Sign convention of ``term``.
    persons : float, optional
        The district's persons (e.g. :func:`district_persons`); without it, no per-person row.
    alpha : float, optional
        Confidence level of the interval (default: the effect's).

    Returns
    -------
    EstimateResult
        Terms ``cost_per_point[:<group>]`` (Rp per percentage point of reduction) and
        ``cost_per_person_lifted[:<group>]``. Own intervals (the exact image of the effect's
        interval; ``conf_high`` = inf when that interval contains 0). Extra columns:
        ``group``, ``measure``, ``cost_rp``, ``reduction`` (proportion), ``reduction_low``,
        ``reduction_high``, ``interval`` (``exact`` / ``unbounded`` / ``undefined``).
        ``p_value`` is the effect's (a ratio is finite only if the reduction is not 0).

    Warns
    -----
    EstimationWarning
        When the effect's interval contains 0 (the ratio's interval is unbounded) or
        excludes any reduction.
    """
    owner = "cost_effectiveness"
    if not isinstance(effect, EstimateResult):
        raise ParameterError(f"The 'effect' parameter of {owner} must be an EstimateResult "
                             f"(e.g. programme_verdict(...)). Got {type(effect).__name__} instead.")
    if term not in effect.terms:
        raise ParameterError(f"The 'term' parameter of {owner} must be a term of the effect "
                             f"({effect.terms}). Got {term!r} instead.")
    require(direction in ("reduction_is_negative", "reduction_is_positive"), owner, "direction",
            "'reduction_is_negative' or 'reduction_is_positive'", direction)
    if isinstance(cost_rp, pd.DataFrame):
        _check_columns(cost_rp, owner, cost_rp="cost_rp", by=by)
        cost_rp = (float(cost_rp["cost_rp"].sum()) if by is None
                   else cost_rp.groupby(by, sort=True)["cost_rp"].sum())
    elif by is not None:
        raise ParameterError(f"The 'by' parameter of {owner} needs a cost table (DataFrame) as "
                             f"'cost_rp'. Got by={by!r} with {type(cost_rp).__name__} instead.")
    a = effect.alpha if alpha is None else float(alpha)
    row = effect.tidy(alpha=a).set_index("term").loc[term]
    sign = -1.0 if direction == "reduction_is_negative" else 1.0
    r = sign * float(row["estimate"])
    lo_hi = sorted((sign * float(row["conf_low"]), sign * float(row["conf_high"])))
    r_lo, r_hi = lo_hi
    se_r = float(row["std_error"])
    if isinstance(cost_rp, (int, float, np.floating)):
        costs = {"all": float(cost_rp)}
    else:
        costs = {str(k): float(v) for k, v in dict(cost_rp).items()}
        costs["all"] = float(sum(costs.values()))
    for k, v in costs.items():
        require(bool(np.isfinite(v) and v >= 0), owner, "cost_rp",
                "finite, non-negative amounts in Rp", f"{k}={v}")
    if r_lo > 0:
        kind = "exact"
    elif r_hi > 0:
        kind = "unbounded"
        warnings.warn(f"{owner}: the {100 * (1 - a):.0f}% interval of the poverty reduction "
                      f"({100 * r_lo:.2f} to {100 * r_hi:.2f} points) contains 0, so the cost "
                      "per point has no upper bound: the interval is [cost / upper reduction, "
                      "infinity) ('at least ..., or no reduction at all').",
                      EstimationWarning, stacklevel=2)
    else:
        kind = "undefined"
        warnings.warn(f"{owner}: the {100 * (1 - a):.0f}% interval of the poverty reduction "
                      f"({100 * r_lo:.2f} to {100 * r_hi:.2f} points) excludes any reduction; "
                      "a cost per point is not defined.", EstimationWarning, stacklevel=2)
    measures: list[tuple[str, float]] = [("cost_per_point", 100.0)]
    if persons is not None:
        require(bool(np.isfinite(persons) and persons > 0), owner, "persons",
                "a positive number of persons", persons)
        measures.append(("cost_per_person_lifted", float(persons)))
    rows = []
    for measure, scale in measures:
        for group, c in costs.items():
            # no central ratio when the estimate is no reduction (C / r < 0 means nothing)
            est = c / (scale * r) if r > 0 else np.nan
            if kind == "exact":
                clo, chi = c / (scale * r_hi), c / (scale * r_lo)
            elif kind == "unbounded":
                clo, chi = c / (scale * r_hi), np.inf
            else:
                clo = chi = np.nan
            se = c * se_r / (scale * r ** 2) if r > 0 else np.nan
            name = measure if len(costs) == 1 else f"{measure}:{group}"
            rows.append({"term": name, "estimate": est, "std_error": se,
                         "p_value": float(row["p_value"]), "conf_low": clo, "conf_high": chi,
                         "n_obs": int(row["n_obs"]), "group": group, "measure": measure,
                         "cost_rp": c, "reduction": r, "reduction_low": r_lo,
                         "reduction_high": r_hi, "interval": kind})
    tab = pd.DataFrame(rows)
    prov = Provenance(method=owner, options={"term": term, "by": by, "direction": direction,
                                             "persons": persons, "alpha": a,
                                             "effect_method": effect.method,
                                             "costs": costs},
                      inputs_hash=effect.provenance.inputs_hash,
                      n_input=effect.provenance.n_input, n_used=effect.provenance.n_used)
    return EstimateResult(tab, method="cost_effectiveness", alpha=a, provenance=prov,
                          own_intervals=True,
                          extras={"effect": effect, "interval": kind,
                                  "z": float(special.ndtri(1 - a / 2))},
                          title="Cost-effectiveness (Rp)")


def separability_table(rollout: pd.DataFrame) -> pd.DataFrame:
    """Which components' poverty effects a village panel can tell apart from the others'.

    A component's own effect is separable only when (1) some programme villages do not get it
    (else it *is* the programme: its estimate equals the whole programme's) and (2) some
    villages get it without any other household component starting the same year (else it
    always comes bundled and its villages' effect is the bundle's). Village-level components
    (facilitation) always come with household components in the same villages here.

    Returns
    -------
    DataFrame
        ``component``, ``n_villages``, ``same_as_programme`` (bool), ``n_villages_alone``,
        ``separable`` (bool), ``reason`` (``whole_programme`` / ``always_bundled`` /
        ``separable``).
    """
    _check_columns(rollout, "separability_table",
                   columns=["village_code", "component", "first_year"])
    ro = rollout[["village_code", "component", "first_year"]]
    wide = ro.pivot_table(index="village_code", columns="component", values="first_year",
                          aggfunc="max", fill_value=0)
    programme = wide.where(wide > 0).min(axis=1).fillna(0)
    household = [c for c in wide.columns if c not in ("facilitation",)]
    rows = []
    for comp in wide.columns:
        fy = wide[comp]
        got = fy > 0
        n = int(got.sum())
        if n == 0:
            continue
        same = bool(((fy == programme) & (got == (programme > 0))).all())
        others = [c for c in household if c != comp]
        if others:
            bundled = (wide[others].eq(fy, axis=0) & got.to_numpy()[:, None]).any(axis=1)
        else:
            bundled = pd.Series(False, index=wide.index)
        alone = int((got & ~bundled).sum())
        separable = (not same) and alone > 0
        rows.append({"component": str(comp), "n_villages": n, "same_as_programme": same,
                     "n_villages_alone": alone, "separable": separable,
                     "reason": "whole_programme" if same else
                     ("separable" if separable else "always_bundled")})
    return pd.DataFrame(rows, columns=["component", "n_villages", "same_as_programme",
                                       "n_villages_alone", "separable", "reason"])
