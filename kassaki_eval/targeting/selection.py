"""Scoring the registry and selecting beneficiaries village by village.

- :func:`score_registry` -- predicted welfare, district-wide rank and desil 1-10.
- :func:`rank_scores` -- the deterministic tie rule used everywhere: ascending score, then
  ascending ``family_id`` (string order). Reordering the rows never changes a rank.
- :func:`select_quota` -- the poorest ``slots`` families per kecamatan or desa, for a number
  of slots or for a budget (``budget // transfer`` slots). Vectorised (one sort, no loop over
  groups or families); never exceeds a group's quota.
- :class:`Selection` -- the result: a beneficiary table carrying pseudonymous ``family_id``
  only, the quota table, and per-village lists.

Raw identifiers (``no_kk``, ``nik_head``, ``name_head``, and every other personal column of
:data:`kassaki_eval.data.contracts.PII_COLUMNS`, in any letter case: ``NIK``, ``Nama``) are
refused: pseudonymise first.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd

from ..data.contracts import pii_columns
from ..exceptions import (
    ParameterError,
    Problem,
    SchemaError,
    check_option,
    format_examples,
    require,
)
from ._common import dataset_path

if TYPE_CHECKING:
    from .scale import DatasetSelection

__all__ = [
    "RAW_ID_COLUMNS",
    "rank_scores",
    "assign_desil",
    "score_registry",
    "select_quota",
    "Selection",
    "quotas_for_groups",
]

#: Columns that must never reach a selection (they exist only in the raw registry).
RAW_ID_COLUMNS: tuple[str, ...] = ("no_kk", "nik_head", "name_head")


def raw_id_columns(columns: Any) -> list[str]:
    """The columns of ``columns`` that hold raw personal identifiers, in the table's order.

    :func:`kassaki_eval.data.contracts.pii_columns` (every :data:`RAW_ID_COLUMNS` name is one
    of them), compared case-blind (an office file's ``NIK`` is as personal as ``nik``), as text.
    """
    return [str(c) for c in pii_columns(columns)]


def _refuse_raw(df: pd.DataFrame, table: str) -> None:
    raw = raw_id_columns(df.columns)
    if raw:
        raise SchemaError(
            [
                Problem(
                    table,
                    ", ".join(raw),
                    "holds raw identifiers",
                    len(df),
                    (),
                    "ingest the registry with kassaki_eval.data (which replaces them by "
                    "the pseudonymous family_id) and pass the ingested table",
                )
            ]
        )


def _check_ids(ids: pd.Series, table: str, id_col: str) -> None:
    # works on the column itself (Arrow strings stay Arrow strings: no 1M-object conversion)
    na = ids.isna()
    if na.any():
        raise SchemaError([Problem(table, id_col, "has missing ids", int(na.sum()),
                                   tuple(np.flatnonzero(na.to_numpy())[:5].tolist()),
                                   "every family needs its pseudonymous id")])
    if not ids.is_unique:
        dup = ids.duplicated(keep=False)
        raise SchemaError([Problem(table, id_col, "has duplicated values", int(dup.sum()),
                                   tuple(pd.unique(ids[dup])[:5].tolist()), "ids must be unique")])


def rank_scores(score: Any, ids: Any) -> np.ndarray:
    """Order rows by ascending ``score``, ties broken by ascending ``ids``.

    Returns the 0-based district-wide rank of every row (0 = lowest predicted welfare).
    Row order never matters: the same (score, id) pairs get the same ranks.

    Examples
    --------
    >>> rank_scores([2.0, 1.0, 1.0], ["F3", "F9", "F1"])
    array([2, 1, 0])
    """
    s = np.asarray(score, dtype=float)
    ids = ids if isinstance(ids, pd.Series) else pd.Series(np.asarray(ids))
    if np.isnan(s).any():
        bad = np.flatnonzero(np.isnan(s))
        raise SchemaError(
            [
                Problem(
                    "registry",
                    "score",
                    "is missing",
                    int(bad.size),
                    tuple(ids.iloc[bad[:5]].tolist()),
                    "score every family before ranking",
                )
            ]
        )
    order = np.argsort(s, kind="stable")
    if len(s) > 1:
        ss = s[order]
        eq = ss[1:] == ss[:-1]
        if eq.any():
            tied = np.zeros(len(s), bool)
            tied[1:] |= eq
            tied[:-1] |= eq
            # tied rows occupy runs of positions in ``order``; re-sorting just those positions by
            # (score, id) orders every run by id and leaves the other rows in place
            sub = order[tied]
            idrank, _ = pd.factorize(ids.iloc[sub], sort=True)
            order[tied] = sub[np.lexsort((idrank, s[sub]))]
    rank = np.empty(len(s), dtype=np.int64)
    rank[order] = np.arange(len(s))
    return rank


def assign_desil(
    rank: np.ndarray, n: int | None = None, *, groups: Any = None, k: int = 10
) -> np.ndarray:
    """Decile (1..k) from a 0-based rank: the first tenth of families is desil 1.

    ``desil = floor(k * rank / n) + 1`` with ``n`` the number of families (per group when
    ``groups`` is given, in which case ``rank`` must be the within-group rank).

    Examples
    --------
    >>> assign_desil(np.arange(20)).tolist()[:4]
    [1, 1, 2, 2]
    """
    rank = np.asarray(rank, dtype=np.int64)
    if groups is None:
        n = len(rank) if n is None else n
        return (k * rank // max(n, 1) + 1).astype(np.int64)
    codes, _ = pd.factorize(np.asarray(groups), sort=True)
    sizes = np.bincount(codes)
    return (k * rank // sizes[codes] + 1).astype(np.int64)


def _within_group_rank(global_rank: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """0-based rank inside each group, following the district-wide order (one sort)."""
    n = len(global_rank)
    key = codes.astype(np.int64) * n + global_rank  # unique: group first, then rank
    order = np.argsort(key)
    sizes = np.bincount(codes, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    within = np.empty(n, dtype=np.int64)
    within[order] = np.arange(n) - np.repeat(starts, sizes)
    return within


@overload
def score_registry(
    registry: str | Path,
    model: Any,
    *,
    within: str | None = ...,
    id_col: str = ...,
    keep: tuple[str, ...] = ...,
    out: str | Path | None = ...,
    con: Any = ...,
) -> Path: ...


@overload
def score_registry(
    registry: pd.DataFrame,
    model: Any,
    *,
    within: str | None = ...,
    id_col: str = ...,
    keep: tuple[str, ...] = ...,
    out: str | Path | None = ...,
    con: Any = ...,
) -> pd.DataFrame: ...


def score_registry(
    registry: pd.DataFrame | str | Path,
    model: Any,
    *,
    within: str | None = None,
    id_col: str = "family_id",
    keep: tuple[str, ...] = ("village_code", "kec_code"),
    out: str | Path | None = None,
    con: Any = None,
) -> pd.DataFrame | Path:
    """Predict welfare for every family and rank them into desil 1-10.

    Parameters
    ----------
    registry : DataFrame, or str or Path of a Parquet dataset
        Ingested registry (``family_id``, location codes and the PMT covariates). A path (a
        Parquet file, or a folder of them with hive partitions) is scored out of core by
        :func:`~kassaki_eval.targeting.scale.score_dataset`: same scores, ranks and desil,
        written to ``out/scored.parquet``, whose path is returned.
    model : fitted PMT estimator (anything with ``predict``)
    within : str, optional
        Rank within this column (e.g. ``"district"`` when several districts are stacked);
        default one district-wide ranking.
    id_col : str
    keep : tuple of str
        Registry columns copied to the output (only columns that exist are kept).
    out : str or Path, optional
        Output folder; required when ``registry`` is a dataset path, unused for a DataFrame.
    con : DuckDB connection, optional
        For a dataset path (default :func:`~kassaki_eval.targeting.scale.connect`).

    Returns
    -------
    DataFrame or Path
        ``family_id``, the ``keep`` columns, ``score`` (predicted log per-capita consumption),
        ``rank`` (1 = poorest, ties by ``family_id``) and ``desil`` (1..10), in registry order;
        for a dataset path, the Parquet file holding the same columns, sorted by rank.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> class Model:  # any fitted PMT
    ...     def predict(self, X): return X["hh_size"].to_numpy() * -1.0
    >>> reg = pd.DataFrame({"family_id": ["F1", "F2", "F3"], "hh_size": [2, 5, 3]})
    >>> score_registry(reg, Model())[["family_id", "rank", "desil"]].to_dict("list")
    {'family_id': ['F1', 'F2', 'F3'], 'rank': [3, 1, 2], 'desil': [7, 1, 4]}
    """
    if not isinstance(registry, pd.DataFrame):
        from .scale import score_dataset

        return score_dataset(dataset_path(registry, "score_registry", "registry"), model,
                             out=out, within=within, id_col=id_col, keep=keep, con=con)
    _refuse_raw(registry, "registry")
    if id_col not in registry.columns:
        raise SchemaError(
            [
                Problem(
                    "registry",
                    id_col,
                    "is missing",
                    len(registry),
                    (),
                    "pass the ingested registry, which carries the pseudonymous id",
                )
            ]
        )
    ids = registry[id_col]
    _check_ids(ids, "registry", id_col)
    score = np.asarray(model.predict(registry), dtype=float)
    cols: dict[str, Any] = {id_col: ids}
    for c in keep:
        if c in registry.columns:
            cols[c] = registry[c]
    cols["score"] = score
    if within is None:
        r = rank_scores(score, ids)
        cols["rank"] = r + 1
        cols["desil"] = assign_desil(r)
    else:
        codes, uniq = pd.factorize(registry[within], sort=True)
        if (codes < 0).any():
            bad = np.flatnonzero(codes < 0)
            raise SchemaError([Problem("registry", within, "is missing", int(bad.size),
                                       tuple(ids.iloc[bad[:5]].tolist()),
                                       "every family needs its group code")])
        r = _within_group_rank(rank_scores(score, ids), codes, len(uniq))
        cols["rank"] = r + 1
        cols["desil"] = assign_desil(r, groups=codes)
    return pd.DataFrame(cols, index=registry.index)


@dataclass(frozen=True)
class Selection:
    """Beneficiaries chosen by :func:`select_quota`.

    Attributes
    ----------
    beneficiaries : DataFrame
        ``<by>, family_id, rank_in_group, score`` (and ``transfer`` when known), sorted by
        group then rank. No other identifier is carried.
    quotas : DataFrame
        ``<by>, families, slots, selected`` per group.
    selected : ndarray of bool
        Aligned with the rows of the scored table passed in.
    options : mapping
    """

    beneficiaries: pd.DataFrame
    quotas: pd.DataFrame
    selected: np.ndarray
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_selected(self) -> int:
        """Number of selected units."""
        return int(self.selected.sum())

    def contains(self, ids: Any, id_col: str = "family_id") -> np.ndarray:
        """Whether each of ``ids`` is a selected family (missing ids: ``False``).

        Links the selection to another table holding the pseudonymous id, e.g. the survey
        households linked to the registry: ``selection.contains(survey["family_id"])``.

        Examples
        --------
        >>> import pandas as pd
        >>> reg = pd.DataFrame({"family_id": ["F1", "F2", "F3"], "score": [3.0, 1.0, 2.0]})
        >>> select_quota(reg, by=None, slots=2).contains(["F2", None, "F1", "F3"]).tolist()
        [True, False, False, True]
        """
        chosen = self.beneficiaries[id_col]
        return pd.Series(np.asarray(ids, dtype=object)).isin(chosen).to_numpy(dtype=bool)

    def lists(self) -> dict[str, pd.DataFrame]:
        """One beneficiary list per group (village or kecamatan): ``family_id, rank_in_group``.

        The id column is the one the selection was made with (``id_col`` of
        :func:`select_quota`, default ``family_id``).
        """
        by = self.options.get("by") or "district"
        cols = [self.options.get("id_col", "family_id"), "rank_in_group"]
        b = self.beneficiaries
        if by not in b.columns:
            return {"district": b[cols].reset_index(drop=True)}
        return {str(k): g[cols].reset_index(drop=True)
                for k, g in b.groupby(by, sort=True)}


def _allocate(total: int, sizes: np.ndarray) -> np.ndarray:
    """Largest-remainder (Hamilton) split of ``total`` slots proportional to ``sizes``."""
    exact = total * sizes / sizes.sum()
    base = np.floor(exact).astype(np.int64)
    rest = total - int(base.sum())
    if rest:
        # ties in remainders go to the earlier group (groups are sorted by code): deterministic
        order = np.lexsort((np.arange(len(sizes)), -(exact - base)))
        base[order[:rest]] += 1
    return base


def quotas_for_groups(
    groups: np.ndarray,
    sizes: np.ndarray,
    *,
    n: int,
    by: str | None,
    slots: Any,
    budget: Any,
    transfer: float | None,
    allocation: str,
    rank_counts: Any,
    owner: str = "select_quota",
) -> np.ndarray:
    """Slots per group for :func:`select_quota`.

    Groups are the sorted labels ``groups`` with ``sizes`` families; shared by the in-memory
    and the out-of-core selection.

    ``rank_counts(total)`` returns, per group, how many of the district-wide ``total`` lowest
    ranks fall in it (the ``allocation="rank"`` split).
    """
    def _per_group(mapping: Any, name: str) -> np.ndarray:
        m = pd.Series(mapping)
        m.index = m.index.astype(str)
        unknown = sorted(set(m.index) - set(groups))
        if unknown:
            raise ParameterError(
                f"The '{name}' parameter of {owner} must name groups of '{by}' present in the "
                f"registry. Got {len(unknown)} unknown (e.g. {format_examples(unknown)}) instead."
            )
        # groups absent from the mapping get 0; a missing amount given for a group stays
        # missing, so the checks below refuse it instead of reading it as 0
        return m.reindex(groups, fill_value=0).to_numpy(dtype=float)

    if budget is not None:
        if transfer is None or not (np.isfinite(transfer) and transfer > 0):
            raise ParameterError(
                f"The 'transfer' parameter of {owner} must be a positive amount (Rp per "
                f"family) when budget is given. Got {transfer!r} instead."
            )
        if isinstance(budget, (int, float, np.integer, np.floating)):
            budget_total = float(budget)
            require(bool(np.isfinite(budget_total)) and budget_total >= 0, owner, "budget",
                    "a non-negative amount (Rp)", budget)
            total = int(budget_total // transfer)
            if total < 1:
                raise ParameterError(
                    f"The 'budget' parameter of {owner} must buy at least one transfer of "
                    f"Rp{transfer:,.0f}. Got Rp{budget_total:,.0f} instead."
                )
            if total > n:
                raise ParameterError(
                    f"The 'budget' parameter of {owner} must buy at most one transfer per "
                    f"registered family ({n:,} families). Got Rp{budget_total:,.0f}, which buys "
                    f"{total:,} transfers, instead."
                )
            if allocation == "size":
                quota = _allocate(total, sizes)
            else:
                quota = rank_counts(total)
        else:
            b = _per_group(budget, "budget")
            if np.any(b < 0) or not np.all(np.isfinite(b)):
                raise ParameterError(
                    f"The 'budget' parameter of {owner} must hold non-negative amounts. "
                    f"Got {int(np.sum(~(b >= 0)))} negative or missing amounts instead."
                )
            quota = np.floor(b / transfer).astype(np.int64)
            if quota.sum() < 1:
                raise ParameterError(
                    f"The 'budget' parameter of {owner} must buy at least one transfer of "
                    f"Rp{transfer:,.0f}. Got budgets totalling Rp{b.sum():,.0f} instead."
                )
    else:
        if isinstance(slots, (int, float, np.integer, np.floating)):
            if not isinstance(slots, (int, np.integer)) or slots < 0:
                raise ParameterError(
                    f"The 'slots' parameter of {owner} must be a non-negative integer or a "
                    f"mapping group -> integer. Got {slots!r} instead."
                )
            quota = np.full(len(groups), int(slots), dtype=np.int64)
        else:
            q = _per_group(slots, "slots")
            if np.any(q < 0) or np.any(q != np.floor(q)):
                raise ParameterError(
                    f"The 'slots' parameter of {owner} must hold non-negative integers. "
                    f"Got {int(np.sum((q < 0) | (q != np.floor(q))))} bad values instead."
                )
            quota = q.astype(np.int64)
    over = quota > sizes
    if over.any():
        k = np.flatnonzero(over)
        ex = ", ".join(f"{groups[i]}: {quota[i]} slots for {sizes[i]} families" for i in k[:5])
        raise ParameterError(
            f"The quota of {owner} must be at most the number of registered families in each "
            f"{by or 'district'}. Got {len(k)} group{'s' if len(k) != 1 else ''} over quota ({ex}"
            f"{', …' if len(k) > 5 else ''}) instead. "
            "Lower the quota or the budget for these groups."
        )
    return quota


@overload
def select_quota(
    scored: str | Path,
    *,
    by: str | None = ...,
    slots: int | Mapping[str, int] | pd.Series | None = ...,
    budget: float | Mapping[str, float] | pd.Series | None = ...,
    transfer: float | None = ...,
    allocation: Literal["size", "rank"] = ...,
    score: str = ...,
    id_col: str = ...,
    out: str | Path | None = ...,
    con: Any = ...,
) -> DatasetSelection: ...


@overload
def select_quota(
    scored: pd.DataFrame,
    *,
    by: str | None = ...,
    slots: int | Mapping[str, int] | pd.Series | None = ...,
    budget: float | Mapping[str, float] | pd.Series | None = ...,
    transfer: float | None = ...,
    allocation: Literal["size", "rank"] = ...,
    score: str = ...,
    id_col: str = ...,
    out: str | Path | None = ...,
    con: Any = ...,
) -> Selection: ...


def select_quota(
    scored: pd.DataFrame | str | Path,
    *,
    by: str | None = "village_code",
    slots: int | Mapping[str, int] | pd.Series | None = None,
    budget: float | Mapping[str, float] | pd.Series | None = None,
    transfer: float | None = None,
    allocation: Literal["size", "rank"] = "size",
    score: str = "score",
    id_col: str = "family_id",
    out: str | Path | None = None,
    con: Any = None,
) -> Selection | DatasetSelection:
    """Select the lowest-scored families, per group, up to a quota.

    Give either ``slots`` or ``budget`` with ``transfer``:

    - ``slots=int``: that many families in *every* group; ``slots={code: n}``: per group
      (groups absent from the mapping get 0).
    - ``budget={code: Rp}``: ``budget // transfer`` slots per group.
    - ``budget=Rp`` (a scalar total): ``budget // transfer`` slots in total, split across groups
      by ``allocation``: ``"size"`` proportional to the number of registered families
      (largest remainder), or ``"rank"`` as a district-wide ranking would fall.

    Within a group families are taken in the order of :func:`rank_scores` (ascending score,
    ties by ``family_id``), so the result does not depend on row order.

    ``scored`` may also be the path of a Parquet dataset (a file or a hive-partitioned folder,
    e.g. written by :func:`score_registry` on a path): the same rules then run out of core in
    DuckDB (:func:`~kassaki_eval.targeting.scale.select_quota_dataset`), the beneficiary list
    goes to ``out/beneficiaries.parquet`` and a
    :class:`~kassaki_eval.targeting.scale.DatasetSelection` is returned (``con``: an optional
    DuckDB connection).

    Raises
    ------
    ParameterError
        A budget that cannot buy one transfer; a quota larger than its group; a mapping that
        names unknown groups; both or neither of ``slots`` and ``budget``.

    Examples
    --------
    >>> import pandas as pd
    >>> reg = pd.DataFrame({"family_id": ["F1", "F2", "F3", "F4"],
    ...                     "village_code": ["A", "A", "B", "B"],
    ...                     "score": [12.1, 12.0, 13.0, 12.5]})
    >>> select_quota(reg, slots=1).beneficiaries["family_id"].tolist()
    ['F2', 'F4']
    """
    if not isinstance(scored, pd.DataFrame):
        from .scale import select_quota_dataset

        return select_quota_dataset(dataset_path(scored, "select_quota", "scored"), by=by,
                                    slots=slots, budget=budget, transfer=transfer,
                                    allocation=allocation, score=score, id_col=id_col, out=out,
                                    con=con)
    owner = "select_quota"
    check_option(owner, "allocation", allocation, ["size", "rank"])
    _refuse_raw(scored, "registry")
    for c in [id_col, score] + ([by] if by is not None else []):
        if c not in scored.columns:
            raise SchemaError(
                [
                    Problem(
                        "registry",
                        c,
                        "is missing",
                        len(scored),
                        (),
                        "score the registry first (score_registry) or name the column with "
                        f"{owner}(..., "
                        f"{'score' if c == score else 'by' if c == by else 'id_col'}=...)",
                    )
                ]
            )
    if (slots is None) == (budget is None):
        raise ParameterError(
            f"The 'slots' and 'budget' parameters of {owner} are exclusive: give exactly one. "
            f"Got slots={slots!r} and budget={budget!r} instead."
        )
    ids = scored[id_col]
    _check_ids(ids, "registry", id_col)
    n = len(scored)
    global_rank = rank_scores(scored[score].to_numpy(), ids)
    if by is None:
        codes = np.zeros(n, dtype=np.int64)
        groups = np.array(["district"], dtype=object)
    else:
        codes, uniq = pd.factorize(scored[by], sort=True)
        if (codes < 0).any():
            bad = np.flatnonzero(codes < 0)
            raise SchemaError(
                [
                    Problem(
                        "registry",
                        by,
                        "is missing",
                        int(bad.size),
                        tuple(ids.iloc[bad[:5]].tolist()),
                        "every family needs its group code",
                    )
                ]
            )
        groups = np.asarray(uniq.astype(str), dtype=object)
    sizes = np.bincount(codes, minlength=len(groups))

    quota = quotas_for_groups(
        groups,
        sizes,
        n=n,
        by=by,
        slots=slots,
        budget=budget,
        transfer=transfer,
        allocation=allocation,
        rank_counts=lambda total: np.bincount(
            codes[global_rank < total], minlength=len(groups)
        ).astype(np.int64),
        owner=owner,
    )
    within = _within_group_rank(global_rank, codes, len(groups)) if by is not None else global_rank
    selected = within < quota[codes]
    idx = np.flatnonzero(selected)
    # group first, then rank: the output order is independent of the input order
    idx = idx[np.lexsort((within[idx], codes[idx]))]
    ben: dict[str, Any] = {}
    if by is not None:
        ben[by] = scored[by].iloc[idx].astype(str).reset_index(drop=True)
    ben[id_col] = ids.iloc[idx].reset_index(drop=True)
    ben["rank_in_group"] = within[idx] + 1
    ben[score] = scored[score].to_numpy()[idx]
    if transfer is not None:
        ben["transfer"] = np.full(len(idx), float(transfer))
    counts = np.bincount(codes[selected], minlength=len(groups))
    quotas = pd.DataFrame(
        {by or "group": groups, "families": sizes, "slots": quota, "selected": counts}
    )
    opts = {"by": by, "id_col": id_col, "allocation": allocation, "transfer": transfer,
            "budget": budget if np.isscalar(budget) or budget is None else "per group",
            "slots": slots if np.isscalar(slots) or slots is None else "per group"}
    return Selection(pd.DataFrame(ben), quotas, selected, opts)
