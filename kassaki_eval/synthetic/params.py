"""Parameters of the synthetic Pangkep world, read from ``data/reference/<district>/world.toml``.

Every calibration number of DOMAIN.md marked [U] is a field here, documented in the TOML file
next to its value. Nothing numeric that shapes the world is buried in :mod:`world`.

Example
-------
>>> from kassaki_eval.synthetic.params import WorldParams
>>> p = WorldParams.from_toml()
>>> p.poverty_rate_2023
0.134
>>> p.replace(selection_unobs=1.0).selection_unobs
1.0
"""
from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .. import config
from ..exceptions import ConfigError, ParameterError

__all__ = ["WorldParams", "COMPONENTS", "HOUSEHOLD_COMPONENTS", "OUTCOMES_EFFECT"]

#: Programme components, in a fixed order (index used inside the generator).
COMPONENTS: tuple[str, ...] = ("credit", "csr_sme", "training", "facilitation", "women_groups")
#: Components taken up by households (facilitation is village-level).
HOUSEHOLD_COMPONENTS: tuple[str, ...] = ("credit", "csr_sme", "training", "women_groups")
#: Outcomes with a direct effect table in ``[effects.*]``.
OUTCOMES_EFFECT: tuple[str, ...] = ("consumption", "employed", "business", "income")

# Tables kept as tables; every other TOML section is flattened into scalar fields.
_TABLES = ("coefficients", "components", "effects")


def _load_raw(p: Path, _seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """The TOML of ``p``, merged onto its ``base`` district's TOML when it names one."""
    if not p.exists():
        raise ConfigError(f"world parameter file {p} is missing. Fix: restore "
                          f"data/reference/<district>/world.toml or pass path=.")
    with open(p, "rb") as f:
        raw = tomllib.load(f)
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str) or base in _seen:
        raise ConfigError(
            f"{p}: 'base' must name another district folder (no cycles). Got {base!r}."
        )
    merged = _load_raw(p.parent.parent / base / "world.toml", _seen + (base,))
    for section, content in raw.items():
        if isinstance(content, dict) and isinstance(merged.get(section), dict):
            merged[section] = {**merged[section], **content}
        else:
            merged[section] = content
    return merged


@dataclass(frozen=True)
class WorldParams:
    """All parameters of :func:`kassaki_eval.synthetic.world.generate_world`.

    See ``data/reference/pangkep/world.toml`` for the meaning and source of each field.
    Use :meth:`replace` for keyword overrides (the instance is frozen).
    """

    # households
    n_households: int
    hh_size_mean: float
    hh_size_welfare_slope: float
    hh_size_max: int
    village_size_shape: float
    min_village_share: float
    village_dev_sd: float
    # consumption
    poverty_rate_2023: float
    pmt_r2: float
    island_shift: float
    village_effect_sd: float
    village_year_sd: float
    perm_sd: float
    tail_prob: float
    tail_mean: float
    transitory_sd: float
    growth_2024: float
    growth_2025: float
    # income / employment / business
    income_log_ratio: float
    income_noise_sd: float
    employed_intercept: float
    employed_welfare_slope: float
    employed_none_sector: float
    employed_year_corr: float
    business_intercept: float
    business_welfare_slope: float
    business_trade_sector: float
    # registry
    unregistered_poor: float
    unregistered_nonpoor: float
    desil_1to4_share: float
    registry_coef_noise: float
    registry_exclusion_target: float
    registry_noise_sd_min: float
    pkh_share: float
    bpnt_share: float
    # roll-out and take-up
    n_villages_2024: int
    n_villages_2025: int
    rollout_poverty_coef: float
    rollout_mainland_coef: float
    rollout_desa_coef: float
    rollout_noise_sd: float
    takeup_rate: float
    leakage_rate: float
    csr_quota_share: float
    csr_takeup_rate: float
    takeup_educ_coef: float
    takeup_age_coef: float
    takeup_female_coef: float
    takeup_trade_coef: float
    takeup_facilitation: float
    selection_unobs: float
    effect_heterogeneity: float
    exposure_2024: float
    exposure_2025: float
    # survey
    survey_households: int
    survey_village_share: float
    survey_min_per_psu: int
    panel_share: float
    panel_attrition: float
    # tables
    coefficients: Mapping[str, float] = field(default_factory=dict)
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    effects: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_toml(cls, path: str | Path | None = None, district: str | None = None) -> WorldParams:
        """Read the parameters from ``path`` (default: ``data/reference/<district>/world.toml``).

        A district's file may start with ``base = "<other district>"``: it then lists only the
        keys that differ from that district's file (sections are merged key by key).

        Raises :class:`~kassaki_eval.exceptions.ConfigError` when the file is missing or a key
        is missing or unknown.
        """
        p = Path(path) if path is not None else config.district_dir(district) / "world.toml"
        raw = _load_raw(p)
        flat: dict[str, Any] = {}
        for section, content in raw.items():
            if section in _TABLES:
                flat[section] = content
            elif isinstance(content, dict):
                for k, v in content.items():
                    if k in flat:
                        raise ConfigError(
                            f"{p}: key '{k}' appears in two sections. Fix: rename one."
                        )
                    flat[k] = v
            else:
                flat[section] = content
        names = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(flat) - names)
        missing = sorted(names - set(flat))
        if unknown or missing:
            raise ConfigError(f"{p}: unknown keys {unknown}, missing keys {missing}. Fix: make the "
                              f"file match kassaki_eval.synthetic.params.WorldParams.")
        obj = cls(**flat, source=str(p))
        obj.validate()
        return obj

    def replace(self, **changes: Any) -> WorldParams:
        """A copy with some fields changed, e.g. ``p.replace(selection_unobs=1.0)``."""
        names = {f.name for f in fields(self)}
        bad = sorted(set(changes) - names)
        if bad:
            raise ParameterError(f"The 'changes' parameter of WorldParams.replace must name fields "
                                 f"of WorldParams. Got {bad} instead.")
        obj = dataclasses.replace(self, **changes)
        obj.validate()
        return obj

    def validate(self) -> None:
        """Raise :class:`ParameterError` on values the generator cannot use."""
        def need(ok: bool, name: str, what: str) -> None:
            if not ok:
                raise ParameterError(f"The '{name}' parameter of WorldParams must be {what}. "
                                     f"Got {getattr(self, name)!r} instead.")
        need(self.n_households >= 1000, "n_households", "an int >= 1000")
        need(self.hh_size_mean > 1, "hh_size_mean", "> 1")
        for name in ("poverty_rate_2023", "pmt_r2", "desil_1to4_share", "takeup_rate",
                     "leakage_rate", "csr_quota_share", "csr_takeup_rate", "tail_prob",
                     "survey_village_share", "panel_share", "panel_attrition",
                     "unregistered_poor", "unregistered_nonpoor", "registry_exclusion_target",
                     "pkh_share", "bpnt_share", "employed_year_corr"):
            v = getattr(self, name)
            need(0 <= v < 1 and (v > 0 or name not in ("poverty_rate_2023", "pmt_r2")), name,
                 "a number in [0, 1)")
        need(self.n_villages_2024 >= 0 and self.n_villages_2025 >= 0, "n_villages_2024",
             "non-negative (and n_villages_2025 too)")
        need(self.survey_households >= 100, "survey_households", "an int >= 100")
        need(set(self.components) == set(COMPONENTS), "components",
             f"a table with exactly {COMPONENTS}")
        need(set(self.effects) == set(HOUSEHOLD_COMPONENTS), "effects",
             f"a table with exactly {HOUSEHOLD_COMPONENTS}")
        for comp, tab in self.effects.items():
            need(set(tab) == set(OUTCOMES_EFFECT) and all(set(z) == {"island", "mainland"}
                                                           for z in tab.values()),
                 "effects", f"for {comp}: outcomes {OUTCOMES_EFFECT} each with island and mainland")
