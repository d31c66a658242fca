"""Scoped mutmut 3 runs, one module at a time with only its relevant tests (``make mutation``).

Usage (from the repository root)::

    python tests/boundaries/run_mutmut.py [module ...]   # default: every module of MODULES

Each module is mutated in a throw-away copy of the repository (``$TMPDIR/kassaki-mutmut/``)
with a ``setup.cfg [mutmut]`` section naming it and its tests, so runs never touch the work
tree and two modules can be run one after the other on a shared 2-core machine
(``--max-children 1``). Prints mutmut's counts per module (killed, survived, no tests,
timeout) and writes the survivors' names to ``<copy>/survivors.txt``; inspect one with
``mutmut show <name>`` inside the copy. Not part of CI (minutes per module).
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTMUT = Path(sys.executable).with_name("mutmut")

#: module -> the tests that pin it (kept small: mutmut runs them for every mutant)
MODULES: dict[str, list[str]] = {
    "kassaki_eval/reporting/i18n.py": ["tests/reporting/test_i18n.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/reporting/disclosure.py": ["tests/reporting/test_disclosure.py",
                                             "tests/reporting/test_disclosure_rules.py",
                                             "tests/properties/test_invariants.py",
                                             "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/data/pseudonymise.py": ["tests/data/test_pseudonymise.py",
                                          "tests/data/test_pseudonymise_rules.py",
                                          "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/poverty/measures.py": ["tests/poverty/test_measures.py",
                                         "tests/properties/test_invariants.py",
                                         "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/poverty/design.py": ["tests/poverty/test_design.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/impact/verdict.py": ["tests/impact/test_verdict.py",
                                       "tests/impact/test_verdict_formulas.py",
                                       "tests/boundaries/test_boundaries.py"],
    "kassaki_eval/targeting/metrics.py": ["tests/targeting/test_metrics.py",
                                          "tests/targeting/test_metrics_pinned.py",
                                          "tests/targeting/test_metrics_linear.py",
                                          "tests/properties/test_invariants.py"],
    "kassaki_eval/inference/core.py": ["tests/inference/test_inference.py",
                                       "tests/inference/test_inference_pinned.py"],
}


#: appended to the copy's tests/conftest.py: order by mutmut's recorded call time, plus the
#: set-up time of the heavy session fixtures (a world or a whole report), which it does not record
ORDER_HOOK = """

def pytest_collection_modifyitems(config, items):  # added by run_mutmut.py (copy only)
    import json
    try:
        with open("mutmut-stats.json") as fh:
            dur = json.load(fh)["duration_by_test"]
    except (OSError, ValueError, KeyError):
        return
    heavy = {"world": 10.0, "small_world": 1.0, "report": 60.0}

    def cost(item):
        fx = getattr(item, "fixturenames", ())
        return dur.get(item.nodeid, 0.0) + sum(v for k, v in heavy.items() if k in fx)

    items.sort(key=cost)
"""


def run(module: str, tests: list[str]) -> dict[str, int]:
    work = Path(tempfile.gettempdir()) / "kassaki-mutmut" / Path(module).stem
    shutil.rmtree(work, ignore_errors=True)
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (work / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, work / f)
    tests = [t for t in tests if (work / t.split("::")[0]).is_file()]
    # fastest tests first: mutmut stops at the first failure (-x) and passes a mutant's tests
    # in no set order, so a cheap killing test otherwise often waits behind a slow one. The
    # hook goes into the throw-away copy's conftest only; it changes the order, never the set.
    with (work / "tests" / "conftest.py").open("a") as fh:
        fh.write(ORDER_HOOK)
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        f"paths_to_mutate = {module}\n"
        "also_copy =\n    kassaki_eval\n    data\n    tests\n    notebooks\n"
        "tests_dir =\n" + "".join(f"    {t}\n" for t in tests)
        + "pytest_add_cli_args = -p no:cacheprovider -o addopts= -p no:xdist\n")
    env = {**os.environ, "PYTHONPATH": ""}
    subprocess.run([str(MUTMUT), "run", "--max-children", "1"], cwd=work, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=work, env=env,
                         capture_output=True, text=True).stdout
    counts: dict[str, int] = {}
    surv = []
    for line in res.splitlines():
        m = re.match(r"\s*(\S+): (.+)$", line)
        if m:
            counts[m.group(2)] = counts.get(m.group(2), 0) + 1
            if m.group(2) == "survived":
                surv.append(m.group(1))
    (work / "survivors.txt").write_text("\n".join(surv) + "\n")
    return counts


def main(argv: list[str]) -> int:
    mods = argv or list(MODULES)
    for mod in mods:
        c = run(mod, MODULES[mod])
        k, s = c.get("killed", 0), c.get("survived", 0)
        score = 100 * k / (k + s) if k + s else float("nan")
        print(f"{mod}: {sum(c.values())} mutants, killed {k}, survived {s}, "
              f"other {dict((x, n) for x, n in c.items() if x not in ('killed', 'survived'))}, "
              f"score {score:.1f} % (before marking equivalents)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
