"""Run safety of ``run_report``: one run per year, no microdata under reports/ after any exit,
failed notebooks never written through a planted link, no absolute path published, no formula
in the workbook.

The report runs here use five tiny stand-in notebooks (``KASSAKI_NOTEBOOKS_DIR``): each reads
the analysis tables through ``_work`` (so the private work folder is really used), prints the
injected parameters (so the input paths reach the executed notebooks) and sleeps a little, so
that a kill can land in every phase. The real notebooks are exercised by test_pipeline.py.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kassaki_eval import config
from kassaki_eval.data.pseudonymise import pseudonymise_id
from kassaki_eval.exceptions import ReportError
from kassaki_eval.reporting import runner
from kassaki_eval.reporting.blocks import Table
from kassaki_eval.reporting.excel import write_csvs, write_workbook
from kassaki_eval.synthetic.world import generate_world

ROOT = Path(__file__).resolve().parents[2]
KEY = "a-real-looking-key-0123456789abcdef"

_NB = '''# %% tags=["parameters"]
report_params = {{}}
run_dir = None

# %%
import json, time
from pathlib import Path
info = json.loads((Path(run_dir) / "_work" / "data" / "inputs.json").read_text())
print("params", json.dumps(report_params))
print("tables", sorted(c["table"] for c in info["checks"]))
time.sleep({sleep})
'''


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("notebooks")
    for n in runner.NOTEBOOKS:
        (d / f"{n}.py").write_text(_NB.format(sleep=0.5))
    return d


@pytest.fixture(scope="module")
def real_files(tmp_path_factory) -> Path:
    """The demo world's raw files, with survey and participation ids re-made with KEY (as a
    district would deliver them: every table pseudonymised with the same secret key)."""
    d = tmp_path_factory.mktemp("inputs with spaces")
    generate_world(seed=5, scale=0.02).write(d, population=False)
    kk = pd.read_csv(d / "registry_raw.csv", dtype=str)["no_kk"]
    remap = dict(zip(pseudonymise_id(kk, config.DEMO_PSEUDONYM_KEY), pseudonymise_id(kk, KEY)))
    for f in [*d.glob("survey_*.csv"), d / "participation.csv"]:
        t = pd.read_csv(f, dtype=str, keep_default_na=False)
        t["family_id"] = t["family_id"].map(lambda v: remap.get(v, v))
        t.to_csv(f, index=False)
    return d


def _files_params(d: Path) -> dict:
    return {"year": 2025, "languages": ["en"], "source": {
        "kind": "files", "registry": str(d / "registry_raw.csv"),
        "survey": [str(d / f"survey_{y}.csv") for y in (2023, 2024, 2025)],
        "participation": str(d / "participation.csv"),
        "rollout": str(d / "truth" / "rollout.csv")}}


_SCRIPT = """
import json, sys
from pathlib import Path
from kassaki_eval.reporting.runner import run_report
from kassaki_eval.exceptions import KassakiError
params = json.loads(sys.argv[1])
try:
    p = run_report(params, out_root=Path(sys.argv[2]), notebooks=Path(sys.argv[3]), jobs=1,
                   echo=lambda s: print(s, flush=True))
    print("PUBLISHED", p.folder.name, flush=True)
except KassakiError as e:
    print("ERROR", e, flush=True)
    sys.exit(2)
"""


def _start(params: dict, out: Path, nbs: Path, tmpdir: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmpdir), KASSAKI_PSEUDONYM_KEY=KEY)
    return subprocess.Popen([sys.executable, "-c", _SCRIPT, json.dumps(params), str(out),
                             str(nbs)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=str(ROOT))


def _microdata_under(root: Path) -> list[str]:
    """Files under ``root`` (links not followed) holding analysis tables or ids."""
    bad = []
    for dirpath, _dirs, files in os.walk(root, followlinks=False):
        for f in files:
            p = Path(dirpath) / f
            if p.is_symlink():
                continue
            if p.suffix == ".parquet":
                bad.append(str(p.relative_to(root)))
                continue
            text = p.read_bytes().decode("utf-8", "replace")
            if re.search(r"\bF[0-9a-f]{16}\b|(?<!\d)\d{16}(?!\d)", text):
                bad.append(str(p.relative_to(root)))
    return bad


def test_concurrent_runs_publish_exactly_one_report(tmp_path, stand_in):
    n = 3
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    params = {"year": 2025, "languages": ["en"], "source": {"kind": "demo", "seed": 3,
                                                            "scale": 0.02}}
    procs = [_start(params, tmp_path / "reports", stand_in, tmpdir) for _ in range(n)]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    codes = [p.returncode for p in procs]
    print(f"\nconcurrency: {n} runs -> exit codes {codes}")
    assert codes.count(0) == 1, outs
    for code, out in zip(codes, outs):
        if code != 0:
            assert code == 2 and ("another report run for 2025 is in progress" in out
                                  or "exists already" in out), out
            assert "Traceback" not in out
    year = tmp_path / "reports" / "2025"
    published = [p for p in year.iterdir() if p.is_dir()]
    assert len(published) == 1 and (published[0] / "manifest.json").is_file()
    assert not list(tmpdir.glob("kassaki-work-*"))  # every work folder removed


@pytest.mark.parametrize("moment", ["inputs", "data_written", "notebooks", "sigterm"])
def test_kill_leaves_no_microdata_under_reports(tmp_path, stand_in, moment):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    out = tmp_path / "reports"
    params = {"year": 2025, "languages": ["en"], "source": {"kind": "demo", "seed": 3,
                                                            "scale": 0.02}}
    proc = _start(params, out, stand_in, tmpdir)
    work_glob = f"kassaki-work-{proc.pid}-*"

    def reached() -> bool:
        works = list(tmpdir.glob(work_glob))
        if moment == "inputs":  # the folder is marked with its reports root
            return any((w / ".owner").is_file() for w in works)
        if moment == "data_written":
            return any((w / "data" / "inputs.json").is_file() for w in works)
        return bool(list(out.glob("2025/.tmp-*/notebooks/*.ipynb"))) or \
            any((w / "results").exists() for w in works) or \
            bool(list(out.glob("2025/.tmp-*/notebooks")))

    t0 = time.monotonic()
    while not reached():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() - t0 < 300
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM if moment == "sigterm" else signal.SIGKILL)
    proc.communicate(timeout=120)
    print(f"\nkill at {moment}: exit {proc.returncode}")
    assert _microdata_under(out) == []
    leftovers = list(tmpdir.glob(work_glob))
    if moment == "sigterm":
        assert proc.returncode != 0
        assert leftovers == [] and not list(out.glob("2025/.tmp-*"))  # cleaned up on its own
    else:
        for w in leftovers:  # the private folder: owner only
            assert (w.stat().st_mode & 0o777) == 0o700
        env_tmp = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = str(tmpdir)
        import tempfile
        tempfile.tempdir = None
        try:
            removed = runner.clean_stale(out)  # `kassaki-eval clean`
        finally:
            if env_tmp is None:
                os.environ.pop("TMPDIR")
            else:
                os.environ["TMPDIR"] = env_tmp
            tempfile.tempdir = None
        assert set(leftovers) <= set(removed)
        assert not list(tmpdir.glob(work_glob)) and not list(out.glob("2025/.tmp-*"))


def test_files_route_publishes_no_absolute_path(tmp_path, stand_in, real_files, monkeypatch):
    monkeypatch.setenv("KASSAKI_PSEUDONYM_KEY", KEY)
    paths = runner.run_report(_files_params(real_files), out_root=tmp_path / "reports",
                              notebooks=stand_in, jobs=1, echo=lambda s: None)
    folder = paths.folder
    nb = (folder / "notebooks" / "01_data_quality.ipynb").read_text()
    assert "survey_2025.csv" in nb  # the parameters are there, by file name only
    for f in folder.rglob("*"):
        if f.is_file():
            text = f.read_bytes().decode("utf-8", "replace")
            assert str(real_files) not in text, f
            assert json.dumps(str(real_files))[1:-1] not in text, f
    m = json.loads((folder / "manifest.json").read_text())
    assert m["params"]["source"]["registry"] == "registry_raw.csv"


def test_scan_refuses_an_absolute_path(tmp_path):
    (tmp_path / "key_results.json").write_text('{"x": "/home/someone/data/p3ke.xlsx"}')
    with pytest.raises(ReportError, match=r"would publish an absolute path of this machine "
                                          r"\(…/p3ke.xlsx\)"):
        runner._scan_paths(tmp_path, [Path("/home/someone/data/p3ke.xlsx")])


def test_failed_notebook_copy_never_follows_a_planted_link(tmp_path):
    src = tmp_path / "04_impact.ipynb"
    src.write_text("{}")
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    planted = tmp_path / "dst.ipynb"
    planted.symlink_to(victim)
    with pytest.raises(OSError):
        runner._safe_copy(src, planted)
    assert victim.read_text() == "keep me"
    kept: list[Path] = []
    a = runner._keep_failed(src, kept)
    assert a is not None and a.read_text() == "{}" and a.parent == kept[0]
    assert (kept[0].stat().st_mode & 0o777) == 0o700
    assert runner._keep_failed(src, kept) is None  # exclusive: never overwrites


def test_workbook_and_csv_write_formula_text_as_text(tmp_path):
    from openpyxl import load_workbook
    files = pd.DataFrame({"file": ['=HYPERLINK("http://x","click")', "@SUM(A1)", "-2+3",
                                   "survey.csv"], "bytes": [1, 2, 3, 4]})
    tab = Table.build("input_files", files, title_key="report.title", k=10, count_col=None)
    write_workbook(tmp_path / "t.xlsx", [tab], "en", readme=[("x", "=1+1")])
    wb = load_workbook(tmp_path / "t.xlsx")
    cells = [wb["input_files"][f"A{i}"] for i in range(2, 6)]
    assert [c.data_type for c in cells] == ["s"] * 4
    assert cells[0].value == '=HYPERLINK("http://x","click")'
    assert wb["README"]["B3"].data_type == "s"
    write_csvs(tmp_path, [tab])
    rows = (tmp_path / "input_files.csv").read_text().splitlines()
    assert rows[1].startswith('"\'=HYPERLINK') and rows[2].startswith("'@SUM")
    assert rows[3].startswith("'-2+3") and rows[4].startswith("survey.csv")


def test_headline_number_of_a_suppressed_group_is_refused():
    groups = pd.DataFrame({"dimension": ["zone", "zone"], "group": ["island", "mainland"],
                           "p0": [np.nan, 0.1], "suppressed": [True, False]})
    blocks = [{"numbers": {"p0": {"value": 0.12}, "p0_island": {"value": 0.3}},
               "tables_data": {"poverty_groups": groups}}]
    with pytest.raises(ReportError, match=r"key result 'p0_island' rests on the group 'island'"):
        runner._key_results(blocks)
    blocks[0]["numbers"].pop("p0_island")
    assert list(runner._key_results(blocks)) == ["p0"]


def test_clean_removes_only_dead_runs_of_this_reports_root(tmp_path, monkeypatch):
    import tempfile
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    monkeypatch.setattr(tempfile, "tempdir", None)
    root, other = tmp_path / "reports", tmp_path / "elsewhere"
    (root / "2025").mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()

    def work(pid: object, owner: Path) -> Path:
        d = tmpdir / f"kassaki-work-{pid}-x{len(list(tmpdir.iterdir()))}"
        d.mkdir(mode=0o700)
        (d / ".owner").write_text(str((owner / "2025").resolve()))
        (d / "survey.parquet").write_bytes(b"PAR1")
        return d

    gone, foreign, alive = work(dead, root), work(dead, other), work(os.getpid(), root)
    stale = root / "2025" / ".tmp-full-abc"
    stale.mkdir()
    (stale / "_work").symlink_to(gone)
    removed = runner.clean_stale(root)
    assert set(removed) == {gone, stale}
    assert foreign.is_dir() and alive.is_dir() and not gone.exists() and not stale.exists()


def test_a_long_tmpdir_still_starts_the_kernels(tmp_path, stand_in):
    # a Unix socket path holds 108 bytes: under a TMPDIR this long every kernel failed to
    # start with ZMQ's "File name too long" (the sockets went to $TMPDIR/kassaki-kernels)
    tmpdir = tmp_path / ("t" * 60) / ("u" * 60)
    tmpdir.mkdir(parents=True)
    assert len(str(tmpdir)) > 120
    params = {"year": 2025, "languages": ["en"], "source": {"kind": "demo", "seed": 3,
                                                            "scale": 0.02}}
    proc = _start(params, tmp_path / "reports", stand_in, tmpdir)
    out = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, out
    assert not list(tmpdir.glob("kassaki-work-*"))


@pytest.fixture
def short_tmp():
    """A temporary folder with a short path (pytest's tmp_path can be too long for sockets)."""
    import shutil
    import tempfile
    d = Path(tempfile.mkdtemp(prefix="k", dir="/tmp"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_kernel_socket_dir_fits_a_socket_path(short_tmp):
    short = runner.kernel_socket_dir(str(short_tmp))
    assert short == short_tmp / "kassaki-kernels"
    assert short.stat().st_mode & 0o777 == 0o700
    long_tmp = short_tmp / ("x" * 100)
    long_tmp.mkdir()
    d = runner.kernel_socket_dir(str(long_tmp))
    assert d == Path("/tmp") / f"kassaki-kernels-{os.getuid()}"
    longest = d / f"{'f' * 12}-65535"
    assert len(os.fsencode(str(longest))) <= runner.SOCKET_PATH_MAX


def test_kernel_socket_dir_open_to_others_is_refused(short_tmp):
    d = short_tmp / "kassaki-kernels"
    d.mkdir(mode=0o777)
    d.chmod(0o777)
    with pytest.raises(ReportError, match="readable by others.*Fix: remove it"):
        runner.kernel_socket_dir(str(short_tmp))


def test_kernels_share_the_cores_instead_of_oversubscribing_blas():
    """Two kernels on two cores: one BLAS/OpenMP thread each (a user's setting is kept)."""
    env = runner.kernel_env(2, cpus=2, environ={"PATH": "/bin"})
    assert env["PATH"] == "/bin"
    assert all(env[v] == "1" for v in runner.THREAD_VARS)
    assert runner.kernel_env(2, cpus=8, environ={})["OPENBLAS_NUM_THREADS"] == "4"
    assert runner.kernel_env(1, cpus=2, environ={})["OMP_NUM_THREADS"] == "2"
    assert runner.kernel_env(4, cpus=2, environ={})["MKL_NUM_THREADS"] == "1"
    kept = runner.kernel_env(2, cpus=2, environ={"OPENBLAS_NUM_THREADS": "3"})
    assert kept["OPENBLAS_NUM_THREADS"] == "3" and kept["OMP_NUM_THREADS"] == "1"
