"""District reference data (``data/reference/<district>/``): facts, never code.

Every table carries a ``source`` column. Pangkep is the first district; another district is a
new folder with the same files. National facts (social-assistance benefits) live in
``data/reference/national/``.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd

from . import config
from .exceptions import ConfigError

__all__ = ["villages", "kecamatan", "poverty_series", "poverty_lines", "programme", "poverty_line",
           "social_assistance", "benefit_rp"]

_STR = {"kemendagri_code": str, "kec_kemendagri": str, "kec_bps": str, "bps_code_2018": str}


def _path(name: str, district: str | None) -> Path:
    p = config.district_dir(district) / name
    if not p.exists():
        raise ConfigError(
            f"reference file {p} is missing. Fix: set KASSAKI_REFERENCE_DIR to a folder holding "
            f"'<district>/{name}', or restore data/reference from the repository."
        )
    return p


@lru_cache(maxsize=16)
def _read(name: str, district: str | None) -> pd.DataFrame:
    return pd.read_csv(_path(name, district), dtype=_STR, keep_default_na=False, na_values=[""])


def villages(district: str | None = None) -> pd.DataFrame:
    """All villages with Kemendagri and BPS codes, type and zone (103 rows for Pangkep)."""
    return _read("villages.csv", district).copy()


def kecamatan(district: str | None = None) -> pd.DataFrame:
    """Kecamatan with both codes, zone, village counts and 2010 population share."""
    return _read("kecamatan.csv", district).copy()


def poverty_series(district: str | None = None) -> pd.DataFrame:
    """Published P0 (%) by year, with sources."""
    return _read("poverty_series.csv", district).copy()


def poverty_lines(district: str | None = None) -> pd.DataFrame:
    """Poverty lines (Rp per capita per month) by year, region and kind, with sources."""
    return _read("poverty_lines.csv", district).copy()


def poverty_line(year: int, kind: str = "total", district: str | None = None) -> float:
    """The district's line for ``year`` and ``kind`` (``total`` or ``extreme``).

    >>> poverty_line(2023)
    420000.0
    """
    d = config.district() if district is None else district
    return _poverty_line(int(year), kind, d)


@lru_cache(
    maxsize=256
)  # called per row by some callers (e.g. Series.map); the file never changes in a run
def _poverty_line(year: int, kind: str, d: str) -> float:
    lines = _read("poverty_lines.csv", d)
    district = d
    hit = lines[(lines["year"] == year) & (lines["kind"] == kind) & (lines["region"] == d)]
    if hit.empty:
        raise ConfigError(
            f"poverty_lines.csv has no '{kind}' line for {d} {year}. Fix: add a row "
            f"with its source to {config.district_dir(district) / 'poverty_lines.csv'}."
        )
    return float(hit["line_rp_pc_month"].iloc[0])


def programme(district: str | None = None) -> dict[str, Any]:
    """Programme facts (baseline, goal, partners) from ``programme.toml``."""
    with open(_path("programme.toml", district), "rb") as f:
        return tomllib.load(f)


@lru_cache(maxsize=4)
def _national(path: str) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def social_assistance() -> pd.DataFrame:
    """National social-assistance benefits (Rp per unit and period), with sources.

    From ``data/reference/national/social_assistance.csv`` (under ``KASSAKI_REFERENCE_DIR``).
    """
    p = config.reference_dir() / "national" / "social_assistance.csv"
    if not p.exists():
        raise ConfigError(f"reference file {p} is missing. Fix: set KASSAKI_REFERENCE_DIR to a "
                          f"folder holding 'national/social_assistance.csv', or restore "
                          f"data/reference from the repository.")
    return _national(str(p)).copy()


def benefit_rp(programme: str) -> float:
    """The benefit of a national programme (Rp per unit and period), e.g. ``"sembako"``.

    Example
    -------
    >>> benefit_rp("sembako")   # Rp per family (KPM) per month, Kemensos since 2020
    200000.0
    """
    t = social_assistance()
    row = t[t["programme"] == programme]
    if len(row) != 1:
        raise ConfigError(f"social_assistance.csv has {len(row)} rows for programme "
                          f"{programme!r} (expected 1; have {sorted(t['programme'])}). Fix: "
                          f"add one row with its source.")
    return float(row["benefit_rp"].iloc[0])
