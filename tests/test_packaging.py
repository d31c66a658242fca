"""The two install routes (pip lock, conda environment.yml) pin the same versions."""
import re
from pathlib import Path

import kassaki_eval

ROOT = Path(kassaki_eval.__file__).resolve().parents[1]


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / "core.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def test_environment_yml_pins_match_lock():
    lock = _lock()
    conda = re.findall(r"^\s+- ([a-z0-9\-]+)=([0-9][^\s]*)$", (ROOT / "environment.yml").read_text(), re.M)
    assert len(conda) >= 15, "environment.yml lost its pins"
    mismatched = {n: (v, lock.get(n)) for n, v in conda if n != "python" and lock.get(n) != v}
    assert not mismatched, f"environment.yml and core.lock disagree: {mismatched}"


def test_lock_pins_every_direct_dependency():
    import tomllib
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in deps}
    missing = names - set(_lock())
    assert not missing, f"requirements/core.lock does not pin {missing}; run `make lock`"
