"""The run log of a project store: the run lock, each run's row (begun, finished, discarded or
interrupted) and the problems a run met. Mixed into ``Store``, which owns the connection."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import UTC, datetime

from ottext.store.lock import lock_is_held, release_lock, take_lock


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunLog:
    """Runs and the run lock (``self.db``, ``self.dir``, ``self._run_id`` and ``self._lock_fd``
    are the store's)."""

    def lock(self) -> None:
        """Take the project's run lock; a second run gets a clear error instead of waiting."""
        self._lock_fd = take_lock(self.dir)

    def unlock(self) -> None:
        """Release the run lock; a run begun here and not finished (the command failed) is marked
        failed, so no export takes the project for mid-run. A killed process never gets here:
        its run stays 'running' and reads as interrupted."""
        if self._run_id is not None:
            with contextlib.suppress(sqlite3.Error):  # never hide the error that stopped the command
                self.db.execute("UPDATE runs SET status = 'failed', finished_at = ? WHERE id = ?"
                                " AND status = 'running'", (now(), self._run_id))
            self._run_id = None
        if self._lock_fd is not None:
            release_lock(self._lock_fd)
            self._lock_fd = None

    # runs ------------------------------------------------------------------------------------
    def begin_run(self) -> str:
        """A new run id: its start time and its number in this project (ids sort by time)."""
        # the caller holds the run lock, so a run still marked running was killed: say so
        self.db.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
        seq = self.db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] + 1
        run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + f"-{seq:04d}"
        self.db.execute("INSERT INTO runs (id, started_at, status) VALUES (?, ?, 'running')",
                        (run_id, now()))
        self._run_id = run_id
        return run_id

    def finish_run(self, run_id: str, status: str, summary: dict) -> None:
        self.db.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                        (now(), status, json.dumps(summary, sort_keys=True), run_id))
        if run_id == self._run_id:
            self._run_id = None

    def discard_run(self, run_id: str) -> None:
        """Forget a run begun here that read nothing: its row and its problem list go."""
        with self.transaction() as db:
            db.execute("DELETE FROM problems WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        if run_id == self._run_id:
            self._run_id = None

    def unfinished_run(self) -> tuple[str, str] | None:
        """("is in progress" or "was interrupted", its start time) when the last run has not
        finished: in progress while another process holds the run lock, else killed."""
        row = self.db.execute("SELECT status, started_at FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None or row["status"] != "running" or self._lock_fd is not None:
            return None
        return ("is in progress" if lock_is_held(self.dir) else "was interrupted"), row["started_at"]

    def finished_runs(self) -> list[dict]:
        """Manifests of the finished runs, oldest first."""
        rows = self.db.execute("SELECT summary FROM runs WHERE status = 'finished' AND summary IS NOT NULL ORDER BY id")
        return [json.loads(r["summary"]) for r in rows]

    def passage_runs(self) -> list[tuple[str, str]]:
        """(passage id, the run that wrote it) for every passage."""
        return [(r["id"], r["run_id"]) for r in self.db.execute("SELECT id, run_id FROM passages ORDER BY id")]

    def add_problem(self, run_id: str, source: str, level: str, message: str) -> None:
        from ottext.errors import printable

        self.db.execute("INSERT INTO problems VALUES (?, ?, ?, ?)",
                        (run_id, printable(source), level, printable(message)))

