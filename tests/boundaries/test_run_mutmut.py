"""The mutation runner's configuration names files that exist (a renamed test file would
otherwise drop silently out of a module's mutmut run: run_mutmut keeps only existing files)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("run_mutmut",
                                               ROOT / "tests/boundaries/run_mutmut.py")
run_mutmut = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_mutmut)


def test_every_module_and_test_file_of_the_runner_exists():
    missing = [m for m in run_mutmut.MODULES if not (ROOT / m).is_file()]
    missing += [t for tests in run_mutmut.MODULES.values() for t in tests
                if not (ROOT / t.split("::")[0]).is_file()]
    assert missing == []


def test_copy_folders_are_distinct_for_modules_that_share_a_file_name():
    names = [run_mutmut.copy_name(m) for m in run_mutmut.MODULES]
    assert len(set(names)) == len(names)
    assert run_mutmut.copy_name("kassaki_eval/poverty/_common.py") == "poverty._common"
    assert run_mutmut.copy_name("kassaki_eval/data/cli.py") == "data.cli"
