"""Shared validation and result helpers of the impact estimators (internal to the package).

One home for what ``did``, ``staggered``, ``weighting``, ``matching``, ``balance`` and
``verdict`` all need, so that no module imports another's private helpers:

- column and value checks that raise the project's one-clear-error messages
  (:func:`check_columns`, :func:`check_outcome`, :func:`check_weights`,
  :func:`check_cluster_constant`, :func:`numeric_values`), :func:`as_list`,
  :func:`drop_missing` and :func:`hash_columns` (provenance hash of named columns);
- the prepared binary-treatment problem of the selection-on-observables estimators
  (:class:`Prepared`, :func:`prepare`, :func:`design_matrix`, :func:`subset`,
  :func:`outcome_of`, :func:`full_weights`, :func:`check_estimand`,
  :func:`estimand_result`);
- the two-way fixed-effects solver (:func:`fe_solve`, :func:`demean_2way`).

The propensity-score logit and trimming rules live in :mod:`kassaki_eval.impact._propensity`;
influence-function variances in :func:`kassaki_eval.inference.influence_vcov`.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import (
    DesignError,
    IdentificationError,
    ParameterError,
    Problem,
    SchemaError,
    check_option,
)
from ..results import EstimateResult, Provenance, hash_frame

__all__ = [
    "split_event_study",
    "as_list", "check_columns", "drop_missing", "check_outcome", "check_weights",
    "check_cluster_constant", "numeric_values", "hash_columns", "fe_solve", "demean_2way",
    "Estimand", "TrimRule", "Prepared", "design_matrix", "prepare", "outcome_of", "subset",
    "full_weights", "check_estimand", "estimand_result",
]

Estimand = Literal["ATT", "ATE"]
TrimRule = Literal["crump", "crump_fixed", "minmax"] | tuple[float, float] | None


# --------------------------------------------------------------------------------------------
# column checks (panel estimators)
# --------------------------------------------------------------------------------------------
def as_list(x: str | Sequence[str] | None) -> list[str]:
    """``None`` -> ``[]``, a string -> ``[x]``, a sequence -> ``list(x)``."""
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def check_columns(data: pd.DataFrame, owner: str, **cols: str | Sequence[str] | None) -> None:
    """Refuse a non-DataFrame ``data`` or a keyword naming a column that is not in it."""
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                             f"Got {type(data).__name__} instead.")
    for name, val in cols.items():
        for c in as_list(val):
            if c not in data.columns:
                raise ParameterError(f"The '{name}' parameter of {owner} must name a column of "
                                     f"data. Got {c!r} instead (columns: "
                                     f"{', '.join(map(str, list(data.columns)[:12]))}…).")


def drop_missing(data: pd.DataFrame, cols: list[str], id_col: str | None = None
                 ) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop rows with a missing value in ``cols``; return the frame and {reason: rows}."""
    dropped: dict[str, int] = {}
    keep = np.ones(len(data), dtype=bool)
    for c in cols:
        na = data[c].isna().to_numpy()
        new = na & keep
        if new.any():
            dropped[f"missing {c}"] = int(new.sum())
        keep &= ~na
    return (data.loc[keep] if not keep.all() else data), dropped


def check_outcome(y: np.ndarray, table: str, col: str) -> None:
    """Refuse an empty or constant outcome."""
    if y.size == 0:
        raise IdentificationError(f"{table}: no rows left to estimate '{col}' after dropping "
                                  "missing values. Fix: check the data for missing values.")
    if np.nanmax(y) == np.nanmin(y):
        raise IdentificationError(f"{table}: column '{col}' has no variation ({y.size} rows, all "
                                  f"equal to {y[0]:g}); no effect can be estimated. Fix: check "
                                  "the outcome definition (e.g. the poverty line) or the sample.")


def numeric_values(data: pd.DataFrame, cols: Sequence[str], table: str, owner: str,
                   id_col: str | None = None) -> dict[str, np.ndarray]:
    """The columns ``cols`` as float arrays; text that is not a number is a SchemaError.

    Numbers stored as text (``"2024"``, ``"0.5"``: what a CSV read with ``dtype=str`` gives)
    are converted as ``float()`` converts them. Every column holding text that ``float()``
    cannot read (``"n/a"``, ``"2024a"``, ``"1,5"``) is one problem of the error, with its row
    count and the first ids of ``id_col`` (pseudonymous unit ids) or row labels; the values
    themselves are not shown.
    """
    out: dict[str, np.ndarray] = {}
    problems = []
    for c in dict.fromkeys(cols):
        s = data[c]
        try:
            out[c] = s.to_numpy(dtype=float)
            continue
        except (TypeError, ValueError):
            pass
        vals = s.to_numpy(dtype=object)
        text = []
        for v in pd.unique(vals[~pd.isna(vals)]):
            try:
                float(v)
            except (TypeError, ValueError):
                text.append(v)
        bad = pd.Series(vals).isin(text).to_numpy()
        ids = (data[id_col] if id_col is not None else data.index).to_numpy()[bad]
        problems.append(Problem(
            table, c, "holds text that is not a number", int(bad.sum()),
            tuple(pd.unique(ids)[:5].tolist()),
            f"correct or drop those rows: {owner} needs numbers in '{c}' (numbers stored as "
            "text, such as '2024', are read as numbers)."))
    if problems:
        raise SchemaError(problems, table)
    return out


def check_weights(w: np.ndarray, table: str, col: str) -> None:
    """Refuse non-positive or non-finite survey weights."""
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        raise DesignError(
            f"{table}: column '{col}' has {int(bad.sum())} non-positive or "
            f"non-finite weights (e.g. rows {', '.join(map(str, np.flatnonzero(bad)[:5]))}). "
            "Fix: survey weights must be > 0; drop or repair those rows."
        )


def check_cluster_constant(data: pd.DataFrame, unit: str, cluster: str, table: str) -> None:
    """A unit must stay in one cluster (a time-varying cluster id breaks clustering)."""
    nun = data.groupby(unit, sort=False, observed=True)[cluster].nunique(dropna=False)
    bad = nun[nun > 1]
    if len(bad):
        raise DesignError(f"{table}: column '{cluster}' changes over time within {len(bad)} "
                          f"units of '{unit}' (e.g. {', '.join(map(str, bad.index[:5]))}); the "
                          "cluster id must be constant for a unit. Fix: use the village or "
                          "kecamatan of the unit's first wave (e.g. groupby(unit)[cluster]"
                          ".transform('first')).")


def hash_columns(data: pd.DataFrame, cols: Sequence[str | None]) -> str:
    """SHA-256 of the named columns.

    Raw bytes for numeric columns (fast on millions of rows), pandas' hashing otherwise. Same
    role as ``results.hash_frame``.
    """
    h = hashlib.sha256()
    names = list(dict.fromkeys(c for c in cols if c is not None))
    h.update(json.dumps([str(c) for c in names]).encode())
    for c in names:
        col = data[c]
        if pd.api.types.is_numeric_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
            h.update(np.ascontiguousarray(col.to_numpy()).data.cast("B"))  # no copy
        else:
            h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# two-way fixed effects: the one solver
# --------------------------------------------------------------------------------------------
def fe_solve(ui: np.ndarray, ti: np.ndarray, w: np.ndarray, rhs_u: np.ndarray,
             rhs_t: np.ndarray, nu: int, nt: int, *, tol: float = 1e-13,
             maxiter: int = 100_000) -> tuple[np.ndarray, np.ndarray]:
    """Solve the weighted two-way fixed-effects normal equations by Gauss-Seidel.

    Finds unit effects ``a`` (length ``nu``) and period effects ``l`` (length ``nt``) with
    ``sum_{it in u} w (a_u + l_t) = rhs_u[u]`` and ``sum_{it in t} w (a_u + l_t) = rhs_t[t]``
    for the observations ``(ui, ti)`` with weights ``w``; with ``rhs`` the weighted sums of a
    column ``y`` this is the least-squares fit of ``y`` on unit and period dummies. Units or
    periods without observations get 0. The solution is unique up to ``a + c, l - c``.

    The iteration (unit step first, from zero) is block Gauss-Seidel, which is the method of
    alternating projections of the demeaning literature (exact after one sweep on a balanced
    unweighted panel). It stops when no coefficient moves by more than ``tol`` times the
    largest weighted mean ``|rhs / sum w|`` (the scale of the data), or after ``maxiter``
    sweeps.
    """
    wu = np.bincount(ui, weights=w, minlength=nu)
    wt = np.bincount(ti, weights=w, minlength=nt)
    du = np.where(wu > 0, wu, 1.0)
    dt = np.where(wt > 0, wt, 1.0)
    a = np.zeros(nu)
    lam = np.zeros(nt)
    scale = max(np.abs(rhs_u / du).max(initial=0), np.abs(rhs_t / dt).max(initial=0), 1e-300)
    for _ in range(maxiter):
        a_new = np.where(
            wu > 0, (rhs_u - np.bincount(ui, weights=w * lam[ti], minlength=nu)) / du, 0
        )
        lam_new = np.where(
            wt > 0, (rhs_t - np.bincount(ti, weights=w * a_new[ui], minlength=nt)) / dt, 0
        )
        moved = max(np.abs(a_new - a).max(initial=0), np.abs(lam_new - lam).max(initial=0))
        a, lam = a_new, lam_new
        if moved < tol * scale:
            break
    return a, lam


def demean_2way(M: np.ndarray, ui: np.ndarray, ti: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted two-way demeaning of the columns of ``M``.

    The residuals of the least-squares fit on unit and period dummies (:func:`fe_solve` per
    column).
    """
    M = np.array(M, dtype=float, copy=True)
    nu, nt = int(ui.max()) + 1, int(ti.max()) + 1
    for j in range(M.shape[1]):
        col = M[:, j]
        a, lam = fe_solve(ui, ti, w, np.bincount(ui, weights=w * col, minlength=nu),
                          np.bincount(ti, weights=w * col, minlength=nt), nu, nt)
        M[:, j] = col - a[ui] - lam[ti]
    return M


# --------------------------------------------------------------------------------------------
# binary-treatment problems (weighting, matching, balance)
# --------------------------------------------------------------------------------------------
@dataclass
class Prepared:
    """Validated arrays of one estimation problem (internal)."""

    y: np.ndarray | None
    d: np.ndarray
    X: np.ndarray            # covariate design WITHOUT intercept (dummies expanded)
    names: list[str]
    w: np.ndarray            # survey weights (1 when none)
    cluster: np.ndarray | None
    rows: np.ndarray         # positions in the input frame
    n_input: int
    dropped: dict[str, int]
    table: str


def design_matrix(data: pd.DataFrame, covariates: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Numeric design of ``covariates``.

    Numeric columns as is, text/categorical columns as 0/1 dummies with the first level
    dropped. No intercept.

    Examples
    --------
    >>> import pandas as pd
    >>> X, names = design_matrix(pd.DataFrame({"a": [1.0, 2.0], "s": ["M", "F"]}), ["a", "s"])
    >>> names
    ['a', 's[M]']
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    for c in covariates:
        s = data[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            names.append(str(c))
        else:
            levels = sorted(pd.unique(s.dropna().astype(str)))
            for lev in levels[1:]:
                cols.append((s.astype(str) == lev).to_numpy(dtype=float))
                names.append(f"{c}[{lev}]")
    X = np.column_stack(cols) if cols else np.empty((len(data), 0))
    return X, names


def prepare(
    data: pd.DataFrame, owner: str, *, y: str | None, treatment: str,
    covariates: Sequence[str], weights: str | None, cluster: str | None,
    table: str = "data",
) -> Prepared:
    """Validate columns and drop rows with missing values (recorded).

    Also checks that the treatment is binary and the weights positive.
    """
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                             f"Got {type(data).__name__} instead.")
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates)
    for name, val in (("y", y), ("treatment", treatment), ("weights", weights),
                      ("cluster", cluster)):
        if val is not None and val not in data.columns:
            raise ParameterError(f"The '{name}' parameter of {owner} must name a column of "
                                 f"data. Got {val!r} instead.")
    missing_cov = [c for c in covariates if c not in data.columns]
    if missing_cov:
        raise ParameterError(f"The 'covariates' parameter of {owner} must name columns of "
                             f"data. Got {missing_cov!r} instead (not in data).")
    used = [c for c in [y, treatment, weights, cluster, *covariates] if c is not None]
    keep = np.ones(len(data), dtype=bool)
    dropped: dict[str, int] = {}
    for c in dict.fromkeys(used):
        na = data[c].isna().to_numpy()
        new = na & keep
        if new.any():
            dropped[f"missing {c}"] = int(new.sum())
        keep &= ~na
    rows = np.flatnonzero(keep)
    sub = data.iloc[rows]
    dvals = sub[treatment].to_numpy()
    try:
        dnum = dvals.astype(float)
        bad = ~np.isin(dnum, (0.0, 1.0))
    except (TypeError, ValueError):
        dnum = None
        bad = np.ones(len(dvals), dtype=bool)
    if bad.any():
        ex = tuple(int(r) for r in rows[np.flatnonzero(bad)[:5]])
        raise SchemaError([Problem(table, treatment, "must be binary (0/1)", int(bad.sum()), ex,
                                   "code the treatment as 0 (comparison) / 1 (treated); for a "
                                   "multi-valued or continuous treatment, dichotomise it first "
                                   "or use a dose-response method.")], table)
    d = dnum.astype(np.int8)
    if d.min() == d.max():
        raise IdentificationError(f"{table}: column '{treatment}' is {int(d[0])} for all "
                                  f"{len(d)} rows; both treated and comparison units are needed. "
                                  "Fix: check the treatment definition or the sample filter.")
    X, names = design_matrix(sub, covariates)
    if X.shape[1] and not np.isfinite(X).all():
        raise SchemaError(f"{table}: covariates contain non-finite values (inf). Fix: recode them.")
    if weights is None:
        w = np.ones(len(sub))
    else:
        w = sub[weights].to_numpy(dtype=float)
        badw = ~np.isfinite(w) | (w <= 0)
        if badw.any():
            ex = tuple(int(r) for r in rows[np.flatnonzero(badw)[:5]])
            raise SchemaError([Problem(table, weights, "has non-positive or non-finite weights",
                                       int(badw.sum()), ex, "survey weights must be > 0; drop "
                                       "or repair those rows.")], table)
    yv = None
    if y is not None:
        try:
            yv = sub[y].to_numpy(dtype=float)
        except (TypeError, ValueError):
            raise SchemaError(f"{table}: column '{y}' is not numeric. Fix: pass a numeric "
                              "outcome.") from None
    cl = None
    if cluster is not None:
        cl = pd.factorize(sub[cluster])[0]
    return Prepared(yv, d, X, names, w, cl, rows, len(data), dropped, table)


def outcome_of(P: Prepared) -> np.ndarray:
    """The outcome of a prepared problem (estimators always prepare with an outcome)."""
    if P.y is None:  # pragma: no cover - internal invariant, not user input
        raise RuntimeError("internal: outcome missing from a prepared estimation problem")
    return P.y


def subset(P: Prepared, keep: np.ndarray, reason: str) -> Prepared:
    """The rows ``keep`` of a prepared problem; the dropped count is recorded under ``reason``."""
    if keep.all():
        return P
    dropped = dict(P.dropped)
    dropped[reason] = int((~keep).sum())
    d = P.d[keep]
    if d.min() == d.max():
        raise IdentificationError(f"{P.table}: trimming ({reason}) leaves only "
                                  f"{'treated' if d[0] else 'comparison'} units. Fix: use a "
                                  "milder trimming rule.")
    return Prepared(None if P.y is None else P.y[keep], d, P.X[keep], P.names, P.w[keep],
                    None if P.cluster is None else pd.factorize(P.cluster[keep])[0],
                    P.rows[keep], P.n_input, dropped, P.table)


def full_weights(P: Prepared, bw: np.ndarray) -> np.ndarray:
    """Per-row weights of the used rows spread back over all input rows (0 for dropped)."""
    out = np.zeros(P.n_input)
    out[P.rows] = bw
    return out


def check_estimand(estimand: str, owner: str) -> None:
    """Refuse an estimand other than ``ATT`` or ``ATE``."""
    check_option(owner, "estimand", estimand, ["ATT", "ATE"])


def estimand_result(P: Prepared, est: float, se: float, estimand: str, method: str, title: str,
                    alpha: float, options: dict[str, Any], extras: dict[str, Any],
                    data: pd.DataFrame, columns: dict[str, Any] | None = None) -> EstimateResult:
    """The one-row :class:`EstimateResult` of an ATT/ATE estimator."""
    n1 = int(P.d.sum())
    table = pd.DataFrame({"term": [estimand], "estimate": [est], "std_error": [se],
                          "n_obs": [len(P.d)], "n_treated": [n1],
                          "n_control": [len(P.d) - n1], **{k: [v] for k, v in
                                                          (columns or {}).items()}})
    prov = Provenance(method=method, options=options, inputs_hash=hash_frame(data),
                      n_input=P.n_input, n_used=len(P.d), dropped=P.dropped)
    extras = {"rows": P.rows, "treatment": P.d, **extras}
    return EstimateResult(table, method=method, alpha=alpha, provenance=prov, extras=extras,
                          title=title)


def split_event_study(betahat: Any, sigma: Any, num_pre: int, owner: str
                      ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Event-study coefficients and covariance checked for a sensitivity analysis.

    Returns ``(b, S, K, P)``: ``b`` the coefficients as a float vector, ``S`` their covariance,
    ``K`` the pre-period count and ``P`` the post-period count; raises ParameterError when
    ``num_pre`` does not leave at least one of each or ``sigma`` is not ``len(b)`` square.
    """
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    K = int(num_pre)
    P = b.size - K
    if K < 1 or P < 1 or S.shape != (b.size, b.size):
        raise ParameterError(f"The 'num_pre' parameter of {owner} must split betahat (length "
                             f"{b.size}) into >= 1 pre and >= 1 post coefficients, with sigma "
                             f"{b.size} x {b.size}. Got num_pre={num_pre!r}, sigma "
                             f"{S.shape} instead.")
    return b, S, K, P
