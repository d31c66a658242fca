# selection on observables and RD (issue 6)
from .balance import balance_table, love_plot, overlap_plot, trimming_table  # noqa: F401
from .matching import ps_matching  # noqa: F401
from .rd import (  # noqa: F401
    normalise_running, rd_balance, rd_bandwidths, rd_density, rd_estimate, rd_placebo, rd_plot,
)
from .weighting import aipw, entropy_balancing, ipw, propensity_score  # noqa: F401
