"""Word tables written as XML in one piece (the report's and the village cards' tables).

python-docx builds a table cell by cell through proxy objects: every ``row.cells``,
``add_run`` and ``run.font.size = ...`` walks and re-orders the XML children, which made the
report's tables (a 103-village table, 60 tables in all) and the 618 small card tables most
of the time spent writing the .docx files. :func:`add_table` writes the same elements
python-docx writes (cell widths, run properties bold / italic / size, right alignment,
tabs and line breaks) as one XML string per table and parses it once; the documents are
the same, element for element.

Example
-------
>>> from docx import Document
>>> doc = Document()
>>> _ = add_table(doc, [[Cell("Village", bold=True), Cell("P0", bold=True)],
...                     [Cell("Bontoa"), Cell("10.3%", right=True)]], style_id="TableGrid")
>>> [c.text for c in doc.tables[-1].rows[1].cells]
['Bontoa', '10.3%']
"""
from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.section import Section
from docx.shared import Emu, Inches, Length

__all__ = ["Cell", "add_table", "run_xml", "cache_style_ids", "text_width", "save_docx",
           "column_widths", "text_twips"]


@dataclass(frozen=True)
class Cell:
    """One cell: its text (one run) and how it looks.

    ``italic=None`` leaves italics unset (python-docx's ``run.italic = None``), ``False``
    writes an explicit "not italic" as ``run.italic = False`` does. ``size`` is in
    half-points (Word's unit: ``Pt(9)`` is 18). ``empty_run`` puts an empty run before the
    text run (what python-docx's ``cell.text = ""`` leaves).
    """

    text: str
    bold: bool = False
    italic: bool | None = None
    size: int | None = None
    right: bool = False
    empty_run: bool = False


def _content(text: str) -> str:
    # python-docx's _RunContentAppender: a tab is <w:tab/>, CR or LF a <w:br/>, the rest <w:t>
    out: list[str] = []
    buf: list[str] = []

    def flush() -> None:
        s = "".join(buf)
        if s:
            space = ' xml:space="preserve"' if len(s.strip()) < len(s) else ""
            out.append(f"<w:t{space}>{escape(s)}</w:t>")
        buf.clear()

    for ch in text:
        if ch == "\t":
            flush()
            out.append("<w:tab/>")
        elif ch in "\r\n":
            flush()
            out.append("<w:br/>")
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def run_xml(text: str, *, bold: bool = False, italic: bool | None = None,
            size: int | None = None) -> str:
    """A ``<w:r>`` as python-docx writes it (properties in schema order: b, i, sz)."""
    props = ("<w:b/>" if bold else "") + \
        ("" if italic is None else ("<w:i/>" if italic else '<w:i w:val="0"/>')) + \
        (f'<w:sz w:val="{int(size)}"/>' if size is not None else "")
    rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
    body = _content(text)
    return f"<w:r>{rpr}{body}</w:r>" if rpr or body else "<w:r/>"


def _cell_xml(c: Cell, width: int, keep: bool = False) -> str:
    # pPr children in schema order: keepNext before jc
    props = ("<w:keepNext/>" if keep else "") + ('<w:jc w:val="right"/>' if c.right else "")
    ppr = f"<w:pPr>{props}</w:pPr>" if props else ""
    empty = "<w:r/>" if c.empty_run else ""
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
            f"<w:p>{ppr}{empty}{run_xml(c.text, bold=c.bold, italic=c.italic, size=c.size)}"
            f"</w:p></w:tc>")


def cache_style_ids(doc: Any) -> Any:
    """Let ``doc`` look each style name up once (``add_heading``, ``add_paragraph(style=)``).

    python-docx resolves a style name by scanning every style of the document, twice, on
    each call; the styles do not change while a report is written. Returns ``doc``.
    """
    part = doc.part
    lookup = part.get_style_id
    ids: dict[tuple[str, Any], str | None] = {}

    def get_style_id(style_or_name: Any, style_type: Any) -> str | None:
        if not isinstance(style_or_name, str):
            return lookup(style_or_name, style_type)
        key = (style_or_name, style_type)
        if key not in ids:
            ids[key] = lookup(style_or_name, style_type)
        return ids[key]

    part.get_style_id = get_style_id
    return doc


def text_width(doc: Any) -> Length:
    """The width between the margins of ``doc``'s last section (``doc.add_table``'s width).

    The last section's properties are the body's closing ``w:sectPr``: found at once,
    where ``doc.sections`` searches every paragraph of the document.
    """
    sect_pr = doc.element.body.sectPr
    sec = Section(sect_pr, doc.part) if sect_pr is not None else doc.sections[-1]
    return Emu((sec.page_width or Inches(8.5)) - (sec.left_margin or Inches(1))
               - (sec.right_margin or Inches(1)))


def _row_xml(cells: Sequence[Cell], tw: Sequence[int], *, header: bool, keep: bool,
             cant_split: bool) -> str:
    props = ("<w:cantSplit/>" if cant_split else "") + ("<w:tblHeader/>" if header else "")
    trpr = f"<w:trPr>{props}</w:trPr>" if props else ""
    return ("<w:tr>" + trpr + "".join(_cell_xml(c, tw[j], keep) for j, c in enumerate(cells))
            + "</w:tr>")


#: left + right cell margins of Word's "Table Grid" (0.075 inch a side), in twips
GRID_PAD = 216


def text_twips(text: str, size_pt: float, bold: bool = False) -> float:
    """Width of ``text`` in DejaVu Sans (the documents' font) at ``size_pt``, in twips.

    Measured with the font file matplotlib ships (the same glyphs LibreOffice embeds), once
    per text at 10 pt and scaled (outline fonts scale linearly; hinting is within the
    callers' slack): a report's tables measure ~60,000 words over their layout attempts.
    """
    return _width_10pt(text, bold) * size_pt / 10


@functools.lru_cache(maxsize=65536)
def _width_10pt(text: str, bold: bool) -> float:
    return float(_font(200, bold).getlength(text))


def _font(size_twips: int, bold: bool) -> Any:
    key = (size_twips, bold)
    hit = _FONTS.get(key)
    if hit is None:
        import os

        import matplotlib
        from PIL import ImageFont
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        path = os.path.join(matplotlib.get_data_path(), "fonts", "ttf", name)
        hit = _FONTS[key] = ImageFont.truetype(path, size_twips)  # 1 "pixel" = 1 twip
    return hit


_FONTS: dict[tuple[int, bool], Any] = {}


def column_widths(header: Sequence[str], body: Sequence[Sequence[str]], total: int,
                  size_pt: float, *, pad: int = GRID_PAD, slack: float = 1.08,
                  whole_header_words: bool = False) -> list[int] | None:
    """Column widths in twips following the contents; None if the body's words do not fit.

    The widths add up to ``total``.
    A body word (a number, "mainland") must not break: each column gets at least its longest
    body word, measured in the documents' font (:func:`text_twips`, times ``slack`` for
    kerning and rounding) plus the cell margins ``pad``. Then header words, which may break
    as a last resort; then the rest goes in proportion to each column's longest text (up
    to 2.5 inches). With ``whole_header_words`` header words must fit too (else None). In an
    even split, "Observations", "mainland" and "18.3%" broke mid-word.
    """
    n = len(header)
    cols = [[str(header[j])] + [str(r[j]) for r in body] for j in range(n)]

    def longest_word(texts: Sequence[str], bold: bool) -> float:
        return max((text_twips(w, size_pt, bold) for t in texts for w in t.split()),
                   default=0.0) * slack + pad

    hard = [longest_word(c[1:], False) for c in cols]
    if sum(hard) > total:
        return None
    soft = [max(h, longest_word(c[:1], True)) for h, c in zip(hard, cols, strict=True)]
    if whole_header_words and sum(soft) > total:
        return None
    wish = [max(s_, min(max(text_twips(t, size_pt, i == 0) for i, t in enumerate(c)) * slack
                        + pad, 3600)) for s_, c in zip(soft, cols, strict=True)]
    if sum(wish) <= total:
        out = [total * w / sum(wish) for w in wish]
    else:
        lo, hi = (soft, wish) if sum(soft) <= total else (hard, soft)
        spare = total - sum(lo)
        more = [h - low for h, low in zip(hi, lo, strict=True)]
        out = [low + spare * m / (sum(more) or 1) for low, m in zip(lo, more, strict=True)]
    widths = [int(w) for w in out]
    widths[-1] += total - sum(widths)  # exactly the table's width
    return widths


def add_table(doc: Any, rows: Sequence[Sequence[Cell]], *, style_id: str,
              widths: Sequence[Length] | None = None, width: Length | None = None,
              header_rows: int = 0, keep_rows: int = 0, cant_split: bool = False,
              cell_margin: int | None = None) -> Any:
    """Append a left-aligned table of ``rows`` to ``doc``; return python-docx's ``Table``.

    Parameters
    ----------
    doc : docx.document.Document
    rows : sequence of sequence of Cell
        Every row has the same number of cells.
    style_id : str
        The table style's id (``doc.styles["Table Grid"].style_id``).
    widths : sequence of Length, optional
        Width of each column's cells; default: ``width`` shared evenly (as
        ``doc.add_table`` does).
    width : Length, optional
        The table's width; default :func:`text_width`.
    header_rows : int
        The first rows are the table's header: Word and LibreOffice repeat them at the top of
        every page the table runs onto ("repeat as header row", ``w:tblHeader``).
    keep_rows : int
        The paragraphs of the first ``keep_rows`` rows are "keep with next" (``w:keepNext``):
        each of those rows stays on the page of the row (or, for the last row, the
        paragraph) after it, so a header never sits alone at the bottom of a page.
    cant_split : bool
        No row breaks across two pages ("allow row to break across pages" off).
    cell_margin : int, optional
        Left and right cell margin in twips (default: the table style's, 108).

    Returns
    -------
    docx.oxml.table.CT_Tbl
        The table element (``doc.tables[-1]`` is the table).
    """
    n_cols = len(rows[0]) if rows else 0
    if any(len(r) != n_cols for r in rows):
        raise ValueError("every row of a table needs the same number of cells")
    total = Length(text_width(doc) if width is None else width)
    col = Length(total // n_cols if n_cols else 0)  # python-docx's even split (CT_Tbl.new_tbl)
    tw = [Length(w).twips for w in widths] if widths is not None else [col.twips] * n_cols
    # LibreOffice lays the columns out by the grid, not by the cells' widths: both agree
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in tw)
    body = "".join(_row_xml(r, tw, header=i < header_rows, keep=i < keep_rows,
                            cant_split=cant_split) for i, r in enumerate(rows))
    mar = ("" if cell_margin is None else
           f'<w:tblCellMar><w:left w:w="{int(cell_margin)}" w:type="dxa"/>'
           f'<w:right w:w="{int(cell_margin)}" w:type="dxa"/></w:tblCellMar>')
    tbl = parse_xml(
        f'<w:tbl {nsdecls("w")}><w:tblPr><w:tblStyle w:val="{escape(style_id)}"/>'
        f'<w:tblW w:type="auto" w:w="0"/><w:jc w:val="left"/>{mar}'
        f'<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
        f'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
        f"<w:tblGrid>{grid}</w:tblGrid>{body}</w:tbl>")
    body = doc.element.body
    if body.sectPr is not None:
        body.sectPr.addprevious(tbl)  # the closing section properties stay last
    else:
        body.append(tbl)
    return tbl


def save_docx(doc: Any, path: Any) -> None:
    """Save a python-docx ``Document`` with fixed zip entry dates.

    So the same report gives the same bytes (and the same SHA-256 in the manifest) every run.
    """
    import io
    from pathlib import Path

    from .excel import deterministic_zip
    buf = io.BytesIO()
    doc.save(buf)
    Path(path).write_bytes(deterministic_zip(buf.getvalue()))
