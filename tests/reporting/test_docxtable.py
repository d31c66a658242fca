"""Word tables written as one XML piece (reporting/docxtable.py) are python-docx's tables.

The report and the village cards build their tables with :func:`add_table` instead of
python-docx's cell-by-cell API (speed, issue 14). These tests build the same table both ways
(the python-docx calls the writers made before) and compare the XML element for element,
over the text cases python-docx treats specially: tabs, line breaks, leading/trailing
spaces, empty text and XML special characters.
"""
from __future__ import annotations

import docx
import pytest
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt

from kassaki_eval.reporting.docxtable import Cell, add_table, cache_style_ids, text_width

TEXTS = ["Bontoa", "a\tb", "line 1\nline 2\r3", " leading", "trailing ", "", "<b> & \"q\"",
         "1.234,5", "–", "▼"]


def _xml(el) -> bytes:
    from lxml import etree
    return etree.tostring(el)


def _by_python_docx(header: list[str], rows: list[list[str]], suppressed: list[bool],
                    right: list[bool]) -> bytes:
    # the report's former _add_table, call for call
    doc = docx.Document()
    tab = doc.add_table(rows=1, cols=len(header))
    tab.style = "Table Grid"
    tab.alignment = WD_TABLE_ALIGNMENT.LEFT
    for i, h in enumerate(header):
        cell = tab.rows[0].cells[i]
        cell.text = ""
        run = cell.paragraphs[0].add_run(h)
        run.bold = True
        run.font.size = Pt(9)
    for row, sup in zip(rows, suppressed, strict=True):
        cells = tab.add_row().cells
        for i, text in enumerate(row):
            p = cells[i].paragraphs[0]
            run = p.add_run(text)
            run.font.size = Pt(9)
            run.italic = sup
            if right[i]:
                p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return _xml(doc.tables[0]._tbl)


def test_report_table_same_xml_as_python_docx():
    header = ["Village", "P0", "Note"]
    rows = [[TEXTS[i % len(TEXTS)], TEXTS[(i + 3) % len(TEXTS)], TEXTS[(i + 7) % len(TEXTS)]]
            for i in range(len(TEXTS))]
    suppressed = [i % 3 == 0 for i in range(len(rows))]
    right = [False, True, False]
    doc = docx.Document()
    cells = [[Cell(h, bold=True, size=18, empty_run=True) for h in header]]
    cells += [[Cell(x, italic=sup, size=18, right=right[j]) for j, x in enumerate(r)]
              for r, sup in zip(rows, suppressed, strict=True)]
    add_table(doc, cells, style_id=doc.styles["Table Grid"].style_id)
    assert _xml(doc.tables[0]._tbl) == _by_python_docx(header, rows, suppressed, right)
    assert [c.text for c in doc.tables[0].rows[2].cells] == rows[1]


def test_card_table_with_widths_same_xml_as_python_docx():
    # the village cards' former _Writer.table: all rows at once, widths, bold first column
    rows = [["Families", "1.234"], ["Desil 1-4", " 56 (4,5%)"], ["a\tb", "x\ny"]]
    widths = (6.0, 11.0)
    old = docx.Document()
    tab = old.add_table(rows=len(rows), cols=2)
    tab._tbl.tblStyle_val = old.styles["Table Grid"].style_id
    tab.alignment = WD_TABLE_ALIGNMENT.LEFT
    for j, w in enumerate(widths):  # the grid too: LibreOffice lays columns out by the grid
        tab.columns[j].width = Cm(w)
    for row, values in zip(tab.rows, rows, strict=True):
        for j, (cell, v) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Cm(widths[j])
            para = cell.paragraphs[0]
            run = para.add_run(v)
            if j == 0:
                run.bold = True
            if j == 1:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    new = docx.Document()
    add_table(new, [[Cell(a, bold=True), Cell(b, right=True)] for a, b in rows],
              style_id="TableGrid", widths=[Cm(w) for w in widths])
    assert _xml(new.tables[0]._tbl) == _xml(old.tables[0]._tbl)


def test_table_goes_before_the_section_properties_and_width_follows_the_margins():
    doc = docx.Document()
    sec = doc.sections[0]
    sec.left_margin = sec.right_margin = Cm(3.0)
    doc.add_paragraph("before")
    add_table(doc, [[Cell("x"), Cell("y")]], style_id="TableGrid")
    doc.add_paragraph("after")
    body = list(doc.element.body)
    assert [el.tag.rsplit("}", 1)[1] for el in body] == ["p", "tbl", "p", "sectPr"]
    assert text_width(doc) == sec.page_width - sec.left_margin - sec.right_margin
    assert doc.add_table(rows=1, cols=2).columns[0].width == \
        doc.tables[0].columns[0].width


def test_cached_style_ids_give_the_same_document():
    def build(doc):
        doc.add_heading("Title", level=1)
        doc.add_paragraph("item", style="List Bullet")
        doc.add_heading("Sub", level=2)
        doc.add_paragraph("item 2", style="List Bullet")
        return _xml(doc.element.body)
    assert build(cache_style_ids(docx.Document())) == build(docx.Document())


def test_rows_of_different_lengths_are_refused():
    import pytest
    with pytest.raises(ValueError, match="same number of cells"):
        add_table(docx.Document(), [[Cell("a"), Cell("b")], [Cell("c")]], style_id="TableGrid")


def test_header_row_repeats_and_keeps_with_the_first_rows():
    """header_rows -> w:tblHeader (repeat on every page); keep_rows -> w:keepNext on every
    paragraph of those rows (before the right alignment, schema order); cant_split on all."""
    from docx.oxml.ns import qn
    doc = docx.Document()
    rows = [[Cell("Village", bold=True), Cell("P0", bold=True)]]
    rows += [[Cell(f"v{i}"), Cell(f"{i},0%", right=True)] for i in range(6)]
    add_table(doc, rows, style_id="TableGrid", header_rows=1, keep_rows=3, cant_split=True)
    trs = doc.tables[0]._tbl.tr_lst
    for i, tr in enumerate(trs):
        trpr = tr.find(qn("w:trPr"))
        assert trpr is not None and trpr.find(qn("w:cantSplit")) is not None
        assert (trpr.find(qn("w:tblHeader")) is not None) == (i == 0)
        for p in tr.iter(qn("w:p")):
            ppr = p.find(qn("w:pPr"))
            keep = ppr is not None and ppr.find(qn("w:keepNext")) is not None
            assert keep == (i < 3), i
            if ppr is not None and ppr.find(qn("w:jc")) is not None:
                assert [c.tag for c in ppr][0] == qn("w:keepNext") or i >= 3
    assert doc.tables[0].rows[1].cells[1].paragraphs[0].paragraph_format.keep_with_next
    assert doc.tables[0].rows[1].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    # the defaults write neither (the tables above stay python-docx's, element for element)
    plain = docx.Document()
    add_table(plain, rows, style_id="TableGrid")
    xml = _xml(plain.tables[0]._tbl)
    assert b"tblHeader" not in xml and b"keepNext" not in xml and b"cantSplit" not in xml


def test_column_widths_hold_every_word_and_fill_the_table():
    from kassaki_eval.reporting.docxtable import GRID_PAD, column_widths, text_twips
    header = ["Kecamatan", "Observations", "Households", "Estimate", "Std. error", "CI low",
              "CI high", "p", "Suppressed"]
    body = [["Liukang Tupabbiring Utara", "1.234", "56.789", "13,4%", "1,2", "11,0%", "15,8%",
             "0,01", "no"]]
    total = 9638  # A4 (11,906 twips) less two 2-cm margins (1,134 twips each)
    w = column_widths(header, body, total, 8, whole_header_words=True)
    assert w is not None and sum(w) == total
    for j, h in enumerate(header):
        for word in (h + " " + body[0][j]).split():
            assert w[j] >= text_twips(word, 8, bold=word in h.split()) + GRID_PAD, word
    # an even split (1,070 twips) is narrower than "Observations" in bold 8 pt + margins
    assert total // len(header) < text_twips("Observations", 8, bold=True) + GRID_PAD
    # when every column's whole text fits, widths follow the texts' lengths
    w2 = column_widths(["a", "b"], [["xx", "xxxx xxxx"]], 20_000, 9, pad=0, slack=1.0)
    ratio = text_twips("xxxx xxxx", 9) / text_twips("xx", 9)
    assert w2[1] / w2[0] == pytest.approx(ratio, rel=0.01)
    # body words that cannot fit: None (the caller shrinks the font or the margins)
    assert column_widths(["a"] * 3, [["x" * 40] * 3], 3000, 9) is None


def test_table_layout_shrinks_in_order():
    from kassaki_eval.reporting.documents import NARROW_MARGIN, table_layout
    small = table_layout(["Measure", "Estimate"], [["Gini", "0.238"]], 9638)
    assert small[0] == 18 and small[2] is None  # 9 pt, the style's margins
    wide = ["Kecamatan code", "Kecamatan", "Zone", "Households (n)", "Population share",
            "P0", "P0 lower bound", "P0 upper bound", "P1", "P2", "Contribution to P0"]
    row = ["73.10.13", "Liukang Tupabbiring Utara", "mainland", "1,100", "14.4%", "18.3%",
           "-13.6%", "42.5%", "3.86%", "1.24%", "11.2%"]
    size, tw, margin = table_layout(wide, [row], 9638)
    assert size == 14 and tw is not None and sum(tw) == 9638  # 7 pt, no word broken
    huge = table_layout(["h"] * 30, [["123456789"] * 30], 9638)
    assert huge == (14, None, NARROW_MARGIN)  # nothing fits: even split, narrow margins
