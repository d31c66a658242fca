"""Benchmarks: our code and its peers side by side, in one process, with agreement checks.

Convention (every ``benchmarks/bench_*.py``):

- define ``main(argv=None) -> int`` that builds the data once, then calls
  :func:`benchmarks._harness.side_by_side` with a dict of callables: ``"kassaki"`` first, then
  each peer (``"svy"``, ``"diff-diff"``, ...), and a ``"bare numpy"`` limit where the issue asks.
- ``check`` compares each peer's output with ours and records the largest difference, so a
  benchmark never times two things that do not compute the same result.
- the harness prints a table: median and min seconds over repeats, ratio to ``kassaki``, and
  agreement; results are also appended as JSON to ``benchmarks/results/`` (untracked).

Run all with ``make bench`` (``python -m benchmarks``) or one with
``python -m benchmarks.bench_poverty --sizes 100000``.
"""
