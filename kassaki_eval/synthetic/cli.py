"""``kassaki-eval demo-data``: write the synthetic Pangkep world to a folder."""
from __future__ import annotations

import argparse
from pathlib import Path


def _run(args: argparse.Namespace) -> int:
    from .world import generate_world

    world = generate_world(seed=args.seed, scale=args.scale)
    if args.shape == "source":
        from .source_shape import write_source_shape
        paths = write_source_shape(world, Path(args.out))
        print(f"synthetic Pangkep world (seed {args.seed}, scale {args.scale}) written as "
              f"source-shaped files (P3KE export, Susenas KOR/KP, partner workbooks) under "
              f"{Path(args.out)}:")
        for p in paths:
            print(f"  {p}  ({p.stat().st_size:,} bytes)")
        print("Map them with the shipped profiles: docs/PROFILES.md. Note: the P3KE export and "
              "partner workbooks carry FAKE NIK/KK/names (demo only).")
        return 0
    paths = world.write(Path(args.out), population=not args.no_population)
    calib = world.truth["calibration"]
    cal = dict(zip(calib["quantity"], calib["value"], strict=False))
    print(f"synthetic Pangkep world: seed {args.seed}, scale {args.scale}, "
          f"{int(cal['n_households'])} households, {int(cal['n_registered'])} registered families, "
          f"generated in {world.generation_seconds:.1f} s")
    print(f"true P0 2023/2024/2025: {cal['p0_2023']:.4f} / {cal['p0_2024']:.4f} / "
          f"{cal['p0_2025']:.4f}; "
          f"desil 1-4 families: {int(cal['n_desil_1to4'])}")
    print(f"wrote {len(paths)} files under {Path(args.out)}:")
    for p in paths:
        print(f"  {p}  ({p.stat().st_size:,} bytes)")
    print("Note: registry_raw.csv carries FAKE NIK/KK/names (demo only); "
          "ingest pseudonymises them.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``demo-data`` subcommand.

    ``demo-data --out DIR [--seed N] [--scale X] [--shape contract|source] [--no-population]``.
    """
    p = subparsers.add_parser("demo-data",
                              help="write the synthetic Pangkep world (demo data + truth)",
                              description="Write the synthetic Pangkep world (the demo data "
                                          "and its known truth) to a folder.")
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiplies household counts and survey size (default 1.0)")
    p.add_argument("--shape", choices=("contract", "source"), default="contract",
                   help="'contract': the workbench's own layout (default); 'source': the same "
                        "world as a P3KE export, Susenas KOR/KP files and partner workbooks")
    p.add_argument("--no-population", action="store_true",
                   help="skip truth/population.csv (every household x year; ~30 MB at scale 1)")
    p.set_defaults(func=_run)
