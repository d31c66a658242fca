"""Errors and warnings of kassaki-eval.

Every error subclasses :class:`KassakiError` *and* the matching built-in, so that
``except ValueError`` in user code keeps working (pyfixest's lesson). Data errors
carry structured :class:`Problem` records so a report can list every problem at once.

Privacy: messages must never contain NIK, family-card numbers or names. Only
pseudonymous ids or row numbers may be quoted as examples (see :func:`format_examples`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "KassakiError", "Problem", "SchemaError", "DataFileError", "DesignError",
    "IdentificationError", "ParameterError",
    "NotFittedError",  # noqa: F822 - built on first use by the module __getattr__
    "ConfigError",
    "ReportError", "ReportExistsError", "OptionalDependencyError",
    "KassakiWarning", "DataWarning", "DesignWarning", "EstimationWarning",
    "format_examples", "check_option", "require", "MAX_EXAMPLE_CHARS",
]


class KassakiError(Exception):
    """Base class of every error raised on purpose by kassaki-eval."""


@dataclass(frozen=True)
class Problem:
    """One violated rule of a data contract.

    Attributes
    ----------
    table, column, rule : str
        Where and what. ``column`` is ``"*"`` for table-level rules, which read
        "<table>: the table <rule>".
    count : int
        Number of offending rows (or values).
    examples : tuple
        The first few offending ids (pseudonymous) or 0-based row numbers.
    fix : str
        What the user should do.
    """

    table: str
    column: str
    rule: str
    count: int
    examples: tuple[Any, ...] = ()
    fix: str = ""

    def message(self) -> str:
        """The problem as one line: table, column, rule, count, examples and fix."""
        ex = f" (e.g. {format_examples(self.examples)})" if self.examples else ""
        plural = "row" if self.count == 1 else "rows"
        where = "the table" if self.column == "*" else f"column '{self.column}'"
        msg = f"{self.table}: {where} {self.rule}: {self.count} {plural}{ex}."
        return f"{msg} Fix: {self.fix}" if self.fix else msg


class SchemaError(KassakiError, ValueError):
    """A table breaks its data contract. Holds *all* problems found, not just the first."""

    def __init__(self, problems: Sequence[Problem] | str, table: str | None = None):
        if isinstance(problems, str):
            self.problems: tuple[Problem, ...] = ()
            text = problems
        else:
            self.problems = tuple(problems)
            n = len(self.problems)
            tbl = table or (self.problems[0].table if self.problems else "table")
            head = f"{tbl}: {n} problem{'s' if n != 1 else ''} found"
            text = head + "\n" + "\n".join(f"  - {p.message()}" for p in self.problems)
        self.table = table
        super().__init__(text)


class DataFileError(KassakiError, ValueError):
    """A file cannot be read as what it claims to be (wrong format, encoding, layout)."""


class DesignError(KassakiError, ValueError):
    """A survey or evaluation design is unusable (lonely PSU under 'fail', PSU in two strata...)."""


class IdentificationError(KassakiError, ValueError):
    """The data cannot identify the requested estimand (no controls, no overlap, ...)."""


class ParameterError(KassakiError, ValueError):
    """A bad argument.

    Message template (scikit-learn's): ``The 'a' parameter of X must be … Got … instead.``
    """


def _make_not_fitted_error() -> type:
    # sklearn's NotFittedError is what ``check_is_fitted`` raises; ours must be catchable as it.
    # Importing sklearn costs ~2 s, so the class is built on first use (module __getattr__),
    # which keeps `kassaki-eval --help` and kernels that never fit a PMT fast.
    from sklearn.exceptions import NotFittedError as _SkNotFitted

    class NotFittedError(KassakiError, _SkNotFitted):
        """An estimator was used before ``fit``."""

    NotFittedError.__module__ = __name__
    NotFittedError.__qualname__ = "NotFittedError"
    return NotFittedError


def __getattr__(name: str) -> Any:
    if name == "NotFittedError":
        cls = _make_not_fitted_error()
        globals()["NotFittedError"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class ConfigError(KassakiError, RuntimeError):
    """Missing or invalid configuration (e.g. no pseudonymisation key for real data)."""


class ReportError(KassakiError, RuntimeError):
    """The report pipeline failed; nothing was published."""


class ReportExistsError(ReportError, FileExistsError):
    """A report for this year exists already and overwriting was not requested."""


class OptionalDependencyError(KassakiError, ImportError):
    """An optional dependency is missing; the message gives the exact install command."""


class KassakiWarning(UserWarning):
    """Base warning; filter all of kassaki-eval's warnings with this one class."""


class DataWarning(KassakiWarning):
    """Something in the data looks suspicious but is not fatal."""


class DesignWarning(KassakiWarning):
    """The design is usable but weak (few clusters, lonely PSUs handled, ...)."""


class EstimationWarning(KassakiWarning):
    """An estimator ran but its output needs care (few obs, poor overlap, ...)."""


#: Longest example shown in a message; longer ones are cut with "…" (a 1 MB id stays short).
MAX_EXAMPLE_CHARS = 40


def format_examples(values: Iterable[Any], k: int = 5) -> str:
    """Format up to ``k`` example ids for an error message: ``1042, 1107, …``.

    Each example is cut to :data:`MAX_EXAMPLE_CHARS` characters.
    """
    vals = list(values)

    def short(v: Any) -> str:
        t = str(v)
        return t if len(t) <= MAX_EXAMPLE_CHARS else t[:MAX_EXAMPLE_CHARS - 1] + "…"

    shown = ", ".join(short(v) for v in vals[:k])
    return shown + (", …" if len(vals) > k else "")


def check_option(owner: str, name: str, value: Any, allowed: Iterable[Any]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be one of "
            f"{{{', '.join(repr(a) for a in allowed)}}}. Got {value!r} instead."
        )


def require(condition: bool, owner: str, name: str, expectation: str, value: Any) -> None:
    """Raise :class:`ParameterError` with the standard template unless ``condition``."""
    if not condition:
        raise ParameterError(
            f"The '{name}' parameter of {owner} must be {expectation}. Got {value!r} instead."
        )
