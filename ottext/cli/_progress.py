"""How ``ottext run`` shows its stages on stderr: a rich bar per stage on a terminal, a plain line
per finished stage on a log (a file, a pipe, CI)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ottext.progress import UNITS, RunProgress, counted


class LogProgress(RunProgress):
    """``cleaning: 4 documents in 3.1 s``: a line as each stage ends, and, while a long document
    is cleaned, a line per tenth of it."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out
        self.begun = time.perf_counter()
        self.started: dict[str, float] = {}

    def _print(self, line: str) -> None:
        print(line, file=self.out or sys.stderr, flush=True)

    def start(self, stage: str, total: int | None = None) -> None:
        self.started[stage] = time.perf_counter()

    def detail(self, stage: str, text: str, done: int | None = None, of: int | None = None) -> None:
        if done is None or not of:
            return
        if done == of or (done * 10) // of != ((done - 1) * 10) // of:
            self._print(f"ottext: {stage} {text}: part {done} of {of} ({100 * done // of}%;"
                        f" {time.perf_counter() - self.begun:.0f}s into the run)")

    def end(self, stage: str, count: int) -> None:
        seconds = time.perf_counter() - self.started.pop(stage, self.begun)
        self._print(f"{stage}: {counted(stage, count)} in {seconds:.1f} s")


class TerminalProgress(RunProgress):
    """A rich bar per stage, its timer running (rich redraws in its own thread) until the stage
    ends; a context manager, so the bars stop drawing however the run ends."""

    def __init__(self, console: Console | None = None) -> None:
        self.bar = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                            TextColumn("{task.fields[detail]}"), console=console or Console(stderr=True))
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> TerminalProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def start(self, stage: str, total: int | None = None) -> None:
        self.tasks[stage] = self.bar.add_task(stage, total=total, unit=f"{UNITS[stage]}s", detail="")

    def advance(self, stage: str, n: int = 1, total: int | None = None) -> None:
        self.bar.update(self.tasks[stage], advance=n, **({} if total is None else {"total": total}))

    def detail(self, stage: str, text: str, done: int | None = None, of: int | None = None) -> None:
        shown = text if len(text) <= 40 else "..." + text[-37:]
        self.bar.update(self.tasks[stage], detail=shown if done is None else f"{shown} part {done}/{of}")

    def end(self, stage: str, count: int) -> None:
        unit = UNITS[stage] if count == 1 else f"{UNITS[stage]}s"
        self.bar.update(self.tasks[stage], total=count, completed=count, unit=unit, detail="")
