"""Event studies on the dynamic aggregation of Callaway & Sant'Anna.

Uniform bands, a joint pre-trend test, relative-magnitudes sensitivity, and the plot.

- :func:`event_study`: the dynamic aggregation with **uniform (sup-t) confidence bands** from
  the multiplier bootstrap of the influence functions (Rademacher weights per unit, or per
  cluster when the C&S result is clustered), as R ``did`` does; the band is
  ``estimate +/- c * se`` with ``c`` the ``1-alpha`` quantile of ``max_e |b*_e| / se_e``
  (``se`` analytic). The table's ``conf_low/conf_high`` are the uniform band; pointwise
  intervals are in ``pw_low/pw_high``.
- :func:`pretrend_test`: Wald test that all pre-treatment event-time effects are zero, with
  the influence-function covariance (the universal-base reference period is excluded).
- :func:`honest_did`: sensitivity to violations of parallel trends bounded by **relative
  magnitudes** (Rambachan & Roth 2023, ``Delta^RM(Mbar)``: every post-period change of the
  bias is at most ``Mbar`` times the largest pre-period change), with HonestDiD's
  conditional-least-favorable hybrid confidence sets (``kassaki_eval.impact.honestdid``,
  checked against the results cached in the HonestDiD README), or by smoothness (below).
  It needs ``base_period="universal"`` (pre-period coefficients relative to ``e = -1``), as
  HonestDiD does with ``did``.
- :func:`flci_smoothness` (and ``honest_did(restriction="smoothness")``): Rambachan & Roth's
  fixed-length confidence interval under smoothness restrictions ``Delta^SD(M)``, as
  HonestDiD's ``createSensitivityResults(method = "FLCI")``; reproduces the HonestDiD README.
- :func:`plot_event_study`: matplotlib figure of the above.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from ..exceptions import IdentificationError, ParameterError, check_option
from ..results import EstimateResult, Provenance
from ._common import split_event_study
from .honestdid import relative_magnitudes_cs
from .staggered import aggregate

__all__ = ["event_study", "pretrend_test", "honest_did", "flci_smoothness", "plot_event_study",
           "uniform_critical_value"]


def _dynamic(res: EstimateResult) -> EstimateResult:
    if res.method == "cs_dynamic":
        return res
    if res.method == "cs_did":
        return aggregate(res, "dynamic")
    raise ParameterError("The 'res' parameter of event_study must be a callaway_santanna() result "
                         f"or its dynamic aggregation. Got a {res.method!r} result instead.")


def uniform_critical_value(psi: np.ndarray, se: np.ndarray, *, alpha: float = 0.05, B: int = 999,
                           seed: int | None = None, cluster_codes: np.ndarray | None = None,
                           n_clusters: int | None = None) -> float:
    """Sup-t critical value from the multiplier bootstrap of influence functions ``psi`` (n, K).

    Draws are processed in chunks so memory stays at ~160 MB whatever ``n``.
    """
    rng = np.random.default_rng(seed)
    n, K = psi.shape
    if cluster_codes is not None and n_clusters is not None:
        G = int(n_clusters)
        psi = np.column_stack([np.bincount(cluster_codes, weights=psi[:, j], minlength=G)
                               for j in range(K)]) * np.sqrt(G / (G - 1))
    m = psi.shape[0]
    chunk = max(1, int(2e7 // m))
    tmax = np.empty(B)
    for s in range(0, B, chunk):
        b = min(chunk, B - s)
        v = rng.integers(0, 2, size=(b, m)).astype(np.float64) * 2 - 1
        boot = (v @ psi) / n                                   # (b, K)
        tmax[s:s + b] = np.max(np.abs(boot) / se[None, :], axis=1)
    return float(np.quantile(tmax, 1 - alpha))


def event_study(res: EstimateResult, *, alpha: float | None = None, B: int = 999,
                seed: int | None = None) -> EstimateResult:
    """Dynamic effects with uniform (sup-t) bands; see the module docstring.

    Examples
    --------
    >>> es = event_study(cs_result, seed=1)  # doctest: +SKIP
    >>> cols = ["term", "estimate", "conf_low", "conf_high", "pw_low", "pw_high"]
    >>> es.tidy()[cols]  # doctest: +SKIP
    """
    dyn = _dynamic(res)
    a = dyn.alpha if alpha is None else float(alpha)
    td = dyn.tidy(a)
    rows = td["term"].str.startswith("e=").to_numpy()
    psi = dyn.extras["influence"][:, rows]
    se = td.loc[rows, "std_error"].to_numpy()
    ok = np.isfinite(se) & (se > 0)
    crit = uniform_critical_value(psi[:, ok], se[ok], alpha=a, B=B, seed=seed,
                                  cluster_codes=dyn.extras["cluster_codes"],
                                  n_clusters=dyn.extras["n_clusters"])
    out = td.loc[rows, ["term", "estimate", "std_error", "n_obs", "event_time"]].copy()
    est = out["estimate"].to_numpy()
    out["p_value"] = td.loc[rows, "p_value"].to_numpy()
    out["conf_low"] = est - crit * se
    out["conf_high"] = est + crit * se
    out["pw_low"] = td.loc[rows, "conf_low"].to_numpy()
    out["pw_high"] = td.loc[rows, "conf_high"].to_numpy()
    pre = pretrend_test(dyn)
    extras = dict(dyn.extras)
    extras.update({"uniform_critical_value": crit, "pretrend": pre, "B": B, "seed": seed,
                   "influence": psi, "overall": td.iloc[0].to_dict()})
    prov = Provenance(method="event_study", options={**dict(dyn.provenance.options), "B": B,
                                                     "seed": seed, "alpha": a},
                      inputs_hash=dyn.provenance.inputs_hash, n_input=dyn.provenance.n_input,
                      n_used=dyn.provenance.n_used, dropped=dyn.provenance.dropped)
    return EstimateResult(out, method="event_study", alpha=a, provenance=prov, own_intervals=True,
                          extras=extras, title="Event study (uniform sup-t bands)")


def pretrend_test(res: EstimateResult) -> dict[str, float]:
    """Joint Wald test that the pre-treatment event-time effects are all zero."""
    dyn = _dynamic(res) if res.method != "event_study" else res
    td = dyn.tidy()
    rows = (td["term"].str.startswith("e=") & (td["event_time"] < 0)).to_numpy()
    psi_all = dyn.extras["influence"]
    if psi_all.shape[1] == len(td):
        psi = psi_all[:, rows]
    else:  # event_study result: influence already restricted to event-time rows
        psi = psi_all[:, (td["event_time"] < 0).to_numpy()]
    theta = td.loc[rows, "estimate"].to_numpy()
    keep = ~np.all(psi == 0, axis=0)           # drop the universal-base reference period
    theta, psi = theta[keep], psi[:, keep]
    q = theta.size
    if q == 0:
        return {"statistic": np.nan, "df": 0, "p_value": np.nan}
    n = dyn.extras["n_units"]
    codes, Gc = dyn.extras["cluster_codes"], dyn.extras["n_clusters"]
    if codes is None:
        V = psi.T @ psi / n ** 2
    else:
        S = np.column_stack([np.bincount(codes, weights=psi[:, j], minlength=Gc) for j in range(q)])
        V = Gc / (Gc - 1) * S.T @ S / n ** 2
    W = float(theta @ np.linalg.pinv(V) @ theta)
    if codes is not None and Gc - 1 >= q:
        # few clusters: F with (q, G-1) df (Hotelling-style small-sample version)
        Fs = W / q * (Gc - q) / (Gc - 1)
        return {"statistic": W, "df": q, "p_value": float(stats.f.sf(Fs, q, Gc - q)), "test": "F"}
    return {"statistic": W, "df": q, "p_value": float(stats.chi2.sf(W, q)), "test": "chi2"}


def honest_did(
    res: EstimateResult,
    *,
    Mbar: Sequence[float] = (0.0, 0.5, 1.0, 1.5, 2.0),
    target: str | int = "average",
    restriction: Literal["relative_magnitudes", "smoothness"] = "relative_magnitudes",
    M: Sequence[float] = (0.0,),
    alpha: float = 0.05,
    method: Literal["C-LF", "conditional"] = "C-LF",
    grid_points: int = 100,
    seed: int | None = 0,
) -> EstimateResult:
    """Sensitivity of a post-treatment effect to violations of parallel trends.

    The event study (``e = -1``, the universal base, dropped) and its influence-function
    covariance go to HonestDiD's procedures, as the HonestDiD README's ``honest_did`` does
    for R ``did`` results.

    Parameters
    ----------
    res : C&S result (``base_period="universal"``) or its dynamic aggregation / event study.
    Mbar : grid of relative-magnitude bounds (``restriction="relative_magnitudes"``).
    target : ``"average"`` (mean of the post-period effects ``e >= 0``) or an event time.
    restriction : {"relative_magnitudes", "smoothness"}
        ``"relative_magnitudes"``: ``Delta^RM(Mbar)`` with HonestDiD's conditional /
        conditional-least-favorable confidence sets
        (:func:`~kassaki_eval.impact.honestdid.relative_magnitudes_cs`, checked against the
        HonestDiD README's cached results).
        ``"smoothness"``: ``Delta^SD(M)`` with HonestDiD's FLCI (:func:`flci_smoothness`,
        checked against the HonestDiD README); ``M`` in outcome units per period.
    M : grid of smoothness bounds (``restriction="smoothness"``).
    method : ``"C-LF"`` (HonestDiD's default) or ``"conditional"`` (relative magnitudes).
    grid_points : grid of ``theta`` values tested (relative magnitudes; 100 as the HonestDiD
        README's ``honest_did`` for R ``did``; ends are grid points, so the resolution is
        ``40 se / (grid_points - 1)``).
    seed : seed of the simulated least-favorable critical value.

    Returns
    -------
    EstimateResult
        Relative magnitudes: one row per ``Mbar`` (term ``"Mbar=0.5"``) with the robust
        confidence set in ``conf_low, conf_high`` (``p_value`` NaN: a sensitivity set, not
        one test), ``Mbar``, ``excludes_zero``, ``open_end`` (an end of the grid accepted)
        and the identified set at the estimates ``id_low, id_high``; ``extras`` hold
        ``breakdown_Mbar`` (the largest ``Mbar`` of the grid whose set excludes 0; NaN if
        none). Smoothness: the :func:`flci_smoothness` table.
    """
    owner = "honest_did"
    dyn = _dynamic(res) if res.method != "event_study" else res
    if dyn.extras.get("base_period") != "universal":
        raise ParameterError(f"The 'res' parameter of {owner} must come from "
                             "callaway_santanna(..., base_period='universal') (pre-period effects "
                             "relative to e = -1). Got base_period="
                             f"{dyn.extras.get('base_period')!r} instead. Fix: re-run with "
                             "base_period='universal'.")
    check_option(owner, "restriction", restriction, ["relative_magnitudes", "smoothness"])
    td = dyn.tidy()
    rows = td["term"].str.startswith("e=").to_numpy()
    psi_all = dyn.extras["influence"]
    psi = psi_all[:, rows] if psi_all.shape[1] == len(td) else psi_all
    e = td.loc[rows, "event_time"].to_numpy(dtype=float)
    b = td.loc[rows, "estimate"].to_numpy()
    n = dyn.extras["n_units"]
    codes, Gc = dyn.extras["cluster_codes"], dyn.extras["n_clusters"]
    if restriction == "smoothness":
        return _honest_smoothness(dyn, e, b, psi, n, codes, Gc, M, target, alpha)

    return _honest_rm(dyn, e, b, psi, n, codes, Gc, Mbar, target, alpha, method, grid_points,
                      seed)


def _event_study_cov(e: np.ndarray, b: np.ndarray, psi: np.ndarray, n: int,
                     codes: np.ndarray | None, Gc: int | None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The event study as HonestDiD takes it.

    The reference e = -1 dropped, ordered by event time, with the influence-function covariance
    (per cluster when clustered).
    """
    keep = e != -1
    e, b, psi = e[keep], b[keep], psi[:, keep]
    f = psi
    if codes is not None and Gc is not None:
        f = np.column_stack([np.bincount(codes, weights=psi[:, j], minlength=Gc)
                             for j in range(psi.shape[1])]) * np.sqrt(Gc / (Gc - 1))
    S = f.T @ f / n ** 2
    order = np.argsort(e, kind="stable")
    return e[order], b[order], S[np.ix_(order, order)]


def _post_weights(e: np.ndarray, target: str | int, owner: str) -> np.ndarray:
    ep = e[e >= 0]
    if target == "average":
        return np.full(ep.size, 1.0 / ep.size)
    if float(target) not in set(ep.tolist()):
        raise ParameterError(f"The 'target' parameter of {owner} must be 'average' or a "
                             f"post-treatment event time in {ep.tolist()}. Got "
                             f"{target!r} instead.")
    return (ep == float(target)).astype(float)


def _honest_rm(dyn: EstimateResult, e: np.ndarray, b: np.ndarray, psi: np.ndarray, n: int,
               codes: np.ndarray | None, Gc: int | None, Mbar: Sequence[float],
               target: str | int, alpha: float, method: Literal["C-LF", "conditional"],
               grid_points: int, seed: int | None) -> EstimateResult:
    """honest_did under Delta^RM: the event study to :func:`relative_magnitudes_cs`."""
    e, b, S = _event_study_cov(e, b, psi, n, codes, Gc)
    if (e < 0).sum() < 1 or (e >= 0).sum() < 1:
        raise IdentificationError("honest_did: relative magnitudes need at least one "
                                  "pre-period besides the reference e = -1 (one pre-period "
                                  "first difference) and one post period. Fix: add earlier "
                                  "survey waves.")
    lv = _post_weights(e, target, "honest_did")
    r = relative_magnitudes_cs(b, S, num_pre=int((e < 0).sum()), Mbar=Mbar, l_vec=lv,
                               alpha=alpha, method=method, grid_points=grid_points, seed=seed)
    table = r.tidy().drop(columns=["statistic"])
    table["n_obs"] = int(n)
    table["excludes_zero"] = (table["conf_low"] > 0) | (table["conf_high"] < 0)
    ex = table.loc[table["excludes_zero"], "Mbar"]
    extras = {"breakdown_Mbar": float(ex.max()) if len(ex) else np.nan,
              "se": float(table["std_error"].iloc[0]), "target": target,
              "event_times": e.tolist(), "l_vec": lv, "grid": r.extras["grid"],
              "method": f"relative magnitudes, HonestDiD {method} (Andrews, Roth & Pakes "
                        "moment-inequality test inverted over a grid)"}
    prov = Provenance(method="honest_did",
                      options={"Mbar": [float(m) for m in Mbar], "target": target,
                               "restriction": "relative_magnitudes", "method": method,
                               "grid_points": int(grid_points), "seed": seed},
                      inputs_hash=dyn.provenance.inputs_hash, n_input=dyn.provenance.n_input,
                      n_used=dyn.provenance.n_used)
    return EstimateResult(table, method="honest_did", alpha=alpha, provenance=prov,
                          own_intervals=True, extras=extras,
                          title="Sensitivity to violations of parallel trends "
                                "(relative magnitudes)")


def _honest_smoothness(dyn: EstimateResult, e: np.ndarray, b: np.ndarray, psi: np.ndarray,
                       n: int, codes: np.ndarray | None, Gc: int | None, M: Sequence[float],
                       target: str | int, alpha: float) -> EstimateResult:
    """honest_did under Delta^SD: the event study (reference e = -1 omitted) to the FLCI."""
    e, b, S = _event_study_cov(e, b, psi, n, codes, Gc)
    if (e < 0).sum() < 1 or (e >= 0).sum() < 1:
        raise IdentificationError("honest_did: smoothness restrictions need at least one "
                                  "pre-period besides the reference e = -1 and one post "
                                  "period. Fix: add earlier survey waves.")
    lv = _post_weights(e, target, "honest_did")
    r = flci_smoothness(b, S, num_pre=int((e < 0).sum()), M=M, l_vec=lv, alpha=alpha)
    prov = Provenance(method="honest_did",
                      options={"restriction": "smoothness", "M": [float(m) for m in M],
                               "target": target, "method": "FLCI"},
                      inputs_hash=dyn.provenance.inputs_hash, n_input=dyn.provenance.n_input,
                      n_used=dyn.provenance.n_used)
    return EstimateResult(r.tidy().drop(columns=["statistic"]), method="honest_did",
                          alpha=alpha, provenance=prov, own_intervals=True,
                          extras={**dict(r.extras), "event_times": e.tolist(), "l_vec": lv},
                          title="Sensitivity to violations of parallel trends (smoothness, FLCI)")


def _qfoldednormal(p: float, mu: float) -> float:
    """The ``p`` quantile of ``|N(mu, 1)|`` (exact; HonestDiD simulates it with 10^6 draws)."""
    from scipy import optimize

    mu = abs(float(mu))
    return float(optimize.brentq(
        lambda q: stats.norm.cdf(q - mu) - stats.norm.cdf(-q - mu) - p, 0.0, mu + 10.0,
        xtol=1e-14))


def flci_smoothness(
    betahat: ArrayLike, sigma: np.ndarray, *, num_pre: int,
    M: Sequence[float] = (0.0,), l_vec: ArrayLike | None = None,
    alpha: float = 0.05,
) -> EstimateResult:
    """Fixed-length confidence interval (FLCI) for ``theta = l' tau_post`` under smoothness.

    The smoothness restriction ``Delta^SD(M)`` of Rambachan & Roth (2023, REStud 90(5)):
    the bias may deviate from a linear trend by at most ``M`` per period (second differences
    of the bias bounded by ``M``), as HonestDiD's ``createSensitivityResults(method="FLCI")``.

    ``betahat`` and ``sigma`` are the event-study coefficients and their covariance, ordered
    as HonestDiD expects: the ``num_pre`` pre-period coefficients (earliest first, the
    reference period ``e = -1`` omitted) then the post-period ones. The FLCI is
    ``a + v' betahat +/- chi``, the affine estimator and half-length minimising the
    worst-case length (Armstrong & Kolesar 2018): with ``W`` the cumulative pre-period
    weights, the worst-case bias ``M b(W)`` (``b`` as HonestDiD's ``.createObjectiveObjectForBias``)
    and the standard deviation ``s(W)``, ``chi = min_W cv_alpha(M b(W) / s(W)) s(W)`` with
    ``cv_alpha(t)`` the ``1 - alpha`` quantile of ``|N(t, 1)|``. The minimisation runs over
    ``W`` directly (SLSQP from three starts) instead of HonestDiD's bisection over ``s``; the
    folded-normal quantile is exact, where HonestDiD simulates it (10^6 draws), which moves
    the published bounds by up to ~6e-5 on its README example (``tests/impact/
    test_eventstudy.py``).

    Returns
    -------
    EstimateResult
        One row per ``M`` (term ``"M=0.01"``): ``estimate`` the affine estimator,
        ``std_error`` its standard deviation, ``conf_low, conf_high`` the FLCI (``p_value``
        NaN), columns ``M`` and ``half_length``; ``extras['weights']`` the estimator's
        weights on ``betahat`` per ``M``.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([0.0, 0.01, 0.05]); S = np.diag([1e-4, 1e-4, 1e-4])
    >>> r = flci_smoothness(b, S, num_pre=2, M=[0.0])
    >>> # M = 0: the minimum-variance estimator that removes any linear trend through e = -1
    >>> round(r["M=0"], 4), r.extras["weights"][0.0].round(2).tolist()
    (0.052, [0.4, 0.2, 1.0])
    """
    from scipy import optimize

    owner = "flci_smoothness"
    b, S, K, P = split_event_study(betahat, sigma, num_pre, owner)
    lv = np.zeros(P) if l_vec is None else np.asarray(l_vec, dtype=float).ravel()
    if l_vec is None:
        lv[0] = 1.0
    if lv.size != P:
        raise ParameterError(f"The 'l_vec' parameter of {owner} must have {P} entries (one per "
                             f"post period). Got {lv.size} instead.")
    Spre, Spp = S[:K, :K], S[:K, K:]
    s_post = float(lv @ S[K:, K:] @ lv)
    D = np.eye(K)
    D[np.arange(1, K), np.arange(K - 1)] = -1.0            # pre weights = D @ W
    Q, lin = D.T @ Spre @ D, 2 * D.T @ Spp @ lv

    def var(W: np.ndarray) -> float:
        return float(W @ Q @ W + lin @ W + s_post)

    target = float(np.arange(1, P + 1) @ lv)
    const = float(sum(abs(np.arange(1, s + 1) @ lv[P - s:]) for s in range(1, P + 1)) - target)
    L = np.tril(np.ones((K, K)))
    W0 = np.zeros(K)
    W0[-1] = target                                          # HonestDiD's minimum-bias start
    eq = {"type": "eq", "fun": lambda W: W.sum() - target}
    rmin = optimize.minimize(var, W0, constraints=[eq], method="SLSQP",
                             options={"ftol": 1e-16, "maxiter": 2000})
    Wmin = rmin.x
    scale = np.sqrt(var(W0))
    rows, weights = [], {}
    for m in M:
        if not (np.isfinite(m) and m >= 0):
            raise ParameterError(f"The 'M' parameter of {owner} must hold non-negative numbers. "
                                 f"Got {m!r} instead.")
        if m == 0:
            W, chi = Wmin, stats.norm.ppf(1 - alpha / 2) * np.sqrt(var(Wmin))
        else:
            def obj(z: np.ndarray, m: float = float(m)) -> float:
                sd = np.sqrt(max(var(z[K:]), 1e-300))
                return _qfoldednormal(1 - alpha, m * (const + z[:K].sum()) / sd) * sd / scale

            cons = [{"type": "eq", "fun": lambda z: z[K:].sum() - target},
                    {"type": "ineq", "fun": lambda z: z[:K] - L @ z[K:]},
                    {"type": "ineq", "fun": lambda z: z[:K] + L @ z[K:]}]
            best = None
            for start in (W0, Wmin, 0.5 * (W0 + Wmin)):
                z0 = np.concatenate([np.abs(L @ start), start])
                r = optimize.minimize(obj, z0, constraints=cons, method="SLSQP",
                                      options={"ftol": 1e-15, "maxiter": 3000})
                feasible = (abs(r.x[K:].sum() - target) < 1e-8
                            and np.all(r.x[:K] >= np.abs(L @ r.x[K:]) - 1e-8))
                if feasible and (best is None or r.fun < best.fun):
                    best = r
            if best is None:                                 # pragma: no cover - defensive
                raise IdentificationError(f"{owner}: the optimisation found no feasible "
                                          f"estimator for M={m:g}.")
            W, chi = best.x[K:], float(best.fun * scale)
        v = np.concatenate([D @ W, lv])
        est = float(v @ b)
        rows.append({"term": f"M={m:g}", "estimate": est, "std_error": float(np.sqrt(var(W))),
                     "p_value": np.nan, "conf_low": est - chi, "conf_high": est + chi,
                     "n_obs": np.nan, "M": float(m), "half_length": float(chi)})
        weights[float(m)] = v
    prov = Provenance(method="flci_smoothness",
                      options={"num_pre": K, "l_vec": lv.tolist(), "M": [float(m) for m in M],
                               "restriction": "smoothness (Delta^SD)"})
    return EstimateResult(pd.DataFrame(rows), method="flci_smoothness", alpha=alpha,
                          provenance=prov, own_intervals=True, extras={"weights": weights},
                          title="FLCI under smoothness restrictions (Rambachan & Roth 2023)")


def plot_event_study(es: EstimateResult, ax: Any = None, *, title: str | None = None) -> Any:
    """Plot an :func:`event_study` result: points, pointwise whiskers and the uniform band."""
    import matplotlib.pyplot as plt  # a pyplot figure (notebooks show it); never use()
    if es.method != "event_study":
        es = event_study(es)
    td = es.tidy()
    if ax is None:
        ax = plt.figure(figsize=(7, 4)).subplots()
    e = td["event_time"].to_numpy(float)
    est = td["estimate"].to_numpy(float)
    pre = e < 0
    # the uniform band is drawn per event time (not interpolated between them)
    ax.vlines(e, td["conf_low"], td["conf_high"], color="0.8", lw=10,
              label=f"{100 * (1 - es.alpha):.0f}% uniform band")
    ax.vlines(e, td["pw_low"], td["pw_high"], color="0.3", lw=1.2, label="pointwise CI")
    ax.plot(e[pre], est[pre], "o", color="tab:red", label="pre-treatment")
    ax.plot(e[~pre], est[~pre], "o", color="tab:blue", label="post-treatment")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(-0.5, color="k", lw=0.8, ls=":")
    p = es.extras.get("pretrend", {}).get("p_value", np.nan)
    ax.set_xlabel("years since the village entered the programme")
    ax.set_ylabel("effect")
    ax.set_title(title or (f"Event study (pre-trend test p = {p:.2f})" if np.isfinite(p)
                           else "Event study"))
    ax.legend(frameon=False, fontsize=8)
    return ax
