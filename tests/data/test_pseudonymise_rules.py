"""Pseudonymisation rules pinned one by one, from mutmut's survivors (issue 18).

The hash is checked against Python's own :mod:`hmac` (RFC 2104) at the key lengths where the
recipe changes (a key longer than SHA-256's 64-byte block is hashed first).
"""
from __future__ import annotations

import hashlib
import hmac
import logging

import numpy as np
import pandas as pd
import pytest

from kassaki_eval.data.pseudonymise import (
    MIN_KEY_LENGTH,
    ScrubFilter,
    install_scrub_filter,
    pseudonymise_id,
    pseudonymise_registry,
    resolve_key,
)
from kassaki_eval.exceptions import ConfigError, ParameterError


def _reference(value: str, key: str, n_hex: int = 16) -> str:
    return "F" + hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()[:n_hex]


@pytest.mark.parametrize("key_len", [16, 63, 64, 65, 200])
def test_hash_equals_python_hmac_at_every_key_length(key_len):
    key = ("k3y-" * 60)[:key_len]
    got = pseudonymise_id(["7310010101010001", "x"], key)
    assert got.tolist() == [_reference("7310010101010001", key), _reference("x", key)]


@pytest.mark.parametrize("n_hex", [1, 15, 16, 17, 64])
def test_the_requested_number_of_hex_digits(n_hex):
    key = "0123456789abcdef"
    got = pseudonymise_id(["abc"], key, n_hex=n_hex)[0]
    assert got == _reference("abc", key, n_hex) and len(got) == n_hex + 1


def test_series_and_list_inputs_agree_and_missing_stays_missing():
    key = "0123456789abcdef"
    s = pd.Series(["1", None, "2", "1"], index=[5, 6, 7, 8], dtype="str")
    a = pseudonymise_id(s, key)
    b = pseudonymise_id(["1", None, "2", "1"], key)
    assert a.tolist() == b.tolist()
    assert a[1] is None and a[0] == a[3] != a[2]
    assert pseudonymise_id([None, np.nan], key).tolist() == [None, None]
    assert pseudonymise_id([], key).tolist() == []


def test_key_type_is_named_in_the_error():
    with pytest.raises(ParameterError, match="must be a str. Got int instead"):
        resolve_key(12345678901234567)
    with pytest.raises(ParameterError, match="non-empty str. Got bytes instead"):
        pseudonymise_id(["1"], b"0123456789abcdef")


def test_key_strength_boundaries():
    assert resolve_key("abcd" * 4) == "abcd" * 4          # 4 different characters: accepted
    with pytest.raises(ConfigError, match=r"fewer than 4 different characters \(18 characters\)"):
        resolve_key("abc" * 6)                             # 3 different characters
    with pytest.raises(ConfigError, match="made of spaces"):
        resolve_key(" " * 20)
    ok = "abcdefghijklmnopqrstuvwxyz"[:MIN_KEY_LENGTH]
    assert resolve_key(ok) == ok                           # exactly the minimum length
    with pytest.raises(ConfigError, match=f"has {MIN_KEY_LENGTH - 1} characters; at least "
                                          f"{MIN_KEY_LENGTH}"):
        resolve_key(ok[:-1])


def test_missing_source_column_is_named_with_the_first_eight_columns():
    df = pd.DataFrame({f"c{i}": [1] for i in range(10)})
    with pytest.raises(ParameterError, match=r"must have a 'no_kk' column to hash\. Got columns "
                                             r"\['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', "
                                             r"'c7'\] instead"):
        pseudonymise_registry(df, demo=True)


def test_registry_keeps_its_index_and_order_and_replaces_an_existing_target(caplog):
    raw = pd.DataFrame({"no_kk": ["7310010101010001", None, "7310010101010003"],
                        "family_id": ["old1", "old2", "old3"], "nama": ["A", "B", "C"],
                        "desil": [3, 1, 2], "zone": ["island", "mainland", "island"]},
                       index=[10, 20, 30])
    with caplog.at_level(logging.INFO, logger="kassaki_eval.data.pseudonymise"):
        out = pseudonymise_registry(raw, demo=True)
    assert list(out.columns) == ["family_id", "desil", "zone"]
    assert list(out.index) == [10, 20, 30]
    key = resolve_key(demo=True)
    assert out.loc[10, "family_id"] == _reference("7310010101010001", key)
    assert pd.isna(out.loc[20, "family_id"])
    assert out["desil"].tolist() == [3, 1, 2]
    assert "pseudonymised 3 families; dropped 2 personal columns" in caplog.text


# -- second mutmut round (issue 18) ------------------------------------------------------------
def test_numbers_with_a_missing_one_keep_their_digits():
    # a list of integers with a gap: pandas would infer float64 and hash "7.310010101010001e+15"
    key = "0123456789abcdef"
    got = pseudonymise_id([7310010101010001, None], key)
    assert got.tolist() == [_reference("7310010101010001", key), None]


def test_family_id_is_text_also_when_every_number_is_missing():
    # the column keeps the text dtype (pandas would infer object for all-missing or no rows)
    raw = pd.DataFrame({"no_kk": [None, None], "desil": [1, 2]})
    for df in (raw, raw.iloc[:0]):
        out = pseudonymise_registry(df, demo=True)
        assert isinstance(out["family_id"].dtype, pd.StringDtype)
        assert out["family_id"].isna().all() and out["desil"].tolist() == df["desil"].tolist()


def test_the_log_line_is_exact(caplog):
    raw = pd.DataFrame({"no_kk": ["7310010101010001"], "nik_head": ["7310010101800001"],
                        "desil": [3]})
    with caplog.at_level(logging.INFO, logger="kassaki_eval.data.pseudonymise"):
        pseudonymise_registry(raw, demo=True)
    assert caplog.records[-1].getMessage() == \
        "pseudonymised 1 families; dropped 2 personal columns"


def _record_with_exception(nik: str) -> logging.LogRecord:
    try:
        raise ValueError(f"bad family card {nik}")
    except ValueError:
        import sys
        return logging.LogRecord("t", logging.ERROR, __file__, 1, "failed on %s", (nik,),
                                 sys.exc_info())


def test_scrub_filter_masks_the_traceback_it_formats():
    nik = "7310991234567890"
    rec = _record_with_exception(nik)
    assert rec.exc_text is None
    assert ScrubFilter().filter(rec) is True
    assert rec.getMessage() == "failed on [16-digit number removed]"
    assert rec.exc_text.startswith("Traceback (most recent call last):")
    assert rec.exc_text.endswith("ValueError: bad family card [16-digit number removed]")
    assert nik not in rec.exc_text


def test_scrub_filter_masks_a_traceback_formatted_earlier():
    rec = _record_with_exception("7310991234567890")
    rec.exc_text = "formatted by an earlier handler: 7310991234567890"
    ScrubFilter().filter(rec)
    assert rec.exc_text == "formatted by an earlier handler: [16-digit number removed]"


def test_a_handler_with_the_filter_writes_no_nik_even_from_log_exception():
    import io
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    log = logging.getLogger("kassaki_eval.tests.scrub_handler")
    log.propagate = False
    log.addHandler(handler)
    try:
        f = install_scrub_filter(handler)
        assert isinstance(f, ScrubFilter) and handler.filters == [f]
        nik = "7310991234567890"
        try:
            raise KeyError(nik)
        except KeyError:
            log.exception("lookup of %s", nik)
    finally:
        log.removeHandler(handler)
    text = buf.getvalue()
    assert "7310991234567890" not in text
    assert text.count("[16-digit number removed]") == 2 and "KeyError" in text


def test_install_without_target_guards_every_root_handler_not_the_root_logger():
    root = logging.getLogger()
    h1, h2 = logging.NullHandler(), logging.NullHandler()
    root.addHandler(h1)
    root.addHandler(h2)
    before = list(root.filters)
    try:
        f = install_scrub_filter()
        assert isinstance(f, ScrubFilter)
        assert f in h1.filters and f in h2.filters
        assert root.filters == before
    finally:
        root.removeHandler(h1)
        root.removeHandler(h2)


def test_install_on_a_logger_filters_that_logger(caplog):
    log = logging.getLogger("kassaki_eval.tests.scrub_logger")
    f = install_scrub_filter(log)
    try:
        assert log.filters == [f] and isinstance(f, ScrubFilter)
        with caplog.at_level(logging.INFO, logger=log.name):
            log.info("family %s joined", "7310991234567890")
        assert caplog.records[-1].getMessage() == "family [16-digit number removed] joined"
    finally:
        log.removeFilter(f)
