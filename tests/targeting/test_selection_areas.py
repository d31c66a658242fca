"""score_registry and select_quota on an input that is not a table (issue 18, session 13).

Seed-21 survivor of kassaki_eval/targeting/selection.py (docs/MUTATION.md, "targeting/
selection.py: fresh sample, seed 21"): the error for a path that holds no Parquet data, or an
input that is neither a DataFrame nor a path, names the parameter and the function the user
called. Expected texts: the templates of kassaki_eval/targeting/_common.py (``dataset_path``),
word for word, with that parameter and function filled in.
"""
from __future__ import annotations

import pytest

from kassaki_eval.exceptions import DataFileError, ParameterError
from kassaki_eval.targeting.selection import score_registry, select_quota


class _Never:
    def predict(self, X):  # pragma: no cover - never reached
        raise AssertionError("the model must not be called")


@pytest.mark.parametrize("call, param, owner", [
    (lambda p: select_quota(p, slots=1, out=p.parent / "o"), "scored", "select_quota"),
    (lambda p: select_quota(str(p), budget=10.0, transfer=5.0), "scored", "select_quota"),
    (lambda p: score_registry(p, _Never(), out=p.parent / "o"), "registry", "score_registry"),
], ids=["select_quota", "select_quota-text-path", "score_registry"])
def test_a_path_without_parquet_data_names_the_parameter_and_the_function(tmp_path, call,
                                                                          param, owner):
    empty = tmp_path / "empty_folder"
    empty.mkdir()
    (empty / "notes.csv").write_text("a\n1\n")
    for p in (tmp_path / "nothing_here", empty):
        with pytest.raises(DataFileError) as e:
            call(p)
        assert str(e.value) == (
            f"{p} is not a Parquet file or a folder holding Parquet files (the '{param}' "
            f"parameter of {owner}). Fix: pass a DataFrame, or the path written by "
            "ingest_registry / score_registry / synthetic.national.write_registry.")


@pytest.mark.parametrize("bad, kind", [(42, "int"), ([{"family_id": "F1"}], "list"),
                                       (None, "NoneType")])
def test_an_input_that_is_neither_a_frame_nor_a_path_is_refused(bad, kind):
    with pytest.raises(ParameterError) as e:
        select_quota(bad, slots=1)
    assert str(e.value) == (
        "The 'scored' parameter of select_quota must be a pandas DataFrame or the path of a "
        f"Parquet dataset. Got {kind} instead.")
    with pytest.raises(ParameterError) as e:
        score_registry(bad, _Never())
    assert str(e.value) == (
        "The 'registry' parameter of score_registry must be a pandas DataFrame or the path of "
        f"a Parquet dataset. Got {kind} instead.")


# ---------------------------------------------------------------- raw identifiers, any case
# Session 14: a registry with an office file's ``NIK`` or ``Nama`` column (personal data, listed
# in kassaki_eval.data.contracts.PII_COLUMNS in lower case) was accepted, and with
# id_col="NIK" its duplicate-id error printed national ID numbers. Now refused, case-blind,
# before anything reads the values.
def _reg_with(**extra):
    import pandas as pd
    base = pd.DataFrame({"family_id": ["F1", "F2", "F3"], "village_code": ["A", "A", "B"],
                         "score": [1.0, 2.0, 3.0]})
    return base.assign(**extra)


_NIK = ["7310010101010001", "7310010101010001", "7310010101010003"]   # made up, 16 digits


@pytest.mark.parametrize("call", [
    lambda d: select_quota(d, slots=1),
    lambda d: select_quota(d, slots=1, id_col="NIK"),
    lambda d: score_registry(d, _Never()),
    lambda d: score_registry(d, _Never(), id_col="NIK"),
], ids=["select_quota", "select_quota-id-NIK", "score_registry", "score_registry-id-NIK"])
def test_personal_columns_in_any_letter_case_are_refused_without_their_values(call):
    from kassaki_eval.exceptions import SchemaError
    with pytest.raises(SchemaError) as e:
        call(_reg_with(NIK=_NIK, Nama=["Andi", "Budi", "Citra"]))
    assert str(e.value) == (
        "registry: 1 problem found\n  - registry: column 'NIK, Nama' holds raw identifiers: "
        "3 rows. Fix: ingest the registry with kassaki_eval.data (which replaces them by the "
        "pseudonymous family_id) and pass the ingested table")
    assert "7310" not in str(e.value) and "Andi" not in str(e.value)


def test_raw_id_columns_lists_personal_columns_case_blind_in_table_order():
    from kassaki_eval.targeting.selection import raw_id_columns
    cols = ["family_id", "No_KK", "score", "NAMA_KRT", "nik", "village_code", "Name_Head"]
    assert raw_id_columns(cols) == ["No_KK", "NAMA_KRT", "nik", "Name_Head"]
    assert raw_id_columns(["family_id", "score", "nik_head_count"]) == []
