"""Typed, validated parameters of the annual report.

papermill never type-checks the values it injects and only *warns* about unknown ones
(nteract/papermill #55, #818). Here every parameter is declared once, in
:class:`ReportParams` (pydantic, ``extra="forbid"``), and validated in the parent process
**before any kernel starts**. The notebooks receive the validated values as one JSON-able
dict (``report_params``) and validate it again in-kernel, so a notebook run by hand in
JupyterLab obeys the same schema.

Example
-------
>>> from kassaki_eval.reporting.params import validate_params
>>> p = validate_params({"year": 2025, "source": {"kind": "demo", "scale": 0.1}})
>>> p.year, p.languages, p.k_suppress
(2025, ('id', 'en'), 10)
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import reference
from ..exceptions import ParameterError
from ..impact.cost import CostRules

__all__ = [
    "PARTNERS", "COMPONENTS", "LANGUAGES", "IMPACT_METHODS", "PMT_METHODS", "PARTNER_VIEWS",
    "DemoSource", "FileSource", "MappedInput", "ReportParams", "validate_params", "PartnerView",
    "partner_view",
]

PARTNERS: tuple[str, ...] = (
    "bank_sulselbar", "semen_tonasa", "bpvp", "stiem", "unhas", "ykpm", "lan",
)
COMPONENTS: tuple[str, ...] = ("credit", "csr_sme", "training", "facilitation", "women_groups")
LANGUAGES: tuple[str, ...] = ("id", "en")
# Impact estimators the report runs on the village panel (matching/RD need household-level
# eligibility designs and are not part of the annual report yet).
IMPACT_METHODS: tuple[str, ...] = ("cs_did", "twfe", "imputation")
PMT_METHODS: tuple[str, ...] = ("ols", "quantile", "lasso", "gbm")
SECTIONS: tuple[str, ...] = ("data", "poverty", "targeting", "impact", "summary")

Partner = Literal["bank_sulselbar", "semen_tonasa", "bpvp", "stiem", "unhas", "ykpm", "lan"]
Lang = Literal["id", "en"]
ImpactMethod = Literal["cs_did", "twfe", "imputation"]
PmtMethod = Literal["ols", "quantile", "lasso", "gbm"]

# Which sections and programme components each partner owns (DOMAIN.md, programme.toml).
# A partner view shows the same numbers as the full report, restricted to these.
PARTNER_VIEWS: dict[str, dict[str, tuple[str, ...]]] = {
    "bank_sulselbar": {"sections": ("data", "impact", "summary"), "components": ("credit",)},
    "semen_tonasa": {"sections": ("data", "impact", "summary"), "components": ("csr_sme",)},
    "bpvp": {"sections": ("data", "impact", "summary"), "components": ("training",)},
    "ykpm": {"sections": ("data", "poverty", "impact", "summary"), "components": ("women_groups",)},
    "stiem": {"sections": ("data", "poverty", "targeting", "summary"),
              "components": ("facilitation",)},
    # Universities and LAN evaluate the whole programme: every section, every component.
    "unhas": {"sections": SECTIONS, "components": COMPONENTS},
    "lan": {"sections": SECTIONS, "components": COMPONENTS},
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class DemoSource(_Strict):
    """The synthetic Pangkep world (``kassaki_eval.synthetic.world.generate_world``)."""

    kind: Literal["demo"] = "demo"
    seed: int = Field(2024, ge=0, description="seed of the synthetic world")
    scale: float = Field(1.0, gt=0, le=2, description="share of the Pangkep population")


class MappedInput(_Strict):
    """One source file mapped by a profile before the run (``report --profile``).

    Recorded in the parameters, hence in the manifest: which profile (by name and by the
    SHA-256 of its TOML text) turned which file (name only, no path) into which table.
    """

    table: Literal["registry", "survey", "participation", "rollout"]
    file: str = Field(..., min_length=1, pattern=r"^[^/\\]+$", description="file name, no path")
    profile: str = Field(..., min_length=1)
    profile_sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")


class FileSource(_Strict):
    """Real (or previously written) raw files, read through the validated loaders."""

    kind: Literal["files"] = "files"
    registry: Path
    survey: tuple[Path, ...] = Field(..., min_length=1,
                                     description="one file of stacked waves, or one per wave")
    participation: Path
    rollout: Path
    profiles: tuple[MappedInput, ...] = Field(
        (), description="source files mapped by a profile into the files above (report "
                        "--profile): table, file name, profile name, profile SHA-256")

    @field_validator("survey", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, (str, Path)) else v

    @model_validator(mode="after")
    def _exist(self) -> FileSource:
        for name in ("registry", "survey", "participation", "rollout"):
            v = getattr(self, name)
            for p in (v if isinstance(v, tuple) else (v,)):
                if not Path(p).is_file():
                    raise ValueError(f"a path to an existing {name} file; {p} does not exist")
        return self


class ReportParams(_Strict):
    """Every parameter of the annual report. Unknown names are errors, not warnings."""

    year: int = Field(..., ge=2023, le=2100, description="report year (survey wave)")
    source: Annotated[DemoSource | FileSource, Field(discriminator="kind")] = Field(
        default_factory=lambda: DemoSource(),  # type: ignore[call-arg]  # pydantic defaults
        description="where the data come from")
    poverty_line: float | None = Field(
        None, gt=0, description="Rp per capita per month; default: the reference line of the year")
    extreme_line: float | None = Field(
        None, gt=0, description="Rp per capita per month; default: the reference extreme line")
    languages: tuple[Lang, ...] = Field(("id", "en"), min_length=1,
                                        description="report languages, all rendered from one run")
    partner: Partner | None = Field(None, description="partner view; none = the full report")
    seed: int = Field(2024, ge=0, description="seed of every random step (bootstrap, CV folds)")
    alpha: float = Field(0.05, gt=0, lt=0.5, description="1 - confidence level")
    impact_methods: tuple[ImpactMethod, ...] = Field(("cs_did", "twfe"), min_length=1)
    pmt_methods: tuple[PmtMethod, ...] = Field(("ols", "lasso"), min_length=1)
    k_suppress: int = Field(10, ge=2, le=1000,
                            description="cells based on fewer households are suppressed")
    previous: Path | None = Field(None, description="last year's report folder, for comparison")
    goal_pp: float = Field(1.0, gt=0, le=20, description="programme goal: P0 reduction in pp")
    # targeting chapter (notebook 03)
    eligible_desil: int = Field(4, ge=1, le=10, description="registry eligibility: desil 1 to "
                                "this (PKH: 4; Sembako and PBI-JK: 5; DOMAIN.md)")
    transfer_rp: float = Field(
        default_factory=lambda: reference.benefit_rp("sembako"), gt=0,
        description="Rp per family per month in the rules compared under one budget; default: "
                    "the Program Sembako (BPNT) benefit, Rp200,000 per family (KPM) a month "
                    "since 2020 (Kemensos), from data/reference/national/social_assistance.csv")
    costs: CostRules = Field(
        default_factory=CostRules,
        description="how records are costed (loans at their cost to the lender); defaults and "
                    "sources: kassaki_eval.impact.cost.COST_SOURCES")

    @model_validator(mode="before")
    @classmethod
    def _default_kind(cls, data: Any) -> Any:
        # {"scale": 0.1} means the demo world; "files" must be said explicitly
        if isinstance(data, Mapping) and isinstance(data.get("source"), Mapping) \
                and "kind" not in data["source"]:
            data = {**data, "source": {"kind": "demo", **data["source"]}}
        return data

    @field_validator("languages", "impact_methods", "pmt_methods")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("a list without repeated values")
        return v

    @field_validator("previous")
    @classmethod
    def _previous_is_report(cls, v: Path | None) -> Path | None:
        if v is not None and not (Path(v) / "manifest.json").is_file():
            raise ValueError(f"a report folder holding manifest.json; {v} has none")
        return v

    def to_json_dict(self) -> dict[str, Any]:
        """Plain JSON values, as injected into the notebooks and written to the manifest."""
        return self.model_dump(mode="json")

    def rows(self) -> list[tuple[str, str]]:
        """(name, value) pairs for the rendered parameter table, sources flattened."""
        out: list[tuple[str, str]] = []
        for k, v in self.to_json_dict().items():
            if isinstance(v, dict):
                out.extend((f"{k}.{kk}", _show(vv)) for kk, vv in v.items())
            else:
                out.append((k, _show(v)))
        return out


def _show(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, (list, tuple)):
        return ", ".join(_show(x) for x in v)
    if isinstance(v, dict) and "profile_sha256" in v:  # a mapped input (MappedInput)
        return f"{v['file']} -> {v['table']} ({v['profile']}, sha256 {v['profile_sha256'][:12]})"
    return str(v)


def _loc(loc: tuple[Any, ...]) -> str:
    # drop pydantic's union-tag segments ("demo", "files") so the name reads like the parameter
    parts = [str(p) for p in loc if str(p) not in ("demo", "files", "function-after[_exist()]")]
    return ".".join(parts) or "report_params"


def validate_params(values: Mapping[str, Any] | ReportParams, owner: str = "kassaki-eval report"
                    ) -> ReportParams:
    """Validate raw parameter values; raise :class:`ParameterError` listing every problem.

    Messages follow the template "The 'a' parameter of X must be … Got … instead."
    """
    if isinstance(values, ReportParams):
        return values
    if not isinstance(values, Mapping):
        raise ParameterError(f"The 'report_params' parameter of {owner} must be a mapping of "
                             f"parameter names to values. Got {type(values).__name__} instead.")
    try:
        return ReportParams.model_validate(dict(values))
    except ValidationError as e:
        lines = []
        known = ", ".join(ReportParams.model_fields)
        errors = e.errors()
        child_locs = {tuple(err["loc"][:-1]) for err in errors if len(err["loc"]) > 1}
        for err in errors:
            name = _loc(tuple(err["loc"]))
            if err["type"] == "too_short" and tuple(err["loc"]) in child_locs:
                continue  # the item error below says what is wrong
            if err["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
                names = known
                if name.startswith("costs."):  # a dataclass: pydantic's type differs
                    names = ", ".join(f"costs.{f}" for f in CostRules.__dataclass_fields__)
                lines.append(f"The '{name}' parameter of {owner} is unknown; known parameters "
                             f"are: {names}. Got {name}={err.get('input')!r}.")
                continue
            msg = err["msg"]
            for prefix in ("Input should be ", "Value error, "):
                if msg.startswith(prefix):
                    msg = msg[len(prefix):]
            if msg.startswith("The '"):  # a library check's own message (CostRules)
                lines.append(f"{msg} (report parameter '{name}')")
                continue
            lines.append(f"The '{name}' parameter of {owner} must be {msg}. "
                         f"Got {err.get('input')!r} instead.")
        head = "invalid report parameters (nothing was run):"
        raise ParameterError(head + "\n  - " + "\n  - ".join(lines)) from None


class PartnerView:
    """Sections and components shown in one partner's view (``None`` = full report)."""

    def __init__(self, partner: str | None):
        self.partner = partner
        spec = PARTNER_VIEWS.get(partner or "", {"sections": SECTIONS, "components": COMPONENTS})
        self.sections: tuple[str, ...] = tuple(spec["sections"])
        self.components: tuple[str, ...] = tuple(spec["components"])

    @property
    def name(self) -> str:
        """Name of the view: the partner, or ``"full"``."""
        return self.partner or "full"

    def shows(self, section: str) -> bool:
        """Whether ``section`` is part of this view."""
        return section in self.sections


def partner_view(params: ReportParams) -> PartnerView:
    """The :class:`PartnerView` of the report's partner."""
    return PartnerView(params.partner)
