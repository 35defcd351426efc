"""Topics: the small-corpus path with a fake embedder, stability, new passages, refits, outputs."""

from __future__ import annotations

import csv
import json
import re

import pytest
from conftest import FakeEmbedder

from ottext.codebook import load_codebook
from ottext.embed import CachedEmbedder
from ottext.run import RunOptions, run_project
from ottext.store import Store
from ottext.topics import update_topics
from ottext.topics.outputs import write_topic_outputs

THEMES = {
    "caseload": ["caseload waiting list allocation backlog duty", "weighting tool caseload complex cases allocation",
                 "waiting list backlog unallocated duty cases"],
    "supervision": ["supervision monthly reflective supervisor protected", "supervisor cancelled supervision again",
                    "reflective supervision peer group supervisor"],
    "training": ["training course budget study learning", "learning course preceptorship training portfolio",
                 "study day course training budget learning"],
}


def survey(path, n_per_theme=8, start=0):
    rows = ["id,Comment"]
    i = start
    for theme, phrases in THEMES.items():
        for j in range(n_per_theme):
            rows.append(f"R{i},{phrases[j % 3]} and the {theme} point number {j} in our team today")
            i += 1
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture
def project(tmp_path):
    survey(tmp_path / "s.csv")
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False))
    return tmp_path


def topics_of(tmp_path, run_id="r1", refit=False):
    store = Store(tmp_path / "p")
    try:
        summary = update_topics(store, tmp_path / "p", CachedEmbedder(FakeEmbedder(), store), run_id, refit=refit)
        return summary, store.topic_assignments(), store.topics()
    finally:
        store.close()


def test_small_study_gets_topics_and_no_outliers(project):
    summary, assignments, topics = topics_of(project)
    assert summary.status == "fitted" and 2 <= summary.topics <= 6
    assert len(assignments) == 24  # every passage belongs to a topic
    stop = {"the", "and", "in", "our", "of", "number"}
    for t in topics:
        assert not set(t["label"].lower().replace("/", " ").split()) <= stop
        assert not any(term in stop for term in t["terms"][:3])
    by_theme = {}
    for pid, (tid, _) in assignments.items():
        by_theme.setdefault(tid, set()).add(pid)
    assert len(by_theme) == summary.topics
    assert (project / "p" / "topics" / "bertopic").is_dir()
    saved = [p.suffix for p in (project / "p" / "topics").rglob("*") if p.is_file()]
    assert ".safetensors" in saved and not {".pkl", ".pickle", ".bin"} & set(saved)


def test_fitted_labels_quote_their_topics_passages(project):
    _, assignments, topics = topics_of(project)
    store = Store(project / "p")
    try:
        found = store.passages_by_id(list(assignments))
    finally:
        store.close()
    for t in topics:
        texts = " | ".join(found[pid]["text"].lower() for pid, (tid, _) in assignments.items() if tid == t["id"])
        assert t["label"] != "(no terms)"
        for phrase in t["label"].split(" / "):
            assert re.search(rf"\b{re.escape(phrase.lower())}\b", texts), (phrase, t["label"])


def test_rerun_with_no_new_data_changes_nothing(project):
    _, first, topics1 = topics_of(project)
    summary, second, topics2 = topics_of(project, "r2")
    assert summary.status == "unchanged" and first == second
    assert [t["label"] for t in topics1] == [t["label"] for t in topics2]


def test_fitting_is_deterministic(tmp_path):
    results = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        survey(folder / "s.csv")
        run_project([folder / "s.csv"], folder / "p", RunOptions(model="blank", code=False, topics=False))
        _, assignments, topics = topics_of(folder)
        results.append((sorted(assignments.items()), [t["label"] for t in topics]))
    assert results[0] == results[1]


def test_new_passages_keep_earlier_topics_unless_refit(project):
    _, before, _ = topics_of(project)
    survey(project / "more.csv", n_per_theme=4, start=100)
    run_project([project / "s.csv", project / "more.csv"], project / "p",
                RunOptions(model="blank", code=False, topics=False))
    summary, after, _ = topics_of(project, "r2")
    assert summary.status == "assigned" and summary.assigned == 12
    assert all(after[pid] == before[pid] for pid in before)
    refit, _, topics = topics_of(project, "r3", refit=True)
    assert refit.status == "refitted" and refit.carried_over >= 1
    assert len({t["id"] for t in topics}) == len(topics)


def test_too_few_passages_are_skipped_not_crashed(tmp_path):
    (tmp_path / "s.csv").write_text("id,Comment\nR1,one short comment about caseloads here\n")
    run_project([tmp_path / "s.csv"], tmp_path / "p", RunOptions(model="blank", code=False, topics=False))
    summary, assignments, _ = topics_of(tmp_path)
    assert summary.status == "skipped" and assignments == {}


def test_outputs_tables_and_self_contained_plots(project):
    topics_of(project)
    store = Store(project / "p")
    try:
        paths = write_topic_outputs(store, load_codebook(), project / "out")
    finally:
        store.close()
    rows = list(csv.DictReader(paths["topics"].read_text(encoding="utf-8").splitlines()))
    assert rows and all(r["label"] and r["passage_1"] and r["top_terms"] for r in rows)
    assert sum(int(r["size"]) for r in rows) == 24
    by_code = list(csv.DictReader(paths["topic_by_code"].read_text(encoding="utf-8").splitlines()))
    assert {"best_code", "candidate_new_code", "safe_workload"} <= set(by_code[0])
    assert all(r["candidate_new_code"] == "True" for r in by_code)  # nothing is coded in this project
    html = paths["topic_map_html"].read_text()
    assert "<script src=\"http" not in html and "Plotly.newPlot" in html
    assert "Plotly.newPlot" in paths["topic_barchart_html"].read_text()
    for png in ("topic_barchart_png", "topic_map_png"):
        assert paths[png].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    json.dumps([str(p) for p in paths.values()])


def test_large_studies_fit_on_a_sample_and_assign_the_rest(project):
    store = Store(project / "p")
    try:
        summary = update_topics(store, project / "p", CachedEmbedder(FakeEmbedder(), store), "r1", max_fit=12)
        assignments = store.topic_assignments()
    finally:
        store.close()
    assert summary.status == "fitted" and len(assignments) == 24  # 12 fitted, 12 assigned to centroids


def test_topic_model_loads_in_the_background_while_a_run_embeds():
    import sys

    from ottext.topics import preload_model

    thread = preload_model()
    assert thread.daemon  # never keeps a finished run alive
    thread.join(120)
    assert not thread.is_alive() and "ottext.topics.model" in sys.modules
