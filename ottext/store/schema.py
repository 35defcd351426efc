"""The project database's tables, the triggers that count edits, and migrations from older schemas."""

from __future__ import annotations

import json
import sqlite3

SCHEMA_VERSION = 4  # 2: the forgotten table; 3: model codings one row per passage; 4: row order and edit count

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL,
  summary TEXT
);
CREATE TABLE IF NOT EXISTS files (
  source TEXT PRIMARY KEY, path TEXT NOT NULL, content_hash TEXT NOT NULL, size INTEGER NOT NULL,
  settings TEXT NOT NULL, run_id TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, respondent TEXT,
  context TEXT NOT NULL DEFAULT '', metadata TEXT NOT NULL DEFAULT '{}',
  content_hash TEXT NOT NULL, settings TEXT NOT NULL, text TEXT NOT NULL,
  removed TEXT NOT NULL DEFAULT '[]', run_id TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE INDEX IF NOT EXISTS documents_added ON documents(added);
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
CREATE TABLE IF NOT EXISTS edits (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT OR IGNORE INTO edits VALUES (1, 0)
"""


# Every change to a row already stored (not an insert of a new one) counts as an edit, whichever
# code makes it: exports that only need the new rows appended check this count (see export.ledger).
# Human decisions change the codes in force of older passages, so their inserts count too.
EDITED = [("documents", "UPDATE"), ("documents", "DELETE"), ("passages", "UPDATE"), ("passages", "DELETE"),
          ("model_codings", "UPDATE"), ("model_codings", "DELETE"), ("codings", "INSERT"),
          ("codings", "UPDATE"), ("codings", "DELETE")]
TRIGGERS = [f"CREATE TRIGGER IF NOT EXISTS edit_{table}_{event.lower()} AFTER {event} ON {table}"
            " BEGIN UPDATE edits SET n = n + 1; END" for table, event in EDITED]


def create(db: sqlite3.Connection, found: int) -> None:
    """Create what is missing and migrate a database of schema ``found`` (0: a new one)."""
    if 0 < found < 4:  # columns that order rows as they were read (migrated rows keep their old order)
        for table, column in (("files", "seq"), ("documents", "position"), ("documents", "added")):
            if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0")
    for stmt in SCHEMA.split(";"):
        if stmt.strip():
            db.execute(stmt)
    for stmt in TRIGGERS:
        db.execute(stmt)
    if 0 < found < 3:
        _move_model_codings(db)
    if 0 < found < 4:
        db.execute("UPDATE files SET seq = (SELECT COUNT(*) FROM files f WHERE f.source <= files.source)")
        db.execute("UPDATE documents SET added = rowid")
    if found < SCHEMA_VERSION:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


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
