"""Small valid tables built in code (no synthetic world needed), and a file-hash helper.

Every builder returns a table that passes its contract; tests then break one thing at a time.
The personal data are obviously fake but shaped like the real thing (16-digit numbers that start
with the Pangkep region code 7310, two-word names) so the privacy tests can search for them.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.data.contracts import PMT_COLUMNS

# two villages in each of three kecamatan (two island, one mainland): every stratum has 2 PSUs
VILLAGES = ["73.10.01.1001", "73.10.01.2002", "73.10.04.1001", "73.10.04.1002",
            "73.10.07.1001", "73.10.07.1002"]


def _zone(codes: list[str]) -> list[str]:
    ref = reference.villages().set_index("kemendagri_code")["zone"]
    return [ref[c] for c in codes]


def _pmt(n: int, rng: np.random.Generator) -> dict[str, object]:
    cols: dict[str, object] = {}
    size = rng.integers(2, 7, n)
    for c in PMT_COLUMNS:
        if c.name == "hh_size":
            cols[c.name] = size
        elif c.name == "n_children":
            cols[c.name] = np.minimum(rng.integers(0, 3, n), size - 1)
        elif c.name == "n_elderly":
            cols[c.name] = np.zeros(n, dtype=int)
        elif c.allowed:
            cols[c.name] = [c.allowed[i % len(c.allowed)] for i in range(n)]
        elif c.kind == "flag":
            cols[c.name] = rng.integers(0, 2, n)
        elif c.name == "head_age":
            cols[c.name] = rng.integers(20, 80, n)
        elif c.name == "head_educ":
            cols[c.name] = rng.integers(0, 13, n)
        else:  # floor_area_pc
            cols[c.name] = np.round(rng.uniform(4, 30, n), 2)
    return cols


def fake_nik(i: int, head: str = "7310") -> str:
    """An obviously fake 16-digit number (region 7310, serial i)."""
    return f"{head}{990000000000 + i:012d}"


def fake_name(i: int) -> str:
    return f"Zafira Fakename{i:03d}"


def make_registry_raw(n: int = 30, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    vill = [VILLAGES[i % len(VILLAGES)] for i in range(n)]
    df = pd.DataFrame({
        "no_kk": [fake_nik(i, "7310") for i in range(n)],
        "nik_head": [fake_nik(i, "7311") for i in range(n)],
        "name_head": [fake_name(i) for i in range(n)],
        "village_code": vill,
        "kec_code": [v[:8] for v in vill],
        "zone": _zone(vill),
        "desil": (np.arange(n) % 10) + 1,
        "pmt_score": np.round(rng.normal(13.4, 0.4, n), 4),
        **_pmt(n, rng),
        "receives_pkh": rng.integers(0, 2, n),
        "receives_bpnt": rng.integers(0, 2, n),
    })
    return df


def make_survey(per_village: int = 3, years: tuple[int, ...] = (2023, 2024, 2025),
                seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for y in years:
        vill = [v for v in VILLAGES for _ in range(per_village)]
        n = len(vill)
        frames.append(pd.DataFrame({
            "year": y,
            "hh_id": [f"H{j:04d}" for j in range(n)],
            "family_id": [f"F{j:016x}" if j % 3 else None for j in range(n)],
            "village_code": vill,
            "kec_code": [v[:8] for v in vill],
            "zone": _zone(vill),
            "stratum": [v[:8] for v in vill],
            "psu": vill,
            "weight": np.round(rng.uniform(20, 80, n), 3),
            "consumption_pc": np.round(rng.lognormal(13.45, 0.4, n)),
            "income": np.round(rng.lognormal(14.5, 0.6, n)),
            "employed": rng.integers(0, 2, n),
            "business": rng.integers(0, 2, n),
            "in_panel": int(y > years[0]),
            **_pmt(n, rng),
            "desil": pd.array([(j % 10) + 1 if j % 3 else None for j in range(n)],
                              dtype="Int64"),
            "treated_village": int(y >= 2024),
            "eligible": rng.integers(0, 2, n),
            "participates": 0,
        }))
    return pd.concat(frames, ignore_index=True)


def make_participation(n: int = 12) -> pd.DataFrame:
    partners = [("bank_sulselbar", "credit"), ("semen_tonasa", "csr_sme"), ("bpvp", "training"),
                ("unhas", "facilitation"), ("ykpm", "women_groups")]
    pc = [partners[i % len(partners)] for i in range(n)]
    return pd.DataFrame({
        "record_id": [f"R{i:04d}" for i in range(n)],
        "family_id": [f"F{i:016x}" for i in range(n)],
        "village_code": [VILLAGES[i % len(VILLAGES)] for i in range(n)],
        "partner": [p for p, _ in pc],
        "component": [c for _, c in pc],
        "unit": "household",
        "start_date": [f"2024-0{1 + i % 9}-15" for i in range(n)],
        "amount_rp": [1_000_000.0 * (1 + i % 5) for i in range(n)],
    })


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def registry_raw() -> pd.DataFrame:
    return make_registry_raw()


@pytest.fixture
def survey() -> pd.DataFrame:
    return make_survey()


@pytest.fixture
def participation() -> pd.DataFrame:
    return make_participation()
