"""Faults: a run killed with SIGKILL mid-way leaves the store consistent, and the next run finishes
the work with no duplicate passages or codings."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import DEMO

from ottext.codebook import load_codebook
from ottext.run import RunOptions, run_project
from ottext.store import Store


def _codings(db: Path) -> int:
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute("SELECT COUNT(*) FROM model_codings").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_during_coding_then_rerun_finishes_cleanly(tmp_path):
    project = tmp_path / "p"
    script = ("import sys; from ottext.run import run_project, RunOptions; "
              f"run_project([{str(DEMO)!r}], {str(project)!r}, RunOptions(topics=False))")
    proc = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "HF_HUB_OFFLINE": "1"})
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and _codings(project / "project.db") == 0:
        time.sleep(0.05)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partly = _codings(project / "project.db")
    summary = run_project([DEMO], project, RunOptions(topics=False))
    with Store(project) as store:
        assert store.integrity() == "ok"
        counts = store.coding_counts()
        totals = store.counts()
        statuses = [r["status"] for r in store.db.execute("SELECT status FROM runs ORDER BY id")]
    n_codes = len(load_codebook().ids)
    assert partly > 0 and summary.passages_coded > 0
    assert totals["coded"] == totals["passages"] - totals["low_content"]
    assert set(counts.values()) == {n_codes}  # one coding per code, never duplicated
    assert statuses == ["interrupted", "finished"]
    fresh = run_project([DEMO], tmp_path / "fresh", RunOptions(topics=False))
    assert fresh.totals["passages"] == totals["passages"] and fresh.totals["documents"] == totals["documents"]
