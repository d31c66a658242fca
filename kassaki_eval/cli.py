"""kassaki-eval: poverty targeting and impact evaluation for KASSAKI.

Each capability module defines ``register(subparsers)``; see ``_load_registrars``.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__
from .exceptions import KassakiError

# Each capability module defines register(subparsers). Imported statically: a renamed or
# broken module must fail loudly, not silently drop its sub-command.
_REGISTRARS: list[Callable[[argparse._SubParsersAction], None]] = []


def _load_registrars() -> None:
    from . import diagnosis
    from .data import cli as data_cli, map_cli
    from .reporting import cli as reporting_cli
    from .synthetic import cli as synthetic_cli
    _REGISTRARS.clear()  # build_parser may run more than once per process (tests, notebooks)
    _REGISTRARS.extend([synthetic_cli.register, data_cli.register, map_cli.register,
                        reporting_cli.register, diagnosis.register])


def build_parser() -> argparse.ArgumentParser:
    """Build the ``kassaki-eval`` parser with every capability's subcommands."""
    p = argparse.ArgumentParser(
        prog="kassaki-eval",
        description="Poverty targeting and impact evaluation for KASSAKI. "
                    "'kassaki-eval COMMAND --help' shows a command's options.")
    p.add_argument("--version", action="version", version=f"kassaki-eval {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    _load_registrars()
    for reg in _REGISTRARS:
        reg(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 on a kassaki-eval error)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KassakiError as e:
        print(f"kassaki-eval {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
