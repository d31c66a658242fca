"""Monte Carlo design diagnosis (DeclareDesign's ``diagnose_design``, in Python).

Before trusting an estimate, run every candidate estimator on many draws of the programme's
design from the synthetic world, where the truth is known, and report per estimator: bias
(with its Monte Carlo standard error), RMSE, coverage of the 95 % interval (with MCSE) and
power (share of draws rejecting "no effect").

What a draw is
--------------
A draw is one simulated evaluation of the programme: a new Susenas-like survey of the
synthetic world (:class:`ProgrammeDesign`).

- *The world* is a finite population: every household of Pangkep with both potential
  outcomes (``consumption_pc`` and ``consumption_pc_y0``). By default it is the default world
  (seed 2024, full scale), generated once per process (4-5 s), cached and never pickled; a
  draw then costs milliseconds, so 500 draws x 4 estimators take minutes.
- *The survey* is a two-stage sample of the world's registered households in the evaluation
  year: ``n_villages`` villages drawn with equal probability *with replacement* (each draw of
  a village is its own PSU) and ``households_per_village`` households without replacement
  within each, with design weights ``(V / n) * (N_v / m)``. PSUs drawn with replacement make
  the ultimate-cluster (clustered) variance estimator unbiased for the design variance
  (Hansen-Hurwitz), so coverage measures the estimator, not a missing finite-population
  correction.
- *The truth* of a draw comes from its world's potential outcomes: :meth:`Draw.att_takeup`,
  :meth:`Draw.itt_at_cutoff`, :meth:`Draw.itt_eligible_average`.

``regenerate=True`` draws a new world per draw (seed from the draw's stream), the
superpopulation view. Two things learned building this, both visible in the diagnosis:

1. In one fixed world the village effects of consumption are realised once, and their
   chance correlation with village take-up rates (facilitation and active components vary
   by village) confounds household-covariate estimators against that world's own ATT: on the
   default world, AIPW on the *untreated* outcome of the whole population (a census placebo
   that should be 0) gives 0.0051 (s.e. 0.0042). Village dummies in the propensity and
   outcome models remove it (:func:`selection_estimators`, ``village_effects=True``).
2. A sample-based interval estimates the design variance around the world's census value;
   the gap between the census value and the world's finite-population ATT (chance imbalance
   of the world's households) is not in it. It is negligible when the survey samples a small
   share of the domain (6 % at full scale) but not at quarter scale (25 %): with new
   quarter-scale worlds per draw the placebo's error sd was 0.0233 against a mean s.e. of
   0.0203 (160 draws), i.e. 89-91 % coverage. Diagnose at full scale.

Any object with ``draw(rng, index) -> object`` can replace the design.

Parallelism and reproducibility
-------------------------------
Draw ``i`` uses ``np.random.default_rng(SeedSequence(seed).spawn(n_draws)[i])``, so results
do not depend on ``n_jobs`` or on the backend. Draws run with joblib (loky processes, all
cores by default) with a tqdm progress bar. On a Dask cluster::

    from dask.distributed import Client
    import joblib
    client = Client("scheduler-address:8786")
    with joblib.parallel_backend("dask"):
        diag = diagnose(estimators, n_draws=5000)

(each worker builds its worlds itself from the design's seeds and parameters; only the
small design object travels). ``tests/test_distributed.py`` runs the Dask backend on a
two-worker ``LocalCluster`` and checks it gives the local joblib draws and table exactly.
"""
from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .exceptions import ParameterError, require
from .results import EstimateResult, Provenance

__all__ = ["ProgrammeDesign", "Draw", "Diagnosis", "diagnose", "selection_estimators",
           "rd_estimators", "register", "MATCHING_COVARIATES"]

# covariates of the selection-on-observables estimators in the default diagnosis: the
# world's consumption model is linear in the PMT features (synthetic.world.pmt_features)
# plus the island shift, and take-up depends on education, age and sex, which are among them.
# With these the estimators are correctly specified for the outcome (AIPW, entropy balancing)
# and unconfoundedness holds when the world's ``selection_unobs`` knob is 0.
MATCHING_COVARIATES: list[str] = [
    "log_hh_size", "share_children", "share_elderly", "head_female", "head_age", "head_educ",
    "sector_agriculture", "sector_fishery", "sector_industry", "sector_trade", "sector_services",
    "log_floor_area_pc", "roof_good", "wall_good", "floor_good", "toilet_own", "water_piped",
    "elec_pln_450", "elec_pln_900", "elec_pln_1300plus", "cooking_lpg", "house_owned",
    "land_farm", "land_pond", "livestock", "asset_motorcycle", "asset_fridge", "asset_tv",
    "asset_boat", "asset_gold", "zone"]
# asset_car is left out: 0.4 % of eligible households own a car, and in a 1,500-household
# domain sample the few owners are often all participants (perfect separation, propensity 1)

_FRAME_CACHE: dict[tuple, dict[str, Any]] = {}


def _key(seed: int, scale: float, kwargs: Mapping[str, Any], year: int) -> tuple:
    return (int(seed), float(scale), tuple(sorted((k, repr(v)) for k, v in kwargs.items())),
            int(year))


@dataclass
class Draw:
    """One simulated evaluation: a survey ``sample`` of a world's population ``frame``.

    The estimands are methods of the draw because, when worlds are regenerated, each draw has
    its own population and its own truth.
    """

    sample: pd.DataFrame
    frame: pd.DataFrame
    cutoff: float
    index: int = 0
    world_seed: int | None = None

    def att_takeup(self) -> float:
        """Population ATT of take-up on log consumption.

        Among eligible households of treated villages (the target of matching/weighting).
        """
        f = self.frame
        m = (f["treated_village"] == 1) & (f["eligible"] == 1) & (f["treated"] == 1)
        return float(f.loc[m, "tau"].mean())

    def itt_at_cutoff(self, window: float = 0.06) -> float:
        """Population ITT of eligibility at the PMT cutoff in treated villages.

        The jump of ``E[tau | z]`` at ``z = 0``, from triangular-kernel local linear fits of
        the population within ``window`` on each side (the target of the RD).
        """
        f = self.frame
        f = f[f["treated_village"] == 1]
        z = self.cutoff - f["pmt_score"].to_numpy()
        t = f["tau"].to_numpy()
        vals = []
        for side in (z >= 0, z < 0):
            m = side & (np.abs(z) <= window)
            k = 1 - np.abs(z[m]) / window
            X = np.column_stack([np.ones(m.sum()), z[m]])
            beta = np.linalg.lstsq(X * np.sqrt(k)[:, None], t[m] * np.sqrt(k), rcond=None)[0]
            vals.append(beta[0])
        return float(vals[0] - vals[1])

    def itt_eligible_average(self) -> float:
        """Average ITT of eligibility over *all* eligible vs non-eligible households.

        In treated villages, far from the cutoff: not what an RD identifies.
        """
        f = self.frame
        f = f[f["treated_village"] == 1]
        return float(f.loc[f["eligible"] == 1, "tau"].mean()
                     - f.loc[f["eligible"] == 0, "tau"].mean())


@dataclass
class ProgrammeDesign:
    """The KASSAKI evaluation design on synthetic worlds (see the module docstring).

    Parameters
    ----------
    world_seed, scale, world_kwargs :
        Passed to :func:`kassaki_eval.synthetic.world.generate_world` (``world_kwargs`` are
        parameter overrides, e.g. ``{"selection_unobs": 1.0}``).
    regenerate : bool
        False (default): one world (``world_seed``, ``scale``) is surveyed again and again,
        the finite-population view of that world. True: every draw generates a new world
        (seed from the draw's random stream) at ``scale`` and surveys it.
    year : int
        Survey year of the evaluation (2025: both cohorts treated).
    n_villages, households_per_village : int
        Two-stage sample size (default 60 x 90 = 5,400 households, Susenas-like).
    """

    world_seed: int = 2024
    scale: float = 1.0
    world_kwargs: Mapping[str, Any] = field(default_factory=dict)
    regenerate: bool = False
    year: int = 2025
    n_villages: int = 60
    households_per_village: int = 90

    def _built(self, world_seed: int | None = None) -> dict[str, Any]:
        seed = self.world_seed if world_seed is None else world_seed
        key = _key(seed, self.scale, self.world_kwargs, self.year)
        hit = _FRAME_CACHE.get(key)
        if hit is None:
            hit = _build_frame(seed, self.scale, dict(self.world_kwargs), self.year)
            _FRAME_CACHE.clear()  # one world per process at a time; keeps memory flat
            _FRAME_CACHE[key] = hit
        return hit

    @property
    def frame(self) -> pd.DataFrame:
        """The population of the evaluation year of the ``world_seed`` world.

        Registered households with covariates, ``y`` = log consumption, ``y0`` its untreated
        potential value, ``tau = y - y0``.
        """
        return self._built()["frame"]

    @property
    def cutoff(self) -> float:
        """PMT-score cutoff of eligibility (upper score of desil 4) of the ``world_seed`` world."""
        return float(self._built()["cutoff"])

    def draw(self, rng: np.random.Generator, index: int = 0) -> Draw:
        """A (new world and a) two-stage survey.

        Villages with replacement, households without replacement within each village draw;
        design weights ``(V/n)(N_v/m)``.
        """
        wseed = int(rng.integers(0, 2**31 - 1)) if self.regenerate else self.world_seed
        b = self._built(wseed)
        f = b["frame"]
        vil_start, vil_size = b["vil_start"], b["vil_size"]
        V = vil_size.size
        n, m = self.n_villages, self.households_per_village
        pick = rng.integers(0, V, size=n)
        take = np.minimum(vil_size[pick], m)
        # within each drawn village (a loop over <= n villages, not households): the first
        # `take` rows of a random permutation of its rows
        rows = np.concatenate([vil_start[v] + rng.permutation(vil_size[v])[:t]
                               for v, t in zip(pick, take, strict=False)])
        psu = np.repeat(np.arange(n), take)
        w = np.repeat((V / n) * vil_size[pick] / take, take)
        s = f.iloc[rows].reset_index(drop=True)
        s["psu"] = psu
        s["weight"] = w
        return Draw(sample=s, frame=f, cutoff=float(b["cutoff"]), index=index, world_seed=wseed)


def _build_frame(seed: int, scale: float, kwargs: dict[str, Any], year: int) -> dict[str, Any]:
    from .synthetic.world import generate_world, pmt_features
    w = generate_world(seed=seed, scale=scale, **kwargs)
    pop = w.population
    pop = pop[(pop["year"] == year) & pop["family_id"].notna()]
    feats = pmt_features(w.registry)
    reg = pd.concat([w.registry[["family_id", "n_children", "floor_area_pc", "head_sector"]],
                     feats], axis=1)
    f = pop.merge(reg, on="family_id", how="inner", validate="one_to_one")
    f = f.sort_values(["village_code", "hh_id"], kind="stable").reset_index(drop=True)
    f["y"] = np.log(f["consumption_pc"].to_numpy(dtype=float))
    f["y0"] = np.log(f["consumption_pc_y0"].to_numpy(dtype=float))
    f["tau"] = f["y"] - f["y0"]
    f["treated"] = f["treated"].astype(int)
    codes, uniq = pd.factorize(f["village_code"], sort=True)
    vil_size = np.bincount(codes)
    vil_start = np.concatenate([[0], np.cumsum(vil_size)[:-1]])
    th = w.truth["desil_thresholds"]
    cutoff = float(th.loc[th["desil"] == 4, "upper_pmt_score"].iloc[0])
    return {"frame": f, "vil_start": vil_start, "vil_size": vil_size, "cutoff": cutoff}


# --------------------------------------------------------------------------------------------
# default estimator sets
# --------------------------------------------------------------------------------------------
def _domain_takeup(draw: Draw) -> pd.DataFrame:
    s = draw.sample
    return s[(s["treated_village"] == 1) & (s["eligible"] == 1)]


def selection_estimators(covariates: Sequence[str] = tuple(MATCHING_COVARIATES),
                         village_effects: bool = True,
                         ) -> tuple[dict[str, Callable[[Draw], Any]], dict[str, Callable]]:
    """The four selection-on-observables estimators of the ATT of take-up.

    Eligible households of treated villages, survey-weighted and clustered by PSU, with their
    estimand (:meth:`Draw.att_takeup`).

    ``village_effects=True`` adds village dummies to the propensity and outcome models, so
    participants are compared with non-participants of their own village. Without them the
    estimators rely on household covariates only, and the village effects of consumption,
    which are unobserved, confound by chance with village take-up rates (facilitation and
    active components vary by village): the diagnosis shows the resulting under-coverage.
    """
    from .impact.matching import ps_matching
    from .impact.weighting import aipw, entropy_balancing, ipw
    cov = list(covariates) + (["village_code"] if village_effects else [])
    kw: dict[str, Any] = dict(y="y", treatment="treated", covariates=cov, estimand="ATT",
                              weights="weight", cluster="psu")
    est: dict[str, Callable[[Draw], Any]] = {
        "ps_matching": lambda d: ps_matching(_domain_takeup(d), k=5, **kw),
        "ipw": lambda d: ipw(_domain_takeup(d), **kw),
        "aipw": lambda d: aipw(_domain_takeup(d), **kw),
        "entropy_balancing": lambda d: entropy_balancing(_domain_takeup(d), **kw),
    }
    estimand: dict[str, Callable] = {k: (lambda d: d.att_takeup()) for k in est}
    return est, estimand


def _rd_sample(draw: Draw) -> pd.DataFrame:
    s = draw.sample
    return s[s["treated_village"] == 1]


def rd_estimators() -> tuple[dict[str, Callable[[Draw], Any]], dict[str, Callable]]:
    """Sharp RD at the PMT cutoff (robust bias-corrected row) against two targets.

    The ITT at the cutoff (``rd_at_cutoff``) and, to show the bias of extrapolating, the
    average ITT of all eligible households (``rd_far_from_cutoff``).
    """
    from .impact.rd import rd_estimate

    def rd(d: Draw) -> EstimateResult:
        return rd_estimate(_rd_sample(d), y="y", running="pmt_score", cutoff=d.cutoff,
                           treated_side="below", cluster="psu")
    est: dict[str, Callable[[Draw], Any]] = {"rd_at_cutoff": rd, "rd_far_from_cutoff": rd}
    estimand: dict[str, Callable] = {"rd_at_cutoff": lambda d: d.itt_at_cutoff(),
                "rd_far_from_cutoff": lambda d: d.itt_eligible_average()}
    return est, estimand


# --------------------------------------------------------------------------------------------
# the engine
# --------------------------------------------------------------------------------------------
def _extract(out: Any, alpha: float) -> tuple[float, float, float, float]:
    """(estimate, conf_low, conf_high, p_value) from an EstimateResult or a tuple.

    The ``Robust`` row of a result if any, else the first; a tuple is (est, lo, hi[, p]).
    """
    if isinstance(out, EstimateResult):
        t = out.tidy()
        row = t[t["term"] == "Robust"]
        r = (row if len(row) else t).iloc[0]
        return float(r["estimate"]), float(r["conf_low"]), float(r["conf_high"]), \
            float(r["p_value"])
    if not isinstance(out, (tuple, list, np.ndarray)):
        raise ParameterError("An estimator of diagnose must return an EstimateResult or a "
                             f"tuple (estimate, conf_low, conf_high[, p_value]). Got "
                             f"{type(out).__name__} instead.")
    vals = tuple(float(v) for v in out)
    if len(vals) == 3:
        return vals[0], vals[1], vals[2], np.nan
    if len(vals) == 4:
        return vals
    raise ParameterError("An estimator of diagnose must return an EstimateResult or a tuple "
                         f"(estimate, conf_low, conf_high[, p_value]). Got {out!r} instead.")


def _one_draw(design: Any, i: int, seed_seq: np.random.SeedSequence,
              estimators: Mapping[str, Callable], estimand: Mapping[str, Callable],
              alpha: float) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed_seq)
    draw = design.draw(rng, index=i)
    rows = []
    cache: dict[int, tuple] = {}  # the same callable under two names runs once
    for name, fn in estimators.items():
        rec: dict[str, Any] = {"draw": i, "estimator": name}
        try:
            key = id(fn)
            if key not in cache:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cache[key] = _extract(fn(draw), alpha)
            est, lo, hi, p = cache[key]
            rec.update(estimate=est, conf_low=lo, conf_high=hi, p_value=p, error="")
        except Exception as e:  # a failed draw is counted, not hidden
            rec.update(estimate=np.nan, conf_low=np.nan, conf_high=np.nan, p_value=np.nan,
                       error=f"{type(e).__name__}: {e}"[:200])
        rec["estimand"] = float(estimand[name](draw))
        rows.append(rec)
    return rows


class Diagnosis:
    """Result of :func:`diagnose`: per-estimator diagnosands and the draws behind them.

    Attributes
    ----------
    table : DataFrame
        ``estimator, estimand, mean_estimate, bias, bias_mcse, sd_estimate, sd_error,
        mean_se, rmse, coverage, coverage_mcse, power, power_mcse, n_draws, n_failed``
        (``sd_error``: sd of estimate minus estimand, to compare with ``mean_se``, the mean
        interval half-width divided by the normal critical value).
    draws : DataFrame
        One row per draw x estimator.
    seconds : float
        Wall time of the run.
    """

    def __init__(self, draws: pd.DataFrame, alpha: float, seconds: float,
                 options: Mapping[str, Any]):
        self.draws = draws
        self.alpha = alpha
        self.seconds = seconds
        self.options = dict(options)
        self.table = _diagnosands(draws, alpha)

    def to_result(self) -> EstimateResult:
        """Bias per estimator as an :class:`EstimateResult`.

        ``std_error`` is the MCSE of the bias; the other diagnosands are extra columns.
        """
        t = self.table
        tab = pd.DataFrame({"term": t["estimator"], "estimate": t["bias"],
                            "std_error": t["bias_mcse"], "n_obs": t["n_draws"] - t["n_failed"]})
        for c in ("estimand", "mean_estimate", "rmse", "coverage", "coverage_mcse", "power",
                  "power_mcse", "n_failed"):
            tab[c] = t[c].to_numpy()
        return EstimateResult(tab, method="design_diagnosis", alpha=self.alpha,
                              provenance=Provenance(method="design_diagnosis",
                                                    options=self.options),
                              title="Design diagnosis: bias (MCSE) by estimator")

    def plot(self) -> Any:
        """Two panels: bias with +-2 MCSE, and coverage with +-2 MCSE around the nominal level.

        Returns the matplotlib Figure.
        """
        import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
        t = self.table
        yy = np.arange(len(t))
        fig = plt.figure(figsize=(9, 0.45 * len(t) + 1.8))
        a1, a2 = fig.subplots(1, 2, sharey=True)
        a1.errorbar(t["bias"], yy, xerr=2 * t["bias_mcse"], fmt="o", color="C0")
        a1.axvline(0, color="grey", ls="--", lw=1)
        a1.set_yticks(yy, t["estimator"])
        a1.set_xlabel("bias (± 2 MCSE)")
        a2.errorbar(t["coverage"], yy, xerr=2 * t["coverage_mcse"], fmt="o", color="C3")
        a2.axvline(1 - self.alpha, color="grey", ls="--", lw=1)
        a2.set_xlabel(f"coverage of the {100 * (1 - self.alpha):.0f}% CI (± 2 MCSE)")
        fig.suptitle(f"Design diagnosis, {int(t['n_draws'].max())} draws")
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        """The table and the time it took."""
        return (self.table.to_string(index=False, float_format=lambda x: f"{x:.4f}")
                + f"\n({self.seconds:.1f} s)")


def _diagnosands(draws: pd.DataFrame, alpha: float) -> pd.DataFrame:
    rows = []
    for name, g in draws.groupby("estimator", sort=False):
        ok = g["estimate"].notna()
        gg = g[ok]
        n = len(gg)
        err = gg["estimate"] - gg["estimand"]
        cover = ((gg["conf_low"] <= gg["estimand"]) & (gg["estimand"] <= gg["conf_high"]))
        rej = (gg["conf_low"] > 0) | (gg["conf_high"] < 0)
        cov = float(cover.mean()) if n else np.nan
        pw = float(rej.mean()) if n else np.nan
        rows.append({
            "estimator": name, "estimand": float(gg["estimand"].mean()) if n else np.nan,
            "mean_estimate": float(gg["estimate"].mean()) if n else np.nan,
            "bias": float(err.mean()) if n else np.nan,
            "bias_mcse": float(err.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
            "sd_estimate": float(gg["estimate"].std(ddof=1)) if n > 1 else np.nan,
            "sd_error": float(err.std(ddof=1)) if n > 1 else np.nan,
            # interval half-width in standard-error units of a normal interval
            "mean_se": float(((gg["conf_high"] - gg["conf_low"])
                              / (2 * special.ndtri(1 - alpha / 2))).mean()) if n else np.nan,
            "rmse": float(np.sqrt(np.mean(err ** 2))) if n else np.nan,
            "coverage": cov,
            "coverage_mcse": float(np.sqrt(cov * (1 - cov) / n)) if n else np.nan,
            "power": pw, "power_mcse": float(np.sqrt(pw * (1 - pw) / n)) if n else np.nan,
            "n_draws": len(g), "n_failed": int((~ok).sum()),
        })
    return pd.DataFrame(rows)


def diagnose(
    estimators: Mapping[str, Callable[[Draw], Any]],
    *,
    estimand: Callable[[Draw], float] | Mapping[str, Callable[[Draw], float]],
    design: Any | None = None,
    n_draws: int = 500,
    seed: int = 2024,
    n_jobs: int = -1,
    world_kwargs: Mapping[str, Any] | None = None,
    alpha: float = 0.05,
    progress: bool = True,
    batch_size: int | str = "auto",
) -> Diagnosis:
    """Run ``estimators`` on ``n_draws`` draws of ``design`` and diagnose them.

    Parameters
    ----------
    estimators : dict name -> callable(draw)
        Each returns an :class:`EstimateResult` (its ``Robust`` row if present, else its first
        row, at level ``alpha``) or a tuple ``(estimate, conf_low, conf_high[, p_value])``.
    estimand : callable(draw) -> float, or dict name -> callable
        The truth each estimator targets (may depend on the draw, e.g. a sample ATT).
    design : object with ``draw(rng, index) -> Draw``, optional
        Default: :class:`ProgrammeDesign` (surveys of the default world) with
        ``world_kwargs``.
    n_draws, seed : int
        Draw ``i`` uses ``SeedSequence(seed).spawn(n_draws)[i]``: identical results for any
        ``n_jobs`` and backend.
    n_jobs : int
        joblib workers (``-1``: all cores). Inside ``joblib.parallel_backend("dask")`` the
        draws run on the Dask cluster.
    world_kwargs : dict, optional
        Overrides of the world parameters (e.g. ``{"selection_unobs": 1.0}``).
    alpha : float
        Coverage is of the ``1 - alpha`` interval; power is the rejection rate at ``alpha``.
    progress : bool
        Show a tqdm progress bar over draws.

    Returns
    -------
    Diagnosis

    Examples
    --------
    >>> import numpy as np
    >>> class Coin:  # a toy design: estimate a mean of 10 normal draws
    ...     def draw(self, rng, index=0):
    ...         return rng.normal(1.0, 1.0, 10)
    >>> def mean_ci(x):
    ...     m, s = x.mean(), x.std(ddof=1) / np.sqrt(x.size)
    ...     return m, m - 2.262 * s, m + 2.262 * s
    >>> d = diagnose({"mean": mean_ci}, estimand=lambda x: 1.0, design=Coin(),
    ...              n_draws=200, n_jobs=1, progress=False)
    >>> bool(0.9 < d.table["coverage"].iloc[0] <= 1.0)
    True
    """
    require(isinstance(n_draws, (int, np.integer)) and n_draws >= 2, "diagnose", "n_draws",
            "an integer >= 2", n_draws)
    require(isinstance(estimators, Mapping) and len(estimators) > 0, "diagnose", "estimators",
            "a non-empty dict name -> callable", estimators)
    if callable(estimand):
        est_map = {k: estimand for k in estimators}
    else:
        missing = [k for k in estimators if k not in estimand]
        require(not missing, "diagnose", "estimand",
                f"a callable or a dict covering every estimator (missing {missing})", estimand)
        est_map = dict(estimand)
    if design is None:
        design = ProgrammeDesign(world_kwargs=dict(world_kwargs or {}))
    elif world_kwargs:
        raise ParameterError("The 'world_kwargs' parameter of diagnose must be None when a "
                             f"design is given. Got {world_kwargs!r} instead.")
    from joblib import Parallel, delayed
    children = np.random.SeedSequence(seed).spawn(int(n_draws))
    t0 = time.perf_counter()
    jobs = (delayed(_one_draw)(design, i, children[i], estimators, est_map, alpha)
            for i in range(int(n_draws)))
    par = Parallel(n_jobs=n_jobs, return_as="generator", batch_size=batch_size)
    out = par(jobs)
    if progress:
        try:
            from tqdm.auto import tqdm
            out = tqdm(out, total=int(n_draws), desc="design diagnosis", unit="draw")
        except ImportError:  # pragma: no cover - tqdm ships with papermill
            pass
    rows = [r for chunk in out for r in chunk]
    seconds = time.perf_counter() - t0
    draws = pd.DataFrame(rows)
    opts = {"n_draws": int(n_draws), "seed": int(seed), "n_jobs": n_jobs, "alpha": alpha,
            "design": repr(design)[:300], "estimators": list(estimators)}
    return Diagnosis(draws, alpha, seconds, opts)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import config
    kw: dict[str, Any] = {}
    if args.selection_unobs is not None:
        kw["selection_unobs"] = args.selection_unobs
    design = ProgrammeDesign(world_seed=args.world_seed, scale=args.scale, world_kwargs=kw,
                             regenerate=args.regenerate)
    est: dict[str, Callable] = {}
    estimand: dict[str, Callable] = {}
    sets = [s.strip() for s in args.estimators.split(",")]
    for s in sets:
        if s not in ("selection", "rd"):
            raise ParameterError("The '--estimators' parameter of diagnose must list "
                                 f"'selection' and/or 'rd'. Got {s!r} instead.")
    if "selection" in sets:
        e, t = selection_estimators()
        est.update(e)
        estimand.update(t)
    if "rd" in sets:
        e, t = rd_estimators()
        est.update(e)
        estimand.update(t)
    diag = diagnose(est, estimand=estimand, design=design, n_draws=args.draws, seed=args.seed,
                    n_jobs=args.jobs, progress=not args.quiet)
    print(diag)
    out = Path(args.out) if args.out else config.reports_dir() / "diagnosis"
    out.mkdir(parents=True, exist_ok=True)
    diag.table.to_csv(out / "diagnosis.csv", index=False)
    diag.draws.to_csv(out / "draws.csv", index=False)
    diag.plot().savefig(out / "diagnosis.png", dpi=120)
    print(f"wrote {out / 'diagnosis.csv'}, {out / 'draws.csv'}, {out / 'diagnosis.png'}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``diagnose [--draws N] [--seed S] [--jobs J] [--estimators selection,rd] ...``."""
    p = subparsers.add_parser(
        "diagnose",
        help="Monte Carlo design diagnosis on the synthetic world",
        description="Monte Carlo design diagnosis: run every candidate estimator on many "
                    "simulated surveys of the synthetic world, where the truth is known, and "
                    "report per estimator its bias, RMSE, coverage of the 95 % interval and "
                    "power.",
    )
    p.add_argument("--draws", type=int, default=500, help="number of draws (default 500)")
    p.add_argument("--seed", type=int, default=2024, help="seed of the draws (default 2024)")
    p.add_argument("--jobs", type=int, default=-1, help="joblib workers (default -1: all cores)")
    p.add_argument("--world-seed", type=int, default=2024, help="seed of the world (default 2024)")
    p.add_argument("--scale", type=float, default=1.0, help="world scale (default 1.0)")
    p.add_argument("--regenerate", action="store_true",
                   help="a new world per draw (seed from the draw) instead of surveying the "
                        "--world-seed world repeatedly")
    p.add_argument("--selection-unobs", type=float, default=None,
                   help="override the world's selection-on-unobservables knob")
    p.add_argument("--estimators", default="selection",
                   help="comma list of estimator sets: selection (matching, IPW, AIPW, entropy "
                        "balancing), rd (RD at the PMT cutoff); default selection")
    p.add_argument("--out", default=None, help="output folder (default reports/diagnosis)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
