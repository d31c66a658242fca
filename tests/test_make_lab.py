"""``make lab``: JupyterLab gets ``--allow-root`` exactly when make runs as root (issue 17).

``make -n`` prints the command without running it; a file made just now stands in for the
installed-venv stamp, so nothing is installed. (``STAMP=Makefile`` did that job until session 7,
but then the Makefile has a rule of its own, ``Makefile: requirements/core.lock ...``, and GNU
make remakes a makefile even under ``-n``: in a fresh worktree whose lock file was newer than
its Makefile, the test created .venv and pip-installed the whole lock.) The user id comes from
``id -u``: a stand-in ``id`` first on ``PATH`` plays root and a normal user.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("uid, allow", [("0", True), ("1000", False)])
def test_lab_allows_root_only_as_root(tmp_path: Path, uid: str, allow: bool) -> None:
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fake / "id").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    stamp = tmp_path / "stamp"
    stamp.touch()  # newer than the lock file and pyproject.toml: up to date
    out = subprocess.run(["make", "-n", "-s", "lab", f"STAMP={stamp}"], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    cmd = next(line for line in out.splitlines() if "jupyter lab" in line)
    assert ("--allow-root" in cmd) is allow, cmd
    assert "notebooks/index.py" in cmd
