"""Personal data found by content, not only by column name; ids that went through a float.

A district export rarely names its columns the way the contract does: a spouse's NIK may sit in
``nik_pasangan``, a full name in ``nama_lengkap`` or in ``kolom7``. So every column that the
contract does not declare is looked at by its *values* as well as by its name:

- **NIK / family-card (KK) numbers**: 16-digit values (text or numbers). Real ones start with
  an Indonesian province code (``11``–``96``, e.g. ``73`` Sulawesi Selatan) and a
  kabupaten/kota code (``01``–``99``; Pangkep is ``73 10``); the count of values with that
  prefix is reported, but any column of mostly 16-digit values is treated as personal.
- **Names**: text columns whose values are mostly 1–5 capitalised words without digits and
  nearly all distinct (a household's head, a spouse).
- **Addresses**: values mentioning ``Jl.``/``Jalan``, ``RT``/``RW``, ``Dusun``, ``Lorong``,
  ``Blok`` with a number.
- **Telephone numbers**: ``08…``/``+62 8…`` mobile numbers.
- **By name**: ``nik*``, ``*_kk``, ``nama*``, ``*name*``, ``alamat``, ``address``, ``telp``,
  ``phone``, ``hp``, ``email``, ``tgl_lahir``, ``birth*``, ``npwp``, ``ktp``.

None of them is written anywhere un-hashed: the user declares each one as an identifier to
**hash** (a keyed pseudonym, like ``family_id``) or a column to **drop**
(``load_table(..., pii={"nik_pasangan": "drop"})``, ``--pii nik_pasangan=drop``).

:func:`float_mangled` finds 16-digit ids that went through a floating-point number (Excel,
Stata ``double``): scientific notation (``7.31E+15``), a ``.0`` tail, a numeric column type, or
a 16th digit turned into ``0`` for most values. Such ids cannot be repaired from the file;
distinct families would collapse into one, so they are refused.

Example
-------
>>> import pandas as pd
>>> from kassaki_eval.data.personal import personal_columns
>>> df = pd.DataFrame({"x": ["7310011203850001", "7310015507900002", "7310016612880003"]})
>>> [(c.column, c.kind) for c in personal_columns(df)]
[('x', 'nik')]
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from ..exceptions import ParameterError

__all__ = ["PROVINCE_CODES", "PersonalColumn", "personal_columns", "nik_like", "float_mangled",
           "check_declarations", "PII_ACTIONS", "FLOAT_FIX", "declare_fix"]

#: Indonesian province codes (Kemendagri / BPS, first two digits of an NIK or KK number).
PROVINCE_CODES: frozenset[str] = frozenset({
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35",
    "36", "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76",
    "81", "82", "91", "92", "93", "94", "95", "96"})

PII_ACTIONS: tuple[str, ...] = ("hash", "drop")

_NAME_HINT = re.compile(
    r"(^|_)(nik|nokk|no_kk|kk|ktp|nama|name|names|alamat|address|addr|telp|telepon|phone|hp|"
    r"no_hp|email|tgl_lahir|tanggal_lahir|tempat_lahir|birth|birthdate|dob|npwp|ibu_kandung)"
    r"(_|$|\d)", re.I)
_SIXTEEN = re.compile(r"^\d{16}$")
_PSEUDONYM = re.compile(r"^[A-Z][0-9a-f]{16}$")
_SMALL_NUMBER = re.compile(r"^-?\d{1,9}([.,]\d+)?$")
_BIRTH_HINT = re.compile(r"lahir|birth|dob", re.I)
_SCI = re.compile(r"^[+-]?\d(\.\d+)?[eE]\+?\d{1,2}$")
_DOT_ZERO = re.compile(r"^\d{15,17}\.0*$")
_WORDS = re.compile(r"^[A-Z][A-Za-z'`.\-]*( [A-Za-z][A-Za-z'`.\-]*){0,4}$")
_ADDRESS = re.compile(r"\b(jl|jln|jalan|dusun|dsn|lorong|lr|blok|gang|gg|kompleks|perum)\b\.?"
                      r"|\brt\.?\s*\d+|\brw\.?\s*\d+", re.I)
_PHONE = re.compile(r"^(\+?62|0)\s?8\d{2}[\s-]?\d{3,4}[\s-]?\d{3,5}$")

FLOAT_FIX = ("these ids went through a floating-point number (Excel or Stata keep only 15-16 "
             "significant digits: the 16th digit becomes 0, or the value is shown as 7.31E+15 "
             "or with a '.0' ending), so distinct families would collapse and the file cannot "
             "be repaired. Re-export the column AS TEXT from the source system: in Excel, "
             "Data > From Text/CSV and set the column's data type to 'Text' before loading (or "
             "format the column as Text before pasting); in Stata, keep it a str variable "
             "(tostring/format %16.0f loses nothing only if it was never a double); "
             "the raw file is left as it is")


def declare_fix(column: str) -> str:
    """The remedy for an undeclared personal column (one text everywhere)."""
    return (f"declare what to do with it: pii={{'{column}': 'hash'}} replaces it by a keyed "
            f"pseudonym, pii={{'{column}': 'drop'}} removes it (load_table(..., pii=...), or "
            f"--pii {column}=hash / --pii {column}=drop on the command line); personal data are "
            f"never written un-hashed; the raw file is left as it is")


@dataclass(frozen=True)
class PersonalColumn:
    """A column that holds (or is named like) personal data."""

    column: str
    kind: Literal["nik", "name", "address", "phone", "by_name"]
    count: int          # values of that shape (or non-missing values for a name hint)
    detail: str         # human description, never a value

    @property
    def rule(self) -> str:
        """The violated rule, as shown in a :class:`Problem`."""
        return f"looks like personal data ({self.detail})"


def _text(s: pd.Series) -> pd.Series:
    """Values as stripped text; whole floats without '.0' (to see 16-digit numbers)."""
    if pd.api.types.is_float_dtype(s):
        v = s.to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(v) & (np.abs(v) < 1e18)
        whole = ok & (v == np.floor(np.where(ok, v, 0)))
        out = pd.Series([None] * len(s), index=s.index, dtype=object)
        out[whole] = [str(int(x)) for x in v[whole]]
        out[ok & ~whole] = [repr(float(x)) for x in v[ok & ~whole]]
        return out
    if pd.api.types.is_integer_dtype(s):
        return s.astype("object").where(s.notna(), None).map(
            lambda x: None if x is None else str(int(x)))
    t = s.astype("object").where(s.notna(), None)
    if pd.api.types.infer_dtype(t, skipna=True) == "string":
        # all text: strip each distinct value once (columns repeat values a lot)
        codes, uniq = pd.factorize(t, use_na_sentinel=True)
        stripped = np.array([None, *(str(x).strip() or None for x in uniq)], dtype=object)
        return pd.Series(stripped[codes + 1], index=s.index)  # dtype inferred, as map does
    return t.map(lambda x: None if x is None else str(x).strip() or None)


def _counter(present: pd.Series) -> Callable[[Callable[[str], bool]], int]:
    """``count(pred)``: how many values of ``present`` satisfy ``pred``.

    Each distinct value is tested once and weighted by how often it occurs.
    """
    vc = present.value_counts(sort=False, dropna=True)
    vals, counts = vc.index.tolist(), vc.to_numpy()

    def count(pred: Callable[[str], bool]) -> int:
        return int(counts[np.fromiter((pred(v) for v in vals), dtype=bool,
                                      count=len(vals))].sum())
    return count


def nik_like(values: pd.Series) -> pd.Series:
    """Boolean mask: 16 digits starting with a province code and a kabupaten code 01-99."""
    t = _text(values)
    ok = t.map(lambda x: isinstance(x, str) and bool(_SIXTEEN.match(x)))
    pre = t.map(lambda x: isinstance(x, str) and x[:2] in PROVINCE_CODES and x[2:4] != "00")
    return (ok & pre).astype(bool)


def _classify(name: str, s: pd.Series) -> PersonalColumn | None:
    t = _text(s)
    present = t.dropna()
    n = len(present)
    count = _counter(present)
    if n and count(lambda x: bool(_PSEUDONYM.match(x))) == n:
        return None  # already keyed pseudonyms (family_id, or a column declared 'hash')
    if n:
        n16 = count(lambda x: bool(_SIXTEEN.match(x)) or bool(_DOT_ZERO.match(x))
                    or bool(_SCI.match(x)))
        if n16 / n >= 0.5:
            n_pre = count(lambda x: bool(_SIXTEEN.match(x)) and x[:2] in PROVINCE_CODES
                          and x[2:4] != "00")
            return PersonalColumn(name, "nik", n16,
                                  f"{n16} values shaped like NIK/family-card "
                                  f"numbers, {n_pre} of them with an Indonesian province and "
                                  f"kabupaten prefix")
        is_text = not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s))
        if is_text:
            n_phone = count(lambda x: bool(_PHONE.match(x)))
            if n_phone / n >= 0.5:
                return PersonalColumn(name, "phone", n_phone,
                                      f"{n_phone} values shaped like telephone numbers")
            n_addr = count(lambda x: bool(_ADDRESS.search(x)))
            if n_addr / n >= 0.3 and n_addr >= 2:
                return PersonalColumn(name, "address", n_addr,
                                      f"{n_addr} values shaped like street addresses")
            n_words = count(lambda x: bool(_WORDS.match(x))
                            and not any(c.isdigit() for c in x))
            distinct = present.nunique() / n
            if n >= 5 and n_words / n >= 0.8 and distinct >= 0.5:
                return PersonalColumn(name, "name", n_words,
                                      f"{n_words} values shaped like personal names, "
                                      f"{distinct:.0%} distinct")
    if _NAME_HINT.search(str(name)):
        # 'jumlah_kk' (number of families) holds small counts, not family-card numbers;
        # a birth date stays personal whatever its format
        small = n > 0 and count(lambda x: bool(_SMALL_NUMBER.match(x))) == n
        if small and not _BIRTH_HINT.search(str(name)):
            return None
        return PersonalColumn(name, "by_name", n, "its name suggests NIK, family-card number, "
                                                  "name, address, telephone or birth date")
    return None


def personal_columns(df: pd.DataFrame, *, exempt: Iterable[str] = (),
                     nik_only: Iterable[str] = ()) -> list[PersonalColumn]:
    """Columns of ``df`` that look like personal data by content or by name.

    Parameters
    ----------
    df : DataFrame
    exempt : iterable of str
        Columns not examined (the contract's declared personal columns of a raw registry,
        which the ingest pseudonymises and drops).
    nik_only : iterable of str
        Contract columns examined for NIK/KK-shaped values only (e.g. ``hh_id``, ``psu``):
        their names are the contract's and their values may be ordinary text.
    """
    ex, only = set(exempt), set(nik_only)
    out = []
    for c in df.columns:
        if c in ex:
            continue
        s = df[c]
        if isinstance(s, pd.DataFrame):
            continue  # a duplicated header is reported elsewhere
        if c in only:
            hit = _classify(str(c), s)
            if hit is not None and hit.kind == "nik":
                out.append(hit)
            continue
        hit = _classify(str(c), s)
        if hit is not None:
            out.append(hit)
    return out


def _mangled_parts(t: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    r"""(scientific or '.0' tail, 16 digits, 16 digits ending in 0) for the text values of t.

    With Arrow's regular expressions (RE2) when every value is ASCII text (an id column of
    a registry: 10^5 distinct values, a Python call each was seconds); ``\d`` then means
    the same in both engines. Other columns go value by value with :mod:`re`.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    is_str = t.map(lambda x: isinstance(x, str)).to_numpy(dtype=bool)
    arr = None
    try:
        arr = pa.array(t.where(is_str, None).to_numpy(dtype=object), type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    if arr is not None and pc.all(pc.string_is_ascii(arr)).as_py() in (True, None):
        def match(rx: re.Pattern[str]) -> np.ndarray:
            return pc.fill_null(pc.match_substring_regex(arr, rx.pattern), False) \
                .to_numpy(zero_copy_only=False).astype(bool)
        sci_a = match(_SCI) | match(_DOT_ZERO)
        six_a = match(_SIXTEEN)
        zero_a = six_a & pc.fill_null(pc.ends_with(arr, "0"), False) \
            .to_numpy(zero_copy_only=False).astype(bool)
        return (pd.Series(sci_a, index=t.index), pd.Series(six_a, index=t.index),
                pd.Series(zero_a, index=t.index))
    sci = t.map(lambda x: isinstance(x, str) and (bool(_SCI.match(x)) or bool(_DOT_ZERO.match(x))))
    six = t.map(lambda x: isinstance(x, str) and bool(_SIXTEEN.match(x)))
    zero = six & t.map(lambda x: isinstance(x, str) and x.endswith("0"))
    return sci, six, zero


def float_mangled(raw: pd.Series) -> pd.Series:
    """Boolean mask of 16-digit ids that went through a float.

    A value is mangled when it is stored as a floating-point number, is written in scientific
    notation or with a ``.0`` tail, or when at least half of five or more 16-digit values end
    in ``0`` (real NIK/KK numbers end in 0 about one time in ten) — then every one ending in 0
    is flagged.
    """
    if pd.api.types.is_float_dtype(raw):
        return pd.Series(raw.notna().to_numpy(), index=raw.index)
    t = _text(raw)
    sci, six, zero = _mangled_parts(t)
    n6 = int(six.sum())
    if n6 >= 5 and zero.sum() >= 0.5 * n6:
        return (sci | zero).astype(bool)
    return sci.astype(bool)


def check_declarations(pii: Mapping[str, str] | None, columns: Iterable[str],
                       owner: str = "load_table") -> dict[str, str]:
    """Validate a ``pii=`` mapping (column -> 'hash' or 'drop') against the columns read."""
    if pii is None:
        return {}
    if not isinstance(pii, Mapping):
        raise ParameterError(f"The 'pii' parameter of {owner} must be a mapping of column "
                             f"name to 'hash' or 'drop'. Got {type(pii).__name__} instead.")
    cols = [str(c) for c in columns]
    out = {}
    for c, action in pii.items():
        if action not in PII_ACTIONS:
            raise ParameterError(f"The 'pii' parameter of {owner} must map each column to "
                                 f"'hash' or 'drop'. Got {c!r}: {action!r} instead.")
        if c not in cols:
            raise ParameterError(f"The 'pii' parameter of {owner} names column {c!r}, which "
                                 f"the file does not have. Got {c!r} instead (columns: "
                                 f"{', '.join(cols[:12])}{', …' if len(cols) > 12 else ''}).")
        out[str(c)] = action
    return out
