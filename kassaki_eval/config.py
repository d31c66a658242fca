"""Paths and settings, from one place. Never read the current directory.

Environment variables override the defaults:

- ``KASSAKI_REFERENCE_DIR``: district reference data (default ``<repo>/data/reference``).
- ``KASSAKI_REPORTS_DIR``: where reports go (default ``<repo>/reports``).
- ``KASSAKI_DISTRICT``: the district folder under the reference dir (default ``pangkep``).
- ``KASSAKI_PSEUDONYM_KEY``: secret key for the keyed hash that replaces NIK, family-card
  numbers and names on ingest. Required for real data; the synthetic world uses the public
  :data:`DEMO_PSEUDONYM_KEY`.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PACKAGE_DIR", "PROJECT_ROOT", "PSEUDONYM_KEY_ENV", "DEMO_PSEUDONYM_KEY",
           "reference_dir", "district", "district_dir", "reports_dir", "demo_dir"]

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

PSEUDONYM_KEY_ENV = "KASSAKI_PSEUDONYM_KEY"
#: Public key for synthetic data only. Real data must never be hashed with it.
DEMO_PSEUDONYM_KEY = "kassaki-demo-key-NOT-SECRET"


def reference_dir() -> Path:
    """Folder of the reference tables (``KASSAKI_REFERENCE_DIR``, default data/reference)."""
    return Path(os.environ.get("KASSAKI_REFERENCE_DIR", PROJECT_ROOT / "data" / "reference"))


def district() -> str:
    """District whose reference tables are used (``KASSAKI_DISTRICT``, default pangkep)."""
    return os.environ.get("KASSAKI_DISTRICT", "pangkep")


def district_dir(name: str | None = None) -> Path:
    """Reference folder of one district, e.g. ``data/reference/pangkep``."""
    return reference_dir() / (name or district())


def reports_dir() -> Path:
    """Folder reports are written to (``KASSAKI_REPORTS_DIR``, default reports/)."""
    return Path(os.environ.get("KASSAKI_REPORTS_DIR", PROJECT_ROOT / "reports"))


def demo_dir() -> Path:
    """Folder of the demo data (``KASSAKI_DEMO_DIR``, default data/demo)."""
    return Path(os.environ.get("KASSAKI_DEMO_DIR", PROJECT_ROOT / "data" / "demo"))
