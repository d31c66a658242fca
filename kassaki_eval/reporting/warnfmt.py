"""Warnings in published notebooks: ``DataWarning: <message>``, without the machine's paths.

Python prints a warning as ``<file>:<line>: <Category>: <message>`` followed by the source
line. In a report kernel ``<file>`` is the library's absolute path on this machine
(``/home/.../kassaki_eval/poverty/sae/direct.py``) or the kernel's temporary cell file
(``/tmp/ipykernel_<pid>/<hash>.py``): it reveals the machine and differs between machines
and runs, so the executed notebooks of two identical runs would differ. :func:`format_warning`
keeps the category and the message, which is what the reader needs (and what the run's
summary collects); :func:`use_plain_warnings` installs it for the process (a report kernel).

Example
-------
>>> from kassaki_eval.exceptions import DataWarning
>>> print(format_warning(DataWarning("3 villages have no survey household"), DataWarning,
...                      "/home/me/kassaki_eval/x.py", 12), end="")
DataWarning: 3 villages have no survey household
"""
from __future__ import annotations

import warnings

__all__ = ["format_warning", "use_plain_warnings"]


def format_warning(message: Warning | str, category: type[Warning], filename: str,
                   lineno: int, line: str | None = None) -> str:
    """``<Category>: <message>`` and a newline; the file, line number and source are left out.

    The signature of :func:`warnings.formatwarning`, which this replaces.
    """
    return f"{category.__name__}: {message}\n"


def use_plain_warnings() -> None:
    """Print every warning of this process with :func:`format_warning` (no paths).

    Called by :func:`kassaki_eval.reporting.context.start` in a report run (the published
    notebooks); an interactive session keeps Python's default, which names the file.
    """
    warnings.formatwarning = format_warning
