"""Deprecated alias: ``kassaki_eval.survey`` moved to :mod:`kassaki_eval.poverty.design`.

Kept for one release so that existing notebooks keep working; import from
``kassaki_eval.poverty`` instead.
"""
import warnings as _warnings

from .poverty.design import *  # noqa: F401,F403
from .poverty.design import __all__  # noqa: F401

_warnings.warn("kassaki_eval.survey moved to kassaki_eval.poverty.design "
               "(import from kassaki_eval.poverty); "
               "the old name will be removed in the next release.", DeprecationWarning,
               stacklevel=2)
