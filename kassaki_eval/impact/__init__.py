"""Impact evaluation.

Selection on observables, RD, difference-in-differences, event studies, power and the
one-point verdict.
"""
# selection on observables and RD (issue 6)
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
