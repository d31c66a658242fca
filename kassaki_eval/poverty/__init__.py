"""Poverty and inequality with design-based inference.

The package is laid out by concept:

- :mod:`~kassaki_eval.poverty.design` -- :class:`SurveyDesign` (weights, strata, PSU, fpc,
  lonely-PSU rules, domains) and the one variance entry point, ``SurveyDesign.variance``;
- :mod:`~kassaki_eval.poverty.measures` -- FGT, Watts, SST, profiles, change between waves,
  poverty lines, incidence curve;
- :mod:`~kassaki_eval.poverty.inequality` -- Gini, GE/Theil, Atkinson, Palma, quantiles;
- :mod:`~kassaki_eval.poverty.sae` -- small-area estimation (village poverty map);
- :mod:`~kassaki_eval.poverty.decomposition` -- Datt-Ravallion and Shapley decompositions;
- ``_common`` -- building blocks shared by the estimators (not public).

Every estimator takes the design as ``design=`` (a :class:`SurveyDesign`, or a mapping of its
options) and returns an :class:`~kassaki_eval.results.EstimateResult`; ``alpha`` is always the
confidence level (the FGT exponent is ``g`` and the GE parameter ``epsilon``, as in R
``convey``); a plain table function is named ``*_table``.

Everything public is re-exported here: ``from kassaki_eval.poverty import SurveyDesign, fgt``.
"""
from .decomposition import datt_ravallion, shapley_growth_redistribution
from .design import LONELY_PSU_RULES, Domains, SurveyDesign, as_design
from .inequality import atkinson, gen_entropy, gini, mld, palma, quantile_shares, quantiles, theil
from .measures import (
                         RelativeLine,
                         change,
                         fgt,
                         incidence_curve,
                         kecamatan_table,
                         line_for,
                         mean_consumption,
                         plot_incidence_curve,
                         poverty_lines,
                         profile,
                         profile_table,
                         sst,
                         watts,
)
from .sae import fay_herriot

__all__ = [
    "SurveyDesign", "Domains", "LONELY_PSU_RULES", "as_design",
    "RelativeLine", "fgt", "watts", "sst", "mean_consumption", "profile", "profile_table",
    "kecamatan_table",
    "change", "datt_ravallion", "shapley_growth_redistribution", "poverty_lines", "line_for",
    "incidence_curve", "plot_incidence_curve",
    "gini", "gen_entropy", "theil", "mld", "atkinson", "palma", "quantile_shares", "quantiles",
    "fay_herriot",
]
