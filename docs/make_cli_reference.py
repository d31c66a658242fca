"""Write the command-line reference page, docs/site/cli.md, from the parsers themselves.

``python docs/make_cli_reference.py`` (re)writes the page; ``--check`` exits 1 when the page
differs from what the parsers print (tests/docs/test_cli_reference.py runs the check). The
page is argparse's own ``--help`` text of every sub-command, at a fixed width of 80 columns
(the docs column shows that without scrolling), so the reference cannot drift from the
program. argparse's layout changes between Python
versions: the page is written with Python 3.11, the project's version.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "site" / "cli.md"

HEAD = """# Command-line reference

Every sub-command of `kassaki-eval`, with the text its `--help` prints. The page is generated
from the program (`python docs/make_cli_reference.py`); a test fails when the two differ.
`make report` and `make test` call these commands for you; see {doc}`getting-started`.
"""


def render() -> str:
    """The page: the top-level help, then each sub-command's, in the parser's order."""
    sys.path.insert(0, str(ROOT))
    from kassaki_eval.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "80"
    try:
        parser = build_parser()
        parts = [HEAD, "```text", parser.format_help().rstrip(), "```"]
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        for name, p in sub.choices.items():
            parts += ["", f"## `kassaki-eval {name}`", "", "```text", p.format_help().rstrip(),
                      "```"]
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = render()
    if "--check" in args:
        current = PAGE.read_text(encoding="utf-8") if PAGE.exists() else ""
        if current != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date. Fix: python docs/make_cli_reference.py")
            return 1
        return 0
    PAGE.write_text(text, encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
