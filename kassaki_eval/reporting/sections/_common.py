"""Helpers shared by the report's section modules (one module per notebook)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...poverty.design import SurveyDesign
from ..blocks import Block, Table
from ..context import Context

__all__ = ["record_number", "survey_design", "survey_with_lines", "survey_of_year",
           "numbers_table", "saved_table"]


def record_number(block: Block, name: str, value: Any, kind: str) -> None:
    """Record a key result: collected by the summary and the year-over-year comparison."""
    v = None if value is None or (isinstance(value, float) and not np.isfinite(value)) else value
    block.numbers[name] = {"value": v, "fmt": kind, "section": block.section}


def survey_design(data: pd.DataFrame) -> SurveyDesign:
    """The report's survey design: villages are PSUs inside kecamatan strata.

    A stratum left with one village in a small sample is handled as R survey's "adjust"
    (centred at the population mean).
    """
    return SurveyDesign(data.reset_index(drop=True), weight="weight", strata="stratum",
                        psu="psu", lonely_psu="adjust")


def survey_with_lines(ctx: Context) -> pd.DataFrame:
    """The survey waves with the poverty line of each wave's year (column ``line``)."""
    s = ctx.survey
    lines = {int(y): ctx.poverty_line("total", int(y)) for y in s["year"].unique()}
    return s.assign(line=s["year"].map(lines).astype(float))


def survey_of_year(ctx: Context) -> pd.DataFrame:
    """The report year's survey wave."""
    return ctx.survey[ctx.survey["year"] == ctx.params.year].reset_index(drop=True)


def numbers_table(tab: pd.DataFrame, name: str, title_key: str, ctx: Context) -> Table:
    """Key numbers, each shown in its own format (``_fmt``: pct, int, …)."""
    out = tab[["section", "indicator", "value", "fmt"]].rename(columns={"fmt": "_fmt"})
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    return Table.build(name, out, title_key=title_key, k=ctx.k, count_col=None,
                       formats={"value": "@_fmt"}, translate=("section", "indicator"))


def saved_table(blocks: list[dict[str, Any]], name: str) -> pd.DataFrame | None:
    """The table ``name`` from the blocks saved by the notebooks (None when not saved)."""
    for m in blocks:
        if name in m.get("tables_data", {}):
            return m["tables_data"][name]
    return None
