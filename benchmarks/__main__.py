"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``)."""
from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).resolve().parent
    rc = 0
    for m in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
        if m.name.startswith("bench_"):
            mod = importlib.import_module(f"benchmarks.{m.name}")
            rc |= int(mod.main(sys.argv[1:]) or 0)
    return rc


if __name__ == "__main__":
    sys.exit(main())
