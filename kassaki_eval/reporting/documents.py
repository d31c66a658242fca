"""Word (.docx) and PDF versions of the report, from the same saved blocks as the HTML.

District offices circulate Word and PDF and edit them before signing. :func:`write_docx`
builds an editable document per language with python-docx from the blocks the notebooks saved
(tables as Word tables with the same display text as the HTML: :func:`.html.table_view`;
figures as the 200-dpi PNGs; sentences and lists from the catalogue), in the HTML's chapter
order (executive summary, chapters, appendix: :func:`report_plan`). The PDF is typeset from the
same blocks by Typst (:mod:`.typeset`). :func:`docx_to_pdf` converts a docx with LibreOffice
headless when ``soffice`` is installed: the tests use it to check that the Word files open
there; the report itself no longer needs LibreOffice.

Example
-------
>>> from kassaki_eval.reporting.documents import write_documents  # doctest: +SKIP
>>> write_documents(blocks, results_dir, out_dir, languages=("id", "en"), ...)  # doctest: +SKIP
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.shared import Cm, Pt, RGBColor, Twips

from ..exceptions import KassakiWarning, ReportError
from .blocks import Table
from .docxtable import (
    GRID_PAD,
    Cell,
    add_table,
    cache_style_ids,
    column_widths,
    save_docx,
    text_width,
)
from .html import EXECUTIVE_BLOCK, chapter_of, chapter_plan, table_view
from .i18n import t

__all__ = ["keep_rows", "report_plan", "KEEP_WHOLE_ROWS", "KEEP_FIRST_ROWS", "write_docx",
           "docx_to_pdf", "docx_to_pdfs", "write_documents",
           "soffice_path", "table_layout", "NARROW_MARGIN"]

_NAVY = RGBColor(0x14, 0x36, 0x5D)


def soffice_path() -> str | None:
    """LibreOffice's ``soffice`` executable, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


#: a table of at most this many rows is kept on one page (with its note); a longer one keeps
#: its header with the first :data:`KEEP_FIRST_ROWS` rows and repeats the header on each page
KEEP_WHOLE_ROWS = 8
KEEP_FIRST_ROWS = 3


def keep_rows(n_rows: int, has_note: bool) -> int:
    """How many rows (header included) of a table of ``n_rows`` body rows keep with the next.

    A short table keeps every row together, and its last row with the note below it; a
    longer one keeps the header with its first :data:`KEEP_FIRST_ROWS` rows. The table's
    title is a heading, whose style keeps it with the table.
    """
    if n_rows <= KEEP_WHOLE_ROWS:
        return n_rows + 1 if has_note else n_rows
    return KEEP_FIRST_ROWS  # the header and the first rows but one: header + 3 rows


def _add_table(doc: Any, view: Mapping[str, Any], rd: Callable[[str], str]) -> None:
    doc.add_heading(rd(view["title"]), level=3)
    header = [rd(h) for h in view["header"]]
    body = [[rd(c["text"]) for c in row["cells"]] for row in view["rows"]]
    size, tw, margin = table_layout(header, body, text_width(doc).twips)
    rows = [[Cell(h, bold=True, size=size, empty_run=True) for h in header]]
    rows += [[Cell(txt, italic=bool(row["suppressed"]), size=size, right=bool(c["num"]))
              for txt, c in zip(texts, row["cells"], strict=True)]
             for texts, row in zip(body, view["rows"], strict=True)]
    # the header row repeats on every page and never sits alone at the foot of a page
    add_table(doc, rows, style_id=doc.styles["Table Grid"].style_id, header_rows=1,
              widths=None if tw is None else [Twips(w) for w in tw], cell_margin=margin,
              keep_rows=keep_rows(len(view["rows"]), bool(view["notes"])), cant_split=True)
    if view["notes"]:
        p = doc.add_paragraph()
        r = p.add_run(rd(view["notes"]))
        r.italic = True
        r.font.size = Pt(8)


def table_layout(header: Sequence[str], body: Sequence[Sequence[str]], total: int
                 ) -> tuple[int, list[int] | None, int | None]:
    """Font size (half-points), column widths and cell margin of a report table.

    Columns as wide as their contents (:func:`column_widths`), at the largest size of
    9 / 8 / 7 pt (8 pt at most beyond 7 columns) at which no word breaks, first with the
    style's cell margins, then with narrow ones (0.04 inch a side); failing that, the same
    with only the body's words whole (header words may break); else 7 pt, narrow margins
    and widths shared evenly.
    """
    sizes = (9, 8, 7) if len(header) <= 7 else (8, 7)
    for whole in (True, False):
        for pad, margin in ((GRID_PAD, None), (2 * NARROW_MARGIN, NARROW_MARGIN)):
            for pt in sizes:
                tw = column_widths(header, body, total, pt, pad=pad, whole_header_words=whole)
                if tw is not None:
                    return 2 * pt, tw, margin
    return 14, None, NARROW_MARGIN


#: cell margin (twips, each side) of tables too wide for the style's margins
NARROW_MARGIN = 58


def _add_block(doc: Any, m: Mapping[str, Any], results_dir: Path, lang: str,
               components: Sequence[str] | None, rd: Callable[[str], str]) -> None:
    doc.add_heading(t(m["title_key"], lang), level=2)
    if m.get("intro_key"):
        doc.add_paragraph(t(m["intro_key"], lang))
    for key, values in m.get("sentences", []):
        p = doc.add_paragraph()
        run = p.add_run(rd(t(key, lang, **values)))
        if ".verdict.verdict" in key:
            run.bold = True
            run.font.color.rgb = _NAVY
    for heading, items in m.get("lists", []):
        doc.add_heading(t(heading, lang), level=3)
        for key, values in items:
            doc.add_paragraph(rd(t(key, lang, **values)), style="List Bullet")
    for f in m.get("figures", []):
        png = results_dir / m["notebook"] / f"{f['name']}.{lang}.png"
        if png.is_file():
            pic = doc.add_paragraph()
            pic.paragraph_format.keep_with_next = True  # the figure stays with its caption
            pic.add_run().add_picture(str(png), width=Cm(15))
            cap = doc.add_paragraph()
            r = cap.add_run(t(f["caption_key"], lang))
            r.italic = True
            r.font.size = Pt(8)
    for meta in m.get("tables", []):
        tab = Table.from_meta(meta, m["tables_data"][meta["name"]])
        if components is not None:
            tab = tab.filtered("component", components)
        _add_table(doc, table_view(tab, lang), rd)


def report_plan(blocks: Sequence[Mapping[str, Any]], lang: str, shows: Any = None
                ) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The report's parts in published order: ``(heading, blocks)`` per chapter.

    Executive summary first, then the chapters numbered 1, 2, ..., then the appendix lettered
    A, B, ... (as the HTML: :func:`.html.chapter_plan`); empty parts (a partner view that does
    not show them) are left out. Shared by the Word and the PDF writers.
    """
    visible = [m for m in blocks
               if m["section"] == "meta" or shows is None or shows(m["section"])]
    notebooks = list(dict.fromkeys(m["notebook"] for m in blocks))
    plan: list[tuple[str, list[Mapping[str, Any]]]] = []
    n_chap = n_app = 0
    for kind, name in chapter_plan(notebooks):
        if kind == "executive":
            body = [m for m in visible if m["key"] == EXECUTIVE_BLOCK]
            heading = t("nb.executive", lang)
        else:
            body = [m for m in visible if chapter_of(m["notebook"], m["key"]) == name
                    and m["key"] != EXECUTIVE_BLOCK]
            if kind == "chapter":
                n_chap += 1
                heading = f"{n_chap}. {t(f'nb.{name}', lang)}"
            else:
                n_app += 1
                heading = (f"{t('nb.appendix', lang)} {chr(ord('A') + n_app - 1)}. "
                           f"{t(f'nb.{name}', lang)}")
        if body:
            plan.append((heading, body))
    return plan


def write_docx(blocks: Sequence[Mapping[str, Any]], results_dir: Path, path: Path, lang: str,
               *, title: str, subtitle_lines: Iterable[str], footer: str,
               shows: Any = None, components: Sequence[str] | None = None,
               redact: Callable[[str], str] | None = None) -> Path:
    """Write the report in ``lang`` as an editable Word document; return ``path``.

    Parameters
    ----------
    blocks : sequence of mapping
        The saved blocks (:func:`~kassaki_eval.reporting.blocks.load_blocks`).
    results_dir : Path
        Where the blocks were saved (their figures' PNGs are read from there).
    path : Path
        The .docx to write.
    lang : {"id", "en"}
        Language.
    title, subtitle_lines, footer : str
        As in :func:`~kassaki_eval.reporting.html.assemble_report`.
    shows : callable, optional
        ``shows(section) -> bool`` of a partner view (default: every section).
    components : sequence of str, optional
        Programme components of a partner view (rows of other components are dropped).
    redact : callable, optional
        Applied to every text taken from the data (the runner removes private paths).

    Returns
    -------
    Path
    """
    rd = redact or (lambda x: x)
    doc = cache_style_ids(Document())
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)     # A4
    for side in ("left_margin", "right_margin"):
        setattr(sec, side, Cm(2.0))
    sec.top_margin = sec.bottom_margin = Cm(1.8)
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = title
    doc.core_properties.language = lang
    doc.add_heading(title, level=0)
    for s in subtitle_lines:
        doc.add_paragraph(rd(s))
    plan = report_plan(blocks, lang, shows)
    doc.add_heading(t("report.contents", lang), level=2)
    for heading, _ in plan:
        doc.add_paragraph(heading)
    for heading, body in plan:
        doc.add_page_break()
        doc.add_heading(heading, level=1)
        for m in body:
            _add_block(doc, m, results_dir, lang, components, rd)
    p = doc.add_paragraph()
    r = p.add_run(footer)
    r.font.size = Pt(8)
    path = Path(path)
    save_docx(doc, path)   # fixed zip dates: same bytes on every run
    return path


def docx_to_pdf(docx: Path, *, timeout: int = 180) -> Path | None:
    """Convert ``docx`` to PDF next to it with LibreOffice headless; None without LibreOffice.

    Without ``soffice`` a :class:`KassakiWarning` says so and how to get PDF; a conversion
    that fails raises :class:`ReportError` with LibreOffice's message.
    """
    out = docx_to_pdfs([docx], timeout=timeout)
    return out[0] if out else None


def _warn_no_soffice() -> None:
    warnings.warn("PDF not written: LibreOffice ('soffice') is not installed. The .docx "
                  "is complete; fix: install LibreOffice Writer (e.g. apt-get install "
                  "libreoffice-writer) and run the report again, or print the .docx to "
                  "PDF.", KassakiWarning, stacklevel=3)


def docx_to_pdfs(docx: Sequence[Path], *, timeout: int = 180,
                 profile: Path | None = None) -> list[Path]:
    """Convert several .docx files (each to a PDF next to it) in ONE LibreOffice call.

    LibreOffice's start-up is most of a conversion's time, so both languages of a report are
    converted by one ``soffice`` process. ``profile`` is a LibreOffice user profile folder
    to use; default: a private temporary one. Returns ``[]`` with a
    :class:`KassakiWarning` when LibreOffice is not installed; raises :class:`ReportError`
    when a conversion fails.
    """
    exe = soffice_path()
    files = [Path(d) for d in docx]
    if exe is None:
        _warn_no_soffice()
        return []
    if not files:
        return []
    by_dir: dict[Path, list[Path]] = {}
    for d in files:
        by_dir.setdefault(d.parent, []).append(d)
    with tempfile.TemporaryDirectory(prefix="kassaki-soffice-") as tmp_profile:
        # a private LibreOffice profile: two conversions at once must not share one
        prof = Path(profile) if profile is not None else Path(tmp_profile)
        for outdir, group in by_dir.items():
            cmd = [exe, f"-env:UserInstallation={prof.resolve().as_uri()}", "--headless",
                   "--convert-to", "pdf", "--outdir", str(outdir), *map(str, group)]
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise ReportError(f"LibreOffice did not finish converting "
                                  f"{', '.join(d.name for d in group)} to PDF within {timeout} s "
                                  f"(its process was stopped). Nothing was published. Fix: run "
                                  f"the report again when the machine is less busy.") from None
            bad = [d for d in group if not d.with_suffix(".pdf").is_file()]
            if out.returncode != 0 or bad:
                names = ", ".join(d.name for d in (bad or group))
                raise ReportError(f"LibreOffice could not convert {names} to PDF (exit "
                                  f"{out.returncode}): "
                                  f"{(out.stderr or out.stdout).strip()[:300]}")
    return [d.with_suffix(".pdf") for d in files]


def write_documents(blocks: Sequence[Mapping[str, Any]], results_dir: Path, out_dir: Path,
                    *, year: int, languages: Sequence[str],
                    titles: Mapping[str, tuple[str, list[str], str]],
                    shows: Any = None, components: Sequence[str] | None = None,
                    redact: Callable[[str], str] | None = None,
                    pdf: bool = True, docx: bool = True) -> list[Path]:
    """Write ``report_<year>_<lang>.docx`` and ``.pdf`` per language; return the files.

    ``titles`` maps language to ``(title, subtitle_lines, footer)``. The PDF is typeset from
    the same blocks by Typst (:func:`.typeset.write_report_pdf`), not converted from the docx.
    """
    written: list[Path] = []
    for lang in languages:
        title, subtitle, footer = titles[lang]
        kw: dict[str, Any] = dict(title=title, subtitle_lines=subtitle, footer=footer, shows=shows,
                  components=components, redact=redact)
        if docx:
            written.append(write_docx(blocks, results_dir,
                                      Path(out_dir) / f"report_{year}_{lang}.docx", lang, **kw))
        if pdf:
            from .typeset import write_report_pdf
            written.append(write_report_pdf(blocks, results_dir,
                                            Path(out_dir) / f"report_{year}_{lang}.pdf", lang,
                                            **kw))
    return written
