"""Shared fixtures. Worlds are generated once per test session (and per xdist worker)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

# Our own modules are imported directly: a broken import must fail the suite, never skip it.
from kassaki_eval.synthetic.world import generate_world


@pytest.fixture(scope="session")
def world():
    """The default Pangkep world (seed 2024, full scale)."""
    return generate_world(seed=2024)


# -- the one small report run shared by tests/reporting/test_pipeline.py and
# tests/reporting/test_report_numbers.py (session-scoped: once per pytest-xdist worker). It
# lives here, not in a tests/reporting/conftest.py: tests/data imports helpers with
# ``from conftest import ...``, which a second conftest module would shadow.
# k = 20 so that some kecamatan cells of this small world (16-40 households) are suppressed
PIPELINE_PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05},
                   "k_suppress": 20}


@pytest.fixture(scope="session")
def report(tmp_path_factory):
    """Run the whole report once; return its paths, root, progress log, time and parameters."""
    from kassaki_eval.reporting import runner
    root = tmp_path_factory.mktemp("reports")
    lines: list[str] = []
    t0 = time.perf_counter()
    paths = runner.run_report(PIPELINE_PARAMS, out_root=root, echo=lines.append)
    return {"paths": paths, "root": root, "log": lines, "seconds": time.perf_counter() - t0,
            "params": PIPELINE_PARAMS}


@pytest.fixture(scope="session")
def small_world():
    """A 10 % scale world for fast tests of pipelines."""
    return generate_world(seed=7, scale=0.1)


# -- tutorial execution times (tests/docs/test_tutorials.py) --------------------------------
# Each tutorial test records ``tutorial_seconds``; the property travels from pytest-xdist
# workers with the report, and this root conftest is loaded by the controller too, so the
# summary below lists every executed tutorial and the total, with or without ``-n``.
_TUTORIAL_SECONDS: dict[str, float] = {}


@pytest.fixture(scope="module")
def mpdta():
    """R did's mpdta panel (tests/references/did/README.md), read once per test module (module
    scope, so a test that changes it in place cannot leak into another module)."""
    import pandas as pd
    return pd.read_csv(Path(__file__).resolve().parent / "references" / "did" / "mpdta.csv")


def pytest_runtest_logreport(report) -> None:  # noqa: ANN001 - pytest hook
    """Collect the execution time of each tutorial notebook (call phase)."""
    if report.when == "call":
        for name, value in getattr(report, "user_properties", ()):
            if name == "tutorial_seconds":
                _TUTORIAL_SECONDS[report.nodeid.rsplit("[", 1)[-1].rstrip("]")] = float(value)


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001 - pytest hook
    """Print one line per executed tutorial and their total time."""
    if _TUTORIAL_SECONDS:
        terminalreporter.section("tutorial notebooks executed")
        for name, sec in sorted(_TUTORIAL_SECONDS.items()):
            terminalreporter.write_line(f"{name:<32} {sec:7.1f} s")
        terminalreporter.write_line(f"{'total':<32} {sum(_TUTORIAL_SECONDS.values()):7.1f} s")
