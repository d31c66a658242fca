"""The report pipeline: validate, prepare inputs, run the notebooks, publish atomically.

``run_report`` is what ``kassaki-eval report`` and ``make report`` call:

1. validate the parameters (pydantic, before any kernel starts) and refuse to overwrite an
   existing report of the same year and view unless ``overwrite=True``;
2. prepare the inputs (demo world written as raw files into ``inputs/`` and read back through
   the validated loaders; or the user's files, hashed and read);
3. run the five notebooks with papermill, one kernel each, showing progress per notebook;
   each notebook saves its results as structured data (JSON + Parquet) through the library;
4. publish from those files: one HTML report per language (outputs only: no code), one
   formatted .xlsx per language, one CSV per table, ``key_results.json`` and
   ``manifest.json``;
5. all of it inside a temporary folder ``reports/<year>/.tmp-…`` renamed to
   ``reports/<year>/<run-id>/`` at the very end. A failure removes the temporary folder and
   raises :class:`~kassaki_eval.exceptions.ReportError` naming the notebook and the cell.

Example
-------
>>> from kassaki_eval.reporting.runner import run_report                # doctest: +SKIP
>>> paths = run_report({"year": 2025, "source": {"scale": 0.1}})        # doctest: +SKIP
>>> paths.html["en"], paths.xlsx["id"], paths.manifest                  # doctest: +SKIP
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .. import __version__, config
from ..exceptions import ReportError, ReportExistsError
from . import disclosure
from .blocks import Table, load_blocks
from .context import DATA, RESULTS, WORK
from .i18n import t
from .inputs import prepare_inputs, write_prepared
from .manifest import (build_manifest, git_commit, package_versions, run_id_for, sha256_file,
                       write_manifest)
from .params import PartnerView, ReportParams, validate_params

__all__ = ["NOTEBOOKS", "ReportPaths", "run_report", "notebooks_dir", "existing_reports"]

NOTEBOOKS: tuple[str, ...] = ("01_data_quality", "02_poverty", "03_targeting", "04_impact",
                              "05_summary")
KERNEL = "python3"  # resolves to this interpreter's ipykernel (jupyter_client maps "python")


@dataclass
class ReportPaths:
    """Where a finished report is."""

    folder: Path
    run_id: str
    html: dict[str, Path] = field(default_factory=dict)
    xlsx: dict[str, Path] = field(default_factory=dict)
    manifest: Path | None = None
    seconds: float = 0.0


def notebooks_dir() -> Path:
    """The report notebooks (jupytext py:percent files); ``KASSAKI_NOTEBOOKS_DIR`` overrides."""
    return Path(os.environ.get("KASSAKI_NOTEBOOKS_DIR", config.PROJECT_ROOT / "notebooks"))


def existing_reports(year_dir: Path, view: str) -> list[Path]:
    """Finished reports of this year and view (folders ``<view>-*`` holding a manifest)."""
    if not year_dir.is_dir():
        return []
    return sorted(p for p in year_dir.iterdir()
                  if p.is_dir() and p.name.startswith(f"{view}-") and (p / "manifest.json").is_file())


def _check_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        raise ReportError(f"no Jupyter kernel named '{KERNEL}' is installed for {sys.executable}. "
                          f"Fix: {sys.executable} -m pip install ipykernel") from None


def _read_notebooks(folder: Path, names: Sequence[str]) -> dict[str, Any]:
    import jupytext
    missing = [n for n in names if not (folder / f"{n}.py").is_file()]
    if missing:
        raise ReportError(f"report notebook(s) {missing} not found in {folder}. Fix: run from a "
                          f"checkout of kassaki-eval or set KASSAKI_NOTEBOOKS_DIR.")
    nbs = {}
    for n in names:
        nb = jupytext.read(folder / f"{n}.py")
        # deterministic cell ids: jupytext draws random ones
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{n}-{i:02d}"
        nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python 3",
                                     "language": "python"}
        nbs[n] = nb
    return nbs


def _cell_error(name: str, exc: Any, nb_path: Path, keep: Path | None) -> ReportError:
    src = str(getattr(exc, "source", "") or "").strip().splitlines()
    first = next((s for s in src if s.strip() and not s.lstrip().startswith("#")), "")
    cell = getattr(exc, "exec_count", None) or getattr(exc, "cell_index", "?")
    where = f" The executed notebook is kept at {keep} for inspection." if keep else ""
    return ReportError(
        f"notebook {name} failed in cell {cell} (`{first[:120]}`): "
        f"{getattr(exc, 'ename', type(exc).__name__)}: {getattr(exc, 'evalue', exc)}. "
        f"Nothing was published.{where}")


def _kernel_manager_class() -> type:
    """A kernel manager talking over local IPC sockets instead of plain-text TCP.

    ipykernel warns (rightly) that TCP without CurveZMQ keys is readable by anyone on the
    machine; Unix-domain sockets in a private temporary folder are not.
    """
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IPCKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _ip_default(self) -> str:
            d = Path(tempfile.gettempdir()) / "kassaki-kernels"
            d.mkdir(mode=0o700, exist_ok=True)
            return str(d / uuid.uuid4().hex[:12])

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            # Always this interpreter (where kassaki_eval is installed): a user-level
            # 'python3' kernelspec (~/.local/share/jupyter) may point to another Python.
            if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
                cmd[0] = sys.executable
            return cmd

    return IPCKernelManager


def _execute(name: str, nb: Any, out_path: Path, params_json: dict[str, Any], cwd: Path,
             timeout: int) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    try:
        pm.execute_notebook(nb, str(out_path), parameters={"report_params": params_json,
                                                           "run_dir": "."},
                            kernel_name=KERNEL, progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,
                            # the kernel's working directory; papermill's own `cwd=` would
                            # chdir the whole process, which is not safe with two threads
                            resources={"metadata": {"path": str(cwd)}},
                            start_timeout=120, execution_timeout=timeout,
                            kernel_manager_class=_kernel_manager_class())
    except PapermillExecutionError as e:
        keep = None
        if out_path.is_file():
            keep = Path(tempfile.gettempdir()) / "kassaki-failed" / out_path.name
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out_path, keep)
        raise _cell_error(name, e, out_path, keep) from None


def _strip_volatile(path: Path) -> None:
    """Drop papermill's timing metadata so the executed notebooks are comparable run to run."""
    nb = json.loads(path.read_text())
    nb.get("metadata", {}).pop("papermill", None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"{path.stem}-{i:02d}"  # papermill's injected cell gets a random id
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _run_notebooks(nbs: Mapping[str, Any], tmp: Path, params_json: dict[str, Any], timeout: int,
                   jobs: int | None, say: Callable[[str], None], timings: dict[str, float]) -> None:
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    total = len(NOTEBOOKS)
    index = {n: i for i, n in enumerate(NOTEBOOKS, start=1)}

    def one(name: str) -> None:
        t0 = time.perf_counter()
        say(f"[{index[name]}/{total}] {name} ...")
        out_nb = tmp / "notebooks" / f"{name}.ipynb"
        _execute(name, nbs[name], out_nb, params_json, tmp, timeout)
        _strip_volatile(out_nb)
        timings[name] = time.perf_counter() - t0
        say(f"[{index[name]}/{total}] {name} done ({timings[name]:.1f} s)")

    n_jobs = max(1, jobs if jobs is not None else min(2, os.cpu_count() or 1))
    first, last = NOTEBOOKS[:-1], NOTEBOOKS[-1]
    if n_jobs == 1:
        for name in first:
            one(name)
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(one, n) for n in first]
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            for f in pending:
                f.cancel()  # a failure stops the notebooks not yet started
            wait(futures)
        errors = [f.exception() for f in futures if not f.cancelled() and f.exception()]
        if errors:
            raise errors[0]  # type: ignore[misc]
    one(last)


def _published_tables(blocks: list[dict[str, Any]], view: PartnerView) -> list[Table]:
    tables: list[Table] = []
    seen: dict[str, str] = {}
    for m in blocks:
        if m["section"] != "meta" and not view.shows(m["section"]):
            continue
        for meta in m["tables"]:
            name = meta["name"]
            if name in seen:
                raise ReportError(f"table name '{name}' is used by both {seen[name]} and "
                                  f"{m['key']}; sheet names must be unique.")
            seen[name] = m["key"]
            tab = Table(name=name, data=m["tables_data"][name], formats=meta["formats"],
                        title_key=meta["title_key"], note_key=meta["note_key"],
                        translate=tuple(meta["translate"]), n_suppressed=meta["n_suppressed"],
                        count_col=meta["count_col"])
            tab = tab.filtered("component", view.components)
            disclosure.check_publishable(tab.data, name)  # again, on what is really written
            tables.append(tab)
    return tables


def _key_results(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in blocks:
        out.update(m.get("numbers", {}))
    return out  # notebook order, then the order each section recorded them


def _scan_outputs(folder: Path, ids: set[str]) -> None:
    """Refuse to publish if any output holds an id of the analysis tables or an NIK shape.

    ``inputs/`` is skipped: it exists only for demo data (synthetic raw files with fake
    identities, kept so anyone can re-run the report); real inputs are never copied.
    """
    for p in sorted(folder.rglob("*")):
        if p.is_relative_to(folder / "inputs"):
            continue
        if not p.is_file() or p.suffix not in (".html", ".csv", ".json", ".ipynb", ".xlsx"):
            continue
        if p.suffix == ".xlsx":
            import zipfile
            with zipfile.ZipFile(p) as z:
                text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                                 if n.endswith(".xml"))
        else:
            text = p.read_text(encoding="utf-8", errors="replace")
        hits = disclosure.find_identifiers(text, ids)
        if hits:
            # quote pseudonymous ids only; an NIK-shaped number is shown by its length
            shown = [h if not h.isdigit() else f"<{len(h)} digits>" for h in hits[:3]]
            raise ReportError(f"output {p.relative_to(folder)} would publish {len(hits)} "
                              f"identifier(s) (e.g. {', '.join(shown)}): pseudonymous ids or "
                              f"NIK-shaped numbers. Nothing was published.")


def _source_text(params: ReportParams, lang: str) -> str:
    src = params.source
    if src.kind == "demo":
        return t("report.source_demo", lang, seed=src.seed, scale=src.scale)
    return t("report.source_files", lang)


def run_report(params: Mapping[str, Any] | ReportParams, *, out_root: Path | None = None,
               overwrite: bool = False, echo: Callable[[str], None] | None = None,
               notebooks: Path | None = None, timeout: int = 900,
               jobs: int | None = None) -> ReportPaths:
    """Make the annual report; return where it is. See the module docstring.

    ``jobs`` kernels run at once (default: 2, or 1 on a single core); notebooks 1-4 are
    independent, the summary (5) runs last because it reads their saved results.
    """
    t_start = time.perf_counter()
    say = echo or (lambda s: print(s, flush=True))
    p = validate_params(params)
    view = PartnerView(p.partner)
    year_dir = Path(out_root or config.reports_dir()) / str(p.year)
    old = existing_reports(year_dir, view.name)
    if old and not overwrite:
        raise ReportExistsError(
            f"a {p.year} report ({view.name} view) exists already: {old[-1]}. Nothing was run. "
            f"Fix: pass --overwrite to replace a report made from the same inputs and "
            f"parameters (other runs are kept), or --out DIR to write elsewhere.")
    nbs = _read_notebooks(notebooks or notebooks_dir(), NOTEBOOKS)
    _check_kernel()
    params_json = p.to_json_dict()
    timings: dict[str, float] = {}

    year_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{view.name}-", dir=year_dir))
    tmp.chmod(0o755)  # mkdtemp makes it private; a published report is readable
    try:
        t0 = time.perf_counter()
        say(f"[inputs] {_source_text(p, 'en')} ...")
        demo = p.source.kind == "demo"
        prep = prepare_inputs(p, tmp / "inputs" if demo else None, root=tmp)
        write_prepared(prep, tmp / WORK / DATA)
        timings["inputs"] = time.perf_counter() - t0
        run_id = run_id_for(params_json, prep.input_hashes(), view.name)
        final = year_dir / run_id
        if final.exists() and not overwrite:
            raise ReportExistsError(f"{final} exists already (same inputs and parameters). "
                                    f"Fix: pass --overwrite.")
        say(f"[inputs] {len(prep.files)} files, {len(prep.tables)} tables validated "
            f"({timings['inputs']:.1f} s); run id {run_id}")
        nb_hashes = {n: sha256_file((notebooks or notebooks_dir()) / f"{n}.py") for n in NOTEBOOKS}
        partial = {"params": params_json, "inputs": prep.files, "software": package_versions(),
                   "git": git_commit(), "notebooks": nb_hashes, "year": p.year}
        (tmp / WORK / "manifest.partial.json").write_text(json.dumps(partial, default=str))

        (tmp / "notebooks").mkdir()
        _run_notebooks(nbs, tmp, params_json, timeout, jobs, say, timings)

        t0 = time.perf_counter()
        say("[publish] HTML, xlsx, CSV, manifest ...")
        blocks = load_blocks(tmp / WORK / RESULTS)
        tables = _published_tables(blocks, view)
        from .excel import write_csvs, write_workbook
        from .html import assemble_report
        csvs = write_csvs(tmp / "tables", tables)
        executed = [(n, json.loads((tmp / "notebooks" / f"{n}.ipynb").read_text()))
                    for n in NOTEBOOKS]
        html_paths, xlsx_paths, sheets = {}, {}, {}
        for lang in p.languages:
            view_txt = t(f"val.partner.{view.partner}", lang) if view.partner else \
                t("report.view_full", lang)
            subtitle = [t("report.subtitle", lang, year=p.year),
                        t("report.run", lang, run_id=run_id, source=_source_text(p, lang),
                          view=view_txt)]
            if demo:
                subtitle.append(t("report.demo_warning", lang))
            doc = assemble_report(executed, lang, title=t("report.title", lang),
                                  subtitle_lines=subtitle,
                                  footer=t("report.footer", lang, version=__version__))
            html_paths[lang] = tmp / f"report_{p.year}_{lang}.html"
            html_paths[lang].write_text(doc, encoding="utf-8")
            readme = [(t("xlsx.run_id", lang), run_id), (t("xlsx.year", lang), str(p.year)),
                      (t("xlsx.language", lang), lang), (t("xlsx.view", lang), view_txt),
                      (t("xlsx.k", lang), str(p.k_suppress)),
                      (t("xlsx.manifest", lang), "manifest.json")]
            xlsx_paths[lang] = tmp / f"tables_{p.year}_{lang}.xlsx"
            sheets[lang] = write_workbook(xlsx_paths[lang], tables, lang, readme=readme)
        keys = _key_results(blocks)
        (tmp / "key_results.json").write_text(json.dumps(keys, indent=1) + "\n")

        ids: set[str] = set()
        for name in ("registry", "survey", "participation"):
            for col in ("family_id", "hh_id", "record_id"):
                df = prep.tables.get(name)
                if df is not None and col in df.columns:
                    ids.update(df[col].dropna().astype(str).tolist())
        shutil.rmtree(tmp / WORK)
        _scan_outputs(tmp, ids - {""})  # before the manifest: it hashes what was checked
        timings["publish"] = time.perf_counter() - t0

        table_meta = [{"name": tab.name, "sheet": tab.name, "csv": f"tables/{tab.name}.csv",
                       "rows": int(len(tab.data)), "columns": [str(c) for c in tab.data.columns],
                       "suppressed_rows": tab.n_suppressed, "count_col": tab.count_col,
                       "title_key": tab.title_key,
                       "sha256": sha256_file(csvs[tab.name])} for tab in tables]
        outputs = {str(f.relative_to(tmp)): sha256_file(f) for f in
                   [*html_paths.values(), *xlsx_paths.values(), tmp / "key_results.json",
                    *csvs.values(), *sorted((tmp / "notebooks").glob("*.ipynb"))]}
        timings["total"] = time.perf_counter() - t_start
        manifest = build_manifest(
            run_id=run_id, params_json=params_json, inputs=prep.files, tables=table_meta,
            outputs=outputs, timings=timings, notebooks=nb_hashes,
            extra={"view": view.name, "languages": list(p.languages),
                   "sheets": {lang: s for lang, s in sheets.items()},
                   "loader": prep.loader, "executed_notebooks": [
                       f"notebooks/{n}.ipynb" for n in NOTEBOOKS]})
        write_manifest(tmp / "manifest.json", manifest)

        # publish: one rename; an existing folder of the same run id is swapped out first
        trash = None
        if final.exists():
            trash = year_dir / f".old-{run_id}-{os.getpid()}"
            final.rename(trash)
        tmp.rename(final)
        if trash is not None:
            shutil.rmtree(trash, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - t_start
    return ReportPaths(folder=final, run_id=run_id,
                       html={k: final / v.name for k, v in html_paths.items()},
                       xlsx={k: final / v.name for k, v in xlsx_paths.items()},
                       manifest=final / "manifest.json", seconds=seconds)
