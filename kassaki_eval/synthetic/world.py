"""The synthetic Pangkep world: a district with known truth, 2023-2025.

:func:`generate_world` builds, from a seed, every table of docs/ARCHITECTURE.md (registry,
survey waves, participation records, roll-out, population) plus the ``truth`` the estimators
are checked against. All parameters come from :class:`~kassaki_eval.synthetic.params.WorldParams`
(``data/reference/pangkep/world.toml``).

How the world is built (all vectorised; the only Python loops run over kecamatan, villages,
years or components, never over households):

1. Households are spread over the 103 real villages: kecamatan counts from the 2010 population
   shares, village sizes random (gamma) within a kecamatan.
2. A latent welfare ``W = village development + household factor`` drives the PMT covariates
   (household size, head, housing, electricity, assets, land).
3. Log per-capita consumption 2023 = intercept + s * (covariates @ coefficients) + island shift
   + village effect + village-year shock + permanent residual (normal + right-tail exponential
   mixture) + transitory shock. ``s`` is solved so the in-sample PMT R^2 equals ``pmt_r2``;
   the intercept so the person-weighted P0 2023 equals ``poverty_rate_2023`` exactly.
4. 2024/2025 untreated consumption adds secular growth, new village-year and transitory shocks.
5. The registry ranks families with an older, noisier PMT (perturbed coefficients + noise whose
   size is solved so the exclusion error at a poverty-rate quota equals
   ``registry_exclusion_target``); desil thresholds put ``desil_1to4_share`` in desil 1-4.
6. Villages enter in cohorts 2024/2025/never by an index of observables (mean registry score,
   mainland, desa). Eligible (desil <= 4) households in treated villages take up one household
   component with a probability that depends on observables (and, if ``selection_unobs`` != 0,
   on the unobserved residual); ``csr_sme`` goes to the N lowest-score families of a village
   (a quota cut-off usable for RD). Effects differ by component and zone and grow with exposure.

Truth conventions: poverty rates are person-weighted (persons = ``hh_size``); ATTs are
household-weighted averages of Y(1) - Y(0) over participating households. Each participating
household takes up exactly one household component (so component ATTs do not overlap);
``facilitation`` (village unit) has no direct effect and works by raising take-up.

Simplifications to know about:

- Covariates (household size, head, housing, assets) are fixed over 2023-2025; only
  consumption, income, employment and business change.
- Outcome year ``t`` carries the effect of exposure through year ``t`` (exposure share
  ``exposure_2024`` in the first year, ``exposure_2025`` after). The survey waves are labelled
  as the March rounds of the contract, and the participation start dates fall after the
  27 June 2024 signing: read "year t" as the evaluation year, not the interview month.
- Survey design: strata = kecamatan; in each, ``survey_village_share`` of the villages (at
  least 2) drawn by simple random sampling and kept in every wave; households allocated to
  sampled villages in proportion to village size (at least ``survey_min_per_psu``) and drawn
  by SRS; weights = inverse inclusion probabilities, then scaled so each stratum's weights sum
  exactly to its household count. From 2024 a share ``panel_share x (1 - panel_attrition)`` of
  the previous wave is re-interviewed (``in_panel = 1``), the rest is fresh.
- Targeting errors (``truth['targeting']``) count households, poor = household consumption_pc
  2023 below the line. At a quota equal to the number of poor households, inclusion error
  (targeted non-poor / targeted) equals exclusion error (poor not targeted / poor) by
  construction. Alatas et al. (2012) report 18 % inclusion and 52 % exclusion with
  non-poor and poor denominators at a higher poverty share; with Pangkep's ~10 % household
  poverty both cannot hold at once, so the world matches the exclusion side: the registry's
  noise is solved for 60 % exclusion (an older, noisier PMT) while a fresh PMT with R^2 = 0.5
  gives ~53 % (Alatas: 52 %); ``inclusion_error_nonpoor`` gives Alatas' denominator (~6 %).

Example
-------
>>> from kassaki_eval.synthetic.world import generate_world
>>> w = generate_world(seed=1, scale=0.1)
>>> sorted(w.truth)[:3]
['att', 'calibration', 'cost']
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import config, reference
from ..exceptions import ParameterError, require
from .params import COMPONENTS, HOUSEHOLD_COMPONENTS, WorldParams

__all__ = ["World", "generate_world", "generate_registry", "RegistryBlock", "MAX_WORLD_HOUSEHOLDS",
           "pmt_features", "PMT_COVARIATES", "YEARS", "pseudonym"]

YEARS: tuple[int, ...] = (2023, 2024, 2025)
SECTORS: tuple[str, ...] = ("agriculture", "fishery", "industry", "trade", "services", "none")
ELECTRICITY: tuple[str, ...] = ("none", "pln_450", "pln_900", "pln_1300plus")
BINARY_COVARIATES: tuple[str, ...] = (
    "roof_good", "wall_good", "floor_good", "toilet_own", "water_piped", "cooking_lpg",
    "house_owned", "land_farm", "land_pond", "livestock", "asset_motorcycle", "asset_fridge",
    "asset_tv", "asset_boat", "asset_car", "asset_gold",
)
#: Registry / survey PMT covariates (ARCHITECTURE.md registry contract), in contract order.
PMT_COVARIATES: tuple[str, ...] = (
    "hh_size", "n_children", "n_elderly", "head_sex", "head_age", "head_educ", "head_sector",
    "floor_area_pc", "roof_good", "wall_good", "floor_good", "toilet_own", "water_piped",
    "electricity", "cooking_lpg", "house_owned", "land_farm", "land_pond", "livestock",
    "asset_motorcycle", "asset_fridge", "asset_tv", "asset_boat", "asset_car", "asset_gold",
)
PROGRAMME_FLAGS: tuple[str, ...] = ("receives_pkh", "receives_bpnt")

# Binary covariates: (intercept on the logit scale, slope on W, island shift). [D] design
# choices giving plausible shares (e.g. ~75 % motorcycles, boats common on the islands).
_BINARY_SPEC: dict[str, tuple[float, float, float]] = {
    "roof_good": (1.9, 0.9, -0.4),
    "wall_good": (0.5, 1.0, -0.6),
    "floor_good": (0.9, 1.0, -0.4),
    "toilet_own": (1.4, 1.0, -1.0),
    "water_piped": (-1.3, 0.8, -1.8),
    "cooking_lpg": (1.4, 0.9, -1.0),
    "house_owned": (1.8, 0.2, 0.5),
    "land_farm": (-0.9, 0.3, -2.0),
    "land_pond": (-2.0, 0.5, -1.5),
    "livestock": (-1.1, 0.2, -0.5),
    "asset_motorcycle": (1.2, 1.0, -1.2),
    "asset_fridge": (-0.3, 1.2, -0.8),
    "asset_tv": (1.8, 1.0, -0.6),
    "asset_boat": (-3.0, 0.3, 2.8),
    "asset_car": (-3.2, 1.2, -1.0),
    "asset_gold": (-0.9, 0.9, 0.0),
}

_FIRST_NAMES_M = ("Andi", "Baso", "Muh. Arif", "Syamsul", "Hasanuddin", "Daeng Nai", "Sulaiman",
                  "Mappa", "Karaeng Ali", "Ahmad", "Rahman", "Tajuddin")
_FIRST_NAMES_F = ("Besse", "Nurhayati", "St. Aisyah", "Sitti Rahma", "Hasnah", "Daeng Ngai",
                  "Nurbaya", "Sumarni")
_PARTNER_OF = {"credit": "bank_sulselbar", "csr_sme": "semen_tonasa", "training": "bpvp",
               "women_groups": "ykpm"}


# --------------------------------------------------------------------------- helpers
def pseudonym(values: pd.Series | np.ndarray | list[str], key: str = config.DEMO_PSEUDONYM_KEY,
              prefix: str = "F") -> np.ndarray:
    """Keyed hash id: ``prefix`` + first 16 hex chars of HMAC-SHA256(key, value).

    Delegates to :func:`kassaki_eval.data.pseudonymise.pseudonymise_id`, so the ids of the
    synthetic registry equal those the ingest path computes from ``registry_raw.csv``.

    >>> pseudonym(["9999000000000001"])[0][:1]
    'F'
    """
    from ..data.pseudonymise import pseudonymise_id

    return pseudonymise_id(pd.Series(list(values), dtype="object"), key, prefix=prefix)


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers summing to ``total`` proportional to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    q = total * w / w.sum()
    base = np.floor(q).astype(np.int64)
    rest = total - base.sum()
    if rest > 0:
        order = np.argsort(-(q - base), kind="stable")
        base[order[:rest]] += 1
    return base


def _rank_within(groups: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """0-based rank of ``keys`` inside each group (vectorised)."""
    order = np.lexsort((keys, groups))
    g = groups[order]
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    counts = np.diff(np.r_[start, len(g)])
    rank_sorted = np.arange(len(g)) - np.repeat(start, counts)
    rank = np.empty(len(g), dtype=np.int64)
    rank[order] = rank_sorted
    return rank


def _standardise_within(x: np.ndarray, group: np.ndarray, sd: float,
                        weights: np.ndarray | None = None) -> np.ndarray:
    """Centre ``x`` within each group and scale it to standard deviation ``sd`` exactly.

    Means and sd are weighted by ``weights``, e.g. village household counts.

    With only 103 villages, raw draws would move the village variance (hence the ICC) and the
    island gap by +/- 15 % from seed to seed; the parameters are meant as the realised values.
    """
    x = np.asarray(x, dtype=float).copy()
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    for gval in np.unique(group):
        m = group == gval
        x[m] -= np.average(x[m], weights=w[m])
    s = np.sqrt(np.average(x**2, weights=w))
    return x * (sd / s) if s > 0 else x


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    o = np.argsort(x, kind="stable")
    cw = np.cumsum(w[o])
    k = int(np.searchsorted(cw, q * cw[-1]))
    k = min(max(k, 1), len(x) - 1)
    return float(0.5 * (x[o][k - 1] + x[o][k]))


def _fgt(c: np.ndarray, z: float, w: np.ndarray) -> tuple[float, float, float]:
    g = np.clip(1 - c / z, 0, None)
    poor = c < z
    sw = w.sum()
    return (float((w * poor).sum() / sw), float((w * g * poor).sum() / sw),
            float((w * g**2 * poor).sum() / sw))


def pmt_features(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric PMT design (no intercept) from the registry/survey covariates.

    The columns are the names of ``[coefficients]`` in world.toml. Used by the generator (the
    true model is linear in these) and by tests; targeting code may use its own.

    >>> from kassaki_eval.synthetic.world import generate_world, pmt_features
    >>> pmt_features(generate_world(seed=1, scale=0.1).registry).shape[1]
    31
    """
    hs = df["hh_size"].to_numpy(dtype=float)
    out = {
        "log_hh_size": np.log(hs),
        "share_children": df["n_children"].to_numpy(dtype=float) / hs,
        "share_elderly": df["n_elderly"].to_numpy(dtype=float) / hs,
        "head_female": (df["head_sex"].to_numpy() == "F").astype(float),
        "head_age": df["head_age"].to_numpy(dtype=float),
        "head_educ": df["head_educ"].to_numpy(dtype=float),
    }
    sec = df["head_sector"].to_numpy()
    for s in SECTORS[:-1]:
        out[f"sector_{s}"] = (sec == s).astype(float)
    out["log_floor_area_pc"] = np.log(df["floor_area_pc"].to_numpy(dtype=float))
    for b in ("roof_good", "wall_good", "floor_good", "toilet_own", "water_piped"):
        out[b] = df[b].to_numpy(dtype=float)
    el = df["electricity"].to_numpy()
    for e in ELECTRICITY[1:]:
        out[f"elec_{e}"] = (el == e).astype(float)
    for b in ("cooking_lpg", "house_owned", "land_farm", "land_pond", "livestock",
              "asset_motorcycle", "asset_fridge", "asset_tv", "asset_boat", "asset_car",
              "asset_gold"):
        out[b] = df[b].to_numpy(dtype=float)
    return pd.DataFrame(out, index=df.index)


def _ols_fit(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fitted values of OLS of ``y`` on ``X`` plus an intercept.

    Normal equations on centred data: 30x faster than an SVD ``lstsq`` on 90k rows, and the
    centred cross-product of these ~30 covariates is well conditioned.
    """
    mx = X.mean(axis=0)
    Xc = X - mx
    yc = y - y.mean()
    try:
        beta = np.linalg.solve(Xc.T @ Xc, Xc.T @ yc)
    except np.linalg.LinAlgError:  # pragma: no cover - collinear custom coefficients table
        beta, *_ = np.linalg.lstsq(Xc, yc, rcond=None)
    return y.mean() + Xc @ beta


# --------------------------------------------------------------------------- the world
@dataclass
class World:
    """A generated synthetic district. See the module docstring and ARCHITECTURE.md.

    Attributes
    ----------
    params, seed, scale : the inputs.
    villages : reference villages plus generated village columns (n_households, cohort, ...).
    registry : post-ingest registry (``family_id``; no raw identifiers).
    registry_raw : the registry as a P3KE extract would arrive (``no_kk``, ``nik_head``,
        ``name_head``; no ``family_id``).
    survey : stacked survey waves 2023-2025.
    participation : programme records.
    rollout : village x component roll-out.
    population : every household x year, with potential outcomes.
    truth : dict of DataFrames (poverty, att, programme_effect, targeting, village_att,
        desil_thresholds, calibration).
    """

    params: WorldParams
    seed: int
    scale: float
    villages: pd.DataFrame
    registry: pd.DataFrame
    registry_raw: pd.DataFrame
    survey: pd.DataFrame
    participation: pd.DataFrame
    rollout: pd.DataFrame
    population: pd.DataFrame
    truth: dict[str, pd.DataFrame] = field(default_factory=dict)
    generation_seconds: float = 0.0

    def __repr__(self) -> str:  # the default would print every DataFrame
        """Short description: seed, scale and table sizes."""
        n_hh = int((self.population["year"] == YEARS[0]).sum())
        return (f"World(seed={self.seed}, scale={self.scale}, households={n_hh}, "
                f"registry={len(self.registry)}, survey={len(self.survey)} rows, "
                f"participation={len(self.participation)} records)")

    def write(self, out_dir: str | Path, *, population: bool = True) -> list[Path]:
        """Write raw-shaped inputs and truth files under ``out_dir``; return the paths.

        Files: ``registry_raw.csv`` (fake NIK/KK/names, as a P3KE extract), ``survey_<year>.csv``,
        ``participation.csv``, ``villages.csv``, ``truth/<name>.csv`` (and
        ``truth/population.csv`` unless ``population=False``). Formatting is deterministic:
        the same seed gives byte-identical files.
        """
        out = Path(out_dir)
        (out / "truth").mkdir(parents=True, exist_ok=True)
        written: list[Path] = []

        def put(df: pd.DataFrame, path: Path) -> None:
            df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
            written.append(path)

        put(self.registry_raw, out / "registry_raw.csv")
        for y in YEARS:
            put(self.survey[self.survey["year"] == y], out / f"survey_{y}.csv")
        put(self.participation, out / "participation.csv")
        put(self.villages, out / "villages.csv")
        put(self.rollout, out / "truth" / "rollout.csv")
        for name in sorted(self.truth):
            put(self.truth[name], out / "truth" / f"{name}.csv")
        if population:
            put(self.population, out / "truth" / "population.csv")
        return written


def generate_world(seed: int = 2024, scale: float = 1.0, params: WorldParams | None = None,
                   district: str | None = None, **overrides: Any) -> World:
    """Generate the synthetic Pangkep world.

    Parameters
    ----------
    seed : int
        Seed of every random draw (same seed, same world, same files).
    scale : float
        Multiplies household counts and the survey size (``0.1`` for fast tests).
    params : WorldParams, optional
        Defaults to :meth:`WorldParams.from_toml` of ``district``.
    district : str, optional
        Folder under ``data/reference/`` (villages, kecamatan, poverty lines, ``world.toml``);
        default ``KASSAKI_DISTRICT`` or ``pangkep``. See docs/DISTRICTS.md.
    **overrides
        Field overrides applied with ``params.replace(**overrides)``.

    Returns
    -------
    World

    Examples
    --------
    >>> w = generate_world(seed=3, scale=0.1, selection_unobs=1.0)
    >>> round(float(w.truth["programme_effect"]["p0_actual"].iloc[0]), 3)
    0.134
    """
    t0 = time.perf_counter()
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ParameterError(f"The 'seed' parameter of generate_world must be a non-negative int. "
                             f"Got {seed!r} instead.")
    p = params if params is not None else WorldParams.from_toml(district=district)
    if overrides:
        p = p.replace(**overrides)
    _check_scale("generate_world", scale, p, MAX_WORLD_HOUSEHOLDS,
                 "for a larger registry use kassaki_eval.synthetic.national.write_registry, which "
                 "generates it in partitions")
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(12)]
    g = _Gen(p, int(seed), float(scale), rngs, district)
    w = g.run()
    w.generation_seconds = time.perf_counter() - t0
    return w


#: Households of one in-memory world (generate_world) or one registry block (generate_registry):
#: about 1.5 GB for a whole world. Larger registries are written in partitions (write_registry).
MAX_WORLD_HOUSEHOLDS = 1_000_000


def _check_scale(
    owner: str,
    scale: Any,
    p: WorldParams,
    limit: int,
    fix: str,
    min_scale: float = 0.01,
    min_households: int = 0,
) -> None:
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.integer, np.floating)) \
            or not (float(scale) >= min_scale) or not np.isfinite(float(scale)):
        raise ParameterError(f"The 'scale' parameter of {owner} must be a number >= {min_scale}. "
                             f"Got {scale!r} instead.")
    n = int(round(p.n_households * float(scale)))
    if n < min_households:
        raise ParameterError(
            f"The 'scale' parameter of {owner} must give at least {min_households} "
            f"households. Got scale={scale!r}, i.e. {n} households, instead."
        )
    if n > limit:
        raise ParameterError(
            f"The 'scale' parameter of {owner} must keep one partition at most "
            f"{limit:,} households (memory). Got scale={scale!r}, i.e. {n:,} households, "
            f"instead; {fix}."
        )


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _fast_ids(n: int, key: str) -> np.ndarray:
    """``"F"`` + 16 hex digits of SplitMix64(hash(key) + row): vectorised synthetic ids."""
    import hashlib
    k = np.uint64(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little"))
    with np.errstate(over="ignore"):
        z = np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15) + k
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    shifts = np.arange(60, -1, -4, dtype=np.uint64)
    digits = _HEX[((z[:, None] >> shifts) & np.uint64(15)).astype(np.intp)]
    out = np.empty((n, 17), dtype=np.uint8)
    out[:, 0] = ord("F")
    out[:, 1:] = digits
    return out.view("S17").ravel().astype(str).astype(object)


@dataclass
class RegistryBlock:
    """One district (or one block of a large district) of a synthetic registry.

    Attributes
    ----------
    registry : DataFrame
        Exactly :attr:`World.registry` of ``generate_world`` with the same seed, district and
        scale (block 0): pseudonymous ``family_id``, codes, ``desil``, ``pmt_score``, covariates.
    survey : DataFrame
        A 2023 household sample linked to it (``family_id`` empty for unregistered
        households): ``consumption_pc``, ``hh_size``, ``head_sex``, ``zone``, codes,
        ``weight`` (households represented), ``stratum`` (kecamatan), ``psu`` (village).
    households, poverty_line : total households of the block and its 2023 line.
    """

    registry: pd.DataFrame
    survey: pd.DataFrame
    households: int
    poverty_line: float


def generate_registry(seed: int = 2024, scale: float = 1.0, params: WorldParams | None = None,
                      district: str | None = None, *, block: int = 0, survey_fraction: float = 0.02,
                      id_prefix: str | None = None, fast_ids: bool = False) -> RegistryBlock:
    """The registry of a synthetic district (no programme, outcomes or panel): fast and lean.

    Parameters
    ----------
    seed, scale, params, district
        As :func:`generate_world`; with ``block=0`` and no ``id_prefix`` the registry equals
        ``generate_world(seed, scale, params, district).registry`` row for row.
    block : int
        Block number when a large district is generated in several blocks (independent draws
        over the same villages, seed ``(seed, block)``; family ids carry the block).
    survey_fraction : float
        Share of households (registered or not) in the linked 2023 survey, drawn by simple
        random sampling within each village (strata = kecamatan, PSU = village).
    id_prefix : str, optional
        Mixed into the family-id pseudonym (e.g. a synthetic district code) so ids stay unique
        when the same reference geography is reused for several districts.
    fast_ids : bool
        Skip the raw identifiers (NIK, KK, names) and their HMAC pseudonyms (about 65 us per
        family, most of the time at national scale): ``family_id`` is then ``"F"`` + 16 hex
        digits of a SplitMix64 hash of (seed, id_prefix, block, row), unique within a block and,
        with distinct prefixes, across blocks up to hash collisions (probability ~ n^2 / 2^65).

    Examples
    --------
    >>> b = generate_registry(seed=1, scale=0.05)
    >>> b.registry["family_id"].is_unique, round(float(b.survey["weight"].sum()) / b.households, 6)
    (True, 1.0)
    """
    p = params if params is not None else WorldParams.from_toml(district=district)
    _check_scale("generate_registry", scale, p, MAX_WORLD_HOUSEHOLDS,
                 "split the district into blocks (write_registry does it)", min_scale=0.0,
                 min_households=max(200, 2 * len(reference.villages(district))))
    require(isinstance(block, (int, np.integer)) and block >= 0, "generate_registry", "block",
            "a non-negative int", block)
    require(0 < survey_fraction <= 1, "generate_registry", "survey_fraction", "a share in (0, 1]",
            survey_fraction)
    seq = (
        np.random.SeedSequence(int(seed))
        if block == 0
        else np.random.SeedSequence([int(seed), int(block)])
    )
    rngs = [np.random.default_rng(s) for s in seq.spawn(12)]
    g = _Gen(p, int(seed), float(scale), rngs, district)
    g.households()
    g.covariates()
    g.consumption()
    g.registry()
    if fast_ids:
        g.family_id = _fast_ids(g.N, f"{seed}|{id_prefix or ''}|{block}")
    else:
        g.identifiers()
        if block or id_prefix is not None:
            g.family_id = pseudonym(pd.Series(g.no_kk).radd(f"{id_prefix or ''}|{block}|"))
    registry, _ = g.registry_tables(raw=False)
    # linked 2023 survey: SRS within each village, weights = village households / sampled
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(block), 2023]))
    take = rng.random(g.N) < survey_fraction
    n_s = np.bincount(g.vi[take], minlength=g.V)
    empty = np.flatnonzero((n_s == 0) & (g.n_v > 0))
    if len(empty):  # every village keeps at least one sampled household
        first = np.searchsorted(g.vi, empty)
        take[first] = True
        n_s = np.bincount(g.vi[take], minlength=g.V)
    idx = np.flatnonzero(take)
    fam = g.family_id.astype(object).copy()
    fam[~g.registered] = None
    vil = g.vil
    survey = pd.DataFrame({
        "family_id": fam[idx], "village_code": vil["kemendagri_code"].to_numpy()[g.vi[idx]],
        "kec_code": g.kec_of_v[g.vi[idx]], "zone": vil["zone"].to_numpy()[g.vi[idx]],
        "head_sex": g.cov["head_sex"].to_numpy()[idx], "hh_size": g.cov["hh_size"].to_numpy()[idx],
        "consumption_pc": g.c0[0][idx], "registered": g.registered[idx].astype(np.int64),
        "weight": (g.n_v / np.maximum(n_s, 1))[g.vi[idx]],
        "stratum": g.kec_of_v[g.vi[idx]], "psu": vil["kemendagri_code"].to_numpy()[g.vi[idx]],
    })
    return RegistryBlock(
        registry=registry, survey=survey, households=g.N, poverty_line=g.lines[2023]
    )


class _Gen:
    """Holds the intermediate arrays of one generation (internal)."""

    def __init__(self, p: WorldParams, seed: int, scale: float, rngs: list[np.random.Generator],
                 district: str | None = None):
        self.p, self.seed, self.scale, self.rngs = p, seed, scale, rngs
        self.district = district
        self.lines = {y: reference.poverty_line(y, district=district) for y in YEARS}

    # ----------------------------------------------------------------- 1 households
    def households(self) -> None:
        p, rng = self.p, self.rngs[0]
        vil = (
            reference.villages(self.district).sort_values("kemendagri_code").reset_index(drop=True)
        )
        kec = (
            reference.kecamatan(self.district).sort_values("kec_kemendagri").reset_index(drop=True)
        )
        n_total = int(round(p.n_households * self.scale))
        kec_n = _allocate(n_total, kec["pop_share_2010_pct"].to_numpy(dtype=float))
        n_v = np.zeros(len(vil), dtype=np.int64)
        for k, code in enumerate(kec["kec_kemendagri"]):
            idx = np.flatnonzero(vil["kec_kemendagri"].to_numpy() == code)
            mean = kec_n[k] / len(idx)
            floor = int(np.floor(p.min_village_share * mean))
            wts = rng.gamma(p.village_size_shape, 1.0, size=len(idx))
            n_v[idx] = floor + _allocate(int(kec_n[k] - floor * len(idx)), wts)
        self.vil, self.kec, self.n_v = vil, kec, n_v
        self.V = len(vil)
        self.N = int(n_v.sum())
        self.vi = np.repeat(np.arange(self.V), n_v)
        self.island_v = (vil["zone"].to_numpy() == "island")
        self.island = self.island_v[self.vi]
        self.kec_of_v = vil["kec_kemendagri"].to_numpy()

    # ----------------------------------------------------------------- 2 covariates
    def covariates(self) -> None:
        p, rng, N = self.p, self.rngs[1], self.N
        isl = self.island.astype(float)
        self.dev_v = _standardise_within(rng.normal(0, 1, self.V), self.island_v, p.village_dev_sd,
                                         self.n_v)
        W = self.dev_v[self.vi] + rng.normal(0, 1, N)
        self.W = W
        lam = (p.hh_size_mean - 1) * np.exp(-p.hh_size_welfare_slope * W
                                            - 0.5 * p.hh_size_welfare_slope**2)
        hh_size = np.minimum(1 + rng.poisson(lam), p.hh_size_max)
        head_age = np.clip(np.round(rng.normal(46, 12, N)), 18, 90).astype(np.int64)
        p_child = _sigmoid(-0.2 - 0.25 * W - 0.05 * (head_age - 46))
        n_children = rng.binomial(hh_size - 1, np.clip(p_child, 0.01, 0.95))
        n_old_head = (head_age >= 65).astype(np.int64)
        n_elderly = n_old_head + rng.binomial(np.maximum(hh_size - 1 - n_children, 0), 0.06)
        female = rng.random(N) < _sigmoid(-2.0 + 0.04 * (head_age - 46) - 0.3 * (hh_size - 4))
        educ_lat = 0.9 * W - 0.02 * (head_age - 46) + rng.normal(0, 0.8, N)
        cuts = np.array([-1.3, 0.0, 0.55, 1.6])  # -> 0, 6, 9, 12, 16 years
        head_educ = np.array([0, 6, 9, 12, 16])[np.searchsorted(cuts, educ_lat)]
        # sector by a multinomial logit (Gumbel-max), islands live from fishing
        util = np.column_stack([
            0.4 - 0.2 * W - 1.5 * isl,            # agriculture
            -0.3 - 0.3 * W + 2.3 * isl,           # fishery
            -0.9 + 0.3 * W - 1.0 * isl,           # industry
            -0.3 + 0.4 * W,                       # trade
            -0.6 + 0.8 * W - 0.5 * isl,           # services
            -2.2 - 0.3 * W + 0.07 * np.maximum(head_age - 55, 0),  # none
        ]) + rng.gumbel(size=(N, 6))
        head_sector = np.array(SECTORS, dtype=object)[util.argmax(axis=1)]
        floor_area = np.exp(np.log(40) + 0.35 * W + rng.normal(0, 0.35, N) + 0.15 * np.log(hh_size))
        floor_area_pc = np.round(floor_area / hh_size, 1).clip(1.0, None)
        el_lat = 1.0 * W - 0.9 * isl + rng.logistic(0, 1, N)
        electricity = np.array(ELECTRICITY, dtype=object)[
            np.searchsorted(np.array([-3.2, -0.3, 1.6]), el_lat)]
        cov: dict[str, Any] = {
            "hh_size": hh_size.astype(np.int64), "n_children": n_children.astype(np.int64),
            "n_elderly": np.minimum(n_elderly, hh_size).astype(np.int64),
            "head_sex": np.where(female, "F", "M").astype(object), "head_age": head_age,
            "head_educ": head_educ.astype(np.int64), "head_sector": head_sector,
            "floor_area_pc": floor_area_pc,
        }
        for b in BINARY_COVARIATES:
            a, s, d = _BINARY_SPEC[b]
            cov[b] = (rng.random(N) < _sigmoid(a + s * W + d * isl)).astype(np.int64)
        cov["electricity"] = electricity
        self.cov = pd.DataFrame({c: cov[c] for c in PMT_COVARIATES})
        self.F = pmt_features(self.cov).to_numpy()
        names = list(pmt_features(self.cov.iloc[:1]).columns)
        missing = sorted(set(names) - set(p.coefficients))
        if missing:
            raise ParameterError(f"The 'coefficients' parameter of WorldParams must give every "
                                 f"PMT feature. Got no value for {missing} instead.")
        self.gamma = np.array([p.coefficients[n] for n in names], dtype=float)

    # ----------------------------------------------------------------- 3 consumption
    def consumption(self) -> None:
        p, rng, N, V = self.p, self.rngs[2], self.N, self.V
        u_v = _standardise_within(rng.normal(0, 1, V), self.island_v, p.village_effect_sd, self.n_v)
        vy = rng.normal(0, p.village_year_sd, (len(YEARS), V))
        tail = (rng.random(N) < p.tail_prob) * rng.exponential(p.tail_mean, N)
        perm = rng.normal(0, p.perm_sd, N) + tail - p.tail_prob * p.tail_mean
        trans = rng.normal(0, p.transitory_sd, (len(YEARS), N))
        A = self.F @ self.gamma
        A = A - A.mean()
        B = p.island_shift * self.island + u_v[self.vi] + vy[0][self.vi] + perm + trans[0]
        # s solves R^2(s) = target: A lies in the covariate span, so
        # R^2 = (s^2 a + 2 s c + pb) / (s^2 a + 2 s c + b) with pb = Var(P_X B).
        PB = _ols_fit(self.F, B)
        a, c, b, pb = A.var(), np.cov(A, B, bias=True)[0, 1], B.var(), PB.var()
        R = p.pmt_r2
        qa, qb, qc = a * (1 - R), 2 * c * (1 - R), pb - R * b
        disc = qb**2 - 4 * qa * qc
        if disc < 0 or qa <= 0:
            raise ParameterError(f"The 'pmt_r2' parameter of WorldParams must be reachable with "
                                 f"these residual variances. Got {R!r} instead.")
        s = (-qb + np.sqrt(disc)) / (2 * qa)
        rest = s * A + B
        hh = self.cov["hh_size"].to_numpy(dtype=float)
        z23 = np.log(self.lines[2023])
        alpha = z23 - _weighted_quantile(rest, hh, p.poverty_rate_2023)
        growth = {2023: 0.0, 2024: p.growth_2024, 2025: p.growth_2025}
        self.perm, self.u_v, self.s_scale, self.alpha = perm, u_v, s, alpha
        self.lc_base = alpha + s * A + p.island_shift * self.island + u_v[self.vi] + perm
        self.lc0 = np.vstack([self.lc_base + growth[y] + vy[t][self.vi] + trans[t]
                              for t, y in enumerate(YEARS)])
        self.c0 = np.round(np.exp(self.lc0))
        self.calib = {"pmt_scale": float(s), "intercept": float(alpha)}

    # ----------------------------------------------------------------- 4 registry
    def registry(self) -> None:
        p, rng, N = self.p, self.rngs[3], self.N
        poor23 = self.c0[0] < self.lines[2023]
        self.poor23 = poor23
        registered = rng.random(N) >= np.where(poor23, p.unregistered_poor, p.unregistered_nonpoor)
        self.registered = registered
        coef = self.gamma * (1 + rng.normal(0, p.registry_coef_noise, len(self.gamma)))
        base = self.F @ coef
        base = (base - base.mean()) * self.s_scale + self.lc_base.mean()
        eps = rng.normal(0, 1, N)
        # solve the noise sd: exclusion error at a quota = number of poor households
        n_poor = int(poor23.sum())
        reg_idx = np.flatnonzero(registered)

        def excl(sd: float) -> float:
            sc = base[reg_idx] + sd * eps[reg_idx]
            k = min(n_poor, len(reg_idx))
            tgt = reg_idx[np.argpartition(sc, k - 1)[:k]]
            return 1 - poor23[tgt].sum() / n_poor

        lo, hi = p.registry_noise_sd_min, 3.0
        e_lo = excl(lo)
        if e_lo >= p.registry_exclusion_target:
            sd = lo  # even the least noisy registry is worse than the target: keep it, report
        else:
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                if excl(mid) < p.registry_exclusion_target:
                    lo = mid
                else:
                    hi = mid
            sd = 0.5 * (lo + hi)
        score = base + sd * eps
        self.pmt_score = np.round(score, 6)
        self.calib["registry_noise_sd"] = float(sd)
        # desil thresholds among registered families: 1-4 share desil_1to4_share, 5-10 the rest
        q14 = p.desil_1to4_share
        cum = np.r_[np.arange(1, 5) * q14 / 4, q14 + np.arange(1, 6) * (1 - q14) / 6]
        srt = np.sort(self.pmt_score[registered])
        nreg = len(srt)
        ks = np.round(cum * nreg).astype(np.int64)
        thr = np.array([0.5 * (srt[k - 1] + srt[min(k, nreg - 1)]) for k in ks])
        desil = 1 + np.searchsorted(thr, self.pmt_score, side="left")
        self.desil = np.where(registered, desil, 0).astype(np.int64)  # 0 = not registered
        self.desil_thr = thr
        zs = (self.pmt_score - self.pmt_score[registered].mean()) / self.pmt_score[registered].std()
        pkh = registered & (rng.random(N) < _sigmoid(_logit(p.pkh_share) - 1.6 * zs - 0.9))
        bpnt = registered & (rng.random(N) < _sigmoid(_logit(p.bpnt_share) - 1.4 * zs - 0.7))
        self.pkh, self.bpnt = pkh.astype(np.int64), bpnt.astype(np.int64)

    # ----------------------------------------------------------------- 5 programme
    def programme(self) -> None:
        p, rng, N, V = self.p, self.rngs[4], self.N, self.V
        reg = self.registered
        mean_score = np.bincount(self.vi, weights=np.where(reg, self.pmt_score, 0), minlength=V) / \
            np.maximum(np.bincount(self.vi, weights=reg.astype(float), minlength=V), 1)
        zscore = (mean_score - mean_score.mean()) / mean_score.std()
        desa = (self.vil["type"].to_numpy() == "desa").astype(float)
        mainland = (~self.island_v).astype(float)
        index = (-p.rollout_poverty_coef * zscore + p.rollout_mainland_coef * mainland
                 + p.rollout_desa_coef * desa + rng.normal(0, p.rollout_noise_sd, V))
        order = np.argsort(-index, kind="stable")
        cohort_v = np.zeros(V, dtype=np.int64)
        cohort_v[order[:p.n_villages_2024]] = 2024
        cohort_v[order[p.n_villages_2024:p.n_villages_2024 + p.n_villages_2025]] = 2025
        self.cohort_v, self.rollout_index, self.mean_score_v = cohort_v, index, mean_score
        treated_v = cohort_v > 0
        active = np.zeros((V, len(COMPONENTS)), dtype=bool)
        for j, comp in enumerate(COMPONENTS):
            spec = p.components[comp]
            pa = np.where(self.island_v, spec["p_active_island"], spec["p_active_mainland"])
            active[:, j] = treated_v & (rng.random(V) < pa)
        active[:, COMPONENTS.index("credit")] |= treated_v  # credit is the backbone offer
        self.active = active
        fac_partner = np.where(rng.random(V) < 0.5, p.components["facilitation"]["partner"],
                               p.components["facilitation"]["alternate_partner"])
        self.fac_partner = fac_partner
        # take-up index: observables (+ optional unobservable)
        cov = self.cov
        educ = cov["head_educ"].to_numpy(dtype=float)
        age = cov["head_age"].to_numpy(dtype=float)
        self.educ_z = (educ - educ.mean()) / educ.std()
        xg = (p.takeup_educ_coef * self.educ_z + p.takeup_age_coef * (age - age.mean()) / age.std()
              + p.takeup_female_coef * (cov["head_sex"].to_numpy() == "F")
              + p.takeup_trade_coef * (cov["head_sector"].to_numpy() == "trade")
              + p.takeup_facilitation * active[self.vi, COMPONENTS.index("facilitation")]
              + p.selection_unobs * self.perm / self.perm.std())
        in_treated = treated_v[self.vi]
        # csr_sme quota: N lowest-score registered families of each csr village
        j_csr = COMPONENTS.index("csr_sme")
        csr_v = active[:, j_csr]
        nreg_v = np.bincount(self.vi, weights=reg.astype(float), minlength=V)
        quota_v = np.where(csr_v, np.maximum(1, np.round(p.csr_quota_share * nreg_v)), 0).astype(
            int
        )
        key = np.where(reg, self.pmt_score, np.inf)
        rank = _rank_within(self.vi, key)
        csr_elig = reg & csr_v[self.vi] & (rank < quota_v[self.vi])
        srt_scores = {}
        cutoff_v = np.full(V, np.nan)
        for v in np.flatnonzero(csr_v):  # loop over villages (<= 103), not households
            sc = np.sort(self.pmt_score[(self.vi == v) & reg])
            q = quota_v[v]
            cutoff_v[v] = 0.5 * (sc[q - 1] + sc[q]) if q < len(sc) else sc[-1]
            srt_scores[v] = sc
        self.quota_v, self.cutoff_v = quota_v, cutoff_v
        u = rng.random(N)
        csr_take = csr_elig & (u < _sigmoid(_logit(p.csr_takeup_rate) + xg))
        eligible = reg & (self.desil >= 1) & (self.desil <= 4)
        prob = np.where(eligible, _sigmoid(_logit(p.takeup_rate) + xg),
                        np.where(reg, _sigmoid(_logit(p.leakage_rate) + xg), 0.0))
        gen_take = in_treated & ~csr_take & (rng.random(N) < prob)
        # choice among the active household components by weight
        choice_comps = [c for c in HOUSEHOLD_COMPONENTS if c != "csr_sme"]
        wmat = np.column_stack([active[self.vi, COMPONENTS.index(c)] * p.components[c]["weight"]
                                for c in choice_comps]).astype(float)
        tot = wmat.sum(axis=1)
        cum = np.cumsum(wmat, axis=1) / np.where(tot > 0, tot, 1)[:, None]
        pick = (rng.random(N)[:, None] > cum).sum(axis=1).clip(0, len(choice_comps) - 1)
        gen_take &= tot > 0
        comp_idx = np.full(N, -1, dtype=np.int64)  # index into HOUSEHOLD_COMPONENTS
        comp_idx[gen_take] = np.array([HOUSEHOLD_COMPONENTS.index(c)
                                       for c in choice_comps])[pick[gen_take]]
        comp_idx[csr_take] = HOUSEHOLD_COMPONENTS.index("csr_sme")
        self.comp: np.ndarray = comp_idx
        self.start = np.where(comp_idx >= 0, cohort_v[self.vi], 0)
        self.eligible = eligible
        self.csr_elig = csr_elig

    # ----------------------------------------------------------------- 6 outcomes
    def outcomes(self) -> None:
        p, rng, N = self.p, self.rngs[5], self.N
        T = len(YEARS)
        expo = {0: p.exposure_2024, 1: p.exposure_2025}
        zone_i = self.island.astype(int)  # 0 mainland, 1 island
        het = 1 + p.effect_heterogeneity * self.educ_z
        tau = {}
        for out in ("consumption", "employed", "business", "income"):
            tab = np.array([[p.effects[c][out]["mainland"], p.effects[c][out]["island"]]
                            for c in HOUSEHOLD_COMPONENTS])
            full = np.where(self.comp >= 0, tab[np.maximum(self.comp, 0), zone_i], 0.0)
            tau[out] = full * (het if out in ("consumption", "income") else 1.0)
        self.tau = tau
        hh = self.cov["hh_size"].to_numpy(dtype=float)
        sector_none = (self.cov["head_sector"].to_numpy() == "none")
        trade = (self.cov["head_sector"].to_numpy() == "trade")
        p_emp = _sigmoid(p.employed_intercept + p.employed_welfare_slope * self.W
                         + p.employed_none_sector * sector_none)
        p_bus = _sigmoid(p.business_intercept + p.business_welfare_slope * self.W
                         + p.business_trade_sector * trade)
        r = p.employed_year_corr
        from scipy.special import ndtr
        ze = rng.normal(size=N)
        zb = rng.normal(size=N)
        self.treated = np.zeros((T, N), dtype=bool)
        self.c1 = self.c0.copy()
        self.emp0 = np.zeros((T, N), dtype=np.int64)
        self.emp1 = np.zeros((T, N), dtype=np.int64)
        self.bus0 = np.zeros((T, N), dtype=np.int64)
        self.bus1 = np.zeros((T, N), dtype=np.int64)
        self.inc0 = np.zeros((T, N))
        self.inc1 = np.zeros((T, N))
        self.expo = np.zeros((T, N))
        for t, y in enumerate(YEARS):
            if t > 0:
                ze = r * ze + np.sqrt(1 - r**2) * rng.normal(size=N)
                zb = r * zb + np.sqrt(1 - r**2) * rng.normal(size=N)
            ue, ub = ndtr(ze), ndtr(zb)
            tr = (self.start > 0) & (self.start <= y)
            f = np.where(tr, np.where(y - self.start <= 0, expo[0], expo[1]), 0.0)
            self.treated[t], self.expo[t] = tr, f
            self.c1[t] = np.where(
                tr, np.round(self.c0[t] * np.exp(f * tau["consumption"])), self.c0[t]
            )
            self.emp0[t] = ue < p_emp
            self.emp1[t] = ue < p_emp + f * tau["employed"]
            self.bus0[t] = ub < p_bus
            self.bus1[t] = ub < p_bus + f * tau["business"]
            inc = self.c0[t] * hh * np.exp(p.income_log_ratio + rng.normal(0, p.income_noise_sd, N))
            self.inc0[t] = np.round(inc)
            self.inc1[t] = np.round(inc * np.exp(f * tau["income"]))

    # ----------------------------------------------------------------- ids
    def identifiers(self) -> None:
        rng = self.rngs[6]
        N = self.N
        vcode = self.vil["kemendagri_code"].to_numpy()[self.vi]
        digits = pd.Series(vcode).str.replace(".", "", regex=False).str[4:]  # KK + NNNN
        run = pd.Series(_rank_within(self.vi, np.arange(N)) + 1).astype(str).str.zfill(6)
        self.no_kk = ("9999" + digits + run).to_numpy(dtype=object)
        self.nik_head = ("9998" + digits + run).to_numpy(dtype=object)
        female = self.cov["head_sex"].to_numpy() == "F"
        fm = np.array(_FIRST_NAMES_M, dtype=object)[rng.integers(0, len(_FIRST_NAMES_M), N)]
        ff = np.array(_FIRST_NAMES_F, dtype=object)[rng.integers(0, len(_FIRST_NAMES_F), N)]
        first = pd.Series(np.where(female, ff, fm))
        self.name_head = (first + " Contoh " + run).to_numpy(dtype=object)
        self.family_id = pseudonym(self.no_kk)
        perm = rng.permutation(N)
        self.hh_id = ("H" + pd.Series(perm + 1).astype(str).str.zfill(6)).to_numpy(dtype=object)

    # ----------------------------------------------------------------- tables
    def tables(self) -> World:
        p, N = self.p, self.N
        vil = self.vil
        vcode = vil["kemendagri_code"].to_numpy()[self.vi]
        kcode = self.kec_of_v[self.vi]
        zone = vil["zone"].to_numpy()[self.vi]
        reg = self.registered
        fam = self.family_id.copy()
        fam[~reg] = None
        registry, registry_raw = self.registry_tables()
        assert registry_raw is not None
        # population
        hh = self.cov["hh_size"].to_numpy()
        treated_v = self.cohort_v[self.vi]
        comp_label = np.array(HOUSEHOLD_COMPONENTS, dtype=object)[np.maximum(self.comp, 0)]
        comp_label[self.comp < 0] = None
        pops = []
        for t, y in enumerate(YEARS):
            pops.append(
                pd.DataFrame(
                    {
                        "year": np.full(N, y, dtype=np.int64),
                        "hh_id": self.hh_id,
                        "family_id": fam,
                        "village_code": vcode,
                        "kec_code": kcode,
                        "zone": zone,
                        "hh_size": hh,
                        "consumption_pc": self.c1[t],
                        "consumption_pc_y0": self.c0[t],
                        "employed": np.where(self.treated[t], self.emp1[t], self.emp0[t]),
                        "business": np.where(self.treated[t], self.bus1[t], self.bus0[t]),
                        "income": np.where(self.treated[t], self.inc1[t], self.inc0[t]),
                        "treated": self.treated[t].astype(np.int64),
                        "eligible": self.eligible.astype(np.int64),
                        "head_sex": self.cov["head_sex"].to_numpy(),
                        "employed_y0": self.emp0[t],
                        "business_y0": self.bus0[t],
                        "income_y0": self.inc0[t],
                        "registered": reg.astype(np.int64),
                        "desil": pd.array(np.where(reg, self.desil, 0), dtype="Int64"),
                        "pmt_score": self.pmt_score,
                        "cohort": treated_v,
                        "treated_village": ((treated_v > 0) & (treated_v <= y)).astype(np.int64),
                        "component": comp_label,
                        "start_year": self.start,
                        "exposure": self.expo[t],
                        "csr_quota_eligible": self.csr_elig.astype(np.int64),
                    }
                )
            )
        population = pd.concat(pops, ignore_index=True)
        population.loc[population["registered"] == 0, "desil"] = pd.NA
        self.population = population
        villages = vil.copy()
        villages["n_households"] = self.n_v
        villages["cohort"] = self.cohort_v
        villages["mean_pmt_score"] = np.round(self.mean_score_v, 6)
        villages["rollout_index"] = np.round(self.rollout_index, 6)
        survey = self.survey(population)
        participation = self.participation()
        rollout = self.rollout_table()
        truth = self.truth(population, registry)
        # new truth tables only (no random draw): every existing table stays byte-identical
        truth.update(self.cost_truth(participation, truth["poverty"]))
        return World(params=p, seed=self.seed, scale=self.scale, villages=villages,
                     registry=registry, registry_raw=registry_raw, survey=survey,
                     participation=participation, rollout=rollout, population=population,
                     truth=truth)

    def registry_tables(self, raw: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """The registry (pseudonymous ``family_id``) and the raw extract (NIK/KK/names)."""
        vil = self.vil
        reg = self.registered
        base = pd.DataFrame(
            {
                "village_code": vil["kemendagri_code"].to_numpy()[self.vi],
                "kec_code": self.kec_of_v[self.vi],
                "zone": vil["zone"].to_numpy()[self.vi],
            }
        )
        regtab = pd.concat([base, pd.DataFrame({"desil": self.desil, "pmt_score": self.pmt_score}),
                            self.cov,
                            pd.DataFrame({"receives_pkh": self.pkh, "receives_bpnt": self.bpnt})],
                           axis=1)[reg].reset_index(drop=True)
        registry = pd.concat([pd.DataFrame({"family_id": self.family_id[reg]}), regtab], axis=1)
        if not raw:
            return registry, None
        registry_raw = pd.concat([pd.DataFrame({"no_kk": self.no_kk[reg],
                                                "nik_head": self.nik_head[reg],
                                                "name_head": self.name_head[reg]}), regtab], axis=1)
        return registry, registry_raw

    def survey(self, population: pd.DataFrame) -> pd.DataFrame:
        p, rng, N, V = self.p, self.rngs[7], self.N, self.V
        kec_codes = self.kec["kec_kemendagri"].to_numpy()
        stratum_v = self.kec_of_v
        N_h = np.array([self.n_v[stratum_v == k].sum() for k in kec_codes])
        n_target = int(round(p.survey_households * self.scale))
        n_h = _allocate(n_target, N_h)
        sampled_v = np.zeros(V, dtype=bool)
        n_hv = np.zeros(V, dtype=np.int64)
        m_ratio = np.zeros(V)
        for k, code in enumerate(kec_codes):  # 13 strata
            idx = np.flatnonzero(stratum_v == code)
            m = int(min(len(idx), max(2, round(p.survey_village_share * len(idx)))))
            pick = np.sort(rng.choice(idx, size=m, replace=False))
            sampled_v[pick] = True
            alloc = _allocate(max(n_h[k] - p.survey_min_per_psu * m, 0), self.n_v[pick])
            n_hv[pick] = np.minimum(alloc + p.survey_min_per_psu, self.n_v[pick])
            m_ratio[pick] = len(idx) / m
        self.sampled_v = sampled_v
        in_prev = np.zeros(N, dtype=bool)
        waves = []
        sample_sets = []
        for t, y in enumerate(YEARS):
            key = rng.random(N)
            if t == 0:
                keep = np.zeros(N, dtype=bool)
            else:
                keep = in_prev & (rng.random(N) < p.panel_share * (1 - p.panel_attrition))
            # at most n_hv kept per village
            rk = _rank_within(self.vi, np.where(keep, key, 2.0))
            keep &= rk < n_hv[self.vi]
            n_keep_v = np.bincount(self.vi, weights=keep.astype(float), minlength=V).astype(
                np.int64
            )
            fresh_pool = sampled_v[self.vi] & ~in_prev
            rk2 = _rank_within(self.vi, np.where(fresh_pool, key, 2.0))
            new = fresh_pool & (rk2 < (n_hv - n_keep_v)[self.vi])
            sel = keep | new
            n_got = np.bincount(self.vi, weights=sel.astype(float), minlength=V)
            w = np.where(
                sel, m_ratio[self.vi] * self.n_v[self.vi] / np.maximum(n_got[self.vi], 1), 0.0
            )
            # rescale so the weights of each stratum sum to its household count exactly
            kidx = np.searchsorted(kec_codes, self.kec_of_v[self.vi])
            wsum = np.bincount(kidx, weights=w, minlength=len(kec_codes))
            w = w * (N_h / wsum)[kidx]
            idx = np.flatnonzero(sel)
            waves.append((y, idx, w[idx], in_prev[idx]))
            sample_sets.append(sel)
            in_prev = sel
        frames = []
        cov = self.cov
        for t, (y, idx, w, panel) in enumerate(waves):
            pop_y = population.iloc[t * N + idx]
            d = pd.DataFrame({
                "year": np.full(len(idx), y, dtype=np.int64),
                "hh_id": self.hh_id[idx],
                "family_id": pop_y["family_id"].to_numpy(),
                "village_code": pop_y["village_code"].to_numpy(),
                "kec_code": pop_y["kec_code"].to_numpy(),
                "zone": pop_y["zone"].to_numpy(),
                "stratum": pop_y["kec_code"].to_numpy(),
                "psu": pop_y["village_code"].to_numpy(),
                "weight": w,
                "hh_size": pop_y["hh_size"].to_numpy(),
                "consumption_pc": pop_y["consumption_pc"].to_numpy(),
                "income": pop_y["income"].to_numpy(),
                "employed": pop_y["employed"].to_numpy(),
                "business": pop_y["business"].to_numpy(),
                "in_panel": panel.astype(np.int64),
            })
            for c in PMT_COVARIATES:
                if c != "hh_size":
                    d[c] = cov[c].to_numpy()[idx]
            for c in PROGRAMME_FLAGS:
                d[c] = np.where(self.registered[idx], getattr(self, c.split("_")[1])[idx], 0)
            d["desil"] = pop_y["desil"].array
            d["treated_village"] = pop_y["treated_village"].to_numpy()
            d["eligible"] = pop_y["eligible"].to_numpy()
            d["participates"] = pop_y["treated"].to_numpy()
            frames.append(d.sort_values(["psu", "hh_id"], kind="stable"))
        return pd.concat(frames, ignore_index=True)

    def participation(self) -> pd.DataFrame:
        p, rng = self.p, self.rngs[8]
        rows = []
        hidx = np.flatnonzero(self.comp >= 0)
        comp_names = np.array(HOUSEHOLD_COMPONENTS, dtype=object)[self.comp[hidx]]
        start = self.start[hidx]
        # start dates: after the 27 June 2024 signing in 2024; first half of 2025 otherwise
        day0 = np.where(start == 2024, np.datetime64("2024-07-15"), np.datetime64("2025-01-15"))
        span = np.where(start == 2024, 150, 160)
        dates = day0 + (rng.random(len(hidx)) * span).astype("timedelta64[D]")
        med = np.array([p.components[c]["amount_median_rp"] for c in comp_names], dtype=float)
        sdl = np.array([p.components[c]["amount_sd_log"] for c in comp_names], dtype=float)
        amt = np.round(med * np.exp(rng.normal(0, 1, len(hidx)) * sdl - 0.5 * sdl**2), -3)
        amt = np.where(comp_names == "credit", np.minimum(amt, 100_000_000), amt)
        rows.append(pd.DataFrame({
            "family_id": self.family_id[hidx],
            "village_code": self.vil["kemendagri_code"].to_numpy()[self.vi[hidx]],
            "partner": [_PARTNER_OF[c] for c in comp_names],
            "component": comp_names, "unit": "household",
            "start_date": dates, "amount_rp": amt}))
        vidx = np.flatnonzero(self.active[:, COMPONENTS.index("facilitation")])
        spec = p.components["facilitation"]
        fdates = np.where(self.cohort_v[vidx] == 2024, np.datetime64("2024-07-01"),
                          np.datetime64("2025-01-02"))
        famt = np.round(
            spec["amount_median_rp"] * np.exp(rng.normal(0, spec["amount_sd_log"], len(vidx))), -3
        )
        rows.append(pd.DataFrame({
            "family_id": None, "village_code": self.vil["kemendagri_code"].to_numpy()[vidx],
            "partner": self.fac_partner[vidx], "component": "facilitation", "unit": "village",
            "start_date": fdates, "amount_rp": famt}))
        part = pd.concat(rows, ignore_index=True)
        part["start_date"] = pd.to_datetime(part["start_date"]).dt.date.astype(str)
        part = part.sort_values(["start_date", "village_code", "component", "family_id"],
                                kind="stable", na_position="first").reset_index(drop=True)
        part.insert(
            0, "record_id", "R" + pd.Series(np.arange(1, len(part) + 1)).astype(str).str.zfill(7)
        )
        return part

    def rollout_table(self) -> pd.DataFrame:
        vil = self.vil
        frames = []
        for j, comp in enumerate(COMPONENTS):
            frames.append(pd.DataFrame({
                "village_code": vil["kemendagri_code"].to_numpy(),
                "kec_code": self.kec_of_v, "zone": vil["zone"].to_numpy(), "component": comp,
                "first_year": np.where(self.active[:, j], self.cohort_v, 0).astype(np.int64),
                "cohort": self.cohort_v,
                "quota_n": self.quota_v if comp == "csr_sme" else 0,
                "quota_cutoff_score": np.round(self.cutoff_v, 6) if comp == "csr_sme" else np.nan,
            }))
        return pd.concat(frames, ignore_index=True).sort_values(
            ["village_code", "component"], kind="stable").reset_index(drop=True)

    # ----------------------------------------------------------------- truth
    def truth(self, pop: pd.DataFrame, registry: pd.DataFrame) -> dict[str, pd.DataFrame]:
        N = self.N
        hh = self.cov["hh_size"].to_numpy(dtype=float)
        kcode = self.kec_of_v[self.vi]
        zone = self.vil["zone"].to_numpy()[self.vi]
        rows = []
        for t, y in enumerate(YEARS):
            z = self.lines[y]
            c = self.c1[t]
            doms: list[tuple[str, str | None, str | None, np.ndarray]] = [
                ("district", None, None, np.ones(N, bool))]
            doms += [("kecamatan", k, None, kcode == k) for k in self.kec["kec_kemendagri"]]
            # zones present in the district only (a kota may have no island villages)
            doms += [
                ("zone", None, zn, zone == zn)
                for zn in ("island", "mainland")
                if (zone == zn).any()
            ]
            for dom, k, zn, m in doms:
                p0, p1, p2 = _fgt(c[m], z, hh[m])
                q0, _, _ = _fgt(self.c0[t][m], z, hh[m])
                rows.append({"year": y, "domain": dom, "kec_code": k, "p0": p0, "p1": p1, "p2": p2,
                             "zone": zn, "p0_counterfactual": q0, "poverty_line": z,
                             "n_households": int(m.sum()), "n_persons": int(hh[m].sum())})
        poverty = pd.DataFrame(rows)
        dist = poverty[poverty["domain"] == "district"]
        programme_effect = pd.DataFrame({
            "year": dist["year"].to_numpy(), "p0_actual": dist["p0"].to_numpy(),
            "p0_counterfactual": dist["p0_counterfactual"].to_numpy()})
        programme_effect["attributable_change"] = (programme_effect["p0_actual"]
                                                   - programme_effect["p0_counterfactual"])
        # ATT: household-weighted mean of Y1 - Y0 among participants
        att_rows = []
        comp_name = np.array(HOUSEHOLD_COMPONENTS + ("",), dtype=object)[
            np.where(self.comp >= 0, self.comp, len(HOUSEHOLD_COMPONENTS))]
        cohort_i = self.start
        for t, y in enumerate(YEARS[1:], start=1):
            z = self.lines[y]
            diffs = {
                "log_consumption_pc": np.log(self.c1[t]) - np.log(self.c0[t]),
                "consumption_pc": self.c1[t] - self.c0[t],
                "poor": (self.c1[t] < z).astype(float) - (self.c0[t] < z),
                "employed": (self.emp1[t] - self.emp0[t]).astype(float),
                "business": (self.bus1[t] - self.bus0[t]).astype(float),
                "income": self.inc1[t] - self.inc0[t],
                "log_income": np.log(np.maximum(self.inc1[t], 1))
                - np.log(np.maximum(self.inc0[t], 1)),
            }
            tr = self.treated[t]
            for comp in HOUSEHOLD_COMPONENTS + ("any",):
                mc = tr if comp == "any" else tr & (comp_name == comp)
                for coh in (0, 2024, 2025):
                    mk = mc if coh == 0 else mc & (cohort_i == coh)
                    for zn in ("all", "island", "mainland"):
                        m = mk if zn == "all" else mk & (zone == zn)
                        n = int(m.sum())
                        if n == 0:
                            continue
                        for out, dv in diffs.items():
                            att_rows.append({"component": comp, "outcome": out, "cohort": coh,
                                             "year": y, "zone": zn, "att": float(dv[m].mean()),
                                             "n_treated": n, "weight": "household"})
        att = pd.DataFrame(att_rows)
        # village-year truth for village-level DiD
        V = self.V
        vrows = []
        for t, y in enumerate(YEARS):
            z = self.lines[y]
            cnt = np.bincount(self.vi, minlength=V).astype(float)
            ntr = np.bincount(self.vi, weights=self.treated[t].astype(float), minlength=V)
            dl = np.log(self.c1[t]) - np.log(self.c0[t])
            pw = np.bincount(self.vi, weights=hh, minlength=V)
            vrows.append(
                pd.DataFrame(
                    {
                        "village_code": self.vil["kemendagri_code"].to_numpy(),
                        "year": y,
                        "cohort": self.cohort_v,
                        "n_households": cnt.astype(np.int64),
                        "n_participants": ntr.astype(np.int64),
                        "att_log_consumption_pc": np.where(
                            ntr > 0,
                            np.bincount(self.vi, weights=dl, minlength=V) / np.maximum(ntr, 1),
                            np.nan,
                        ),
                        "effect_mean_log_consumption_pc": np.bincount(
                            self.vi, weights=dl, minlength=V
                        )
                        / cnt,
                        "effect_p0": (
                            np.bincount(self.vi, weights=hh * (self.c1[t] < z), minlength=V)
                            - np.bincount(self.vi, weights=hh * (self.c0[t] < z), minlength=V)
                        )
                        / pw,
                        "effect_employed": np.bincount(
                            self.vi,
                            weights=(self.emp1[t] - self.emp0[t]) * self.treated[t],
                            minlength=V,
                        )
                        / cnt,
                        "effect_business": np.bincount(
                            self.vi,
                            weights=(self.bus1[t] - self.bus0[t]) * self.treated[t],
                            minlength=V,
                        )
                        / cnt,
                        "p0": np.bincount(self.vi, weights=hh * (self.c1[t] < z), minlength=V) / pw,
                        "p0_counterfactual": np.bincount(
                            self.vi, weights=hh * (self.c0[t] < z), minlength=V
                        )
                        / pw,
                    }
                )
            )
        village_att = pd.concat(vrows, ignore_index=True)
        # targeting benchmarks against true 2023 household poverty
        poor = self.poor23
        n_poor = int(poor.sum())
        reg = self.registered
        tgt_desil = reg & (self.desil >= 1) & (self.desil <= 4)
        reg_idx = np.flatnonzero(reg)
        n_quota = min(n_poor, len(reg_idx))
        tgt_quota = np.zeros(N, bool)
        # stable sort: ties of the rounded score are broken by registry order, as a user would
        tgt_quota[reg_idx[np.argsort(self.pmt_score[reg_idx], kind="stable")[:n_quota]]] = True
        # oracle-ish: a fresh PMT fitted in-sample on the population (same covariates)
        fit = _ols_fit(self.F, np.log(self.c0[0]))
        tgt_fresh = np.zeros(N, bool)
        tgt_fresh[np.argpartition(fit, n_poor - 1)[:n_poor]] = True
        trows = []
        for name, tg in (
            ("registry_desil_1to4", tgt_desil),
            ("registry_quota_poverty_rate", tgt_quota),
            ("fresh_pmt_in_sample_quota_poverty_rate", tgt_fresh),
        ):
            nt = int(tg.sum())
            fp = int((tg & ~poor).sum())
            fn = int((~tg & poor).sum())
            trows.append({"benchmark": name,
                          "inclusion_error": fp / nt,          # targeted non-poor / targeted
                          "exclusion_error": fn / n_poor,      # poor not targeted / poor
                          "inclusion_error_nonpoor": fp / (N - n_poor),  # Alatas-style: / non-poor
                          "mistargeting": (fp + fn) / N,
                          "n_targeted": nt, "n_poor": n_poor, "n_households": N,
                          "poor_unregistered": int((poor & ~reg).sum())})
        targeting = pd.DataFrame(trows)
        thr = pd.DataFrame({"desil": np.arange(1, 10), "upper_pmt_score": self.desil_thr,
                            "n_families": np.bincount(self.desil[reg], minlength=11)[1:10]})
        r2 = 1 - np.var(np.log(self.c0[0]) - fit) / np.var(np.log(self.c0[0]))
        lc = np.log(self.c0[0])
        grand = lc.mean()
        vm = np.bincount(self.vi, weights=lc, minlength=V) / np.bincount(self.vi, minlength=V)
        icc = np.var(vm[self.vi]) / np.var(lc)
        calib = dict(self.calib)
        calib.update(
            {
                "n_households": N,
                "n_registered": int(reg.sum()),
                "n_desil_1to4": int(tgt_desil.sum()),
                "p0_2023": float(dist["p0"].iloc[0]),
                "p0_2024": float(dist["p0"].iloc[1]),
                "p0_2025": float(dist["p0"].iloc[2]),
                "p1_2023": float(dist["p1"].iloc[0]),
                "p2_2023": float(dist["p2"].iloc[0]),
                "pmt_r2_in_sample": float(r2),
                "icc_population_2023": float(icc),
                "sd_log_consumption_2023": float(lc.std()),
                "median_consumption_2023": float(np.median(self.c0[0])),
                "island_gap_log_2023": (
                    float(lc[self.island].mean() - lc[~self.island].mean())
                    if self.island.any() and (~self.island).any()
                    else float("nan")
                ),
                "mean_hh_size": float(hh.mean()),
                "mean_hh_size_poor": float(hh[poor].mean()),
                "household_p0_2023": n_poor / N,
            }
        )
        calibration = pd.DataFrame(
            {"quantity": list(calib), "value": [float(v) for v in calib.values()]}
        )
        del grand
        return {"poverty": poverty, "att": att, "programme_effect": programme_effect,
                "targeting": targeting, "village_att": village_att, "desil_thresholds": thr,
                "calibration": calibration}

    def cost_truth(self, participation: pd.DataFrame,
                   poverty: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """True programme costs and cost-effectiveness (no random draw).

        A record's true cost: a loan component (``cost_kind = "loan"`` in its
        ``[components.*]`` table) costs its lender the interest subsidy over the term on the
        average outstanding balance plus the expected default, ``principal x (rate x
        term_years x mean_balance_share + default_rate)``, the rate being
        ``loan_subsidy_rate`` up to ``loan_subsidy_limit_rp`` and
        ``loan_subsidy_rate_above_limit`` above it (a limit of 0: one rate); a grant costs its
        amount. Costs count in the year the record starts (cumulative to ``year``).
        ``cost_effectiveness``: cumulative cost over the true reduction of the district P0
        (``p0_counterfactual - p0``) in percentage points and over the persons lifted above
        the line (that reduction x the district's persons).
        """
        part = participation
        amt = part["amount_rp"].to_numpy(float)
        cost = amt.copy()
        for comp, spec in self.p.components.items():
            m = (part["component"] == comp).to_numpy()
            if spec.get("cost_kind", "grant") != "loan" or not m.any():
                continue
            limit = float(spec["loan_subsidy_limit_rp"])
            rate = np.where((limit <= 0) | (amt <= limit), float(spec["loan_subsidy_rate"]),
                            float(spec["loan_subsidy_rate_above_limit"]))
            share = (rate * float(spec["loan_term_years"]) * float(spec["loan_mean_balance_share"])
                     + float(spec["loan_default_rate"]))
            cost = np.where(m, amt * share, cost)
        start = pd.to_datetime(part["start_date"]).dt.year.to_numpy()
        rows = []
        for y in YEARS[1:]:
            d = part.assign(cost_rp=cost)[start <= y]
            g = d.groupby(["partner", "component"], sort=True)
            tab = pd.DataFrame({
                "amount_rp": g["amount_rp"].sum(), "cost_rp": g["cost_rp"].sum(),
                "n_records": g.size(),
                "households_reached": g["family_id"].nunique(),
                "villages_reached": g["village_code"].nunique()}).reset_index()
            tab.insert(0, "year", y)
            rows.append(tab)
        cost_tab = pd.concat(rows, ignore_index=True)
        dist = poverty[poverty["domain"] == "district"].set_index("year")
        ce = []
        for y in YEARS[1:]:
            red = float(dist.loc[y, "p0_counterfactual"] - dist.loc[y, "p0"])
            n_persons = float(dist.loc[y, "n_persons"])
            c = float(cost_tab.loc[cost_tab["year"] == y, "cost_rp"].sum())
            ce.append({"year": y, "cost_rp": c, "reduction_pp": 100 * red,
                       "cost_per_point": c / (100 * red) if red != 0 else np.nan,
                       "n_persons": n_persons, "persons_lifted": red * n_persons,
                       "cost_per_person_lifted": c / (red * n_persons) if red != 0 else np.nan})
        return {"cost": cost_tab, "cost_effectiveness": pd.DataFrame(ce)}

    def run(self) -> World:
        self.households()
        self.covariates()
        self.consumption()
        self.registry()
        self.programme()
        self.outcomes()
        self.identifiers()
        return self.tables()
