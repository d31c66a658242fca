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

Run safety:

- **One run per report year at a time.** ``reports/<year>/.lock`` is locked (``flock``) for the
  whole run, before the existing-report check; a second run for the same year fails at once
  with a clear error and leaves the first alone. The lock dies with its process.
- **Microdata never under reports/.** The analysis tables (pseudonymous ids) and the notebooks'
  saved results live in a private work folder ``$TMPDIR/kassaki-work-<pid>-*`` (mode 0700),
  reached from the run folder through the ``_work`` symbolic link; it is removed on any exit,
  including SIGTERM/SIGHUP/SIGINT. After a hard kill (SIGKILL, power loss) run
  ``kassaki-eval clean`` (:func:`clean_stale`): it removes the work folders of dead
  processes and unlocked ``.tmp-*`` run folders.
- **Failed notebooks** are kept for inspection in a fresh private folder
  (``$TMPDIR/kassaki-failed-<year>-*``, 0700) and written with ``O_EXCL | O_NOFOLLOW``: a
  planted file or symbolic link is never followed or overwritten.
- **No absolute paths** are published: input paths are replaced by their file names in the
  manifest, the executed notebooks, the HTML and the tables; a final scan refuses to publish
  an output that still holds one.

Example
-------
>>> from kassaki_eval.reporting.runner import run_report                # doctest: +SKIP
>>> paths = run_report({"year": 2025, "source": {"scale": 0.1}})        # doctest: +SKIP
>>> paths.html["en"], paths.xlsx["id"], paths.manifest                  # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__, config
from ..exceptions import ReportError, ReportExistsError
from . import disclosure
from .blocks import Table, load_blocks
from .context import DATA, RESULTS, WORK
from .i18n import t
from .inputs import prepare_inputs, write_prepared
from .manifest import (
    build_manifest,
    git_commit,
    package_versions,
    run_id_for,
    sha256_file,
    write_manifest,
)
from .params import PartnerView, ReportParams, validate_params
from .progress import Progress

__all__ = ["NOTEBOOKS", "ReportPaths", "run_report", "notebooks_dir", "existing_reports",
           "year_lock", "clean_stale", "WORK_PREFIX", "redact_paths"]

WORK_PREFIX = "kassaki-work-"     # private work folders in the temporary directory

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
    docx: dict[str, Path] = field(default_factory=dict)
    pdf: dict[str, Path] = field(default_factory=dict)
    #: warnings of the run: the parent's and those the notebooks printed (``Kind: text``)
    warnings: list[str] = field(default_factory=list)
    #: seconds per stage (inputs, each notebook, publish, total), as in the manifest
    timings: dict[str, float] = field(default_factory=dict)


def notebooks_dir() -> Path:
    """The report notebooks (jupytext py:percent files); ``KASSAKI_NOTEBOOKS_DIR`` overrides."""
    return Path(os.environ.get("KASSAKI_NOTEBOOKS_DIR", config.PROJECT_ROOT / "notebooks"))


def existing_reports(year_dir: Path, view: str) -> list[Path]:
    """Finished reports of this year and view (folders ``<view>-*`` holding a manifest)."""
    if not year_dir.is_dir():
        return []
    return sorted(
        p
        for p in year_dir.iterdir()
        if p.is_dir() and p.name.startswith(f"{view}-") and (p / "manifest.json").is_file()
    )


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


#: Longest Unix-domain socket path (``sun_path`` is 108 bytes on Linux, 104 on macOS).
SOCKET_PATH_MAX = 103


def kernel_socket_dir(tmp: str | None = None) -> Path:
    """A private folder for the kernels' IPC sockets, short enough for a socket path.

    ``<temporary dir>/kassaki-kernels`` when its socket paths (``<dir>/<12 hex>-<port>``) fit
    in :data:`SOCKET_PATH_MAX` bytes, else ``/tmp/kassaki-kernels-<uid>``: a long ``TMPDIR``
    made every kernel fail to start with ZMQ's "File name too long". The folder is made
    0700; one that exists but belongs to another user or is open to others is refused.
    """
    tmp = tempfile.gettempdir() if tmp is None else tmp
    longest = len("/kassaki-kernels/") + 12 + len("-65535")
    candidates = [Path(tmp) / "kassaki-kernels", Path("/tmp") / f"kassaki-kernels-{os.getuid()}"]
    for d in candidates:
        if len(os.fsencode(str(d.parent))) + longest <= SOCKET_PATH_MAX and d.parent.is_dir():
            d.mkdir(mode=0o700, exist_ok=True)
            st = d.stat()
            if st.st_uid != os.getuid() or st.st_mode & 0o077:
                raise ReportError(
                    f"the kernels' socket folder {d} belongs to another user or is readable by "
                    f"others. Nothing was run. Fix: remove it, or set TMPDIR to a private "
                    f"folder of yours.")
            return d
    raise ReportError(
        f"the temporary folder's path is too long for the kernels' sockets ({len(tmp)} "
        f"characters; a socket path holds at most {SOCKET_PATH_MAX} bytes) and /tmp is not "
        f"usable. Nothing was run. Fix: set TMPDIR to a shorter folder, e.g. TMPDIR=/tmp.")


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
            return str(kernel_socket_dir() / uuid.uuid4().hex[:12])

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            # Always this interpreter (where kassaki_eval is installed): a user-level
            # 'python3' kernelspec (~/.local/share/jupyter) may point to another Python.
            if len(cmd) >= 3 and cmd[1:3] == ["-m", "ipykernel_launcher"]:
                cmd[0] = sys.executable
            return cmd

    return IPCKernelManager


def _execute(name: str, nb: Any, out_path: Path, params_json: dict[str, Any], cwd: Path,
             timeout: int, failed_dir: list[Path], km: Any = None) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError
    try:
        extra: dict[str, Any] = ({"km": km} if km is not None
                                 else {"kernel_manager_class": _kernel_manager_class()})
        pm.execute_notebook(nb, str(out_path), parameters={"report_params": params_json,
                                                           "run_dir": "."},
                            kernel_name=KERNEL, progress_bar=False, log_output=False,
                            request_save_on_cell_execute=False,
                            # the kernel's working directory; papermill's own `cwd=` would
                            # chdir the whole process, which is not safe with two threads
                            resources={"metadata": {"path": str(cwd)}},
                            start_timeout=120, execution_timeout=timeout, **extra)
    except PapermillExecutionError as e:
        keep = None
        if out_path.is_file():
            keep = _keep_failed(out_path, failed_dir)
        raise _cell_error(name, e, out_path, keep) from None


#: Run in each kernel as soon as it starts (while the parent still prepares the inputs): the
#: imports every report notebook needs, so that no notebook pays them.
WARM_UP = ("import matplotlib\nmatplotlib.use('Agg')\nimport pyarrow.parquet\n"
           "import IPython.display\n"
           "import kassaki_eval.reporting.sections, kassaki_eval.reporting.html\n"
           # the RD authors' package pulls in plotnine and numba (0.7 CPU s): paid while the
           # parent prepares the inputs, not inside the impact notebook
           "import rdrobust\n")
#: Run between two notebooks in one kernel: nothing of the last notebook stays but the
#: imported modules (names, figures and open files are gone, cells count from 1 again;
#: warnings are reset by ``context.start``). Both run with ``store_history=False``: the
#: executed notebooks are the same as from a fresh kernel.
RESET = ("get_ipython().reset(new_session=True)\n"
         "import matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt\n"
         "import gc as _gc\n_gc.collect()\ndel _gc\n")


class _Lane:
    """One kernel and the thread that talks to it (jupyter_client's loop is per thread).

    The kernel starts (and runs :data:`WARM_UP`) as soon as the lane is made; notebooks then
    run on it one after another, with :data:`RESET` in between.
    """

    def __init__(self, cwd: Path, start_timeout: int = 120, env: dict[str, str] | None = None):
        from concurrent.futures import ThreadPoolExecutor
        self.cwd = cwd
        self.env = env
        self.km: Any = None
        self.clients: list[Any] = []
        self.used = False
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kassaki-kernel")
        self.ready = self.pool.submit(self._start, start_timeout)

    def _run_code(self, code: str, timeout: int) -> None:
        from jupyter_core.utils import run_sync
        kc = self.km.client()
        kc.start_channels()
        try:
            run_sync(kc.wait_for_ready)(timeout=timeout)
            reply = run_sync(kc.execute_interactive)(code, timeout=timeout,
                                                     store_history=False,
                                                     output_hook=lambda msg: None)
        finally:
            kc.stop_channels()
            self.clients.remove(kc)
        if reply["content"].get("status") != "ok":
            c = reply["content"]
            raise ReportError(f"a report kernel could not prepare itself: "
                              f"{c.get('ename')}: {c.get('evalue')}")

    def _start(self, timeout: int) -> None:
        from jupyter_core.utils import run_sync
        self.km = _kernel_manager_class()(kernel_name=KERNEL)
        make_client = self.km.client

        def client(**kw: Any) -> Any:  # papermill's clients are closed after each notebook
            kc = make_client(**kw)
            self.clients.append(kc)
            return kc
        self.km.client = client
        # as nbclient starts its kernels: history in memory, not in ~/.ipython
        kw: dict[str, Any] = {} if self.env is None else {"env": self.env}
        run_sync(self.km.start_kernel)(cwd=str(self.cwd), **kw, extra_arguments=[
            "--HistoryManager.hist_file=:memory:"])
        self._run_code(WARM_UP, timeout)

    def run(self, name: str, nb: Any, out_path: Path, params_json: dict[str, Any],
            timeout: int, failed_dir: list[Path]) -> None:
        """Run one notebook on this lane's kernel (in the lane's thread; blocks)."""
        def job() -> None:
            self.ready.result()
            if self.used:
                self._run_code(RESET, timeout)
            self.used = True
            try:
                _execute(name, nb, out_path, params_json, self.cwd, timeout, failed_dir,
                         km=self.km)
            finally:
                while self.clients:
                    self.clients.pop().stop_channels()
        self.pool.submit(job).result()

    def cpu_seconds(self) -> float | None:
        """CPU seconds (user + system) the kernel process has used so far; None if unknown."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is None:
            return None
        try:
            import psutil
            c = psutil.Process(proc.pid).cpu_times()
        except Exception:  # noqa: BLE001 - a diagnostic only: no psutil, process gone
            return None
        return float(c.user + c.system)

    def kill(self) -> None:
        """Stop the kernel at once (from any thread) and let the lane's thread end."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Shut the kernel down (in the lane's thread) and end the thread."""
        from jupyter_core.utils import run_sync

        def stop() -> None:
            from jupyter_core.utils import ensure_event_loop
            if self.km is not None:
                if self.km.has_kernel:
                    run_sync(self.km.shutdown_kernel)(now=True)
                if getattr(self.km, "_created_context", False) and not self.km.context.closed:
                    self.km.context.destroy(linger=0)
            loop = ensure_event_loop()  # this thread's loop (jupyter_core made it)
            if not loop.is_running():
                loop.close()
        try:
            self.pool.submit(stop).result(timeout=60)
        except Exception:  # noqa: BLE001 - a kernel that will not stop is killed
            self.kill()
        self.pool.shutdown(wait=False)


#: Environment variables that size the BLAS / OpenMP thread pools of numpy, scipy, sklearn
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def kernel_env(n_lanes: int, cpus: int | None = None,
               environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a report kernel when ``n_lanes`` kernels run at once.

    Each kernel's BLAS gets ``cpus // n_lanes`` threads (at least one), as joblib does for its
    workers: with two kernels on two cores, OpenBLAS's default of one thread per core made
    four threads fight for two cores, and a 4,400 x 30 least-squares fit took 0.45 s instead
    of 4 ms (measured on this 2-core machine under load). A variable the user set is kept.
    """
    env = dict(os.environ if environ is None else environ)
    n = max(1, (cpus if cpus is not None else (os.cpu_count() or 1)) // max(1, n_lanes))
    for var in THREAD_VARS:
        env.setdefault(var, str(n))
    return env


def _lanes(n: int, cwd: Path) -> list[_Lane]:
    env = kernel_env(max(1, n))
    return [_Lane(cwd, env=env) for _ in range(max(1, n))]


def _safe_copy(src: Path, dst: Path) -> Path:
    """Copy ``src`` to a new file ``dst``: exclusive create, never through a symbolic link."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
        shutil.copyfileobj(inp, out)
    return dst


def _keep_failed(out_path: Path, failed_dir: list[Path]) -> Path | None:
    """Keep a failed executed notebook in this run's own private folder (created once)."""
    try:
        if not failed_dir:
            failed_dir.append(Path(tempfile.mkdtemp(prefix="kassaki-failed-")))  # 0700
        return _safe_copy(out_path, failed_dir[0] / out_path.name)
    except OSError:
        return None  # keeping a copy is a courtesy; the error itself must still be raised


def _strip_volatile(path: Path) -> None:
    """Drop papermill's timing metadata so the executed notebooks are comparable run to run."""
    nb = json.loads(path.read_text())
    nb.get("metadata", {}).pop("papermill", None)
    for i, cell in enumerate(nb.get("cells", [])):
        cell["id"] = f"{path.stem}-{i:02d}"  # papermill's injected cell gets a random id
        cell.get("metadata", {}).pop("papermill", None)
        cell.get("metadata", {}).pop("execution", None)
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


#: Longest first, so that two lanes finish together: the kernel CPU seconds each notebook
#: took at scale 1.0 (manifest "timings", "<name> (kernel CPU)", 2026-12-03, after the PDF
#: moved to Typst and BLAS to one thread per kernel) were 02 5.7, 04 3.8, 03 3.6, 01 1.5:
#: lane one runs 02 then 01, lane two 04 then 03 (7.4 and 7.3 s; the old order 02, 03, 01, 04
#: left one lane idle for 3.8 s). The summary (05) runs last: it reads the others' blocks.
_ORDER: tuple[str, ...] = ("02_poverty", "04_impact", "03_targeting", "01_data_quality")


def _run_notebooks(nbs: Mapping[str, Any], tmp: Path, params_json: dict[str, Any], timeout: int,
                   lanes: Sequence[_Lane], events: Any, timings: dict[str, float],
                   failed_dir: list[Path], before_last: Callable[[], None] | None = None
                   ) -> None:
    """Notebooks 1-4 on the lanes' kernels (each lane takes the next one when free), then 5.

    ``before_last`` is called when 1-4 are done, before 5 starts (the runner starts work that
    needs only their blocks, on the cores the summary leaves idle).
    """
    import collections
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    total = len(NOTEBOOKS)
    index = {n: i for i, n in enumerate(NOTEBOOKS, start=1)}
    first = [n for n in _ORDER if n in NOTEBOOKS[:-1]] + \
        [n for n in NOTEBOOKS[:-1] if n not in _ORDER]
    todo = collections.deque(first)
    lock = threading.Lock()
    stop = threading.Event()

    def one(lane: _Lane, name: str) -> None:
        t0 = time.perf_counter()
        events.start(name, f"[{index[name]}/{total}] {name} ...")
        out_nb = tmp / "notebooks" / f"{name}.ipynb"
        lane.ready.result()  # the kernel's start-up is not the notebook's CPU
        c0 = lane.cpu_seconds()
        lane.run(name, nbs[name], out_nb, params_json, timeout, failed_dir)
        c1 = lane.cpu_seconds()
        _strip_volatile(out_nb)
        timings[name] = time.perf_counter() - t0
        if c0 is not None and c1 is not None:  # what the notebook cost, whatever the load
            timings[f"{name} (kernel CPU)"] = c1 - c0
        events.done(name, f"[{index[name]}/{total}] {name} done ({timings[name]:.1f} s)")

    def drain(lane: _Lane) -> None:
        while not stop.is_set():
            with lock:
                if not todo:
                    return
                name = todo.popleft()
            try:
                one(lane, name)
            except BaseException:
                stop.set()  # a failure stops the notebooks not yet started
                raise

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        futures = [pool.submit(drain, lane) for lane in lanes]
        wait(futures, return_when=FIRST_EXCEPTION)
        wait(futures)
    errors = [f.exception() for f in futures if f.exception()]
    if errors:
        raise errors[0]  # type: ignore[misc]
    if before_last is not None:
        before_last()
    one(lanes[0], NOTEBOOKS[-1])


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
    # a headline number of a group that a table suppresses would undo the suppression
    hidden = set()
    for m in blocks:
        for df in m["tables_data"].values():
            if "group" in df.columns and "suppressed" in df.columns:
                hidden |= {str(g) for g in df.loc[df["suppressed"].astype(bool), "group"]}
    hidden -= {"all", "total"}
    for name in out:
        g = next((g for g in hidden if name.endswith(f"_{g}")), None)
        if g is not None:
            raise ReportError(f"key result '{name}' rests on the group '{g}', which a published "
                              f"table suppresses (too few households). Nothing was published. "
                              f"Fix: merge the group with a neighbour or leave the headline "
                              f"number out for this report.")
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


@contextlib.contextmanager
def year_lock(year_dir: Path, year: int) -> Any:
    """Hold ``year_dir/.lock`` (``flock``, exclusive, non-blocking) for one report run.

    Raises :class:`ReportError` at once when another process holds it. The lock is released
    when the block ends or the process dies (a SIGKILL leaves no stale lock).
    """
    year_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(year_dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise ReportError(
                f"another report run for {year} is in progress (process {holder} holds "
                f"{year_dir.name}/.lock). Nothing was run. Fix: wait for it to finish, then run "
                f"again (a finished report of the same inputs is kept; --overwrite replaces "
                f"it).") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out_root: Path | None = None) -> list[Path]:
    """Remove what a hard-killed run left.

    Private work folders of dead processes and ``.tmp-*`` run folders of report years nobody
    is running. Returns what was removed.

    This is ``kassaki-eval clean``.
    """
    removed: list[Path] = []
    root = Path(out_root or config.reports_dir())
    for d in Path(tempfile.gettempdir()).glob(f"{WORK_PREFIX}*"):
        try:
            pid = int(d.name[len(WORK_PREFIX):].split("-")[0])
            owner = Path((d / ".owner").read_text().strip())
        except (ValueError, OSError):
            continue
        # only folders of runs that wrote to this reports root, whose process is gone
        if d.is_dir() and not d.is_symlink() and d.stat().st_uid == os.getuid() \
                and owner.is_relative_to(root.resolve()) and not _pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    for year_dir in sorted(p for p in root.glob("*") if p.is_dir()):
        stale = [t for t in year_dir.glob(".tmp-*") if t.is_dir() and not t.is_symlink()]
        if not stale:
            continue
        try:
            with year_lock(year_dir, int(year_dir.name) if year_dir.name.isdigit() else 0):
                for t in stale:
                    work = t / WORK
                    if work.is_symlink():
                        target = Path(os.readlink(work))
                        work.unlink()
                        if target.name.startswith(WORK_PREFIX) and target.is_dir():
                            shutil.rmtree(target, ignore_errors=True)
                    shutil.rmtree(t, ignore_errors=True)
                    removed.append(t)
        except ReportError:
            continue  # a run is in progress for that year: its folders are not stale
    return removed


def redact_paths(text: str, paths: Sequence[Path | str]) -> str:
    """``text`` with every given absolute path replaced by its file name (also JSON-escaped)."""
    for raw in sorted({str(p) for p in paths if str(p).startswith("/")}, key=len, reverse=True):
        name = Path(raw).name
        text = text.replace(raw, name).replace(json.dumps(raw)[1:-1], name)
    return text


def _input_paths(p: ReportParams) -> list[Path]:
    src = p.source
    out: list[Path] = []
    if src.kind == "files":
        out = [Path(src.registry), *(Path(x) for x in src.survey), Path(src.participation),
               Path(src.rollout)]
    if p.previous is not None:
        out.append(Path(p.previous))
    full = out + [q.resolve() for q in out]
    return full + [q.parent for q in full if q.parent != Path("/")]


def _redacted_params(params_json: dict[str, Any], paths: Sequence[Path]) -> dict[str, Any]:
    return json.loads(redact_paths(json.dumps(params_json), paths))


class _Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP so that every clean-up block runs."""


@contextlib.contextmanager
def _cleanup_on_signals(cleanup: Callable[[], None]) -> Any:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = [signal.SIGTERM, signal.SIGHUP]
    old = {sg: signal.getsignal(sg) for sg in sigs}

    def handler(signum: int, frame: Any) -> None:
        cleanup()  # at once: kernels may keep the pool busy for minutes
        raise _Terminated(128 + signum)

    for sg in sigs:
        signal.signal(sg, handler)
    try:
        yield
    finally:
        for sg, h in old.items():
            signal.signal(sg, h)


def run_report(params: Mapping[str, Any] | ReportParams, *, out_root: Path | None = None,
               overwrite: bool = False, echo: Callable[[str], None] | None = None,
               notebooks: Path | None = None, timeout: int = 900,
               jobs: int | None = None) -> ReportPaths:
    """Make the annual report; return where it is. See the module docstring.

    ``jobs`` kernels run at once (default: 2, or 1 on a single core); notebooks 1-4 are
    independent, the summary (5) runs last because it reads their saved results.
    """
    t_start = time.perf_counter()
    p = validate_params(params)
    view = PartnerView(p.partner)
    year_dir = Path(out_root or config.reports_dir()) / str(p.year)
    events: Any = _Echo(echo) if echo is not None else \
        Progress(["inputs", *NOTEBOOKS, "publish"])
    try:
        with year_lock(year_dir, p.year):
            return _run_locked(p, view, year_dir, t_start, events, overwrite, notebooks,
                               timeout, jobs)
    finally:
        events.close()


class _Echo:
    """Progress events as plain lines through a callback (``run_report(echo=...)``)."""

    def __init__(self, echo: Callable[[str], None]):
        self.echo = echo

    def line(self, text: str) -> None:
        self.echo(text)

    def start(self, stage: str, text: str | None = None) -> None:
        if text is not None:
            self.echo(text)

    done = start

    def close(self) -> None:
        return None


def _run_locked(p: ReportParams, view: PartnerView, year_dir: Path, t_start: float,
                events: Any, overwrite: bool, notebooks: Path | None,
                timeout: int, jobs: int | None) -> ReportPaths:
    old = existing_reports(year_dir, view.name)
    if old and not overwrite:
        raise ReportExistsError(
            f"a {p.year} report ({view.name} view) exists already: {old[-1].name} in "
            f"{year_dir.name}/. Nothing was run. Fix: pass --overwrite to replace a report made "
            f"from the same inputs and parameters (other runs are kept), or --out DIR to write "
            f"elsewhere.")
    nb_dir = notebooks or notebooks_dir()
    missing = [n for n in NOTEBOOKS if not (nb_dir / f"{n}.py").is_file()]
    if missing:
        _read_notebooks(nb_dir, NOTEBOOKS)  # raises the clear error
    _check_kernel()
    params_json = p.to_json_dict()
    secret_paths = _input_paths(p)
    public_params = _redacted_params(params_json, secret_paths)
    timings: dict[str, float] = {}
    failed_dir: list[Path] = []

    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{view.name}-", dir=year_dir))
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))  # 0700, not in reports/
    (work / ".owner").write_text(str(year_dir.resolve()))  # for `kassaki-eval clean`
    done = threading.Event()
    lanes: list[_Lane] = []

    def cleanup() -> None:
        if done.is_set():
            return
        done.set()
        for lane in lanes:
            lane.kill()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        with _cleanup_on_signals(cleanup):
            tmp.chmod(0o755)  # mkdtemp makes it private; a published report is readable
            (tmp / WORK).symlink_to(work, target_is_directory=True)
            # kernels start and import the library while the parent prepares the inputs
            # (off the critical path)
            n_jobs = max(1, jobs if jobs is not None else min(2, os.cpu_count() or 1))
            lanes += _lanes(n_jobs, tmp)
            nbs = _read_notebooks(nb_dir, NOTEBOOKS)  # (jupytext's import is slow)
            with warnings.catch_warnings(record=True) as caught:  # counted in the summary
                final, docs, run_id = _build(
                    p, view, year_dir, tmp, work, nbs, params_json, public_params,
                    secret_paths, timings, events, overwrite, notebooks, timeout, lanes,
                    failed_dir, t_start)
    except BaseException:
        cleanup()
        raise
    finally:
        for lane in lanes:
            lane.kill()
    shutil.rmtree(work, ignore_errors=True)
    seconds = time.perf_counter() - t_start
    warned = [f"{w.category.__name__}: {w.message}" for w in caught]
    for w in caught:  # shown once more, as before (they were recorded for the count)
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return ReportPaths(folder=final, run_id=run_id,
                       html={k: final / v.name for k, v in docs.get("html", {}).items()},
                       xlsx={k: final / v.name for k, v in docs.get("xlsx", {}).items()},
                       docx={k: final / v.name for k, v in docs.get("docx", {}).items()},
                       pdf={k: final / v.name for k, v in docs.get("pdf", {}).items()},
                       manifest=final / "manifest.json", seconds=seconds,
                       warnings=warned + _notebook_warnings(final / "notebooks"),
                       timings=dict(timings))


def _notebook_warnings(folder: Path) -> list[str]:
    """Warnings the notebooks printed (``SomethingWarning: text`` on stderr), in order."""
    import re
    out: list[str] = []
    pat = re.compile(r"\b(\w*Warning): (.*)")
    for n in NOTEBOOKS:
        f = folder / f"{n}.ipynb"
        if not f.is_file():
            continue
        for cell in json.loads(f.read_text(encoding="utf-8")).get("cells", []):
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream" and o.get("name") == "stderr":
                    text = "".join(o.get("text", ""))
                    out += [f"{n}: {m.group(1)}: {m.group(2).strip()}"
                            for m in pat.finditer(text)]
    return out


def _build(p: ReportParams, view: PartnerView, year_dir: Path, tmp: Path, work: Path,
           nbs: dict[str, Any], params_json: dict[str, Any], public_params: dict[str, Any],
           secret_paths: list[Path], timings: dict[str, float], events: Any,
           overwrite: bool, notebooks: Path | None, timeout: int, lanes: list[_Lane],
           failed_dir: list[Path], t_start: float
           ) -> tuple[Path, dict[str, dict[str, Path]], str]:
    t0, c0 = time.perf_counter(), time.process_time()
    events.start("inputs", f"[inputs] {_source_text(p, 'en')} ...")
    demo = p.source.kind == "demo"
    # demo raw inputs are written to the private folder first and copied at publish time
    prep = prepare_inputs(p, work / "inputs" if demo else None, root=work)
    write_prepared(prep, work / DATA)
    timings["inputs"] = time.perf_counter() - t0
    timings["inputs (parent CPU)"] = time.process_time() - c0
    run_id = run_id_for(public_params, prep.input_hashes(), view.name)
    final = year_dir / run_id
    if final.exists() and not overwrite:
        raise ReportExistsError(f"{year_dir.name}/{run_id} exists already (same inputs and "
                                f"parameters). Fix: pass --overwrite.")
    events.done("inputs", f"[inputs] {len(prep.files)} files, {len(prep.tables)} tables "
                          f"validated ({timings['inputs']:.1f} s); run id {run_id}")
    nb_hashes = {n: sha256_file((notebooks or notebooks_dir()) / f"{n}.py") for n in NOTEBOOKS}
    partial = {"params": public_params, "inputs": prep.files, "software": package_versions(),
               "git": git_commit(), "notebooks": nb_hashes, "year": p.year}
    (work / "manifest.partial.json").write_text(json.dumps(partial, default=str))

    (tmp / "notebooks").mkdir()
    titles: dict[str, tuple[str, list[str], str]] = {}
    view_txts: dict[str, str] = {}
    for lang in p.languages:
        view_txts[lang] = t(f"val.partner.{view.partner}", lang) if view.partner else \
            t("report.view_full", lang)
        subtitle = [t("report.subtitle", lang, year=p.year),
                    t("report.run", lang, run_id=run_id, source=_source_text(p, lang),
                      view=view_txts[lang])]
        if demo:
            subtitle.append(t("report.demo_warning", lang))
        titles[lang] = (t("report.title", lang), subtitle,
                        t("report.footer", lang, version=__version__))
    docs_kw: dict[str, Any] = dict(
        year=p.year, languages=p.languages, shows=view.shows, components=view.components,
        redact=lambda s: redact_paths(s, secret_paths))
    cards_kw: dict[str, Any] = dict(
        k=p.k_suppress, subtitles={lang: titles[lang][1] for lang in p.languages},
        footers={lang: titles[lang][2] for lang in p.languages})
    from concurrent.futures import Future, ThreadPoolExecutor

    from .cards import write_village_cards  # one page per village for DPMD, same tables
    cards_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kassaki-cards")
    cards_job: list[Future[list[Path]]] = []

    def start_cards() -> None:
        # the village cards need only the village chapter's tables (notebook 2): they are
        # written (docx and PDF) while the summary notebook runs on one core
        def job() -> list[Path]:
            c = time.thread_time()
            out = write_village_cards(load_blocks(work / RESULTS, NOTEBOOKS[:-1]), tmp,
                                      **cards_kw, **docs_kw)
            timings["cards (thread CPU)"] = time.thread_time() - c
            return out
        cards_job.append(cards_pool.submit(job))

    try:
        _run_notebooks(nbs, tmp, params_json, timeout, lanes, events, timings, failed_dir,
                       before_last=start_cards)
    except BaseException:
        cards_pool.shutdown(wait=True)  # a failed run must not leave the thread writing
        raise
    for lane in lanes:
        lane.close()  # frees two cores' worth of kernels before publishing

    t0, c0 = time.perf_counter(), time.process_time()
    events.start("publish", "[publish] docx, PDF, HTML, xlsx, CSV, manifest ...")
    for n in NOTEBOOKS:  # the injected parameters cell holds the input paths
        nb_path = tmp / "notebooks" / f"{n}.ipynb"
        nb_path.write_text(redact_paths(nb_path.read_text(encoding="utf-8"), secret_paths),
                           encoding="utf-8")
    blocks = load_blocks(work / RESULTS)
    tables = [_redact_table(tab, secret_paths) for tab in _published_tables(blocks, view)]
    from .excel import write_csvs, write_workbook
    from .html import assemble_report
    csvs = write_csvs(tmp / "tables", tables)
    executed = [(n, json.loads((tmp / "notebooks" / f"{n}.ipynb").read_text()))
                for n in NOTEBOOKS]
    html_paths: dict[str, Path] = {}
    xlsx_paths: dict[str, Path] = {}
    sheets = {}
    from .documents import write_documents  # docx + PDF, same blocks
    doc_paths = write_documents(blocks, work / RESULTS, tmp, titles=titles, pdf=False,
                                **docs_kw)
    cards_all = cards_job[0].result()  # docx and PDF, written while notebook 5 ran
    cards_pool.shutdown()
    card_paths = [f for f in cards_all if f.suffix == ".docx"]

    def typeset() -> list[Path]:  # the PDFs, from the same blocks (Typst, :mod:`.typeset`)
        return write_documents(blocks, work / RESULTS, tmp, titles=titles, docx=False,
                               **docs_kw)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as pdf_pool:
        # Typst typesets the PDFs in a worker thread while HTML and xlsx are made and the
        # outputs checked (PDF and docx are made from the checked tables and text; the scans
        # read HTML, CSV, JSON, xlsx)
        pdf_job = pdf_pool.submit(typeset)
        for lang in p.languages:
            title, subtitle, footer = titles[lang]
            doc = assemble_report(executed, lang, title=title, subtitle_lines=subtitle,
                                  footer=footer)
            html_paths[lang] = tmp / f"report_{p.year}_{lang}.html"
            html_paths[lang].write_text(redact_paths(doc, secret_paths), encoding="utf-8")
            readme = [(t("xlsx.run_id", lang), run_id), (t("xlsx.year", lang), str(p.year)),
                      (t("xlsx.language", lang), lang), (t("xlsx.view", lang), view_txts[lang]),
                      (t("xlsx.k", lang), str(p.k_suppress)),
                      (t("xlsx.manifest", lang), "manifest.json")]
            xlsx_paths[lang] = tmp / f"tables_{p.year}_{lang}.xlsx"
            sheets[lang] = write_workbook(xlsx_paths[lang], tables, lang, readme=readme)
        keys = _key_results(blocks)
        (tmp / "key_results.json").write_text(
            redact_paths(json.dumps(keys, indent=1), secret_paths) + "\n")

        ids: set[str] = set()
        for name in ("registry", "survey", "participation"):
            for col in ("family_id", "hh_id", "record_id"):
                df = prep.tables.get(name)
                if df is not None and col in df.columns:
                    ids.update(df[col].dropna().astype(str).tolist())
        (tmp / WORK).unlink()  # the link to the private work folder; the folder goes at the end
        if demo and (work / "inputs").is_dir():
            shutil.copytree(work / "inputs", tmp / "inputs")  # synthetic raw files: re-runnable
        _scan_outputs(tmp, ids - {""})  # before the manifest: it hashes what was checked
        _scan_paths(tmp, [*secret_paths, work, tmp, year_dir.resolve()])
        pdfs = pdf_job.result()
    doc_paths += [f for f in pdfs if f.name.startswith("report_")]
    card_paths += [f for f in cards_all if f.suffix == ".pdf"]
    timings["publish"] = time.perf_counter() - t0
    timings["publish (parent CPU)"] = time.process_time() - c0  # with the Typst thread
    events.done("publish", f"[publish] done ({timings['publish']:.1f} s)")

    table_meta = [{"name": tab.name, "sheet": tab.name, "csv": f"tables/{tab.name}.csv",
                   "rows": int(len(tab.data)), "columns": [str(c) for c in tab.data.columns],
                   "suppressed_rows": tab.n_suppressed,
                   "count_col": tab.count_col, "title_key": tab.title_key,
                   "sha256": sha256_file(csvs[tab.name])} for tab in tables]
    outputs = {str(f.relative_to(tmp)): sha256_file(f) for f in
               [*html_paths.values(), *xlsx_paths.values(), *doc_paths, *card_paths,
                tmp / "key_results.json",
                *csvs.values(), *sorted((tmp / "notebooks").glob("*.ipynb"))]}
    timings["total"] = time.perf_counter() - t_start
    manifest = build_manifest(
        run_id=run_id, params_json=public_params, inputs=prep.files, tables=table_meta,
        outputs=outputs, timings=timings, notebooks=nb_hashes,
        extra={"view": view.name, "languages": list(p.languages),
               "village_cards": [f.name for f in card_paths],
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
    by_kind: dict[str, dict[str, Path]] = {"html": html_paths, "xlsx": xlsx_paths}
    for f in doc_paths:  # report_<year>_<lang>.docx / .pdf
        by_kind.setdefault(f.suffix[1:], {})[f.stem.rsplit("_", 1)[-1]] = f
    return final, by_kind, run_id


def _redact_table(tab: Table, paths: Sequence[Path]) -> Table:
    d = tab.data.copy()
    for c in d.columns:
        if pd.api.types.is_object_dtype(d[c]) or pd.api.types.is_string_dtype(d[c]):
            d[c] = d[c].map(lambda v: redact_paths(v, paths) if isinstance(v, str) else v)
    return Table(tab.name, d, dict(tab.formats), tab.title_key, tab.note_key, tab.translate,
                 tab.n_suppressed, tab.count_col)


def _scan_paths(folder: Path, paths: Sequence[Path]) -> None:
    """Refuse to publish an output that names an absolute path of this machine."""
    # a path of one or two parts (/, /tmp, /home) is too common a text to refuse on
    needles = sorted({str(q) for q in paths if len(Path(q).parts) >= 3}, key=len, reverse=True)
    for f in sorted(folder.rglob("*")):
        if not f.is_file() or f.suffix not in (".html", ".csv", ".json", ".ipynb", ".xlsx"):
            continue
        if f.is_relative_to(folder / "inputs"):
            continue
        if f.suffix == ".xlsx":
            import zipfile
            with zipfile.ZipFile(f) as z:
                text = "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
        else:
            text = f.read_text(encoding="utf-8", errors="replace")
        hit = next((n for n in needles if n in text or json.dumps(n)[1:-1] in text), None)
        if hit is not None:
            raise ReportError(f"output {f.relative_to(folder)} would publish an absolute path "
                              f"of this machine (…/{Path(hit).name}). Nothing was published.")
