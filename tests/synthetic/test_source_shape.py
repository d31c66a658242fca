"""The messy demo: source-shaped files mapped by the shipped profiles give back the clean
contract tables (the mapping is lossless)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.cli import main
from kassaki_eval.data.contracts import validate
from kassaki_eval.data.loaders import load_table
from kassaki_eval.data.profiles import load_with_profile, map_files
from kassaki_eval.synthetic.source_shape import SOURCE_FILES, write_source_shape
from kassaki_eval.synthetic.world import YEARS, generate_world

PARTNER_PROFILES = [k for k in SOURCE_FILES if k.startswith("partner_")]


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    world = generate_world(seed=2024, scale=0.05)
    root = tmp_path_factory.mktemp("sources")
    write_source_shape(world, root / "messy")
    world.write(root / "clean", population=False)
    return world, root / "messy", root / "clean"


def _max_diff(a: pd.DataFrame, b: pd.DataFrame, key: list[str]) -> float:
    """Largest relative difference over float columns; every other column must be equal."""
    assert list(a.columns) == list(b.columns)
    a = a.sort_values(key).reset_index(drop=True)
    b = b.sort_values(key).reset_index(drop=True)
    assert len(a) == len(b)
    worst = 0.0
    for c in a.columns:
        if pd.api.types.is_float_dtype(a[c]) and pd.api.types.is_float_dtype(b[c]):
            x, y = a[c].to_numpy(float), b[c].to_numpy(float)
            assert np.array_equal(np.isnan(x), np.isnan(y)), c
            ok = ~np.isnan(x)
            if ok.any():
                worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]) / np.maximum(1.0, np.abs(y[ok])))))
        else:
            pd.testing.assert_series_equal(a[c], b[c], check_names=False, obj=c)
    return worst


def test_registry_from_p3ke_equals_clean(messy):
    _, m, c = messy
    got = load_with_profile(m / "p3ke_pangkep.xlsx", "p3ke", demo=True)
    want = load_table(c / "registry_raw.csv", "registry", demo=True)
    assert _max_diff(got, want[got.columns], ["family_id"]) == 0.0
    src = got.attrs["kassaki_source"]
    assert src["profile"] == "p3ke" and len(src["profile_sha256"]) == 64
    assert not {"no_kk", "nik_head", "name_head"} & set(got.columns)


def test_registry_from_dtsen_person_rows_equals_clean(messy):
    _, m, c = messy
    got = load_with_profile([m / f for f in SOURCE_FILES["dtsen"]], "dtsen", demo=True)
    want = load_table(c / "registry_raw.csv", "registry", demo=True)
    # floor area comes as the house's total (m2) and is divided by the size: rounding only
    assert _max_diff(got, want[got.columns], ["family_id"]) < 1e-15


def test_survey_from_susenas_equals_clean(messy):
    _, m, c = messy
    got = load_with_profile(sorted((m / "susenas").glob("*.csv")), "susenas", demo=True)
    want = load_table([c / f"survey_{y}.csv" for y in YEARS], "survey")
    # only unit conversions (x1000 of income, floor area / size) may differ, by rounding
    assert _max_diff(got, want[got.columns], ["year", "hh_id"]) < 1e-15
    assert set(got.columns) == set(want.columns) - {"receives_pkh", "receives_bpnt"}


def test_participation_from_partner_workbooks_equals_clean(messy):
    _, m, c = messy
    parts = [load_with_profile([m / f for f in SOURCE_FILES[p]], p, demo=True)
             for p in PARTNER_PROFILES]
    got = validate(pd.concat(parts, ignore_index=True), "participation")
    want = load_table(c / "participation.csv", "participation")
    assert _max_diff(got, want[got.columns], ["record_id"]) == 0.0
    assert set(got["partner"]) == set(want["partner"])


def test_persons_aggregate_back_to_household_covariates(messy):
    world, m, _ = messy
    ind = pd.read_csv(m / "susenas" / "kor_ind_2024.csv", dtype=str)
    s = world.survey[world.survey["year"] == 2024].set_index("hh_id")
    age = ind["R407"].astype(int)
    g = ind.assign(kid=age < 15, old=age >= 65).groupby("URUT")
    assert (g.size() == s["hh_size"].reindex(g.size().index)).all()
    assert (g["kid"].sum() == s["n_children"].reindex(g.size().index)).all()
    assert (g["old"].sum() == s["n_elderly"].reindex(g.size().index)).all()
    heads = ind[ind["R403"] == "1"].set_index("URUT")
    assert heads.index.is_unique and len(heads) == len(s)
    assert (heads["R407"].astype(int) == s["head_age"].reindex(heads.index)).all()


def test_person_weighted_poverty_from_person_file_equals_household_table(messy):
    """FGT weighted by persons: the person file (each member carries its household's
    per-capita consumption, weight, stratum and PSU) gives the same estimates and linearised
    SEs as the household table with size = hh_size (R: svydesign on persons vs households
    with weights x size; the PSU totals are identical, so the variance is too)."""
    from kassaki_eval import reference
    from kassaki_eval.poverty import SurveyDesign
    from kassaki_eval.poverty.measures import fgt
    _, m, _ = messy
    hh = validate(map_files(sorted((m / "susenas").glob("*_2024.csv")), "susenas",
                            demo=True).data, "survey")
    ind = pd.read_csv(m / "susenas" / "kor_ind_2024.csv", dtype=str)
    kp = pd.read_csv(m / "susenas" / "kp_2024.csv", dtype={"URUT": str})
    rt = pd.read_csv(m / "susenas" / "kor_rt_2024.csv", dtype=str)[["URUT", "FWT", "PSU", "STRATA"]]
    persons = ind.merge(kp, on="URUT", validate="many_to_one").merge(rt, on="URUT",
                                                                     validate="many_to_one")
    persons["FWT"] = persons["FWT"].astype(float)
    assert len(persons) == int(hh["hh_size"].sum())
    z = reference.poverty_line(2024)
    by_person = fgt(SurveyDesign(persons, weight="FWT", strata="STRATA", psu="PSU"), "KAPITA",
                    line=z, alpha=[0, 1, 2]).tidy()
    by_hh = fgt(SurveyDesign(hh, weight="weight", strata="stratum", psu="psu"),
                "consumption_pc", line=z, alpha=[0, 1, 2], size="hh_size").tidy()
    np.testing.assert_allclose(by_person["estimate"], by_hh["estimate"], rtol=1e-12)
    np.testing.assert_allclose(by_person["std_error"], by_hh["std_error"], rtol=1e-9)


def test_demo_data_shape_source_cli(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["demo-data", "--out", str(out), "--seed", "3", "--scale", "0.02",
                 "--shape", "source"]) == 0
    text = capsys.readouterr().out
    assert "p3ke_pangkep.xlsx" in text
    for files in SOURCE_FILES.values():
        for f in files:
            assert (out / f).exists(), f


@pytest.mark.slow
def test_report_from_messy_demo_equals_clean_route(tmp_path):
    """The real-data report route from the messy demo (mapped by the shipped profiles with
    ``map --apply``) publishes the same result tables as from the clean contract files:
    every number equal, key results equal. Only the input description differs (file names
    and hashes, the survey's two extra clean columns). Runs two reports (~3 min each)."""
    import json

    world = generate_world(seed=2024, scale=0.1)
    clean, messy, mapped = tmp_path / "clean", tmp_path / "messy", tmp_path / "mapped"
    for d in (clean, mapped):
        d.mkdir()
    world.registry.to_csv(clean / "registry.csv", index=False)
    for y in YEARS:
        world.survey[world.survey["year"] == y].to_csv(clean / f"survey_{y}.csv", index=False)
    world.participation.to_csv(clean / "participation.csv", index=False)
    world.rollout.to_csv(clean / "rollout.csv", index=False)
    write_source_shape(world, messy)
    assert main(["map", "--apply", "p3ke", str(messy / "p3ke_pangkep.xlsx"), "--out",
                 str(mapped / "registry.parquet"), "--demo"]) == 0
    for y in YEARS:
        files = [str(p) for p in sorted((messy / "susenas").glob(f"*_{y}.csv"))]
        assert main(["map", "--apply", "susenas", *files, "--out",
                     str(mapped / f"survey_{y}.parquet"), "--demo"]) == 0
    apply = []
    for p in PARTNER_PROFILES:
        apply += ["--apply", p, *[str(messy / f) for f in SOURCE_FILES[p]]]
    assert main(["map", *apply, "--out", str(mapped / "participation.parquet"), "--demo"]) == 0

    def report(folder, ext, rollout, out):
        args = ["report", "--year", "2025", "--lang", "en", "--out", str(out),
                "--registry", str(folder / f"registry.{ext}"),
                "--participation", str(folder / f"participation.{ext}"), "--rollout", str(rollout)]
        for y in YEARS:
            args += ["--survey", str(folder / f"survey_{y}.{ext}")]
        assert main(args) == 0
        return next(p for p in (out / "2025").iterdir() if (p / "tables").is_dir())

    a = report(clean, "csv", clean / "rollout.csv", tmp_path / "rep_clean")
    b = report(mapped, "parquet", messy / "rollout.csv", tmp_path / "rep_mapped")
    descriptive = {"input_files.csv", "parameters.csv", "analysis_tables.csv"}
    names = sorted(p.name for p in (a / "tables").glob("*.csv"))
    assert names == sorted(p.name for p in (b / "tables").glob("*.csv"))
    compared = [n for n in names if n not in descriptive]
    assert len(compared) >= 10
    for n in compared:
        x, y = pd.read_csv(a / "tables" / n), pd.read_csv(b / "tables" / n)
        pd.testing.assert_frame_equal(x, y, check_exact=True, obj=n)
    assert json.loads((a / "key_results.json").read_text()) == \
        json.loads((b / "key_results.json").read_text())
