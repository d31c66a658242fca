"""Village cards for DPMD: one page per village, one Word document (and PDF) per language.

Each card shows, for one village: the registry counts (families, families in desil 1-4), the
estimated poverty rate with its interval, where it comes from and how reliable it is, and the
KASSAKI components the village received, since when, with the families recorded as
participants. The cards are made from the tables the village chapter saved
(``village_poverty`` and ``village_programme``, :mod:`.sections.village`) *after* disclosure
control, so a card shows exactly what the report publishes: suppressed cells stay blank and
no identifier is on a card (village codes are the public Kemendagri codes).

The runner writes ``village_cards_<year>_<lang>.docx`` and ``.pdf`` (typeset by Typst from the
same elements, as for the report: :mod:`.typeset`) into the temporary run folder,
which is published by one rename at the end: a failure leaves nothing half-written.

Example
-------
>>> from kassaki_eval.reporting.cards import write_village_cards  # doctest: +SKIP
>>> write_village_cards(blocks, out_dir, year=2025, languages=("id", "en"), ...)  # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd
from docx import Document
from docx.shared import Cm, Pt, RGBColor

from .docxtable import Cell, add_table, cache_style_ids, save_docx
from .i18n import fmt, t

__all__ = ["CARD_TABLES", "card_data", "card_elements", "district_rate", "write_card_docx",
           "write_village_cards"]

#: The saved tables a card is made from.
CARD_TABLES: tuple[str, str] = ("village_poverty", "village_programme")
_NAVY = RGBColor(0x14, 0x36, 0x5D)
_COMPONENTS = ("credit", "csr_sme", "training", "women_groups", "facilitation")


def card_data(blocks: Sequence[Mapping[str, Any]],
              shows: Callable[[str], bool] | None = None) -> pd.DataFrame | None:
    """One row per village: the two saved village tables joined on the village code.

    ``None`` when the run saved no village tables or the view does not show their section.
    """
    found: dict[str, tuple[str, pd.DataFrame]] = {}
    for m in blocks:
        for meta in m.get("tables", []):
            if meta["name"] in CARD_TABLES:
                found[meta["name"]] = (m["section"], m["tables_data"][meta["name"]])
    if set(found) != set(CARD_TABLES):
        return None
    if shows is not None and not all(shows(sec) for sec, _ in found.values()):
        return None
    pov = found["village_poverty"][1]
    prog = found["village_programme"][1].rename(columns={"_village_code": "village_code"})
    prog = prog.drop(columns=[c for c in ("village", "kecamatan", "n_families_registry")
                              if c in prog.columns])
    out = pov.merge(prog, on="village_code", how="left", suffixes=("", "_prog"))
    return out.sort_values("village_code", kind="stable").reset_index(drop=True)


def district_rate(blocks: Sequence[Mapping[str, Any]], year: int
                  ) -> tuple[float, float, float] | None:
    """The district P0 of ``year`` and its interval, shown on every card for comparison.

    From the saved ``poverty_district`` table; ``None`` when absent or suppressed.
    """
    for m in blocks:
        d = m.get("tables_data", {}).get("poverty_district")
        if d is not None:
            row = d[d["year"].astype(int) == int(year)]
            if len(row) and not pd.isna(row["p0"].iloc[0]):
                r = row.iloc[0]
                return float(r["p0"]), float(r["p0_low"]), float(r["p0_high"])
    return None


class _Writer:
    """python-docx with the style ids resolved once.

    Looking a style up by name (``add_heading``, ``table.style = ...``) scans every style of
    the document each time; with 103 cards that was most of the time spent.
    """

    def __init__(self, doc: Any):
        self.doc = doc
        self.ids = {name: doc.styles[name].style_id
                    for name in ("Heading 1", "Heading 2", "Table Grid")}

    def heading(self, text: str, level: int) -> Any:
        p = self.doc.add_paragraph()
        p._p.style = self.ids[f"Heading {level}"]
        p.add_run(text)
        return p

    def table(self, rows: Sequence[Sequence[str]], *, bold_first_col: bool = False,
              bold_first_row: bool = False, right: Sequence[int] = (),
              widths: Sequence[float] | None = None) -> Any:
        cells = [[Cell(v, bold=(bold_first_col and j == 0) or (bold_first_row and i == 0),
                       right=j in right and i > 0) for j, v in enumerate(values)]
                 for i, values in enumerate(rows)]
        return add_table(self.doc, cells, style_id=self.ids["Table Grid"],
                         widths=None if widths is None else [Cm(w) for w in widths])


def _num(v: Any, kind: str, lang: str) -> str:
    return fmt(None if v is None or pd.isna(v) else v, kind, lang)


def card_elements(r: Mapping[str, Any], lang: str, *, year: int, k: int,
                  components: Sequence[str],
                  district: tuple[float, float, float] | None) -> list[dict[str, Any]]:
    """One village's card as a list of elements, shared by the Word and the PDF writers.

    Each element is a dict with ``kind`` ``"heading"`` (``level``, ``text``), ``"para"``
    (``text``, ``navy``) or ``"table"`` (``rows`` of texts, ``bold_first_col``,
    ``bold_first_row``, ``right``: right-aligned column indexes below the first row,
    ``widths`` in cm).
    """
    out: list[dict[str, Any]] = []

    def heading(text: str, level: int) -> None:
        out.append({"kind": "heading", "level": level, "text": text})

    def para(text: str, navy: bool = False) -> None:
        out.append({"kind": "para", "text": text, "navy": navy})

    def table(rows: Sequence[Sequence[str]], *, bold_first_col: bool = False,
              bold_first_row: bool = False, right: Sequence[int] = (),
              widths: Sequence[float]) -> None:
        out.append({"kind": "table", "rows": [list(x) for x in rows],
                    "bold_first_col": bold_first_col, "bold_first_row": bold_first_row,
                    "right": list(right), "widths": list(widths)})

    heading(t("cards.village", lang, village=r["village"]), 1)
    para(t("cards.where", lang, kecamatan=r["kecamatan"], code=r["village_code"],
           zone=t(f"val.zone.{r['zone']}", lang)), navy=True)
    suppressed = bool(r.get("suppressed", False))
    blank = t("cards.blank", lang, k=k)

    heading(t("cards.registry", lang), 2)
    fam, fam14 = r.get("n_families_registry"), r.get("n_families_desil_1_4")
    share = fam14 / fam if not (pd.isna(fam) or pd.isna(fam14)) and fam else None
    table([
        (t("col.n_families_registry", lang), blank if pd.isna(fam) else _num(fam, "int", lang)),
        (t("col.n_families_desil_1_4", lang),
         blank if pd.isna(fam14) else t("cards.count_share", lang, n=fam14, share=share)),
    ], bold_first_col=True, widths=(6.0, 11.0))

    heading(t("cards.poverty", lang, year=year), 2)
    if suppressed or pd.isna(r.get("estimate")):
        para(t("cards.poverty_suppressed", lang, k=k))
    else:
        rows = [(t("cards.estimate", lang),
                 t("cards.estimate_ci", lang, p0=r["estimate"], lo=r["conf_low"],
                   hi=r["conf_high"])),
                (t("col.sae_method", lang), t(f"val.sae_method.{r['sae_method']}", lang)),
                (t("col.reliability", lang),
                 t("cards.reliability", lang, label=t(f"val.reliability.{r['reliability']}",
                                                      lang), cv=r["cv"]))]
        n_s = r.get("n_sample")
        if not pd.isna(r.get("direct")):
            rows.append((t("col.direct", lang),
                         t("cards.direct", lang, p0=r["direct"], n=n_s)))
        elif pd.isna(n_s):
            rows.append((t("col.direct", lang), t("cards.direct_few", lang, k=k)))
        else:
            rows.append((t("col.direct", lang), t("cards.not_sampled", lang)))
        if district is not None:
            rows.append((t("cards.district", lang),
                         t("cards.estimate_ci", lang, p0=district[0], lo=district[1],
                           hi=district[2])))
        table(rows, bold_first_col=True, widths=(6.0, 11.0))

    heading(t("cards.programme", lang), 2)
    prog_rows: list[tuple[str, ...]] = [
        (t("cards.component", lang), t("cards.since", lang), t("cards.families", lang))]
    n_received = 0
    shown = [c for c in _COMPONENTS if c in components]
    for comp in shown:
        since = r.get(f"{comp}_since")
        received = not pd.isna(since)
        n_received += received
        fam_c = r.get(f"{comp}_families")
        if f"{comp}_families" not in r:
            fam_txt = t("cards.village_unit", lang)
        elif not received:
            fam_txt = "–"
        elif pd.isna(fam_c):
            fam_txt = blank
        else:
            fam_txt = _num(fam_c, "int", lang)
        prog_rows.append((t(f"val.component.{comp}", lang),
                          str(int(cast(float, since))) if received else t("cards.not_yet", lang),
                          fam_txt))
    table(prog_rows, bold_first_row=True, right=(1, 2), widths=(6.0, 3.0, 8.0))
    para(t("cards.programme_sentence", lang, n=n_received, total=len(shown)))
    return out


def _card(w: _Writer, r: Mapping[str, Any], lang: str, *, year: int, k: int,
          components: Sequence[str], district: tuple[float, float, float] | None) -> None:
    for e in card_elements(r, lang, year=year, k=k, components=components, district=district):
        if e["kind"] == "heading":
            w.heading(e["text"], e["level"])
        elif e["kind"] == "para":
            run = w.doc.add_paragraph().add_run(e["text"])
            if e["navy"]:
                run.font.color.rgb = _NAVY
        else:
            w.table(e["rows"], bold_first_col=e["bold_first_col"],
                    bold_first_row=e["bold_first_row"], right=e["right"], widths=e["widths"])


def write_card_docx(cards: pd.DataFrame, path: Path, lang: str, *, year: int, k: int,
                    title: str, subtitle_lines: Sequence[str], footer: str,
                    components: Sequence[str] = _COMPONENTS,
                    district: tuple[float, float, float] | None = None,
                    redact: Callable[[str], str] | None = None) -> Path:
    """Write the cards of ``cards`` (:func:`card_data`) in ``lang``; return ``path``.

    A cover page, then one page per village (a page break before each); ``district``: the
    district P0 and interval shown on every card for comparison (:func:`district_rate`).
    """
    rd = redact or (lambda x: x)
    doc = cache_style_ids(Document())
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)     # A4
    sec.left_margin = sec.right_margin = Cm(2.0)
    sec.top_margin = sec.bottom_margin = Cm(1.8)
    doc.styles["Normal"].font.name = "DejaVu Sans"
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = title
    doc.core_properties.language = lang
    foot = sec.footer.paragraphs[0]
    foot.add_run(rd(footer)).font.size = Pt(7)
    doc.add_heading(title, level=0)
    for s in subtitle_lines:
        doc.add_paragraph(rd(s))
    doc.add_paragraph(t("cards.intro", lang, n=len(cards), year=year, k=k))
    w = _Writer(doc)
    for r in cards.to_dict("records"):
        doc.add_page_break()
        _card(w, r, lang, year=year, k=k, components=components, district=district)
    path = Path(path)
    save_docx(doc, path)   # fixed zip dates: same bytes on every run
    return path


def write_village_cards(blocks: Sequence[Mapping[str, Any]], out_dir: Path, *, year: int,
                        languages: Sequence[str], k: int,
                        subtitles: Mapping[str, Sequence[str]], footers: Mapping[str, str],
                        shows: Callable[[str], bool] | None = None,
                        components: Sequence[str] = _COMPONENTS,
                        redact: Callable[[str], str] | None = None,
                        pdf: bool = True, docx: bool = True) -> list[Path]:
    """Write ``village_cards_<year>_<lang>.docx`` and ``.pdf`` per language; return the files.

    The PDF is typeset by Typst from the same card elements (:func:`.typeset.write_cards_pdf`).

    Nothing is written when the run has no village tables in view (:func:`card_data`).
    """
    cards = card_data(blocks, shows)
    if cards is None:
        return []
    district = district_rate(blocks, year)
    written: list[Path] = []
    for lang in languages:
        kw: dict[str, Any] = dict(year=year, k=k, title=t("cards.title", lang, year=year),
                  subtitle_lines=subtitles[lang], footer=footers[lang],
                  components=components, district=district, redact=redact)
        if docx:
            written.append(write_card_docx(
                cards, Path(out_dir) / f"village_cards_{year}_{lang}.docx", lang, **kw))
        if pdf:
            from .typeset import write_cards_pdf
            written.append(write_cards_pdf(
                cards, Path(out_dir) / f"village_cards_{year}_{lang}.pdf", lang, **kw))
    return written
