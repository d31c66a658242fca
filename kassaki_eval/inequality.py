"""Deprecated alias: ``kassaki_eval.inequality`` moved to :mod:`kassaki_eval.poverty.inequality`.

Kept for one release so that existing notebooks keep working; import from
``kassaki_eval.poverty`` instead.
"""
import warnings as _warnings

from .poverty.inequality import *  # noqa: F401,F403
from .poverty.inequality import __all__  # noqa: F401

_warnings.warn("kassaki_eval.inequality moved to kassaki_eval.poverty.inequality "
               "(import from kassaki_eval.poverty); "
               "the old name will be removed in the next release.", DeprecationWarning,
               stacklevel=2)
