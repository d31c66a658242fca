"""The synthetic world written as the files a researcher really receives ("messy demo").

:func:`write_source_shape` takes a :class:`~kassaki_eval.synthetic.world.World` (same seed,
same truth as ``kassaki-eval demo-data``) and writes it in source layouts that the shipped
mapping profiles (``kassaki_eval/data/profiles/*.toml``) turn back into the contract tables:

``p3ke_pangkep.xlsx``
    A P3KE-style export: sheet ``Data P3KE``, a title block above the header (row 5),
    Indonesian headers and labels ("Laki-laki", "Desil 3", "Ya"/"Tidak"), village codes as
    Kemendagri codes without dots, decimal commas, NIK/KK as text.
``susenas/kor_ind_<year>.csv`` / ``kor_rt_<year>.csv`` / ``kp_<year>.csv`` / ``link_<year>.csv``
    Susenas-like waves with BPS-style names: person rows (URUT household serial, R401 member
    number, R403 relationship, R405 sex, R407 age, R614 diploma, R706 sector of the head),
    household rows (R101 province, R102 regency, R103 kecamatan, R104 village (BPS codes),
    R105 urban/rural, PSU, STRATA, FWT weight, housing and assets), the consumption module
    (EXPEND household and KAPITA per-capita monthly expenditure) and the evaluation team's
    linkage file (family-card number, desil, income in thousands of Rp, programme flags).
``dtsen/dtsen_keluarga.csv`` + ``dtsen/dtsen_individu.csv``
    A DTSEN-like extract: family rows (region code without dots, desil, welfare score,
    housing and assets coded 1 = yes / 2 = no) and person rows (NIK, name, relationship,
    sex, age, diploma, sector) joined on the family-card number ``NOKK``.
``partners/*.xlsx``
    One workbook per partner layout: Bank Sulselbar loans ("Rp 1.250.000", dd/mm/yyyy),
    Semen Tonasa CSR loans (thousands of Rp, Indonesian month names, village names),
    BPVP training roster (BPS village codes), YKPM women's groups, and the universities'
    facilitation log.
``rollout.csv``, ``villages.csv``
    Unchanged (the programme's own roll-out sheet is kept in the workbench layout).

Person rows are built so that their household aggregates give back the world's covariates
exactly: the head carries head_sex/head_age/head_educ/head_sector, ``n_children`` members
are aged 0-14, ``n_elderly`` (including an old head) 65+, the rest 15-64. Amounts and
weights are written with Python's shortest round-trip representation, so the mapping is
lossless up to the floating-point rounding of unit conversions (x1000, x30/7).

Example
-------
>>> from kassaki_eval.synthetic import generate_world
>>> from kassaki_eval.synthetic.source_shape import write_source_shape
>>> import tempfile
>>> w = generate_world(seed=1, scale=0.02)
>>> paths = write_source_shape(w, tempfile.mkdtemp())
>>> sorted(p.name for p in paths)[:2]
['bank_sulselbar_kur.xlsx', 'bpvp_pelatihan.xlsx']
"""
from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .. import reference
from .world import YEARS, World

__all__ = ["write_source_shape", "SOURCE_FILES", "SECTOR_LABELS", "EDUC_LABELS",
           "ELECTRICITY_LABELS", "write_xlsx"]

SECTOR_LABELS = {"agriculture": "Pertanian", "fishery": "Perikanan",
                 "industry": "Industri Pengolahan", "trade": "Perdagangan",
                 "services": "Jasa", "none": "Tidak Bekerja"}
EDUC_LABELS = {0: "Tidak/Belum Sekolah", 6: "SD/Sederajat", 9: "SMP/Sederajat",
               12: "SMA/Sederajat", 16: "Diploma/Sarjana"}
ELECTRICITY_LABELS = {"none": "Tidak Ada", "pln_450": "PLN 450 VA", "pln_900": "PLN 900 VA",
                      "pln_1300plus": "PLN 1300 VA ke atas"}
# Susenas-style codes (illustrative; see docs/PROFILES.md for what is confirmed)
_SECTOR_CODE = {"agriculture": "1", "fishery": "2", "industry": "3", "trade": "4",
                "services": "5", "none": "0"}
_EDUC_CODE = {0: "1", 6: "2", 9: "3", 12: "4", 16: "5"}
_ELEC_CODE = {"pln_450": "1", "pln_900": "2", "pln_1300plus": "3", "none": "5"}
_FAC_LABELS = {"unhas": "Universitas Hasanuddin", "stiem": "STIEM Bongaya",
               "lan": "LAN RI (Politeknik STIA LAN Makassar)"}
_ID_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
              "September", "Oktober", "November", "Desember")

#: Files written (relative to the output folder), by the profile that reads them.
SOURCE_FILES: dict[str, tuple[str, ...]] = {
    "p3ke": ("p3ke_pangkep.xlsx",),
    "dtsen": ("dtsen/dtsen_keluarga.csv", "dtsen/dtsen_individu.csv"),
    "susenas": tuple(f"susenas/{k}_{y}.csv" for y in YEARS
                     for k in ("kor_ind", "kor_rt", "kp", "link")),
    "partner_bank_sulselbar": ("partners/bank_sulselbar_kur.xlsx",),
    "partner_semen_tonasa": ("partners/semen_tonasa_kemitraan.xlsx",),
    "partner_bpvp": ("partners/bpvp_pelatihan.xlsx",),
    "partner_ykpm": ("partners/ykpm_kelompok_perempuan.xlsx",),
    "partner_facilitation": ("partners/pendampingan_desa.xlsx",),
    "workbench_rollout": ("rollout.csv",),
}


# ---------------------------------------------------------------------------------------------
# a small, fast .xlsx writer (shared strings, as Excel writes them; openpyxl takes ~1 ms per
# row for wide sheets)

def _col_letter(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


class _Strings:
    """The workbook's shared-string table (what Excel writes: each distinct text once)."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def ids(self, values: np.ndarray) -> np.ndarray:
        codes, uniq = pd.factorize(values)
        out = np.empty(len(uniq), dtype=np.int64)
        for j, u in enumerate(uniq):
            out[j] = self.index.setdefault(str(u), len(self.index))
        return out[codes]

    def xml(self) -> str:
        ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        items = "".join(f"<si><t xml:space=\"preserve\">{escape(t)}</t></si>" for t in self.index)
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<sst xmlns="{ns}" count="{len(self.index)}" uniqueCount="{len(self.index)}">'
                + items + "</sst>")


def _sheet_xml(title: Sequence[str], header_gap: int, df: pd.DataFrame, sst: _Strings) -> str:
    def cell(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="s"><v>{sst.ids(np.array([text], dtype=object))[0]}</v></c>'
    rows: list[str] = []
    r = 0
    for t in title:
        r += 1
        rows.append(f'<row r="{r}">{cell(f"A{r}", t)}</row>')
    r += header_gap
    r += 1
    cells = "".join(cell(f"{_col_letter(j)}{r}", str(c)) for j, c in enumerate(df.columns))
    rows.append(f'<row r="{r}">{cells}</row>')
    first = r + 1
    n = len(df)
    rnum = pd.Series(np.arange(first, first + n)).astype("str")
    body = '<row r="' + rnum + '">'
    for j, c in enumerate(df.columns):
        v = df[c].astype("object")
        ok = v.notna().to_numpy()
        idx = np.zeros(n, dtype=np.int64)
        if ok.any():
            idx[ok] = sst.ids(v[ok].astype("str").to_numpy(dtype=object))
        ref = '<c r="' + _col_letter(j) + rnum + '" t="s"><v>'
        body = body + (ref + pd.Series(idx).astype("str") + "</v></c>").where(ok, "")
    body = body + "</row>"
    rows.extend(body.tolist())
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<sheetData>" + "".join(rows) + "</sheetData></worksheet>")


def write_xlsx(path: str | Path, sheets: Sequence[tuple[str, Sequence[str], pd.DataFrame]]) -> Path:
    """Write ``(sheet name, title lines, table)`` sheets as an .xlsx workbook of text cells.

    Cells use a shared-string table, as Excel writes it.

    Title lines go to column A of the first rows, then one empty row, then the header. Every
    cell is text (NIK and family-card numbers keep all 16 digits). Deterministic bytes.
    """
    p = Path(path)
    ns = "http://schemas.openxmlformats.org"
    n = len(sheets)
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{ns}/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(n)
        )
        + "</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/>'
        "</Relationships>"
    )
    wb = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{ns}/spreadsheetml/2006/main" '
        f'xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(s[0])}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, s in enumerate(sheets)
        )
        + "</sheets></workbook>"
    )
    wbrels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{ns}/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" '
            f'Type="{ns}/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(n)
        )
        + f'<Relationship Id="rId{n + 1}" Type="{ns}/officeDocument/2006/relationships/styles" '
          'Target="styles.xml"/>'
        + f'<Relationship Id="rId{n + 2}" '
          f'Type="{ns}/officeDocument/2006/relationships/sharedStrings" '
          'Target="sharedStrings.xml"/>'
        "</Relationships>"
    )
    styles = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{ns}/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
        'borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )
    p.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as z:
        def put(name: str, text: str) -> None:
            zi = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, text.encode("utf-8"))
        put("[Content_Types].xml", ct)
        put("_rels/.rels", rels)
        put("xl/workbook.xml", wb)
        put("xl/_rels/workbook.xml.rels", wbrels)
        put("xl/styles.xml", styles)
        sst = _Strings()
        for i, (_, title, df) in enumerate(sheets):
            put(f"xl/worksheets/sheet{i + 1}.xml", _sheet_xml(title, 1 if title else 0, df, sst))
        put("xl/sharedStrings.xml", sst.xml())
    return p


# ---------------------------------------------------------------------------------------------
# helpers

def _num(x: pd.Series | np.ndarray) -> pd.Series:
    """Floats as their shortest round-trip text (``repr``), missing as None."""
    s = pd.Series(x)
    return s.map(lambda v: None if pd.isna(v) else repr(float(v)))


def _comma(x: pd.Series | np.ndarray) -> pd.Series:
    """Decimal comma: ``12.5`` -> ``'12,5'`` (round-trip exact)."""
    return _num(x).map(lambda t: None if t is None else t.replace(".", ","))


def _rupiah(x: pd.Series | np.ndarray, cents: bool = False) -> pd.Series:
    """``1250000.0`` -> ``'Rp 1.250.000'`` (whole rupiah; ``cents`` adds ``',00'``)."""
    def f(v: float) -> str | None:
        if pd.isna(v):
            return None
        whole = int(round(v))
        if whole != v:
            raise ValueError(f"amount {v!r} is not whole rupiah")
        return "Rp " + f"{whole:,}".replace(",", ".") + (",00" if cents else "")
    return pd.Series(x).map(f)


def _nodots(codes: pd.Series) -> pd.Series:
    return codes.astype("str").str.replace(".", "", regex=False)


def _yes(x: pd.Series | np.ndarray, yes: str = "Ya", no: str = "Tidak") -> np.ndarray:
    return np.where(np.asarray(x).astype(int) == 1, yes, no).astype(object)


def _bps_village(codes: pd.Series) -> pd.Series:
    """Kemendagri village -> BPS 2018 code.

    Villages made after 2018 get a provisional code 7309KKK9NN (listed in the Susenas/BPVP
    profiles' recodes).
    """
    v = reference.villages()
    mp = dict(zip(v["kemendagri_code"], v["bps_code_2018"], strict=False))
    prov = _provisional_codes()
    return codes.map(lambda c: mp.get(c) if isinstance(mp.get(c), str) else prov[c])


def _provisional_codes() -> dict[str, str]:
    v = reference.villages()
    out = {}
    for i, r in enumerate(v[v["bps_code_2018"].isna()].itertuples(index=False)):
        out[r.kemendagri_code] = f"{r.kec_bps}9{i + 1:02d}"
    return out


# ---------------------------------------------------------------------------------------------
# the sources

def _p3ke(world: World) -> pd.DataFrame:
    r = world.registry_raw
    v = reference.villages().set_index("kemendagri_code")
    return pd.DataFrame({
        "No": np.arange(1, len(r) + 1).astype(str),
        "Provinsi": "SULAWESI SELATAN",
        "Kabupaten/Kota": "PANGKAJENE DAN KEPULAUAN",
        "Kecamatan": r["village_code"].map(v["kecamatan"]).str.upper(),
        "Desa/Kelurahan": r["village_code"].map(v["name"]).str.upper(),
        "Kode Wilayah Desa": _nodots(r["village_code"]),
        "No KK": r["no_kk"].astype(str),
        "NIK Kepala Keluarga": r["nik_head"].astype(str),
        "Nama Kepala Keluarga": r["name_head"],
        "Desil Kesejahteraan": "Desil " + r["desil"].astype(str),
        "Skor PMT": _comma(r["pmt_score"]),
        "Jumlah Anggota Keluarga": r["hh_size"].astype(str),
        "Jumlah Anak < 15 Th": r["n_children"].astype(str),
        "Jumlah Lansia >= 65 Th": r["n_elderly"].astype(str),
        "Jenis Kelamin Kepala Keluarga": np.where(r["head_sex"] == "F", "Perempuan", "Laki-laki"),
        "Usia Kepala Keluarga": r["head_age"].astype(str),
        "Pendidikan Kepala Keluarga": r["head_educ"].map(EDUC_LABELS),
        "Pekerjaan Utama Kepala Keluarga": r["head_sector"].map(SECTOR_LABELS),
        "Luas Lantai per Kapita (m2)": _comma(r["floor_area_pc"]),
        "Atap Layak": _yes(r["roof_good"]), "Dinding Layak": _yes(r["wall_good"]),
        "Lantai Layak": _yes(r["floor_good"]), "Jamban Sendiri": _yes(r["toilet_own"]),
        "Air Minum Leding": _yes(r["water_piped"]),
        "Sumber Penerangan": r["electricity"].map(ELECTRICITY_LABELS),
        "Memasak dengan LPG": _yes(r["cooking_lpg"]),
        "Rumah Milik Sendiri": _yes(r["house_owned"]),
        "Memiliki Lahan Pertanian": _yes(r["land_farm"]),
        "Memiliki Tambak": _yes(r["land_pond"]), "Memiliki Ternak": _yes(r["livestock"]),
        "Memiliki Sepeda Motor": _yes(r["asset_motorcycle"]),
        "Memiliki Kulkas": _yes(r["asset_fridge"]), "Memiliki TV": _yes(r["asset_tv"]),
        "Memiliki Perahu": _yes(r["asset_boat"]), "Memiliki Mobil": _yes(r["asset_car"]),
        "Memiliki Emas/Perhiasan": _yes(r["asset_gold"]),
        "Penerima PKH": _yes(r["receives_pkh"]), "Penerima BPNT": _yes(r["receives_bpnt"]),
    })


def _dtsen(world: World, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """DTSEN-like extract: a family file and a person file joined on the family-card number."""
    r = world.registry_raw
    fam = pd.DataFrame(
        {
            "NOKK": r["no_kk"].astype(str),
            "KODE_DESA": _nodots(r["village_code"]),
            "DESIL_NASIONAL": r["desil"].astype(str),
            "SKOR_KESEJAHTERAAN": _num(r["pmt_score"]),
            "LUAS_LANTAI": _num(r["floor_area_pc"] * r["hh_size"]),
            "ATAP_LAYAK": _yes(r["roof_good"], "1", "2"),
            "DINDING_LAYAK": _yes(r["wall_good"], "1", "2"),
            "LANTAI_LAYAK": _yes(r["floor_good"], "1", "2"),
            "JAMBAN_SENDIRI": _yes(r["toilet_own"], "1", "2"),
            "AIR_LEDING": _yes(r["water_piped"], "1", "2"),
            "LISTRIK": r["electricity"].map(_ELEC_CODE),
            "BBM_LPG": _yes(r["cooking_lpg"], "1", "2"),
            "RUMAH_SENDIRI": _yes(r["house_owned"], "1", "2"),
            "LAHAN": _yes(r["land_farm"], "1", "2"),
            "TAMBAK": _yes(r["land_pond"], "1", "2"),
            "TERNAK": _yes(r["livestock"], "1", "2"),
            "MOTOR": _yes(r["asset_motorcycle"], "1", "2"),
            "KULKAS": _yes(r["asset_fridge"], "1", "2"),
            "TV": _yes(r["asset_tv"], "1", "2"),
            "PERAHU": _yes(r["asset_boat"], "1", "2"),
            "MOBIL": _yes(r["asset_car"], "1", "2"),
            "EMAS": _yes(r["asset_gold"], "1", "2"),
            "PKH": _yes(r["receives_pkh"], "1", "2"),
            "BPNT": _yes(r["receives_bpnt"], "1", "2"),
        }
    )
    ind = _persons(r.assign(hh_id=r["no_kk"].astype(str)), rng)
    head = ind["R403"] == "1"
    kk = ind["URUT"]
    nik = ("9997" + kk.str[4:14] + ind["R401"].str.zfill(2)).where(
        ~head, kk.map(dict(zip(r["no_kk"], r["nik_head"], strict=False))))
    name = ("Anggota " + ind["R401"] + " Contoh").where(
        ~head, kk.map(dict(zip(r["no_kk"], r["name_head"], strict=False)))
    )
    persons = pd.DataFrame({"NOKK": kk, "NIK": nik, "NAMA": name, "HUB_KK": ind["R403"],
                            "JENIS_KELAMIN": ind["R405"], "UMUR": ind["R407"],
                            "IJAZAH": ind["R614"], "LAPANGAN_USAHA": ind["R706"]})
    return {"dtsen_keluarga.csv": fam, "dtsen_individu.csv": persons}


def _persons(hh: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Member rows whose aggregates give back hh_size, n_children, n_elderly and the head."""
    size = hh["hh_size"].to_numpy(np.int64)
    kids = hh["n_children"].to_numpy(np.int64)
    head_age = hh["head_age"].to_numpy(np.int64)
    old_head = (head_age >= 65).astype(np.int64)
    old_other = hh["n_elderly"].to_numpy(np.int64) - old_head
    rest = size - 1 - kids - old_other
    if (rest < 0).any() or (old_other < 0).any():
        raise ValueError("household composition cannot be expanded to members")
    hidx = np.repeat(np.arange(len(hh)), size)
    member = np.concatenate([np.arange(1, s + 1) for s in size]) if len(size) else np.zeros(0, int)
    # member 1 = head, then children, elderly, other adults
    k = member - 1
    kid_end = 1 + kids[hidx]
    old_end = kid_end + old_other[hidx]
    kind = np.where(k == 0, 0, np.where(k < kid_end, 1, np.where(k < old_end, 2, 3)))
    n = len(hidx)
    age = np.where(kind == 0, head_age[hidx],
                   np.where(kind == 1, rng.integers(0, 15, n),
                            np.where(kind == 2, rng.integers(65, 86, n), rng.integers(15, 65, n))))
    rel = np.where(kind == 0, "1", np.where(kind == 1, "3", np.where(
        (kind == 3) & (k == kid_end + old_other[hidx]), "2", np.where(kind == 2, "6", "4"))))
    head_female = (hh["head_sex"].to_numpy() == "F")[hidx]
    sex = np.where(kind == 0, np.where(head_female, "2", "1"),
                   np.where(rel == "2", np.where(head_female, "1", "2"),
                            rng.integers(1, 3, n).astype(str)))
    educ = np.where(kind == 0, pd.Series(hh["head_educ"].to_numpy()[hidx]).map(_EDUC_CODE),
                    np.where(age < 7, "", rng.integers(1, 5, n).astype(str)))
    sector = np.where(kind == 0, pd.Series(hh["head_sector"].to_numpy()[hidx]).map(_SECTOR_CODE),
                      np.where(age < 15, "", rng.choice(list(_SECTOR_CODE.values()), n)))
    return pd.DataFrame({"URUT": hh["hh_id"].to_numpy()[hidx], "R401": member.astype(str),
                         "R403": rel, "R405": sex, "R407": age.astype(str),
                         "R614": pd.Series(educ).replace("", None).to_numpy(),
                         "R706": pd.Series(sector).replace("", None).to_numpy()})


def _susenas(world: World, year: int, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    s = world.survey[world.survey["year"] == year].reset_index(drop=True)
    v = reference.villages().set_index("kemendagri_code")
    bps = _bps_village(s["village_code"])
    psu_bps = _bps_village(s["psu"])
    kec_bps = dict(
        zip(reference.villages()["kec_kemendagri"], reference.villages()["kec_bps"], strict=False)
    )
    rt = pd.DataFrame({
        "URUT": s["hh_id"], "R101": "73", "R102": "09", "R103": bps.str[4:7],
        "R104": bps.str[7:10],
        "R105": np.where(s["village_code"].map(v["type"]) == "kelurahan", "1", "2"),
        "PSU": psu_bps, "STRATA": s["stratum"].map(kec_bps),
        "FWT": _num(s["weight"]),
        "R1804": _num(s["floor_area_pc"] * s["hh_size"]),
        "R1806A": _yes(s["roof_good"], "1", "2"), "R1807A": _yes(s["wall_good"], "1", "2"),
        "R1808A": _yes(s["floor_good"], "1", "2"), "R1809A": _yes(s["toilet_own"], "1", "2"),
        "R1810A": _yes(s["water_piped"], "1", "2"),
        "R1816": s["electricity"].map(_ELEC_CODE),
        "R1817": np.where(s["cooking_lpg"] == 1, "2", "4"),
        "R1802": _yes(s["house_owned"], "1", "2"),
        "R2001A": _yes(s["land_farm"], "1", "2"), "R2001B": _yes(s["land_pond"], "1", "2"),
        "R2001C": _yes(s["livestock"], "1", "2"), "R2001D": _yes(s["asset_motorcycle"], "1", "2"),
        "R2001E": _yes(s["asset_fridge"], "1", "2"), "R2001F": _yes(s["asset_tv"], "1", "2"),
        "R2001G": _yes(s["asset_boat"], "1", "2"), "R2001H": _yes(s["asset_car"], "1", "2"),
        "R2001I": _yes(s["asset_gold"], "1", "2"),
    })
    kp = pd.DataFrame({"URUT": s["hh_id"], "KAPITA": _num(s["consumption_pc"]),
                       "EXPEND": _num(s["consumption_pc"] * s["hh_size"])})
    fam_to_kk = _kk_of(world)
    link = pd.DataFrame({
        "URUT": s["hh_id"], "NO_KK": s["family_id"].map(fam_to_kk),
        "DESIL_P3KE": s["desil"].astype("Int64").astype("str").replace("<NA>", None),
        "PENDAPATAN_RIBU": _comma(s["income"] / 1000.0),
        "BEKERJA": _yes(s["employed"]), "USAHA": _yes(s["business"]),
        "PANEL": _yes(s["in_panel"]), "DESA_PERLAKUAN": _yes(s["treated_village"]),
        "LAYAK": _yes(s["eligible"]), "PESERTA": _yes(s["participates"]),
    })
    ind = _persons(s, rng)
    return {"kor_ind": ind, "kor_rt": rt, "kp": kp, "link": link}


def _kk_of(world: World) -> dict[str, str]:
    return dict(zip(world.registry["family_id"], world.registry_raw["no_kk"], strict=False))


def _date_id(d: pd.Series) -> pd.Series:
    t = pd.to_datetime(d)
    return (t.dt.day.astype(str) + " " + t.dt.month.map(lambda m: _ID_MONTHS[m - 1]) + " "
            + t.dt.year.astype(str))


def _partners(world: World) -> dict[str, tuple[str, Sequence[str], pd.DataFrame]]:
    p = world.participation
    kk = _kk_of(world)
    v = reference.villages().set_index("kemendagri_code")
    out: dict[str, tuple[str, Sequence[str], pd.DataFrame]] = {}
    b = p[p["component"] == "credit"]
    out["partners/bank_sulselbar_kur.xlsx"] = ("Realisasi KUR", (
        "PT BANK SULSELBAR - REALISASI KREDIT USAHA RAKYAT PROGRAM KASSAKI",
        "Kabupaten Pangkajene dan Kepulauan"), pd.DataFrame({
            "No": np.arange(1, len(b) + 1).astype(str),
            "ID KASSAKI": b["record_id"].to_numpy(),
            "No. KK Debitur": b["family_id"].map(kk).to_numpy(),
            "Kode Desa": b["village_code"].to_numpy(),
            "Tanggal Akad": pd.to_datetime(b["start_date"]).dt.strftime("%d/%m/%Y").to_numpy(),
            "Plafon Kredit": _rupiah(b["amount_rp"].to_numpy()).to_numpy(),
            "Jenis Kredit": "KUR Mikro",
        }))
    c = p[p["component"] == "csr_sme"]
    out["partners/semen_tonasa_kemitraan.xlsx"] = ("Mitra Binaan", (
        "PT SEMEN TONASA - PROGRAM KEMITRAAN UMKM (TJSL)",), pd.DataFrame({
            "Kode Mitra": c["record_id"].to_numpy(),
            "No KK": c["family_id"].map(kk).to_numpy(),
            "Kecamatan": c["village_code"].map(v["kecamatan"]).to_numpy(),
            "Desa": c["village_code"].map(v["name"]).to_numpy(),
            "Tgl Penyaluran": _date_id(c["start_date"]).to_numpy(),
            "Nilai Pinjaman (Rp ribu)": _comma(c["amount_rp"].to_numpy() / 1000.0).to_numpy(),
        }))
    t = p[p["component"] == "training"]
    out["partners/bpvp_pelatihan.xlsx"] = ("Peserta", (
        "BPVP MAKASSAR - DAFTAR PESERTA PELATIHAN BERBASIS KOMPETENSI", "Angkatan KASSAKI",
        "Dicetak dari SIAPkerja"), pd.DataFrame({
            "No Peserta": t["record_id"].to_numpy(),
            "Nomor KK": t["family_id"].map(kk).to_numpy(),
            "Kode Desa BPS": _bps_village(t["village_code"]).to_numpy(),
            "Tanggal Mulai": t["start_date"].to_numpy(),
            "Biaya Pelatihan": _num(t["amount_rp"].to_numpy()).to_numpy(),
        }))
    y = p[p["component"] == "women_groups"]
    out["partners/ykpm_kelompok_perempuan.xlsx"] = ("Anggota", (), pd.DataFrame({
        "ID Anggota": y["record_id"].to_numpy(),
        "KK": y["family_id"].map(kk).to_numpy(),
        "Kecamatan": y["village_code"].map(v["kecamatan"]).str.upper().to_numpy(),
        "Desa/Kelurahan": y["village_code"].map(v["name"]).str.upper().to_numpy(),
        "Tgl Bergabung": pd.to_datetime(y["start_date"]).dt.strftime("%d-%m-%Y").to_numpy(),
        "Dana Bergulir": _rupiah(y["amount_rp"].to_numpy(), cents=True).to_numpy(),
    }))
    f = p[p["component"] == "facilitation"]
    out["partners/pendampingan_desa.xlsx"] = ("Log Pendampingan", (
        "LOG PENDAMPINGAN DESA - PERGURUAN TINGGI MITRA KASSAKI",), pd.DataFrame({
            "ID Kegiatan": f["record_id"].to_numpy(),
            "Lembaga": f["partner"].map(_FAC_LABELS).to_numpy(),
            "Kode Desa": _nodots(f["village_code"]).to_numpy(),
            "Mulai": f["start_date"].to_numpy(),
            "Anggaran": _rupiah(f["amount_rp"].to_numpy()).to_numpy(),
        }))
    return out


def write_source_shape(world: World, out_dir: str | Path) -> list[Path]:
    """Write ``world`` as source-shaped files under ``out_dir``; return the paths.

    See the module docstring for the files. Same world, same bytes (deterministic).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    written.append(write_xlsx(out / "p3ke_pangkep.xlsx", [(
        "Data P3KE", ("DATA PENSASARAN PERCEPATAN PENGHAPUSAN KEMISKINAN EKSTREM (P3KE)",
                      "Kabupaten Pangkajene dan Kepulauan, Provinsi Sulawesi Selatan",
                      "Sumber: Kemenko PMK (data sintetis untuk demo, BUKAN data asli)"),
        _p3ke(world))]))
    rng = np.random.default_rng(np.random.SeedSequence([world.seed, 11]))
    (out / "dtsen").mkdir(exist_ok=True)
    for name, df in _dtsen(world, rng).items():
        df.to_csv(out / "dtsen" / name, index=False, lineterminator="\n", encoding="utf-8")
        written.append(out / "dtsen" / name)
    (out / "susenas").mkdir(exist_ok=True)
    for y in YEARS:
        for name, df in _susenas(world, y, rng).items():
            p = out / "susenas" / f"{name}_{y}.csv"
            df.to_csv(p, index=False, lineterminator="\n", encoding="utf-8")
            written.append(p)
    for rel, (sheet, title, df) in _partners(world).items():
        written.append(write_xlsx(out / rel, [(sheet, title, df)]))
    for name, df in (("rollout.csv", world.rollout), ("villages.csv", world.villages)):
        df.to_csv(out / name, index=False, lineterminator="\n", encoding="utf-8")
        written.append(out / name)
    return written
