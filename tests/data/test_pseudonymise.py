"""Keyed hash ids: the exact recipe, key configuration and its errors."""
from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest

from conftest import make_registry_raw
from kassaki_eval import config
from kassaki_eval.data import pseudonymise_id, pseudonymise_registry, resolve_key
from kassaki_eval.exceptions import ConfigError, ParameterError

KEY = "unit-test-key-0123456789"


def test_recipe_is_hmac_sha256_first_16_hex():
    # the recipe stated in the brief and relied on by the synthetic world
    v = "7310990000000001"
    want = "F" + hmac.new(KEY.encode(), v.encode(), hashlib.sha256).hexdigest()[:16]
    assert pseudonymise_id([v], KEY)[0] == want


@pytest.mark.parametrize("key", ["k" * 16, "a-much-longer-key-" * 8, "kunci-rahasia-é-ü-0123"])
def test_recipe_any_key_length_and_odd_n_hex(key):
    vals = [f"7310{i:012d}" for i in range(50)]
    want = [hmac.new(key.encode(), v.encode(), hashlib.sha256).hexdigest() for v in vals]
    assert list(pseudonymise_id(vals, key)) == ["F" + w[:16] for w in want]
    assert list(pseudonymise_id(vals, key, prefix="P", n_hex=7)) == ["P" + w[:7] for w in want]


def test_vectorised_ids_repeat_and_missing():
    ids = pseudonymise_id(pd.Series(["a", None, "b", "a", np.nan], dtype="object"), KEY)
    assert ids[0] == ids[3] and ids[0] != ids[2]
    assert ids[1] is None and ids[4] is None
    assert pseudonymise_id([], KEY).shape == (0,)


def test_different_keys_give_different_ids():
    v = ["7310990000000001"]
    assert pseudonymise_id(v, KEY)[0] != pseudonymise_id(v, KEY + "x")[0]


def test_pseudonymise_drops_every_personal_column():
    raw = make_registry_raw(n=5)
    raw["nama"] = "Fake"
    raw["NIK"] = raw["nik_head"]
    out = pseudonymise_registry(raw, key=KEY)
    assert out.columns[0] == "family_id"
    assert not {"no_kk", "nik_head", "name_head", "nama", "NIK"} & set(out.columns)
    assert out["family_id"].tolist() == list(pseudonymise_id(raw["no_kk"], KEY))
    assert len(out.columns) == len(raw.columns) - 5 + 1


def test_key_from_environment(monkeypatch):
    monkeypatch.setenv(config.PSEUDONYM_KEY_ENV, KEY)
    assert resolve_key() == KEY
    raw = make_registry_raw(n=3)
    assert pseudonymise_registry(raw)["family_id"].tolist() == list(pseudonymise_id(raw["no_kk"], KEY))


def test_missing_key_says_how_to_set_it(monkeypatch):
    monkeypatch.delenv(config.PSEUDONYM_KEY_ENV, raising=False)
    with pytest.raises(ConfigError) as info:
        resolve_key()
    msg = str(info.value)
    assert "set the environment variable KASSAKI_PSEUDONYM_KEY" in msg
    assert "export KASSAKI_PSEUDONYM_KEY=" in msg and "secrets.token_hex(32)" in msg
    assert "demo=True" in msg and "SAME key every year" in msg
    assert isinstance(info.value, RuntimeError)


def test_demo_key_only_when_asked(monkeypatch):
    monkeypatch.setenv(config.PSEUDONYM_KEY_ENV, config.DEMO_PSEUDONYM_KEY)
    with pytest.raises(ConfigError, match="must not be used for real data"):
        resolve_key()
    assert resolve_key(demo=True) == config.DEMO_PSEUDONYM_KEY
    monkeypatch.delenv(config.PSEUDONYM_KEY_ENV)
    assert resolve_key(demo=True) == config.DEMO_PSEUDONYM_KEY


def test_short_key_rejected():
    with pytest.raises(ConfigError, match="has 5 characters; at least 16"):
        resolve_key("short")


def test_bad_key_type():
    with pytest.raises(ParameterError, match="The 'key' parameter of pseudonymise_id"):
        pseudonymise_id(["1"], b"bytes-key")  # type: ignore[arg-type]
