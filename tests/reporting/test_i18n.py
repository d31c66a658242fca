"""One catalogue, two complete languages, and no key used in code that it lacks."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting import i18n
from kassaki_eval.reporting.i18n import catalogue, fmt, missing_keys, t

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted((ROOT / "kassaki_eval" / "reporting").rglob("*.py")) + sorted((ROOT / "notebooks").glob("*.py"))
# every string literal that looks like a catalogue key (namespaces of messages.toml)
KEY_RE = re.compile(r"""["']((?:report|nb\d?|fig|xlsx|col|val)\.[A-Za-z0-9_.]+)["']""")


def test_both_languages_complete():
    assert missing_keys() == {"id": [], "en": []}
    assert len(catalogue()) > 150


def test_placeholders_agree_between_languages():
    bad = []
    for key, texts in catalogue().items():
        fields = {lang: sorted((f, spec) for _, f, spec, _ in string.Formatter().parse(txt) if f)
                  for lang, txt in texts.items()}
        if fields["id"] != fields["en"]:
            bad.append((key, fields))
    assert bad == []


def test_languages_really_differ():
    same = [k for k, v in catalogue().items() if v["id"] == v["en"] and len(v["en"]) > 25
            and not k.startswith("val.partner.")]  # partners' proper names
    assert same == []  # a long text identical in both languages was not translated


def test_every_key_literal_in_code_exists():
    cat = catalogue()
    used = set()
    for p in CODE:
        for m in KEY_RE.finditer(p.read_text()):
            key = m.group(1)
            if key.endswith("."):
                continue  # a prefix built on (f"col.{c}")
            used.add((key, p.name))
    # a block key ("nb2.profile") is a namespace: its texts are "<key>.title" etc.
    missing = sorted((k, f) for k, f in used
                     if k not in cat and not any(c.startswith(k + ".") for c in cat))
    assert missing == [], missing
    assert len(used) > 40


def test_unknown_key_raises_instead_of_printing_the_key():
    with pytest.raises(ReportError, match="not in messages.toml"):
        t("nb9.nothing", "en")


@pytest.mark.parametrize("value, kind, lang, out", [
    (0.134, "pct", "id", "13,4%"), (0.134, "pct", "en", "13.4%"),
    (-0.0123, "pp", "en", "-1.23 pp"), (0.0123, "pp", "id", "+1,23 poin"),
    (460000, "rp", "id", "Rp460.000"), (460000, "rp", "en", "Rp460,000"),
    (1234567, "int", "en", "1,234,567"), (float("nan"), "pct", "en", "–"),
    (0.0004, "pvalue", "en", "<0.001"),
])
def test_number_formats(value, kind, lang, out):
    assert fmt(value, kind, lang) == out


def test_sentence_with_numbers_in_both_languages():
    kw = {"n": 90123, "n14": 33000, "share": 0.3661}
    assert "90.123 keluarga" in t("nb1.registry.sentence", "id", **kw)
    assert "90,123 families" in t("nb1.registry.sentence", "en", **kw)
