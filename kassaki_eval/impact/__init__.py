"""Impact evaluation.

Selection on observables, RD, difference-in-differences, event studies, power and the
one-point verdict.

The names below are imported on first use (PEP 562), so that importing one module of the
package (e.g. ``impact.cost`` for the report parameters) does not import them all:
scikit-learn, scipy.stats and statsmodels cost about a second of every command's start-up.
``from kassaki_eval.impact import callaway_santanna`` works as before.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .balance import balance_table, love_plot, overlap_plot, trimming_table  # noqa: F401

    # cost-effectiveness (issue 14)
    from .cost import (  # noqa: F401
        CostRules,
        cost_effectiveness,
        cost_per_household,
        cost_table,
        district_persons,
        separability_table,
    )

    # difference-in-differences, event studies, power and the verdict (issue 5)
    from .did import bacon_decomposition, did_2x2, twfe  # noqa: F401
    from .eventstudy import event_study, honest_did, plot_event_study, pretrend_test  # noqa: F401
    from .matching import difference_in_means, ps_matching  # noqa: F401
    from .panel import evaluation_panel  # noqa: F401
    from .power import (  # noqa: F401
        clusters_needed,
        intra_cluster_correlation,
        mde_cluster,
        mde_did,
        mde_staggered,
        power_cluster,
        power_staggered,
        simulate_power,
    )
    from .rd import (  # noqa: F401
        normalise_running,
        rd_balance,
        rd_bandwidths,
        rd_density,
        rd_estimate,
        rd_multi_cutoff,
        rd_placebo,
        rd_plot,
    )
    from .staggered import aggregate, callaway_santanna, imputation, village_panel  # noqa: F401
    from .sunab import sun_abraham  # noqa: F401
    from .verdict import programme_verdict, verdict_from_survey  # noqa: F401
    from .weighting import aipw, entropy_balancing, ipw, propensity_score  # noqa: F401

#: public name -> the submodule that defines it
_WHERE: dict[str, str] = {
    "balance_table": "balance",
    "love_plot": "balance",
    "overlap_plot": "balance",
    "trimming_table": "balance",
    "CostRules": "cost",
    "cost_effectiveness": "cost",
    "cost_per_household": "cost",
    "cost_table": "cost",
    "district_persons": "cost",
    "separability_table": "cost",
    "bacon_decomposition": "did",
    "did_2x2": "did",
    "twfe": "did",
    "event_study": "eventstudy",
    "honest_did": "eventstudy",
    "plot_event_study": "eventstudy",
    "pretrend_test": "eventstudy",
    "difference_in_means": "matching",
    "ps_matching": "matching",
    "evaluation_panel": "panel",
    "clusters_needed": "power",
    "intra_cluster_correlation": "power",
    "mde_cluster": "power",
    "mde_did": "power",
    "mde_staggered": "power",
    "power_cluster": "power",
    "power_staggered": "power",
    "simulate_power": "power",
    "normalise_running": "rd",
    "rd_balance": "rd",
    "rd_bandwidths": "rd",
    "rd_density": "rd",
    "rd_estimate": "rd",
    "rd_multi_cutoff": "rd",
    "rd_placebo": "rd",
    "rd_plot": "rd",
    "aggregate": "staggered",
    "callaway_santanna": "staggered",
    "imputation": "staggered",
    "village_panel": "staggered",
    "sun_abraham": "sunab",
    "programme_verdict": "verdict",
    "verdict_from_survey": "verdict",
    "aipw": "weighting",
    "entropy_balancing": "weighting",
    "ipw": "weighting",
    "propensity_score": "weighting",
}


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # static imports (no importlib: a renamed module fails here, loudly), all at once, as
    # the package's import did before it was made lazy
    from . import (
        balance,
        cost,
        did,
        eventstudy,
        matching,
        panel,
        power,
        rd,
        staggered,
        sunab,
        verdict,
        weighting,
    )
    modules = {m.__name__.rsplit('.', 1)[-1]: m for m in (
        balance, cost, did, eventstudy, matching, panel, power, rd, staggered, sunab, verdict,
        weighting)}
    value = getattr(modules[where], name)
    globals()[name] = value  # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "balance_table",
    "love_plot",
    "overlap_plot",
    "trimming_table",
    "ps_matching",
    "difference_in_means",
    "normalise_running",
    "rd_balance",
    "rd_bandwidths",
    "rd_density",
    "rd_estimate",
    "rd_multi_cutoff",
    "rd_placebo",
    "rd_plot",
    "aipw",
    "entropy_balancing",
    "ipw",
    "propensity_score",
    "bacon_decomposition",
    "did_2x2",
    "twfe",
    "event_study",
    "honest_did",
    "plot_event_study",
    "pretrend_test",
    "clusters_needed",
    "mde_cluster",
    "mde_did",
    "mde_staggered",
    "power_cluster",
    "power_staggered",
    "intra_cluster_correlation",
    "simulate_power",
    "aggregate",
    "callaway_santanna",
    "imputation",
    "village_panel",
    "sun_abraham",
    "programme_verdict",
    "verdict_from_survey",
    "CostRules",
    "cost_table",
    "cost_per_household",
    "cost_effectiveness",
    "district_persons",
    "separability_table",
    "evaluation_panel",
]
