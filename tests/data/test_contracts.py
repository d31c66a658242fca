"""Contracts: one declaration per table, dtypes on success, every rule reachable."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import VILLAGES, make_participation, make_registry_raw, make_survey
from kassaki_eval import config, reference
from kassaki_eval.data import (CONTRACTS, TABLES, get_spec, problems, pseudonymise_registry,
                               validate)
from kassaki_eval.exceptions import ParameterError, SchemaError

ARCH = (config.PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")


def test_tables():
    assert TABLES == ("registry_raw", "registry", "survey", "participation", "villages",
                      "rollout")


@pytest.mark.parametrize("table", ["registry", "survey"])
def test_contract_columns_are_those_of_architecture_md(table):
    # every column name in the markdown table of this contract is declared, and vice versa
    section = ARCH.split(f"### `{table}`")[1].split("###")[0]
    names = set(re.findall(r"^\| ([a-z_0-9, ]+) \|", section, flags=re.M)) - {"column"}
    doc = {n.strip() for row in names for n in row.split(",")}
    spec = set(get_spec(table).names)
    if table == "survey":  # "+ every PMT covariate of registry ... and desil" is prose
        spec_pmt = {c.name for c in CONTRACTS["registry"].columns} - {
            "family_id", "pmt_score", "receives_pkh", "receives_bpnt"}
        doc |= spec_pmt
    assert doc == spec


def test_participation_and_villages_match_architecture_md():
    part = ARCH.split("### `participation`")[1].split("###")[0]
    for c in get_spec("participation").names:
        assert c in part
    for p in get_spec("participation").column("partner").allowed:
        assert p in part
    vil = ARCH.split("### `villages`")[1].split("###")[0]
    for c in get_spec("villages").names:
        assert c in vil


def test_reference_villages_validate():
    assert len(validate(reference.villages(), "villages")) == 103


def test_dtypes_after_validation():
    s = make_survey().astype(str)  # everything as text, as a CSV gives it
    s["desil"] = s["desil"].replace("<NA>", "")
    out = validate(s, "survey")
    assert out["year"].dtype == "int64" and out["weight"].dtype == "float64"
    assert isinstance(out["desil"].dtype, pd.Int64Dtype) and out["desil"].isna().sum() == 18
    assert out["hh_id"].dtype == "str"


def test_in_memory_examples_are_ids_or_index_labels():
    s = make_survey()
    s.index = s.index + 1000
    s.loc[1003, "hh_id"] = None
    s.loc[1003, "weight"] = 0
    msg = str(pytest.raises(SchemaError, validate, s, "survey").value)
    assert "column 'hh_id' has missing values: 1 row (e.g. index 1003)" in msg
    assert "column 'weight' has zero or negative values (0): 1 row (e.g. index 1003)" in msg


def test_registry_forbids_personal_columns():
    raw = make_registry_raw(n=4)
    reg = pseudonymise_registry(raw, demo=True)
    reg["name_head"] = raw["name_head"]
    ps = problems(reg, "registry")
    assert [(p.column, p.rule) for p in ps] == [
        ("name_head", "holds raw personal data (NIK, family-card number or name)")]


def test_non_integer_and_infinite_values_are_reported_once():
    s = make_survey()
    s["hh_size"] = s["hh_size"].astype("float64")
    s.loc[0, "hh_size"] = 2.5
    s.loc[1, "consumption_pc"] = np.inf
    ps = problems(s, "survey")
    assert sorted((p.column, p.rule, p.count) for p in ps) == [
        ("consumption_pc", "has infinite values", 1),
        ("hh_size", "has non-integer values (2.5)", 1)]


def test_members_within_size():
    s = make_survey()
    s.loc[0, ["hh_size", "n_children", "n_elderly"]] = [2, 2, 1]
    ps = problems(s, "survey")
    assert [(p.column, p.rule) for p in ps] == [
        ("hh_size", "is smaller than n_children + n_elderly")]


def test_kemendagri_code_without_dots_hint():
    p = make_participation()
    p.loc[0, "village_code"] = "7310011001"
    (pr,) = problems(p, "participation")
    assert pr.rule == "is not a Kemendagri village code ('7310011001')"
    assert "Kemendagri codes written without dots" in pr.fix


def test_villages_table_rules():
    v = reference.villages()
    v.loc[0, "kec_kemendagri"] = "73.10.02"
    v.loc[1, "kec_bps"] = "7309020"
    v.loc[2, "kemendagri_code"] = v.loc[3, "kemendagri_code"]
    rules = {(p.column, p.rule) for p in problems(v, "villages")}
    assert ("kec_kemendagri", "does not match kemendagri_code[:8]") in rules
    assert ("kec_bps", "does not match bps_code_2018[:7]") in rules
    assert ("kemendagri_code", "has duplicated values") in rules


def test_unknown_table():
    with pytest.raises(ParameterError, match=r"The 'table' parameter of validate must be one of"):
        validate(pd.DataFrame(), "households")
    with pytest.raises(ParameterError, match="must be a pandas DataFrame"):
        validate([1, 2], "survey")  # type: ignore[arg-type]


def test_problem_is_catchable_as_valueerror():
    with pytest.raises(ValueError):
        validate(pd.DataFrame({"x": [1]}), "survey")


def test_extra_columns_are_kept():
    s = make_survey()
    s["my_note"] = "x"
    assert "my_note" in validate(s, "survey").columns


def _rollout() -> pd.DataFrame:
    comps = get_spec("rollout").column("component").allowed
    rows = [(v, c, 2024 if (i < 2 and c == "credit") else 2025 if i < 4 else 0)
            for i, v in enumerate(VILLAGES) for c in comps]
    df = pd.DataFrame(rows, columns=["village_code", "component", "first_year"])
    df["kec_code"] = df["village_code"].str[:8]
    zone = reference.villages().set_index("kemendagri_code")["zone"]
    df["zone"] = df["village_code"].map(zone)
    df["cohort"] = df["village_code"].map({v: 2024 if i < 2 else 2025 if i < 4 else 0
                                           for i, v in enumerate(VILLAGES)})
    return df


def test_rollout_contract():
    r = _rollout()
    assert problems(r, "rollout") == []
    r.loc[0, "cohort"] = 2025
    r.loc[7, "first_year"] = 24
    rules = sorted((p.column, p.rule, p.count) for p in problems(r, "rollout"))
    assert rules == [("cohort", "differs from the village's earliest first_year", 1),
                     ("cohort", "puts 1 village(s) in two or more cohorts", 5),
                     ("first_year", "has years that are neither 0 (never) nor a calendar year", 1)]
