"""kassaki-eval: poverty targeting and impact evaluation for KASSAKI.

Each capability module defines ``register(subparsers)``; see ``_load_registrars``."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from . import __version__
from .exceptions import KassakiError

# name -> (register(subparsers) -> None). Modules add themselves below; keep imports lazy so
# `kassaki-eval --help` stays fast.
_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def _load_registrars() -> None:
    import importlib
    _REGISTRARS.clear()  # build_parser may run more than once per process (tests, notebooks)
    for mod in ("kassaki_eval.synthetic.cli", "kassaki_eval.data.cli", "kassaki_eval.reporting.cli",
                "kassaki_eval.diagnosis"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod:  # capability not built yet
                continue
            raise
        _REGISTRARS.append(m.register)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kassaki-eval", description=__doc__)
    p.add_argument("--version", action="version", version=f"kassaki-eval {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _load_registrars()
    for reg in _REGISTRARS:
        reg(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KassakiError as e:
        print(f"kassaki-eval {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
