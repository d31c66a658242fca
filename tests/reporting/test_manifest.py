"""Manifest: deterministic run ids and classified year-over-year differences."""
from __future__ import annotations

from kassaki_eval.reporting.manifest import VOLATILE_KEYS, diff_manifests, run_id_for


def _m(**over):
    base = {"params": {"year": 2024, "alpha": 0.05, "languages": ["id", "en"],
                       "source": {"kind": "demo", "seed": 1, "scale": 1.0}},
            "inputs": {"survey.csv": {"sha256": "a" * 64}},
            "software": {"pandas": "3.1.1"}, "git": {"commit": "abc"}, "notebooks": {"01": "x"}}
    base.update(over)
    return base


def test_run_id_is_deterministic_and_sensitive():
    p = {"year": 2025, "alpha": 0.05, "languages": ["id", "en"]}
    a = run_id_for(p, {"f": "1"}, "full")
    assert a == run_id_for(dict(p), {"f": "1"}, "full") and a.startswith("full-")
    assert a == run_id_for({**p, "languages": ["en"]}, {"f": "1"}, "full")  # presentation only
    assert a != run_id_for({**p, "alpha": 0.1}, {"f": "1"}, "full")
    assert a != run_id_for(p, {"f": "2"}, "full")


def test_diff_classifies_changes():
    before = _m()
    after = _m(params={"year": 2025, "alpha": 0.1, "languages": ["en"],
                       "source": {"kind": "demo", "seed": 1, "scale": 1.0}},
               inputs={"survey.csv": {"sha256": "b" * 64}}, software={"pandas": "3.2.0"},
               git={"commit": "def"})
    kinds = {(c.kind, c.item) for c in diff_manifests(before, after)}
    assert ("specification", "alpha") in kinds
    assert ("data", "survey.csv") in kinds
    assert ("software", "pandas") in kinds and ("software", "git commit") in kinds
    assert not any(item in ("year", "languages") for _, item in kinds)


def test_no_change_no_flag():
    assert diff_manifests(_m(), _m()) == []
    assert set(VOLATILE_KEYS) == {"created_utc", "timings"}
