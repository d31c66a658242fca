"""The whole report on a small demo world: every notebook runs through papermill once.

One session-scoped run (scale 0.05, both languages) serves most checks; a second, failing
run checks that nothing is published and that the error names the notebook and the cell.
Slower variants (a second identical run, a partner view, last year's comparison) are marked
``slow``.
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

import kassaki_eval.synthetic.world  # noqa: F401  (a broken import must fail, not skip)

from kassaki_eval.exceptions import ReportError, ReportExistsError  # noqa: E402
from kassaki_eval.reporting import runner  # noqa: E402
from kassaki_eval.reporting.i18n import catalogue  # noqa: E402
from kassaki_eval.reporting.manifest import VOLATILE_KEYS, load_manifest  # noqa: E402

# The `report` fixture (one small run, shared with test_report_numbers.py) is in tests/conftest.py.


def _ids(folder: Path) -> set[str]:
    """Pseudonymous ids, fake NIKs and names present in the run's raw demo inputs."""
    out: set[str] = set()
    for f in sorted((folder / "inputs").glob("*.csv")):
        with open(f, newline="") as fh:
            for row in csv.DictReader(fh):
                for col in ("hh_id", "family_id", "record_id", "nik_head", "no_kk", "name_head"):
                    v = row.get(col)
                    if v:
                        out.add(v)
    return out


def test_progress_per_notebook(report):
    log = "\n".join(report["log"])
    for i, name in enumerate(runner.NOTEBOOKS, start=1):
        assert f"[{i}/5] {name} done" in log


def test_folder_layout(report):
    p = report["paths"]
    assert p.folder.parent == report["root"] / "2025"
    assert p.folder.name == p.run_id and p.run_id.startswith("full-")
    assert not any(x.name.startswith(".tmp") for x in p.folder.parent.iterdir())
    assert not (p.folder / "_work").exists()  # analysis tables with ids are never published
    for lang in ("id", "en"):
        assert p.html[lang].is_file() and p.xlsx[lang].is_file()
    assert p.manifest.is_file()


def test_html_has_no_code_and_embeds_figures(report):
    for lang, path in report["paths"].html.items():
        html = path.read_text()
        assert f'<html lang="{lang}">' in html
        for code in ("ctx.show", "S.start", "import ", "report_params", "jp-InputArea",
                     "<pre", "In&nbsp;[", "Traceback"):
            assert code not in html, code
        assert html.count("data:image/svg+xml;base64,") >= 5  # vector figures
        assert "kassaki:lang=" not in html  # the other language was removed
        assert "{" not in re.sub(r"<style>.*?</style>", "", html, flags=re.S)  # no raw placeholder


def test_published_notebooks_hold_no_machine_path(report):
    """Warnings print as 'DataWarning: <message>': neither the library's absolute path nor the
    kernel's /tmp/ipykernel_<pid>/ cell file (machine-specific, different in every run)."""
    import tempfile

    import kassaki_eval
    repo = str(Path(kassaki_eval.__file__).resolve().parents[1])
    secret = (repo, "/tmp/", tempfile.gettempdir() + "/", "ipykernel_", str(Path.home()) + "/",
              str(report["root"]))
    warned = []
    for f in sorted((report["paths"].folder / "notebooks").glob("*.ipynb")):
        text = f.read_text(encoding="utf-8")
        for s in secret:
            assert s not in text, (f.name, s)
        for cell in json.loads(text)["cells"]:
            for o in cell.get("outputs", []):
                if o.get("name") == "stderr":
                    warned += [ln for ln in "".join(o["text"]).splitlines() if ln.strip()]
    assert warned  # the check has warnings to look at (this small world makes some)
    for line in warned:
        assert re.fullmatch(r"[A-Z]\w*Warning: \S.*", line), line


def test_both_languages_rendered_from_one_run(report):
    cat = catalogue()
    h = {lang: p.read_text() for lang, p in report["paths"].html.items()}
    assert cat["nb.02_poverty"]["id"] in h["id"] and cat["nb.02_poverty"]["en"] not in h["id"]
    assert cat["nb.02_poverty"]["en"] in h["en"] and cat["nb.02_poverty"]["id"] not in h["en"]
    # same numbers in both: the headline P0 appears with each language's decimal mark
    keys = json.loads((report["paths"].folder / "key_results.json").read_text())
    p0 = 100 * keys["p0"]["value"]
    assert f"{p0:.1f}".replace(".", ",") + "%" in h["id"]
    assert f"{p0:.1f}%" in h["en"]


def test_executive_summary_first_appendix_last_toc_numbered_once(report):
    """Issue 14: the verdict and key numbers open the report; data quality and parameters
    close it; the table of contents numbers each chapter once ("1. 1. Data quality" was)."""
    cat = catalogue()
    for lang, path in report["paths"].html.items():
        html = path.read_text()
        sections = re.findall(r'<section id="([^"]+)" class="(\w+)"><h1 class="chap">([^<]*)</h1>',
                              html)
        assert [s[1] for s in sections][0] == "executive"
        assert [s[1] for s in sections][-1] == "appendix"
        assert [s[0] for s in sections[1:-1]] == [f"s{i}" for i in range(1, len(sections) - 1)]
        headings = [s[2] for s in sections]
        assert headings[0].strip() == cat["nb.executive"][lang]
        assert headings[1] == f"1. {cat['nb.02_poverty'][lang]}"
        assert headings[-1] == f"{cat['nb.appendix'][lang]} A. {cat['nb.01_data_quality'][lang]}"
        assert not re.search(r"\d\. \d\.", html)
        toc = re.search(r'<nav class="toc">.*?</nav>', html, flags=re.S).group(0)
        assert "<ol>" not in toc  # numbers come from the headings only
        exec_html = html[html.index('id="executive"'):html.index('id="s1"')]
        assert 'class="verdict"' in exec_html  # the verdict in plain words, with its CI
        assert exec_html.count("<tr>") - 1 >= 4  # 4-6 key numbers (header row excluded)
        assert exec_html.count("data:image/svg+xml;base64,") == 1  # one chart
        assert cat["nb5.exec.supports"][lang] in exec_html
        assert cat["nb5.exec.not_supports"][lang] in exec_html
        # parameters and input hashes only in the appendix
        app_html = html[html.index('id="appA"'):]
        assert cat["nb1.params.title"][lang] in app_html
        assert cat["nb1.params.title"][lang] not in html[:html.index('id="appA"')]
    exec_csv = (report["paths"].folder / "tables" / "executive_summary.csv").read_text()
    assert "villages_reached" in exec_csv and "reduction" in exec_csv


def test_docx_and_pdf_published_and_in_manifest(report):
    """Issue 14: an editable docx and a PDF per language (and the village cards), listed
    with their hashes in the manifest."""
    import shutil as _shutil

    import docx
    folder = report["paths"].folder
    m = load_manifest(folder)
    for lang in ("id", "en"):
        d = folder / f"report_2025_{lang}.docx"
        assert f"report_2025_{lang}.docx" in m["outputs"]
        text = "\n".join(p.text for p in docx.Document(str(d)).paragraphs)
        assert catalogue()["nb.executive"][lang] in text
        assert f"report_2025_{lang}.pdf" in m["outputs"]      # typeset by Typst, always
        assert f"village_cards_2025_{lang}.pdf" in m["outputs"]
        pdf = folder / f"report_2025_{lang}.pdf"
        if _shutil.which("pdftotext"):
            import subprocess
            out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                 check=True).stdout
            assert catalogue()["nb.executive"][lang] in out


def test_table_headers_never_sit_alone_at_the_foot_of_a_page(report):
    """docx (and the PDF LibreOffice makes of it): every table's header row repeats on each
    page and keeps with the first rows; a short table stays whole, with its note; no row
    splits across pages; a figure keeps with its caption. HTML printed to PDF: the same rules
    in CSS (thead repeated, rows unbroken, headings kept with what follows)."""
    import docx
    from docx.oxml.ns import qn

    from kassaki_eval.reporting.documents import KEEP_FIRST_ROWS, KEEP_WHOLE_ROWS

    def kept(tr) -> bool:
        ps = list(tr.iter(qn("w:p")))
        return bool(ps) and all(p.pPr is not None and p.pPr.keepNext is not None for p in ps)

    folder = report["paths"].folder
    for lang in ("id", "en"):
        doc = docx.Document(str(folder / f"report_2025_{lang}.docx"))
        assert len(doc.tables) > 20
        n_short = 0
        for tab in doc.tables:
            trs = tab._tbl.tr_lst
            assert trs[0].trPr is not None and trs[0].trPr.find(qn("w:tblHeader")) is not None
            assert all(tr.trPr.find(qn("w:cantSplit")) is not None for tr in trs)
            assert not any(tr.trPr.find(qn("w:tblHeader")) is not None for tr in trs[1:])
            body = len(trs) - 1
            if body <= KEEP_WHOLE_ROWS:  # the whole table but (without a note) its last row
                assert all(kept(tr) for tr in trs[:-1])
                n_short += 1
            else:  # the header and the first rows; the rest may break
                assert [kept(tr) for tr in trs[:KEEP_FIRST_ROWS + 1]] == \
                    [True] * KEEP_FIRST_ROWS + [False]
        assert n_short and n_short < len(doc.tables)  # both kinds occur
        pics = [p for p in doc.paragraphs if p._p.xpath(".//pic:pic")]
        assert pics and all(p.paragraph_format.keep_with_next for p in pics)
        html = report["paths"].html[lang].read_text()
        css = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
        for rule in ("thead{display:table-header-group}", "break-inside:avoid",
                     "h1,h2,h3{break-after:avoid}", "tr:nth-child(-n+3){break-before:avoid}"):
            assert rule in css, rule
        assert "<thead><tr><th>" in html


def test_microcredit_equal_to_programme_is_explained(report):
    """Microcredit reached every programme village at the start: its ATT equals the whole
    programme's, and the report says why."""
    rows = list(csv.DictReader(open(report["paths"].folder / "tables" / "impact_att.csv")))
    att = {(r["component"], r["outcome"]): r["estimate"] for r in rows if r["method"] == "cs_did"}
    assert att["credit", "poor"] == att["all", "poor"]
    cat = catalogue()
    for lang, path in report["paths"].html.items():
        note = cat["nb4.components.same_as_programme"][lang].split("{components}")[0]
        assert note in path.read_text()


def test_every_section_shows_real_results(report):
    keys = json.loads((report["paths"].folder / "key_results.json").read_text())
    for k in ("survey_n_hh", "p0", "p0_change", "registry_exclusion_error", "att_poor_cs"):
        assert keys[k]["value"] is not None, k
    assert 0 < keys["p0"]["value"] < 1


def test_xlsx_sheets_match_manifest(report):
    from openpyxl import load_workbook
    m = load_manifest(report["paths"].folder)
    names = [t["name"] for t in m["tables"]]
    assert len(names) == len(set(names)) >= 15
    for lang, path in report["paths"].xlsx.items():
        wb = load_workbook(path)
        assert wb.sheetnames == ["README"] + names == m["sheets"][lang]
        for t in m["tables"]:
            ws = wb[t["sheet"]]
            assert ws.max_row == t["rows"] + 1  # header + rows
            assert ws["A1"].font.bold
        csv_path = report["paths"].folder / m["tables"][0]["csv"]
        assert csv_path.is_file()
    # headers are translated, values numeric
    wb = load_workbook(report["paths"].xlsx["id"])
    ws = wb["poverty_district"]
    assert [c.value for c in ws[1]][:3] == ["Tahun", "Garis kemiskinan (Rp)", "P0"]
    assert isinstance(ws["C2"].value, float) and ws["C2"].number_format == "0.0%"


def test_manifest_contents(report):
    m = load_manifest(report["paths"].folder)
    assert m["seed"] == 2024 and m["params"]["source"]["seed"] == 7
    assert all(len(v["sha256"]) == 64 for v in m["inputs"].values())
    assert "registry_raw.csv" in m["inputs"]
    assert m["software"]["pandas"] and m["software"]["papermill"]
    assert "commit" in m["git"]
    assert set(m["timings"]) >= set(runner.NOTEBOOKS) | {"inputs", "publish", "total"}
    for rel, digest in m["outputs"].items():
        from kassaki_eval.reporting.manifest import sha256_file
        assert sha256_file(report["paths"].folder / rel) == digest


def test_no_identifier_in_any_published_output(report):
    folder = report["paths"].folder
    ids = _ids(folder)
    assert len(ids) > 1000  # the check has something to find
    pattern = re.compile(r"[A-Za-z0-9]{6,}|\d{16}")
    for f in sorted(folder.rglob("*")):
        if f.is_dir() or f.is_relative_to(folder / "inputs"):
            continue
        if f.suffix == ".xlsx":
            import zipfile
            with zipfile.ZipFile(f) as z:
                text = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = f.read_text(errors="replace")
        hits = set(pattern.findall(text)) & ids
        assert not hits, (f.name, sorted(hits)[:3])
        low = text.lower()
        for col in ("family_id", "hh_id", "nik_head", "no_kk", "name_head"):
            assert f'"{col}"' not in low and f">{col}<" not in low and f"\n{col}," not in low


def test_small_cells_are_suppressed_in_published_tables(report):
    m = load_manifest(report["paths"].folder)
    checked = suppressed = 0
    for t in m["tables"]:
        if t["count_col"] is None:
            continue
        with open(report["paths"].folder / t["csv"], newline="") as fh:
            rows = list(csv.DictReader(fh))
        for r in rows:
            if r[t["count_col"]] == "":
                assert r["suppressed"] == "True"
                assert all(r[c] == "" for c in ("p0", "p0_low", "estimate") if c in r)
                suppressed += 1
            else:
                assert float(r[t["count_col"]]) >= 20, (t["name"], r)
                checked += 1
    assert checked > 50 and suppressed > 0
    html = report["paths"].html["en"].read_text()
    assert "suppressed because they rest on too few households" in html


def published_system(folder: Path) -> tuple["System", int]:
    """Every additive relation between the published numbers of one report folder.

    Kecamatan tables (poverty profile, survey sample, registry) against the zone totals
    (poverty_groups) and the district totals (poverty_district, survey_waves, key_results);
    the same quantity published by two tables is one variable. Returns the system and the
    number of suppressed cells in all published tables.
    """
    from attack import System

    def read(name: str) -> list[dict[str, str]]:
        with open(folder / "tables" / f"{name}.csv", newline="") as fh:
            return list(csv.DictReader(fh))

    def num(v: str) -> float | None:
        return None if v == "" else float(v)

    m = load_manifest(folder)
    year = m["year"]
    n_blank = 0
    for t in m["tables"]:
        for r in read(t["name"]):
            if r.get("suppressed") == "True":
                n_blank += sum(1 for c, v in r.items() if v == "" and not c.startswith("_"))
    keys = json.loads((folder / "key_results.json").read_text())
    zone_of = {}
    s = System()
    survey_cols = ("n_hh", "hh_weighted", "n_psu", "pop_share", "p0_contribution")
    kecs: set[str] = set()
    for name in ("poverty_kecamatan", "survey_sample"):
        for r in read(name):
            kecs.add(r["kec_code"])
            if "zone" in r:
                zone_of[r["kec_code"]] = r["zone"]
            for c in survey_cols:
                if c in r:
                    s.value((c, r["kec_code"]), num(r[c]))
    district = {r["year"]: r for r in read("poverty_district")}[str(year)]
    waves = {r["year"]: r for r in read("survey_waves")}[str(year)]
    ks = sorted(kecs)
    s.total([("n_hh", k) for k in ks], float(district["n_hh"]))
    s.total([("n_hh", k) for k in ks], float(keys["survey_n_hh"]["value"]))
    s.total([("hh_weighted", k) for k in ks], float(waves["hh_weighted"]))
    s.total([("n_psu", k) for k in ks], float(waves["n_psu"]))
    s.total([("pop_share", k) for k in ks], 1.0)
    s.total([("p0_contribution", k) for k in ks], 1.0)
    for g in read("poverty_groups"):
        if g["dimension"] != "zone" or g["suppressed"] == "True":
            continue
        members = [k for k in ks if zone_of.get(k) == g["group"]]
        for c in ("n_hh", "pop_share", "p0_contribution"):
            s.total([(c, k) for k in members], float(g[c]))
    reg = read("registry_kecamatan")
    for r in reg:
        s.value(("n_families", r["kec_code"]), num(r["n_families"]))
        sh, n = num(r["share_desil_1_4"]), num(r["n_families"])
        s.value(("n_desil_1_4", r["kec_code"]), None if sh is None or n is None else sh * n)
    s.total([("n_families", r["kec_code"]) for r in reg], float(keys["registry_families"]["value"]))
    s.total([("n_desil_1_4", r["kec_code"]) for r in reg],
            float(keys["registry_desil_1_4"]["value"]))
    return s, n_blank


def test_no_suppressed_cell_is_recovered_from_all_published_numbers(report):
    """The disclosure attack on the whole report (numbers printed for the closing note)."""
    from attack import attack
    s, n_blank = published_system(report["paths"].folder)
    res = attack(s)
    recovered = [u for u, (lo, hi) in res.items()
                 if hi - lo < (0.5 if u[0] in ("n_hh", "hh_weighted", "n_psu", "n_families",
                                                "n_desil_1_4") else 1e-6)]
    widths = sorted(hi - lo for u, (lo, hi) in res.items() if u[0] == "n_hh")
    print(f"\ndisclosure attack: {n_blank} suppressed cells in the published tables, "
          f"{len(res)} of them in additive relations attacked, {len(recovered)} recovered; "
          f"narrowest n_hh interval {widths[0] if widths else float('nan'):.0f} households")
    assert n_blank > 0 and len(res) > 0
    assert recovered == []


def test_existing_report_is_not_overwritten(report):
    before = report["paths"].manifest.read_bytes()
    with pytest.raises(ReportExistsError, match="--overwrite"):
        runner.run_report(report["params"], out_root=report["root"], echo=lambda s: None)
    assert report["paths"].manifest.read_bytes() == before


def test_failing_notebook_publishes_nothing_and_names_the_cell(tmp_path, report):
    nbdir = tmp_path / "notebooks"
    shutil.copytree(runner.notebooks_dir(), nbdir)
    src = (nbdir / "03_targeting.py").read_text()
    src += "\n# %%\nctx.show(S.no_such_section(ctx))\n"  # a last cell that fails
    (nbdir / "03_targeting.py").write_text(src)
    out = tmp_path / "reports"
    with pytest.raises(ReportError) as e:
        runner.run_report(report["params"], out_root=out, echo=lambda s: None, notebooks=nbdir)
    msg = str(e.value)
    assert "notebook 03_targeting failed in cell" in msg
    assert "S.no_such_section" in msg and "AttributeError" in msg
    assert "Nothing was published" in msg
    # no report folder, no temporary folder: only the (released) lock file of the year
    assert [q.name for q in (out / "2025").iterdir()] == [".lock"]
    kept = Path(re.search(r"kept at (\S+\.ipynb)", msg).group(1))
    assert kept.is_file() and (kept.parent.stat().st_mode & 0o777) == 0o700
    assert "kassaki-failed-" in kept.parent.name and not kept.is_relative_to(out)


@pytest.mark.slow
def test_second_run_identical_tables_and_manifest(report, tmp_path):
    second = runner.run_report(report["params"], out_root=tmp_path, echo=lambda s: None)
    a, b = load_manifest(report["paths"].folder), load_manifest(second.folder)
    assert a["run_id"] == b["run_id"]
    diff = {k for k in set(a) | set(b) if a.get(k) != b.get(k)}
    if "git" in diff:
        # other engineers commit to this checkout while the suite runs: a changed commit or
        # working tree is a real change of software, not noise of the report
        assert a["git"]["commit"] != b["git"]["commit"] or a["git"]["dirty"] != b["git"]["dirty"]
        diff.discard("git")
    assert diff <= set(VOLATILE_KEYS), diff
    for t in a["tables"]:
        assert (report["paths"].folder / t["csv"]).read_bytes() == (second.folder / t["csv"]).read_bytes()


@pytest.mark.slow
def test_partner_view_and_previous_year(report, tmp_path):
    prev = report["paths"].folder
    paths = runner.run_report({**report["params"], "partner": "bank_sulselbar", "languages": ["en"],
                               "previous": str(prev)}, out_root=tmp_path, echo=lambda s: None)
    html = paths.html["en"].read_text()
    assert "Targeting accuracy" not in html  # not a section the bank owns
    assert "Microcredit" in html and "Vocational training" not in html
    assert "Comparison with last year" in html and "Key estimates: last year and this year" in html
    m = load_manifest(paths.folder)
    assert "targeting_registry" not in [t["name"] for t in m["tables"]]


@pytest.mark.slow
def test_disclosure_attack_on_a_report_with_a_lone_small_kecamatan(tmp_path):
    """Seed 7 at scale 0.1 has exactly one mainland kecamatan below k = 20 in 2025 (16
    households; the next smallest has 25): without complementary suppression it would be
    recovered from the zone and district totals. The whole report is attacked."""
    from attack import attack
    params = {"year": 2025, "languages": ["en"], "k_suppress": 20,
              "source": {"kind": "demo", "seed": 7, "scale": 0.1}}
    paths = runner.run_report(params, out_root=tmp_path, echo=lambda s: None)
    with open(paths.folder / "tables" / "poverty_kecamatan.csv", newline="") as fh:
        kec = list(csv.DictReader(fh))
    sup = [r for r in kec if r["suppressed"] == "True"]
    assert len(sup) >= 2 and {r["zone"] for r in sup} == {"mainland"}
    s, n_blank = published_system(paths.folder)
    res = attack(s)
    recovered = [u for u, (lo, hi) in res.items()
                 if hi - lo < (0.5 if u[0] in ("n_hh", "hh_weighted", "n_psu", "n_families",
                                                "n_desil_1_4") else 1e-6)]
    print(f"\ndisclosure attack (lone small kecamatan): {n_blank} suppressed cells, "
          f"{len(res)} attacked, {len(recovered)} recovered")
    assert len(res) > 0 and recovered == []
    # a partner view of the same year (YKPM: data, poverty, impact): the attacker holds both
    view = runner.run_report({**params, "partner": "ykpm"}, out_root=tmp_path,
                             echo=lambda s: None)
    s2, n2 = published_system(view.folder)
    for var, v in s2.known.items():
        s.value(var, v)
    for var in s2.unknown:
        s.value(var, None)
    s.rows.extend(s2.rows)
    res = attack(s)
    recovered = [u for u, (lo, hi) in res.items()
                 if hi - lo < (0.5 if u[0] in ("n_hh", "hh_weighted", "n_psu", "n_families",
                                                "n_desil_1_4") else 1e-6)]
    print(f"disclosure attack (full report + ykpm view): {n_blank + n2} suppressed cells, "
          f"{len(res)} attacked, {len(recovered)} recovered")
    assert len(res) > 0 and recovered == []


def test_no_body_word_breaks_in_a_docx_table(report):
    """Every report table's columns (the grid LibreOffice lays out by, and the cells' widths)
    hold each body cell's longest word at the table's font size, measured in DejaVu Sans plus
    the cell margins; in an even split "mainland", "18.3%" and "Observations" broke."""
    import docx
    from docx.oxml.ns import qn

    from kassaki_eval.reporting.docxtable import GRID_PAD, text_twips
    from kassaki_eval.reporting.documents import NARROW_MARGIN

    folder = report["paths"].folder
    for lang in ("id", "en"):
        doc = docx.Document(str(folder / f"report_2025_{lang}.docx"))
        sizes = set()
        for tab in doc.tables:
            tbl = tab._tbl
            grid = [int(g.get(qn("w:w"))) for g in tbl.tblGrid.iter(qn("w:gridCol"))]
            mar = tbl.tblPr.find(qn("w:tblCellMar"))
            pad = GRID_PAD if mar is None else 2 * NARROW_MARGIN
            for tr in tbl.tr_lst[1:]:
                for j, tc in enumerate(tr.tc_lst):
                    assert int(tc.tcPr.tcW.get(qn("w:w"))) == grid[j]
                    runs = list(tc.iter(qn("w:r")))
                    text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
                    sz = [r.find(qn("w:rPr")).find(qn("w:sz")) for r in runs
                          if r.find(qn("w:rPr")) is not None]
                    pt = int(sz[0].get(qn("w:val"))) / 2 if sz and sz[0] is not None else 10
                    sizes.add(pt)
                    for w in text.split():
                        assert text_twips(w, pt) + pad <= grid[j], (lang, w, grid[j])
        assert {7.0, 9.0} <= sizes  # dense tables shrink, small ones keep 9 pt
