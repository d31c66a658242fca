"""The one result shape shared by every estimator in kassaki-eval.

Every estimator returns an :class:`EstimateResult` (or a subclass). Reports, tests and
``compare()`` read :meth:`EstimateResult.tidy`, whose first columns are fixed:

``term, estimate, std_error, statistic, p_value, conf_low, conf_high, n_obs``

followed by method-specific columns (e.g. ``group``, ``time``, ``deff``, ``df``).

Conventions
-----------
- ``conf_int(alpha=0.05)`` everywhere (statsmodels' convention).
- Inference uses the normal distribution unless the table has a ``df`` column with a
  finite value for the row, in which case Student's t with that many degrees of freedom.
- A method whose intervals are not ``estimate ± c·se`` (bootstrap, robust bias-corrected RD,
  uniform bands) stores its own ``conf_low``/``conf_high``/``p_value`` for ``alpha`` in the
  table and sets ``own_intervals=True``; asking for another ``alpha`` then raises unless
  the subclass overrides :meth:`_intervals`.
- Results are immutable: accessors return copies.
"""
from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

# scipy.special, not scipy.stats: the same functions scipy.stats' norm and t call (ndtri,
# ndtr, stdtrit, stdtr), without ~1 s of importing scipy.stats in every command's start-up
from scipy import special

from .exceptions import ParameterError

TIDY_COLUMNS: tuple[str, ...] = (
    "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high", "n_obs",
)

__all__ = ["TIDY_COLUMNS", "Provenance", "EstimateResult", "Summary", "compare", "hash_frame"]


def _package_version() -> str:
    try:
        from . import __version__
        return __version__
    except Exception:  # pragma: no cover
        return "unknown"


def hash_frame(df: pd.DataFrame | None) -> str:
    """SHA-256 of a DataFrame's values and column names (stable across runs)."""
    if df is None:
        return ""
    h = hashlib.sha256()
    h.update(json.dumps([str(c) for c in df.columns]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).values.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Provenance:
    """Where a result came from: enough to re-run it and to explain dropped rows.

    No timestamps on purpose: identical inputs must give identical provenance.
    """

    method: str
    options: Mapping[str, Any] = field(default_factory=dict)
    inputs_hash: str = ""
    n_input: int | None = None
    n_used: int | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)  # reason -> rows dropped
    package_version: str = field(default_factory=_package_version)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of the provenance."""
        return {
            "method": self.method,
            "options": {k: _jsonable(v) for k, v in dict(self.options).items()},
            "inputs_hash": self.inputs_hash,
            "n_input": self.n_input,
            "n_used": self.n_used,
            "dropped": dict(self.dropped),
            "package_version": self.package_version,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return repr(v)


class Summary:
    """A printable summary with ``as_text``, ``as_html`` and ``as_latex`` (statsmodels style)."""

    def __init__(self, title: str, table: pd.DataFrame, notes: Sequence[str] = ()):
        self.title = title
        self.table = table
        self.notes = list(notes)

    def as_text(self) -> str:
        """The summary as plain text."""
        body = self.table.to_string(index=False, float_format=lambda x: f"{x:.6g}")
        width = max(len(line) for line in body.splitlines()) if body else len(self.title)
        rule = "=" * max(width, len(self.title))
        notes = "\n".join(self.notes)
        return f"{self.title}\n{rule}\n{body}\n{rule}" + (f"\n{notes}" if notes else "")

    def as_html(self) -> str:
        """The summary as HTML (escaped title and notes)."""
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (f"<h4>{html.escape(self.title)}</h4>"
                + self.table.to_html(index=False, float_format=lambda x: f"{x:.6g}", border=0)
                + notes)

    def as_latex(self) -> str:
        """The summary table as LaTeX."""
        return self.table.to_latex(index=False, float_format=lambda x: f"{x:.6g}")

    def __str__(self) -> str:
        """The summary as plain text."""
        return self.as_text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        return self.as_html()


class EstimateResult:
    """Immutable container for estimates.

    Parameters
    ----------
    table : DataFrame
        Must hold ``term``, ``estimate``, ``std_error``, ``n_obs``; may hold ``df`` and any
        method-specific columns; may hold ``conf_low``, ``conf_high``, ``p_value`` when
        ``own_intervals`` is true.
    method : str
        Short name shown in summaries and ``compare()`` (e.g. ``"fgt0"``, ``"cs_did"``).
    alpha : float
        The level at which ``tidy()`` reports intervals by default.
    provenance : Provenance
    own_intervals : bool
        The table carries its own intervals/p-values for ``alpha`` (see module docs).
    extras : mapping
        Method-specific objects (influence functions, bootstrap draws, figures data...).
        Exposed read-only through :attr:`extras`.
    """

    def __init__(
        self,
        table: pd.DataFrame,
        *,
        method: str,
        alpha: float = 0.05,
        provenance: Provenance | None = None,
        own_intervals: bool = False,
        extras: Mapping[str, Any] | None = None,
        title: str | None = None,
    ) -> None:
        missing = [c for c in ("term", "estimate", "std_error", "n_obs") if c not in table.columns]
        if missing:
            raise ValueError(f"result table lacks required columns {missing}")
        if own_intervals:
            lack = [c for c in ("conf_low", "conf_high", "p_value") if c not in table.columns]
            if lack:
                raise ValueError(f"own_intervals=True but table lacks {lack}")
        _check_alpha(alpha, type(self).__name__)
        self._table = table.reset_index(drop=True).copy()
        self._method = method
        self._alpha = float(alpha)
        self._provenance = provenance or Provenance(method=method)
        self._own = bool(own_intervals)
        self._extras = dict(extras or {})
        self._title = title or method

    # -- read-only properties -------------------------------------------------------------
    @property
    def method(self) -> str:
        """Name of the estimator that produced the result."""
        return self._method

    @property
    def alpha(self) -> float:
        """Significance level of the default intervals (0.05 gives 95% intervals)."""
        return self._alpha

    @property
    def provenance(self) -> Provenance:
        """How the result was produced (method, options, inputs, rows used)."""
        return self._provenance

    @property
    def extras(self) -> Mapping[str, Any]:
        """Method-specific extras (read-only view)."""
        from types import MappingProxyType
        return MappingProxyType(self._extras)

    @property
    def terms(self) -> list[str]:
        """Term names, in table order."""
        return [str(t) for t in self._table["term"]]

    @property
    def estimates(self) -> pd.Series:
        """Point estimates indexed by term."""
        return pd.Series(self._table["estimate"].to_numpy(), index=self.terms, name="estimate")

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors indexed by term."""
        return pd.Series(self._table["std_error"].to_numpy(), index=self.terms, name="std_error")

    def __getitem__(self, term: str) -> float:
        """Point estimate of one term: ``res["ATT"]``."""
        hit = self._table.loc[self._table["term"].astype(str) == str(term), "estimate"]
        if hit.empty:
            raise KeyError(f"no term {term!r}; terms are {self.terms}")
        return float(hit.iloc[0])

    # -- inference ----------------------------------------------------------------------
    def _critical(self, alpha: float) -> np.ndarray:
        df = self._table["df"].to_numpy(dtype=float) if "df" in self._table else None
        z = special.ndtri(1 - alpha / 2)
        if df is None:
            return np.full(len(self._table), z)
        with np.errstate(invalid="ignore"):
            t = special.stdtrit(np.where(np.isfinite(df), df, 1.0), 1 - alpha / 2)
        return np.where(np.isfinite(df), t, z)

    def _pvalues(self, statistic: np.ndarray) -> np.ndarray:
        df = self._table["df"].to_numpy(dtype=float) if "df" in self._table else None
        pn = 2 * special.ndtr(-np.abs(statistic))
        if df is None:
            return pn
        with np.errstate(invalid="ignore"):
            pt = 2 * special.stdtr(np.where(np.isfinite(df), df, 1.0), -np.abs(statistic))
        return np.where(np.isfinite(df), pt, pn)

    def _intervals(self, alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (p_value, conf_low, conf_high) at level ``alpha``."""
        t = self._table
        if self._own:
            if not np.isclose(alpha, self._alpha):
                raise ParameterError(
                    f"The 'alpha' parameter of {type(self).__name__}.conf_int must be "
                    f"{self._alpha} for this method (its intervals are not estimate ± c·se). "
                    f"Got {alpha!r} instead. Re-run the estimator with alpha={alpha}."
                )
            return (t["p_value"].to_numpy(float), t["conf_low"].to_numpy(float),
                    t["conf_high"].to_numpy(float))
        est = t["estimate"].to_numpy(float)
        se = t["std_error"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        c = self._critical(alpha)
        return self._pvalues(stat), est - c * se, est + c * se

    def conf_int(self, alpha: float = 0.05) -> pd.DataFrame:
        """Confidence intervals at level ``1 - alpha``, indexed by term."""
        _check_alpha(alpha, f"{type(self).__name__}.conf_int")
        _, lo, hi = self._intervals(alpha)
        return pd.DataFrame({"conf_low": lo, "conf_high": hi}, index=self.terms)

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """Tidy table: fixed columns :data:`TIDY_COLUMNS`, then method-specific ones."""
        a = self._alpha if alpha is None else alpha
        _check_alpha(a, f"{type(self).__name__}.tidy")
        t = self._table
        est = t["estimate"].to_numpy(float)
        se = t["std_error"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        p, lo, hi = self._intervals(a)
        out = pd.DataFrame({
            "term": t["term"].astype(str).to_numpy(),
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": lo,
            "conf_high": hi,
            "n_obs": t["n_obs"].to_numpy(),
        })
        extra = [c for c in t.columns if c not in TIDY_COLUMNS]
        for c in extra:
            out[c] = t[c].to_numpy()
        return out

    def summary(self, alpha: float | None = None) -> Summary:
        """Printable summary: the tidy table at level ``alpha`` plus provenance notes."""
        notes = []
        prov = self._provenance
        if prov.dropped:
            notes.append("Dropped: " + ", ".join(f"{k}: {v}" for k, v in prov.dropped.items()))
        if prov.options:
            notes.append("Options: " + ", ".join(f"{k}={v}" for k, v in prov.options.items()))
        a = self._alpha if alpha is None else alpha
        notes.append(f"Intervals at {100 * (1 - a):.0f}% level. "
                     f"kassaki-eval {prov.package_version}.")
        return Summary(self._title, self.tidy(alpha), notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the tidy table records and the provenance."""
        return {
            "method": self._method,
            "alpha": self._alpha,
            "tidy": json.loads(self.tidy().to_json(orient="records")),
            "provenance": self._provenance.to_dict(),
        }

    def __repr__(self) -> str:
        """The summary as plain text."""
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def _check_alpha(alpha: float, owner: str) -> None:
    if not (isinstance(alpha, (float, int)) and 0 < float(alpha) < 1):
        raise ParameterError(f"The 'alpha' parameter of {owner} must be a float in (0, 1). "
                             f"Got {alpha!r} instead.")


def compare(
    results: Mapping[str, EstimateResult] | Sequence[EstimateResult],
    *,
    terms: Iterable[str] | None = None,
    alpha: float | None = None,
    stat: str = "std_error",
) -> pd.DataFrame:
    """Side-by-side table of several results (pyfixest's ``etable``).

    Rows are terms (estimate, then ``stat`` in parentheses as a second row); columns
    are models. Returns a DataFrame of strings ready to display or export.
    """
    if not isinstance(results, Mapping):
        results = {f"({i + 1}) {r.method}": r for i, r in enumerate(results)}
    cols: dict[str, dict[tuple[str, str], str]] = {}
    order: list[str] = []
    for name, res in results.items():
        td = res.tidy(alpha)
        col: dict[tuple[str, str], str] = {}
        for _, row in td.iterrows():
            term = row["term"]
            if terms is not None and term not in set(terms):
                continue
            if term not in order:
                order.append(term)
            stars = _stars(row["p_value"])
            col[(term, "estimate")] = f"{row['estimate']:.4f}{stars}"
            col[(term, stat)] = f"({row[stat]:.4f})"
        col[("N", "")] = str(int(td["n_obs"].max())) if len(td) else ""
        cols[name] = col
    index = [(t, k) for t in order for k in ("estimate", stat)] + [("N", "")]
    out = pd.DataFrame({n: [c.get(i, "") for i in index] for n, c in cols.items()},
                       index=pd.MultiIndex.from_tuples(index, names=["term", "row"]))
    return out


def _stars(p: float) -> str:
    if not np.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""
