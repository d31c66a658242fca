"""Progress of a report run on the terminal: a bar with stage names and elapsed time.

On a terminal (TTY) :class:`Progress` draws one tqdm bar (stages done / all stages, the
stages running now, elapsed time) and prints each finished stage above it. Anywhere else (CI
logs, a pipe, a file) it prints plain lines with the elapsed time, one per event, so a log
reads top to bottom without control characters.

Example
-------
>>> import io
>>> out = io.StringIO()
>>> with Progress(["inputs", "publish"], file=out, tty=False) as pr:
...     pr.start("inputs", "[inputs] synthetic world ...")
...     pr.done("inputs", "[inputs] 4 tables validated")
>>> print(out.getvalue().splitlines()[-1][-27:])
[inputs] 4 tables validated
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

__all__ = ["Progress"]


class Progress:
    """Stages of a run, for the terminal or a log.

    Parameters
    ----------
    stages : sequence of str
        Every stage of the run, in order (the bar's total).
    file : text stream, optional
        Where to write (default ``sys.stderr``).
    tty : bool, optional
        Force the bar (True) or plain lines (False); default: whether ``file`` is a terminal.
    """

    def __init__(self, stages: Sequence[str], *, file: IO[str] | None = None,
                 tty: bool | None = None):
        self.stages = list(stages)
        self.file = file if file is not None else sys.stderr
        isatty = getattr(self.file, "isatty", None)
        self.tty = bool(isatty and isatty()) if tty is None else tty
        self.t0 = time.perf_counter()
        self.running: list[str] = []
        self.finished: list[str] = []
        self._lock = threading.Lock()
        self._bar: Any = None
        if self.tty:
            from tqdm import tqdm
            self._bar = tqdm(total=len(self.stages), file=self.file, unit="stage",
                             bar_format="{desc} |{bar}| {n_fmt}/{total_fmt} stages "
                                        "[{elapsed}]", dynamic_ncols=True, leave=True)
            self._bar.set_description_str("starting")

    # -- events ---------------------------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.t0

    def line(self, text: str) -> None:
        """A message: above the bar on a terminal, a plain line with the elapsed time else."""
        with self._lock:
            if self._bar is not None:
                self._bar.write(text, file=self.file)
            else:
                print(f"[{self.elapsed():6.1f} s] {text}", file=self.file, flush=True)

    def start(self, stage: str, text: str | None = None) -> None:
        """``stage`` begins (``text``: what it does)."""
        with self._lock:
            self.running.append(stage)
            self._describe()
        if text is not None and self._bar is None:
            self.line(text)

    def done(self, stage: str, text: str | None = None) -> None:
        """``stage`` ended (``text``: its result)."""
        with self._lock:
            if stage in self.running:
                self.running.remove(stage)
            self.finished.append(stage)
            if self._bar is not None:
                self._bar.update(1)
            self._describe()
        if text is not None:
            self.line(text)

    def close(self) -> None:
        """Remove the bar (the finished lines stay)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None

    def _describe(self) -> None:
        if self._bar is not None:
            self._bar.set_description_str(", ".join(self.running) or "…")

    def __enter__(self) -> Progress:
        """Use as a context manager: the bar is closed at the end."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the bar."""
        self.close()
