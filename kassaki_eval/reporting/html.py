"""HTML for the report: one block at a time in the notebooks, one document at the end.

A block is rendered once per language, each copy wrapped in comment markers
``<!--kassaki:lang=xx-->…<!--/kassaki:lang=xx-->``. A notebook thus shows every requested
language from one execution; :func:`assemble_report` builds one self-contained HTML file per
language from the executed notebooks' *outputs* (no code cell, no input, no prompt), keeping
that language's copies and dropping the others. Figures are embedded as base64 PNG.
"""
from __future__ import annotations

import base64
import html as _html
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from .blocks import Block, Table
from .i18n import fmt, t

__all__ = ["render_block", "render_table", "assemble_report", "keep_language", "REPORT_CSS"]

_LANG_BLOCK = re.compile(r"<!--kassaki:lang=(\w+)-->(.*?)<!--/kassaki:lang=\1-->", re.S)

REPORT_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#1d2733;background:#f4f6f8}
main{max-width:1100px;margin:0 auto;padding:24px 32px;background:#fff}
header.cover{background:#14365d;color:#fff;padding:28px 32px;max-width:1036px;margin:0 auto}
header.cover h1{margin:0 0 6px 0;font-size:26px}
header.cover p{margin:2px 0;font-size:14px;opacity:.9}
h1.chap{color:#fff;background:#2b5a8a;font-size:21px;padding:8px 12px;margin-top:44px}
h2{color:#14365d;border-bottom:2px solid #14365d;padding-bottom:4px;margin-top:30px;font-size:19px}
h3{color:#14365d;margin:22px 0 6px 0;font-size:17px}
table.kt{border-collapse:collapse;margin:8px 0 4px 0;font-size:13px}
table.kt th{background:#14365d;color:#fff;padding:5px 8px;text-align:left;font-weight:600}
table.kt td{padding:4px 8px;border-bottom:1px solid #dde3ea}
table.kt td.num{text-align:right;font-variant-numeric:tabular-nums}
table.kt tr:nth-child(even) td{background:#f6f8fa}
table.kt tr.sup td{color:#8a94a0;font-style:italic}
p.tnote{font-size:12px;color:#56616d;margin:2px 0 14px 0}
p.lead{font-size:15px;line-height:1.5}
figure{margin:10px 0}
figure img{max-width:100%}
figcaption{font-size:12px;color:#56616d}
nav.toc{background:#f6f8fa;padding:10px 16px;margin:12px 0}
nav.toc a{color:#14365d}
div.verdict{border:2px solid #14365d;padding:10px 14px;font-size:16px;background:#eef3f9}
footer{font-size:12px;color:#56616d;margin-top:40px;border-top:1px solid #dde3ea;padding-top:8px}
"""


def _cell(v: Any, kind: str, lang: str, translate: bool, col: str) -> str:
    if translate and isinstance(v, str):
        key = f"val.{col}.{v}"
        return _html.escape(t(key, lang))
    if kind == "text":
        if v is None or (isinstance(v, float) and v != v):
            return "–"
        if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
            return t("val.yes" if v else "val.no", lang)
        return _html.escape(str(v))
    return _html.escape(fmt(v, kind, lang))


def render_table(tab: Table, lang: str) -> str:
    """One table as HTML in ``lang`` (headers and coded values translated)."""
    d = tab.data
    # "_"-columns carry per-row metadata (e.g. the number format of each key result)
    cols = [c for c in d.columns if c != "suppressed" and not str(c).startswith("_")]
    head = "".join(f"<th>{_html.escape(t(f'col.{c}', lang))}</th>" for c in cols)
    rows = []
    sup = d["suppressed"].to_numpy() if "suppressed" in d.columns else None
    records = d[cols].to_dict("records")
    rec_full = d.to_dict("records")
    for i, rec in enumerate(records):
        tds = []
        for c in cols:
            kind = tab.formats.get(c, "text")
            if kind.startswith("@"):
                kind = str(rec_full[i].get(kind[1:]) or "num")
            cls = ' class="num"' if kind != "text" else ""
            tds.append(f"<td{cls}>{_cell(rec[c], kind, lang, c in tab.translate, c)}</td>")
        trc = ' class="sup"' if sup is not None and bool(sup[i]) else ""
        rows.append(f"<tr{trc}>{''.join(tds)}</tr>")
    out = [f"<h3>{_html.escape(t(tab.title_key, lang))}</h3>",
           f'<table class="kt"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>']
    notes = []
    if tab.note_key:
        notes.append(t(tab.note_key, lang))
    if tab.n_suppressed:
        notes.append(t("report.suppressed_note", lang, n=tab.n_suppressed))
    if notes:
        out.append(f'<p class="tnote">{_html.escape(" ".join(notes))}</p>')
    return "\n".join(out)


def _render_one(block: Block, lang: str, view_components: Sequence[str] | None) -> str:
    parts = [f"<h2>{_html.escape(t(block.title_key, lang))}</h2>"]
    if block.intro_key:
        parts.append(f'<p class="lead">{_html.escape(t(block.intro_key, lang))}</p>')
    for key, values in block.sentences:
        cls = "verdict" if ".verdict.verdict" in key else "lead"
        tag = "div" if cls == "verdict" else "p"
        parts.append(f'<{tag} class="{cls}">{_html.escape(t(key, lang, **values))}</{tag}>')
    for fig in block.figures:
        b64 = base64.b64encode(fig.png[lang]).decode()
        parts.append(f'<figure><img alt="{_html.escape(fig.name)}" src="data:image/png;base64,'
                     f'{b64}"/><figcaption>{_html.escape(t(fig.caption_key, lang))}'
                     f'</figcaption></figure>')
    for tab in block.tables:
        if view_components is not None:
            tab = tab.filtered("component", view_components)
        parts.append(render_table(tab, lang))
    return "\n".join(parts)


def render_block(block: Block, languages: Sequence[str],
                 view_components: Sequence[str] | None = None) -> str:
    """HTML of ``block`` in every language, each copy wrapped in language markers."""
    return "\n".join(f"<!--kassaki:lang={lang}--><div lang=\"{lang}\" class=\"kblock\">"
                     f"{_render_one(block, lang, view_components)}</div><!--/kassaki:lang={lang}-->"
                     for lang in languages)


def keep_language(fragment: str, lang: str) -> str:
    """Drop every language copy except ``lang`` from an HTML fragment."""
    return _LANG_BLOCK.sub(lambda m: m.group(2) if m.group(1) == lang else "", fragment)


def _outputs_html(nb: Mapping[str, Any], lang: str) -> str:
    """The rich HTML outputs of an executed notebook, in order; code and streams excluded."""
    parts: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue  # markdown in report notebooks is for developers; the catalogue speaks
        for out in cell.get("outputs", []):
            if out.get("output_type") not in ("display_data", "execute_result"):
                continue  # stdout/stderr/warnings are logged, not published
            data = out.get("data", {})
            if "text/html" in data:
                h = data["text/html"]
                h = "".join(h) if isinstance(h, list) else h
                if "kassaki:lang=" in h:
                    parts.append(keep_language(h, lang))
            elif "image/png" in data:
                parts.append(f'<figure><img src="data:image/png;base64,{data["image/png"]}"/></figure>')
    return "\n".join(parts)


def assemble_report(notebooks: Sequence[tuple[str, Mapping[str, Any]]], lang: str, *,
                    title: str, subtitle_lines: Iterable[str], footer: str) -> str:
    """One self-contained HTML document from the executed notebooks, in ``lang``."""
    sections = []
    toc = []
    for i, (name, nb) in enumerate(notebooks, start=1):
        body = _outputs_html(nb, lang)
        if not body.strip():
            continue  # a chapter outside this partner's view
        anchor = f"s{i}"
        heading = t(f"nb.{name}", lang)
        toc.append(f'<li><a href="#{anchor}">{_html.escape(heading)}</a></li>')
        sections.append(f'<section id="{anchor}"><h1 class="chap">{_html.escape(heading)}'
                        f'</h1>{body}</section>')
    sub = "".join(f"<p>{_html.escape(s)}</p>" for s in subtitle_lines)
    return (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>{_html.escape(title)}</title><style>{REPORT_CSS}</style></head><body>"
            f'<header class="cover"><h1>{_html.escape(title)}</h1>{sub}</header><main>'
            f'<nav class="toc"><strong>{_html.escape(t("report.contents", lang))}</strong>'
            f'<ol>{"".join(toc)}</ol></nav>'
            + "\n".join(sections)
            + f"<footer>{_html.escape(footer)}</footer></main></body></html>\n")


def write_report(path: Path, document: str) -> Path:
    path.write_text(document, encoding="utf-8")
    return path


def frame_html(df: pd.DataFrame) -> str:  # pragma: no cover - debugging helper
    return df.to_html(index=False)
