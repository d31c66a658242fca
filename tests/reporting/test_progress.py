"""The report's progress display and end summary (issue 14)."""
from __future__ import annotations

import io
import re
from pathlib import Path

from kassaki_eval.reporting.cli import summary_text
from kassaki_eval.reporting.progress import Progress
from kassaki_eval.reporting.runner import ReportPaths


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()  # not a TTY: a CI log
    with Progress(["inputs", "02_poverty", "publish"], file=out) as pr:
        assert not pr.tty
        pr.start("inputs", "[inputs] synthetic world ...")
        pr.done("inputs", "[inputs] 4 tables validated")
        pr.start("02_poverty")          # no text: nothing printed
        pr.done("02_poverty", "[2/5] 02_poverty done (1.0 s)")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert all(re.match(r"^\[\s*\d+\.\d s\] ", x) for x in lines), lines
    assert lines[-1].endswith("[2/5] 02_poverty done (1.0 s)")
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()


def test_bar_with_running_stage_names_on_a_terminal() -> None:
    out = io.StringIO()
    pr = Progress(["inputs", "01_data_quality", "02_poverty", "publish"], file=out, tty=True)
    pr.start("01_data_quality")
    pr.start("02_poverty")
    pr.done("01_data_quality", "[1/5] 01_data_quality done (2.0 s)")
    text = out.getvalue()
    assert "01_data_quality, 02_poverty" in text      # both running, named on the bar
    assert "1/4 stages" in text                       # one of four done
    assert "[1/5] 01_data_quality done (2.0 s)" in text  # the finished line, above the bar
    assert re.search(r"\[00:0\d\]", text)             # elapsed time
    pr.close()


def test_summary_names_folder_formats_warnings_and_time(tmp_path: Path) -> None:
    f = tmp_path / "2025" / "full-abc"
    paths = ReportPaths(folder=f, run_id="full-abc", html={"id": f / "report_2025_id.html"},
                        xlsx={"id": f / "tables_2025_id.xlsx"}, manifest=f / "manifest.json",
                        seconds=12.34, docx={"id": f / "report_2025_id.docx"},
                        warnings=["02_poverty: KassakiWarning: only 2 PSUs in stratum 7"],
                        timings={"inputs": 3.0, "01_data_quality": 2.0, "02_poverty": 4.0,
                                 "publish": 2.5, "total": 12.0})
    text = summary_text(paths)
    assert "finished in 12.3 s" in text
    assert f"folder:    {f}" in text
    assert "formats:   HTML, docx, xlsx" in text and "(not written: PDF)" in text
    assert "warnings:  1:" in text and "only 2 PSUs in stratum 7" in text
    assert "inputs 3.0 s, notebooks 6.0 s" in text and "publish 2.5 s" in text
