"""Small synthetic survey/registry tables with the contract's columns (seeded, fast)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

SECTORS = ["agriculture", "fishery", "industry", "trade", "services", "none"]
ELEC = ["none", "pln_450", "pln_900", "pln_1300plus"]


def make_households(n: int, seed: int, n_kec: int = 4, villages_per_kec: int = 8) -> pd.DataFrame:
    """Households with PMT covariates and a log-linear consumption (R² about 0.5)."""
    rng = np.random.default_rng(seed)
    kec = rng.integers(0, n_kec, n)
    vil = kec * villages_per_kec + rng.integers(0, villages_per_kec, n)
    island = kec == 0
    hh_size = rng.integers(1, 9, n)
    n_children = rng.binomial(np.maximum(hh_size - 1, 0), 0.4)
    n_elderly = rng.binomial(1, 0.15, n)
    df = pd.DataFrame({
        "family_id": [f"F{i:07d}" for i in rng.permutation(n)],
        "kec_code": [f"73.10.{k + 1:02d}" for k in kec],
        "village_code": [f"73.10.{k + 1:02d}.{2001 + v:04d}" for k, v in zip(kec, vil)],
        "zone": np.where(island, "island", "mainland"),
        "hh_size": hh_size, "n_children": n_children, "n_elderly": n_elderly,
        "head_sex": np.where(rng.random(n) < 0.2, "F", "M"),
        "head_age": rng.integers(20, 80, n),
        "head_educ": rng.integers(0, 17, n),
        "head_sector": rng.choice(SECTORS, n),
        "floor_area_pc": rng.lognormal(2.5, 0.5, n),
        "electricity": rng.choice(ELEC, n, p=[0.05, 0.35, 0.4, 0.2]),
    })
    for c in ["roof_good", "wall_good", "floor_good", "toilet_own", "water_piped", "cooking_lpg",
              "house_owned", "land_farm", "land_pond", "livestock", "asset_motorcycle", "asset_fridge",
              "asset_tv", "asset_boat", "asset_car", "asset_gold"]:
        df[c] = rng.binomial(1, 0.5, n)
    elec_eff = pd.Series(ELEC).map({"none": -0.2, "pln_450": -0.1, "pln_900": 0.0, "pln_1300plus": 0.15})
    vil_eff = rng.normal(0, 0.1, n_kec * villages_per_kec)[vil]
    xb = (13.55 - 0.25 * np.log(hh_size) + 0.02 * df.head_educ + 0.15 * np.log(df.floor_area_pc) - 0.45
          + 0.1 * df.asset_motorcycle + 0.12 * df.asset_fridge + 0.08 * df.toilet_own + 0.1 * df.cooking_lpg
          + df.electricity.map(dict(zip(ELEC, elec_eff))).to_numpy() - 0.12 * island)
    df["consumption_pc"] = np.exp(xb + vil_eff + rng.normal(0, 0.3, n))
    df["stratum"] = df["kec_code"]
    df["psu"] = df["village_code"]
    df["weight"] = rng.uniform(5, 25, n)
    return df


@pytest.fixture(scope="module")
def toy_survey() -> pd.DataFrame:
    return make_households(3000, seed=11)


@pytest.fixture(scope="module")
def toy_registry() -> pd.DataFrame:
    return make_households(20000, seed=12).drop(columns=["consumption_pc", "stratum", "psu", "weight"])
