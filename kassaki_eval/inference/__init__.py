"""Inference for few clusters.

Cluster-robust variance, wild cluster bootstrap, randomisation inference and multiple-testing
corrections (see :mod:`kassaki_eval.inference.core`).
"""
from .core import (
                   RandomizationResult,
                   WildBootstrapResult,
                   benjamini_hochberg,
                   cluster_codes,
                   cluster_vcov,
                   draw_wild_weights,
                   few_clusters_warning,
                   influence_se,
                   influence_vcov,
                   randomization_inference,
                   romano_wolf,
                   romano_wolf_wild,
                   sharpened_qvalues,
                   wild_cluster_bootstrap,
                   wild_conf_int,
                   wls,
)

__all__ = [
    "cluster_codes",
    "wls",
    "cluster_vcov",
    "influence_vcov",
    "influence_se",
    "few_clusters_warning",
    "WildBootstrapResult",
    "wild_cluster_bootstrap",
    "draw_wild_weights",
    "wild_conf_int",
    "RandomizationResult",
    "randomization_inference",
    "benjamini_hochberg",
    "sharpened_qvalues",
    "romano_wolf",
    "romano_wolf_wild",
]
