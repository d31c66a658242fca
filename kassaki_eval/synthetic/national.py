"""A synthetic registry of many districts -- up to the national DTSEN scale -- in partitions.

:func:`national_plan` lays out synthetic districts (sizes, kota or kabupaten, province);
:func:`write_registry` generates them block by block with
:func:`~kassaki_eval.synthetic.world.generate_registry` and writes partitioned Parquet::

    out/registry/province=<pp>/district=<code>/part-<block>.parquet
    out/survey/province=<pp>/district=<code>/part-<block>.parquet   (the linked 2023 sample)

Each block holds at most ``max_block`` households, so memory depends on the block, never on
the total; blocks run in a loop, with joblib, or on a Dask cluster (``client=``).

Synthetic districts reuse the geography of a reference district (``pangkep`` for a
kabupaten, ``parepare`` for a kota, by default) with codes ``S<pp>.<dd>`` that no real
district has; sizes, the kota/kabupaten split and the province count are design choices
stated in :func:`national_plan` ([D] unless marked).
"""
from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ParameterError, require
from .params import WorldParams
from .world import generate_registry

__all__ = [
    "national_plan",
    "write_registry",
    "DTSEN_FAMILIES",
    "N_DISTRICTS",
    "N_KOTA",
    "N_PROVINCES",
]

#: ~95 million families in the national socio-economic registry (DTSEN) [U] (issue 15).
DTSEN_FAMILIES = 95_000_000
#: 514 kabupaten/kota [U], of which 98 kota [U] (Kemendagri, before the 2022 Papua split),
#: 38 provinces.
N_DISTRICTS, N_KOTA, N_PROVINCES = 514, 98, 38


def national_plan(
    families: int = DTSEN_FAMILIES,
    n_districts: int = N_DISTRICTS,
    *,
    n_kota: int = N_KOTA,
    n_provinces: int = N_PROVINCES,
    seed: int = 1,
    templates: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Synthetic districts: ``district, province, kind, template, families``.

    The sizes sum to ``families``.

    Sizes are log-normal (sd 0.8 [D]: Indonesian districts range from ~10k to over 1.5M
    families) and rounded by largest remainder; the first ``n_kota`` districts (in a seeded
    random order) are kota, using the ``templates["kota"]`` geography, the others
    ``templates["kabupaten"]``. Provinces get districts round-robin.
    """
    require(n_districts >= 1 and families >= 1000 * n_districts, "national_plan", "families",
            "at least 1,000 per district", families)
    tpl = {"kabupaten": "pangkep", "kota": "parepare", **dict(templates or {})}
    rng = np.random.default_rng(seed)
    w = rng.lognormal(0.0, 0.8, n_districts)
    exact = families * w / w.sum()
    size = np.floor(exact).astype(np.int64)
    rest = families - int(size.sum())
    size[np.argsort(-(exact - size), kind="stable")[:rest]] += 1
    kota = np.zeros(n_districts, bool)
    kota[rng.permutation(n_districts)[:n_kota]] = True
    prov = np.arange(n_districts) % n_provinces + 1
    within = pd.Series(prov).groupby(prov).cumcount().to_numpy() + 1
    return pd.DataFrame({
        "district": [f"S{p:02d}.{d:02d}" for p, d in zip(prov, within, strict=False)],
        "province": [f"S{p:02d}" for p in prov],
        "kind": np.where(kota, "kota", "kabupaten"),
        "template": np.where(kota, tpl["kota"], tpl["kabupaten"]),
        "families": size,
    })


def _write_block(
    task: Mapping[str, Any], *, out: str, seed: int, survey_fraction: float
) -> dict[str, Any]:
    t0 = time.perf_counter()
    p = WorldParams.from_toml(district=task["template"])
    scale = task["households"] / p.n_households
    b = generate_registry(seed=int(task["seed"]), scale=scale, params=p, district=task["template"],
                          block=int(task["block"]), survey_fraction=survey_fraction,
                          id_prefix=task["district"], fast_ids=True)
    code = task["district"]
    for df in (b.registry, b.survey):  # "73.10.01.2001" -> "S12.03.01.2001"
        for c in ("village_code", "kec_code", "stratum", "psu"):
            if c in df.columns:
                df[c] = code + df[c].astype(str).str[5:]
    rows = {}
    for name, df in (("registry", b.registry), ("survey", b.survey)):
        d = Path(out) / name / f"province={task['province']}" / f"district={code}"
        d.mkdir(parents=True, exist_ok=True)
        df.to_parquet(d / f"part-{int(task['block']):04d}.parquet", index=False)
        rows[name] = len(df)
    return {"district": code, "block": int(task["block"]), "households": b.households,
            "registry_rows": rows["registry"], "survey_rows": rows["survey"],
            "poverty_line": b.poverty_line, "seconds": time.perf_counter() - t0}


def write_registry(out: str | Path, plan: pd.DataFrame | None = None, *, seed: int = 2024,
                   max_block: int = 500_000, survey_fraction: float = 0.002, client: Any = None,
                   n_jobs: int = 1, limit_blocks: int | None = None) -> pd.DataFrame:
    """Generate and write the registry of every district of ``plan`` (default: the national plan).

    Parameters
    ----------
    out : path
        Output folder (``registry/`` and ``survey/`` partitioned by province and district).
    plan : DataFrame, optional
        :func:`national_plan` output (or a subset of its rows). ``families`` are households.
    seed : int
        District ``i``'s seed is derived from ``(seed, i)``; block ``b`` of a district uses the
        block seed of :func:`generate_registry`.
    max_block : int
        Households per block (memory ~1 KB per household while a block is generated).
    survey_fraction : float
        Share of households in the linked survey sample.
    client : dask.distributed.Client, optional
        Run the blocks on this cluster; else joblib with ``n_jobs`` (1: a loop).
    limit_blocks : int, optional
        Write only the first blocks (a measured fraction of a large run).

    Returns
    -------
    DataFrame
        One row per block written: households, rows, seconds. Also saved as
        ``out/blocks.json``.
    """
    plan = national_plan() if plan is None else plan
    if max_block < 1000:
        raise ParameterError(
            f"The 'max_block' parameter of write_registry must be at least 1,000 households. "
            f"Got {max_block!r} instead."
        )
    tasks = []
    for i, r in enumerate(plan.itertuples(index=False)):
        k = int(np.ceil(r.families / max_block))
        sizes = np.full(k, r.families // k)
        sizes[: r.families - int(sizes.sum())] += 1
        dseed = int(np.random.SeedSequence([int(seed), i]).generate_state(1)[0])
        for b, n in enumerate(sizes):
            tasks.append({"district": r.district, "province": r.province, "template": r.template,
                          "households": int(n), "block": b, "seed": dseed})
    if limit_blocks is not None:
        tasks = tasks[: int(limit_blocks)]
    kw: dict[str, Any] = {"out": str(out), "seed": int(seed),
                          "survey_fraction": float(survey_fraction)}
    if client is not None:
        res = client.gather(client.map(_write_block, tasks, pure=False, **kw))
    elif n_jobs != 1:
        from joblib import Parallel, delayed
        res = list(Parallel(n_jobs=n_jobs)(delayed(_write_block)(t, **kw) for t in tasks))
    else:
        res = [_write_block(t, **kw) for t in tasks]
    blocks = pd.DataFrame(res)
    Path(out).mkdir(parents=True, exist_ok=True)
    (Path(out) / "blocks.json").write_text(json.dumps(res, indent=1, default=float))
    return blocks
