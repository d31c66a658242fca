"""Warnings in report kernels print as '<Category>: <message>' (reporting/warnfmt.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kassaki_eval.exceptions import EstimationWarning
from kassaki_eval.reporting.warnfmt import format_warning


def test_format_keeps_category_and_message_only():
    out = format_warning(EstimationWarning("fay_herriot: variance 0"), EstimationWarning,
                         "/home/someone/kassaki_eval/poverty/sae/fayherriot.py", 193,
                         "    fh = fay_herriot(areas, ...)")
    assert out == "EstimationWarning: fay_herriot: variance 0\n"


def test_installed_format_prints_no_path():
    """In a fresh interpreter (as a report kernel): the warning line has no file or source."""
    code = ("import warnings\n"
            "from kassaki_eval.exceptions import DataWarning\n"
            "from kassaki_eval.reporting.warnfmt import use_plain_warnings\n"
            "use_plain_warnings()\n"
            "warnings.warn('21 domains have no poor household', DataWarning, stacklevel=1)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stderr == "DataWarning: 21 domains have no poor household\n"
