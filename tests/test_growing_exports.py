"""Growing exports: when a re-run only adds responses, the per-passage files get the new rows
appended (the same file, not a new one) and end up byte for byte what a full write gives; any other
change (a review decision, a hand-edited file, a new metadata column) gets a full write."""

from __future__ import annotations

import csv
import os

import pytest
from conftest import DEMO

from ottext.codebook import load_codebook
from ottext.export import ledger
from ottext.export.bundle import EXPORT_STATE_KEY, write_exports
from ottext.run import RunOptions, run_project
from ottext.store import Store

GROWING = ("passages.csv", "passages.jsonl", "documents.jsonl", "coded_long.csv")
REBUILT = ("coded_wide.xlsx",)  # a zip: written whole, from rows kept in the project cache
OPTIONS = RunOptions(model="blank", topics=False)


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _survey(path, n, extra_column=False):
    rows = _rows(DEMO / "health_check_survey.csv")
    header, body = rows[0], rows[1:n + 1]
    if extra_column:
        header, body = header + ["team"], [r + ["Reablement"] for r in body]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([header, *body])


def _files(project):
    out = project / "exports"
    return {name: ((out / name).read_bytes(), os.stat(out / name).st_ino) for name in GROWING + REBUILT}


def _full_write(project):
    """What the exports are when every file is written from the store."""
    with Store(project) as store:
        ledger.forget(store)
        store.set_meta(EXPORT_STATE_KEY, "")
        from ottext.embed import CachedEmbedder, get_embedder

        write_exports(store, load_codebook(None), project / "exports", False,
                      CachedEmbedder(get_embedder("minilm"), store))
    return {name: (project / "exports" / name).read_bytes() for name in GROWING + REBUILT}


@pytest.fixture
def grown(tmp_path):
    survey, project = tmp_path / "survey.csv", tmp_path / "p"
    _survey(survey, 100)
    run_project([survey], project, OPTIONS)
    return survey, project, _files(project)


def test_new_responses_are_appended_to_the_same_files(grown):
    survey, project, before = grown
    _survey(survey, 110)
    summary = run_project([survey], project, OPTIONS)
    assert summary.documents_new > 0 and summary.documents_changed == 0
    after = _files(project)
    for name in GROWING:
        assert after[name][1] == before[name][1], f"{name} was written anew, not appended to"
        assert after[name][0].startswith(before[name][0]) and len(after[name][0]) > len(before[name][0])
    assert (project / "cache" / "coded_wide.rows.xml").stat().st_size > 0
    assert {name: data for name, (data, _) in after.items()} == _full_write(project)


def test_a_review_decision_gets_a_full_write(grown):
    survey, project, before = grown
    with Store(project) as store:
        first = next(iter(store.codings_by_passage()))
        store.put_human_codings([(first, "F1", 1)], "ann", "r-test")
    _survey(survey, 110)
    run_project([survey], project, OPTIONS)
    after = _files(project)
    assert after["coded_long.csv"][1] != before["coded_long.csv"][1]
    assert b"reviewed by ann" in after["coded_long.csv"][0]
    assert {name: data for name, (data, _) in after.items()} == _full_write(project)


def test_a_hand_edited_export_is_written_again(grown):
    survey, project, _ = grown
    edited = project / "exports" / "passages.csv"
    edited.write_text("someone's notes\n", encoding="utf-8")
    _survey(survey, 110)
    run_project([survey], project, OPTIONS)
    assert not edited.read_text(encoding="utf-8").startswith("someone's notes")
    assert {name: data for name, (data, _) in _files(project).items()} == _full_write(project)


def test_a_new_metadata_column_rewrites_the_header(grown):
    survey, project, _ = grown
    _survey(survey, 110, extra_column=True)
    run_project([survey], project, OPTIONS)
    header = (project / "exports" / "passages.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("passage_id,document,") and header.endswith(",meta:team")
    assert {name: data for name, (data, _) in _files(project).items()} == _full_write(project)


def test_responses_inserted_before_old_ones_get_a_full_write(grown, tmp_path):
    survey, project, before = grown
    rows, new = _rows(survey), _rows(DEMO / "health_check_survey.csv")[101:105]
    with open(survey, "w", newline="", encoding="utf-8") as fh:  # new rows at the top of the file
        csv.writer(fh).writerows([rows[0], *new, *rows[1:]])
    run_project([survey], project, OPTIONS)
    after = _files(project)
    assert after["passages.csv"][1] != before["passages.csv"][1]
    assert {name: data for name, (data, _) in after.items()} == _full_write(project)


def test_a_failed_append_leaves_the_file_as_it_was(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(RuntimeError), ledger.appending(path, encoding="utf-8") as fh:
        fh.write("3,4\n" * 1000)
        fh.flush()
        raise RuntimeError("disk full")
    assert path.read_text(encoding="utf-8") == "a,b\n1,2\n"


def test_qdpx_from_the_export_child_process_equals_one_written_in_process(grown, monkeypatch):
    _, project, _ = grown
    forked = (project / "exports" / "project.qdpx").read_bytes()
    monkeypatch.setenv("OTTEXT_EXPORT_PROCESSES", "1")
    _full_write(project)
    assert (project / "exports" / "project.qdpx").read_bytes() == forked


def test_a_failed_export_child_leaves_the_job_to_the_parent(tmp_path):
    from ottext.export.bundle import _finish, _start

    done = []

    def job():
        done.append(os.getpid())
        raise RuntimeError("the child fails")

    pid = _start(job)
    assert pid is not None and not done  # the child's failure is not the parent's
    with pytest.raises(RuntimeError):
        _finish(pid, job)
    assert done == [os.getpid()]
