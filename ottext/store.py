"""The project store: one SQLite database per project, the only code that writes SQL.

Documents, passages, redaction maps, runs and per-file problems live here. Every change to one
source file is written in one transaction, so a crash never leaves half a document.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ottext.errors import Errors, StoreError

SCHEMA_VERSION = 3  # 2: the forgotten table; 3: model codings one row per passage
DB_NAME = "project.db"
LOCK_NAME = ".ottext.lock"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
  summary TEXT
);
CREATE TABLE IF NOT EXISTS files (
  source TEXT PRIMARY KEY, path TEXT NOT NULL, content_hash TEXT NOT NULL, size INTEGER NOT NULL,
  settings TEXT NOT NULL, run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, respondent TEXT,
  context TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL, settings TEXT NOT NULL, text TEXT NOT NULL,
  removed TEXT NOT NULL DEFAULT '[]', run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS passages (
  id TEXT PRIMARY KEY,
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL,
  context TEXT NOT NULL DEFAULT '', speaker TEXT, low_content INTEGER NOT NULL DEFAULT 0,
  run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS passages_document ON passages(document_id, seq);
CREATE TABLE IF NOT EXISTS redactions (
  document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
  placeholder TEXT NOT NULL, kind TEXT NOT NULL, original TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS redactions_document ON redactions(document_id);
CREATE TABLE IF NOT EXISTS embeddings (
  embedder TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL,
  PRIMARY KEY (embedder, text_hash)
);
CREATE TABLE IF NOT EXISTS codings (
  passage_id TEXT NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
  code TEXT NOT NULL, score REAL, assigned INTEGER NOT NULL, source TEXT NOT NULL,
  model_version TEXT, run_id TEXT NOT NULL,
  PRIMARY KEY (passage_id, code, source)
);
CREATE INDEX IF NOT EXISTS codings_source ON codings(source, model_version);
CREATE TABLE IF NOT EXISTS model_codings (
  passage_id TEXT PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
  model_version TEXT NOT NULL, scores TEXT NOT NULL, codes TEXT NOT NULL, run_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topics (
  id INTEGER PRIMARY KEY, label TEXT NOT NULL, terms TEXT NOT NULL, centroid BLOB NOT NULL,
  run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topic_assignments (
  passage_id TEXT PRIMARY KEY REFERENCES passages(id) ON DELETE CASCADE,
  topic_id INTEGER NOT NULL, similarity REAL NOT NULL, run_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS forgotten (
  kind TEXT NOT NULL, key_hash TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (kind, key_hash)
);
CREATE TABLE IF NOT EXISTS problems (
  run_id TEXT NOT NULL, source TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL
);
"""


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class StoredDocument:
    id: str
    source: str
    content_hash: str
    settings: str


class Store:
    """A project directory with its SQLite database."""

    def __init__(self, project: str | Path) -> None:
        self.dir = Path(project)
        self.path = self.dir / DB_NAME
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(Errors.E305, file=self.path, detail=str(exc)) from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            found = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(Errors.E301, file=self.path, detail=str(exc)) from None
        if found > SCHEMA_VERSION:
            self.db.close()
            raise StoreError(Errors.E302, file=self.path, found=found, known=SCHEMA_VERSION)
        with self.transaction():  # idempotent: adds any table a newer ottext introduced
            for stmt in SCHEMA.split(";"):
                if stmt.strip():
                    self.db.execute(stmt)
            if 0 < found < 3:
                _move_model_codings(self.db)
            if found < SCHEMA_VERSION:
                self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._lock_fd: int | None = None
        self._read_cache: dict[str, tuple[str, object]] = {}

    def _cached(self, name: str, compute):
        """Read-only views that several exports need, computed once per state of the store: the
        key changes with every row this connection writes and every commit by another one."""
        key = (self.db.total_changes, self.db.execute("PRAGMA data_version").fetchone()[0])
        hit = self._read_cache.get(name)
        if hit is None or hit[0] != key:
            hit = (key, compute())
            self._read_cache[name] = hit
        return hit[1]

    # lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self.unlock()
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All statements inside commit together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    def lock(self) -> None:
        """Take the project's run lock; a second run gets a clear error instead of waiting."""
        fd = os.open(self.dir / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(Errors.E303, file=self.dir) from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
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
        return run_id

    def finish_run(self, run_id: str, status: str, summary: dict) -> None:
        self.db.execute("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?",
                        (now(), status, json.dumps(summary, sort_keys=True), run_id))

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

    # files and documents ---------------------------------------------------------------------
    def file_state(self, source: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT content_hash, settings FROM files WHERE source = ?",
                              (source,)).fetchone()
        return (row["content_hash"], row["settings"]) if row else None

    def source_of_hash(self, content_hash: str) -> str | None:
        row = self.db.execute("SELECT source FROM files WHERE content_hash = ? LIMIT 1",
                              (content_hash,)).fetchone()
        return row["source"] if row else None

    def documents_of(self, source: str) -> dict[str, StoredDocument]:
        rows = self.db.execute("SELECT id, source, content_hash, settings FROM documents WHERE source = ?",
                               (source,))
        return {r["id"]: StoredDocument(r["id"], r["source"], r["content_hash"], r["settings"]) for r in rows}

    def sync_source(self, *, source: str, path: str, content_hash: str, size: int, settings: str,
                    run_id: str, keep: set[str], documents: list[dict], passages: list[dict],
                    redactions: list[dict]) -> tuple[int, int]:
        """Replace one source file's documents in one transaction.

        ``keep`` are ids of unchanged documents; every other stored document of the source is
        replaced by ``documents`` (new or changed) or removed. Returns how many documents were
        removed and how many passages were deleted (those of removed and of changed documents).
        """
        with self.transaction() as db:
            stored = {r[0] for r in db.execute("SELECT id FROM documents WHERE source = ?", (source,))}
            incoming = {d["id"] for d in documents}
            stale = stored - keep
            removed = len(stale - incoming)
            gone = sum(db.execute("SELECT COUNT(*) FROM passages WHERE document_id = ?", (i,)).fetchone()[0]
                       for i in stale)
            db.executemany("DELETE FROM documents WHERE id = ?", [(i,) for i in stale])
            db.executemany(
                "INSERT INTO documents (id, source, kind, respondent, context, metadata, content_hash,"
                " settings, text, removed, run_id) VALUES (:id, :source, :kind, :respondent, :context,"
                " :metadata, :content_hash, :settings, :text, :removed, :run_id)", documents)
            db.executemany(
                'INSERT INTO passages (id, document_id, seq, start, "end", text, context, speaker,'
                " low_content, run_id) VALUES (:id, :document_id, :seq, :start, :end, :text,"
                " :context, :speaker, :low_content, :run_id)", passages)
            db.executemany(
                "INSERT INTO redactions VALUES (:document_id, :placeholder, :kind, :original)",
                redactions)
            db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(source) DO UPDATE SET"
                " path = excluded.path, content_hash = excluded.content_hash, size = excluded.size,"
                " settings = excluded.settings, run_id = excluded.run_id",
                (source, path, content_hash, size, settings, run_id))
        return removed, gone

    # meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def state_key(self) -> str:
        """Changes whenever documents, passages, codings or topics change (counts and newest run)."""
        parts = []
        for table in ("documents", "passages", "codings", "model_codings", "topics", "topic_assignments"):
            n, last = self.db.execute(f"SELECT COUNT(*), MAX(run_id) FROM {table}").fetchone()
            parts.append(f"{table}={n}@{last}")
        return ";".join(parts)

    # reading ---------------------------------------------------------------------------------
    def integrity(self) -> str:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0]

    def coding_counts(self) -> dict[str, int]:
        """Codes scored by the model per passage (every coded passage should have every code)."""
        return {r[0]: r[1] for r in self.db.execute(
            "SELECT passage_id, (SELECT COUNT(*) FROM json_each(scores)) FROM model_codings")}

    def counts(self) -> dict[str, int]:
        q = {
            "documents": "SELECT COUNT(*) FROM documents",
            "passages": "SELECT COUNT(*) FROM passages",
            "low_content": "SELECT COUNT(*) FROM passages WHERE low_content = 1",
            "files": "SELECT COUNT(*) FROM files",
            "coded": "SELECT COUNT(*) FROM model_codings",
        }
        return {k: self.db.execute(sql).fetchone()[0] for k, sql in q.items()}

    def iter_passages(self) -> Iterator[sqlite3.Row]:
        """Passages with their document's provenance, in a stable order."""
        yield from self._cached("passages", lambda: list(self.db.execute(
            'SELECT p.id, p.document_id, p.seq, p.start, p."end", p.text, p.context, p.speaker,'
            " p.low_content, p.run_id, d.source, d.kind, d.respondent, d.metadata"
            " FROM passages p JOIN documents d ON d.id = p.document_id"
            " ORDER BY d.source, d.id, p.seq")))

    def iter_documents(self) -> Iterator[sqlite3.Row]:
        yield from self.db.execute(
            "SELECT id, source, kind, respondent, context, metadata, text FROM documents"
            " ORDER BY source, id")

    # embeddings cache ------------------------------------------------------------------------
    def get_vectors(self, embedder_id: str, hashes: list[str], dim: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT text_hash, vector FROM embeddings WHERE embedder = ? AND text_hash IN ({marks})"
            for r in self.db.execute(sql, (embedder_id, *chunk)):
                vec = np.frombuffer(r["vector"], dtype=np.float32)
                if vec.shape == (dim,):
                    out[r["text_hash"]] = vec
        return out

    def put_vectors(self, embedder_id: str, items: dict[str, np.ndarray]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                           [(embedder_id, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()])

    # codings ---------------------------------------------------------------------------------
    def passages_to_code(self, model_version: str) -> list[sqlite3.Row]:
        """Passages (not low-content) without codings from this model version."""
        return list(self.db.execute(
            "SELECT p.id, p.text, p.context FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE p.low_content = 0 AND NOT EXISTS (SELECT 1 FROM model_codings c WHERE c.passage_id = p.id"
            " AND c.model_version = ?) ORDER BY d.source, d.id, p.seq", (model_version,)))

    def put_model_codings(self, rows: list[tuple[str, dict[str, float], list[str]]], model_version: str,
                          run_id: str) -> None:
        """The model's scores and assigned codes for these passages, replacing its earlier ones (human
        decisions are never touched)."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO model_codings VALUES (?, ?, ?, ?, ?)",
                           [(pid, model_version, json.dumps(scores), json.dumps(codes), run_id)
                            for pid, scores, codes in rows])

    def codings_by_passage(self) -> dict[str, dict]:
        """For each coded passage: the model's scores, the codes in force (the model's, with every
        human decision applied on top: a coder's latest decision on a code wins), the model version
        and the review status (``model`` or ``reviewed by NAME, ...``). Callers must not modify it."""
        return self._cached("codings", self._codings_by_passage)

    def _codings_by_passage(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        rows = self.db.cursor()
        rows.row_factory = None  # plain tuples: this reads a row per coded passage
        loads = json.loads
        for pid, version, scores, codes in rows.execute(
                "SELECT passage_id, model_version, scores, codes FROM model_codings ORDER BY passage_id"):
            out[pid] = {"scores": loads(scores), "codes": loads(codes), "model_version": version,
                        "review_status": "model"}
        decisions: dict[str, dict[str, int]] = {}
        coders: dict[str, set[str]] = {}
        for r in self.db.execute("SELECT passage_id, code, assigned, source FROM codings WHERE source LIKE 'coder:%'"
                                 " ORDER BY run_id, source"):
            decisions.setdefault(r["passage_id"], {})[r["code"]] = r["assigned"]
            coders.setdefault(r["passage_id"], set()).add(r["source"][len("coder:"):])
        for pid, decided in decisions.items():
            entry = out.get(pid)
            if entry is None:
                continue
            codes = [c for c in entry["codes"] if decided.get(c, 1)]
            codes += [c for c, yes in decided.items() if yes and c not in codes]
            entry["codes"] = codes
            entry["review_status"] = "reviewed by " + ", ".join(sorted(coders[pid]))
        return out

    def model_codes(self) -> dict[str, list[str]]:
        """The model's own assigned codes per passage (before any human decision)."""
        return {pid: json.loads(codes) for pid, codes in self.db.execute(
            "SELECT passage_id, codes FROM model_codings WHERE codes != '[]'")}

    def put_human_codings(self, rows: list[tuple[str, str, int]], coder: str, run_id: str) -> None:
        """A coder's decisions (passage, code, 1 or 0), replacing that coder's earlier ones on them."""
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO codings VALUES (?, ?, NULL, ?, ?, NULL, ?)",
                           [(pid, code, yes, f"coder:{coder}", run_id) for pid, code, yes in rows])

    def human_codings(self) -> dict[str, dict[str, dict[str, int]]]:
        """coder -> passage -> code -> 1/0, for every recorded decision."""
        out: dict[str, dict[str, dict[str, int]]] = {}
        for r in self.db.execute("SELECT passage_id, code, assigned, source FROM codings WHERE source LIKE 'coder:%'"):
            out.setdefault(r["source"][len("coder:"):], {}).setdefault(r["passage_id"], {})[r["code"]] = r["assigned"]
        return out

    # topics ----------------------------------------------------------------------------------
    def topic_candidates(self, min_words: int) -> list[sqlite3.Row]:
        """Passages that can carry a topic (not low-content, at least ``min_words`` words), with
        their current topic if any."""
        rows = self.db.execute(
            "SELECT p.id, p.text, a.topic_id FROM passages p LEFT JOIN topic_assignments a ON a.passage_id = p.id"
            " WHERE p.low_content = 0 ORDER BY p.id")
        return [r for r in rows if len(r["text"].split()) >= min_words]

    def topics(self) -> list[dict]:
        return [{"id": r["id"], "label": r["label"], "terms": json.loads(r["terms"]),
                 "centroid": np.frombuffer(r["centroid"], dtype=np.float32)}
                for r in self.db.execute("SELECT * FROM topics ORDER BY id")]

    def replace_topics(self, topics: list[dict], assignments: dict[str, tuple[int, float]], run_id: str) -> None:
        """A (re)fit: the new topic table and every assignment, in one transaction."""
        with self.transaction() as db:
            db.execute("DELETE FROM topic_assignments")
            db.execute("DELETE FROM topics")
            db.executemany("INSERT INTO topics VALUES (?, ?, ?, ?, ?)",
                           [(t["id"], t["label"], json.dumps(t["terms"]),
                             np.asarray(t["centroid"], np.float32).tobytes(), run_id) for t in topics])
            db.executemany("INSERT INTO topic_assignments VALUES (?, ?, ?, ?)",
                           [(pid, tid, sim, run_id) for pid, (tid, sim) in sorted(assignments.items())])

    def add_topic_assignments(self, assignments: dict[str, tuple[int, float]], run_id: str) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO topic_assignments VALUES (?, ?, ?, ?)",
                           [(pid, tid, sim, run_id) for pid, (tid, sim) in sorted(assignments.items())])

    def topic_assignments(self) -> dict[str, tuple[int, float]]:
        return {r["passage_id"]: (r["topic_id"], r["similarity"])
                for r in self.db.execute("SELECT passage_id, topic_id, similarity FROM topic_assignments")}

    def redaction_map(self, document_id: str) -> list[sqlite3.Row]:
        return list(self.db.execute(
            "SELECT placeholder, kind, original FROM redactions WHERE document_id = ?", (document_id,)))

    # forgetting ------------------------------------------------------------------------------
    @staticmethod
    def forget_key(kind: str, key: str) -> str:
        """How a forgotten respondent or source is remembered: a hash, never the id itself."""
        return hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()

    def forgotten(self, kind: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT key_hash FROM forgotten WHERE kind = ?", (kind,))}

    def forget(self, kind: str, key: str) -> tuple[dict[str, int], set[str]]:
        """Delete the documents of a respondent (``kind`` "respondent") or a source file ("source")
        with their passages, codings, topic assignments, pseudonym map and (unless another passage
        has the same text) cached embeddings; remember ``key`` so later runs skip it; then overwrite
        the freed pages so the text is not left in the database file. Returns the counts deleted and
        the ids of the deleted passages."""
        from ottext.embed._base import text_hash

        docs = f"SELECT id FROM documents WHERE {'respondent' if kind == 'respondent' else 'source'} = ?"
        mine = f"passage_id IN (SELECT id FROM passages WHERE document_id IN ({docs}))"
        self.db.execute("PRAGMA secure_delete = ON")
        with self.transaction() as db:
            n_docs = db.execute(f"SELECT COUNT(*) FROM ({docs})", (key,)).fetchone()[0]
            deleted = {r[0]: r[1] for r in db.execute(
                f"SELECT id, text FROM passages WHERE document_id IN ({docs})", (key,))}
            counting = (f"SELECT COUNT(*) FROM codings WHERE {mine}",  # human decisions, and the model's scores
                        f"SELECT COUNT(*) FROM model_codings m, json_each(m.scores) WHERE {mine}")
            counts = {"documents": n_docs, "passages": len(deleted),
                      "codings": sum(db.execute(sql, (key,)).fetchone()[0] for sql in counting)}
            db.execute(f"DELETE FROM documents WHERE id IN ({docs})", (key,))
            still = {text_hash(t) for (t,) in db.execute("SELECT text FROM passages")}
            gone = {text_hash(t) for t in deleted.values()} - still
            counts["embeddings"] = sum(db.execute("DELETE FROM embeddings WHERE text_hash = ?", (h,)).rowcount
                                       for h in sorted(gone))
            if kind == "source":
                db.execute("DELETE FROM files WHERE source = ?", (key,))
            db.execute("INSERT OR REPLACE INTO forgotten VALUES (?, ?, ?)", (kind, self.forget_key(kind, key), now()))
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self._read_cache.clear()
        return counts, set(deleted)


def _move_model_codings(db: sqlite3.Connection) -> None:
    """Schema 1-2 kept a model coding row per passage and code; schema 3 keeps one per passage."""
    grouped: dict[str, tuple[str, str, dict, list]] = {}
    for pid, code, score, assigned, version, run_id in db.execute(
            "SELECT passage_id, code, score, assigned, model_version, run_id FROM codings WHERE source = 'model'"
            " ORDER BY passage_id, rowid"):
        entry = grouped.setdefault(pid, (version, run_id, {}, []))
        entry[2][code] = score
        if assigned:
            entry[3].append(code)
    db.executemany("INSERT OR REPLACE INTO model_codings VALUES (?, ?, ?, ?, ?)",
                   [(pid, v, json.dumps(sc), json.dumps(cs), r) for pid, (v, r, sc, cs) in grouped.items()])
    db.execute("DELETE FROM codings WHERE source = 'model'")
