"""The ``kassaki-eval`` entry point pinned (issue 18, session 8, mutmut survivors of cli.py).

Expected values: the seven sub-commands README.md documents (demo-data, validate, ingest, map,
clean, report, diagnose), argparse's documented behaviour (``--version`` prints and exits 0, a
missing required sub-command exits 2) and cli.py's contract: ``main`` returns the command's
code (``None`` = 0) and turns a KassakiError into one ``kassaki-eval <command>: error: ...``
line on stderr and exit code 2. See docs/MUTATION.md, "cli.py".
"""
from __future__ import annotations

import argparse

import pytest

import kassaki_eval.cli as cli
from kassaki_eval import __version__
from kassaki_eval.exceptions import ParameterError

COMMANDS = ["demo-data", "validate", "ingest", "map", "clean", "report", "diagnose"]


def _commands(p: argparse.ArgumentParser) -> list[str]:
    (sub,) = [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]
    return list(sub.choices)


def test_every_documented_command_once_even_when_built_twice():
    p = cli.build_parser()
    assert p.prog == "kassaki-eval"
    # the user's description, not the module's developer docstring (session 8, docs/site/cli.md)
    assert p.description == ("Poverty targeting and impact evaluation for KASSAKI. "
                             "'kassaki-eval COMMAND --help' shows a command's options.")
    assert _commands(p) == COMMANDS
    assert len(cli._REGISTRARS) == 5
    # a second parser (tests, notebooks) registers each capability once, not twice
    assert _commands(cli.build_parser()) == COMMANDS
    assert len(cli._REGISTRARS) == 5


def test_version_and_missing_command(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out == f"kassaki-eval {__version__}\n"
    with pytest.raises(SystemExit) as e:
        cli.main([])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: kassaki-eval [-h] [--version]")
    assert err.endswith("kassaki-eval: error: the following arguments are required: "
                        "command\n")


@pytest.fixture
def fake(monkeypatch):
    """A parser with one command ``try`` whose function does what the test says."""
    what: dict[str, object] = {}

    def register(sub):
        p = sub.add_parser("try")
        p.set_defaults(func=lambda args: what["do"](args))

    def load():
        cli._REGISTRARS.clear()
        cli._REGISTRARS.append(register)

    monkeypatch.setattr(cli, "_load_registrars", load)
    return what


def test_main_returns_the_commands_code(fake):
    fake["do"] = lambda args: None
    assert cli.main(["try"]) == 0
    fake["do"] = lambda args: 3
    assert cli.main(["try"]) == 3
    fake["do"] = lambda args: True     # a truthy non-int is made an int
    assert cli.main(["try"]) == 1


def test_kassaki_errors_are_one_line_and_exit_2(fake, capsys):
    def boom(args):
        raise ParameterError("The 'x' parameter of try must be 1. Got 2 instead.")
    fake["do"] = boom
    assert cli.main(["try"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err == ("kassaki-eval try: error: The 'x' parameter of try must be 1. "
                       "Got 2 instead.\n")

    def bug(args):
        raise ZeroDivisionError("a bug is not a user error")
    fake["do"] = bug
    with pytest.raises(ZeroDivisionError):
        cli.main(["try"])
