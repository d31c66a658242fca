"""Mapping profiles: turn source-shaped files into contract tables, declaratively.

Sources are P3KE, DTSEN, Susenas and partner workbooks.

A profile is a small TOML file (format: docs/PROFILES.md) that says, for one source, which
files it has (name pattern, sheet, header row), how they join (KOR + KP on the household id),
how person rows become households (head's attributes, counts of children and elderly, size),
and how every contract column is made from the source columns (rename, parse "Rp 1.250.000"
or decimal commas, unit conversions, code recodes, reference lookups, pseudonymised ids).

A profile is data, not code. :func:`load_profile` checks it against the contract before any
data is read; :func:`map_files` applies it and collects *every* problem (profile and data)
into one :class:`~kassaki_eval.exceptions.SchemaError` whose lines name the profile line and
the data rows; :func:`load_with_profile` then validates the contract table with
:func:`kassaki_eval.data.contracts.validate` (pseudonymising a raw registry with
:func:`kassaki_eval.data.pseudonymise.pseudonymise_registry`), exactly as
:func:`kassaki_eval.data.loaders.load_table` does for files in the contract layout. The
profile's SHA-256 (:attr:`Profile.sha256`) goes into ``attrs['kassaki_source']`` so a manifest
can record which mapping produced a table.

Example
-------
>>> from kassaki_eval.data.profiles import load_profile, shipped_profiles
>>> "p3ke" in shipped_profiles()
True
>>> p = load_profile("p3ke")
>>> p.table, len(p.sha256)
('registry', 64)
"""
from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DataFileError, ParameterError, Problem, SchemaError
from .contracts import CONTRACTS, PII_COLUMNS, validate

__all__ = ["Profile", "SourceFile", "ColumnRule", "Aggregate", "Mapped", "PROFILE_DIR",
           "UNITS", "PARSERS", "shipped_profiles", "load_profile", "map_files",
           "load_with_profile", "load_with_profiles", "parse_rupiah", "parse_decimal_comma"]

#: Folder of the shipped profiles (``kassaki_eval/data/profiles/*.toml``).
PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

#: Unit conversions: name -> factor applied after parsing. BPS converts weekly food
#: expenditure to monthly with 30/7 (a month of 30 days).
UNITS: dict[str, float] = {"rp": 1.0, "thousand_rp": 1000.0, "million_rp": 1_000_000.0,
                           "weekly_to_monthly": 30.0 / 7.0, "yearly_to_monthly": 1.0 / 12.0,
                           "percent_to_share": 0.01}

ParseKind = Literal["text", "number", "decimal_comma", "rupiah", "date", "date_id"]
#: Value parsers a column rule may name with ``parse = "..."``.
PARSERS: tuple[str, ...] = ("text", "number", "decimal_comma", "rupiah", "date", "date_id")

_ID_MONTHS = {"januari": 1, "februari": 2, "pebruari": 2, "maret": 3, "april": 4, "mei": 5,
              "juni": 6, "juli": 7, "agustus": 8, "september": 9, "oktober": 10,
              "november": 11, "nopember": 11, "desember": 12, "jan": 1, "feb": 2, "mar": 3,
              "apr": 4, "jun": 6, "jul": 7, "agu": 8, "agt": 8, "ags": 8, "sep": 9, "okt": 10,
              "nov": 11, "des": 12}

_RULE_KEYS = {"from", "target", "value", "file", "pad", "sep", "na", "parse", "format",
              "recode", "unit", "multiply", "divide", "slice", "lookup", "pseudonymise"}
_SOURCE_KEYS = {"id", "file", "sheet", "header_row", "encoding", "join", "required", "level",
                "stack"}
_PROFILE_KEYS = {"name", "table", "description", "documents", "unconfirmed", "personal",
                 "same_names", "version"}
_TOP_KEYS = {"profile", "source", "aggregate", "columns", "recodes"}
_AGG_KEYS = {"source", "household", "head", "age", "counts"}
_RECODE_KEYS = {"reference", "from", "to", "codes", "ignore_case"}
#: Tables a profile may name: a raw registry (no_kk, nik_head, name_head) is mapped with
#: table = "registry" and pseudonymised, so "registry_raw" is not one of them.
_TABLES = tuple(t for t in CONTRACTS if t != "registry_raw")


# ---------------------------------------------------------------------------------------------
# value parsers (vectorised; each returns float64 or text with NaN/None where not parseable)

def parse_rupiah(s: pd.Series) -> pd.Series:
    """``"Rp 1.250.000"``, ``"Rp1.250.000,50"``, ``"1.250.000"`` -> 1250000.0 (float).

    Indonesian notation: ``.`` groups thousands, ``,`` is the decimal mark. Text that is not
    an amount becomes missing (the caller reports it).

    Example
    -------
    >>> import pandas as pd
    >>> parse_rupiah(pd.Series(["Rp 1.250.000", "Rp2.500,5", None])).tolist()[:2]
    [1250000.0, 2500.5]
    """
    t = s.astype("object").where(s.notna(), None).astype("str").str.strip()
    t = t.str.replace(r"^(-?)\s*[Rr][Pp]\.?\s*", r"\1", regex=True)  # "-Rp 1.000" keeps its sign
    t = t.str.replace(r"[\s\u00a0]", "", regex=True)
    t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    t = t.str.replace(r"^-$", "", regex=True)
    return pd.to_numeric(t.mask(s.isna() | (t == "")), errors="coerce").astype("float64")


def parse_decimal_comma(s: pd.Series) -> pd.Series:
    """``"12,5"`` -> 12.5 and ``"1.234,5"`` -> 1234.5 (Indonesian/European decimal comma).

    Example
    -------
    >>> import pandas as pd
    >>> parse_decimal_comma(pd.Series(["12,5", "1.234,5", "7"])).tolist()
    [12.5, 1234.5, 7.0]
    """
    t = s.astype("object").where(s.notna(), None).astype("str").str.strip()
    t = t.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(t.mask(s.isna() | (t == "")), errors="coerce").astype("float64")


def _parse_number(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    t = s.astype("object").where(s.notna(), None).astype("str").str.strip()
    return pd.to_numeric(t.mask(s.isna() | (t == "")), errors="coerce").astype("float64")


def _parse_date(s: pd.Series, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        d = s
    else:
        t = s.astype("object").where(s.notna(), None)
        d = pd.to_datetime(t, format=fmt or "ISO8601", errors="coerce")
    out = d.dt.strftime("%Y-%m-%d")
    return out.astype("object").where(d.notna(), None)


def _parse_date_id(s: pd.Series) -> pd.Series:
    """``"15 Juli 2024"`` (Indonesian month names, full or short) -> ``"2024-07-15"``."""
    t = s.astype("object").where(s.notna(), None).astype("str").str.strip().str.lower()
    m = t.str.extract(r"^(\d{1,2})[\s\-/]+([a-z]+)\.?[\s\-/]+(\d{4})$")
    mon = m[1].map(_ID_MONTHS)
    ok = m[0].notna() & mon.notna() & s.notna()
    iso = (m[2] + "-" + mon.astype("Int64").astype("str").str.zfill(2) + "-"
           + m[0].str.zfill(2))
    d = pd.to_datetime(iso.where(ok), format="%Y-%m-%d", errors="coerce")
    return d.dt.strftime("%Y-%m-%d").astype("object").where(d.notna(), None)


# ---------------------------------------------------------------------------------------------
# the profile

@dataclass(frozen=True)
class SourceFile:
    """One file of a source.

    ``file`` is a name pattern (``*`` wildcard; ``{year}`` matches four digits and gives the
    wave). ``join`` (all sources but the first) names the key
    columns joined onto the first source; ``level = 'person'`` rows are aggregated first.
    """

    id: str
    file: str
    sheet: str | None = None
    header_row: int | None = None
    encoding: str | None = None
    join: tuple[str, ...] = ()
    required: bool = True
    level: Literal["household", "person", "record"] = "record"
    stack: bool = False
    line: int = 0

    def match(self, name: str) -> tuple[bool, int | None]:
        """Does a file name match the pattern; the year it carries (``{year}``)."""
        pat = re.escape(self.file).replace(r"\{year\}", r"(?P<year>\d{4})").replace(r"\*", ".*")
        m = re.fullmatch(pat, name, flags=re.IGNORECASE)
        if not m:
            return False, None
        y = m.groupdict().get("year")
        return True, (int(y) if y else None)


@dataclass(frozen=True)
class ColumnRule:
    """How one contract column is made (see docs/PROFILES.md, "Column rules")."""

    target: str
    source: tuple[str, ...] = ()
    from_target: str | None = None
    value: Any = None
    file: str | None = None
    pad: tuple[int, ...] = ()
    sep: str = ""
    na: tuple[str, ...] = ()
    parse: str | None = None
    format: str | None = None
    recode: str | None = None
    unit: str | None = None
    multiply: float | None = None
    divide: str | None = None
    slice: tuple[int, int] | None = None
    lookup: dict[str, str] | None = None
    pseudonymise: bool = False
    optional: bool = False
    line: int = 0


@dataclass(frozen=True)
class Aggregate:
    """Person rows -> one row per household: the head's row plus member counts."""

    source: str
    household: tuple[str, ...]
    head_column: str
    head_value: str
    age: str | None
    counts: dict[str, str]
    line: int = 0


@dataclass(frozen=True)
class Profile:
    """A parsed, checked mapping profile. ``sha256`` is the hash of the file's bytes."""

    name: str
    table: str
    path: Path
    sha256: str
    description: str
    sources: tuple[SourceFile, ...]
    columns: tuple[ColumnRule, ...]
    recodes: dict[str, dict[str, Any]]
    aggregate: Aggregate | None
    personal: tuple[str, ...]
    documents: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    lines: _Lines = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    @property
    def label(self) -> str:
        """Short name of the profile file, for messages."""
        return self.path.name

    def line_of(self, *keys: object) -> int:
        """Line number of a key path in the profile file (0 when not found)."""
        return self.lines.find(*keys) if self.lines is not None else 0

    def provenance(self) -> dict[str, str]:
        """What a manifest records about the profile."""
        return {"profile": self.name, "profile_file": self.path.name,
                "profile_sha256": self.sha256}


class _Lines:
    """Line numbers of keys in a TOML text (tomllib keeps none).

    A light scan of headers (``[a.b]``, ``[[a]]``) and ``key =`` lines, good for messages, not
    a parser.
    """

    _HEAD = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")

    def __init__(self, text: str):
        self.heads: list[tuple[tuple[str, ...], int, int]] = []   # (path, array index, line)
        self.keys: list[tuple[tuple[str, ...], int, str, int]] = []
        counts: dict[tuple[str, ...], int] = {}
        cur: tuple[str, ...] = ()
        idx = 0
        for n, line in enumerate(text.splitlines(), start=1):
            m = self._HEAD.match(line)
            if m:
                cur = tuple(self._unq(p) for p in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+',
                                                             m.group(2)))
                if m.group(1) == "[[":
                    idx = counts.get(cur, -1) + 1
                    counts[cur] = idx
                else:
                    idx = 0
                self.heads.append((cur, idx, n))
                continue
            k = self._KEY.match(line)
            if k:
                self.keys.append((cur, idx, self._unq(k.group(1)), n))

    @staticmethod
    def _unq(s: str) -> str:
        s = s.strip()
        return s[1:-1] if len(s) >= 2 and s[0] == s[-1] and s[0] in "\"'" else s

    def find(self, *keys: object) -> int:
        """``find('columns', 'hh_size')``; ``find('source', 2, 'sheet')`` for arrays."""
        path = [k for k in keys if not isinstance(k, int)]
        index = next((k for k in keys if isinstance(k, int)), 0)
        tpath = tuple(str(k) for k in path)
        for head, i, n in self.heads:          # [columns.hh_size] style
            if head == tpath and i == index:
                return n
        for head, i, key, n in self.keys:      # hh_size = ... under [columns]
            if head == tpath[:-1] and key == tpath[-1] and i == index:
                return n
        for head, i, n in self.heads:          # the enclosing table
            if tpath[:len(head)] == head and head and i == index:
                return n
        return 0


def shipped_profiles() -> list[str]:
    """Names of the profiles shipped in ``kassaki_eval/data/profiles``."""
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


class _Collector:
    """Profile problems, formatted with the project's one-error template."""

    def __init__(self, label: str):
        self.label = label
        self.problems: list[Problem] = []

    def add(self, line: int, column: str, rule: str, fix: str, count: int = 0,
            examples: Sequence[str] = ()) -> None:
        where = f"profile {self.label}" + (f" line {line}" if line else "")
        self.problems.append(Problem(table=where, column=column, rule=rule, count=count,
                                     examples=tuple(examples), fix=fix))

    def raise_if_any(self, what: str) -> None:
        if not self.problems:
            return
        n = len(self.problems)
        lines = []
        for p in self.problems:
            ex = (
                f" (e.g. {', '.join(map(str, p.examples[:5]))}"
                f"{', …' if len(p.examples) > 5 else ''})"
                if p.examples
                else ""
            )
            cnt = (f": {p.count} row{'s' if p.count != 1 else ''}{ex}" if p.count else ex)
            where = "the profile" if p.column == "*" else f"column '{p.column}'"
            lines.append(f"  - {p.table}: {where} {p.rule}{cnt}. Fix: {p.fix}")
        text = f"{what}: {n} problem{'s' if n != 1 else ''} found\n" + "\n".join(lines)
        err = SchemaError(text)
        err.problems = tuple(self.problems)
        err.table = what
        raise err


def _resolve_path(spec: str | Path) -> Path:
    p = Path(spec)
    if p.suffix.lower() == ".toml" or p.exists():
        if not p.exists():
            raise ParameterError(f"The 'profile' parameter of load_profile must name an existing "
                                 f"file or a shipped profile ({', '.join(shipped_profiles())}). "
                                 f"Got {str(spec)!r} instead.")
        return p
    q = PROFILE_DIR / f"{spec}.toml"
    if not q.exists():
        close = difflib.get_close_matches(str(spec), shipped_profiles(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ParameterError(f"The 'profile' parameter of load_profile must be a .toml file or a "
                             f"shipped profile ({', '.join(shipped_profiles())}). Got "
                             f"{str(spec)!r} instead{hint}.")
    return q


def _contract_names(table: str) -> tuple[str, ...]:
    names = list(CONTRACTS[table].names)
    if table == "registry":  # a raw registry (no_kk, nik_head, name_head) is pseudonymised
        names += [n for n in CONTRACTS["registry_raw"].names if n not in names]
    return tuple(names)


def _as_tuple(v: Any) -> tuple[Any, ...]:
    if v is None:
        return ()
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


def load_profile(profile: str | Path | Profile) -> Profile:
    """Read and check a mapping profile (a shipped name such as ``'p3ke'`` or a path).

    Checks, all at once, before any data is read: unknown keys, an unknown contract table,
    target columns that are not in the contract (with the closest name), contract columns
    the profile leaves unmapped, recodes, units and parsers that do not exist, and sources
    that joins or the aggregation name but the profile does not declare.

    Raises
    ------
    SchemaError
        One error listing every problem, each naming the profile line.
    ParameterError
        No such profile.
    """
    if isinstance(profile, Profile):
        return profile
    path = _resolve_path(profile)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    col = _Collector(path.name)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        col.add(int(m.group(1)) if m else 0, "*", f"is not valid TOML ({e})",
                "correct the syntax (strings in quotes, one key per line)")
        col.raise_if_any(f"profile {path.name}")
    lines = _Lines(text)
    head = doc.get("profile", {})
    for k in doc:
        if k not in _TOP_KEYS:
            col.add(lines.find(k), k, "is not a section of a profile",
                    f"use only [{'], ['.join(sorted(_TOP_KEYS))}]")
    for k in head:
        if k not in _PROFILE_KEYS:
            col.add(lines.find("profile", k), k, "is not a key of [profile]",
                    f"use only {', '.join(sorted(_PROFILE_KEYS))}")
    table = str(head.get("table", ""))
    if table not in CONTRACTS or table == "registry_raw":
        close = difflib.get_close_matches(table, list(_TABLES), n=1)
        col.add(lines.find("profile", "table"), "table",
                f"names no contract table ({table!r})",
                "table must be one of " + ", ".join(t for t in CONTRACTS if t != "registry_raw")
                + (f" (did you mean {close[0]!r}?)" if close else ""))
        col.raise_if_any(f"profile {path.name}")
    names = _contract_names(table)

    # sources
    sources: list[SourceFile] = []
    for i, s in enumerate(doc.get("source", [])):
        for k in s:
            if k not in _SOURCE_KEYS:
                col.add(lines.find("source", i, k), k, "is not a key of [[source]]",
                        f"use only {', '.join(sorted(_SOURCE_KEYS))}")
        sid = str(s.get("id", f"source{i + 1}"))
        if "file" not in s:
            col.add(lines.find("source", i), sid, "has no 'file' pattern",
                    "give the file name pattern, e.g. file = \"kor_{year}.csv\"")
        hr = s.get("header_row")
        if hr is not None and (not isinstance(hr, int) or isinstance(hr, bool) or hr < 1):
            col.add(lines.find("source", i, "header_row"), sid,
                    f"has header_row {hr!r}", "header_row is the 1-based row of the column "
                    "names (1 = first row)")
            hr = None
        level = s.get("level", "record")
        if level not in ("household", "person", "record"):
            col.add(lines.find("source", i, "level"), sid, f"has level {level!r}",
                    "level is 'household', 'person' or 'record'")
        sources.append(SourceFile(id=sid, file=str(s.get("file", "")), sheet=s.get("sheet"),
                                  header_row=hr, encoding=s.get("encoding"),
                                  join=tuple(str(x) for x in _as_tuple(s.get("join"))),
                                  required=bool(s.get("required", True)), level=level,
                                  stack=bool(s.get("stack", False)),
                                  line=lines.find("source", i)))
    if not sources:
        col.add(lines.find("source"), "*", "declares no [[source]] file",
                "add a [[source]] table with at least id and file")
    ids = [s.id for s in sources]
    for j, s in enumerate(sources):
        if ids.count(s.id) > 1:
            col.add(s.line, s.id, "is declared twice as a source id", "give each source its "
                    "own id")
        if j > 0 and not s.join:
            col.add(s.line, s.id, "is a second source without 'join'",
                    f"say which key columns join it to '{sources[0].id}', e.g. join = [\"URUT\"]")

    # recodes
    recodes: dict[str, dict[str, Any]] = {}
    for rname, r in doc.get("recodes", {}).items():
        if not isinstance(r, dict):
            col.add(lines.find("recodes", rname), rname, "is not a table",
                    f"write [recodes.{rname}.codes] with \"code\" = \"value\" lines")
            continue
        for k in r:
            if k not in _RECODE_KEYS:
                col.add(lines.find("recodes", rname, k), k,
                        f"is not a key of [recodes.{rname}]",
                        f"use only {', '.join(sorted(_RECODE_KEYS))}")
        codes = {str(k): ("" if v is None else str(v)) for k, v in r.get("codes", {}).items()}
        if "reference" in r:
            ref = _reference_table(str(r["reference"]))
            fr, to = str(r.get("from", "")), str(r.get("to", ""))
            if ref is None or fr not in ref.columns or to not in ref.columns:
                col.add(lines.find("recodes", rname, "reference"), rname,
                        f"names a reference table or columns that do not exist "
                        f"({r['reference']!r}: {fr!r} -> {to!r})",
                        "reference = \"villages\" with from/to among its columns, e.g. "
                        "from = \"bps_code_2018\", to = \"kemendagri_code\"")
            else:
                pairs = ref[[fr, to]].dropna()
                codes = (
                    dict(zip(pairs[fr].astype(str), pairs[to].astype(str), strict=False)) | codes
                )
        recodes[rname] = {"codes": codes, "ignore_case": bool(r.get("ignore_case", False)),
                          "line": lines.find("recodes", rname)}

    # aggregate
    agg = None
    a = doc.get("aggregate")
    if a is not None:
        for k in a:
            if k not in _AGG_KEYS:
                col.add(lines.find("aggregate", k), k, "is not a key of [aggregate]",
                        f"use only {', '.join(sorted(_AGG_KEYS))}")
        hd = a.get("head", {})
        counts = {str(k): str(v) for k, v in a.get("counts", {}).items()}
        for k, v in counts.items():
            if not re.fullmatch(r"all|age\s*(<|<=|>=|>)\s*\d+", v.strip()):
                col.add(lines.find("aggregate", "counts", k), k, f"has count rule {v!r}",
                        "a count is \"all\", \"age < 15\", \"age >= 65\" (<, <=, >, >=)")
        if any(v != "all" for v in counts.values()) and not a.get("age"):
            col.add(lines.find("aggregate"), "age", "is needed by an age count",
                    "name the age column: age = \"R407\"")
        agg = Aggregate(source=str(a.get("source", sources[0].id if sources else "")),
                        household=tuple(str(x) for x in _as_tuple(a.get("household"))),
                        head_column=str(hd.get("column", "")), head_value=str(hd.get("value", "")),
                        age=a.get("age"), counts=counts, line=lines.find("aggregate"))
        if agg.source not in ids:
            col.add(lines.find("aggregate", "source"), agg.source, "is not a declared source",
                    f"use one of {ids}")
        if not agg.household or not agg.head_column:
            col.add(agg.line, "household", "needs the household id and the head rule",
                    "household = [\"URUT\"] and head = { column = \"R403\", value = \"1\" }")
    for s in sources:
        if s.level == "person" and (agg is None or agg.source != s.id):
            col.add(s.line, s.id, "has person rows but no [aggregate] for them",
                    "add [aggregate] with source = \"" + s.id + "\"")

    # columns
    rules: list[ColumnRule] = []
    cols = doc.get("columns", {})
    done: set[str] = set()
    for target, spec in cols.items():
        ln = lines.find("columns", target)
        if target not in names:
            close = difflib.get_close_matches(target, names, n=1, cutoff=0.6)
            col.add(ln, target, f"is not a column of the {table} contract",
                    (f"did you mean '{close[0]}'? " if close else "") +
                    f"targets are the contract's columns ({', '.join(names[:6])}, …; "
                    "docs/ARCHITECTURE.md)")
            continue
        if isinstance(spec, str):
            spec = {"from": spec}
        if not isinstance(spec, dict):
            col.add(ln, target, "has a rule that is neither a column name nor a table",
                    f"write {target} = \"Source header\" or {target} = {{ from = \"…\" }}")
            continue
        for k in spec:
            if k not in _RULE_KEYS:
                close = difflib.get_close_matches(k, sorted(_RULE_KEYS), n=1)
                col.add(ln, target, f"uses the unknown key {k!r}",
                        (f"did you mean {close[0]!r}? " if close else "")
                        + f"rule keys are {', '.join(sorted(_RULE_KEYS))}")
        n_in = sum(k in spec for k in ("from", "target", "value", "file"))
        if n_in != 1:
            col.add(ln, target, "needs exactly one input",
                    "give one of from = \"Header\", target = \"other_column\", value = …, "
                    "file = \"year\"")
            continue
        if spec.get("parse") is not None and spec["parse"] not in PARSERS:
            col.add(ln, target, f"uses the unknown parser {spec['parse']!r}",
                    f"parse is one of {', '.join(PARSERS)}")
        if spec.get("unit") is not None and spec["unit"] not in UNITS:
            col.add(ln, target, f"uses the unknown unit {spec['unit']!r}",
                    f"unit is one of {', '.join(UNITS)} (or multiply = <number>)")
        if spec.get("recode") is not None and spec["recode"] not in recodes:
            col.add(ln, target, f"uses the recode {spec['recode']!r}, which is not defined",
                    f"add [recodes.{spec['recode']}.codes] or use one of "
                    f"{', '.join(recodes) or '(none defined)'}")
        if spec.get("divide") is not None and spec["divide"] not in done:
            col.add(ln, target, f"is divided by '{spec['divide']}', which is not mapped above it",
                    f"map '{spec['divide']}' earlier in [columns]")
        if "target" in spec and spec["target"] not in done:
            col.add(ln, target, f"is made from '{spec['target']}', which is not mapped above it",
                    f"map '{spec['target']}' earlier in [columns]")
        if spec.get("file") not in (None, "year"):
            col.add(ln, target, f"uses file = {spec['file']!r}",
                    "file = \"year\" takes the year from the file name ({year} in the pattern)")
        lk = spec.get("lookup")
        if isinstance(lk, str):
            lk = {"reference": "villages", "key": "kemendagri_code", "value": lk}
        if lk is not None:
            ref = _reference_table(str(lk.get("reference", "villages")))
            if (
                ref is None
                or lk.get("key") not in ref.columns
                or lk.get("value") not in ref.columns
            ):
                col.add(ln, target, f"looks up {lk!r}, which the reference does not have",
                        "lookup = \"zone\" (villages by kemendagri_code) or a table "
                        "{ reference = \"villages\", key = …, value = … }")
        sl = spec.get("slice")
        rules.append(
            ColumnRule(
                target=target,
                source=tuple(str(x) for x in _as_tuple(spec.get("from"))),
                from_target=spec.get("target"),
                value=spec.get("value"),
                file=spec.get("file"),
                pad=tuple(int(x) for x in _as_tuple(spec.get("pad"))),
                sep=str(spec.get("sep", "")),
                na=tuple(str(x) for x in _as_tuple(spec.get("na"))),
                parse=spec.get("parse"),
                format=spec.get("format"),
                recode=spec.get("recode"),
                unit=spec.get("unit"),
                multiply=spec.get("multiply"),
                divide=spec.get("divide"),
                slice=tuple(sl) if sl else None,
                lookup=lk,
                pseudonymise=bool(spec.get("pseudonymise", False)),
                line=ln,
            )
        )
        done.add(target)
    if head.get("same_names"):
        for n in names:
            if n not in done:
                rules.append(ColumnRule(target=n, source=(n,), optional=True,
                                        line=lines.find("profile", "same_names")))
                done.add(n)
    # a declared personal source column reaches the table only hashed or as a personal column
    # of the contract (dropped or pseudonymised on ingest); mapped plainly to an ordinary
    # column, its values would be written, and quoted in contract messages, as they are
    personal = tuple(str(x) for x in _as_tuple(head.get("personal")))
    for r in rules:
        plain = [c for c in r.source if c.split(":")[-1] in personal]
        if plain and not r.pseudonymise and r.target not in PII_COLUMNS:
            col.add(r.line, r.target, f"is mapped from personal column {plain[0]!r} without "
                    "pseudonymising it, so its values would be written and shown as they are",
                    "add pseudonymise = true to the rule (a keyed pseudonym, as for family "
                    "ids), or map another column, or take the column out of personal = [...] "
                    "if it holds no personal data")
    # every required column of the contract must be made
    spec_t = CONTRACTS["registry_raw" if table == "registry" and "no_kk" in done else table]
    missing = [c.name for c in spec_t.columns if c.required and c.name not in done]
    if missing and not head.get("same_names"):
        col.add(lines.find("columns"), ", ".join(missing[:6]) + ("…" if len(missing) > 6 else ""),
                f"{'is' if len(missing) == 1 else 'are'} required by the {spec_t.name} contract "
                f"but not mapped", "add a rule for each under [columns] (a source column, a "
                "constant value = …, or target = … from another column)")
    col.raise_if_any(f"profile {path.name}")
    return Profile(
        name=str(head.get("name", path.stem)),
        table=table,
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        description=str(head.get("description", "")),
        sources=tuple(sources),
        columns=tuple(rules),
        recodes=recodes,
        aggregate=agg,
        personal=personal,
        documents=tuple(str(x) for x in _as_tuple(head.get("documents"))),
        unconfirmed=tuple(str(x) for x in _as_tuple(head.get("unconfirmed"))),
        lines=lines,
    )


def _reference_table(name: str) -> pd.DataFrame | None:
    from .. import reference
    if name == "villages":
        v = reference.villages()
        # forms that exports use: codes without dots, "KECAMATAN|DESA" names (a village name
        # alone is ambiguous: two villages of Pangkep are called Sabaru)
        v["kemendagri_nodots"] = v["kemendagri_code"].str.replace(".", "", regex=False)
        v["kec_kemendagri_nodots"] = v["kec_kemendagri"].str.replace(".", "", regex=False)
        v["kecamatan_desa"] = v["kecamatan"] + "|" + v["name"]
        return v
    if name == "kecamatan":
        return reference.kecamatan()
    return None


# ---------------------------------------------------------------------------------------------
# applying a profile

@dataclass
class Mapped:
    """A source mapped to the contract layout, not yet validated.

    Attributes
    ----------
    data : DataFrame
        Contract columns only, in contract order.
    rows : ndarray of str
        Where each row came from (``kor_2024.csv row 17``), for messages.
    files : list of dict
        Each input file: name, source id, format, SHA-256, rows read.
    profile : Profile
    """

    data: pd.DataFrame
    rows: np.ndarray
    files: list[dict[str, Any]]
    profile: Profile

    def provenance(self) -> dict[str, Any]:
        """``attrs['kassaki_source']`` of a table loaded through the profile."""
        return {"files": self.files, **self.profile.provenance()}


class _Frame:
    """The assembled rows of one group (one wave).

    Every source's columns aligned to the main source's rows, and where each row came from.
    """

    def __init__(self, cols: dict[str, dict[str, pd.Series]], order: list[str], where: np.ndarray,
                 year: int | None):
        self.cols = cols       # source id -> column -> Series (aligned)
        self.order = order
        self.where = where     # row labels
        self.year = year
        self.n = len(where)

    def get(self, name: str) -> tuple[pd.Series | None, str]:
        if ":" in name:
            sid, c = name.split(":", 1)
            if sid in self.cols and c in self.cols[sid]:
                return self.cols[sid][c], sid
            return None, sid
        for sid in self.order:
            if name in self.cols[sid]:
                return self.cols[sid][name], sid
        return None, ""

    def all_columns(self) -> list[str]:
        out: list[str] = []
        for sid in self.order:
            out += [c for c in self.cols[sid] if c not in out]
        return out


def _examples(where: np.ndarray, mask: np.ndarray, k: int = 6) -> list[str]:
    pos = np.flatnonzero(mask)[:k]
    return [str(where[p]) for p in pos]


def _cell_text(v: object) -> str | None:
    """A workbook cell as the text a CSV export would show (whole numbers without '.0')."""
    if v is None or v == "":
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if hasattr(v, "isoformat"):
        # a date, or a datetime at exactly midnight, is the date alone; any time part is kept
        midnight = not any(getattr(v, part, 0) for part in ("hour", "minute", "second",
                                                              "microsecond"))
        return v.isoformat()[:10] if midnight else v.isoformat()
    return str(v)


def _read_xlsx(path: Path, sheet: str | None, header_row: int | None
               ) -> tuple[pd.DataFrame, np.ndarray, str]:
    """Read one sheet: every cell as text, rows numbered as Excel shows them, empty rows dropped.

    Two readers with one result (``tests/data/test_xlsx_readers.py`` checks they agree):

    * fast: fastexcel parses the sheet with calamine (Rust) straight into Arrow columns, no
      Python object per cell. Used when every column holds one type of cell (text, numbers
      or true/false; empty cells anywhere) and the header row can be located for sure;
    * exact: python-calamine's cell grid, converted cell by cell (:func:`_cell_text`). Used
      for everything else: a column mixing text and numbers, date cells, duplicated header
      names, a header row above the sheet's first used row.

    Numbers read as text the way a CSV export writes them: whole numbers without ``.0``
    below 10^15; from 10^15 on (a 16-digit NIK or family-card number that went through a
    float) they keep the ``.0``, so the personal-data and float-mangling checks see them.
    """
    reader = _fast_reader(path)
    names = list(reader.sheet_names) if reader is not None else _sheet_names(path)
    if sheet is None:
        if len(names) != 1:
            raise DataFileError(f"{path.name} has {len(names)} sheets; its sheets are "
                                f"{', '.join(map(repr, names))}. Fix: name one with sheet =.")
        sheet = names[0]
    if sheet not in names:
        raise DataFileError(f"{path.name} has no sheet {sheet!r}; its sheets are "
                            f"{', '.join(map(repr, names))}. Fix: pass one of these as sheet=.")
    got = _read_xlsx_fast(path, sheet, header_row, reader) if reader is not None else None
    return got if got is not None else _read_xlsx_exact(path, sheet, header_row)


def _fast_reader(path: Path) -> Any:
    """A fastexcel reader of the workbook, or ``None`` if fastexcel cannot open it."""
    import fastexcel
    try:
        return fastexcel.read_excel(str(path))
    except Exception:  # noqa: BLE001 - python-calamine then opens it or says why it cannot
        return None


def _sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as e:  # a corrupt workbook fails in many ways
        raise DataFileError(f"{path.name} could not be opened as an Excel workbook "
                            f"({type(e).__name__}). Fix: open it in Excel and save it again as "
                            f"'Excel Workbook (.xlsx)'.") from None
    names = list(wb.sheet_names)
    wb.close()
    return names


_XL_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]+)(\d+)\"[^>/]*>")


def _first_used_cell(path: Path, sheet: str) -> tuple[int, str] | None:
    """Row (1-based) and column letters of the sheet's first cell, from the head of its XML.

    ``None`` when it cannot be told from the first megabyte (the caller then reads exactly).
    """
    import zipfile
    try:
        with zipfile.ZipFile(path) as z:
            wbx = z.read("xl/workbook.xml")
            rels = z.read("xl/_rels/workbook.xml.rels")
            rid = None
            for m in re.finditer(rb"<(?:\w+:)?sheet\b[^>]*>", wbx):
                tag = m.group(0)
                nm = re.search(rb'\bname="([^"]*)"', tag)
                if nm and _xml_unescape(nm.group(1).decode("utf-8")) == sheet:
                    r = re.search(rb'\br:id="([^"]*)"', tag) or re.search(rb'\bid="([^"]*)"', tag)
                    rid = r.group(1) if r else None
                    break
            if rid is None:
                return None
            target = None
            for m in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", rels):
                if re.search(rb'\bId="' + re.escape(rid) + rb'"', m.group(0)):
                    t = re.search(rb'\bTarget="([^"]*)"', m.group(0))
                    target = t.group(1).decode("utf-8") if t else None
            if target is None:
                return None
            member = target.lstrip("/") if target.startswith("/") else "xl/" + target
            with z.open(member) as f:
                head = f.read(1 << 20)
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    cell = _XL_CELL.search(head)
    return (int(cell.group(2)), cell.group(1).decode("ascii")) if cell else None


def _xml_unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _float_text(values: np.ndarray) -> np.ndarray:
    """Float cells as :func:`_cell_text` writes them, converting each distinct value once."""
    codes, uniq = pd.factorize(values, use_na_sentinel=True)
    conv = np.empty(len(uniq) + 1, dtype=object)
    conv[-1] = None
    for j, u in enumerate(uniq):
        conv[j] = _cell_text(float(u))
    return conv[codes]


def _read_xlsx_fast(path: Path, sheet: str, header_row: int | None, reader: Any
                    ) -> tuple[pd.DataFrame, np.ndarray, str] | None:
    """The fastexcel reader, or ``None`` when the sheet needs the exact one."""
    import logging

    import fastexcel
    import pyarrow as pa
    import pyarrow.compute as pc
    h = (header_row or 1) - 1
    first = _first_used_cell(path, sheet)
    if first is None or first[0] - 1 > h:
        return None  # fastexcel would take the first used row as the header
    # an all-empty column's type cannot be guessed: fastexcel says so at WARNING level
    logging.getLogger("fastexcel").setLevel(logging.ERROR)
    opts = {"header_row": h, "schema_sample_rows": None, "dtype_coercion": "strict"}
    # (name, generated by fastexcel, 0-based sheet column); fastexcel numbers columns from
    # the first used one, so from column A on the Arrow batch alone says it all (eager,
    # ~0.5 s less on the full P3KE export)
    cols: list[tuple[str, bool, int]]
    try:
        if first[1] == "A":
            table = reader.load_sheet(sheet, eager=True, **opts)
            cols = []
            for j, nm in enumerate(table.schema.names):
                g = re.fullmatch(r"__UNNAMED__(\d+)", nm)
                cols.append((nm, g is not None, int(g.group(1)) if g else j))
        else:
            ws = reader.load_sheet(sheet, **opts)
            info = ws.available_columns()
            table = ws.to_arrow()
            cols = [(c.name, c.column_name_from == "generated", c.absolute_index) for c in info]
    except fastexcel.UnsupportedColumnTypeCombinationError:
        return None  # a column mixing text, numbers, dates: cell by cell
    except fastexcel.FastExcelError:
        return None
    looked = [j for j, (_, gen, _) in enumerate(cols) if not gen]
    if not looked:
        return None  # an empty header row
    last = max(looked)
    names = {nm for nm, _, _ in cols}
    for nm, gen, _ in cols:
        dup = re.fullmatch(r"(.+)_\d+", nm)
        if not gen and dup and dup.group(1) in names:
            return None  # a repeated header name (fastexcel renames it 'name_1')
    data: dict[str, Any] = {}
    n = table.num_rows
    for j in range(min(a for _, _, a in cols)):
        data[f"Unnamed: {j}"] = pd.array([None] * n, dtype="str")
    for i, ((nm, gen, absj), col) in enumerate(zip(cols, table.columns, strict=True)):
        if i > last:
            break
        name = f"Unnamed: {absj}" if gen else nm
        col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            col = pc.if_else(pc.equal(col, ""), pa.scalar(None, t), col)
            data[name] = pd.Series(col.to_pandas(types_mapper=None)).astype("str")
        elif pa.types.is_floating(t) or pa.types.is_integer(t):
            data[name] = pd.array(_float_text(col.to_numpy(zero_copy_only=False)
                                              .astype("float64")), dtype="str")
        elif pa.types.is_boolean(t):
            b = col.to_pandas()
            text = np.where(b.fillna(False).to_numpy(dtype=bool), "1", "0").astype(object)
            text[b.isna().to_numpy()] = None
            data[name] = pd.array(text, dtype="str")
        elif pa.types.is_null(t):
            data[name] = pd.array([None] * n, dtype="str")
        else:
            return None  # dates, times, durations: the exact reader writes them as Python does
    df = pd.DataFrame({k: pd.Series(v).reset_index(drop=True) for k, v in data.items()})
    rows = np.arange(n) + h + 2
    keep = df.notna().any(axis=1).to_numpy()  # >= 1 column: a named one is needed above
    return df.loc[keep].reset_index(drop=True), rows[keep], "xlsx"


def _read_xlsx_exact(path: Path, sheet: str, header_row: int | None
                     ) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The python-calamine cell grid, converted cell by cell (see :func:`_read_xlsx`)."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    h = (header_row or 1) - 1
    if h >= len(grid):
        raise ParameterError(f"The 'header_row' parameter of the profile must be a row number "
                             f"from 1 to {max(len(grid), 1)} (1 = first row). Got {header_row!r} "
                             f"instead.")
    head = [_cell_text(c) for c in grid[h]]
    width = len(head)
    while width and head[width - 1] is None:
        width -= 1
    if not width:
        # no column names: every row below would be dropped without a word (0 rows mapped)
        used = next((i + 1 for i, r in enumerate(grid) if any(_cell_text(c) is not None
                                                              for c in r)), None)
        where = f"its first row with cells is row {used}" if used else "it has no cells"
        raise ParameterError(f"The 'header_row' parameter of the profile must be the row of the "
                             f"column names; row {h + 1} of sheet {sheet!r} is empty ({where}). "
                             f"Got {header_row!r} instead.")
    cols = [c if c is not None else f"Unnamed: {j}" for j, c in enumerate(head[:width])]
    body = grid[h + 1:]
    arr = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(width))
    arr = arr.iloc[:, :width] if arr.shape[1] >= width else arr.reindex(columns=range(width))
    data: dict[str, np.ndarray] = {}
    for j, c in enumerate(cols):
        vals = arr.iloc[:, j].to_numpy(dtype=object)
        if pd.api.types.infer_dtype(vals, skipna=True) == "string":
            vals = vals.copy()
            vals[vals == ""] = None
        else:
            vals = np.array([_cell_text(v) for v in vals], dtype=object)
        data[c] = vals
    df = pd.DataFrame(data, dtype="str")
    rows = np.arange(len(body)) + h + 2
    keep = df.notna().any(axis=1).to_numpy()  # >= 1 column: an empty header row raised
    return df.loc[keep].reset_index(drop=True), rows[keep], "xlsx"


def _read(src: SourceFile, path: Path, prof: Profile, col: _Collector, table: str
          ) -> tuple[pd.DataFrame, np.ndarray, str] | None:
    from .loaders import read_raw, sniff_format
    try:
        if (
            path.exists()
            and sniff_format(path) == "xlsx"
            and path.suffix.lower() in (".xlsx", ".xlsm")
        ):
            return _read_xlsx(path, src.sheet, src.header_row)
        return read_raw(path, table=table, sheet=src.sheet, header_row=src.header_row,
                        encoding=src.encoding)
    except (DataFileError, ParameterError) as e:
        msg = str(e)
        if "no sheet" in msg:
            key, rule = "sheet", f"names the sheet {src.sheet!r}, which {path.name} does not have"
            sheets = msg.split("its sheets are", 1)[-1].split(". Fix")[0].strip()
            fix = f"use one of its sheets ({sheets})"
        elif "header_row" in msg:
            key, fix = "header_row", msg
            rule = (f"gives header_row {src.header_row} for {path.name}"
                    if src.header_row is not None else f"gives no header_row for {path.name}")
        else:
            key, rule, fix = "file", f"matched {path.name}, which cannot be read", msg
        col.add(prof.line_of("source", prof.sources.index(src), key) or src.line, src.id, rule, fix)
        return None


def _aggregate(df: pd.DataFrame, where: np.ndarray, agg: Aggregate, prof: Profile,
               col: _Collector, fname: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Person rows -> the head's row of each household plus the member counts."""
    need = [*agg.household, agg.head_column] + ([agg.age] if agg.age else [])
    miss = [c for c in need if c not in df.columns]
    if miss:
        for c in miss:
            close = difflib.get_close_matches(c, [str(x) for x in df.columns], n=1)
            col.add(agg.line, c, f"is named in [aggregate] but {fname} has no such column",
                    (f"did you mean '{close[0]}'? " if close else "") + "check the header row "
                    "and the column names")
        return None
    key = df[list(agg.household)].astype("str")
    codes = (pd.MultiIndex.from_frame(key).factorize()[0] if len(agg.household) > 1
             else pd.factorize(key.iloc[:, 0])[0])
    n_hh = int(codes.max()) + 1 if len(codes) else 0
    head = (df[agg.head_column].astype("str").str.strip() == agg.head_value).to_numpy()
    n_head = np.bincount(codes[head], minlength=n_hh)
    bad = n_head != 1
    if bad.any():
        rows = np.isin(codes, np.flatnonzero(bad))
        col.add(agg.line, agg.head_column,
                f"does not give exactly one head ({agg.head_column} = {agg.head_value}) in "
                f"{int(bad.sum())} household(s) of {fname}", "each household needs one head "
                "row; check the relationship codes of these rows", int(rows.sum()),
                _examples(where, rows))
        return None
    age = None
    if agg.age:
        age = _parse_number(df[agg.age])
        badage = age.isna().to_numpy()
        if badage.any():
            col.add(agg.line, agg.age, f"has missing or non-numeric ages in {fname}",
                    "every member needs an age in years to count children and elderly",
                    int(badage.sum()), _examples(where, badage))
            return None
    out = df.loc[head].copy()
    hcodes = codes[head]
    for name, rule in agg.counts.items():
        rule = rule.strip()
        if rule == "all":
            m = np.ones(len(df), bool)
        else:
            op, num = re.fullmatch(r"age\s*(<=|>=|<|>)\s*(\d+)", rule).groups()  # type: ignore[union-attr]
            a = age.to_numpy()  # type: ignore[union-attr]
            m = {"<": a < int(num), "<=": a <= int(num), ">": a > int(num),
                 ">=": a >= int(num)}[op]
        cnt = np.bincount(codes, weights=m.astype(float), minlength=n_hh).astype(np.int64)
        out[name] = cnt[hcodes]
    return out.reset_index(drop=True), where[head]


def _assign(paths: Sequence[Path], prof: Profile, col: _Collector
            ) -> dict[int | None, dict[str, list[Path]]]:
    """Files -> {year or None: {source id: [paths]}} (several paths only for ``stack``)."""
    groups: dict[int | None, dict[str, list[Path]]] = {}
    shared: dict[str, list[Path]] = {}
    for p in paths:
        hit = [(s, y) for s in prof.sources for ok, y in [s.match(p.name)] if ok]
        if not hit:
            col.add(prof.sources[0].line if prof.sources else 0, "file",
                    f"pattern{'s' if len(prof.sources) > 1 else ''} "
                    f"{', '.join(repr(s.file) for s in prof.sources)} match no part of "
                    f"the file name {p.name!r}",
                    "rename the copy of the file or adapt 'file' in [[source]]")
            continue
        s, y = hit[0]
        bucket = groups.setdefault(y, {}) if "{year}" in s.file else shared
        got = bucket.setdefault(s.id, [])
        if got and not s.stack:
            col.add(s.line, s.id, f"matches two files{f' of {y}' if y else ''}: "
                    f"{got[0].name}, {p.name}", "pass one file per source and wave ({year} "
                    "in the pattern), or set stack = true to stack files of one layout")
        got.append(p)
    if not groups:
        groups = {None: {}}
    for g in groups.values():
        for sid, ps in shared.items():
            g.setdefault(sid, ps)
    for y, g in groups.items():
        for s in prof.sources:
            if s.required and s.id not in g:
                col.add(s.line, s.id, f"has no file{f' for {y}' if y else ''} (pattern "
                        f"{s.file!r})", f"pass the {s.id} file too")
    return groups


def _assemble(group: dict[str, list[Path]], year: int | None, prof: Profile, col: _Collector,
              files: list[dict[str, Any]]) -> _Frame | None:
    frames: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    for s in prof.sources:
        if s.id not in group:
            continue
        dfs, wheres = [], []
        for p in group[s.id]:
            got = _read(s, p, prof, col, prof.table)
            if got is None:
                continue
            df, rows, fmt = got
            files.append({"file": p.name, "source": s.id, "format": fmt,
                          "sha256": _file_sha256(p), "rows": int(len(df))})
            dfs.append(df)
            wheres.append(np.char.add(f"{p.name} row ", rows.astype(str)).astype(object))
        if not dfs:
            continue
        df = dfs[0] if len(dfs) == 1 else pd.concat(dfs, ignore_index=True)
        where = wheres[0] if len(wheres) == 1 else np.concatenate(wheres)
        p = group[s.id][0]
        if prof.aggregate is not None and prof.aggregate.source == s.id:
            a = _aggregate(df, where, prof.aggregate, prof, col, p.name)
            if a is None:
                continue
            df, where = a
        frames[s.id] = (df, where)
    main = prof.sources[0]
    if main.id not in frames:
        return None
    mdf, mwhere = frames[main.id]
    cols: dict[str, dict[str, pd.Series]] = {main.id: {str(c): mdf[c] for c in mdf.columns}}
    order = [main.id]
    for s in prof.sources[1:]:
        if s.id not in frames:
            continue
        df, where = frames[s.id]
        miss = [k for k in s.join if k not in df.columns or k not in mdf.columns]
        if miss:
            col.add(prof.line_of("source", prof.sources.index(s), "join") or s.line, s.id,
                    f"joins on {miss}, which {group[s.id][0].name} or {group[main.id][0].name} "
                    "lacks",
                    "name key columns present in both files")
            continue
        rk = df[list(s.join)].astype("str").agg("\x1f".join, axis=1) if len(s.join) > 1 else \
            df[s.join[0]].astype("str").str.strip()
        lk = mdf[list(s.join)].astype("str").agg("\x1f".join, axis=1) if len(s.join) > 1 else \
            mdf[s.join[0]].astype("str").str.strip()
        dup = rk.duplicated(keep=False).to_numpy()
        if dup.any():
            col.add(s.line, "+".join(s.join), f"repeats key values in {group[s.id][0].name}",
                    "the joined file must hold one row per key", int(dup.sum()),
                    _examples(where, dup))
            continue
        idx = pd.Index(rk).get_indexer(lk)
        lost = idx < 0
        if lost.any():
            col.add(s.line, "+".join(s.join), f"finds no {s.id} row for rows of "
                    f"{group[main.id][0].name}", f"every {main.id} row needs its {s.id} row "
                    "(same key); check that both files come from the same round",
                    int(lost.sum()), _examples(mwhere, lost))
        orphan = np.ones(len(df), bool)
        orphan[idx[idx >= 0]] = False
        if orphan.any():
            col.add(s.line, "+".join(s.join), f"has rows in {group[s.id][0].name} with no "
                    f"{main.id} row", f"drop them in a cleaned copy or pass the matching "
                    f"{main.id} file", int(orphan.sum()), _examples(where, orphan))
        if lost.any() or orphan.any():
            continue
        cols[s.id] = {str(c): df[c].iloc[idx].reset_index(drop=True) for c in df.columns}
        order.append(s.id)
    return _Frame({k: {c: v.reset_index(drop=True) for c, v in d.items()} for k, d in cols.items()},
                  order, mwhere, year)


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _text(s: pd.Series) -> pd.Series:
    """Codes as text (object dtype): whole floats without '.0', stripped, empty as missing.

    Works on the distinct values only (a column of 10^5 rows has a few hundred codes).
    """
    if pd.api.types.is_string_dtype(s) and not pd.api.types.is_object_dtype(s):
        # text read from a CSV or a workbook: factorised in Arrow, no Python object per row
        codes, uniq = pd.factorize(s, use_na_sentinel=True)
        uniq = np.asarray(uniq, dtype=object)
    else:
        codes, uniq = pd.factorize(
            s.to_numpy(dtype=object, na_value=None)
            if not pd.api.types.is_float_dtype(s)
            else s.to_numpy(),
            use_na_sentinel=True,
        )
    conv = np.empty(len(uniq) + 1, dtype=object)
    conv[-1] = None
    for j, u in enumerate(uniq):
        if isinstance(u, (float, np.floating)):
            t = str(int(u)) if float(u).is_integer() else repr(float(u))
        elif isinstance(u, (bool, np.bool_)):
            t = "1" if u else "0"
        elif isinstance(u, (int, np.integer)):
            t = str(int(u))
        else:
            t = str(u).strip()
        conv[j] = t if t != "" else None
    return pd.Series(conv[codes], index=s.index, dtype=object)


def _recode(t: pd.Series, mp: dict[str, str], ignore_case: bool) -> tuple[pd.Series, np.ndarray]:
    """Map text codes through ``mp``: (mapped values, mask of present but unlisted codes)."""
    codes, uniq = pd.factorize(t.to_numpy(dtype=object), use_na_sentinel=True)
    look = {(k.lower() if ignore_case else k): v for k, v in mp.items()}
    conv = np.empty(len(uniq) + 1, dtype=object)
    conv[-1] = None
    known = np.ones(len(uniq) + 1, dtype=bool)
    for j, u in enumerate(uniq):
        key = str(u).lower() if ignore_case else str(u)
        if key in look:
            conv[j] = look[key] if look[key] != "" else None
        else:
            conv[j], known[j] = None, False
    return pd.Series(conv[codes], index=t.index, dtype=object), ~known[codes]


def _apply_rule(r: ColumnRule, fr: _Frame, out: dict[str, pd.Series], prof: Profile,
                col: _Collector, key: str | None) -> pd.Series | None:
    n = fr.n
    label = None
    if r.source:
        parts = []
        for j, c in enumerate(r.source):
            s, _ = fr.get(c)
            if s is None and r.optional:
                return None
            if s is None:
                avail = fr.all_columns()
                close = difflib.get_close_matches(c.split(":")[-1], avail, n=1, cutoff=0.5)
                col.add(r.line, r.target, f"is mapped from {c!r}, which the file has not",
                        (f"did you mean '{close[0]}'? " if close else "") +
                        "check the header row and the spelling of the source column",
                        n, list(fr.where[:3]))
                return None
            if len(r.source) > 1 or r.pad:
                t = _text(s).astype("object")
                if j < len(r.pad) and r.pad[j]:
                    t = t.where(t.isna(), t.astype("str").str.zfill(r.pad[j]))
                s = t
            parts.append(s)
        if len(parts) == 1:
            v = parts[0]
        else:
            v = parts[0].astype("object")
            for p in parts[1:]:
                v = v + r.sep + p
        label = "+".join(r.source)
    elif r.from_target is not None:
        if r.from_target not in out:   # its own rule failed (reported)
            return None
        v = out[r.from_target]
        label = r.from_target
    elif r.file == "year":
        if fr.year is None:
            col.add(r.line, r.target, "takes the year from the file name, but the pattern has "
                    "no {year}", "write the main source's file pattern with {year}, e.g. "
                    "\"kor_{year}.csv\"")
            return None
        v = pd.Series(np.full(n, fr.year, dtype=np.int64))
    else:
        v = pd.Series([r.value] * n, dtype="object") if not isinstance(r.value, (int, float)) \
            else pd.Series(np.full(n, r.value))
    v = v.reset_index(drop=True)
    if r.na:
        t = _text(v) if not pd.api.types.is_object_dtype(v) else v
        v = v.where(~t.isin(r.na))
    if r.parse and r.parse != "text":
        present = v.notna().to_numpy()
        if r.parse == "rupiah":
            p = parse_rupiah(v)
        elif r.parse == "decimal_comma":
            p = parse_decimal_comma(v)
        elif r.parse == "number":
            p = _parse_number(v)
        elif r.parse == "date":
            p = _parse_date(v, r.format)
        else:
            p = _parse_date_id(v)
        bad = present & p.isna().to_numpy()
        if bad.any():
            quote = "" if _personal(prof, r) else _quote(v[bad])
            col.add(r.line, r.target, f"cannot parse {int(bad.sum())} value(s) of {label!r} "
                    f"as {r.parse}{quote}", f"check the values or change parse "
                    f"(one of {', '.join(PARSERS)})", int(bad.sum()), _examples(fr.where, bad))
        v = p
    if r.recode:
        rc = prof.recodes[r.recode]
        t = _text(v)
        mapped, miss = _recode(t, rc["codes"], rc["ignore_case"])
        if miss.any():
            vals = pd.unique(t[miss])
            shown = ", ".join(repr(x) for x in vals[:6]) + (", …" if len(vals) > 6 else "")
            if _personal(prof, r):
                shown = f"{len(vals)} distinct value(s)"
            col.add(rc["line"], r.target, f"meets code(s) of {label!r} that [recodes.{r.recode}] "
                    f"does not list ({shown})", f"add them to [recodes.{r.recode}.codes] "
                    f"(\"code\" = \"value\"; an empty value \"\" means missing)",
                    int(miss.sum()), _examples(fr.where, miss))
        v = mapped
    factor = 1.0
    if r.unit:
        factor *= UNITS[r.unit]
    if r.multiply is not None:
        factor *= float(r.multiply)
    if factor != 1.0:
        num = v if pd.api.types.is_numeric_dtype(v) else _parse_number(v)
        bad = (v.notna() & num.isna()).to_numpy()
        if bad.any():
            col.add(r.line, r.target, f"has {int(bad.sum())} non-numeric value(s) to convert",
                    "add parse = \"rupiah\" / \"decimal_comma\" / \"number\"", int(bad.sum()),
                    _examples(fr.where, bad))
        v = num * factor
    if r.divide:
        if r.divide not in out:   # its own rule failed (reported)
            return None
        num = v if pd.api.types.is_numeric_dtype(v) else _parse_number(v)
        den = out[r.divide]
        den = den.astype("float64") if pd.api.types.is_numeric_dtype(den) else _parse_number(den)
        v = num / den.where(den != 0)
    if r.slice:
        t = _text(v)
        v = t.str.slice(r.slice[0], r.slice[1]).astype("object").where(t.notna(), None)
    if r.lookup:
        ref = _reference_table(r.lookup.get("reference", "villages"))
        col_k, col_v = ref[r.lookup["key"]], ref[r.lookup["value"]]  # type: ignore[index]
        mp = dict(zip(col_k.astype(str), col_v.astype(str), strict=False))
        t = _text(v)
        got, miss = _recode(t, mp, False)
        if miss.any():
            # a personal source (pseudonymised, or a personal column of the contract): counted,
            # never quoted, as in the parse and recode messages above
            quote = "" if _personal(prof, r) else _quote(t[miss])
            col.add(r.line, r.target, f"finds no reference {r.lookup['value']!r} for "
                    f"{int(miss.sum())} value(s) of {label!r}{quote}",
                    f"the values must be {r.lookup['key']} codes of the reference",
                    int(miss.sum()), _examples(fr.where, miss))
        v = got
    if r.pseudonymise:
        if key is None:
            col.add(r.line, r.target, "is pseudonymised but no key was given",
                    "pass key=… (KASSAKI_PSEUDONYM_KEY) or demo=True for synthetic data")
            return None
        from .pseudonymise import pseudonymise_id
        t = _text(v)
        v = pd.Series(pseudonymise_id(t, key), dtype="object")
    return v.reset_index(drop=True)


def _personal(prof: Profile, r: ColumnRule) -> bool:
    return r.pseudonymise or r.target in PII_COLUMNS or any(
        c.split(":")[-1] in prof.personal for c in r.source)


def _quote(s: pd.Series) -> str:
    from .pseudonymise import scrub
    vals = pd.unique(s.dropna().astype("str"))
    if not len(vals):
        return ""
    shown = ", ".join(repr(scrub(x)) for x in vals[:4]) + (", …" if len(vals) > 4 else "")
    return f" ({shown})"


def map_files(paths: str | Path | Sequence[str | Path], profile: str | Path | Profile, *,
              key: str | None = None, demo: bool = False) -> Mapped:
    """Apply a profile to source files; return the contract-layout table (not validated).

    Parameters
    ----------
    paths : path or sequence of paths
        The source's files (every wave and every part, e.g. ``kor_2024.csv``, ``kp_2024.csv``);
        each is assigned to a ``[[source]]`` by its name pattern. Files are only read.
    profile : str, Path or Profile
        A shipped profile name (:func:`shipped_profiles`) or a .toml file.
    key : str, optional
        Pseudonymisation key for rules with ``pseudonymise = true`` (default from
        ``KASSAKI_PSEUDONYM_KEY``); ``demo=True`` allows the public demo key.

    Raises
    ------
    SchemaError
        Every profile and mapping problem at once, each naming the profile line and rows.
    """
    prof = load_profile(profile)
    plist = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not plist:
        raise ParameterError("The 'paths' parameter of map_files must name at least one file. "
                             "Got an empty sequence instead.")
    col = _Collector(prof.label)
    k = None
    if any(r.pseudonymise for r in prof.columns):
        from .pseudonymise import resolve_key
        k = resolve_key(key, demo=demo)
    groups = _assign(plist, prof, col)
    col.raise_if_any(f"profile {prof.label}")
    files: list[dict[str, Any]] = []
    parts, wheres = [], []
    for year in sorted(groups, key=lambda y: -1 if y is None else y):
        n_before = len(col.problems)
        fr = _assemble(groups[year], year, prof, col, files)
        if fr is None or len(col.problems) > n_before:
            continue  # columns of a failed read or join would only repeat the problem
        out: dict[str, pd.Series] = {}
        for r in prof.columns:
            v = _apply_rule(r, fr, out, prof, col, k)
            if v is not None:
                out[r.target] = v
        if len(col.problems) == n_before:
            parts.append(pd.DataFrame(out))
            wheres.append(fr.where)
    col.raise_if_any(f"profile {prof.label}")
    names = _contract_names(prof.table)
    data = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    data = data[[c for c in names if c in data.columns]]
    return Mapped(data=data, rows=np.concatenate(wheres), files=files, profile=prof)


def load_with_profile(paths: str | Path | Sequence[str | Path], profile: str | Path | Profile, *,
                      key: str | None = None, demo: bool = False,
                      pseudonymise: bool = True) -> pd.DataFrame:
    """Map source files with a profile, then validate them like :func:`load_table` does.

    The mapped table is validated against the profile's contract; a raw registry (``no_kk``,
    ``nik_head``, ``name_head``) is validated as ``registry_raw``, pseudonymised and validated
    again as ``registry`` (unless ``pseudonymise=False``, which returns it validated raw, as
    ``kassaki-eval validate`` does). ``attrs['kassaki_source']`` records every file (name,
    SHA-256, rows) and the profile's name and SHA-256.

    Example
    -------
    >>> from kassaki_eval import config
    >>> from kassaki_eval.data.profiles import load_with_profile
    >>> v = load_with_profile(config.district_dir() / "villages.csv", "workbench_villages")
    >>> v.attrs["kassaki_source"]["profile"], len(v)
    ('workbench_villages', 103)
    """
    return load_with_profiles([(paths, profile)], key=key, demo=demo, pseudonymise=pseudonymise)


def load_with_profiles(inputs: Sequence[tuple[str | Path | Sequence[str | Path],
                                              str | Path | Profile]], *,
                       key: str | None = None, demo: bool = False,
                       pseudonymise: bool = True) -> pd.DataFrame:
    """Several sources of one contract table, each through its own profile, validated once.

    Each source (files, profile) is mapped with :func:`map_files`; the mapped rows are stacked
    and validated in one pass against the contract, so rules across sources (a record id used
    by two partners) see every row. The mapping problems of all sources come in one error.

    Parameters
    ----------
    inputs : sequence of (paths, profile)
        E.g. ``[("bank.xlsx", "partner_bank_sulselbar"), ("bpvp.xlsx", "partner_bpvp")]``.
        Every profile must be for the same contract table.
    key, demo, pseudonymise
        As in :func:`load_with_profile`.

    Returns
    -------
    DataFrame
        ``attrs['kassaki_source']`` lists every input file with its table, profile and the
        profile's SHA-256 (``files``), and every profile (``profiles``); with one profile its
        name and SHA-256 are also at the top (``profile``, ``profile_sha256``).

    Example
    -------
    >>> from kassaki_eval import config
    >>> v = load_with_profiles([(config.district_dir() / "villages.csv",
    ...                          "workbench_villages")])
    >>> v.attrs["kassaki_source"]["files"][0]["profile"]
    'workbench_villages'
    """
    if not inputs:
        raise ParameterError("The 'inputs' parameter of load_with_profiles must name at least "
                             "one (files, profile) pair. Got an empty sequence instead.")
    maps: list[Mapped] = []
    errors: list[SchemaError] = []
    for paths, profile in inputs:
        try:
            maps.append(map_files(paths, profile, key=key, demo=demo))
        except SchemaError as e:
            errors.append(e)
    if errors:
        if len(errors) == 1:
            raise errors[0]
        err = SchemaError("\n".join(str(e) for e in errors))
        err.problems = tuple(p for e in errors for p in e.problems)
        raise err
    tables = {m.profile.table for m in maps}
    if len(tables) != 1:
        raise ParameterError(f"The 'inputs' parameter of load_with_profiles must give profiles "
                             f"of one contract table. Got {sorted(tables)} instead.")
    table = tables.pop()
    files = [f | {"table": table, "profile": m.profile.name,
                  "profile_sha256": m.profile.sha256} for m in maps for f in m.files]
    if len(maps) == 1:
        m = maps[0]
        data, rows = m.data, m.rows
        source = f"{m.profile.label} mapping of " + (m.files[0]["file"] if len(m.files) == 1
                                                      else f"{len(m.files)} files")
    else:
        names = _contract_names(table)
        data = pd.concat([m.data for m in maps], ignore_index=True)
        data = data[[c for c in names if c in data.columns]]
        rows = np.concatenate([m.rows for m in maps])
        source = f"{len(maps)} profile mappings of {len(files)} files"
    if table == "registry" and "no_kk" in data.columns:
        from .pseudonymise import pseudonymise_registry, resolve_key
        if pseudonymise:
            k = resolve_key(key, demo=demo)
        clean = validate(data, "registry_raw", rows=rows, source=source)
        out = (validate(pseudonymise_registry(clean, key=k, demo=demo), "registry", rows=rows,
                        source=source) if pseudonymise else clean)
    else:
        out = validate(data, table, rows=rows, source=source)
    meta: dict[str, Any] = {"files": files,
                            "profiles": [m.profile.provenance() for m in maps]}
    if len(maps) == 1:
        meta |= maps[0].profile.provenance()
    out.attrs["kassaki_source"] = meta | {"table": table, "rows": len(out)}
    return out
