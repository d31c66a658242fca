"""Checks across tables, run after every table passed its own contract and before any analysis.

- **Linkage**: the survey's and the participation records' ``family_id`` must be found in the
  registry. ids made with a different pseudonymisation key link to nothing, yet each table is
  valid on its own; so at least :data:`MIN_LINKAGE` (90 %) of the non-missing ids of each
  table must link, else an error gives the counts. (In the synthetic world 100 % link; a real
  survey's households outside the registry carry a missing ``family_id``, not a foreign one.)
- **Report year**: the survey must hold a wave for the report year (checked before any
  notebook starts).
- **Roll-out coverage**: every village with programme records appears in the roll-out.

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.data.checks import linkage_rate
>>> linkage_rate(pd.Series(["Fa", "Fb", None]), pd.Series(["Fa"]))
(1, 2)
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import Problem, SchemaError

__all__ = ["MIN_LINKAGE", "linkage_rate", "cross_table_problems", "check_tables"]

#: Smallest share of non-missing ``family_id`` values of the survey / participation records
#: that must be found in the registry.
MIN_LINKAGE = 0.90

_KEY_FIX = ("the ids were probably pseudonymised with a different key than the registry "
            "(KASSAKI_PSEUDONYM_KEY must be the same for every table and every year), or come "
            "from another registry edition: ingest every table again with the same key")


def linkage_rate(ids: pd.Series, registry_ids: pd.Series) -> tuple[int, int]:
    """(linked, non-missing) counts of ``ids`` found in ``registry_ids``."""
    present = ids.dropna().astype(str)
    known = registry_ids.dropna().astype(str).unique()
    # Arrow's is_in: pandas' isin on (Arrow-backed) text builds one Python object per
    # registry id, seconds for a district's registry
    linked = pc.is_in(pa.array(present.to_numpy(dtype=object), type=pa.string()),
                      value_set=pa.array(np.asarray(known, dtype=object), type=pa.string()))
    return int(pc.sum(linked).as_py() or 0), int(len(present))


def cross_table_problems(tables: Mapping[str, pd.DataFrame], year: int | None = None,
                         min_linkage: float = MIN_LINKAGE) -> list[Problem]:
    """Every cross-table problem of the validated analysis tables (empty when none)."""
    out: list[Problem] = []
    reg = tables.get("registry")
    if reg is not None and "family_id" in reg.columns:
        for name in ("survey", "participation"):
            t = tables.get(name)
            if t is None or "family_id" not in t.columns:
                continue
            ids = t["family_id"]
            if name == "participation" and "unit" in t.columns:
                ids = ids[t["unit"] == "household"]
            linked, n = linkage_rate(ids, reg["family_id"])
            if n and linked < min_linkage * n:
                out.append(Problem(
                    name, "family_id",
                    f"links only {linked} of {n} family ids to the registry "
                    f"({linked / n:.1%}; at least {min_linkage:.0%} must link)", n - linked,
                    fix=_KEY_FIX))
    s = tables.get("survey")
    if year is not None and s is not None and "year" in s.columns:
        waves = sorted(int(y) for y in pd.unique(s["year"].dropna()))
        if int(year) not in waves:
            out.append(Problem(
                "survey", "year", f"has no wave for the report year {year} (waves: "
                f"{', '.join(map(str, waves)) or 'none'})", 0,
                fix=f"add the {year} survey file (one --survey per wave), or choose a report "
                    f"year that has a wave"))
    r, p = tables.get("rollout"), tables.get("participation")
    if r is not None and p is not None and "village_code" in r.columns \
            and "village_code" in p.columns:
        missing = ~p["village_code"].isin(set(r["village_code"]))
        if missing.any():
            ex = tuple(pd.unique(p.loc[missing, "village_code"].astype(str)))[:6]
            out.append(Problem(
                "participation", "village_code", "has villages that are not in the roll-out "
                "table", int(missing.sum()), ex,
                fix="every village with programme records needs its roll-out rows (first year "
                    "of each component, 0 = never); add them to the roll-out file"))
    return out


def check_tables(tables: Mapping[str, pd.DataFrame], year: int | None = None,
                 min_linkage: float = MIN_LINKAGE) -> None:
    """Raise :class:`SchemaError` listing every cross-table problem (see the module doc)."""
    probs = cross_table_problems(tables, year, min_linkage)
    if probs:
        raise SchemaError(probs, table="report inputs (across tables)")
