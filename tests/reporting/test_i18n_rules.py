"""Each rule of :mod:`kassaki_eval.reporting.i18n`, pinned one by one (issue 18, mutmut).

Number formats: the expected strings are written by hand from the rules in ``fmt``'s docstring
and the module docstring (pct: 1 decimal and ``%``; pct2: 2; pp: sign, 2 decimals, `` poin`` /
`` pp``; rp: ``Rp`` and whole rupiah; int: whole number; num/num3: 3 decimals; num1, num2;
pvalue: 3 decimals, ``<0.001`` below; rounding half to even on the exact binary value; no
``-0``) and the CLDR symbols of the two locales, which
``test_cldr_symbols_of_the_two_locales`` reads from Babel: id_ID groups with ``.`` and has the
decimal comma, en_US the other way round.

Catalogue rules: small TOML catalogues written to ``tmp_path`` and read with
``catalogue(path)``; message rules: a stand-in catalogue (monkeypatched, as
tests/boundaries/test_boundaries.py does).
"""
from __future__ import annotations

import numpy as np
import pytest
from babel.numbers import get_decimal_symbol, get_group_symbol

from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting import i18n
from kassaki_eval.reporting.i18n import catalogue, fmt, missing_keys


def test_cldr_symbols_of_the_two_locales():
    assert (get_group_symbol("id_ID"), get_decimal_symbol("id_ID")) == (".", ",")
    assert (get_group_symbol("en_US"), get_decimal_symbol("en_US")) == (",", ".")


# value, kind, Bahasa Indonesia, English
CASES = [
    # pct: x 100, 1 decimal, thousands grouped
    (0.134, "pct", "13,4%", "13.4%"),
    (12.3456, "pct", "1.234,6%", "1,234.6%"),       # 1234.56 -> 1234.6
    (-0.05, "pct", "-5,0%", "-5.0%"),
    (-0.0001, "pct", "0,0%", "0.0%"),               # -0.01 rounds to 0: no "-0,0"
    # pct2: 2 decimals
    (0.1234, "pct2", "12,34%", "12.34%"),
    (12.3456, "pct2", "1.234,56%", "1,234.56%"),
    # pp: a sign for gains, none for 0, 2 decimals, "poin"/"pp"
    (0.0123, "pp", "+1,23 poin", "+1.23 pp"),
    (-0.0123, "pp", "-1,23 poin", "-1.23 pp"),
    (0.0, "pp", "0,00 poin", "0.00 pp"),
    # a change that rounds to zero prints without a sign (no "+0,00" / "-0,00")
    (0.00004, "pp", "0,00 poin", "0.00 pp"),
    (-0.00004, "pp", "0,00 poin", "0.00 pp"),
    (1e-12, "pp", "0,00 poin", "0.00 pp"),
    (-1e-12, "pp", "0,00 poin", "0.00 pp"),
    (0.00006, "pp", "+0,01 poin", "+0.01 pp"),     # the smallest change that shows: signed
    (-0.00006, "pp", "-0,01 poin", "-0.01 pp"),
    (12.5, "pp", "+1.250,00 poin", "+1,250.00 pp"),
    # ppu: a spread, no "+"
    (0.0123, "ppu", "1,23 poin", "1.23 pp"),
    (12.5, "ppu", "1.250,00 poin", "1,250.00 pp"),
    # rp: whole rupiah, half to even (1234567.5 -> 1234568), grouped
    (460000, "rp", "Rp460.000", "Rp460,000"),
    (1234567.5, "rp", "Rp1.234.568", "Rp1,234,568"),
    (2.5, "rp", "Rp2", "Rp2"),
    # a negative amount: the sign before the currency (was "Rp-12.811.335.482"); -0.4 rounds
    # to 0 and gets no sign
    (-12811335482.4, "rp", "-Rp12.811.335.482", "-Rp12,811,335,482"),
    (-0.4, "rp", "Rp0", "Rp0"),
    # int: half to even, grouped, no "-0"
    (1234567, "int", "1.234.567", "1,234,567"),
    (2.5, "int", "2", "2"),
    (3.5, "int", "4", "4"),
    (-0.4, "int", "0", "0"),
    (-1234.0, "int", "-1.234", "-1,234"),
    # year: digits only, no grouping
    (2025.0, "year", "2025", "2025"),
    ("2024", "year", "2024", "2024"),
    # num = num3: 3 decimals; num1; num2 (0.125 and 0.375 are exact in binary: half to even)
    (0.1234, "num", "0,123", "0.123"),
    (1234.5678, "num", "1.234,568", "1,234.568"),
    (1234.5678, "num3", "1.234,568", "1,234.568"),
    (0.25, "num1", "0,2", "0.2"),
    (1234.56, "num1", "1.234,6", "1,234.6"),
    (0.125, "num2", "0,12", "0.12"),
    (0.375, "num2", "0,38", "0.38"),
    (1234.5, "num2", "1.234,50", "1,234.50"),
    # pvalue: 3 decimals, "<0.001" strictly below 0.001
    (0.0004, "pvalue", "<0,001", "<0.001"),
    (0.001, "pvalue", "0,001", "0.001"),
    (0.0456, "pvalue", "0,046", "0.046"),
    # text and values that are not numbers
    (0.5, "text", "0.5", "0.5"),
    ("Pangkajene", "text", "Pangkajene", "Pangkajene"),
    ("abc", "pct", "abc", "abc"),                   # not a number: printed as given
    ([1, 2], "int", "[1, 2]", "[1, 2]"),            # float() raises TypeError
    ("0.25", "pct", "25,0%", "25.0%"),              # a number in text is formatted
    # missing: an en dash, whatever the kind
    (None, "pct", "–", "–"),
    (None, "text", "–", "–"),
    (float("nan"), "int", "–", "–"),
    (np.float64("nan"), "rp", "–", "–"),
    ("nan", "pct", "–", "–"),                       # NaN only after float()
    (np.float32("nan"), "num", "–", "–"),           # not a Python float: NaN after float()
]


@pytest.mark.parametrize("value, kind, id_text, en_text", CASES,
                         ids=[f"{c[1]}-{c[0]!r}" for c in CASES])
def test_every_number_format_in_both_languages(value, kind, id_text, en_text):
    assert fmt(value, kind, "id") == id_text
    assert fmt(value, kind, "en") == en_text


def test_text_kind_prints_text_as_given_but_a_float_nan_as_a_dash():
    assert fmt(float("nan"), "text", "en") == "–"
    assert fmt("nan", "text", "en") == "nan"       # text is printed as given


def test_unknown_format_names_the_known_ones():
    with pytest.raises(ReportError) as info:
        fmt(0.5, "percent", "en")
    assert str(info.value) == ("unknown number format 'percent'; use pct, pp, rp, int, num, "
                               "num1, num2.")


def test_the_same_digits_in_both_languages_for_many_values():
    # only the symbols differ: swapping "." and "," of the id text gives the en text
    rng = np.random.default_rng(18)
    for x in rng.normal(0, 3000, 200):
        for kind in ("pct", "pct2", "pp", "ppu", "rp", "int", "num", "num1", "num2"):
            a, b = fmt(x, kind, "id"), fmt(x, kind, "en")
            swapped = a.translate(str.maketrans(".,", ",.")).replace(" poin", " pp")
            assert swapped == b, (x, kind)


# -- catalogue (TOML) ------------------------------------------------------------------------
def _cat(tmp_path, text: str, name: str = "m.toml") -> dict:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return catalogue(str(p))


def test_leaves_nested_keys_and_the_translators_note(tmp_path):
    cat = _cat(tmp_path, """
top = { id = "atas", en = "top" }
[a.b]
c = { id = "ci", en = "ce", note = "for translators" }
only_en = { en = "english only" }
note = { id = "catatan", en = "note" }
empty = {}
""")
    assert cat == {"top": {"id": "atas", "en": "top"},
                   "a.b.c": {"id": "ci", "en": "ce"},          # the note is not a language
                   "a.b.only_en": {"en": "english only"},
                   "a.b.note": {"id": "catatan", "en": "note"}}


def test_a_value_that_is_not_a_table_is_refused_with_its_key(tmp_path):
    with pytest.raises(ReportError) as info:
        _cat(tmp_path, "[a]\nb = 3\n")
    assert str(info.value) == ("messages.toml: 'a.b' must be a table { id = ..., en = ... }; "
                               "got int.")


def test_a_leaf_with_a_non_text_language_is_refused(tmp_path):
    # { id = "x", en = 3 } is not a leaf (en is no text); read as a namespace, its 'id' is
    # a plain string where a table is expected
    with pytest.raises(ReportError, match=r"^messages.toml: 'k\.id' must be a table .*got str\.$"):
        _cat(tmp_path, 'k = { id = "x", en = 3 }\n')


def test_default_path_is_the_packaged_catalogue():
    assert catalogue() == catalogue(str(i18n.CATALOGUE_PATH))
    assert i18n.CATALOGUE_PATH.name == "messages.toml"
    assert i18n.CATALOGUE_PATH.parent.name == "reporting"


def test_missing_keys_lists_absent_and_blank_texts_per_language(tmp_path):
    p = tmp_path / "gaps.toml"
    p.write_text("""
ok = { id = "ya", en = "yes" }
b_only_en = { en = "english" }
a_blank_id = { id = "   ", en = "blank" }
c_no_en = { id = "hanya" }
""", encoding="utf-8")
    assert missing_keys(str(p)) == {"id": ["a_blank_id", "b_only_en"], "en": ["c_no_en"]}


# -- messages ----------------------------------------------------------------------------------
@pytest.fixture
def stand_in(monkeypatch):
    cat = {
        "x.plain": {"id": "teks {biasa}", "en": "text {plain}"},
        "x.n": {"id": "{n:int} keluarga, {p:pct}", "en": "{n:int} families, {p:pct}"},
        "x.comp": {"id": "komponen {c}", "en": "component {c}"},
        "x.credit": {"id": "kredit", "en": "credit"},
        "x.empty": {"id": "", "en": "only English"},
    }
    monkeypatch.setattr(i18n, "catalogue", lambda path=None: cat)
    return cat


def test_a_text_without_values_is_returned_verbatim(stand_in):
    # no formatting at all: literal braces survive
    assert i18n.t("x.plain", "en") == "text {plain}"


def test_numbers_take_the_language_format(stand_in):
    assert i18n.t("x.n", "id", n=12345, p=0.134) == "12.345 keluarga, 13,4%"
    assert i18n.t("x.n", "en", n=12345, p=0.134) == "12,345 families, 13.4%"


def test_a_value_that_is_a_message_key_is_translated_other_text_is_not(stand_in):
    assert i18n.t("x.comp", "id", c="x.credit") == "komponen kredit"
    assert i18n.t("x.comp", "en", c="x.credit") == "component credit"
    assert i18n.t("x.comp", "en", c="credit") == "component credit"
    assert i18n.t("x.comp", "en", c="x.nothing") == "component x.nothing"
    assert i18n.t("x.comp", "en", c=7) == "component 7"
    assert i18n.t("x.comp", "en", c=None) == "component None"


def test_an_empty_text_is_missing(stand_in):
    with pytest.raises(ReportError) as info:
        i18n.t("x.empty", "id")
    assert str(info.value) == "message key 'x.empty' has no 'id' text in messages.toml."
    assert i18n.t("x.empty", "en") == "only English"


def test_unknown_key_message_says_how_to_fix_it(stand_in):
    with pytest.raises(ReportError) as info:
        i18n.t("x.nope", "en")
    assert str(info.value) == ("message key 'x.nope' is not in messages.toml. Fix: add "
                               "'x.nope' with both 'id' and 'en' texts.")


def test_a_missing_placeholder_names_it_and_the_values_given(stand_in):
    with pytest.raises(ReportError) as info:
        i18n.t("x.n", "en", p=0.1, m=3)
    assert str(info.value) == ("message 'x.n' (en) uses placeholder 'n' that the code does "
                               "not provide (gave ['m', 'p']).")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_has_reads_the_catalogue(stand_in):
    assert i18n.has("x.comp") and not i18n.has("x.comps") and not i18n.has("x")


def test_verdict_sentence_with_an_interval_that_crosses_zero_reads_in_both_languages():
    """The headline sentence of the report (impact chapter and executive summary). Its interval
    read "95% CI: a reduction of -0.73 pp to 2.64 pp" (a negative reduction); it now names
    the interval "of the reduction", as the verdict_raised sentence does. Values as the demo
    report's (red 0.0096, interval -0.0073 to 0.0264 as proportions: pp = x 100)."""
    vals = dict(year=2025, red=0.0096, lo=-0.0073, hi=0.0264, level=95, goal=0.01, prob=0.48,
                p=0.52, tail="nb4.verdict.undecided")
    assert i18n.t("nb4.verdict.verdict", "en", **vals) == (
        "In 2025, KASSAKI is estimated to have lowered district poverty by 0.96 pp (95% CI of "
        "the reduction: -0.73 pp to 2.64 pp). The probability that the reduction exceeds 1.00 pp "
        "is 48.0% (one-sided test p = 0.52); the data cannot yet tell whether the goal was met.")
    assert i18n.t("nb4.verdict.verdict", "id", **vals) == (
        "Pada tahun 2025, KASSAKI diperkirakan menurunkan angka kemiskinan kabupaten sebesar "
        "0,96 poin (SK 95% untuk penurunan: -0,73 poin sampai 2,64 poin). Peluang penurunan "
        "melebihi 1,00 poin adalah 48,0% (uji satu sisi p = 0,52); data belum dapat memastikan "
        "apakah target tercapai.")
