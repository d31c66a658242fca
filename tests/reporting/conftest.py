"""The one small report run that the pipeline and published-numbers tests share.

Session-scoped (once per pytest-xdist worker): scale 0.05, seed 7, both languages.
"""
from __future__ import annotations

import time

import pytest

from kassaki_eval.reporting import runner

# k = 20 so that some kecamatan cells of this small world (16-40 households) are suppressed
PIPELINE_PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05},
                   "k_suppress": 20}


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    """Run the whole report once; return its paths, root, progress log, time and parameters."""
    root = tmp_path_factory.mktemp("reports")
    lines: list[str] = []
    t0 = time.perf_counter()
    paths = runner.run_report(PIPELINE_PARAMS, out_root=root, echo=lines.append)
    return {"paths": paths, "root": root, "log": lines, "seconds": time.perf_counter() - t0,
            "params": PIPELINE_PARAMS}
