"""Regression discontinuity at the PMT eligibility cutoff, on the methods' authors' packages.

Everything here wraps ``rdrobust`` (Calonico, Cattaneo, Farrell & Titiunik) and ``rddensity``
(Cattaneo, Jansson & Ma); nothing re-implements them. What this module adds:

- the PMT convention: eligibility is *below* the cutoff (``treated_side="below"``), so the
  running variable is normalised to ``z = cutoff - running`` and every estimate is the effect
  of being on the eligible side (rdrobust reports right minus left at ``z = 0``);
- village-specific quota cutoffs pooled by normalising: ``cutoff`` may name a column holding
  each household's own (village) cutoff, ``z = cutoff_v - score``;
- results in the common shape: :func:`rd_estimate` returns one row per rdrobust estimator
  (``Conventional``, ``Bias-Corrected``, ``Robust``) with rdrobust's own intervals and p-values
  (``own_intervals=True``); the robust bias-corrected row is the one to report
  (Calonico, Cattaneo & Titiunik 2014);
- the checks rdrobust leaves to the user: too few points on a side, and a fuzzy treatment that
  does not change at the cutoff, raise :class:`IdentificationError` with the fix;
- the validation set: :func:`rd_density` (manipulation test), :func:`rd_balance`
  (covariates at the cutoff), :func:`rd_placebo` (placebo cutoffs), :func:`rd_bandwidths`
  (sensitivity), :func:`rd_plot` (binned means with the local polynomial fits, matplotlib).
"""
from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import (
    DataWarning,
    EstimationWarning,
    IdentificationError,
    OptionalDependencyError,
    ParameterError,
    check_option,
    require,
)
from ..results import EstimateResult, Provenance, hash_frame

__all__ = ["normalise_running", "mass_points", "rd_estimate", "rd_multi_cutoff", "rd_density",
           "rd_balance", "rd_placebo", "rd_bandwidths", "rd_plot"]

ROWS = ("Conventional", "Bias-Corrected", "Robust")
KERNELS = {"triangular": "tri", "uniform": "uni", "epanechnikov": "epa"}
MassPoints = Literal["adjust", "check", "off"]
Row = Literal["Conventional", "Bias-Corrected", "Robust"]
#: rdrobust's own rule (rdrobust.py): a side has mass points when 1 - unique/n >= 0.2
MASS_SHARE = 0.2


def _rdrobust() -> Any:
    try:
        import rdrobust
    except ImportError as e:  # pragma: no cover - core dependency
        raise OptionalDependencyError("rdrobust is required: pip install rdrobust") from e
    return rdrobust


def normalise_running(
    data: pd.DataFrame, *, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below",
) -> pd.Series:
    """Distance to the cutoff, positive on the treated (eligible) side.

    ``cutoff`` is a number or the name of a column with unit-specific cutoffs (e.g. each
    village's quota cutoff), which pools the villages in one RD (Cattaneo, Keele, Titiunik &
    Vazquez-Bare 2016 "normalising-and-pooling").

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"score": [13.0, 13.4], "cut": [13.2, 13.2]})
    >>> normalise_running(df, running="score", cutoff="cut").round(2).tolist()
    [0.2, -0.2]
    """
    check_option("normalise_running", "treated_side", treated_side, ["below", "above"])
    if running not in data.columns:
        raise ParameterError(f"The 'running' parameter of normalise_running must name a column "
                             f"of data. Got {running!r} instead.")
    x = data[running].to_numpy(dtype=float)
    if isinstance(cutoff, str):
        if cutoff not in data.columns:
            raise ParameterError("The 'cutoff' parameter of normalise_running must be a number "
                                 f"or a column of data. Got {cutoff!r} instead.")
        c = data[cutoff].to_numpy(dtype=float)
    else:
        c = float(cutoff)
    z = (c - x) if treated_side == "below" else (x - c)
    return pd.Series(z, index=data.index, name=f"{running}_normalised")


def _prepare(data: pd.DataFrame, owner: str, y: str, running: str, cutoff: float | str,
             treated_side: str, extra: Sequence[str | None]) -> tuple[pd.DataFrame, np.ndarray,
                                                                      dict[str, int]]:
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"The 'data' parameter of {owner} must be a pandas DataFrame. "
                             f"Got {type(data).__name__} instead.")
    for name, c in (("y", y), ("running", running), *[("column", e) for e in extra]):
        if c is not None and c not in data.columns:
            raise ParameterError(f"The '{name}' parameter of {owner} must name a column of "
                                 f"data. Got {c!r} instead.")
    cols = [c for c in [y, running, *(extra or [])] if c is not None]
    if isinstance(cutoff, str):
        cols.append(cutoff)
    dropped: dict[str, int] = {}
    keep = np.ones(len(data), dtype=bool)
    for c in dict.fromkeys(cols):
        na = data[c].isna().to_numpy()
        if (na & keep).any():
            dropped[f"missing {c}"] = int((na & keep).sum())
        keep &= ~na
    sub = data.loc[keep]
    z = normalise_running(sub, running=running, cutoff=cutoff,
                          treated_side=treated_side).to_numpy()  # type: ignore[arg-type]
    return sub, z, dropped


def _check_sides(z: np.ndarray, running: str, min_obs: int, p: int, table: str) -> None:
    for side, mask in (("eligible (treated) side", z >= 0), ("other side", z < 0)):
        n = int(mask.sum())
        nu = int(np.unique(z[mask]).size)
        if n < min_obs or nu < p + 2:
            raise IdentificationError(
                f"{table}: column '{running}' has only {n} rows ({nu} distinct values) on the "
                f"{side} of the cutoff; an RD needs at least {max(min_obs, p + 2)} rows and "
                f"{p + 2} distinct values on each side for a local polynomial of order {p} "
                "(and its bias correction). Fix: check the cutoff, pool more villages or years, "
                "or lower the polynomial order.")


def mass_points(z: np.ndarray) -> dict[str, Any]:
    """Distinct values and mass-point share of the normalised running variable on each side.

    ``share = 1 - distinct / n``; rdrobust treats a side with ``share >= 0.2`` as having mass
    points (a discrete running variable such as a score rounded to a few values).
    """
    out: dict[str, Any] = {}
    for side, mask in (("left", z < 0), ("right", z >= 0)):
        n = int(mask.sum())
        m = int(np.unique(z[mask]).size)
        out[f"n_{side}"], out[f"unique_{side}"] = n, m
        out[f"share_{side}"] = 1 - m / n if n else 0.0
    out["detected"] = bool(max(out["share_left"], out["share_right"]) >= MASS_SHARE)
    return out


def _mass_message(owner: str, running: str, mp: dict[str, Any]) -> str:
    return (f"{owner}: the running variable '{running}' has mass points ({mp['unique_left']} "
            f"distinct values among {mp['n_left']} rows on the other side, "
            f"{mp['unique_right']} among {mp['n_right']} on the eligible side)")


@contextlib.contextmanager
def _quiet() -> Any:
    """rdrobust/rddensity print to stdout; capture it so nothing leaks into logs or reports."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        warnings.simplefilter("ignore", category=FutureWarning)
        yield buf


def _wrap_error(e: Exception, package: str, running: str, mp: dict[str, Any] | None) -> Exception:
    """Turn a bare ``Exception`` / ``ValueError`` from the RD packages into our error family."""
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    hint = ("Fix: check the running variable around the cutoff, pool more villages or years, "
            "or fix the bandwidth with h=.")
    if mp is not None and mp["detected"]:
        hint = (f"The running variable '{running}' is discrete: {mp['unique_left']} distinct "
                f"values on the other side and {mp['unique_right']} on the eligible side of the "
                "cutoff. A local polynomial RD needs many distinct values near the cutoff "
                "(Cattaneo, Idrobo & Titiunik 2024, 'A Practical Introduction to RD Designs: "
                "Extensions', on discrete running variables). Fix: use a finer running "
                "variable, or a local-randomisation analysis of the values next to the cutoff.")
    return IdentificationError(f"data: {package} could not estimate the RD ({msg}). {hint}")


def _call_rdrobust(yv: np.ndarray, z: np.ndarray, *, c: float = 0.0, fuzzy: np.ndarray | None,
                   covs: np.ndarray | None, cluster: np.ndarray | None,
                   weights: np.ndarray | None, p: int, kernel: str, bwselect: str,
                   h: float | None, b: float | None, vce: str, alpha: float,
                   masspoints: str = "adjust", running: str = "running",
                   mp: dict[str, Any] | None = None) -> tuple[Any, str]:
    """Run rdrobust with its stdout captured and its exceptions in our error family.

    Returns the rdrobust result and what it printed.
    """
    rdr = _rdrobust()
    with _quiet() as buf:
        try:
            r = rdr.rdrobust(yv, z, c=c, fuzzy=fuzzy, covs=covs, cluster=cluster,
                             weights=weights, p=p, kernel=KERNELS[kernel], bwselect=bwselect,
                             h=h, b=b, vce=vce, level=100 * (1 - alpha),
                             masspoints=masspoints)
        except Exception as e:  # rdrobust raises bare Exception/ValueError/AttributeError
            text = str(e)
            if fuzzy is not None and ("first-stage" in text or "Fuzzy" in text):
                raise IdentificationError(
                    f"data: the treatment does not change at the cutoff (rdrobust: {text}). "
                    "Fix: estimate the sharp RD, or check the take-up variable.") from e
            raise _wrap_error(e, "rdrobust", running, mp) from e
    return r, buf.getvalue()


def _warn_printed(owner: str, running: str, mp: dict[str, Any], masspoints: str,
                  printed: str) -> None:
    """Turn what rdrobust printed into warnings of our family (stacklevel: the caller's caller)."""
    if mp["detected"]:
        what = {"adjust": "rdrobust's masspoints='adjust' counts distinct values in the "
                          "bandwidth checks and the variance; read the estimate as an "
                          "extrapolation between the values next to the cutoff",
                "check": "masspoints='check' only detects them: the bandwidth and variance "
                         "treat tied rows as distinct. Fix: masspoints='adjust'",
                "off": "masspoints='off' ignores them: the bandwidth and variance treat tied "
                       "rows as distinct. Fix: masspoints='adjust'"}[masspoints]
        warnings.warn(f"{_mass_message(owner, running, mp)}; {what}.", DataWarning,
                      stacklevel=3)
    if "Not enough observations to perform bandwidth" in printed:
        warnings.warn(f"{owner}: rdrobust could not compute the MSE-optimal bandwidth (too few "
                      "observations or distinct values) and used the largest distance to the "
                      "cutoff as h. Fix: set h= explicitly and report the sensitivity "
                      "(rd_bandwidths).", EstimationWarning, stacklevel=3)


def _rows_from(r: Any, alpha: float, term_prefix: str = "") -> pd.DataFrame:
    coef = np.asarray(r.coef).ravel()
    se = np.asarray(r.se).ravel()
    ci = np.asarray(r.ci)
    pv = np.asarray(r.pv).ravel()
    nh = [int(v) for v in r.N_h]
    bws = np.asarray(r.bws)
    return pd.DataFrame({
        "term": [f"{term_prefix}{t}" for t in ROWS],
        "estimate": coef, "std_error": se, "p_value": pv,
        "conf_low": ci[:, 0], "conf_high": ci[:, 1],
        "n_obs": nh[0] + nh[1],
        "h_left": bws[0, 0], "h_right": bws[0, 1], "b_left": bws[1, 0], "b_right": bws[1, 1],
        "n_h_left": nh[0], "n_h_right": nh[1],
    })


def rd_estimate(
    data: pd.DataFrame, *, y: str, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below", fuzzy: str | None = None,
    covariates: Sequence[str] | None = None, cluster: str | None = None,
    weights: str | None = None, p: int = 1,
    kernel: Literal["triangular", "uniform", "epanechnikov"] = "triangular",
    bwselect: str = "mserd", h: float | None = None, b: float | None = None,
    vce: str = "nn", masspoints: MassPoints = "adjust", min_obs: int = 20,
    alpha: float = 0.05,
) -> EstimateResult:
    """Sharp or fuzzy RD effect of being on the eligible side of the cutoff (rdrobust).

    Parameters
    ----------
    y, running : str
        Outcome and running variable (e.g. the PMT score).
    cutoff : float or str
        The cutoff, or a column of unit-specific (village quota) cutoffs.
    treated_side : {"below", "above"}
        Side of the cutoff that is eligible; PMT targeting: ``"below"``.
    fuzzy : str, optional
        Treatment actually received (take-up); gives the fuzzy RD (local Wald) estimate.
    covariates : list of str, optional
        Pre-determined covariates for efficiency (Calonico, Cattaneo, Farrell & Titiunik 2019).
    cluster, weights : str, optional
        Cluster id (switches rdrobust to ``vce="cr1"``) and weights (they multiply the kernel).
    p, kernel, bwselect, h, b, vce :
        Passed to ``rdrobust`` (``h``/``b`` in units of the normalised running variable).
    masspoints : {"adjust", "check", "off"}
        rdrobust's treatment of a discrete running variable, passed explicitly: ``"adjust"``
        (rdrobust's default) counts distinct values, not rows, in the bandwidth checks and
        the nearest-neighbour variance; ``"check"`` only detects; ``"off"`` ignores mass
        points. When a side has mass points (``1 - distinct/n >= 0.2``, rdrobust's rule) a
        :class:`~kassaki_eval.exceptions.DataWarning` names the counts (rdrobust's own
        notice is printed to stdout; here stdout is captured and kept in
        ``extras['rdrobust_stdout']``).
    min_obs : int
        Minimum rows per side before calling rdrobust.
    alpha : float
        Confidence level is ``1 - alpha``.

    Returns
    -------
    EstimateResult
        Rows ``Conventional``, ``Bias-Corrected``, ``Robust`` with rdrobust's intervals;
        columns ``h_left, h_right, b_left, b_right, n_h_left, n_h_right, n_unique_left,
        n_unique_right``. For a fuzzy design the first stage is in ``extras['first_stage']``.

    Raises
    ------
    IdentificationError
        Too few rows or distinct values on a side, a fuzzy treatment that does not change at
        the cutoff, or any failure inside rdrobust (its bare exceptions are wrapped, with the
        distinct-value counts when the running variable is discrete).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"score": rng.uniform(-1, 1, 2000)})
    >>> df["y"] = 0.5 * (df.score < 0) + df.score + rng.normal(0, 0.3, 2000)
    >>> r = rd_estimate(df, y="y", running="score", cutoff=0.0)
    >>> r.terms
    ['Conventional', 'Bias-Corrected', 'Robust']
    >>> bool(r.conf_int().loc["Robust", "conf_low"] > 0)  # eligibility raises y at the cutoff
    True
    """
    owner = "rd_estimate"
    check_option(owner, "kernel", kernel, list(KERNELS))
    check_option(owner, "treated_side", treated_side, ["below", "above"])
    require(isinstance(p, (int, np.integer)) and 0 <= p <= 4, owner, "p", "an integer in 0..4", p)
    require(isinstance(min_obs, (int, np.integer)) and min_obs >= 5, owner, "min_obs",
            "an integer >= 5", min_obs)
    check_option(owner, "masspoints", masspoints, ["adjust", "check", "off"])
    sub, z, dropped = _prepare(data, owner, y, running, cutoff, treated_side,
                               [fuzzy, cluster, weights, *(covariates or [])])
    _check_sides(z, running, min_obs, p, "data")
    mp = mass_points(z)
    yv = sub[y].to_numpy(dtype=float)
    T = sub[fuzzy].to_numpy(dtype=float) if fuzzy else None
    if T is not None and np.var(T) == 0:
        raise IdentificationError(
            f"data: column '{fuzzy}' is {T[0]:g} for all {T.size} rows, so the treatment does "
            "not change at the cutoff and the fuzzy RD is not identified. Fix: check the "
            "take-up variable, or estimate the sharp (intention-to-treat) RD without fuzzy=.")
    covs = sub[list(covariates)].to_numpy(dtype=float) if covariates else None
    cl = pd.factorize(sub[cluster])[0] if cluster else None
    wv = sub[weights].to_numpy(dtype=float) if weights else None
    r, printed = _call_rdrobust(yv, z, fuzzy=T, covs=covs, cluster=cl, weights=wv, p=p,
                                kernel=kernel, bwselect=bwselect, h=h, b=b, vce=vce,
                                alpha=alpha, masspoints=masspoints, running=running, mp=mp)
    _warn_printed(owner, running, mp, masspoints, printed)
    table = _rows_from(r, alpha)
    table["n_unique_left"], table["n_unique_right"] = mp["unique_left"], mp["unique_right"]
    extras: dict[str, Any] = {"rdrobust": r, "rdrobust_stdout": printed, "mass_points": mp}
    if T is not None:
        fs = float(np.asarray(r.tau_T).ravel()[0])
        fs_se = float(np.asarray(r.se_T).ravel()[0])
        # se 0 with a jump: take-up is eligibility itself (every eligible row takes up, no
        # other row does), a perfect first stage; rdrobust then returns the sharp estimate
        # divided by the jump. Only a zero jump with se 0 is "no change".
        t = fs / fs_se if fs_se > 0 else (float(np.sign(fs)) * np.inf if fs != 0 else 0.0)
        extras["first_stage"] = {"jump": fs, "std_error": fs_se, "t": t}
        if abs(t) < stats.norm.ppf(1 - alpha / 2):
            raise IdentificationError(
                f"data: the treatment '{fuzzy}' does not change at the cutoff: first-stage jump "
                f"{fs:.4f} (se {fs_se:.4f}, t = {t:.2f}) within the bandwidth. The fuzzy RD "
                "divides by this jump and is not identified. Fix: report the sharp "
                "(intention-to-treat) RD instead, or check that take-up depends on eligibility.")
        if abs(t) < np.sqrt(10):
            warnings.warn(f"rd_estimate: weak first stage (jump {fs:.3f}, t = {t:.2f} < "
                          "sqrt(10)); fuzzy RD intervals are unreliable.", EstimationWarning,
                          stacklevel=2)
        table["first_stage"] = fs
    prov = Provenance(method="rd_fuzzy" if fuzzy else "rd_sharp",
                      options={"cutoff": cutoff, "treated_side": treated_side, "p": p,
                               "kernel": kernel, "bwselect": bwselect, "h": h, "b": b,
                               "vce": r.vce, "masspoints": masspoints, "fuzzy": fuzzy,
                               "covariates": list(covariates or []),
                               "cluster": cluster, "weights": weights,
                               "rdrobust": _version("rdrobust")},
                      inputs_hash=hash_frame(data), n_input=len(data), n_used=int(len(sub)),
                      dropped=dropped)
    return EstimateResult(table, method=prov.method, alpha=alpha, provenance=prov,
                          own_intervals=True, extras=extras,
                          title=f"{'Fuzzy' if fuzzy else 'Sharp'} RD at the cutoff (rdrobust)")


def _version(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(pkg)
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def rd_density(
    data: pd.DataFrame, *, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below",
    masspoints: Literal["adjust", "off"] = "adjust", min_unique: int = 30,
    alpha: float = 0.05, **rddensity_kw: Any,
) -> EstimateResult:
    """Manipulation test of the running variable's density at the cutoff.

    rddensity; Cattaneo, Jansson & Ma 2020, JASA 115(531).

    One row ``density_jump`` (density on the eligible side minus the other side at the
    cutoff, normalised units) with rddensity's jackknife test statistic and p-value; a small
    p-value means households bunch on one side (e.g. under-reporting assets to qualify).

    Parameters
    ----------
    masspoints : {"adjust", "off"}
        rddensity's ``massPoints`` (``True`` for ``"adjust"``, its default): with a discrete
        running variable the bandwidth selection and variance account for tied values.
    min_unique : int
        With mass points and fewer than ``min_unique`` distinct values on a side, the test
        compares densities estimated from a few bars of a histogram: a
        :class:`~kassaki_eval.exceptions.DataWarning` says so (the p-value is returned but
        is not reliable; Cattaneo, Jansson & Ma 2020 assume a continuous running variable).
        Why 30: rddensity's own local minimum is ``nUniqueMin = 20 + p + 1`` (23), and on
        5,000 standard-normal draws floored to a grid (no manipulation) the test rejected at
        p = 0.0014 with 18-19 distinct values per side and p = 0.0002 with 12-14, but not
        (p = 0.59) with 64-67 (measured with rddensity 3.0; ``tests/impact/test_rd.py``).
    alpha : float
        Confidence level is ``1 - alpha``.
    **rddensity_kw
        Passed to ``rddensity`` (``p``, ``kernel``, ``h``, ``bwselect`` ...).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"score": np.random.default_rng(0).normal(size=3000)})
    >>> bool(rd_density(df, running="score").tidy()["p_value"].iloc[0] > 0.01)
    True
    """
    owner = "rd_density"
    try:
        from rddensity import rddensity
    except ImportError as e:  # pragma: no cover
        raise OptionalDependencyError("rddensity is required: pip install rddensity") from e
    check_option(owner, "masspoints", masspoints, ["adjust", "off"])
    require(isinstance(min_unique, (int, np.integer)) and min_unique >= 2, owner,
            "min_unique", "an integer >= 2", min_unique)
    if "massPoints" in rddensity_kw:
        raise ParameterError(f"The 'massPoints' parameter of {owner} is set with "
                             "masspoints='adjust' or 'off'. Got massPoints= instead.")
    sub, z, dropped = _prepare(data, owner, running, running, cutoff, treated_side, [])
    _check_sides(z, running, 20, 2, "data")
    mp = mass_points(z)
    few = min(mp["unique_left"], mp["unique_right"])
    if mp["detected"] and few < min_unique:
        warnings.warn(f"{_mass_message(owner, running, mp)}; with fewer than {min_unique} "
                      "distinct values on a side the density test compares a few bars of a "
                      "histogram and its p-value is not reliable. Fix: inspect the histogram "
                      "of the values next to the cutoff (a binomial test of the two values "
                      "closest to it) instead of this test.", DataWarning, stacklevel=2)
    with _quiet():
        try:
            r = rddensity(z, c=0, massPoints=masspoints == "adjust", **rddensity_kw)
        except Exception as e:  # rddensity raises bare Exception
            raise _wrap_error(e, "rddensity", running, mp) from e
    diff = float(r.hat["diff"])
    tstat = float(r.test["t_jk"])
    pval = float(r.test["p_jk"])
    se = abs(diff / tstat) if tstat != 0 else np.nan
    crit = stats.norm.ppf(1 - alpha / 2)
    table = pd.DataFrame({"term": ["density_jump"], "estimate": [diff], "std_error": [se],
                          "p_value": [pval], "conf_low": [diff - crit * se],
                          "conf_high": [diff + crit * se], "n_obs": [int(r.n["full"])],
                          "density_left": [float(r.hat["left"])],
                          "density_right": [float(r.hat["right"])],
                          "h_left": [float(r.h["left"])], "h_right": [float(r.h["right"])],
                          "n_h_left": [int(r.n["eff_left"])], "n_h_right": [int(r.n["eff_right"])],
                          "n_unique_left": [mp["unique_left"]],
                          "n_unique_right": [mp["unique_right"]]})
    prov = Provenance(method="rd_density", options={"cutoff": cutoff,
                                                    "treated_side": treated_side,
                                                    "masspoints": masspoints,
                                                    "rddensity": _version("rddensity"),
                                                    **rddensity_kw},
                      inputs_hash=hash_frame(data), n_input=len(data), n_used=len(sub),
                      dropped=dropped)
    return EstimateResult(table, method="rd_density", alpha=alpha, provenance=prov,
                          own_intervals=True, extras={"rddensity": r, "mass_points": mp},
                          title="Density (manipulation) test at the cutoff (rddensity)")


def rd_multi_cutoff(
    data: pd.DataFrame, *, y: str, running: str, cutoff: str,
    treated_side: Literal["below", "above"] = "below", fuzzy: str | None = None,
    cluster: str | None = None, weights: str | None = None, p: int = 1,
    kernel: Literal["triangular", "uniform", "epanechnikov"] = "triangular",
    bwselect: str = "mserd", vce: str = "nn", masspoints: MassPoints = "adjust",
    alpha: float = 0.05,
) -> EstimateResult:
    """RD with several cutoffs (village quotas).

    Cutoff-specific, weighted and pooled estimates from ``rdmulti.rdmc`` (Cattaneo, Titiunik
    & Vazquez-Bare 2020, Stata Journal 20(4); the RD authors' package for multiple cutoffs).

    Each village (or any group) has its own cutoff in the column ``cutoff``. rdmc estimates
    one RD per distinct cutoff (rdrobust, with its own MSE-optimal bandwidth), the
    **weighted** estimate ``sum_c w_c tau_c`` with ``w_c`` proportional to the effective
    sample size of cutoff ``c`` (the ``weight`` column) and variance ``sum_c w_c^2 V_c``, and
    the **pooled** estimate: one rdrobust on the normalised running variable (what
    :func:`rd_estimate` gives with ``cutoff=<column>``). The two differ when effects differ
    between cutoffs: the pooled estimand weighs cutoffs by their density at the cutoff.

    Parameters
    ----------
    y, running, cutoff : str
        Outcome, running variable and the column with each row's cutoff (same units).
    treated_side : {"below", "above"}
        Eligible side; PMT targeting: ``"below"``.
    fuzzy, cluster, weights : str, optional
        Take-up (fuzzy RD), cluster id and weights (survey weights, which multiply the
        kernel), passed to every rdrobust call, pooled included.
    p, kernel, bwselect, vce, masspoints :
        rdrobust's options, the same at every cutoff and for the pooled fit.
    alpha : float
        Confidence level is ``1 - alpha``.

    Returns
    -------
    EstimateResult
        Rows ``cutoff=<value>`` (one per distinct cutoff, sorted), ``weighted`` and
        ``pooled``; ``estimate`` is rdmc's bias-corrected estimate with the robust standard
        error, interval and p-value; columns ``cutoff``, ``weight`` (NaN for the two
        summary rows), ``conventional`` (the conventional estimate rdmc prints as "Coef."),
        ``h_left, h_right, n_h_left, n_h_right``. Cutoffs where rdrobust fails (too few
        observations) get weight 0 and NaN estimates, with a
        :class:`~kassaki_eval.exceptions.EstimationWarning` naming how many and which.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> v = rng.integers(0, 2, 2000)
    >>> df = pd.DataFrame({"score": rng.uniform(0, 10, 2000), "cut": np.where(v == 0, 4.0, 6.0)})
    >>> df["y"] = 0.5 * (df.score < df.cut) + 0.1 * df.score + rng.normal(0, 0.3, 2000)
    >>> rd_multi_cutoff(df, y="y", running="score", cutoff="cut").terms
    ['cutoff=4', 'cutoff=6', 'weighted', 'pooled']
    """
    owner = "rd_multi_cutoff"
    try:
        from rdmulti import rdmc
    except ImportError as e:  # pragma: no cover - core dependency
        raise OptionalDependencyError("rdmulti is required: pip install rdmulti") from e
    check_option(owner, "kernel", kernel, list(KERNELS))
    check_option(owner, "treated_side", treated_side, ["below", "above"])
    check_option(owner, "masspoints", masspoints, ["adjust", "check", "off"])
    require(isinstance(p, (int, np.integer)) and 0 <= p <= 4, owner, "p", "an integer in 0..4", p)
    if not isinstance(cutoff, str):
        raise ParameterError(f"The 'cutoff' parameter of {owner} must name the column of "
                             f"cutoffs. Got {cutoff!r} instead (one cutoff: use rd_estimate).")
    sub, z, dropped = _prepare(data, owner, y, running, cutoff, treated_side,
                               [fuzzy, cluster, weights])
    _check_sides(z, running, 20, p, "data")
    mp = mass_points(z)
    c = sub[cutoff].to_numpy(dtype=float)
    # rdmc takes X and C and uses X - C (treated at or above); z = C' - X' with the sign of
    # the eligible side, so hand it X' = z + C' and C' = c (same cutoffs, normalised X)
    xx = z + c
    clist = np.unique(c)
    T = sub[fuzzy].to_numpy(dtype=float) if fuzzy else None
    cl = pd.factorize(sub[cluster])[0] if cluster else None
    wv = sub[weights].to_numpy(dtype=float) if weights else None
    level = 100 * (1 - alpha)
    opts = (f"p={int(p)}, kernel={KERNELS[kernel]!r}, bwselect={bwselect!r}, vce={vce!r}, "
            f"masspoints={masspoints!r}, level={level!r}")
    # rdmc evaluates pooled_opt inside its own frame: arrays are named by its locals
    pooled_opt = opts + (", cluster=cluster" if cl is not None else "") + (
        ", weights=weightsvec[:, 0]" if wv is not None else "")
    with _quiet() as buf, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = rdmc(sub[y].to_numpy(dtype=float), xx, c, fuzzy=T, pooled_opt=pooled_opt,
                     pvec=np.repeat(int(p), clist.size),
                     kernelvec=np.repeat(KERNELS[kernel], clist.size),
                     bwselectvec=np.repeat(bwselect, clist.size),
                     vcevec=np.repeat(vce, clist.size),
                     masspointsvec=np.repeat(masspoints, clist.size),
                     weightsvec=None if wv is None else np.tile(wv[:, None], (1, clist.size)),
                     cluster=cl, level=level)
        except Exception as e:  # rdmc/rdrobust raise bare Exception
            raise _wrap_error(e, "rdmulti.rdmc", running, mp) from e
    _warn_printed(owner, running, mp, masspoints, "")
    cfail = np.asarray(r.cfail, dtype=float)
    if cfail.size:
        warnings.warn(f"{owner}: rdrobust failed at {cfail.size} of {clist.size} cutoffs "
                      f"(e.g. {', '.join(f'{v:g}' for v in cfail[:5])}): too few observations "
                      "or distinct values around them. They get weight 0 in the weighted "
                      "estimate and NaN rows. Fix: pool villages with few households (the "
                      "pooled row), or group cutoffs.", EstimationWarning, stacklevel=2)
    def field(name: str) -> np.ndarray:
        # rdmulti 2.0.0 stores most outputs as 1-tuples (trailing commas in rdmc_output)
        v = getattr(r, name)
        return np.asarray(v[0] if isinstance(v, tuple) else v, dtype=float)

    B, V, Co, Pv = (field(n).ravel() for n in ("B", "V", "Coefs", "Pv"))
    CI, H, Nh = field("CI"), field("H"), field("Nh")
    W = field("W").ravel()
    k = clist.size
    table = pd.DataFrame({
        "term": [f"cutoff={v:g}" for v in clist] + ["weighted", "pooled"],
        "estimate": B, "std_error": np.sqrt(V), "p_value": Pv,
        "conf_low": CI[0], "conf_high": CI[1],
        "n_obs": np.nan_to_num(Nh[0] + Nh[1]).astype(int),
        "cutoff": np.concatenate([clist, [np.nan, np.nan]]),
        "weight": np.concatenate([W, [np.nan, np.nan]]),
        "conventional": Co, "h_left": H[0], "h_right": H[1],
        "n_h_left": Nh[0], "n_h_right": Nh[1],
    })
    table.loc[k, ["h_left", "h_right"]] = np.nan   # the weighted row has no single bandwidth
    prov = Provenance(method="rd_multi_cutoff",
                      options={"cutoff": cutoff, "treated_side": treated_side, "p": p,
                               "kernel": kernel, "bwselect": bwselect, "vce": vce,
                               "masspoints": masspoints, "fuzzy": fuzzy, "cluster": cluster,
                               "weights": weights, "rdmulti": _version("rdmulti"),
                               "rdrobust": _version("rdrobust")},
                      inputs_hash=hash_frame(data), n_input=len(data), n_used=int(len(sub)),
                      dropped=dropped)
    return EstimateResult(table, method="rd_multi_cutoff", alpha=alpha, provenance=prov,
                          own_intervals=True,
                          extras={"rdmc": r, "rdmc_stdout": buf.getvalue(),
                                  "failed_cutoffs": cfail.tolist(), "mass_points": mp},
                          title="RD with multiple cutoffs (rdmulti::rdmc)")


def _stack(results: list[tuple[str, EstimateResult]], row: str, method: str, title: str,
           alpha: float, data: pd.DataFrame, options: dict[str, Any]) -> EstimateResult:
    parts = []
    for name, res in results:
        t = res.tidy()
        t = t[t["term"] == row].copy()
        t["term"] = name
        parts.append(t)
    table = pd.concat(parts, ignore_index=True).drop(columns=["statistic"])
    prov = Provenance(method=method, options=options, inputs_hash=hash_frame(data),
                      n_input=len(data))
    return EstimateResult(table, method=method, alpha=alpha, provenance=prov,
                          own_intervals=True, title=title)


def rd_balance(
    data: pd.DataFrame, *, covariates: Sequence[str], running: str,
    cutoff: float | str = 0.0, treated_side: Literal["below", "above"] = "below",
    row: Row = "Robust", alpha: float = 0.05, **kw: Any,
) -> EstimateResult:
    """Covariate-balance tests at the cutoff.

    The RD "effect" on each pre-determined covariate (should be zero). One row per covariate
    (rdrobust ``row`` estimator, each with its own MSE-optimal bandwidth).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"score": rng.uniform(-1, 1, 2000), "age": rng.normal(40, 5, 2000)})
    >>> rd_balance(df, covariates=["age"], running="score").terms
    ['age']
    """
    check_option("rd_balance", "row", row, list(ROWS))
    out = [(c, rd_estimate(data, y=c, running=running, cutoff=cutoff,
                           treated_side=treated_side, alpha=alpha, **kw)) for c in covariates]
    return _stack(out, row, "rd_balance", "Covariate balance at the cutoff (rdrobust)", alpha,
                  data, {"cutoff": cutoff, "row": row})


def rd_placebo(
    data: pd.DataFrame, *, y: str, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below", placebo: Sequence[float] = (),
    row: Row = "Robust", alpha: float = 0.05, **kw: Any,
) -> EstimateResult:
    """RD estimates at placebo cutoffs (in normalised units; positive = on the eligible side).

    Each placebo uses only the observations on its own side of the true cutoff, so the true
    discontinuity cannot leak into it (Cattaneo, Idrobo & Titiunik 2020, section 5.3).
    """
    check_option("rd_placebo", "row", row, list(ROWS))
    require(len(placebo) > 0 and all(v != 0 for v in placebo), "rd_placebo", "placebo",
            "a non-empty list of non-zero cutoffs (normalised units)", placebo)
    sub, z, _ = _prepare(data, "rd_placebo", y, running, cutoff, treated_side, [])
    frame = pd.DataFrame({"_y": sub[y].to_numpy(dtype=float), "_z": z})
    out = []
    for c in placebo:
        side = frame[frame["_z"] >= 0] if c > 0 else frame[frame["_z"] < 0]
        res = rd_estimate(side, y="_y", running="_z", cutoff=float(c), treated_side="above",
                          alpha=alpha, **kw)
        out.append((f"placebo {c:+g}", res))
    return _stack(out, row, "rd_placebo", "RD at placebo cutoffs (rdrobust)", alpha, data,
                  {"cutoff": cutoff, "placebo": list(placebo), "row": row})


def rd_bandwidths(
    data: pd.DataFrame, *, y: str, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below",
    multipliers: Sequence[float] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0),
    row: Row = "Robust", alpha: float = 0.05, **kw: Any,
) -> EstimateResult:
    """Bandwidth sensitivity: the RD at multiples of the MSE-optimal bandwidth.

    The pilot bandwidth ratio ``h/b`` is kept.

    Returns
    -------
    EstimateResult
        One row per multiplier (term ``"h x0.5"`` ...) holding rdrobust's ``row`` estimator
        (default ``"Robust"``: bias-corrected estimate with the robust interval), with the
        columns of :func:`rd_estimate` plus ``multiplier`` and the conventional estimate and
        interval (``conventional``, ``conventional_se``, ``conventional_low``,
        ``conventional_high``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"score": rng.uniform(-1, 1, 2000)})
    >>> df["y"] = 0.5 * (df.score < 0) + df.score + rng.normal(0, 0.3, 2000)
    >>> rd_bandwidths(df, y="y", running="score", multipliers=(0.5, 1)).terms
    ['h x0.5', 'h x1']
    """
    owner = "rd_bandwidths"
    check_option(owner, "row", row, list(ROWS))
    require(len(multipliers) > 0 and all(isinstance(m, (int, float)) and m > 0
                                         for m in multipliers),
            owner, "multipliers", "a non-empty list of positive numbers", multipliers)
    base = rd_estimate(data, y=y, running=running, cutoff=cutoff, treated_side=treated_side,
                       alpha=alpha, **kw)
    t0 = base.tidy()
    h0, b0 = float(t0["h_left"].iloc[0]), float(t0["b_left"].iloc[0])
    kw2 = {k: v for k, v in kw.items() if k not in ("h", "b")}
    parts = []
    for m in multipliers:
        res = base if m == 1.0 else rd_estimate(
            data, y=y, running=running, cutoff=cutoff, treated_side=treated_side, alpha=alpha,
            h=h0 * m, b=b0 * m, **kw2)
        t = res.tidy().set_index("term")
        one = t.loc[[row]].reset_index()
        one["term"] = f"h x{m:g}"
        one["multiplier"] = float(m)
        one["conventional"] = t.loc["Conventional", "estimate"]
        one["conventional_se"] = t.loc["Conventional", "std_error"]
        one["conventional_low"] = t.loc["Conventional", "conf_low"]
        one["conventional_high"] = t.loc["Conventional", "conf_high"]
        parts.append(one)
    table = pd.concat(parts, ignore_index=True).drop(columns=["statistic"])
    prov = Provenance(method="rd_bandwidths",
                      options={**dict(base.provenance.options), "row": row,
                               "multipliers": [float(m) for m in multipliers], "h0": h0,
                               "b0": b0},
                      inputs_hash=base.provenance.inputs_hash, n_input=len(data),
                      n_used=base.provenance.n_used, dropped=base.provenance.dropped)
    return EstimateResult(table, method="rd_bandwidths", alpha=alpha, provenance=prov,
                          own_intervals=True, extras={"base": base},
                          title=f"RD bandwidth sensitivity ({row}, rdrobust)")


def rd_plot(
    data: pd.DataFrame, *, y: str, running: str, cutoff: float | str = 0.0,
    treated_side: Literal["below", "above"] = "below", p: int = 4,
    binselect: str = "esmv", nbins: int | None = None, ax: Any = None,
    xlabel: str | None = None, ylabel: str | None = None,
) -> Any:
    """RD plot: binned means and global polynomial fits on each side, from ``rdplot``.

    Computed with ``hide=True``, drawn with matplotlib. Returns the Figure.
    """
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    sub, z, _ = _prepare(data, "rd_plot", y, running, cutoff, treated_side, [])
    _check_sides(z, running, 20, p, "data")
    rdr = _rdrobust()
    with _quiet(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = rdr.rdplot(sub[y].to_numpy(dtype=float), z, c=0, p=p, binselect=binselect,
                           nbins=nbins, hide=True)
        except Exception as e:  # rdplot raises bare Exception
            raise _wrap_error(e, "rdplot", running, mass_points(z)) from e
    if ax is None:
        fig = plt.figure(figsize=(6, 4))
        ax = fig.subplots()
    else:
        fig = ax.figure
    vb, vp = r.vars_bins, r.vars_poly
    ax.scatter(vb["rdplot_mean_x"], vb["rdplot_mean_y"], s=12, color="C0", label="bin means")
    for side in (vp["rdplot_x"] < 0, vp["rdplot_x"] > 0):
        ax.plot(vp.loc[side, "rdplot_x"], vp.loc[side, "rdplot_y"], color="C3", lw=1.5)
    ax.axvline(0, color="black", lw=0.8, ls="--")
    ax.set_xlabel(xlabel or f"{running}: distance to cutoff (eligible side > 0)")
    ax.set_ylabel(ylabel or y)
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig
