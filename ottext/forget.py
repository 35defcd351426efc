"""Deleting one respondent's (or one source file's) data from a project: ``ottext forget``.

Every document of the respondent goes, with its passages, codings, topic assignments, pseudonym
map and cached embeddings; the exports in ``DIR/exports`` are rewritten without them; the store
remembers a hash of the id so a later run over the same survey skips that respondent.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ottext.errors import Errors, StoreError
from ottext.store import Store

EXPORT_OPTIONS_KEY = "export_options"


@dataclass
class ForgetResult:
    """What ``forget`` removed and which export files it rewrote or deleted."""

    kind: str
    documents: int = 0
    passages: int = 0
    codings: int = 0
    embeddings: int = 0
    mentions: int = 0  # pseudonym-map entries in other documents that named the respondent
    topics: str = "none"
    models_removed: list[str] = field(default_factory=list)
    exports_rewritten: list[str] = field(default_factory=list)
    exports_deleted: list[str] = field(default_factory=list)


def forget(project: str | Path, *, respondent: str | None = None, source: str | None = None) -> ForgetResult:
    """Remove every trace of ``respondent`` (or of the source file ``source``) from ``project``."""
    if (respondent is None) == (source is None):
        raise ValueError("give exactly one of respondent and source")
    project = Path(project)
    store = Store(project)
    try:
        store.lock()
        if respondent is not None:
            kind, key = "respondent", respondent
            if not store.db.execute("SELECT 1 FROM documents WHERE respondent = ? LIMIT 1", (key,)).fetchone():
                raise StoreError(Errors.E308, file=project, respondent=key)
        else:
            kind, key = "source", source
            if not store.db.execute("SELECT 1 FROM files WHERE source = ? UNION SELECT 1 FROM documents"
                                    " WHERE source = ? LIMIT 1", (key, key)).fetchone():
                raise StoreError(Errors.E309, file=project, source=key)
        run_id = store.begin_run()
        counts, passage_ids = store.forget(kind, key)
        result = ForgetResult(kind, **counts)
        _remove_models_trained_on(project / "model", passage_ids, result)
        shutil.rmtree(project / "cache", ignore_errors=True)  # derived from the passages: rebuilt when needed
        _refit_topics(store, project, run_id, result)
        _rewrite_exports(store, project / "exports", result)
        store.finish_run(run_id, "forget", {"kind": kind, "documents": result.documents,
                                            "passages": result.passages, "topics": result.topics})
        return result
    finally:
        store.close()


def remember_export_options(store: Store, *, topics: bool, coded: bool, likert_map: Path | None,
                            codebook: Path | None, backend: str) -> None:
    """What the last run exported with, so ``forget`` can rewrite the same files."""
    store.set_meta(EXPORT_OPTIONS_KEY, json.dumps({
        "topics": topics, "coded": coded, "backend": backend,
        "likert_map": str(Path(likert_map).resolve()) if likert_map else None,
        "codebook": str(Path(codebook).resolve()) if codebook else None}))


def remembered_likert_map(store: Store) -> Path | None:
    """The Likert map the last run exported with, if it still exists."""
    saved = json.loads(store.get_meta(EXPORT_OPTIONS_KEY) or "{}")
    likert = Path(saved["likert_map"]) if saved.get("likert_map") else None
    return likert if likert is not None and likert.is_file() else None


def _remove_models_trained_on(folder: Path, passage_ids: set[str], result: ForgetResult) -> None:
    """A model retrained with this project's reviews keeps its training passages (for
    explanations) and has learned from them: if the forgotten passages are among them it goes."""
    for model_json in sorted(folder.glob("*/model.json")) if folder.is_dir() else []:
        try:
            trained_on = set(json.loads(model_json.read_text(encoding="utf-8")).get("train_ids", []))
        except (OSError, ValueError):
            trained_on = passage_ids  # unreadable: do not keep what may hold the data
        if trained_on & passage_ids:
            shutil.rmtree(model_json.parent)
            result.models_removed.append(str(model_json.parent))


def _embedder(store: Store):
    from ottext.embed import project_embedder

    saved = json.loads(store.get_meta(EXPORT_OPTIONS_KEY) or "{}")
    return project_embedder(store, saved.get("backend"))


def _refit_topics(store: Store, project: Path, run_id: str, result: ForgetResult) -> None:
    """Topic terms and labels are words of the passages: refit them without the forgotten ones."""
    if not store.topics():
        return
    from ottext.topics import update_topics

    result.topics = update_topics(store, project, _embedder(store), run_id, refit=True, keep_labels=False).status


def _rewrite_exports(store: Store, out_dir: Path, result: ForgetResult) -> None:
    """Rewrite every export of the last run; delete export files this state would not write (a
    workbook or qdpx left from when the project was smaller), so no stale copy keeps the data."""
    from ottext.codebook import load_codebook
    from ottext.export.bundle import CODED_EXPORTS, EXPORT_STATE_KEY, write_exports
    from ottext.export.tabular import export_paths

    if not out_dir.is_dir():
        return
    saved = json.loads(store.get_meta(EXPORT_OPTIONS_KEY) or "{}")
    topics = saved.get("topics", bool(store.topics()))
    coded = saved.get("coded", bool(store.codings_by_passage()))
    likert = remembered_likert_map(store)
    codebook = load_codebook(Path(saved["codebook"]) if saved.get("codebook") else None)
    embedder = _embedder(store) if coded else None
    store.set_meta(EXPORT_STATE_KEY, "")  # force a rewrite
    written = {Path(p).resolve() for p in write_exports(store, codebook, out_dir, topics, embedder, likert).values()}
    possible = set(export_paths(out_dir, True).values()) | {out_dir / name for name, _, _ in CODED_EXPORTS.values()}
    possible |= {out_dir / "report.html", out_dir / "project.qdpx"} | set((out_dir / "quotes").glob("*.md"))
    for path in sorted(possible):
        if path.resolve() in written:
            result.exports_rewritten.append(str(path))
        elif path.is_file():
            path.unlink()
            result.exports_deleted.append(str(path))
