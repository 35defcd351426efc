"""The project store: an older project (schema 2: a model coding row per passage and code) opens
in this ottext with the same codings, stored one row per passage."""

from __future__ import annotations

import json
import sqlite3

from conftest import DEMO

from ottext.run import RunOptions, run_project
from ottext.store import Store


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
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == 3
        assert set(store.coding_counts().values()) == {13}
