"""Topics: emergent themes over the project's passages, stable across re-runs.

``update_topics`` fits topics the first time (or on ``refit``), and otherwise assigns only new
passages to the saved topics. A refit matches new topics to old ones by centroid similarity so
ids and labels carry over where the theme is the same.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ottext.embed import Embedder
from ottext.store import Store
from ottext.topics.match import assign, fit_scores, match_topics

MIN_PASSAGES = 10
MIN_WORDS = 4


@dataclass
class TopicSummary:
    status: str = "unchanged"  # fitted | refitted | assigned | unchanged | skipped
    topics: int = 0
    assigned: int = 0
    carried_over: int | None = None
    reason: str | None = None  # why topics were skipped


    def to_dict(self) -> dict:
        return asdict(self)


def update_topics(store: Store, project_dir: Path, embedder: Embedder, run_id: str,
                  refit: bool = False, max_fit: int = 50_000, keep_labels: bool = True) -> TopicSummary:
    """Fit, refit or extend the project's topics; writes nothing when nothing is new. A refit keeps
    the labels of topics it carries over unless ``keep_labels`` is off (``forget`` turns it off, as a
    label may quote the forgotten text)."""
    existing = store.topics()
    summary = TopicSummary(topics=len(existing))
    candidates, usable = _candidates(store, bool(existing) and not refit)
    if usable < MIN_PASSAGES:
        summary.reason = f"fewer than {MIN_PASSAGES} passages of {MIN_WORDS} or more words; the project has {usable}"
        if existing and refit:  # too few passages left to model: drop the old topics rather than keep them stale
            store.replace_topics([], {}, run_id)
            shutil.rmtree(project_dir / "topics", ignore_errors=True)
            summary.topics = 0
        summary.status = "skipped"
        return summary
    if existing and not refit:
        todo = candidates
        if todo:
            centroids = np.vstack([t["centroid"] for t in existing])
            vectors = embedder.embed([r["text"] for r in todo])
            best, _ = assign(vectors, centroids)
            scores = fit_scores(vectors, centroids, best)
            store.add_topic_assignments({r["id"]: (existing[int(b)]["id"], float(s))
                                         for r, b, s in zip(todo, best, scores, strict=True)}, run_id)
            summary.status, summary.assigned = "assigned", len(todo)
        return summary
    from ottext.topics.model import TopicModeller  # BERTopic loads only when fitting

    ids, texts = [r["id"] for r in candidates], [r["text"] for r in candidates]
    tm = TopicModeller(embedder, max_fit=max_fit).fit(ids, texts, embedder.embed(texts))
    new_ids = list(range(len(tm.topics_)))
    if existing:
        old_centroids = np.vstack([t["centroid"] for t in existing])
        mapping = match_topics(old_centroids, np.vstack([t.centroid for t in tm.topics_]))
        next_id = max(t["id"] for t in existing) + 1
        new_ids = []
        for i in range(len(tm.topics_)):
            if i in mapping:
                new_ids.append(existing[mapping[i]]["id"])
            else:
                new_ids.append(next_id)
                next_id += 1
        summary.carried_over = len(mapping)
    topics = []
    for i, t in enumerate(tm.topics_):
        label = existing[mapping[i]]["label"] if keep_labels and existing and i in mapping else t.label
        topics.append({"id": new_ids[i], "label": label, "terms": t.terms, "centroid": t.centroid})
    store.replace_topics(topics, {pid: (new_ids[i], sim) for pid, (i, sim) in tm.assignments_.items()}, run_id)
    _save_bertopic(tm, project_dir / "topics", new_ids)
    summary.status = "refitted" if existing else "fitted"
    summary.topics, summary.assigned = len(topics), len(tm.assignments_)
    return summary


def will_fit(store: Store, refit: bool = False) -> bool:
    """Whether ``update_topics`` would fit (or refit) rather than only assign new passages."""
    return refit or not store.topics()


def preload_model() -> threading.Thread:
    """Import BERTopic and its stack (about 10 s here) in a background thread, so that it happens
    while a run embeds and codes (ONNX Runtime and PyTorch release the GIL); the fit's own import
    then waits for it. Start it only after the last fork of a run: a child forked while another
    thread holds an import lock could hang."""

    def load() -> None:
        with contextlib.suppress(Exception):  # any failure shows, as a one-line error, where the fit imports it
            import ottext.topics.model  # noqa: F401

    thread = threading.Thread(target=load, name="ottext-topics-import", daemon=True)
    thread.start()
    return thread


def texts_to_embed(store: Store, refit: bool = False) -> list[str]:
    """The passage texts ``update_topics`` will embed (none when it will skip topics), so a run can
    embed them beforehand, as one stage, with the same call."""
    candidates, usable = _candidates(store, bool(store.topics()) and not refit)
    return [r["text"] for r in candidates] if usable >= MIN_PASSAGES else []


def _candidates(store: Store, extend: bool) -> tuple[list, int]:
    """The passages to read and how many could carry a topic. Extending saved topics reads only the
    passages without one (every assigned one is a candidate); a fit reads them all."""
    if extend:
        candidates = store.topic_candidates(MIN_WORDS, unassigned=True)
        return candidates, store.assigned_count() + len(candidates)
    candidates = store.topic_candidates(MIN_WORDS)
    return candidates, len(candidates)


def _save_bertopic(tm, folder: Path, ids: list[int]) -> None:
    """BERTopic's own safetensors serialisation (never pickle), plus ottext's id mapping."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    logging.getLogger("BERTopic").setLevel(logging.ERROR)  # its "no embedding model saved" note is expected
    tm.model_.save(str(tmp / "bertopic"), serialization="safetensors", save_ctfidf=True,
                   save_embedding_model=False)
    mapping = {str(t.id): ids[i] for i, t in enumerate(tm.topics_)}
    (tmp / "ottext_topics.json").write_text(json.dumps({"bertopic_to_ottext": mapping, "k": tm.k_,
                                                        "random_state": tm.random_state}, indent=1))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


__all__ = ["MIN_PASSAGES", "TopicSummary", "preload_model", "texts_to_embed", "update_topics", "will_fit"]
