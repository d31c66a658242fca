"""One message catalogue for both report languages (Bahasa Indonesia and English).

Every title, label, table header and narrative sentence of the report comes from
``messages.toml`` next to this module. Keys are dotted paths (``nb2.title``); each leaf is an
inline table ``{ id = "...", en = "..." }``. Numbers inside sentences are formatted per
language with a format spec after the placeholder name:

``{p0:pct}`` 13,4 % / 13.4 %, ``{d:pp}`` -1,2 poin / -1.2 pp, ``{x:rp}`` Rp460.000,
``{n:int}`` 12.345, ``{x:num}`` 0,123 (3 significant decimals), ``{x:num1}``, ``{x:num2}``.

Example
-------
>>> from kassaki_eval.reporting.i18n import t, fmt
>>> fmt(0.134, "pct", "id"), fmt(0.134, "pct", "en")
('13,4%', '13.4%')
>>> fmt(460000, "rp", "id")
'Rp460.000'
"""
from __future__ import annotations

import math
import string
import tomllib
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, parse_pattern

from ..exceptions import ReportError

__all__ = ["CATALOGUE_PATH", "catalogue", "t", "has", "fmt", "missing_keys", "LANGS"]

CATALOGUE_PATH = Path(__file__).resolve().parent / "messages.toml"
LANGS: tuple[str, ...] = ("id", "en")


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, Mapping) and v and set(v) <= set(LANGS) | {"note"} and all(
                isinstance(x, str) for x in v.values()):
            out[key] = {lang: v[lang] for lang in v if lang in LANGS}
        elif isinstance(v, Mapping):
            out.update(_flatten(v, key))
        else:
            raise ReportError(f"messages.toml: '{key}' must be a table {{ id = ..., en = ... }}; "
                              f"got {type(v).__name__}.")
    return out


@lru_cache(maxsize=4)
def catalogue(path: str | None = None) -> dict[str, dict[str, str]]:
    """The flattened catalogue: ``{key: {"id": ..., "en": ...}}``."""
    with open(path or CATALOGUE_PATH, "rb") as f:
        return _flatten(tomllib.load(f))


def missing_keys(path: str | None = None) -> dict[str, list[str]]:
    """Keys lacking a language, per language (empty lists when the catalogue is complete)."""
    cat = catalogue(path)
    return {
        lang: sorted(k for k, v in cat.items() if not v.get(lang, "").strip()) for lang in LANGS
    }


def has(key: str) -> bool:
    """Whether the message catalogue has ``key``."""
    return key in catalogue()


_BABEL_LOCALE = {"id": "id_ID", "en": "en_US"}


@lru_cache(maxsize=64)
def _pattern(lang: str, pattern: str) -> tuple[Locale, NumberPattern]:
    # what babel's format_decimal parses on every call (a report formats ~10^4 numbers)
    return Locale.parse(_BABEL_LOCALE[lang]), parse_pattern(pattern)


def _rounded(x: float, decimals: int) -> Decimal:
    """``x`` rounded half-to-even to ``decimals`` decimals; a zero result has no sign."""
    d = Decimal(x).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return abs(d) if d == 0 else d  # no "-0.0"


def _number(x: float, decimals: int, lang: str, thousands: bool = True) -> str:
    """``x`` with ``decimals`` decimals in the locale of ``lang`` (Babel/CLDR symbols).

    id: 1.234,5 ; en: 1,234.5. The exact binary value is rounded half-to-even, as Python's
    own formatting does, so the digits do not depend on the language.
    """
    d = _rounded(x, decimals)
    pattern = ("#,##0" if thousands else "0") + ("." + "0" * decimals if decimals else "")
    locale, number_pattern = _pattern(lang, pattern)  # = babel.numbers.format_decimal
    return number_pattern.apply(d, locale, decimal_quantization=True,
                                group_separator=thousands)


def fmt(value: Any, kind: str, lang: str) -> str:
    """Format one value for display: kinds ``pct, pp, rp, int, num, num1, num2, text``.

    ``pct`` takes a proportion (0.134 -> 13.4 %), ``pp`` a difference of proportions
    (-0.012 -> -1.2 pp). Missing values print as an en dash.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if kind == "text":
        return str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if kind == "pct":
        return _number(100 * x, 1, lang) + "%"
    if kind == "pct2":
        return _number(100 * x, 2, lang) + "%"
    if kind == "pp":
        # the sign of the printed digits: a change that rounds to 0.00 gets none ("+0.00")
        sign = "+" if _rounded(100 * x, 2) > 0 else ""
        return sign + _number(100 * x, 2, lang) + (" poin" if lang == "id" else " pp")
    if kind == "ppu":  # a spread (standard error): no sign
        return _number(100 * x, 2, lang) + (" poin" if lang == "id" else " pp")
    if kind == "rp":  # -Rp1.234 (not Rp-1.234); a sum that rounds to 0 has no sign
        sign = "-" if _rounded(x, 0) < 0 else ""
        return sign + "Rp" + _number(abs(x), 0, lang)
    if kind == "int":
        return _number(x, 0, lang)
    if kind == "year":
        return str(int(x))
    if kind in ("num", "num3"):
        return _number(x, 3, lang)
    if kind == "num1":
        return _number(x, 1, lang)
    if kind == "num2":
        return _number(x, 2, lang)
    if kind == "pvalue":
        return "<" + _number(0.001, 3, lang) if x < 0.001 else _number(x, 3, lang)
    raise ReportError(f"unknown number format {kind!r}; use pct, pp, rp, int, num, num1, num2.")


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:
            return fmt(value, format_spec, self.lang)
        if isinstance(value, str) and has(value):
            return t(value, self.lang)  # a nested message key, e.g. a component name
        return str(value)


def t(key: str, lang: str, /, **values: Any) -> str:
    """The message ``key`` in ``lang``, with ``values`` formatted per language.

    A missing key or language raises :class:`ReportError` (a report never shows a raw key).
    """
    cat = catalogue()
    if key not in cat:
        raise ReportError(f"message key '{key}' is not in {CATALOGUE_PATH.name}. Fix: add "
                          f"'{key}' with both 'id' and 'en' texts.")
    text = cat[key].get(lang)
    if not text:
        raise ReportError(f"message key '{key}' has no '{lang}' text in {CATALOGUE_PATH.name}.")
    if not values:
        return text
    try:
        return _Formatter(lang).format(text, **values)
    except KeyError as e:
        raise ReportError(f"message '{key}' ({lang}) uses placeholder {e} that the code does "
                          f"not provide (gave {sorted(values)}).") from None
