"""Report the execution time of every tutorial notebook and their total in the test output.

``test_tutorials.py`` records ``tutorial_seconds`` as a user property of each test; the
properties travel from pytest-xdist workers with the reports, so the summary is complete
under ``-n 2`` too.
"""
from __future__ import annotations

from typing import Any

__all__ = ["pytest_runtest_logreport", "pytest_terminal_summary"]

_TIMES: dict[str, float] = {}


def pytest_runtest_logreport(report: Any) -> None:
    """Collect the recorded execution time of each tutorial (call phase)."""
    if report.when != "call":
        return
    for name, value in getattr(report, "user_properties", ()):
        if name == "tutorial_seconds":
            _TIMES[report.nodeid.rsplit("[", 1)[-1].rstrip("]")] = float(value)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print one line per executed tutorial and the total."""
    if not _TIMES:
        return
    terminalreporter.section("tutorial notebooks executed")
    for name, sec in sorted(_TIMES.items()):
        terminalreporter.write_line(f"{name:<40} {sec:7.1f} s")
    terminalreporter.write_line(f"{'total':<40} {sum(_TIMES.values()):7.1f} s")
