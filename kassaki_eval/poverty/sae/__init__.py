"""Small-area estimation of village poverty (the village poverty map).

- :mod:`~kassaki_eval.poverty.sae.fayherriot` -- area-level Fay-Herriot EBLUP (REML/ML,
  log/arcsin, analytic and bootstrap MSE, benchmarking);
- :mod:`~kassaki_eval.poverty.sae.direct` -- village direct estimates with GVF-smoothed
  variances and the area table (registry village means);
- :mod:`~kassaki_eval.poverty.sae.nested` -- the nested-error model by REML (vectorised);
- :mod:`~kassaki_eval.poverty.sae.unitlevel` -- unit-level EBP (Molina & Rao 2010), bootstrap MSE;
- :mod:`~kassaki_eval.poverty.sae.diagnostics` -- R², ICC, normality, the village table, change;
- :mod:`~kassaki_eval.poverty.sae.plots` -- schematic village map (choropleth with a boundary
  file and geopandas) and direct-vs-model plot.
"""
from .diagnostics import (
                          RSE_THRESHOLDS,
                          ebp_diagnostics_table,
                          fh_diagnostics_table,
                          village_change,
                          village_quota_table,
                          village_table,
)
from .direct import area_table, direct_estimates, registry_village_means
from .fayherriot import arcsin_bias_corrected, fay_herriot, fh_fit
from .plots import plot_direct_vs_model, plot_village_map
from .unitlevel import check_covariates, ebp

__all__ = ["fay_herriot", "fh_fit", "arcsin_bias_corrected", "ebp", "check_covariates",
           "direct_estimates", "area_table", "registry_village_means", "village_table",
           "village_change", "village_quota_table", "ebp_diagnostics_table",
           "fh_diagnostics_table", "RSE_THRESHOLDS", "plot_village_map", "plot_direct_vs_model"]
