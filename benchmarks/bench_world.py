"""Synthetic world generation time: kassaki vs a numpy floor (no peer generates this world).

What is timed:

- ``kassaki``: ``generate_world(seed=2024)`` at full scale (90,000 households x 3 years,
  registry, 3 survey waves, participation, roll-out, all truth tables; includes the registry
  noise search, the R^2 solve and 90,000 HMAC-SHA256 family ids);
- ``kassaki_scale_0.1``: the same at 10 % scale (the test fixture ``small_world``);
- ``kassaki_write``: generate + ``World.write`` without ``truth/population.csv``;
- ``numpy_floor``: the limit -- only the random draws a world of this size needs (about 60
  numbers per household, as float64) and 90,000 HMACs; no tables. Not the same output, so
  there is no agreement check: it shows how far the generator is from its floor.

Goal (issue 2): the default world generates in seconds on 2 cores -- measured here, not
asserted in the test suite (the wall-clock assertion that used to sit in
tests/synthetic/test_world.py failed on a loaded machine; issue 16). Also timed:
``generate_registry`` (registry + linked survey only) and Kota Parepare's world.

Run: ``python -m benchmarks.bench_world --repeats 3``.
"""
from __future__ import annotations

import argparse
import hmac
import tempfile

import numpy as np

from benchmarks._harness import side_by_side


def numpy_floor(n: int = 90_000) -> float:
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(60, n))
    key = b"kassaki-demo-key-NOT-SECRET"
    ids = [hmac.digest(key, str(9999_0000_0000_0000 + i).encode(), "sha256").hex()[:16]
           for i in range(n)]
    return float(draws.sum()) + len(ids)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench_world")
    ap.add_argument("--repeats", type=int, default=3)
    args, _ = ap.parse_known_args(argv)
    from kassaki_eval.synthetic.world import generate_registry, generate_world

    def write() -> None:
        with tempfile.TemporaryDirectory() as d:
            generate_world(seed=2024).write(d, population=False)

    side_by_side(
        "Synthetic Pangkep world generation (90,000 households, 2023-2025)",
        {
            "kassaki": lambda: generate_world(seed=2024),
            "kassaki_scale_0.1": lambda: generate_world(seed=7, scale=0.1),
            "kassaki_write": write,
            "registry_only": lambda: generate_registry(seed=2024),
            "registry_fast_ids": lambda: generate_registry(seed=2024, fast_ids=True),
            "parepare_world": lambda: generate_world(seed=2024, district="parepare"),
            "numpy_floor": numpy_floor,
        },
        repeats=args.repeats,
        meta={"households": 90_000, "peer": "none (no package generates this world)"},
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
