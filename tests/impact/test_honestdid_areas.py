"""honestdid.py: behaviour areas found open by the seed-21 sample (issue 18, session 12).

- ``relative_magnitudes_cs``'s parameter errors, word for word (the texts of
  ``exceptions.check_option`` and ``impact/_common.split_event_study``, naming the function);
- which least-favorable critical value reaches the moment-inequality tests: HonestDiD's
  ``method = "C-LF"`` computes it once per polyhedron (``.compute_least_favorable_cv`` with
  ``sims``, ``seed`` and ``kappa = alpha / 10``) and gives it to every grid point's test, in
  the one-post-period path (``.testInIdentifiedSet_LF_Hybrid``) and in the nuisance path
  (``.lp_conditional_test_fn``); ``"conditional"`` computes none (the first stage is off:
  ``lf_cv = Inf``);
- the lower start of the dual bisection: R's ``.vlo_vup_dual_fn`` starts at
  ``min(-100, eta - 20 sigma_B)`` and returns ``vlo = -Inf`` when the programme still solves
  there (mirror of ``test_honestdid_pinned.test_vlo_vup_dual_infinite_ends_as_honestdid``'s
  upper end, on the four-moment problem of that file: vlo = y4, vup = 6 eta - 5 y3,
  sigma_B = sqrt(1/2)).
"""
from __future__ import annotations

import numpy as np
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact import honestdid as hd
from kassaki_eval.impact.honestdid import relative_magnitudes_cs

X4 = np.array([[1.0], [-1.0], [0.0], [0.0]])
S4 = np.array([[1.0, 0.0, 0.6, 0.0],
               [0.0, 1.0, 0.6, 0.0],
               [0.6, 0.6, 1.0, 0.0],
               [0.0, 0.0, 0.0, 1.0]])
G4 = np.array([0.5, 0.5, 0.0, 0.0])
SB4 = np.sqrt(0.5)


def _dual(eta: float, y: np.ndarray) -> tuple[float, float]:
    gsg = float(G4 @ S4 @ G4)
    s_T = y - (S4 @ G4) * float(G4 @ y) / gsg
    return hd._vlo_vup_dual(eta, s_T, G4, S4, np.column_stack([np.ones(4), X4]))


def test_rm_cs_parameter_errors_word_for_word():
    b, S = [0.1, 0.2, 0.3], np.eye(3)
    cases = [
        (dict(num_pre=0), "The 'num_pre' parameter of relative_magnitudes_cs must split betahat "
                          "(length 3) into >= 1 pre and >= 1 post coefficients, with sigma 3 x 3. "
                          "Got num_pre=0, sigma (3, 3) instead."),
        (dict(num_pre=3), "The 'num_pre' parameter of relative_magnitudes_cs must split betahat "
                          "(length 3) into >= 1 pre and >= 1 post coefficients, with sigma 3 x 3. "
                          "Got num_pre=3, sigma (3, 3) instead."),
        (dict(num_pre=1, sigma=np.eye(2)),
         "The 'num_pre' parameter of relative_magnitudes_cs must split betahat (length 3) into "
         ">= 1 pre and >= 1 post coefficients, with sigma 3 x 3. Got num_pre=1, sigma (2, 2) "
         "instead."),
        (dict(num_pre=1, method="FLCI"), "The 'method' parameter of relative_magnitudes_cs must "
                                         "be one of {'C-LF', 'conditional'}. Got 'FLCI' "
                                         "instead."),
        (dict(num_pre=1, grid="wide"), "The 'grid' parameter of relative_magnitudes_cs must be "
                                       "one of {'adaptive', 'zero'}. Got 'wide' instead."),
        (dict(num_pre=1, Mbar=[1.0, -0.5]), "The 'Mbar' parameter of relative_magnitudes_cs "
                                            "must hold non-negative numbers. Got -0.5 instead."),
        (dict(num_pre=1, Mbar=[np.inf]), "The 'Mbar' parameter of relative_magnitudes_cs must "
                                         "hold non-negative numbers. Got inf instead."),
    ]
    for kw, msg in cases:
        sigma = kw.pop("sigma", S)
        with pytest.raises(ParameterError) as ei:
            relative_magnitudes_cs(b, sigma, grid_points=3, **kw)
        assert str(ei.value) == msg


@pytest.mark.parametrize("b,S,K", [
    # one post period: the no-nuisance test
    (np.array([0.01, -0.02, 0.03]), np.diag([1e-4, 1e-4, 1e-4]) + 2e-5, 2),
    # two post periods: the nuisance (linear-programme) test
    (np.array([0.01, -0.005, 0.04, 0.05]), np.diag([1e-4] * 4) + 2e-5, 2),
])
def test_least_favorable_cv_reaches_every_test_only_under_c_lf(monkeypatch, b, S, K):
    lf_calls, seen = [], []

    def fake_lf(X, Sg, kappa, sims, seed):
        lf_calls.append((X is None, kappa, sims, seed))
        return 0.777

    def fake_arp(y, X, Sg, alpha, hybrid, kappa, lf_cv, lp=None):
        seen.append((hybrid, alpha, kappa, lf_cv))
        return False

    def fake_nonuis(y, Sg, A, alpha, hybrid, kappa, lf_cv):
        seen.append((hybrid, alpha, kappa, lf_cv))
        return False

    monkeypatch.setattr(hd, "_lf_cv", fake_lf)
    monkeypatch.setattr(hd, "_arp_test", fake_arp)
    monkeypatch.setattr(hd, "_nonuis_test", fake_nonuis)
    one_post = b.size - K == 1
    polyhedra = 2 * K                       # s = -(K-1), ..., 0, both signs
    relative_magnitudes_cs(b, S, num_pre=K, Mbar=[1.0], grid_points=4, alpha=0.1,
                           seed=5, lf_sims=300)
    assert lf_calls == [(one_post, pytest.approx(0.01), 300, 5)] * polyhedra
    # the fake tests return False (not rejected), so the first polyhedron accepts all 4 grid
    # points and the later ones test none (only points not yet accepted are tested)
    assert seen == [("LF", 0.1, pytest.approx(0.01), 0.777)] * 4
    lf_calls.clear()
    seen.clear()
    relative_magnitudes_cs(b, S, num_pre=K, Mbar=[1.0], grid_points=4, alpha=0.1,
                           method="conditional")
    assert lf_calls == []
    assert len(seen) == 4 and all(h != "LF" and lf == np.inf and a == 0.1
                                  for h, a, _, lf in seen)


def test_vlo_vup_dual_lower_start_is_min_of_minus_100_and_eta_minus_20_sigma():
    """eta = -100 and a true vlo = y4 = -114.5, between eta - 21 sigma_B = -114.85 and
    eta - 20 sigma_B = -114.14: R starts the lower search at -114.14, where the programme
    still solves, so vlo = -Inf; vup = 6 eta - 5 y3 = -75 with y3 = -105."""
    eta = -100.0
    assert eta - 21 * SB4 < -114.5 < eta - 20 * SB4
    vlo, vup = _dual(eta, np.array([eta + 0.3, eta - 0.3, -105.0, -114.5]))
    assert vlo == -np.inf
    assert vup == pytest.approx(-75.0, abs=2e-6)


def test_arp_test_primal_for_a_full_rank_vertex_dual_otherwise(monkeypatch):
    """ARP 2023 (sec. 5, appendix) and R's ``.lp_conditional_test_fn``: the truncation points
    come from the primal closed form when the active set has k + 1 moments and full rank, from
    the dual bisection (``.vlo_vup_dual_fn``, dozens of linear programmes) otherwise.
    Four-moment problem (vertex {1, 2}, k = 1): primal. Two identical nuisance columns (k = 2,
    the same vertex: 2 active moments, not k + 1 = 3): dual."""
    calls = []
    real = hd._vlo_vup_dual
    monkeypatch.setattr(hd, "_vlo_vup_dual", lambda *a: calls.append(1) or real(*a))
    y = np.array([1.3, 0.7, -5.0, -5.0])
    hd._arp_test(y, X4, S4, 0.05, "ARP", 0.005, np.inf)
    assert calls == []
    X2 = np.column_stack([X4[:, 0], X4[:, 0]])
    hd._arp_test(y, X2, S4, 0.05, "ARP", 0.005, np.inf)
    assert calls == [1]


def test_arp_test_zero_variance_direction_rejects_iff_eta_positive():
    """R's ``.lp_conditional_test_fn``: when the multipliers' direction has no variance
    (g'Sg = 0: moments 1 and 2 perfectly negatively correlated, g = (1/2, 1/2, 0)), the test
    rejects iff eta > 0 (eta = (y1 + y2) / 2 here; the dual branch, 2 active moments for
    k = 2 identical nuisance columns)."""
    X = np.array([[1.0, 1.0], [-1.0, -1.0], [0.0, 0.0]])
    S = np.array([[1.0, -1.0, 0.0], [-1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    st, eta, lam = hd._eta_lp(np.array([1.3, 0.7, -5.0]), X, np.ones(3))
    assert (st, eta) == (0, pytest.approx(1.0))
    np.testing.assert_allclose(lam, [0.5, 0.5, 0.0], atol=1e-12)
    assert hd._arp_test(np.array([1.3, 0.7, -5.0]), X, S, 0.05, "ARP", 0.005, np.inf) is True
    assert hd._arp_test(np.array([0.02, -0.01, -5.0]), X, S, 0.05, "ARP", 0.005, np.inf) is True
    assert hd._arp_test(np.array([-0.7, -1.3, -5.0]), X, S, 0.05, "ARP", 0.005, np.inf) is False
