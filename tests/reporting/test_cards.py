"""Village cards for DPMD (issue 14): one page per village, suppression kept, no identifiers.

The cards are made from the village chapter's saved tables (after disclosure control). These
tests build the village blocks on a small demo world, write the cards and read them back with
python-docx; the report run (``report`` fixture, k = 20) checks that the cards are published
with the report and listed in the manifest.
"""
from __future__ import annotations

import json
import zipfile

import docx
import numpy as np
import pandas as pd
import pytest

from kassaki_eval.poverty.sae import area_table, fay_herriot
from kassaki_eval.reporting import disclosure
from kassaki_eval.reporting.blocks import load_blocks, save_block
from kassaki_eval.reporting.cards import card_data, write_card_docx, write_village_cards
from kassaki_eval.reporting.i18n import fmt, t
from kassaki_eval.reporting.sections import poverty as S
from kassaki_eval.reporting.sections import village as V

PARAMS = {"year": 2025, "source": {"kind": "demo", "seed": 7, "scale": 0.05}, "k_suppress": 20}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The village blocks of a small world, saved and loaded back as the runner does."""
    ctx = S.start(PARAMS, None, notebook="test")
    wave = ctx.survey[ctx.survey["year"] == 2025].reset_index(drop=True)
    with pytest.warns(Warning):  # a small world: GVF-smoothed variances, boundary fit
        areas = area_table(wave, ctx.registry, line=ctx.poverty_line(),
                           min_n=V.gvf_min_n(wave))
        fh = fay_herriot(areas, "direct", "vardir",
                         ["mean_pmt_score", "share_desil_1to4", "island"], n_obs="n")
    vb = V.village_poverty(ctx, fh, areas)
    prog = V.village_programme_table(ctx)
    res = tmp_path_factory.mktemp("results")
    assert [f.name for f in vb.figures] == ["village_map"]
    for i, b in enumerate([vb, V.village_programme(ctx, prog)]):
        save_block(b, res, "02_poverty", order=i)
    return {"ctx": ctx, "blocks": load_blocks(res), "programme": prog, "fh": fh}


def _text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("word/document.xml").decode()


def test_one_page_per_village_and_the_published_numbers(saved, tmp_path):
    ctx, blocks = saved["ctx"], saved["blocks"]
    paths = write_village_cards(blocks, tmp_path, year=2025, languages=("id", "en"), k=ctx.k,
                                subtitles={"id": ["s"], "en": ["s"]},
                                footers={"id": "f", "en": "f"}, pdf=False)
    assert [p.name for p in paths] == ["village_cards_2025_id.docx",
                                       "village_cards_2025_en.docx"]
    cards = card_data(blocks)
    assert len(cards) == 103 and cards["village_code"].is_unique
    for path, lang in zip(paths, ("id", "en"), strict=True):
        d = docx.Document(str(path))
        xml = _text(path)
        assert xml.count('w:type="page"') == 103        # a page break before every card
        heads = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
        assert heads == [t("cards.village", lang, village=v) for v in cards["village"]]
        body = "\n".join(p.text for p in d.paragraphs) + "\n".join(
            c.text for tb in d.tables for r in tb.rows for c in r.cells)
        shown = cards.dropna(subset=["estimate"])
        assert len(shown) > 0
        for r in shown.head(20).itertuples():
            assert t("cards.estimate_ci", lang, p0=r.estimate, lo=r.conf_low,
                     hi=r.conf_high) in body
        assert fmt(float(cards["n_families_registry"].dropna().iloc[0]), "int", lang) in body


def test_no_identifier_on_any_card(saved, tmp_path):
    ctx = saved["ctx"]
    ids = set(ctx.registry["family_id"].astype(str)) | set(ctx.survey["hh_id"].astype(str))
    paths = write_village_cards(saved["blocks"], tmp_path, year=2025, languages=("en",),
                                k=ctx.k, subtitles={"en": []}, footers={"en": ""}, pdf=False)
    assert disclosure.find_identifiers(_text(paths[0]), ids) == []


def test_suppressed_cells_stay_blank_on_the_card(saved, tmp_path):
    """A village whose counts are suppressed shows "not shown", never the number."""
    cards = card_data(saved["blocks"]).head(1).copy()
    true_n = 17
    cards["n_families_registry"] = np.nan
    cards["n_families_desil_1_4"] = np.nan
    cards["estimate"] = np.nan
    cards["suppressed"] = True
    cards["credit_since"] = 2024.0
    cards["credit_families"] = np.nan
    p = write_card_docx(cards, tmp_path / "c.docx", "en", year=2025, k=20, title="T",
                        subtitle_lines=[], footer="")
    d = docx.Document(str(p))
    cells = [c.text for tb in d.tables for r in tb.rows for c in r.cells]
    assert cells.count(t("cards.blank", "en", k=20)) == 3      # families, desil 1-4, credit
    text = "\n".join(p.text for p in d.paragraphs)
    assert t("cards.poverty_suppressed", "en", k=20) in text
    assert str(true_n) not in " ".join(cells)


def test_programme_counts_below_k_are_blanked_with_complements(saved):
    """No published count below k; a partition never has exactly one blank cell (it could be
    recovered from the published total)."""
    ctx, prog = saved["ctx"], saved["programme"]
    hh = ctx.participation[ctx.participation["family_id"].notna()]
    for comp in ("credit", "training", "women_groups", "csr_sme"):
        col = prog[f"{comp}_families"]
        shown = col.dropna()
        assert ((shown == 0) | (shown >= ctx.k)).all(), comp
        true = hh[hh["component"] == comp].groupby("village_code")["family_id"].nunique()
        true = true.reindex(prog["_village_code"]).fillna(0).to_numpy()
        blank = col.isna().to_numpy()
        assert blank.sum() != 1
        assert ((true[blank] > 0)).all()
        np.testing.assert_array_equal(col.to_numpy()[~blank], true[~blank])
    kec = ctx.villages.set_index("kemendagri_code")["kec_kemendagri"]
    blank = prog["n_families_desil_1_4"].isna()
    per_kec = blank.groupby(prog["_village_code"].map(kec).to_numpy()).sum()
    assert (per_kec != 1).all()


def test_cards_published_with_the_report_and_in_the_manifest(report):
    folder = report["paths"].folder
    m = json.loads((folder / "manifest.json").read_text())
    for lang in ("id", "en"):
        name = f"village_cards_2025_{lang}.docx"
        assert (folder / name).is_file() and name in m["outputs"]
        d = docx.Document(str(folder / name))
        assert sum(p.style.name == "Heading 1" for p in d.paragraphs) == 103
    vp = pd.read_csv(folder / "tables" / "village_poverty.csv")
    assert len(vp) == 103 and (vp["n_families_registry"].dropna() >= 20).all()


def test_cards_pdf_one_page_per_village_no_identifier(saved, tmp_path):
    """The PDF cards (Typst, from the same card elements as the docx): a cover and one page
    per village; the numbers shown are the docx's; no identifier in the text."""
    import re
    import shutil
    import subprocess

    ctx = saved["ctx"]
    [pdf] = write_village_cards(saved["blocks"], tmp_path, year=2025, languages=("en",),
                                k=ctx.k, subtitles={"en": ["s"]}, footers={"en": "f"},
                                docx=False)
    assert pdf.name == "village_cards_2025_en.pdf"
    raw = pdf.read_bytes()
    cards = card_data(saved["blocks"])
    assert max(int(n) for n in re.findall(rb"/Count (\d+)", raw)) == len(cards) + 1
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: text not extracted")
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    r = cards.dropna(subset=["estimate"]).iloc[0]
    i = cards.index[cards["village_code"] == r["village_code"]][0]
    page = " ".join(pages[i + 1].split())                  # page 1 is the cover
    assert t("cards.village", "en", village=r["village"]) in page
    assert t("cards.estimate_ci", "en", p0=r["estimate"], lo=r["conf_low"],
             hi=r["conf_high"]) in page
    ids = set(ctx.registry["family_id"].astype(str)) | set(ctx.survey["hh_id"].astype(str))
    assert disclosure.find_identifiers("\n".join(pages), ids) == []
