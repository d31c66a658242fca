"""Registry-scale targeting out of core, on DuckDB: a pandas frame or a Parquet dataset in.

The same functions take a pandas ``DataFrame`` (they then call the in-memory functions of
:mod:`kassaki_eval.targeting`) or the path of a Parquet dataset -- one file, or a folder of
files with hive partitions such as ``province=73/district=73.10/part-0.parquet`` -- which
DuckDB streams with bounded memory (sorts and joins spill to a temporary folder):

- :func:`ingest_registry` -- streaming CSV / .xlsx -> Parquet parts with the contract's typed
  columns; each chunk is validated and pseudonymised exactly like
  :func:`kassaki_eval.data.load_registry`; duplicate ``family_id`` across chunks are found
  with one DuckDB aggregate.
- :func:`score_dataset` -- PMT predictions batch by batch, then the district-wide (or
  per-``within``) rank and desil by a DuckDB window (ties by ``family_id``, as
  :func:`~kassaki_eval.targeting.rank_scores`).
- :func:`select_quota_dataset` -- the poorest ``slots`` per village/kecamatan/district (the
  quota rules of :func:`~kassaki_eval.targeting.select_quota`, shared code), written as a
  Parquet beneficiary list.
- :func:`linked_accuracy` -- targeting accuracy against a survey linked by ``family_id``: the
  join runs in DuckDB, then only the survey rows (a sample) go to
  :func:`~kassaki_eval.targeting.targeting_accuracy`.
- :func:`registry_profile_table` -- families, desil 1-4 share and covariate means per group.

Results equal the in-memory path's: the same selections and the same rates to 1e-12
(``tests/targeting/test_scale.py``; the 1M-row check is marked slow).

Engine: DuckDB (pinned in requirements/core.lock); ``memory_limit`` and ``threads`` bound the
machine share (:func:`connect`). Dask spreads districts over workers
(:mod:`kassaki_eval.targeting.distributed`).
"""
from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeAlias

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, ParameterError, Problem, SchemaError, check_option
from ..results import EstimateResult
from .metrics import targeting_accuracy
from .selection import (
    Selection,
    quotas_for_groups,
    raw_id_columns,
    score_registry,
    select_quota,
)

__all__ = [
    "connect",
    "dataset_sql",
    "ingest_registry",
    "IngestResult",
    "score_dataset",
    "select_quota_dataset",
    "DatasetSelection",
    "linked_accuracy",
    "registry_profile_table",
    "PROFILE_COLUMNS",
]

Source: TypeAlias = pd.DataFrame | str | Path

#: Registry columns summarised by :func:`registry_profile_table` (means per group).
PROFILE_COLUMNS: tuple[str, ...] = (
    "hh_size",
    "n_children",
    "n_elderly",
    "head_age",
    "head_educ",
    "floor_area_pc",
    "toilet_own",
    "water_piped",
    "asset_motorcycle",
)


# -- engine ------------------------------------------------------------------------------------

def connect(memory_limit: str | None = "4GB", threads: int | None = None,
            temp_directory: str | Path | None = None) -> Any:
    """A DuckDB connection with bounded memory (sorts/joins spill to ``temp_directory``).

    ``preserve_insertion_order`` is off (row order never carries meaning here: every output is
    sorted explicitly), which lets DuckDB stream large scans.
    """
    import duckdb

    con = duckdb.connect()
    if memory_limit:
        con.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET preserve_insertion_order = false")
    tmp = Path(temp_directory) if temp_directory else Path(tempfile.gettempdir()) / "kassaki_duckdb"
    con.execute(f"SET temp_directory = '{tmp.as_posix()}'")
    return con


def _files(path: str | Path) -> list[Path]:
    p = Path(path)
    if p.is_file():
        return [p]
    if p.is_dir():
        files = sorted(p.rglob("*.parquet"))
        if files:
            return files
    raise DataFileError(f"{p} holds no Parquet file. Fix: pass a .parquet file or a folder of them "
                        f"(e.g. written by ingest_registry or synthetic.national.write_registry).")


def dataset_sql(path: str | Path) -> str:
    """The DuckDB table expression reading a Parquet file or a (hive-partitioned) folder."""
    p = Path(path)
    _files(p)
    if p.is_file():
        return f"read_parquet('{p.as_posix()}')"
    return (f"read_parquet('{p.as_posix()}/**/*.parquet', hive_partitioning = true, "
            "union_by_name = true)")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(con: Any, rel: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]


def _need(con: Any, rel: str, cols: Sequence[str], what: str) -> list[str]:
    have = _columns(con, rel)
    # every personal column, in any letter case (NIK, No_KK), as the in-memory path refuses
    # them: the problems below show ids, which must never be NIK or KK numbers
    raw = raw_id_columns(have)
    if raw:
        raise SchemaError(
            [
                Problem(
                    "registry",
                    ", ".join(raw),
                    "holds raw identifiers",
                    0,
                    (),
                    "ingest the registry with ingest_registry (pseudonymises it) first",
                )
            ]
        )
    missing = [c for c in cols if c not in have]
    if missing:
        raise SchemaError([Problem("registry", ", ".join(missing), "is missing", 0, (),
                                   f"{what}; the dataset has {have[:12]}")])
    return have


# -- ingest --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IngestResult:
    """Where :func:`ingest_registry` wrote the registry and what it read."""

    path: Path
    rows: int
    parts: int
    source: Mapping[str, Any] = field(default_factory=dict)


def _csv_chunks(
    path: Path, chunk_rows: int, encoding: str | None
) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    from ..data.loaders import NA_VALUES

    enc = encoding or "utf-8"
    try:
        with open(path, encoding=enc, newline="") as f:
            head = f.readline()
    except UnicodeDecodeError as e:
        # the header line is decoded with the block read around it (8 KB): a wrong
        # encoding shows here first, and must give the same clear error as in the data
        raise DataFileError(
            f"{path.name} could not be read as {enc} text near row 1: "
            f"{type(e).__name__}. Fix: export it again (UTF-8, quoted text), or pass encoding=."
        ) from None
    delim = max([",", ";", "\t", "|"], key=head.count)
    names = next(csv.reader([head], delimiter=delim))
    names = [n.strip() for n in names]
    start = 2  # file row of the first data line (header is row 1)
    try:
        reader = pd.read_csv(path, sep=delim, dtype=str, keep_default_na=False, na_values=NA_VALUES,
                             skiprows=1, header=None, names=names, skip_blank_lines=False,
                             index_col=False, chunksize=chunk_rows, encoding=enc)
        for df in reader:
            rows = np.arange(len(df)) + start
            start += len(df)
            keep = df.notna().any(axis=1).to_numpy()
            yield df.loc[keep].reset_index(drop=True), rows[keep]
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise DataFileError(
            f"{path.name} could not be read as '{delim}'-separated {enc} CSV near row "
            f"{start}: {type(e).__name__}. Fix: export it again (UTF-8, quoted text), or "
            f"pass encoding=."
        ) from None


def _xlsx_chunks(path: Path, chunk_rows: int, sheet: str | int | None, header_row: int | None
                 ) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    """The sheet read once by the in-memory loader's reader, then handed out in chunks.

    The same reader as :func:`~kassaki_eval.data.load_registry` (calamine; header detection,
    missing-value codes, whole numbers without '.0'), so both routes see the same cell text.
    A sheet holds at most 1,048,576 rows, which bounds the memory of reading it whole
    (about 1.3 GB at that size); validation and writing stay per chunk.
    """
    from ..data.loaders import read_raw

    df, rows, _ = read_raw(path, table="registry", sheet=sheet, header_row=header_row)
    for start in range(0, len(df), chunk_rows):
        part = df.iloc[start:start + chunk_rows].reset_index(drop=True)
        yield part, np.asarray(rows[start:start + chunk_rows])


def ingest_registry(
    path: str | Path,
    out_dir: str | Path,
    *,
    key: str | None = None,
    demo: bool = False,
    chunk_rows: int = 200_000,
    partition_by: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    overwrite: bool = False,
) -> IngestResult:
    """Stream a registry file (CSV or .xlsx, raw or pseudonymised) into Parquet parts.

    Each chunk of ``chunk_rows`` rows is validated against the contract, pseudonymised (a raw
    extract: ``no_kk``/``nik_head``/``name_head`` -> ``family_id``) and validated again, with
    the same functions and dtypes as :func:`kassaki_eval.data.load_registry`; then written as
    ``out_dir/part-NNNNN.parquet`` (or ``out_dir/<partition_by>=<value>/part-NNNNN.parquet``).
    For a CSV, memory is bounded by the chunk and the header must be the first row (title
    rows above it: use :func:`~kassaki_eval.data.load_registry`, in memory). An .xlsx sheet
    is read whole by the in-memory loader's reader (the same cell text; title rows above
    the header need ``header_row`` as there; a sheet holds at most 1,048,576 rows) and
    validated and written per chunk.

    Raises
    ------
    SchemaError
        A chunk breaks the contract (rows numbered as in the file), or ``family_id`` repeats
        across chunks.
    DataFileError
        The file cannot be read, or ``out_dir`` holds Parquet files and ``overwrite`` is False.
    """
    from ..data.contracts import validate
    from ..data.loaders import sniff_format
    from ..data.pseudonymise import PII_COLUMNS, pseudonymise_registry, resolve_key

    src = Path(path)
    out = Path(out_dir)
    if out.exists() and any(out.rglob("*.parquet")):
        if not overwrite:
            raise DataFileError(
                f"{out} already holds Parquet files. Fix: choose an empty folder or pass "
                f"overwrite=True."
            )
        for f in out.rglob("*.parquet"):
            f.unlink()
    out.mkdir(parents=True, exist_ok=True)
    fmt = sniff_format(src)
    if fmt == "csv":
        if header_row not in (None, 1):
            raise ParameterError(
                f"The 'header_row' parameter of ingest_registry applies to .xlsx files (a CSV "
                f"is streamed from its first row). Got {header_row!r} for {src.name} instead. "
                f"Fix: delete the title rows above the header, or use load_registry(..., "
                f"header_row={header_row!r}) in memory."
            )
        chunks = _csv_chunks(src, chunk_rows, encoding)
    elif fmt == "xlsx":
        chunks = _xlsx_chunks(src, chunk_rows, sheet, header_row)
    else:
        raise DataFileError(
            f"{src.name} is {fmt}; ingest_registry streams CSV and .xlsx. Fix: a Parquet "
            f"file is already a dataset -- pass its path to the other functions."
        )
    n_rows = parts = 0
    k: str | None = None
    for i, (df, rows) in enumerate(chunks):
        if any(str(c).lower() in PII_COLUMNS for c in df.columns):
            k = k or resolve_key(key, demo=demo)
            clean = validate(df, "registry_raw", rows=rows, source=src.name)
            tab = validate(
                pseudonymise_registry(clean, key=k, demo=demo),
                "registry",
                rows=rows,
                source=src.name,
            )
        else:
            tab = validate(df, "registry", rows=rows, source=src.name)
        tab.attrs = {}
        if partition_by is None:
            tab.to_parquet(out / f"part-{i:05d}.parquet", index=False)
            parts += 1
        else:
            if partition_by not in tab.columns:
                raise ParameterError(
                    f"The 'partition_by' parameter of ingest_registry must name a registry "
                    f"column. Got {partition_by!r} instead."
                )
            for val, g in tab.groupby(partition_by, sort=True):
                d = out / f"{partition_by}={val}"
                d.mkdir(exist_ok=True)
                g.drop(columns=[partition_by]).to_parquet(d / f"part-{i:05d}.parquet", index=False)
                parts += 1
        n_rows += len(tab)
    con = connect(memory_limit="2GB", threads=1)
    dup = con.execute(f"SELECT family_id, count(*) AS n FROM {dataset_sql(out)} GROUP BY family_id "
                      f"HAVING count(*) > 1 ORDER BY family_id LIMIT 5").fetchall()
    if dup:
        # rows holding a repeated id, as the contracts count duplicates (not distinct ids)
        n_dup = con.execute(
            f"SELECT sum(n) FROM (SELECT count(*) AS n FROM {dataset_sql(out)} GROUP BY "
            f"family_id HAVING count(*) > 1)"
        ).fetchone()[0]
        raise SchemaError(
            [
                Problem(
                    "registry",
                    "family_id",
                    "has duplicated values across chunks",
                    int(n_dup),
                    tuple(r[0] for r in dup),
                    "ids must be unique: remove repeated families",
                )
            ]
        )
    return IngestResult(out, n_rows, parts, {"file": src.name, "format": fmt, "rows": n_rows})


# -- scoring --------------------------------------------------------------------------------------

def score_dataset(
    source: Source,
    model: Any,
    *,
    out: str | Path | None = None,
    within: str | None = None,
    id_col: str = "family_id",
    keep: Sequence[str] = ("village_code", "kec_code"),
    batch_rows: int = 500_000,
    con: Any = None,
) -> pd.DataFrame | Path:
    """Predicted welfare, rank and desil for every family.

    The out-of-core :func:`~kassaki_eval.targeting.score_registry`.

    A DataFrame in: the in-memory function, a DataFrame out. A dataset path in: the model
    predicts batch by batch (``batch_rows``), DuckDB ranks (``row_number()`` over ascending
    score, then ``family_id``; per ``within`` group when given) and writes
    ``out/scored.parquet`` (``family_id``, ``keep``, ``within``, ``score``, ``rank``,
    ``desil``), whose path is returned.
    """
    if isinstance(source, pd.DataFrame):
        return score_registry(source, model, within=within, id_col=id_col, keep=tuple(keep))
    if out is None:
        raise ParameterError(
            "The 'out' parameter of score_dataset must name a folder when the source is a "
            "dataset path. Got None instead."
        )
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    con = con or connect()
    rel = dataset_sql(source)
    have = _need(
        con,
        rel,
        [id_col] + ([within] if within else []),
        "score_dataset needs the id (and within) columns",
    )
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    kept = [c for c in keep if c in have and c != within]
    feats = [
        c for c in getattr(model, "features_", getattr(model, "feature_names_in_", [])) if c in have
    ]
    cols = list(
        dict.fromkeys([id_col] + kept + ([within] if within else []) + (feats or [c for c in have]))
    )
    _files(source)
    dataset = ds.dataset(
        str(source), format="parquet", partitioning="hive" if Path(source).is_dir() else None
    )
    tmp = outp / "_scores.parquet"
    writer = None
    # NaN scores are counted over every batch (not only the first bad one), with the ids of
    # the first five, as the in-memory path reports them (rank_scores)
    n_nan = 0
    nan_ids: list[Any] = []
    try:
        for batch in dataset.to_batches(columns=cols, batch_size=batch_rows):
            df = batch.to_pandas()
            sc = np.asarray(model.predict(df), dtype=float)
            bad = np.isnan(sc)
            if bad.any() or n_nan:
                n_nan += int(bad.sum())
                nan_ids += df[id_col].to_numpy()[bad][: 5 - len(nan_ids)].tolist()
                continue
            t = pa.table(
                {
                    **{c: batch.column(c) for c in [id_col] + kept + ([within] if within else [])},
                    "score": pa.array(sc),
                }
            )
            if writer is None:
                writer = pq.ParquetWriter(tmp, t.schema)
            writer.write_table(t)
    finally:
        if writer is not None:
            writer.close()
    if n_nan:
        tmp.unlink(missing_ok=True)
        raise SchemaError(
            [
                Problem(
                    "registry",
                    "score",
                    "is missing",
                    n_nan,
                    tuple(nan_ids),
                    "the model returned NaN: check the covariates",
                )
            ]
        )
    part = f"PARTITION BY {_q(within)} " if within else ""
    sel = ", ".join(_q(c) for c in [id_col] + kept + ([within] if within else []))
    target = outp / "scored.parquet"
    con.execute(f"""
        COPY (
          SELECT {sel}, score, rnk AS rank, (10 * (rnk - 1)) // n + 1 AS desil FROM (
            SELECT *, row_number() OVER ({part}ORDER BY score, {_q(id_col)}) AS rnk,
                   count(*) OVER ({part.strip()}) AS n
            FROM read_parquet('{tmp.as_posix()}'))
          ORDER BY {(_q(within) + ', ') if within else ''}rank
        ) TO '{target.as_posix()}' (FORMAT parquet)""")
    tmp.unlink()
    return target


# -- quota selection ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSelection:
    """An out-of-core :class:`~kassaki_eval.targeting.Selection`.

    Attributes
    ----------
    beneficiaries : Path
        Parquet file ``<by>, family_id, rank_in_group, score`` (and ``transfer``), sorted by
        group then rank, as :attr:`Selection.beneficiaries`.
    quotas : DataFrame
        ``<by>, families, slots, selected`` per group.
    n_selected : int
    options : mapping
    """

    beneficiaries: Path
    quotas: pd.DataFrame
    n_selected: int
    options: Mapping[str, Any] = field(default_factory=dict)

    def read(self) -> pd.DataFrame:
        """The beneficiary table in memory (only for lists that fit)."""
        return pd.read_parquet(self.beneficiaries)


def select_quota_dataset(
    source: Source,
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
    """The lowest-scored families per group up to a quota.

    The out-of-core :func:`~kassaki_eval.targeting.select_quota`.

    A DataFrame in: the in-memory function. A dataset path in: DuckDB counts the groups, the
    shared quota rules (:func:`~kassaki_eval.targeting.selection.quotas_for_groups`) give the
    slots, and a window ``row_number() OVER (PARTITION BY <by> ORDER BY score, family_id)``
    picks the families; the list goes to ``out/beneficiaries.parquet``.
    """
    if isinstance(source, pd.DataFrame):
        return select_quota(
            source,
            by=by,
            slots=slots,
            budget=budget,
            transfer=transfer,
            allocation=allocation,
            score=score,
            id_col=id_col,
        )
    owner = "select_quota"
    check_option(owner, "allocation", allocation, ["size", "rank"])
    if out is None:
        raise ParameterError(
            "The 'out' parameter of select_quota_dataset must name a folder when the source is "
            "a dataset path. Got None instead."
        )
    if (slots is None) == (budget is None):
        raise ParameterError(
            f"The 'slots' and 'budget' parameters of {owner} are exclusive: give exactly one. "
            f"Got slots={slots!r} and budget={budget!r} instead."
        )
    con = con or connect()
    rel = dataset_sql(source)
    _need(
        con, rel, [id_col, score] + ([by] if by else []), "score the registry first (score_dataset)"
    )
    # the counts and examples of the in-memory path (_check_ids, rank_scores): rows holding a
    # repeated id and the first five such ids; the ids of families without a score or a
    # group code (a missing id has no id to show, and a dataset's row order is not fixed)
    idq = _q(id_col)
    nulls = con.execute(
        f"SELECT count(*) FILTER (WHERE {idq} IS NULL), "
        f"(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {rel} WHERE {idq} IS NOT "
        f"NULL GROUP BY {idq} HAVING count(*) > 1)), "
        f"count(*) FILTER (WHERE {_q(score)} IS NULL OR isnan({_q(score)}))"
        + (f", count(*) FILTER (WHERE {_q(by)} IS NULL)" if by else ", 0")
        + f" FROM {rel}"
    ).fetchone()
    examples = (
        "",
        f"SELECT {idq} FROM {rel} WHERE {idq} IS NOT NULL GROUP BY {idq} HAVING count(*) > 1 "
        f"ORDER BY {idq} LIMIT 5",
        f"SELECT {idq} FROM {rel} WHERE {_q(score)} IS NULL OR isnan({_q(score)}) "
        f"ORDER BY {idq} LIMIT 5",
        f"SELECT {idq} FROM {rel} WHERE {_q(by)} IS NULL ORDER BY {idq} LIMIT 5" if by else "",
    )
    for cnt, col, rule, ex in zip(
        nulls,
        (id_col, id_col, score, by or ""),
        ("has missing ids", "has duplicated values", "is missing", "is missing"),
        examples,
        strict=True,
    ):
        if cnt:
            raise SchemaError(
                [
                    Problem(
                        "registry",
                        col,
                        rule,
                        int(cnt),
                        tuple(r[0] for r in con.execute(ex).fetchall()) if ex else (),
                        "fix the dataset (ids unique, every family scored and coded) and run again",
                    )
                ]
            )
    gexpr = f"CAST({_q(by)} AS VARCHAR)" if by else "'district'"
    # groups in the order of their codes' own type (1, 2, 10), as the in-memory path sorts
    # them: the order decides which group gets a slot when remainders tie (_allocate)
    gkey = _q(by) if by else "1"
    sizes_df = con.execute(
        f"SELECT {gexpr} AS g, count(*) AS n FROM {rel} GROUP BY {gkey} ORDER BY {gkey}"
    ).df()
    groups = sizes_df["g"].to_numpy(dtype=object)
    sizes = sizes_df["n"].to_numpy(dtype=np.int64)
    n = int(sizes.sum())

    def rank_counts(total: int) -> np.ndarray:
        got = con.execute(
            f"SELECT g, count(*) FROM (SELECT {gexpr} AS g, "
            f"row_number() OVER (ORDER BY {_q(score)}, "
            f"{_q(id_col)}) AS r FROM {rel}) WHERE r <= {int(total)} GROUP BY g"
        ).df()
        return got.set_index(got.columns[0]).iloc[:, 0].reindex(groups).fillna(0).to_numpy(np.int64)

    quota = quotas_for_groups(
        groups,
        sizes,
        n=n,
        by=by,
        slots=slots,
        budget=budget,
        transfer=transfer,
        allocation=allocation,
        rank_counts=rank_counts,
        owner=owner,
    )
    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True)
    qt = pd.DataFrame({"g": groups, "slots": quota, "o": np.arange(len(groups))})
    con.register("_kassaki_quota", qt)
    target = outp / "beneficiaries.parquet"
    tr = f", CAST({float(transfer)!r} AS DOUBLE) AS transfer" if transfer is not None else ""
    gcol = f"g AS {_q(by)}, " if by else ""
    con.execute(f"""
        COPY (
          SELECT {gcol}{_q(id_col)}, rk AS rank_in_group, {_q(score)}{tr} FROM (
            SELECT {gexpr} AS g, {_q(id_col)}, {_q(score)},
                   row_number() OVER (PARTITION BY {gexpr} ORDER BY {_q(score)}, {_q(id_col)}) AS rk
            FROM {rel}) s JOIN _kassaki_quota q USING (g)
          WHERE rk <= q.slots
          ORDER BY q.o, rk
        ) TO '{target.as_posix()}' (FORMAT parquet)""")
    con.unregister("_kassaki_quota")
    counts = con.execute(
        f"SELECT {_q(by) if by else repr('district')} AS g, count(*) FROM read_parquet("
        f"'{target.as_posix()}') GROUP BY 1"
    ).df()
    sel = (
        counts.set_index(counts.columns[0]).iloc[:, 0].reindex(groups).fillna(0).to_numpy(np.int64)
    )
    quotas = pd.DataFrame(
        {by or "group": groups, "families": sizes, "slots": quota, "selected": sel}
    )
    opts = {
        "by": by,
        "allocation": allocation,
        "transfer": transfer,
        "budget": budget if np.isscalar(budget) or budget is None else "per group",
        "slots": slots if np.isscalar(slots) or slots is None else "per group",
        "engine": "duckdb",
    }
    return DatasetSelection(target, quotas, int(sel.sum()), opts)


# -- accuracy against a linked survey -------------------------------------------------------------

def linked_accuracy(survey: Source, beneficiaries: Source | Selection | DatasetSelection, *,
                    id_col: str = "family_id", columns: Sequence[str] | None = None,
                    con: Any = None, **kwargs: Any) -> EstimateResult:
    """:func:`~kassaki_eval.targeting.targeting_accuracy` of a selection on a survey linked by id.

    ``selected`` = 1 for survey households whose ``family_id`` is on the beneficiary list
    (unregistered households, with an empty id, are never selected). The survey and the list
    may each be a DataFrame or a Parquet path (a :class:`DatasetSelection` too); the join runs
    in DuckDB, and only the survey rows (``columns``: default all) reach memory. ``kwargs``
    go to ``targeting_accuracy`` (``poverty_line``, ``design``, ``by``, ...).
    """
    if isinstance(beneficiaries, Selection):
        beneficiaries = beneficiaries.beneficiaries
    if isinstance(beneficiaries, DatasetSelection):
        beneficiaries = beneficiaries.beneficiaries
    if isinstance(survey, pd.DataFrame) and isinstance(beneficiaries, pd.DataFrame):
        ids = set(beneficiaries[id_col].dropna())
        s = survey if columns is None else survey[list(columns)]
        s = s.assign(selected=survey[id_col].isin(ids).astype(np.int64).to_numpy())
        return targeting_accuracy(s, selected="selected", **kwargs)
    con = con or connect()
    if isinstance(survey, pd.DataFrame):
        con.register(
            "_kassaki_survey", survey.reset_index(drop=True).assign(_row=np.arange(len(survey)))
        )
        srel = "_kassaki_survey"
    else:
        srel = f"(SELECT *, row_number() OVER () - 1 AS _row FROM {dataset_sql(survey)})"
    if isinstance(beneficiaries, pd.DataFrame):
        con.register("_kassaki_ben", beneficiaries[[id_col]])
        brel = "_kassaki_ben"
    else:
        brel = dataset_sql(beneficiaries)
    cols = (
        "s.*"
        if columns is None
        else ", ".join(f"s.{_q(c)}" for c in list(dict.fromkeys(list(columns) + ["_row"])))
    )
    s = con.execute(f"""
        SELECT {cols}, CASE WHEN b.{_q(id_col)} IS NULL THEN 0 ELSE 1 END AS selected
        FROM {srel} s LEFT JOIN (SELECT DISTINCT {_q(id_col)} FROM {brel}) b
          ON s.{_q(id_col)} = b.{_q(id_col)}
        ORDER BY s._row""").df().drop(columns=["_row"])
    for name in ("_kassaki_survey", "_kassaki_ben"):
        try:
            con.unregister(name)
        except Exception:  # noqa: BLE001 - not registered on this path
            pass
    return targeting_accuracy(s, selected="selected", **kwargs)


# -- registry profiles -------------------------------------------------------------------------


def registry_profile_table(
    source: Source,
    *,
    by: str | None = "village_code",
    desil: str = "desil",
    columns: Sequence[str] = PROFILE_COLUMNS,
    con: Any = None,
) -> pd.DataFrame:
    """Families, share in desil 1-4 and covariate means per group (or for the whole registry).

    Same table for a DataFrame (pandas) and a dataset path (DuckDB): ``<by>, families,
    desil_1to4_share, mean_<column>...``, sorted by group. Missing covariates are skipped in
    their mean. Families without a group code form a group of their own (a missing label,
    last), on both paths; they used to be dropped silently from the DataFrame path's table.
    """
    cols = list(columns)
    if isinstance(source, pd.DataFrame):
        df = source
        missing = [c for c in [desil] + cols + ([by] if by else []) if c not in df.columns]
        if missing:
            raise SchemaError(
                [
                    Problem(
                        "registry",
                        ", ".join(missing),
                        "is missing",
                        len(df),
                        (),
                        "pass an ingested registry with these columns or choose columns=",
                    )
                ]
            )
        key = df[by].astype(str) if by else pd.Series("district", index=df.index)
        g = df.assign(
            _g=key.to_numpy(), _d14=(pd.to_numeric(df[desil], errors="coerce") <= 4).astype(float)
        )
        grp = g.groupby("_g", sort=True, dropna=False)  # as DuckDB's GROUP BY: NULL a group
        out = pd.DataFrame({"families": grp.size(), "desil_1to4_share": grp["_d14"].mean()})
        for c in cols:
            out[f"mean_{c}"] = grp[c].mean()
        out.index.name = by or "group"
        return out.reset_index()
    con = con or connect()
    rel = dataset_sql(source)
    _need(
        con,
        rel,
        [desil] + cols + ([by] if by else []),
        "registry_profile_table needs these columns",
    )
    gexpr = f"CAST({_q(by)} AS VARCHAR)" if by else "'district'"
    means = ", ".join(f"avg({_q(c)}) AS {_q('mean_' + c)}" for c in cols)
    res = con.execute(f"""SELECT {gexpr} AS {_q(by or "group")}, count(*) AS families,
                                 avg(CASE WHEN {_q(desil)} <= 4 THEN 1.0 ELSE 0.0 END)
                                     AS desil_1to4_share
                                 {(", " + means) if means else ""}
                          FROM {rel} GROUP BY 1 ORDER BY 1""").df()
    res["families"] = res["families"].astype(np.int64)
    return res
