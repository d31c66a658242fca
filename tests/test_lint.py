"""The package stays clean under the ruff and mypy configuration of pyproject.toml (issue 16)."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import kassaki_eval

ROOT = Path(kassaki_eval.__file__).resolve().parents[1]


def _tool(name: str) -> str:
    # the interpreter's own bin folder first (a venv without activation), then PATH
    here = Path(sys.executable).with_name(name)
    exe = str(here) if here.exists() else shutil.which(name)
    if exe is None:
        pytest.skip(f"{name} is not installed (it is pinned in requirements/core.lock; "
                    f"`make test` installs it)")
    return exe


def test_ruff_finds_nothing_in_the_package():
    out = subprocess.run([_tool("ruff"), "check", "kassaki_eval", "--output-format", "concise"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.slow  # about two minutes on a cold cache: run with `make test-slow`
def test_mypy_finds_nothing_in_the_package():
    out = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
