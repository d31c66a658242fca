"""The PDF typeset by Typst from the saved blocks (issue 14): texts are data, layout rules.

The report's and the cards' PDFs are made by :mod:`kassaki_eval.reporting.typeset`; the
whole-report checks (verdict sentence in both languages, manifest) are in test_sections.py and
test_pipeline.py, the village cards' in test_cards.py.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting.blocks import Table
from kassaki_eval.reporting.html import chapter_of
from kassaki_eval.reporting.i18n import t
from kassaki_eval.reporting.typeset import (
    LANDSCAPE_WIDTH_TWIPS,
    TEXT_WIDTH_TWIPS,
    compile_pdf,
    report_document,
    table_layout_pdf,
    write_report_pdf,
)

# texts that would be markup if Typst read them as such (a page break, strong, math, a label,
# a reference, a comment, an escape): they must come out literally
MARKUP = ["#pagebreak()", "*not bold*", "$x^2$", "<label>", "@ref", "// comment", "\\ back"]


def _block(data: pd.DataFrame, name: str = "village_poverty") -> dict:
    tab = Table.build(name, data, title_key="nb2.village.table", k=1, count_col=None,
                      formats={"estimate": "pct"} if "estimate" in data else None)
    return {"key": "nb2.village", "section": "poverty", "title_key": "nb2.village.title",
            "intro_key": None, "notebook": "02_poverty", "order": 0, "numbers": {},
            "sentences": [], "lists": [], "figures": [], "tables": [tab.meta()],
            "tables_data": {name: tab.data}}


def _count(pdf: bytes) -> int:
    counts = [int(m) for m in re.findall(rb"/Count (\d+)", pdf)]
    assert counts, "no page count in the PDF"
    return max(counts)


def _text(pdf_path) -> str:
    out = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    return " ".join(out.split())


def test_table_texts_are_data_not_markup(tmp_path):
    data = pd.DataFrame({"village": MARKUP, "kecamatan": ["Pangkajene"] * len(MARKUP)})
    pdf = write_report_pdf([_block(data)], tmp_path, tmp_path / "r.pdf", "en", title="T",
                           subtitle_lines=["#set page(width: 1cm)"], footer="F")
    raw = pdf.read_bytes()
    assert raw.startswith(b"%PDF-")
    # title page + one chapter: "#pagebreak()" in a cell did not break the page, and the
    # subtitle's "#set page(...)" did not change the page size (A4 = 595.28 x 841.89 pt)
    assert _count(raw) == 2
    assert re.search(rb"/MediaBox\s*\[0 0 595\.2", raw)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: text not extracted")
    text = _text(pdf)
    for s in [*MARKUP, "#set page(width: 1cm)"]:
        assert s in text, s


def test_report_document_follows_the_word_plan(tmp_path):
    data = pd.DataFrame({"village": ["A", "B"], "estimate": [0.1234, 0.2]})
    data = data.assign(kecamatan="K")
    doc = report_document([_block(data)], tmp_path, "id", title="Judul",
                          subtitle_lines=["a", "b"], footer="kaki")
    assert doc["lang"] == "id" and doc["title"] == "Judul" and doc["subtitle"] == ["a", "b"]
    assert doc["contents"] == t("report.contents", "id")
    [chapter] = doc["chapters"]
    # numbered as in the HTML and Word (chapter_plan: the poverty notebook's chapter is 1,
    # the village chapter it makes is 2; a chapter without blocks keeps its number)
    assert chapter["heading"] == f"2. {t('nb.' + chapter_of('02_poverty', 'nb2.village'), 'id')}"
    [block] = chapter["blocks"]
    [tab] = block["tables"]
    assert tab["title"] == t("nb2.village.table", "id")
    assert tab["header"] == [t("col.village", "id"), t("col.estimate", "id"),
                             t("col.kecamatan", "id")]
    # Indonesian decimal comma (test_i18n_rules pins the formats themselves)
    assert [c["text"] for c in tab["rows"][0]["cells"]] == ["A", "12,3%", "K"]
    assert [c["num"] for c in tab["rows"][0]["cells"]] == [False, True, False]
    # two rows: a short table is kept whole on one page (the Word rule, documents.keep_rows)
    assert tab["keep"] is True and tab["landscape"] is False


def test_long_table_is_not_kept_whole_and_repeats_its_header(tmp_path):
    data = pd.DataFrame({"village": [f"V{i}" for i in range(60)], "kecamatan": "K"})
    doc = report_document([_block(data)], tmp_path, "en", title="T", subtitle_lines=[],
                          footer="F")
    tab = doc["chapters"][0]["blocks"][0]["tables"][0]
    assert tab["keep"] is False
    pdf = compile_pdf("report", doc, tmp_path / "r.pdf", root=tmp_path)
    assert _count(pdf.read_bytes()) >= 3            # title page + a table over two pages
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    with_rows = [p for p in pages if "V1" in p or "V59" in p]
    assert len(with_rows) >= 2
    assert all(t("col.village", "en") in p for p in with_rows)   # the header on each page


def test_layout_portrait_then_landscape():
    narrow = table_layout_pdf(["Village", "P0"], [["Pangkajene", "12.3%"]])
    assert narrow[0] == 9.0 and narrow[3] is False
    assert sum(narrow[1]) <= TEXT_WIDTH_TWIPS
    # 13 columns of long words do not fit across a portrait page whole: landscape
    header = [f"Column{i}header" for i in range(13)]
    body = [["73.10.01.2003", "Liukang", "Tupabbiring", "mainland", *["12,345.6%"] * 9]]
    size, widths, margin, landscape = table_layout_pdf(header, body)
    assert landscape is True
    assert widths is None or sum(widths) <= LANDSCAPE_WIDTH_TWIPS


def test_same_inputs_same_bytes_with_source_date_epoch(tmp_path, monkeypatch):
    data = pd.DataFrame({"village": ["A"], "kecamatan": ["K"]})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")
    a = write_report_pdf([_block(data)], tmp_path, tmp_path / "a.pdf", "en", title="T",
                         subtitle_lines=[], footer="F").read_bytes()
    b = write_report_pdf([_block(data)], tmp_path, tmp_path / "b.pdf", "en", title="T",
                         subtitle_lines=[], footer="F").read_bytes()
    assert a == b
    assert b"D:20250101" in a                       # the creation date is the given epoch
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ReportError, match="SOURCE_DATE_EPOCH='yesterday'.*Fix"):
        write_report_pdf([_block(data)], tmp_path, tmp_path / "c.pdf", "en", title="T",
                         subtitle_lines=[], footer="F")


def test_same_inputs_same_bytes_without_source_date_epoch(tmp_path, monkeypatch):
    """Without SOURCE_DATE_EPOCH the PDF carries no date at all (Typst stamped the current time,
    so each run's report_*.pdf and its manifest SHA-256 differed), and the Word version, saved
    with fixed zip entry dates, is the same bytes too. The runs are 2.1 s apart: more than the
    zip format's 2-second date resolution, so a zip stamped with the clock would differ."""
    import time

    from kassaki_eval.reporting.documents import write_docx
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = pd.DataFrame({"village": ["A"], "kecamatan": ["K"]})
    kw = dict(title="T", subtitle_lines=[], footer="F")
    a = write_report_pdf([_block(data)], tmp_path, tmp_path / "a.pdf", "en", **kw).read_bytes()
    wa = write_docx([_block(data)], tmp_path, tmp_path / "a.docx", "en", **kw).read_bytes()
    time.sleep(2.1)
    b = write_report_pdf([_block(data)], tmp_path, tmp_path / "b.pdf", "en", **kw).read_bytes()
    wb = write_docx([_block(data)], tmp_path, tmp_path / "b.docx", "en", **kw).read_bytes()
    assert a == b and wa == wb
    assert re.search(rb"D:\d{8}", a) is None and b"CreationDate" not in a


def test_a_missing_figure_file_is_a_clear_error(tmp_path):
    data = pd.DataFrame({"village": ["A"], "kecamatan": ["K"]})
    doc = report_document([_block(data)], tmp_path, "en", title="T", subtitle_lines=[],
                          footer="F")
    doc["chapters"][0]["blocks"][0]["figures"] = [{"path": "/02_poverty/gone.svg",
                                                    "width": 15.0, "caption": "c"}]
    with pytest.raises(ReportError, match=r"r\.pdf could not be typeset \(report\.typ\)"):
        compile_pdf("report", doc, tmp_path / "r.pdf", root=tmp_path)
    assert not (tmp_path / "r.pdf").exists()
