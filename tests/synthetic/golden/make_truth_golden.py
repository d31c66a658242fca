"""Write the reference copies of Pangkep's seed-2024 truth tables whose floats depend on the
processor (truth/att.csv and truth/village_att.csv: means and logs whose last bits differ
between AVX-512 and AVX2 machines), compared with a tolerance by
tests/synthetic/test_districts.py. Every other world file keeps its byte-exact SHA-256.

Run from the repository root: ``python tests/synthetic/golden/make_truth_golden.py``.
Written 2026-12-03 (session 9) on an AMD EPYC (AVX2) machine at main 61a725f; the world code
is unchanged since the SHA-256 goldens of commit 1dc9042.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from kassaki_eval.synthetic.world import generate_world

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    w = generate_world(seed=2024)
    with tempfile.TemporaryDirectory() as d:
        w.write(d, population=False)
        for f in ("att.csv", "village_att.csv"):
            (HERE / f"pangkep_2024_{f}").write_bytes((Path(d) / "truth" / f).read_bytes())
            print("wrote", HERE / f"pangkep_2024_{f}")
