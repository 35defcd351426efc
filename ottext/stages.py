"""The embedding and coding stages of a run.

Every new text the coding and the topics will read is embedded first, as one stage, by each
embedder that will read it and with the very calls those stages make (so the vectors are the ones
they would have made, and they then find each one in the cache); then every passage without a
coding from the current model is coded, a chunk at a time. A model with no fine-tuned reader codes
a large batch in worker processes (one a core), the store still written here, in order.
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from ottext.embed import CachedEmbedder
from ottext.progress import RunProgress
from ottext.store import Store

CODE_CHUNK = 256  # passages coded at a time (a worker's task, a step of the progress bar)
COMMIT_EVERY = 4096  # codings committed together, or what a second coded if fewer: all a killed run
COMMIT_SECONDS = 1.0  # loses (recoded next run), with far fewer commits than one per chunk
PARALLEL_CODE_MIN = 20_000  # fewer passages are coded in this process (starting workers costs more)


@dataclass
class Coder:
    """A loaded model and the passages it has still to code."""

    clf: object
    version: str
    todo: list
    folder: Path
    own: CachedEmbedder | None = None  # the model's own embedder, when it is not the run's


def load_coder(store: Store, codebook, options, summary, embedder: CachedEmbedder) -> Coder | None:
    """The model the run codes with (``summary.model_version`` says which), loaded only if some
    passage has no coding from it yet."""
    from ottext.classify.locate import MODEL_NAMES, default_model_dir, model_version

    own = store.dir / "model" / MODEL_NAMES[options.backend]  # a model retrained with this project's reviews
    model_dir = options.classifier or (own if (own / "model.json").is_file() else default_model_dir(options.backend))
    version = model_version(model_dir) if (model_dir / "model.json").is_file() else "missing"
    todo = store.passages_to_code(version)
    summary.model_version = version
    if not todo:
        return None
    from ottext.classify.persist import load_model

    clf, meta = load_model(model_dir, codebook, embedder, reader=False)  # the reader loads when coding starts
    coder = Coder(clf, meta["version"], todo, model_dir)
    if clf.embedder is not embedder:  # the model reads with the embedder it was trained on: cache and count it too
        clf.embedder = coder.own = CachedEmbedder(clf.embedder, store)
    return coder


def embed_new_texts(store: Store, embedder: CachedEmbedder, coder: Coder | None, topics: bool, refit: bool,
                    progress: RunProgress) -> None:
    """The embedding stage: what the coding (``coder``) and the topics (``topics``) will embed."""
    from ottext.classify.features import distinct_contexts

    calls: list[tuple[CachedEmbedder, list[str]]] = []  # in the order the later stages make them
    if coder is not None:
        for chunk in _chunks(coder.todo):
            calls.append((coder.clf.embedder, [r["text"] for r in chunk]))
            unique = distinct_contexts([r["context"] for r in chunk])
            if unique:
                calls.append((coder.clf.embedder, unique))
    if topics:
        from ottext.topics import texts_to_embed

        calls.append((embedder, texts_to_embed(store, refit)))
    used = list({id(e): e for e, _ in calls}.values())
    total = sum(e.uncached([t for other, texts in calls if other is e for t in texts]) for e in used)
    before = sum(e.embedded_ for e in used)
    progress.start("embedding", total)

    def advance(n: int) -> None:
        progress.advance("embedding", n)

    for e, texts in calls:
        if texts:
            e.embed(texts, on_batch=advance)
    progress.end("embedding", sum(e.embedded_ for e in used) - before)


def codes_in_workers(coder: Coder | None, processes: int) -> bool:
    """Whether the coding stage will fork workers: a model with no reader (its features are plain
    Python, one core each; a reader already uses every core), many passages, and fork available."""
    return (coder is not None and processes > 1 and hasattr(os, "fork") and len(coder.todo) >= PARALLEL_CODE_MIN
            and not getattr(coder.clf, "reader_weight", 0) and os.environ.get("OTTEXT_CODE_PROCESSES") != "1")


def code_new_passages(store: Store, coder: Coder | None, run_id: str, summary, progress: RunProgress,
                      processes: int = 1) -> None:
    """The coding stage: every passage the model has still to code, a committed chunk at a time."""
    progress.start("coding", len(coder.todo) if coder else 0)
    if coder is not None:
        from ottext.classify.coder import PassageIn, code_passages
        from ottext.classify.persist import load_reader

        load_reader(coder.clf, coder.folder)

        def advance(n: int) -> None:
            progress.advance("coding", n)

        pending: list = []
        last = [time.monotonic()]

        def commit() -> None:
            store.put_model_codings(pending, coder.version, run_id, encoded=True)
            summary.passages_coded += len(pending)
            pending.clear()
            last[0] = time.monotonic()

        def put(rows: list) -> None:  # (id, scores JSON, codes JSON)
            pending.extend(rows)
            if len(pending) >= COMMIT_EVERY or time.monotonic() - last[0] >= COMMIT_SECONDS:
                commit()

        if codes_in_workers(coder, processes):
            _code_in_workers(coder, processes, put, advance)
        else:
            for chunk in _chunks(coder.todo):
                put(_encoded(code_passages(coder.clf, [PassageIn(r["id"], r["text"], r["context"]) for r in chunk],
                                           on_batch=advance)))
        if pending:
            commit()
        if coder.own is not None:
            summary.passages_embedded += coder.own.embedded_
    progress.end("coding", summary.passages_coded)


_WORKER_MODEL = None  # the model a forked coding worker inherits


def _code_in_workers(coder: Coder, processes: int, put, advance) -> None:
    """Score chunks in forked workers while this process reads their vectors from the store and
    writes each chunk's codings as it comes back, in order (the same codings as one process)."""
    import multiprocessing

    from ottext.classify.features import embed_pair

    global _WORKER_MODEL
    _WORKER_MODEL = coder.clf
    waiting: deque = deque()

    def collect() -> None:
        rows = waiting.popleft().get()
        put(rows)
        advance(len(rows))

    with multiprocessing.get_context("fork").Pool(processes, initializer=_one_blas_thread) as pool:
        for chunk in _chunks(coder.todo):
            texts, contexts = [r["text"] for r in chunk], [r["context"] for r in chunk]
            emb = embed_pair(coder.clf._embedder(), texts, contexts)
            waiting.append(pool.apply_async(_score_chunk, (([r["id"] for r in chunk], texts, contexts, emb),)))
            if len(waiting) > 2 * processes + 1:
                collect()
        while waiting:
            collect()


def _one_blas_thread() -> None:
    """In a new worker: one BLAS thread, so the workers share the cores instead of each taking all
    of them (with every worker on all cores, two were no faster than one process)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _score_chunk(payload: tuple) -> list:
    """In a worker: one chunk's codings, ready to store, with the inherited model."""
    from ottext.classify.coder import score_passages, to_coded

    ids, texts, contexts, emb = payload
    return _encoded(to_coded(_WORKER_MODEL, ids, *score_passages(_WORKER_MODEL, texts, contexts, emb)))


def _encoded(coded: list) -> list[tuple[str, str, str]]:
    """Codings as the store keeps them: id, scores JSON, codes JSON."""
    import json

    return [(c.id, json.dumps(c.scores), json.dumps(c.codes)) for c in coded]


def _chunks(rows: list) -> list[list]:
    return [rows[i:i + CODE_CHUNK] for i in range(0, len(rows), CODE_CHUNK)]
