"""The project store: one SQLite database per project, the only code that writes SQL.

Documents, passages, redaction maps, runs and per-file problems live here. Every change to one
source file is written in one transaction, so a crash never leaves half a document.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ottext.errors import Errors, StoreError
from ottext.store.erase import forget_mentions
from ottext.store.runs import RunLog, now
from ottext.store.schema import SCHEMA_VERSION, create

DB_NAME = "project.db"
_FILE_ORDER = "LEFT JOIN files f ON f.source = d.source"
_PASSAGES = ('SELECT p.id, p.document_id, p.seq, p.start, p."end", p.text, p.context, p.speaker, p.low_content,'
             " p.run_id, d.source, d.kind, d.respondent, d.metadata"
             " FROM passages p JOIN documents d ON d.id = p.document_id")
_ORDER = "f.seq, d.position, d.id"  # reading order of documents
_DESC = "f.seq DESC, d.position DESC, d.id DESC"


CACHE_KIB = 131_072  # the page cache's ceiling, in KiB
_PUT_CODING = ("INSERT INTO model_codings VALUES (?, ?, ?, ?, ?) ON CONFLICT(passage_id) DO UPDATE SET"
               " model_version = excluded.model_version, scores = excluded.scores,"
               " codes = excluded.codes, run_id = excluded.run_id")  # an update: counted as an edit


@dataclass
class StoredDocument:
    id: str
    source: str
    content_hash: str
    settings: str
    position: int = 0


class Store(RunLog):
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
            # up to 128 MB of pages (the default is 2 MB): a large survey's ids land at random places
            # in the indexes, and a small cache re-reads their pages for every row (1M rows: 38 s -> 25 s)
            self.db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
            found = self.db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise StoreError(Errors.E301, file=self.path, detail=str(exc)) from None
        if found > SCHEMA_VERSION:
            self.db.close()
            raise StoreError(Errors.E302, file=self.path, found=found, known=SCHEMA_VERSION)
        with self.transaction():  # idempotent: adds any table or trigger a newer ottext introduced
            create(self.db, found)
        self._lock_fd: int | None = None
        self._run_id: str | None = None  # a run this Store began and has not finished
        self._read_cache: dict[str, tuple[str, object]] = {}

    def _cached(self, name: str, compute, key: object = None):
        """Read-only views that several exports need, computed once per state of the store: the
        key (by default) changes with every row this connection writes and every commit by another
        one; a caller that knows what its view depends on passes a narrower ``key``."""
        if key is None:
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
        rows = self.db.execute("SELECT id, source, content_hash, settings, position FROM documents WHERE source = ?",
                               (source,))
        return {r[0]: StoredDocument(*r) for r in rows}

    def sync_source(self, *, source: str, path: str, content_hash: str, size: int, settings: str,
                    run_id: str, keep: set[str], documents: list[dict], passages: list[dict],
                    redactions: list[dict], moved: dict[str, int] | None = None) -> tuple[int, int]:
        """Replace one source file's documents in one transaction.

        ``keep`` are ids of unchanged documents (``moved``: those of them now at another position in
        the file); every other stored document of the source is replaced by ``documents`` (new or
        changed, each with its ``position`` in the file) or removed. Returns how many documents were
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
            db.executemany("UPDATE documents SET position = ? WHERE id = ?", [(n, i) for i, n in (moved or {}).items()])
            added = db.execute("SELECT COALESCE(MAX(added), 0) FROM documents").fetchone()[0]
            db.executemany(
                "INSERT INTO documents (id, source, kind, respondent, context, metadata, content_hash,"
                " settings, text, removed, run_id, position, added) VALUES (:id, :source, :kind, :respondent,"
                " :context, :metadata, :content_hash, :settings, :text, :removed, :run_id, :position, :added)",
                [{**d, "added": added + n} for n, d in enumerate(documents, start=1)])
            db.executemany(
                'INSERT INTO passages (id, document_id, seq, start, "end", text, context, speaker,'
                " low_content, run_id) VALUES (:id, :document_id, :seq, :start, :end, :text,"
                " :context, :speaker, :low_content, :run_id)", passages)
            db.executemany(
                "INSERT INTO redactions VALUES (:document_id, :placeholder, :kind, :original)",
                redactions)
            db.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM files))"
                " ON CONFLICT(source) DO UPDATE SET path = excluded.path, content_hash = excluded.content_hash,"
                " size = excluded.size, settings = excluded.settings, run_id = excluded.run_id",
                (source, path, content_hash, size, settings, run_id))
        return removed, gone

    # meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def delete_meta(self, key: str) -> None:
        self.db.execute("DELETE FROM meta WHERE key = ?", (key,))

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

    def iter_passages(self, since: int | None = None, cached: bool = True) -> Iterator[sqlite3.Row]:
        """Passages with their document's provenance, in reading order: files in the order they were
        first read, each file's documents in its own order. ``since``: only documents added after
        that number (see ``added_mark``). All of them are kept for the next caller unless not
        ``cached`` (one pass over a large project, holding a row at a time)."""
        sql = (f"{_PASSAGES} {_FILE_ORDER}"
               f"{' WHERE d.added > ?' if since is not None else ''} ORDER BY {_ORDER}, p.seq")
        if since is not None:
            yield from self.db.execute(sql, (since,))
        elif not cached:
            yield from self.db.execute(sql)
        else:
            yield from self._cached("passages", lambda: list(self.db.execute(sql)))

    def passage_metadata(self, since: int | None = None) -> Iterator[str]:
        """The metadata (JSON) of every document that has passages, in reading order, each distinct
        value once (``since`` as for ``iter_passages``)."""
        sql = (f"SELECT d.metadata FROM documents d {_FILE_ORDER} WHERE EXISTS (SELECT 1 FROM passages p"
               f" WHERE p.document_id = d.id){' AND d.added > ?' if since is not None else ''} ORDER BY {_ORDER}")
        seen: set[str] = set()
        for (metadata,) in self.db.execute(sql, () if since is None else (since,)):
            if metadata not in seen:
                seen.add(metadata)
                yield metadata

    def passages_by_id(self, ids: list[str]) -> dict[str, sqlite3.Row]:
        """These passages (as ``iter_passages`` gives them), by id; ids not stored are left out."""
        out: dict[str, sqlite3.Row] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start:start + 500]
            for r in self.db.execute(
                    f"{_PASSAGES} WHERE p.id IN ({','.join('?' * len(chunk))})", chunk):
                out[r["id"]] = r
        return out

    def iter_documents(self, since: int | None = None) -> Iterator[sqlite3.Row]:
        """Documents in reading order (``since`` as for ``iter_passages``)."""
        yield from self.db.execute(
            "SELECT d.id, d.source, d.kind, d.respondent, d.context, d.metadata, d.text FROM documents d"
            f" {_FILE_ORDER}{' WHERE d.added > ?' if since is not None else ''} ORDER BY {_ORDER}",
            () if since is None else (since,))

    def added_mark(self) -> int:
        """The number of the newest document: documents added later have larger numbers."""
        return self.db.execute("SELECT COALESCE(MAX(added), 0) FROM documents").fetchone()[0]

    def order_keys(self, since: int) -> tuple[tuple | None, tuple | None]:
        """Reading-order keys of the last document up to ``since`` and of the first one after it."""
        key = f"f.seq, d.position, d.id FROM documents d {_FILE_ORDER}"
        last = self.db.execute(f"SELECT {key} WHERE d.added <= ? ORDER BY {_DESC} LIMIT 1", (since,)).fetchone()
        first = self.db.execute(f"SELECT {key} WHERE d.added > ? ORDER BY {_ORDER} LIMIT 1", (since,)).fetchone()
        return (tuple(last) if last else None), (tuple(first) if first else None)

    def edits(self) -> int:
        """How many stored rows have been changed or deleted (or given human decisions), ever."""
        return self.db.execute("SELECT n FROM edits").fetchone()[0]

    def coded_state(self) -> tuple[int, int, int]:
        """Changes whenever a stored row is edited, a document added or a passage coded: what the
        coded passages (with their documents) depend on. Writes elsewhere (meta, runs) leave it."""
        return self.edits(), self.added_mark(), self.coded_count()

    def coded_count(self) -> int:
        """How many passages have model codings."""
        return self.db.execute("SELECT COUNT(*) FROM model_codings").fetchone()[0]

    def coded_up_to(self, since: int) -> int:
        """How many passages of documents up to ``since`` have model codings."""
        newer = self.db.execute(
            "SELECT COUNT(*) FROM model_codings WHERE passage_id IN (SELECT p.id FROM passages p"
            " WHERE p.document_id IN (SELECT id FROM documents WHERE added > ?))", (since,)).fetchone()[0]
        return self.coded_count() - newer

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
            f"SELECT p.id, p.text, p.context FROM passages p JOIN documents d ON d.id = p.document_id {_FILE_ORDER}"
            " WHERE p.low_content = 0 AND NOT EXISTS (SELECT 1 FROM model_codings c WHERE c.passage_id = p.id"
            f" AND c.model_version = ?) ORDER BY {_ORDER}, p.seq", (model_version,)))

    def put_model_codings(self, rows: list[tuple[str, dict[str, float], list[str]]], model_version: str,
                          run_id: str, encoded: bool = False) -> None:
        """The model's scores and assigned codes for these passages, replacing its earlier ones (human
        decisions are never touched). ``encoded``: the scores and codes are JSON already."""
        if not encoded:
            rows = [(pid, json.dumps(scores), json.dumps(codes)) for pid, scores, codes in rows]
        with self.transaction() as db:
            db.executemany(_PUT_CODING, [(pid, model_version, scores, codes, run_id) for pid, scores, codes in rows])

    def codings_by_passage(self, since: int | None = None) -> dict[str, dict]:
        """For each coded passage (``since``: of documents added after that mark): the model's
        scores, the codes in force (the model's, with every human decision applied on top: a coder's
        latest decision on a code wins), the model version and the review status (``model`` or
        ``reviewed by NAME, ...``). Callers must not modify it."""
        if since is not None:
            return self._codings_by_passage(since)
        return self._cached("codings", self._codings_by_passage)

    def _codings_by_passage(self, since: int | None = None) -> dict[str, dict]:
        out: dict[str, dict] = {}
        rows = self.db.cursor()
        rows.row_factory = None  # plain tuples: this reads a row per coded passage
        loads = json.loads
        scope, args = ("", ()) if since is None else (
            " AND passage_id IN (SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.added > ?)", (since,))
        for pid, version, scores, codes in rows.execute(
                f"SELECT passage_id, model_version, scores, codes FROM model_codings WHERE 1{scope}"
                " ORDER BY passage_id", args):
            out[pid] = {"scores": loads(scores), "codes": loads(codes), "model_version": version,
                        "review_status": "model"}
        decisions: dict[str, dict[str, int]] = {}
        coders: dict[str, set[str]] = {}
        for r in self.db.execute("SELECT passage_id, code, assigned, source FROM codings WHERE source LIKE 'coder:%'"
                                 f"{scope} ORDER BY run_id, source", args):
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
    def topic_candidates(self, min_words: int, unassigned: bool = False) -> list[sqlite3.Row]:
        """Passages that can carry a topic (not low-content, at least ``min_words`` words), with
        their current topic if any (``unassigned``: only those without one)."""
        rows = self.db.execute(
            "SELECT p.id, p.text, a.topic_id FROM passages p LEFT JOIN topic_assignments a ON a.passage_id = p.id"
            f" WHERE p.low_content = 0{' AND a.topic_id IS NULL' if unassigned else ''} ORDER BY p.id")
        return [r for r in rows if len(r["text"].split()) >= min_words]

    def assigned_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM topic_assignments").fetchone()[0]

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

    def topic_members(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every assigned passage's id, topic and fit to it (``ottext.topics.match.fit_scores``; a
        project fitted before those scores has the cosine to the centroid), as arrays."""
        rows = self.db.cursor()
        rows.row_factory = None
        found = rows.execute("SELECT passage_id, topic_id, similarity FROM topic_assignments").fetchall()
        return (np.array([r[0] for r in found], dtype=str), np.array([r[1] for r in found], dtype=np.int64),
                np.array([r[2] for r in found], dtype=np.float64))

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
            if kind == "respondent":
                counts["mentions"] = forget_mentions(db, docs, key)
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
