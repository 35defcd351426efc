"""The project store: older projects open in this ottext with the same content (schema 2: a model
coding row per passage and code; schema 3: no reading order or edit count); changes to stored rows
are counted, new rows are not."""

from __future__ import annotations

import json
import sqlite3

from conftest import DEMO

from ottext.run import RunOptions, run_project
from ottext.store import Store
from ottext.store.schema import SCHEMA_VERSION


def test_schema_2_project_is_migrated_with_the_same_codings(tmp_path):
    project = tmp_path / "p"
    run_project([DEMO / "interview_01_adults_senior_ot.txt"], project, RunOptions(model="blank", topics=False))
    with Store(project) as store:
        before = store.codings_by_passage()
    assert before
    db = sqlite3.connect(project / "project.db")  # rewrite the store as ottext with schema 2 left it
    with db:
        for pid, version, scores, codes, run_id in db.execute("SELECT * FROM model_codings").fetchall():
            db.executemany("INSERT INTO codings VALUES (?, ?, ?, ?, 'model', ?, ?)",
                           [(pid, code, score, int(code in json.loads(codes)), version, run_id)
                            for code, score in json.loads(scores).items()])
        db.execute("DROP TABLE model_codings")
    db.execute("PRAGMA user_version = 2")
    db.close()
    with Store(project) as store:
        assert store.codings_by_passage() == before
        assert store.db.execute("SELECT COUNT(*) FROM codings").fetchone()[0] == 0
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert set(store.coding_counts().values()) == {13}


def test_schema_3_project_keeps_its_passage_order(tmp_path):
    project = tmp_path / "p"
    run_project([DEMO], project, RunOptions(model="blank", topics=False, code=False))
    db = sqlite3.connect(project / "project.db")  # as schema 3 left it: no order columns, no edit count
    with db:
        for name in [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]:
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE edits")
        db.execute("DROP INDEX documents_added")
        for table, column in (("files", "seq"), ("documents", "position"), ("documents", "added")):
            db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        old_order = [r[0] for r in db.execute("SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
                                              " ORDER BY d.source, d.id, p.seq")]
    db.execute("PRAGMA user_version = 3")
    db.close()
    with Store(project) as store:
        assert [r["id"] for r in store.iter_passages()] == old_order
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.edits() >= 0 and store.added_mark() == len(list(store.iter_documents()))


def test_edits_count_changes_to_stored_rows_not_new_rows(tmp_path):
    project = tmp_path / "p"
    run_project([DEMO / "interview_01_adults_senior_ot.txt"], project, RunOptions(model="blank", topics=False))
    with Store(project) as store:
        before = store.edits()
    run_project([DEMO / "health_check_survey.csv"], project, RunOptions(model="blank", topics=False))
    with Store(project) as store:  # a new file: new rows only
        assert store.edits() == before
        passage = next(r for r in store.iter_passages() if not r["low_content"])
        store.put_model_codings([(passage["id"], {"F1": 0.9}, ["F1"])], "v-test", "r")  # a re-coding: an edit
        assert store.edits() == before + 1
        store.put_human_codings([(passage["id"], "F1", 0)], "ann", "r")  # a human decision: an edit
        assert store.edits() == before + 2
