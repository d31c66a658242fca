"""``map --suggest`` accuracy on the messy demo (a measurement of quality, not of speed).

For each source-shaped file of ``demo-data --shape source`` (seed 2024, scale 0.05): the share
of the columns its shipped profile maps from one source column that the suggester maps to the
same contract column with no table, sheet or header row given. Prints a Markdown table
(the one in docs/PROFILES.md).

Run: ``python -m benchmarks.suggest_accuracy``.
"""
from __future__ import annotations

import tempfile
from pathlib import Path


def main() -> int:
    from kassaki_eval.data.suggest import suggest_accuracy
    from kassaki_eval.synthetic.source_shape import SOURCE_FILES, write_source_shape
    from kassaki_eval.synthetic.world import generate_world

    root = Path(tempfile.mkdtemp(prefix="suggest_acc_"))
    write_source_shape(generate_world(seed=2024, scale=0.05), root)
    print("| file | profile | table guessed | mapped right | wrong | missed |")
    print("|---|---|---|---|---|---|")
    tot_c = tot_n = 0
    for prof, files in SOURCE_FILES.items():
        if prof.startswith("workbench"):
            continue
        for f in files:
            if "_2024" in f or "_2025" in f:  # the waves share one layout
                continue
            r = suggest_accuracy(root / f, prof)
            tot_c += r["correct"]
            tot_n += r["total"]
            print(f"| {f} | {prof} | {r['table']} ({'ok' if r['table_ok'] else 'WRONG'}) | "
                  f"{r['correct']}/{r['total']} = {r['share']:.0%} | "
                  f"{', '.join(r['wrong']) or '-'} | {', '.join(r['missed']) or '-'} |")
    print(f"| all | | | {tot_c}/{tot_n} = {tot_c / tot_n:.0%} | | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
