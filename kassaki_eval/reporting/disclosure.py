"""Statistical disclosure control for published report tables.

Three rules, applied to every table before it is displayed, exported or saved:

1. **Small cells (primary suppression).** A row whose estimate rests on fewer than ``k``
   households (default 10) is suppressed: its values become missing and a ``suppressed`` flag
   is set. Frequency tables may instead merge small groups into one "other" row
   (:func:`merge_small_groups`).
2. **Complementary (secondary) suppression.** A suppressed row whose partition total is
   published elsewhere (a kecamatan's households, population share, weighted count or PSUs
   against the zone and district totals; a group against its dimension's total) could be
   recovered by subtraction. So in every *partition* that has exactly one suppressed row, the
   row with the smallest count is suppressed too (ties: the first by key), and again until no
   partition has a single suppressed row. Partitions: kecamatan rows by zone (island /
   mainland, taken from the reference when the table has no ``zone`` column) and year; group
   rows (``dimension``/``group`` tables) by every other text column. The rule is deterministic,
   so two tables with the same counts per kecamatan (the survey sample and the poverty
   profile) suppress the same kecamatan.

   This is the one-dimensional case of the *hypercube method* for secondary cell suppression
   (Repsilber 1994; Giessing & Repsilber 2002, as implemented in tau-ARGUS and in R's
   sdcTable ``protectTable(method = "HITAS"/"SIMPLEHEURISTIC")``): each primary cell is
   protected by a second suppressed cell in every published marginal it enters. It protects
   against *exact* recovery by linear combination of the published numbers
   (``tests/reporting/test_disclosure_attack.py`` attacks every suppressed cell with a linear
   program over all published tables and totals and recovers none). What remains possible:
   the *sum* of the suppressed cells of a partition is published (total minus the rest), and
   an attacker who knows which cells fell below ``k`` can bound each of them more tightly
   (interval disclosure); the feasibility interval of a suppressed count is reported by the
   attack, not guaranteed to be wider than ``k``.
3. **No identifiers.** No pseudonymous id (``family_id``, ``hh_id``, ``record_id``) and no
   personal field (NIK, family-card number, name, birth date) may appear as a column, and no
   16-digit number (NIK/KK shape) may appear in a cell, as text, integer or whole float
   (:func:`check_publishable`).

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.reporting.disclosure import suppress_small_cells
>>> df = pd.DataFrame({"kec": ["a", "b"], "p0": [0.1, 0.2], "n_hh": [50, 4]})
>>> suppress_small_cells(df, count_col="n_hh", k=10)["p0"].tolist()
[0.1, nan]
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..exceptions import ReportError

__all__ = ["FORBIDDEN_COLUMNS", "UNIT_COLUMNS", "partitions", "complementary",
           "suppress_small_cells", "merge_small_groups", "check_publishable",
           "find_identifiers", "NIK_PATTERN", "FAMILY_ID_PATTERN"]

#: Columns that must never reach a published output.
FORBIDDEN_COLUMNS: frozenset[str] = frozenset({
    "family_id", "hh_id", "record_id", "nik", "nik_head", "no_kk", "kk", "name", "name_head",
    "nama", "nama_kepala", "birth_date", "tanggal_lahir", "address", "alamat", "phone",
})
#: A 16-digit run of digits: the shape of an NIK or a family-card number.
# (not inside a longer token, not the fraction of a decimal number, not part of a hex digest)
NIK_PATTERN = re.compile(r"(?<![\w.])\d{16}(?![\w.])")
#: The pseudonymous family id written on ingest (``kassaki_eval.data.contracts.FAMILY_ID_RE``).
FAMILY_ID_PATTERN = re.compile(r"\bF[0-9a-f]{16}\b")


#: Columns that name the unit of a row, and the label columns that go with them; the other
#: text columns of a table (and ``year``) define the partitions for complementary suppression.
UNIT_COLUMNS: dict[str, tuple[str, ...]] = {"kec_code": ("kecamatan", "kec_name"),
                                            "group": ()}


def partitions(table: pd.DataFrame) -> pd.Series | None:
    """Partition label of every row for complementary suppression (``None``: not partitioned).

    Kecamatan rows are partitioned by zone (from the reference villages when the table has no
    ``zone`` column) and, if present, year; ``group`` rows by every other text column
    (``dimension``, ``benchmark``, ``measure``…).
    """
    unit = next((u for u in UNIT_COLUMNS if u in table.columns), None)
    if unit is None:
        return None
    skip = {unit, "suppressed", *UNIT_COLUMNS[unit]}
    cols = [c for c in table.columns if c not in skip and not str(c).startswith("_")
            and (not pd.api.types.is_numeric_dtype(table[c]) or c == "year")
            and not pd.api.types.is_bool_dtype(table[c])]
    parts = table[cols].astype(str) if cols else pd.DataFrame(index=table.index)
    if unit == "kec_code" and "zone" not in table.columns:
        from .. import reference
        k = reference.kecamatan()
        zone = dict(zip(k["kec_kemendagri"].astype(str), k["zone"].astype(str), strict=False)) \
            if "zone" in k.columns else {}
        parts = parts.assign(zone=table[unit].astype(str).map(lambda c: zone.get(c, "?")))
    if parts.shape[1] == 0:
        return pd.Series("all", index=table.index)
    # "|" (and "\\") inside a value is escaped, so ("a|b", "c") and ("a", "b|c") stay two
    # partitions; a list, not DataFrame.agg, so that an empty table gives an empty Series
    rows = parts.astype(str).to_numpy().tolist()
    return pd.Series(["|".join(v.replace("\\", "\\\\").replace("|", "\\|") for v in r)
                      for r in rows], index=table.index)


def complementary(counts: np.ndarray, primary: np.ndarray, part: Sequence[str],
                  order: Sequence[str] | None = None) -> np.ndarray:
    """Rows to suppress: ``primary`` plus complementary rows (see the module docstring).

    Parameters
    ----------
    counts : array of float
        Count behind each row (the smallest unsuppressed count is sacrificed first).
    primary : array of bool
        Rows below the threshold.
    part : sequence of str
        Partition label of each row.
    order : sequence of str, optional
        Tie-break key of each row, compared as text (default: row position).

    Notes
    -----
    One pass over the partitions suffices: every row is in exactly one partition, so the
    row added to protect one partition never changes the count of suppressed rows in another.
    """
    sup = np.asarray(primary, dtype=bool).copy()
    labels = np.asarray(part, dtype=object)
    if order is None:  # zero-padded, so that text order is row order (row 2 before row 10)
        order = [f"{i:0{len(str(len(sup)))}d}" for i in range(len(sup))]
    key = np.asarray(order, dtype=object)
    c = np.nan_to_num(np.asarray(counts, dtype=float), nan=np.inf)
    for g in pd.unique(labels):
        idx = np.flatnonzero(labels == g)
        if len(idx) < 2 or int(sup[idx].sum()) != 1:
            continue
        free = [i for i in idx if not sup[i]]
        sup[min(free, key=lambda i: (c[i], str(key[i])))] = True
    return sup


def suppress_small_cells(table: pd.DataFrame, *, count_col: str, k: int,
                         value_cols: Sequence[str] | None = None,
                         suppress_count: bool = True,
                         complementary_suppression: bool = True) -> pd.DataFrame:
    """Blank the values of rows based on fewer than ``k`` households.

    Parameters
    ----------
    table : DataFrame
    count_col : str
        Unweighted number of households behind each row.
    k : int
        Threshold; rows with ``count < k`` are suppressed (rows with a missing count too).
    value_cols : sequence of str, optional
        Numeric columns to blank. Default: every numeric column except ``count_col``.
    suppress_count : bool
        Blank the count itself as well (a count of 3 is itself a disclosure).
    complementary_suppression : bool
        Also suppress complementary rows so that no suppressed row can be recovered from its
        partition total (see the module docstring). ``False`` only for tests of the attack.

    Returns
    -------
    DataFrame
        A copy with a boolean ``suppressed`` column appended.
    """
    if count_col not in table.columns:
        raise ReportError(f"disclosure control: table has no count column '{count_col}' "
                          f"(columns: {list(table.columns)}). Every published estimate needs "
                          f"the number of households behind it.")
    out = table.copy()
    n = pd.to_numeric(out[count_col], errors="coerce").to_numpy(dtype=float)
    small = ~(n >= k)  # NaN counts are suppressed too
    part = partitions(out) if complementary_suppression else None
    if part is not None and small.any():
        unit = next(u for u in UNIT_COLUMNS if u in out.columns)
        small = complementary(n, small, part.to_numpy(), out[unit].astype(str).to_numpy())
    if value_cols is None:
        value_cols = [c for c in out.columns
                      if c != count_col and pd.api.types.is_numeric_dtype(out[c])
                      and not pd.api.types.is_bool_dtype(out[c])
                      and not (c.endswith("year") or c in ("cohort", "decile"))]
    for c in value_cols:
        col = out[c].astype(float)
        out[c] = col.mask(small)
    if suppress_count:
        out[count_col] = pd.Series(n, index=out.index).mask(small)  # counts read as numbers
    out["suppressed"] = small
    return out


def merge_small_groups(table: pd.DataFrame, *, group_col: str, count_col: str, k: int,
                       sum_cols: Iterable[str], by: Sequence[str] = (),
                       other_label: str = "other") -> pd.DataFrame:
    """Merge groups with fewer than ``k`` households into one ``other_label`` row per ``by``.

    Only additive columns (``sum_cols``, which must include ``count_col``) survive; the merged
    row is itself suppressed if still below ``k``.
    """
    sum_cols = list(dict.fromkeys([count_col, *sum_cols]))
    t = table[[*by, group_col, *sum_cols]].copy()
    small = t[count_col].to_numpy(dtype=float) < k
    t[group_col] = t[group_col].astype(object).where(~small, other_label)
    merged = t.groupby([*by, group_col], sort=False, dropna=False)[sum_cols].sum().reset_index()
    return suppress_small_cells(merged, count_col=count_col, k=k,
                                value_cols=[c for c in sum_cols if c != count_col])


def find_identifiers(text: str, ids: Iterable[str] = ()) -> list[str]:
    """Identifiers found in ``text``: 16-digit numbers, and any of the given ``ids``."""
    hits = NIK_PATTERN.findall(text) + FAMILY_ID_PATTERN.findall(text)
    if not isinstance(ids, (set, frozenset)):
        ids = set(ids)
    if ids:
        # every token found is a text of 6 or more characters, so the intersection holds
        # only such ids (shorter ids and non-text values never match); a set is not copied:
        # the runner checks some 40 files against ~10^5 ids
        found = set(re.findall(r"[A-Za-z0-9_\-]{6,}", text))
        hits.extend(sorted(found.intersection(ids)))
    return hits


def check_publishable(table: pd.DataFrame, name: str) -> None:
    """Raise :class:`ReportError` if ``table`` carries an identifier column or NIK-like cell."""
    bad = sorted(c for c in table.columns if str(c).lower() in FORBIDDEN_COLUMNS)
    if bad:
        raise ReportError(f"table '{name}' would publish identifier column(s) {bad}. Fix: "
                          f"aggregate before publishing; ids never leave the analysis tables.")
    obj = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    for c in obj:
        vals = table[c].dropna().astype(str)
        n = int(vals.str.contains(NIK_PATTERN).sum() + vals.str.contains(FAMILY_ID_PATTERN).sum())
        if n:
            raise ReportError(f"table '{name}': column '{c}' holds {n} value(s) shaped like an "
                              f"NIK/family-card number or a family_id. Fix: drop the column.")
    # numeric columns: a whole number of 16 digits is an NIK in disguise, stored as an integer
    # or as a float (a spreadsheet's way; float64 still shows it to the last digit or two)
    for c in table.columns:
        col = table[c]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            continue
        v = np.abs(col.to_numpy(dtype=float, na_value=np.nan))
        big = int(((v >= 1e15) & (v < 1e16) & (v == np.floor(v))).sum())
        if big:
            raise ReportError(f"table '{name}': column '{c}' holds {big} 16-digit number(s) "
                              f"(the shape of an NIK or family-card number). Fix: drop the "
                              f"column or aggregate before publishing.")
