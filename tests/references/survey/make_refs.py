"""Regenerate the survey-estimation references with the third-party package ``svy``.

Run from the repository root (needs the ``peers`` extra: ``pip install svy polars``)::

    .venv/bin/python tests/references/survey/make_refs.py

Inputs (committed next to this script):
- ``hld_sample_wb_2023.csv``: the household sample bundled with svy 0.35.0
  (``svy/datasets/_bundled/hld_sample_wb_2023.parquet``), World Bank (2023) Synthetic Data for
  Household Surveys and Census, https://doi.org/10.48529/78M1-AE09 (columns kept: hid, geo1,
  urbrur, ea, hhsize, pc_exp, hhweight). Design: strata = geo1 x urbrur (7 strata), PSU = ea
  (33 PSUs), weight = hhweight (households); person weight = hhweight x hhsize.
- ``apistrat.csv``: R survey's ``apistrat`` (200 California schools; columns snum, stype, dnum,
  api00, api99, enroll, pw, fpc), taken from samplics' test data
  (samplics-org/samplics tests/regression/api_strat.csv), itself exported from R survey.

Output: ``svy_reference.csv`` with columns dataset, design, measure, weight, by, group,
estimate, se, df. svy's options: Taylor linearisation, default singleton handling (none occur),
no fpc, ``svy.Sample(data, svy.Design(stratum=, psu=, wgt=)).estimation.mean(y, by=)``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
LINE = 2000.0  # poverty line for the WB sample (pc_exp units); P0 about 35 % (persons)


def wb_sample() -> pd.DataFrame:
    d = pd.read_csv(HERE / "hld_sample_wb_2023.csv")
    d["stratum"] = d["geo1"] + "_" + d["urbrur"]
    d["pw"] = d["hhweight"] * d["hhsize"]
    d["poor"] = (d["pc_exp"] < LINE).astype(float)
    gap = np.where(d["pc_exp"] < LINE, (LINE - d["pc_exp"]) / LINE, 0.0)
    d["gap1"] = gap
    d["gap2"] = gap ** 2
    return d


def main() -> None:
    import polars as pl
    import svy

    rows = []

    def run(dataset: str, design_name: str, data: pd.DataFrame, design: "svy.Design", y: str,
            weight: str, by: str | None) -> None:
        s = svy.Sample(pl.from_pandas(data), design)
        est = s.estimation.mean(y, by=by)
        t = est.to_polars().to_pandas()
        for _, r in t.iterrows():
            rows.append({"dataset": dataset, "design": design_name, "measure": f"mean({y})",
                         "weight": weight, "by": by or "", "group": r[by] if by else "all",
                         "estimate": float(r["est"]), "se": float(r["se"]),
                         "df": float(r["df"]) if "df" in t else np.nan})

    d = wb_sample()
    des = svy.Design(stratum="stratum", psu="ea", wgt="pw")
    for y in ("poor", "gap1", "gap2", "pc_exp"):
        for by in (None, "geo1", "urbrur"):
            run("wb2023", "strata=geo1xurbrur, psu=ea", d, des, y, "hhweight*hhsize", by)
    des_h = svy.Design(stratum="stratum", psu="ea", wgt="hhweight")
    for by in (None, "geo1"):
        run("wb2023", "strata=geo1xurbrur, psu=ea", d, des_h, "pc_exp", "hhweight", by)

    a = pd.read_csv(HERE / "apistrat.csv")
    for by in (None, "stype"):
        run("apistrat", "strata=stype", a, svy.Design(stratum="stype", wgt="pw"), "api00", "pw", by)
        run("apistrat", "unstratified", a, svy.Design(wgt="pw"), "api00", "pw", by)
    out = pd.DataFrame(rows)
    out.to_csv(HERE / "svy_reference.csv", index=False, float_format="%.17g")
    print(out.to_string())
    print(f"svy {svy.__version__}")


if __name__ == "__main__":
    main()
