"""Rambachan & Roth (2023) confidence sets under relative-magnitudes restrictions.

:func:`relative_magnitudes_cs` follows the authors' R package HonestDiD (0.2.8,
github.com/asheshrambachan/HonestDiD, ``createSensitivityResults_relativeMagnitudes``): the
restriction ``Delta^RM(Mbar)`` is the union over the location ``s`` of the largest
pre-period first difference and its sign of polyhedra ``{delta : A_s delta <= 0}``; for each
polyhedron the moment-inequality test of Andrews, Roth & Pakes (2023, "Inference for linear
conditional moment inequalities", REStud) -- the *conditional* test, or the
*conditional-least-favorable hybrid* ("C-LF", HonestDiD's default) -- is inverted over a
grid of values of ``theta = l' tau_post``; a value is in the confidence set when any
polyhedron accepts it, and the reported interval is the smallest and largest accepted grid
point, as in the package.

Ported pieces (same names as in the R source, ``R/arp-nuisance.R``, ``R/deltarm.R``,
``R/arp-nonuisance.R``): the linear program ``eta = min_{delta} max_j (y_j - X_j delta) /
sd_j`` (``.test_delta_lp_fn``, solved here with HiGHS through ``scipy.optimize.linprog``
instead of lpSolve), the primal and dual (bisection, ``.vlo_vup_dual_fn``) truncation
points, the least-favorable first stage (``.compute_least_favorable_cv``: the ``1 - kappa``
quantile of ``eta`` under 1,000 simulated draws at the least-favorable null, ``kappa =
alpha/10``) and the truncated-normal critical value. Differences from the package:

- the least-favorable critical value is simulated with numpy's generator (``seed``), not
  R's ``set.seed`` + ``mvtnorm``; its Monte Carlo error moves an endpoint by one grid step
  where a grid point sits at the first-stage boundary;
- the truncated-normal quantile is scipy's ``truncnorm`` (HonestDiD: ``TruncatedNormal``).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, sparse, stats

from ..exceptions import ParameterError, check_option
from ..results import EstimateResult, Provenance
from ._common import split_event_study

__all__ = ["relative_magnitudes_cs", "relative_magnitudes_idset"]

_ROUNDEPS = np.finfo(float).eps ** 0.75


def _create_A_RM(npre: int, npost: int, Mbar: float, s: int, max_positive: bool) -> np.ndarray:
    """HonestDiD ``.create_A_RM`` (``dropZero = TRUE``): ``A_s delta <= 0``."""
    T = npre + npost
    Atilde = np.zeros((T, T + 1))
    for r in range(T):
        Atilde[r, r:r + 2] = (-1.0, 1.0)
    v = np.zeros(T + 1)
    v[npre + s - 1:npre + s + 1] = (-1.0, 1.0)
    if not max_positive:
        v = -v
    A_ub = np.vstack([np.tile(v, (npre, 1)), np.tile(Mbar * v, (npost, 1))])
    A = np.vstack([Atilde - A_ub, -Atilde - A_ub])
    A = A[np.einsum("ij,ij->i", A, A) > 1e-10]
    return np.delete(A, npre, axis=1)


def _construct_gamma(l_vec: np.ndarray) -> np.ndarray:
    """HonestDiD ``.construct_Gamma``.

    Invertible matrix with ``l'`` as first row (the pivot columns of the reduced row echelon
    form of ``[l, I]``).
    """
    T = l_vec.size
    B = np.column_stack([l_vec, np.eye(T)])
    cols: list[int] = []
    for j in range(B.shape[1]):
        if np.linalg.matrix_rank(B[:, cols + [j]]) > len(cols):
            cols.append(j)
        if len(cols) == T:
            break
    return B[:, cols].T


def _norminvp(p: float, lo: float, hi: float) -> float:
    """``p`` quantile of the standard normal truncated to ``[lo, hi]``."""
    return float(stats.truncnorm.ppf(p, lo, hi))


def _eta_lp(y: np.ndarray, X: np.ndarray, sd: np.ndarray) -> tuple[int, float, np.ndarray]:
    """``.test_delta_lp_fn``.

    Min eta s.t. ``y - X delta <= eta sd``; returns the status, eta and the Lagrange
    multipliers ``lambda >= 0`` (``sum lambda sd = 1``, ``X' lambda = 0``).
    """
    k = X.shape[1]
    c = np.zeros(k + 1)
    c[0] = 1.0
    res = optimize.linprog(c, A_ub=-np.column_stack([sd, X]), b_ub=-y,
                           bounds=[(None, None)] * (k + 1), method="highs-ds")
    if res.status != 0:
        return int(res.status) or 1, np.nan, np.zeros(y.size)
    return 0, float(res.fun), -np.asarray(res.ineqlin.marginals, dtype=float)


def _eta_lp_many(Y: np.ndarray, X: np.ndarray, sd: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`_eta_lp` for each row of ``Y`` (R, M) at once.

    One block-diagonal linear program (the blocks are independent, so its solution is each
    block's solution). Returns eta (R,) and the multipliers (R, M), or None when HiGHS does not
    solve it.
    """
    R, M = Y.shape
    k = X.shape[1]
    blk = sparse.csr_matrix(-np.column_stack([sd, X]))
    A = sparse.kron(sparse.identity(R, format="csr"), blk, format="csr")
    c = np.tile(np.r_[1.0, np.zeros(k)], R)
    res = optimize.linprog(c, A_ub=A, b_ub=-Y.ravel(), bounds=[(None, None)] * c.size,
                           method="highs-ds")
    if res.status != 0:
        return None
    x = np.asarray(res.x).reshape(R, k + 1)
    return x[:, 0], -np.asarray(res.ineqlin.marginals, dtype=float).reshape(R, M)


def _max_program(s_T: np.ndarray, g: np.ndarray, S: np.ndarray, W: np.ndarray,
                 c: float) -> tuple[float, np.ndarray] | None:
    """``.max_program``: max f'x s.t. W'x = e_1, x >= 0."""
    f = s_T + (S @ g) / float(g @ S @ g) * c
    beq = np.zeros(W.shape[1])
    beq[0] = 1.0
    res = optimize.linprog(-f, A_eq=W.T, b_eq=beq, bounds=[(0, None)] * f.size,
                           method="highs-ds")
    if res.status != 0:
        return None
    return -float(res.fun), np.asarray(res.x, dtype=float)


def _vlo_vup_dual(eta: float, s_T: np.ndarray, g: np.ndarray, S: np.ndarray,
                  W: np.ndarray) -> tuple[float, float]:
    """``.vlo_vup_dual_fn`` (ARP 2023, appendix, algorithm 1).

    The truncation points of the dual approach by the fixed-point shortcut, then bisection.
    """
    tol_c, tol_eq, maxiters, switchiters = 1e-6, 1e-6, 10000, 10
    sB = float(np.sqrt(g @ S @ g))
    b = (S @ g) / float(g @ S @ g)

    def check(c: float) -> tuple[bool, np.ndarray | None]:
        r = _max_program(s_T, g, S, W, c)
        if r is None:
            return False, None
        return abs(c - r[0]) <= tol_eq, r[1]

    def shortcut(x: np.ndarray) -> float:
        num = float(x @ s_T)
        return (0.0 if abs(num) < _ROUNDEPS else num) / (1.0 - float(x @ b))

    if not check(eta)[0]:
        return eta, np.inf
    out = []
    for start, upper in ((max(100.0, eta + 20 * sB), True), (min(-100.0, eta - 20 * sB), False)):
        ok, x = check(start)
        if ok:
            out.append(np.inf if upper else -np.inf)
            continue
        dif, iters = 0.0, 1
        mid = shortcut(x) if x is not None else start
        while True:
            ok, x = check(mid)
            if ok or iters >= maxiters:
                break
            iters += 1
            if iters >= switchiters or x is None:
                dif = tol_c + 1
                break
            mid = shortcut(x)
        # the solution side is eta; the other end is mid
        sol, non = eta, mid
        while dif > tol_c and iters < maxiters:
            iters += 1
            mid = (sol + non) / 2
            if check(mid)[0]:
                sol = mid
            else:
                non = mid
            dif = abs(non - sol)
        out.append(mid)
    vup, vlo = out
    return vlo, vup


def _lf_cv(X: np.ndarray | None, S: np.ndarray, kappa: float, sims: int,
           seed: int | None) -> float:
    """``.compute_least_favorable_cv``.

    ``1 - kappa`` quantile of eta at the least-favorable null (``y ~ N(0, S)``), by simulation.
    """
    rng = np.random.default_rng(seed)
    xi = rng.multivariate_normal(np.zeros(S.shape[0]), S, size=sims, method="eigh")
    sd = np.sqrt(np.diag(S))
    if X is None:
        etas = np.max(xi / sd, axis=1)
    else:
        many = _eta_lp_many(xi, X, sd)
        etas = (np.array([_eta_lp(x, X, sd)[1] for x in xi]) if many is None else many[0])
    etas = etas[np.isfinite(etas)]
    return float(np.quantile(etas, 1 - kappa))


def _arp_test(y: np.ndarray, X: np.ndarray, S: np.ndarray, alpha: float, hybrid: str,
              kappa: float, lf_cv: float,
              lp: tuple[int, float, np.ndarray] | None = None) -> bool:
    """``.lp_conditional_test_fn``.

    True when ``E[y - X delta] <= 0`` is rejected (``lp``: the solved eta program, when already
    at hand).
    """
    M, k = X.shape
    sd = np.sqrt(np.diag(S))
    status, eta, lam = _eta_lp(y, X, sd) if lp is None else lp
    if status != 0:
        return False                                    # R: warns and does not reject
    if hybrid == "LF":
        mod_size = (alpha - kappa) / (1 - kappa)
        if eta > lf_cv:
            return True
    else:
        mod_size = alpha
    B = lam > 1e-6
    degenerate = int(B.sum()) != k + 1
    XB = X[B]
    full_rank = min(XB.shape) > 0 and np.linalg.matrix_rank(XB) == min(XB.shape)
    if degenerate or not full_rank:                     # dual approach
        g = lam
        gsg = float(g @ S @ g)
        if abs(gsg) < np.finfo(float).eps:
            return bool(eta > 0)
        W = np.column_stack([sd, X])
        s_T = y - (S @ g) * float(g @ y) / gsg
        vlo, vup = _vlo_vup_dual(eta, s_T, g, S, W)
        sB = np.sqrt(gsg)
    else:                                               # primal approach
        Bc = ~B
        WB = np.column_stack([sd[B], XB])
        WBinv = np.linalg.inv(WB)
        eye = np.eye(M)
        Gam = np.column_stack([sd[Bc], X[Bc]]) @ WBinv @ eye[B] - eye[Bc]
        vB = (WBinv[0] @ eye[B])
        s2 = float(vB @ S @ vB)
        sB = np.sqrt(s2)
        rho = Gam @ S @ vB / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            mm = (-Gam @ y) / rho + float(vB @ y)
        vlo = float(np.max(mm[rho > 0])) if np.any(rho > 0) else -np.inf
        vup = float(np.min(mm[rho < 0])) if np.any(rho < 0) else np.inf
    zlo = vlo / sB
    zup = (min(vup, lf_cv) if hybrid == "LF" else vup) / sB
    stat = eta / sB
    if not (zlo <= stat <= zup):
        return False
    return bool(stat > max(0.0, _norminvp(1 - mod_size, zlo, zup)))


def _nonuis_test(y: np.ndarray, S: np.ndarray, A: np.ndarray, alpha: float, hybrid: str,
                 kappa: float, lf_cv: float) -> bool:
    """``.testInIdentifiedSet`` / ``.testInIdentifiedSet_LF_Hybrid`` (one post period, d = 0)."""
    st = np.sqrt(np.diag(A @ S @ A.T))
    At = A / st[:, None]
    mom = At @ y
    j = int(np.argmax(mom))
    if hybrid == "LF":
        if mom[j] > lf_cv:
            return True
        a = (alpha - kappa) / (1 - kappa)
    else:
        a = alpha
    g = At[j]
    Abar = At - At[j][None, :]
    gsg = float(g @ S @ g)
    c = S @ g / gsg
    z = y - c * float(g @ y)
    Ac = Abar @ c
    with np.errstate(divide="ignore", invalid="ignore"):
        obj = (-Abar @ z) / Ac
    vlo = float(np.max(obj[Ac < 0])) if np.any(Ac < 0) else -np.inf
    vup = float(np.min(obj[Ac > 0])) if np.any(Ac > 0) else np.inf
    sb = np.sqrt(gsg)
    cv = max(0.0, sb * _norminvp(1 - a, vlo / sb, vup / sb))
    return bool(mom[j] > cv)


def _accept_grid(b: np.ndarray, S: np.ndarray, npre: int, npost: int, l_vec: np.ndarray,
                 Mbar: float, s: int, max_positive: bool, grid: np.ndarray, alpha: float,
                 hybrid: str, kappa: float, sims: int, seed: int | None,
                 todo: np.ndarray) -> np.ndarray:
    """``.computeConditionalCS_DeltaRM_fixedS`` on the grid points flagged in ``todo``."""
    A = _create_A_RM(npre, npost, Mbar, s, max_positive)
    acc = np.zeros(grid.size, dtype=bool)
    if npost == 1:
        A = A[A[:, -1] != 0]
        lf = _lf_cv(None, A @ S @ A.T, kappa, sims, seed) if hybrid == "LF" else np.inf
        e = np.zeros(b.size)
        e[npre] = 1.0
        for i in np.flatnonzero(todo):
            acc[i] = not _nonuis_test(b - e * grid[i], S, A, alpha, hybrid, kappa, lf)
        return acc
    rows = np.flatnonzero(np.any(A[:, npre:] != 0, axis=1))
    AG = A[:, npre:] @ np.linalg.inv(_construct_gamma(l_vec))
    a1, X = AG[:, 0], AG[:, 1:]
    Y = A @ b
    SY = A @ S @ A.T
    Xr, Sr = X[rows], SY[np.ix_(rows, rows)]
    lf = _lf_cv(Xr, Sr, kappa, sims, seed) if hybrid == "LF" else np.inf
    idx = np.flatnonzero(todo)
    if idx.size == 0:
        return acc
    Ys = (Y[None, :] - a1[None, :] * grid[idx, None])[:, rows]
    many = _eta_lp_many(Ys, Xr, np.sqrt(np.diag(Sr)))
    for j, i in enumerate(idx):
        lp = None if many is None else (0, float(many[0][j]), many[1][j])
        acc[i] = not _arp_test(Ys[j], Xr, Sr, alpha, hybrid, kappa, lf, lp)
    return acc


def relative_magnitudes_idset(betahat: ArrayLike, *, num_pre: int, Mbar: float,
                              l_vec: ArrayLike | None = None) -> tuple[float, float]:
    """Identified set of ``l' tau_post`` under ``Delta^RM(Mbar)`` at ``betahat``.

    ``betahat`` is taken as the truth; as HonestDiD ``.compute_IDset_DeltaRM``: the union over
    ``s`` and the sign of two linear programs each.
    """
    b = np.asarray(betahat, dtype=float).ravel()
    K, P = int(num_pre), b.size - int(num_pre)
    lv = _lvec(l_vec, P, "relative_magnitudes_idset")
    f = np.concatenate([np.zeros(K), lv])
    Aeq = np.column_stack([np.eye(K), np.zeros((K, P))])
    lo, hi = np.inf, -np.inf
    for s in range(-(K - 1), 1):
        for pos in (True, False):
            A = _create_A_RM(K, P, Mbar, s, pos)
            rmax = optimize.linprog(-f, A_ub=A, b_ub=np.zeros(A.shape[0]), A_eq=Aeq,
                                    b_eq=b[:K], bounds=[(None, None)] * b.size, method="highs")
            rmin = optimize.linprog(f, A_ub=A, b_ub=np.zeros(A.shape[0]), A_eq=Aeq,
                                    b_eq=b[:K], bounds=[(None, None)] * b.size, method="highs")
            th = float(lv @ b[K:])
            if rmax.status != 0 and rmin.status != 0:
                lo, hi = min(lo, th), max(hi, th)
            else:
                lo, hi = min(lo, th + rmax.fun), max(hi, th - rmin.fun)
    return lo, hi


def _lvec(l_vec: ArrayLike | None, P: int, owner: str) -> np.ndarray:
    if l_vec is None:
        lv = np.zeros(P)
        lv[0] = 1.0
        return lv
    lv = np.asarray(l_vec, dtype=float).ravel()
    if lv.size != P:
        raise ParameterError(f"The 'l_vec' parameter of {owner} must have {P} entries (one per "
                             f"post period). Got {lv.size} instead.")
    return lv


def relative_magnitudes_cs(
    betahat: ArrayLike, sigma: np.ndarray, *, num_pre: int,
    Mbar: Sequence[float] = (0.5, 1.0, 1.5, 2.0), l_vec: ArrayLike | None = None,
    alpha: float = 0.05, method: Literal["C-LF", "conditional"] = "C-LF",
    grid: Literal["adaptive", "zero"] = "adaptive", grid_points: int = 1000,
    grid_lb: float | None = None, grid_ub: float | None = None,
    seed: int | None = 0, lf_sims: int = 1000,
) -> EstimateResult:
    """Confidence sets for ``theta = l' tau_post`` under ``Delta^RM(Mbar)``.

    As HonestDiD's ``createSensitivityResults_relativeMagnitudes`` (see the module docstring).

    Parameters
    ----------
    betahat, sigma : event-study coefficients and covariance in HonestDiD's order: the
        ``num_pre`` pre-period coefficients (earliest first, the reference period omitted),
        then the post-period ones.
    num_pre : number of pre-period coefficients.
    Mbar : relative-magnitude bounds (each post-period change of the bias is at most ``Mbar``
        times the largest pre-period change).
    l_vec : weights on the post-period coefficients (default: the first post period).
    alpha : 1 - confidence level.
    method : ``"C-LF"`` (conditional-least-favorable hybrid, ``kappa = alpha/10``;
        HonestDiD's default) or ``"conditional"`` (ARP's conditional test).
    grid, grid_points, grid_lb, grid_ub : the grid of ``theta`` values tested (the interval's
        ends are grid points). ``"adaptive"``: ``grid_points`` points on ``l'betahat +/-
        (Mbar sum_t t |l_t| max|pre first difference| + 20 sd(l'betahat))``, as HonestDiD
        commit 888de5e ("Fixed grid to match Stata's improvement", the version that knitted
        the README's results) and Stata's honestdid; ``"zero"``: ``+/- 20 sd`` around 0, as
        HonestDiD's master branch (0.2.8), which leaves the interval open at the grid end
        for large ``Mbar``. ``grid_lb``/``grid_ub`` override either end.
    seed, lf_sims : simulation of the least-favorable critical value.

    Returns
    -------
    EstimateResult
        One row per ``Mbar`` (term ``"Mbar=0.5"``): ``conf_low, conf_high`` the smallest and
        largest accepted grid points (NaN when none is accepted), ``estimate`` ``l'betahat``,
        ``std_error`` its standard error, ``p_value`` NaN (a confidence set, not one test),
        columns ``Mbar``, ``id_low, id_high`` (identified set at ``betahat``) and
        ``open_end`` (True when an end of the grid was accepted: widen the grid);
        ``extras['grid']`` the grid per ``Mbar``.
    """
    owner = "relative_magnitudes_cs"
    check_option(owner, "method", method, ["C-LF", "conditional"])
    b, S, K, P = split_event_study(betahat, sigma, num_pre, owner)
    if not 0 < alpha < 1:
        raise ParameterError(f"The 'alpha' parameter of {owner} must be in (0, 1). "
                             f"Got {alpha!r} instead.")
    lv = _lvec(l_vec, P, owner)
    sd_theta = float(np.sqrt(lv @ S[K:, K:] @ lv))
    hybrid = "LF" if method == "C-LF" else "ARP"
    kappa = alpha / 10
    theta = float(lv @ b[K:])
    check_option(owner, "grid", grid, ["adaptive", "zero"])
    rows, grids = [], {}
    for mb in Mbar:
        if not (np.isfinite(mb) and mb >= 0):
            raise ParameterError(f"The 'Mbar' parameter of {owner} must hold non-negative "
                                 f"numbers. Got {mb!r} instead.")
        if grid == "zero":            # HonestDiD master: +/- 20 sd around 0
            lo_g, hi_g = -20 * sd_theta, 20 * sd_theta
        else:                          # HonestDiD 888de5e / Stata honestdid: around l'betahat
            maxpre = (np.max(np.abs(np.diff(np.r_[b[:K], 0.0]))) if K > 1 else abs(b[0]))
            half = float(mb) * float(np.arange(1, P + 1) @ np.abs(lv)) * maxpre + 20 * sd_theta
            lo_g, hi_g = theta - half, theta + half
        lo_g = lo_g if grid_lb is None else float(grid_lb)
        hi_g = hi_g if grid_ub is None else float(grid_ub)
        pts = np.linspace(lo_g, hi_g, int(grid_points))
        acc = np.zeros(pts.size, dtype=bool)
        for s in range(-(K - 1), 1):
            for pos in (True, False):
                # only the points no other polyhedron accepted yet can change the union
                acc |= _accept_grid(b, S, K, P, lv, float(mb), s, pos, pts, alpha, hybrid,
                                    kappa, lf_sims, seed, ~acc)
        hit = pts[acc]
        grids[float(mb)] = pts
        idl, idh = relative_magnitudes_idset(b, num_pre=K, Mbar=float(mb), l_vec=lv)
        rows.append({"term": f"Mbar={mb:g}", "estimate": theta, "std_error": sd_theta,
                     "p_value": np.nan,
                     "conf_low": float(hit.min()) if hit.size else np.nan,
                     "conf_high": float(hit.max()) if hit.size else np.nan,
                     "n_obs": np.nan, "Mbar": float(mb), "id_low": idl, "id_high": idh,
                     "open_end": bool(acc[0] or acc[-1])})
    prov = Provenance(method=owner,
                      options={"num_pre": K, "l_vec": lv.tolist(), "Mbar": [float(m) for m in Mbar],
                               "method": method, "grid_points": int(grid_points),
                               "grid": grid, "seed": seed, "lf_sims": lf_sims,
                               "restriction": "relative magnitudes (Delta^RM)"})
    return EstimateResult(pd.DataFrame(rows), method=owner, alpha=alpha, provenance=prov,
                          own_intervals=True, extras={"grid": grids},
                          title="Confidence sets under relative magnitudes (Rambachan & Roth "
                                "2023, HonestDiD C-LF)")
