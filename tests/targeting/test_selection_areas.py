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
