"""National targeting district by district, locally or on a ``dask.distributed`` cluster.

A national registry written as Parquet partitions ``.../district=<code>/part-*.parquet``
(:func:`kassaki_eval.synthetic.national.write_registry`, or an ingest partitioned by
district) is scored and quota-selected one district per task: each task reads only its
district, ranks it district-wide (as P3KE does), selects the poorest ``share`` of every
village and writes the beneficiary list next to the others. Memory per worker is one
district; the result does not depend on the executor (tests compare a two-worker
``LocalCluster`` with the in-memory path exactly).

Pointing it at a real cluster::

    from dask.distributed import Client
    client = Client("tcp://scheduler-host:8786")      # dask-scheduler / dask-worker, or a
    national_targeting("/shared/registry", model,     # dask-jobqueue / dask-kubernetes cluster
                       out="/shared/selection", client=client)

Workers need the same kassaki-eval version (``pip install -r requirements/core.lock``) and
access to both folders (a shared file system, or an object-store bucket mounted at the same
path everywhere, e.g. with s3fs: ``root`` and ``out`` are folder paths, and a URL such as
``s3://...`` is refused, since it would be read as a local folder named ``s3:``); the fitted
model is pickled to each worker once (``client.scatter``). The design diagnosis runs on the same
cluster through joblib's Dask backend (:mod:`kassaki_eval.diagnosis`).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, require
from .selection import score_registry, select_quota

__all__ = ["district_partitions", "run_tasks", "national_targeting", "NationalSelection"]


_FOLDER_NOT_URL = ("a folder path (a URL such as s3://... is not read: mount the bucket at the "
                   "same path on every machine, e.g. with s3fs, and pass that folder)")


def district_partitions(root: str | Path, key: str = "district") -> list[Path]:
    """The ``<key>=<code>`` folders under ``root`` (any depth), sorted by path."""
    # pathlib reads 's3://b/x' as the local folder 's3:/b/x' and the error said that folder
    # held no partitions: name the real cause
    require("://" not in str(root), "district_partitions", "root", _FOLDER_NOT_URL, str(root))
    r = Path(root)
    dirs = sorted(p for p in r.rglob(f"{key}=*") if p.is_dir())
    if not dirs:
        raise DataFileError(
            f"{r} holds no '{key}=<code>' partition folders. Fix: write the registry "
            f"partitioned by {key} (synthetic.national.write_registry does)."
        )
    return dirs


def run_tasks(fn: Callable[..., Any], items: Sequence[Any], *, client: Any = None, n_jobs: int = 1,
              **kwargs: Any) -> list[Any]:
    """``[fn(item, **kwargs) for item in items]`` on a Dask client, with joblib, or in a loop.

    Results come back in the order of ``items`` whatever the executor. ``kwargs`` must not
    use the names Dask's ``client.map`` reserves (``key``, ``workers``, ``retries``, ...).
    """
    if client is not None:
        shared = {
            k: client.scatter(v, broadcast=True)
            if not isinstance(v, (str, int, float, bool, type(None)))
            else v
            for k, v in kwargs.items()
        }
        futures = client.map(fn, list(items), pure=False, **shared)
        return client.gather(futures)
    if n_jobs != 1:
        from joblib import Parallel, delayed
        return list(Parallel(n_jobs=n_jobs)(delayed(fn)(it, **kwargs) for it in items))
    return [fn(it, **kwargs) for it in items]


def _district_code(part: Path, key: str) -> str:
    return part.name.split("=", 1)[1]


def _one_district(part: Path, *, model: Any, share: float, by: str, out: str, partition_key: str,
                  keep: tuple[str, ...]) -> dict[str, Any]:
    key = partition_key
    t0 = time.perf_counter()
    reg = pd.read_parquet(part)
    code = _district_code(part, key)
    scored = score_registry(reg, model, keep=keep)
    sizes = scored.groupby(by, sort=True).size()
    slots = np.floor(share * sizes).astype(np.int64)
    sel = select_quota(scored, by=by, slots=slots.to_dict())
    ben = sel.beneficiaries.assign(**{key: code})
    dest = Path(out) / f"{key}={code}"
    dest.mkdir(parents=True, exist_ok=True)
    ben.to_parquet(dest / "beneficiaries.parquet", index=False)
    q = sel.quotas.assign(**{key: code})
    return {"district": code, "families": len(reg), "selected": sel.n_selected, "quotas": q,
            "seconds": time.perf_counter() - t0}


@dataclass(frozen=True)
class NationalSelection:
    """Beneficiary lists written per district, and their quotas.

    Attributes
    ----------
    out : Path
        ``out/<key>=<code>/beneficiaries.parquet`` per district (``<by>, family_id,
        rank_in_group, score, <key>``).
    quotas : DataFrame
        ``<key>, <by>, families, slots, selected``.
    districts : DataFrame
        ``district, families, selected, seconds`` per task.
    """

    out: Path
    quotas: pd.DataFrame
    districts: pd.DataFrame

    def beneficiaries(self) -> pd.DataFrame:
        """All lists in memory (district order, then group and rank)."""
        files = sorted(self.out.rglob("beneficiaries.parquet"))
        return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def national_targeting(
    root: str | Path,
    model: Any,
    *,
    out: str | Path,
    share: float = 0.25,
    by: str = "village_code",
    key: str = "district",
    client: Any = None,
    n_jobs: int = 1,
    keep: Iterable[str] = ("village_code", "kec_code"),
) -> NationalSelection:
    """Score every district of a partitioned registry and select ``share`` of each village.

    Parameters
    ----------
    root : path
        Registry dataset partitioned by ``key`` (``.../district=<code>/*.parquet``).
    model : fitted PMT (anything with ``predict``)
    out : path
        Where the per-district beneficiary lists go.
    share : float
        Slots per village = ``floor(share * registered families)``.
    client : dask.distributed.Client, optional
        Run one task per district on this cluster; default joblib (``n_jobs``) or a loop.

    Returns
    -------
    NationalSelection
    """
    require(0 < share <= 1, "national_targeting", "share", "a share in (0, 1]", share)
    for name, path in (("root", root), ("out", out)):
        # pathlib reads 's3://b/x' as the local folder 's3:/b/x': the lists would be written
        # to this machine's disk (or the registry reported as empty) instead of the bucket
        require("://" not in str(path), "national_targeting", name, _FOLDER_NOT_URL,
                str(path))
    parts = district_partitions(root, key)
    Path(out).mkdir(parents=True, exist_ok=True)
    res = run_tasks(
        _one_district,
        parts,
        client=client,
        n_jobs=n_jobs,
        model=model,
        share=float(share),
        by=by,
        out=str(out),
        partition_key=key,
        keep=tuple(keep),
    )
    quotas = pd.concat([r["quotas"] for r in res], ignore_index=True)
    quotas = quotas[[key] + [c for c in quotas.columns if c != key]]
    districts = pd.DataFrame(
        [{k: r[k] for k in ("district", "families", "selected", "seconds")} for r in res]
    )
    return NationalSelection(Path(out), quotas, districts)
