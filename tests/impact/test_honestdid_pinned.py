"""relative_magnitudes_cs and its ARP pieces pinned by hand (issue 18, mutation round of
impact/honestdid.py).

Sources of the expected values, stated per test:

- small moment-inequality problems worked out on paper. With ``X = (1, -1, 0, 0)'`` (one
  nuisance parameter) ``eta = min_d max_j (y_j - X_j d) / sd_j`` is
  ``max((y1 + y2) / 2, y3, y4)`` (unit variances), the Lagrange multipliers of the vertex
  ``{1, 2}`` are ``(1/2, 1/2, 0, 0)``, and along ``y(c) = s_T + b c`` (``b = S g / g'Sg``, the
  conditioning direction of Andrews, Roth & Pakes 2023, sec. 5) the eta program keeps the
  vertex exactly while ``y4 <= c`` and ``1.2 c - 1.2 eta + y3 <= c`` (``Cov(y3, y1) =
  Cov(y3, y2) = 0.6``): truncation points ``vlo = y4`` and ``vup = 6 eta - 5 y3``;
- the conditional test's critical value is the ``1 - alpha`` quantile of a standard normal
  truncated to ``[vlo, vup] / sigma_B``, written out with the normal cdf
  (``Phi^-1(Phi(a) + p (Phi(b) - Phi(a)))``), ``sigma_B^2 = v_B' S v_B`` with ``v_B`` the
  first row of the inverse of the active block ``[sd_B, X_B]`` (here ``(1/2, 1/2, 0, 0)``);
- HonestDiD's R source (``R/arp-nuisance.R``, 0.2.8: ``.vlo_vup_dual_fn``,
  ``.compute_least_favorable_cv`` with ``sims = 1000``) for the bisection's starting points
  (``vup = Inf`` when the program still solves at ``max(100, eta + 20 sigma_B)``, ``vlo =
  -Inf`` at ``min(-100, eta - 20 sigma_B)``) and for the documented defaults;
- the error contract word for word (what, where, the fix).
See docs/MUTATION.md, "impact/honestdid.py, ... (helper mutD)".
"""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact import honestdid as hd
from kassaki_eval.impact.honestdid import relative_magnitudes_cs, relative_magnitudes_idset

# the four-moment problem of the module docstring
X4 = np.array([[1.0], [-1.0], [0.0], [0.0]])
S4 = np.array([[1.0, 0.0, 0.6, 0.0],
               [0.0, 1.0, 0.6, 0.0],
               [0.6, 0.6, 1.0, 0.0],
               [0.0, 0.0, 0.0, 1.0]])
G4 = np.array([0.5, 0.5, 0.0, 0.0])        # multipliers of the vertex {1, 2}
SB4 = np.sqrt(0.5)                          # sigma_B: v_B = (1/2, 1/2, 0, 0), v_B' S v_B = 1/2


def _y4(eta: float, y3: float, y4: float) -> np.ndarray:
    return np.array([eta + 0.3, eta - 0.3, y3, y4])


def _trunc_q(p: float, a: float, b: float) -> float:
    """``p`` quantile of N(0, 1) truncated to [a, b], by the normal cdf."""
    Fa, Fb = stats.norm.cdf(a), stats.norm.cdf(b)
    return float(stats.norm.ppf(Fa + p * (Fb - Fa)))


def _reject_by_hand(eta: float, vlo: float, vup: float, sB: float, alpha: float,
                    lf_cv: float | None = None, kappa: float = 0.0) -> bool:
    """ARP's conditional (lf_cv None) or hybrid test, written out."""
    size = alpha
    if lf_cv is not None:
        if eta > lf_cv:
            return True
        vup = min(vup, lf_cv)
        size = (alpha - kappa) / (1 - kappa)
    return eta / sB > max(0.0, _trunc_q(1 - size, vlo / sB, vup / sB))


# --------------------------------------------------------------------------------------------
# the eta linear programme
# --------------------------------------------------------------------------------------------
def test_eta_lp_value_and_multipliers_by_hand():
    """sd = 2 (S = 4 I): eta = max((y1 + y2) / 2, y3) / 2; multipliers (1/4, 1/4, 0) at the
    vertex {1, 2} and (0, 0, 1/2) when y3 is the largest (sum lambda sd = 1, X'lambda = 0)."""
    X = X4[:3]
    sd = np.full(3, 2.0)
    st, eta, lam = hd._eta_lp(np.array([1.0, 0.2, 0.1]), X, sd)
    assert st == 0
    assert eta == pytest.approx(0.3, abs=1e-12)
    np.testing.assert_allclose(lam, [0.25, 0.25, 0.0], atol=1e-12)
    st, eta, lam = hd._eta_lp(np.array([0.2, 0.0, 1.0]), X, sd)
    assert (st, eta) == (0, pytest.approx(0.5, abs=1e-12))
    np.testing.assert_allclose(lam, [0.0, 0.0, 0.5], atol=1e-12)


def test_eta_lp_many_is_each_rows_programme():
    """The block-diagonal programme returns each row's eta and multipliers (as above)."""
    Y = np.array([[1.0, 0.2, 0.1], [0.2, 0.0, 1.0], [-1.0, -3.0, -2.5]])
    eta, lam = hd._eta_lp_many(Y, X4[:3], np.full(3, 2.0))
    np.testing.assert_allclose(eta, [0.3, 0.5, -1.0], atol=1e-12)
    np.testing.assert_allclose(lam, [[0.25, 0.25, 0.0], [0.0, 0.0, 0.5], [0.25, 0.25, 0.0]],
                               atol=1e-12)


def test_eta_lp_unbounded_reports_failure():
    """A moment with no nuisance term and no scale (sd 0) makes eta unbounded below: the
    status is non-zero, eta NaN and the multipliers zero (R: error_flag)."""
    st, eta, lam = hd._eta_lp(np.array([1.0, 2.0]), np.array([[1.0], [1.0]]), np.zeros(2))
    assert st != 0 and np.isnan(eta)
    np.testing.assert_array_equal(lam, [0.0, 0.0])


def test_least_favorable_cv_is_the_quantile_of_eta_and_per_row_fallback(monkeypatch):
    """Least-favorable critical value: the 1 - kappa quantile of eta(xi), xi ~ N(0, S) drawn
    with numpy's generator (seed), eta worked out by hand for X = (1, -1, 0)' and unit
    variances: max((xi1 + xi2) / 2, xi3). The per-row fallback (when the block programme fails)
    gives the same value."""
    S = S4[:3, :3]
    xi = np.random.default_rng(7).multivariate_normal(np.zeros(3), S, size=200, method="eigh")
    etas = np.maximum((xi[:, 0] + xi[:, 1]) / 2, xi[:, 2])
    want = float(np.quantile(etas, 1 - 0.05))
    assert hd._lf_cv(X4[:3], S, 0.05, 200, 7) == pytest.approx(want, abs=1e-9)
    monkeypatch.setattr(hd, "_eta_lp_many", lambda *a: None)
    assert hd._lf_cv(X4[:3], S, 0.05, 200, 7) == pytest.approx(want, abs=1e-9)


# --------------------------------------------------------------------------------------------
# the conditional / hybrid test (primal approach) and the dual truncation points
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("y3,y4", [(-5.0, 1.0), (-30.0, -30.0), (1.6, -30.0), (1.2, 0.9)])
def test_arp_test_primal_matches_the_truncated_normal_by_hand(y3, y4):
    """Vertex {1, 2} of the four-moment problem: vlo = y4, vup = 6 eta - 5 y3, sigma_B =
    sqrt(1/2); the conditional test rejects iff eta / sigma_B exceeds the truncated-normal
    quantile. Checked on a grid of eta (both sides of the critical value)."""
    for eta in np.linspace(max(y3, y4) + 0.01, max(y3, y4) + 3.0, 60):
        y = _y4(eta, y3, y4)
        want = _reject_by_hand(eta, y4, 6 * eta - 5 * y3, SB4, 0.05)
        assert hd._arp_test(y, X4, S4, 0.05, "ARP", 0.005, np.inf) is bool(want), (eta, y3, y4)


@pytest.mark.parametrize("lf_cv", [1.0, 2.0, 3.0])
def test_arp_test_hybrid_truncates_at_the_least_favorable_cv(lf_cv):
    """C-LF hybrid: reject when eta > lf_cv; else the upper truncation is min(vup, lf_cv)
    and the size (alpha - kappa) / (1 - kappa) (ARP 2023, sec. 6)."""
    for eta in np.linspace(0.05, lf_cv + 0.5, 80):
        y = _y4(eta, -20.0, -20.0)
        want = _reject_by_hand(eta, -20.0, 6 * eta + 100.0, SB4, 0.05, lf_cv, 0.005)
        assert hd._arp_test(y, X4, S4, 0.05, "LF", 0.005, lf_cv) is bool(want), (eta, lf_cv)


def test_arp_test_two_moments_no_truncation():
    """X = (1, -1)', Corr = 0.5: no inactive moment, so no truncation: the test is the one-sided
    z test of eta = (y1 + y2) / 2 with sigma_B^2 = (1 + 1 + 2 * 0.5) / 4 = 3/4."""
    S = np.array([[1.0, 0.5], [0.5, 1.0]])
    z = stats.norm.ppf(0.95)
    for eta in np.linspace(0.5, 2.5, 41):
        y = np.array([eta + 0.4, eta - 0.4])
        want = eta / np.sqrt(0.75) > z
        assert hd._arp_test(y, X4[:2], S, 0.05, "ARP", 0.005, np.inf) is bool(want), eta


def test_arp_test_uses_the_programme_it_is_given():
    """``lp`` (the already solved eta programme) is used as given: a failed programme
    (status 1) does not reject (R: warns and does not reject), however large y is."""
    y = _y4(50.0, -20.0, -20.0)
    assert hd._arp_test(y, X4, S4, 0.05, "ARP", 0.005, np.inf) is True
    assert hd._arp_test(y, X4, S4, 0.05, "ARP", 0.005, np.inf,
                        lp=(1, np.nan, np.zeros(4))) is False


def _dual(eta: float, y: np.ndarray) -> tuple[float, float]:
    gsg = float(G4 @ S4 @ G4)
    s_T = y - (S4 @ G4) * float(G4 @ y) / gsg
    return hd._vlo_vup_dual(eta, s_T, G4, S4, np.column_stack([np.ones(4), X4]))


@pytest.mark.parametrize("eta,y3,y4", [(1.0, -5.0, 0.2), (0.5, 0.0, -15.0), (2.0, 1.9, 1.5),
                                       (-3.0, -3.5, -40.0)])
def test_vlo_vup_dual_equals_the_truncation_points_by_hand(eta, y3, y4):
    """The dual approach's bisection (tolerance 1e-6) finds vlo = y4 and vup = 6 eta - 5 y3.
    (0.5, 0, -15): vlo lies below eta - 20 sigma_B but above -100, so the search must start
    at -100 (R: min(-100, eta - 20 sigma_B))."""
    vlo, vup = _dual(eta, _y4(eta, y3, y4))
    assert vlo == pytest.approx(y4, abs=2e-6)
    assert vup == pytest.approx(6 * eta - 5 * y3, abs=2e-6)


def test_vlo_vup_dual_infinite_ends_as_honestdid():
    """R's .vlo_vup_dual_fn: vup = Inf when the programme still solves at max(100, eta + 20
    sigma_B) -- here eta = 100 and the true vup = 114.5 lies above 100 + 20 sqrt(1/2) =
    114.14, so the answer is Inf --, and vlo = -Inf when it solves at min(-100, eta - 20
    sigma_B) (a true vlo of -150)."""
    eta = 100.0
    y3 = (6 * eta - 114.5) / 5                  # vup = 114.5, between eta + 20 and + 21 sigma_B
    assert eta + 20 * SB4 < 114.5 < eta + 21 * SB4
    vlo, vup = _dual(eta, _y4(eta, y3, 99.0))
    assert vup == np.inf
    assert vlo == pytest.approx(99.0, abs=2e-6)
    vlo, vup = _dual(1.0, _y4(1.0, -5.0, -150.0))
    assert vlo == -np.inf
    assert vup == pytest.approx(6 * 1.0 - 5 * -5.0, abs=2e-6)


def test_vlo_vup_dual_switches_to_bisection_after_ten_shortcut_steps(monkeypatch):
    """A programme whose fixed-point shortcut needs more than 10 steps (R: switchiters = 10),
    so the bisection (tolerance 1e-6 on c, 1e-6 on the programme's value) finds vup.

    No nuisance (W = one column of ones): the programme's value is max_j f_j(c), f_0(c) = c (the
    conditioning moment, g = e_0, S[0, 0] = 1) and twelve lines f_j(c) = c_j + a_j (c - c_j),
    c_j = -10 (j - 1), a_j = 1 + 0.4^(j-1): from c = 100 the shortcut visits c_1, c_2, ... one
    line at a time (at c_j line j + 1 is the highest, since 0.4^(m-1) m < 1 for m >= 2). The
    last crossing is vup = c_12 = -110; no line is above the diagonal for c -> -inf, so vlo =
    -Inf. Just above -110 the highest line exceeds c by 0.4^11 (c + 110), which stays within
    the 1e-6 equality tolerance up to c = -110 + 0.024: vup in [-110, -109.976]. The whole
    search takes a few dozen programmes (an unterminated bisection would take 10,000)."""
    J = 12
    a = 1 + 0.4 ** np.arange(J)
    cj = -10.0 * np.arange(J)
    S = np.eye(J + 1)
    S[1:, 0] = S[0, 1:] = a                 # b = S e_0 / S[0, 0]: the slopes (1, a_1, ...)
    s_T = np.r_[0.0, cj * (1 - a)]          # intercepts: f_j(0) = c_j (1 - a_j)
    g = np.eye(J + 1)[0]
    calls = []
    real = hd._max_program
    monkeypatch.setattr(hd, "_max_program", lambda *x: calls.append(1) or real(*x))
    vlo, vup = hd._vlo_vup_dual(-120.0, s_T, g, S, np.ones((J + 1, 1)))
    assert vlo == -np.inf
    assert -110.0 - 1e-9 <= vup <= -110.0 + 0.025
    assert len(calls) < 80


def test_vlo_vup_dual_eta_not_a_solution():
    """R: when the programme's value along y(c) is not c at the given eta (eta outside
    [vlo, vup] = [0.2, 31] here), (vlo, vup) = (eta, Inf) ("not rejecting automatically")."""
    assert _dual(40.0, _y4(1.0, -5.0, 0.2)) == (40.0, np.inf)
    assert _dual(0.0, _y4(1.0, -5.0, 0.2)) == (0.0, np.inf)


# --------------------------------------------------------------------------------------------
# relative_magnitudes_cs / relative_magnitudes_idset: options, defaults, errors
# --------------------------------------------------------------------------------------------
B1 = np.array([0.01, -0.005, 0.04])
S1 = np.diag([1e-4, 1e-4, 1e-4]) + 2e-5


def test_user_grid_is_linspace_of_the_given_ends_and_empty_set_is_nan():
    """grid_lb/grid_ub replace the grid's ends: the grid is linspace(lb, ub, grid_points); a
    grid far from l'betahat accepts nothing: NaN ends, open_end False."""
    r = relative_magnitudes_cs(B1, S1, num_pre=2, Mbar=[1.0], grid_points=7, grid_lb=-0.3,
                               grid_ub=0.3)
    np.testing.assert_array_equal(r.extras["grid"][1.0], np.linspace(-0.3, 0.3, 7))
    far = relative_magnitudes_cs(B1, S1, num_pre=2, Mbar=[1.0], grid_points=5, grid_lb=5.0,
                                 grid_ub=6.0).tidy()
    assert np.isnan(far.loc[0, "conf_low"]) and np.isnan(far.loc[0, "conf_high"])
    assert not far.loc[0, "open_end"]


def test_defaults_provenance_and_title():
    """Documented defaults: 1,000 grid points, seed 0, 1,000 least-favorable draws (HonestDiD:
    gridPoints = 1000, sims = 1000), method C-LF, the adaptive grid; all in the provenance."""
    r = relative_magnitudes_cs(B1, S1, num_pre=2, Mbar=[1.0], l_vec=[1])
    assert r.extras["grid"][1.0].size == 1000
    assert r.provenance.method == "relative_magnitudes_cs"
    assert r.provenance.options == {
        "num_pre": 2, "l_vec": [1.0], "Mbar": [1.0], "method": "C-LF", "grid_points": 1000,
        "grid": "adaptive", "seed": 0, "lf_sims": 1000,
        "restriction": "relative magnitudes (Delta^RM)"}
    assert r.method == "relative_magnitudes_cs"
    assert r.summary().title == ("Confidence sets under relative magnitudes (Rambachan & "
                                 "Roth 2023, HonestDiD C-LF)")


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1])
def test_alpha_outside_0_1_is_refused(alpha):
    with pytest.raises(ParameterError) as e:
        relative_magnitudes_cs(B1, S1, num_pre=2, alpha=alpha)
    assert str(e.value) == (f"The 'alpha' parameter of relative_magnitudes_cs must be in "
                            f"(0, 1). Got {alpha!r} instead.")


def test_wrong_l_vec_names_the_function():
    with pytest.raises(ParameterError) as e:
        relative_magnitudes_idset(B1, num_pre=1, Mbar=1.0, l_vec=[1.0])
    assert str(e.value) == ("The 'l_vec' parameter of relative_magnitudes_idset must have 2 "
                            "entries (one per post period). Got 1 instead.")
    with pytest.raises(ParameterError, match="of relative_magnitudes_cs must have 1 entries"):
        relative_magnitudes_cs(B1, S1, num_pre=2, l_vec=[0.5, 0.5])
