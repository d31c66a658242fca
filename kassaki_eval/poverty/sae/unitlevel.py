r"""Unit-level small-area estimation: the empirical best predictor (Molina & Rao 2010).

The nested-error model :math:`T(y_{ij}) = x_{ij}'\beta + u_i + e_{ij}` is fitted by REML
(:mod:`~kassaki_eval.poverty.sae.nested`) on the survey, where :math:`T` is a Box-Cox or
log-shift transformation whose parameter is chosen by REML on the geometric-mean standardised
response (as R ``emdi``), or ``log``. Then for every village of the registry (the census of
auxiliary data), sampled or not, ``L`` populations are drawn from the conditional distribution

.. math:: T(y_{ij}^{(l)}) = x_{ij}'\hat\beta + \hat u_i + v_i^{(l)} + e_{ij}^{(l)},\quad
    v_i \sim N(0, \hat\sigma_u^2 (1 - \hat\gamma_i)),\ e_{ij} \sim N(0, \hat\sigma_e^2),

(non-sampled villages: :math:`\hat u_i = 0`, :math:`v_i \sim N(0, \hat\sigma_u^2)`: the
synthetic predictor, whose MSE the bootstrap measures honestly), back-transformed, and the
indicators (FGT 0/1/2 and the mean, person-weighted by household size) are averaged over ``l``
("census EBP" as emdi: every registry household is simulated).

MSE: parametric bootstrap (González-Manteiga, Lombardía, Molina, Morales & Santamaría 2008):
``B`` bootstrap populations from the fitted model, their true indicators, the survey households'
bootstrap responses, a full re-fit (including the transformation parameter) and the EBP on each.

Survey weights: ``weights=`` uses Guadarrama, Molina & Rao (2018)'s pseudo-EBP (weighted
:math:`\beta` and random effects with :math:`\gamma_{iw} = \sigma_u^2 / (\sigma_u^2 +
\sigma_e^2 \sum w^2 / (\sum w)^2)`, variance components from the unweighted REML fit), as emdi.
Heteroskedastic errors are *not* modelled (not done).
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize

from ...exceptions import (
    DataWarning,
    EstimationWarning,
    ParameterError,
    Problem,
    SchemaError,
    check_option,
)
from ...results import EstimateResult, Provenance, hash_frame
from ._common import RSE_THRESHOLDS, assemble
from .nested import GroupSums, NestedErrorFit, fit_nested_error

__all__ = ["ebp", "covariate_matrix", "check_covariates", "EBPTransformation", "INDICATORS"]

EBPTransformation = Literal["box_cox", "log", "log_shift", "none"]
INDICATORS: tuple[str, ...] = ("p0", "p1", "p2", "mean")


# ---------------------------------------------------------------------------------------------
# covariates: one definition for the survey and the registry
# ---------------------------------------------------------------------------------------------

def covariate_matrix(df: pd.DataFrame, covariates: Sequence[str], levels: dict[str, list[Any]],
                     table: str) -> np.ndarray:
    """Intercept + numeric covariates + dummies of categorical ones.

    Category levels are fixed by the registry (first level dropped). Missing values are an
    error naming the table and column.
    """
    cols = [np.ones(len(df))]
    probs = []
    for c in covariates:
        if c not in df.columns:
            probs.append(Problem(table, c, "is missing (a model covariate)", len(df), (),
                                 "give both tables the same covariates."))
            continue
        if c in levels:
            v = df[c].astype(object).to_numpy()
            for lev in levels[c][1:]:
                cols.append((v == lev).astype(float))
            continue
        x = pd.to_numeric(df[c], errors="coerce").to_numpy(float)
        bad = ~np.isfinite(x)
        if bad.any():
            probs.append(Problem(table, c, "is missing or not numeric", int(bad.sum()),
                                 tuple(f"row {i}" for i in np.flatnonzero(bad)[:5]),
                                 "impute or drop those rows before the EBP."))
        cols.append(x)
    if probs:
        raise SchemaError(probs, table=table)
    return np.column_stack(cols)


def _levels(registry: pd.DataFrame, survey: pd.DataFrame,
            covariates: Sequence[str]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    probs = []
    for c in covariates:
        if c in registry.columns and (registry[c].dtype == object
                                      or isinstance(registry[c].dtype, pd.CategoricalDtype)
                                      or pd.api.types.is_string_dtype(registry[c])):
            levs = sorted(pd.unique(registry[c].dropna()).tolist())
            out[c] = levs
            if c in survey.columns:
                extra = sorted(set(pd.unique(survey[c].dropna())) - set(levs))
                if extra:
                    n = int(survey[c].isin(extra).sum())
                    probs.append(Problem("survey", c, "has categories the registry does not use "
                                         f"(registry levels: {levs})", n, tuple(extra[:5]),
                                         "recode the survey categories to the registry's "
                                         "definitions."))
    if probs:
        raise SchemaError(probs, table="survey")
    return out


def check_covariates(survey: pd.DataFrame, registry: pd.DataFrame, covariates: Sequence[str],
                     *, weight: str = "weight", tol: float = 0.25) -> pd.DataFrame:
    """Compare each covariate's survey (weighted) and registry means.

    A standardised difference ``|mean_s - mean_r| / sd_r`` above ``tol`` signals that the two
    sources define the covariate differently (units, coding, reference period): the EBP would
    then predict with a model fitted on another variable. Returns the comparison table and warns
    (:class:`DataWarning`) listing the offending covariates; categorical covariates are compared
    level by level (shares).
    """
    w = pd.to_numeric(survey[weight], errors="coerce").to_numpy(float)
    levels = _levels(registry, survey, covariates)
    rows = []
    for c in covariates:
        if c in levels:
            for lev in levels[c]:
                xs = (survey[c].to_numpy() == lev).astype(float)
                xr = (registry[c].to_numpy() == lev).astype(float)
                rows.append((f"{c}={lev}", xs, xr))
        else:
            rows.append((c, pd.to_numeric(survey[c], errors="coerce").to_numpy(float),
                         pd.to_numeric(registry[c], errors="coerce").to_numpy(float)))
    out = []
    for name, xs, xr in rows:
        ms = float(np.nansum(w * xs) / np.nansum(w * np.isfinite(xs)))
        mr = float(np.nanmean(xr))
        sd = float(np.nanstd(xr))
        std = abs(ms - mr) / sd if sd > 0 else (0.0 if ms == mr else np.inf)
        out.append({"covariate": name, "survey_mean": ms, "registry_mean": mr,
                    "registry_sd": sd, "std_diff": std, "flag": std > tol})
    tab = pd.DataFrame(out, columns=["covariate", "survey_mean", "registry_mean",
                                     "registry_sd", "std_diff", "flag"])
    bad = tab[tab["flag"].astype(bool)]
    if len(bad):
        ex = ", ".join(f"{r.covariate} (survey {r.survey_mean:.3g} vs registry "
                       f"{r.registry_mean:.3g})" for r in bad.head(5).itertuples())
        warnings.warn(f"ebp: {len(bad)} covariates differ between the survey and the registry "
                      f"by more than {tol} registry SDs: {ex}. They may be defined differently "
                      "in the two sources (units, coding, date); the EBP assumes the same "
                      "definition. Fix: harmonise them or drop them from the model.",
                      DataWarning, stacklevel=3)
    return tab


# ---------------------------------------------------------------------------------------------
# transformations
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Trafo:
    kind: str
    lam: float = 0.0      # Box-Cox lambda or log-shift s
    shift: float = 0.0    # Box-Cox shift making y > 0

    def fwd(self, y: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return y
        if self.kind == "log":
            return np.log(y + self.shift)
        if self.kind == "log_shift":
            return np.log(y + self.lam)
        yy = y + self.shift
        return np.log(yy) if abs(self.lam) <= 1e-12 else (yy ** self.lam - 1) / self.lam

    def back(self, t: np.ndarray) -> np.ndarray:
        if self.kind == "none":
            return t
        if self.kind == "log":
            return np.exp(t) - self.shift
        if self.kind == "log_shift":
            return np.exp(t) - self.lam
        if abs(self.lam) <= 1e-12:
            return np.exp(t) - self.shift
        lam = np.asarray(self.lam, dtype=t.dtype)
        base = t * lam
        base += 1
        np.maximum(base, 0, out=base)
        # exp(log(b)/lam) is faster than b ** (1/lam) and equal to rounding
        with np.errstate(divide="ignore"):
            out = np.exp(np.log(base) / lam)
        return out - np.asarray(self.shift, dtype=t.dtype) if self.shift else out


def _shift_for(y: np.ndarray) -> float:
    mn = float(np.min(y))
    return abs(mn) + 1 if mn <= 0 else 0.0


def _std_transform(y: np.ndarray, kind: str, lam: float) -> np.ndarray:
    """Emdi's geometric-mean standardised transformations (comparable REML across lambda)."""
    if kind == "box_cox":
        yy = y - min(float(np.min(y)), 1.0) + 1 if np.min(y) <= 0 else y
        gm = np.exp(np.mean(np.log(yy)))
        if abs(lam) > 1e-12:
            return (yy ** lam - 1) / (lam * gm ** (lam - 1))
        return gm * np.log(yy)
    s = lam
    if np.min(y + s) <= 0:
        s = s + abs(float(np.min(y))) + 1
    gm = np.exp(np.mean(np.log(y + s)))
    return gm * np.log(y + s)


def _choose_parameter(y: np.ndarray, X: np.ndarray, gs: GroupSums, kind: str,
                      interval: tuple[float, float] | None) -> float:
    if interval is None:
        if kind == "box_cox":
            interval = (-1.0, 2.0)
        else:
            lo = abs(float(np.min(y))) + 1 if np.min(y) + 1 <= 1 else 0.0
            interval = (lo, float(np.ptp(y)) / 2)
    lo, hi = (float(v) for v in interval)
    if not lo < hi:
        raise ParameterError(
            f"ebp: the search interval for the {kind} parameter is empty ({lo:g} to {hi:g}); "
            f"welfare runs from {float(np.min(y)):g} to {float(np.max(y)):g}. Fix: pass "
            "interval=(low, high) with low < high (for log_shift, low above -min(welfare)), "
            "or parameter=, or another transformation.")

    def crit(lam: float) -> float:
        return fit_nested_error(_std_transform(y, kind, lam), gs, X).reml_crit

    res = optimize.minimize_scalar(crit, bounds=interval, method="bounded",
                                   options={"xatol": 1e-7})
    if not res.success:  # pragma: no cover - bounded Brent always returns
        raise ParameterError(f"ebp: the REML search for the {kind} parameter failed.")
    if min(res.x - lo, hi - res.x) < 1e-4 * (hi - lo):
        warnings.warn(f"ebp: the REML {kind} parameter {res.x:.4g} is at the edge of the search "
                      f"interval {interval}; widen 'interval' or choose another transformation.",
                      EstimationWarning, stacklevel=4)
    return float(res.x)


# ---------------------------------------------------------------------------------------------
# the model and the Monte Carlo predictor
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Model:
    trafo: _Trafo
    fit: NestedErrorFit
    beta: np.ndarray          # possibly survey-weighted
    u: np.ndarray             # per population domain (0 for non-sampled)
    sig_v: np.ndarray         # per population domain: sd of the conditional random effect


def _fit_model(y: np.ndarray, X: np.ndarray, gs: GroupSums, kind: str, lam: float | None,
               interval: tuple[float, float] | None, w: np.ndarray | None,
               dom_map: np.ndarray, D: int) -> _Model:
    """Fit on the sample; map sample groups (0..m-1) to population domains via ``dom_map``."""
    if kind in ("box_cox", "log_shift"):
        par = lam if lam is not None else _choose_parameter(y, X, gs, kind, interval)
    else:
        par = 0.0
    shift = _shift_for(y) if kind in ("box_cox", "log") else 0.0
    if kind == "log_shift" and np.min(y + par) <= 0:
        par = par + abs(float(np.min(y))) + 1
    tr = _Trafo(kind, par, shift)
    yt = tr.fwd(y)
    fit = fit_nested_error(yt, gs, X)
    beta, gamma = fit.beta, fit.gamma
    m = len(gs.n_i)
    if w is not None:
        W = np.bincount(gs.groups, weights=w, minlength=m)
        W2 = np.bincount(gs.groups, weights=w * w, minlength=m)
        ybw = np.bincount(gs.groups, weights=w * yt, minlength=m) / W
        xbw = np.zeros((m, X.shape[1]))
        np.add.at(xbw, gs.groups, w[:, None] * X)
        xbw /= W[:, None]
        delta2 = W2 / W ** 2
        gamma = fit.sigma2_u / (fit.sigma2_u + fit.sigma2_e * delta2)
        g = gamma[gs.groups]
        WX = w[:, None] * X
        num = WX.T @ (yt - g * ybw[gs.groups])
        den = WX.T @ (X - g[:, None] * xbw[gs.groups])
        beta = np.linalg.solve(den, num)
        u_s = gamma * (ybw - xbw @ beta)
    else:
        u_s = fit.u
    u = np.zeros(D)
    sig_v = np.full(D, np.sqrt(fit.sigma2_u))
    u[dom_map] = u_s
    sig_v[dom_map] = np.sqrt(fit.sigma2_u * (1 - gamma))
    return _Model(tr, fit, beta, u, sig_v)


def _aggregator(codes: np.ndarray, D: int, pw: np.ndarray) -> Any:
    """Sparse (D, N) matrix of person-weight shares: ``A @ V`` gives per-domain weighted means."""
    from scipy import sparse
    PW = np.bincount(codes, weights=pw, minlength=D)
    data = (pw / PW[codes]).astype(np.float32)
    return sparse.csr_matrix((data, (codes, np.arange(len(codes)))), shape=(D, len(codes)))


def _indicators(y_back: np.ndarray, agg: Any, z: float) -> np.ndarray:
    """Person-weighted FGT0/1/2 and mean per domain for an (N, L) block: returns (D, 4, L)."""
    L = y_back.shape[1]
    zf = np.float32(z)
    g = (zf - y_back) / zf
    np.maximum(g, 0, out=g)
    out = np.empty((agg.shape[0], 4, L))
    out[:, 0, :] = agg @ (g > 0).astype(np.float32)
    out[:, 1, :] = agg @ g
    g *= g
    out[:, 2, :] = agg @ g
    out[:, 3, :] = agg @ y_back
    return out


def _predict(model: _Model, Xpop: np.ndarray, codes: np.ndarray, D: int, z: float,
             agg: Any, L: int, rng: np.random.Generator, chunk: int,
             spread: bool = False) -> Any:
    """EBP of the 4 indicators per domain (D, 4) by Monte Carlo with L replicates.

    With ``spread``: also the standard deviation of one replicate (D, 4), so the Monte Carlo
    error of the average is ``sd / sqrt(L)``.
    """
    mu = (Xpop @ model.beta + model.u[codes]).astype(np.float32)
    se = np.float32(np.sqrt(model.fit.sigma2_e))
    sv = model.sig_v.astype(np.float32)
    acc = np.zeros((D, 4))
    acc2 = np.zeros((D, 4))
    done = 0
    while done < L:
        ll = min(chunk, L - done)
        v = rng.standard_normal((D, ll), dtype=np.float32) * sv[:, None]
        t = rng.standard_normal((len(mu), ll), dtype=np.float32)
        t *= se
        t += mu[:, None]
        t += v[codes]
        yb = model.trafo.back(t)
        ind = _indicators(yb, agg, z)
        acc += ind.sum(axis=2)
        if spread:
            acc2 += (ind * ind).sum(axis=2)
        done += ll
    mean = acc / L
    if spread:
        var = (acc2 - L * mean * mean) / max(L - 1, 1)
        return mean, np.sqrt(np.maximum(var, 0))
    return mean


def ebp(survey: pd.DataFrame, registry: pd.DataFrame, covariates: Sequence[str], *,
        line: float, welfare: str = "consumption_pc", domain: str = "village_code",
        transformation: EBPTransformation = "box_cox", parameter: float | None = None,
        interval: tuple[float, float] | None = None, L: int = 50, B: int = 100,
        mse: Literal["bootstrap", "none"] = "bootstrap", weights: str | None = None,
        size: str = "hh_size", seed: int | None = None, covariate_tol: float = 0.25,
        area_covariates: Sequence[str] = (),
        rse_thresholds: tuple[float, float] = RSE_THRESHOLDS, alpha: float = 0.05,
        n_jobs: int = 1) -> EstimateResult:
    """Empirical best predictor of village FGT(0, 1, 2) and mean consumption (Molina & Rao 2010).

    Parameters
    ----------
    survey : DataFrame
        One survey wave: ``welfare``, ``domain``, the covariates, ``size`` (and ``weights``).
    registry : DataFrame
        The auxiliary census (one row per family/household): ``domain``, covariates, ``size``.
        Every village of the registry gets an estimate; survey villages must be in it.
    covariates : sequence of str
        Unit-level covariates, defined identically in both tables (checked: categories must
        match, means are compared, see :func:`check_covariates`). Text columns become dummies.
    area_covariates : sequence of str
        Registry columns whose village means (over registry families) enter the model as
        contextual covariates ``<name>_vmean`` for survey and registry rows alike (the usual
        way to give a unit-level model village information; World Bank SAE guidelines).
    line : float
        Poverty line (same unit as ``welfare``).
    transformation : {"box_cox", "log", "log_shift", "none"}
        ``box_cox`` and ``log_shift`` choose their parameter by REML (emdi's standardised
        criterion) unless ``parameter`` is given; ``interval`` bounds the search.
    L, B : int
        Monte Carlo replicates of the predictor and bootstrap replicates of the MSE.
    mse : {"bootstrap", "none"}
    weights : str, optional
        Survey weight column: Guadarrama et al. (2018) pseudo-EBP. ``None``: unweighted EBP.
    seed : int, optional
        Seed of numpy's default generator (the whole run is reproducible from it).
    n_jobs : int
        Processes for the bootstrap (joblib); 1 runs in-process.

    Returns
    -------
    EstimateResult
        Rows ``p0[village_code=...]``, ``p1``, ``p2``, ``mean`` for every registry village:
        fixed tidy columns, ``village_code, name, kec_code, kecamatan, zone, measure, mse, cv,
        method`` (``EBP`` or ``EBP-synthetic`` for villages without a sample), ``reliability``,
        ``n_households`` (registry). Normal intervals ``estimate ± z sqrt(mse)`` clipped to
        ``[0, 1]`` for the FGT rows. ``extras``: ``model`` (beta, sigma2_u, sigma2_e, lambda,
        shift, ...), ``residuals``, ``random_effects``, ``fitted``, ``covariate_check``,
        ``point`` (D x 4 array), ``mse`` (D x 4), ``domains``, ``replicate_sd`` (D x 4: the
        spread of one Monte Carlo replicate) and ``mc_se`` (its Monte Carlo standard error).
    """
    owner = "ebp"
    check_option(owner, "transformation", transformation, ("box_cox", "log", "log_shift", "none"))
    check_option(owner, "mse", mse, ("bootstrap", "none"))
    for nm, v, lo in (("L", L, 1), ("B", B, 1 if mse == "bootstrap" else 0)):
        if not (isinstance(v, (int, np.integer)) and v >= lo):
            raise ParameterError(f"The '{nm}' parameter of {owner} must be an int >= {lo}. Got "
                                 f"{v!r} instead.")
    for tbl, df, cols in (("survey", survey, [welfare, domain, size] + ([weights] if weights
                                                                       else [])),
                          ("registry", registry, [domain, size])):
        miss = [c for c in cols if c not in df.columns]
        if miss:
            raise SchemaError([Problem(tbl, c, "is missing", len(df), (), "add the column.")
                               for c in miss], table=tbl)
    y = pd.to_numeric(survey[welfare], errors="coerce").to_numpy(float)
    if not np.isfinite(y).all():
        bad = ~np.isfinite(y)
        raise SchemaError([Problem("survey", welfare, "is missing or not numeric",
                                   int(bad.sum()), tuple(f"row {i}" for i in
                                                         np.flatnonzero(bad)[:5]),
                                   "drop or impute those households.")])
    # domains: the registry's villages
    pop_dom, pop_labels = pd.factorize(registry[domain], sort=True)
    D = len(pop_labels)
    s_dom = pd.Index(pop_labels).get_indexer(survey[domain])
    if (s_dom < 0).any():
        miss = pd.unique(survey.loc[s_dom < 0, domain])
        raise SchemaError([Problem(
            "survey", domain, "has villages that are not in the registry (no auxiliary data)",
            int((s_dom < 0).sum()), tuple(miss[:5]),
            "check the village codes (Kemendagri 73.10.KK.NNNN in both tables) or add the "
            "villages' registry extract.")])
    if area_covariates:
        miss = [c for c in area_covariates if c not in registry.columns]
        if miss:
            raise SchemaError([Problem("registry", c, "is missing (an area covariate)",
                                       len(registry), (), "add the column.") for c in miss])
        vm = registry.groupby(domain)[list(area_covariates)].mean()
        vm.columns = [f"{c}_vmean" for c in area_covariates]
        survey = survey.join(vm, on=domain)
        registry = registry.join(vm, on=domain)
        covariates = list(covariates) + list(vm.columns)
    cov_tab = check_covariates(survey, registry, covariates, weight=weights or "weight",
                               tol=covariate_tol) if (weights or "weight") in survey.columns \
        else None
    levels = _levels(registry, survey, covariates)
    Xs = covariate_matrix(survey, covariates, levels, "survey")
    Xp = covariate_matrix(registry, covariates, levels, "registry")
    s_groups, s_labels = pd.factorize(s_dom, sort=True)
    m = len(s_labels)
    dom_map = np.asarray(s_labels, dtype=np.int64)
    gs = GroupSums.build(Xs, s_groups.astype(np.int64), m)
    w = pd.to_numeric(survey[weights], errors="coerce").to_numpy(float) if weights else None
    model = _fit_model(y, Xs, gs, transformation, parameter, interval, w, dom_map, D)
    if model.fit.boundary:
        warnings.warn("ebp: the REML village variance is 0 (boundary): the village effects are "
                      "not identified from this sample; every village gets the synthetic "
                      "prediction x'beta. Check the covariates and the sample.",
                      EstimationWarning, stacklevel=2)
    pw = pd.to_numeric(registry[size], errors="coerce").to_numpy(float)
    codes = pop_dom.astype(np.int64)
    agg = _aggregator(codes, D, pw)
    rng = np.random.default_rng(seed)
    chunk = max(1, int(2_000_000 // max(len(codes), 1)))
    point, rep_sd = _predict(model, Xp, codes, D, line, agg, L, rng, chunk, spread=True)
    mse_arr = np.full((D, 4), np.nan)
    if mse == "bootstrap":
        seeds = rng.integers(0, 2**63 - 1, size=B)
        ctx = dict(model=model, Xs=Xs, Xp=Xp, gs=gs, s_dom=s_dom, codes=codes, D=D, z=line,
                   agg=agg, L=L, kind=transformation, fixed=parameter, interval=interval,
                   w=w, dom_map=dom_map, chunk=chunk)
        if n_jobs == 1:
            sq = [_boot_one(int(sd), **ctx) for sd in seeds]
        else:
            from joblib import Parallel, delayed
            sq = Parallel(n_jobs=n_jobs)(delayed(_boot_one)(int(sd), **ctx) for sd in seeds)
        mse_arr = np.mean(sq, axis=0)
    sampled = np.zeros(D, bool)
    sampled[dom_map] = True
    n_s = np.bincount(s_dom, minlength=D)
    extreme = sampled & np.isin(np.arange(D), _extreme_villages(y < line, s_dom, D))
    if extreme.any():
        warnings.warn(f"ebp: {int(extreme.sum())} sampled villages have every or no household "
                      "below the line (e.g. "
                      f"{', '.join(map(str, np.asarray(pop_labels)[extreme][:5]))}); the EBP "
                      "shrinks them towards the model, which is intended, but check them.",
                      DataWarning, stacklevel=2)
    ind = list(INDICATORS)
    dom_rep = np.repeat(np.asarray(pop_labels, dtype=object), 4)
    est = point.ravel()
    mse_flat = mse_arr.ravel()
    se = np.sqrt(np.maximum(mse_flat, 0))
    from scipy import stats
    zc = stats.norm.ppf(1 - alpha / 2)
    is_fgt = np.tile([True, True, True, False], D)
    lo = np.where(is_fgt, np.clip(est - zc * se, 0, 1), est - zc * se)
    hi = np.where(is_fgt, np.clip(est + zc * se, 0, 1), est + zc * se)
    f = model.fit
    resid_fit = model.trafo.fwd(y) - Xs @ model.beta - model.u[s_dom]
    prov = Provenance(
        method="ebp",
        options={"covariates": list(covariates), "transformation": transformation,
                 "parameter": model.trafo.lam, "shift": model.trafo.shift, "L": L, "B": B,
                 "mse": mse, "weights": weights, "size": size, "seed": seed, "line": line,
                 "variance": "REML (profile over sigma_u^2/sigma_e^2)",
                 "heteroskedasticity": "not modelled", "rse_thresholds": rse_thresholds},
        inputs_hash=hash_frame(survey[[welfare, domain]]), n_input=len(survey),
        n_used=len(survey))
    extras = {
        "model": {"beta": pd.Series(model.beta, index=_names(covariates, levels)),
                  "sigma2_u": f.sigma2_u, "sigma2_e": f.sigma2_e, "lambda": model.trafo.lam,
                  "shift": model.trafo.shift, "transformation": transformation,
                  "reml_crit": f.reml_crit, "boundary": f.boundary, "n_sample": len(y),
                  "n_sampled_villages": m, "n_villages": D, "cov_beta": f.cov_beta},
        "residuals": resid_fit, "random_effects": pd.Series(model.u[dom_map],
                                                            index=np.asarray(pop_labels)[dom_map]),
        "fitted": Xs @ model.beta + model.u[s_dom], "y_transformed": model.trafo.fwd(y),
        "X_sample": Xs, "covariate_check": cov_tab, "point": point, "mse": mse_arr,
        "domains": np.asarray(pop_labels), "sampled": sampled,
        "replicate_sd": rep_sd, "mc_se": rep_sd / np.sqrt(L),
    }
    return assemble(
        domains=dom_rep.tolist(), measure=[i for _ in range(D) for i in ind], estimate=est,
        mse=mse_flat, n_obs=np.repeat(n_s, 4),
        method=np.repeat(np.where(sampled, "EBP", "EBP-synthetic"), 4).tolist(),
        extra={"n_households": np.repeat(np.bincount(pop_dom, minlength=D), 4)},
        conf_alpha=alpha, provenance=prov, own=(lo, hi), extras=extras,
        title=f"EBP ({transformation}, L={L}, B={B})", domain_name=domain,
        rse_thresholds=rse_thresholds)


def _names(covariates: Sequence[str], levels: dict[str, list[Any]]) -> list[str]:
    out = ["(Intercept)"]
    for c in covariates:
        out += [f"{c}={lv}" for lv in levels[c][1:]] if c in levels else [c]
    return out


def _extreme_villages(poor: np.ndarray, s_dom: np.ndarray, D: int) -> np.ndarray:
    n = np.bincount(s_dom, minlength=D)
    k = np.bincount(s_dom, weights=poor.astype(float), minlength=D)
    return np.flatnonzero((n > 0) & ((k == 0) | (k == n)))


def _boot_one(seed: int, *, model: _Model, Xs: np.ndarray, Xp: np.ndarray, gs: GroupSums,
              s_dom: np.ndarray, codes: np.ndarray, D: int, z: float, agg: Any, L: int,
              kind: str, fixed: float | None,
              interval: tuple[float, float] | None, w: np.ndarray | None, dom_map: np.ndarray,
              chunk: int) -> np.ndarray:
    """One parametric bootstrap replicate: squared error of the EBP, (D, 4)."""
    rng = np.random.default_rng(seed)
    f = model.fit
    u_star = rng.normal(0.0, np.sqrt(f.sigma2_u), D)
    e_pop = rng.standard_normal(len(codes)) * np.sqrt(f.sigma2_e)
    y_pop = model.trafo.back(Xp @ model.beta + u_star[codes] + e_pop)
    true = _indicators(y_pop[:, None].astype(np.float32), agg, z)[:, :, 0]
    e_s = rng.standard_normal(len(s_dom)) * np.sqrt(f.sigma2_e)
    y_s = model.trafo.back(Xs @ model.beta + u_star[s_dom] + e_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        mb = _fit_model(y_s, Xs, gs, kind, fixed, interval, w, dom_map, D)
    est = _predict(mb, Xp, codes, D, z, agg, L, rng, chunk)
    return (est - true) ** 2
