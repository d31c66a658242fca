"""Draft a mapping profile from a file's headers and values (``kassaki-eval map --suggest``).

The draft is for a person to review, never applied blindly: every guessed line carries a
comment saying why it was guessed and how sure the guess is. What it looks at:

* **headers**: fuzzy matching (:mod:`difflib`) of the header against each contract column's
  name and a short vocabulary of Indonesian and BPS names (``jumlah anggota keluarga``,
  ``jenis kelamin``, ``R407``, ``FWT``, ``KAPITA`` ...);
* **values**: region-code formats (Kemendagri with or without dots, BPS village and
  kecamatan codes), amounts (``Rp 1.250.000``, decimal commas, thousands of rupiah when
  the header says ``ribu``), dates (``dd/mm/yyyy``, ISO, Indonesian month names), yes/no
  labels, known category labels (sex, schooling, sector, electricity);
* **personal data**: 16-digit numbers and headers such as NIK, KK, nama: listed under
  ``personal`` and, for the family-card number, mapped to a pseudonymised ``family_id``;
* **layout**: the sheet with most rows, title rows above the header, person rows
  (a household id that repeats and a relationship-to-head column) -> an ``[aggregate]``.

Example
-------
>>> from kassaki_eval.data.suggest import match_header
>>> match_header("Jumlah Anggota Keluarga", "registry")[0]
'hh_size'
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .contracts import CONTRACTS

__all__ = ["Suggestion", "ColumnGuess", "suggest_profile", "match_header", "SYNONYMS",
           "suggest_accuracy"]

#: Vocabulary: contract column -> header words seen in Indonesian exports and BPS files.
#: Matching is fuzzy (case, spaces and punctuation ignored), so a short form covers variants.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "no_kk": ("no kk", "nomor kk", "nokk", "no kartu keluarga", "nomor kartu keluarga", "kk"),
    "nik_head": ("nik kepala keluarga", "nik krt", "nik kk", "nik"),
    "name_head": ("nama kepala keluarga", "nama krt", "nama kk", "nama"),
    "family_id": ("no kk", "nomor kk", "kk"),
    "village_code": ("kode desa", "kode kelurahan", "kode desa kelurahan",
                     "kode wilayah", "kddesa", "desa kelurahan", "desa", "r104"),
    "kec_code": ("kode kecamatan", "kdkec", "r103"),
    "zone": ("zona", "wilayah kepulauan"),
    "desil": ("desil", "desil kesejahteraan", "desil nasional", "peringkat desil"),
    "pmt_score": ("skor pmt", "nilai pmt", "skor"),
    "hh_size": ("jumlah anggota keluarga", "jumlah art", "jml art", "jumlah anggota rumah tangga",
                "banyak art", "jumlah anggota"),
    "n_children": ("jumlah anak", "jumlah anak 15", "anak", "jumlah balita anak"),
    "n_elderly": ("jumlah lansia", "lansia", "jumlah lanjut usia"),
    "head_sex": ("jenis kelamin kepala keluarga", "jenis kelamin krt", "jenis kelamin", "jk",
                 "r405", "sex"),
    "head_age": ("usia kepala keluarga", "umur kepala keluarga", "umur krt", "usia", "umur",
                 "r407", "age"),
    "head_educ": ("pendidikan kepala keluarga", "pendidikan krt", "ijazah tertinggi", "ijazah",
                  "pendidikan", "r614"),
    "head_sector": ("pekerjaan utama kepala keluarga", "lapangan usaha", "pekerjaan utama",
                    "pekerjaan", "sektor", "r706"),
    "floor_area_pc": ("luas lantai", "r1804"),
    "roof_good": ("atap layak", "atap", "jenis atap"),
    "wall_good": ("dinding layak", "dinding"),
    "floor_good": ("lantai layak", "jenis lantai"),
    "toilet_own": ("jamban sendiri", "fasilitas bab", "jamban", "kloset"),
    "water_piped": ("air leding", "sumber air minum", "leding"),
    "electricity": ("sumber penerangan", "daya listrik", "listrik", "penerangan"),
    "cooking_lpg": ("bahan bakar memasak", "lpg"),
    "house_owned": ("rumah milik sendiri", "status kepemilikan rumah", "rumah sendiri",
                    "kepemilikan rumah"),
    "land_farm": ("memiliki lahan pertanian", "lahan pertanian", "lahan"),
    "land_pond": ("memiliki tambak", "tambak"),
    "livestock": ("memiliki ternak", "ternak"),
    "asset_motorcycle": ("memiliki sepeda motor", "sepeda motor", "motor"),
    "asset_fridge": ("memiliki kulkas", "kulkas", "lemari es"),
    "asset_tv": ("memiliki tv", "televisi", "tv"),
    "asset_boat": ("memiliki perahu", "perahu", "kapal"),
    "asset_car": ("memiliki mobil", "mobil"),
    "asset_gold": ("memiliki emas perhiasan", "emas", "perhiasan"),
    "receives_pkh": ("penerima pkh", "pkh"),
    "receives_bpnt": ("penerima bpnt", "bpnt", "sembako"),
    "year": ("tahun", "year"),
    "hh_id": ("urut", "id rumah tangga", "nurt", "id rt", "no urut rumah tangga"),
    "stratum": ("strata", "stratum"),
    "psu": ("psu", "kode psu", "nks", "blok sensus"),
    "weight": ("fwt", "wert", "weind", "penimbang", "bobot", "weight"),
    "consumption_pc": ("kapita", "pengeluaran per kapita", "pengeluaran perkapita sebulan"),
    "income": ("pendapatan", "penghasilan"),
    "employed": ("bekerja", "status bekerja"),
    "business": ("usaha", "memiliki usaha"),
    "in_panel": ("panel",),
    "treated_village": ("desa program",),
    "eligible": ("layak", "eligible"),
    "participates": ("peserta", "ikut program"),
    "record_id": ("no peserta", "nomor pinjaman", "id", "no rekening pinjaman"),
    "partner": ("lembaga", "mitra", "perguruan tinggi"),
    "component": ("komponen", "jenis program"),
    "unit": ("unit", "tingkat"),
    "start_date": ("tanggal akad", "tanggal mulai", "mulai",
                   "tanggal", "tgl realisasi", "tanggal realisasi"),
    "amount_rp": ("plafon kredit", "nilai pinjaman", "anggaran", "jumlah rp", "nilai rp",
                  "plafon", "nominal"),
}

_LABELS: dict[str, dict[str, str]] = {
    "sex": {"laki-laki": "M", "laki laki": "M", "perempuan": "F", "l": "M", "p": "F"},
    "ya_tidak": {"ya": "1", "tidak": "0", "ada": "1", "tidak ada": "0"},
    "education": {"tidak/belum sekolah": "0", "tidak sekolah": "0", "sd/sederajat": "6",
                  "sd": "6", "smp/sederajat": "9", "smp": "9", "sma/sederajat": "12",
                  "sma": "12", "diploma/sarjana": "16", "sarjana": "16"},
    "sector": {"pertanian": "agriculture", "perikanan": "fishery",
               "industri pengolahan": "industry", "industri": "industry",
               "perdagangan": "trade", "jasa": "services", "tidak bekerja": "none"},
    "electricity": {"tidak ada": "none", "pln 450 va": "pln_450", "pln 900 va": "pln_900",
                    "pln 1300 va ke atas": "pln_1300plus"},
}
_ID_MONTH = re.compile(r"^\d{1,2}[\s\-/]+(jan|feb|peb|mar|apr|mei|jun|jul|agu|agt|ags|sep|okt|"
                       r"nov|nop|des)[a-z]*\.?[\s\-/]+\d{4}$", re.I)
_KK_HEAD = re.compile(r"\b(no\.?\s*kk|nokk|nomor\s*kk|kartu\s*keluarga|kk)\b", re.I)
_NIK_HEAD = re.compile(r"\bnik\b", re.I)
_NAME_HEAD = re.compile(r"\bnama\b", re.I)


_ABBREV = {"tgl": "tanggal", "jml": "jumlah", "no": "no", "nmr": "nomor", "kd": "kode",
           "pddk": "pendidikan", "kel": "kelurahan"}


def _norm(s: str) -> str:
    s = re.sub(r"[^0-9a-z]+", " ", str(s).lower())
    return " ".join(_ABBREV.get(w, w) for w in s.split())


def match_header(header: str, table: str) -> tuple[str | None, float]:
    """Best contract column of ``table`` for a header, and the similarity (0-1)."""
    names = list(CONTRACTS[table].names)
    if table == "registry":
        names += [n for n in CONTRACTS["registry_raw"].names if n not in names]
    h = _norm(header)
    best: tuple[str | None, float] = (None, 0.0)
    for n in names:
        if table == "registry" and n == "family_id":
            continue  # a registry's family-card number is no_kk (pseudonymised on ingest)
        cands = (_norm(n.replace("_", " ")),) + tuple(_norm(x) for x in SYNONYMS.get(n, ()))
        for c in cands:
            if not c:
                continue
            r = 1.0 if h == c else difflib.SequenceMatcher(None, h, c).ratio()
            if r > best[1]:
                best = (n, r)
    return best


@dataclass
class ColumnGuess:
    """What the suggester thinks one source column is."""

    header: str
    target: str | None
    score: float
    rule: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    personal: bool = False


@dataclass
class Suggestion:
    """A drafted profile: the TOML text and the guesses behind it."""

    table: str
    source: dict[str, Any]
    columns: list[ColumnGuess]
    recodes: dict[str, dict[str, str]]
    aggregate: dict[str, Any] | None
    text: str = ""

    def mapping(self) -> dict[str, str]:
        """Source header -> contract column, for the columns it mapped."""
        return {c.header: c.target for c in self.columns if c.target}


def _read_grid(path: Path, sheet: str | None
               ) -> tuple[list[list[Any]], str | None, str, int]:
    """The sheet's cells, its name, the format, and the file rows above the grid.

    A CSV's grid starts at its header: the rows above are its title lines.
    """
    from .loaders import sniff_format
    fmt = sniff_format(path)
    if fmt == "xlsx":
        from python_calamine import CalamineWorkbook
        wb = CalamineWorkbook.from_path(str(path))
        best, best_n, best_grid = None, -1, []
        for name in wb.sheet_names:
            if sheet is not None and name != sheet:
                continue
            g = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if len(g) > best_n:
                best, best_n, best_grid = name, len(g), g
        return best_grid, best, fmt, 0
    if fmt == "csv":
        from .loaders import read_raw
        hr = _csv_header_row(path)
        df, _, _ = read_raw(path, table="__none__", header_row=hr)
        grid = [list(df.columns)] + df.astype(object).where(df.notna(), None).values.tolist()
        return grid, None, fmt, hr - 1
    from .loaders import read_raw
    df, _, _ = read_raw(path, table="__none__")
    return ([list(df.columns)] + df.astype(object).where(df.notna(), None).values.tolist(),
            None, fmt, 0)


def _csv_header_row(path: Path) -> int:
    """1-based header row of a CSV, below any title or notes lines.

    A title line above the header (as offices export them) was read as the header, one
    column wide. The separator is the one whose count is the same on most of the first 30
    non-empty lines (a title line breaks that pattern, a header and its rows follow it); the
    header is then the first of those lines with the most text cells, as in a workbook.
    """
    import csv

    from .loaders import text_head
    text = text_head(path).splitlines()[:60]
    at = [i for i, x in enumerate(text) if x.strip()][:30]
    lines = [text[i] for i in at]

    def regular(d: str) -> tuple[int, int]:
        counts = [x.count(d) for x in lines if x.count(d) > 0]
        if not counts:
            return 0, 0
        mode = max(set(counts), key=lambda c: (counts.count(c), c))
        return counts.count(mode), mode

    delim = max([",", ";", "\t", "|"], key=regular)
    grid: list[list[Any]] = [list(r) for r in csv.reader(lines, delimiter=delim)]
    return at[_header_row(grid)] + 1 if grid else 1


def _header_row(grid: list[list[Any]]) -> int:
    """0-based header row: the first of the top rows with the most non-empty text cells."""
    def n_text(r: list[Any]) -> int:
        return sum(isinstance(c, str) and c.strip() != "" and not re.fullmatch(r"[\d.,\s]+", c)
                   for c in r)
    top = grid[:30]
    if not top:
        return 0
    scores = [n_text(r) for r in top]
    best = max(scores)
    return next(i for i, s in enumerate(scores) if s == best)


def _values(col: pd.Series) -> pd.Series:
    v = col.dropna().astype(str).str.strip()
    return v[v != ""].head(2000)


def _detect(header: str, vals: pd.Series) -> tuple[dict[str, Any], str, bool, str | None]:
    """Value-format rule, a note, personal?, and a label-set name when the values are labels."""
    rule: dict[str, Any] = {}
    notes = []
    h = _norm(header)
    if vals.empty:
        return rule, "empty column", False, None
    sixteen = vals.str.fullmatch(r"\d{16}").mean()
    personal = bool(sixteen > 0.8 or _NIK_HEAD.search(header) or _KK_HEAD.search(header)
                    or _NAME_HEAD.search(header))
    if sixteen > 0.8:
        notes.append("16-digit numbers: NIK or family-card numbers (personal)")
    if vals.str.fullmatch(r"73\.10\.\d{2}\.[12]\d{3}").mean() > 0.9:
        notes.append("Kemendagri village codes")
        rule["_code"] = "kemendagri"
    elif vals.str.fullmatch(r"7310\d{6}").mean() > 0.9:
        notes.append("Kemendagri village codes without dots")
        rule["_code"] = "kemendagri_nodots"
    elif vals.str.fullmatch(r"7309\d{6}").mean() > 0.9:
        notes.append("BPS village codes (2018 master)")
        rule["_code"] = "bps_village"
    elif vals.str.fullmatch(r"7309\d{3}").mean() > 0.9:
        notes.append("BPS kecamatan codes")
        rule["_code"] = "bps_kec"
    if vals.str.match(r"^-?\s*[Rr][Pp]\.?\s*[\d.]+(,\d+)?$").mean() > 0.8:
        rule["parse"] = "rupiah"
        notes.append("amounts written 'Rp 1.250.000'")
    elif vals.str.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d+|-?\d+,\d+").mean() > 0.5 and \
            vals.str.fullmatch(r"-?[\d.]+(,\d+)?").mean() > 0.95:
        rule["parse"] = "decimal_comma"
        notes.append("decimal commas")
    elif vals.str.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}").mean() > 0.9:
        rule.update(parse="date", format="%d/%m/%Y")
        notes.append("dates dd/mm/yyyy (check: could be mm/dd/yyyy)")
    elif vals.str.fullmatch(r"\d{1,2}-\d{1,2}-\d{4}").mean() > 0.9:
        rule.update(parse="date", format="%d-%m-%Y")
        notes.append("dates dd-mm-yyyy")
    elif vals.str.fullmatch(r"\d{4}-\d{2}-\d{2}").mean() > 0.9:
        rule["parse"] = "date"
        notes.append("ISO dates")
    elif vals.map(lambda x: bool(_ID_MONTH.match(x))).mean() > 0.9:
        rule["parse"] = "date_id"
        notes.append("dates with Indonesian month names")
    if "ribu" in h.split() and rule.get("parse") in (None, "decimal_comma", "number"):
        rule["unit"] = "thousand_rp"
        notes.append("header says thousands of rupiah (ribu)")
    if "juta" in h.split():
        rule["unit"] = "million_rp"
        notes.append("header says millions of rupiah (juta)")
    if re.search(r"\b(minggu|mingguan|seminggu)\b", h):
        rule["unit"] = "weekly_to_monthly"
        notes.append("header says weekly: converted to monthly (x 30/7)")
    labels = None
    low = set(vals.str.lower().unique()[:50])
    if len(low) <= 12:
        for name, mp in _LABELS.items():
            if low and low <= set(mp):
                labels = name
                notes.append(f"labels of '{name}'")
                break
        # amounts in a unit (ribu / juta / weekly) are numbers, not the BPS 1/2 codes
        if labels is None and "unit" not in rule and low and low <= {"1", "2"} \
                and vals.nunique() == 2:
            notes.append("codes 1/2: yes = 1, no = 2 in BPS questionnaires (check)")
            labels = "yes12"
    return rule, "; ".join(notes), personal, labels


def suggest_profile(path: str | Path, table: str | None = None, *, sheet: str | None = None,
                    threshold: float = 0.72) -> Suggestion:
    """Draft a profile for one file.

    Parameters
    ----------
    path : str or Path
        The source file (CSV, .xlsx, Parquet, .dta); only read.
    table : str, optional
        Target contract; default the contract whose columns the headers match best.
    sheet : str, optional
        Excel sheet; default the sheet with most rows.
    threshold : float
        Minimum header similarity (0-1) for a guess.

    Returns
    -------
    Suggestion
        ``text`` is the draft TOML, to review and save.
    """
    p = Path(path)
    grid, sheet_name, fmt, above = _read_grid(p, sheet)
    h = _header_row(grid) if fmt == "xlsx" else 0
    headers = [str(c).strip() if c not in (None, "") else f"Unnamed: {j}"
               for j, c in enumerate(grid[h] if grid else [])]
    while headers and headers[-1].startswith("Unnamed: "):
        headers.pop()
    body = pd.DataFrame([r[:len(headers)] + [None] * (len(headers) - len(r[:len(headers)]))
                         for r in grid[h + 1:]], columns=headers, dtype="object")
    body = body.replace("", None).dropna(how="all")
    tables = [table] if table else [t for t in ("registry", "survey", "participation")]
    best_t, best_n = tables[0], -1.0
    for t in tables:
        n = sum(match_header(c, t)[1] for c in headers if match_header(c, t)[1] >= threshold)
        if n > best_n:
            best_t, best_n = t, n
    t = best_t
    if table is None and len(headers) <= 12:
        # a narrow sheet with dates and amounts is a list of programme records
        kinds = [_detect(c, _values(body[c]))[0].get("parse") for c in headers]
        if "rupiah" in kinds or ("date" in kinds or "date_id" in kinds):
            t = "participation"
    guesses: list[ColumnGuess] = []
    for c in headers:
        target, score = match_header(c, t)
        rule, note, personal, labels = _detect(c, _values(body[c]))
        if target is not None and score < threshold:
            target = None
        g = ColumnGuess(header=c, target=target, score=score, rule=rule, note=note,
                        personal=personal)
        g.rule["_labels"] = labels
        guesses.append(g)
    # one source column per target: keep the best score
    best: dict[str, ColumnGuess] = {}
    for g in guesses:
        if g.target and (g.target not in best or g.score > best[g.target].score):
            best[g.target] = g
    for g in guesses:
        if g.target and best[g.target] is not g:
            g.note = (g.note + "; " if g.note else "") + f"also looks like {g.target} (weaker)"
            g.target = None
    # value formats fill what headers did not: a date column is the start date, an amount
    # column the amount
    taken = {g.target for g in guesses if g.target}
    for g in guesses:
        if g.target or t != "participation":
            continue
        kind = g.rule.get("parse")
        if kind in ("date", "date_id") and "start_date" not in taken:
            g.target, g.note = "start_date", g.note + "; mapped by its values (dates)"
        elif (kind == "rupiah" or g.rule.get("unit")) and "amount_rp" not in taken:
            g.target, g.note = "amount_rp", g.note + "; mapped by its values (amounts)"
        if g.target:
            taken.add(g.target)
    # the family-card number of programme records becomes a pseudonymised family_id
    if t == "participation":
        for g in guesses:
            if g.target == "family_id" or (g.target is None and _KK_HEAD.search(g.header)):
                g.target, g.rule["pseudonymise"] = "family_id", True
    # person rows: a repeated household id and a relationship column
    agg = None
    first = headers[0] if headers else None
    rel = next((c for c in headers if re.search(r"\b(hub|hubungan|r403)\b", _norm(c))), None)
    if first is not None and rel is not None and body[first].duplicated().any():
        age = next((c for c in headers if re.search(r"\b(umur|usia|r407|age)\b", _norm(c))), None)
        agg = {"household": [first], "head": {"column": rel, "value": "1"}, "age": age,
               "counts": {"JML_ART": "all", "N_ANAK": "age < 15", "N_LANSIA": "age >= 65"}}
    recodes: dict[str, dict[str, str]] = {}
    for g in guesses:
        lab = g.rule.pop("_labels", None)
        code = g.rule.pop("_code", None)
        if code and g.target in (None, "village_code", "psu", "kec_code", "stratum"):
            if code != "kemendagri":
                g.rule["recode"] = {"kemendagri_nodots": "village_nodots",
                                    "bps_village": "village_bps", "bps_kec": "kec_bps"}[code]
                recodes[g.rule["recode"]] = {}
            if g.target is None:
                g.target = "village_code" if code != "bps_kec" else "kec_code"
                g.note += "; mapped by its code format"
        if lab and g.target:
            name = lab
            vals = _values(body[g.header]).unique()
            mp = _LABELS.get(lab, {"1": "1", "2": "0"})
            recodes[name] = {str(v): mp.get(str(v).lower(), "") for v in vals}
            g.rule["recode"] = name
    sug = Suggestion(table=t, source={"file": p.name, "sheet": sheet_name,
                                      "header_row": above + h + 1},
                     columns=guesses, recodes=recodes, aggregate=agg)
    sug.text = _render(sug)
    return sug


def _toml_str(s: str) -> str:
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _render(s: Suggestion) -> str:
    out = ["# DRAFT written by `kassaki-eval map --suggest`: review every line before use,",
           "# then check it with `kassaki-eval map --check <this file> <data file>`.",
           "[profile]", f"name = {_toml_str(Path(s.source['file']).stem)}",
           f"table = {_toml_str(s.table)}"]
    pers = [c.header for c in s.columns if c.personal]
    if pers:
        out.append("personal = [" + ", ".join(_toml_str(x) for x in pers) + "]   "
                   "# personal data: never quoted in messages")
    out += ["", "[[source]]", 'id = "main"', f"file = {_toml_str(s.source['file'])}"]
    if s.source.get("sheet"):
        out.append(f"sheet = {_toml_str(s.source['sheet'])}")
    if s.source.get("header_row", 1) != 1:
        out.append(f"header_row = {s.source['header_row']}   # rows above look like a title")
    if s.aggregate:
        out.append('level = "person"   # the household id repeats: one row per person')
        a = s.aggregate
        out += ["", "[aggregate]", 'source = "main"',
                "household = [" + ", ".join(_toml_str(x) for x in a["household"]) + "]",
                f"head = {{ column = {_toml_str(a['head']['column'])}, value = \"1\" }}   "
                "# REVIEW: code of the head"]
        if a.get("age"):
            out.append(f"age = {_toml_str(a['age'])}")
        out.append('counts = { JML_ART = "all", N_ANAK = "age < 15", N_LANSIA = "age >= 65" }')
    out += ["", "[columns]"]
    names = list(CONTRACTS[s.table].names)
    done = set()
    for c in s.columns:
        if not c.target:
            continue
        done.add(c.target)
        parts = [f"from = {_toml_str(c.header)}"]
        for k in ("parse", "format", "unit", "recode"):
            if k in c.rule:
                parts.append(f"{k} = {_toml_str(c.rule[k])}")
        if c.rule.get("pseudonymise"):
            parts.append("pseudonymise = true")
        rhs = _toml_str(c.header) if len(parts) == 1 else "{ " + ", ".join(parts) + " }"
        why = f"header match {c.score:.2f}" + (f"; {c.note}" if c.note else "")
        out.append(f"{c.target} = {rhs}   # {why}")
    if "village_code" in done:
        for t, rhs in (("kec_code", '{ target = "village_code", slice = [0, 8] }'),
                       ("zone", '{ target = "village_code", lookup = "zone" }')):
            if t in names and t not in done:
                out.append(f"{t} = {rhs}   # derived from village_code")
                done.add(t)
    missing = [n for n in names if n not in done and CONTRACTS[s.table].column(n).required]
    if missing:
        out.append("# NOT FOUND (map them, or give a constant with value = ...):")
        out += [f"# {n} = " for n in missing]
    unused = [c.header for c in s.columns if not c.target]
    if unused:
        out.append("# source columns not used: " + ", ".join(unused))
    for name, codes in s.recodes.items():
        out += ["", f"[recodes.{name}]"]
        if name == "village_nodots":
            out += ['reference = "villages"', 'from = "kemendagri_nodots"',
                    'to = "kemendagri_code"']
        elif name == "village_bps":
            out += ['reference = "villages"', 'from = "bps_code_2018"', 'to = "kemendagri_code"']
        elif name == "kec_bps":
            out += ['reference = "villages"', 'from = "kec_bps"', 'to = "kec_kemendagri"']
        else:
            if any(k != k.lower() for k in codes):
                out.append("ignore_case = true")
            out.append("codes = { " + ", ".join(f"{_toml_str(k)} = {_toml_str(v)}"
                                              for k, v in sorted(codes.items())) + " }"
                       + ("   # REVIEW: fill the empty values"
                          if any(v == "" for v in codes.values()) else ""))
    return "\n".join(out) + "\n"


def suggest_accuracy(path: str | Path, profile: str | Path) -> dict[str, Any]:
    """Share of a profile's mapped columns that the suggester finds on its own.

    Counted are the file's columns that the profile maps and the suggester maps to the same
    contract column without help (no ``table``, no sheet, no header row given).

    Returns a dict with ``correct``, ``total``, ``share``, the ``table`` guessed and the
    ``wrong`` and ``missed`` headers.
    """
    from .profiles import load_profile
    prof = load_profile(profile)
    sug = suggest_profile(path)
    p = Path(path)
    sid = next((s.id for s in prof.sources if s.match(p.name)[0]), prof.sources[0].id)
    want: dict[str, str] = {}
    for r in prof.columns:
        if len(r.source) != 1:
            continue
        src = r.source[0]
        owner, col = (src.split(":", 1) if ":" in src else (None, src))
        if owner is not None and owner != sid:
            continue
        if col in sug.mapping() or col in [c.header for c in sug.columns]:
            want[col] = r.target
    got = sug.mapping()
    correct = [h for h, t in want.items() if got.get(h) == t]
    return {"file": p.name, "table": sug.table, "table_ok": sug.table == prof.table,
            "correct": len(correct), "total": len(want),
            "share": (len(correct) / len(want)) if want else float("nan"),
            "wrong": sorted(h for h in want if got.get(h) not in (None, want[h])),
            "missed": sorted(h for h in want if got.get(h) is None)}


