"""The published report's numbers, read back from what a reader gets (issue 18).

The report run of ``tests/conftest.py`` (demo world, seed 7, scale 0.05) publishes CSV tables, one
xlsx workbook per language, ``key_results.json``, HTML and docx. These tests read those
published files only, and check each headline number three ways:

1. against the library called directly, here, on the raw input files the run published in its
   ``inputs/`` folder (read through the public loaders, with the documented design: villages
   as PSUs within kecamatan strata, R survey's "adjust" for a lonely PSU; the reference line of
   each year; Callaway-Sant'Anna on :func:`~kassaki_eval.impact.panel.evaluation_panel`);
2. across the published formats (CSV = xlsx in both languages = key_results.json = the text
   of the HTML and docx, in each language's number format);
3. against the demo world's truth (``inputs/truth/``, written by the generator): each true
   value inside the published confidence interval.

Tolerances: CSV cells are written with 10 significant digits (``tables/*.csv``), so CSV and
xlsx are compared at rtol 1e-9; ``key_results.json`` keeps full precision (rtol 1e-12).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import reference
from kassaki_eval.data import load_table
from kassaki_eval.impact import aggregate, callaway_santanna, programme_verdict
from kassaki_eval.impact.panel import evaluation_panel
from kassaki_eval.poverty import SurveyDesign, fgt
from kassaki_eval.reporting.i18n import catalogue
from kassaki_eval.targeting import targeting_accuracy

CSV_RTOL = 1e-9
JSON_RTOL = 1e-12


# -- the published files ---------------------------------------------------------------------
def _folder(report) -> Path:
    return report["paths"].folder


def _csv(report, name: str) -> pd.DataFrame:
    return pd.read_csv(_folder(report) / "tables" / f"{name}.csv")


def _keys(report) -> dict[str, float]:
    raw = json.loads((_folder(report) / "key_results.json").read_text())
    return {k: v["value"] for k, v in raw.items()}


@pytest.fixture(scope="module")
def inputs(report):
    """The run's published raw inputs, read through the public loaders (as a user would)."""
    folder = _folder(report) / "inputs"
    waves = sorted(folder.glob("survey_*.csv"))
    assert len(waves) >= 2, "the demo run publishes one survey file per wave"
    return {"survey": load_table(waves, "survey", demo=True),
            "rollout": load_table(folder / "truth" / "rollout.csv", "rollout", demo=True),
            "truth": folder / "truth"}


def _design(df: pd.DataFrame) -> SurveyDesign:
    return SurveyDesign(df.reset_index(drop=True), weight="weight", strata="stratum", psu="psu",
                        lonely_psu="adjust")


def _year(report) -> int:
    return int(report["params"]["year"])


# -- 1. the library called directly ----------------------------------------------------------
def test_district_poverty_table_equals_direct_fgt(report, inputs):
    """Every wave's P0 (with its CI), P1, P2 and line equal ``fgt`` on that wave's file."""
    tab = _csv(report, "poverty_district")
    s = inputs["survey"]
    assert sorted(tab["year"]) == sorted(s["year"].unique())
    for _, row in tab.iterrows():
        y = int(row["year"])
        line = reference.poverty_line(y)
        assert row["poverty_line"] == line
        res = fgt(_design(s[s["year"] == y]), line=line, g=[0, 1, 2], size="hh_size")
        td = res.tidy().set_index("measure")
        np.testing.assert_allclose(
            [row["p0"], row["p0_low"], row["p0_high"], row["p1"], row["p2"]],
            [td.loc["p0", "estimate"], td.loc["p0", "conf_low"], td.loc["p0", "conf_high"],
             td.loc["p1", "estimate"], td.loc["p2", "estimate"]], rtol=CSV_RTOL)
        assert int(row["n_hh"]) == int(td.loc["p0", "n_obs"])


def test_extreme_poverty_equals_direct_fgt(report, inputs):
    s = inputs["survey"]
    y = _year(report)
    res = fgt(_design(s[s["year"] == y]), line=reference.poverty_line(y, "extreme"),
              size="hh_size")
    np.testing.assert_allclose(_keys(report)["p0_extreme"], float(res["p0"]), rtol=JSON_RTOL)


def test_registry_targeting_equals_direct_targeting_accuracy(report, inputs):
    """Exclusion and inclusion errors of the registry's desil 1-4 (the eligibility rule of
    the programme) against the report year's survey, equal to a direct call."""
    s = inputs["survey"]
    y = _year(report)
    cur = s[s["year"] == y].reset_index(drop=True)
    cur = cur.assign(selected=(pd.to_numeric(cur["desil"], errors="coerce").fillna(99) <= 4)
                     .astype(int))
    td = targeting_accuracy(cur, selected="selected", poverty_line=reference.poverty_line(y),
                            score="desil", deciles=True).tidy()
    direct = td[(td["benchmark"] == "poverty_line") & (td["by"] == "all")
                & td["decile"].isna()].set_index("term")
    tab = _csv(report, "targeting_registry")
    pub = tab[(tab["benchmark"] == "poverty_line") & (tab["dimension"] == "all")].set_index(
        "measure")
    for term in ("exclusion_error", "inclusion_error"):
        np.testing.assert_allclose(
            pub.loc[term, ["estimate", "conf_low", "conf_high"]].to_numpy(float),
            direct.loc[term, ["estimate", "conf_low", "conf_high"]].to_numpy(float),
            rtol=CSV_RTOL, err_msg=term)
    keys = _keys(report)
    np.testing.assert_allclose(keys["registry_exclusion_error"],
                               direct.loc["exclusion_error", "estimate"], rtol=JSON_RTOL)
    np.testing.assert_allclose(keys["registry_inclusion_error"],
                               direct.loc["inclusion_error", "estimate"], rtol=JSON_RTOL)


@pytest.fixture(scope="module")
def panel(report, inputs):
    s = inputs["survey"]
    years = sorted(int(y) for y in s["year"].unique())
    return evaluation_panel(s, lines={y: reference.poverty_line(y) for y in years},
                            outcomes=("poor",), rollout=inputs["rollout"], as_of=_year(report))


def test_programme_att_equals_direct_callaway_santanna(report, panel):
    """The whole programme's ATT on the headcount (C&S, never-treated controls, doubly
    robust, population weights: the report's stated main estimator)."""
    cs = callaway_santanna(panel, y="poor", unit="village_code", time="year", cohort="cohort",
                           weights="pop_weight")
    direct = aggregate(cs, "simple").tidy()
    direct = direct[direct["term"] == "ATT"].iloc[0]
    tab = _csv(report, "impact_att")
    pub = tab[(tab["component"] == "all") & (tab["outcome"] == "poor")
              & (tab["method"] == "cs_did")].iloc[0]
    np.testing.assert_allclose(
        pub[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy(float),
        direct[["estimate", "std_error", "conf_low", "conf_high"]].to_numpy(float),
        rtol=CSV_RTOL)
    np.testing.assert_allclose(_keys(report)["att_poor_cs"], direct["estimate"], rtol=JSON_RTOL)


def test_verdict_equals_direct_programme_verdict(report, panel):
    """The attributable change and its CI, with the goal from the parameters (1 point)."""
    goal_pp = report["params"].get("goal_pp", 1.0)
    v = programme_verdict(panel, year=_year(report), threshold=goal_pp / 100)
    direct = v.tidy().set_index("term")
    pub = _csv(report, "verdict").set_index("measure")
    for term in ("attributable_change", "att_treated_villages", "treated_person_share"):
        np.testing.assert_allclose(
            pub.loc[term, ["estimate", "conf_low", "conf_high"]].to_numpy(float),
            direct.loc[term, ["estimate", "conf_low", "conf_high"]].to_numpy(float),
            rtol=CSV_RTOL, err_msg=term)
    keys = _keys(report)
    np.testing.assert_allclose(keys["attributable_change"],
                               direct.loc["attributable_change", "estimate"], rtol=JSON_RTOL)
    np.testing.assert_allclose(keys["prob_goal_met"], v.extras["prob_reduction_exceeds"],
                               rtol=JSON_RTOL)


# -- 2. the same numbers in every published format ------------------------------------------
def test_key_results_json_equals_the_published_tables(report):
    keys = _keys(report)
    y = _year(report)
    d = _csv(report, "poverty_district").set_index("year").loc[y]
    for k, col in (("p0", "p0"), ("p0_ci_low", "p0_low"), ("p0_ci_high", "p0_high"),
                   ("p1", "p1"), ("p2", "p2")):
        np.testing.assert_allclose(keys[k], d[col], rtol=CSV_RTOL, err_msg=k)
    kr = _csv(report, "key_results").set_index("indicator")["value"]
    for name, value in keys.items():
        if value is None or name not in kr.index:
            continue
        np.testing.assert_allclose(float(kr[name]), float(value), rtol=CSV_RTOL, err_msg=name)
    assert set(keys) <= set(kr.index), set(keys) - set(kr.index)


def test_xlsx_in_both_languages_equals_the_csv_tables(report):
    """Every published table: the xlsx sheet of each language holds the CSV's numbers."""
    from openpyxl import load_workbook
    m = json.loads((_folder(report) / "manifest.json").read_text())
    assert m["tables"], "the manifest lists the published tables"
    n_compared = 0
    for lang, path in report["paths"].xlsx.items():
        wb = load_workbook(path, read_only=True, data_only=True)
        for t in m["tables"]:
            csv_tab = pd.read_csv(_folder(report) / t["csv"])
            rows = list(wb[t["sheet"]].iter_rows(values_only=True))
            assert len(rows) - 1 == len(csv_tab), (lang, t["name"])
            body = pd.DataFrame(rows[1:])
            for j, col in enumerate(csv_tab.columns[: body.shape[1]]):
                if not pd.api.types.is_float_dtype(csv_tab[col]):
                    continue
                got = pd.to_numeric(body[j], errors="coerce").to_numpy(float)
                want = csv_tab[col].to_numpy(float)
                np.testing.assert_allclose(got, want, rtol=CSV_RTOL, equal_nan=True,
                                           err_msg=f"{lang} {t['name']}.{col}")
                n_compared += 1
    assert n_compared >= 40  # float columns compared over all tables and both languages


def _pct(value: float, lang: str, nd: int = 1) -> str:
    s = f"{100 * value:.{nd}f}"
    return (s.replace(".", ",") if lang == "id" else s) + "%"


def test_headline_numbers_in_the_text_of_each_language(report):
    """The report-year P0 and the verdict's reduction appear, in the language's number
    format, in the HTML and in the editable docx of that language."""
    import docx
    keys = _keys(report)
    for lang, path in report["paths"].html.items():
        html = path.read_text()
        doc = docx.Document(str(_folder(report) / f"report_{_year(report)}_{lang}.docx"))
        text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
            c.text for tb in doc.tables for r in tb.rows for c in r.cells)
        p0 = _pct(keys["p0"], lang)
        assert p0 in html and p0 in text, (lang, p0)
        red = f"{-100 * keys['attributable_change']:.1f}"
        red = red.replace(".", ",") if lang == "id" else red
        assert red in html and red in text, (lang, red)


def test_every_chapter_in_every_language(report):
    """Each chapter title of the catalogue appears in the HTML and docx of every language
    (the contents of the two languages are the same chapters)."""
    import docx
    cat = catalogue()
    chapters = [k for k in cat if k.startswith("nb.") and k != "nb.appendix"]
    assert len(chapters) >= 5
    seen = {}
    for lang, path in report["paths"].html.items():
        html = path.read_text()
        doc = docx.Document(str(_folder(report) / f"report_{_year(report)}_{lang}.docx"))
        text = "\n".join(p.text for p in doc.paragraphs)
        seen[lang] = {k for k in chapters if cat[k][lang] in html}
        assert seen[lang] == {k for k in chapters if cat[k][lang] in text}, lang
    assert len(set(map(frozenset, seen.values()))) == 1, seen
    assert len(next(iter(seen.values()))) >= 5


# -- 3. the demo world's truth inside the published intervals -------------------------------
def test_true_poverty_rate_inside_the_published_interval(report, inputs):
    truth = pd.read_csv(inputs["truth"] / "poverty.csv")
    true = truth[(truth["domain"] == "district") & (truth["year"] == _year(report))]["p0"]
    keys = _keys(report)
    assert keys["p0_ci_low"] <= float(true.iloc[0]) <= keys["p0_ci_high"]


def test_true_attributable_change_inside_the_published_interval(report, inputs):
    truth = pd.read_csv(inputs["truth"] / "programme_effect.csv").set_index("year")
    true = float(truth.loc[_year(report), "attributable_change"])
    v = _csv(report, "verdict").set_index("measure").loc["attributable_change"]
    assert v["conf_low"] <= true <= v["conf_high"]


def test_true_registry_errors_inside_the_published_intervals(report, inputs):
    """The registry's desil 1-4 rule: true exclusion and inclusion errors of the whole
    synthetic population (``truth/targeting.csv``) inside the survey-based intervals."""
    truth = pd.read_csv(inputs["truth"] / "targeting.csv").set_index("benchmark")
    true = truth.loc["registry_desil_1to4"]
    tab = _csv(report, "targeting_registry")
    pub = tab[(tab["benchmark"] == "poverty_line") & (tab["dimension"] == "all")].set_index(
        "measure")
    for term in ("exclusion_error", "inclusion_error"):
        assert pub.loc[term, "conf_low"] <= true[term] <= pub.loc[term, "conf_high"], term


def test_true_cost_effectiveness_inside_the_published_intervals(report, inputs):
    """Issue 14: the world's true cost per point and per person lifted (``truth/
    cost_effectiveness.csv``: true cost over the true reduction of the district P0) inside the
    published intervals (an empty upper end is an unbounded interval); the published programme
    cost is the world's true cost (the report's default cost rules are the world's)."""
    truth = pd.read_csv(inputs["truth"] / "cost_effectiveness.csv").set_index("year")
    true = truth.loc[_year(report)]
    tab = _csv(report, "cost_effectiveness")
    pub = tab[tab["partner"] == "all"].set_index("measure")
    for name in ("cost_per_point", "cost_per_person_lifted"):
        lo, hi = pub.loc[name, "conf_low"], pub.loc[name, "conf_high"]
        hi = np.inf if pd.isna(hi) else hi
        assert lo <= true[name] <= hi, (name, lo, true[name], hi)
    np.testing.assert_allclose(pub.loc["cost_per_point", "cost_rp"], true["cost_rp"],
                               rtol=CSV_RTOL)
    np.testing.assert_allclose(_keys(report)["programme_cost"], true["cost_rp"], rtol=JSON_RTOL)
