"""docs/site/cli.md is the program's own ``--help`` text of every sub-command.

The page is written by ``python docs/make_cli_reference.py``; this test renders it again from
the parsers and compares, so an option, default, metavar, choice or help text changed in the
code without the reference (or the reverse) fails here.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _maker():
    spec = importlib.util.spec_from_file_location("make_cli_reference",
                                                  ROOT / "docs" / "make_cli_reference.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(sys.version_info[:2] != (3, 11),
                    reason="argparse lays help out differently across Python versions; the "
                           "page is written with the project's Python 3.11")
def test_cli_reference_page_is_the_programs_help():
    mk = _maker()
    page = (ROOT / "docs" / "site" / "cli.md").read_text(encoding="utf-8")
    want = mk.render()
    assert page == want, ("docs/site/cli.md differs from the program's --help. Fix: "
                          "python docs/make_cli_reference.py (after checking the change)")


def test_every_sub_command_has_a_section():
    mk = _maker()
    page = (ROOT / "docs" / "site" / "cli.md").read_text(encoding="utf-8")
    for name in ("demo-data", "validate", "ingest", "map", "clean", "report", "diagnose"):
        assert f"## `kassaki-eval {name}`" in page
    if sys.version_info[:2] == (3, 11):
        assert mk.main(["--check"]) == 0


def test_no_help_text_shows_developer_markup():
    """``--help`` is read by evaluators: no RST roles, literal markers or ``Examples::`` (the
    module docstrings of map, report, demo-data and diagnose printed those until session 9)."""
    mk = _maker()
    helps = "\n".join(line for line in mk.render()[len(mk.HEAD):].splitlines()
                       if not line.startswith("```"))  # the page's own code fences
    for mark in ("``", "::", ":class:", ":meth:", ":func:"):
        assert mark not in helps, mark
