"""relative_magnitudes_cs against the HonestDiD README's cached results.

Reference: tests/references/honestdid/honestdid_rm_refs.R reads the knitr cache that the
authors' repository ships (github.com/asheshrambachan/HonestDiD, commit 6813f02,
README_cache/gfm): the exact betahat/sigma the package was given and the confidence sets it
returned (createSensitivityResults_relativeMagnitudes, C-LF, gridPoints = 100, Mbar = 0.5,
1, 1.5, 2), for the README's Callaway-Sant'Anna and Sun-Abraham examples (Medicaid
expansion, ehec). The interval ends are grid points, so agreement is exact up to floating
point (tolerance 1e-9 absolute; measured <= 1e-12), unless a grid point sits at the
simulated least-favorable critical value (ours: numpy draws; R: set.seed(0) + mvtnorm);
that did not happen on these 16 ends.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.exceptions import ParameterError
from kassaki_eval.impact.honestdid import relative_magnitudes_cs, relative_magnitudes_idset

REF = Path(__file__).resolve().parents[1] / "references" / "honestdid"


def _case(name: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    b = pd.read_csv(REF / f"{name}_betahat.csv")
    S = pd.read_csv(REF / f"{name}_sigma.csv").to_numpy()
    ref = pd.read_csv(REF / "honestdid_rm_results.csv")
    return b, S, ref[ref["case"] == name].set_index("Mbar")


@pytest.mark.parametrize("mbars", [[0.5, 2.0]])
def test_rm_cs_honestdid_readme_callaway_santanna(mbars):
    """README "Callaway and Sant'Anna": 4 pre, 6 post periods, e = 0."""
    b, S, ref = _case("cs")
    npre = int((b["event_time"] < 0).sum())
    lv = np.zeros(len(b) - npre)
    lv[0] = 1.0
    r = relative_magnitudes_cs(b["betahat"], S, num_pre=npre, Mbar=mbars, l_vec=lv,
                               grid_points=100).tidy().set_index("Mbar")
    for m in mbars:
        assert r.loc[m, "conf_low"] == pytest.approx(ref.loc[m, "lb"], abs=1e-9), m
        assert r.loc[m, "conf_high"] == pytest.approx(ref.loc[m, "ub"], abs=1e-9), m
    assert not r["open_end"].any()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["cs", "sunab"])
def test_rm_cs_honestdid_readme_all(name):
    """Both README staggered examples, all four Mbar (sunab: 10 pre, 6 post periods)."""
    b, S, ref = _case(name)
    npre = int((b["event_time"] < 0).sum())
    r = relative_magnitudes_cs(b["betahat"], S, num_pre=npre, Mbar=list(ref.index),
                               grid_points=100).tidy().set_index("Mbar")
    np.testing.assert_allclose(r["conf_low"], ref["lb"], atol=1e-9)
    np.testing.assert_allclose(r["conf_high"], ref["ub"], atol=1e-9)


def test_rm_identified_set_closed_form():
    """With betahat the truth, Delta^RM(Mbar) bounds the post bias of period t by
    Mbar * t * max|pre first difference| (the reference period's difference included)."""
    b = np.array([0.02, -0.01, 0.03, 0.05])           # pre: -3, -2; post: 1, 2 (ref -1 = 0)
    m = max(abs(-0.01 - 0.02), abs(0 - -0.01))
    lo, hi = relative_magnitudes_idset(b, num_pre=2, Mbar=1.5, l_vec=[0.5, 0.5])
    half = 1.5 * m * (0.5 * 1 + 0.5 * 2)
    assert lo == pytest.approx(0.04 - half, abs=1e-10)
    assert hi == pytest.approx(0.04 + half, abs=1e-10)


def test_rm_one_post_period_and_conditional():
    """One post period uses the no-nuisance test (HonestDiD .APR_computeCI_NoNuis); the set
    contains the identified set and the conditional test is available."""
    b = np.array([0.01, -0.005, 0.04])
    S = np.diag([1e-4, 1e-4, 1e-4]) + 2e-5
    for method in ("C-LF", "conditional"):
        r = relative_magnitudes_cs(b, S, num_pre=2, Mbar=[1.0], method=method,
                                   grid_points=200).tidy()
        lo, hi = r.loc[0, "conf_low"], r.loc[0, "conf_high"]
        assert lo < r.loc[0, "id_low"] <= r.loc[0, "id_high"] < hi
        assert not r.loc[0, "open_end"]


def test_rm_bad_input():
    with pytest.raises(ParameterError, match="num_pre"):
        relative_magnitudes_cs([0.1, 0.2], np.eye(2), num_pre=2)
    with pytest.raises(ParameterError, match="Mbar"):
        relative_magnitudes_cs([0.1, 0.2], np.eye(2), num_pre=1, Mbar=[-1])
    with pytest.raises(ParameterError, match="method"):
        relative_magnitudes_cs([0.1, 0.2], np.eye(2), num_pre=1, method="FLCI")


@pytest.mark.slow
def test_rm_cs_honestdid_master_grid_2023_cache():
    """The same C&S call knitted in 2023 (README cache chunk 9) used HonestDiD master's grid
    (+/- 20 sd around 0): grid="zero" gives 7 of its 8 ends exactly; the lower end at
    Mbar = 2 is one grid step (40 sd / 99 = 0.0024) higher than R's -- a grid point at the
    least-favorable first-stage boundary, where our simulated critical value (numpy draws)
    and R's (set.seed(0) + mvtnorm) fall on different sides."""
    b, S, _ = _case("cs")
    ref = pd.read_csv(REF / "honestdid_rm_results.csv")
    ref = ref[ref["case"] == "cs_2023"].set_index("Mbar")
    r = relative_magnitudes_cs(b["betahat"], S, num_pre=4, Mbar=list(ref.index), grid="zero",
                               grid_points=100).tidy().set_index("Mbar")
    np.testing.assert_allclose(r["conf_high"], ref["ub"], atol=1e-9)
    np.testing.assert_allclose(r["conf_low"].iloc[:3], ref["lb"].iloc[:3], atol=1e-9)
    step = 40 * np.sqrt(S[4, 4]) / 99
    assert r.loc[2.0, "conf_low"] - ref.loc[2.0, "lb"] == pytest.approx(step, rel=1e-6)
