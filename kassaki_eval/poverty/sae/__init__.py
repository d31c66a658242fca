"""Small-area estimation of village poverty (the village poverty map).

- :mod:`~kassaki_eval.poverty.sae.fayherriot` -- area-level Fay-Herriot EBLUP (REML/ML,
  log/arcsin, analytic and bootstrap MSE, benchmarking);
"""
from .fayherriot import arcsin_bias_corrected, fay_herriot, fh_fit

__all__ = ["arcsin_bias_corrected", "fay_herriot", "fh_fit"]
